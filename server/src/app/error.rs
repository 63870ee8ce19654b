//! What an action can answer besides its result. Every front end maps it: the API to a status
//! and a JSON error body (`http::error::ApiError`), the pages to a form message or an error
//! page, the command line to an exit code.

use crate::domain::FieldError;
use crate::store::episodes::WriteError;

#[derive(Debug, thiserror::Error)]
pub enum ActionError {
    /// Deliberately vague: never says whether the account, the token or the code was wrong.
    #[error("authentication failed")]
    Unauthorized,
    /// The actor may not do this (their role, or their account has no establishment).
    #[error("forbidden: {0}")]
    Forbidden(&'static str),
    /// Not there, or outside the actor's patients (existence is not revealed).
    #[error("not found")]
    NotFound,
    /// The state of the record does not allow it (an ended episode, an alert already resolved).
    #[error("conflict on {field:?}: {message}")]
    Conflict { field: Option<String>, message: String },
    /// An input value is wrong; `field` names it as the client sent it (`regimen[1].times[0]`).
    #[error("{field}: {message}")]
    Invalid { field: String, message: String },
    /// The database could not be reached; the client may try again.
    #[error("service unavailable: {0}")]
    Unavailable(String),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl ActionError {
    pub fn field(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Invalid { field: field.into(), message: message.into() }
    }

    /// A conflict with the record's state, naming no field.
    pub fn conflict(message: impl Into<String>) -> Self {
        Self::Conflict { field: None, message: message.into() }
    }
}

impl From<FieldError> for ActionError {
    fn from(e: FieldError) -> Self {
        Self::Invalid { field: e.field, message: e.message }
    }
}

impl From<sea_orm::DbErr> for ActionError {
    fn from(e: sea_orm::DbErr) -> Self {
        if let Some(constraint) = crate::store::unique_violation(&e) {
            // Name the field, not the constraint text (which may quote values).
            let field =
                ["ins", "email", "rpps", "finess"].into_iter().find(|f| constraint.contains(f)).map(str::to_owned);
            return Self::Conflict { field, message: "already exists".into() };
        }
        if crate::health::is_unreachable(&e) {
            return Self::Unavailable(e.to_string());
        }
        Self::Internal(e.into())
    }
}

/// A stored value the code does not know (already logged and counted where it was read): an
/// internal error, never a default.
impl From<crate::store::StoredValueError> for ActionError {
    fn from(e: crate::store::StoredValueError) -> Self {
        Self::Internal(e.into())
    }
}

impl From<WriteError> for ActionError {
    fn from(e: WriteError) -> Self {
        match e {
            WriteError::Field(f) => f.into(),
            WriteError::Db(d) => d.into(),
        }
    }
}
