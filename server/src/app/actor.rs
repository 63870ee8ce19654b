//! Who acts: a signed-in professional or an activated patient phone, with the request context
//! the audit log records. The HTTP layer authenticates them (`http::extract`); actions take
//! them as they are.

use crate::domain::access::Staff;
use crate::store::{audit::Actor, entities::professional};

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
