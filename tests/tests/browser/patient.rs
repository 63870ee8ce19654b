//! The patient's phone web app in a real browser.

use std::time::Duration;

use relais_tests::browser::start_browser;
use relais_tests::*;
use serde_json::json;

#[tokio::test]
async fn the_harness_drives_a_real_browser_against_the_server() {
    let Some(browser) = start_browser(360, 740).await else { return };
    let app = spawn_app().await;
    browser.goto(&format!("{}/healthz", app.addr)).await;
    browser.wait_for("body", Duration::from_secs(10)).await;
    assert!(browser.text("body").await.contains("\"status\":\"ok\""));
    assert_eq!(browser.execute("return arguments[0] + 1", json!([41])).await, json!(42));
    browser.close().await;
}
