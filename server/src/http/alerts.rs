//! The triage worklist: alerts the caller may see, acknowledge, resolve with a confirmed grade.

use axum::Json;
use axum::extract::{Path, Query, State};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};

use super::error::ApiError;
use super::extract::{JsonBody, StaffAuth};
use crate::AppState;
use crate::store::entities::alert;
use crate::store::{self, alerts, audit, patients, reports};

#[derive(Deserialize, IntoParams)]
pub struct AlertQuery {
    /// open (default), acknowledged or resolved
    pub status: Option<String>,
}

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
    pub reasons: Vec<String>,
    /// E.g. "no community pharmacist on the patient's team: sent to the IDEC".
    pub note: Option<String>,
    pub opened_at: DateTime<Utc>,
    pub deadline_at: DateTime<Utc>,
    pub age_minutes: i64,
    /// Negative once the deadline has passed.
    pub minutes_left: i64,
    pub escalation_level: i32,
    pub acknowledged_at: Option<DateTime<Utc>>,
    pub acknowledged_by: Option<String>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub resolution_note: Option<String>,
    pub last_report_id: Option<String>,
}

async fn view(state: &AppState, a: alert::Model) -> Result<AlertView, ApiError> {
    let now = state.now();
    let p = patients::get(&state.db, &a.patient_id).await?.ok_or(ApiError::NotFound)?;
    Ok(AlertView {
        patient: PatientRef { id: p.id, family_name: p.family_name, given_name: p.given_name, phone: p.phone },
        reasons: serde_json::from_str(&a.reasons).unwrap_or_default(),
        age_minutes: (now - a.opened_at).num_minutes(),
        minutes_left: (a.deadline_at - now).num_minutes(),
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
#[utoipa::path(get, path = "/api/v1/alerts", params(AlertQuery), responses((status = 200, body = Vec<AlertView>), (status = 401), (status = 422)))]
pub async fn list(
    State(state): State<AppState>,
    auth: StaffAuth,
    Query(q): Query<AlertQuery>,
) -> Result<Json<Vec<AlertView>>, ApiError> {
    let status = q.status.unwrap_or_else(|| "open".into());
    if !matches!(status.as_str(), "open" | "acknowledged" | "resolved") {
        return Err(ApiError::field("status", "open, acknowledged or resolved"));
    }
    let rows = alerts::visible_to(&state.db, &auth.staff, &status).await?;
    // One audit line per view of the worklist (which refreshes itself every 20 s), not one per
    // listed alert; opening an alert is audited on its own, with its patient.
    audit::record(&state.db, &auth.actor(), "list", "alerts", None, None, state.now()).await?;
    let mut out = Vec::with_capacity(rows.len());
    for a in rows {
        out.push(view(&state, a).await?);
    }
    Ok(Json(out))
}

async fn visible_alert(state: &AppState, auth: &StaffAuth, id: &str) -> Result<alert::Model, ApiError> {
    let a = alerts::get(&state.db, id).await?.ok_or(ApiError::NotFound)?;
    if !alerts::visible(&state.db, &auth.staff, &a).await? {
        return Err(ApiError::NotFound);
    }
    Ok(a)
}

#[derive(Serialize, ToSchema)]
pub struct AlertDetail {
    pub alert: AlertView,
    /// The answers of the report behind the alert, as the patient gave them.
    #[schema(value_type = Object)]
    pub answers: Value,
    #[schema(value_type = Object)]
    pub triage: Value,
    #[schema(value_type = Vec<Object>)]
    pub events: Vec<Value>,
}

/// One alert with the report behind it and its history.
#[utoipa::path(get, path = "/api/v1/alerts/{id}", params(("id" = String, Path)), responses((status = 200, body = AlertDetail), (status = 401), (status = 404)))]
pub async fn detail(
    State(state): State<AppState>,
    auth: StaffAuth,
    Path(id): Path<String>,
) -> Result<Json<AlertDetail>, ApiError> {
    let a = visible_alert(&state, &auth, &id).await?;
    let report = match &a.last_report_id {
        Some(r) => reports::get(&state.db, r).await?,
        None => None,
    };
    let parse = |s: &str| serde_json::from_str::<Value>(s).unwrap_or(Value::Null);
    let (answers, triage) = report.map(|r| (parse(&r.answers), parse(&r.result))).unwrap_or((Value::Null, Value::Null));
    let events = alerts::events(&state.db, &a.id)
        .await?
        .into_iter()
        .map(|e| serde_json::json!({"at": e.at, "kind": e.kind, "actor_kind": e.actor_kind, "actor_id": e.actor_id, "detail": parse(&e.detail)}))
        .collect();
    audit::record(&state.db, &auth.actor(), "read", "alert", Some(&a.id), Some(&a.patient_id), state.now()).await?;
    Ok(Json(AlertDetail { alert: view(&state, a).await?, answers, triage, events }))
}

/// The professional has seen the alert and takes it on; escalation stops.
#[utoipa::path(post, path = "/api/v1/alerts/{id}/acknowledge", params(("id" = String, Path)), responses((status = 200, body = AlertView), (status = 401), (status = 404), (status = 409)))]
pub async fn acknowledge(
    State(state): State<AppState>,
    auth: StaffAuth,
    Path(id): Path<String>,
) -> Result<Json<AlertView>, ApiError> {
    let a = visible_alert(&state, &auth, &id).await?;
    let now = state.now();
    let txn = store::begin_write(&state.db).await?;
    if !alerts::acknowledge(&txn, &a.id, &auth.staff.id, now).await? {
        return Err(ApiError::Conflict { field: None, message: format!("the alert is {}, not open", a.status) });
    }
    alerts::event(&txn, &a.id, "acknowledged", "professional", Some(&auth.staff.id), Value::Null, now).await?;
    audit::record(&txn, &auth.actor(), "acknowledge", "alert", Some(&a.id), Some(&a.patient_id), now).await?;
    txn.commit().await?;
    let a = alerts::get(&state.db, &id).await?.ok_or(ApiError::NotFound)?;
    Ok(Json(view(&state, a).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResolveRequest {
    /// The grade the professional confirms after the call, 0 to 4.
    #[serde(default)]
    pub confirmed_grade: Option<i64>,
    /// What was done.
    #[serde(default)]
    pub note: Option<String>,
}

/// Closes the alert with the confirmed grade and what was done.
#[utoipa::path(post, path = "/api/v1/alerts/{id}/resolve", params(("id" = String, Path)), request_body = ResolveRequest,
    responses((status = 200, body = AlertView), (status = 401), (status = 404), (status = 409), (status = 422)))]
pub async fn resolve(
    State(state): State<AppState>,
    auth: StaffAuth,
    Path(id): Path<String>,
    JsonBody(req): JsonBody<ResolveRequest>,
) -> Result<Json<AlertView>, ApiError> {
    let a = visible_alert(&state, &auth, &id).await?;
    let grade = match req.confirmed_grade {
        Some(g @ 0..=4) => g as u8,
        Some(_) => return Err(ApiError::field("confirmed_grade", "a grade from 0 to 4")),
        None => return Err(ApiError::field("confirmed_grade", "required: the grade confirmed after the call")),
    };
    let note = req.note.as_deref().map(str::trim).unwrap_or("");
    if note.is_empty() || note.chars().count() > 2000 {
        return Err(ApiError::field("note", "required: what was done, at most 2000 characters"));
    }
    let now = state.now();
    let txn = store::begin_write(&state.db).await?;
    if !alerts::resolve(&txn, &a.id, &auth.staff.id, grade, note, now).await? {
        return Err(ApiError::Conflict { field: None, message: "the alert is already resolved".into() });
    }
    alerts::event(
        &txn,
        &a.id,
        "resolved",
        "professional",
        Some(&auth.staff.id),
        serde_json::json!({"confirmed_grade": grade}),
        now,
    )
    .await?;
    audit::record(&txn, &auth.actor(), "resolve", "alert", Some(&a.id), Some(&a.patient_id), now).await?;
    txn.commit().await?;
    let a = alerts::get(&state.db, &id).await?.ok_or(ApiError::NotFound)?;
    Ok(Json(view(&state, a).await?))
}
