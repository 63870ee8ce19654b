//! axum routers: staff API, patient API, health and the OpenAPI document. Handlers parse,
//! call the store and the domain, and answer; they hold no rule of their own.

mod alerts;
mod api_docs;
mod app;
mod auth;
mod billing;
mod care_events;
pub mod client_addr;
mod dispensations;
mod doses;
mod episodes;
pub mod error;
pub mod extract;
mod handover;
mod indicators;
mod interviews;
mod metrics;
pub mod openapi;
pub mod pages;
mod patients;
mod pharmacy_records;
mod questionnaires;
pub(crate) mod reports;
mod staff_devices;
mod teams;
mod views;

use std::time::Duration;

use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderName, HeaderValue, Method, StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::{MethodRouter, get, post, put};
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

/// Who may call an API route: anyone, a signed-in professional (then the role and the care
/// team decide), or an activated patient phone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    Public,
    Staff,
    Patient,
}

/// Every route of the JSON API (under `/api/v1`): method, path, who may call it, handler. The
/// router is built from this table, and the route × role matrix test reads it, so that a new
/// route cannot go untested (tests/tests/e2e/route_matrix.rs).
pub fn api_routes() -> RouteTable {
    use Access::{Patient, Public, Staff};
    use axum::routing::delete;
    vec![
        (Method::POST, "/auth/login", Public, post(auth::login)),
        (Method::POST, "/auth/logout", Staff, post(auth::logout)),
        (Method::GET, "/auth/me", Staff, get(auth::me)),
        (Method::POST, "/patients", Staff, post(patients::enrol)),
        (Method::GET, "/patients", Staff, get(patients::list)),
        (Method::GET, "/patients/{id}", Staff, get(patients::get_one)),
        (Method::POST, "/patients/{id}/activation-code", Staff, post(patients::new_activation_code)),
        (Method::GET, "/patients/{id}/audit", Staff, get(patients::audit_trail)),
        (Method::DELETE, "/patients/{id}/devices", Staff, delete(patients::revoke_devices)),
        (Method::POST, "/episodes/{id}/decision", Staff, post(episodes::decide)),
        (Method::POST, "/episodes/{id}/comedications", Staff, post(episodes::add_comedication)),
        (Method::POST, "/episodes/{id}/regimen", Staff, post(episodes::change_regimen)),
        (Method::GET, "/catalog/drugs", Staff, get(episodes::catalog)),
        (Method::POST, "/episodes/{id}/team", Staff, post(teams::change)),
        (Method::GET, "/episodes/{id}/team", Staff, get(teams::read)),
        (Method::GET, "/episodes/{id}/handover-sheets", Staff, get(handover::list)),
        (Method::POST, "/episodes/{id}/care-events", Staff, post(care_events::declare)),
        (Method::GET, "/episodes/{id}/care-events", Staff, get(care_events::list)),
        (Method::POST, "/episodes/{id}/dispensations", Staff, post(dispensations::record)),
        (Method::GET, "/episodes/{id}/dispensations", Staff, get(dispensations::list)),
        (Method::POST, "/episodes/{id}/pharmacy-interviews", Staff, post(pharmacy_records::record_interview)),
        (Method::GET, "/episodes/{id}/pharmacy-interviews", Staff, get(pharmacy_records::list_interviews)),
        (Method::POST, "/episodes/{id}/reconciliation", Staff, post(pharmacy_records::record_reconciliation)),
        (Method::GET, "/episodes/{id}/reconciliation", Staff, get(pharmacy_records::list_reconciliations)),
        (Method::GET, "/indicators", Staff, get(indicators::get)),
        (Method::GET, "/alerts", Staff, get(alerts::list)),
        (Method::GET, "/alerts/{id}", Staff, get(alerts::detail)),
        (Method::POST, "/alerts/{id}/acknowledge", Staff, post(alerts::acknowledge)),
        (Method::POST, "/alerts/{id}/resolve", Staff, post(alerts::resolve)),
        (Method::POST, "/patient/activate", Public, post(auth::activate)),
        (Method::POST, "/patient/reports", Patient, post(reports::submit)),
        (Method::GET, "/patient/today", Patient, get(doses::today)),
        (Method::GET, "/patient/push-key", Public, get(push_key)),
        (Method::GET, "/patient/questionnaires/pending", Patient, get(questionnaires::pending)),
        (Method::GET, "/patient/questionnaires/spontaneous", Patient, get(questionnaires::spontaneous)),
        (Method::GET, "/patient/questionnaires/{id}", Patient, get(questionnaires::one)),
        (Method::POST, "/patient/doses/{id}", Patient, post(doses::confirm)),
        (Method::POST, "/patient/doses/{id}/undo", Patient, post(doses::undo)),
        (Method::POST, "/patient/devices", Patient, post(doses::add_device)),
        (Method::DELETE, "/patient/devices/{id}", Patient, delete(doses::remove_device)),
        (Method::GET, "/patient/me", Patient, get(auth::patient_me)),
        (Method::PUT, "/patient/locale", Patient, put(auth::set_patient_locale)),
        (Method::POST, "/patient/logout", Patient, post(auth::patient_logout)),
        (Method::GET, "/billing/lines", Staff, get(billing::lines)),
        (Method::POST, "/billing/lines/{id}/paid", Staff, post(billing::mark_paid)),
        (Method::POST, "/billing/lines/{id}/cancel", Staff, post(billing::cancel)),
        (Method::GET, "/billing/statements/{file}", Staff, get(billing::statement)),
        (Method::POST, "/interviews", Staff, post(interviews::record)),
        (Method::GET, "/interviews/codes", Staff, get(interviews::codes)),
        (Method::POST, "/staff/devices", Staff, post(staff_devices::add)),
        (Method::DELETE, "/staff/devices/{id}", Staff, delete(staff_devices::remove)),
        (Method::GET, "/openapi.json", Public, get(openapi::document)),
        (Method::GET, "/docs", Public, get(api_docs::page)),
    ]
}

/// A route table: method, path, who may call it, handler.
pub type RouteTable = Vec<(Method, &'static str, Access, MethodRouter<AppState>)>;

/// The router serving a route table.
pub(crate) fn router_of(routes: RouteTable) -> Router<AppState> {
    routes.into_iter().fold(Router::new(), |r, (_, path, _, handler)| r.route(path, handler))
}

/// A route table without its handlers: (method, path, access), for the route matrix test.
pub(crate) fn without_handlers(routes: RouteTable) -> Vec<(Method, &'static str, Access)> {
    routes.into_iter().map(|(m, p, a, _)| (m, p, a)).collect()
}

/// The API's routes without their handlers: (method, path under `/api/v1`, access).
pub fn api_route_table() -> Vec<(Method, &'static str, Access)> {
    without_handlers(api_routes())
}

pub fn router(state: AppState) -> Router {
    let api = router_of(api_routes());
    let request_id = HeaderName::from_static("x-request-id");
    let timeout = Duration::from_secs(state.settings.server.request_timeout_secs);
    let body_limit = state.settings.server.body_limit_bytes;
    // Behind TLS, browsers are told to come back over TLS only (a year, subdomains included).
    let hsts = (state.settings.server.secure_cookies || state.settings.server.public_url.starts_with("https://"))
        .then(|| HeaderValue::from_static("max-age=31536000; includeSubDomains"));
    Router::new()
        .nest("/api/v1", api)
        .route("/healthz", get(healthz))
        .route("/livez", get(livez))
        .route("/readyz", get(readyz))
        .merge(app::routes())
        .route("/metrics", get(metrics::metrics))
        .merge(pages::router())
        .fallback(|| async { ApiError::NotFound })
        .layer(DefaultBodyLimit::max(body_limit))
        .layer(
            ServiceBuilder::new()
                .layer(SetSensitiveRequestHeadersLayer::new([header::AUTHORIZATION, header::COOKIE]))
                // The request id is the server's own: one sent by the client is dropped, so logs
                // and the audit trail never carry an id a client chose.
                .map_request(|mut req: axum::http::Request<axum::body::Body>| {
                    req.headers_mut().remove("x-request-id");
                    req
                })
                .layer(SetRequestIdLayer::new(request_id.clone(), MakeRequestUuid))
                .layer(
                    TraceLayer::new_for_http()
                        .make_span_with(|req: &axum::http::Request<_>| {
                            let id = req.headers().get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or("-");
                            // The route template, never the path: paths carry ids, queries may
                            // carry personal data.
                            let route = req
                                .extensions()
                                .get::<axum::extract::MatchedPath>()
                                .map_or("<unmatched>", axum::extract::MatchedPath::as_str);
                            tracing::info_span!("request", method = %req.method(), route = %route, request_id = %id)
                        })
                        .on_response(|res: &axum::http::Response<_>, took: Duration, _span: &tracing::Span| {
                            tracing::info!(
                                status = res.status().as_u16(),
                                duration_ms = took.as_secs_f64() * 1000.0,
                                "request"
                            );
                        }),
                )
                .layer(PropagateRequestIdLayer::new(request_id))
                .layer(axum::middleware::from_fn_with_state(state.clone(), observe))
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
                ))
                .layer(SetResponseHeaderLayer::overriding(header::STRICT_TRANSPORT_SECURITY, move |_: &_| {
                    hsts.clone()
                })),
        )
        .with_state(state)
}

/// Runs the request in the scope of its id (for error bodies), and records in `Health` the
/// answers given because the database was unreachable.
async fn observe(
    State(state): State<AppState>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let id = req.headers().get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or("-").to_owned();
    let resp = error::REQUEST_ID.scope(id, next.run(req)).await;
    if let Some(error::DatabaseUnreachable(cause)) = resp.extensions().get::<error::DatabaseUnreachable>() {
        state.health.database_down(cause);
        state.health.unavailable_answer();
    }
    resp
}

fn unavailable(body: serde_json::Value) -> axum::response::Response {
    let mut resp = (StatusCode::SERVICE_UNAVAILABLE, Json(body)).into_response();
    resp.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static(error::RETRY_AFTER_SECONDS));
    resp
}

/// 200 once the database answers, 503 otherwise.
async fn healthz(State(state): State<AppState>) -> axum::response::Response {
    match crate::store::ping(&state.db).await {
        Ok(()) => {
            state.health.database_ok();
            Json(json!({"status": "ok"})).into_response()
        }
        Err(e) => {
            state.health.database_down(&e);
            unavailable(json!({"status": "unavailable"}))
        }
    }
}

/// 200 while the process runs and serves (docs/api.md, "Command line").
async fn livez() -> Json<serde_json::Value> {
    Json(json!({"status": "live"}))
}

/// 200 when the database answers and, where this instance runs the jobs, the last tick
/// finished less than three tick intervals ago; 503 naming what fails otherwise.
async fn readyz(State(state): State<AppState>) -> axum::response::Response {
    let mut failing = Vec::new();
    match crate::store::ping(&state.db).await {
        Ok(()) => state.health.database_ok(),
        Err(e) => {
            state.health.database_down(&e);
            failing.push(crate::health::NotReady::Database.as_str());
        }
    }
    let interval = Duration::from_secs(u64::from(state.settings.scheduler.tick_seconds));
    if state.settings.scheduler.enabled && !state.health.scheduler_fresh(interval) {
        failing.push(crate::health::NotReady::Scheduler.as_str());
    }
    if failing.is_empty() {
        Json(json!({"status": "ready"})).into_response()
    } else {
        unavailable(json!({"status": "unready", "failing": failing}))
    }
}

/// The server's VAPID public key.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct PushKey {
    /// The `applicationServerKey` a browser subscribes with (base64url, uncompressed P-256 point).
    pub vapid_public_key: String,
}

/// The server's VAPID public key (the `applicationServerKey` a browser subscribes with).
#[utoipa::path(get, path = "/api/v1/patient/push-key", responses((status = 200, body = PushKey)))]
async fn push_key(State(state): State<AppState>) -> Json<PushKey> {
    Json(PushKey { vapid_public_key: state.push.public_key.clone() })
}
