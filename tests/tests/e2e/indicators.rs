//! Evaluation indicators: a small seeded cohort run day by day through the real jobs,
//! whose indicators must match the figures counted by hand below; the emergency-visit
//! declaration; bad input and scope.

use std::collections::HashSet;

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use relais_tests::*;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

fn utc(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

fn at(day: NaiveDate, h: u32, m: u32) -> DateTime<Utc> {
    Utc.from_utc_datetime(&day.and_hms_opt(h, 0, 0).unwrap()) + Duration::minutes(i64::from(m))
}

/// An enrolment body: `drug` at `times` every day, from `start`, with the team of `site`.
fn body(app: &TestApp, site: &Site, name: &str, start: &str, parcours: &str, drug: &str, times: &[&str]) -> Value {
    let mut b = app.enrolment(site);
    b["family_name"] = json!(name);
    b["episode"]["start_date"] = json!(start);
    b["episode"]["parcours"] = json!(parcours);
    b["episode"]["regimen"] = json!([{"drug": drug, "dose": "1 cp", "times": times}]);
    b
}

/// The same body with the team of the site's second establishment.
fn elsewhere(mut b: Value, site: &Site) -> Value {
    b["episode"]["team"] = json!({"idec": site.other_idec.0, "oncologist": site.other_oncologist.0,
        "hospital_pharmacist": null, "community_pharmacy": site.other_pharmacy, "gp": site.other_gp.0});
    b
}

/// Staff sessions that outlive the days these tests move the clock through.
const LONG_SESSIONS: &[(&str, &str)] = &[("RELAIS__SECURITY__SESSION_TTL_HOURS", "720")];

const GREEN: fn() -> Value = || json!({"diarrhea.frequency": 0, "temperature_c": 36.8, "chest_pain": false});
const RED_GRADE_3: fn() -> Value =
    || json!({"vomiting.frequency": 2, "vomiting.severity": 1, "vomiting_episodes_24h": 6, "chest_pain": false});
const AMBER: fn() -> Value = || json!({"diarrhea.frequency": 3, "temperature_c": 37.0});

/// A patient's phone in the day-by-day run.
struct Phone {
    device: String,
    /// Counted in the first establishment's questionnaire figures.
    in_a: bool,
    /// Due instants of doses this patient does not confirm.
    skip: Vec<DateTime<Utc>>,
    /// Leave the first questionnaire unanswered.
    skip_first_questionnaire: bool,
    left_unanswered: Option<String>,
}

#[derive(Default)]
struct Tally {
    seen: HashSet<String>,
    answered: HashSet<String>,
}

/// One pass at the clock's instant: the jobs run, then every phone confirms its pending doses
/// already due (except the ones it skips) and answers its pending questionnaires.
async fn pass(app: &TestApp, phones: &mut [Phone], tally: &mut Tally) {
    app.dispatch().await;
    app.tick().await;
    let now = app.clock.now();
    for p in phones.iter_mut() {
        let today = app.call(Method::GET, "/api/v1/patient/today", Some(&p.device), None).await;
        assert_eq!(today.status, StatusCode::OK, "{:?}", today.body);
        for d in today.body["doses"].as_array().unwrap() {
            let due = utc(d["due_at"].as_str().unwrap());
            if d["status"] == "pending" && due <= now && !p.skip.contains(&due) {
                let id = d["id"].as_str().unwrap();
                let r = app.post(&format!("/api/v1/patient/doses/{id}"), &p.device, json!({"status": "taken"})).await;
                assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
            }
        }
        let pending = app.call(Method::GET, "/api/v1/patient/questionnaires/pending", Some(&p.device), None).await;
        for q in pending.body.as_array().unwrap() {
            let id = q["id"].as_str().unwrap().to_owned();
            if p.in_a {
                tally.seen.insert(id.clone());
            }
            if p.skip_first_questionnaire && p.left_unanswered.is_none() {
                p.left_unanswered = Some(id.clone());
            }
            if p.left_unanswered.as_ref() == Some(&id) {
                continue;
            }
            let r = app
                .post(
                    "/api/v1/patient/reports",
                    &p.device,
                    json!({"client_id": uuid::Uuid::new_v4().to_string(), "questionnaire_id": id, "answers": GREEN()}),
                )
                .await;
            assert_eq!((r.status, r.body["colour"].as_str()), (StatusCode::CREATED, Some("green")), "{:?}", r.body);
            if p.in_a {
                tally.answered.insert(id);
            }
        }
    }
}

/// The open alert of a patient in the IDEC's worklist.
async fn open_alert(app: &TestApp, token: &str, patient_id: &str) -> String {
    let a = app.get("/api/v1/alerts?status=open", token).await;
    assert_eq!(a.status, StatusCode::OK, "{:?}", a.body);
    let found = a.body.as_array().unwrap().iter().find(|x| x["patient"]["id"] == patient_id).cloned();
    found.unwrap_or_else(|| panic!("no open alert for {patient_id}: {:?}", a.body))["id"].as_str().unwrap().to_owned()
}

async fn report(app: &TestApp, device: &str, answers: Value, colour: &str) {
    let r = app.report(device, answers).await;
    assert_eq!((r.status, r.body["colour"].as_str()), (StatusCode::CREATED, Some(colour)), "{:?}", r.body);
}

async fn declare(app: &TestApp, token: &str, episode: &str, body: Value) -> Answer {
    app.post(&format!("/api/v1/episodes/{episode}/care-events"), token, body).await
}

#[tokio::test]
async fn the_indicators_of_a_small_cohort_match_the_figures_counted_by_hand() {
    // Monday 23 November 2026, 07:00 in Paris.
    let app = spawn_app_with(utc("2026-11-23T06:00:00Z"), LONG_SESSIONS).await;
    let site = app.seed_site().await;
    let idec = site.idec.1.clone();
    // P1: parcours A since 1 September (its 3-month adherence window closes on 30 November),
    // twice a day. P2: parcours B since 1 March (its 6–9-month window closes on 30 November).
    // P3: parcours A since 26 July, its S2 renewed on 26 November. P6: included today, stopped
    // on the 27th. P5: an inclusion error. P4: another establishment.
    let (p1, e1, c1) =
        app.enrol(&site, body(&app, &site, "Un", "2026-09-01", "A", "olaparib", &["08:00", "20:00"])).await;
    let (p2, _, c2) = app.enrol(&site, body(&app, &site, "Deux", "2026-03-01", "B", "lenalidomide", &["20:00"])).await;
    let (p3, e3, c3) = app.enrol(&site, body(&app, &site, "Trois", "2026-07-26", "A", "olaparib", &["20:00"])).await;
    let (_, e6, c6) = app.enrol(&site, body(&app, &site, "Six", "2026-11-23", "A", "olaparib", &["20:00"])).await;
    let (_, e5, _) = app.enrol(&site, body(&app, &site, "Cinq", "2026-11-23", "A", "olaparib", &["20:00"])).await;
    let other_idec = site.other_idec.1.clone();
    let (_, e4, c4) = app
        .enrol_with(
            &other_idec,
            elsewhere(body(&app, &site, "Quatre", "2026-11-23", "A", "olaparib", &["20:00"]), &site),
        )
        .await;
    assert_eq!(app.decide(&e5, &idec, "end", Some("inclusion_error")).await.status, StatusCode::OK);
    app.tick().await;
    let mut phones = Vec::new();
    for (code, in_a) in [(&c1, true), (&c2, true), (&c3, true), (&c6, true), (&c4, false)] {
        phones.push(Phone {
            device: app.activate(code).await,
            in_a,
            skip: vec![],
            skip_first_questionnaire: false,
            left_unanswered: None,
        });
    }
    let (d1, d2, d3) = (phones[0].device.clone(), phones[1].device.clone(), phones[2].device.clone());
    phones[0].skip.push(utc("2026-11-25T07:00:00Z")); // P1's 08:00 dose on the 25th: missed
    phones[1].skip_first_questionnaire = true;
    let mut tally = Tally::default();

    let first: NaiveDate = "2026-11-23".parse().unwrap();
    for n in 0..8 {
        let day = first + Duration::days(n);
        app.set_now(at(day, 7, 30));
        pass(&app, &mut phones, &mut tally).await;
        app.set_now(at(day, 9, 0));
        match n {
            0 => {
                // Red, grade 3: acknowledged after 12 minutes, confirmed grade 3.
                report(&app, &d1, RED_GRADE_3(), "red").await;
                let id = open_alert(&app, &idec, &p1).await;
                app.set_now(at(day, 9, 12));
                let ack = app.post(&format!("/api/v1/alerts/{id}/acknowledge"), &idec, Value::Null).await;
                assert_eq!(ack.status, StatusCode::OK);
                app.set_now(at(day, 10, 0));
                let body = json!({"confirmed_grade": 3, "note": "urgences, réhydratation"});
                assert_eq!(app.post(&format!("/api/v1/alerts/{id}/resolve"), &idec, body).await.status, StatusCode::OK);
            }
            1 => {
                // Red, grade 3 by triage, resolved after 30 minutes without a separate
                // acknowledgement, confirmed grade 2.
                report(&app, &d2, RED_GRADE_3(), "red").await;
                let id = open_alert(&app, &idec, &p2).await;
                app.set_now(at(day, 9, 30));
                let body = json!({"confirmed_grade": 2, "note": "rappelée, antiémétique"});
                assert_eq!(app.post(&format!("/api/v1/alerts/{id}/resolve"), &idec, body).await.status, StatusCode::OK);
                let ev = json!({"kind": "emergency_visit", "date": "2026-11-24", "related_to_treatment": true,
                                "note": "passage aux urgences pour vomissements"});
                assert_eq!(declare(&app, &idec, &e1, ev).await.status, StatusCode::CREATED);
                assert_eq!(app.decide(&e3, &idec, "renew", None).await.status, StatusCode::OK);
            }
            2 => {
                // Amber, acknowledged after 3 hours.
                report(&app, &d3, AMBER(), "amber").await;
                let id = open_alert(&app, &idec, &p3).await;
                app.set_now(at(day, 12, 0));
                assert_eq!(
                    app.post(&format!("/api/v1/alerts/{id}/acknowledge"), &idec, Value::Null).await.status,
                    StatusCode::OK
                );
                let body = json!({"confirmed_grade": 2, "note": "lopéramide"});
                assert_eq!(app.post(&format!("/api/v1/alerts/{id}/resolve"), &idec, body).await.status, StatusCode::OK);
            }
            // Amber, never acknowledged.
            3 => report(&app, &d1, AMBER(), "amber").await,
            4 => {
                let stay = json!({"kind": "unplanned_hospitalisation", "date": "2026-11-27"});
                let pharmacist = &site.community_pharmacist.1;
                assert_eq!(declare(&app, pharmacist, &e3, stay).await.status, StatusCode::CREATED);
                let ev = json!({"kind": "emergency_visit", "date": "2026-11-27"});
                assert_eq!(declare(&app, &other_idec, &e4, ev).await.status, StatusCode::CREATED);
                assert_eq!(app.decide(&e6, &idec, "end", Some("treatment_stopped")).await.status, StatusCode::OK);
                phones.remove(3); // P6 is no longer followed
            }
            _ => {}
        }
        app.set_now(at(day, 19, 30));
        pass(&app, &mut phones, &mut tally).await;
    }
    app.set_now(utc("2026-12-01T08:00:00Z"));
    app.dispatch().await;
    assert_eq!(tally.seen.len(), tally.answered.len() + 1, "one questionnaire left unanswered");

    let a = app.get("/api/v1/indicators?from=2026-11-01&to=2026-11-30", &idec).await;
    assert_eq!(a.status, StatusCode::OK, "{:?}", a.body);
    let ind = &a.body;
    // Followed in November: P1, P2, P3, P6; included: P6 only (P5 was an inclusion error).
    assert_eq!(
        ind["totals"],
        json!({"patients_included": 1, "patients_followed": 4, "active_episodes": 4, "active_episodes_at_end": 3})
    );
    assert_eq!(
        ind["by_parcours"],
        json!([
            {"parcours": "A", "patients_included": 1, "active_episodes": 3, "active_episodes_at_end": 2},
            {"parcours": "B", "patients_included": 0, "active_episodes": 1, "active_episodes_at_end": 1},
        ])
    );
    let seq = |pc: &str, s: &str| {
        let r = ind["by_sequence"].as_array().unwrap().iter().find(|r| r["parcours"] == pc && r["sequence"] == s);
        let r = r.unwrap();
        (r["patients"].as_u64().unwrap(), r["started"].as_u64().unwrap(), r["renewed"].as_u64().unwrap())
    };
    assert_eq!(seq("A", "S1"), (1, 1, 0), "P6's S1; P5's cancelled S1 does not count");
    assert_eq!(seq("A", "S2"), (2, 1, 1), "P1 and P3 in S2; P3's renewal started on the 26th");
    assert_eq!(seq("A", "S3"), (0, 0, 0));
    assert_eq!(seq("B", "S1"), (0, 0, 0));
    assert_eq!(seq("B", "S2"), (1, 0, 0), "P2's second renewal started in October");
    // P1: 16 doses from the 23rd to the 30th, one missed. P2: 8 doses, all taken.
    assert_eq!(
        ind["adherence"],
        json!([
            {"window": "months_0_3", "episodes": 1, "doses_taken": 15, "doses_due": 16, "percent": 93.75,
             "mean_episode_percent": 93.75},
            {"window": "months_6_9", "episodes": 1, "doses_taken": 8, "doses_due": 8, "percent": 100.0,
             "mean_episode_percent": 100.0},
        ])
    );
    assert_eq!(ind["adverse_events_grade_3"], json!({"provisional": 2, "confirmed": 1, "awaiting_confirmation": 0}));
    assert_eq!(
        ind["alerts"],
        json!([
            // 12 and 30 minutes: median 21, p90 (nearest rank, 2 of 2) 30.
            {"colour": "red", "topic": "all", "count": 2, "acknowledged": 2,
             "median_minutes_to_acknowledge": 21.0, "p90_minutes_to_acknowledge": 30.0},
            {"colour": "red", "topic": "toxicity", "count": 2, "acknowledged": 2,
             "median_minutes_to_acknowledge": 21.0, "p90_minutes_to_acknowledge": 30.0},
            {"colour": "amber", "topic": "all", "count": 2, "acknowledged": 1,
             "median_minutes_to_acknowledge": 180.0, "p90_minutes_to_acknowledge": 180.0},
            {"colour": "amber", "topic": "toxicity", "count": 2, "acknowledged": 1,
             "median_minutes_to_acknowledge": 180.0, "p90_minutes_to_acknowledge": 180.0},
        ])
    );
    let (due, done) = (tally.seen.len() as u64, tally.answered.len() as u64);
    assert!(due >= 4, "at least one questionnaire each: {due}");
    let percent = ((done as f64 * 100.0 / due as f64) * 100.0).round() / 100.0;
    assert_eq!(ind["questionnaires"], json!({"due": due, "completed": done, "percent": percent}));
    // One emergency visit (P1) and one stay (P3) among 4 patients; P4's visit is elsewhere.
    assert_eq!(
        ind["care_events"],
        json!({"emergency_visits": 1, "unplanned_hospitalisations": 1, "related_to_treatment": 1,
               "patients_with_emergency_visit": 1, "emergency_visit_percent": 25.0,
               "patients_with_unplanned_hospitalisation": 1, "unplanned_hospitalisation_percent": 25.0})
    );

    // The admin of the establishment sees the same; the CSV says the same with a decimal comma.
    let admin = app.get("/api/v1/indicators?from=2026-11-01&to=2026-11-30", &site.admin.1).await;
    assert_eq!(admin.body, a.body);
    let csv = app.get("/api/v1/indicators?from=2026-11-01&to=2026-11-30&format=csv", &idec).await;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(csv.headers["content-type"].to_str().unwrap().starts_with("text/csv"));
    let text = csv.body.as_str().unwrap();
    assert!(text.starts_with("from;to;indicator;parcours;sequence;window;colour;topic;value\n"));
    let cell = |name: &str, dims: &str| {
        let prefix = format!("2026-11-01;2026-11-30;{name};{dims};");
        text.lines().find_map(|l| l.strip_prefix(&prefix)).unwrap_or_else(|| panic!("{prefix}")).to_owned()
    };
    assert_eq!(cell("adherence_percent", ";;months_0_3;;"), "93,75");
    assert_eq!(cell("alerts_median_minutes_to_acknowledge", ";;;red;all"), "21");
    assert_eq!(cell("sequences_renewed", "A;S2;;;"), "1");
    assert_eq!(cell("emergency_visit_percent", ";;;;"), "25");

    // The other establishment sees its own patient only.
    let b = app.get("/api/v1/indicators?from=2026-11-01&to=2026-11-30", &other_idec).await;
    assert_eq!(b.body["totals"]["patients_included"], 1);
    assert_eq!(b.body["care_events"]["emergency_visits"], 1);
    assert_eq!(b.body["care_events"]["emergency_visit_percent"], 100.0);
    assert_eq!(b.body["alerts"][0]["count"], 0);
    // A period before anything happened: zeros, no rates.
    let empty = app.get("/api/v1/indicators?from=2025-01-01&to=2025-01-31", &idec).await;
    assert_eq!(empty.body["totals"]["patients_followed"], 0);
    assert!(empty.body["questionnaires"]["percent"].is_null());
}

/// A capecitabine patient enrolled today, Monday 23 November 2026.
async fn one_patient() -> (TestApp, Site, String, String) {
    let app = spawn_app_with(default_now(), LONG_SESSIONS).await;
    let site = app.seed_site().await;
    let (pid, eid, _) = app.enrol(&site, app.enrolment(&site)).await;
    (app, site, pid, eid)
}

#[tokio::test]
async fn a_declaration_is_checked_field_by_field_scoped_to_the_patients_circle_and_audited() {
    let (app, site, pid, eid) = one_patient().await;
    let idec = &site.idec.1;
    for (body, field) in [
        (json!({"kind": "er", "date": "2026-11-23"}), "kind"),
        (json!({"kind": "emergency_visit", "date": "2026-11-24"}), "date"),
        (json!({"kind": "emergency_visit", "date": "2026-11-22"}), "date"),
        (json!({"kind": "emergency_visit", "date": "23/11/2026"}), "date"),
        (json!({"kind": "emergency_visit"}), ""),
        (json!({"kind": "emergency_visit", "date": "2026-11-23", "note": "x".repeat(2001)}), "note"),
        (json!({"kind": "emergency_visit", "date": "2026-11-23", "severity": 3}), ""),
    ] {
        let a = declare(&app, idec, &eid, body.clone()).await;
        assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {:?}", a.body);
        if !field.is_empty() {
            assert_eq!(a.field(), field, "{body}");
        }
    }
    assert_eq!(count(&app.state, "care_events").await, 0);
    // Outside the patient's circle: not found, whoever asks.
    for outsider in [&site.other_idec.1, &site.other_community_pharmacist.1, &site.other_gp.1, &site.admin.1] {
        let ev = json!({"kind": "emergency_visit", "date": "2026-11-23"});
        assert_eq!(declare(&app, outsider, &eid, ev).await.status, StatusCode::NOT_FOUND);
        assert_eq!(
            app.get(&format!("/api/v1/episodes/{eid}/care-events"), outsider).await.status,
            StatusCode::NOT_FOUND
        );
    }
    let missing =
        declare(&app, idec, "no-such-episode", json!({"kind": "emergency_visit", "date": "2026-11-23"})).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    // The GP of the patient declares; the IDEC hearing of the same visit cannot count it twice.
    let ev = json!({"kind": "emergency_visit", "date": "2026-11-23", "related_to_treatment": false, "note": " chute "});
    let made = declare(&app, &site.gp.1, &eid, ev.clone()).await;
    assert_eq!(made.status, StatusCode::CREATED, "{:?}", made.body);
    assert_eq!(
        (made.body["kind"].as_str(), made.body["date"].as_str(), made.body["note"].as_str()),
        (Some("emergency_visit"), Some("2026-11-23"), Some("chute"))
    );
    assert_eq!(made.body["declared_by"], site.gp.0.as_str());
    let again = declare(&app, idec, &eid, ev).await;
    assert_eq!((again.status, again.field()), (StatusCode::CONFLICT, "date"));
    let stay = json!({"kind": "unplanned_hospitalisation", "date": "2026-11-23"});
    assert_eq!(declare(&app, idec, &eid, stay).await.status, StatusCode::CREATED, "another kind the same day");
    let list = app.get(&format!("/api/v1/episodes/{eid}/care-events"), &site.community_pharmacist.1).await;
    assert_eq!(list.status, StatusCode::OK);
    assert_eq!(list.body.as_array().unwrap().len(), 2);
    let trail = app.get(&format!("/api/v1/patients/{pid}/audit"), idec).await;
    let created: Vec<&Value> = trail
        .body
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["entity"] == "care_event" && e["action"] == "create")
        .collect();
    assert_eq!(created.len(), 2);
    assert_eq!(created[0]["actor_id"], site.gp.0.as_str());
    // Declared on an ended episode, within its dates: still accepted; after its end: refused.
    app.set_now(morning("2026-11-26"));
    assert_eq!(app.decide(&eid, idec, "end", Some("treatment_stopped")).await.status, StatusCode::OK);
    app.set_now(morning("2026-11-28"));
    let late = json!({"kind": "emergency_visit", "date": "2026-11-25"});
    assert_eq!(declare(&app, idec, &eid, late).await.status, StatusCode::CREATED);
    let after = declare(&app, idec, &eid, json!({"kind": "emergency_visit", "date": "2026-11-27"})).await;
    assert_eq!((after.status, after.field()), (StatusCode::UNPROCESSABLE_ENTITY, "date"));
}

#[tokio::test]
async fn indicators_refuse_bad_periods_and_professionals_outside_an_establishment() {
    let (app, site, _, _) = one_patient().await;
    let idec = &site.idec.1;
    for (query, field) in [
        ("to=2026-11-30", "from"),
        ("from=2026-11-01", "to"),
        ("from=2026-11-31&to=2026-12-01", "from"),
        ("from=2026-11-01&to=30-11-2026", "to"),
        ("from=2026-11-02&to=2026-11-01", "to"),
        ("from=2026-11-01&to=2026-11-30&format=xlsx", "format"),
    ] {
        let a = app.get(&format!("/api/v1/indicators?{query}"), idec).await;
        assert_eq!((a.status, a.field()), (StatusCode::UNPROCESSABLE_ENTITY, field), "{query}: {:?}", a.body);
    }
    for outsider in [&site.community_pharmacist.1, &site.gp.1] {
        let a = app.get("/api/v1/indicators?from=2026-11-01&to=2026-11-30", outsider).await;
        assert_eq!(a.status, StatusCode::FORBIDDEN);
    }
    let anonymous = app.call(Method::GET, "/api/v1/indicators?from=2026-11-01&to=2026-11-30", None, None).await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
    let ok = app.get("/api/v1/indicators?from=2026-11-01&to=2026-11-30", &site.oncologist.1).await;
    assert_eq!(ok.status, StatusCode::OK);
    assert_eq!(ok.body["totals"]["patients_included"], 1);
    let doc = app.call(Method::GET, "/api/v1/openapi.json", None, None).await;
    assert!(doc.body["paths"]["/api/v1/indicators"]["get"].is_object());
    assert!(doc.body["paths"]["/api/v1/episodes/{id}/care-events"]["post"].is_object());
}
