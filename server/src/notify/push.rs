//! Push to patients' phones through mobile-bridge: every live device of the recipient, Web Push
//! or FCM. A device whose push service says it is gone is retired.

use std::time::Duration;

use relais_mobile_bridge::{FcmSender, Outcome, PushOptions, Subscription, Urgency, VapidKeys, WebPushSender};
use sha2::{Digest, Sha256};

use super::message::Message;
use crate::config::PushSettings;
use crate::store::entities::push_device;

pub struct Push {
    pub webpush: WebPushSender,
    pub fcm: Option<FcmSender>,
    pub public_key: String,
}

/// The server's VAPID keys: read from the key file, or created there on first start.
pub fn vapid_keys(path: &str) -> anyhow::Result<VapidKeys> {
    match std::fs::read_to_string(path) {
        Ok(s) => {
            VapidKeys::from_private_b64url(s.trim()).map_err(|e| anyhow::anyhow!("push.vapid_key_file {path}: {e}"))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let keys = VapidKeys::generate();
            write_private(path, &keys.private_b64url())?;
            tracing::info!(path, "created a VAPID key pair");
            Ok(keys)
        }
        Err(e) => Err(anyhow::anyhow!("push.vapid_key_file {path}: {e}")),
    }
}

fn write_private(path: &str, content: &str) -> anyhow::Result<()> {
    if let Some(dir) = std::path::Path::new(path).parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    #[cfg(unix)]
    {
        use std::io::Write;
        use std::os::unix::fs::OpenOptionsExt;
        let mut f = std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(path)?;
        f.write_all(content.as_bytes())?;
        Ok(())
    }
    #[cfg(not(unix))]
    {
        std::fs::write(path, content)?;
        Ok(())
    }
}

impl Push {
    pub async fn from_settings(s: &PushSettings) -> anyhow::Result<Self> {
        // No redirects: a push endpoint that answers 3xx must not make the server call an address
        // the allowlist of push services never admitted.
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(15))
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        let keys = vapid_keys(&s.vapid_key_file)?;
        let public_key = keys.public_b64url();
        let fcm = if s.fcm_service_account_file.is_empty() {
            None
        } else {
            let json = std::fs::read_to_string(&s.fcm_service_account_file)
                .map_err(|e| anyhow::anyhow!("push.fcm_service_account_file: {e}"))?;
            Some(
                FcmSender::from_service_account_json(&json, &s.fcm_base_url, client.clone())
                    .await
                    .map_err(|e| anyhow::anyhow!("push.fcm_service_account_file: {e}"))?,
            )
        };
        Ok(Self { webpush: WebPushSender::new(keys, s.vapid_subject.clone(), client), fcm, public_key })
    }

    /// Sends one outbox message (`dedupe_key` is its row's) to one device.
    pub async fn send(&self, message: &Message, dedupe_key: &str, device: &push_device::Model) -> Outcome {
        let Some(payload) = message.push_payload() else {
            return Outcome::Rejected(format!("a {} message is not pushed", message.kind()));
        };
        let urgent = match message {
            Message::DoseReminder(_) | Message::AlertPush(_) | Message::AlertEscalationPush(_) => true,
            Message::QuestionnaireDue(_)
            | Message::PushMessage(_)
            | Message::Alert(_)
            | Message::AlertInfo(_)
            | Message::AlertEscalation(_)
            | Message::AmberDigest(_)
            | Message::GpTakeover(_)
            | Message::SequenceAutoRenewed(_)
            | Message::HandoverSheet(_)
            | Message::PlanningRepaired(_) => false,
        };
        // The same event carries the same topic, so a phone shows one notification for it.
        let topic: String = Sha256::digest(dedupe_key.split(':').skip(1).collect::<Vec<_>>().join(":").as_bytes())
            .iter()
            .take(16)
            .map(|b| format!("{b:02x}"))
            .collect();
        match device.kind.as_str() {
            "webpush" => {
                let sub = Subscription {
                    endpoint: device.endpoint.clone().unwrap_or_default(),
                    p256dh: device.p256dh.clone().unwrap_or_default(),
                    auth: device.auth.clone().unwrap_or_default(),
                };
                // A dose reminder is worth nothing once the dose's window has closed.
                let ttl = if matches!(message, Message::DoseReminder(_)) { 4 * 3600 } else { 24 * 3600 };
                let opts = PushOptions {
                    ttl_secs: ttl,
                    urgency: if urgent { Urgency::High } else { Urgency::Normal },
                    topic: Some(topic),
                };
                self.webpush.send(&sub, payload, &opts).await
            }
            "fcm" => match (&self.fcm, &device.fcm_token) {
                (Some(fcm), Some(token)) => fcm.send(token, payload, urgent, Some(&topic)).await,
                (None, _) => Outcome::Rejected("FCM is not configured on this server".into()),
                (_, None) => Outcome::Gone,
            },
            other => Outcome::Rejected(format!("unknown device kind {other}")),
        }
    }
}
