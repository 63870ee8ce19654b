//! FCM HTTP v1 against real HTTP peers: a local OAuth token endpoint (the key file's
//! `token_uri`) and a local FCM, with a service account key generated for the test.

use std::{sync::OnceLock, time::Duration};

use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
use relais_mobile_bridge::{Error, FcmSender, Outcome, PushKind, PushPayload};
use rsa::pkcs8::{EncodePrivateKey as _, LineEnding};
use serde_json::json;
use wiremock::{
    Mock, MockServer, ResponseTemplate,
    matchers::{body_string_contains, header, method, path},
};

const PROJECT: &str = "relais-test";
const ACCESS_TOKEN: &str = "ya29.test-access-token";
const SEND_PATH: &str = "/v1/projects/relais-test/messages:send";
const DEVICE_TOKEN: &str = "fcm-device-token-1";

/// A throwaway RSA key, generated once per test run (gcp_auth signs with RSA PKCS#1 SHA-256).
fn test_key_pem() -> &'static str {
    static PEM: OnceLock<String> = OnceLock::new();
    PEM.get_or_init(|| {
        let key = rsa::RsaPrivateKey::new(&mut rsa::rand_core::OsRng, 2048).unwrap();
        key.to_pkcs8_pem(LineEnding::LF).unwrap().to_string()
    })
}

fn key_file(token_uri: &str) -> String {
    json!({
        "type": "service_account",
        "project_id": PROJECT,
        "private_key_id": "test-key",
        "private_key": test_key_pem(),
        "client_email": "push@relais-test.iam.gserviceaccount.com",
        "client_id": "1",
        "token_uri": token_uri,
    })
    .to_string()
}

struct Fixture {
    oauth: MockServer,
    fcm: MockServer,
    sender: FcmSender,
}

async fn fixture() -> Fixture {
    let (oauth, fcm) = (MockServer::start().await, MockServer::start().await);
    Mock::given(method("POST"))
        .and(path("/token"))
        .and(body_string_contains("grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "access_token": ACCESS_TOKEN, "expires_in": 3599, "token_type": "Bearer"
        })))
        .mount(&oauth)
        .await;
    let sender = FcmSender::from_service_account_json(
        &key_file(&format!("{}/token", oauth.uri())),
        &format!("{}/", fcm.uri()),
        reqwest::Client::new(),
    )
    .await
    .unwrap();
    Fixture { oauth, fcm, sender }
}

fn payload() -> PushPayload {
    PushPayload {
        kind: PushKind::QuestionnaireDue,
        title: "Questionnaire".into(),
        body: "Comment allez-vous aujourd'hui ?".into(),
        url: "/app/questionnaires/7".into(),
        id: "q-7".into(),
    }
}

/// FCM answers only a request carrying exactly `Authorization: Bearer <token>`.
async fn mount_fcm(fcm: &MockServer, response: ResponseTemplate) {
    Mock::given(method("POST"))
        .and(path(SEND_PATH))
        .and(header("authorization", format!("Bearer {ACCESS_TOKEN}").as_str()))
        .respond_with(response)
        .mount(fcm)
        .await;
}

#[tokio::test]
async fn sends_the_v1_message_with_the_service_account_token() {
    let f = fixture().await;
    mount_fcm(&f.fcm, ResponseTemplate::new(200).set_body_json(json!({"name": "projects/relais-test/messages/1"})))
        .await;

    let urgent = f.sender.send(DEVICE_TOKEN, &payload(), true, Some("q-7")).await;
    assert_eq!(urgent, Outcome::Delivered);
    let quiet = f.sender.send(DEVICE_TOKEN, &payload(), false, None).await;
    assert_eq!(quiet, Outcome::Delivered);

    let sent = f.fcm.received_requests().await.unwrap();
    assert_eq!(sent.len(), 2);
    assert_eq!(sent[0].headers.get("authorization").unwrap(), &format!("Bearer {ACCESS_TOKEN}"));
    let data = json!({
        "type": "questionnaire_due",
        "title": "Questionnaire",
        "body": "Comment allez-vous aujourd'hui ?",
        "url": "/app/questionnaires/7",
        "id": "q-7",
    });
    assert_eq!(
        serde_json::from_slice::<serde_json::Value>(&sent[0].body).unwrap(),
        json!({"message": {
            "token": DEVICE_TOKEN,
            "data": data,
            "android": {"priority": "high", "collapse_key": "q-7"},
            "apns": {"headers": {"apns-priority": "10", "apns-collapse-id": "q-7"}},
        }})
    );
    assert_eq!(
        serde_json::from_slice::<serde_json::Value>(&sent[1].body).unwrap(),
        json!({"message": {
            "token": DEVICE_TOKEN,
            "data": data,
            "android": {"priority": "normal"},
            "apns": {"headers": {"apns-priority": "5"}},
        }})
    );

    // One OAuth exchange for both sends (gcp_auth caches the token), with a JWT assertion for
    // the FCM scope, addressed to the key file's token_uri.
    let exchanges = f.oauth.received_requests().await.unwrap();
    assert_eq!(exchanges.len(), 1);
    let form: Vec<(String, String)> = url::form_urlencoded::parse(&exchanges[0].body).into_owned().collect();
    let assertion = &form.iter().find(|(k, _)| k == "assertion").unwrap().1;
    // gcp_auth pads its base64url; the claims are the JWT's second part.
    let claims = assertion.split('.').nth(1).unwrap().trim_end_matches('=');
    let claims: serde_json::Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(claims).unwrap()).unwrap();
    assert_eq!(claims["scope"], "https://www.googleapis.com/auth/firebase.messaging");
    assert_eq!(claims["aud"], format!("{}/token", f.oauth.uri()));
}

fn google_error(code: u16, status: &str, message: &str, error_code: Option<&str>) -> ResponseTemplate {
    let details = match error_code {
        Some(error_code) => {
            json!([{"@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError", "errorCode": error_code}])
        }
        None => json!([]),
    };
    ResponseTemplate::new(code)
        .set_body_json(json!({"error": {"code": code, "message": message, "status": status, "details": details}}))
}

async fn outcome_of(response: ResponseTemplate) -> Outcome {
    let f = fixture().await;
    mount_fcm(&f.fcm, response).await;
    f.sender.send(DEVICE_TOKEN, &payload(), true, None).await
}

#[tokio::test]
async fn unregistered_and_invalid_tokens_are_gone() {
    let unregistered = google_error(404, "NOT_FOUND", "Requested entity was not found.", Some("UNREGISTERED"));
    assert_eq!(outcome_of(unregistered).await, Outcome::Gone);
    let invalid = google_error(
        400,
        "INVALID_ARGUMENT",
        "The registration token is not a valid FCM registration token",
        Some("INVALID_ARGUMENT"),
    );
    assert_eq!(outcome_of(invalid).await, Outcome::Gone);
}

#[tokio::test]
async fn other_refusals_are_rejected_not_gone() {
    let bad_payload =
        google_error(400, "INVALID_ARGUMENT", "Invalid value at 'message.data'", Some("INVALID_ARGUMENT"));
    assert!(matches!(outcome_of(bad_payload).await, Outcome::Rejected(why) if why.starts_with("400")));
    let mismatch = google_error(403, "PERMISSION_DENIED", "SenderId mismatch", Some("SENDER_ID_MISMATCH"));
    assert!(matches!(outcome_of(mismatch).await, Outcome::Rejected(why) if why.starts_with("403")));
    // A 404 that is not Google's answer about a token (a wrong base URL) must not forget devices.
    let f = fixture().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(404).set_body_string("no such page"))
        .mount(&f.fcm)
        .await;
    assert!(matches!(f.sender.send(DEVICE_TOKEN, &payload(), true, None).await, Outcome::Rejected(_)));
}

#[tokio::test]
async fn quota_and_outages_mean_retry() {
    let quota = google_error(429, "RESOURCE_EXHAUSTED", "Quota exceeded", Some("QUOTA_EXCEEDED"))
        .insert_header("Retry-After", "30");
    assert_eq!(outcome_of(quota).await, Outcome::RetryAfter(Some(Duration::from_secs(30))));
    let unavailable = google_error(503, "UNAVAILABLE", "The service is currently unavailable.", Some("UNAVAILABLE"));
    assert_eq!(outcome_of(unavailable).await, Outcome::RetryAfter(None));
    assert_eq!(outcome_of(ResponseTemplate::new(500)).await, Outcome::RetryAfter(None));
}

#[tokio::test]
async fn no_access_token_means_retry_and_nothing_reaches_fcm() {
    let (oauth, fcm) = (MockServer::start().await, MockServer::start().await);
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({"error": "invalid_grant"})))
        .mount(&oauth)
        .await;
    Mock::given(method("POST")).respond_with(ResponseTemplate::new(200)).expect(0).mount(&fcm).await;
    let sender = FcmSender::from_service_account_json(
        &key_file(&format!("{}/token", oauth.uri())),
        &fcm.uri(),
        reqwest::Client::new(),
    )
    .await
    .unwrap();
    assert_eq!(sender.send(DEVICE_TOKEN, &payload(), true, None).await, Outcome::RetryAfter(None));
}

#[tokio::test]
async fn key_files_without_a_project_or_a_valid_key_are_refused() {
    let mut no_project: serde_json::Value = serde_json::from_str(&key_file("http://127.0.0.1:9/token")).unwrap();
    no_project.as_object_mut().unwrap().remove("project_id");
    let result =
        FcmSender::from_service_account_json(&no_project.to_string(), "http://127.0.0.1:9", reqwest::Client::new())
            .await;
    assert!(matches!(result, Err(Error::NoProjectId)));
    let mut bad_key: serde_json::Value = serde_json::from_str(&key_file("http://127.0.0.1:9/token")).unwrap();
    bad_key["private_key"] = "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n".into();
    let result =
        FcmSender::from_service_account_json(&bad_key.to_string(), "http://127.0.0.1:9", reqwest::Client::new()).await;
    assert!(matches!(result, Err(Error::ServiceAccount(_))));
    assert!(matches!(
        FcmSender::from_service_account_json("{}", "http://127.0.0.1:9", reqwest::Client::new()).await,
        Err(Error::ServiceAccount(_))
    ));
}
