//! Background work. A tick (`ticker`: a loop that survives pauses, clock jumps, slow and failing
//! ticks) asks the database what is due and does it, so a restart or a second instance never
//! skips or doubles work. Every job is a public function of (state, now) that tests drive
//! directly; `tick` is what the production loop runs.

pub mod billing;
pub mod digest;
pub mod escalation;
pub mod pathway;
pub mod questionnaires;
pub mod reminders;
pub mod retention;
pub mod self_check;
pub mod ticker;

use std::time::Duration;

use crate::AppState;
use ticker::{JobOutcome, Ticker, run_job};

/// Starts the tick loop; the first tick runs at once, so work missed while down is caught up.
pub fn start(state: AppState) -> Ticker {
    let interval = Duration::from_secs(u64::from(state.settings.scheduler.tick_seconds));
    let health = state.health.clone();
    Ticker::start(health, interval, move || {
        let state = state.clone();
        async move { tick(&state).await }
    })
}

/// One pass over every job; a job that fails (or panics) is logged and counted, and the others
/// go on. Delivery runs beside the other jobs rather than after them, so a long burst of
/// reminders never holds back the sending of an alert raised meanwhile.
pub async fn tick(state: &AppState) -> Vec<JobOutcome> {
    let now = state.now();
    // A tick with no database does nothing but say so (once: `Health` logs the change).
    if let Err(e) = crate::store::ping(&state.db).await {
        state.health.database_down(&e);
        return vec![JobOutcome {
            job: "database",
            took: Duration::ZERO,
            failure: Some(e.to_string()),
            panicked: false,
        }];
    }
    state.health.database_ok();
    let s = state.clone();
    let jobs = async move {
        let mut out = Vec::new();
        macro_rules! job {
            ($name:literal, $f:expr) => {{
                let st = s.clone();
                out.push(run_job($name, async move { $f(st, now).await }).await);
            }};
        }
        job!("transitions", |st: AppState, now| async move { pathway::run_transitions(&st, now).await.map(drop) });
        job!("due_work", |st: AppState, now| async move { reminders::dispatch_due(&st, now).await.map(drop) });
        job!("escalation", |st: AppState, now| async move { escalation::run_escalations(&st, now).await.map(drop) });
        job!("digest", |st: AppState, now| async move { digest::run_digest(&st, now).await.map(drop) });
        job!("billing", |st: AppState, now| async move { billing::run(&st, now).await.map(drop) });
        job!("self_check", |st: AppState, now| async move { self_check::run_if_due(&st, now).await.map(drop) });
        job!("retention", |st: AppState, now| async move { retention::run_if_due(&st, now).await.map(drop) });
        out
    };
    let d = state.clone();
    let delivery = run_job("delivery", async move { crate::notify::delivery::deliver_due(&d, now).await.map(drop) });
    let (mut out, delivered) = tokio::join!(jobs, delivery);
    out.push(delivered);
    out
}
