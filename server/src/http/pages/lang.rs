//! The language of the answers that come before or without a page's session: the login form
//! and the error pages. A cookie (`relais_lang`, set at sign-in and by the header's switch)
//! remembers the last professional's language on this browser; a signed-in page then sets the
//! request's language from `professionals.locale` (the [`StaffPage`](super::StaffPage)
//! extractor), so an error after it is in the reader's language. French when neither says.

use std::cell::Cell;

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;

use super::labels::Tr;
use crate::AppState;
use crate::domain::triage::Locale;
use crate::http::auth::cookie_secure;
use crate::http::extract;

pub const LANG_COOKIE: &str = "relais_lang";

tokio::task_local! {
    static REQUEST_LOCALE: Cell<Locale>;
}

/// Runs the page's handler with the request's language: the cookie's, French without it.
pub async fn scope(req: Request, next: Next) -> Response {
    let (parts, body) = req.into_parts();
    let locale = extract::cookie(&parts, LANG_COOKIE).as_deref().and_then(Locale::parse).unwrap_or(Locale::Fr);
    REQUEST_LOCALE.scope(Cell::new(locale), next.run(Request::from_parts(parts, body))).await
}

/// The request's language (French outside [`scope`]).
pub fn current() -> Tr {
    Tr(REQUEST_LOCALE.try_with(Cell::get).unwrap_or(Locale::Fr))
}

/// The signed-in professional's language, for what the rest of the request renders.
pub fn set(locale: Locale) {
    let _ = REQUEST_LOCALE.try_with(|l| l.set(locale));
}

/// The cookie that remembers `locale` on this browser (a year; not a secret, not for scripts).
pub fn cookie(state: &AppState, locale: Locale) -> String {
    format!(
        "{LANG_COOKIE}={}; Path=/staff; HttpOnly; SameSite=Strict; Max-Age=31536000{}",
        Tr(locale).lang(),
        cookie_secure(state)
    )
}
