//! The enrolment form in a real browser for a BSA-dosed drug with two blocks: choosing
//! trifluridine/tipiracil pre-fills 35 mg/m² and D1–5, D8–12 every 28 days, the body-surface
//! area shows live before saving, and the saved line is the rounded dose in tablets.

use std::time::Duration;

use relais_tests::browser::{Browser, start_browser};
use relais_tests::*;
use serde_json::json;

const WAIT: Duration = Duration::from_secs(15);

/// Sets an input or a select through the DOM, as a user's choice fires `change` and `input`
/// (dates, selects and the drug picker).
fn set(name: &str, value: &str) -> String {
    format!(
        "var e = document.getElementsByName({name:?})[0]; e.value = {value:?}; \
         e.dispatchEvent(new Event('change', {{bubbles: true}})); e.dispatchEvent(new Event('input', {{bubbles: true}}));"
    )
}

/// The enrolment form, signed in as the site's IDEC.
async fn enrolment_form(browser: &Browser, app: &TestApp) {
    browser.staff_sign_in(&app.addr, "idec@a.test", PASSWORD, WAIT).await;
    browser.wait_for("header.top", WAIT).await;
    browser.goto(&format!("{}/staff/enrol", app.addr)).await;
    browser.wait_for("button.add-line", WAIT).await;
}

#[tokio::test]
async fn an_idec_enrols_trifluridine_tipiracil_per_m2_with_two_blocks() {
    let Some(browser) = start_browser(1280, 800).await else { return };
    let app = spawn_app().await;
    let site = app.seed_site().await;
    enrolment_form(&browser, &app).await;
    browser.type_into("#family_name", "Martin").await;
    browser.type_into("#given_name", "Claire").await;
    for (name, value) in [
        ("birth_date", "1961-04-12"),
        ("episode.baseline_weight_kg", "64"),
        ("height_cm", "165"),
        ("episode.regimen[0].drug", "trifluridine_tipiracil"),
        ("episode.team.oncologist", site.oncologist.0.as_str()),
        ("episode.team.community_pharmacy", site.pharmacy.as_str()),
    ] {
        browser.execute(&set(name, value), json!([])).await;
    }
    let value = |name: &str| format!("return document.getElementsByName({name:?})[0].value");
    assert_eq!(browser.execute(&value("episode.regimen[0].dose_per_m2_mg"), json!([])).await, json!("35"));
    assert_eq!(browser.execute(&value("episode.regimen[0].cycle.length_days"), json!([])).await, json!("28"));
    assert_eq!(browser.execute(&value("episode.regimen[0].cycle.on"), json!([])).await, json!("1-5, 8-12"));
    assert_eq!(
        browser.execute(&value("episode.regimen[0].dose"), json!([])).await,
        json!(""),
        "no formula as the dose"
    );
    let preview = browser.text("#bsa-preview-0").await;
    assert!(preview.contains("1,71 m²") && preview.contains("59,9 mg"), "{preview}");
    browser.desktop_and_phone_shots("staff-enrol-bsa-blocks").await;

    browser.click("form[action='/staff/enrol'] button.primary").await;
    browser.wait_for("#activation-code", WAIT).await;
    let list = app.get("/api/v1/patients", &site.idec.1).await.body;
    let pid = list[0]["id"].as_str().unwrap().to_owned();
    let line = &app.patient(&pid, &site.idec.1).await["episode"]["regimen"][0];
    assert_eq!(line["dose"], "60 mg : 3 comprimés à 20 mg");
    assert_eq!(line["cycle"], json!({"length_days": 28, "on": [[1, 5], [8, 12]]}));
    assert_eq!(line["dose_computation"]["bsa_m2"], 1.71);
    browser.close().await;
}

/// Issue 16: on the phone, a cycle of two blocks (days 1–5 and 8–12 of 28) is said in words with
/// the drug's name, never its key: on day 8 the second period of intake, until day 12; on day 6
/// the break and when intake starts again.
#[tokio::test]
async fn the_phone_says_where_a_two_block_cycle_stands_in_words() {
    let Some(browser) = start_browser(360, 740).await else { return };
    for (start, want) in [
        ("2026-12-01", "trifluridine/tipiracil : jour 8 sur 28 — période de prise 2 sur 2, jusqu'au jour 12"),
        ("2026-12-03", "trifluridine/tipiracil : jour 6 sur 28 — pause, reprise dans 2 jours"),
    ] {
        let app = spawn_app_at("2026-12-08T05:00:00Z".parse().unwrap()).await;
        let site = app.seed_site().await;
        let mut body = app.enrolment(&site);
        body["episode"]["start_date"] = json!(start);
        body["episode"]["regimen"] = json!([{"drug": "trifluridine_tipiracil", "dose_per_m2_mg": 35,
            "times": ["08:00", "20:00"], "cycle": {"length_days": 28, "on": [[1, 5], [8, 12]]}}]);
        body["height_cm"] = json!(165);
        let (_, _, code) = app.enrol(&site, body).await;
        app.dispatch().await;
        browser.goto(&format!("{}/app/#activate={code}", app.addr)).await;
        browser.wait_for(".cycle", WAIT).await;
        assert_eq!(browser.text(".cycle").await, want);
        if start == "2026-12-01" {
            // The dose in tablets and the cycle in words, as the patient reads them.
            assert!(browser.text(".doses").await.contains("comprimés à 20 mg"), "{}", browser.text(".doses").await);
            browser.screenshot("phone-today-bsa-two-blocks").await;
        }
        browser.execute("localStorage.clear(); return true", json!([])).await;
    }
    browser.close().await;
}

/// Issue 16: any number of drug lines. "Ajouter un médicament" adds a line in the page (no
/// reload, what was typed stays), choosing venetoclax there pre-fills its weekly ramp-up, and
/// Enter in a field still enrols rather than adding a line.
#[tokio::test]
async fn a_third_line_added_in_the_page_takes_the_venetoclax_ramp_up() {
    let Some(browser) = start_browser(1280, 800).await else { return };
    let app = spawn_app().await;
    let site = app.seed_site().await;
    enrolment_form(&browser, &app).await;
    for (name, value) in [
        ("birth_date", "1950-02-03"),
        ("episode.regimen[0].drug", "abiraterone"),
        ("episode.regimen[1].drug", "prednisone"),
        ("episode.team.oncologist", site.oncologist.0.as_str()),
        ("episode.team.community_pharmacy", site.pharmacy.as_str()),
    ] {
        browser.execute(&set(name, value), json!([])).await;
    }
    browser.type_into("#family_name", "Petit").await;
    browser.click("button.add-line").await;
    browser.wait_for("select[name='episode.regimen[2].drug']", WAIT).await;
    let value = |name: &str| format!("return document.getElementsByName({name:?})[0].value");
    assert_eq!(browser.execute(&value("family_name"), json!([])).await, json!("Petit"), "no reload");
    assert_eq!(browser.execute(&value("episode.regimen[2].dose"), json!([])).await, json!(""), "an empty line");
    assert_eq!(browser.execute(&value("episode.regimen[0].dose"), json!([])).await, json!("1 000 mg"));
    browser.execute(&set("episode.regimen[2].drug", "venetoclax"), json!([])).await;
    assert_eq!(
        browser.execute(&value("episode.regimen[2].steps"), json!([])).await,
        json!("J1 20 mg ; J8 50 mg ; J15 100 mg ; J22 200 mg ; J29 400 mg")
    );
    browser.desktop_and_phone_shots("staff-enrol-three-lines").await;
    // Enter in the given name enrols: the add button is no longer the form's default.
    browser.type_into("#given_name", "Jean\u{E007}").await;
    browser.wait_for("#activation-code", WAIT).await;
    let list = app.get("/api/v1/patients", &site.idec.1).await.body;
    let pid = list[0]["id"].as_str().unwrap().to_owned();
    let regimen = app.patient(&pid, &site.idec.1).await["episode"]["regimen"].clone();
    let mut drugs: Vec<&str> = regimen.as_array().unwrap().iter().map(|l| l["drug"].as_str().unwrap()).collect();
    drugs.sort_unstable();
    assert_eq!(drugs, ["abiraterone", "prednisone", "venetoclax"]);
    let venetoclax = regimen.as_array().unwrap().iter().find(|l| l["drug"] == "venetoclax").unwrap();
    assert_eq!(venetoclax["steps"][1], json!({"from_day": 8, "dose": "50 mg"}));
    // The patient page's calendar marks the day each step starts.
    browser.goto(&format!("{}/staff/patients/{pid}", app.addr)).await;
    browser.wait_for("#cycle-calendar", WAIT).await;
    let calendar = browser.text("#cycle-calendar").await;
    assert!(calendar.contains("vénétoclax 20 mg") && calendar.contains("vénétoclax 50 mg"), "{calendar}");
    browser.execute("document.getElementById('cycle-calendar').scrollIntoView(); return true", json!([])).await;
    browser.screenshot("staff-patient-calendar-steps").await;
    browser.close().await;
}
