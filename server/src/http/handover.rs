//! The versions of an episode's hand-over sheet, the API's side (the actions are in
//! `app::handover`; the sheet itself is a staff page, made to be printed).

use axum::Json;
use axum::extract::{Path, State};

use super::error::ApiError;
use super::extract::StaffAuth;
use crate::AppState;
use crate::app::handover::{self as actions, SheetVersionView};

/// Every version of the episode's hand-over sheet, oldest first, each with its page's address.
#[utoipa::path(get, path = "/api/v1/episodes/{id}/handover-sheets", params(("id" = String, Path)),
    responses((status = 200, body = Vec<SheetVersionView>), (status = 401), (status = 404)))]
pub async fn list(
    State(state): State<AppState>,
    auth: StaffAuth,
    Path(id): Path<String>,
) -> Result<Json<Vec<SheetVersionView>>, ApiError> {
    Ok(Json(actions::list(&state, &auth, &id).await?))
}
