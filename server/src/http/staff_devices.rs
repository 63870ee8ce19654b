//! Staff browsers and phones registering for push (urgent alerts reach them there as well as by
//! email). Same body and checks as the patient's `/patient/devices`.

use super::doses::{DeviceAdded, DeviceRequest, parse_device};
use super::error::ApiError;
use super::extract::{JsonBody, StaffAuth};
use crate::AppState;
use crate::store::push_devices;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;

/// Registers a Web Push subscription or an FCM token for the signed-in professional.
#[utoipa::path(post, path = "/api/v1/staff/devices", request_body = DeviceRequest,
    responses((status = 201, body = DeviceAdded), (status = 401), (status = 422)))]
pub async fn add(
    State(state): State<AppState>,
    auth: StaffAuth,
    JsonBody(req): JsonBody<DeviceRequest>,
) -> Result<(StatusCode, Json<DeviceAdded>), ApiError> {
    let device = parse_device(&state, req)?;
    let id = push_devices::add_for_professional(&state.db, &auth.staff.id, device, state.now()).await?;
    tracing::info!(professional_id = %auth.staff.id, device_id = %id, "staff push device registered");
    Ok((StatusCode::CREATED, Json(DeviceAdded { id })))
}

/// Removes one of the professional's own devices; another's is 404.
#[utoipa::path(delete, path = "/api/v1/staff/devices/{id}", params(("id" = String, Path)),
    responses((status = 204), (status = 401), (status = 404)))]
pub async fn remove(
    State(state): State<AppState>,
    auth: StaffAuth,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    if !push_devices::revoke(&state.db, push_devices::Owner::Professional(&auth.staff.id), &id, state.now()).await? {
        return Err(ApiError::NotFound);
    }
    Ok(StatusCode::NO_CONTENT)
}
