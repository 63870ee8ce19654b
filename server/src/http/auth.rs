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

/// Buckets of the failure ledger (`store::auth::reserve_attempt`).
const LOGIN_ADDR: &str = "login";
const LOGIN_ACCOUNT_ADDR: &str = "login_account";

/// How long the next attempt must wait after `failures` failures for one account from one
/// address: nothing before `free` failures, then 2, 4, 8 ... seconds, at most `cap`.
pub fn login_delay(failures: u64, free: u32, cap: Duration) -> Duration {
    if failures < u64::from(free) {
        return Duration::zero();
    }
    let over = failures - u64::from(free) + 1;
    let secs = 1i64.checked_shl(over.min(30) as u32).unwrap_or(i64::MAX);
    Duration::seconds(secs).min(cap)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_delay_grows_from_the_free_failures_on_and_is_capped() {
        let cap = Duration::minutes(15);
        let d = |n| login_delay(n, 5, cap).num_seconds();
        assert_eq!([d(0), d(4), d(5), d(6), d(7), d(12)], [0, 0, 2, 4, 8, 256]);
        assert_eq!(d(40), 900, "never longer than the window");
    }
}

/// Checks a password and opens a session, with its audit line, in one transaction. Shared by
/// the API and the login page (docs/security.md, "Sign-in"):
/// - wrong passwords slow down the address they come from, for that account only, with
///   growing delays; they never lock the account, so a stranger cannot lock out its owner;
/// - one address may fail at most `10 × login_max_failures` times per window, all accounts
///   together (password spraying); its successful logins do not count;
/// - at most one password check per core runs at once; beyond, 503 at once (memory stays
///   bounded under a flood);
/// - every failure is logged and audited, never with the password.
pub async fn sign_in(
    state: &AppState,
    ctx: &Ctx,
    email: &str,
    password: String,
) -> Result<(String, store::entities::professional::Model), ApiError> {
    let sec = &state.settings.security;
    let now = state.now();
    let window = Duration::minutes(i64::from(sec.login_lockout_minutes));
    let addr = ctx.client_addr.clone().unwrap_or_default();
    let email = email.trim().to_lowercase();
    let account_key = format!("{email}|{addr}");
    let (failures, last) =
        auth_store::failures_since(&state.db, LOGIN_ACCOUNT_ADDR, &account_key, now - window).await?;
    let wait = login_delay(failures, sec.login_max_failures, window);
    if let Some(last) = last
        && now < last + wait
    {
        tracing::warn!("login refused: too many recent failures for this account from this address");
        return Err(ApiError::Throttled((last + wait - now).num_seconds().max(1) as u64));
    }
    let Some(reservation) =
        auth_store::reserve_attempt(&state.db, LOGIN_ADDR, &addr, sec.login_max_failures * 10, window, now).await?
    else {
        tracing::warn!("login refused: too many failures from one client address");
        return Err(ApiError::TooManyRequests);
    };
    let Ok(_permit) = state.hashing.clone().try_acquire_owned() else {
        auth_store::withdraw_attempt(&state.db, &reservation).await?;
        return Err(ApiError::Busy);
    };
    let p = directory::professional_by_email(&state.db, &email).await?;
    let hash = p.as_ref().map(|p| p.password_hash.clone());
    // Unknown accounts are checked against a dummy hash: the answer takes as long.
    let ok = tokio::task::spawn_blocking(move || secrets::verify_password(&password, hash.as_deref()))
        .await
        .map_err(|e| ApiError::Internal(e.into()))?;
    let refused = match &p {
        None => Some("unknown account"),
        Some(p) if !p.active => Some("account disabled"),
        Some(p) if p.locked_until.is_some_and(|t| t > now) => Some("account locked by an administrator"),
        Some(_) if !ok => Some("wrong password"),
        Some(_) => None,
    };
    if let Some(why) = refused {
        let txn = store::begin_write(&state.db).await?;
        auth_store::record_failure(&txn, LOGIN_ACCOUNT_ADDR, &account_key, now).await?;
        let actor = match &p {
            Some(p) => ctx.actor("professional", &p.id),
            None => audit::Actor {
                kind: "anonymous",
                id: None,
                client_addr: ctx.client_addr.clone(),
                request_id: ctx.request_id.clone(),
            },
        };
        audit::record(
            &txn,
            audit::Entry {
                actor: &actor,
                action: "login_failed",
                entity: "session",
                entity_id: None,
                patient_id: None,
                at: now,
            },
        )
        .await?;
        txn.commit().await?;
        tracing::warn!(professional_id = p.as_ref().map_or("-", |p| p.id.as_str()), reason = why, "login failed");
        return Err(ApiError::Unauthorized);
    }
    let Some(p) = p else { return Err(ApiError::Unauthorized) };
    let (token, token_hash) = secrets::new_token();
    let ttl = Duration::hours(i64::from(sec.session_ttl_hours));
    let txn = store::begin_write(&state.db).await?;
    auth_store::withdraw_attempt(&txn, &reservation).await?;
    auth_store::clear_failures(&txn, LOGIN_ACCOUNT_ADDR, &account_key).await?;
    auth_store::create_session(&txn, &p.id, &token_hash, now, ttl, ctx.client_addr.as_deref()).await?;
    audit::record(
        &txn,
        audit::Entry {
            actor: &ctx.actor("professional", &p.id),
            action: "login",
            entity: "session",
            entity_id: None,
            patient_id: None,
            at: now,
        },
    )
    .await?;
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
    // Failures only count against the address: a valid code is never refused because of the
    // other phones activated from the same ward.
    let Some(reservation) =
        auth_store::reserve_attempt(&state.db, "activate", &addr, sec.activation_max_attempts, window, now).await?
    else {
        tracing::warn!("activation attempts over the limit for one client address");
        return Err(ApiError::TooManyRequests);
    };
    let code = secrets::normalise_activation_code(&req.code);
    let txn = store::begin_write(&state.db).await?;
    let patient_id = match &code {
        Some(code) => auth_store::consume_activation_code(&txn, &secrets::hash_activation_code(code), now).await?,
        None => None,
    };
    let Some(patient_id) = patient_id else {
        txn.rollback().await?;
        tracing::warn!("activation failed: wrong, expired or used code");
        return Err(ApiError::Unauthorized);
    };
    auth_store::withdraw_attempt(&txn, &reservation).await?;
    let patient = patients::get(&txn, &patient_id).await?.ok_or(ApiError::Unauthorized)?;
    let (token, token_hash) = secrets::new_token();
    let device_id = auth_store::create_device(&txn, &patient_id, &token_hash, now).await?;
    audit::record(
        &txn,
        audit::Entry {
            actor: &ctx.actor("patient", &patient_id),
            action: "activate",
            entity: "device",
            entity_id: Some(&device_id),
            patient_id: Some(&patient_id),
            at: now,
        },
    )
    .await?;
    txn.commit().await?;
    Ok(Json(ActivateResponse {
        token,
        patient: PatientBrief { given_name: patient.given_name, locale: patient.locale, time_zone: patient.time_zone },
    }))
}

/// "Log out this phone": revokes the device token the request carries.
#[utoipa::path(post, path = "/api/v1/patient/logout", responses((status = 204), (status = 401)))]
pub async fn patient_logout(State(state): State<AppState>, auth: PatientAuth) -> Result<StatusCode, ApiError> {
    let now = state.now();
    let txn = store::begin_write(&state.db).await?;
    auth_store::revoke_device(&txn, &auth.device_id, now).await?;
    audit::record(
        &txn,
        audit::Entry {
            actor: &auth.ctx.actor("patient", &auth.patient_id),
            action: "logout",
            entity: "device",
            entity_id: Some(&auth.device_id),
            patient_id: Some(&auth.patient_id),
            at: now,
        },
    )
    .await?;
    txn.commit().await?;
    Ok(StatusCode::NO_CONTENT)
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
        audit::Entry {
            actor: &auth.ctx.actor("patient", &p.id),
            action: "read",
            entity: "patient",
            entity_id: Some(&p.id),
            patient_id: Some(&p.id),
            at: state.now(),
        },
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

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LocaleRequest {
    /// `fr` or `en`.
    #[schema(pattern = "^(fr|en)$", example = "en")]
    pub locale: String,
}

#[derive(Serialize, ToSchema)]
pub struct LocaleSet {
    /// The language Relais now uses with the patient: questions, advice, results, reminders.
    pub locale: String,
}

/// The app's language switch: from now on the questions, advice, results, reminders and pushes
/// are in this language. 422 naming `locale` for anything but `fr` or `en`.
#[utoipa::path(put, path = "/api/v1/patient/locale", request_body = LocaleRequest,
    responses((status = 200, body = LocaleSet), (status = 401), (status = 422)))]
pub async fn set_patient_locale(
    State(state): State<AppState>,
    auth: PatientAuth,
    JsonBody(req): JsonBody<LocaleRequest>,
) -> Result<Json<LocaleSet>, ApiError> {
    crate::app::patients::set_locale(&state, &auth, &req.locale).await?;
    Ok(Json(LocaleSet { locale: req.locale.trim().to_owned() }))
}
