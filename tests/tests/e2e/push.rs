//! Dose reminders pushed to the patient's phones through a Web Push service (wiremock on
//! loopback). Decryption of the body is checked in mobile-bridge's own tests.

use chrono::{DateTime, Utc};
use relais_tests::relais_server::notify::delivery::deliver_due;
use relais_tests::relais_server::store::{outbox_delivery, push_devices};
use relais_tests::*;
use reqwest::{Method, StatusCode};
use serde_json::json;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

// RFC 8291 Appendix A's user-agent key and auth secret: a valid P-256 point and 16 bytes.
const P256DH: &str = "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4";
const AUTH: &str = "BTBZMqHH6r4Tts7J_aSIgg";

fn utc(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

#[tokio::test]
async fn a_reminder_reaches_the_phone_and_a_gone_subscription_is_retired() {
    let push_service = MockServer::start().await;
    let origin = push_service.uri();
    let app = spawn_app_with(utc("2026-11-22T23:30:00Z"), &[("RELAIS__PUSH__ALLOWED_ORIGINS", &origin)]).await;
    let key = app.call(Method::GET, "/api/v1/patient/push-key", None, None).await;
    assert_eq!(key.body["vapid_public_key"].as_str().map(str::len), Some(87), "{:?}", key.body);
    let site = app.seed_site().await;
    let mut body = app.enrolment(&site);
    body["episode"]["regimen"] = json!([{"drug": "imatinib", "dose": "400 mg", "times": ["08:00"]}]);
    let (pid, _, code) = app.enrol(&site, body).await;
    app.forget_handover_messages().await;
    let device = app.activate(&code).await;
    Mock::given(method("POST"))
        .and(path("/push/live"))
        .and(header("content-encoding", "aes128gcm"))
        .and(header("urgency", "high"))
        .and(header("ttl", "14400"))
        .respond_with(ResponseTemplate::new(201))
        .expect(1)
        .mount(&push_service)
        .await;
    Mock::given(method("POST"))
        .and(path("/push/gone"))
        .respond_with(ResponseTemplate::new(410))
        .expect(1)
        .mount(&push_service)
        .await;
    for p in ["live", "gone"] {
        let a = app
            .post("/api/v1/patient/devices", &device, json!({"kind": "webpush", "endpoint": format!("{origin}/push/{p}"), "keys": {"p256dh": P256DH, "auth": AUTH}}))
            .await;
        assert_eq!(a.status, StatusCode::CREATED, "{:?}", a.body);
    }
    app.dispatch().await;
    app.set_now(utc("2026-11-23T07:00:30Z"));
    app.dispatch().await;
    let stats = deliver_due(&app.state, app.clock.now()).await.unwrap();
    assert_eq!(stats.sent, 1, "{stats:?}");
    let requests = push_service.received_requests().await.unwrap();
    let auth = requests[0].headers.get("authorization").unwrap().to_str().unwrap();
    assert!(auth.starts_with("vapid t=") && auth.contains(", k="), "{auth}");
    assert_eq!(push_devices::live_for_patient(&app.state.db, &pid).await.unwrap().len(), 1, "the gone one is retired");
    assert_eq!(outbox_delivery::by_status(&app.state.db, "sent").await.unwrap().len(), 1);
    push_service.verify().await;
}

#[tokio::test]
async fn a_patient_without_a_phone_is_recorded_as_such_and_a_busy_service_is_retried() {
    let push_service = MockServer::start().await;
    let origin = push_service.uri();
    let app = spawn_app_with(utc("2026-11-22T23:30:00Z"), &[("RELAIS__PUSH__ALLOWED_ORIGINS", &origin)]).await;
    let site = app.seed_site().await;
    let (_, _, code) = app.enrol(&site, app.enrolment(&site)).await;
    app.forget_handover_messages().await;
    app.dispatch().await;
    app.set_now(utc("2026-11-23T07:00:30Z"));
    app.dispatch().await;
    assert_eq!(deliver_due(&app.state, app.clock.now()).await.unwrap().no_device, 1);
    // Now with a phone whose push service is busy: retried after its Retry-After.
    let device = app.activate(&code).await;
    app.post(
        "/api/v1/patient/devices",
        &device,
        json!({"kind": "webpush", "endpoint": format!("{origin}/push/busy"), "keys": {"p256dh": P256DH, "auth": AUTH}}),
    )
    .await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "120"))
        .mount(&push_service)
        .await;
    app.set_now(utc("2026-11-23T08:00:30Z"));
    app.dispatch().await;
    let first = deliver_due(&app.state, app.clock.now()).await.unwrap();
    assert_eq!(first.retried, 1, "{first:?}");
    let pending = outbox_delivery::by_status(&app.state.db, "pending").await.unwrap();
    let wait = (pending[0].next_attempt_at - app.clock.now()).num_seconds();
    assert!((119..=121).contains(&wait), "Retry-After honoured: {wait}");
}
