//! Errors of the pages: the API's errors shown as an HTML page in French, with the same status.

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
        let (status, title, message) = match this {
            Self::Csrf => (
                StatusCode::FORBIDDEN,
                "Requête refusée",
                "Le jeton de sécurité du formulaire (CSRF) manque ou ne correspond pas à votre session. \
                 Rechargez la page, reconnectez-vous si besoin, puis recommencez."
                    .to_owned(),
            ),
            Self::Api(ApiError::NotFound) => (
                StatusCode::NOT_FOUND,
                "Introuvable",
                "Cette page n'existe pas, ou elle concerne un patient hors de votre périmètre.".to_owned(),
            ),
            Self::Api(ApiError::Forbidden(why)) => (
                StatusCode::FORBIDDEN,
                "Action non autorisée",
                format!("Votre rôle ne permet pas cette action ({why})."),
            ),
            Self::Api(ApiError::Unauthorized) => {
                (StatusCode::UNAUTHORIZED, "Session terminée", "Reconnectez-vous pour continuer.".to_owned())
            }
            Self::Api(ApiError::Conflict { message, .. }) => {
                (StatusCode::CONFLICT, "Déjà fait", format!("L'action n'a pas pu être appliquée : {message}."))
            }
            Self::Api(ApiError::Unprocessable { field, message }) => {
                (StatusCode::UNPROCESSABLE_ENTITY, "Saisie invalide", format!("{field} : {message}"))
            }
            Self::Api(ApiError::Busy) => (
                StatusCode::SERVICE_UNAVAILABLE,
                "Trop de connexions simultanées",
                "Réessayez dans une seconde.".to_owned(),
            ),
            Self::Api(ApiError::TooManyRequests | ApiError::Throttled(_)) => {
                (StatusCode::TOO_MANY_REQUESTS, "Trop de tentatives", "Réessayez dans quelques minutes.".to_owned())
            }
            Self::Api(ApiError::BadRequest(_) | ApiError::PayloadTooLarge | ApiError::UnsupportedMediaType) => {
                (StatusCode::BAD_REQUEST, "Requête invalide", "Le formulaire envoyé n'est pas lisible.".to_owned())
            }
            Self::Api(ApiError::Unavailable(_)) => (
                StatusCode::SERVICE_UNAVAILABLE,
                "Service momentanément indisponible",
                "La base de données ne répond pas. Réessayez dans quelques secondes ; rien de ce qui a été \
                 enregistré n'est perdu."
                    .to_owned(),
            ),
            Self::Api(ApiError::Internal(e)) => {
                tracing::error!(error = ?e, "internal error on a staff page");
                (StatusCode::INTERNAL_SERVER_ERROR, "Erreur interne", "Une erreur est survenue ; réessayez.".to_owned())
            }
            Self::Render(e) => {
                tracing::error!(error = %e, "template rendering failed");
                (StatusCode::INTERNAL_SERVER_ERROR, "Erreur interne", "Une erreur est survenue ; réessayez.".to_owned())
            }
        };
        let page = ErrorPage { status: status.as_u16(), title, message };
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
