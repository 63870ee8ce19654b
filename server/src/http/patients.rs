//! Enrolment, the patient list and record, activation codes, the audit trail of a record.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use super::error::ApiError;
use super::extract::{JsonBody, StaffAuth};
use super::views::{self, PatientSummary, PatientView};
use crate::AppState;
use crate::domain::access::{Role, staff_sees};
use crate::domain::enrolment::{self, EnrolRequest};
use crate::secrets;
use crate::store::{self, audit, auth as auth_store, entities::patient, episodes, patients};

#[derive(Serialize, ToSchema)]
pub struct Enrolled {
    pub patient_id: String,
    pub episode_id: String,
    /// One-time code the patient types (or scans) on the phone; shown once.
    pub activation_code: String,
    pub activation_expires_at: DateTime<Utc>,
}

/// Loads a patient the caller may see; anything else is 404 (existence is not revealed).
pub async fn visible_patient(state: &AppState, auth: &StaffAuth, id: &str) -> Result<patient::Model, ApiError> {
    let p = patients::get(&state.db, id).await?.ok_or(ApiError::NotFound)?;
    let facts = patients::facts(&state.db, &p).await?;
    if !staff_sees(&auth.staff, &facts) {
        tracing::info!(professional_id = %auth.staff.id, patient_id = %id, "patient outside the caller's scope");
        return Err(ApiError::NotFound);
    }
    Ok(p)
}

async fn issue_code(
    state: &AppState,
    db: &impl sea_orm::ConnectionTrait,
    patient_id: &str,
) -> Result<(String, DateTime<Utc>), ApiError> {
    let code = secrets::new_activation_code();
    let normalised = secrets::normalise_activation_code(&code)
        .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("generated an invalid code")))?;
    let ttl = Duration::days(i64::from(state.settings.security.activation_code_ttl_days));
    let expires = auth_store::replace_activation_code(
        db,
        patient_id,
        &secrets::hash_activation_code(&normalised),
        state.now(),
        ttl,
    )
    .await?;
    Ok((code, expires))
}

/// Includes a patient: patient, episode at S1, team, regimen and an activation code, in one
/// transaction.
#[utoipa::path(post, path = "/api/v1/patients", request_body = EnrolRequest,
    responses((status = 201, body = Enrolled), (status = 401), (status = 403), (status = 409), (status = 413), (status = 422)))]
pub async fn enrol(
    State(state): State<AppState>,
    auth: StaffAuth,
    JsonBody(req): JsonBody<EnrolRequest>,
) -> Result<(StatusCode, Json<Enrolled>), ApiError> {
    Ok((StatusCode::CREATED, Json(enrol_patient(&state, &auth, &req).await?)))
}

/// The enrolment itself, shared by the API and the enrolment page.
pub async fn enrol_patient(state: &AppState, auth: &StaffAuth, req: &EnrolRequest) -> Result<Enrolled, ApiError> {
    if !auth.staff.role.may_enrol() {
        return Err(ApiError::Forbidden("only hospital staff enrol patients"));
    }
    let establishment_id =
        auth.staff.establishment_id.clone().ok_or(ApiError::Forbidden("your account has no establishment"))?;
    let now = state.now();
    let today = now.with_timezone(&state.site_tz()).date_naive();
    let checked = enrolment::check(req, &state.rules.catalog, state.site_tz(), today)?;
    let txn = store::begin_write(&state.db).await?;
    let e = episodes::enrol(&txn, &checked, &establishment_id, &auth.staff.id, &state.rules.pathway, now).await?;
    let (activation_code, activation_expires_at) = issue_code(state, &txn, &e.patient_id).await?;
    audit::record(&txn, &auth.actor(), "create", "patient", Some(&e.patient_id), Some(&e.patient_id), now).await?;
    txn.commit().await?;
    tracing::info!(patient_id = %e.patient_id, episode_id = %e.episode_id, "patient enrolled");
    Ok(Enrolled { patient_id: e.patient_id, episode_id: e.episode_id, activation_code, activation_expires_at })
}

/// The caller's patients.
#[utoipa::path(get, path = "/api/v1/patients", responses((status = 200, body = Vec<PatientSummary>), (status = 401)))]
pub async fn list(State(state): State<AppState>, auth: StaffAuth) -> Result<Json<Vec<PatientSummary>>, ApiError> {
    let rows = patients::visible_to(&state.db, &auth.staff).await?;
    let now = state.now();
    let mut out = Vec::with_capacity(rows.len());
    let actor = auth.actor();
    let txn = store::begin_write(&state.db).await?;
    for p in rows {
        audit::record(&txn, &actor, "list", "patient", Some(&p.id), Some(&p.id), now).await?;
        out.push(views::patient_summary(&txn, p).await?);
    }
    txn.commit().await?;
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
    let p = visible_patient(&state, &auth, &id).await?;
    audit::record(&state.db, &auth.actor(), "read", "patient", Some(&id), Some(&id), state.now()).await?;
    Ok(Json(views::patient_view(&state, p).await?))
}

#[derive(Serialize, ToSchema)]
pub struct NewCode {
    pub activation_code: String,
    pub activation_expires_at: DateTime<Utc>,
}

/// A new activation code; the previous one stops working.
#[utoipa::path(post, path = "/api/v1/patients/{id}/activation-code", params(("id" = String, Path)),
    responses((status = 201, body = NewCode), (status = 401), (status = 403), (status = 404)))]
pub async fn new_activation_code(
    State(state): State<AppState>,
    auth: StaffAuth,
    Path(id): Path<String>,
) -> Result<(StatusCode, Json<NewCode>), ApiError> {
    Ok((StatusCode::CREATED, Json(reissue_code(&state, &auth, &id).await?)))
}

/// A new activation code for a patient the caller sees (API and enrolment page).
pub async fn reissue_code(state: &AppState, auth: &StaffAuth, id: &str) -> Result<NewCode, ApiError> {
    visible_patient(state, auth, id).await?;
    if !auth.staff.role.is_hospital() {
        return Err(ApiError::Forbidden("activation codes are issued by the hospital team"));
    }
    let txn = store::begin_write(&state.db).await?;
    let (activation_code, activation_expires_at) = issue_code(state, &txn, id).await?;
    audit::record(&txn, &auth.actor(), "new_activation_code", "patient", Some(id), Some(id), state.now()).await?;
    txn.commit().await?;
    Ok(NewCode { activation_code, activation_expires_at })
}

#[derive(Serialize, ToSchema)]
pub struct DevicesRevoked {
    /// Phone tokens revoked (each such phone gets 401 and must be activated again).
    pub devices: u64,
    /// Push subscriptions revoked (no more notifications to a lost phone's lock screen).
    pub push_subscriptions: u64,
}

/// "Phone lost": revokes every phone token and push subscription of the patient at once.
#[utoipa::path(delete, path = "/api/v1/patients/{id}/devices", params(("id" = String, Path)),
    responses((status = 200, body = DevicesRevoked), (status = 401), (status = 403), (status = 404)))]
pub async fn revoke_devices(
    State(state): State<AppState>,
    auth: StaffAuth,
    Path(id): Path<String>,
) -> Result<Json<DevicesRevoked>, ApiError> {
    Ok(Json(revoke_patient_devices(&state, &auth, &id).await?))
}

/// Revokes a patient's phones (API and patient page), audited, in one transaction.
pub async fn revoke_patient_devices(state: &AppState, auth: &StaffAuth, id: &str) -> Result<DevicesRevoked, ApiError> {
    visible_patient(state, auth, id).await?;
    if !auth.staff.role.is_hospital() {
        return Err(ApiError::Forbidden("a patient's phones are revoked by the hospital team"));
    }
    let now = state.now();
    let txn = store::begin_write(&state.db).await?;
    let devices = auth_store::revoke_devices(&txn, id, now).await?;
    let push_subscriptions = store::push_devices::revoke_all_for_patient(&txn, id, now).await?;
    audit::record(&txn, &auth.actor(), "revoke_devices", "patient", Some(id), Some(id), now).await?;
    txn.commit().await?;
    tracing::info!(patient_id = %id, devices, push_subscriptions, "patient's phones revoked");
    Ok(DevicesRevoked { devices, push_subscriptions })
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
    responses((status = 200, body = Vec<AuditEntry>), (status = 401), (status = 404)))]
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
        visible_patient(&state, &auth, &id).await?;
        if !auth.staff.role.is_hospital() {
            return Err(ApiError::Forbidden("the audit trail is for the hospital team and admins"));
        }
    }
    let rows = audit::for_patient(&state.db, &id).await?;
    audit::record(&state.db, &auth.actor(), "read", "audit_log", None, Some(&id), state.now()).await?;
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
