//! `relais bench webpush` and `relais bench delivery` (docs/design.md, "Scale targets"):
//! - webpush: Web Push messages prepared per second (RFC 8291 encryption with a fresh ephemeral
//!   key, the VAPID token reused per origin, the HTTP request built), on one core and on all,
//!   next to `openssl speed ecdhp256` when the openssl command exists. No network.
//! - delivery: N due outbox messages delivered by the real worker (`deliver_due`) to a fake
//!   push service on loopback answering 201, against a fresh database.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use base64::Engine;
use chrono::{Duration, TimeZone, Utc};
use rand::RngCore;
use relais_mobile_bridge::{PushKind, PushOptions, PushPayload, Subscription, Urgency, VapidKeys, WebPushSender};
use sea_orm::ConnectionTrait;

use crate::cli::Usage;
use crate::notify::delivery::deliver_due;
use crate::notify::message::Message;
use crate::store::{self, outbox, push_devices};
use crate::{AppState, ManualClock, Rules, Settings};

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// A browser subscription with a real P-256 public key and a random auth secret.
fn subscription(endpoint: String) -> Subscription {
    let mut auth = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut auth);
    Subscription { endpoint, p256dh: VapidKeys::generate().public_b64url(), auth: b64(&auth) }
}

/// A dose reminder of the usual size (about 150 bytes of JSON).
fn payload(id: usize) -> PushPayload {
    PushPayload {
        kind: PushKind::DoseReminder,
        title: "Capécitabine 1500 mg".into(),
        body: "C'est l'heure de votre prise de 08:00".into(),
        url: "/app/today".into(),
        id: format!("0f8e6c1a-5b7d-4c2e-9a31-{id:012}"),
    }
}

pub(super) fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines().find(|l| l.starts_with("model name")).map(|l| l.split(':').nth(1).unwrap_or("").trim().to_owned())
        })
        .unwrap_or_default();
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    format!("{cores} cores, {cpu}")
}

/// `openssl speed ecdhp256` (op/s), when the command is there.
fn openssl_ecdh() -> Option<f64> {
    let out = std::process::Command::new("openssl").args(["speed", "-seconds", "3", "ecdhp256"]).output().ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text.lines().find(|l| l.contains("ecdh (nistp256)"))?;
    line.split_whitespace().last()?.parse().ok()
}

pub fn webpush(messages: usize) -> anyhow::Result<()> {
    anyhow::ensure!(messages > 0, Usage("--messages: at least 1".into()));
    let sender = WebPushSender::new(VapidKeys::generate(), "mailto:bench@relais.test".into(), reqwest::Client::new());
    let subs: Vec<Subscription> =
        (0..100).map(|i| subscription(format!("https://fcm.googleapis.com/fcm/send/bench-{i}"))).collect();
    let opts = PushOptions {
        ttl_secs: 14_400,
        urgency: Urgency::High,
        topic: Some("0f8e6c1a5b7d4c2e9a317d2b8e4f6a10".into()),
    };
    let run = |n: usize, offset: usize| -> anyhow::Result<usize> {
        let mut bytes = 0;
        for i in offset..offset + n {
            let req = sender.prepare(&subs[i % subs.len()], &payload(i), &opts)?;
            bytes += req.body().and_then(|b| b.as_bytes()).map_or(0, <[u8]>::len);
        }
        Ok(bytes)
    };
    run(500, 0)?;
    let start = Instant::now();
    let bytes = run(messages, 0)?;
    let one = messages as f64 / start.elapsed().as_secs_f64();
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    let start = Instant::now();
    std::thread::scope(|s| -> anyhow::Result<()> {
        let handles: Vec<_> = (0..cores).map(|c| s.spawn(move || run(messages, c * messages))).collect();
        for h in handles {
            h.join().map_err(|_| anyhow::anyhow!("a benchmark thread panicked"))??;
        }
        Ok(())
    })?;
    let all = (messages * cores) as f64 / start.elapsed().as_secs_f64();
    let ecdh = openssl_ecdh();
    println!();
    println!("### Web Push preparation ({})", machine());
    println!();
    println!("| Measure | Value |");
    println!("|---|---|");
    println!(
        "| Messages per run | {messages} (100 subscriptions, one push-service origin, {} B bodies) |",
        bytes / messages
    );
    println!("| One core | {one:.0} messages/s |");
    println!("| All {cores} cores | {all:.0} messages/s |");
    match ecdh {
        Some(e) => println!("| `openssl speed ecdhp256` (one core) | {e:.0} op/s; one core here = {:.2}× |", one / e),
        None => println!("| `openssl speed ecdhp256` | (no openssl command) |"),
    }
    Ok(())
}

/// The fake push service: answers 201 to every POST and counts them.
async fn fake_push_service(hits: Arc<AtomicUsize>) -> anyhow::Result<String> {
    let app = axum::Router::new().route(
        "/push/{id}",
        axum::routing::post(move || {
            let hits = hits.clone();
            async move {
                hits.fetch_add(1, Ordering::Relaxed);
                axum::http::StatusCode::CREATED
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let origin = format!("http://{}", listener.local_addr()?);
    tokio::spawn(async move { axum::serve(listener, app).await });
    Ok(origin)
}

pub async fn delivery(messages: usize, devices: usize, database: Option<String>) -> anyhow::Result<()> {
    anyhow::ensure!(messages > 0 && devices > 0, Usage("--messages and --devices: at least 1".into()));
    let hits = Arc::new(AtomicUsize::new(0));
    let origin = fake_push_service(hits.clone()).await?;
    let key_file = std::env::temp_dir().join(format!("relais-bench-vapid-{}.key", uuid::Uuid::new_v4()));
    let mut env: Vec<(String, String)> = std::env::vars().collect();
    if let Some(url) = database {
        env.push(("RELAIS__DATABASE__URL".into(), url));
    }
    env.push(("RELAIS__SCHEDULER__ENABLED".into(), "false".into()));
    env.push(("RELAIS__PUSH__ALLOWED_ORIGINS".into(), origin.clone()));
    env.push(("RELAIS__PUSH__VAPID_KEY_FILE".into(), key_file.display().to_string()));
    let settings = Settings::load_from(None, &env)?;
    let rules = Rules::load(&settings.rules.dir)?;
    let t = Utc.with_ymd_and_hms(2026, 11, 23, 7, 0, 0).unwrap();
    let now = t + Duration::seconds(30);
    let state = AppState::connect(settings, rules, Arc::new(ManualClock::new(now))).await?;
    let _ = std::fs::remove_file(&key_file);
    let db = &state.db;
    let backend = if store::is_postgres(db) { "PostgreSQL" } else { "SQLite" };
    if !store::outbox_delivery::count_by_status(db).await?.is_empty() {
        return Err(Usage("the benchmark needs a fresh database; this one has outbox rows".into()).into());
    }

    eprintln!("seeding {devices} phones and {messages} due push messages on {backend}...");
    let started = Instant::now();
    let txn = store::begin_write(db).await?;
    let mut patients = Vec::with_capacity(devices);
    for i in 0..devices {
        let patient = uuid::Uuid::new_v4().to_string();
        let sub = subscription(format!("{origin}/push/{i}"));
        let d = push_devices::NewDevice::WebPush { endpoint: sub.endpoint, p256dh: sub.p256dh, auth: sub.auth };
        push_devices::add_for_patient(&txn, &patient, d, t).await?;
        patients.push(patient);
    }
    let rows: Vec<outbox::NewMessage> = (0..messages)
        .map(|i| outbox::NewMessage {
            recipient_kind: "patient",
            recipient_id: &patients[i % devices],
            message: Message::DoseReminder(payload(i)),
            dedupe_key: format!("dose_reminder:bench-{i}"),
        })
        .collect();
    outbox::enqueue_many(&txn, rows, t).await?;
    txn.commit().await?;
    if store::is_postgres(db) {
        db.execute_unprepared("ANALYZE").await?;
    }
    let seeding = started.elapsed();

    let start = Instant::now();
    let stats = deliver_due(&state, now).await?;
    let wall = start.elapsed();
    let d = &state.settings.delivery;
    println!();
    println!("### Delivery end to end — {backend}, {messages} messages ({})", machine());
    println!();
    println!("| Measure | Value |");
    println!("|---|---|");
    println!("| Seeding (not measured) | {:.1} s ({devices} phones) |", seeding.as_secs_f64());
    println!("| Worker settings | batch {}, concurrency {} |", d.batch, d.concurrency);
    println!("| Sent / retried / failed | {} / {} / {} |", stats.sent, stats.retried, stats.failed);
    println!("| Requests received by the fake push service | {} |", hits.load(Ordering::Relaxed));
    println!("| Wall time | {:.2} s |", wall.as_secs_f64());
    println!("| Throughput | {:.0} messages/s |", stats.sent as f64 / wall.as_secs_f64());
    Ok(())
}
