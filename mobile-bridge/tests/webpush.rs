//! Web Push against a real HTTP peer: the request is decrypted with the subscription's private
//! key by web-push-native, and its VAPID token verified with an independent P-256.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
use p256::ecdsa::{Signature, VerifyingKey, signature::Verifier as _};
use relais_mobile_bridge::{
    Outcome, PushKind, PushOptions, PushPayload, Subscription, Urgency, VapidKeys, WebPushSender,
};
use ring::rand::{SecureRandom as _, SystemRandom};
use wiremock::{
    Mock, MockServer, ResponseTemplate,
    matchers::{method, path},
};

const SUBJECT: &str = "mailto:ops@relais.test";

/// A browser's subscription keys: its P-256 key pair and auth secret.
struct Browser {
    secret: p256::SecretKey,
    auth: [u8; 16],
}

impl Browser {
    fn new() -> Self {
        let rng = SystemRandom::new();
        let mut auth = [0u8; 16];
        rng.fill(&mut auth).unwrap();
        loop {
            let mut scalar = [0u8; 32];
            rng.fill(&mut scalar).unwrap();
            if let Ok(secret) = p256::SecretKey::from_slice(&scalar) {
                return Self { secret, auth };
            }
        }
    }

    fn subscription(&self, endpoint: String) -> Subscription {
        use p256::elliptic_curve::sec1::ToEncodedPoint as _;
        Subscription {
            endpoint,
            p256dh: URL_SAFE_NO_PAD.encode(self.secret.public_key().to_encoded_point(false).as_bytes()),
            auth: URL_SAFE_NO_PAD.encode(self.auth),
        }
    }

    fn decrypt(&self, body: &[u8]) -> Vec<u8> {
        web_push_native::decrypt(body.to_vec(), &self.secret, &web_push_native::Auth::clone_from_slice(&self.auth))
            .expect("the browser opens the message")
    }
}

fn payload() -> PushPayload {
    PushPayload {
        kind: PushKind::DoseReminder,
        title: "Capécitabine 500 mg".into(),
        body: "C'est l'heure de votre prise".into(),
        url: "/app/today".into(),
        id: "dose-42".into(),
    }
}

fn opts() -> PushOptions {
    PushOptions { ttl_secs: 3600, urgency: Urgency::High, topic: Some("dose-42".into()) }
}

fn sender() -> WebPushSender {
    WebPushSender::new(VapidKeys::generate(), SUBJECT.into(), reqwest::Client::new())
}

fn header<'a>(request: &'a wiremock::Request, name: &str) -> &'a str {
    request.headers.get(name).unwrap_or_else(|| panic!("no {name} header")).to_str().unwrap()
}

/// Checks a `vapid t=<jwt>, k=<key>` header: ES256 signature by `k`, aud, sub, exp.
fn check_vapid(authorization: &str, expected_key: &str, audience: &str) -> serde_json::Value {
    let rest = authorization.strip_prefix("vapid ").expect("vapid scheme");
    let (t, k) = rest.split_once(", ").unwrap();
    let jwt = t.strip_prefix("t=").unwrap();
    let key = k.strip_prefix("k=").unwrap();
    assert_eq!(key, expected_key);
    let (signing_input, signature) = jwt.rsplit_once('.').unwrap();
    let verifying_key = VerifyingKey::from_sec1_bytes(&URL_SAFE_NO_PAD.decode(key).unwrap()).unwrap();
    let signature = Signature::from_slice(&URL_SAFE_NO_PAD.decode(signature).unwrap()).unwrap();
    verifying_key.verify(signing_input.as_bytes(), &signature).expect("ES256 signature by k");
    let (header, claims) = signing_input.split_once('.').unwrap();
    let header: serde_json::Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(header).unwrap()).unwrap();
    assert_eq!(header["alg"], "ES256");
    assert_eq!(header["typ"], "JWT");
    let claims: serde_json::Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(claims).unwrap()).unwrap();
    assert_eq!(claims["aud"], audience);
    assert_eq!(claims["sub"], SUBJECT);
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs();
    let exp = claims["exp"].as_u64().unwrap();
    assert!(exp > now + 3600 && exp <= now + 24 * 3600, "exp {exp} within 24 h of {now}");
    claims
}

#[tokio::test]
async fn a_browser_decrypts_what_we_send_and_the_vapid_token_checks_out() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/push/abc"))
        .respond_with(ResponseTemplate::new(201))
        .expect(2)
        .mount(&server)
        .await;
    let browser = Browser::new();
    let sub = browser.subscription(format!("{}/push/abc", server.uri()));
    let sender = sender();

    assert_eq!(sender.send(&sub, &payload(), &opts()).await, Outcome::Delivered);
    let low = PushOptions { ttl_secs: 60, urgency: Urgency::VeryLow, topic: None };
    assert_eq!(sender.send(&sub, &payload(), &low).await, Outcome::Delivered);

    let requests = server.received_requests().await.unwrap();
    assert_eq!(requests.len(), 2);
    let (first, second) = (&requests[0], &requests[1]);
    for request in [first, second] {
        let received: PushPayload = serde_json::from_slice(&browser.decrypt(&request.body)).unwrap();
        assert_eq!(received, payload());
        assert_eq!(header(request, "content-encoding"), "aes128gcm");
        assert_eq!(header(request, "content-type"), "application/octet-stream");
    }
    assert_eq!(header(first, "ttl"), "3600");
    assert_eq!(header(first, "urgency"), "high");
    assert_eq!(header(first, "topic"), "dose-42");
    assert_eq!(header(second, "ttl"), "60");
    assert_eq!(header(second, "urgency"), "very-low");
    assert!(second.headers.get("topic").is_none());

    let public_key = {
        let auth = header(first, "authorization");
        auth.rsplit_once("k=").unwrap().1.to_owned()
    };
    check_vapid(header(first, "authorization"), &public_key, &server.uri());
    assert_eq!(header(first, "authorization"), header(second, "authorization"), "one token per origin, reused");
}

#[tokio::test]
async fn each_push_service_origin_gets_its_own_token() {
    let (a, b) = (MockServer::start().await, MockServer::start().await);
    for server in [&a, &b] {
        Mock::given(method("POST")).respond_with(ResponseTemplate::new(201)).mount(server).await;
    }
    let keys = VapidKeys::generate();
    let public_key = keys.public_b64url();
    let sender = WebPushSender::new(keys, SUBJECT.into(), reqwest::Client::new());
    let browser = Browser::new();
    for server in [&a, &b] {
        let sub = browser.subscription(format!("{}/p", server.uri()));
        assert_eq!(sender.send(&sub, &payload(), &opts()).await, Outcome::Delivered);
        let request = &server.received_requests().await.unwrap()[0];
        check_vapid(header(request, "authorization"), &public_key, &server.uri());
    }
}

async fn outcome_of(response: ResponseTemplate) -> Outcome {
    let server = MockServer::start().await;
    Mock::given(method("POST")).respond_with(response).expect(1).mount(&server).await;
    let sub = Browser::new().subscription(format!("{}/push/x", server.uri()));
    sender().send(&sub, &payload(), &opts()).await
}

#[tokio::test]
async fn responses_map_to_outcomes() {
    assert_eq!(outcome_of(ResponseTemplate::new(200)).await, Outcome::Delivered);
    assert_eq!(outcome_of(ResponseTemplate::new(202)).await, Outcome::Delivered);
    assert_eq!(
        outcome_of(ResponseTemplate::new(429).insert_header("Retry-After", "120")).await,
        Outcome::RetryAfter(Some(Duration::from_secs(120)))
    );
    assert_eq!(outcome_of(ResponseTemplate::new(410)).await, Outcome::Gone);
    assert_eq!(outcome_of(ResponseTemplate::new(404)).await, Outcome::Gone);
    assert_eq!(outcome_of(ResponseTemplate::new(500)).await, Outcome::RetryAfter(None));
    let in_a_minute = httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(60));
    match outcome_of(ResponseTemplate::new(503).insert_header("Retry-After", in_a_minute.as_str())).await {
        Outcome::RetryAfter(Some(after)) => {
            assert!(after > Duration::from_secs(55) && after <= Duration::from_secs(60))
        }
        other => panic!("{other:?}"),
    }
    let long = format!("UnauthorizedRegistration {}", "x".repeat(500));
    match outcome_of(ResponseTemplate::new(400).set_body_string(long)).await {
        Outcome::Rejected(why) => {
            assert!(why.starts_with("400 Bad Request: UnauthorizedRegistration"), "{why}");
            assert!(why.chars().count() <= 200 + "400 Bad Request: ".len(), "{why}");
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(outcome_of(ResponseTemplate::new(413)).await, Outcome::Rejected(why) if why.starts_with("413")));
}

#[tokio::test]
async fn a_network_error_means_retry() {
    // A port that was free a moment ago: the connection is refused.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let sub = Browser::new().subscription(format!("http://127.0.0.1:{port}/push/x"));
    assert_eq!(sender().send(&sub, &payload(), &opts()).await, Outcome::RetryAfter(None));
}

#[tokio::test]
async fn invalid_requests_are_rejected_before_sending() {
    let server = MockServer::start().await;
    Mock::given(method("POST")).respond_with(ResponseTemplate::new(201)).expect(0).mount(&server).await;
    let sender = sender();
    let sub = Browser::new().subscription(format!("{}/push/x", server.uri()));
    for topic in ["has spaces", "dots.are.not.base64url", &"a".repeat(33), ""] {
        let opts = PushOptions { topic: Some(topic.into()), ..opts() };
        assert!(matches!(sender.send(&sub, &payload(), &opts).await, Outcome::Rejected(_)), "{topic}");
    }
    let broken = Subscription { auth: "AAAA".into(), ..sub.clone() };
    assert!(matches!(sender.send(&broken, &payload(), &opts()).await, Outcome::Rejected(_)));
    let not_http = Subscription { endpoint: "ftp://push.example/x".into(), ..sub };
    assert!(matches!(sender.send(&not_http, &payload(), &opts()).await, Outcome::Rejected(_)));
}
