//! axum routers: staff API, patient API, health and the OpenAPI document. Handlers parse,
//! call the store and the domain, and answer; they hold no rule of their own.

mod alerts;
mod app;
mod auth;
mod billing;
mod care_events;
mod doses;
mod episodes;
pub mod error;
pub mod extract;
mod indicators;
mod interviews;
mod metrics;
mod openapi;
pub mod pages;
mod patients;
mod questionnaires;
pub(crate) mod reports;
mod staff_devices;
mod views;

use std::time::Duration;

use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::json;
use tower::ServiceBuilder;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::sensitive_headers::SetSensitiveRequestHeadersLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

use crate::AppState;
use error::ApiError;

pub fn router(state: AppState) -> Router {
    let api = Router::new()
        .route("/auth/login", post(auth::login))
        .route("/auth/logout", post(auth::logout))
        .route("/auth/me", get(auth::me))
        .route("/patients", post(patients::enrol).get(patients::list))
        .route("/patients/{id}", get(patients::get_one))
        .route("/patients/{id}/activation-code", post(patients::new_activation_code))
        .route("/patients/{id}/audit", get(patients::audit_trail))
        .route("/episodes/{id}/decision", post(episodes::decide))
        .route("/episodes/{id}/comedications", post(episodes::add_comedication))
        .route("/episodes/{id}/regimen", post(episodes::change_regimen))
        .route("/catalog/drugs", get(episodes::catalog))
        .route("/episodes/{id}/care-events", post(care_events::declare).get(care_events::list))
        .route("/indicators", get(indicators::get))
        .route("/alerts", get(alerts::list))
        .route("/alerts/{id}", get(alerts::detail))
        .route("/alerts/{id}/acknowledge", post(alerts::acknowledge))
        .route("/alerts/{id}/resolve", post(alerts::resolve))
        .route("/patient/activate", post(auth::activate))
        .route("/patient/reports", post(reports::submit))
        .route("/patient/today", get(doses::today))
        .route("/patient/push-key", get(push_key))
        .route("/patient/questionnaires/pending", get(questionnaires::pending))
        .route("/patient/questionnaires/spontaneous", get(questionnaires::spontaneous))
        .route("/patient/questionnaires/{id}", get(questionnaires::one))
        .route("/patient/doses/{id}", post(doses::confirm))
        .route("/patient/devices", post(doses::add_device))
        .route("/patient/devices/{id}", axum::routing::delete(doses::remove_device))
        .route("/patient/me", get(auth::patient_me))
        .route("/billing/lines", get(billing::lines))
        .route("/billing/lines/{id}/paid", post(billing::mark_paid))
        .route("/billing/lines/{id}/cancel", post(billing::cancel))
        .route("/billing/statements/{file}", get(billing::statement))
        .route("/interviews", post(interviews::record))
        .route("/interviews/codes", get(interviews::codes))
        .route("/staff/devices", post(staff_devices::add))
        .route("/staff/devices/{id}", axum::routing::delete(staff_devices::remove))
        .route("/openapi.json", get(openapi::document));
    let request_id = HeaderName::from_static("x-request-id");
    let timeout = Duration::from_secs(state.settings.server.request_timeout_secs);
    let body_limit = state.settings.server.body_limit_bytes;
    Router::new()
        .nest("/api/v1", api)
        .route("/healthz", get(healthz))
        .merge(app::routes())
        .route("/metrics", get(metrics::metrics))
        .merge(pages::router())
        .fallback(|| async { ApiError::NotFound })
        .layer(DefaultBodyLimit::max(body_limit))
        .layer(
            ServiceBuilder::new()
                .layer(SetSensitiveRequestHeadersLayer::new([header::AUTHORIZATION, header::COOKIE]))
                .layer(SetRequestIdLayer::new(request_id.clone(), MakeRequestUuid))
                .layer(TraceLayer::new_for_http().make_span_with(|req: &axum::http::Request<_>| {
                    let id = req.headers().get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or("-");
                    // The path only: query strings and bodies may carry personal data.
                    tracing::info_span!("request", method = %req.method(), path = %req.uri().path(), request_id = %id)
                }))
                .layer(PropagateRequestIdLayer::new(request_id))
                .layer(TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, timeout))
                .layer(SetResponseHeaderLayer::overriding(
                    header::X_CONTENT_TYPE_OPTIONS,
                    HeaderValue::from_static("nosniff"),
                ))
                .layer(SetResponseHeaderLayer::overriding(
                    header::REFERRER_POLICY,
                    HeaderValue::from_static("no-referrer"),
                ))
                .layer(SetResponseHeaderLayer::if_not_present(
                    header::CACHE_CONTROL,
                    HeaderValue::from_static("no-store"),
                )),
        )
        .with_state(state)
}

/// 200 once the database answers, 503 otherwise.
async fn healthz(State(state): State<AppState>) -> impl IntoResponse {
    match crate::store::ping(&state.db).await {
        Ok(()) => (StatusCode::OK, Json(json!({"status": "ok"}))),
        Err(e) => {
            tracing::warn!(error = %e, "health check: database unreachable");
            (StatusCode::SERVICE_UNAVAILABLE, Json(json!({"status": "unavailable"})))
        }
    }
}

/// The server's VAPID public key (the `applicationServerKey` a browser subscribes with).
async fn push_key(State(state): State<AppState>) -> Json<serde_json::Value> {
    Json(json!({"vapid_public_key": state.push.public_key}))
}
