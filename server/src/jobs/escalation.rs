//! Escalation: an alert not acknowledged by its deadline is re-notified to its recipients (and
//! the establishment's backup list where the rule says so), then again at the rule's period
//! until someone acknowledges. Red alerts run around the clock.

use chrono::{DateTime, Utc};

use crate::AppState;
use crate::alerting::escalate;
use crate::store::{self, alerts};

const BATCH: u64 = 200;

/// Performs every escalation step due at `now`; returns how many.
pub async fn run_escalations(state: &AppState, now: DateTime<Utc>) -> anyhow::Result<usize> {
    let mut done = 0;
    loop {
        let due = alerts::due_escalations(&state.db, now, BATCH).await?;
        let n = due.len();
        for a in due {
            let txn = store::begin_write(&state.db).await?;
            if escalate(&txn, &a, now).await? {
                done += 1;
            }
            txn.commit().await?;
        }
        if (n as u64) < BATCH {
            return Ok(done);
        }
    }
}
