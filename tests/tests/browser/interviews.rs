//! The community pharmacist in a real browser (issue 18): from the patient page, records a
//! dispensation and the Onco'Link interview held at it, and sees both listed; the hand-over
//! sheet then carries the interview and the hospital pharmacist's reconciliation. Screenshots
//! of the pharmacist's worklist, the patient page and the sheet; copies go to
//! `RELAIS_SCREENS_DIR` when it is set.

use std::path::PathBuf;
use std::time::Duration;

use relais_tests::browser::{Browser, start_browser};
use relais_tests::*;
use reqwest::StatusCode;
use serde_json::json;

const WAIT: Duration = Duration::from_secs(15);

/// A screenshot of the viewport, kept in the usual folder and copied to `RELAIS_SCREENS_DIR`.
async fn shot(browser: &Browser, name: &str) -> PathBuf {
    let path = browser.screenshot(name).await;
    if let Some(dir) = std::env::var_os("RELAIS_SCREENS_DIR") {
        let dir = PathBuf::from(dir);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::copy(&path, dir.join(format!("{name}.png"))).unwrap();
    }
    assert!(std::fs::metadata(&path).unwrap().len() > 1000, "an empty screenshot: {path:?}");
    path
}

#[tokio::test]
async fn a_community_pharmacist_records_a_dispensation_and_an_interview_from_the_patient_page() {
    let Some(browser) = start_browser(1280, 800).await else { return };
    let app = spawn_app_at(morning("2026-11-02")).await;
    let site = app.seed_site().await;
    let mut body = app.enrolment(&site);
    body["episode"]["regimen"] = json!([{"drug": "capecitabine", "dose": "1500 mg", "times": ["08:00", "20:00"]}]);
    let (pid, eid, _) = app.enrol(&site, body).await;

    browser.staff_sign_in(&app.addr, "officine@a.test", PASSWORD, WAIT).await;
    browser.wait_for("header.top", WAIT).await;
    shot(&browser, "pharmacist-worklist").await;

    browser.goto(&format!("{}/staff/patients/{pid}", app.addr)).await;
    browser.wait_for("#dispensation-form", WAIT).await;
    // The dispensation: 56 tablets, 2 a day (the dose in mg does not say how many).
    browser.type_into("#disp-units", "56").await;
    browser.type_into("#disp-per-day", "2").await;
    browser.click("#dispensation-form button[type=submit]").await;
    browser.wait_for("#dispensation-list", WAIT).await;
    let list = browser.text("#dispensation-list").await;
    assert!(list.contains("capécitabine") && list.contains("30 nov. 2026"), "{list}");

    // The interview held at it.
    browser.click("#pi-topic-dosing_and_times").await;
    browser.click("#pi-topic-when_to_call").await;
    browser.type_into("#pi-minutes", "20").await;
    browser.type_into("#pi-note", "Horaires revus avec la patiente.").await;
    browser.click("#pharmacy-interview-form button[type=submit]").await;
    browser.wait_for("#pharmacy-interview-list", WAIT).await;
    let list = browser.text("#pharmacy-interview-list").await;
    assert!(list.contains("Posologie et horaires de prise") && list.contains("20 min"), "{list}");
    assert!(list.contains("Horaires revus avec la patiente."), "{list}");
    let api = app.get(&format!("/api/v1/episodes/{eid}/pharmacy-interviews"), &site.idec.1).await;
    assert_eq!(api.body["interviews"].as_array().map(Vec::len), Some(1), "{:?}", api.body);
    // The page from the dispensations on (the records the pharmacist just made).
    browser.set_window_size(1280, 1800).await;
    browser.execute("document.getElementById('dispensations').scrollIntoView()", json!([])).await;
    shot(&browser, "pharmacist-patient-page").await;
    browser.set_window_size(1280, 2400).await;

    // The hospital pharmacist's reconciliation, then a GP named late: the new version of the
    // sheet carries both records.
    let r = app
        .post(
            &format!("/api/v1/episodes/{eid}/reconciliation"),
            &site.hospital_pharmacist.1,
            json!({"reconciled_on": "2026-11-02", "discrepancies": ["Millepertuis non déclaré en ville"],
                   "medications": [{"name": "Kardégic", "dosage": "75 mg le midi", "decision": "continue"},
                                   {"name": "Millepertuis", "dosage": "2 gélules par jour", "decision": "stop"}]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let t = app
        .post(
            &format!("/api/v1/episodes/{eid}/team"),
            &site.idec.1,
            json!({"effective_date": "2026-11-02", "gp": site.other_gp.0}),
        )
        .await;
    assert_eq!(t.status, StatusCode::OK, "{:?}", t.body);
    browser.goto(&format!("{}/staff/patients/{pid}/handover", app.addr)).await;
    browser.wait_for("#handover-reconciliation", WAIT).await;
    let sheet = browser.text("#sheet").await;
    assert!(sheet.contains("Millepertuis") && sheet.contains("arrêter"), "{sheet}");
    assert!(sheet.contains("Entretien du 2 nov. 2026 (20 min)"), "{sheet}");
    shot(&browser, "handover-sheet").await;
    browser.close().await;
}
