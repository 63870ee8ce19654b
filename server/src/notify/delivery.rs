//! The outbox worker: claims due messages in batches (never holding a transaction across a
//! send), sends them in parallel with bounded concurrency, and records each attempt: sent,
//! retried later with exponential backoff and jitter (or the server's Retry-After), or failed
//! once retries are exhausted — a failed alert message is written on the alert itself so the
//! worklist shows "non remis à … / not delivered to ...".

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use rand::Rng;
use tokio::task::JoinSet;

use crate::AppState;
use crate::domain::triage::Locale;
use crate::notify::email::{SendError, render};
use crate::notify::message::{Channel, Message};
use crate::notify::metrics::Queue;
use crate::store::StoredValueError;
use crate::store::entities::{outbox, push_device};
use crate::store::outbox_delivery::{self as delivery, Recorded};
use crate::store::{self, alerts, push_devices};
use relais_mobile_bridge::Outcome;

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Stats {
    pub sent: usize,
    pub retried: usize,
    pub failed: usize,
    pub no_device: usize,
}

impl std::ops::AddAssign for Stats {
    fn add_assign(&mut self, other: Stats) {
        self.sent += other.sent;
        self.retried += other.retried;
        self.failed += other.failed;
        self.no_device += other.no_device;
    }
}

/// Delay before attempt `n + 1`: 30 s × 2ⁿ capped at one hour, ±20 % so that a burst of
/// failures does not retry in lockstep.
pub fn backoff(attempts: i32) -> Duration {
    let base = 30i64.saturating_mul(1i64 << attempts.clamp(0, 7)).min(3600);
    let jitter = rand::thread_rng().gen_range(-(base / 5)..=(base / 5));
    Duration::seconds(base + jitter)
}

fn retry_or_fail(
    row: &outbox::Model,
    max: u32,
    now: DateTime<Utc>,
    after: Option<Duration>,
    error: String,
) -> Recorded {
    if row.attempts + 1 >= max as i32 {
        Recorded::Failed(format!("gave up after {} attempts: {error}", row.attempts + 1))
    } else {
        Recorded::Retry { at: now + after.unwrap_or_else(|| backoff(row.attempts)), error }
    }
}

/// Batches of a lane in flight at once: the next batch is claimed and its sends start while the
/// previous one is still sending or being recorded, so neither the database nor the senders
/// wait for the other.
const PIPELINE: usize = 2;

/// Who a message is for decides its lane. Professionals' messages (alerts, escalations, the
/// digest) are few and urgent: they have their own claims, so a burst of patients' reminders
/// never queues in front of a red alert.
#[derive(Debug, Clone, Copy)]
enum Lane {
    Staff,
    Patients,
}

impl Lane {
    fn recipient_kinds(self) -> &'static [&'static str] {
        match self {
            Lane::Staff => &["professional", "email_address"],
            Lane::Patients => &["patient"],
        }
    }
}

/// Delivers the professionals' messages due at `now` (the scheduler's urgent loop).
pub async fn deliver_staff_due(state: &AppState, now: DateTime<Utc>) -> anyhow::Result<Stats> {
    lane(state, Lane::Staff, now).await
}

/// Delivers the patients' messages due at `now` (the scheduler's main loop).
pub async fn deliver_patients_due(state: &AppState, now: DateTime<Utc>) -> anyhow::Result<Stats> {
    lane(state, Lane::Patients, now).await
}

/// One pass: delivers every message due at `now`, the staff lane and the patients' lane side
/// by side.
pub async fn deliver_due(state: &AppState, now: DateTime<Utc>) -> anyhow::Result<Stats> {
    let (staff, patients) = tokio::join!(lane(state, Lane::Staff, now), lane(state, Lane::Patients, now));
    let mut stats = staff?;
    stats += patients?;
    Ok(stats)
}

/// Claims and delivers the due messages of one lane, up to [`PIPELINE`] batches at a time,
/// until none is left at `now`. The lane's sends share one concurrency limit.
async fn lane(state: &AppState, lane: Lane, now: DateTime<Utc>) -> anyhow::Result<Stats> {
    let s = &state.settings.delivery;
    let lease = Duration::seconds(i64::from(s.lease_seconds));
    let limit = Arc::new(tokio::sync::Semaphore::new(s.concurrency as usize));
    let mut stats = Stats::default();
    // Dropping this future (a killed worker) aborts the batches in flight: their rows stay
    // leased and are claimed again once the lease has run out.
    let mut batches = JoinSet::new();
    let mut drained = false;
    loop {
        while !drained && batches.len() < PIPELINE {
            let rows =
                delivery::claim(&state.db, &["email", "push"], lane.recipient_kinds(), now, lease, u64::from(s.batch))
                    .await?;
            if rows.is_empty() {
                drained = true;
            } else {
                batches.spawn(deliver_batch(state.clone(), rows, now, limit.clone()));
            }
        }
        match batches.join_next().await {
            None => return Ok(stats),
            Some(done) => stats += done??,
        }
    }
}

/// Sends one claimed batch (renewing its lease while the sends take time), then records every
/// outcome in one transaction.
async fn deliver_batch(
    state: AppState,
    rows: Vec<outbox::Model>,
    now: DateTime<Utc>,
    limit: Arc<tokio::sync::Semaphore>,
) -> anyhow::Result<Stats> {
    let s = &state.settings.delivery;
    let mut stats = Stats::default();
    let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
    let pro_ids: Vec<String> =
        rows.iter().filter(|r| r.recipient_kind == "professional").map(|r| r.recipient_id.clone()).collect();
    let emails: HashMap<String, (String, Result<Locale, StoredValueError>)> =
        delivery::emails(&state.db, pro_ids).await?.into_iter().collect();
    // The devices of the batch's push recipients, in one query per recipient kind.
    let mut devices: HashMap<(String, String), Vec<push_device::Model>> = HashMap::new();
    for kind in ["patient", "professional"] {
        let ids: Vec<String> = rows
            .iter()
            .filter(|r| r.channel == "push" && r.recipient_kind == kind)
            .map(|r| r.recipient_id.clone())
            .collect();
        if ids.is_empty() {
            continue;
        }
        for (id, list) in push_devices::live_for_many(&state.db, kind, ids).await? {
            devices.insert((kind.to_owned(), id), list);
        }
    }
    let mut tasks = JoinSet::new();
    let mut outcomes = Vec::new();
    for row in rows {
        let message = match Message::from_row(&row.id, &row.channel, &row.kind, &row.payload) {
            Ok(message) => message,
            Err(e) => {
                // Never sent with empty fields, never skipped: failed, named and counted.
                state.metrics.unreadable(Queue::Outbox);
                tracing::error!(outbox_id = %row.id, kind = %row.kind, "{e}");
                let alert_id = alert_of_unreadable(&row.payload);
                outcomes.push(Attempted { row, alert_id, recorded: Recorded::Failed(e.to_string()), gone: vec![] });
                continue;
            }
        };
        // A backup address of the establishment reads the site's language, French.
        let to = if row.recipient_kind == "email_address" {
            Some((row.recipient_id.clone(), Ok(Locale::Fr)))
        } else {
            emails.get(&row.recipient_id).cloned()
        };
        let (state, limit) = (state.clone(), limit.clone());
        let targets = devices.get(&(row.recipient_kind.clone(), row.recipient_id.clone())).cloned().unwrap_or_default();
        tasks.spawn(async move {
            let _permit = limit.acquire().await;
            let attempt = match message.channel() {
                Channel::Push => {
                    let (r, gone) = push_all(&state, &message, &row.dedupe_key, &targets).await;
                    Attempt::Push(r, gone)
                }
                Channel::Email => Attempt::Email(email(&state, &message, to).await),
            };
            (row, message.alert_id().map(str::to_owned), attempt)
        });
    }
    // The claim's lease is renewed every third of it while the sends go on: a batch stuck behind
    // a slow push service keeps its rows, and a crashed worker's rows are due again at most one
    // lease after the crash.
    let lease = std::time::Duration::from_secs(u64::from(s.lease_seconds));
    let started = std::time::Instant::now();
    let mut renew = tokio::time::interval_at(tokio::time::Instant::now() + lease / 3, lease / 3);
    loop {
        tokio::select! {
            done = tasks.join_next() => {
                let Some(done) = done else { break };
                let Ok((row, alert_id, attempt)) = done else { continue };
                let (recorded, gone) = match attempt {
                    Attempt::Email(Ok(())) => (Recorded::Sent, vec![]),
                    Attempt::Email(Err(SendError::Transient(e))) => {
                        (retry_or_fail(&row, s.max_attempts, now, None, e), vec![])
                    }
                    Attempt::Email(Err(SendError::Permanent(e))) => (Recorded::Failed(e), vec![]),
                    Attempt::Push(PushResult::Retry(after, e), gone) => {
                        (retry_or_fail(&row, s.max_attempts, now, after, e), gone)
                    }
                    Attempt::Push(PushResult::Done(r), gone) => (r, gone),
                };
                outcomes.push(Attempted { row, alert_id, recorded, gone });
            }
            _ = renew.tick() => {
                let until = now + Duration::from_std(started.elapsed() + lease)?;
                if let Err(e) = delivery::renew(&state.db, &ids, until).await {
                    tracing::warn!(error = %e, "could not renew the lease of a batch being sent");
                }
            }
        }
    }
    let txn = store::begin_write(&state.db).await?;
    // Most of a batch is sent: one statement records them all.
    let sent: Vec<String> =
        outcomes.iter().filter(|o| o.recorded == Recorded::Sent).map(|o| o.row.id.clone()).collect();
    delivery::record_sent(&txn, &sent, now).await?;
    for Attempted { row, alert_id, recorded: r, gone } in &outcomes {
        if *r != Recorded::Sent {
            delivery::record(&txn, &row.id, r, now).await?;
        }
        for device in gone {
            push_devices::retire(&txn, device, now).await?;
        }
        let outcome = match r {
            Recorded::Sent => "sent",
            Recorded::Retry { .. } => "retried",
            Recorded::NoDevice => "no_device",
            Recorded::Failed(_) => "failed",
        };
        state.metrics.message(&row.channel, outcome);
        match r {
            Recorded::Sent => stats.sent += 1,
            Recorded::Retry { .. } => stats.retried += 1,
            Recorded::NoDevice => stats.no_device += 1,
            Recorded::Failed(e) => {
                stats.failed += 1;
                tracing::warn!(outbox_id = %row.id, kind = %row.kind, "message not delivered: {e}");
                if let Some(alert_id) = alert_id {
                    mark_alert_undelivered(&txn, row, alert_id, now).await?;
                }
            }
        }
    }
    txn.commit().await?;
    Ok(stats)
}

/// One message's attempt, as recorded.
struct Attempted {
    row: outbox::Model,
    /// The alert the message is about: a failure is written on it.
    alert_id: Option<String>,
    recorded: Recorded,
    /// Devices their push service says are gone.
    gone: Vec<String>,
}

/// Sends a message by email to `to`, in their language (None: the professional has no
/// address; a language that does not parse fails the message, named).
async fn email(
    state: &AppState,
    message: &Message,
    to: Option<(String, Result<Locale, StoredValueError>)>,
) -> Result<(), SendError> {
    let Some((to, locale)) = to else { return Err(SendError::Permanent("recipient has no email address".into())) };
    let locale = locale.map_err(|e| {
        state.metrics.unreadable(Queue::Outbox);
        SendError::Permanent(e.to_string())
    })?;
    let Some((subject, text, html)) = render(message, &state.settings.server.public_url, state.site_tz(), locale)
    else {
        return Err(SendError::Permanent(format!("a {} message is not sent by email", message.kind())));
    };
    let started = std::time::Instant::now();
    let r = state.mailer.send(&state.settings.email.from, &to, &subject, text, html).await;
    state.metrics.observe("email", started.elapsed());
    r
}

/// The alert an unreadable row is about, if its payload still names one: a message about an
/// alert that was never delivered shows on the alert, readable or not.
fn alert_of_unreadable(payload: &str) -> Option<String> {
    serde_json::from_str::<serde_json::Value>(payload).ok()?.get("alert_id")?.as_str().map(str::to_owned)
}

enum Attempt {
    Email(Result<(), SendError>),
    /// The outcome, and the devices their push service says are gone.
    Push(PushResult, Vec<String>),
}

enum PushResult {
    Done(Recorded),
    Retry(Option<Duration>, String),
}

/// Sends a message to every live device of its recipient (a patient's phones, a professional's
/// browsers): delivered if one device got it; retried if none did but one may later; refused
/// otherwise.
async fn push_all(
    state: &AppState,
    message: &Message,
    dedupe_key: &str,
    devices: &[push_device::Model],
) -> (PushResult, Vec<String>) {
    if devices.is_empty() {
        return (PushResult::Done(Recorded::NoDevice), vec![]);
    }
    let (mut delivered, mut retry, mut gone, mut errors) = (false, None::<Option<Duration>>, Vec::new(), Vec::new());
    for d in devices {
        let started = std::time::Instant::now();
        let outcome = state.push.send(message, dedupe_key, d).await;
        state.metrics.observe(&d.kind, started.elapsed());
        match outcome {
            Outcome::Delivered => delivered = true,
            Outcome::Gone => {
                state.metrics.gone(&d.kind);
                gone.push(d.id.clone());
            }
            Outcome::RetryAfter(after) => {
                let after = after.and_then(|a| Duration::from_std(a).ok());
                retry = Some(match retry {
                    Some(Some(prev)) => Some(after.map_or(prev, |a| a.max(prev))),
                    _ => after,
                });
                errors.push(format!("{}: retry", d.kind));
            }
            Outcome::Rejected(why) => errors.push(format!("{}: {why}", d.kind)),
        }
    }
    let result = match (delivered, retry) {
        (true, _) => PushResult::Done(Recorded::Sent),
        (false, Some(after)) => PushResult::Retry(after, errors.join("; ")),
        (false, None) if errors.is_empty() => PushResult::Done(Recorded::NoDevice),
        (false, None) => PushResult::Done(Recorded::Failed(errors.join("; "))),
    };
    (result, gone)
}

/// A message about an alert that could not be delivered is shown on the alert.
async fn mark_alert_undelivered(
    db: &impl sea_orm::ConnectionTrait,
    row: &outbox::Model,
    alert_id: &str,
    now: DateTime<Utc>,
) -> Result<(), sea_orm::DbErr> {
    let Some(mut a) = alerts::get(db, alert_id).await? else { return Ok(()) };
    // Staff read the note on the worklist: the recipient by address, in French then English.
    let who = if row.recipient_kind == "email_address" {
        row.recipient_id.clone()
    } else {
        delivery::emails(db, vec![row.recipient_id.clone()])
            .await?
            .pop()
            .map_or_else(|| row.recipient_id.clone(), |(_, (email, _))| email)
    };
    let channel = if row.channel == "push" { "notification" } else { "e-mail" };
    let line = format!("non remis à {who} ({channel}) / not delivered to {who} ({channel})");
    a.note = Some(match a.note.take() {
        Some(n) if !n.is_empty() => format!("{n}; {line}"),
        _ => line.clone(),
    });
    alerts::update(db, a).await?;
    alerts::event(
        db,
        alerts::Event {
            alert_id,
            kind: "delivery_failed",
            actor_kind: "system",
            actor_id: None,
            detail: serde_json::json!({"recipient": row.recipient_id, "channel": row.channel}),
            at: now,
        },
    )
    .await
}
