//! Extractors: JSON bodies whose errors name the field, staff and patient authentication, and
//! the request context the audit log records.

use std::net::SocketAddr;

use axum::body::Bytes;
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Request};
use axum::http::{StatusCode, header, request::Parts};
use serde::de::DeserializeOwned;

use super::error::ApiError;
use crate::AppState;
pub use crate::app::actor::{Ctx, DeviceToken, PatientAuth, StaffAuth};
use crate::secrets::{self, hash_token};
use crate::store;

pub const SESSION_COOKIE: &str = "relais_session";
/// Header carrying the CSRF token on API writes authenticated by the session cookie.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// A JSON body. Malformed JSON is 400; a wrong field, type or value is 422 naming the path.
pub struct JsonBody<T>(pub T);

impl<T: DeserializeOwned> FromRequest<AppState> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, ApiError> {
        // A JSON endpoint takes JSON only: a `text/plain` or form body is what a cross-site form
        // can send without a preflight, so it is refused (415) before anything is read.
        let content_type = req.headers().get(header::CONTENT_TYPE).map(|v| v.to_str().unwrap_or("?").to_owned());
        let is_json = |ct: &str| {
            let essence = ct.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
            essence == "application/json" || (essence.starts_with("application/") && essence.ends_with("+json"))
        };
        if content_type.as_deref().is_some_and(|ct| !is_json(ct)) {
            return Err(ApiError::UnsupportedMediaType);
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|r| {
            if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::PayloadTooLarge
            } else {
                ApiError::BadRequest(r.body_text())
            }
        })?;
        if content_type.is_none() && !bytes.is_empty() {
            return Err(ApiError::UnsupportedMediaType);
        }
        let de = &mut serde_json::Deserializer::from_slice(&bytes);
        serde_path_to_error::deserialize(de).map(JsonBody).map_err(|e| {
            let path = e.path().to_string();
            let inner = e.into_inner();
            if inner.is_syntax() || inner.is_eof() {
                ApiError::BadRequest(format!("malformed JSON: {inner}"))
            } else {
                let field = if path == "." { String::new() } else { path };
                ApiError::field(field, inner.to_string())
            }
        })
    }
}

impl FromRequestParts<AppState> for Ctx {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let peer = parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip());
        let client_addr = peer.map(|peer| {
            // Several X-Forwarded-For headers are one list, in order.
            let xff: Vec<&str> =
                parts.headers.get_all("x-forwarded-for").iter().filter_map(|v| v.to_str().ok()).collect();
            let xff = (!xff.is_empty()).then(|| xff.join(","));
            super::client_addr::client_addr(peer, xff.as_deref(), &state.trusted_proxies).to_string()
        });
        // Made by the server (`http::router` drops any id the client sent).
        let request_id = parts.headers.get("x-request-id").and_then(|v| v.to_str().ok()).map(str::to_owned);
        Ok(Self { client_addr, request_id })
    }
}

fn bearer(parts: &Parts) -> Option<String> {
    let auth = parts.headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = auth.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim().to_owned())
}

pub(crate) fn cookie(parts: &Parts, name: &str) -> Option<String> {
    parts
        .headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
}

impl FromRequestParts<AppState> for StaffAuth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let ctx = Ctx::from_request_parts(parts, state).await?;
        if let Some(token) = bearer(parts) {
            return StaffAuth::from_token(state, &token, ctx).await;
        }
        let token = cookie(parts, SESSION_COOKIE).ok_or(ApiError::Unauthorized)?;
        let auth = StaffAuth::from_token(state, &token, ctx).await?;
        // A browser sends the cookie with any request to us, including one forged by another
        // page: a write by cookie must also prove it comes from our pages (CSRF header).
        if !parts.method.is_safe() {
            let sent = parts.headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok()).unwrap_or("");
            if !secrets::same_secret(sent, &secrets::csrf_token(&token)) {
                return Err(ApiError::Forbidden("missing or wrong CSRF token (X-CSRF-Token header)"));
            }
        }
        Ok(auth)
    }
}

impl StaffAuth {
    /// The professional behind a live session token.
    pub async fn from_token(state: &AppState, token: &str, ctx: Ctx) -> Result<Self, ApiError> {
        let token_hash = hash_token(token);
        let idle = chrono::Duration::minutes(i64::from(state.settings.security.session_idle_minutes));
        let p = store::auth::session_professional(&state.db, &token_hash, idle, state.now())
            .await?
            .ok_or(ApiError::Unauthorized)?;
        let staff = store::directory::staff_of(&p).ok_or(ApiError::Unauthorized)?;
        Ok(Self { staff, professional: p, token_hash, ctx })
    }
}

impl FromRequestParts<AppState> for DeviceToken {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let ctx = Ctx::from_request_parts(parts, state).await?;
        let token = bearer(parts).ok_or(ApiError::Unauthorized)?;
        Ok(Self { token_hash: hash_token(&token), ctx })
    }
}

impl FromRequestParts<AppState> for PatientAuth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let token = DeviceToken::from_request_parts(parts, state).await?;
        Ok(token.authenticate(state, state.now()).await?)
    }
}
