//! Errors of the pages: the API's errors shown as an HTML page in the reader's language
//! (`lang::current`), with the same status.

use askama::Template;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};

use crate::http::error::ApiError;

#[derive(Debug, thiserror::Error)]
pub enum PageError {
    #[error(transparent)]
    Api(#[from] ApiError),
    /// A POST without the session's CSRF token (forged, or from a page of an ended session).
    #[error("missing or wrong CSRF token")]
    Csrf,
    #[error("template: {0}")]
    Render(#[from] askama::Error),
}

impl From<crate::app::ActionError> for PageError {
    fn from(e: crate::app::ActionError) -> Self {
        Self::Api(e.into())
    }
}

impl From<crate::store::StoredValueError> for PageError {
    fn from(e: crate::store::StoredValueError) -> Self {
        Self::Api(e.into())
    }
}

impl From<sea_orm::DbErr> for PageError {
    fn from(e: sea_orm::DbErr) -> Self {
        Self::Api(e.into())
    }
}

#[derive(Template)]
#[template(path = "staff/error.html")]
struct ErrorPage<'a> {
    tr: super::labels::Tr,
    status: u16,
    title: &'a str,
    message: String,
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let this = match self {
            Self::Api(e) => Self::Api(e.surfaced()),
            other => other,
        };
        // The page below consumes the error: keep what marks the answer.
        let unreachable = match &this {
            Self::Api(ApiError::Unavailable(cause)) => Some(ApiError::Unavailable(cause.clone())),
            _ => None,
        };
        let tr = super::lang::current();
        let (status, title, message) = match this {
            Self::Csrf => (
                StatusCode::FORBIDDEN,
                tr.t("Requête refusée", "Request refused"),
                tr.t(
                    "Le jeton de sécurité du formulaire (CSRF) manque ou ne correspond pas à votre session. \
                     Rechargez la page, reconnectez-vous si besoin, puis recommencez.",
                    "The form's security token (CSRF) is missing or does not match your session. Reload the \
                     page, sign in again if needed, then try again.",
                )
                .to_owned(),
            ),
            Self::Api(ApiError::NotFound) => (
                StatusCode::NOT_FOUND,
                tr.t("Introuvable", "Not found"),
                tr.t(
                    "Cette page n'existe pas, ou elle concerne un patient hors de votre périmètre.",
                    "This page does not exist, or it concerns a patient outside your care.",
                )
                .to_owned(),
            ),
            Self::Api(ApiError::Forbidden(why)) => (
                StatusCode::FORBIDDEN,
                tr.t("Action non autorisée", "Not allowed"),
                // `why` is the API's English reason, shown in English only.
                if tr.is_en() {
                    format!("Your role does not allow this ({why}).")
                } else {
                    "Votre rôle ne permet pas cette action.".to_owned()
                },
            ),
            Self::Api(ApiError::Unauthorized) => (
                StatusCode::UNAUTHORIZED,
                tr.t("Session terminée", "Session ended"),
                tr.t("Reconnectez-vous pour continuer.", "Sign in again to go on.").to_owned(),
            ),
            Self::Api(ApiError::Conflict { message, .. }) => (
                StatusCode::CONFLICT,
                tr.t("Déjà fait", "Already done"),
                format!(
                    "{} {message}.",
                    tr.t("L'action n'a pas pu être appliquée :", "The action could not be applied:")
                ),
            ),
            Self::Api(ApiError::Unprocessable { field, message }) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                tr.t("Saisie invalide", "Invalid input"),
                format!("{field}{} {message}", tr.t(" :", ":")),
            ),
            Self::Api(ApiError::Busy) => (
                StatusCode::SERVICE_UNAVAILABLE,
                tr.t("Trop de connexions simultanées", "Too many sign-ins at once"),
                tr.t("Réessayez dans une seconde.", "Try again in a second.").to_owned(),
            ),
            Self::Api(ApiError::TooManyRequests | ApiError::Throttled(_)) => (
                StatusCode::TOO_MANY_REQUESTS,
                tr.t("Trop de tentatives", "Too many attempts"),
                tr.t("Réessayez dans quelques minutes.", "Try again in a few minutes.").to_owned(),
            ),
            Self::Api(ApiError::BadRequest(_) | ApiError::PayloadTooLarge | ApiError::UnsupportedMediaType) => (
                StatusCode::BAD_REQUEST,
                tr.t("Requête invalide", "Bad request"),
                tr.t("Le formulaire envoyé n'est pas lisible.", "The form sent cannot be read.").to_owned(),
            ),
            Self::Api(ApiError::Unavailable(_)) => (
                StatusCode::SERVICE_UNAVAILABLE,
                tr.t("Service momentanément indisponible", "Service unavailable for a moment"),
                tr.t(
                    "La base de données ne répond pas. Réessayez dans quelques secondes ; rien de ce qui a été \
                     enregistré n'est perdu.",
                    "The database does not answer. Try again in a few seconds; nothing that was saved is lost.",
                )
                .to_owned(),
            ),
            Self::Api(ApiError::Internal(e)) => {
                tracing::error!(error = ?e, "internal error on a staff page");
                let message = tr.t("Une erreur est survenue ; réessayez.", "Something went wrong; try again.");
                (StatusCode::INTERNAL_SERVER_ERROR, tr.t("Erreur interne", "Internal error"), message.to_owned())
            }
            Self::Render(e) => {
                tracing::error!(error = %e, "template rendering failed");
                let message = tr.t("Une erreur est survenue ; réessayez.", "Something went wrong; try again.");
                (StatusCode::INTERNAL_SERVER_ERROR, tr.t("Erreur interne", "Internal error"), message.to_owned())
            }
        };
        let page = ErrorPage { tr, status: status.as_u16(), title, message };
        let mut resp = match page.render() {
            Ok(body) => (status, Html(body)).into_response(),
            Err(_) => (status, title.to_owned()).into_response(),
        };
        if let Some(e) = unreachable {
            e.mark_unreachable(&mut resp);
        }
        resp
    }
}
