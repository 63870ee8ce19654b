//! A patient confirms a dose: taken, skipped or vomited; what it may raise for the pharmacist
//! (a possible double dose, a vomited dose, too many skipped doses).

use chrono::{DateTime, Duration, Utc};
use serde::Deserialize;
use utoipa::ToSchema;

use super::{ActionError, PatientAuth};
use crate::AppState;
use crate::alerting::{AlertInput, raise};
use crate::domain::Sequence;
use crate::domain::reason::Reason;
use crate::domain::routing::Topic;
use crate::domain::triage::Colour;
use crate::store::entities::dose;
use crate::store::{self, audit, doses, episodes, patients};

/// What the patient says of a dose (the values `DoseReport::status` takes; the action checks them).
#[derive(serde::Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
#[allow(dead_code)]
pub enum ReportedDoseStatus {
    Taken,
    Skipped,
    Vomited,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DoseReport {
    #[schema(value_type = ReportedDoseStatus)]
    pub status: String,
    /// When it was taken (RFC 3339); default now.
    #[serde(default)]
    pub at: Option<DateTime<Utc>>,
}

async fn adherence_alert(
    state: &AppState,
    txn: &sea_orm::DatabaseTransaction,
    patient_id: &str,
    reason: Reason,
    now: DateTime<Utc>,
) -> Result<(), ActionError> {
    let p = patients::get(txn, patient_id).await?.ok_or(ActionError::NotFound)?;
    let Some(ep) = patients::current_episode(txn, patient_id).await? else { return Ok(()) };
    let seq = match episodes::active_sequence(txn, &ep.id).await? {
        Some(s) => s.kind()?,
        // Between two sequences an alert is still raised, routed as at the start.
        None => Sequence::S1,
    };
    let input = AlertInput {
        patient: &p,
        episode: &ep,
        sequence: seq,
        topic: Topic::Adherence,
        colour: Colour::Amber,
        provisional_grade: None,
        reasons: vec![reason],
        report_id: None,
        also: vec![],
        establishment: None,
    };
    raise(txn, state, input, now).await?;
    Ok(())
}

/// Confirms a dose: taken (late after the repeat delay), skipped or vomited. The same
/// confirmation sent again (same status and same `at`, as a phone retries a queued one) answers
/// 200 as the first time and changes nothing; any other second confirmation is a 409, and a
/// second "taken" is recorded for the pharmacist as a possible double dose; a vomited dose goes
/// to the pharmacist (re-dosing rules differ by drug).
pub async fn confirm(
    state: &AppState,
    auth: &PatientAuth,
    id: &str,
    req: &DoseReport,
) -> Result<dose::Model, ActionError> {
    if !matches!(req.status.as_str(), "taken" | "skipped" | "vomited") {
        return Err(ActionError::field("status", "taken, skipped or vomited"));
    }
    let now = state.now();
    let d =
        doses::get(&state.db, id).await?.filter(|d| d.patient_id == auth.patient_id).ok_or(ActionError::NotFound)?;
    let at = req.at.unwrap_or(now);
    if at > now + Duration::minutes(5) {
        return Err(ActionError::field("at", "is in the future"));
    }
    let from = confirm_from(state, &d);
    if at < from {
        return Err(ActionError::field(
            "at",
            format!(
                "is too early: this dose can be confirmed from {} ({} minutes before its time)",
                from.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                state.settings.reminders.confirm_early_minutes
            ),
        ));
    }
    if d.status == "cancelled" {
        return Err(ActionError::Conflict { field: None, message: "this dose is no longer planned".into() });
    }
    let txn = store::begin_write(&state.db).await?;
    let late = at > d.due_at + Duration::minutes(i64::from(state.settings.reminders.repeat_after_minutes));
    let taken_at = matches!(req.status.as_str(), "taken" | "vomited").then_some(at);
    if !doses::report(&txn, &d.id, &["pending", "missed"], &req.status, taken_at, late, now).await? {
        // A phone that queued the confirmation offline retries it with the same status and the
        // same `at` (the instant of the tap): that is the confirmation already stored, not a
        // second intake, so it answers as the first time and raises nothing.
        let current = doses::get(&txn, &d.id).await?.ok_or(ActionError::NotFound)?;
        if req.at.is_some() && current.status == req.status && current.taken_at == taken_at {
            drop(txn);
            return Ok(current);
        }
        if d.status == "taken" && req.status == "taken" {
            let reason = Reason::SecondIntake { drug: d.drug.clone(), date: d.local_date, time: d.local_time.clone() };
            adherence_alert(state, &txn, &d.patient_id, reason, now).await?;
            txn.commit().await?;
        }
        return Err(ActionError::Conflict {
            field: None,
            message: format!("this dose is already confirmed ({})", d.status),
        });
    }
    if req.status == "skipped"
        && let Some(ep) = episodes::get(&txn, &d.episode_id).await?
    {
        crate::alerting::adherence::check(&txn, state, &ep, now).await?;
    }
    if req.status == "vomited" {
        let reason = Reason::DoseVomited { drug: d.drug.clone(), date: d.local_date, time: d.local_time.clone() };
        adherence_alert(state, &txn, &d.patient_id, reason, now).await?;
    }
    audit::record(
        &txn,
        audit::Entry {
            actor: &auth.actor(),
            action: &req.status,
            entity: "dose",
            entity_id: Some(&d.id),
            patient_id: Some(&d.patient_id),
            at: now,
        },
    )
    .await?;
    txn.commit().await?;
    doses::get(&state.db, id).await?.ok_or(ActionError::NotFound)
}

/// The first instant a dose may be confirmed (`reminders.confirm_early_minutes` before it).
pub fn confirm_from(state: &AppState, d: &dose::Model) -> DateTime<Utc> {
    d.due_at - Duration::minutes(i64::from(state.settings.reminders.confirm_early_minutes))
}

/// Until when the patient's confirmation of a dose may be undone; `None` when there is nothing
/// to undo (not confirmed, or closed as missed by the server).
pub fn undo_until(state: &AppState, d: &dose::Model) -> Option<DateTime<Utc>> {
    let confirmed = matches!(d.status.as_str(), "taken" | "skipped" | "vomited");
    let at = d.reported_at.filter(|_| confirmed)?;
    Some(at + Duration::minutes(i64::from(state.settings.reminders.undo_minutes)))
}

/// Undoes the patient's confirmation of a dose within `reminders.undo_minutes` of it (a wrong
/// button): the dose is due again (pending, or missed if its window has closed meanwhile). What
/// the confirmation raised for the team stays raised; the undo is audited.
pub async fn undo(state: &AppState, auth: &PatientAuth, id: &str) -> Result<dose::Model, ActionError> {
    let now = state.now();
    let d =
        doses::get(&state.db, id).await?.filter(|d| d.patient_id == auth.patient_id).ok_or(ActionError::NotFound)?;
    let Some(until) = undo_until(state, &d) else {
        return Err(ActionError::conflict(format!("this dose has no confirmation to undo ({})", d.status)));
    };
    if now > until {
        return Err(ActionError::conflict(format!(
            "this confirmation can no longer be undone ({} minutes after it)",
            state.settings.reminders.undo_minutes
        )));
    }
    let closed = now >= d.due_at + Duration::minutes(i64::from(state.settings.reminders.window_minutes));
    let back = if closed { "missed" } else { "pending" };
    let txn = store::begin_write(&state.db).await?;
    if !doses::undo(&txn, &d.id, &d.status, d.reported_at, back).await? {
        // Another request changed it first (a second undo): nothing to undo any more.
        return Err(ActionError::conflict("this dose has no confirmation to undo"));
    }
    audit::record(
        &txn,
        audit::Entry {
            actor: &auth.actor(),
            action: "undo",
            entity: "dose",
            entity_id: Some(&d.id),
            patient_id: Some(&d.patient_id),
            at: now,
        },
    )
    .await?;
    txn.commit().await?;
    doses::get(&state.db, id).await?.ok_or(ActionError::NotFound)
}
