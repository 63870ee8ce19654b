//! Web Push (RFC 8030) with message encryption (RFC 8291) and VAPID (RFC 8292).

use std::{
    collections::HashMap,
    sync::{Arc, Mutex, PoisonError},
    time::{SystemTime, UNIX_EPOCH},
};

use base64::Engine as _;
use reqwest::header::{AUTHORIZATION, CONTENT_ENCODING, CONTENT_TYPE, HeaderValue};
use ring::rand::SystemRandom;

use crate::{B64, Error, Outcome, PushPayload, VapidKeys, ece, outcome};

/// A browser's push subscription (`PushSubscription.toJSON()`).
#[derive(Clone, PartialEq, Eq)]
pub struct Subscription {
    pub endpoint: String,
    /// The user agent's P-256 public key, base64url.
    pub p256dh: String,
    /// The 16-byte authentication secret, base64url.
    pub auth: String,
}

impl std::fmt::Debug for Subscription {
    /// The endpoint is a capability URL and `auth` a secret: only the origin is shown.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let origin = url::Url::parse(&self.endpoint).map(|u| u.origin().ascii_serialization()).unwrap_or_default();
        f.debug_struct("Subscription").field("origin", &origin).finish_non_exhaustive()
    }
}

impl Subscription {
    /// Checks that the keys decode to a P-256 point and a 16-byte secret, as a device
    /// registration should before storing them.
    pub fn check_keys(&self) -> Result<(), Error> {
        let (public, auth) = self.keys()?;
        ece::encrypt(&public, &auth, b"", &SystemRandom::new()).map(drop)
    }

    fn keys(&self) -> Result<(Vec<u8>, Vec<u8>), Error> {
        let public =
            B64.decode(self.p256dh.trim()).map_err(|_| Error::InvalidSubscription("p256dh is not base64url"))?;
        let auth = B64.decode(self.auth.trim()).map_err(|_| Error::InvalidSubscription("auth is not base64url"))?;
        Ok((public, auth))
    }
}

/// RFC 8030 `Urgency`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Urgency {
    VeryLow,
    Low,
    Normal,
    High,
}

impl Urgency {
    pub fn as_str(self) -> &'static str {
        match self {
            Urgency::VeryLow => "very-low",
            Urgency::Low => "low",
            Urgency::Normal => "normal",
            Urgency::High => "high",
        }
    }
}

/// Delivery options of one Web Push message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushOptions {
    /// How long the push service keeps the message for an offline device.
    pub ttl_secs: u32,
    pub urgency: Urgency,
    /// Collapse key: a newer message with the same topic replaces a pending one. At most 32
    /// base64url characters.
    pub topic: Option<String>,
}

/// VAPID tokens live 12 h and are renewed when less than 1 h remains.
const JWT_LIFETIME_SECS: u64 = 12 * 3600;
const JWT_RENEW_BEFORE_SECS: u64 = 3600;
/// Error bodies are read up to this size.
const BODY_LIMIT: usize = 4096;

struct CachedAuthorization {
    header: Arc<str>,
    exp: u64,
}

/// Sends Web Push messages. Share one per process: it caches a VAPID token per push-service
/// origin. `encrypt` is synchronous CPU work (one ECDH), so callers may run it in parallel.
pub struct WebPushSender {
    keys: VapidKeys,
    subject: String,
    client: reqwest::Client,
    rng: SystemRandom,
    authorizations: Mutex<HashMap<String, CachedAuthorization>>,
}

impl WebPushSender {
    /// `subject` is the VAPID contact, `mailto:` or `https:`.
    pub fn new(keys: VapidKeys, subject: String, client: reqwest::Client) -> Self {
        Self { keys, subject, client, rng: SystemRandom::new(), authorizations: Mutex::new(HashMap::new()) }
    }

    /// The RFC 8291 `aes128gcm` body for `sub`: one 4096-byte record, a fresh ephemeral key and salt.
    pub fn encrypt(&self, sub: &Subscription, plaintext: &[u8]) -> Result<Vec<u8>, Error> {
        let (public, auth) = sub.keys()?;
        ece::encrypt(&public, &auth, plaintext, &self.rng)
    }

    /// Encrypts `payload` (its JSON) for `sub` and posts it to the subscription's endpoint.
    /// The endpoint is not checked here: the server checks it when it stores the subscription.
    pub async fn send(&self, sub: &Subscription, payload: &PushPayload, opts: &PushOptions) -> Outcome {
        let request = match self.request(sub, payload, opts) {
            Ok(request) => request,
            Err(error) => return Outcome::Rejected(error.to_string()),
        };
        let response = match request.send().await {
            Ok(response) => response,
            Err(error) => {
                tracing::debug!(error = %error.without_url(), "web push: request failed");
                return Outcome::RetryAfter(None);
            }
        };
        let status = response.status();
        match status.as_u16() {
            200..=299 => Outcome::Delivered,
            404 | 410 => Outcome::Gone,
            429 | 500..=599 => Outcome::RetryAfter(outcome::retry_after(response.headers())),
            _ => outcome::rejected(status, &outcome::read_body(response, BODY_LIMIT).await),
        }
    }

    /// The HTTP request [`send`](Self::send) would post (encrypted body, VAPID and delivery
    /// headers), without sending it: what the throughput benchmark measures.
    pub fn prepare(
        &self,
        sub: &Subscription,
        payload: &PushPayload,
        opts: &PushOptions,
    ) -> Result<reqwest::Request, Error> {
        self.request(sub, payload, opts)?.build().map_err(|_| Error::InvalidEndpoint)
    }

    fn request(
        &self,
        sub: &Subscription,
        payload: &PushPayload,
        opts: &PushOptions,
    ) -> Result<reqwest::RequestBuilder, Error> {
        let url = url::Url::parse(&sub.endpoint).map_err(|_| Error::InvalidEndpoint)?;
        if !matches!(url.scheme(), "https" | "http") {
            return Err(Error::InvalidEndpoint);
        }
        if let Some(topic) = &opts.topic
            && (topic.is_empty()
                || topic.len() > 32
                || !topic.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'))
        {
            return Err(Error::InvalidTopic);
        }
        let plaintext = serde_json::to_vec(payload).expect("a PushPayload always serializes");
        let body = self.encrypt(sub, &plaintext)?;
        let mut authorization = HeaderValue::from_str(&self.authorization(&url.origin().ascii_serialization())?)
            .map_err(|_| Error::InvalidEndpoint)?;
        authorization.set_sensitive(true);
        let mut request = self
            .client
            .post(url)
            .header("TTL", opts.ttl_secs)
            .header("Urgency", opts.urgency.as_str())
            .header(CONTENT_ENCODING, "aes128gcm")
            .header(CONTENT_TYPE, "application/octet-stream")
            .header(AUTHORIZATION, authorization);
        if let Some(topic) = &opts.topic {
            request = request.header("Topic", topic.as_str());
        }
        Ok(request.body(body))
    }

    /// `vapid t=<jwt>, k=<public key>` for a push-service origin, signed once per origin and
    /// reused until an hour before it expires.
    fn authorization(&self, origin: &str) -> Result<Arc<str>, Error> {
        let now = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
        let mut cache = self.authorizations.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(cached) = cache.get(origin)
            && cached.exp > now + JWT_RENEW_BEFORE_SECS
        {
            return Ok(cached.header.clone());
        }
        let exp = now + JWT_LIFETIME_SECS;
        let jwt = self.keys.sign_jwt(origin, exp, &self.subject)?;
        let header: Arc<str> = format!("vapid t={jwt}, k={}", self.keys.public_b64url()).into();
        cache.retain(|_, cached| cached.exp > now + JWT_RENEW_BEFORE_SECS);
        cache.insert(origin.to_owned(), CachedAuthorization { header: header.clone(), exp });
        Ok(header)
    }
}
