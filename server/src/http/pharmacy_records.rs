//! The pharmacists' records around the hand-over, the API's side (the actions are in
//! `app::pharmacy_records`; docs/domain.md, "Pharmaceutical interview and medication
//! reconciliation").

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;

use super::error::ApiError;
use super::extract::{JsonBody, StaffAuth};
use crate::AppState;
use crate::app::pharmacy_records::{
    self as actions, PharmacyInterviewRequest, PharmacyInterviewView, PharmacyInterviewsView, ReconciliationRequest,
    ReconciliationView, ReconciliationsView,
};

/// Records the Onco'Link pharmaceutical interview held at a dispensation (the dispensing
/// pharmacist: the community pharmacist in parcours A, the hospital pharmacist in parcours B):
/// date, topics covered, minutes spent, a clinical note.
#[utoipa::path(post, path = "/api/v1/episodes/{id}/pharmacy-interviews", params(("id" = String, Path)), request_body = PharmacyInterviewRequest,
    responses((status = 201, body = PharmacyInterviewView), (status = 401), (status = 403), (status = 404), (status = 409), (status = 422)))]
pub async fn record_interview(
    State(state): State<AppState>,
    auth: StaffAuth,
    Path(id): Path<String>,
    JsonBody(req): JsonBody<PharmacyInterviewRequest>,
) -> Result<(StatusCode, Json<PharmacyInterviewView>), ApiError> {
    Ok((StatusCode::CREATED, Json(actions::record_interview(&state, &auth, &id, &req).await?)))
}

/// The episode's pharmaceutical interviews, newest first (the whole team reads them).
#[utoipa::path(get, path = "/api/v1/episodes/{id}/pharmacy-interviews", params(("id" = String, Path)),
    responses((status = 200, body = PharmacyInterviewsView), (status = 401), (status = 404)))]
pub async fn list_interviews(
    State(state): State<AppState>,
    auth: StaffAuth,
    Path(id): Path<String>,
) -> Result<Json<PharmacyInterviewsView>, ApiError> {
    Ok(Json(actions::list_interviews(&state, &auth, &id).await?))
}

/// Records the medication reconciliation at inclusion (the hospital pharmacist): the home
/// medications with a decision each (continue, stop, adjust), the discrepancies found, the date.
#[utoipa::path(post, path = "/api/v1/episodes/{id}/reconciliation", params(("id" = String, Path)), request_body = ReconciliationRequest,
    responses((status = 201, body = ReconciliationView), (status = 401), (status = 403), (status = 404), (status = 409), (status = 422)))]
pub async fn record_reconciliation(
    State(state): State<AppState>,
    auth: StaffAuth,
    Path(id): Path<String>,
    JsonBody(req): JsonBody<ReconciliationRequest>,
) -> Result<(StatusCode, Json<ReconciliationView>), ApiError> {
    Ok((StatusCode::CREATED, Json(actions::record_reconciliation(&state, &auth, &id, &req).await?)))
}

/// The episode's medication reconciliations, newest first (the whole team reads them).
#[utoipa::path(get, path = "/api/v1/episodes/{id}/reconciliation", params(("id" = String, Path)),
    responses((status = 200, body = ReconciliationsView), (status = 401), (status = 404)))]
pub async fn list_reconciliations(
    State(state): State<AppState>,
    auth: StaffAuth,
    Path(id): Path<String>,
) -> Result<Json<ReconciliationsView>, ApiError> {
    Ok(Json(actions::list_reconciliations(&state, &auth, &id).await?))
}
