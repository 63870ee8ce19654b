//! Billing work: keep the forfait ledger in line with the pathway (sync), close each month
//! into statements, and make the pharmacists' interview codes due.
//!
//! Which lines a close takes: the `due` lines, assigned to an actor, whose service date (the
//! sequence's start) is on or before the month's last day — the month's own lines plus earlier
//! ones still due (late corrections, credits, teams fixed after the fact). When: the tick closes
//! month M once the site's local date reaches day `billing.close_day` of M+1 (default 5, so that
//! inclusion errors of the last days are caught before export); `relais billing close --month`
//! closes by hand. A month is closed once; closing it again changes nothing.

use std::sync::Mutex;

use chrono::{DateTime, Datelike, Duration, Utc};

use crate::AppState;
use crate::domain::billing::Month;
use crate::store::billing::{self as ledger, Closed, SyncStats, interviews};

#[derive(Debug, thiserror::Error)]
pub enum CloseError {
    #[error("{0} is not over yet in the site's time zone; a month is closed once it has ended")]
    NotOver(Month),
    #[error(transparent)]
    Db(#[from] sea_orm::DbErr),
}

/// Brings every episode's lines up to date (one transaction per episode).
pub async fn sync(state: &AppState, now: DateTime<Utc>) -> Result<SyncStats, sea_orm::DbErr> {
    ledger::sync_all(&state.db, &state.rules.tariffs, now).await
}

/// Syncs, then closes `month` (see the module's comment). Refuses a month not over yet.
pub async fn close_month(state: &AppState, month: Month) -> Result<Closed, CloseError> {
    let now = state.now();
    let today = now.with_timezone(&state.site_tz()).date_naive();
    if today <= month.last_day() {
        return Err(CloseError::NotOver(month));
    }
    let stats = sync(state, now).await?;
    if stats.failed > 0 {
        tracing::warn!(failed = stats.failed, "billing sync: some episodes could not be billed (see above)");
    }
    let closed = ledger::close_month(&state.db, month, now).await?;
    tracing::info!(month = %month, lines = closed.lines, total_cents = closed.total_cents, newly = closed.newly_closed, "billing month closed");
    Ok(closed)
}

/// When the tick last synced (per process: the sync is idempotent, so several instances
/// syncing is only wasted work, never wrong).
static LAST_SYNC: Mutex<Option<DateTime<Utc>>> = Mutex::new(None);

/// The tick's part: sync every `billing.sync_minutes`, make interview codes due, and close the
/// previous month once its close day has come.
pub async fn run(state: &AppState, now: DateTime<Utc>) -> anyhow::Result<()> {
    let every = Duration::minutes(i64::from(state.settings.billing.sync_minutes));
    {
        let mut last = LAST_SYNC.lock().unwrap_or_else(|p| p.into_inner());
        if last.is_some_and(|l| now >= l && now - l < every) {
            return Ok(());
        }
        *last = Some(now);
    }
    let stats = sync(state, now).await?;
    tracing::debug!(?stats, "billing sync");
    let today = now.with_timezone(&state.site_tz()).date_naive();
    interviews::sync_codes(&state.db, &state.rules.interviews, today, now).await?;
    let close_day = state.settings.billing.close_day;
    let previous = Month::of(today).previous();
    if close_day > 0 && today.day() >= close_day && ledger::close_of(&state.db, previous).await?.is_none() {
        close_month(state, previous).await?;
    }
    Ok(())
}
