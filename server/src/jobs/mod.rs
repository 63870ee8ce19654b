//! Background work. tokio-cron-scheduler is only the clock: each tick asks the database what
//! is due and does it, so a restart or a second instance never skips or doubles work. Every job
//! is a public function of (state, now) that tests drive directly.

pub mod billing;
pub mod digest;
pub mod escalation;
pub mod pathway;
pub mod questionnaires;
pub mod reminders;

use std::time::Duration;

use tokio_cron_scheduler::{Job, JobScheduler};

use crate::AppState;

/// Starts the tick; the first tick runs at once so work missed while down is caught up.
pub async fn start(state: AppState) -> anyhow::Result<JobScheduler> {
    let sched = JobScheduler::new().await?;
    let period = Duration::from_secs(u64::from(state.settings.scheduler.tick_seconds));
    let tick_state = state.clone();
    sched
        .add(Job::new_repeated_async(period, move |_id, _s| {
            let state = tick_state.clone();
            Box::pin(async move { tick(&state).await })
        })?)
        .await?;
    sched.start().await?;
    tick(&state).await;
    Ok(sched)
}

/// One pass over every job; an error in one is logged and the others go on. Delivery runs
/// beside the other jobs rather than after them, so a long burst of reminders never holds back
/// the sending of an alert raised meanwhile.
pub async fn tick(state: &AppState) {
    let now = state.now();
    let jobs = async {
        if let Err(e) = pathway::run_transitions(state, now).await {
            tracing::error!(error = %e, "sequence transitions failed");
        }
        if let Err(e) = reminders::dispatch_due(state, now).await {
            tracing::error!(error = %e, "due work failed");
        }
        if let Err(e) = escalation::run_escalations(state, now).await {
            tracing::error!(error = %e, "alert escalation failed");
        }
        if let Err(e) = digest::run_digest(state, now).await {
            tracing::error!(error = %e, "daily digest failed");
        }
        if let Err(e) = billing::run(state, now).await {
            tracing::error!(error = %e, "billing failed");
        }
    };
    let delivery = async {
        if let Err(e) = crate::notify::delivery::deliver_due(state, now).await {
            tracing::error!(error = %e, "delivery failed");
        }
    };
    tokio::join!(jobs, delivery);
}
