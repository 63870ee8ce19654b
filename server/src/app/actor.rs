//! Who acts: a signed-in professional or an activated patient phone, with the request context
//! the audit log records. The HTTP layer authenticates them (`http::extract`); actions take
//! them as they are, except the report intake, which checks a phone's token in its own read
//! (`DeviceToken`).

use chrono::{DateTime, Duration, Utc};

use super::ActionError;
use crate::AppState;
use crate::domain::access::Staff;
use crate::store::{
    self,
    audit::Actor,
    entities::{patient_device, professional},
};

/// Client address (`client_addr`: X-Forwarded-For only from a trusted proxy) and the server's
/// request id, for rate limits and the audit log.
#[derive(Debug, Clone, Default)]
pub struct Ctx {
    pub client_addr: Option<String>,
    pub request_id: Option<String>,
}

impl Ctx {
    pub fn actor(&self, kind: &'static str, id: &str) -> Actor {
        Actor {
            kind,
            id: Some(id.to_owned()),
            client_addr: self.client_addr.clone(),
            request_id: self.request_id.clone(),
        }
    }
}

/// A signed-in professional (Bearer token, or the session cookie plus the CSRF header on writes).
pub struct StaffAuth {
    pub staff: Staff,
    pub professional: professional::Model,
    pub token_hash: String,
    pub ctx: Ctx,
}

impl StaffAuth {
    pub fn actor(&self) -> Actor {
        self.ctx.actor("professional", &self.staff.id)
    }
}

/// An activated patient phone (Bearer device token).
pub struct PatientAuth {
    pub patient_id: String,
    pub device_id: String,
    pub ctx: Ctx,
}

impl PatientAuth {
    pub fn actor(&self) -> Actor {
        self.ctx.actor("patient", &self.patient_id)
    }
}

/// A phone's Bearer token, not checked yet: [`DeviceToken::authenticate`] checks it, or the
/// report intake does in the query that reads what a report needs (`reports::intake_context`,
/// one round trip fewer per report; docs/design.md, "Report intake").
pub struct DeviceToken {
    pub token_hash: String,
    pub ctx: Ctx,
}

impl DeviceToken {
    /// How long a phone may stay unused before it must be activated again.
    fn idle(state: &AppState) -> Duration {
        Duration::days(i64::from(state.settings.security.device_idle_days))
    }

    /// The patient behind the token, its device read here. Unauthorized unless [`Self::admit`]
    /// lets it act.
    pub async fn authenticate(&self, state: &AppState, now: DateTime<Utc>) -> Result<PatientAuth, ActionError> {
        let d = store::auth::unrevoked_device(&state.db, &self.token_hash).await?;
        let d = self.admit(state, d.as_ref(), now).await?;
        Ok(PatientAuth { patient_id: d.patient_id.clone(), device_id: d.id.clone(), ctx: self.ctx.clone() })
    }

    /// The one rule for a phone's device, however it was read (by [`Self::authenticate`], or
    /// with the report intake's context): it exists, is not revoked and was used within the
    /// idle limit (`store::auth::device_live`); its use is recorded, at most once an hour.
    pub async fn admit<'d>(
        &self,
        state: &AppState,
        device: Option<&'d patient_device::Model>,
        now: DateTime<Utc>,
    ) -> Result<&'d patient_device::Model, ActionError> {
        let d =
            device.filter(|d| store::auth::device_live(d, Self::idle(state), now)).ok_or(ActionError::Unauthorized)?;
        store::auth::device_seen(&state.db, d, now).await?;
        Ok(d)
    }
}
