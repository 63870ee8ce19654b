//! The patient's symptom reports: the API's side (the intake is `app::reports::submit`).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde_json::Value;

use super::error::ApiError;
use super::extract::{JsonBody, PatientAuth};
use crate::AppState;
use crate::app::reports::{self as actions, ReportRequest};

/// Submits a report (a questionnaire's answers, or "I have a symptom now").
#[utoipa::path(post, path = "/api/v1/patient/reports", request_body = ReportRequest,
    responses((status = 201, body = actions::ReportResult, description = "the triage result; the same body again for a retried `client_id`"), (status = 401), (status = 404), (status = 409), (status = 422)))]
pub async fn submit(
    State(state): State<AppState>,
    auth: PatientAuth,
    JsonBody(req): JsonBody<ReportRequest>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let response = actions::submit(&state, &auth.patient_id, req, auth.actor(), state.now()).await?;
    Ok((StatusCode::CREATED, Json(response)))
}
