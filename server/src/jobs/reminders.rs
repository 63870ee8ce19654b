//! Dose reminders, driven by the due-work queue (issue 3):
//! - `plan_day` (subject: episode) plans the doses of one local day from the regimen in force,
//!   schedules their reminder, repeat and close, and schedules the next local day;
//! - `dose_reminder` / `dose_repeat` send a reminder if the dose is still pending and its window
//!   is still open (a reminder that would arrive after the window is not sent, but the dose
//!   stays recorded);
//! - `dose_close` marks a dose still pending at the end of its window as missed.
//!
//! Everything a batch does is written in one transaction with the completion of its items.

use std::collections::HashMap;

use chrono::{DateTime, Duration, NaiveDate, NaiveTime, Utc};
use sea_orm::{ConnectionTrait, TransactionTrait};
use serde_json::json;

use crate::AppState;
use crate::domain::calendar::local_instant;
use crate::domain::regimen::{self, Line};
use crate::store::entities::{dose, due_work, episode, regimen_line};
use crate::store::{self, doses, due_work as queue, episodes, new_id, outbox};

pub use crate::store::due_work::PLAN_DAY;
pub const DOSE_REMINDER: &str = "dose_reminder";
pub const DOSE_REPEAT: &str = "dose_repeat";
pub const DOSE_CLOSE: &str = "dose_close";

/// What one pass did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Stats {
    pub claimed: usize,
    pub planned_doses: usize,
    pub reminders_sent: usize,
    pub too_late: usize,
    pub missed: usize,
}

/// The regimen lines of the domain, from store rows.
pub fn lines_of(rows: &[regimen_line::Model]) -> Vec<Line> {
    rows.iter()
        .map(|l| Line {
            id: l.id.clone(),
            drug: l.drug.clone(),
            times: serde_json::from_str::<Vec<String>>(&l.times)
                .unwrap_or_default()
                .iter()
                .filter_map(|t| crate::domain::parse_hhmm(t))
                .collect(),
            cycle: l.cycle_on_days.zip(l.cycle_off_days).map(|(on, off)| (on.max(0) as u16, off.max(0) as u16)),
            start: l.start_date,
            end: l.end_date,
            paused_from: None,
            paused_until: None,
        })
        .collect()
}

/// Local midnight of a date, as an instant.
pub fn local_midnight(tz: chrono_tz::Tz, day: NaiveDate) -> DateTime<Utc> {
    local_instant(tz, day.and_time(NaiveTime::MIN))
}

/// Claims and performs every item due at `now`, batch after batch.
pub async fn dispatch_due(state: &AppState, now: DateTime<Utc>) -> anyhow::Result<Stats> {
    dispatch_due_observed(state, now, |_| {}).await
}

/// Claims per batch.
const BATCH: u64 = 2000;

/// After a batch of a kind failed, its items wait this long before they are claimed again.
const RETRY_AFTER: i64 = 60;

/// [`dispatch_due`], calling `on_batch` with the size of each batch once its work is committed
/// (the benchmark times batches with it).
///
/// On PostgreSQL `scheduler.dispatch_workers` workers claim side by side (`SKIP LOCKED`), so
/// the database uses every core; SQLite has a single writer, so one worker.
pub async fn dispatch_due_observed(
    state: &AppState,
    now: DateTime<Utc>,
    on_batch: impl Fn(usize) + Sync,
) -> anyhow::Result<Stats> {
    let workers = if store::is_postgres(&state.db) { state.settings.scheduler.dispatch_workers } else { 1 };
    let on_batch = &on_batch;
    let runs = futures::future::join_all((0..workers).map(|_| worker(state, now, on_batch))).await;
    let mut stats = Stats::default();
    for run in runs {
        let s = run?;
        stats.claimed += s.claimed;
        stats.planned_doses += s.planned_doses;
        stats.reminders_sent += s.reminders_sent;
        stats.too_late += s.too_late;
        stats.missed += s.missed;
    }
    Ok(stats)
}

/// One worker: each batch is claimed, performed and completed in one transaction. The claim's
/// row locks are its lease: no other instance takes the rows while they are being performed,
/// and a crash rolls the whole batch back, to be claimed again at once.
async fn worker(state: &AppState, now: DateTime<Utc>, on_batch: &(impl Fn(usize) + Sync)) -> anyhow::Result<Stats> {
    let mut stats = Stats::default();
    loop {
        let txn = store::begin_write(&state.db).await?;
        let batch = queue::claim_in(&txn, now, BATCH).await?;
        if batch.is_empty() {
            txn.commit().await?;
            return Ok(stats);
        }
        stats.claimed += batch.len();
        let size = batch.len();
        let mut by_kind: HashMap<&str, Vec<due_work::Model>> = HashMap::new();
        for item in batch {
            let kind = match item.kind.as_str() {
                PLAN_DAY => PLAN_DAY,
                DOSE_REMINDER => DOSE_REMINDER,
                DOSE_REPEAT => DOSE_REPEAT,
                DOSE_CLOSE => DOSE_CLOSE,
                super::questionnaires::QUESTIONNAIRE_PLAN | super::questionnaires::QUESTIONNAIRE_DUE => "questionnaire",
                _ => "other",
            };
            by_kind.entry(kind).or_default().push(item);
        }
        for (kind, items) in by_kind {
            // Each kind in a savepoint: a failing kind is rolled back and retried later without
            // taking the rest of the batch with it.
            let part = txn.begin().await?;
            let result = match kind {
                PLAN_DAY => plan(state, &part, &items, now, &mut stats).await,
                DOSE_REMINDER | DOSE_REPEAT => remind(state, &part, &items, kind == DOSE_REPEAT, now, &mut stats).await,
                DOSE_CLOSE => close(state, &part, &items, now, &mut stats).await,
                "questionnaire" => super::questionnaires::perform(state, &part, &items, now).await,
                _ => Err(anyhow::anyhow!("no job performs this kind of due work")),
            };
            let ids: Vec<String> = items.iter().map(|i| i.id.clone()).collect();
            match result {
                Ok(()) => {
                    queue::complete(&part, &ids, now).await?;
                    part.commit().await?;
                }
                Err(e) => {
                    part.rollback().await?;
                    tracing::error!(kind, error = %e, "due work failed; retried in {RETRY_AFTER} s");
                    queue::failed(&txn, &ids, &e.to_string(), now + Duration::seconds(RETRY_AFTER)).await?;
                }
            }
        }
        txn.commit().await?;
        on_batch(size);
    }
}

async fn plan(
    state: &AppState,
    txn: &impl ConnectionTrait,
    items: &[due_work::Model],
    now: DateTime<Utc>,
    stats: &mut Stats,
) -> anyhow::Result<()> {
    let s = &state.settings.reminders;
    let mut ids: Vec<String> = items.iter().map(|i| i.subject_id.clone()).collect();
    ids.sort_unstable();
    ids.dedup();
    let inputs = doses::planning_inputs(txn, &ids).await?;
    let episodes: HashMap<&str, &episode::Model> = inputs.episodes.iter().map(|e| (e.id.as_str(), e)).collect();
    let mut new_doses = Vec::new();
    let mut next = Vec::new();
    for item in items {
        let Some(&ep) = episodes.get(item.subject_id.as_str()) else { continue };
        if ep.end_date.is_some() {
            continue;
        }
        let Some(p) = inputs.patients.get(&ep.patient_id) else { continue };
        let tz = p.tz();
        let day = item.due_at.with_timezone(&tz).date_naive();
        let lines = lines_of(inputs.lines.get(&ep.id).map(Vec::as_slice).unwrap_or_default());
        for o in regimen::doses_on(&lines, day, tz).into_iter().filter(|o| o.due_at >= item.due_at) {
            let id = new_id();
            next.push((DOSE_REMINDER, id.clone(), o.due_at));
            next.push((DOSE_REPEAT, id.clone(), o.due_at + Duration::minutes(i64::from(s.repeat_after_minutes))));
            next.push((DOSE_CLOSE, id.clone(), o.due_at + Duration::minutes(i64::from(s.window_minutes))));
            new_doses.push(dose::Model {
                id,
                patient_id: p.id.clone(),
                episode_id: ep.id.clone(),
                line_id: o.line_id,
                drug: o.drug,
                local_date: o.local_date,
                local_time: o.local_time.format("%H:%M").to_string(),
                due_at: o.due_at,
                status: "pending".into(),
                reported_at: None,
                taken_at: None,
                late: false,
                reminders_sent: 0,
                created_at: now,
            });
        }
        let tomorrow = day.succ_opt().unwrap_or(day);
        next.push((PLAN_DAY, ep.id.clone(), local_midnight(tz, tomorrow)));
    }
    stats.planned_doses += new_doses.len();
    doses::insert_many(txn, new_doses).await?;
    queue::schedule(txn, next, now).await?;
    Ok(())
}

fn reminder_text(locale: &str, time: &str, repeat: bool) -> (String, String) {
    // No drug name: the notification shows on a lock screen.
    match (locale, repeat) {
        ("en", false) => ("Relais".into(), format!("Time for your {time} dose. Tap to confirm.")),
        ("en", true) => ("Relais".into(), format!("Reminder: your {time} dose is not confirmed yet.")),
        (_, false) => ("Relais".into(), format!("C'est l'heure de votre prise de {time}. Touchez pour confirmer.")),
        (_, true) => ("Relais".into(), format!("Rappel : votre prise de {time} n'est pas encore confirmée.")),
    }
}

async fn remind(
    state: &AppState,
    txn: &impl ConnectionTrait,
    items: &[due_work::Model],
    repeat: bool,
    now: DateTime<Utc>,
    stats: &mut Stats,
) -> anyhow::Result<()> {
    let window = Duration::minutes(i64::from(state.settings.reminders.window_minutes));
    let ds = doses::by_ids(txn, items.iter().map(|i| i.subject_id.clone()).collect()).await?;
    let mut patient_ids: Vec<String> =
        ds.iter().filter(|d| d.status == "pending").map(|d| d.patient_id.clone()).collect();
    patient_ids.sort_unstable();
    patient_ids.dedup();
    let locales = doses::patient_locales(txn, &patient_ids).await?;
    let kind = if repeat { DOSE_REPEAT } else { DOSE_REMINDER };
    let mut msgs = Vec::new();
    let mut sent = Vec::new();
    for d in ds.iter().filter(|d| d.status == "pending") {
        if now >= d.due_at + window {
            stats.too_late += 1;
            continue;
        }
        let (title, body) =
            reminder_text(locales.get(&d.patient_id).map(String::as_str).unwrap_or("fr"), &d.local_time, repeat);
        msgs.push(outbox::NewMessage {
            channel: "push",
            recipient_kind: "patient",
            recipient_id: &d.patient_id,
            kind: "dose_reminder",
            payload: json!({"type": "dose_reminder", "title": title, "body": body, "url": "/app/#/today", "id": d.id}),
            dedupe_key: format!("{kind}:{}", d.id),
        });
        sent.push(d.id.clone());
    }
    stats.reminders_sent += sent.len();
    outbox::enqueue_many(txn, msgs, now).await?;
    doses::count_reminder(txn, sent).await?;
    Ok(())
}

async fn close(
    state: &AppState,
    txn: &impl ConnectionTrait,
    items: &[due_work::Model],
    now: DateTime<Utc>,
    stats: &mut Stats,
) -> anyhow::Result<()> {
    let ids: Vec<String> = items.iter().map(|i| i.subject_id.clone()).collect();
    let mut hit: Vec<String> = doses::by_ids(txn, ids.clone())
        .await?
        .into_iter()
        .filter(|d| d.status == "pending")
        .map(|d| d.episode_id)
        .collect();
    stats.missed += doses::close_missed(txn, ids).await? as usize;
    // A missed dose may take the episode below the adherence threshold.
    hit.sort();
    hit.dedup();
    for ep_id in hit {
        if let Some(ep) = episodes::get(txn, &ep_id).await? {
            crate::notify::adherence::check(txn, state, &ep, now).await?;
        }
    }
    Ok(())
}
