//! Group commit: one writer task that stores the work of many callers in one write transaction
//! and one commit (BENCHMARKS.md, "Report intake"). SQLite has a single writer and each commit
//! waits for its fsync: one transaction per report left a third of the CPU idle while reports
//! queued for the write lock. Here the writer takes whatever work is queued (up to
//! [`MAX_BATCH`]), opens one write transaction, runs each caller's work in a savepoint of its
//! own (a failing one rolls back only its own writes and gets its own error), commits once,
//! and only then answers every caller: nothing is acknowledged before the commit that holds it.
//! A failed commit answers every caller of the batch with an error, and is logged and counted
//! (`relais_group_commit_failures_total`).

use std::future::Future;
use std::pin::Pin;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use sea_orm::{DatabaseConnection, DatabaseTransaction, DbErr, RuntimeErr, TransactionTrait};
use tokio::sync::{mpsc, oneshot};

/// The most callers' work one transaction holds: enough to absorb a burst, small enough that a
/// batch keeps the write lock for milliseconds (other writers wait on SQLite's busy timeout).
pub const MAX_BATCH: usize = 64;

/// Work waiting for the writer beyond which callers wait to hand theirs over.
const QUEUE: usize = MAX_BATCH * 4;

pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// One caller's writes, run inside its own savepoint of the batch's transaction. `Ok` keeps
/// them (the savepoint is released), `Err` rolls them back to the savepoint.
pub type Work<T, E> = Box<dyn for<'t> FnOnce(&'t DatabaseTransaction) -> BoxFuture<'t, Result<T, E>> + Send>;

/// Boxes a closure as [`Work`] (the closure's higher-ranked signature is inferred here).
pub fn work<T, E, F>(f: F) -> Work<T, E>
where
    F: for<'t> FnOnce(&'t DatabaseTransaction) -> BoxFuture<'t, Result<T, E>> + Send + 'static,
{
    Box::new(f)
}

/// Where a caller waits for its answer.
type Answer<T, E> = oneshot::Sender<Result<T, E>>;

struct Job<T, E> {
    work: Work<T, E>,
    answer: Answer<T, E>,
}

/// Batches committed, callers' work they held, and batches whose transaction failed (its
/// begin or its commit, or a savepoint that could not be released or rolled back), since the
/// process started: `/metrics` says them.
static BATCHES: AtomicU64 = AtomicU64::new(0);
static JOBS: AtomicU64 = AtomicU64::new(0);
static FAILURES: AtomicU64 = AtomicU64::new(0);

/// (batches committed, work committed in them, failed batches) since the process started.
pub fn counts() -> (u64, u64, u64) {
    (BATCHES.load(Ordering::Relaxed), JOBS.load(Ordering::Relaxed), FAILURES.load(Ordering::Relaxed))
}

/// The writer of one kind of work (report intake). Its task is started by the first call, on
/// the caller's runtime and with the caller's connection, and started again if it ended; it
/// ends when every handle to this is dropped.
pub struct GroupCommit<T, E> {
    what: &'static str,
    sender: Mutex<Option<mpsc::Sender<Job<T, E>>>>,
}

impl<T, E> GroupCommit<T, E>
where
    T: Send + 'static,
    E: From<DbErr> + Send + 'static,
{
    pub fn new(what: &'static str) -> Self {
        Self { what, sender: Mutex::new(None) }
    }

    /// Runs `work` in the next batch; answers once that batch is committed (or failed).
    pub async fn run(&self, db: &DatabaseConnection, work: Work<T, E>) -> Result<T, E> {
        let (answer, answered) = oneshot::channel();
        let sender = self.sender(db);
        if let Err(mpsc::error::SendError(job)) = sender.send(Job { work, answer }).await {
            // The writer ended between taking the sender and sending (its runtime shut down):
            // start another and hand the work over once more.
            drop(job.answer);
            let (answer, again) = oneshot::channel();
            self.sender.lock().unwrap_or_else(|e| e.into_inner()).take();
            let sender = self.sender(db);
            if sender.send(Job { work: job.work, answer }).await.is_err() {
                return Err(stopped(self.what));
            }
            return again.await.unwrap_or_else(|_| Err(stopped(self.what)));
        }
        // Dropped unanswered: the batch's task panicked (logged and counted by the writer).
        answered.await.unwrap_or_else(|_| Err(stopped(self.what)))
    }

    /// Work handed over and not yet taken by the writer.
    pub fn queued(&self) -> usize {
        self.sender.lock().unwrap_or_else(|e| e.into_inner()).as_ref().map_or(0, |s| s.max_capacity() - s.capacity())
    }

    fn sender(&self, db: &DatabaseConnection) -> mpsc::Sender<Job<T, E>> {
        let mut slot = self.sender.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(s) = slot.as_ref().filter(|s| !s.is_closed()) {
            return s.clone();
        }
        let (tx, rx) = mpsc::channel(QUEUE);
        tokio::spawn(writer(db.clone(), rx, self.what));
        *slot = Some(tx.clone());
        tx
    }
}

fn stopped<E: From<DbErr>>(what: &str) -> E {
    tracing::error!(what, "the group commit writer stopped before answering: not stored");
    E::from(DbErr::Custom(format!("the {what} writer stopped before answering")))
}

/// Takes what is queued, up to [`MAX_BATCH`], and stores it as one batch, until every sender
/// is gone. Each batch runs in a task of its own: one that panics drops its callers' answers
/// (they get an error, nothing of the batch is committed) and the writer goes on.
async fn writer<T, E>(db: DatabaseConnection, mut rx: mpsc::Receiver<Job<T, E>>, what: &'static str)
where
    T: Send + 'static,
    E: From<DbErr> + Send + 'static,
{
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while rx.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let jobs = std::mem::take(&mut batch);
        if let Err(e) = tokio::spawn(store_batch(db.clone(), jobs, what)).await {
            FAILURES.fetch_add(1, Ordering::Relaxed);
            tracing::error!(what, error = %e, "a group commit batch panicked: none of it was stored");
        }
    }
}

/// A copy of a batch's error for each of its callers, telling "unreachable" apart as the
/// original does (503 rather than 500).
fn copy_err(e: &DbErr) -> DbErr {
    if crate::health::is_unreachable(e) {
        DbErr::Conn(RuntimeErr::Internal(e.to_string()))
    } else {
        DbErr::Custom(format!("the batch's transaction failed: {e}"))
    }
}

async fn store_batch<T, E>(db: DatabaseConnection, jobs: Vec<Job<T, E>>, what: &'static str)
where
    T: Send + 'static,
    E: From<DbErr> + Send + 'static,
{
    let size = jobs.len();
    let fail_all = |e: &DbErr, answers: Vec<Answer<T, E>>| {
        FAILURES.fetch_add(1, Ordering::Relaxed);
        tracing::error!(what, size, error = %e, "group commit failed: none of the batch was stored");
        for a in answers {
            let _ = a.send(Err(E::from(copy_err(e))));
        }
    };
    let txn = match super::begin_write(&db).await {
        Ok(t) => t,
        Err(e) => return fail_all(&e, jobs.into_iter().map(|j| j.answer).collect()),
    };
    // Answers held until the commit: the caller's result, or its own error (kept whatever the
    // commit does: its writes were rolled back to its savepoint).
    let mut done: Vec<(Answer<T, E>, Result<T, E>)> = Vec::with_capacity(size);
    let mut stored = 0u64;
    let mut jobs = jobs.into_iter();
    while let Some(Job { work, answer }) = jobs.next() {
        // The caller's work in a savepoint of its own, released if it succeeded, rolled back if not.
        let step = async {
            let savepoint = txn.begin().await?;
            let result = work(&savepoint).await;
            if result.is_ok() {
                savepoint.commit().await?
            } else {
                savepoint.rollback().await?
            }
            Ok::<_, DbErr>(result)
        };
        match step.await {
            Ok(result) => {
                stored += u64::from(result.is_ok());
                done.push((answer, result));
            }
            // A savepoint that could not be opened, released or rolled back: the transaction is
            // in doubt, and none of it is kept.
            Err(e) => {
                let rest = done.into_iter().map(|(a, _)| a).chain([answer]).chain(jobs.map(|j| j.answer));
                return fail_all(&e, rest.collect());
            }
        }
    }
    if let Err(e) = txn.commit().await {
        FAILURES.fetch_add(1, Ordering::Relaxed);
        tracing::error!(what, size, error = %e, "group commit failed: none of the batch was stored");
        for (answer, result) in done {
            let _ = answer.send(result.and_then(|_| Err(E::from(copy_err(&e)))));
        }
        return;
    }
    BATCHES.fetch_add(1, Ordering::Relaxed);
    JOBS.fetch_add(stored, Ordering::Relaxed);
    for (answer, result) in done {
        // A caller that went away (its request cancelled) finds its work stored all the same.
        let _ = answer.send(result);
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use sea_orm::ConnectionTrait;

    use super::*;

    type Gc = GroupCommit<String, DbErr>;

    /// A fresh SQLite file with a parent table and a child table whose foreign key is checked
    /// at commit (DEFERRABLE INITIALLY DEFERRED: a way to make a commit fail).
    async fn db() -> DatabaseConnection {
        let path = std::env::temp_dir().join(format!("relais-group-commit-{}.db", uuid::Uuid::new_v4().simple()));
        let db = crate::store::connect(&format!("sqlite://{}?mode=rwc", path.display()), 4).await.unwrap();
        db.execute_unprepared(
            "CREATE TABLE parent (k TEXT PRIMARY KEY); \
             CREATE TABLE child (k TEXT PRIMARY KEY, parent TEXT NOT NULL \
               REFERENCES parent (k) DEFERRABLE INITIALLY DEFERRED)",
        )
        .await
        .unwrap();
        db
    }

    fn insert(table: &'static str, k: &str, extra: &str) -> Work<String, DbErr> {
        let (k, sql) = (k.to_owned(), format!("INSERT INTO {table} VALUES ('{k}'{extra})"));
        work(move |txn| {
            Box::pin(async move {
                txn.execute_unprepared(&sql).await?;
                Ok(k)
            })
        })
    }

    async fn count(db: &DatabaseConnection, sql: &str) -> i64 {
        let row = db.query_one_raw(sea_orm::Statement::from_string(db.get_database_backend(), sql)).await.unwrap();
        row.unwrap().try_get_by_index::<i64>(0).unwrap()
    }

    /// Holds the writer in a first batch until released, so that the work queued meanwhile
    /// makes one batch together; returns once the writer is held.
    async fn hold(gc: &Arc<Gc>, db: &DatabaseConnection) -> (oneshot::Sender<()>, tokio::task::JoinHandle<()>) {
        let (started, is_started) = oneshot::channel();
        let (release, released) = oneshot::channel::<()>();
        let (gc2, db2) = (gc.clone(), db.clone());
        let held = tokio::spawn(async move {
            let w: Work<String, DbErr> = work(move |_| {
                Box::pin(async move {
                    let _ = started.send(());
                    let _ = released.await;
                    Ok("held".to_owned())
                })
            });
            gc2.run(&db2, w).await.unwrap();
        });
        is_started.await.unwrap();
        (release, held)
    }

    /// Runs each work in a task of its own while the writer is held, then lets the writer take
    /// them all as one batch; each answer, with whether its row was visible to another
    /// connection when it came (answered after the commit, never before).
    async fn one_batch(
        gc: &Arc<Gc>,
        db: &DatabaseConnection,
        works: Vec<(Work<String, DbErr>, String)>,
    ) -> Vec<(Result<String, DbErr>, i64)> {
        let (release, held) = hold(gc, db).await;
        let n = works.len();
        let tasks: Vec<_> = works
            .into_iter()
            .map(|(w, visible)| {
                let (gc, db) = (gc.clone(), db.clone());
                tokio::spawn(async move {
                    let r = gc.run(&db, w).await;
                    let seen = count(&db, &visible).await;
                    (r, seen)
                })
            })
            .collect();
        while gc.queued() < n {
            tokio::task::yield_now().await;
        }
        release.send(()).unwrap();
        held.await.unwrap();
        let mut out = Vec::new();
        for t in tasks {
            out.push(t.await.unwrap());
        }
        out
    }

    fn parent_is(k: &str) -> String {
        format!("SELECT COUNT(*) FROM parent WHERE k = '{k}'")
    }

    #[tokio::test]
    async fn a_failing_job_rolls_back_only_its_own_writes_and_the_others_are_answered_once_committed() {
        let db = db().await;
        let gc = Arc::new(Gc::new("test"));
        let (batches, _, _) = counts();
        let works = vec![
            (insert("parent", "a", ""), parent_is("a")),
            (insert("parent", "b", ""), parent_is("b")),
            // The same key again: a unique violation, in the same transaction as the first.
            (insert("parent", "a", ""), parent_is("a")),
            (insert("parent", "c", ""), parent_is("c")),
        ];
        let answers = one_batch(&gc, &db, works).await;
        let oks: Vec<_> = answers.iter().map(|(r, _)| r.as_ref().ok().cloned()).collect();
        assert_eq!(oks, [Some("a".into()), Some("b".into()), None, Some("c".into())]);
        let failed = answers[2].0.as_ref().unwrap_err();
        assert!(crate::store::unique_violation(failed).is_some(), "{failed}");
        for (r, seen) in &answers {
            if r.is_ok() {
                assert_eq!(*seen, 1, "answered before its commit was visible");
            }
        }
        assert_eq!(count(&db, "SELECT COUNT(*) FROM parent").await, 3);
        // The held work's batch, then one for the four.
        assert!(counts().0 >= batches + 2);
    }

    #[tokio::test]
    async fn a_failed_commit_answers_every_job_with_an_error_and_stores_none_of_them() {
        let db = db().await;
        let gc = Arc::new(Gc::new("test"));
        let (_, _, failures) = counts();
        let works = vec![
            (insert("parent", "x", ""), parent_is("x")),
            // Its statement succeeds; its foreign key fails the commit.
            (insert("child", "orphan", ", 'missing'"), "SELECT COUNT(*) FROM child".into()),
            (insert("parent", "y", ""), parent_is("y")),
        ];
        let answers = one_batch(&gc, &db, works).await;
        assert!(answers.iter().all(|(r, _)| r.is_err()), "{answers:?}");
        assert_eq!(count(&db, "SELECT COUNT(*) FROM parent").await, 0);
        assert_eq!(count(&db, "SELECT COUNT(*) FROM child").await, 0);
        assert!(counts().2 > failures, "the failed batch is counted");
        // The writer goes on.
        assert_eq!(gc.run(&db, insert("parent", "z", "")).await.unwrap(), "z");
    }

    #[tokio::test]
    async fn a_panicking_job_fails_its_batch_without_hanging_anyone_and_the_writer_goes_on() {
        let db = db().await;
        let gc = Arc::new(Gc::new("test"));
        let panics: Work<String, DbErr> = work(|_| Box::pin(async { panic!("a bug in a job") }));
        let works = vec![(insert("parent", "p", ""), parent_is("p")), (panics, parent_is("p"))];
        let answers = one_batch(&gc, &db, works).await;
        assert!(answers.iter().all(|(r, _)| r.is_err()), "{answers:?}");
        assert_eq!(gc.run(&db, insert("parent", "q", "")).await.unwrap(), "q");
        assert_eq!(count(&db, "SELECT COUNT(*) FROM parent").await, 1, "only q: p's batch was rolled back");
    }

    #[test]
    fn a_writer_whose_runtime_ended_is_started_again() {
        let gc = Gc::new("test");
        let first = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        first.block_on(async {
            let db = db().await;
            assert_eq!(gc.run(&db, insert("parent", "a", "")).await.unwrap(), "a");
        });
        drop(first);
        let second = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        second.block_on(async {
            let db = db().await;
            assert_eq!(gc.run(&db, insert("parent", "b", "")).await.unwrap(), "b");
        });
    }
}
