//! Dispensations and renewals (issue 18, docs/domain.md "Dispensations"): the run-out date of
//! what the pharmacy handed over, the refill reminder pushed 3 days before it at 10:00 patient
//! time (and not when a later dispensation renewed it), the cross-check of the units dispensed
//! against the doses confirmed taken, bad input refused naming the field, other teams kept out.

use chrono::{DateTime, Utc};
use relais_tests::relais_server::store;
use relais_tests::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

fn path(eid: &str) -> String {
    format!("/api/v1/episodes/{eid}/dispensations")
}

fn utc(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().into()
}

/// Capecitabine every day (no cycle) at 08:00 and 20:00, 1500 mg: the dose does not say how
/// many units a day, so the pharmacist gives it.
fn continuous(app: &TestApp, site: &Site) -> Value {
    let mut body = app.enrolment(site);
    body["episode"]["regimen"] = json!([{"drug": "capecitabine", "dose": "1500 mg", "times": ["08:00", "20:00"]}]);
    body
}

/// The refill reminders queued for a patient (push messages of kind `message`).
async fn refills(app: &TestApp, pid: &str) -> Vec<Value> {
    app.outbox_for(pid)
        .await
        .into_iter()
        .filter(|(k, p)| k == "message" && p["body"].as_str().unwrap_or("").contains("renouveler"))
        .map(|(_, p)| p)
        .collect()
}

#[tokio::test]
async fn fifty_six_tablets_at_two_a_day_run_out_after_28_days_and_the_reminder_comes_3_days_before() {
    let app = spawn_app_at(morning("2026-11-02")).await;
    let site = app.seed_site().await;
    let (pid, eid, _) = app.enrol(&site, continuous(&app, &site)).await;
    let pharmacist = &site.community_pharmacist.1;
    // "1500 mg" does not say how many tablets a day: the pharmacist must.
    let a = app
        .post(&path(&eid), pharmacist, json!({"drug": "capecitabine", "dispensed_on": "2026-11-02", "units": 56}))
        .await;
    assert_eq!((a.status, a.field()), (StatusCode::UNPROCESSABLE_ENTITY, "units_per_day"), "{:?}", a.body);
    let a = app
        .post(
            &path(&eid),
            pharmacist,
            json!({"drug": "capecitabine", "dispensed_on": "2026-11-02", "units": 56, "units_per_day": 2,
                   "prescription_end": "2027-01-31"}),
        )
        .await;
    assert_eq!(a.status, StatusCode::CREATED, "{:?}", a.body);
    assert_eq!(a.body["run_out_date"], "2026-11-30", "28 days covered: {}", a.body);
    assert_eq!(a.body["reminder_date"], "2026-11-27");
    assert_eq!(a.body["drug_name"], "capécitabine");
    assert_eq!((a.body["overdue"].as_bool(), a.body["renewed"].as_bool()), (Some(false), Some(false)));
    let id = a.body["id"].as_str().unwrap().to_owned();
    let work = store::due_work::pending_for(&app.state.db, &id).await.unwrap();
    assert_eq!(work.len(), 1);
    assert_eq!((work[0].kind.as_str(), work[0].due_at), ("refill_reminder", utc("2026-11-27T09:00:00Z")));

    // The day before, and on the day a minute before 10:00 Paris (09:00 UTC): nothing.
    for at in ["2026-11-26T09:00:00Z", "2026-11-27T08:59:00Z"] {
        app.set_now(utc(at));
        app.dispatch().await;
        assert!(refills(&app, &pid).await.is_empty(), "nothing queued at {at}");
    }
    app.set_now(utc("2026-11-27T09:00:00Z"));
    app.dispatch().await;
    let queued = refills(&app, &pid).await;
    assert_eq!(queued.len(), 1, "{queued:?}");
    assert_eq!(
        queued[0]["body"],
        "Votre traitement capécitabine se termine le 30/11 : pensez à le renouveler à la pharmacie."
    );
    assert_eq!((queued[0]["type"].as_str(), queued[0]["id"].as_str()), (Some("message"), Some(id.as_str())));
    // Run again: the same reminder is not queued twice.
    app.dispatch().await;
    assert_eq!(refills(&app, &pid).await.len(), 1);

    // On the run-out date with no renewal: overdue.
    app.set_now(morning("2026-11-30"));
    let list = app.get(&path(&eid), &app.login("idec@a.test").await).await;
    assert_eq!(list.status, StatusCode::OK, "{:?}", list.body);
    assert_eq!(list.body["dispensations"][0]["overdue"], true, "{}", list.body);
    assert_eq!(list.body["drugs"][0]["overdue"], true);
    assert_eq!(list.body["drugs"][0]["units_dispensed"], 56);
}

#[tokio::test]
async fn a_later_dispensation_renews_the_first_and_its_reminder_does_nothing() {
    let app = spawn_app_at(morning("2026-11-02")).await;
    let site = app.seed_site().await;
    let (pid, eid, _) = app.enrol(&site, continuous(&app, &site)).await;
    let body = |on: &str| json!({"drug": "capecitabine", "dispensed_on": on, "units": 56, "units_per_day": 2});
    let a = app.post(&path(&eid), &site.community_pharmacist.1, body("2026-11-02")).await;
    assert_eq!(a.status, StatusCode::CREATED, "{:?}", a.body);
    // Renewed on Nov 20 (by the hospital pharmacist this time): runs out on Dec 18.
    app.set_now(morning("2026-11-20"));
    let b = app.post(&path(&eid), &app.login("pui@a.test").await, body("2026-11-20")).await;
    assert_eq!(b.status, StatusCode::CREATED, "{:?}", b.body);
    assert_eq!(
        (b.body["run_out_date"].as_str(), b.body["reminder_date"].as_str()),
        (Some("2026-12-18"), Some("2026-12-15"))
    );
    // The first one's reminder comes due and does nothing.
    app.set_now(utc("2026-11-27T09:00:00Z"));
    app.dispatch().await;
    assert!(refills(&app, &pid).await.is_empty());
    assert!(store::due_work::pending_for(&app.state.db, a.body["id"].as_str().unwrap()).await.unwrap().is_empty());
    let list = app.get(&path(&eid), &app.login("officine@a.test").await).await;
    let first = &list.body["dispensations"][0];
    assert_eq!((first["renewed"].as_bool(), first["overdue"].as_bool()), (Some(true), Some(false)), "{}", list.body);
    assert_eq!(list.body["drugs"][0]["units_dispensed"], 112);
    assert_eq!(list.body["drugs"][0]["run_out_date"], "2026-12-18");
    // The second one's reminder comes on its day (10:00 Paris).
    app.set_now(utc("2026-12-15T09:00:00Z"));
    app.dispatch().await;
    let queued = refills(&app, &pid).await;
    assert_eq!(queued.len(), 1, "{queued:?}");
    assert!(queued[0]["body"].as_str().unwrap().contains("18/12"), "{queued:?}");
}

#[tokio::test]
async fn confirmed_doses_beyond_the_units_dispensed_make_a_mismatch() {
    let app = spawn_app_at(morning("2026-11-02")).await;
    let site = app.seed_site().await;
    let (_, eid, code) = app.enrol(&site, continuous(&app, &site)).await;
    let device = app.activate(&code).await;
    // 4 tablets at 2 a day: one a dose.
    let a = app
        .post(
            &path(&eid),
            &site.idec.1,
            json!({"drug": "capecitabine", "dispensed_on": "2026-11-02", "units": 4, "units_per_day": 2}),
        )
        .await;
    assert_eq!(a.status, StatusCode::CREATED, "{:?}", a.body);
    let mut confirmed = 0;
    'days: for day in ["2026-11-02", "2026-11-03", "2026-11-04", "2026-11-05"] {
        app.set_now(utc(&format!("{day}T19:30:00Z")));
        app.dispatch().await;
        let idec = app.login("idec@a.test").await;
        let from = "2026-11-01".parse().unwrap();
        let doses = store::doses::of_episode_between(&app.state.db, &eid, from, day.parse().unwrap()).await.unwrap();
        for d in
            doses.iter().filter(|d| matches!(d.status.as_str(), "pending" | "missed") && d.due_at <= app.clock.now())
        {
            let r = app.post(&format!("/api/v1/patient/doses/{}", d.id), &device, json!({"status": "taken"})).await;
            assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
            confirmed += 1;
            let drugs = app.get(&path(&eid), &idec).await.body["drugs"][0].clone();
            assert_eq!(drugs["units_confirmed"], confirmed, "{drugs}");
            assert_eq!(drugs["mismatch"], confirmed > 4, "{drugs}");
            if confirmed == 5 {
                break 'days;
            }
        }
    }
    assert_eq!(confirmed, 5);
}

#[tokio::test]
async fn bad_input_is_refused_naming_the_field_and_other_teams_are_kept_out() {
    let app = spawn_app_at(morning("2026-11-02")).await;
    let site = app.seed_site().await;
    let (_, eid, _) = app.enrol(&site, continuous(&app, &site)).await;
    let ok = json!({"drug": "capecitabine", "dispensed_on": "2026-11-02", "units": 56, "units_per_day": 2});
    let with = |k: &str, v: Value| {
        let mut b = ok.clone();
        b[k] = v;
        b
    };
    for (body, field) in [
        (with("units", json!(0)), "units"),
        (with("units", json!(-3)), "units"),
        (with("drug", json!("imatinib")), "drug"),
        (with("dispensed_on", json!("2026-11-03")), "dispensed_on"),
        (with("dispensed_on", json!("02/11/2026")), "dispensed_on"),
        (with("units_per_day", json!(0)), "units_per_day"),
        (with("prescription_end", json!("2026-11-01")), "prescription_end"),
    ] {
        let a = app.post(&path(&eid), &site.community_pharmacist.1, body.clone()).await;
        assert_eq!((a.status, a.field()), (StatusCode::UNPROCESSABLE_ENTITY, field), "{body}: {:?}", a.body);
    }
    // Another team's pharmacist, and another establishment's IDEC: not found.
    for token in [&site.other_community_pharmacist.1, &site.other_idec.1] {
        assert_eq!(app.post(&path(&eid), token, ok.clone()).await.status, StatusCode::NOT_FOUND);
        assert_eq!(app.get(&path(&eid), token).await.status, StatusCode::NOT_FOUND);
    }
    // The team's GP sees the patient but does not dispense.
    assert_eq!(app.post(&path(&eid), &site.gp.1, ok.clone()).await.status, StatusCode::FORBIDDEN);
    assert_eq!(app.get(&path(&eid), &site.gp.1).await.status, StatusCode::OK);
    // Nothing was written.
    assert_eq!(count(&app.state, "dispensations").await, 0);
    assert_eq!(count(&app.state, "due_work WHERE kind = 'refill_reminder'").await, 0);
    let list = app.get(&path(&eid), &site.idec.1).await;
    assert_eq!(list.body, json!({"episode_id": eid, "dispensations": [], "drugs": []}));
}

/// A browser signed in through the login form (the staff pages, by session cookie).
async fn browser(app: &TestApp, email: &str) -> reqwest::Client {
    staff_session(&app.addr, email, PASSWORD).await.0
}

/// The pharmacy worklist of a signed-in pharmacist.
async fn pharmacy_page(app: &TestApp, email: &str) -> String {
    let (status, body) = page(app, &browser(app, email).await, "/staff/pharmacy").await;
    assert_eq!(status, StatusCode::OK);
    body
}

#[tokio::test]
async fn the_pharmacy_worklist_flags_an_overdue_renewal_and_a_prescription_ending_before_the_decision() {
    let app = spawn_app_at(morning("2026-11-02")).await;
    let site = app.seed_site().await;
    let (_, eid, _) = app.enrol(&site, continuous(&app, &site)).await;
    // Nothing dispensed yet: the pharmacy that dispenses (parcours A) is asked to record it;
    // the hospital pharmacist, who does not dispense here, is not.
    let first = "Première dispensation à enregistrer (traitement débuté le 2 nov. 2026)";
    assert!(pharmacy_page(&app, "officine@a.test").await.contains(first));
    assert!(!pharmacy_page(&app, "pui@a.test").await.contains("Première dispensation"));
    let a = app
        .post(
            &path(&eid),
            &site.community_pharmacist.1,
            json!({"drug": "capecitabine", "dispensed_on": "2026-11-02", "units": 56, "units_per_day": 2,
                   "prescription_end": "2026-11-20"}),
        )
        .await;
    assert_eq!(a.status, StatusCode::CREATED, "{:?}", a.body);
    let decision = store::episodes::active_sequence(&app.state.db, &eid).await.unwrap().unwrap().planned_end_date;
    assert!(decision > "2026-11-20".parse().unwrap());
    app.set_now(morning("2026-11-10"));
    let page = pharmacy_page(&app, "officine@a.test").await;
    assert!(page.contains("MARTIN Claire") && page.contains("Ordonnance de capécitabine"), "{page}");
    assert!(
        page.contains("20 nov. 2026") && page.contains(&relais_server::domain::calendar::day_fr(decision)),
        "{page}"
    );
    assert!(!page.contains("Renouvellement en retard") && !page.contains("Première dispensation"), "{page}");
    // Not renewed by the run-out date: flagged.
    app.set_now(morning("2026-11-30"));
    let page = pharmacy_page(&app, "officine@a.test").await;
    assert!(page.contains("Renouvellement en retard : capécitabine épuisé depuis le 30 nov. 2026"), "{page}");
    // Another pharmacy sees nothing of it.
    assert!(!pharmacy_page(&app, "officine@b.test").await.contains("MARTIN"));
}

#[tokio::test]
async fn the_patient_page_records_a_dispensation_through_its_form() {
    let app = spawn_app_at(morning("2026-11-02")).await;
    let site = app.seed_site().await;
    let (pid, eid, _) = app.enrol(&site, continuous(&app, &site)).await;
    let http = browser(&app, "officine@a.test").await;
    let (status, body) = page(&app, &http, &format!("/staff/patients/{pid}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("id=\"dispensation-form\"") && body.contains("Aucune dispensation"), "{body}");
    let csrf = csrf_of(&body);
    let post = async |units: &str| {
        http.post(format!("{}/staff/patients/{pid}/dispensations", app.addr))
            .form(&[
                ("csrf", csrf.as_str()),
                ("drug", "capecitabine"),
                ("dispensed_on", "2026-11-02"),
                ("units", units),
                ("units_per_day", "2"),
                ("prescription_end", ""),
            ])
            .send()
            .await
            .unwrap()
    };
    // Refused naming the field, in French; nothing written.
    let r = post("0").await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("Dispensation refusée (unités délivrées)"));
    assert_eq!(count(&app.state, "dispensations").await, 0);
    let r = post("56").await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, body) = page(&app, &http, &format!("/staff/patients/{pid}?done=dispensation")).await;
    assert!(body.contains("Dispensation enregistrée") && body.contains("30 nov. 2026"), "{body}");
    let list = app.get(&path(&eid), &site.idec.1).await;
    assert_eq!(list.body["dispensations"][0]["run_out_date"], "2026-11-30");
    // The GP sees the page, without the form.
    let (_, body) = page(&app, &browser(&app, "gp@a.test").await, &format!("/staff/patients/{pid}")).await;
    assert!(body.contains("30 nov. 2026") && !body.contains("id=\"dispensation-form\""), "{body}");
}
