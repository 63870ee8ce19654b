//! Dispensations of an episode's drugs, the API's side (the actions are in
//! `app::dispensations`; docs/domain.md, "Dispensations").

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;

use super::error::ApiError;
use super::extract::{JsonBody, StaffAuth};
use crate::AppState;
use crate::app::dispensations::{self as actions, DispensationRequest, DispensationView, DispensationsView};

/// Records a dispensation of a drug of the current regimen (the dispensing pharmacist, the
/// hospital pharmacist or the IDEC): its run-out date follows, and a refill reminder is pushed
/// to the patient 3 days before it at 10:00 their time, unless a later dispensation renews it.
#[utoipa::path(post, path = "/api/v1/episodes/{id}/dispensations", params(("id" = String, Path)), request_body = DispensationRequest,
    responses((status = 201, body = DispensationView), (status = 401), (status = 403), (status = 404), (status = 409), (status = 422)))]
pub async fn record(
    State(state): State<AppState>,
    auth: StaffAuth,
    Path(id): Path<String>,
    JsonBody(req): JsonBody<DispensationRequest>,
) -> Result<(StatusCode, Json<DispensationView>), ApiError> {
    Ok((StatusCode::CREATED, Json(actions::record(&state, &auth, &id, &req).await?)))
}

/// The episode's dispensations with their run-out dates and overdue flags, and per drug the
/// units dispensed against the units of the doses the patient confirmed taken.
#[utoipa::path(get, path = "/api/v1/episodes/{id}/dispensations", params(("id" = String, Path)),
    responses((status = 200, body = DispensationsView), (status = 401), (status = 404)))]
pub async fn list(
    State(state): State<AppState>,
    auth: StaffAuth,
    Path(id): Path<String>,
) -> Result<Json<DispensationsView>, ApiError> {
    Ok(Json(actions::list(&state, &auth, &id).await?))
}
