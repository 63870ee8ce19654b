//! Staff pages at `/staff/`: server-rendered HTML (askama templates in `server/templates/staff/`),
//! one stylesheet and small scripts served from the binary, no inline script or style (the CSP
//! forbids them). Every page works without JavaScript; scripts only add conveniences.
//!
//! Security: a session cookie (HttpOnly, SameSite=Strict, Secure behind TLS) set by the login
//! form; a CSRF token derived from the session in every form, checked on every POST before any
//! handler runs ([`session::csrf_guard`]); CSP, frame-ancestors and X-Frame-Options on every
//! answer. Handlers call the same code as the staff API, so scoping, transactions and the audit
//! log are the API's.

mod admin;
mod alerts;
mod assets;
mod auth;
mod error;
mod labels;
mod pharmacy;
mod report;
mod session;
// Patient list and page, enrolment (issue 7, staff2).
mod charts;
mod cycle;
mod enrol;
mod enrol_form;
mod patient;
mod patient_data;
mod qr;

use axum::Router;
use axum::http::{HeaderValue, header};
use axum::middleware;
use axum::routing::{get, post};
use tower_http::set_header::SetResponseHeaderLayer;

use crate::AppState;
pub use error::PageError;
pub use session::{Layout, StaffPage};

const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                   frame-ancestors 'none'; form-action 'self'; base-uri 'none'";

/// The `/staff` routes with their security layers.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/staff/login", get(auth::login_form).post(auth::login))
        .route("/staff/logout", post(auth::logout))
        .route("/staff/assets/{file}", get(assets::serve))
        .route("/staff/", get(alerts::list))
        .route("/staff/alerts", get(alerts::list))
        .route("/staff/alerts/live", get(alerts::live))
        .route("/staff/alerts/{id}", get(alerts::detail))
        .route("/staff/alerts/{id}/acknowledge", post(alerts::acknowledge))
        .route("/staff/alerts/{id}/resolve", post(alerts::resolve))
        .route("/staff/pharmacy", get(pharmacy::view))
        .route("/staff/pharmacy/episodes/{id}/comedications", post(pharmacy::add))
        .route("/staff/patients", get(patient::list))
        .route("/staff/patients/{id}", get(patient::show))
        .route("/staff/patients/{id}/decision", post(patient::decide))
        .route("/staff/patients/{id}/activation-code", post(enrol::new_code))
        .route("/staff/patients/{id}/phone-lost", post(enrol::phone_lost))
        .route("/staff/admin", get(admin::view))
        .route("/staff/enrol", get(enrol::form).post(enrol::submit))
        .layer(middleware::from_fn(session::csrf_guard))
        .layer(SetResponseHeaderLayer::overriding(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP)))
        .layer(SetResponseHeaderLayer::overriding(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")))
}

/// Renders a template as an HTML answer.
pub fn html(t: &impl askama::Template) -> Result<axum::response::Response, PageError> {
    use axum::response::IntoResponse;
    Ok(axum::response::Html(t.render()?).into_response())
}
