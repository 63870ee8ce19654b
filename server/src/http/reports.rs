//! The patient's symptom reports: the API's side (the intake is `app::reports::submit`).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde_json::Value;

use super::error::ApiError;
use super::extract::{DeviceToken, JsonBody};
use crate::AppState;
use crate::app::reports::{self as actions, ReportRequest, Sender};

/// Submits a report (a questionnaire's answers, or "I have a symptom now").
#[utoipa::path(post, path = "/api/v1/patient/reports", request_body = ReportRequest,
    responses((status = 201, body = actions::ReportResult, description = "the triage result; the same body again for a retried `client_id`"), (status = 401), (status = 404), (status = 409), (status = 422)))]
pub async fn submit(
    State(state): State<AppState>,
    phone: DeviceToken,
    body: Result<JsonBody<ReportRequest>, ApiError>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let now = state.now();
    // The token is checked with the intake's first read; a body refused before it is answered
    // only once the token is known good, so that an unknown phone always gets 401.
    let req = match body {
        Ok(JsonBody(req)) => req,
        Err(e) => {
            phone.authenticate(&state, now).await?;
            return Err(e);
        }
    };
    let response = actions::submit(&state, Sender::Phone(phone), req, now).await?;
    Ok((StatusCode::CREATED, Json(response)))
}
