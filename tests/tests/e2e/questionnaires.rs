//! Questionnaires on the sequence's cadence, rendered for the phone, answered, and the missed
//! follow-up rule, docs/triage.md §6.

use chrono::{DateTime, Duration, Utc};
use relais_tests::*;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

fn utc(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

/// A capecitabine patient enrolled Sunday 22 November 2026 (S1: Monday and Thursday, 10:00).
async fn patient() -> (TestApp, Site, String, String) {
    let app = spawn_app_at(utc("2026-11-22T09:00:00Z")).await;
    let site = app.seed_site().await;
    let (pid, _, code) = app.enrol(&site, app.enrolment(&site)).await;
    let device = app.activate(&code).await;
    (app, site, pid, device)
}

async fn pending(app: &TestApp, device: &str) -> Vec<Value> {
    let a = app.call(Method::GET, "/api/v1/patient/questionnaires/pending", Some(device), None).await;
    assert_eq!(a.status, StatusCode::OK, "{:?}", a.body);
    a.body.as_array().unwrap().clone()
}

#[tokio::test]
async fn questionnaires_come_on_the_s1_cadence_rendered_in_the_patients_language() {
    let (app, _, pid, device) = patient().await;
    app.run_until(utc("2026-11-23T08:30:00Z"), Duration::hours(1)).await;
    assert!(pending(&app, &device).await.is_empty(), "not before 10:00 Paris");
    app.run_until(utc("2026-11-23T09:30:00Z"), Duration::minutes(30)).await;
    let due = pending(&app, &device).await;
    assert_eq!(due.len(), 1);
    assert_eq!(
        (due[0]["local_date"].as_str(), due[0]["due_at"].as_str()),
        (Some("2026-11-23"), Some("2026-11-23T09:00:00Z"))
    );
    let pushes: Vec<Value> =
        app.outbox_for(&pid).await.into_iter().filter(|(k, _)| k == "questionnaire_due").map(|(_, p)| p).collect();
    assert_eq!(pushes.len(), 1);
    assert_eq!(pushes[0]["url"], format!("/app/#/questionnaire/{}", due[0]["id"].as_str().unwrap()));

    let id = due[0]["id"].as_str().unwrap();
    let q = app.call(Method::GET, &format!("/api/v1/patient/questionnaires/{id}"), Some(&device), None).await;
    assert_eq!((q.status, q.body["locale"].as_str()), (StatusCode::OK, Some("fr")));
    let keys: Vec<&str> = q.body["modules"].as_array().unwrap().iter().map(|m| m["key"].as_str().unwrap()).collect();
    for k in ["hand_foot_syndrome", "diarrhea", "temperature_c", "chest_pain", "confusion"] {
        assert!(keys.contains(&k), "capecitabine asks {k}: {keys:?}");
    }
    // docs/triage.md §1 "Order" (r3): the red-flag questions first, each measure after its symptom.
    assert_eq!(keys.first(), Some(&"chest_pain"), "red flags first: {keys:?}");
    assert_eq!(keys.iter().position(|k| *k == "confusion"), Some(7), "the eight red flags first: {keys:?}");
    let at = |k: &str| keys.iter().position(|x| *x == k).unwrap();
    assert_eq!(at("stools_above_baseline"), at("diarrhea") + 1, "{keys:?}");
    assert_eq!(at("temperature_c"), at("chills") + 1, "capecitabine is myelosuppressive: chills, then the temperature");
    // The phone's copy of the red-flag rules, with the team's number: chest pain calls 15 first,
    // 38.0 °C is red on capecitabine.
    assert_eq!(q.body["team_phone"], "+33299000000");
    let rules = q.body["red_rules"].as_array().unwrap();
    let rule = |k: &str| rules.iter().find(|r| r["key"] == k).unwrap_or_else(|| panic!("{k} in {rules:?}"));
    assert_eq!(rule("chest_pain")["call_15_first"], true);
    assert!(rule("chest_pain")["text"].as_str().unwrap().starts_with("Appelez le 15 (SAMU) maintenant."));
    assert_eq!(rule("bleeding_other")["call_15_first"], false);
    assert_eq!(rule("temperature_c")["at_least"], 38.0);
    let text = q.body.to_string();
    assert!(text.contains("7 derniers jours"), "French texts");
    assert!(text.contains("show_if"), "branching on the first attribute");
    let foreign = app.call(Method::GET, "/api/v1/patient/questionnaires/someone-else", Some(&device), None).await;
    assert_eq!(foreign.status, StatusCode::NOT_FOUND);
    let own = app.call(Method::GET, "/api/v1/patient/questionnaires/spontaneous", Some(&device), None).await;
    assert!(own.body["id"].is_null() && own.body["modules"].as_array().unwrap().len() > keys.len());

    // Answering it closes it.
    let a = app
        .post(
            "/api/v1/patient/reports",
            &device,
            json!({"client_id": uuid::Uuid::new_v4().to_string(), "questionnaire_id": id,
            "answers": {"diarrhea.frequency": 0, "temperature_c": 36.8, "chest_pain": false}}),
        )
        .await;
    assert_eq!((a.status, a.body["colour"].as_str()), (StatusCode::CREATED, Some("green")), "{:?}", a.body);
    assert!(pending(&app, &device).await.is_empty());
    // Next one on Thursday 26 November.
    app.run_until(utc("2026-11-26T09:30:00Z"), Duration::hours(2)).await;
    assert_eq!(pending(&app, &device).await[0]["local_date"], "2026-11-26");
}

#[tokio::test]
async fn two_unanswered_questionnaires_in_a_row_alert_the_idec_once() {
    let (app, _, _, device) = patient().await;
    // Mon 23, Thu 26 unanswered; when Mon 30 comes both are missed.
    app.run_until(utc("2026-11-26T12:00:00Z"), Duration::hours(2)).await;
    let due = pending(&app, &device).await;
    assert_eq!(due.len(), 1, "Monday's, not answered by Thursday's, is missed");
    assert_eq!(due[0]["local_date"], "2026-11-26");
    let none = app.get("/api/v1/alerts", &app.login("idec@a.test").await).await;
    assert!(none.body.as_array().unwrap().iter().all(|a| a["topic"] != "missed_follow_up"));
    app.run_until(utc("2026-11-30T12:00:00Z"), Duration::hours(2)).await;
    let idec = app.login("idec@a.test").await;
    let alerts = app.get("/api/v1/alerts", &idec).await.body;
    let missed: Vec<&Value> = alerts.as_array().unwrap().iter().filter(|a| a["topic"] == "missed_follow_up").collect();
    assert_eq!(missed.len(), 1, "{alerts}");
    assert_eq!(missed[0]["colour"], "amber");
    assert!(missed[0]["reasons"][0].as_str().unwrap().contains("2 questionnaires in a row"));
    assert_eq!(pending(&app, &device).await.len(), 1, "the missed ones are no longer offered");
    // Thursday 3 December: still unanswered, merged into the same alert.
    app.run_until(utc("2026-12-03T12:00:00Z"), Duration::hours(2)).await;
    let idec = app.login("idec@a.test").await;
    let alerts = app.get("/api/v1/alerts", &idec).await.body;
    assert_eq!(alerts.as_array().unwrap().iter().filter(|a| a["topic"] == "missed_follow_up").count(), 1);
}
