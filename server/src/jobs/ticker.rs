//! The loop that drives the jobs. It must never stop while the process runs: a VM pause, a
//! wall-clock jump, a slow tick, a job that fails or panics are each logged and counted, and
//! the next tick comes (docs/operations.md, "Scheduler").
//!
//! - The interval is measured on the monotonic clock, so a wall-clock jump neither stops nor
//!   races it; the jobs themselves read the application's clock.
//! - One tick at a time: the next tick starts only after the previous one ended.
//! - Ticks missed during a pause or a long tick are skipped, not queued: one tick runs at once
//!   afterwards, then the rhythm resumes.
//! - Each job runs in a task of its own, so a panic is caught as a failure of that job.
//!
//! (tokio-cron-scheduler, used before, never ran a job again once one of its ticks had been
//! missed, e.g. after a 12 s pause: upstream issue #113.)

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio::time::{Instant, MissedTickBehavior};

use crate::health::Health;

/// What one job of a tick did.
#[derive(Debug)]
pub struct JobOutcome {
    pub job: &'static str,
    pub took: Duration,
    /// None: done; Some(message): failed (an error or a panic).
    pub failure: Option<String>,
    pub panicked: bool,
}

/// Runs `job` in a task of its own and reports how it went; a panic becomes a failure.
pub async fn run_job<F>(job: &'static str, fut: F) -> JobOutcome
where
    F: Future<Output = anyhow::Result<()>> + Send + 'static,
{
    let started = Instant::now();
    let (failure, panicked) = match tokio::spawn(fut).await {
        Ok(Ok(())) => (None, false),
        Ok(Err(e)) => (Some(format!("{e:#}")), false),
        Err(join) if join.is_panic() => {
            let payload = join.into_panic();
            let msg = payload
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "panic".into());
            (Some(format!("panicked: {msg}")), true)
        }
        Err(join) => (Some(format!("cancelled: {join}")), false),
    };
    JobOutcome { job, took: started.elapsed(), failure, panicked }
}

/// Logs and counts one tick's outcomes; warns when the tick took longer than its interval,
/// naming the slowest jobs.
pub fn record(health: &Health, lane: &'static str, outcomes: &[JobOutcome], took: Duration, interval: Duration) {
    for o in outcomes {
        if let Some(msg) = &o.failure {
            health.job_failed(o.job, o.panicked);
            tracing::error!(job = o.job, error = %msg, "job failed; the next tick runs it again");
        }
    }
    health.tick_finished(lane, took, interval);
    if took > interval {
        let mut slow: Vec<&JobOutcome> = outcomes.iter().collect();
        slow.sort_by_key(|o| std::cmp::Reverse(o.took));
        let named: Vec<String> =
            slow.iter().take(3).map(|o| format!("{} {:.1} s", o.job, o.took.as_secs_f64())).collect();
        tracing::warn!(
            lane,
            took_s = took.as_secs_f64(),
            interval_s = interval.as_secs_f64(),
            slowest = %named.join(", "),
            "tick took longer than its interval"
        );
    }
}

/// The running loop; dropping it does not stop it, [`Ticker::stop`] does.
pub struct Ticker {
    stop: watch::Sender<bool>,
    handle: JoinHandle<()>,
}

impl Ticker {
    /// Starts the loop `lane`: `tick` is called at once, then every `interval`.
    pub fn start<F, Fut>(health: Arc<Health>, lane: &'static str, interval: Duration, tick: F) -> Self
    where
        F: Fn() -> Fut + Send + 'static,
        Fut: Future<Output = Vec<JobOutcome>> + Send + 'static,
    {
        let (stop, mut stopped) = watch::channel(false);
        health.lane_started(lane);
        let handle = tokio::spawn(async move {
            let mut every = tokio::time::interval(interval);
            every.set_missed_tick_behavior(MissedTickBehavior::Skip);
            loop {
                tokio::select! {
                    _ = every.tick() => {}
                    _ = stopped.changed() => return,
                }
                let started = Instant::now();
                // The tick itself never panics (its jobs run in their own tasks), but should a
                // bug make it do so, the loop must live on: run it in a task too.
                let outcomes = match tokio::spawn(tick()).await {
                    Ok(o) => o,
                    Err(e) => {
                        vec![JobOutcome {
                            job: "tick",
                            took: started.elapsed(),
                            failure: Some(e.to_string()),
                            panicked: e.is_panic(),
                        }]
                    }
                };
                record(&health, lane, &outcomes, started.elapsed(), interval);
            }
        });
        Self { stop, handle }
    }

    /// Stops the loop after the tick under way, if any.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        let _ = self.handle.await;
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU32, Ordering};

    use super::*;

    fn outcome_of(job: &'static str, fail: bool) -> JobOutcome {
        JobOutcome { job, took: Duration::ZERO, failure: fail.then(|| "boom".into()), panicked: false }
    }

    /// Ticks counted with tokio's paused clock: time is advanced by hand, nothing sleeps.
    #[tokio::test(start_paused = true)]
    async fn a_failing_or_panicking_job_does_not_stop_the_next_tick() {
        let health = Arc::new(Health::default());
        let calls = Arc::new(AtomicU32::new(0));
        let c = calls.clone();
        let ticker = Ticker::start(health.clone(), "test", Duration::from_secs(5), move || {
            let n = c.fetch_add(1, Ordering::SeqCst);
            async move {
                let mut out = vec![
                    run_job("panics", async move {
                        if n.is_multiple_of(2) {
                            panic!("a bug in a job");
                        }
                        Ok(())
                    })
                    .await,
                ];
                out.push(outcome_of("errs", true));
                out.push(outcome_of("works", false));
                out
            }
        });
        for _ in 0..4 {
            tokio::time::sleep(Duration::from_secs(5)).await;
        }
        tokio::task::yield_now().await;
        ticker.stop().await;
        let ticks = health.ticks_done();
        assert!(ticks >= 4, "the loop went on after failures: {ticks} ticks");
        assert_eq!(health.job_failures("errs"), ticks);
        let panics = health.job_failures("panics");
        assert!(panics >= 2, "panics counted as failures");
        assert_eq!(health.job_failures("works"), 0);
        assert!(
            health
                .render(true, Default::default(), Default::default())
                .contains(&format!("relais_tick_panics_total {panics}")),
            "{}",
            health.render(true, Default::default(), Default::default())
        );
    }

    #[tokio::test(start_paused = true)]
    async fn missed_ticks_are_skipped_not_queued_and_ticks_never_overlap() {
        let health = Arc::new(Health::default());
        let running = Arc::new(AtomicU32::new(0));
        let overlaps = Arc::new(AtomicU32::new(0));
        let calls = Arc::new(AtomicU32::new(0));
        let (r, o, c) = (running.clone(), overlaps.clone(), calls.clone());
        let ticker = Ticker::start(health.clone(), "test", Duration::from_secs(5), move || {
            let (r, o, c) = (r.clone(), o.clone(), c.clone());
            async move {
                let n = c.fetch_add(1, Ordering::SeqCst);
                if r.fetch_add(1, Ordering::SeqCst) > 0 {
                    o.fetch_add(1, Ordering::SeqCst);
                }
                // The second tick takes 60 s: twelve intervals.
                if n == 1 {
                    tokio::time::sleep(Duration::from_secs(60)).await;
                }
                r.fetch_sub(1, Ordering::SeqCst);
                vec![outcome_of("slow", false)]
            }
        });
        // 0 s: tick 1; 5 s: tick 2 runs until 65 s; then one catch-up tick, not twelve.
        tokio::time::sleep(Duration::from_secs(66)).await;
        let after_slow = calls.load(Ordering::SeqCst);
        assert_eq!(after_slow, 3, "one tick right after the slow one, the missed ones skipped");
        tokio::time::sleep(Duration::from_secs(20)).await;
        ticker.stop().await;
        let total = calls.load(Ordering::SeqCst);
        assert!((6..=8).contains(&total), "the rhythm resumed: {total} ticks");
        assert_eq!(overlaps.load(Ordering::SeqCst), 0, "ticks never overlap");
        assert!(health.render(true, Default::default(), Default::default()).contains("relais_tick_overruns_total 1"));
    }

    #[tokio::test(start_paused = true)]
    async fn readiness_follows_the_last_tick() {
        let health = Health::default();
        let interval = Duration::from_secs(5);
        assert!(health.scheduler_fresh(interval), "fresh at start");
        tokio::time::advance(Duration::from_secs(14)).await;
        assert!(health.scheduler_fresh(interval), "less than three intervals");
        tokio::time::advance(Duration::from_secs(2)).await;
        assert!(!health.scheduler_fresh(interval), "no tick for three intervals: not ready");
        health.tick_finished("main", Duration::from_millis(3), interval);
        assert!(health.scheduler_fresh(interval));
        // With two loops, both must tick.
        health.lane_started("urgent");
        tokio::time::advance(Duration::from_secs(16)).await;
        health.tick_finished("main", Duration::from_millis(3), interval);
        assert!(!health.scheduler_fresh(interval), "the urgent loop stopped ticking");
        health.tick_finished("urgent", Duration::from_millis(3), interval);
        assert!(health.scheduler_fresh(interval));
    }
}
