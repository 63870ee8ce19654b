//! Enrolment of a patient, the catalogue's default parcours, calendar months, and the
//! change-of-drug rule (a new drug is a new episode; a new dose is a new regimen line).

use relais_tests::relais_server::store::episodes;
use relais_tests::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

/// The enrolment body with its regimen replaced by one line of `drug` and no `parcours`.
fn without_parcours(app: &TestApp, site: &Site, drug: &str, pharmacy: bool) -> Value {
    let mut body = app.enrolment(site);
    let ep = &mut body["episode"];
    ep.as_object_mut().unwrap().remove("parcours");
    ep["regimen"] = json!([{"drug": drug, "dose": "25 mg", "times": ["08:00"]}]);
    if !pharmacy {
        ep["team"]["community_pharmacy"] = Value::Null;
    }
    body
}

fn ids(list: &Value) -> Vec<&str> {
    list.as_array().unwrap().iter().map(|p| p["id"].as_str().unwrap()).collect()
}

#[tokio::test]
async fn enrolment_creates_patient_episode_s1_team_and_regimen() {
    let app = spawn_app().await;
    let site = app.seed_site().await;
    let a = app.post("/api/v1/patients", &site.idec.1, app.enrolment(&site)).await;
    assert_eq!(a.status, StatusCode::CREATED, "{:?}", a.body);
    let pid = a.body["patient_id"].as_str().unwrap();
    let eid = a.body["episode_id"].as_str().unwrap();
    let code = a.body["activation_code"].as_str().unwrap();
    assert!(!pid.is_empty() && !eid.is_empty() && pid != eid);
    assert_eq!(code.replace('-', "").len(), 10, "{code}");

    let p = app.patient(pid, &site.idec.1).await;
    assert_eq!((p["family_name"].as_str(), p["given_name"].as_str()), (Some("Martin"), Some("Claire")));
    assert_eq!((p["birth_date"].as_str(), p["time_zone"].as_str()), (Some("1961-04-12"), Some("Europe/Paris")));
    assert_eq!(p["phone"], "+33612345678");
    assert_eq!(p["establishment_id"], site.est.as_str());
    let ep = &p["episode"];
    assert_eq!((ep["id"].as_str(), ep["parcours"].as_str()), (Some(eid), Some("A")));
    assert_eq!(ep["start_date"], "2026-11-23");
    assert!(ep["end_date"].is_null());
    let s = &ep["sequence"];
    assert_eq!((s["kind"].as_str(), s["renewal_index"].as_i64()), (Some("S1"), Some(0)));
    assert_eq!((s["start_date"].as_str(), s["planned_end_date"].as_str()), (Some("2026-11-23"), Some("2026-12-23")));
    assert_eq!((s["state"].as_str(), s["automatic"].as_bool()), (Some("active"), Some(false)));
    assert_eq!(ep["sequences"].as_array().unwrap().len(), 1);
    let team = &ep["team"];
    assert_eq!(team["idec"]["id"], site.idec.0.as_str());
    assert_eq!(team["oncologist"]["id"], site.oncologist.0.as_str());
    assert_eq!(team["hospital_pharmacist"]["id"], site.hospital_pharmacist.0.as_str());
    assert_eq!(team["community_pharmacy"]["id"], site.pharmacy.as_str());
    assert_eq!(team["gp"]["id"], site.gp.0.as_str());
    let reg = ep["regimen"].as_array().unwrap();
    assert_eq!(reg.len(), 1);
    assert_eq!((reg[0]["drug"].as_str(), reg[0]["dose"].as_str()), (Some("capecitabine"), Some("1500 mg")));
    assert_eq!(reg[0]["times"], json!(["08:00", "20:00"]));
    assert_eq!(reg[0]["cycle"], json!({"on_days": 14, "off_days": 7}));
    assert_eq!(ep["s3_eligible"], true);

    let list = app.get("/api/v1/patients", &site.idec.1).await;
    assert_eq!(list.status, StatusCode::OK);
    assert_eq!(ids(&list.body), vec![pid]);
    assert_eq!((list.body[0]["sequence"].as_str(), list.body[0]["parcours"].as_str()), (Some("S1"), Some("A")));
}

#[tokio::test]
async fn parcours_defaults_to_the_catalogue() {
    let app = spawn_app().await;
    let site = app.seed_site().await;
    let (pa, _, _) = app.enrol(&site, without_parcours(&app, &site, "capecitabine", true)).await;
    assert_eq!(app.patient(&pa, &site.idec.1).await["episode"]["parcours"], "A");
    let (pb, _, _) = app.enrol(&site, without_parcours(&app, &site, "lenalidomide", false)).await;
    let b = app.patient(&pb, &site.idec.1).await;
    assert_eq!(b["episode"]["parcours"], "B");
    assert_eq!(b["episode"]["s3_eligible"], false);
    assert!(b["episode"]["team"]["community_pharmacy"].is_null());
    // Parcours A without a pharmacy is refused.
    let a = app.post("/api/v1/patients", &site.idec.1, without_parcours(&app, &site, "capecitabine", false)).await;
    assert_eq!((a.status, a.field()), (StatusCode::UNPROCESSABLE_ENTITY, "episode.team.community_pharmacy"));
}

#[tokio::test]
async fn planned_end_clamps_to_the_end_of_a_shorter_month() {
    let app = spawn_app_at(morning("2027-01-31")).await;
    let site = app.seed_site().await;
    let mut body = app.enrolment(&site);
    body["episode"]["start_date"] = json!("2027-01-31");
    let (pid, _, _) = app.enrol(&site, body).await;
    let s = &app.patient(&pid, &site.idec.1).await["episode"]["sequence"];
    assert_eq!((s["start_date"].as_str(), s["planned_end_date"].as_str()), (Some("2027-01-31"), Some("2027-02-28")));
    app.set_now(morning("2027-02-28"));
    assert_eq!(app.tick().await, 1);
    let idec = app.login("idec@a.test").await;
    let s = &app.patient(&pid, &idec).await["episode"]["sequence"];
    assert_eq!((s["kind"].as_str(), s["start_date"].as_str()), (Some("S2"), Some("2027-02-28")));
    assert_eq!(s["planned_end_date"], "2027-05-28");
}

async fn change_regimen(app: &TestApp, eid: &str, token: &str, body: Value) -> Value {
    let a = app.post(&format!("/api/v1/episodes/{eid}/regimen"), token, body).await;
    assert_eq!(a.status, StatusCode::OK, "{:?}", a.body);
    a.body
}

#[tokio::test]
async fn a_new_drug_ends_the_episode_and_opens_a_new_one_at_s1() {
    let app = spawn_app().await;
    let site = app.seed_site().await;
    let (pid, eid, _) = app.enrol(&site, app.enrolment(&site)).await;
    let body = json!({"effective_date": "2026-11-30",
                      "regimen": [{"drug": "imatinib", "dose": "400 mg", "times": ["08:00"]}]});
    let out = change_regimen(&app, &eid, &site.oncologist.1, body).await;
    assert_eq!(out["new_episode"], true);
    let new_id = out["episode_id"].as_str().unwrap();
    assert_ne!(new_id, eid);

    let old = episodes::get(&app.state.db, &eid).await.unwrap().unwrap();
    assert_eq!(old.end_reason.as_deref(), Some("treatment_changed"));
    assert_eq!(old.end_date.map(|d| d.to_string()).as_deref(), Some("2026-11-30"));
    let p = app.patient(&pid, &site.idec.1).await;
    assert_eq!(p["past_episode_ids"], json!([eid]));
    let ep = &p["episode"];
    assert_eq!((ep["id"].as_str(), ep["previous_episode_id"].as_str()), (Some(new_id), Some(eid.as_str())));
    assert_eq!((ep["start_date"].as_str(), ep["parcours"].as_str()), (Some("2026-11-30"), Some("A")));
    let s = &ep["sequence"];
    assert_eq!((s["kind"].as_str(), s["start_date"].as_str()), (Some("S1"), Some("2026-11-30")));
    assert_eq!(s["planned_end_date"], "2026-12-30");
    assert_eq!(ep["regimen"][0]["drug"], "imatinib");
    for (slot, id) in [
        ("idec", &site.idec.0),
        ("oncologist", &site.oncologist.0),
        ("hospital_pharmacist", &site.hospital_pharmacist.0),
        ("community_pharmacy", &site.pharmacy),
        ("gp", &site.gp.0),
    ] {
        assert_eq!(ep["team"][slot]["id"], id.as_str(), "{slot}");
    }
    // The old episode takes no more decisions.
    let d = app.decide(&eid, &site.idec.1, "renew", None).await;
    assert_eq!(d.status, StatusCode::CONFLICT, "{:?}", d.body);
}

#[tokio::test]
async fn a_new_dose_of_the_same_drug_versions_the_line() {
    let app = spawn_app().await;
    let site = app.seed_site().await;
    let (pid, eid, _) = app.enrol(&site, app.enrolment(&site)).await;
    app.set_now(morning("2026-11-26"));
    let idec = app.login("idec@a.test").await;
    let body = json!({"regimen": [{"drug": "capecitabine", "dose": "1000 mg", "times": ["08:00", "20:00"],
                                   "cycle": {"on_days": 14, "off_days": 7}}]});
    let out = change_regimen(&app, &eid, &idec, body).await;
    assert_eq!((out["new_episode"].as_bool(), out["episode_id"].as_str()), (Some(false), Some(eid.as_str())));

    let ep = &app.patient(&pid, &idec).await["episode"];
    assert_eq!(ep["id"], eid.as_str());
    let reg = ep["regimen"].as_array().unwrap();
    assert_eq!(reg.len(), 1, "{reg:?}");
    assert_eq!((reg[0]["dose"].as_str(), reg[0]["start_date"].as_str()), (Some("1000 mg"), Some("2026-11-26")));
    assert_eq!(ep["sequence"]["kind"], "S1");
    let history = episodes::regimen_history(&app.state.db, &eid).await.unwrap();
    assert_eq!(history.len(), 2);
    let closed: Vec<_> = history.iter().filter(|l| l.end_date.is_some()).collect();
    assert_eq!(closed.len(), 1);
    assert_eq!((closed[0].dose.as_str(), closed[0].end_date.unwrap().to_string()), ("1500 mg", "2026-11-26".into()));
    let open = history.iter().find(|l| l.end_date.is_none()).unwrap();
    assert_eq!(open.replaces_id.as_deref(), Some(closed[0].id.as_str()));
}
