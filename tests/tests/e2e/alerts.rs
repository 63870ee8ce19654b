//! Reports from the phone, triage, alerts routed to the right people, escalation, the worklist,
//! acknowledgement and resolution.

use chrono::Duration;
use relais_tests::*;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

const FEVER_RED: fn() -> Value = || json!({"temperature_c": 38.6, "chest_pain": false});
const AMBER_DIARRHEA: fn() -> Value = || json!({"diarrhea.frequency": 3, "temperature_c": 37.0});

/// A capecitabine patient (myelosuppressive) with an activated phone.
async fn patient() -> (TestApp, Site, String, String, String) {
    let app = spawn_app().await;
    let site = app.seed_site().await;
    let (pid, eid, code) = app.enrol(&site, app.enrolment(&site)).await;
    let device = app.activate(&code).await;
    (app, site, pid, eid, device)
}

async fn worklist(app: &TestApp, token: &str, status: &str) -> Vec<Value> {
    let a = app.get(&format!("/api/v1/alerts?status={status}"), token).await;
    assert_eq!(a.status, StatusCode::OK, "{:?}", a.body);
    a.body.as_array().unwrap().clone()
}

fn kinds(rows: &[(String, Value)], kind: &str) -> usize {
    rows.iter().filter(|(k, _)| k == kind).count()
}

#[tokio::test]
async fn fever_on_capecitabine_is_red_to_idec_and_on_call_oncologist_with_call_now_advice() {
    let (app, site, pid, _, device) = patient().await;
    let r = app.report(&device, FEVER_RED()).await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    assert_eq!(r.body["colour"], "red");
    assert_eq!(r.body["red_flags"][0]["flag"], "febrile_on_myelosuppressive");
    let first = &r.body["advice"][0];
    assert!(first["symptom"].is_null());
    let text = first["text"].as_str().unwrap();
    assert!(text.contains("02 99 00 00 00") && text.contains("15"), "{text}");
    assert!(!r.body["advice"].to_string().contains("contactera"), "a red patient is never told to wait");
    assert_eq!(r.body["contact"]["phone"], "+33299000000");

    let open = worklist(&app, &site.idec.1, "open").await;
    assert_eq!(open.len(), 1);
    assert_eq!((open[0]["colour"].as_str(), open[0]["topic"].as_str()), (Some("red"), Some("toxicity")));
    assert_eq!(open[0]["patient"]["id"], pid.as_str());
    assert_eq!(open[0]["minutes_left"], 30);
    assert_eq!(worklist(&app, &site.oncologist.1, "open").await.len(), 1);
    for outsider in [&site.other_idec.1, &site.community_pharmacist.1, &site.gp.1, &site.admin.1] {
        assert!(worklist(&app, outsider, "open").await.is_empty());
    }
    assert_eq!(kinds(&app.outbox_for(&site.idec.0).await, "alert"), 1);
    assert_eq!(kinds(&app.outbox_for(&site.oncologist.0).await, "alert"), 1);
    assert_eq!(kinds(&app.outbox_for(&site.community_pharmacist.0).await, "alert"), 0);
}

#[tokio::test]
async fn an_unacknowledged_red_alert_escalates_every_thirty_minutes_until_acknowledged() {
    let (app, site, _, _, device) = patient().await;
    app.report(&device, FEVER_RED()).await;
    let t0 = app.clock.now();
    app.set_now(t0 + Duration::minutes(29));
    assert_eq!(app.escalate().await, 0, "not before the deadline");
    app.set_now(t0 + Duration::minutes(31));
    assert_eq!(app.escalate().await, 1);
    assert_eq!(app.escalate().await, 0, "one step per period");
    let mail = app.outbox_for(&site.oncologist.0).await;
    assert_eq!(kinds(&mail, "alert_escalation"), 1);
    app.set_now(t0 + Duration::minutes(61));
    assert_eq!(app.escalate().await, 1);
    let id = worklist(&app, &site.idec.1, "open").await[0]["id"].as_str().unwrap().to_owned();
    let detail = app.get(&format!("/api/v1/alerts/{id}"), &site.idec.1).await;
    assert_eq!(detail.body["alert"]["escalation_level"], 2);
    let escalated = detail.body["events"].as_array().unwrap().iter().filter(|e| e["kind"] == "escalated").count();
    assert_eq!(escalated, 2);
    let ack = app.post(&format!("/api/v1/alerts/{id}/acknowledge"), &site.oncologist.1, Value::Null).await;
    assert_eq!((ack.status, ack.body["status"].as_str()), (StatusCode::OK, Some("acknowledged")));
    app.set_now(t0 + Duration::minutes(200));
    assert_eq!(app.escalate().await, 0, "acknowledged alerts are not chased");
    assert_eq!(kinds(&app.outbox_for(&site.idec.0).await, "alert_escalation"), 2);
    let again = app.post(&format!("/api/v1/alerts/{id}/acknowledge"), &site.idec.1, Value::Null).await;
    assert_eq!(again.status, StatusCode::CONFLICT);
}

#[tokio::test]
async fn amber_toxicity_goes_to_the_idec_in_s1_and_to_the_pharmacy_in_s3() {
    let (app, site, _, eid, device) = patient().await;
    let r = app.report(&device, AMBER_DIARRHEA()).await;
    assert_eq!(r.body["colour"], "amber");
    let idec = worklist(&app, &site.idec.1, "open").await;
    assert_eq!((idec.len(), idec[0]["minutes_left"].as_i64()), (1, Some(1440)));
    assert!(worklist(&app, &site.oncologist.1, "open").await.is_empty(), "amber does not page the oncologist");
    let id = idec[0]["id"].as_str().unwrap().to_owned();
    let done = app
        .post(
            &format!("/api/v1/alerts/{id}/resolve"),
            &site.idec.1,
            json!({"confirmed_grade": 2, "note": "called, loperamide"}),
        )
        .await;
    assert_eq!(done.status, StatusCode::OK);

    // Into S3: S1 (1 month) then S2 (3 months) with an `advance` decision.
    app.set_now(morning("2026-12-23"));
    app.tick().await;
    let idec_token = app.login("idec@a.test").await;
    assert_eq!(app.decide(&eid, &idec_token, "advance", None).await.status, StatusCode::OK);
    app.set_now(morning("2027-03-23"));
    app.tick().await;
    let device = device.clone();
    let r = app.report(&device, AMBER_DIARRHEA()).await;
    assert_eq!(r.body["colour"], "amber");
    let pharmacist = app.login("officine@a.test").await;
    assert_eq!(worklist(&app, &pharmacist, "open").await.len(), 1);
    assert!(worklist(&app, &app.login("idec@a.test").await, "open").await.is_empty());
    let gp = app.login("gp@a.test").await;
    assert!(worklist(&app, &gp, "open").await.is_empty(), "the GP is informed, not asked to acknowledge");
    assert_eq!(kinds(&app.outbox_for(&site.gp.0).await, "alert_info"), 1);
}

/// docs/triage.md §4, safety net of the hand-over: an S3 amber goes to the community pharmacy
/// only; still unacknowledged at its deadline (24 h), it reaches the team's IDEC, once, by email,
/// with a note naming who did not acknowledge it.
#[tokio::test]
async fn an_s3_amber_not_acknowledged_by_the_pharmacy_reaches_the_idec_at_its_deadline_once() {
    let (app, site, _, eid, device) = patient().await;
    app.set_now(morning("2026-12-23"));
    app.tick().await;
    let idec_token = app.login("idec@a.test").await;
    assert_eq!(app.decide(&eid, &idec_token, "advance", None).await.status, StatusCode::OK);
    app.set_now(morning("2027-03-23"));
    app.tick().await;
    let r = app.report(&device, AMBER_DIARRHEA()).await;
    assert_eq!(r.body["colour"], "amber");
    let t0 = app.clock.now();
    let pharmacist = app.login("officine@a.test").await;
    let mine = worklist(&app, &pharmacist, "open").await;
    assert_eq!((mine.len(), mine[0]["overdue"].as_bool()), (1, Some(false)));
    let id = mine[0]["id"].as_str().unwrap().to_owned();

    app.set_now(t0 + Duration::minutes(24 * 60 - 1));
    assert_eq!(app.escalate().await, 0, "not before the deadline");
    assert!(worklist(&app, &app.login("idec@a.test").await, "open").await.is_empty());

    app.set_now(t0 + Duration::minutes(24 * 60 + 1));
    assert_eq!(app.escalate().await, 1);
    let idec_token = app.login("idec@a.test").await;
    let idec = worklist(&app, &idec_token, "open").await;
    assert_eq!(idec.len(), 1, "the IDEC now sees it");
    assert_eq!((idec[0]["id"].as_str(), idec[0]["overdue"].as_bool()), (Some(id.as_str()), Some(true)));
    let note = idec[0]["note"].as_str().unwrap_or_default().to_owned();
    assert!(note.contains("not acknowledged in time by community pharmacist"), "{note}");
    assert_eq!(kinds(&app.outbox_for(&site.idec.0).await, "alert_escalation"), 1, "the IDEC is emailed");
    assert_eq!(kinds(&app.outbox_for(&site.community_pharmacist.0).await, "alert_escalation"), 1);

    app.set_now(t0 + Duration::hours(72));
    assert_eq!(app.escalate().await, 0, "an amber escalates once");
    assert_eq!(kinds(&app.outbox_for(&site.idec.0).await, "alert_escalation"), 1);
    let idec_token = app.login("idec@a.test").await;
    let detail = app.get(&format!("/api/v1/alerts/{id}"), &idec_token).await;
    assert_eq!(detail.status, StatusCode::OK, "{:?}", detail.body);
    let escalated: Vec<&Value> =
        detail.body["events"].as_array().unwrap().iter().filter(|e| e["kind"] == "escalated").collect();
    assert_eq!(escalated.len(), 1);
    assert!(escalated[0]["detail"]["notified"].to_string().contains(&site.idec.0), "{escalated:?}");
    let ack = app.post(&format!("/api/v1/alerts/{id}/acknowledge"), &idec_token, Value::Null).await;
    assert_eq!(ack.status, StatusCode::OK, "{:?}", ack.body);
}

#[tokio::test]
async fn a_resent_report_is_stored_once_and_different_answers_conflict() {
    let (app, _, _, _, device) = patient().await;
    let body = json!({"client_id": "6f1c2a34-1111-4a8e-9c1b-0a2b3c4d5e6f", "questionnaire_id": null, "answers": AMBER_DIARRHEA()});
    let first = app.post("/api/v1/patient/reports", &device, body.clone()).await;
    let second = app.post("/api/v1/patient/reports", &device, body.clone()).await;
    assert_eq!((first.status, second.status), (StatusCode::CREATED, StatusCode::CREATED));
    assert_eq!(first.body, second.body);
    assert_eq!(count(&app.state, "reports").await, 1);
    assert_eq!(count(&app.state, "alerts").await, 1);
    let mut changed = body.clone();
    changed["answers"]["diarrhea.frequency"] = json!(4);
    let conflict = app.post("/api/v1/patient/reports", &device, changed).await;
    assert_eq!((conflict.status, conflict.field()), (StatusCode::CONFLICT, "client_id"));
    assert_eq!(count(&app.state, "reports").await, 1);
}

/// Reports of one patient stored at the same time still make one alert (docs/design.md,
/// `alerting/`): on PostgreSQL two read-committed transactions could each find no open alert.
#[tokio::test]
async fn reports_of_one_patient_at_once_merge_into_one_alert() {
    let (app, _, _, _, device) = patient().await;
    let (a, b, c, d) = tokio::join!(
        app.report(&device, AMBER_DIARRHEA()),
        app.report(&device, AMBER_DIARRHEA()),
        app.report(&device, FEVER_RED()),
        app.report(&device, AMBER_DIARRHEA()),
    );
    for r in [&a, &b, &c, &d] {
        assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    }
    assert_eq!(count(&app.state, "reports").await, 4);
    assert_eq!(count(&app.state, "alerts").await, 1, "one alert for the patient and topic");
}

/// Reports sent at once are each stored once they are acknowledged, whatever shares their
/// write transaction (on SQLite they are committed together, each in a savepoint of its own:
/// BENCHMARKS.md, "Report intake"). Three copies of one report sent together race on its
/// `client_id`: one is stored, the copies that lose fail alone (their neighbours are stored)
/// and are answered with the stored report once it is committed.
#[tokio::test]
async fn reports_sent_at_once_are_all_stored_and_copies_racing_on_a_client_id_fail_only_themselves() {
    let (app, site, _, _, device) = patient().await;
    let copy = json!({"client_id": "3d6a1f0e-2b7c-4c1d-8e9f-a0b1c2d3e4f5", "questionnaire_id": null, "answers": AMBER_DIARRHEA()});
    let send = |body: Value| app.post("/api/v1/patient/reports", &device, body);
    let fresh = |answers: Value| json!({"client_id": uuid::Uuid::new_v4().to_string(), "questionnaire_id": null, "answers": answers});
    let green = || json!({"fatigue.severity": 1});
    let (a, b, c, d, e, f, g, h) = tokio::join!(
        send(fresh(green())),
        send(copy.clone()),
        send(fresh(AMBER_DIARRHEA())),
        send(copy.clone()),
        send(fresh(green())),
        send(fresh(FEVER_RED())),
        send(copy.clone()),
        send(fresh(green())),
    );
    for r in [&a, &b, &c, &d, &e, &f, &g, &h] {
        assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    }
    assert_eq!((&b.body, &d.body), (&g.body, &g.body), "the copies get the stored report's answer");
    assert_eq!(count(&app.state, "reports").await, 6, "five reports and one of the three copies");
    let ids: std::collections::HashSet<_> =
        [&a, &b, &c, &e, &f, &h].iter().map(|r| r.body["report_id"].clone()).collect();
    assert_eq!(ids.len(), 6);
    assert_eq!(count(&app.state, "alerts").await, 1, "one alert for the patient and topic");
    // Written in batches: each stored report has its own audit line naming it, and a copy left
    // out by the insert left no grades behind.
    use sea_orm::ConnectionTrait;
    let db = &app.state.db;
    let sql = "SELECT entity_id FROM audit_log WHERE entity = 'report' AND action = 'create'";
    let rows = db.query_all_raw(sea_orm::Statement::from_string(db.get_database_backend(), sql)).await.unwrap();
    let audited: std::collections::HashSet<_> =
        rows.iter().map(|r| Value::from(r.try_get::<String>("", "entity_id").unwrap())).collect();
    assert_eq!((rows.len(), &audited), (6, &ids), "one audit line per stored report");
    assert_eq!(count(&app.state, "symptom_grades WHERE report_id NOT IN (SELECT id FROM reports)").await, 0);
    // The intake's writer says what it stored, and that nothing failed or had to be split.
    let metrics = app.get("/metrics", &site.admin.1).await;
    let text = metrics.body.as_str().unwrap();
    for line in [
        "relais_group_commit_reports_total 6",
        "relais_group_commit_failures_total 0",
        "relais_group_commit_retried_total 0",
    ] {
        assert!(text.lines().any(|l| l == line), "{line} in:\n{text}");
    }
}

/// Phones of several patients sending at once. On PostgreSQL their reports' contexts are read
/// together, in one statement (`app::reports::IntakeReader`): each report must still land on its
/// own phone's patient, a `client_id` one patient used is new for another, a phone's retry is
/// answered from its own report, and a revoked or unknown phone is refused.
#[tokio::test]
async fn reports_of_many_phones_at_once_each_land_on_their_own_patient() {
    let app = spawn_app().await;
    let site = app.seed_site().await;
    let mut phones = Vec::new();
    for (i, name) in ["Anne", "Bruno", "Chloé", "David", "Emma"].iter().enumerate() {
        let mut body = app.enrolment(&site);
        body["given_name"] = json!(name);
        body["birth_date"] = json!(format!("196{i}-04-12"));
        let (pid, _, code) = app.enrol(&site, body).await;
        phones.push((pid, app.activate(&code).await));
    }
    let (revoked_pid, revoked) = phones.pop().unwrap();
    let a =
        app.call(Method::DELETE, &format!("/api/v1/patients/{revoked_pid}/devices"), Some(&site.idec.1), None).await;
    assert_eq!(a.status, StatusCode::OK);
    let shared = "5b2f0c7e-3a1d-4e8f-9b6c-0d1e2f3a4b5c";
    let body =
        |client_id: &str, answers: Value| json!({"client_id": client_id, "questionnaire_id": null, "answers": answers});
    let first = app.post("/api/v1/patient/reports", &phones[0].1, body(shared, AMBER_DIARRHEA())).await;
    assert_eq!(first.status, StatusCode::CREATED, "{:?}", first.body);
    // At once: each phone sends `shared` (phone 0's is a retry) and a report of its own; the
    // revoked phone and an unknown token too.
    let mut sends = tokio::task::JoinSet::new();
    let mut post = |n: usize, token: String, body: Value| {
        let (http, url) = (app.http.clone(), format!("{}/api/v1/patient/reports", app.addr));
        sends.spawn(async move {
            let r = http.post(url).bearer_auth(token).json(&body).send().await.unwrap();
            (n, r.status(), r.json::<Value>().await.unwrap_or(Value::Null))
        });
    };
    for (n, (_, token)) in phones.iter().enumerate() {
        post(n, token.clone(), body(shared, AMBER_DIARRHEA()));
        post(n, token.clone(), body(&uuid::Uuid::new_v4().to_string(), json!({"fatigue.severity": 1})));
    }
    post(100, revoked, body(&uuid::Uuid::new_v4().to_string(), AMBER_DIARRHEA()));
    post(101, "no-such-token".into(), body(shared, AMBER_DIARRHEA()));
    let mut stored = Vec::new();
    while let Some(answer) = sends.join_next().await {
        let (n, status, body) = answer.unwrap();
        if n >= 100 {
            assert_eq!(status, StatusCode::UNAUTHORIZED, "phone {n}: {body:?}");
            continue;
        }
        assert_eq!(status, StatusCode::CREATED, "phone {n}: {body:?}");
        stored.push((n, body["report_id"].as_str().unwrap().to_owned()));
    }
    assert_eq!(stored.len(), 8);
    // Phone 0's retry got its first report back; every other report is new, and on its phone's patient.
    use sea_orm::ConnectionTrait;
    let db = &app.state.db;
    let first_id = first.body["report_id"].as_str().unwrap();
    assert_eq!(stored.iter().filter(|(_, id)| id == first_id).count(), 1, "{stored:?}");
    assert_eq!(count(&app.state, "reports").await, 1 + 7);
    for (n, id) in &stored {
        let sql = format!("SELECT patient_id FROM reports WHERE id = '{id}'");
        let row =
            db.query_one_raw(sea_orm::Statement::from_string(db.get_database_backend(), sql)).await.unwrap().unwrap();
        assert_eq!(row.try_get::<String>("", "patient_id").unwrap(), phones[*n].0, "report {id} of phone {n}");
    }
    assert_eq!(count(&app.state, &format!("reports WHERE client_id = '{shared}'")).await, 4, "one per patient");
    assert_eq!(count(&app.state, &format!("reports WHERE patient_id = '{revoked_pid}'")).await, 0);
    let metrics = app.get("/metrics", &site.admin.1).await;
    let text = metrics.body.as_str().unwrap();
    for line in ["relais_intake_read_failures_total 0", "relais_intake_read_retried_total 0"] {
        assert!(text.lines().any(|l| l == line), "{line} in:\n{text}");
    }
}

#[tokio::test]
async fn a_worse_report_raises_the_open_alert_instead_of_opening_another() {
    let (app, site, _, _, device) = patient().await;
    app.report(&device, AMBER_DIARRHEA()).await;
    let id = worklist(&app, &site.idec.1, "open").await[0]["id"].as_str().unwrap().to_owned();
    app.post(&format!("/api/v1/alerts/{id}/acknowledge"), &site.idec.1, Value::Null).await;
    app.report(&device, AMBER_DIARRHEA()).await;
    assert_eq!(count(&app.state, "alerts").await, 1, "same colour: merged");
    app.report(&device, FEVER_RED()).await;
    assert_eq!(count(&app.state, "alerts").await, 1, "worse: raised, still one alert");
    let open = worklist(&app, &site.idec.1, "open").await;
    assert_eq!((open.len(), open[0]["id"].as_str(), open[0]["colour"].as_str()), (1, Some(id.as_str()), Some("red")));
    assert_eq!(worklist(&app, &site.oncologist.1, "open").await.len(), 1, "the on-call oncologist is added");
}

#[tokio::test]
async fn resolving_keeps_both_grades_and_refuses_bad_input() {
    let (app, site, _, _, device) = patient().await;
    app.report(&device, AMBER_DIARRHEA()).await;
    let id = worklist(&app, &site.idec.1, "open").await[0]["id"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/alerts/{id}/resolve");
    let missing = app.post(&path, &site.idec.1, json!({"note": "called"})).await;
    assert_eq!((missing.status, missing.field()), (StatusCode::UNPROCESSABLE_ENTITY, "confirmed_grade"));
    let high = app.post(&path, &site.idec.1, json!({"confirmed_grade": 5, "note": "called"})).await;
    assert_eq!((high.status, high.field()), (StatusCode::UNPROCESSABLE_ENTITY, "confirmed_grade"));
    let no_note = app.post(&path, &site.idec.1, json!({"confirmed_grade": 1})).await;
    assert_eq!((no_note.status, no_note.field()), (StatusCode::UNPROCESSABLE_ENTITY, "note"));
    let outsider = app.post(&path, &site.other_idec.1, json!({"confirmed_grade": 1, "note": "x"})).await;
    assert_eq!(outsider.status, StatusCode::NOT_FOUND);
    let ack_outsider =
        app.post(&format!("/api/v1/alerts/{id}/acknowledge"), &site.community_pharmacist.1, Value::Null).await;
    assert_eq!(ack_outsider.status, StatusCode::NOT_FOUND);
    let ok = app.post(&path, &site.idec.1, json!({"confirmed_grade": 1, "note": "called, mild"})).await;
    assert_eq!(ok.status, StatusCode::OK, "{:?}", ok.body);
    assert_eq!((ok.body["provisional_grade"].as_i64(), ok.body["confirmed_grade"].as_i64()), (Some(2), Some(1)));
    assert_eq!(
        app.post(&path, &site.idec.1, json!({"confirmed_grade": 1, "note": "again"})).await.status,
        StatusCode::CONFLICT
    );
    assert_eq!(worklist(&app, &site.idec.1, "resolved").await.len(), 1);
    assert!(worklist(&app, &site.idec.1, "open").await.is_empty());
}

#[tokio::test]
async fn invalid_answers_name_the_key_and_store_nothing() {
    let (app, _, _, _, device) = patient().await;
    for (answers, field) in [
        (json!({"pain.severity": 2}), "answers.pain.severity"),
        (json!({"temperature_c": 51}), "answers.temperature_c"),
        (json!({"chest_pain": "yes"}), "answers.chest_pain"),
        (json!({"headache.frequency": null}), "answers.headache.frequency"),
        (json!({"mood": 1}), "answers.mood"),
    ] {
        let a = app.report(&device, answers).await;
        assert_eq!((a.status, a.field()), (StatusCode::UNPROCESSABLE_ENTITY, field));
    }
    let bad_id = app
        .post("/api/v1/patient/reports", &device, json!({"client_id": "x", "questionnaire_id": null, "answers": {}}))
        .await;
    assert_eq!((bad_id.status, bad_id.field()), (StatusCode::UNPROCESSABLE_ENTITY, "client_id"));
    let foreign = app
        .post(
            "/api/v1/patient/reports",
            &device,
            json!({"client_id": uuid_like(), "questionnaire_id": "not-mine", "answers": {}}),
        )
        .await;
    assert_eq!(foreign.status, StatusCode::NOT_FOUND);
    assert_eq!((count(&app.state, "reports").await, count(&app.state, "alerts").await), (0, 0));
}

fn uuid_like() -> String {
    "0b7e0c3a-5d1f-4d7c-8a3e-2f1b6c9d0e4a".into()
}

#[tokio::test]
async fn a_new_comedication_with_an_interaction_alerts_the_right_pharmacist() {
    let (app, site, _, eid, _) = patient().await;
    // Warfarin with capecitabine: INR rise (config/triage.toml). In S1 → hospital pharmacist.
    let a =
        app.post(&format!("/api/v1/episodes/{eid}/comedications"), &site.idec.1, json!({"name": "Warfarine"})).await;
    assert_eq!(a.status, StatusCode::CREATED, "{:?}", a.body);
    assert!(!a.body["interactions"].as_array().unwrap().is_empty(), "{:?}", a.body);
    let alerts = worklist(&app, &site.hospital_pharmacist.1, "open").await;
    assert_eq!((alerts.len(), alerts[0]["topic"].as_str()), (1, Some("interaction")));
    assert!(worklist(&app, &site.community_pharmacist.1, "open").await.is_empty());
    // Only a toxicity alert has a CTCAE grade: an interaction is closed with what was done.
    let id = alerts[0]["id"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/alerts/{id}/resolve");
    let resolve = |body: Value| app.post(&path, &site.hospital_pharmacist.1, body);
    let graded = resolve(json!({"confirmed_grade": 2, "note": "avis au prescripteur"})).await;
    assert_eq!((graded.status, graded.field()), (StatusCode::UNPROCESSABLE_ENTITY, "confirmed_grade"));
    let done = resolve(json!({"note": "INR contrôlé, avis au prescripteur"})).await;
    assert_eq!(done.status, StatusCode::OK, "{:?}", done.body);
    assert_eq!((done.body["status"].as_str(), &done.body["confirmed_grade"]), (Some("resolved"), &Value::Null));
    let harmless =
        app.post(&format!("/api/v1/episodes/{eid}/comedications"), &site.idec.1, json!({"name": "paracétamol"})).await;
    assert_eq!(harmless.body["interactions"], json!([]));
    assert!(harmless.body["alert_id"].is_null());
}

#[tokio::test]
async fn a_working_day_deadline_skips_the_ascension_holiday() {
    // Wednesday 13 May 2026, 10:00 Paris; Thursday 14 May is Ascension.
    let app = spawn_app_at(chrono::DateTime::parse_from_rfc3339("2026-05-13T08:00:00Z").unwrap().into()).await;
    let site = app.seed_site().await;
    let (_, eid, _) = app.enrol(&site, app.enrolment(&site)).await;
    app.post(&format!("/api/v1/episodes/{eid}/comedications"), &site.idec.1, json!({"name": "warfarine"})).await;
    let alerts = worklist(&app, &site.hospital_pharmacist.1, "open").await;
    assert_eq!(alerts[0]["deadline_at"], "2026-05-15T08:00:00Z");
}

#[tokio::test]
async fn in_s2_parcours_a_interactions_go_to_the_community_pharmacist() {
    let (app, _, _, eid, _) = patient().await;
    app.set_now(morning("2026-12-23"));
    app.tick().await;
    let idec = app.login("idec@a.test").await;
    let a = app.post(&format!("/api/v1/episodes/{eid}/comedications"), &idec, json!({"name": "Coumadine"})).await;
    assert_eq!(a.status, StatusCode::CREATED, "{:?}", a.body);
    assert!(a.body["alert_id"].is_string(), "{:?}", a.body);
    let officine = app.login("officine@a.test").await;
    let alerts = worklist(&app, &officine, "open").await;
    assert_eq!((alerts.len(), alerts[0]["topic"].as_str()), (1, Some("interaction")));
    assert!(worklist(&app, &app.login("pui@a.test").await, "open").await.is_empty());
}

#[tokio::test]
async fn the_report_response_lists_the_drugs_to_hold_with_their_advice_first() {
    // docs/triage.md §5 (r3): capecitabine holds from a grade-2 diarrhea; red holds every drug.
    let (app, _, _, _, device) = patient().await;
    let r = app.report(&device, AMBER_DIARRHEA()).await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    assert_eq!(r.body["colour"], "amber");
    assert_eq!(r.body["hold"], json!(["capecitabine"]));
    let first = &r.body["advice"][0];
    assert!(first["symptom"].is_null());
    let text = first["text"].as_str().unwrap();
    assert!(text.contains("capécitabine") && !text.contains("capecitabine"), "display name, not the key: {text}");
    let r = app.report(&device, FEVER_RED()).await;
    assert_eq!((r.body["colour"].as_str(), r.body["hold"].clone()), (Some("red"), json!(["capecitabine"])));
    assert!(r.body["advice"][1]["text"].as_str().unwrap().contains("capécitabine"), "{:?}", r.body["advice"]);
    let r = app.report(&device, json!({"fatigue.severity": 1})).await;
    assert_eq!((r.body["colour"].as_str(), r.body["hold"].clone()), (Some("green"), json!([])));
}

/// docs/triage.md §4 (r3): an amber fever (the fever floor, on erlotinib, not myelosuppressive)
/// also goes to the IDEC, in S3 beside the community pharmacist who has it by the routing rule.
#[tokio::test]
async fn an_amber_fever_in_s3_reaches_the_idec_as_well_as_the_pharmacy() {
    let app = spawn_app().await;
    let site = app.seed_site().await;
    let mut body = app.enrolment(&site);
    body["episode"]["regimen"] = json!([{"drug": "erlotinib", "dose": "150 mg", "times": ["08:00"]}]);
    let (_, eid, code) = app.enrol(&site, body).await;
    let device = app.activate(&code).await;
    app.set_now(morning("2026-12-23"));
    app.tick().await;
    let idec_token = app.login("idec@a.test").await;
    assert_eq!(app.decide(&eid, &idec_token, "advance", None).await.status, StatusCode::OK);
    app.set_now(morning("2027-03-23"));
    app.tick().await;
    let r = app.report(&device, json!({"temperature_c": 38.3, "chest_pain": false})).await;
    assert_eq!((r.status, r.body["colour"].as_str()), (StatusCode::CREATED, Some("amber")), "{:?}", r.body);
    let pharmacist = worklist(&app, &app.login("officine@a.test").await, "open").await;
    let idec = worklist(&app, &app.login("idec@a.test").await, "open").await;
    assert_eq!((pharmacist.len(), idec.len()), (1, 1), "the pharmacy and the IDEC");
    assert_eq!(pharmacist[0]["id"], idec[0]["id"], "one alert, two recipients");
    assert_eq!(idec[0]["minutes_left"], 1440);
    assert_eq!(kinds(&app.outbox_for(&site.idec.0).await, "alert"), 1, "the IDEC is emailed");
    assert_eq!(kinds(&app.outbox_for(&site.community_pharmacist.0).await, "alert"), 1);
    assert_eq!(kinds(&app.outbox_for(&site.gp.0).await, "alert_info"), 1, "the GP stays informed");
    assert!(worklist(&app, &app.login("onco@a.test").await, "open").await.is_empty(), "amber pages no oncologist");
}

/// "I have a symptom now", "other" (docs/triage.md §1): the patient's own words make an amber
/// toxicity alert for the IDEC; an empty or too long text is refused naming `other`.
#[tokio::test]
async fn a_symptom_in_the_patients_words_is_an_amber_alert_to_the_idec() {
    let (app, site, _, _, device) = patient().await;
    let send = |client_id: &str, other: Value| json!({"client_id": client_id, "questionnaire_id": null, "answers": {"chest_pain": false}, "other": other});
    let id = "7a2c2a34-2222-4a8e-9c1b-0a2b3c4d5e6f";
    for bad in [json!("   "), json!("x".repeat(1001))] {
        let r = app.post("/api/v1/patient/reports", &device, send(id, bad)).await;
        assert_eq!((r.status, r.field()), (StatusCode::UNPROCESSABLE_ENTITY, "other"), "{:?}", r.body);
    }
    assert_eq!(count(&app.state, "reports").await, 0);
    let words = "Des vertiges depuis hier soir, surtout en me levant.";
    let r = app.post("/api/v1/patient/reports", &device, send(id, json!(words))).await;
    assert_eq!((r.status, r.body["colour"].as_str()), (StatusCode::CREATED, Some("amber")), "{:?}", r.body);
    assert_eq!(r.body["other"], words);
    assert!(r.body["advice"].to_string().contains("vous contactera"), "{:?}", r.body["advice"]);
    let idec = worklist(&app, &site.idec.1, "open").await;
    assert_eq!(
        (idec.len(), idec[0]["colour"].as_str(), idec[0]["topic"].as_str()),
        (1, Some("amber"), Some("toxicity"))
    );
    assert!(worklist(&app, &site.oncologist.1, "open").await.is_empty());
    // The same report again is the same; other words under the same id conflict.
    let again = app.post("/api/v1/patient/reports", &device, send(id, json!(words))).await;
    assert_eq!((again.status, &again.body), (StatusCode::CREATED, &r.body));
    let changed = app.post("/api/v1/patient/reports", &device, send(id, json!("Autre chose"))).await;
    assert_eq!((changed.status, changed.field()), (StatusCode::CONFLICT, "client_id"));
    assert_eq!(count(&app.state, "reports").await, 1);
    // The words are nowhere in the alert's reasons (sent by email): only on the report.
    let detail = app.get(&format!("/api/v1/alerts/{}", idec[0]["id"].as_str().unwrap()), &site.idec.1).await;
    assert!(!detail.body["alert"]["reasons"].to_string().contains("vertiges"), "{:?}", detail.body["alert"]);
}
