//! The daily digest: at the configured local hour, each professional with open amber alerts
//! addressed to them gets one email listing them (amber alerts wait days, not minutes; the
//! digest keeps them from being forgotten). Once per day per professional, whatever the number
//! of ticks or instances: the outbox's unique dedupe key `amber_digest:{professional}:{date}`.

use std::collections::BTreeMap;

use crate::AppState;
use crate::notify::message::{Digest, DigestEntry, Message};
use crate::store::entities::alert;
use crate::store::{self, alerts, outbox};
use chrono::{DateTime, Timelike, Utc};

/// Queues the digests due at `now`; returns how many professionals are concerned (a second
/// run the same day queues nothing new, the dedupe key absorbs it).
pub async fn run_digest(state: &AppState, now: DateTime<Utc>) -> anyhow::Result<usize> {
    let tz = state.site_tz();
    let local = now.with_timezone(&tz);
    // Within the configured hour only: the job does not query the alerts on every tick of the day.
    if local.hour() != state.settings.digest.hour {
        return Ok(0);
    }
    let date = local.date_naive();
    let mut by_professional: BTreeMap<String, Vec<alert::Model>> = BTreeMap::new();
    for (pro, a) in alerts::open_amber_with_recipients(&state.db).await? {
        by_professional.entry(pro).or_default().push(a);
    }
    let n = by_professional.len();
    let messages = by_professional
        .iter()
        .map(|(pro, list)| {
            let alerts = list
                .iter()
                .map(|a| DigestEntry {
                    alert_id: a.id.clone(),
                    topic: a.topic.clone(),
                    opened: a.opened_at.with_timezone(&tz).date_naive(),
                    url: format!("/staff/alerts/{}", a.id),
                })
                .collect();
            outbox::NewMessage {
                recipient_kind: "professional",
                recipient_id: pro,
                message: Message::AmberDigest(Digest { date, alerts, url: "/staff/alerts".into() }),
                dedupe_key: format!("amber_digest:{pro}:{date}"),
            }
        })
        .collect();
    let txn = store::begin_write(&state.db).await?;
    outbox::enqueue_many(&txn, messages, now).await?;
    txn.commit().await?;
    Ok(n)
}
