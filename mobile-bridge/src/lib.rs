//! Everything that reaches a phone. No database and no server types: the server decides what
//! to send; this crate says how it travels: the payload contract, the guard on subscription
//! endpoints, Web Push ([`WebPushSender`], RFC 8030/8291/8292, crypto on ring) and FCM HTTP v1
//! ([`FcmSender`]). Both senders answer with an [`Outcome`]. Nothing here logs a key, a token,
//! an endpoint path or a payload.

#![forbid(unsafe_code)]

pub mod ece;
mod error;
mod fcm;
mod outcome;
mod vapid;
mod webpush;

use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use serde::{Deserialize, Serialize};

pub use error::Error;
pub use fcm::FcmSender;
pub use outcome::Outcome;
pub use vapid::VapidKeys;
pub use webpush::{PushOptions, Subscription, Urgency, WebPushSender};

/// base64url; writes no padding, reads keys with or without it.
pub(crate) const B64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::URL_SAFE,
    GeneralPurposeConfig::new().with_encode_padding(false).with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// The data of a push message (docs/api.md "Push payloads"), texts in the recipient's locale.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushPayload {
    #[serde(rename = "type")]
    pub kind: PushKind,
    pub title: String,
    pub body: String,
    /// The page of the phone or staff app to open on tap.
    pub url: String,
    /// Stable message id: the same event carries the same id, so a phone shows it once.
    pub id: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PushKind {
    DoseReminder,
    QuestionnaireDue,
    Alert,
    Message,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EndpointError {
    #[error("not a URL")]
    NotAUrl,
    #[error("push endpoints must use https")]
    NotHttps,
    #[error("`{0}` is not an allowed push service")]
    NotAllowed(String),
}

/// Checks a patient-supplied Web Push endpoint against the configured push-service origins
/// (`https://fcm.googleapis.com`, `https://*.push.apple.com`, ...), so that a subscription can
/// never make the server call an internal address. An allowlist entry may start with `*.` to
/// admit the subdomains of a host; `http://127.0.0.1` style entries admit a local test service.
pub fn check_endpoint(endpoint: &str, allowlist: &[String]) -> Result<(), EndpointError> {
    let url = url::Url::parse(endpoint).map_err(|_| EndpointError::NotAUrl)?;
    let host = url.host_str().ok_or(EndpointError::NotAUrl)?.to_ascii_lowercase();
    let origin = url.origin().ascii_serialization();
    let allowed = allowlist.iter().any(|entry| {
        let Ok(allowed) = url::Url::parse(&entry.replace("*.", "wildcard.")) else { return false };
        if allowed.scheme() != url.scheme() || allowed.port_or_known_default() != url.port_or_known_default() {
            return false;
        }
        match entry.split_once("*.") {
            Some((_, suffix)) => {
                let suffix = suffix.trim_end_matches('/').split(':').next().unwrap_or("").to_ascii_lowercase();
                host.ends_with(&format!(".{suffix}"))
            }
            None => allowed.host_str().map(str::to_ascii_lowercase).as_deref() == Some(host.as_str()),
        }
    });
    if allowed {
        Ok(())
    } else if url.scheme() != "https" {
        Err(EndpointError::NotHttps)
    } else {
        Err(EndpointError::NotAllowed(origin))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list() -> Vec<String> {
        [
            "https://fcm.googleapis.com",
            "https://*.push.apple.com",
            "https://updates.push.services.mozilla.com",
            "http://127.0.0.1:8099",
        ]
        .map(String::from)
        .to_vec()
    }

    #[test]
    fn known_push_services_pass() {
        for ok in [
            "https://fcm.googleapis.com/fcm/send/abc",
            "https://web.push.apple.com/QGx",
            "https://updates.push.services.mozilla.com/wpush/v2/x",
            "http://127.0.0.1:8099/push/1",
        ] {
            assert_eq!(check_endpoint(ok, &list()), Ok(()), "{ok}");
        }
    }

    #[test]
    fn internal_and_foreign_addresses_are_refused() {
        assert_eq!(check_endpoint("http://169.254.169.254/latest", &list()), Err(EndpointError::NotHttps));
        assert_eq!(check_endpoint("http://127.0.0.1:5432/", &list()), Err(EndpointError::NotHttps));
        assert!(matches!(check_endpoint("https://evil.example/push", &list()), Err(EndpointError::NotAllowed(_))));
        assert!(matches!(
            check_endpoint("https://push.apple.com.evil.example/", &list()),
            Err(EndpointError::NotAllowed(_))
        ));
        assert!(matches!(
            check_endpoint("https://fcm.googleapis.com:8443/x", &list()),
            Err(EndpointError::NotAllowed(_))
        ));
        assert_eq!(check_endpoint("not a url", &list()), Err(EndpointError::NotAUrl));
    }

    #[test]
    fn payload_uses_the_api_field_names() {
        let p = PushPayload {
            kind: PushKind::DoseReminder,
            title: "t".into(),
            body: "b".into(),
            url: "/app/".into(),
            id: "1".into(),
        };
        let v = serde_json::to_value(&p).unwrap();
        assert_eq!(v["type"], "dose_reminder");
        assert_eq!(serde_json::from_value::<PushPayload>(v).unwrap(), p);
    }
}
