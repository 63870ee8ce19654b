//! Authorisation by role and scope, authentication failures, logout, login lock-out.

use chrono::Duration;
use relais_tests::*;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// One patient in each establishment: `mine` (Centre A, Pharmacie A, the first GP) and
/// `theirs` (Centre B, Pharmacie B, the other GP).
async fn two_patients() -> (TestApp, Site, String, String) {
    let app = spawn_app().await;
    let site = app.seed_site().await;
    let (mine, _, _) = app.enrol(&site, app.enrolment(&site)).await;
    let mut body = app.enrolment(&site);
    body["family_name"] = json!("Durand");
    body["episode"]["team"] = json!({"idec": site.other_idec.0, "oncologist": site.other_oncologist.0,
                                     "community_pharmacy": site.other_pharmacy, "gp": site.other_gp.0});
    let (theirs, _, _) = app.enrol_with(&site.other_idec.1, body).await;
    (app, site, mine, theirs)
}

fn listed(a: &Answer) -> Vec<String> {
    assert_eq!(a.status, StatusCode::OK, "{:?}", a.body);
    a.body.as_array().unwrap().iter().map(|p| p["id"].as_str().unwrap().to_owned()).collect()
}

#[tokio::test]
async fn each_role_sees_exactly_its_patients() {
    let (app, site, mine, theirs) = two_patients().await;
    let none: Option<&String> = None;
    let cases = [
        ("idec", &site.idec.1, Some(&mine)),
        ("oncologist", &site.oncologist.1, Some(&mine)),
        ("hospital_pharmacist", &site.hospital_pharmacist.1, Some(&mine)),
        ("community_pharmacist", &site.community_pharmacist.1, Some(&mine)),
        ("gp", &site.gp.1, Some(&mine)),
        ("other idec", &site.other_idec.1, Some(&theirs)),
        ("other oncologist", &site.other_oncologist.1, Some(&theirs)),
        ("other community_pharmacist", &site.other_community_pharmacist.1, Some(&theirs)),
        ("other gp", &site.other_gp.1, Some(&theirs)),
        ("admin", &site.admin.1, none),
        ("billing", &site.billing.1, none),
    ];
    for (who, token, sees) in cases {
        let want: Vec<String> = sees.into_iter().cloned().collect();
        assert_eq!(listed(&app.get("/api/v1/patients", token).await), want, "list of {who}");
        for pid in [&mine, &theirs] {
            let a = app.get(&format!("/api/v1/patients/{pid}"), token).await;
            if sees == Some(pid) {
                assert_eq!((a.status, a.body["id"].as_str()), (StatusCode::OK, Some(pid.as_str())), "{who}");
            } else {
                assert_eq!((a.status, a.code()), (StatusCode::NOT_FOUND, "not_found"), "{who}");
            }
        }
    }
    // An unknown id answers like a patient out of scope.
    let a = app.get("/api/v1/patients/00000000-0000-0000-0000-000000000000", &site.idec.1).await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn only_hospital_staff_enrol_and_only_idec_or_oncologist_decide() {
    let (app, site, mine, _) = two_patients().await;
    let before = count(&app.state, "patients").await;
    let mut body = app.enrolment(&site);
    body["family_name"] = json!("Petit");
    for (who, token) in [("officine", &site.community_pharmacist.1), ("gp", &site.gp.1), ("admin", &site.admin.1)] {
        let a = app.post("/api/v1/patients", token, body.clone()).await;
        assert_eq!((a.status, a.code()), (StatusCode::FORBIDDEN, "forbidden"), "{who}");
    }
    assert_eq!(count(&app.state, "patients").await, before);
    // The hospital pharmacist and the oncologist may enrol.
    app.enrol_with(&site.hospital_pharmacist.1, body.clone()).await;
    body["family_name"] = json!("Roux");
    app.enrol_with(&site.oncologist.1, body).await;

    let eid = app.patient(&mine, &site.idec.1).await["episode"]["id"].as_str().unwrap().to_owned();
    for (who, token, want) in [
        ("pui", &site.hospital_pharmacist.1, StatusCode::FORBIDDEN),
        ("officine", &site.community_pharmacist.1, StatusCode::FORBIDDEN),
        ("other idec", &site.other_idec.1, StatusCode::NOT_FOUND),
    ] {
        let a = app.decide(&eid, token, "end", Some("withdrew")).await;
        assert_eq!(a.status, want, "{who}: {:?}", a.body);
    }
    assert!(app.patient(&mine, &site.idec.1).await["episode"]["end_date"].is_null());
    // Only the hospital team issues activation codes.
    let path = format!("/api/v1/patients/{mine}/activation-code");
    assert_eq!(app.post(&path, &site.gp.1, Value::Null).await.status, StatusCode::FORBIDDEN);
    assert_eq!(app.post(&path, &site.other_idec.1, Value::Null).await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn missing_garbage_and_revoked_tokens_are_401() {
    let (app, site, mine, _) = two_patients().await;
    let path = format!("/api/v1/patients/{mine}");
    for token in [None, Some("garbage"), Some("")] {
        let a = app.call(Method::GET, &path, token, None).await;
        assert_eq!((a.status, a.code()), (StatusCode::UNAUTHORIZED, "unauthorized"));
    }
    let a = app.call(Method::POST, "/api/v1/patients", None, Some(app.enrolment(&site))).await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED);

    let token = app.login("idec@a.test").await;
    assert_eq!(app.get(&path, &token).await.status, StatusCode::OK);
    let out = app.call(Method::POST, "/api/v1/auth/logout", Some(&token), None).await;
    assert_eq!(out.status, StatusCode::NO_CONTENT);
    assert_eq!(app.get(&path, &token).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(app.get("/api/v1/auth/me", &token).await.status, StatusCode::UNAUTHORIZED);
    // The other session of the same account is untouched.
    assert_eq!(app.get(&path, &site.idec.1).await.status, StatusCode::OK);
    // Sessions expire after their lifetime (12 h).
    app.set_now(default_now() + Duration::hours(13));
    assert_eq!(app.get(&path, &site.idec.1).await.status, StatusCode::UNAUTHORIZED);
}

async fn login(app: &TestApp, email: &str, password: &str) -> Answer {
    app.call(Method::POST, "/api/v1/auth/login", None, Some(json!({"email": email, "password": password}))).await
}

#[tokio::test]
async fn login_failures_are_vague_and_slow_down_the_address_not_the_account() {
    let app = spawn_app().await;
    let site = app.seed_site().await;
    let ok = login(&app, "IDEC@a.test", PASSWORD).await;
    assert_eq!(ok.status, StatusCode::OK, "{:?}", ok.body);
    assert_eq!(
        (ok.body["professional"]["id"].as_str(), ok.body["professional"]["role"].as_str()),
        (Some(site.idec.0.as_str()), Some("idec"))
    );

    let wrong = login(&app, "idec@a.test", "wrong-password").await;
    let unknown = login(&app, "nobody@a.test", "wrong-password").await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert_eq!((unknown.status, unknown.error_text()), (StatusCode::UNAUTHORIZED, wrong.error_text()));
    for _ in 0..4 {
        assert_eq!(login(&app, "idec@a.test", "wrong-password").await.status, StatusCode::UNAUTHORIZED);
    }
    // Five failures from this address: the sixth try for this account from here must wait,
    // even with the right password; the account itself is not locked (docs/security.md).
    let slowed = login(&app, "idec@a.test", PASSWORD).await;
    assert_eq!(slowed.status, StatusCode::TOO_MANY_REQUESTS, "{:?}", slowed.body);
    let wait: i64 = slowed.headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=2).contains(&wait), "the first delay is short: {wait} s");
    // Other accounts are not slowed.
    assert_eq!(login(&app, "onco@a.test", PASSWORD).await.status, StatusCode::OK);
    app.set_now(default_now() + Duration::seconds(3));
    let back = login(&app, "idec@a.test", PASSWORD).await;
    assert_eq!(back.status, StatusCode::OK, "{:?}", back.body);
    assert!(back.body["token"].as_str().is_some_and(|t| !t.is_empty()));
}
