//! Staff login and logout, patient phone activation.

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{AppendHeaders, IntoResponse};
use chrono::Duration;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::error::ApiError;
use super::extract::{Ctx, JsonBody, PatientAuth, SESSION_COOKIE, StaffAuth};
use crate::AppState;
use crate::secrets;
use crate::store::{self, audit, auth as auth_store, directory, patients};

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    pub email: String,
    pub password: String,
}

#[derive(Serialize, ToSchema)]
pub struct ProfessionalInfo {
    pub id: String,
    pub role: String,
    pub name: String,
    pub establishment_id: Option<String>,
    pub pharmacy_id: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct LoginResponse {
    pub token: String,
    pub professional: ProfessionalInfo,
}

fn info(p: &store::entities::professional::Model) -> ProfessionalInfo {
    ProfessionalInfo {
        id: p.id.clone(),
        role: p.role.clone(),
        name: format!("{} {}", p.given_name, p.family_name),
        establishment_id: p.establishment_id.clone(),
        pharmacy_id: p.pharmacy_id.clone(),
    }
}

/// Staff login: an opaque session token, also set as an HttpOnly SameSite=Strict cookie.
#[utoipa::path(post, path = "/api/v1/auth/login", request_body = LoginRequest,
    responses((status = 200, body = LoginResponse), (status = 401), (status = 429)))]
pub async fn login(
    State(state): State<AppState>,
    ctx: Ctx,
    JsonBody(req): JsonBody<LoginRequest>,
) -> Result<impl IntoResponse, ApiError> {
    let (token, p) = sign_in(&state, &ctx, &req.email, req.password).await?;
    let cookie = session_cookie(&state, &token);
    Ok((AppendHeaders([(header::SET_COOKIE, cookie)]), Json(LoginResponse { token, professional: info(&p) })))
}

/// Checks a password (per-address ceiling, per-account lock-out) and opens a session, with its
/// audit line, in one transaction. Shared by the API and the login page.
pub async fn sign_in(
    state: &AppState,
    ctx: &Ctx,
    email: &str,
    password: String,
) -> Result<(String, store::entities::professional::Model), ApiError> {
    let sec = &state.settings.security;
    let now = state.now();
    let addr = ctx.client_addr.clone().unwrap_or_default();
    // Per-address ceiling on top of the per-account lock-out: slows password spraying.
    if !auth_store::rate_limit_hit(
        &state.db,
        "login",
        &addr,
        sec.login_max_failures * 10,
        Duration::minutes(i64::from(sec.login_lockout_minutes)),
        now,
    )
    .await?
    {
        return Err(ApiError::TooManyRequests);
    }
    let email = email.trim().to_lowercase();
    let p = directory::professional_by_email(&state.db, &email).await?;
    let hash = p.as_ref().map(|p| p.password_hash.clone());
    let ok = tokio::task::spawn_blocking(move || secrets::verify_password(&password, hash.as_deref()))
        .await
        .map_err(|e| ApiError::Internal(e.into()))?;
    let Some(p) = p.filter(|p| p.active) else { return Err(ApiError::Unauthorized) };
    if p.locked_until.is_some_and(|t| t > now) {
        tracing::warn!(professional_id = %p.id, "login refused: account locked");
        return Err(ApiError::Unauthorized);
    }
    if !ok {
        auth_store::record_login_failure(
            &state.db,
            &p,
            sec.login_max_failures,
            Duration::minutes(i64::from(sec.login_lockout_minutes)),
            now,
        )
        .await?;
        return Err(ApiError::Unauthorized);
    }
    let (token, token_hash) = secrets::new_token();
    let ttl = Duration::hours(i64::from(sec.session_ttl_hours));
    let txn = store::begin_write(&state.db).await?;
    auth_store::record_login_success(&txn, &p.id).await?;
    auth_store::create_session(&txn, &p.id, &token_hash, now, ttl, ctx.client_addr.as_deref()).await?;
    audit::record(&txn, &ctx.actor("professional", &p.id), "login", "session", None, None, now).await?;
    txn.commit().await?;
    Ok((token, p))
}

/// `Secure` when the configuration says so or the public address is https.
pub fn cookie_secure(state: &AppState) -> &'static str {
    let s = &state.settings.server;
    if s.secure_cookies || s.public_url.starts_with("https://") { "; Secure" } else { "" }
}

/// The Set-Cookie value of a new session (its lifetime is the session's).
pub fn session_cookie(state: &AppState, token: &str) -> String {
    let max_age = i64::from(state.settings.security.session_ttl_hours) * 3600;
    format!("{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age}{}", cookie_secure(state))
}

/// The Set-Cookie value that removes the session cookie.
pub fn clear_session_cookie(state: &AppState) -> String {
    format!("{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0{}", cookie_secure(state))
}

/// Revokes the current session.
#[utoipa::path(post, path = "/api/v1/auth/logout", responses((status = 204), (status = 401)))]
pub async fn logout(State(state): State<AppState>, auth: StaffAuth) -> Result<impl IntoResponse, ApiError> {
    auth_store::revoke_session(&state.db, &auth.token_hash, state.now()).await?;
    Ok((StatusCode::NO_CONTENT, AppendHeaders([(header::SET_COOKIE, clear_session_cookie(&state))])))
}

#[utoipa::path(get, path = "/api/v1/auth/me", responses((status = 200, body = ProfessionalInfo), (status = 401)))]
pub async fn me(auth: StaffAuth) -> Json<ProfessionalInfo> {
    Json(info(&auth.professional))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActivateRequest {
    pub code: String,
}

#[derive(Serialize, ToSchema)]
pub struct PatientBrief {
    pub given_name: String,
    pub locale: String,
    pub time_zone: String,
}

#[derive(Serialize, ToSchema)]
pub struct ActivateResponse {
    pub token: String,
    pub patient: PatientBrief,
}

/// Exchanges a one-time activation code for a device token. Attempts are limited per client
/// address; a wrong, expired, revoked or used code all answer the same 401.
#[utoipa::path(post, path = "/api/v1/patient/activate", request_body = ActivateRequest,
    responses((status = 200, body = ActivateResponse), (status = 401), (status = 429)))]
pub async fn activate(
    State(state): State<AppState>,
    ctx: Ctx,
    JsonBody(req): JsonBody<ActivateRequest>,
) -> Result<Json<ActivateResponse>, ApiError> {
    let sec = &state.settings.security;
    let now = state.now();
    let addr = ctx.client_addr.clone().unwrap_or_default();
    let window = Duration::minutes(i64::from(sec.activation_window_minutes));
    if !auth_store::rate_limit_hit(&state.db, "activate", &addr, sec.activation_max_attempts, window, now).await? {
        tracing::warn!("activation attempts over the limit for one client address");
        return Err(ApiError::TooManyRequests);
    }
    let code = secrets::normalise_activation_code(&req.code).ok_or(ApiError::Unauthorized)?;
    let txn = store::begin_write(&state.db).await?;
    let patient_id = auth_store::consume_activation_code(&txn, &secrets::hash_activation_code(&code), now)
        .await?
        .ok_or(ApiError::Unauthorized)?;
    let patient = patients::get(&txn, &patient_id).await?.ok_or(ApiError::Unauthorized)?;
    let (token, token_hash) = secrets::new_token();
    let device_id = auth_store::create_device(&txn, &patient_id, &token_hash, now).await?;
    audit::record(
        &txn,
        &ctx.actor("patient", &patient_id),
        "activate",
        "device",
        Some(&device_id),
        Some(&patient_id),
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(Json(ActivateResponse {
        token,
        patient: PatientBrief { given_name: patient.given_name, locale: patient.locale, time_zone: patient.time_zone },
    }))
}

#[derive(Serialize, ToSchema)]
pub struct PatientMe {
    pub given_name: String,
    pub family_name: String,
    pub locale: String,
    pub time_zone: String,
    pub sequence: Option<String>,
    /// The care team's 24 h number.
    pub team_phone: Option<String>,
}

/// The patient's own identity and follow-up state.
#[utoipa::path(get, path = "/api/v1/patient/me", responses((status = 200, body = PatientMe), (status = 401)))]
pub async fn patient_me(State(state): State<AppState>, auth: PatientAuth) -> Result<Json<PatientMe>, ApiError> {
    let p = patients::get(&state.db, &auth.patient_id).await?.ok_or(ApiError::Unauthorized)?;
    let ep = patients::current_episode(&state.db, &p.id).await?;
    let sequence = match &ep {
        Some(e) => store::episodes::active_sequence(&state.db, &e.id).await?.map(|s| s.kind),
        None => None,
    };
    let team_phone = directory::establishment(&state.db, &p.establishment_id).await?.map(|e| e.phone_24h);
    audit::record(
        &state.db,
        &auth.ctx.actor("patient", &p.id),
        "read",
        "patient",
        Some(&p.id),
        Some(&p.id),
        state.now(),
    )
    .await?;
    Ok(Json(PatientMe {
        given_name: p.given_name,
        family_name: p.family_name,
        locale: p.locale,
        time_zone: p.time_zone,
        sequence,
        team_phone,
    }))
}
