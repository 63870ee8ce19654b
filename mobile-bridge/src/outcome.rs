//! What became of one push, and the parts of an HTTP answer both senders read.

use std::time::{Duration, SystemTime};

/// The result of one delivery attempt, for the server to act on.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// The push service accepted the message.
    Delivered,
    /// Try again later: 429, 5xx or a network error, with the service's `Retry-After` if any.
    RetryAfter(Option<Duration>),
    /// The subscription or token no longer exists: forget the device.
    Gone,
    /// The push service refused this message: status and an excerpt of its answer.
    Rejected(String),
}

/// Parses `Retry-After`: delay-seconds or an HTTP date (RFC 9110 section 10.2.3).
pub(crate) fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let value = headers.get(reqwest::header::RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(at.duration_since(SystemTime::now()).unwrap_or(Duration::ZERO))
}

/// Reads at most `limit` bytes of a response body (push services answer errors briefly; a
/// misbehaving one must not make us buffer megabytes).
pub(crate) async fn read_body(mut response: reqwest::Response, limit: usize) -> Vec<u8> {
    let mut body = Vec::new();
    while body.len() < limit {
        match response.chunk().await {
            Ok(Some(chunk)) => body.extend_from_slice(&chunk),
            _ => break,
        }
    }
    body.truncate(limit);
    body
}

/// `"<status>: <first 200 characters of the body>"`, for [`Outcome::Rejected`].
pub(crate) fn rejected(status: reqwest::StatusCode, body: &[u8]) -> Outcome {
    let text = String::from_utf8_lossy(body);
    let excerpt: String = text.trim().chars().take(200).collect();
    Outcome::Rejected(if excerpt.is_empty() { status.to_string() } else { format!("{status}: {excerpt}") })
}
