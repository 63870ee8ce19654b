//! One error type for the HTTP layer, with a stable JSON body
//! `{"error": {"code", "message", "field"}}`. Internal causes are logged, never returned.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

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
    #[error("{field}: {message}")]
    Unprocessable { field: String, message: String },
    #[error("too many requests")]
    TooManyRequests,
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

impl From<sea_orm::DbErr> for ApiError {
    fn from(e: sea_orm::DbErr) -> Self {
        if let Some(constraint) = crate::store::unique_violation(&e) {
            // Name the field, not the constraint text (which may quote values).
            let field =
                ["ins", "email", "rpps", "finess"].into_iter().find(|f| constraint.contains(f)).map(str::to_owned);
            return Self::Conflict { field, message: "already exists".into() };
        }
        Self::Internal(e.into())
    }
}

impl From<WriteError> for ApiError {
    fn from(e: WriteError) -> Self {
        match e {
            WriteError::Field(f) => f.into(),
            WriteError::Db(d) => d.into(),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code, message, field) = match &self {
            Self::BadRequest(m) => (StatusCode::BAD_REQUEST, "bad_request", m.clone(), None),
            Self::Unauthorized => (StatusCode::UNAUTHORIZED, "unauthorized", "authentication failed".into(), None),
            Self::Forbidden(m) => (StatusCode::FORBIDDEN, "forbidden", (*m).into(), None),
            Self::NotFound => (StatusCode::NOT_FOUND, "not_found", "not found".into(), None),
            Self::Conflict { field, message } => (StatusCode::CONFLICT, "conflict", message.clone(), field.clone()),
            Self::PayloadTooLarge => {
                (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large", "request body too large".into(), None)
            }
            Self::Unprocessable { field, message } => {
                (StatusCode::UNPROCESSABLE_ENTITY, "invalid", message.clone(), Some(field.clone()))
            }
            Self::TooManyRequests => {
                (StatusCode::TOO_MANY_REQUESTS, "too_many_requests", "too many attempts, try again later".into(), None)
            }
            Self::Internal(e) => {
                tracing::error!(error = ?e, "internal error");
                (StatusCode::INTERNAL_SERVER_ERROR, "internal", "internal error".into(), None)
            }
        };
        (status, Json(json!({"error": {"code": code, "message": message, "field": field}}))).into_response()
    }
}
