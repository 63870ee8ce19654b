//! The login form and logout. Login goes through the API's `sign_in` (argon2, lock-out,
//! per-address ceiling, audit) and sets the same session cookie.

use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{AppendHeaders, IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::labels::Tr;
use super::session::{LOGIN_CSRF_COOKIE, LOGIN_PATH, StaffPage, safe_next};
use super::{PageError, html};
use crate::AppState;
use crate::app::ActionError;
use crate::domain::access::Role;
use crate::domain::triage::Locale;
use crate::http::auth::{clear_session_cookie, cookie_secure, session_cookie, sign_in};
use crate::http::error::ApiError;
use crate::http::extract::Ctx;
use crate::secrets;
use crate::store::auth as auth_store;

#[derive(Template)]
#[template(path = "staff/login.html")]
struct LoginPage {
    /// The language last used on this browser (`lang::current`).
    tr: Tr,
    csrf: String,
    next: String,
    email: String,
    error: Option<&'static str>,
}

#[derive(Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

/// The form, with a fresh login CSRF token in a cookie scoped to the form's address.
pub async fn login_form(State(state): State<AppState>, Query(q): Query<NextQuery>) -> Result<Response, PageError> {
    let (csrf, _) = secrets::new_token();
    let cookie = format!(
        "{LOGIN_CSRF_COOKIE}={csrf}; Path={LOGIN_PATH}; HttpOnly; SameSite=Strict; Max-Age=3600{}",
        cookie_secure(&state)
    );
    let tr = super::lang::current();
    let page = LoginPage { tr, csrf, next: safe_next(q.next.as_deref()).to_owned(), email: String::new(), error: None };
    Ok((AppendHeaders([(header::SET_COOKIE, cookie)]), html(&page)?).into_response())
}

#[derive(Deserialize)]
pub struct LoginForm {
    email: String,
    password: String,
    csrf: String,
    next: Option<String>,
}

pub async fn login(State(state): State<AppState>, ctx: Ctx, Form(f): Form<LoginForm>) -> Result<Response, PageError> {
    let next = safe_next(f.next.as_deref()).to_owned();
    let tr = super::lang::current();
    let again = |status: StatusCode, error: &'static str| -> Result<Response, PageError> {
        let page =
            LoginPage { tr, csrf: f.csrf.clone(), next: next.clone(), email: f.email.clone(), error: Some(error) };
        Ok((status, html(&page)?).into_response())
    };
    match sign_in(&state, &ctx, &f.email, f.password.clone()).await {
        Ok((token, who)) => {
            // A pharmacist who asked for no page in particular opens on the patients who need
            // their pharmacy (renewals, first dispensations, interactions), not the alert list.
            let pharmacist = matches!(who.role()?, Role::CommunityPharmacist | Role::HospitalPharmacist);
            let next = if pharmacist && f.next.as_deref().is_none_or(|n| n.is_empty() || n == "/staff/") {
                "/staff/pharmacy".to_owned()
            } else {
                next
            };
            let clear_login = format!("{LOGIN_CSRF_COOKIE}=; Path={LOGIN_PATH}; HttpOnly; SameSite=Strict; Max-Age=0");
            // The next login form and error pages on this browser speak the professional's
            // language (a value the database does not know is left to the page to report).
            let lang = Locale::parse(&who.locale).unwrap_or(Locale::Fr);
            let cookies = AppendHeaders([
                (header::SET_COOKIE, session_cookie(&state, &token)),
                (header::SET_COOKIE, clear_login),
                (header::SET_COOKIE, super::lang::cookie(&state, lang)),
            ]);
            Ok((cookies, Redirect::to(&next)).into_response())
        }
        Err(ApiError::Unauthorized) => again(
            StatusCode::UNAUTHORIZED,
            tr.t(
                "Adresse e-mail ou mot de passe incorrect, ou compte bloqué un moment après trop d'erreurs.",
                "Wrong email address or password, or the account is locked for a while after too many errors.",
            ),
        ),
        Err(ApiError::TooManyRequests) => again(
            StatusCode::TOO_MANY_REQUESTS,
            tr.t(
                "Trop de tentatives depuis ce poste : réessayez dans quelques minutes.",
                "Too many attempts from this computer: try again in a few minutes.",
            ),
        ),
        Err(e) => Err(e.into()),
    }
}

/// Ends the session and returns to the login form.
#[derive(Deserialize)]
pub struct LanguageForm {
    #[allow(dead_code)] // checked by the CSRF guard before the handler runs
    csrf: String,
    locale: String,
    next: Option<String>,
}

/// The language switch of the header: the professional's pages and emails in French or
/// English (`professionals.locale`), then back to the page they were on.
pub async fn language(
    State(state): State<AppState>,
    page: StaffPage,
    Form(f): Form<LanguageForm>,
) -> Result<Response, PageError> {
    let locale = Locale::parse(&f.locale).ok_or_else(|| ActionError::field("locale", "fr or en"))?;
    crate::app::preferences::set_locale(&state, &page.auth, locale).await?;
    let cookie = AppendHeaders([(header::SET_COOKIE, super::lang::cookie(&state, locale))]);
    Ok((cookie, Redirect::to(safe_next(f.next.as_deref()))).into_response())
}

pub async fn logout(State(state): State<AppState>, page: StaffPage) -> Result<Response, PageError> {
    auth_store::revoke_session(&state.db, &page.auth.token_hash, state.now()).await?;
    let clear = AppendHeaders([(header::SET_COOKIE, clear_session_cookie(&state))]);
    Ok((clear, Redirect::to(LOGIN_PATH)).into_response())
}
