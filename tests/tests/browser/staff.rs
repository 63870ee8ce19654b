//! The staff pages in a real browser: an IDEC triages a red alert from the worklist to its
//! resolution, and a community pharmacist sees only the flagged patients of their pharmacy.
//! Screenshots of each screen at desktop (1280×800) and phone (390×844) widths.

use std::time::Duration;

use relais_tests::browser::start_browser;
use relais_tests::*;
use reqwest::StatusCode;
use serde_json::json;

const WAIT: Duration = Duration::from_secs(15);

#[tokio::test]
async fn an_idec_resolves_a_red_alert_and_a_pharmacist_sees_only_their_flagged_patients() {
    let Some(browser) = start_browser(1280, 800).await else { return };
    let app = spawn_app().await;
    let site = app.seed_site().await;
    let (_, eid, code) = app.enrol(&site, app.enrolment(&site)).await;
    let device = app.activate(&code).await;
    let r = app.report(&device, json!({"diarrhea.frequency": 3, "temperature_c": 38.6, "chest_pain": false})).await;
    assert_eq!((r.status, r.body["colour"].as_str()), (StatusCode::CREATED, Some("red")), "{:?}", r.body);

    // The worklist: the new red alert at the top, "(1)" in the title.
    browser.goto(&format!("{}/staff/", app.addr)).await;
    browser.wait_for("#email", WAIT).await;
    browser.staff_sign_in(&app.addr, "idec@a.test", PASSWORD, WAIT).await;
    browser.wait_for("table.worklist", WAIT).await;
    assert_eq!(browser.title().await, "(1) Alertes — Relais");
    let first = browser.text("table.worklist tbody tr:first-child").await;
    assert!(first.contains("Rouge") && first.contains("MARTIN Claire"), "{first}");
    browser.desktop_and_phone_shots("staff-worklist").await;

    // The alert: answers in words, the phone as a tel: link; acknowledge, then resolve.
    browser.click("table.worklist tbody tr:first-child a[href^='/staff/alerts/']").await;
    browser.wait_for("dd.status-open", WAIT).await;
    let main = browser.text("main").await;
    assert!(main.contains("Diarrhée") && main.contains("Souvent (3/4)"), "{main}");
    let tel = browser.execute("return document.querySelector('a.tel').getAttribute('href')", json!([])).await;
    assert_eq!(tel, json!("tel:+33612345678"));
    browser.desktop_and_phone_shots("staff-alert").await;
    browser.click("form[action$='/acknowledge'] button").await;
    browser.wait_for("dd.status-acknowledged", WAIT).await;
    browser.click("input[name=confirmed_grade][value='3']").await;
    browser.type_into("#note", "Appelée : fièvre confirmée, adressée aux urgences").await;
    browser.click("form[action$='/resolve'] button").await;
    browser.wait_for("dd.status-resolved", WAIT).await;
    let alerts = app.get("/api/v1/alerts?status=resolved", &site.idec.1).await;
    assert_eq!(alerts.body.as_array().map(Vec::len), Some(1), "{:?}", alerts.body);
    assert_eq!(alerts.body[0]["confirmed_grade"], 3);
    assert_eq!(alerts.body[0]["resolution_note"], "Appelée : fièvre confirmée, adressée aux urgences");

    // In S2 of parcours A, interactions go to the community pharmacist: one patient of ours,
    // one of another pharmacy, each given a vitamin K antagonist.
    let mut other = app.enrolment(&site);
    other["family_name"] = json!("Autre");
    other["episode"]["team"]["community_pharmacy"] = json!(site.other_pharmacy);
    let (_, other_eid, _) = app.enrol(&site, other).await;
    app.set_now(morning("2026-12-23"));
    app.tick().await;
    let idec = app.login("idec@a.test").await;
    for e in [&eid, &other_eid] {
        let a = app.post(&format!("/api/v1/episodes/{e}/comedications"), &idec, json!({"name": "Coumadine"})).await;
        assert!(a.body["alert_id"].is_string(), "{:?}", a.body);
    }
    browser.staff_sign_in(&app.addr, "officine@a.test", PASSWORD, WAIT).await;
    browser.wait_for("header.top", WAIT).await;
    browser.goto(&format!("{}/staff/pharmacy", app.addr)).await;
    browser.wait_for("section.patient", WAIT).await;
    let page = browser.text("main").await;
    assert!(page.contains("MARTIN Claire") && page.contains("Interaction médicamenteuse"), "{page}");
    assert!(!page.contains("AUTRE"), "another pharmacy's patient: {page}");
    browser.desktop_and_phone_shots("staff-pharmacy").await;
    browser.close().await;
}
