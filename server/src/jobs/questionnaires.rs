//! Symptom questionnaires on the sequence's cadence (docs/domain.md: S1 twice a week, S2 weekly, S3
//! every two weeks; config `questionnaires/definitions.toml`), and the missed follow-up rule
//! of docs/triage.md §6: a questionnaire not answered by the next one is missed and the patient is
//! reminded; two missed in a row raise an amber `missed_follow_up` alert to the IDEC.
//!
//! `questionnaire_plan` (subject: episode) plans the first instance; `questionnaire_due`
//! (subject: instance) notifies the patient, judges the previous ones and plans the next.

use chrono::{DateTime, Days, NaiveDate, Utc};
use sea_orm::{ConnectionTrait, DbErr};
use serde_json::json;

use crate::AppState;
use crate::domain::Sequence;
use crate::domain::calendar::local_instant;
use crate::domain::questionnaire::due_dates;
use crate::domain::routing::Topic;
use crate::domain::triage::Colour;
use crate::notify::alerts::{AlertInput, raise};
use crate::store::entities::{due_work, episode, patient};
use crate::store::{due_work as queue, episodes, outbox, patients, reports};

pub use crate::store::due_work::{QUESTIONNAIRE_DUE, QUESTIONNAIRE_PLAN};

/// Plans the first instance due on or after `from` (a local date) per the sequence's cadence.
async fn plan_next(
    db: &impl ConnectionTrait,
    state: &AppState,
    ep: &episode::Model,
    p: &patient::Model,
    from: NaiveDate,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let Some(seq) = episodes::active_sequence(db, &ep.id).await? else { return Ok(()) };
    let kind = Sequence::parse(&seq.kind).unwrap_or(Sequence::S1);
    let cadence = state.rules.questionnaires.cadence(kind);
    let horizon = from.checked_add_days(Days::new(7 * u64::from(cadence.every_weeks.max(1)) + 7)).unwrap_or(from);
    let Some(day) = due_dates(cadence, from, horizon, ep.start_date).into_iter().next() else { return Ok(()) };
    let tz = p.tz();
    let due_at = local_instant(tz, day.and_time(cadence.local_time));
    if let Some(id) = reports::plan_questionnaire(db, &p.id, &ep.id, day, due_at, now).await? {
        queue::schedule(db, vec![(QUESTIONNAIRE_DUE, id, due_at)], now).await?;
    }
    Ok(())
}

async fn active(
    db: &impl ConnectionTrait,
    episode_id: &str,
) -> Result<Option<(episode::Model, patient::Model)>, DbErr> {
    let Some(ep) = episodes::get(db, episode_id).await?.filter(|e| e.end_date.is_none()) else { return Ok(None) };
    Ok(patients::get(db, &ep.patient_id).await?.map(|p| (ep, p)))
}

/// Performs claimed questionnaire items; each item in its own transaction.
pub async fn perform(
    state: &AppState,
    txn: &impl ConnectionTrait,
    items: &[due_work::Model],
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    for item in items {
        match item.kind.as_str() {
            QUESTIONNAIRE_PLAN => {
                if let Some((ep, p)) = active(txn, &item.subject_id).await? {
                    let tz = p.tz();
                    let today = item.due_at.with_timezone(&tz).date_naive();
                    plan_next(txn, state, &ep, &p, today.max(ep.start_date), now).await?;
                }
            }
            _ => due(txn, state, &item.subject_id, now).await?,
        }
    }
    Ok(())
}

async fn due(
    db: &impl ConnectionTrait,
    state: &AppState,
    questionnaire_id: &str,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let Some(q) = reports::questionnaire(db, questionnaire_id).await? else { return Ok(()) };
    let Some((ep, p)) = active(db, &q.episode_id).await? else { return Ok(()) };
    // Not answered by the time the next one is due: missed.
    let earlier = reports::questionnaires_before(db, &ep.id, q.due_at).await?;
    let mut previous_missed = false;
    for e in earlier.iter().filter(|e| e.status == "pending") {
        previous_missed |= reports::mark_missed(db, &e.id).await?;
    }
    let in_a_row = earlier.iter().take_while(|e| e.status != "answered").count();
    if in_a_row >= 2 {
        let seq =
            episodes::active_sequence(db, &ep.id).await?.and_then(|s| Sequence::parse(&s.kind)).unwrap_or(Sequence::S1);
        let reason = format!("{in_a_row} questionnaires in a row not answered (last due {})", earlier[0].local_date);
        let input = AlertInput {
            patient: &p,
            episode: &ep,
            sequence: seq,
            topic: Topic::MissedFollowUp,
            colour: Colour::Amber,
            provisional_grade: None,
            reasons: vec![reason],
            report_id: None,
            also: vec![],
        };
        raise(db, state, input, now).await?;
    }
    if q.status == "pending" {
        let (title, body) = match (p.locale.as_str(), previous_missed) {
            ("en", false) => ("Relais", "Your follow-up questionnaire is ready (2 minutes)."),
            ("en", true) => ("Relais", "Your care team has not received your last questionnaire. A new one is ready."),
            (_, false) => ("Relais", "Votre questionnaire de suivi est prêt (2 minutes)."),
            (_, true) => ("Relais", "Votre équipe n'a pas reçu votre dernier questionnaire. Un nouveau est prêt."),
        };
        outbox::enqueue(
            db,
            outbox::NewMessage {
                channel: "push",
                recipient_kind: "patient",
                recipient_id: &p.id,
                kind: "questionnaire_due",
                payload: json!({"type": "questionnaire_due", "title": title, "body": body,
                                "url": format!("/app/#/questionnaire/{}", q.id), "id": q.id}),
                dedupe_key: format!("questionnaire_due:{}", q.id),
            },
            now,
        )
        .await?;
    }
    let next_from = q.local_date.succ_opt().unwrap_or(q.local_date);
    plan_next(db, state, &ep, &p, next_from, now).await
}
