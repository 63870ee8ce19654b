//! The errors of this crate. None carries a key, a token or a payload.

/// Why a push could not be prepared. Delivery results are [`crate::Outcome`]s, not errors.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("invalid VAPID private key (expected 32 bytes, base64url, a P-256 scalar)")]
    InvalidVapidKey,
    #[error("invalid subscription keys: {0}")]
    InvalidSubscription(&'static str),
    #[error("push endpoint is not an http(s) URL")]
    InvalidEndpoint,
    #[error("invalid push topic: at most 32 base64url characters")]
    InvalidTopic,
    #[error("payload of {0} bytes exceeds the {max} bytes a Web Push message can carry", max = crate::ece::MAX_PLAINTEXT)]
    PayloadTooLarge(usize),
    #[error("cryptographic operation failed")]
    Crypto,
    #[error("invalid FCM service account key: {0}")]
    ServiceAccount(#[source] gcp_auth::Error),
    #[error("the FCM service account key has no project_id")]
    NoProjectId,
}
