//! Firebase Cloud Messaging, HTTP v1 API, with a service account's OAuth token (gcp_auth).

use gcp_auth::{CustomServiceAccount, TokenProvider as _};
use serde::Deserialize;
use serde_json::json;

use crate::{Error, Outcome, PushPayload, outcome};

const SCOPE: &str = "https://www.googleapis.com/auth/firebase.messaging";
/// Error bodies are read (and parsed) up to this size.
const BODY_LIMIT: usize = 16 * 1024;

/// Sends FCM messages to Android (and iOS through FCM) registration tokens.
pub struct FcmSender {
    auth: CustomServiceAccount,
    send_url: String,
    client: reqwest::Client,
}

impl std::fmt::Debug for FcmSender {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FcmSender").field("send_url", &self.send_url).finish_non_exhaustive()
    }
}

impl FcmSender {
    /// `json` is the service account key file (its `project_id` names the Firebase project and
    /// its `token_uri` the OAuth endpoint); `base_url` is `https://fcm.googleapis.com` in
    /// production. The OAuth token is fetched on first send and cached by gcp_auth.
    pub async fn from_service_account_json(json: &str, base_url: &str, client: reqwest::Client) -> Result<Self, Error> {
        let auth = CustomServiceAccount::from_json(json).map_err(Error::ServiceAccount)?;
        let project_id = auth.project_id().filter(|id| !id.is_empty()).ok_or(Error::NoProjectId)?;
        let send_url = format!("{}/v1/projects/{project_id}/messages:send", base_url.trim_end_matches('/'));
        Ok(Self { auth, send_url, client })
    }

    /// Sends `payload` as FCM data (every field a string). `urgent` selects high priority on
    /// Android and APNs priority 10; `collapse_key` replaces a pending message with the same key.
    pub async fn send(&self, token: &str, payload: &PushPayload, urgent: bool, collapse_key: Option<&str>) -> Outcome {
        let access_token = match self.auth.token(&[SCOPE]).await {
            Ok(access_token) => access_token,
            Err(error) => {
                tracing::warn!(%error, "fcm: no OAuth access token");
                return Outcome::RetryAfter(None);
            }
        };
        let response = match self
            .client
            .post(&self.send_url)
            .bearer_auth(access_token.as_str())
            .json(&message(token, payload, urgent, collapse_key))
            .send()
            .await
        {
            Ok(response) => response,
            Err(error) => {
                tracing::debug!(error = %error.without_url(), "fcm: request failed");
                return Outcome::RetryAfter(None);
            }
        };
        let status = response.status();
        if status.is_success() {
            return Outcome::Delivered;
        }
        if status.as_u16() == 429 || status.is_server_error() {
            return Outcome::RetryAfter(outcome::retry_after(response.headers()));
        }
        let body = outcome::read_body(response, BODY_LIMIT).await;
        let error = serde_json::from_slice::<ErrorBody>(&body).ok().and_then(|b| b.error);
        if error.as_ref().is_some_and(|e| e.means_token_gone(status.as_u16())) {
            return Outcome::Gone;
        }
        outcome::rejected(status, &body)
    }
}

/// The `messages:send` body.
fn message(token: &str, payload: &PushPayload, urgent: bool, collapse_key: Option<&str>) -> serde_json::Value {
    let mut android = json!({ "priority": if urgent { "high" } else { "normal" } });
    let mut apns_headers = json!({ "apns-priority": if urgent { "10" } else { "5" } });
    if let Some(key) = collapse_key {
        android["collapse_key"] = key.into();
        apns_headers["apns-collapse-id"] = key.into();
    }
    json!({
        "message": {
            "token": token,
            // Every field of PushPayload is a string, as FCM data values must be.
            "data": payload,
            "android": android,
            "apns": { "headers": apns_headers },
        }
    })
}

#[derive(Deserialize)]
struct ErrorBody {
    error: Option<FcmError>,
}

/// A Google API error (`{"error": {"code", "message", "status", "details": [...]}}`).
#[derive(Deserialize)]
struct FcmError {
    #[serde(default)]
    message: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    details: Vec<FcmErrorDetail>,
}

#[derive(Deserialize)]
struct FcmErrorDetail {
    #[serde(rename = "errorCode", default)]
    error_code: String,
}

impl FcmError {
    /// UNREGISTERED (404), NOT_FOUND on the message's token, or INVALID_ARGUMENT about the
    /// registration token. A bare 404 without a Google error body (a wrong base URL) is not a
    /// reason to forget devices.
    fn means_token_gone(&self, status: u16) -> bool {
        let unregistered = self.status == "UNREGISTERED" || self.details.iter().any(|d| d.error_code == "UNREGISTERED");
        let not_found = status == 404 && self.status == "NOT_FOUND";
        let bad_token = status == 400
            && (self.status == "INVALID_ARGUMENT" || self.details.iter().any(|d| d.error_code == "INVALID_ARGUMENT"))
            && self.message.to_ascii_lowercase().contains("registration token");
        unregistered || not_found || bad_token
    }
}
