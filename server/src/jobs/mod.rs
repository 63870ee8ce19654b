//! Background work. Two loops (`ticker`: loops that survive pauses, clock jumps, slow and failing
//! ticks) ask the database what is due and do it, so a restart or a second instance never skips
//! or doubles work. Every job is a public function of (state, now) that tests drive directly;
//! `urgent_tick` and `tick` are what the production loops run.

pub mod billing;
pub mod digest;
pub mod due_work;
pub mod escalation;
pub mod pathway;
pub mod questionnaires;
pub mod refills;
pub mod reminders;
pub mod retention;
pub mod self_check;
pub mod ticker;

use std::time::Duration;

use crate::AppState;
use ticker::{JobOutcome, Ticker, run_job};

/// The two loops: `urgent` (alert escalations and delivery) and `main` (everything else).
pub struct Scheduler {
    urgent: Ticker,
    main: Ticker,
}

impl Scheduler {
    pub async fn stop(self) {
        self.urgent.stop().await;
        self.main.stop().await;
    }
}

/// Starts both loops; the first tick of each runs at once, so work missed while down is caught
/// up. Two loops, so that a red escalation or an alert's email never waits behind a burst of
/// reminders or a long planning pass: each loop ticks on its own, one tick at a time.
pub fn start(state: AppState) -> Scheduler {
    let interval = Duration::from_secs(u64::from(state.settings.scheduler.tick_seconds));
    let s = state.clone();
    let urgent = Ticker::start(state.health.clone(), "urgent", interval, move || {
        let state = s.clone();
        async move { urgent_tick(&state).await }
    });
    let main = Ticker::start(state.health.clone(), "main", interval, move || {
        let state = state.clone();
        async move { tick(&state).await }
    });
    Scheduler { urgent, main }
}

/// A tick with no database does nothing but say so (once: `Health` logs the change).
async fn database_unreachable(state: &AppState) -> Option<Vec<JobOutcome>> {
    match crate::store::ping(&state.db).await {
        Ok(()) => {
            state.health.database_ok();
            None
        }
        Err(e) => {
            state.health.database_down(&e);
            Some(vec![JobOutcome {
                job: "database",
                took: Duration::ZERO,
                failure: Some(e.to_string()),
                panicked: false,
            }])
        }
    }
}

/// What must never wait: red and amber escalations, and the delivery of the professionals'
/// messages (alerts, escalations), side by side.
pub async fn urgent_tick(state: &AppState) -> Vec<JobOutcome> {
    if let Some(down) = database_unreachable(state).await {
        return down;
    }
    let now = state.now();
    let e = state.clone();
    let escalation = run_job("escalation", async move { escalation::run_escalations(&e, now).await.map(drop) });
    let d = state.clone();
    let delivery =
        run_job("delivery_staff", async move { crate::notify::delivery::deliver_staff_due(&d, now).await.map(drop) });
    let (a, b) = tokio::join!(escalation, delivery);
    vec![a, b]
}

/// One pass over every other job, in order, beside the delivery of the patients' messages; a
/// job that fails (or panics) is logged and counted, and the others go on.
pub async fn tick(state: &AppState) -> Vec<JobOutcome> {
    if let Some(down) = database_unreachable(state).await {
        return down;
    }
    let now = state.now();
    let jobs = async {
        let mut out = Vec::new();
        macro_rules! job {
            ($name:literal, $f:path) => {{
                let st = state.clone();
                out.push(run_job($name, async move { $f(&st, now).await.map(drop) }).await);
            }};
        }
        job!("transitions", pathway::run_transitions);
        job!("due_work", due_work::dispatch_due);
        job!("digest", digest::run_digest);
        job!("billing", billing::run);
        job!("self_check", self_check::run_if_due);
        job!("retention", retention::run_if_due);
        out
    };
    let d = state.clone();
    let delivery =
        run_job(
            "delivery_patients",
            async move { crate::notify::delivery::deliver_patients_due(&d, now).await.map(drop) },
        );
    let (mut out, delivered) = tokio::join!(jobs, delivery);
    out.push(delivered);
    out
}
