//! The demo as a visitor sees it: a living worklist, a patient with weeks of charts, the
//! enrolment form and the administrator's statements, at desktop and phone widths.

use std::time::Duration;

use relais_tests::browser::{Browser, start_browser};
use relais_tests::spawn_app;
use serde_json::json;

const WAIT: Duration = Duration::from_secs(20);

/// Signs in through the login form with a demo account and waits for the first page.
async fn sign_in(browser: &Browser, base: &str, email: &str) {
    browser.staff_sign_in(base, email, relais_server::demo::PASSWORD, WAIT).await;
    browser.wait_for("header.top", WAIT).await;
}

#[tokio::test]
async fn the_demo_opens_on_a_living_site() {
    let Some(browser) = start_browser(1280, 800).await else { return };
    let app = spawn_app().await;
    relais_server::demo::seed(&app.state).await.expect("demo seeds");
    let base = app.addr.clone();

    sign_in(&browser, &base, "idec@demo.relais.test").await;
    browser.goto(&format!("{base}/staff/")).await;
    browser.wait_for("table.worklist", WAIT).await;
    assert!(browser.title().await.starts_with("(1) "), "one open red in the title");
    let first = browser.text("table.worklist tbody tr:first-child").await;
    assert!(first.contains("Rouge"), "{first}");
    browser.desktop_and_phone_shots("demo-worklist").await;

    browser.goto(&format!("{base}/staff/patients")).await;
    browser.wait_for("#patients", WAIT).await;
    let href = browser
        .execute(
            "return [...document.querySelectorAll('#patients a')].find(a => a.textContent.includes('MARTIN')).getAttribute('href')",
            json!([]),
        )
        .await;
    browser.goto(&format!("{base}{}", href.as_str().expect("Claire Martin is listed"))).await;
    browser.wait_for("svg", WAIT).await;
    let charts = browser.execute("return document.querySelectorAll('svg').length", json!([])).await;
    assert!(charts.as_u64().unwrap_or(0) >= 2, "doses and symptom charts: {charts}");
    browser.desktop_and_phone_shots("demo-patient").await;

    browser.goto(&format!("{base}/staff/enrol")).await;
    browser.wait_for("form", WAIT).await;
    browser.desktop_and_phone_shots("demo-enrol").await;

    sign_in(&browser, &base, "admin@demo.relais.test").await;
    browser.goto(&format!("{base}/staff/admin")).await;
    browser.wait_for("#statements", WAIT).await;
    browser.desktop_and_phone_shots("demo-admin").await;
    browser.close().await;
}
