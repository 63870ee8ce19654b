//! An administrator's acts on a staff account, from the command line (`relais user ...`): a
//! leaver disabled (and signed out everywhere), an account enabled again, locked or unlocked, a
//! password reset (other sessions end), every session ended. Each act is one transaction with
//! its audit line (docs/security.md, "Accounts").

use chrono::{DateTime, Utc};

use crate::AppState;
use crate::store::{self, audit, auth as auth_store, directory};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Act {
    Disable,
    Enable,
    Lock,
    Unlock,
    ResetPassword,
    RevokeSessions,
}

impl Act {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Disable => "disable",
            Self::Enable => "enable",
            Self::Lock => "lock",
            Self::Unlock => "unlock",
            Self::ResetPassword => "reset_password",
            Self::RevokeSessions => "revoke_sessions",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error("no account with this email")]
    Unknown,
    #[error(transparent)]
    Db(#[from] sea_orm::DbErr),
    #[error("hashing: {0}")]
    Hash(String),
}

/// What an act did: sessions ended, and the new password when one was generated.
#[derive(Debug)]
pub struct Done {
    pub professional_id: String,
    pub sessions_ended: u64,
    pub new_password: Option<String>,
}

/// Applies `act` to the account of `email`; `password` is the new password for a reset (one is
/// generated when `None`). A lock lasts until `unlock`.
pub async fn apply(
    state: &AppState,
    email: &str,
    act: Act,
    password: Option<String>,
    now: DateTime<Utc>,
) -> Result<Done, AccountError> {
    let p = directory::professional_by_email(&state.db, &email.trim().to_lowercase())
        .await?
        .ok_or(AccountError::Unknown)?;
    let generated = (act == Act::ResetPassword && password.is_none()).then(|| crate::secrets::new_token().0);
    let hash = match (act, password.as_ref().or(generated.as_ref())) {
        (Act::ResetPassword, Some(pw)) => {
            Some(crate::secrets::hash_password(pw).map_err(|e| AccountError::Hash(e.to_string()))?)
        }
        _ => None,
    };
    let txn = store::begin_write(&state.db).await?;
    match act {
        Act::Disable => auth_store::set_active(&txn, &p.id, false).await?,
        Act::Enable => auth_store::set_active(&txn, &p.id, true).await?,
        // Until unlocked: far in the future rather than a magic value.
        Act::Lock => auth_store::set_lock(&txn, &p.id, Some(now + chrono::Duration::days(365 * 100))).await?,
        Act::Unlock => auth_store::set_lock(&txn, &p.id, None).await?,
        Act::ResetPassword => auth_store::set_password(&txn, &p.id, hash.as_deref().unwrap_or_default()).await?,
        Act::RevokeSessions => true,
    };
    // Every act but enabling and unlocking signs the account out everywhere.
    let sessions_ended = match act {
        Act::Enable | Act::Unlock => 0,
        _ => auth_store::revoke_sessions_of(&txn, &p.id, now).await?,
    };
    let actor = audit::Actor { kind: "operator", id: None, client_addr: None, request_id: None };
    audit::record(
        &txn,
        audit::Entry {
            actor: &actor,
            action: act.as_str(),
            entity: "professional",
            entity_id: Some(&p.id),
            patient_id: None,
            at: now,
        },
    )
    .await?;
    txn.commit().await?;
    tracing::info!(professional_id = %p.id, act = act.as_str(), sessions_ended, "account changed");
    Ok(Done { professional_id: p.id, sessions_ended, new_password: generated })
}
