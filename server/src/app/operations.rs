//! What the administrator sees of the service running (docs/operations.md, "Never silent"):
//! whether the database answers, the due work whose last try failed (with the error, so the
//! row can be found and fixed), the messages that could not be delivered, and the stored values
//! and queue rows refused since the process started. The same figures are in `/metrics`; this
//! is the page an IT team reads without a Prometheus.

use chrono::{DateTime, Utc};

use super::{ActionError, StaffAuth};
use crate::AppState;
use crate::domain::access::Role;
use crate::store::{due_work, outbox_delivery};

/// The oldest failing items listed.
const LISTED: u64 = 20;

pub struct FailingWork {
    pub kind: String,
    pub subject_id: String,
    pub due_at: DateTime<Utc>,
    pub attempts: i32,
    pub last_error: String,
}

pub struct Status {
    pub database_up: bool,
    /// Items not done whose last try failed, by kind.
    pub failing_by_kind: Vec<(String, i64)>,
    /// The oldest of them.
    pub failing: Vec<FailingWork>,
    /// Outbox messages given up on (`failed`).
    pub messages_failed: i64,
    /// Since this process started.
    pub stored_value_errors: u64,
}

/// The service's state, for an administrator only.
pub async fn status(state: &AppState, staff: &StaffAuth) -> Result<Status, ActionError> {
    if staff.staff.role != Role::Admin {
        return Err(ActionError::Forbidden("the service's state is for administrators"));
    }
    let failing_by_kind = due_work::failing_by_kind(&state.db).await?;
    let failing = due_work::failing(&state.db, LISTED)
        .await?
        .into_iter()
        .map(|w| FailingWork {
            kind: w.kind,
            subject_id: w.subject_id,
            due_at: w.due_at,
            attempts: w.attempts,
            last_error: w.last_error.unwrap_or_default(),
        })
        .collect();
    let messages_failed = outbox_delivery::count_by_status(&state.db)
        .await?
        .into_iter()
        .find(|(s, _)| s == "failed")
        .map_or(0, |(_, n)| n);
    Ok(Status {
        database_up: state.health.database_up(),
        failing_by_kind,
        failing,
        messages_failed,
        stored_value_errors: crate::store::stored_value_errors(),
    })
}
