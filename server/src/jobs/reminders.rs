//! Dose reminders, driven by the due-work queue (the worker is `jobs::due_work`):
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
use relais_mobile_bridge::{PushKind, PushPayload};
use sea_orm::ConnectionTrait;

use super::due_work::Stats;
use crate::AppState;
use crate::domain::calendar::local_instant;
use crate::domain::regimen;
use crate::domain::triage::Locale;
use crate::notify::message::Message;
use crate::store::due_work::{Claimed, DueWork, WorkKind};
use crate::store::entities::{dose, episode};
use crate::store::{doses, due_work as queue, episodes, new_id, outbox};

pub use crate::store::episodes::lines_of;

/// Local midnight of a date, as an instant.
pub fn local_midnight(tz: chrono_tz::Tz, day: NaiveDate) -> DateTime<Utc> {
    local_instant(tz, day.and_time(NaiveTime::MIN))
}

/// Plans each item's local day of doses (`plan_day`, subject: an episode).
pub(super) async fn plan(
    state: &AppState,
    txn: &impl ConnectionTrait,
    items: &[Claimed],
    now: DateTime<Utc>,
    stats: &mut Stats,
) -> anyhow::Result<()> {
    let s = &state.settings.reminders;
    let mut ids: Vec<String> = items.iter().map(|i| i.work.subject().to_owned()).collect();
    ids.sort_unstable();
    ids.dedup();
    let inputs = doses::planning_inputs(txn, &ids).await?;
    let episodes: HashMap<&str, &episode::Model> = inputs.episodes.iter().map(|e| (e.id.as_str(), e)).collect();
    let mut new_doses = Vec::new();
    let mut next = Vec::new();
    for item in items {
        let Some(&ep) = episodes.get(item.work.subject()) else { continue };
        if ep.end_date.is_some() {
            continue;
        }
        let Some(p) = inputs.patients.get(&ep.patient_id) else { continue };
        let tz = p.time_zone()?;
        let day = item.due_at.with_timezone(&tz).date_naive();
        let lines = lines_of(inputs.lines.get(&ep.id).map(Vec::as_slice).unwrap_or_default())?;
        for o in regimen::doses_on(&lines, day, tz).into_iter().filter(|o| o.due_at >= item.due_at) {
            let id = new_id();
            next.push((DueWork::DoseReminder { dose_id: id.clone() }, o.due_at));
            let repeat_at = o.due_at + Duration::minutes(i64::from(s.repeat_after_minutes));
            next.push((DueWork::DoseRepeat { dose_id: id.clone() }, repeat_at));
            let close_at = o.due_at + Duration::minutes(i64::from(s.window_minutes));
            next.push((DueWork::DoseClose { dose_id: id.clone() }, close_at));
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
        next.push((DueWork::PlanDay { episode_id: ep.id.clone() }, local_midnight(tz, tomorrow)));
    }
    stats.planned_doses += new_doses.len();
    doses::insert_many(txn, new_doses).await?;
    queue::schedule(txn, next, now).await?;
    Ok(())
}

fn reminder_text(locale: Locale, time: &str, repeat: bool) -> (String, String) {
    // No drug name: the notification shows on a lock screen.
    match (locale, repeat) {
        (Locale::En, false) => ("Relais".into(), format!("Time for your {time} dose. Tap to confirm.")),
        (Locale::En, true) => ("Relais".into(), format!("Reminder: your {time} dose is not confirmed yet.")),
        (Locale::Fr, false) => {
            ("Relais".into(), format!("C'est l'heure de votre prise de {time}. Touchez pour confirmer."))
        }
        (Locale::Fr, true) => ("Relais".into(), format!("Rappel : votre prise de {time} n'est pas encore confirmée.")),
    }
}

/// Reminds the patient of each item's dose if still pending and in its window (`dose_reminder`,
/// or `dose_repeat` when `repeat`; subject: a dose).
pub(super) async fn remind(
    state: &AppState,
    txn: &impl ConnectionTrait,
    items: &[Claimed],
    repeat: bool,
    now: DateTime<Utc>,
    stats: &mut Stats,
) -> anyhow::Result<()> {
    let window = Duration::minutes(i64::from(state.settings.reminders.window_minutes));
    let ds = doses::by_ids(txn, items.iter().map(|i| i.work.subject().to_owned()).collect()).await?;
    let pending = doses::pending(&ds)?;
    let mut patient_ids: Vec<String> = pending.iter().map(|d| d.patient_id.clone()).collect();
    patient_ids.sort_unstable();
    patient_ids.dedup();
    let locales = doses::patient_locales(txn, &patient_ids).await?;
    let kind = if repeat { WorkKind::DoseRepeat } else { WorkKind::DoseReminder }.as_str();
    let mut msgs = Vec::new();
    let mut sent = Vec::new();
    for d in pending {
        if now >= d.due_at + window {
            stats.too_late += 1;
            continue;
        }
        // The dose's patient exists (a foreign key): its locale is read, never assumed.
        let locale = locales
            .get(&d.patient_id)
            .copied()
            .ok_or_else(|| anyhow::anyhow!("patient {} of dose {} not found", d.patient_id, d.id))?;
        let (title, body) = reminder_text(locale, &d.local_time, repeat);
        let push =
            PushPayload { kind: PushKind::DoseReminder, title, body, url: "/app/#/today".into(), id: d.id.clone() };
        msgs.push(outbox::NewMessage {
            recipient_kind: "patient",
            recipient_id: &d.patient_id,
            message: Message::DoseReminder(push),
            dedupe_key: format!("{kind}:{}", d.id),
        });
        sent.push(d.id.clone());
    }
    stats.reminders_sent += sent.len();
    outbox::enqueue_many(txn, msgs, now).await?;
    doses::count_reminder(txn, sent).await?;
    Ok(())
}

/// Closes each item's dose as missed if still pending (`dose_close`; subject: a dose).
pub(super) async fn close(
    state: &AppState,
    txn: &impl ConnectionTrait,
    items: &[Claimed],
    now: DateTime<Utc>,
    stats: &mut Stats,
) -> anyhow::Result<()> {
    let ids: Vec<String> = items.iter().map(|i| i.work.subject().to_owned()).collect();
    let ds = doses::by_ids(txn, ids.clone()).await?;
    let mut hit: Vec<String> = doses::pending(&ds)?.into_iter().map(|d| d.episode_id.clone()).collect();
    stats.missed += doses::close_missed(txn, ids).await? as usize;
    // A missed dose may take the episode below the adherence threshold.
    hit.sort();
    hit.dedup();
    for ep_id in hit {
        if let Some(ep) = episodes::get(txn, &ep_id).await? {
            crate::alerting::adherence::check(txn, state, &ep, now).await?;
        }
    }
    Ok(())
}
