//! One error type for the HTTP layer, with a stable JSON body
//! `{"error": {"code", "message", "field", "request_id"}}`. Internal causes are logged, never
//! returned. A database that cannot be reached is 503 `unavailable` with `Retry-After`, never
//! a 500: the client may simply try again (docs/operations.md, "Database outage").

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use crate::app::ActionError;
use crate::domain::FieldError;
use crate::store::episodes::WriteError;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("bad request: {0}")]
    BadRequest(String),
    /// Deliberately vague: never says whether the account, the password or the code was wrong.
    #[error("authentication failed")]
    Unauthorized,
    #[error("forbidden: {0}")]
    Forbidden(&'static str),
    #[error("not found")]
    NotFound,
    #[error("conflict on {field:?}: {message}")]
    Conflict { field: Option<String>, message: String },
    #[error("request body too large")]
    PayloadTooLarge,
    #[error("the body must be application/json")]
    UnsupportedMediaType,
    #[error("{field}: {message}")]
    Unprocessable { field: String, message: String },
    #[error("too many requests")]
    TooManyRequests,
    /// Too many recent failures for this account from this address: try again in N seconds.
    #[error("too many attempts, retry in {0} s")]
    Throttled(u64),
    /// Every password check slot is taken: try again in a second.
    #[error("busy")]
    Busy,
    /// The database could not be reached; the cause is logged once by `Health`.
    #[error("service unavailable: {0}")]
    Unavailable(String),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl ApiError {
    pub fn field(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Unprocessable { field: field.into(), message: message.into() }
    }
}

impl From<FieldError> for ApiError {
    fn from(e: FieldError) -> Self {
        Self::Unprocessable { field: e.field, message: e.message }
    }
}

impl From<ActionError> for ApiError {
    fn from(e: ActionError) -> Self {
        match e {
            ActionError::Unauthorized => Self::Unauthorized,
            ActionError::Forbidden(m) => Self::Forbidden(m),
            ActionError::NotFound => Self::NotFound,
            ActionError::Conflict { field, message } => Self::Conflict { field, message },
            ActionError::Invalid { field, message } => Self::Unprocessable { field, message },
            ActionError::Unavailable(cause) => Self::Unavailable(cause),
            ActionError::Internal(e) => Self::Internal(e),
        }
    }
}

/// Store errors are mapped once, by the actions' error (a unique key is a 409 naming the
/// field, an unreachable database a 503).
impl From<sea_orm::DbErr> for ApiError {
    fn from(e: sea_orm::DbErr) -> Self {
        ActionError::from(e).into()
    }
}

impl From<crate::store::StoredValueError> for ApiError {
    fn from(e: crate::store::StoredValueError) -> Self {
        ActionError::from(e).into()
    }
}

impl From<WriteError> for ApiError {
    fn from(e: WriteError) -> Self {
        ActionError::from(e).into()
    }
}

/// Every error answer of the API: `{"error": {"code", "message", "field", "request_id"}}`.
#[derive(Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Serialize, ToSchema)]
pub struct ErrorDetail {
    /// What went wrong, for programs.
    pub code: ErrorCode,
    /// What went wrong, for people (never an internal cause).
    pub message: String,
    /// The field at fault (422, some 409), as a path into the request (`episode.regimen[0].dose`).
    pub field: Option<String>,
    /// The server's id of the request (`x-request-id`), to quote to the support team.
    pub request_id: Option<String>,
}

/// The `code` of an error body; each goes with one status.
#[derive(Serialize, ToSchema, Clone, Copy)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// 400: malformed JSON or an unreadable body.
    BadRequest,
    /// 401
    Unauthorized,
    /// 403
    Forbidden,
    /// 404
    NotFound,
    /// 409
    Conflict,
    /// 413
    PayloadTooLarge,
    /// 415
    UnsupportedMediaType,
    /// 422: a field's value is refused; `field` names it.
    Invalid,
    /// 429: `Retry-After` says when to try again.
    TooManyRequests,
    /// 503: every password check slot is taken; try again in a second.
    Busy,
    /// 503: the database is unreachable; `Retry-After` says when to try again.
    Unavailable,
    /// 500
    Internal,
}

/// Seconds a client is asked to wait before trying again after a 503.
pub const RETRY_AFTER_SECONDS: &str = "5";

/// Marks a response as a 503 for an unreachable database, for the layer that records it in
/// `Health` (which the error itself cannot reach).
#[derive(Clone, Debug)]
pub struct DatabaseUnreachable(pub String);

tokio::task_local! {
    /// The id the server gave the request under way (`x-request-id`), for error bodies.
    pub static REQUEST_ID: String;
}

/// The current request's id, when called while serving one.
pub fn current_request_id() -> Option<String> {
    REQUEST_ID.try_with(Clone::clone).ok()
}

impl ApiError {
    /// An internal error whose cause is an unreachable database is an `Unavailable` one: the
    /// API and the pages both answer it 503 (never 500).
    pub fn surfaced(self) -> Self {
        match self {
            Self::Internal(e) if crate::health::is_unreachable_any(&e) => Self::Unavailable(format!("{e:#}")),
            other => other,
        }
    }

    /// Marks an answer to an unreachable database: `Retry-After`, and the cause for the layer
    /// that records it in `Health`. API and pages alike.
    pub fn mark_unreachable(&self, resp: &mut Response) {
        if let Self::Unavailable(cause) = self {
            resp.headers_mut()
                .insert(axum::http::header::RETRY_AFTER, axum::http::HeaderValue::from_static(RETRY_AFTER_SECONDS));
            resp.extensions_mut().insert(DatabaseUnreachable(cause.clone()));
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let this = self.surfaced();
        let retry_after = match &this {
            Self::Busy => Some("1".to_owned()),
            Self::TooManyRequests => Some("60".to_owned()),
            Self::Throttled(s) => Some(s.to_string()),
            _ => None,
        };
        let (status, code, message, field) = match &this {
            Self::BadRequest(m) => (StatusCode::BAD_REQUEST, ErrorCode::BadRequest, m.clone(), None),
            Self::Unauthorized => {
                (StatusCode::UNAUTHORIZED, ErrorCode::Unauthorized, "authentication failed".into(), None)
            }
            Self::Forbidden(m) => (StatusCode::FORBIDDEN, ErrorCode::Forbidden, (*m).into(), None),
            Self::NotFound => (StatusCode::NOT_FOUND, ErrorCode::NotFound, "not found".into(), None),
            Self::Conflict { field, message } => {
                (StatusCode::CONFLICT, ErrorCode::Conflict, message.clone(), field.clone())
            }
            Self::PayloadTooLarge => {
                (StatusCode::PAYLOAD_TOO_LARGE, ErrorCode::PayloadTooLarge, "request body too large".into(), None)
            }
            Self::UnsupportedMediaType => (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                ErrorCode::UnsupportedMediaType,
                "the body must be JSON (Content-Type: application/json)".into(),
                None,
            ),
            Self::Unprocessable { field, message } => {
                (StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::Invalid, message.clone(), Some(field.clone()))
            }
            Self::TooManyRequests => (
                StatusCode::TOO_MANY_REQUESTS,
                ErrorCode::TooManyRequests,
                "too many attempts, try again later".into(),
                None,
            ),
            Self::Throttled(s) => (
                StatusCode::TOO_MANY_REQUESTS,
                ErrorCode::TooManyRequests,
                format!("too many attempts, try again in {s} s"),
                None,
            ),
            Self::Busy => (
                StatusCode::SERVICE_UNAVAILABLE,
                ErrorCode::Busy,
                "too many sign-ins at once, try again in a second".into(),
                None,
            ),
            Self::Unavailable(_) => (
                StatusCode::SERVICE_UNAVAILABLE,
                ErrorCode::Unavailable,
                "the service is temporarily unavailable, try again shortly".into(),
                None,
            ),
            Self::Internal(e) => {
                tracing::error!(error = ?e, "internal error");
                (StatusCode::INTERNAL_SERVER_ERROR, ErrorCode::Internal, "internal error".into(), None)
            }
        };
        let body = ErrorBody { error: ErrorDetail { code, message, field, request_id: current_request_id() } };
        let mut resp = (status, Json(body)).into_response();
        if let Some(v) = retry_after.and_then(|v| axum::http::HeaderValue::from_str(&v).ok()) {
            resp.headers_mut().insert(axum::http::header::RETRY_AFTER, v);
        }
        this.mark_unreachable(&mut resp);
        resp
    }
}
