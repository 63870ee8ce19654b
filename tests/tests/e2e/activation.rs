//! Patient phone activation: one-time codes, expiry, replacement, rate limit.

use chrono::Duration;
use relais_tests::*;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

async fn activate(app: &TestApp, code: &str) -> Answer {
    app.call(Method::POST, "/api/v1/patient/activate", None, Some(json!({"code": code}))).await
}

async fn refused(app: &TestApp, code: &str) {
    let a = activate(app, code).await;
    assert_eq!((a.status, a.code()), (StatusCode::UNAUTHORIZED, "unauthorized"), "{code}");
    assert!(a.body.get("token").is_none());
}

/// Activates with `code`, asserts the answer and that the device token opens `/patient/me`.
async fn accepted(app: &TestApp, code: &str) -> String {
    let a = activate(app, code).await;
    assert_eq!(a.status, StatusCode::OK, "{code}: {:?}", a.body);
    assert_eq!(a.body["patient"], json!({"given_name": "Claire", "locale": "fr", "time_zone": "Europe/Paris"}));
    let token = a.body["token"].as_str().unwrap().to_owned();
    let me = app.call(Method::GET, "/api/v1/patient/me", Some(&token), None).await;
    assert_eq!(me.status, StatusCode::OK, "{:?}", me.body);
    assert_eq!((me.body["given_name"].as_str(), me.body["family_name"].as_str()), (Some("Claire"), Some("Martin")));
    assert_eq!((me.body["sequence"].as_str(), me.body["team_phone"].as_str()), (Some("S1"), Some("+33299000000")));
    token
}

async fn enrolled() -> (TestApp, Site, String, String) {
    let app = spawn_app().await;
    let site = app.seed_site().await;
    let (pid, _, code) = app.enrol(&site, app.enrolment(&site)).await;
    (app, site, pid, code)
}

async fn new_code(app: &TestApp, pid: &str, token: &str) -> String {
    let a = app.post(&format!("/api/v1/patients/{pid}/activation-code"), token, Value::Null).await;
    assert_eq!(a.status, StatusCode::CREATED, "{:?}", a.body);
    a.body["activation_code"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_code_activates_a_phone_once() {
    let (app, site, _, code) = enrolled().await;
    let token = accepted(&app, &code).await;
    refused(&app, &code).await;
    // The device token is not a staff token, and a staff token is not a device token.
    assert_eq!(app.get("/api/v1/patients", &token).await.status, StatusCode::UNAUTHORIZED);
    let me = app.call(Method::GET, "/api/v1/patient/me", Some(&site.idec.1), None).await;
    assert_eq!(me.status, StatusCode::UNAUTHORIZED);
    let me = app.call(Method::GET, "/api/v1/patient/me", Some("garbage"), None).await;
    assert_eq!(me.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn codes_are_case_insensitive_and_the_dash_is_optional() {
    let (app, site, pid, code) = enrolled().await;
    accepted(&app, &code.to_lowercase()).await;
    let second = new_code(&app, &pid, &site.idec.1).await;
    assert_eq!(second.len(), 11);
    accepted(&app, &format!(" {} ", second.replace('-', "").to_lowercase())).await;
}

#[tokio::test]
async fn a_code_expires_after_fourteen_days() {
    let (app, _, _, code) = enrolled().await;
    app.set_now(default_now() + Duration::days(14) + Duration::minutes(1));
    refused(&app, &code).await;
    // One minute before expiry it would have worked: a fresh enrolment shows it.
    let (app, _, _, code) = enrolled().await;
    app.set_now(default_now() + Duration::days(14) - Duration::minutes(1));
    accepted(&app, &code).await;
}

#[tokio::test]
async fn a_new_code_replaces_the_old_one() {
    let (app, site, pid, old) = enrolled().await;
    let new = new_code(&app, &pid, &site.oncologist.1).await;
    assert_ne!(new, old);
    refused(&app, &old).await;
    accepted(&app, &new).await;
    refused(&app, &new).await;
}

#[tokio::test]
async fn more_than_ten_attempts_in_fifteen_minutes_are_refused() {
    let (app, _, _, code) = enrolled().await;
    for i in 0..10 {
        app.set_now(default_now() + Duration::seconds(i * 30));
        refused(&app, if i % 2 == 0 { "22222-22222" } else { "not-a-code" }).await;
    }
    app.set_now(default_now() + Duration::minutes(6));
    let a = activate(&app, &code).await;
    assert_eq!((a.status, a.code()), (StatusCode::TOO_MANY_REQUESTS, "too_many_requests"));
    // The refused attempt did not use the code: once the window has passed it works.
    app.set_now(default_now() + Duration::minutes(20));
    accepted(&app, &code).await;
}

/// The app's language switch sets the patient's language on the server: the questions and
/// the advice come in it from then on; anything but fr or en is refused naming `locale`.
#[tokio::test]
async fn the_language_switch_sets_the_language_of_the_questions_and_advice() {
    let (app, site, pid, code) = enrolled().await;
    let token = accepted(&app, &code).await;
    let spontaneous = async || {
        let q = app.call(Method::GET, "/api/v1/patient/questionnaires/spontaneous", Some(&token), None).await;
        assert_eq!(q.status, StatusCode::OK, "{:?}", q.body);
        q.body
    };
    let before = spontaneous().await;
    assert_eq!(before["locale"], "fr");
    let put = async |body: Value| app.call(Method::PUT, "/api/v1/patient/locale", Some(&token), Some(body)).await;
    let a = put(json!({"locale": "en"})).await;
    assert_eq!((a.status, &a.body), (StatusCode::OK, &json!({"locale": "en"})));
    let after = spontaneous().await;
    assert_eq!(after["locale"], "en");
    assert_ne!(before["modules"][0]["title"], after["modules"][0]["title"], "the titles follow the language");
    let titles: Vec<&str> = after["modules"].as_array().unwrap().iter().filter_map(|m| m["title"].as_str()).collect();
    assert!(titles.contains(&"Nausea (feeling sick)"), "{titles:?}");
    // The advice of a report too.
    let r = app
        .call(
            Method::POST,
            "/api/v1/patient/reports",
            Some(&token),
            Some(json!({"client_id": "f0f8a8c2-6b1f-4a50-9d5e-3b6a4b1e2c01", "answers": {"nausea.frequency": 1}})),
        )
        .await;
    assert!(r.status.is_success(), "{:?}", r.body);
    assert!(r.body["contact"]["text"].as_str().unwrap().contains("team"), "{:?}", r.body);

    for bad in [json!({"locale": "de"}), json!({"locale": ""})] {
        let a = put(bad).await;
        assert_eq!((a.status, a.field()), (StatusCode::UNPROCESSABLE_ENTITY, "locale"), "{:?}", a.body);
    }
    assert_eq!(count(&app.state, "audit_log WHERE action = 'set_locale'").await, 1);
    // Staff see the patient's language change on the record.
    let p = app.patient(&pid, &site.idec.1).await;
    assert_eq!(p["locale"], "en", "{p}");
}
