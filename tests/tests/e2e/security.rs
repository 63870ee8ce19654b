//! The attacks of docs/security.md, run against the real server: each asserts the control that
//! stops it.

use chrono::Duration;
use relais_tests::*;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// An app behind a reverse proxy on 127.0.0.1, and with a small failure budget.
async fn behind_proxy() -> (TestApp, Site) {
    let app = spawn_app_with(
        default_now(),
        &[("RELAIS__SERVER__TRUSTED_PROXIES", "127.0.0.1/32"), ("RELAIS__SECURITY__LOGIN_MAX_FAILURES", "3")],
    )
    .await;
    let site = app.seed_site().await;
    (app, site)
}

fn creds(email: &str, password: &str) -> Option<Value> {
    Some(json!({"email": email, "password": password}))
}

async fn audit_rows(app: &TestApp, action: &str) -> Vec<(Option<String>, Option<String>)> {
    use sea_orm::{ConnectionTrait, Statement};
    let db = &app.state.db;
    let rows = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            format!("SELECT client_addr, request_id FROM audit_log WHERE action = '{action}'"),
        ))
        .await
        .unwrap();
    rows.iter().map(|r| (r.try_get("", "client_addr").unwrap(), r.try_get("", "request_id").unwrap())).collect()
}

#[tokio::test]
async fn a_spoofed_x_forwarded_for_gains_nothing() {
    // No trusted proxy: the header is the client's own word and is ignored.
    let app = spawn_app_with(default_now(), &[("RELAIS__SECURITY__LOGIN_MAX_FAILURES", "2")]).await;
    app.seed_site().await;
    // The per-address ceiling is 10 × 2 = 20 failures; a new fake address each time escapes
    // nothing.
    for i in 0..20 {
        let a = app
            .call_from(
                &format!("203.0.113.{i}"),
                Method::POST,
                "/api/v1/auth/login",
                None,
                creds(&format!("x{i}@a.test"), "nope"),
            )
            .await;
        assert_eq!(a.status, StatusCode::UNAUTHORIZED, "{i}");
    }
    let a = app.call_from("198.51.100.99", Method::POST, "/api/v1/auth/login", None, creds("y@a.test", "nope")).await;
    assert_eq!(a.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(a.headers.get("retry-after").is_some());
    let failed = audit_rows(&app, "login_failed").await;
    assert_eq!(failed.len(), 20);
    assert!(failed.iter().all(|(addr, _)| addr.as_deref() == Some("127.0.0.1")), "the real address: {failed:?}");
    // The request id is the server's: one the client sends is not taken.
    let resp = app
        .http
        .post(format!("{}/api/v1/auth/login", app.addr))
        .header("x-request-id", "client-chosen-id")
        .json(&json!({"email": "idec@a.test", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    let id = resp.headers()["x-request-id"].to_str().unwrap().to_owned();
    assert_ne!(id, "client-chosen-id");
    assert_eq!(id.len(), 36);
    assert!(audit_rows(&app, "login").await.iter().all(|(_, r)| r.as_deref() != Some("client-chosen-id")));
}

#[tokio::test]
async fn behind_the_proxy_the_client_is_the_address_the_proxy_saw() {
    let (app, _) = behind_proxy().await;
    // The client wrote 6.6.6.6 on the left; our proxy appended the address it saw.
    let a = app
        .call_from("6.6.6.6, 198.51.100.7", Method::POST, "/api/v1/auth/login", None, creds("idec@a.test", "no"))
        .await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED);
    assert_eq!(audit_rows(&app, "login_failed").await[0].0.as_deref(), Some("198.51.100.7"));
}

#[tokio::test]
async fn wrong_passwords_from_one_address_do_not_stop_the_owner_from_another() {
    let (app, site) = behind_proxy().await;
    for _ in 0..8 {
        let a =
            app.call_from("203.0.113.5", Method::POST, "/api/v1/auth/login", None, creds("onco@a.test", "guess")).await;
        assert!(matches!(a.status.as_u16(), 401 | 429), "{:?}", a.status);
    }
    // The attacker's address waits longer and longer for this account...
    let a =
        app.call_from("203.0.113.5", Method::POST, "/api/v1/auth/login", None, creds("onco@a.test", PASSWORD)).await;
    assert_eq!(a.status, StatusCode::TOO_MANY_REQUESTS);
    // ...while the on-call oncologist signs in from the ward.
    let a = app.call_from("10.20.0.14", Method::POST, "/api/v1/auth/login", None, creds("onco@a.test", PASSWORD)).await;
    assert_eq!(a.status, StatusCode::OK, "{:?}", a.body);
    assert_eq!(a.body["professional"]["id"], site.oncologist.0.as_str());
}

#[tokio::test]
async fn sixty_successful_logins_from_one_address_do_not_block_the_sixty_first() {
    let (app, _) = behind_proxy().await;
    // A ward behind NAT: the per-address ceiling (30 here) counts failures only.
    for i in 0..61 {
        let a =
            app.call_from("10.20.0.1", Method::POST, "/api/v1/auth/login", None, creds("idec@a.test", PASSWORD)).await;
        assert_eq!(a.status, StatusCode::OK, "login {i}: {:?}", a.body);
    }
}

#[tokio::test]
async fn parallel_failures_are_all_counted_and_every_answer_is_401_429_or_503() {
    let (app, _) = behind_proxy().await;
    let mut tries = Vec::new();
    for _ in 0..15 {
        let (http, url) = (app.http.clone(), format!("{}/api/v1/auth/login", app.addr));
        tries.push(tokio::spawn(async move {
            let r = http
                .post(url)
                .header("x-forwarded-for", "203.0.113.9")
                .json(&json!({"email": "idec@a.test", "password": "guess"}))
                .send()
                .await
                .unwrap();
            r.status().as_u16()
        }));
    }
    let mut statuses = Vec::new();
    for t in tries {
        statuses.push(t.await.unwrap());
    }
    assert!(statuses.iter().all(|s| matches!(s, 401 | 429 | 503)), "{statuses:?}");
    let refused_after_a_check = statuses.iter().filter(|s| **s == 401).count() as i64;
    assert!(refused_after_a_check >= 1);
    // Each wrong password checked was counted: none lost to a read-modify-write race.
    let counted = count(&app.state, "rate_limit_hits WHERE bucket = 'login_account'").await;
    assert_eq!(counted, refused_after_a_check, "{statuses:?}");
}

/// (The memory bound is measured on the real binary: `server/tests/serve.rs`.)
#[tokio::test]
async fn two_hundred_parallel_logins_answer_200_401_429_or_503() {
    let (app, _) = behind_proxy().await;
    let mut tries = Vec::new();
    for i in 0..200 {
        let (http, url) = (app.http.clone(), format!("{}/api/v1/auth/login", app.addr));
        let password = if i % 2 == 0 { PASSWORD } else { "wrong-password" };
        tries.push(tokio::spawn(async move {
            http.post(url)
                .header("x-forwarded-for", format!("198.51.100.{}", i % 250))
                .json(&json!({"email": "idec@a.test", "password": password}))
                .send()
                .await
                .map(|r| r.status().as_u16())
                .unwrap_or(0)
        }));
    }
    let mut statuses = Vec::new();
    for t in tries {
        statuses.push(t.await.unwrap());
    }
    assert!(statuses.iter().all(|s| matches!(s, 200 | 401 | 429 | 503)), "{statuses:?}");
    assert!(statuses.contains(&503), "beyond one check per core, 503 at once");
    assert!(statuses.contains(&200));
}

#[tokio::test]
async fn a_former_pharmacist_gets_404_on_the_alert_once_the_episode_ended() {
    let app = spawn_app().await;
    let site = app.seed_site().await;
    let (_, eid, _) = app.enrol(&site, app.enrolment(&site)).await;
    // In S2, parcours A: an interaction goes to the community pharmacist.
    app.set_now(morning("2026-12-23"));
    app.tick().await;
    let idec = app.login("idec@a.test").await;
    let officine = app.login("officine@a.test").await;
    let a = app.post(&format!("/api/v1/episodes/{eid}/comedications"), &idec, json!({"name": "Coumadine"})).await;
    let alert_id = a.body["alert_id"].as_str().expect("an interaction alert").to_owned();
    assert_eq!(app.get(&format!("/api/v1/alerts/{alert_id}"), &officine).await.status, StatusCode::OK);
    let end = app.decide(&eid, &idec, "end", Some("treatment_stopped")).await;
    assert_eq!(end.status, StatusCode::OK, "{:?}", end.body);
    assert_eq!(app.get(&format!("/api/v1/alerts/{alert_id}"), &officine).await.status, StatusCode::NOT_FOUND);
    let worklist = app.get("/api/v1/alerts?status=open", &officine).await;
    assert_eq!(worklist.body, json!([]));
    let ack = app.post(&format!("/api/v1/alerts/{alert_id}/acknowledge"), &officine, json!({})).await;
    assert_eq!(ack.status, StatusCode::NOT_FOUND);
    let resolve = app
        .post(&format!("/api/v1/alerts/{alert_id}/resolve"), &officine, json!({"confirmed_grade": 0, "note": "x"}))
        .await;
    assert_eq!(resolve.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_lost_phone_is_revoked_by_the_team_and_a_phone_can_log_itself_out() {
    let app = spawn_app_with(default_now(), &[("RELAIS__SECURITY__DEVICE_IDLE_DAYS", "90")]).await;
    let site = app.seed_site().await;
    let (pid, _, code) = app.enrol(&site, app.enrolment(&site)).await;
    let phone = app.activate(&code).await;
    let me = |t: String| {
        let app = &app;
        async move { app.call(Method::GET, "/api/v1/patient/me", Some(&t), None).await.status }
    };
    assert_eq!(me(phone.clone()).await, StatusCode::OK);
    // A community pharmacist may not; the hospital team may.
    let a = app
        .call(Method::DELETE, &format!("/api/v1/patients/{pid}/devices"), Some(&site.community_pharmacist.1), None)
        .await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    let a = app.call(Method::DELETE, &format!("/api/v1/patients/{pid}/devices"), Some(&site.idec.1), None).await;
    assert_eq!((a.status, a.body["devices"].as_u64()), (StatusCode::OK, Some(1)), "{:?}", a.body);
    assert_eq!(me(phone).await, StatusCode::UNAUTHORIZED);
    // A new code, a new phone, which logs itself out.
    let code = app.post(&format!("/api/v1/patients/{pid}/activation-code"), &site.idec.1, json!({})).await;
    let phone = app.activate(code.body["activation_code"].as_str().unwrap()).await;
    assert_eq!(me(phone.clone()).await, StatusCode::OK);
    let out = app.call(Method::POST, "/api/v1/patient/logout", Some(&phone), None).await;
    assert_eq!(out.status, StatusCode::NO_CONTENT);
    assert_eq!(me(phone).await, StatusCode::UNAUTHORIZED);
    // A phone left unused for 90 days stops working.
    let code = app.post(&format!("/api/v1/patients/{pid}/activation-code"), &site.idec.1, json!({})).await;
    let phone = app.activate(code.body["activation_code"].as_str().unwrap()).await;
    app.set_now(default_now() + Duration::days(89));
    assert_eq!(me(phone.clone()).await, StatusCode::OK, "used within 90 days");
    app.set_now(default_now() + Duration::days(89 + 91));
    assert_eq!(me(phone).await, StatusCode::UNAUTHORIZED);
}

/// The report intake checks the phone's token in the query that reads the report's context
/// (docs/design.md, "Report intake"), not through the extractor every other phone route uses:
/// the same rules must hold there. A revoked, logged-out, idle or unknown phone gets 401 and
/// nothing is stored, whatever its body; the token's use is recorded as on any other route.
#[tokio::test]
async fn a_report_from_a_revoked_idle_or_unknown_phone_is_401_whatever_its_body() {
    let app = spawn_app_with(default_now(), &[("RELAIS__SECURITY__DEVICE_IDLE_DAYS", "90")]).await;
    let site = app.seed_site().await;
    let (pid, _, code) = app.enrol(&site, app.enrolment(&site)).await;
    let answers = json!({"nausea.frequency": 1});
    let send = |t: String, body: Value| {
        let app = &app;
        async move { app.call(Method::POST, "/api/v1/patient/reports", Some(&t), Some(body)).await }
    };
    let good = || json!({"client_id": uuid::Uuid::new_v4().to_string(), "answers": answers.clone()});
    let bad_bodies = [
        json!({"client_id": "not-a-uuid", "answers": answers.clone()}),
        json!({"client_id": uuid::Uuid::new_v4().to_string(), "answers": answers.clone(), "other": "x".repeat(5000)}),
        json!({"client_id": uuid::Uuid::new_v4().to_string()}),
        json!({"client_id": uuid::Uuid::new_v4().to_string(), "answers": {"nausea.frequency": 9}}),
    ];
    let stored = || count(&app.state, "reports");
    let phone = app.activate(&code).await;
    // A known phone: its bad bodies are judged (422 naming the field), its good one stored.
    for bad in &bad_bodies {
        let a = send(phone.clone(), bad.clone()).await;
        assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}: {:?}", a.body);
    }
    assert_eq!(send(phone.clone(), good()).await.status, StatusCode::CREATED);
    assert_eq!(stored().await, 1);
    // An unknown token: 401 for every body, good or bad.
    for body in bad_bodies.iter().cloned().chain([good()]) {
        let a = send("not-a-token".into(), body.clone()).await;
        assert_eq!((a.status, a.code()), (StatusCode::UNAUTHORIZED, "unauthorized"), "{body}: {:?}", a.body);
    }
    // Revoked by the team: 401, the bad bodies too.
    let a = app.call(Method::DELETE, &format!("/api/v1/patients/{pid}/devices"), Some(&site.idec.1), None).await;
    assert_eq!(a.status, StatusCode::OK);
    for body in bad_bodies.iter().cloned().chain([good()]) {
        assert_eq!(send(phone.clone(), body.clone()).await.status, StatusCode::UNAUTHORIZED, "{body}");
    }
    // Logged out by itself: 401.
    let new_phone = || async {
        let code = app.post(&format!("/api/v1/patients/{pid}/activation-code"), &site.idec.1, json!({})).await;
        app.activate(code.body["activation_code"].as_str().unwrap()).await
    };
    let phone = new_phone().await;
    assert_eq!(
        app.call(Method::POST, "/api/v1/patient/logout", Some(&phone), None).await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(send(phone, good()).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(stored().await, 1, "nothing stored for a refused phone");
    // Idle: a report counts as a use, as any request does. Sent on day 89, it keeps the phone
    // working until day 178; unused for 91 days after that, the phone is refused.
    let phone = new_phone().await;
    app.set_now(default_now() + Duration::days(89));
    assert_ne!(send(phone.clone(), good()).await.status, StatusCode::UNAUTHORIZED, "used within 90 days");
    app.set_now(default_now() + Duration::days(89 + 89));
    assert_ne!(send(phone.clone(), good()).await.status, StatusCode::UNAUTHORIZED, "the report on day 89 was a use");
    app.set_now(default_now() + Duration::days(89 + 89 + 91));
    for body in bad_bodies.iter().cloned().chain([good()]) {
        assert_eq!(send(phone.clone(), body.clone()).await.status, StatusCode::UNAUTHORIZED, "idle: {body}");
    }
}

#[tokio::test]
async fn a_body_that_is_not_json_is_refused_with_415() {
    let app = spawn_app().await;
    app.seed_site().await;
    let body = json!({"email": "idec@a.test", "password": PASSWORD}).to_string();
    for ct in ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"] {
        let r = app
            .http
            .post(format!("{}/api/v1/auth/login", app.addr))
            .header("content-type", ct)
            .body(body.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE, "{ct}");
        assert!(r.headers().get("set-cookie").is_none(), "no session for a {ct} body");
    }
    let r = app.http.post(format!("{}/api/v1/auth/login", app.addr)).body(body.clone()).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE, "no content type at all");
    let r = app
        .http
        .post(format!("{}/api/v1/auth/login", app.addr))
        .header("content-type", "application/json; charset=utf-8")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
}

#[tokio::test]
async fn accounts_have_a_life_cycle_and_sessions_an_idle_timeout() {
    let app = spawn_app_with(default_now(), &[("RELAIS__SECURITY__SESSION_IDLE_MINUTES", "30")]).await;
    let site = app.seed_site().await;
    use relais_tests::relais_server::accounts::{Act, apply};
    let now = app.clock.now();
    assert_eq!(app.get("/api/v1/auth/me", &site.idec.1).await.status, StatusCode::OK);
    // Unused for 31 minutes: the session has ended.
    app.set_now(now + Duration::minutes(31));
    assert_eq!(app.get("/api/v1/auth/me", &site.idec.1).await.status, StatusCode::UNAUTHORIZED);
    let token = app.login("idec@a.test").await;
    // A leaver: disabled, signed out everywhere, cannot sign in.
    let done = apply(&app.state, "idec@a.test", Act::Disable, None, app.clock.now()).await.unwrap();
    assert!(done.sessions_ended >= 1);
    assert_eq!(app.get("/api/v1/auth/me", &token).await.status, StatusCode::UNAUTHORIZED);
    let a = app.call(Method::POST, "/api/v1/auth/login", None, creds("idec@a.test", PASSWORD)).await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED);
    apply(&app.state, "idec@a.test", Act::Enable, None, app.clock.now()).await.unwrap();
    let token = app.login("idec@a.test").await;
    // A reset password ends the sessions and the old password.
    let done = apply(&app.state, "idec@a.test", Act::ResetPassword, None, app.clock.now()).await.unwrap();
    let new = done.new_password.expect("generated");
    assert_eq!(app.get("/api/v1/auth/me", &token).await.status, StatusCode::UNAUTHORIZED);
    let a = app.call(Method::POST, "/api/v1/auth/login", None, creds("idec@a.test", PASSWORD)).await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED);
    let a = app.call(Method::POST, "/api/v1/auth/login", None, creds("idec@a.test", &new)).await;
    assert_eq!(a.status, StatusCode::OK);
    // Locking is an administrator's act, undone by unlocking.
    apply(&app.state, "idec@a.test", Act::Lock, None, app.clock.now()).await.unwrap();
    let a = app.call(Method::POST, "/api/v1/auth/login", None, creds("idec@a.test", &new)).await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED);
    apply(&app.state, "idec@a.test", Act::Unlock, None, app.clock.now()).await.unwrap();
    app.set_now(app.clock.now() + Duration::minutes(20));
    let a = app.call(Method::POST, "/api/v1/auth/login", None, creds("idec@a.test", &new)).await;
    assert_eq!(a.status, StatusCode::OK, "{:?}", a.body);
    assert_eq!(count(&app.state, "audit_log WHERE actor_kind = 'operator'").await, 5);
}

#[tokio::test]
async fn behind_tls_browsers_are_told_to_stay_on_tls() {
    let app = spawn_app_with(default_now(), &[("RELAIS__SERVER__SECURE_COOKIES", "true")]).await;
    let r = app.call(Method::GET, "/livez", None, None).await;
    assert_eq!(r.headers["strict-transport-security"], "max-age=31536000; includeSubDomains");
    let plain = spawn_app().await;
    assert!(plain.call(Method::GET, "/livez", None, None).await.headers.get("strict-transport-security").is_none());
}

/// Patient B's phone using patient A's real ids, for every patient-owned resource: 404, and
/// nothing of A's changes. (Made-up ids proved nothing: removing an ownership filter failed no
/// test.)
#[tokio::test]
async fn a_patient_using_another_patients_real_ids_gets_404_and_changes_nothing() {
    let app = spawn_app_at(chrono::DateTime::parse_from_rfc3339("2026-11-22T23:30:00Z").unwrap().into()).await;
    let site = app.seed_site().await;
    let (a_pid, _, a_code) = app.enrol(&site, app.enrolment(&site)).await;
    let mut body = app.enrolment(&site);
    body["family_name"] = json!("Bernard");
    let (_, _, b_code) = app.enrol(&site, body).await;
    // Through Thursday: doses and a questionnaire are planned for both.
    app.run_until(chrono::DateTime::parse_from_rfc3339("2026-11-26T18:00:00Z").unwrap().into(), Duration::hours(1))
        .await;
    let (a, b) = (app.activate(&a_code).await, app.activate(&b_code).await);
    let today = app.call(Method::GET, "/api/v1/patient/today", Some(&a), None).await;
    let a_dose = today.body["doses"][1]["id"].as_str().expect("A has the 20:00 dose today").to_owned();
    assert_eq!(today.body["doses"][1]["status"], "pending");
    let pending = app.call(Method::GET, "/api/v1/patient/questionnaires/pending", Some(&a), None).await;
    let a_questionnaire = pending.body[0]["id"].as_str().expect("A has a questionnaire").to_owned();
    let key = "BNcRdreALRFXTkOOUHK1EtK2wtaz5Ry4YfYCA_0QTpQtUbVlUls0VJXg7A8u-Ts1XbjhazAkj7I99e8QcYP7DkM";
    let sub = json!({"kind": "webpush", "endpoint": "https://fcm.googleapis.com/fcm/send/a",
                     "keys": {"p256dh": key, "auth": "tBHItJI5svbpez7KI4CCXg"}});
    let a_device = app.post("/api/v1/patient/devices", &a, sub).await.body["id"].as_str().unwrap().to_owned();
    let a_report_id = uuid::Uuid::new_v4().to_string();
    let green = json!({"client_id": a_report_id, "questionnaire_id": null, "answers": {"chest_pain": false}});
    let first = app.post("/api/v1/patient/reports", &a, green.clone()).await;
    assert_eq!(first.status, StatusCode::CREATED, "{:?}", first.body);
    let before = (count(&app.state, "reports").await, count(&app.state, "doses WHERE status = 'pending'").await);

    // B's phone, A's ids.
    let dose = app.post(&format!("/api/v1/patient/doses/{a_dose}"), &b, json!({"status": "taken"})).await;
    assert_eq!(dose.status, StatusCode::NOT_FOUND, "dose: {:?}", dose.body);
    let q = app.call(Method::GET, &format!("/api/v1/patient/questionnaires/{a_questionnaire}"), Some(&b), None).await;
    assert_eq!(q.status, StatusCode::NOT_FOUND, "questionnaire");
    let answer = json!({"client_id": uuid::Uuid::new_v4().to_string(), "questionnaire_id": a_questionnaire,
                        "answers": {"chest_pain": false}});
    let r = app.post("/api/v1/patient/reports", &b, answer).await;
    assert!(matches!(r.status.as_u16(), 404 | 422), "answering A's questionnaire: {:?}", r.body);
    let replay = app.post("/api/v1/patient/reports", &b, green).await;
    assert!(
        replay.body.get("report_id") != first.body.get("report_id") || replay.status != StatusCode::CREATED,
        "B never gets A's report back by reusing its client id: {:?}",
        replay.body
    );
    let del = app.call(Method::DELETE, &format!("/api/v1/patient/devices/{a_device}"), Some(&b), None).await;
    assert_eq!(del.status, StatusCode::NOT_FOUND, "push subscription");

    // Nothing of A's changed.
    let today = app.call(Method::GET, "/api/v1/patient/today", Some(&a), None).await;
    assert_eq!(
        (today.body["doses"][1]["id"].as_str(), today.body["doses"][1]["status"].as_str()),
        (Some(a_dose.as_str()), Some("pending"))
    );
    let pending = app.call(Method::GET, "/api/v1/patient/questionnaires/pending", Some(&a), None).await;
    assert_eq!(pending.body[0]["id"], a_questionnaire.as_str());
    assert_eq!(count(&app.state, &format!("push_devices WHERE id = '{a_device}' AND revoked_at IS NULL")).await, 1);
    assert_eq!(count(&app.state, "doses WHERE status = 'pending'").await, before.1);
    assert!(count(&app.state, &format!("reports WHERE patient_id = '{a_pid}'")).await == 1);
    assert!(count(&app.state, "reports").await <= before.0 + 1, "at most B's own replayed report");
}
