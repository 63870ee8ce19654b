//! The care team changes with an effective date ("passage de relais", issue 18): access, alert
//! routing and the forfait lines follow the team of each day, the history is kept, a GP named
//! late collects the GP shares that waited for one, an IDEL sees their patients and nothing
//! else, and bad changes are refused naming the field.

use chrono::{Duration, NaiveDate};
use relais_tests::relais_server::domain::access::Role;
use relais_tests::relais_server::jobs::billing as job;
use relais_tests::relais_server::store;
use relais_tests::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

/// The clock at 08:00 UTC on `day`, transitions applied.
async fn on(app: &TestApp, day: NaiveDate) {
    app.set_now(morning(&day.to_string()));
    app.tick().await;
}

fn team_path(eid: &str) -> String {
    format!("/api/v1/episodes/{eid}/team")
}

/// The pharmacy-share line of a sequence kind (the last one written, credits aside).
fn pharmacy_line<'a>(lines: &'a Value, eid: &str, seq: &str) -> &'a Value {
    lines
        .as_array()
        .unwrap()
        .iter()
        .rev()
        .find(|l| l["episode_id"] == eid && l["actor"] == "pharmacy" && l["sequence"] == seq && l["state"] == "due")
        .unwrap_or_else(|| panic!("no due pharmacy line for {seq}: {lines}"))
}

fn periods<'a>(team: &'a Value, role: &str) -> Vec<(&'a str, &'a Value, &'a Value)> {
    team["history"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["role"] == role)
        .map(|p| (p["id"].as_str().unwrap(), &p["from"], &p["to"]))
        .collect()
}

#[tokio::test]
async fn a_pharmacy_change_moves_access_routing_and_forfait_lines_exactly_at_its_date() {
    let start: NaiveDate = "2026-11-02".parse().unwrap();
    let app = spawn_app_at(morning("2026-11-02")).await;
    let site = app.seed_site().await;
    let (pid, eid, _) = app.enrol(&site, app.enrolment(&site)).await;
    let (ph_a, ph_b) = (site.pharmacy.clone(), site.other_pharmacy.clone());
    let s1 = store::episodes::active_sequence(&app.state.db, &eid).await.unwrap().unwrap();
    // D: the first day of S2, recorded in advance (a future effective date).
    let d = s1.planned_end_date;
    let a = app
        .post(&team_path(&eid), &site.idec.1, json!({"effective_date": d.to_string(), "community_pharmacy": ph_b}))
        .await;
    assert_eq!(a.status, StatusCode::OK, "{:?}", a.body);
    let pharmacy_of = |v: &Value| {
        v["members"].as_array().unwrap().iter().find(|m| m["role"] == "community_pharmacy").map(|m| m["id"].clone())
    };
    assert_eq!(pharmacy_of(&a.body["current"]), Some(json!(ph_a)), "still A today: {}", a.body);
    assert_eq!(pharmacy_of(&a.body["upcoming"]), Some(json!(ph_b)));
    assert_eq!(a.body["upcoming"]["from"], d.to_string());

    // The day before D: pharmacy A sees the patient, B does not.
    on(&app, d - Duration::days(1)).await;
    let (off_a, off_b) = (app.login("officine@a.test").await, app.login("officine@b.test").await);
    assert_eq!(app.get(&format!("/api/v1/patients/{pid}"), &off_a).await.status, StatusCode::OK);
    assert_eq!(app.get(&format!("/api/v1/patients/{pid}"), &off_b).await.status, StatusCode::NOT_FOUND);

    // On D: B does, A gets 404 (its list is empty too).
    on(&app, d).await;
    let (off_a, off_b) = (app.login("officine@a.test").await, app.login("officine@b.test").await);
    assert_eq!(app.get(&format!("/api/v1/patients/{pid}"), &off_a).await.status, StatusCode::NOT_FOUND);
    assert_eq!(app.get(&format!("/api/v1/patients/{pid}"), &off_b).await.status, StatusCode::OK);
    assert_eq!(app.get("/api/v1/patients", &off_a).await.body, json!([]));
    let s2 = store::episodes::active_sequence(&app.state.db, &eid).await.unwrap().unwrap();
    assert_eq!((s2.kind.as_str(), s2.start_date), ("S2", d), "S2 starts on D");

    // Forfaits: S1 (started before D) to pharmacy A, S2 (started on D) to pharmacy B.
    job::sync(&app.state, app.clock.now()).await.unwrap();
    let admin = app.login("admin@a.test").await;
    let lines = app.get("/api/v1/billing/lines", &admin).await.body;
    assert_eq!(pharmacy_line(&lines, &eid, "S1")["actor_identifier"], "350001019", "{lines}");
    assert_eq!(pharmacy_line(&lines, &eid, "S1")["service_date"], start.to_string());
    assert_eq!(pharmacy_line(&lines, &eid, "S2")["actor_identifier"], "350001027", "{lines}");

    // Routing: back to A from D+7 (recorded on D+1). On D+6 an interaction (S2, parcours A:
    // the community pharmacist) goes to B; on D+7 the next one goes to A.
    on(&app, d + Duration::days(1)).await;
    let idec = app.login("idec@a.test").await;
    let e2 = d + Duration::days(7);
    let a =
        app.post(&team_path(&eid), &idec, json!({"effective_date": e2.to_string(), "community_pharmacy": ph_a})).await;
    assert_eq!(a.status, StatusCode::OK, "{:?}", a.body);
    on(&app, e2 - Duration::days(1)).await;
    let (idec, off_a, off_b) =
        (app.login("idec@a.test").await, app.login("officine@a.test").await, app.login("officine@b.test").await);
    let a = app.post(&format!("/api/v1/episodes/{eid}/comedications"), &idec, json!({"name": "Warfarine"})).await;
    assert!(a.body["alert_id"].is_string(), "{:?}", a.body);
    let first = a.body["alert_id"].as_str().unwrap().to_owned();
    let open = |t: String| {
        let app = &app;
        async move { app.get("/api/v1/alerts?status=open", &t).await.body.as_array().unwrap().clone() }
    };
    let to_b = open(off_b.clone()).await;
    assert_eq!(to_b.iter().map(|a| a["id"].clone()).collect::<Vec<_>>(), [json!(first)]);
    assert!(open(off_a.clone()).await.is_empty());
    let r = app.post(&format!("/api/v1/alerts/{first}/resolve"), &off_b, json!({"note": "INR contrôlé"})).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);

    on(&app, e2).await;
    let (idec, off_a, off_b) =
        (app.login("idec@a.test").await, app.login("officine@a.test").await, app.login("officine@b.test").await);
    let a = app.post(&format!("/api/v1/episodes/{eid}/comedications"), &idec, json!({"name": "fluindione"})).await;
    let second = a.body["alert_id"].as_str().unwrap_or_else(|| panic!("{:?}", a.body)).to_owned();
    assert_ne!(second, first);
    let to_a = open(off_a.clone()).await;
    assert_eq!(to_a.iter().map(|a| a["id"].clone()).collect::<Vec<_>>(), [json!(second)]);
    assert!(open(off_b.clone()).await.is_empty());
    assert_eq!(app.get(&format!("/api/v1/alerts/{first}"), &off_b).await.status, StatusCode::NOT_FOUND);

    // History: A until D, B from D to D+7, A again; the IDEC unchanged since inclusion.
    let team = app.get(&team_path(&eid), &idec).await;
    assert_eq!(team.status, StatusCode::OK, "{:?}", team.body);
    let want = [
        (ph_a.as_str(), json!(start.to_string()), json!(d.to_string())),
        (ph_b.as_str(), json!(d.to_string()), json!(e2.to_string())),
        (ph_a.as_str(), json!(e2.to_string()), Value::Null),
    ];
    let got: Vec<(&str, Value, Value)> =
        periods(&team.body, "community_pharmacy").into_iter().map(|(i, f, t)| (i, f.clone(), t.clone())).collect();
    assert_eq!(got, want, "{}", team.body);
    assert_eq!(periods(&team.body, "idec").len(), 1);
    assert_eq!(team.body["upcoming"], Value::Null);
    // Audited: one line per change.
    let trail = app.get(&format!("/api/v1/patients/{pid}/audit"), &idec).await;
    let changes = trail.body.to_string().matches("change_team").count();
    assert_eq!(changes, 2, "{}", trail.body);
}

#[tokio::test]
async fn a_gp_named_late_collects_the_gp_shares_that_waited_for_one() {
    let app = spawn_app_at(morning("2026-11-02")).await;
    let site = app.seed_site().await;
    let mut body = app.enrolment(&site);
    body["episode"]["team"]["gp"] = Value::Null;
    let (pid, eid, _) = app.enrol(&site, body).await;
    job::sync(&app.state, app.clock.now()).await.unwrap();
    let admin = &site.admin.1;
    let gp_line = |lines: &Value| {
        lines
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["episode_id"] == eid && l["actor"] == "gp" && l["state"] == "due")
            .cloned()
            .unwrap_or_else(|| panic!("no due GP line: {lines}"))
    };
    let waiting = gp_line(&app.get("/api/v1/billing/lines", admin).await.body);
    assert_eq!(waiting["actor_identifier"], Value::Null, "no GP yet: {waiting}");
    assert_eq!(app.get(&format!("/api/v1/patients/{pid}"), &site.gp.1).await.status, StatusCode::NOT_FOUND);

    // Named on 6 November, effective that day.
    app.set_now(morning("2026-11-06"));
    let (idec, admin, gp) =
        (app.login("idec@a.test").await, app.login("admin@a.test").await, app.login("gp@a.test").await);
    let a = app.post(&team_path(&eid), &idec, json!({"effective_date": "2026-11-06", "gp": site.gp.0})).await;
    assert_eq!(a.status, StatusCode::OK, "{:?}", a.body);
    let named = gp_line(&app.get("/api/v1/billing/lines", &admin).await.body);
    assert_eq!(named["actor_identifier"], "10000000005", "the waiting share goes to the GP named: {named}");
    assert_eq!(app.get(&format!("/api/v1/patients/{pid}"), &gp).await.status, StatusCode::OK);

    // The November statement now carries all three shares of S1 (35 700 cents, parcours A).
    app.set_now(morning("2026-12-01"));
    let closed =
        job::close_month(&app.state, relais_tests::relais_server::domain::billing::Month::parse("2026-11").unwrap())
            .await
            .unwrap();
    assert_eq!(closed.total_cents, 35700);
}

#[tokio::test]
async fn an_idel_on_the_team_sees_the_patient_and_nothing_else() {
    let app = spawn_app().await;
    let site = app.seed_site().await;
    let idel_id = app.add_professional("idel@a.test", Role::CommunityNurse, "10000000099", None, None).await;
    let idel = app.login("idel@a.test").await;
    let (pid, eid, _) = app.enrol(&site, app.enrolment(&site)).await;
    let (other_pid, _, _) = app.enrol(&site, app.enrolment(&site)).await;
    assert_eq!(app.get("/api/v1/patients", &idel).await.body, json!([]));
    assert_eq!(app.get(&format!("/api/v1/patients/{pid}"), &idel).await.status, StatusCode::NOT_FOUND);

    let today = app.clock.now().date_naive().to_string();
    let a =
        app.post(&team_path(&eid), &site.idec.1, json!({"effective_date": today, "community_nurse": idel_id})).await;
    assert_eq!(a.status, StatusCode::OK, "{:?}", a.body);
    let listed = app.get("/api/v1/patients", &idel).await.body;
    let ids: Vec<&str> = listed.as_array().unwrap().iter().filter_map(|p| p["id"].as_str()).collect();
    assert_eq!(ids, [pid.as_str()], "{listed}");
    assert_eq!(app.get(&format!("/api/v1/patients/{pid}"), &idel).await.status, StatusCode::OK);
    assert_eq!(app.get(&team_path(&eid), &idel).await.status, StatusCode::OK);
    // Nothing else: another patient, enrolment, the team, decisions, billing, indicators.
    assert_eq!(app.get(&format!("/api/v1/patients/{other_pid}"), &idel).await.status, StatusCode::NOT_FOUND);
    assert_eq!(app.post("/api/v1/patients", &idel, app.enrolment(&site)).await.status, StatusCode::FORBIDDEN);
    let change = json!({"effective_date": today, "community_nurse": null});
    assert_eq!(app.post(&team_path(&eid), &idel, change).await.status, StatusCode::FORBIDDEN);
    assert_eq!(app.decide(&eid, &idel, "advance", None).await.status, StatusCode::FORBIDDEN);
    assert_eq!(app.get("/api/v1/billing/lines", &idel).await.status, StatusCode::FORBIDDEN);
    assert_eq!(app.get("/api/v1/alerts?status=open", &idel).await.body, json!([]));

    // An IDEL may also be named at inclusion; a GP may not stand in for one.
    let mut body = app.enrolment(&site);
    body["episode"]["team"]["community_nurse"] = json!(idel_id);
    app.enrol(&site, body.clone()).await;
    body["episode"]["team"]["community_nurse"] = json!(site.gp.0);
    let a = app.post("/api/v1/patients", &site.idec.1, body).await;
    assert_eq!(
        (a.status, a.field()),
        (StatusCode::UNPROCESSABLE_ENTITY, "episode.team.community_nurse"),
        "{:?}",
        a.body
    );
}

#[tokio::test]
async fn bad_team_changes_are_refused_naming_the_field() {
    let app = spawn_app().await;
    let site = app.seed_site().await;
    let (_, eid, _) = app.enrol(&site, app.enrolment(&site)).await;
    let today = app.clock.now().date_naive();
    let idec = &site.idec.1;
    let refused = [
        (json!({"effective_date": "2026-13-01", "gp": site.other_gp.0}), "effective_date"),
        (json!({"effective_date": (today - Duration::days(8)).to_string(), "gp": site.other_gp.0}), "effective_date"),
        (json!({"effective_date": (today + Duration::days(400)).to_string(), "gp": site.other_gp.0}), "effective_date"),
        (json!({"effective_date": today.to_string(), "gp": site.idec.0}), "gp"),
        (json!({"effective_date": today.to_string(), "gp": "no-such-id"}), "gp"),
        (json!({"effective_date": today.to_string(), "community_pharmacy": "no-such-id"}), "community_pharmacy"),
        (json!({"effective_date": today.to_string(), "community_pharmacy": null}), "community_pharmacy"),
        (json!({"effective_date": today.to_string(), "community_nurse": site.gp.0}), "community_nurse"),
        (json!({"effective_date": today.to_string(), "idec": null}), "idec"),
        (json!({"effective_date": today.to_string(), "idec": site.other_idec.0}), "idec"),
        (json!({"effective_date": today.to_string(), "oncologist": site.gp.0}), "oncologist"),
    ];
    for (body, field) in refused {
        let a = app.post(&team_path(&eid), idec, body.clone()).await;
        assert_eq!((a.status, a.field()), (StatusCode::UNPROCESSABLE_ENTITY, field), "{body}: {:?}", a.body);
    }
    // Who: the pharmacist who sees the patient 403, another establishment or GP 404, the
    // establishment's admin may.
    let change = json!({"effective_date": today.to_string(), "gp": site.other_gp.0});
    assert_eq!(
        app.post(&team_path(&eid), &site.community_pharmacist.1, change.clone()).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(app.post(&team_path(&eid), &site.other_idec.1, change.clone()).await.status, StatusCode::NOT_FOUND);
    assert_eq!(app.post(&team_path(&eid), &site.other_gp.1, change.clone()).await.status, StatusCode::NOT_FOUND);
    assert_eq!(app.post(&team_path("no-such-episode"), idec, change.clone()).await.status, StatusCode::NOT_FOUND);
    // Not before the episode began (up to 7 days back is for episodes that had begun).
    let back = json!({"effective_date": (today - Duration::days(7)).to_string(), "gp": site.other_gp.0});
    let a = app.post(&team_path(&eid), &site.admin.1, back).await;
    assert_eq!((a.status, a.field()), (StatusCode::UNPROCESSABLE_ENTITY, "effective_date"), "{:?}", a.body);
    let a = app.post(&team_path(&eid), &site.admin.1, change).await;
    assert_eq!(a.status, StatusCode::OK, "{:?}", a.body);
    assert_eq!(
        periods(&a.body, "gp").iter().map(|p| p.0).collect::<Vec<_>>(),
        [site.other_gp.0.as_str()],
        "the same day: replaced, one period"
    );
}

#[tokio::test]
async fn an_idel_on_the_team_is_informed_where_the_gp_is() {
    let app = spawn_app().await;
    let site = app.seed_site().await;
    let idel_id = app.add_professional("idel@a.test", Role::CommunityNurse, "10000000099", None, None).await;
    let mut body = app.enrolment(&site);
    body["episode"]["team"]["community_nurse"] = json!(idel_id);
    let (_, eid, code) = app.enrol(&site, body).await;
    let device = app.activate(&code).await;
    // Into S3 (S1, then S2 with an `advance` decision); an amber diarrhoea there goes to the
    // community pharmacist, the GP and the IDEL are informed (config/triage.toml).
    app.set_now(morning("2026-12-23"));
    app.tick().await;
    assert_eq!(app.decide(&eid, &app.login("idec@a.test").await, "advance", None).await.status, StatusCode::OK);
    app.set_now(morning("2027-03-23"));
    app.tick().await;
    let r = app.report(&device, json!({"diarrhea.frequency": 3, "temperature_c": 37.0})).await;
    assert_eq!(r.body["colour"], "amber", "{:?}", r.body);
    let info = |rows: &[(String, Value)]| rows.iter().filter(|(k, _)| k == "alert_info").count();
    assert_eq!(info(&app.outbox_for(&site.gp.0).await), 1);
    let to_idel = app.outbox_for(&idel_id).await;
    assert_eq!(info(&to_idel), 1, "{to_idel:?}");
    let idel = app.login("idel@a.test").await;
    assert_eq!(
        app.get("/api/v1/alerts?status=open", &idel).await.body,
        json!([]),
        "informed, not asked to acknowledge"
    );
}
