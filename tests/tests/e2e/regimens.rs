//! Regimen lines as prescribed (docs/api.md, issue 16): cycles of several blocks, ramp-up steps,
//! doses computed from body-surface area, partner drugs. Real HTTP, real database, the injected
//! clock; the dose planning job runs as in production (`dispatch`).

use chrono::{DateTime, Duration, Utc};
use relais_tests::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

fn utc(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

/// 06:00 in Paris on 8 December 2026 (winter, UTC+1): both 08:00 and 20:00 doses are ahead.
const EARLY: &str = "2026-12-08T05:00:00Z";

/// Enrols a patient with `regimen` starting on `start` (plus `extra` top-level fields), plans the
/// day and activates the phone; (app, site, patient id, episode id, device token).
async fn enrolled(
    at: &str,
    start: &str,
    regimen: Value,
    extra: &[(&str, Value)],
) -> (TestApp, Site, String, String, String) {
    let app = spawn_app_at(utc(at)).await;
    let site = app.seed_site().await;
    let mut body = app.enrolment(&site);
    body["episode"]["start_date"] = json!(start);
    body["episode"]["regimen"] = regimen;
    for (k, v) in extra {
        body[*k] = v.clone();
    }
    let (pid, eid, code) = app.enrol(&site, body).await;
    app.dispatch().await;
    let device = app.activate(&code).await;
    (app, site, pid, eid, device)
}

async fn today(app: &TestApp, device: &str) -> Value {
    let a = app.get("/api/v1/patient/today", device).await;
    assert_eq!(a.status, StatusCode::OK, "{:?}", a.body);
    a.body
}

fn doses(today: &Value) -> Vec<(String, String, String)> {
    today["doses"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["drug_name"].as_str().unwrap().to_owned(),
                d["time"].as_str().unwrap().to_owned(),
                d["dose"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn trifluridine() -> Value {
    json!([{"drug": "trifluridine_tipiracil", "dose_per_m2_mg": 35, "times": ["08:00", "20:00"],
            "cycle": {"length_days": 28, "on": [[1, 5], [8, 12]]}}])
}

#[tokio::test]
async fn trifluridine_tipiracil_started_7_days_ago_has_its_doses_today_on_day_8() {
    let (app, site, pid, _, device) = enrolled(EARLY, "2026-12-01", trifluridine(), &[("height_cm", json!(165))]).await;
    let t = today(&app, &device).await;
    // 35 mg/m² × 1,71 m² = 59,9 mg → 60 mg of 15 and 20 mg tablets, twice a day.
    let want = "60 mg : 3 comprimés à 20 mg";
    assert_eq!(
        doses(&t),
        [
            ("trifluridine/tipiracil".to_owned(), "08:00".to_owned(), want.to_owned()),
            ("trifluridine/tipiracil".to_owned(), "20:00".to_owned(), want.to_owned())
        ]
    );
    assert_eq!(t["cycles"][0]["day"], 8);
    assert_eq!(t["cycles"][0]["on"], true);
    assert_eq!(t["cycles"][0]["blocks"], json!([[1, 5], [8, 12]]));
    // The staff record keeps the blocks and the computation.
    let record = app.patient(&pid, &site.idec.1).await;
    let line = &record["episode"]["regimen"][0];
    assert_eq!(line["cycle"], json!({"length_days": 28, "on": [[1, 5], [8, 12]]}));
    assert_eq!(line["drug_name"], "trifluridine/tipiracil");
    assert_eq!(line["dose_computation"]["rounded_mg"], 60.0);

    // Started 5 days ago (day 6, between the two blocks): no dose today.
    let (app, _, _, _, device) = enrolled(EARLY, "2026-12-03", trifluridine(), &[("height_cm", json!(165))]).await;
    let t = today(&app, &device).await;
    assert_eq!(doses(&t), [], "{t}");
    assert_eq!((t["cycles"][0]["day"].clone(), t["cycles"][0]["on"].clone()), (json!(6), json!(false)));
}

#[tokio::test]
async fn capecitabine_at_1250_mg_per_m2_shows_2150_mg_and_the_tablets() {
    let regimen = json!([{"drug": "capecitabine", "dose_per_m2_mg": 1250, "times": ["08:00", "20:00"],
                          "cycle": {"on_days": 14, "off_days": 7}}]);
    let (app, site, pid, _, device) = enrolled(EARLY, "2026-12-08", regimen, &[("height_cm", json!(165))]).await;
    let t = today(&app, &device).await;
    let d = doses(&t);
    assert_eq!(d.len(), 2, "{t}");
    assert!(
        d.iter()
            .all(|(name, _, dose)| name == "capécitabine"
                && dose == "2 150 mg : 4 comprimés à 500 mg + 1 comprimé à 150 mg"),
        "{d:?}"
    );
    // Staff see the computation; the patient's text carries no formula.
    let line = &app.patient(&pid, &site.idec.1).await["episode"]["regimen"][0];
    let c = &line["dose_computation"];
    assert_eq!(
        (c["basis"].clone(), c["height_cm"].clone(), c["weight_kg"].clone()),
        (json!("per_m2"), json!(165.0), json!(64.0))
    );
    assert_eq!(
        (c["bsa_m2"].clone(), c["computed_mg"].clone(), c["rounded_mg"].clone()),
        (json!(1.71), json!(2140.9), json!(2150.0))
    );
    assert_eq!(c["difference_pct"], 0.4);
    assert!(c["text"].as_str().unwrap().contains("Mosteller"), "{c}");
    assert!(!line["dose"].as_str().unwrap().contains("/m"), "{line}");
}

async fn refused_enrolment(app: &TestApp, site: &Site, body: Value, field: String) {
    let a = app.post("/api/v1/patients", &site.idec.1, body).await;
    assert_eq!((a.status, a.field()), (StatusCode::UNPROCESSABLE_ENTITY, field.as_str()), "{:?}", a.body);
}

#[tokio::test]
async fn a_formula_or_an_uncomputable_dose_is_422_naming_the_field() {
    let app = spawn_app_at(utc(EARLY)).await;
    let site = app.seed_site().await;
    let refused = |line: Value, extra: Option<(&str, Value)>, field: &str| {
        let mut body = app.enrolment(&site);
        body["episode"]["regimen"] = json!([line]);
        if let Some((k, v)) = extra {
            body[k] = v;
        }
        refused_enrolment(&app, &site, body, field.to_owned())
    };
    let cap = |extra: Value| {
        let mut l = json!({"drug": "capecitabine", "times": ["08:00"]});
        for (k, v) in extra.as_object().unwrap() {
            l[k] = v.clone();
        }
        l
    };
    // The capecitabine bug of the issue: the catalogue's text as a dose.
    refused(cap(json!({"dose": "1 250 mg/m² deux fois par jour"})), None, "episode.regimen[0].dose").await;
    refused(cap(json!({"dose": "35 mg/m2"})), None, "episode.regimen[0].dose").await;
    refused(cap(json!({"dose": "0,1 mg/kg"})), None, "episode.regimen[0].dose").await;
    refused(
        cap(json!({"steps": [{"from_day": 1, "dose": "500 mg"}, {"from_day": 8, "dose": "1000 mg/m²"}]})),
        None,
        "episode.regimen[0].steps[1].dose",
    )
    .await;
    refused(cap(json!({"steps": [{"from_day": 2, "dose": "500 mg"}]})), None, "episode.regimen[0].steps[0].from_day")
        .await;
    // A dose per m² needs the height; 100 mg/m² (171 mg) is 12 % from 150 mg: given explicitly.
    refused(cap(json!({"dose_per_m2_mg": 1250})), None, "height_cm").await;
    refused(cap(json!({"dose_per_m2_mg": 100})), Some(("height_cm", json!(165))), "episode.regimen[0].dose_per_m2_mg")
        .await;
    refused(
        cap(json!({"dose": "500 mg", "dose_per_m2_mg": 1250})),
        Some(("height_cm", json!(165))),
        "episode.regimen[0].dose",
    )
    .await;
    // Blocks out of order, overlapping or beyond the cycle.
    for on in [json!([[8, 12], [1, 5]]), json!([[1, 5], [5, 12]])] {
        refused(
            cap(json!({"dose": "500 mg", "cycle": {"length_days": 28, "on": on}})),
            None,
            "episode.regimen[0].cycle.on",
        )
        .await;
    }
    refused(
        cap(json!({"dose": "500 mg", "cycle": {"length_days": 28, "on": [[1, 5], [20, 29]]}})),
        None,
        "episode.regimen[0].cycle.on[1]",
    )
    .await;
    // A partner drug alone is no regimen of the programme.
    refused(json!({"drug": "prednisone", "dose": "5 mg", "times": ["08:00"]}), None, "episode.regimen[0].drug").await;

    // The same rules on a regimen change.
    let (_, eid, _) = app.enrol(&site, app.enrolment(&site)).await;
    let a = app
        .post(
            &format!("/api/v1/episodes/{eid}/regimen"),
            &site.oncologist.1,
            json!({"regimen": [{"drug": "capecitabine", "dose": "1 000 mg/m²", "times": ["08:00"]}]}),
        )
        .await;
    assert_eq!((a.status, a.field()), (StatusCode::UNPROCESSABLE_ENTITY, "regimen[0].dose"), "{:?}", a.body);
}

#[tokio::test]
async fn prednisone_beside_abiraterone_is_reminded_and_changes_no_parcours() {
    let regimen = json!([
        {"drug": "abiraterone", "dose": "1 000 mg", "times": ["08:00"]},
        {"drug": "prednisone", "dose": "5 mg", "times": ["08:00", "20:00"]}
    ]);
    let app = spawn_app_at(utc(EARLY)).await;
    let site = app.seed_site().await;
    let mut body = app.enrolment(&site);
    body["episode"]["start_date"] = json!("2026-12-08");
    body["episode"]["regimen"] = regimen;
    body["episode"]["indication"] = json!("advanced");
    body["episode"]["parcours"] = Value::Null;
    let (pid, _, code) = app.enrol(&site, body).await;
    app.dispatch().await;
    let device = app.activate(&code).await;
    let t = today(&app, &device).await;
    assert_eq!(
        doses(&t),
        [
            ("abiratérone".to_owned(), "08:00".to_owned(), "1 000 mg".to_owned()),
            ("prednisone".to_owned(), "08:00".to_owned(), "5 mg".to_owned()),
            ("prednisone".to_owned(), "20:00".to_owned(), "5 mg".to_owned())
        ]
    );
    // The parcours and S3 eligibility are abiraterone's alone (A, eligible).
    let record = app.patient(&pid, &site.idec.1).await;
    assert_eq!(record["episode"]["parcours"], "A");
    assert_eq!(record["episode"]["s3_eligible"], true);
    assert_eq!(record["episode"]["regimen"][1]["drug_name"], "prednisone");
    app.run_until(utc("2026-12-08T22:00:00Z"), Duration::minutes(30)).await;
    let reminders = app.reminder_times(&pid).await;
    assert_eq!(
        reminders,
        [utc("2026-12-08T07:00:00Z"), utc("2026-12-08T07:00:00Z"), utc("2026-12-08T19:00:00Z")],
        "both 08:00 doses and prednisone's 20:00 one"
    );
}

#[tokio::test]
async fn a_venetoclax_ramp_up_shows_20_mg_in_week_1_and_50_mg_in_week_2() {
    let regimen = json!([{"drug": "venetoclax", "times": ["08:00"], "steps": [
        {"from_day": 1, "dose": "20 mg"}, {"from_day": 8, "dose": "50 mg"}, {"from_day": 15, "dose": "100 mg"},
        {"from_day": 22, "dose": "200 mg"}, {"from_day": 29, "dose": "400 mg"}]}]);
    let (app, site, pid, _, device) = enrolled(EARLY, "2026-12-08", regimen, &[]).await;
    assert_eq!(doses(&today(&app, &device).await), [("vénétoclax".to_owned(), "08:00".to_owned(), "20 mg".to_owned())]);
    let line = &app.patient(&pid, &site.idec.1).await["episode"]["regimen"][0];
    assert_eq!(line["steps"].as_array().map(Vec::len), Some(5));
    assert_eq!(line["steps"][1], json!({"from_day": 8, "dose": "50 mg"}));
    assert_eq!(line["dose"], "20 mg", "the first step");
    // Day 7 still 20 mg, day 8 50 mg.
    app.run_until(utc("2026-12-14T05:00:00Z"), Duration::hours(6)).await;
    assert_eq!(doses(&today(&app, &device).await)[0].2, "20 mg");
    app.run_until(utc("2026-12-15T05:00:00Z"), Duration::hours(6)).await;
    assert_eq!(doses(&today(&app, &device).await)[0].2, "50 mg");
}

/// The open or acknowledged alerts of topic `regimen` one professional sees.
async fn regimen_alerts(app: &TestApp, token: &str) -> Vec<Value> {
    let a = app.get("/api/v1/alerts", token).await;
    assert_eq!(a.status, StatusCode::OK, "{:?}", a.body);
    a.body.as_array().unwrap().iter().filter(|a| a["topic"] == "regimen").cloned().collect()
}

/// A staff page as the signed-in professional `email` sees it (the login form, its cookie).
async fn staff_page(app: &TestApp, email: &str, path: &str) -> (StatusCode, String) {
    let http =
        reqwest::Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let form = http.get(format!("{}/staff/login", app.addr)).send().await.unwrap().text().await.unwrap();
    let marker = r#"name="csrf" value=""#;
    let csrf = form[form.find(marker).expect("a CSRF token") + marker.len()..].split('"').next().unwrap().to_owned();
    let login = http
        .post(format!("{}/staff/login", app.addr))
        .form(&[("csrf", csrf.as_str()), ("email", email), ("password", PASSWORD), ("next", "/staff/")])
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), StatusCode::SEE_OTHER, "login {email}");
    let page = http.get(format!("{}{path}", app.addr)).send().await.unwrap();
    (page.status(), page.text().await.unwrap())
}

#[tokio::test]
async fn a_weight_that_moves_the_bsa_dose_by_more_than_10_percent_tells_the_idec_and_the_hospital_pharmacist() {
    // Capecitabine 1 250 mg/m², 165 cm, 64 kg: 2 140,9 mg computed, 2 150 mg taken.
    let regimen = json!([{"drug": "capecitabine", "dose_per_m2_mg": 1250, "times": ["08:00", "20:00"],
                          "cycle": {"on_days": 14, "off_days": 7}}]);
    let (app, site, pid, _, device) = enrolled(EARLY, "2026-12-08", regimen, &[("height_cm", json!(165))]).await;
    let weighed = |kg: f64| app.report(&device, json!({"weight_kg": kg}));

    // 63 kg: the dose moves by −0,8 %. Nothing.
    assert_eq!(weighed(63.0).await.status, StatusCode::CREATED);
    assert!(regimen_alerts(&app, &site.idec.1).await.is_empty());
    // 54 kg: 15,6 % of the weight lost (amber toxicity), but a Mosteller dose moves with the
    // square root of the weight: −8,1 %, not more than 10 %. No regimen alert.
    assert_eq!(weighed(54.0).await.status, StatusCode::CREATED);
    assert!(regimen_alerts(&app, &site.idec.1).await.is_empty());
    assert!(regimen_alerts(&app, &site.hospital_pharmacist.1).await.is_empty());

    // 50 kg: 2 140,9 mg → 1 892,3 mg, −11,6 %. One amber regimen alert, to both.
    assert_eq!(weighed(50.0).await.status, StatusCode::CREATED);
    let for_idec = regimen_alerts(&app, &site.idec.1).await;
    let for_pharmacist = regimen_alerts(&app, &site.hospital_pharmacist.1).await;
    assert_eq!((for_idec.len(), for_pharmacist.len()), (1, 1), "{for_idec:?}");
    let alert = &for_idec[0];
    assert_eq!(alert["id"], for_pharmacist[0]["id"]);
    assert_eq!((alert["colour"].as_str(), alert["status"].as_str()), (Some("amber"), Some("open")));
    // The reason is a code with its parameters; `reasons` keeps the engine's English text.
    let code = &alert["reason_codes"][0];
    assert_eq!(
        (code["code"].as_str(), code["params"]["drug"].as_str()),
        (Some("dose_reweighed"), Some("capecitabine"))
    );
    assert_eq!(
        (code["params"]["basis"].as_str(), code["params"]["new_weight_kg"].as_f64()),
        (Some("per_m2"), Some(50.0))
    );
    assert_eq!(
        alert["reasons"],
        json!(["capecitabine (dose per m²): weight 64 kg → 50 kg, computed dose 2140.9 mg → 1892.3 mg (−11.6 %); \
                prescribed dose unchanged (2150 mg), to re-evaluate"])
    );
    assert!(regimen_alerts(&app, &site.community_pharmacist.1).await.is_empty());

    // The regimen is not changed.
    let record = app.patient(&pid, &site.idec.1).await;
    let lines = record["episode"]["regimen"].as_array().unwrap();
    assert_eq!(lines.len(), 1, "{lines:?}");
    let c = &lines[0]["dose_computation"];
    assert_eq!((c["weight_kg"].clone(), c["rounded_mg"].clone()), (json!(64.0), json!(2150.0)));

    // The same weight again: nothing new while the alert is unresolved.
    assert_eq!(weighed(50.0).await.status, StatusCode::CREATED);
    let again = regimen_alerts(&app, &site.idec.1).await;
    assert_eq!(again.len(), 1);
    assert_eq!((&again[0]["id"], &again[0]["reasons"]), (&alert["id"], &alert["reasons"]));

    // The alert page names the topic in French and shows the reason.
    let id = alert["id"].as_str().unwrap();
    let (status, html) = staff_page(&app, "pui@a.test", &format!("/staff/alerts/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Dose à réévaluer (nouveau poids)"), "{html}");
    assert!(html.contains("poids 64 kg → 50 kg"), "{html}");
    // The patient page lists it among the patient's alerts.
    let (status, html) = staff_page(&app, "idec@a.test", &format!("/staff/patients/{pid}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains(&format!("/staff/alerts/{id}")), "{html}");
}
