//! The triage worklist's API: the handlers parse and answer; the actions are `app::alerts`.

use axum::Json;
use axum::extract::{Path, Query, State};
use serde::Deserialize;
use utoipa::IntoParams;

use super::error::ApiError;
use super::extract::{JsonBody, StaffAuth};
use crate::AppState;
use crate::app::alerts::{self as actions, AlertDetail, AlertView, ResolveRequest};

#[derive(Deserialize, IntoParams)]
pub struct AlertQuery {
    /// open (default), acknowledged or resolved
    pub status: Option<String>,
}

/// Alerts the caller may see, red first, then by deadline and age.
#[utoipa::path(get, path = "/api/v1/alerts", params(AlertQuery), responses((status = 200, body = Vec<AlertView>), (status = 401), (status = 422)))]
pub async fn list(
    State(state): State<AppState>,
    auth: StaffAuth,
    Query(q): Query<AlertQuery>,
) -> Result<Json<Vec<AlertView>>, ApiError> {
    Ok(Json(actions::list(&state, &auth, q.status.as_deref()).await?))
}

/// One alert with the report behind it and its history.
#[utoipa::path(get, path = "/api/v1/alerts/{id}", params(("id" = String, Path)), responses((status = 200, body = AlertDetail), (status = 401), (status = 404)))]
pub async fn detail(
    State(state): State<AppState>,
    auth: StaffAuth,
    Path(id): Path<String>,
) -> Result<Json<AlertDetail>, ApiError> {
    Ok(Json(actions::detail(&state, &auth, &id).await?))
}

/// The professional has seen the alert and takes it on; escalation stops.
#[utoipa::path(post, path = "/api/v1/alerts/{id}/acknowledge", params(("id" = String, Path)), responses((status = 200, body = AlertView), (status = 401), (status = 404), (status = 409)))]
pub async fn acknowledge(
    State(state): State<AppState>,
    auth: StaffAuth,
    Path(id): Path<String>,
) -> Result<Json<AlertView>, ApiError> {
    Ok(Json(actions::acknowledge(&state, &auth, &id).await?))
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
    Ok(Json(actions::resolve(&state, &auth, &id, &req).await?))
}
