//! Enrolment, the patient list and record, activation codes, "phone lost", the audit trail of
//! a record: the API's side (the actions are in `app::patients`).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use super::error::ApiError;
use super::extract::{JsonBody, StaffAuth};
use super::views::{self, PatientSummary, PatientView};
use crate::AppState;
use crate::app::{
    self,
    patients::{DevicesRevoked, Enrolled, NewCode},
};
use crate::domain::access::Role;
use crate::domain::enrolment::EnrolRequest;
use crate::store::{audit, patients};

/// Includes a patient: patient, episode at S1, team, regimen and an activation code, in one
/// transaction.
#[utoipa::path(post, path = "/api/v1/patients", request_body = EnrolRequest,
    responses((status = 201, body = Enrolled), (status = 401), (status = 403), (status = 409), (status = 413), (status = 422)))]
pub async fn enrol(
    State(state): State<AppState>,
    auth: StaffAuth,
    JsonBody(req): JsonBody<EnrolRequest>,
) -> Result<(StatusCode, Json<Enrolled>), ApiError> {
    Ok((StatusCode::CREATED, Json(app::patients::enrol(&state, &auth, &req).await?)))
}

/// The caller's patients.
#[utoipa::path(get, path = "/api/v1/patients", responses((status = 200, body = Vec<PatientSummary>), (status = 401)))]
pub async fn list(State(state): State<AppState>, auth: StaffAuth) -> Result<Json<Vec<PatientSummary>>, ApiError> {
    let listed = app::patients::list(&state, &auth, |_| true).await?;
    let mut out = Vec::with_capacity(listed.patients.len());
    for p in listed.patients {
        out.push(views::patient_summary(&state.db, p).await?);
    }
    Ok(Json(out))
}

/// A patient's record: identity, episode, sequences, regimen, team, co-medications.
#[utoipa::path(get, path = "/api/v1/patients/{id}", params(("id" = String, Path)),
    responses((status = 200, body = PatientView), (status = 401), (status = 404)))]
pub async fn get_one(
    State(state): State<AppState>,
    auth: StaffAuth,
    Path(id): Path<String>,
) -> Result<Json<PatientView>, ApiError> {
    let p = app::patients::read(&state, &auth, &id).await?;
    Ok(Json(views::patient_view(&state, p).await?))
}

/// A new activation code; the previous one stops working.
#[utoipa::path(post, path = "/api/v1/patients/{id}/activation-code", params(("id" = String, Path)),
    responses((status = 201, body = NewCode), (status = 401), (status = 403), (status = 404)))]
pub async fn new_activation_code(
    State(state): State<AppState>,
    auth: StaffAuth,
    Path(id): Path<String>,
) -> Result<(StatusCode, Json<NewCode>), ApiError> {
    Ok((StatusCode::CREATED, Json(app::patients::reissue_code(&state, &auth, &id).await?)))
}

/// "Phone lost": revokes every phone token and push subscription of the patient at once.
#[utoipa::path(delete, path = "/api/v1/patients/{id}/devices", params(("id" = String, Path)),
    responses((status = 200, body = DevicesRevoked), (status = 401), (status = 403), (status = 404)))]
pub async fn revoke_devices(
    State(state): State<AppState>,
    auth: StaffAuth,
    Path(id): Path<String>,
) -> Result<Json<DevicesRevoked>, ApiError> {
    Ok(Json(app::patients::revoke_devices(&state, &auth, &id).await?))
}

#[derive(Serialize, ToSchema)]
pub struct AuditEntry {
    pub at: DateTime<Utc>,
    pub actor_kind: String,
    pub actor_id: Option<String>,
    pub action: String,
    pub entity: String,
    pub entity_id: Option<String>,
    pub client_addr: Option<String>,
}

/// Who read or changed this patient's data. Hospital staff of the patient's establishment and
/// admins of that establishment (who see accesses, never clinical content).
#[utoipa::path(get, path = "/api/v1/patients/{id}/audit", params(("id" = String, Path)),
    responses((status = 200, body = Vec<AuditEntry>), (status = 401), (status = 403), (status = 404)))]
pub async fn audit_trail(
    State(state): State<AppState>,
    auth: StaffAuth,
    Path(id): Path<String>,
) -> Result<Json<Vec<AuditEntry>>, ApiError> {
    if auth.staff.role == Role::Admin {
        let p = patients::get(&state.db, &id).await?.ok_or(ApiError::NotFound)?;
        if auth.staff.establishment_id.as_deref() != Some(p.establishment_id.as_str()) {
            return Err(ApiError::NotFound);
        }
    } else {
        app::patients::visible_patient(&state, &auth, &id).await?;
        if !auth.staff.role.is_hospital() {
            return Err(ApiError::Forbidden("the audit trail is for the hospital team and admins"));
        }
    }
    let rows = audit::for_patient(&state.db, &id).await?;
    audit::record(
        &state.db,
        audit::Entry {
            actor: &auth.actor(),
            action: "read",
            entity: "audit_log",
            entity_id: None,
            patient_id: Some(&id),
            at: state.now(),
        },
    )
    .await?;
    Ok(Json(
        rows.into_iter()
            .map(|r| AuditEntry {
                at: r.at,
                actor_kind: r.actor_kind,
                actor_id: r.actor_id,
                action: r.action,
                entity: r.entity,
                entity_id: r.entity_id,
                client_addr: r.client_addr,
            })
            .collect(),
    ))
}
