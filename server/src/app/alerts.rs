//! The triage worklist's actions: the alerts an actor may see, one alert with its report and
//! history, acknowledge (escalation stops), resolve with a confirmed grade.

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DbErr};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use super::{ActionError, StaffAuth};
use crate::AppState;
use crate::domain::reason::Reason;
use crate::domain::routing::Topic;
use crate::store::audit::Actor;
use crate::store::entities::alert;
use crate::store::stored_value::json;
use crate::store::{self, alerts, audit, patients, reports};

#[derive(Serialize, ToSchema)]
pub struct PatientRef {
    pub id: String,
    pub family_name: String,
    pub given_name: String,
    pub phone: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct AlertView {
    pub id: String,
    pub patient: PatientRef,
    pub episode_id: String,
    pub colour: String,
    pub topic: String,
    pub status: String,
    /// The algorithm's grade, kept beside the professional's confirmed grade.
    pub provisional_grade: Option<i32>,
    pub confirmed_grade: Option<i32>,
    /// Why the alert was raised, as the engine's English text (as before the codes).
    pub reasons: Vec<String>,
    /// The same reasons as codes with parameters (docs/api.md), for clients that show them in
    /// their reader's language.
    pub reason_codes: Vec<Reason>,
    /// E.g. "no community pharmacist on the patient's team: sent to the IDEC".
    pub note: Option<String>,
    pub opened_at: DateTime<Utc>,
    pub deadline_at: DateTime<Utc>,
    pub age_minutes: i64,
    /// Negative once the deadline has passed.
    pub minutes_left: i64,
    /// Open past its deadline (an amber one has then gone to the team's IDEC as well).
    pub overdue: bool,
    pub escalation_level: i32,
    pub acknowledged_at: Option<DateTime<Utc>>,
    pub acknowledged_by: Option<String>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub resolution_note: Option<String>,
    pub last_report_id: Option<String>,
}

async fn view(state: &AppState, a: alert::Model) -> Result<AlertView, ActionError> {
    let now = state.now();
    let p = patients::get(&state.db, &a.patient_id).await?.ok_or(ActionError::NotFound)?;
    let codes = a.reasons()?;
    Ok(AlertView {
        patient: PatientRef { id: p.id, family_name: p.family_name, given_name: p.given_name, phone: p.phone },
        reasons: codes.iter().map(|r| r.trace(&state.rules.triage)).collect(),
        reason_codes: codes,
        age_minutes: (now - a.opened_at).num_minutes(),
        minutes_left: (a.deadline_at - now).num_minutes(),
        overdue: a.status == "open" && a.deadline_at < now,
        id: a.id,
        episode_id: a.episode_id,
        colour: a.colour,
        topic: a.topic,
        status: a.status,
        provisional_grade: a.provisional_grade,
        confirmed_grade: a.confirmed_grade,
        note: a.note,
        opened_at: a.opened_at,
        deadline_at: a.deadline_at,
        escalation_level: a.escalation_level,
        acknowledged_at: a.acknowledged_at,
        acknowledged_by: a.acknowledged_by,
        resolved_at: a.resolved_at,
        resolution_note: a.resolution_note,
        last_report_id: a.last_report_id,
    })
}

/// Alerts the caller may see, red first, then by deadline and age.
pub async fn list(state: &AppState, auth: &StaffAuth, status: Option<&str>) -> Result<Vec<AlertView>, ActionError> {
    let status = status.unwrap_or("open");
    if !matches!(status, "open" | "acknowledged" | "resolved") {
        return Err(ActionError::field("status", "open, acknowledged or resolved"));
    }
    let rows = alerts::visible_to(&state.db, &auth.staff, status, state.today()).await?;
    // One audit line per view of the worklist (which refreshes itself every 20 s), not one per
    // listed alert; opening an alert is audited on its own, with its patient.
    audit::record(
        &state.db,
        audit::Entry {
            actor: &auth.actor(),
            action: "list",
            entity: "alerts",
            entity_id: None,
            patient_id: None,
            at: state.now(),
        },
    )
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for a in rows {
        out.push(view(state, a).await?);
    }
    Ok(out)
}

pub async fn visible_alert(state: &AppState, auth: &StaffAuth, id: &str) -> Result<alert::Model, ActionError> {
    let a = alerts::get(&state.db, id).await?.ok_or(ActionError::NotFound)?;
    if !alerts::visible(&state.db, &auth.staff, &a, state.today()).await? {
        return Err(ActionError::NotFound);
    }
    Ok(a)
}

#[derive(Serialize, ToSchema)]
pub struct AlertDetail {
    pub alert: AlertView,
    /// The answers of the report behind the alert, as the patient gave them; null for an alert
    /// with no report behind it (interaction, adherence, missed follow-up).
    #[schema(value_type = Option<Object>)]
    pub answers: Value,
    /// The triage result of that report; null when there is none.
    #[schema(value_type = Option<Object>)]
    pub triage: Value,
    #[schema(value_type = Vec<Object>)]
    pub events: Vec<Value>,
}

/// One alert with the report behind it and its history.
pub async fn detail(state: &AppState, auth: &StaffAuth, id: &str) -> Result<AlertDetail, ActionError> {
    let a = visible_alert(state, auth, id).await?;
    let report = match &a.last_report_id {
        Some(r) => reports::get(&state.db, r).await?,
        None => None,
    };
    // Stored JSON that does not read is an error naming the row, never an empty report.
    let (answers, triage) = match report {
        Some(r) => (json("reports", &r.id, "answers", &r.answers)?, json("reports", &r.id, "result", &r.result)?),
        None => (Value::Null, Value::Null),
    };
    let mut events = Vec::new();
    for e in alerts::events(&state.db, &a.id).await? {
        let detail: Value = json("alert_events", &e.id, "detail", &e.detail)?;
        events.push(serde_json::json!({"at": e.at, "kind": e.kind, "actor_kind": e.actor_kind, "actor_id": e.actor_id, "detail": detail}));
    }
    audit::record(
        &state.db,
        audit::Entry {
            actor: &auth.actor(),
            action: "read",
            entity: "alert",
            entity_id: Some(&a.id),
            patient_id: Some(&a.patient_id),
            at: state.now(),
        },
    )
    .await?;
    Ok(AlertDetail { alert: view(state, a).await?, answers, triage, events })
}

/// The professional has seen the alert and takes it on; escalation stops.
pub async fn acknowledge(state: &AppState, auth: &StaffAuth, id: &str) -> Result<AlertView, ActionError> {
    let a = visible_alert(state, auth, id).await?;
    let now = state.now();
    let txn = store::begin_write(&state.db).await?;
    if !record_acknowledgement(&txn, &a, &auth.staff.id, &auth.actor(), now).await? {
        return Err(ActionError::Conflict { field: None, message: format!("the alert is {}, not open", a.status) });
    }
    txn.commit().await?;
    let a = alerts::get(&state.db, id).await?.ok_or(ActionError::NotFound)?;
    view(state, a).await
}

/// An acknowledgement by `professional_id` in `txn`: the status (escalation stops), the
/// alert's history line and the audit line. False when the alert was no longer open. The
/// demo's simulated IDEC acknowledges through it too.
pub async fn record_acknowledgement(
    txn: &impl ConnectionTrait,
    a: &alert::Model,
    professional_id: &str,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    if !alerts::acknowledge(txn, &a.id, professional_id, now).await? {
        return Ok(false);
    }
    record_act(txn, a, professional_id, actor, ("acknowledged", "acknowledge"), Value::Null, now).await?;
    Ok(true)
}

/// A resolution by `professional_id` in `txn` (grade: toxicity alerts only), with its history
/// and audit lines. False when the alert was already resolved.
pub async fn record_resolution(
    txn: &impl ConnectionTrait,
    a: &alert::Model,
    professional_id: &str,
    actor: &Actor,
    (grade, note): (Option<u8>, &str),
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    if !alerts::resolve(txn, &a.id, professional_id, grade, note, now).await? {
        return Ok(false);
    }
    let detail = serde_json::json!({"confirmed_grade": grade});
    record_act(txn, a, professional_id, actor, ("resolved", "resolve"), detail, now).await?;
    Ok(true)
}

/// A professional's act on an alert: its history line (`event`) and the audit line (`action`).
async fn record_act(
    txn: &impl ConnectionTrait,
    a: &alert::Model,
    professional_id: &str,
    actor: &Actor,
    (event, action): (&str, &str),
    detail: Value,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let by = Some(professional_id);
    let line =
        alerts::Event { alert_id: &a.id, kind: event, actor_kind: "professional", actor_id: by, detail, at: now };
    alerts::event(txn, line).await?;
    let (entity_id, patient_id) = (Some(a.id.as_str()), Some(a.patient_id.as_str()));
    audit::record(txn, audit::Entry { actor, action, entity: "alert", entity_id, patient_id, at: now }).await
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResolveRequest {
    /// The CTCAE grade the professional confirms after the call, 0 to 4: required to resolve a
    /// toxicity alert, refused (422) on an interaction, adherence or follow-up alert.
    #[serde(default)]
    #[schema(minimum = 0, maximum = 4)]
    pub confirmed_grade: Option<i64>,
    /// What was done (required, at most 2000 characters, not blank).
    #[serde(default)]
    #[schema(required = true, value_type = String, min_length = 1, max_length = 2000, pattern = r"\S")]
    pub note: Option<String>,
}

/// Closes the alert with the confirmed grade and what was done.
pub async fn resolve(
    state: &AppState,
    auth: &StaffAuth,
    id: &str,
    req: &ResolveRequest,
) -> Result<AlertView, ActionError> {
    let a = visible_alert(state, auth, id).await?;
    // Only a toxicity alert has a CTCAE grade to confirm (docs/triage.md §4); an interaction,
    // adherence or missed follow-up alert is closed with what was done.
    let toxicity = a.topic()? == Topic::Toxicity;
    let grade = match (req.confirmed_grade, toxicity) {
        (Some(g @ 0..=4), true) => Some(g as u8),
        (Some(_), true) => return Err(ActionError::field("confirmed_grade", "a grade from 0 to 4")),
        (None, true) => {
            return Err(ActionError::field("confirmed_grade", "required: the grade confirmed after the call"));
        }
        (Some(_), false) => {
            return Err(ActionError::field("confirmed_grade", "only a toxicity alert has a confirmed grade"));
        }
        (None, false) => None,
    };
    let note = req.note.as_deref().map(str::trim).unwrap_or("");
    if note.is_empty() || note.chars().count() > 2000 {
        return Err(ActionError::field("note", "required: what was done, at most 2000 characters"));
    }
    let now = state.now();
    let txn = store::begin_write(&state.db).await?;
    if !record_resolution(&txn, &a, &auth.staff.id, &auth.actor(), (grade, note), now).await? {
        return Err(ActionError::Conflict { field: None, message: "the alert is already resolved".into() });
    }
    txn.commit().await?;
    let a = alerts::get(&state.db, id).await?.ok_or(ActionError::NotFound)?;
    view(state, a).await
}
