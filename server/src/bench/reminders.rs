//! `relais bench reminders`: the reminder burst of docs/design.md "Scale targets" — N patients with
//! two doses each due in the same minute (2N reminders), dispatched by the real scheduler
//! (`jobs::due_work::dispatch_due`) against a fresh database; then the planning of the next
//! local day for every episode. Seeding is timed apart and is not part of the measure.

use std::sync::Arc;
use std::time::{Duration as StdDuration, Instant};

use anyhow::Context;
use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use sea_orm::{
    ActiveValue::Set, ConnectionTrait, DatabaseConnection, EntityTrait, FromQueryResult, Statement, TransactionTrait,
};

use crate::cli::Usage;
use crate::jobs::{due_work as worker, reminders};
use crate::store::due_work::{DueWork, new_row};
use crate::store::entities::{
    care_team, dose, episode, establishment, patient, pharmacy, professional, regimen_line, sequence,
};
use crate::store::{self, new_id};
use crate::{AppState, ManualClock, Rules, Settings};

/// Patients seeded per transaction.
const SLAB: usize = 2_500;
/// Rows per multi-row INSERT (at most 15 columns: well under both engines' bind limits).
const ROWS: usize = 1_000;

/// The instant every reminder is due: Monday 23 November 2026, 08:00 in Paris.
fn due_instant() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 23, 7, 0, 0).unwrap()
}

fn day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 23).unwrap()
}

pub async fn run(patients: usize, database: Option<String>) -> anyhow::Result<()> {
    anyhow::ensure!(patients > 0, Usage("--patients: at least 1".into()));
    let mut env: Vec<(String, String)> = std::env::vars().collect();
    if let Some(url) = database {
        env.push(("RELAIS__DATABASE__URL".into(), url));
    }
    env.push(("RELAIS__SCHEDULER__ENABLED".into(), "false".into()));
    let settings = Settings::load_from(None, &env)?;
    let rules = Rules::load(&settings.rules.dir)?;
    let t = due_instant();
    let now = t + Duration::seconds(30);
    let clock = Arc::new(ManualClock::new(now));
    let state = AppState::connect(settings, rules, clock.clone()).await?;
    let db = &state.db;
    let backend = if store::is_postgres(db) { "PostgreSQL" } else { "SQLite" };
    let existing = count(db, "patients").await?;
    if existing > 0 {
        return Err(Usage(format!(
            "the benchmark needs a fresh database; this one holds {existing} patients (use an empty database)"
        ))
        .into());
    }

    // Seeding (not measured).
    eprintln!("seeding {patients} patients, {} doses and reminders on {backend}...", 2 * patients);
    let started = Instant::now();
    let episodes = seed(db, patients, t).await?;
    if store::is_postgres(db) {
        db.execute_unprepared("ANALYZE").await?;
    }
    let seeding = started.elapsed();
    eprintln!("seeded in {:.1} s", seeding.as_secs_f64());

    // Phase 1: the burst.
    reset_peak_rss();
    let rss_before = rss_kib("VmHWM");
    let cpu_before = cpu_seconds();
    let start = Instant::now();
    let done = std::sync::Mutex::new(Vec::<(usize, StdDuration)>::new());
    let stats = worker::dispatch_due_observed(&state, now, |n| done.lock().unwrap().push((n, start.elapsed()))).await?;
    let done = done.into_inner().unwrap();
    let cpu_after = cpu_seconds();
    let wall = start.elapsed();
    let rss_after = rss_kib("VmHWM");
    let outbox = count(db, "outbox").await?;
    let reminded = count_where(db, "doses", "reminders_sent = 1").await?;
    let (p50, p99, max) = lateness(&done);

    // Phase 2: the next occurrences (plan_day of the next local day for every episode).
    let midnight = reminders::local_midnight(chrono_tz::Europe::Paris, day().succ_opt().unwrap());
    let started = Instant::now();
    schedule_planning(db, &episodes, midnight).await?;
    let scheduling = started.elapsed();
    drop(episodes);
    clock.set(midnight);
    reset_peak_rss();
    let rss2_before = rss_kib("VmHWM");
    let start2 = Instant::now();
    let plan_stats = worker::dispatch_due(&state, midnight).await?;
    let wall2 = start2.elapsed();
    let rss2_after = rss_kib("VmHWM");
    let doses_next = count_where(db, "doses", "local_date <> (SELECT MIN(local_date) FROM doses)").await?;
    let work_next = count_where(db, "due_work", "done_at IS NULL").await?;

    let total = stats.claimed;
    let rate = total as f64 / wall.as_secs_f64();
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines().find(|l| l.starts_with("model name")).map(|l| l.split(':').nth(1).unwrap_or("").trim().to_owned())
        })
        .unwrap_or_default();
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0);
    println!();
    println!("### Reminder burst — {backend}, {patients} patients ({cores} cores, {cpu})");
    println!();
    println!("| Measure | Value |");
    println!("|---|---|");
    println!("| Seeding (not measured) | {:.1} s |", seeding.as_secs_f64());
    println!("| Reminders due at the same instant | {} |", 2 * patients);
    println!("| Items claimed | {total} (batches: {}) |", done.len());
    println!(
        "| Reminders written to the outbox | {} (outbox rows: {outbox}; doses counted: {reminded}) |",
        stats.reminders_sent
    );
    println!("| Wall time | {:.2} s |", wall.as_secs_f64());
    println!("| Throughput | {rate:.0} reminders/s |");
    println!(
        "| CPU during the burst: relais / database and the rest / idle | {:.1} s / {:.1} s / {:.1} s |",
        cpu_after.0 - cpu_before.0,
        cpu_after.1 - cpu_before.1,
        cpu_after.2 - cpu_before.2
    );
    println!("| Lateness p50 / p99 / max | {:.2} s / {:.2} s / {:.2} s |", p50, p99, max);
    println!(
        "| Peak RSS (VmHWM) before / after | {:.1} MiB / {:.1} MiB |",
        rss_before as f64 / 1024.0,
        rss_after as f64 / 1024.0
    );
    println!(
        "| Next occurrences: scheduling {} plan_day items (not measured) | {:.1} s |",
        plan_stats.claimed,
        scheduling.as_secs_f64()
    );
    println!(
        "| Next occurrences: plan_day wall time | {:.2} s ({:.0} episodes/s) |",
        wall2.as_secs_f64(),
        plan_stats.claimed as f64 / wall2.as_secs_f64()
    );
    println!(
        "| Next occurrences: doses planned | {} (in the table: {doses_next}; due work scheduled: {work_next}) |",
        plan_stats.planned_doses
    );
    println!(
        "| Next occurrences: peak RSS before / after | {:.1} MiB / {:.1} MiB |",
        rss2_before as f64 / 1024.0,
        rss2_after as f64 / 1024.0
    );
    println!();
    anyhow::ensure!(outbox == (2 * patients) as i64, "outbox holds {outbox} rows, expected {}", 2 * patients);
    anyhow::ensure!(total == 2 * patients, "claimed {total} items, expected {}", 2 * patients);
    Ok(())
}

/// p50, p99 and max lateness in seconds: an item is late by the time its batch committed,
/// counted from the start of the dispatch (the instant the burst fell due).
fn lateness(done: &[(usize, StdDuration)]) -> (f64, f64, f64) {
    let total: usize = done.iter().map(|(n, _)| n).sum();
    let at = |q: f64| {
        let rank = ((q * total as f64).ceil() as usize).max(1);
        let mut seen = 0;
        for (n, t) in done {
            seen += n;
            if seen >= rank {
                return t.as_secs_f64();
            }
        }
        0.0
    };
    (at(0.50), at(0.99), done.last().map(|(_, t)| t.as_secs_f64()).unwrap_or(0.0))
}

fn rss_kib(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse().ok()))
        })
        .unwrap_or(0)
}

/// CPU time in seconds (Linux, 100 ticks/s): (this process, every other process, idle) since boot.
pub(super) fn cpu_seconds() -> (f64, f64, f64) {
    let own = std::fs::read_to_string("/proc/self/stat")
        .ok()
        .map(|s| {
            // Fields after the command name, which is in parentheses.
            let rest = s.rsplit_once(')').map(|(_, r)| r.to_owned()).unwrap_or_default();
            let f: Vec<&str> = rest.split_whitespace().collect();
            let field = |i: usize| f.get(i).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
            // `rest` starts at field 3 (the state): utime (14) and stime (15) are its 12th and 13th.
            field(11) + field(12)
        })
        .unwrap_or(0);
    let (busy, idle) = std::fs::read_to_string("/proc/stat")
        .ok()
        .and_then(|s| {
            let f: Vec<u64> = s.lines().next()?.split_whitespace().skip(1).filter_map(|v| v.parse().ok()).collect();
            let idle = f.get(3).copied().unwrap_or(0) + f.get(4).copied().unwrap_or(0);
            Some((f.iter().sum::<u64>() - idle, idle))
        })
        .unwrap_or((0, 0));
    (own as f64 / 100.0, busy.saturating_sub(own) as f64 / 100.0, idle as f64 / 100.0)
}

/// Resets VmHWM to the current RSS (Linux), so each phase's peak is its own.
fn reset_peak_rss() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

#[derive(FromQueryResult)]
struct Count {
    n: i64,
}

async fn count(db: &DatabaseConnection, table: &str) -> anyhow::Result<i64> {
    count_where(db, table, "1 = 1").await
}

async fn count_where(db: &DatabaseConnection, table: &str, cond: &str) -> anyhow::Result<i64> {
    let stmt =
        Statement::from_string(db.get_database_backend(), format!("SELECT COUNT(*) AS n FROM {table} WHERE {cond}"));
    Ok(Count::find_by_statement(stmt).one(db).await?.map(|c| c.n).unwrap_or(0))
}

/// Seeds the site, the patients and the burst with multi-row INSERTs; returns the episode ids.
async fn seed(db: &DatabaseConnection, n: usize, t: DateTime<Utc>) -> anyhow::Result<Vec<String>> {
    let now = t - Duration::days(1);
    let est = new_id();
    let pharm = new_id();
    let (idec, onco) = (new_id(), new_id());
    establishment::Entity::insert(establishment::ActiveModel {
        id: Set(est.clone()),
        finess: Set("750000001".into()),
        name: Set("Bench hospital".into()),
        phone_24h: Set("+33100000000".into()),
        calendar: Set("fr".into()),
        time_zone: Set("Europe/Paris".into()),
        backup_emails: Set("[]".into()),
        created_at: Set(now),
    })
    .exec_without_returning(db)
    .await?;
    pharmacy::Entity::insert(pharmacy::ActiveModel {
        id: Set(pharm.clone()),
        finess: Set("750000002".into()),
        name: Set("Bench pharmacy".into()),
        phone: Set(None),
        email: Set(None),
        city: Set(Some("Paris".into())),
        created_at: Set(now),
    })
    .exec_without_returning(db)
    .await?;
    for (id, role, email) in [(&idec, "idec", "idec@bench.invalid"), (&onco, "oncologist", "onco@bench.invalid")] {
        professional::Entity::insert(professional::ActiveModel {
            id: Set(id.clone()),
            email: Set(email.into()),
            rpps: Set(None),
            role: Set(role.into()),
            family_name: Set("Bench".into()),
            given_name: Set(role.into()),
            phone: Set(None),
            establishment_id: Set(Some(est.clone())),
            pharmacy_id: Set(None),
            on_call: Set(false),
            password_hash: Set("!".into()),
            failed_logins: Set(0),
            locked_until: Set(None),
            active: Set(true),
            created_at: Set(now),
            locale: Set("fr".to_owned()),
        })
        .exec_without_returning(db)
        .await?;
    }

    let start = day();
    let mut episodes = Vec::with_capacity(n);
    let mut from = 0;
    while from < n {
        let to = (from + SLAB).min(n);
        let (mut ps, mut eps, mut seqs, mut teams, mut lines, mut ds, mut work) =
            (vec![], vec![], vec![], vec![], vec![], vec![], vec![]);
        for i in from..to {
            let (pid, eid) = (new_id(), new_id());
            ps.push(patient::ActiveModel {
                id: Set(pid.clone()),
                establishment_id: Set(est.clone()),
                family_name: Set("Bench".into()),
                given_name: Set(format!("P{i}")),
                birth_date: Set(NaiveDate::from_ymd_opt(1960, 1, 1).unwrap()),
                ins: Set(None),
                phone: Set(None),
                email: Set(None),
                time_zone: Set("Europe/Paris".into()),
                locale: Set(if i % 5 == 0 { "en" } else { "fr" }.into()),
                created_at: Set(now),
                created_by: Set(onco.clone()),
            });
            eps.push(episode::ActiveModel {
                id: Set(eid.clone()),
                patient_id: Set(pid.clone()),
                establishment_id: Set(est.clone()),
                parcours: Set("A".into()),
                indication: Set(None),
                start_date: Set(start),
                end_date: Set(None),
                end_reason: Set(None),
                baseline_weight_kg: Set(None),
                previous_episode_id: Set(None),
                created_at: Set(now),
                created_by: Set(onco.clone()),
            });
            seqs.push(sequence::ActiveModel {
                id: Set(new_id()),
                episode_id: Set(eid.clone()),
                ordinal: Set(1),
                kind: Set("S1".into()),
                renewal_index: Set(0),
                start_date: Set(start),
                planned_end_date: Set(start + Duration::days(28)),
                actual_end_date: Set(None),
                state: Set("active".into()),
                automatic: Set(false),
                decision: Set(None),
                decision_by: Set(None),
                decision_at: Set(None),
                created_at: Set(now),
            });
            teams.push(care_team::ActiveModel {
                id: Set(new_id()),
                episode_id: Set(eid.clone()),
                idec_id: Set(idec.clone()),
                oncologist_id: Set(onco.clone()),
                hospital_pharmacist_id: Set(None),
                pharmacy_id: Set(Some(pharm.clone())),
                gp_id: Set(None),
                community_nurse_id: Set(None),
                valid_from: Set(start),
                valid_to: Set(None),
                created_at: Set(now),
                changed_by: Set(None),
            });
            // Two drugs, both at 08:00: both doses of the patient fall due in the same minute.
            for drug in ["capecitabine", "imatinib"] {
                let (lid, did) = (new_id(), new_id());
                lines.push(regimen_line::ActiveModel {
                    id: Set(lid.clone()),
                    episode_id: Set(eid.clone()),
                    drug: Set(drug.into()),
                    dose: Set("1 tablet".into()),
                    times: Set(r#"["08:00"]"#.into()),
                    cycle_on_days: Set(None),
                    cycle_off_days: Set(None),
                    cycle_length_days: Set(None),
                    cycle_on: Set(None),
                    dose_steps: Set(None),
                    dose_computation: Set(None),
                    start_date: Set(start),
                    end_date: Set(None),
                    replaces_id: Set(None),
                    created_at: Set(now),
                    created_by: Set(onco.clone()),
                });
                ds.push(dose::ActiveModel {
                    id: Set(did.clone()),
                    patient_id: Set(pid.clone()),
                    episode_id: Set(eid.clone()),
                    line_id: Set(lid),
                    drug: Set(drug.into()),
                    local_date: Set(start),
                    local_time: Set("08:00".into()),
                    due_at: Set(t),
                    status: Set("pending".into()),
                    reported_at: Set(None),
                    taken_at: Set(None),
                    late: Set(false),
                    reminders_sent: Set(0),
                    created_at: Set(now),
                });
                work.push(new_row(&DueWork::DoseReminder { dose_id: did }, t, now));
            }
            episodes.push(eid);
        }
        let txn = db.begin().await?;
        insert_all(&txn, ps).await?;
        insert_all(&txn, eps).await?;
        insert_all(&txn, seqs).await?;
        insert_all(&txn, teams).await?;
        insert_all(&txn, lines).await?;
        insert_all(&txn, ds).await?;
        insert_all(&txn, work).await?;
        txn.commit().await.context("seeding")?;
        from = to;
    }
    Ok(episodes)
}

async fn insert_all<A>(db: &impl ConnectionTrait, rows: Vec<A>) -> anyhow::Result<()>
where
    A: sea_orm::ActiveModelTrait + Clone + Send,
{
    for chunk in rows.chunks(ROWS) {
        <A::Entity as EntityTrait>::insert_many(chunk.to_vec()).exec_without_returning(db).await?;
    }
    Ok(())
}

/// Schedules the planning of the next local day for every episode.
async fn schedule_planning(db: &DatabaseConnection, episodes: &[String], at: DateTime<Utc>) -> anyhow::Result<()> {
    for slab in episodes.chunks(SLAB * 4) {
        let txn = db.begin().await?;
        let rows = slab.iter().map(|e| new_row(&DueWork::PlanDay { episode_id: e.clone() }, at, at)).collect();
        insert_all(&txn, rows).await?;
        txn.commit().await?;
    }
    Ok(())
}
