//! The due-work worker: claims the items of the durable queue (`store::due_work`) that are due,
//! reads each row as a typed [`DueWork`], and hands each kind to its job in [`perform`], the one
//! place that knows which job does what (docs/design.md, "Due work"). Everything a batch does is
//! written in one transaction with the completion of its items; each kind in a savepoint of its
//! own, so a failing kind is rolled back and retried later without taking the others with it.
//!
//! A row whose kind no job knows is never skipped: it is logged naming the row, counted in
//! `/metrics` (`relais_unreadable_rows_total{queue="due_work"}`) and recorded as failed like
//! any failed work, to be tried again a minute later.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use sea_orm::{ConnectionTrait, TransactionTrait};

use super::{questionnaires, refills, reminders};
use crate::AppState;
use crate::notify::metrics::Queue;
use crate::store::due_work::{self as queue, Claimed, DueWork, WorkKind};
use crate::store::{self};

/// What one pass did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Stats {
    pub claimed: usize,
    pub planned_doses: usize,
    pub reminders_sent: usize,
    pub too_late: usize,
    pub missed: usize,
    /// Rows whose kind no job knows (recorded as failed).
    pub unreadable: usize,
}

impl std::ops::AddAssign for Stats {
    fn add_assign(&mut self, s: Stats) {
        self.claimed += s.claimed;
        self.planned_doses += s.planned_doses;
        self.reminders_sent += s.reminders_sent;
        self.too_late += s.too_late;
        self.missed += s.missed;
        self.unreadable += s.unreadable;
    }
}

/// Claims per batch.
const BATCH: u64 = 2000;

/// After a batch of a kind failed, its items wait this long before they are claimed again.
const RETRY_AFTER: i64 = 60;

/// Claims and performs every item due at `now`, batch after batch.
pub async fn dispatch_due(state: &AppState, now: DateTime<Utc>) -> anyhow::Result<Stats> {
    dispatch_due_observed(state, now, |_| {}).await
}

/// [`dispatch_due`], calling `on_batch` with the size of each batch once its work is committed
/// (the benchmark times batches with it).
///
/// On PostgreSQL `scheduler.dispatch_workers` workers claim side by side (`SKIP LOCKED`), so
/// the database uses every core; SQLite has a single writer, so one worker.
pub async fn dispatch_due_observed(
    state: &AppState,
    now: DateTime<Utc>,
    on_batch: impl Fn(usize) + Sync,
) -> anyhow::Result<Stats> {
    let workers = if store::is_postgres(&state.db) { state.settings.scheduler.dispatch_workers } else { 1 };
    let on_batch = &on_batch;
    let runs = futures::future::join_all((0..workers).map(|_| worker(state, now, on_batch))).await;
    let mut stats = Stats::default();
    for run in runs {
        stats += run?;
    }
    Ok(stats)
}

/// One worker: each batch is claimed, performed and completed in one transaction. The claim's
/// row locks are its lease: no other instance takes the rows while they are being performed,
/// and a crash rolls the whole batch back, to be claimed again at once.
async fn worker(state: &AppState, now: DateTime<Utc>, on_batch: &(impl Fn(usize) + Sync)) -> anyhow::Result<Stats> {
    let mut stats = Stats::default();
    let retry_at = now + Duration::seconds(RETRY_AFTER);
    loop {
        let txn = store::begin_write(&state.db).await?;
        let batch = queue::claim_in(&txn, now, BATCH).await?;
        if batch.is_empty() {
            txn.commit().await?;
            return Ok(stats);
        }
        stats.claimed += batch.len();
        let size = batch.len();
        // By kind, in the order of `WorkKind` (planning before the reminders it makes).
        let mut by_kind: BTreeMap<WorkKind, Vec<Claimed>> = BTreeMap::new();
        for row in batch {
            match DueWork::of_row(&row) {
                Ok(work) => {
                    by_kind.entry(work.kind()).or_default().push(Claimed { id: row.id, due_at: row.due_at, work })
                }
                Err(unknown) => {
                    stats.unreadable += 1;
                    state.metrics.unreadable(Queue::DueWork);
                    tracing::error!(
                        due_work_id = %unknown.id,
                        kind = %unknown.kind,
                        "{unknown}; recorded as failed, tried again in {RETRY_AFTER} s"
                    );
                    queue::failed(&txn, std::slice::from_ref(&unknown.id), &unknown.to_string(), retry_at).await?;
                }
            }
        }
        for (kind, items) in by_kind {
            // Each kind in a savepoint: a failing kind is rolled back and retried later without
            // taking the rest of the batch with it.
            let Some(error) = perform_part(state, &txn, kind, &items, now, &mut stats).await? else {
                continue;
            };
            // The kind failed: each item again in a savepoint of its own, so that one bad item
            // (a row that does not parse, an episode that cannot be planned) does not hold back
            // the 1,999 others of its batch, minute after minute.
            if items.len() > 1 {
                for item in &items {
                    let one = std::slice::from_ref(item);
                    if let Some(error) = perform_part(state, &txn, kind, one, now, &mut stats).await? {
                        record_failure(state, &txn, kind, one, &error, retry_at).await?;
                    }
                }
            } else {
                record_failure(state, &txn, kind, &items, &error, retry_at).await?;
            }
        }
        txn.commit().await?;
        on_batch(size);
    }
}

/// `items` performed and completed in a savepoint of `txn`: `None` when done; the error when
/// they failed (logged; the savepoint rolled back, what they added to `stats` taken back).
async fn perform_part(
    state: &AppState,
    txn: &sea_orm::DatabaseTransaction,
    kind: WorkKind,
    items: &[Claimed],
    now: DateTime<Utc>,
    stats: &mut Stats,
) -> Result<Option<String>, sea_orm::DbErr> {
    let before = stats.clone();
    let part = txn.begin().await?;
    match perform(state, &part, kind, items, now, stats).await {
        Ok(()) => {
            let ids: Vec<String> = items.iter().map(|i| i.id.clone()).collect();
            queue::complete(&part, &ids, now).await?;
            part.commit().await?;
            Ok(None)
        }
        Err(e) => {
            part.rollback().await?;
            *stats = before;
            let one = items.first().filter(|_| items.len() == 1).map(|i| i.id.as_str());
            tracing::error!(kind = kind.as_str(), items = items.len(), due_work_id = one, error = %e, "due work failed");
            Ok(Some(e.to_string()))
        }
    }
}

/// Items that failed: recorded on their rows (tried again in [`RETRY_AFTER`] s) and counted in
/// `/metrics` (`relais_due_work_failed_total{kind}`).
async fn record_failure(
    state: &AppState,
    txn: &sea_orm::DatabaseTransaction,
    kind: WorkKind,
    items: &[Claimed],
    error: &str,
    retry_at: DateTime<Utc>,
) -> Result<(), sea_orm::DbErr> {
    let ids: Vec<String> = items.iter().map(|i| i.id.clone()).collect();
    state.metrics.due_work_failed(kind.as_str(), ids.len() as u64);
    queue::failed(txn, &ids, error, retry_at).await
}

/// The one dispatch: which job performs each kind of due work. `items` are all of `kind`.
async fn perform(
    state: &AppState,
    txn: &impl ConnectionTrait,
    kind: WorkKind,
    items: &[Claimed],
    now: DateTime<Utc>,
    stats: &mut Stats,
) -> anyhow::Result<()> {
    match kind {
        WorkKind::PlanDay => reminders::plan(state, txn, items, now, stats).await,
        WorkKind::DoseReminder => reminders::remind(state, txn, items, false, now, stats).await,
        WorkKind::DoseRepeat => reminders::remind(state, txn, items, true, now, stats).await,
        WorkKind::DoseClose => reminders::close(state, txn, items, now, stats).await,
        WorkKind::QuestionnairePlan => questionnaires::plan(state, txn, items, now).await,
        WorkKind::QuestionnaireDue => questionnaires::due(state, txn, items, now).await,
        WorkKind::RefillReminder => refills::remind(state, txn, items, now).await,
    }
}
