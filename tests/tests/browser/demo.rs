//! The demo as a visitor sees it: a living worklist, a patient with weeks of charts, the
//! enrolment form and the administrator's statements, at desktop and phone widths.

use std::time::Duration;

use relais_tests::browser::{Browser, start_browser};
use relais_tests::spawn_app;
use serde_json::json;

const WAIT: Duration = Duration::from_secs(20);

async fn shots(browser: &Browser, name: &str) {
    browser.screenshot(&format!("demo-{name}-1280x800")).await;
    browser.set_window_size(390, 844).await;
    browser.screenshot(&format!("demo-{name}-390x844")).await;
    browser.set_window_size(1280, 800).await;
}

async fn sign_in(browser: &Browser, base: &str, email: &str) {
    browser.goto(&format!("{base}/staff/login")).await;
    browser.wait_for("#email", WAIT).await;
    browser.type_into("#email", email).await;
    browser.type_into("#password", relais_server::demo::PASSWORD).await;
    browser.click("form[action='/staff/login'] button[type=submit]").await;
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
    shots(&browser, "worklist").await;

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
    shots(&browser, "patient").await;

    browser.goto(&format!("{base}/staff/enrol")).await;
    browser.wait_for("form", WAIT).await;
    shots(&browser, "enrol").await;

    sign_in(&browser, &base, "admin@demo.relais.test").await;
    browser.goto(&format!("{base}/staff/admin")).await;
    browser.wait_for("#statements", WAIT).await;
    shots(&browser, "admin").await;
    browser.close().await;
}
