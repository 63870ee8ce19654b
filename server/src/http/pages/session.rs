//! Who is on the page: the session cookie read into the API's [`StaffAuth`], the CSRF token of
//! the session, the layout every page shares, and the guard that checks the token on every POST.

use axum::body::{Body, to_bytes};
use axum::extract::{FromRequestParts, Request};
use axum::http::{Method, request::Parts};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};

use super::PageError;
use super::labels::Tr;
use crate::AppState;
use crate::domain::access::Role;
use crate::domain::triage::Locale;
use crate::http::error::ApiError;
use crate::http::extract::{Ctx, SESSION_COOKIE, StaffAuth, cookie};
use crate::secrets;
use crate::store::stored_value::StoredValueError;

/// The login form's own CSRF cookie (there is no session yet to derive a token from).
pub const LOGIN_CSRF_COOKIE: &str = "relais_login_csrf";
pub const LOGIN_PATH: &str = "/staff/login";

/// A signed-in professional on a page, with the CSRF token its forms carry. Without a live
/// session the browser is sent to the login form (and back here afterwards).
pub struct StaffPage {
    pub auth: StaffAuth,
    pub csrf: String,
    /// The professional's language (`professionals.locale`).
    pub tr: Tr,
    /// Where the language switch comes back to: this page when it was read with GET.
    pub here: String,
}

impl FromRequestParts<AppState> for StaffPage {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let ctx = Ctx::from_request_parts(parts, state).await.map_err(IntoResponse::into_response)?;
        let Some(token) = cookie(parts, SESSION_COOKIE) else { return Err(to_login(parts)) };
        match StaffAuth::from_token(state, &token, ctx).await {
            Ok(auth) => {
                let p = &auth.professional;
                // Constrained by the database; a value it does not know is a stored-value error.
                let locale = Locale::parse(&p.locale).ok_or_else(|| {
                    PageError::from(sea_orm::DbErr::from(StoredValueError::new(
                        "professionals",
                        &p.id,
                        "locale",
                        &p.locale,
                    )))
                    .into_response()
                })?;
                super::lang::set(locale);
                let here = match parts.method {
                    Method::GET => parts.uri.path_and_query().map_or("/staff/", |p| p.as_str()),
                    _ => "/staff/",
                };
                Ok(Self { csrf: secrets::csrf_token(&token), auth, tr: Tr(locale), here: here.to_owned() })
            }
            Err(ApiError::Unauthorized) => Err(to_login(parts)),
            Err(e) => Err(PageError::from(e).into_response()),
        }
    }
}

fn to_login(parts: &Parts) -> Response {
    if parts.method != Method::GET {
        return Redirect::to(LOGIN_PATH).into_response();
    }
    let here = parts.uri.path_and_query().map(|p| p.as_str()).unwrap_or("/staff/");
    let query = serde_urlencoded::to_string([("next", here)]).unwrap_or_default();
    Redirect::to(&format!("{LOGIN_PATH}?{query}")).into_response()
}

/// Where to go after login: only a page of ours (never another site, never `//host`).
pub fn safe_next(next: Option<&str>) -> &str {
    match next {
        Some(n) if n.starts_with("/staff/") && !n.starts_with("//") && !n.contains('\\') => n,
        _ => "/staff/",
    }
}

/// What the shared layout shows: who is signed in, the menu their role allows, the CSRF token
/// (for the logout form and the pages' scripts) and which menu entry is the current page.
pub struct Layout {
    pub tr: Tr,
    pub here: String,
    pub name: String,
    pub role: &'static str,
    pub csrf: String,
    pub current: &'static str,
    pub alerts: bool,
    pub patients: bool,
    pub pharmacy: bool,
    pub enrol: bool,
    pub admin: bool,
}

pub fn role_label(role: Role, tr: Tr) -> &'static str {
    match role {
        Role::Idec => tr.t("IDEC", "Coordinating nurse (IDEC)"),
        Role::Oncologist => tr.t("Oncologue", "Oncologist"),
        Role::HospitalPharmacist => tr.t("Pharmacien hospitalier", "Hospital pharmacist"),
        Role::CommunityPharmacist => tr.t("Pharmacien d'officine", "Community pharmacist"),
        Role::Gp => tr.t("Médecin généraliste", "General practitioner"),
        Role::Admin => tr.t("Administrateur", "Administrator"),
        Role::Billing => tr.t("Facturation", "Billing office"),
        Role::CommunityNurse => tr.t("Infirmier·ère libéral·e (IDEL)", "Community nurse (IDEL)"),
    }
}

impl StaffPage {
    pub fn role(&self) -> Role {
        self.auth.staff.role
    }

    /// The layout of a page whose menu entry is `current` (alerts, patients, pharmacy, enrol,
    /// admin).
    pub fn layout(&self, current: &'static str) -> Layout {
        let role = self.role();
        let p = &self.auth.professional;
        let clinical = !matches!(role, Role::Admin | Role::Billing);
        Layout {
            tr: self.tr,
            here: self.here.clone(),
            name: format!("{} {}", p.given_name, p.family_name),
            role: role_label(role, self.tr),
            csrf: self.csrf.clone(),
            current,
            alerts: clinical,
            patients: clinical,
            pharmacy: matches!(role, Role::CommunityPharmacist | Role::HospitalPharmacist),
            enrol: role.may_enrol(),
            admin: matches!(role, Role::Admin | Role::Billing),
        }
    }
}

/// Forms are small; a larger body is not one of ours.
const FORM_LIMIT: usize = 64 * 1024;

#[derive(serde::Deserialize)]
struct CsrfField {
    csrf: Option<String>,
}

/// Checks the CSRF token of every non-GET request under /staff before any handler runs, so
/// no form can forget it: the session's token, or on the login form the token of its cookie.
pub async fn csrf_guard(req: Request, next: Next) -> Response {
    if req.method().is_safe() {
        return next.run(req).await;
    }
    let (parts, body) = req.into_parts();
    let Ok(bytes) = to_bytes(body, FORM_LIMIT).await else {
        return PageError::Api(ApiError::PayloadTooLarge).into_response();
    };
    let sent = serde_urlencoded::from_bytes::<CsrfField>(&bytes).ok().and_then(|f| f.csrf).unwrap_or_default();
    let expected = if parts.uri.path() == LOGIN_PATH {
        cookie(&parts, LOGIN_CSRF_COOKIE)
    } else {
        cookie(&parts, SESSION_COOKIE).map(|t| secrets::csrf_token(&t))
    };
    match expected {
        Some(e) if !sent.is_empty() && secrets::same_secret(&sent, &e) => {
            next.run(Request::from_parts(parts, Body::from(bytes))).await
        }
        _ => {
            tracing::warn!(path = %parts.uri.path(), "staff form refused: missing or wrong CSRF token");
            PageError::Csrf.into_response()
        }
    }
}
