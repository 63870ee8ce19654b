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
mod lang;
mod pharmacy;
mod report;
mod session;
// Patient list and page, enrolment.
mod charts;
mod cycle;
mod enrol;
mod enrol_form;
mod handover;
mod patient;
mod patient_data;
mod patient_dispensations;
mod patient_pharmacy;
mod qr;

use axum::Router;
use axum::http::{HeaderValue, Method, header};
use axum::middleware;
use axum::routing::{get, post};
use tower_http::set_header::SetResponseHeaderLayer;

use crate::AppState;
use crate::http::{Access, RouteTable, router_of, without_handlers};
pub use error::PageError;
pub use session::{Layout, StaffPage};

const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                   frame-ancestors 'none'; form-action 'self'; base-uri 'none'";

/// Every staff page route: method, path, who may open it, handler. The router is built from this
/// table, and the route × role matrix test reads it (tests/tests/e2e/route_matrix.rs).
pub fn page_routes() -> RouteTable {
    use Access::{Public, Staff};
    vec![
        (Method::GET, "/staff/login", Public, get(auth::login_form)),
        (Method::POST, "/staff/login", Public, post(auth::login)),
        (Method::POST, "/staff/logout", Staff, post(auth::logout)),
        (Method::POST, "/staff/language", Staff, post(auth::language)),
        (Method::GET, "/staff/assets/{file}", Public, get(assets::serve)),
        (Method::GET, "/staff/", Staff, get(alerts::list)),
        (Method::GET, "/staff/alerts", Staff, get(alerts::list)),
        (Method::GET, "/staff/alerts/live", Staff, get(alerts::live)),
        (Method::GET, "/staff/alerts/{id}", Staff, get(alerts::detail)),
        (Method::POST, "/staff/alerts/{id}/acknowledge", Staff, post(alerts::acknowledge)),
        (Method::POST, "/staff/alerts/{id}/resolve", Staff, post(alerts::resolve)),
        (Method::GET, "/staff/pharmacy", Staff, get(pharmacy::view)),
        (Method::POST, "/staff/pharmacy/episodes/{id}/comedications", Staff, post(pharmacy::add)),
        (Method::GET, "/staff/patients", Staff, get(patient::list)),
        (Method::GET, "/staff/patients/{id}", Staff, get(patient::show)),
        (Method::GET, "/staff/patients/{id}/handover", Staff, get(handover::latest)),
        (Method::GET, "/staff/patients/{id}/handover/{version}", Staff, get(handover::version)),
        (Method::POST, "/staff/patients/{id}/decision", Staff, post(patient::decide)),
        (Method::POST, "/staff/patients/{id}/team", Staff, post(patient::change_team)),
        (Method::POST, "/staff/patients/{id}/dispensations", Staff, post(patient_dispensations::record_dispensation)),
        (Method::POST, "/staff/patients/{id}/pharmacy-interviews", Staff, post(patient_pharmacy::record_interview)),
        (Method::POST, "/staff/patients/{id}/reconciliation", Staff, post(patient_pharmacy::record_reconciliation)),
        (Method::POST, "/staff/patients/{id}/interviews", Staff, post(patient_pharmacy::record_ledger_interview)),
        (Method::POST, "/staff/patients/{id}/activation-code", Staff, post(enrol::new_code)),
        (Method::POST, "/staff/patients/{id}/phone-lost", Staff, post(enrol::phone_lost)),
        (Method::GET, "/staff/admin", Staff, get(admin::view)),
        (Method::POST, "/staff/admin/lines/{id}/paid", Staff, post(admin::mark_paid)),
        (Method::POST, "/staff/admin/lines/{id}/cancel", Staff, post(admin::cancel)),
        (Method::GET, "/staff/enrol", Staff, get(enrol::form)),
        (Method::POST, "/staff/enrol", Staff, post(enrol::submit)),
    ]
}

/// The page routes without their handlers: (method, path, access).
pub fn page_route_table() -> Vec<(Method, &'static str, Access)> {
    without_handlers(page_routes())
}

/// The `/staff` routes with their security layers.
pub fn router() -> Router<AppState> {
    router_of(page_routes())
        .layer(middleware::from_fn(session::csrf_guard))
        .layer(middleware::from_fn(lang::scope))
        .layer(SetResponseHeaderLayer::overriding(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP)))
        .layer(SetResponseHeaderLayer::overriding(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")))
}

/// Renders a template as an HTML answer.
pub fn html(t: &impl askama::Template) -> Result<axum::response::Response, PageError> {
    use axum::response::IntoResponse;
    Ok(axum::response::Html(t.render()?).into_response())
}
