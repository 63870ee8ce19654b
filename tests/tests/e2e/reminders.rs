//! Dose reminders from the durable due-work queue, driven by the injected clock.

use chrono::{DateTime, Duration, Utc};
use relais_tests::relais_server::store;
use relais_tests::*;
use reqwest::{Method, StatusCode};
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};

fn utc(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

/// Enrols a patient in `tz` starting on `start` with one drug at 08:00 (and the site).
async fn enrolled(
    at: &str,
    tz: &str,
    start: &str,
    drug: &str,
    cycle: Option<(u16, u16)>,
) -> (TestApp, Site, String, String, String) {
    let app = spawn_app_at(utc(at)).await;
    let site = app.seed_site().await;
    let mut body = app.enrolment(&site);
    body["time_zone"] = json!(tz);
    body["episode"]["start_date"] = json!(start);
    body["episode"]["regimen"] = json!([{"drug": drug, "dose": "1 cp", "times": ["08:00"],
        "cycle": cycle.map(|(on, off)| json!({"on_days": on, "off_days": off}))}]);
    let (pid, eid, code) = app.enrol(&site, body).await;
    (app, site, pid, eid, code)
}

#[tokio::test]
async fn paris_and_reunion_reminders_follow_local_time_across_both_dst_changes() {
    // Spring: Paris moves to CEST on Sunday 28 March 2027.
    let (app, _, pid, _, _) = enrolled("2027-03-26T00:00:00Z", "Europe/Paris", "2027-03-26", "imatinib", None).await;
    app.run_until(utc("2027-03-30T12:00:00Z"), Duration::minutes(30)).await;
    assert_eq!(
        app.reminder_times(&pid).await,
        [
            utc("2027-03-26T07:00:00Z"),
            utc("2027-03-27T07:00:00Z"),
            utc("2027-03-28T06:00:00Z"),
            utc("2027-03-29T06:00:00Z"),
            utc("2027-03-30T06:00:00Z")
        ]
    );
    // Autumn: back to CET on Sunday 25 October 2026; Réunion has no DST at all.
    let (app, _, pid, _, _) = enrolled("2026-10-23T00:00:00Z", "Europe/Paris", "2026-10-23", "imatinib", None).await;
    app.run_until(utc("2026-10-27T12:00:00Z"), Duration::minutes(30)).await;
    assert_eq!(
        app.reminder_times(&pid).await,
        [
            utc("2026-10-23T06:00:00Z"),
            utc("2026-10-24T06:00:00Z"),
            utc("2026-10-25T07:00:00Z"),
            utc("2026-10-26T07:00:00Z"),
            utc("2026-10-27T07:00:00Z")
        ]
    );
    let (app, _, pid, _, _) = enrolled("2026-10-22T20:00:00Z", "Indian/Reunion", "2026-10-23", "imatinib", None).await;
    app.run_until(utc("2026-10-26T12:00:00Z"), Duration::minutes(30)).await;
    let times = app.reminder_times(&pid).await;
    assert_eq!(times.len(), 4);
    assert!(times.iter().all(|t| t.format("%H:%M").to_string() == "04:00"), "{times:?}");
}

#[tokio::test]
async fn no_reminder_on_off_cycle_days() {
    // Sunitinib 4 weeks on, 2 off from 2 November: nothing 30 Nov – 13 Dec, back on 14 Dec.
    let (app, _, pid, _, _) =
        enrolled("2026-11-01T23:30:00Z", "Europe/Paris", "2026-11-02", "sunitinib", Some((28, 14))).await;
    app.run_until(utc("2026-12-15T12:00:00Z"), Duration::hours(2)).await;
    let days: Vec<String> = app.reminder_times(&pid).await.iter().map(|t| t.date_naive().to_string()).collect();
    assert_eq!(days.len(), 30, "28 days on, then 14 and 15 December");
    assert_eq!(days[27], "2026-11-29");
    assert_eq!(&days[28..], ["2026-12-14", "2026-12-15"]);
}

#[tokio::test]
async fn an_unconfirmed_dose_gets_one_repeat_then_is_missed() {
    let (app, _, pid, _, _) = enrolled("2026-11-22T23:30:00Z", "Europe/Paris", "2026-11-23", "imatinib", None).await;
    app.run_until(utc("2026-11-23T07:00:00Z"), Duration::minutes(30)).await;
    let rows = app.outbox_for(&pid).await;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].1["type"], "dose_reminder");
    assert!(rows[0].1["body"].as_str().unwrap().contains("08:00"), "{:?}", rows[0].1);
    assert!(!rows[0].1.to_string().contains("imatinib"), "no drug name on a lock screen");
    app.run_until(utc("2026-11-23T08:00:00Z"), Duration::minutes(30)).await;
    assert_eq!(dose_messages(&app, &pid).await, 2, "one repeat after 60 min");
    app.run_until(utc("2026-11-23T11:00:00Z"), Duration::minutes(30)).await;
    let dose_id = rows[0].1["id"].as_str().unwrap();
    let dose = store::doses::get(&app.state.db, dose_id).await.unwrap().unwrap();
    assert_eq!((dose.status.as_str(), dose.reminders_sent), ("missed", 2));
    assert_eq!(dose_messages(&app, &pid).await, 2, "nothing more after the window");
}

async fn dose_messages(app: &TestApp, patient_id: &str) -> usize {
    app.outbox_for(patient_id).await.iter().filter(|(k, _)| k == "dose_reminder").count()
}

#[tokio::test]
async fn catching_up_after_downtime_sends_nothing_stale_and_duplicates_nothing() {
    let (app, _, pid, eid, _) = enrolled("2026-11-22T23:30:00Z", "Europe/Paris", "2026-11-23", "imatinib", None).await;
    app.dispatch().await;
    // Down for three days, back at 07:30 UTC on the 26th (08:30 Paris): today's reminder is
    // still inside its window, the three before are not.
    app.set_now(utc("2026-11-26T07:30:00Z"));
    let stats = app.dispatch().await;
    assert_eq!(stats.reminders_sent, 1, "{stats:?}");
    assert_eq!(app.reminder_times(&pid).await, [utc("2026-11-26T07:00:00Z")]);
    let doses = store::doses::of_episode_between(
        &app.state.db,
        &eid,
        "2026-11-23".parse().unwrap(),
        "2026-11-26".parse().unwrap(),
    )
    .await
    .unwrap();
    let statuses: Vec<&str> = doses.iter().map(|d| d.status.as_str()).collect();
    assert_eq!(statuses, ["missed", "missed", "missed", "pending"], "every dose recorded once");
    assert_eq!(app.dispatch().await.claimed, 0, "nothing left to do at this instant");
}

#[tokio::test]
async fn two_dispatchers_at_once_send_each_reminder_once() {
    let (app, site, _, _, _) = enrolled("2026-11-22T23:30:00Z", "Europe/Paris", "2026-11-23", "imatinib", None).await;
    let mut body = app.enrolment(&site);
    for i in 0..6 {
        body["family_name"] = json!(format!("Patient{i}"));
        body["episode"]["start_date"] = json!("2026-11-23");
        app.enrol(&site, body.clone()).await;
    }
    app.dispatch().await;
    app.set_now(utc("2026-11-23T07:10:00Z"));
    let (a, b) = tokio::join!(
        relais_server::jobs::due_work::dispatch_due(&app.state, app.clock.now()),
        relais_server::jobs::due_work::dispatch_due(&app.state, app.clock.now()),
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    // 7 patients with an 08:00 dose (capecitabine's 20:00 is later): 7 reminders, each once.
    assert_eq!(a.reminders_sent + b.reminders_sent, 7, "{a:?} {b:?}");
    // (Besides the hand-over sheets sent to the community at each inclusion.)
    assert_eq!(count(&app.state, "outbox WHERE kind = 'dose_reminder'").await, 7);
    let sent: Vec<i64> = app
        .state
        .db
        .query_all_raw(sea_orm::Statement::from_string(
            app.state.db.get_database_backend(),
            "SELECT reminders_sent AS n FROM doses WHERE reminders_sent > 0".to_owned(),
        ))
        .await
        .unwrap()
        .iter()
        .map(|r| r.try_get::<i32>("", "n").unwrap().into())
        .collect();
    assert_eq!(sent, [1; 7]);
}

#[tokio::test]
async fn work_that_fails_is_rolled_back_alone_and_tried_again_a_minute_later() {
    let (app, _, pid, _, _) = enrolled("2026-11-22T23:30:00Z", "Europe/Paris", "2026-11-23", "imatinib", None).await;
    app.dispatch().await;
    // An item no job knows how to perform, due in the same batch as the 08:00 reminder.
    let t = utc("2026-11-23T07:00:00Z");
    // Written as a row by hand: producers can only schedule work some job performs.
    let mut row = store::due_work::new_row(&store::due_work::DueWork::PlanDay { episode_id: "x".into() }, t, t);
    row.kind = sea_orm::ActiveValue::Set("not_a_job".into());
    use sea_orm::EntityTrait;
    store::entities::due_work::Entity::insert(row).exec_without_returning(&app.state.db).await.unwrap();
    app.set_now(t + Duration::seconds(10));
    let stats = app.dispatch().await;
    assert_eq!(stats.reminders_sent, 1, "the reminder of the same batch went out: {stats:?}");
    let failed = store::due_work::pending_for(&app.state.db, "x").await.unwrap();
    assert_eq!(failed.len(), 1, "the failed item is still to do");
    assert_eq!(failed[0].attempts, 1);
    assert!(failed[0].last_error.as_deref().is_some_and(|e| e.contains("no job")), "{:?}", failed[0].last_error);
    assert_eq!(failed[0].lease_until, Some(t + Duration::seconds(70)), "held back for a minute");
    assert_eq!(app.dispatch().await.claimed, 0, "not tried again at once");
    app.set_now(t + Duration::seconds(71));
    assert_eq!(app.dispatch().await.claimed, 1, "tried again after a minute");
    assert_eq!(store::due_work::pending_for(&app.state.db, "x").await.unwrap()[0].attempts, 2);
    assert_eq!(dose_messages(&app, &pid).await, 1, "the reminder was not sent again");
}

#[tokio::test]
async fn ending_the_episode_stops_every_reminder() {
    let (app, site, pid, eid, _) =
        enrolled("2026-11-22T23:30:00Z", "Europe/Paris", "2026-11-23", "imatinib", None).await;
    app.dispatch().await;
    let a = app.decide(&eid, &site.idec.1, "end", Some("treatment_stopped")).await;
    assert_eq!(a.status, StatusCode::OK);
    app.run_until(utc("2026-11-26T12:00:00Z"), Duration::hours(1)).await;
    assert!(app.outbox_for(&pid).await.is_empty());
}

#[tokio::test]
async fn a_dose_change_takes_effect_on_the_next_tick() {
    let (app, site, pid, eid, _) =
        enrolled("2026-11-22T23:30:00Z", "Europe/Paris", "2026-11-23", "imatinib", None).await;
    app.dispatch().await;
    let a = app
        .post(
            &format!("/api/v1/episodes/{eid}/regimen"),
            &site.idec.1,
            json!({"regimen": [{"drug": "imatinib", "dose": "600 mg", "times": ["10:00"]}]}),
        )
        .await;
    assert_eq!((a.status, a.body["new_episode"].as_bool()), (StatusCode::OK, Some(false)), "{:?}", a.body);
    app.run_until(utc("2026-11-24T12:00:00Z"), Duration::minutes(30)).await;
    assert_eq!(app.reminder_times(&pid).await, [utc("2026-11-23T09:00:00Z"), utc("2026-11-24T09:00:00Z")]);
}

#[tokio::test]
async fn the_patient_sees_and_confirms_the_doses_of_the_day() {
    let (app, site, _, _, code) =
        enrolled("2026-11-22T23:30:00Z", "Europe/Paris", "2026-11-23", "capecitabine", Some((14, 7))).await;
    app.dispatch().await;
    let device = app.activate(&code).await;
    app.set_now(utc("2026-11-23T07:30:00Z"));
    let today = app.call(Method::GET, "/api/v1/patient/today", Some(&device), None).await;
    assert_eq!(today.status, StatusCode::OK, "{:?}", today.body);
    assert_eq!(today.body["date"], "2026-11-23");
    assert_eq!(today.body["doses"].as_array().unwrap().len(), 1);
    assert_eq!(
        today.body["cycles"][0],
        json!({"drug": "capecitabine", "drug_name": "capécitabine", "day": 1, "length": 21, "on": true, "on_days": 14, "off_days": 7})
    );
    assert_eq!(today.body["team_phone"], "+33299000000");
    let id = today.body["doses"][0]["id"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/patient/doses/{id}");
    let bad = app.post(&path, &device, json!({"status": "eaten"})).await;
    assert_eq!((bad.status, bad.field()), (StatusCode::UNPROCESSABLE_ENTITY, "status"));
    let future = app.post(&path, &device, json!({"status": "taken", "at": "2026-11-23T09:00:00Z"})).await;
    assert_eq!((future.status, future.field()), (StatusCode::UNPROCESSABLE_ENTITY, "at"));
    let ok = app.post(&path, &device, json!({"status": "taken"})).await;
    assert_eq!(
        (ok.status, ok.body["status"].as_str(), ok.body["late"].as_bool()),
        (StatusCode::OK, Some("taken"), Some(false))
    );
    assert_eq!(count(&app.state, "alerts").await, 0);
    let twice = app.post(&path, &device, json!({"status": "taken"})).await;
    assert_eq!(twice.status, StatusCode::CONFLICT);
    // A second "taken" is a possible double dose: an adherence alert to the hospital pharmacist (S1).
    let alerts = app.get("/api/v1/alerts", &site.hospital_pharmacist.1).await;
    assert_eq!(
        (alerts.body[0]["topic"].as_str(), alerts.body[0]["colour"].as_str()),
        (Some("adherence"), Some("amber"))
    );
    let other_patient_dose = app.post("/api/v1/patient/doses/unknown", &device, json!({"status": "taken"})).await;
    assert_eq!(other_patient_dose.status, StatusCode::NOT_FOUND);
}

/// Issue 19: a dose is confirmed from `reminders.confirm_early_minutes` (60) before its time,
/// not hours early (a slip of the finger), and a wrong button can be undone for
/// `reminders.undo_minutes` (10); after that the confirmation is final.
#[tokio::test]
async fn a_dose_cannot_be_confirmed_hours_early_and_a_confirmation_can_be_undone_for_ten_minutes() {
    let (app, _, _, _, code) = enrolled("2026-11-22T23:30:00Z", "Europe/Paris", "2026-11-23", "imatinib", None).await;
    app.dispatch().await;
    let device = app.activate(&code).await;
    app.set_now(utc("2026-11-23T01:00:00Z"));
    let today = app.call(Method::GET, "/api/v1/patient/today", Some(&device), None).await;
    let dose = &today.body["doses"][0];
    let due: DateTime<Utc> = dose["due_at"].as_str().unwrap().parse().unwrap();
    let from: DateTime<Utc> = dose["confirm_from"].as_str().unwrap().parse().unwrap();
    assert_eq!(due - from, Duration::minutes(60), "{dose}");
    assert!(dose.get("undo_until").is_none(), "nothing to undo yet: {dose}");
    let path = format!("/api/v1/patient/doses/{}", dose["id"].as_str().unwrap());
    let undo = format!("{path}/undo");

    app.set_now(due - Duration::hours(3));
    let early = app.post(&path, &device, json!({"status": "taken"})).await;
    assert_eq!((early.status, early.field()), (StatusCode::UNPROCESSABLE_ENTITY, "at"), "{:?}", early.body);
    let nothing = app.post(&undo, &device, json!({})).await;
    assert_eq!(nothing.status, StatusCode::CONFLICT, "nothing to undo: {:?}", nothing.body);

    app.set_now(due - Duration::minutes(30));
    let ok = app.post(&path, &device, json!({"status": "skipped"})).await;
    assert_eq!((ok.status, ok.body["status"].as_str()), (StatusCode::OK, Some("skipped")), "{:?}", ok.body);
    let until: DateTime<Utc> = ok.body["undo_until"].as_str().unwrap().parse().unwrap();
    assert_eq!(until, due - Duration::minutes(20));
    let undone = app.post(&undo, &device, json!({})).await;
    assert_eq!((undone.status, undone.body["status"].as_str()), (StatusCode::OK, Some("pending")), "{:?}", undone.body);
    assert!(undone.body.get("undo_until").is_none());
    let again = app.post(&undo, &device, json!({})).await;
    assert_eq!(again.status, StatusCode::CONFLICT);

    let taken = app.post(&path, &device, json!({"status": "taken"})).await;
    assert_eq!(taken.status, StatusCode::OK, "{:?}", taken.body);
    app.set_now(due - Duration::minutes(30) + Duration::minutes(11));
    let late = app.post(&undo, &device, json!({})).await;
    assert_eq!(late.status, StatusCode::CONFLICT, "{:?}", late.body);
    let today = app.call(Method::GET, "/api/v1/patient/today", Some(&device), None).await;
    assert_eq!(today.body["doses"][0]["status"], "taken");
    let audit: Vec<String> = <store::entities::audit_entry::Entity as sea_orm::EntityTrait>::find()
        .all(&app.state.db)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .collect();
    assert_eq!(audit.iter().filter(|a| *a == "undo").count(), 1, "{audit:?}");
}

#[tokio::test]
async fn push_devices_are_checked_and_can_be_removed() {
    let (app, _, _, _, code) = enrolled("2026-11-23T08:00:00Z", "Europe/Paris", "2026-11-23", "imatinib", None).await;
    let device = app.activate(&code).await;
    let key = "BNcRdreALRFXTkOOUHK1EtK2wtaz5Ry4YfYCA_0QTpQtUbVlUls0VJXg7A8u-Ts1XbjhazAkj7I99e8QcYP7DkM";
    let auth = "tBHItJI5svbpez7KI4CCXg";
    let post = |body: Value| app.post("/api/v1/patient/devices", &device, body);
    let internal = post(
        json!({"kind": "webpush", "endpoint": "http://169.254.169.254/latest", "keys": {"p256dh": key, "auth": auth}}),
    )
    .await;
    assert_eq!((internal.status, internal.field()), (StatusCode::UNPROCESSABLE_ENTITY, "endpoint"));
    let short_key = post(json!({"kind": "webpush", "endpoint": "https://fcm.googleapis.com/fcm/send/x", "keys": {"p256dh": "abc", "auth": auth}})).await;
    assert_eq!(short_key.field(), "keys.p256dh");
    let ok = post(json!({"kind": "webpush", "endpoint": "https://fcm.googleapis.com/fcm/send/x", "keys": {"p256dh": key, "auth": auth}})).await;
    assert_eq!(ok.status, StatusCode::CREATED, "{:?}", ok.body);
    let fcm = post(json!({"kind": "fcm", "token": "dGVzdC10b2tlbg"})).await;
    assert_eq!(fcm.status, StatusCode::CREATED);
    let id = ok.body["id"].as_str().unwrap();
    let del = app.call(Method::DELETE, &format!("/api/v1/patient/devices/{id}"), Some(&device), None).await;
    assert_eq!(del.status, StatusCode::NO_CONTENT);
    let again = app.call(Method::DELETE, &format!("/api/v1/patient/devices/{id}"), Some(&device), None).await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn missed_doses_show_in_adherence_and_alert_the_pharmacist_and_the_idec_once() {
    let (app, _, pid, _, code) = enrolled("2026-11-22T23:30:00Z", "Europe/Paris", "2026-11-23", "imatinib", None).await;
    let device = app.activate(&code).await;
    // The first six days taken, then nothing: 6 of 12 by the 4 December.
    for day in 23..=28 {
        app.run_until(utc(&format!("2026-11-{day}T07:05:00Z")), Duration::hours(1)).await;
        let today = app.call(Method::GET, "/api/v1/patient/today", Some(&device), None).await;
        let id = today.body["doses"][0]["id"].as_str().unwrap().to_owned();
        assert_eq!(
            app.post(&format!("/api/v1/patient/doses/{id}"), &device, json!({"status": "taken"})).await.status,
            StatusCode::OK
        );
    }
    // The 29th missed: 6 of 7 (85.7 %), below 90 %: the pharmacist (S1: the hospital's), not the IDEC.
    app.run_until(utc("2026-11-29T12:00:00Z"), Duration::hours(2)).await;
    let pharma = app.login("pui@a.test").await;
    assert_eq!(app.get("/api/v1/alerts", &pharma).await.body.as_array().unwrap().len(), 1);
    assert!(app.get("/api/v1/alerts", &app.login("idec@a.test").await).await.body.as_array().unwrap().is_empty());
    app.run_until(utc("2026-12-05T12:00:00Z"), Duration::hours(2)).await;
    let idec = app.login("idec@a.test").await;
    let record = app.patient(&pid, &idec).await;
    let r28 = &record["episode"]["adherence"]["last_28_days"];
    assert_eq!((r28["taken"].as_u64(), r28["scheduled"].as_u64()), (Some(6), Some(13)), "{r28}");
    assert_eq!(record["episode"]["adherence"]["last_7_days"]["taken"], 0);
    let pharma = app.login("pui@a.test").await;
    let alerts = app.get("/api/v1/alerts", &pharma).await.body;
    assert_eq!(alerts.as_array().unwrap().len(), 1, "{alerts}");
    assert_eq!((alerts[0]["topic"].as_str(), alerts[0]["colour"].as_str()), (Some("adherence"), Some("amber")));
    let reasons: Vec<&str> = alerts[0]["reasons"].as_array().unwrap().iter().map(|r| r.as_str().unwrap()).collect();
    assert!(reasons[0].contains("below 90") && reasons.last().unwrap().contains("below 80"), "{reasons:?}");
    let idec_alerts = app.get("/api/v1/alerts", &idec).await.body;
    let adherence: Vec<&Value> = idec_alerts.as_array().unwrap().iter().filter(|a| a["topic"] == "adherence").collect();
    assert_eq!(adherence.len(), 1, "below 80 %: the IDEC too");
    assert_eq!(adherence[0]["id"], alerts[0]["id"], "one alert, not one per missed dose");
}

#[tokio::test]
async fn a_stored_kind_no_job_knows_is_named_counted_and_failed_never_skipped() {
    use relais_tests::relais_server::notify::metrics::Backlog;
    use sea_orm::EntityTrait;
    let t = utc("2026-11-23T07:00:00Z");
    let app = spawn_app_at(t).await;
    let mut row = store::due_work::new_row(&store::due_work::DueWork::PlanDay { episode_id: "x".into() }, t, t);
    row.kind = sea_orm::ActiveValue::Set("plan_week".into());
    let id = match &row.id {
        sea_orm::ActiveValue::Set(id) => id.clone(),
        _ => unreachable!(),
    };
    store::entities::due_work::Entity::insert(row).exec_without_returning(&app.state.db).await.unwrap();
    let stats = app.dispatch().await;
    assert_eq!((stats.claimed, stats.unreadable), (1, 1), "{stats:?}");
    let failed = store::due_work::pending_for(&app.state.db, "x").await.unwrap();
    let error = failed[0].last_error.clone().unwrap_or_default();
    assert!(error.contains(&id) && error.contains("plan_week"), "names the row and its kind: {error}");
    let text = app.state.metrics.render(&Backlog {
        outbox: vec![],
        due_work_due: 0,
        due_work_scheduled: 0,
        due_work_failing: vec![],
    });
    assert!(text.lines().any(|l| l == "relais_unreadable_rows_total{queue=\"due_work\"} 1"), "{text}");
}
