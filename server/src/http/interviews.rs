//! The pharmacists' national interview ledger (TAC, AC1–AC4): a community pharmacist records an
//! interview done with a patient of theirs (`app::interviews`); the codes due are listed apart
//! from the forfaits.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use super::billing::{created, scope_of};
use super::error::ApiError;
use super::extract::{JsonBody, StaffAuth};
use crate::AppState;
use crate::app::interviews::{self as actions, InterviewRecorded, InterviewRequest};
use crate::domain::billing::euros_fr;
use crate::store::billing::interviews;

/// Records an interview done by the caller's pharmacy (the action `app::interviews::record`, the
/// patient page's form too).
#[utoipa::path(post, path = "/api/v1/interviews", request_body = InterviewRequest,
    responses((status = 201, body = InterviewRecorded), (status = 401), (status = 403), (status = 404), (status = 422)))]
pub async fn record(
    State(state): State<AppState>,
    auth: StaffAuth,
    JsonBody(req): JsonBody<InterviewRequest>,
) -> Result<(StatusCode, Json<InterviewRecorded>), ApiError> {
    Ok(created(actions::record(&state, &auth, &req).await?))
}

#[derive(Serialize, ToSchema)]
pub struct CodeView {
    pub code: String,
    /// 0 for TAC and the first-year code, then 1, 2, … for the following years.
    pub cycle: i32,
    #[schema(value_type = String, format = Date)]
    pub due_on: NaiveDate,
    pub amount_cents: i64,
    pub amount_eur: String,
    pub accompaniment_id: String,
    pub patient_id: String,
    pub pharmacy_id: String,
    pub created_at: DateTime<Utc>,
}

/// Interview codes due: a pharmacist's own; the establishment's patients' for admins and the
/// billing office. Never part of the forfait statements.
#[utoipa::path(get, path = "/api/v1/interviews/codes",
    responses((status = 200, body = Vec<CodeView>), (status = 401), (status = 403)))]
pub async fn codes(State(state): State<AppState>, auth: StaffAuth) -> Result<Json<Vec<CodeView>>, ApiError> {
    let scope = scope_of(&auth)?;
    let rows = interviews::codes(&state.db, &scope).await?;
    Ok(Json(
        rows.into_iter()
            .map(|(c, a)| CodeView {
                amount_eur: euros_fr(c.amount_cents),
                code: c.code,
                cycle: c.cycle,
                due_on: c.due_on,
                amount_cents: c.amount_cents,
                accompaniment_id: c.accompaniment_id,
                patient_id: a.patient_id,
                pharmacy_id: c.pharmacy_id,
                created_at: c.created_at,
            })
            .collect(),
    ))
}
