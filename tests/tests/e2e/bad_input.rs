//! Invalid requests: each is refused with the field named, and nothing is written.

use relais_tests::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

const WRITTEN: [&str; 4] = ["patients", "episodes", "sequences", "activation_codes"];

async fn rows(app: &TestApp) -> Vec<i64> {
    let mut out = Vec::new();
    for t in WRITTEN {
        out.push(count(&app.state, t).await);
    }
    out
}

/// Posts the default enrolment with `edit` applied; expects 422 naming `field`, and no row.
async fn refused(app: &TestApp, site: &Site, field: &str, edit: impl FnOnce(&mut Value)) -> Answer {
    let mut body = app.enrolment(site);
    edit(&mut body);
    let before = rows(app).await;
    let a = app.post("/api/v1/patients", &site.idec.1, body).await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{field}: {:?}", a.body);
    assert_eq!((a.field(), a.code()), (field, "invalid"), "{:?}", a.body);
    assert!(a.body["error"]["message"].as_str().is_some_and(|m| !m.is_empty()));
    assert_eq!(rows(app).await, before, "{field}: something was written");
    a
}

fn line(body: &mut Value) -> &mut Value {
    &mut body["episode"]["regimen"][0]
}

#[tokio::test]
async fn identity_fields_are_checked() {
    let app = spawn_app().await;
    let site = app.seed_site().await;
    refused(&app, &site, "ins", |b| b["ins"] = json!("12345")).await;
    let good = valid_ins("1840376451089");
    let last = good.chars().last().unwrap();
    let wrong_key = format!("{}{}", &good[..14], if last == '0' { '1' } else { '0' });
    let a = refused(&app, &site, "ins", |b| b["ins"] = json!(wrong_key)).await;
    assert!(a.body["error"]["message"].as_str().unwrap().contains("key"), "{:?}", a.body);
    refused(&app, &site, "time_zone", |b| b["time_zone"] = json!("Mars/Olympus_Mons")).await;
    refused(&app, &site, "birth_date", |b| b["birth_date"] = json!(12)).await;
    refused(&app, &site, "birth_date", |b| b["birth_date"] = json!("12/04/1961")).await;
    refused(&app, &site, "episode.start_date", |b| {
        b["birth_date"] = json!("2026-11-01");
        b["episode"]["start_date"] = json!("2026-10-01");
    })
    .await;
    refused(&app, &site, "phone", |b| b["phone"] = json!("12345")).await;
    refused(&app, &site, "locale", |b| b["locale"] = json!("de")).await;
}

#[tokio::test]
async fn regimen_fields_are_checked() {
    let app = spawn_app().await;
    let site = app.seed_site().await;
    let a = refused(&app, &site, "episode.regimen[0].drug", |b| line(b)["drug"] = json!("aspirin")).await;
    assert!(a.body["error"]["message"].as_str().unwrap().contains("aspirin"));
    refused(&app, &site, "episode.regimen[0].drug", |b| line(b)["drug"] = json!("Capecitabine")).await;
    for bad in ["8h00", "25:00", "8:00"] {
        refused(&app, &site, "episode.regimen[0].times[0]", |b| line(b)["times"] = json!([bad])).await;
    }
    refused(&app, &site, "episode.regimen[0].times[1]", |b| line(b)["times"] = json!(["08:00", "20:60"])).await;
    refused(&app, &site, "episode.regimen[0].cycle.on_days", |b| line(b)["cycle"]["on_days"] = json!(0)).await;
    refused(&app, &site, "episode.regimen[0].cycle.off_days", |b| line(b)["cycle"]["off_days"] = json!(0)).await;
    refused(&app, &site, "episode.regimen", |b| b["episode"]["regimen"] = json!([])).await;
    refused(&app, &site, "episode.indication", |b| {
        b["episode"]["indication"] = json!("adjuvant");
        *line(b) = json!({"drug": "letrozole", "dose": "2.5 mg", "times": ["08:00"]});
    })
    .await;
}

#[tokio::test]
async fn team_members_must_have_the_slot_role_and_work_here() {
    let app = spawn_app().await;
    let site = app.seed_site().await;
    let team = |b: &mut Value, slot: &str, id: &str| b["episode"]["team"][slot] = json!(id);
    refused(&app, &site, "episode.team.oncologist", |b| team(b, "oncologist", &site.idec.0)).await;
    refused(&app, &site, "episode.team.idec", |b| team(b, "idec", &site.other_idec.0)).await;
    refused(&app, &site, "episode.team.gp", |b| team(b, "gp", &site.other_oncologist.0)).await;
    refused(&app, &site, "episode.team.community_pharmacy", |b| team(b, "community_pharmacy", "nope")).await;
}

#[tokio::test]
async fn unknown_fields_and_malformed_bodies() {
    let app = spawn_app().await;
    let site = app.seed_site().await;
    let a = refused(&app, &site, "nickname", |b| b["nickname"] = json!("Clo")).await;
    assert!(a.body["error"]["message"].as_str().unwrap().contains("nickname"), "{:?}", a.body);
    let a = refused(&app, &site, "episode.colour", |b| b["episode"]["colour"] = json!("blue")).await;
    assert!(a.body["error"]["message"].as_str().unwrap().contains("colour"), "{:?}", a.body);

    let before = rows(&app).await;
    let a = app.call_raw("/api/v1/patients", Some(&site.idec.1), r#"{"family_name": "Martin","#).await;
    assert_eq!((a.status, a.code()), (StatusCode::BAD_REQUEST, "bad_request"));
    let mut big = app.enrolment(&site);
    big["family_name"] = json!("x".repeat(70 * 1024));
    let a = app.call_raw("/api/v1/patients", Some(&site.idec.1), big.to_string()).await;
    assert_eq!((a.status, a.code()), (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large"));
    assert_eq!(rows(&app).await, before);
}

#[tokio::test]
async fn a_duplicate_ins_is_a_conflict() {
    let app = spawn_app().await;
    let site = app.seed_site().await;
    let ins = valid_ins("2610475123456");
    let mut body = app.enrolment(&site);
    body["ins"] = json!(ins);
    let (pid, _, _) = app.enrol(&site, body.clone()).await;
    assert_eq!(app.patient(&pid, &site.idec.1).await["ins"], ins.as_str());
    let before = rows(&app).await;
    body["given_name"] = json!("Claude");
    let a = app.post("/api/v1/patients", &site.idec.1, body).await;
    assert_eq!((a.status, a.field()), (StatusCode::CONFLICT, "ins"), "{:?}", a.body);
    assert_eq!(a.body["error"]["code"], "conflict");
    assert_eq!(rows(&app).await, before);
}

#[tokio::test]
async fn an_unknown_end_reason_is_refused() {
    let app = spawn_app().await;
    let site = app.seed_site().await;
    let (pid, eid, _) = app.enrol(&site, app.enrolment(&site)).await;
    for reason in [Some("bored"), None] {
        let a = app.decide(&eid, &site.idec.1, "end", reason).await;
        assert_eq!((a.status, a.field()), (StatusCode::UNPROCESSABLE_ENTITY, "reason"), "{:?}", a.body);
    }
    let a =
        app.post(&format!("/api/v1/episodes/{eid}/decision"), &site.idec.1, json!({"action": "end", "why": "x"})).await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", a.body);
    let ep = &app.patient(&pid, &site.idec.1).await["episode"];
    assert!(ep["end_date"].is_null() && ep["end_reason"].is_null());
    assert_eq!(ep["sequence"]["state"], "active");
}
