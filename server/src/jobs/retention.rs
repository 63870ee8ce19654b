//! Retention: what has served its purpose is deleted after a set time, so the database does not
//! grow without bound: sent or failed outbox messages (`retention.outbox_days`), done due work
//! (`retention.due_work_days`), and the audit log only if the site sets `retention.audit_days`
//! (0, the default, keeps it: access traces to a health record are part of its traceability),
//! and the sign-in failure ledger after a day (its windows are minutes long). Once an hour
//! (docs/operations.md, "Retention").

use chrono::{DateTime, Duration, Utc};

use crate::AppState;
use crate::store::{self, audit, auth, due_work, outbox};

/// Purges once an hour per process; returns the rows deleted.
pub async fn run_if_due(state: &AppState, now: DateTime<Utc>) -> anyhow::Result<u64> {
    let due = |last: Option<DateTime<Utc>>| last.is_none_or(|l| now - l >= Duration::hours(1));
    if !state.health.claim_run("retention", now, due) {
        return Ok(0);
    }
    run(state, now).await
}

pub async fn run(state: &AppState, now: DateTime<Utc>) -> anyhow::Result<u64> {
    let r = &state.settings.retention;
    let days = |d: u32| now - Duration::days(i64::from(d));
    let txn = store::begin_write(&state.db).await?;
    let outbox_rows = outbox::purge_finished(&txn, days(r.outbox_days)).await?;
    let work_rows = due_work::purge_done(&txn, days(r.due_work_days)).await?;
    let audit_rows = if r.audit_days > 0 { audit::purge_before(&txn, days(r.audit_days)).await? } else { 0 };
    let ledger_rows = auth::purge_failures(&txn, days(1)).await?;
    txn.commit().await?;
    let total = outbox_rows + work_rows + audit_rows + ledger_rows;
    if total > 0 {
        tracing::info!(outbox_rows, work_rows, audit_rows, ledger_rows, "retention: old rows purged");
    }
    state.health.purged(total);
    Ok(total)
}
