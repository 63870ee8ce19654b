//! Symptom questionnaires on the sequence's cadence (docs/domain.md: S1 twice a week, S2 weekly, S3
//! every two weeks; config `questionnaires/definitions.toml`), and the missed follow-up rule
//! of docs/triage.md §6: a questionnaire not answered by the next one is missed and the patient is
//! reminded; two missed in a row raise an amber `missed_follow_up` alert to the IDEC.
//!
//! `questionnaire_plan` (subject: episode) plans the first instance; `questionnaire_due`
//! (subject: instance) notifies the patient, judges the previous ones and plans the next.

use chrono::{DateTime, Days, NaiveDate, Utc};
use relais_mobile_bridge::{PushKind, PushPayload};
use sea_orm::{ConnectionTrait, DbErr};

use crate::AppState;
use crate::alerting::{AlertInput, raise};
use crate::domain::Sequence;
use crate::domain::calendar::local_instant;
use crate::domain::questionnaire::due_dates;
use crate::domain::reason::Reason;
use crate::domain::routing::Topic;
use crate::domain::triage::{Colour, Locale};
use crate::notify::message::Message;
use crate::store::due_work::{Claimed, DueWork};
use crate::store::entities::{episode, patient};
use crate::store::stored_value::QuestionnaireStatus;
use crate::store::{due_work as queue, episodes, outbox, patients, reports};

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
    let kind = seq.kind()?;
    let cadence = state.rules.questionnaires.cadence(kind);
    let horizon = from.checked_add_days(Days::new(7 * u64::from(cadence.every_weeks.max(1)) + 7)).unwrap_or(from);
    let Some(day) = due_dates(cadence, from, horizon, ep.start_date).into_iter().next() else { return Ok(()) };
    let tz = p.time_zone()?;
    let due_at = local_instant(tz, day.and_time(cadence.local_time));
    if let Some(id) = reports::plan_questionnaire(db, &p.id, &ep.id, day, due_at, now).await? {
        queue::schedule(db, vec![(DueWork::QuestionnaireDue { questionnaire_id: id }, due_at)], now).await?;
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

/// Plans each item's episode's first questionnaire from the item's local day
/// (`questionnaire_plan`; subject: an episode).
pub(super) async fn plan(
    state: &AppState,
    txn: &impl ConnectionTrait,
    items: &[Claimed],
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    for item in items {
        if let Some((ep, p)) = active(txn, item.work.subject()).await? {
            let tz = p.time_zone()?;
            let today = item.due_at.with_timezone(&tz).date_naive();
            plan_next(txn, state, &ep, &p, today.max(ep.start_date), now).await?;
        }
    }
    Ok(())
}

/// Performs each item's due questionnaire (`questionnaire_due`; subject: a questionnaire).
pub(super) async fn due(
    state: &AppState,
    txn: &impl ConnectionTrait,
    items: &[Claimed],
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    for item in items {
        due_one(txn, state, item.work.subject(), now).await?;
    }
    Ok(())
}

async fn due_one(
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
    let statuses = earlier.iter().map(|e| e.status()).collect::<Result<Vec<_>, _>>()?;
    for (e, status) in earlier.iter().zip(&statuses) {
        if *status == QuestionnaireStatus::Pending {
            previous_missed |= reports::mark_missed(db, &e.id).await?;
        }
    }
    let in_a_row = statuses.iter().take_while(|s| **s != QuestionnaireStatus::Answered).count();
    if in_a_row >= 2 {
        // An episode in follow-up has an active sequence; without one, S1's routing (as before).
        let seq = match episodes::active_sequence(db, &ep.id).await? {
            Some(s) => s.kind()?,
            None => Sequence::S1,
        };
        let reason = Reason::MissedQuestionnaires { count: in_a_row, last_due: earlier[0].local_date };
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
            establishment: None,
        };
        raise(db, state, input, now).await?;
    }
    if q.status()? == QuestionnaireStatus::Pending {
        let (title, body) = match (p.locale()?, previous_missed) {
            (Locale::En, false) => ("Relais", "Your follow-up questionnaire is ready (2 minutes)."),
            (Locale::En, true) => {
                ("Relais", "Your care team has not received your last questionnaire. A new one is ready.")
            }
            (Locale::Fr, false) => ("Relais", "Votre questionnaire de suivi est prêt (2 minutes)."),
            (Locale::Fr, true) => {
                ("Relais", "Votre équipe n'a pas reçu votre dernier questionnaire. Un nouveau est prêt.")
            }
        };
        let push = PushPayload {
            kind: PushKind::QuestionnaireDue,
            title: title.into(),
            body: body.into(),
            url: format!("/app/#/questionnaire/{}", q.id),
            id: q.id.clone(),
        };
        outbox::enqueue(
            db,
            outbox::NewMessage {
                recipient_kind: "patient",
                recipient_id: &p.id,
                message: Message::QuestionnaireDue(push),
                dedupe_key: format!("questionnaire_due:{}", q.id),
            },
            now,
        )
        .await?;
    }
    let next_from = q.local_date.succ_opt().unwrap_or(q.local_date);
    plan_next(db, state, &ep, &p, next_from, now).await
}
