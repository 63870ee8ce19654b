//! The patient's phone web app (`/app/`) in headless Chromium against the real server: a
//! patient activates by typing the code, sees the day, confirms a dose, answers a
//! questionnaire to a red result and gets the call-now screen; then, offline, reports a
//! symptom and confirms a dose, sees them waiting, and once online the server has each once,
//! even when the phone sends them again.

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use relais_tests::browser::{Browser, start_browser};
use relais_tests::*;
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};

const WAIT: Duration = Duration::from_secs(15);

fn utc(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

/// Rows of `table` matching `condition` (SQL both engines understand).
async fn count_where(app: &TestApp, table: &str, condition: &str) -> i64 {
    let sql = format!("SELECT COUNT(*) AS n FROM {table} WHERE {condition}");
    let db = &app.state.db;
    let row = db.query_one_raw(sea_orm::Statement::from_string(db.get_database_backend(), sql)).await.unwrap().unwrap();
    row.try_get::<i64>("", "n").unwrap()
}

/// Polls the page until `js` returns true (the DOM, not the app's clock).
async fn wait_until(browser: &Browser, js: &str, what: &str) {
    let started = Instant::now();
    while browser.execute(js, json!([])).await != Value::Bool(true) {
        assert!(started.elapsed() < WAIT, "timed out waiting until {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Answers the questionnaire on screen until it ends: none / no everywhere, plausible numbers
/// (typed the French way, with a comma), yes to the questions in `yes_to`. The keys asked.
async fn answer_all(browser: &Browser, yes_to: &[&str], screenshot_first: Option<&str>) -> Vec<String> {
    let mut asked: Vec<String> = vec![];
    loop {
        browser.wait_for(".question, #red-screen, #result, #queued", WAIT).await;
        let js = "const q = document.querySelector('.question');
                  return q ? [q.dataset.key, !!q.querySelector('#number'),
                              q.querySelector('.choice') && q.querySelector('.choice').dataset.value] : null";
        let on_screen = browser.execute(js, json!([])).await;
        if on_screen.is_null() {
            return asked;
        }
        let key = on_screen[0].as_str().unwrap().to_owned();
        assert!(!asked.contains(&key), "{key} asked twice: {asked:?}");
        if let Some(name) = screenshot_first.filter(|_| asked.is_empty()) {
            browser.screenshot(name).await;
        }
        let here = format!(".question[data-key=\"{key}\"]");
        if on_screen[1] == Value::Bool(true) {
            let value = match key.as_str() {
                "temperature_c" => "36,8",
                "weight_kg" => "64",
                "systolic_mmhg" => "125",
                "diastolic_mmhg" => "80",
                _ => "0",
            };
            browser.type_into(&format!("{here} #number"), value).await;
            browser.click(&format!("{here} #next")).await;
        } else {
            let yes_no = on_screen[2] == "false";
            let value = match (yes_no, yes_to.contains(&key.as_str())) {
                (true, true) => "true",
                (true, false) => "false",
                (false, _) => "0",
            };
            browser.click(&format!("{here} button[data-value=\"{value}\"]")).await;
        }
        asked.push(key);
        assert!(asked.len() < 80, "the questionnaire does not end: {asked:?}");
    }
}

#[tokio::test]
async fn a_patient_uses_the_phone_app_online_and_offline_and_the_server_gets_each_answer_once() {
    let Some(browser) = start_browser(360, 740).await else { return };
    // Capecitabine from Sunday 22 November 2026 (14 days on, 7 off), 08:00 and 20:00 Paris;
    // Monday 10:30 Paris: the first questionnaire of S1 is due.
    let app = spawn_app_at(utc("2026-11-22T09:00:00Z")).await;
    let site = app.seed_site().await;
    let (pid, _, code) = app.enrol(&site, app.enrolment(&site)).await;
    app.run_until(utc("2026-11-23T09:30:00Z"), chrono::Duration::hours(1)).await;
    let base = &app.addr;

    // Activation by typing the code.
    browser.goto(&format!("{base}/app/")).await;
    browser.wait_for("#code", WAIT).await;
    assert_eq!(browser.text("h1").await, "Activer mon téléphone");
    browser.screenshot("patient-activation").await;
    browser.type_into("#code", &code).await;
    browser.click("#activate").await;

    // Today: the doses, the cycle day, the next dose, the questionnaire waiting.
    browser.wait_for(".doses", WAIT).await;
    let page = browser.text("main").await;
    assert!(page.contains("Bonjour Claire"), "{page}");
    assert!(page.contains("capecitabine : jour 2 sur 14, puis 7 jours de pause"), "{page}");
    assert!(page.contains("Prochaine prise : 20:00 — capecitabine 1500 mg"), "{page}");
    assert!(page.contains("Un questionnaire vous attend"), "{page}");
    let cards = browser.execute("return document.querySelectorAll('[data-dose-card]').length", json!([])).await;
    assert_eq!(cards, json!(2));
    browser.screenshot("patient-today").await;

    // Confirm the 08:00 dose with its big button.
    browser.click("[data-dose-card] button[data-status=\"taken\"]").await;
    wait_until(&browser, "return document.querySelector('[data-dose-card]').innerText.includes('Pris ✓')", "taken")
        .await;
    assert_eq!(count_where(&app, "doses", &format!("patient_id = '{pid}' AND status = 'taken'")).await, 1);
    // Reminders are offered now, after a first confirmation, never on load.
    if browser.execute("return !!document.getElementById('push-later')", json!([])).await == json!(true) {
        browser.click("#push-later").await;
    }

    // The questionnaire, one question per screen, answered to a red flag (chest pain).
    browser.click(".questionnaire-due a").await;
    let asked = answer_all(&browser, &["chest_pain"], Some("patient-question")).await;
    for key in ["diarrhea.frequency", "hand_foot_syndrome.severity", "temperature_c", "chest_pain", "confusion"] {
        assert!(asked.iter().any(|k| k == key), "{key} asked: {asked:?}");
    }
    assert!(!asked.iter().any(|k| k == "stools_above_baseline"), "branching: no diarrhoea, no stool count");
    browser.wait_for("#red-screen", WAIT).await;
    assert_eq!(browser.text("#red-screen h1").await, "Appelez votre équipe maintenant");
    let hrefs = browser
        .execute(
            "return [document.getElementById('call-team').href, document.getElementById('call-15').href]",
            json!([]),
        )
        .await;
    assert_eq!(hrefs, json!(["tel:+33299000000", "tel:15"]));
    browser.screenshot("patient-red").await;
    assert_eq!(count_where(&app, "alerts", "colour = 'red'").await, 1);

    // Offline: "I have a symptom now" and the 20:00 dose wait on the phone.
    browser.goto(&format!("{base}/app/#/today")).await;
    browser.wait_for("#symptom-now", WAIT).await;
    browser.set_offline(true).await;
    wait_until(&browser, "return navigator.onLine === false", "the page is offline").await;
    browser.click("#symptom-now").await;
    browser.click("[data-module=\"fatigue\"]").await;
    browser.click("#next").await;
    let asked = answer_all(&browser, &[], None).await;
    assert_eq!(asked.first().map(String::as_str), Some("fatigue.severity"), "{asked:?}");
    assert!(asked.iter().any(|k| k == "temperature_c") && asked.iter().any(|k| k == "chest_pain"), "{asked:?}");
    browser.wait_for("#queued", WAIT).await;
    let banner = browser.text("#queue-banner").await;
    assert!(banner.contains("en attente d'envoi"), "{banner}");
    browser.screenshot("patient-waiting").await;
    browser.click("#main a.secondary").await;
    browser.wait_for(".doses", WAIT).await;
    browser.click("[data-dose-card] button[data-status=\"taken\"]").await;
    wait_until(&browser, "return document.querySelector('.doses').innerText.includes('En attente d')", "waiting dose")
        .await;
    assert!(browser.text("#queue-banner").await.starts_with("2 envoi(s)"));
    assert_eq!(count(&app.state, "reports").await, 1, "nothing reached the server while offline");
    assert_eq!(count_where(&app, "doses", "status = 'taken'").await, 1);
    let queued = browser.execute("return localStorage.getItem('relais.queue')", json!([])).await;

    // The app closed and reopened while still offline (the service worker serves it): the
    // queue is still there, waiting.
    browser.execute("setTimeout(() => location.reload(), 10); return true", json!([])).await;
    wait_until(
        &browser,
        "return document.readyState === 'complete' && !!document.getElementById('queue-banner') \
        && document.getElementById('queue-banner').innerText.startsWith('2 envoi(s)')",
        "the queue after a reload",
    )
    .await;
    assert_eq!(count(&app.state, "reports").await, 1, "still nothing sent");

    // Online again: the queue goes out by itself.
    browser.set_offline(false).await;
    wait_until(&browser, "return document.getElementById('queue-banner').hidden", "the queue is sent").await;
    assert_eq!(count(&app.state, "reports").await, 2);
    assert_eq!(count_where(&app, "reports", "questionnaire_id IS NULL AND colour = 'green'").await, 1);
    assert_eq!(count_where(&app, "doses", "status = 'taken'").await, 2);
    wait_until(&browser, "return !document.querySelector('.doses').innerText.includes('En attente d')", "dose shown")
        .await;
    let alerts = count(&app.state, "alerts").await;

    // The phone sends both again (as when an answer was lost on the way): nothing new.
    browser
        .execute(
            "localStorage.setItem('relais.queue', arguments[0]); window.dispatchEvent(new Event('online'))",
            json!([queued]),
        )
        .await;
    wait_until(&browser, "return localStorage.getItem('relais.queue') === '[]'", "the replay is sent").await;
    assert_eq!(count(&app.state, "reports").await, 2);
    assert_eq!(count_where(&app, "doses", "status = 'taken'").await, 2);
    assert_eq!(count(&app.state, "alerts").await, alerts, "a replayed confirmation is not a double dose");

    // The same app at desktop width.
    browser.set_window_size(1280, 800).await;
    browser.goto(&format!("{base}/app/#/today")).await;
    browser.wait_for(".doses", WAIT).await;
    browser.screenshot("patient-today-desktop").await;
    let controlled = browser.execute("return !!navigator.serviceWorker.controller", json!([])).await;
    assert_eq!(controlled, json!(true), "the service worker serves the app");

    // The server gone: the phone still opens the app and shows the day it last saw.
    // (Another URL than the current one, so that this is a real page load.)
    let app_url = format!("{base}/app/?from=home-screen#/today");
    let health = format!("{base}/healthz");
    drop(app);
    let down = reqwest::Client::new().get(&health).send().await;
    assert!(down.is_err(), "the server is down: {down:?}");
    browser.goto(&app_url).await;
    browser.wait_for(".doses", WAIT).await;
    let page = browser.text("main").await;
    assert!(page.contains("20:00 — capecitabine 1500 mg") && page.contains("Pris ✓"), "{page}");
    browser.close().await;
}

#[tokio::test]
async fn the_qr_code_link_activates_the_phone_and_english_is_one_tap_away() {
    let Some(browser) = start_browser(320, 640).await else { return };
    let app = spawn_app().await;
    let site = app.seed_site().await;
    let (_, _, code) = app.enrol(&site, app.enrolment(&site)).await;
    app.dispatch().await;
    // What the nurse's QR code encodes: {public_url}/app/#activate=CODE.
    browser.goto(&format!("{}/app/#activate={code}", app.addr)).await;
    browser.wait_for(".doses", WAIT).await;
    assert!(browser.text("main").await.contains("jour 1 sur 14"));
    browser.click("#lang").await;
    let english =
        "return document.querySelector('main').innerText.includes('capecitabine: day 1 of 14, then 7 days off')";
    wait_until(&browser, english, "the day in English").await;
    assert_eq!(browser.execute("return document.documentElement.lang", json!([])).await, json!("en"));
    // Nothing is wider than a 320 px screen, and every button is a thumb's size.
    let overflow = browser.execute("return document.documentElement.scrollWidth", json!([])).await;
    assert!(overflow.as_i64().unwrap() <= 320, "scroll width {overflow}");
    let small = browser
        .execute(
            "return [...document.querySelectorAll('button, a.button')].filter(b => b.getBoundingClientRect().height < 48).map(b => b.textContent)",
            json!([]),
        )
        .await;
    assert_eq!(small, json!([]), "buttons under 48 px");
    browser.close().await;
}
