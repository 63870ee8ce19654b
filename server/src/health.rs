//! What the process knows about its own health: the scheduler's ticks, the database's
//! reachability and the self-check's repairs. Read by `/readyz` and `/metrics`, written by the
//! tick loop (`jobs::ticker`) and by the error path of the HTTP layer. Kept per process, in
//! memory: it describes this instance, not the site (docs/operations.md, "Health").

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

// tokio's Instant: the monotonic clock, which tests can pause and advance.
use tokio::time::Instant;

#[derive(Default)]
struct Ticks {
    /// Per loop (`urgent`, `main`): when its last tick finished (monotonic), or when the loop
    /// started if none has yet.
    lanes: BTreeMap<&'static str, Instant>,
    /// When the last tick of any loop finished, in Unix seconds (for the metric: a scraper
    /// compares it with its own clock).
    last_finished_unix: f64,
    last_duration: Duration,
    count: u64,
    /// Job name → failures (an error or a panic), since the process started.
    failures: BTreeMap<&'static str, u64>,
    panics: u64,
    /// Ticks that took longer than the interval.
    overruns: u64,
}

pub struct Health {
    started: Instant,
    ticks: Mutex<Ticks>,
    /// False from the moment a request or a job found the database unreachable until a query
    /// succeeds again; each change is logged once.
    db_up: AtomicBool,
    db_outages: AtomicU64,
    unavailable_answers: AtomicU64,
    self_check_repairs: AtomicU64,
    self_check_runs: AtomicU64,
    /// 1 when this process started with a VAPID key other than the one registered phones
    /// subscribed with.
    vapid_key_changed: AtomicBool,
    purged_rows: AtomicU64,
    /// Job name → when this process last ran it (jobs that run hourly or daily).
    last_runs: Mutex<BTreeMap<&'static str, chrono::DateTime<chrono::Utc>>>,
}

impl Default for Health {
    fn default() -> Self {
        Self {
            started: Instant::now(),
            ticks: Mutex::default(),
            db_up: AtomicBool::new(true),
            db_outages: AtomicU64::new(0),
            unavailable_answers: AtomicU64::new(0),
            self_check_repairs: AtomicU64::new(0),
            self_check_runs: AtomicU64::new(0),
            vapid_key_changed: AtomicBool::new(false),
            purged_rows: AtomicU64::new(0),
            last_runs: Mutex::default(),
        }
    }
}

/// Why `/readyz` says no.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotReady {
    Database,
    Scheduler,
}

impl NotReady {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Database => "database",
            Self::Scheduler => "scheduler",
        }
    }
}

impl Health {
    fn ticks<R>(&self, f: impl FnOnce(&mut Ticks) -> R) -> R {
        f(&mut self.ticks.lock().unwrap_or_else(|e| e.into_inner()))
    }

    /// A loop started: readiness waits for its ticks from now on.
    pub fn lane_started(&self, lane: &'static str) {
        self.ticks(|t| {
            t.lanes.insert(lane, Instant::now());
        });
    }

    /// A tick of `lane` ended (whatever its jobs did).
    pub fn tick_finished(&self, lane: &'static str, took: Duration, interval: Duration) {
        let unix = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0.0, |d| d.as_secs_f64());
        self.ticks(|t| {
            t.lanes.insert(lane, Instant::now());
            t.last_finished_unix = unix;
            t.last_duration = took;
            t.count += 1;
            if took > interval {
                t.overruns += 1;
            }
        });
    }

    /// A job of a tick failed; `panicked` when it panicked rather than returned an error.
    pub fn job_failed(&self, job: &'static str, panicked: bool) {
        self.ticks(|t| {
            *t.failures.entry(job).or_default() += 1;
            if panicked {
                t.panics += 1;
            }
        });
    }

    /// Whether a periodic job should run now, given when this process last ran it (`None`:
    /// never, i.e. at start-up); if so, remembers `now` as its last run.
    pub fn claim_run(
        &self,
        job: &'static str,
        now: chrono::DateTime<chrono::Utc>,
        due: impl FnOnce(Option<chrono::DateTime<chrono::Utc>>) -> bool,
    ) -> bool {
        let mut runs = self.last_runs.lock().unwrap_or_else(|e| e.into_inner());
        let go = due(runs.get(job).copied());
        if go {
            runs.insert(job, now);
        }
        go
    }

    pub fn ticks_done(&self) -> u64 {
        self.ticks(|t| t.count)
    }

    pub fn job_failures(&self, job: &str) -> u64 {
        self.ticks(|t| t.failures.get(job).copied().unwrap_or(0))
    }

    /// Whether the scheduler is alive: the last tick of each of its loops finished less than
    /// three intervals ago (or, before the first one, the loop started less than three
    /// intervals ago; with no loop yet, the process did).
    pub fn scheduler_fresh(&self, interval: Duration) -> bool {
        let lanes: Vec<Instant> = self.ticks(|t| t.lanes.values().copied().collect());
        if lanes.is_empty() {
            return self.started.elapsed() < interval * 3;
        }
        lanes.iter().all(|since| since.elapsed() < interval * 3)
    }

    /// The database answered (a query succeeded). Logs the return after an outage.
    pub fn database_ok(&self) {
        if !self.db_up.swap(true, Ordering::SeqCst) {
            tracing::warn!("database reachable again");
        }
    }

    /// The database did not answer. Logs the start of an outage once.
    pub fn database_down(&self, error: &dyn std::fmt::Display) {
        if self.db_up.swap(false, Ordering::SeqCst) {
            self.db_outages.fetch_add(1, Ordering::Relaxed);
            tracing::error!(error = %error, "database unreachable: answering 503 and retrying until it returns");
        }
    }

    pub fn database_up(&self) -> bool {
        self.db_up.load(Ordering::SeqCst)
    }

    /// A request answered 503 because the database was unreachable.
    pub fn unavailable_answer(&self) {
        self.unavailable_answers.fetch_add(1, Ordering::Relaxed);
    }

    pub fn self_check_ran(&self, repaired: u64) {
        self.self_check_runs.fetch_add(1, Ordering::Relaxed);
        self.self_check_repairs.fetch_add(repaired, Ordering::Relaxed);
    }

    pub fn self_check_repairs(&self) -> u64 {
        self.self_check_repairs.load(Ordering::Relaxed)
    }

    pub fn vapid_key_changed(&self) {
        self.vapid_key_changed.store(true, Ordering::Relaxed);
    }

    pub fn purged(&self, rows: u64) {
        self.purged_rows.fetch_add(rows, Ordering::Relaxed);
    }

    /// Prometheus text (format 0.0.4) of what this holds.
    pub fn render(
        &self,
        scheduler_enabled: bool,
        intake: crate::store::group_commit::Counts,
        intake_reads: crate::store::group_commit::Counts,
    ) -> String {
        let (last_unix, last_duration, count, failures, panics, overruns) =
            self.ticks(|t| (t.last_finished_unix, t.last_duration, t.count, t.failures.clone(), t.panics, t.overruns));
        let mut out = String::new();
        let mut metric = |name: &str, kind: &str, help: &str, lines: Vec<String>| {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
            for l in lines {
                let _ = writeln!(out, "{name}{l}");
            }
        };
        metric(
            "relais_scheduler_enabled",
            "gauge",
            "1 when this instance runs the jobs.",
            vec![format!(" {}", u8::from(scheduler_enabled))],
        );
        metric(
            "relais_tick_last_success_timestamp_seconds",
            "gauge",
            "Unix time at which the last scheduler tick finished (0: none yet).",
            vec![format!(" {last_unix:.3}")],
        );
        metric(
            "relais_tick_duration_seconds",
            "gauge",
            "How long the last tick took.",
            vec![format!(" {:.6}", last_duration.as_secs_f64())],
        );
        metric("relais_ticks_total", "counter", "Scheduler ticks finished.", vec![format!(" {count}")]);
        metric(
            "relais_tick_failures_total",
            "counter",
            "Jobs of a tick that failed (an error or a panic), by job.",
            if failures.is_empty() {
                vec![]
            } else {
                failures.iter().map(|(job, n)| format!("{{job=\"{job}\"}} {n}")).collect()
            },
        );
        metric("relais_tick_panics_total", "counter", "Jobs of a tick that panicked.", vec![format!(" {panics}")]);
        metric(
            "relais_tick_overruns_total",
            "counter",
            "Ticks that took longer than their interval.",
            vec![format!(" {overruns}")],
        );
        metric(
            "relais_database_up",
            "gauge",
            "0 while the database is unreachable.",
            vec![format!(" {}", u8::from(self.database_up()))],
        );
        metric(
            "relais_database_outages_total",
            "counter",
            "Times the database became unreachable.",
            vec![format!(" {}", self.db_outages.load(Ordering::Relaxed))],
        );
        metric(
            "relais_unavailable_responses_total",
            "counter",
            "Requests answered 503 because the database was unreachable.",
            vec![format!(" {}", self.unavailable_answers.load(Ordering::Relaxed))],
        );
        metric(
            "relais_self_check_runs_total",
            "counter",
            "Self-checks of the episodes' planning run.",
            vec![format!(" {}", self.self_check_runs.load(Ordering::Relaxed))],
        );
        metric(
            "relais_self_check_repairs_total",
            "counter",
            "Active episodes found without their planning and repaired by the self-check.",
            vec![format!(" {}", self.self_check_repairs())],
        );
        metric(
            "relais_vapid_key_changed",
            "gauge",
            "1 when the VAPID key differs from the one registered phones subscribed with.",
            vec![format!(" {}", u8::from(self.vapid_key_changed.load(Ordering::Relaxed)))],
        );
        metric(
            "relais_retention_purged_rows_total",
            "counter",
            "Rows purged by the retention job.",
            vec![format!(" {}", self.purged_rows.load(Ordering::Relaxed))],
        );
        let c = intake;
        metric(
            "relais_group_commit_batches_total",
            "counter",
            "Write transactions of the report intake's group commit that committed.",
            vec![format!(" {}", c.batches)],
        );
        metric(
            "relais_group_commit_reports_total",
            "counter",
            "Reports stored by the report intake's group commit.",
            vec![format!(" {}", c.stored)],
        );
        metric(
            "relais_group_commit_failures_total",
            "counter",
            "Reports of the group commit not stored for a failure (the database unreachable, or their own transaction refused).",
            vec![format!(" {}", c.failures)],
        );
        metric(
            "relais_group_commit_retried_total",
            "counter",
            "Group commit batches rolled back and stored again one report per transaction, so that a failing report fails alone.",
            vec![format!(" {}", c.retried)],
        );
        let r = intake_reads;
        metric(
            "relais_intake_read_batches_total",
            "counter",
            "Statements that read the context of phones' reports queued together (PostgreSQL).",
            vec![format!(" {}", r.batches)],
        );
        metric(
            "relais_intake_read_failures_total",
            "counter",
            "Reads of a report's context that failed (the database unreachable, or the read refused): the phone got an error and sends again.",
            vec![format!(" {}", r.failures)],
        );
        metric(
            "relais_intake_read_retried_total",
            "counter",
            "Batched context reads refused as a whole and read again one report at a time.",
            vec![format!(" {}", r.retried)],
        );
        metric(
            "relais_stored_value_errors_total",
            "counter",
            "Values read from an enumerated column that the code does not know (refused, never defaulted).",
            vec![format!(" {}", crate::store::stored_value_errors())],
        );
        out
    }
}

/// Whether a database error means the database could not be reached (as opposed to a query
/// it refused): a connection that failed, was cut, or could not be had from the pool.
pub fn is_unreachable(e: &sea_orm::DbErr) -> bool {
    use sea_orm::{DbErr, RuntimeErr};
    let sqlx_unreachable = |r: &RuntimeErr| match r {
        RuntimeErr::SqlxError(s) => {
            matches!(
                &**s,
                sea_orm::sqlx::Error::Io(_)
                    | sea_orm::sqlx::Error::PoolTimedOut
                    | sea_orm::sqlx::Error::PoolClosed
                    | sea_orm::sqlx::Error::WorkerCrashed
                    | sea_orm::sqlx::Error::Tls(_)
                    | sea_orm::sqlx::Error::Protocol(_)
            ) || admin_shutdown(s)
        }
        _ => false,
    };
    match e {
        // No connection could be had or opened: the database is not there (refused, down, not
        // accepting connections), whatever the driver's detail.
        DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => true,
        DbErr::Exec(r) | DbErr::Query(r) => sqlx_unreachable(r),
        _ => false,
    }
}

/// PostgreSQL's "terminating connection due to administrator command" (57P01), "the database
/// system is shutting down / starting up" (57P03, 57P02) and "cannot connect now": the server
/// is going away or not there yet.
fn admin_shutdown(e: &sea_orm::sqlx::Error) -> bool {
    match e {
        sea_orm::sqlx::Error::Database(d) => {
            matches!(d.code().as_deref(), Some("57P01" | "57P02" | "57P03" | "08000" | "08003" | "08006"))
        }
        _ => false,
    }
}

/// [`is_unreachable`] through an `anyhow` chain.
pub fn is_unreachable_any(e: &anyhow::Error) -> bool {
    e.chain().any(|c| c.downcast_ref::<sea_orm::DbErr>().is_some_and(is_unreachable))
}
