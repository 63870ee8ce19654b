//! Group commit: writer tasks that store the work of many callers in one write transaction and
//! one commit (BENCHMARKS.md, "Report intake"). One transaction per report spent the database's
//! time on round trips and commits: SQLite's single writer waited for one fsync per report, and
//! PostgreSQL ran seven statements and a commit per report. Here a writer takes whatever is
//! queued (up to [`MAX_BATCH`]), opens one write transaction, hands the whole batch to the
//! kind's [`Batch`] function (which writes it with set-based statements: one insert for all the
//! reports, one for all their grades…), commits once, and only then answers every caller:
//! nothing is acknowledged before the commit that holds it.
//!
//! A batch that fails (a statement refused, a lock deadlock, a commit refused) is rolled back
//! and its callers' work is stored again one caller per transaction, so that a failing one
//! fails alone; counted (`relais_group_commit_retried_total`) and logged. Only when the
//! database cannot be reached is every caller of the batch answered the error at once, and
//! then it is counted as a failed batch (`relais_group_commit_failures_total`).
//!
//! SQLite has one writer; PostgreSQL [`PG_WRITERS`], each caller's work going to the writer its
//! key (the patient) names, so that one patient's reports are stored in order, by one writer,
//! and two writers never wait on each other's patients.
//!
//! The same machinery batches reads where a round trip is what costs: on PostgreSQL the report
//! intake's context reads (`app::reports::IntakeReader`, a batch function that writes nothing;
//! its counters are the `relais_intake_read_*` metrics).

use std::future::Future;
use std::hash::{Hash, Hasher};
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use sea_orm::{DatabaseConnection, DatabaseTransaction, DbErr, RuntimeErr};
use tokio::sync::{mpsc, oneshot};

/// The most callers' work one transaction holds: enough to absorb a burst, small enough that a
/// batch keeps the write lock for milliseconds (other writers wait on SQLite's busy timeout).
pub const MAX_BATCH: usize = 64;

/// Writers on PostgreSQL, where transactions run side by side (BENCHMARKS.md, "Report intake":
/// 1, 2, 4 and 8 measured; 2 and 4 equal, 1 a fifth slower).
pub const PG_WRITERS: usize = 2;

/// Work waiting for a writer beyond which callers wait to hand theirs over.
const QUEUE: usize = MAX_BATCH * 4;

pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Writes a batch of callers' items in `txn`: `Ok` with one result per item, in order (an
/// item's `Err` means nothing of that item was written, the rest is committed), or `Err` when
/// the batch cannot be kept as a whole (it is then rolled back and each item written again in a
/// transaction of its own: the same function, called with one item).
pub type Batch<P, T, E> = for<'t> fn(&'t DatabaseTransaction, &'t [P]) -> BoxFuture<'t, Result<Vec<Result<T, E>>, E>>;

/// Where a caller waits for its answer.
type Answer<T, E> = oneshot::Sender<Result<T, E>>;

struct Job<P, T, E> {
    item: P,
    answer: Answer<T, E>,
}

/// Where the writers take their work from: one slot per writer, empty until first needed.
type Senders<P, T, E> = Vec<Option<mpsc::Sender<Job<P, T, E>>>>;

/// Batches committed, callers' items stored in them, batches or callers that failed (the
/// database unreachable, or a caller's own transaction refused), and batches rolled back and
/// stored again one caller at a time, since the writer was made: `/metrics` says them.
#[derive(Default)]
struct Counters {
    batches: AtomicU64,
    stored: AtomicU64,
    failures: AtomicU64,
    retried: AtomicU64,
}

/// What `/metrics` and the benchmark read.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    pub batches: u64,
    pub stored: u64,
    pub failures: u64,
    pub retried: u64,
}

impl Counts {
    /// What was counted since `before` (the benchmark's window).
    pub fn since(self, before: Counts) -> Counts {
        Counts {
            batches: self.batches - before.batches,
            stored: self.stored - before.stored,
            failures: self.failures - before.failures,
            retried: self.retried - before.retried,
        }
    }

    /// Items per batch.
    pub fn per_batch(self) -> f64 {
        self.stored as f64 / self.batches.max(1) as f64
    }
}

/// The writers of one kind of work (report intake). A writer's task is started by the first
/// call that needs it, on the caller's runtime and with the caller's connection, and started
/// again if it ended; it ends when every handle to this is dropped.
pub struct GroupCommit<P, T, E> {
    what: &'static str,
    batch: Batch<P, T, E>,
    senders: Mutex<Senders<P, T, E>>,
    counters: Arc<Counters>,
}

impl<P, T, E> GroupCommit<P, T, E>
where
    P: Send + Sync + 'static,
    T: Send + 'static,
    E: From<DbErr> + std::fmt::Display + Send + 'static,
{
    pub fn new(what: &'static str, batch: Batch<P, T, E>) -> Self {
        Self { what, batch, senders: Mutex::new(Vec::new()), counters: Arc::default() }
    }

    pub fn counts(&self) -> Counts {
        let c = &self.counters;
        Counts {
            batches: c.batches.load(Ordering::Relaxed),
            stored: c.stored.load(Ordering::Relaxed),
            failures: c.failures.load(Ordering::Relaxed),
            retried: c.retried.load(Ordering::Relaxed),
        }
    }

    /// Stores `item` in the next batch of the writer `key` names; answers once that batch is
    /// committed (or the item's own transaction, when the batch had to be split).
    pub async fn run(&self, db: &DatabaseConnection, key: &str, item: P) -> Result<T, E> {
        let writers = if super::is_postgres(db) { PG_WRITERS } else { 1 };
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        key.hash(&mut hasher);
        let slot = (hasher.finish() % writers as u64) as usize;
        let (answer, answered) = oneshot::channel();
        let sender = self.sender(db, slot, writers);
        if let Err(mpsc::error::SendError(job)) = sender.send(Job { item, answer }).await {
            // The writer ended between taking the sender and sending (its runtime shut down):
            // start another and hand the work over once more.
            drop(job.answer);
            let (answer, again) = oneshot::channel();
            self.lock()[slot].take();
            let sender = self.sender(db, slot, writers);
            if sender.send(Job { item: job.item, answer }).await.is_err() {
                return Err(stopped(self.what));
            }
            return again.await.unwrap_or_else(|_| Err(stopped(self.what)));
        }
        // Dropped unanswered: the batch's task panicked (logged and counted by the writer).
        answered.await.unwrap_or_else(|_| Err(stopped(self.what)))
    }

    /// Work handed over and not yet taken by a writer.
    pub fn queued(&self) -> usize {
        self.lock().iter().flatten().map(|s| s.max_capacity() - s.capacity()).sum()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Senders<P, T, E>> {
        self.senders.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn sender(&self, db: &DatabaseConnection, slot: usize, writers: usize) -> mpsc::Sender<Job<P, T, E>> {
        let mut senders = self.lock();
        if senders.len() < writers {
            senders.resize_with(writers, || None);
        }
        if let Some(s) = senders[slot].as_ref().filter(|s| !s.is_closed()) {
            return s.clone();
        }
        let (tx, rx) = mpsc::channel(QUEUE);
        tokio::spawn(writer(db.clone(), rx, self.what, self.batch, self.counters.clone()));
        senders[slot] = Some(tx.clone());
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
async fn writer<P, T, E>(
    db: DatabaseConnection,
    mut rx: mpsc::Receiver<Job<P, T, E>>,
    what: &'static str,
    batch: Batch<P, T, E>,
    counters: Arc<Counters>,
) where
    P: Send + Sync + 'static,
    T: Send + 'static,
    E: From<DbErr> + std::fmt::Display + Send + 'static,
{
    let mut jobs = Vec::with_capacity(MAX_BATCH);
    while rx.recv_many(&mut jobs, MAX_BATCH).await > 0 {
        let taken = std::mem::take(&mut jobs);
        if let Err(e) = tokio::spawn(store_batch(db.clone(), taken, what, batch, counters.clone())).await {
            counters.failures.fetch_add(1, Ordering::Relaxed);
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

/// Why a transaction of items was not kept.
enum Failed<E> {
    /// Opening or committing it: the database's own error.
    Database(DbErr),
    /// The batch function refused the items as a whole.
    Work(E),
}

impl<E: From<DbErr>> Failed<E> {
    fn into_err(self) -> E {
        match self {
            Self::Database(e) => E::from(e),
            Self::Work(e) => e,
        }
    }
}

impl<E: std::fmt::Display> std::fmt::Display for Failed<E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Database(e) => e.fmt(f),
            Self::Work(e) => e.fmt(f),
        }
    }
}

/// The items written and committed in one transaction: one result per item.
async fn attempt<P, T, E>(
    db: &DatabaseConnection,
    batch: Batch<P, T, E>,
    items: &[P],
) -> Result<Vec<Result<T, E>>, Failed<E>>
where
    E: From<DbErr>,
{
    let txn = super::begin_write(db).await.map_err(Failed::Database)?;
    // Dropped without a commit on error: rolled back.
    let results = batch(&txn, items).await.map_err(Failed::Work)?;
    txn.commit().await.map_err(Failed::Database)?;
    Ok(results)
}

async fn store_batch<P, T, E>(
    db: DatabaseConnection,
    jobs: Vec<Job<P, T, E>>,
    what: &'static str,
    batch: Batch<P, T, E>,
    c: Arc<Counters>,
) where
    P: Send + Sync + 'static,
    T: Send + 'static,
    E: From<DbErr> + std::fmt::Display + Send + 'static,
{
    let size = jobs.len();
    let (items, answers): (Vec<P>, Vec<Answer<T, E>>) = jobs.into_iter().map(|j| (j.item, j.answer)).unzip();
    let failed = match attempt(&db, batch, &items).await {
        Ok(results) => return answer_all(answers, results, what, &c),
        Err(f) => f,
    };
    let unreachable = matches!(&failed, Failed::Database(e) if crate::health::is_unreachable(e));
    if size == 1 || unreachable {
        // Nothing to split, or nothing to be gained by it: the database is out of reach.
        c.failures.fetch_add(1, Ordering::Relaxed);
        tracing::error!(what, size, error = %failed, "group commit failed: none of the batch was stored");
        match failed {
            Failed::Database(e) if size > 1 => {
                for a in answers {
                    let _ = a.send(Err(E::from(copy_err(&e))));
                }
            }
            f => {
                if let Some(a) = answers.into_iter().next() {
                    let _ = a.send(Err(f.into_err()));
                }
            }
        }
        return;
    }
    // Split: each caller's items in a transaction of its own, so that one failing item fails
    // alone and the others are stored.
    c.retried.fetch_add(1, Ordering::Relaxed);
    tracing::warn!(what, size, error = %failed, "a group commit batch was rolled back: storing it one caller at a time");
    for (item, answer) in items.iter().zip(answers) {
        match attempt(&db, batch, std::slice::from_ref(item)).await {
            // Committed: its result, counted as in a batch (an item's own `Err` wrote nothing).
            Ok(results) => answer_all(vec![answer], results, what, &c),
            Err(f) => {
                c.failures.fetch_add(1, Ordering::Relaxed);
                tracing::error!(what, error = %f, "a caller's work of a split batch was not stored");
                let _ = answer.send(Err(f.into_err()));
            }
        }
    }
}

/// Answers each caller with its item's result, once the batch is committed.
fn answer_all<T, E: From<DbErr>>(
    answers: Vec<Answer<T, E>>,
    results: Vec<Result<T, E>>,
    what: &'static str,
    c: &Counters,
) {
    c.batches.fetch_add(1, Ordering::Relaxed);
    let mut results = results.into_iter();
    for answer in answers {
        // A batch function that answered fewer items than it was given is a bug: said, not hidden.
        let result = results.next().unwrap_or_else(|| Err(missing(what)));
        if result.is_ok() {
            c.stored.fetch_add(1, Ordering::Relaxed);
        }
        // A caller that went away (its request cancelled) finds its work stored all the same.
        let _ = answer.send(result);
    }
}

fn missing<E: From<DbErr>>(what: &str) -> E {
    tracing::error!(what, "the batch function gave no result for an item");
    E::from(DbErr::Custom(format!("the {what} batch gave no result for this item")))
}

#[cfg(test)]
mod tests {
    use sea_orm::ConnectionTrait;

    use super::*;

    /// What a test hands the writer: a statement (and the key it answers), a batch that waits
    /// until released, or a bug.
    enum Item {
        Sql(String, String),
        Hold(Mutex<Option<(oneshot::Sender<()>, oneshot::Receiver<()>)>>),
        Panic,
    }

    type Gc = GroupCommit<Item, String, DbErr>;

    /// Runs the items' statements in order; any refused statement refuses the batch (as the
    /// report intake's batch does).
    fn exec<'t>(
        txn: &'t DatabaseTransaction,
        items: &'t [Item],
    ) -> BoxFuture<'t, Result<Vec<Result<String, DbErr>>, DbErr>> {
        Box::pin(async move {
            let mut out = Vec::new();
            for item in items {
                match item {
                    Item::Sql(k, sql) => {
                        txn.execute_unprepared(sql).await?;
                        out.push(Ok(k.clone()));
                    }
                    Item::Hold(h) => {
                        let taken = h.lock().unwrap().take();
                        if let Some((started, released)) = taken {
                            let _ = started.send(());
                            let _ = released.await;
                        }
                        out.push(Ok("held".to_owned()));
                    }
                    Item::Panic => panic!("a bug in a job"),
                }
            }
            Ok(out)
        })
    }

    fn gc() -> Arc<Gc> {
        Arc::new(Gc::new("test", exec))
    }

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

    fn insert(table: &str, k: &str, extra: &str) -> Item {
        Item::Sql(k.to_owned(), format!("INSERT INTO {table} VALUES ('{k}'{extra})"))
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
            gc2.run(&db2, "k", Item::Hold(Mutex::new(Some((started, released))))).await.unwrap();
        });
        is_started.await.unwrap();
        (release, held)
    }

    /// Runs each item in a task of its own while the writer is held, then lets the writer take
    /// them all as one batch; each answer, with whether its row was visible to another
    /// connection when it came (answered after the commit, never before).
    async fn one_batch(
        gc: &Arc<Gc>,
        db: &DatabaseConnection,
        items: Vec<(Item, String)>,
    ) -> Vec<(Result<String, DbErr>, i64)> {
        let (release, held) = hold(gc, db).await;
        let n = items.len();
        let tasks: Vec<_> = items
            .into_iter()
            .map(|(item, visible)| {
                let (gc, db) = (gc.clone(), db.clone());
                tokio::spawn(async move {
                    let r = gc.run(&db, "k", item).await;
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
    async fn a_refused_batch_is_stored_one_caller_at_a_time_and_only_the_failing_one_fails() {
        let db = db().await;
        let gc = gc();
        let before = gc.counts();
        let items = vec![
            (insert("parent", "a", ""), parent_is("a")),
            (insert("parent", "b", ""), parent_is("b")),
            // The same key again: a unique violation, in the same transaction as the first.
            (insert("parent", "a", ""), parent_is("a")),
            (insert("parent", "c", ""), parent_is("c")),
        ];
        let answers = one_batch(&gc, &db, items).await;
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
        let after = gc.counts();
        assert!(after.retried > before.retried, "the split batch is counted");
        assert!(after.failures > before.failures, "the failing caller is counted");
    }

    #[tokio::test]
    async fn a_batch_stores_its_callers_in_one_transaction() {
        let db = db().await;
        let gc = gc();
        let before = gc.counts();
        let items = (0..5).map(|i| (insert("parent", &format!("p{i}"), ""), parent_is(&format!("p{i}")))).collect();
        let answers = one_batch(&gc, &db, items).await;
        assert!(answers.iter().all(|(r, seen)| r.is_ok() && *seen == 1), "{answers:?}");
        let after = gc.counts();
        // The held batch, then one batch for the five: two commits, not six.
        assert_eq!(after.batches - before.batches, 2);
        assert_eq!(after.retried, before.retried);
    }

    #[tokio::test]
    async fn a_refused_commit_fails_only_the_caller_that_broke_it() {
        let db = db().await;
        let gc = gc();
        let items = vec![
            (insert("parent", "x", ""), parent_is("x")),
            // Its statement succeeds; its foreign key fails the commit.
            (insert("child", "orphan", ", 'missing'"), "SELECT COUNT(*) FROM child".into()),
            (insert("parent", "y", ""), parent_is("y")),
        ];
        let answers = one_batch(&gc, &db, items).await;
        let oks: Vec<_> = answers.iter().map(|(r, _)| r.is_ok()).collect();
        assert_eq!(oks, [true, false, true], "{answers:?}");
        assert_eq!(count(&db, "SELECT COUNT(*) FROM parent").await, 2);
        assert_eq!(count(&db, "SELECT COUNT(*) FROM child").await, 0);
        // The writer goes on.
        assert_eq!(gc.run(&db, "k", insert("parent", "z", "")).await.unwrap(), "z");
    }

    #[tokio::test]
    async fn a_panicking_batch_fails_its_callers_without_hanging_anyone_and_the_writer_goes_on() {
        let db = db().await;
        let gc = gc();
        let items = vec![(insert("parent", "p", ""), parent_is("p")), (Item::Panic, parent_is("p"))];
        let answers = one_batch(&gc, &db, items).await;
        assert!(answers.iter().all(|(r, _)| r.is_err()), "{answers:?}");
        assert_eq!(gc.run(&db, "k", insert("parent", "q", "")).await.unwrap(), "q");
        assert_eq!(count(&db, "SELECT COUNT(*) FROM parent").await, 1, "only q: p's batch was rolled back");
    }

    #[test]
    fn a_writer_whose_runtime_ended_is_started_again() {
        let gc = Gc::new("test", exec);
        let first = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        first.block_on(async {
            let db = db().await;
            assert_eq!(gc.run(&db, "k", insert("parent", "a", "")).await.unwrap(), "a");
        });
        drop(first);
        let second = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        second.block_on(async {
            let db = db().await;
            assert_eq!(gc.run(&db, "k", insert("parent", "b", "")).await.unwrap(), "b");
        });
    }
}
