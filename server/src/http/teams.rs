//! The care team of an episode: its changes and history, the API's side (the actions are in
//! `app::teams`).

use axum::Json;
use axum::extract::{Path, State};

use super::error::ApiError;
use super::extract::{JsonBody, StaffAuth};
use crate::AppState;
use crate::app::teams::{self as actions, TeamChange, TeamHistoryView};

/// Changes named members of the care team from `effective_date` (today or later, or up to 7
/// days back), keeping the history: from that day access, alert routing and the forfait lines
/// follow the new team. Absent fields stay; `null` removes an optional member.
#[utoipa::path(post, path = "/api/v1/episodes/{id}/team", params(("id" = String, Path)), request_body = TeamChange,
    responses((status = 200, body = TeamHistoryView), (status = 401), (status = 403), (status = 404), (status = 409), (status = 422)))]
pub async fn change(
    State(state): State<AppState>,
    auth: StaffAuth,
    Path(id): Path<String>,
    JsonBody(req): JsonBody<TeamChange>,
) -> Result<Json<TeamHistoryView>, ApiError> {
    Ok(Json(actions::change(&state, &auth, &id, &req, state.now()).await?))
}

/// The team in force today, a change planned for a later date, and every member's periods.
#[utoipa::path(get, path = "/api/v1/episodes/{id}/team", params(("id" = String, Path)),
    responses((status = 200, body = TeamHistoryView), (status = 401), (status = 404)))]
pub async fn read(
    State(state): State<AppState>,
    auth: StaffAuth,
    Path(id): Path<String>,
) -> Result<Json<TeamHistoryView>, ApiError> {
    Ok(Json(actions::read(&state, &auth, &id).await?))
}
