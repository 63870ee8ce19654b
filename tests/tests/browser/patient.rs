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

async fn wait_until(browser: &Browser, js: &str, what: &str) {
    browser.wait_until(js, what, WAIT).await;
}

/// Answers the questionnaire on screen until it ends: none / no everywhere, plausible numbers
/// (typed the French way, with a comma), yes to the questions in `yes_to`. The keys asked.
async fn answer_all(browser: &Browser, yes_to: &[&str], screenshot_first: Option<&str>) -> Vec<String> {
    let given: Vec<(&str, &str)> = yes_to.iter().map(|k| (*k, "true")).collect();
    answer_with(browser, &given, screenshot_first).await
}

/// [`answer_all`] with chosen answers: `given` maps a key to the choice's value, the number
/// typed or the text written; anything else as in `answer_all`.
async fn answer_with(browser: &Browser, given: &[(&str, &str)], screenshot_first: Option<&str>) -> Vec<String> {
    answer_checking(browser, given, screenshot_first, false, "0").await.0
}

/// Whether the question on screen and every answer (or the field and its button) fit in the
/// viewport without scrolling; the key and what overflows if not.
const FITS: &str = "const q = document.querySelector('.question');
    const parts = [q.querySelector('h1'), ...q.querySelectorAll('.choice, #number, #other-text, #next')];
    const low = parts.filter(e => e.getBoundingClientRect().bottom > window.innerHeight).map(e => e.textContent || e.id);
    return low.length ? q.dataset.key + ': ' + low.join(' | ') : null";

/// [`answer_with`], and with `check_fit` the screens whose question and answers do not all fit;
/// `level` is the value chosen on a scale not in `given` ("4": the highest, so that every
/// later attribute and count shows).
async fn answer_checking(
    browser: &Browser,
    given: &[(&str, &str)],
    screenshot_first: Option<&str>,
    check_fit: bool,
    level: &str,
) -> (Vec<String>, Vec<String>) {
    let mut asked: Vec<String> = vec![];
    let mut overflowing: Vec<String> = vec![];
    loop {
        browser.wait_for(".question, #red-screen, #result, #queued", WAIT).await;
        let js = "const q = document.querySelector('.question');
                  return q ? [q.dataset.key, !!q.querySelector('#number'),
                              q.querySelector('.choice') && q.querySelector('.choice').dataset.value,
                              !!q.querySelector('#other-text')] : null";
        let on_screen = browser.execute(js, json!([])).await;
        if on_screen.is_null() {
            return (asked, overflowing);
        }
        let key = on_screen[0].as_str().unwrap().to_owned();
        if check_fit && let Some(low) = browser.execute(FITS, json!([])).await.as_str() {
            overflowing.push(low.to_owned());
            browser.screenshot(&format!("overflow-{key}")).await;
        }
        assert!(!asked.contains(&key), "{key} asked twice: {asked:?}");
        if let Some(name) = screenshot_first.filter(|_| asked.is_empty()) {
            browser.screenshot(name).await;
        }
        let chosen = given.iter().find(|(k, _)| *k == key).map(|(_, v)| *v);
        let here = format!(".question[data-key=\"{key}\"]");
        if on_screen[3] == Value::Bool(true) {
            browser.type_into(&format!("{here} #other-text"), chosen.unwrap_or("Je ne me sens pas bien")).await;
            browser.click(&format!("{here} #next")).await;
        } else if on_screen[1] == Value::Bool(true) {
            let value = chosen.unwrap_or(match key.as_str() {
                "temperature_c" => "36,8",
                "weight_kg" => "64",
                "systolic_mmhg" => "125",
                "diastolic_mmhg" => "80",
                _ => "0",
            });
            browser.type_into(&format!("{here} #number"), value).await;
            browser.click(&format!("{here} #next")).await;
        } else {
            let yes_no = on_screen[2] == "false";
            let value = chosen.unwrap_or(if yes_no { "false" } else { level });
            browser.click(&format!("{here} button[data-value=\"{value}\"]")).await;
        }
        asked.push(key);
        assert!(asked.len() < 80, "the questionnaire does not end: {asked:?}");
    }
}

/// The eight red-flag questions, in the order of docs/triage.md §1.
const RED_FLAGS: [&str; 8] = [
    "chest_pain",
    "breathless_at_rest",
    "bleeding_other",
    "skin_blisters_or_mucosal_lesions",
    "one_leg_swollen_painful",
    "fainting",
    "unable_to_drink_24h",
    "confusion",
];

/// Copies a screenshot where the team collects them (docs/triage.md's note names them).
fn keep_screenshot(path: &std::path::Path) {
    let dir = std::path::Path::new("/work/screens");
    if std::fs::create_dir_all(dir).is_ok() {
        let _ = std::fs::copy(path, dir.join(path.file_name().unwrap()));
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
    assert!(page.contains("capécitabine : jour 2 sur 14, puis 7 jours de pause"), "{page}");
    assert!(page.contains("Prochaine prise : 20:00 — capécitabine 1500 mg"), "{page}");
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

    // The questionnaire, one question per screen: the red-flag questions come first (r3), and a
    // "yes" to chest pain shows the call screen at once, 15 first, without the other questions.
    browser.click(".questionnaire-due a").await;
    let asked = answer_all(&browser, &["chest_pain"], Some("patient-question")).await;
    assert_eq!(asked, ["chest_pain"], "nothing asked after a red flag");
    browser.wait_for("#red-screen[data-source=\"server\"]", WAIT).await;
    assert_eq!(browser.text("#red-screen h1").await, "Appelez le 15 maintenant");
    let hrefs =
        browser.execute("return [...document.querySelectorAll('#red-screen a.big')].map(a => a.href)", json!([])).await;
    assert_eq!(hrefs, json!(["tel:15", "tel:+33299000000"]), "15 first for chest pain");
    let red_text = browser.text("#red-screen").await;
    assert!(red_text.contains("Appelez le 15 (SAMU) maintenant."), "{red_text}");
    assert!(red_text.contains("Ne prenez pas votre prochaine dose de capécitabine"), "{red_text}");
    browser.screenshot("patient-red").await;
    assert_eq!(count_where(&app, "alerts", "colour = 'red'").await, 1);

    // The 20:00 dose cannot be confirmed at 10:30 (too early: from 19:00 only), the 08:00 one
    // can be undone for a few minutes.
    browser.goto(&format!("{base}/app/#/today")).await;
    browser.wait_for("[data-undo]", WAIT).await;
    // The red result stays on top of the day until the team acknowledges it.
    browser.wait_for("#last-result[data-colour=\"red\"] a[href=\"tel:15\"]", WAIT).await;
    let cards = browser.text(".doses").await;
    assert!(cards.contains("Vous pourrez confirmer cette prise à partir de 19:00"), "{cards}");
    // Offline at 19:40: "I have a symptom now" and the 20:00 dose wait on the phone.
    app.set_now(utc("2026-11-23T18:40:00Z"));
    browser.goto(&format!("{base}/app/?at=evening#/today")).await;
    browser.wait_for("#symptom-now", WAIT).await;
    browser.set_offline(true).await;
    wait_until(&browser, "return navigator.onLine === false", "the page is offline").await;
    browser.click("#symptom-now").await;
    browser.click("[data-module=\"fatigue\"]").await;
    browser.click("#next").await;
    let asked = answer_all(&browser, &[], None).await;
    assert_eq!(asked[..8], RED_FLAGS, "red flags first: {asked:?}");
    assert_eq!(asked[8..], ["fatigue.severity", "temperature_c"], "{asked:?}");
    browser.wait_for("#queued", WAIT).await;
    let banner = browser.text("#queue-banner").await;
    assert!(banner.contains("1 envoi en attente"), "{banner}");
    browser.screenshot("patient-waiting").await;
    browser.click("#main a.secondary").await;
    browser.wait_for(".doses", WAIT).await;
    browser.click("[data-dose-card] button[data-status=\"taken\"]").await;
    wait_until(&browser, "return document.querySelector('.doses').innerText.includes('En attente d')", "waiting dose")
        .await;
    assert!(browser.text("#queue-banner").await.starts_with("2 envois en attente"));
    assert_eq!(count(&app.state, "reports").await, 1, "nothing reached the server while offline");
    assert_eq!(count_where(&app, "doses", "status = 'taken'").await, 1);
    let queued = browser.execute("return localStorage.getItem('relais.queue')", json!([])).await;

    // The app closed and reopened while still offline (the service worker serves it): the
    // queue is still there, waiting.
    browser.execute("setTimeout(() => location.reload(), 10); return true", json!([])).await;
    wait_until(
        &browser,
        "return document.readyState === 'complete' && !!document.getElementById('queue-banner') \
        && document.getElementById('queue-banner').innerText.startsWith('2 envois en attente')",
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
    assert!(page.contains("20:00 — capécitabine 1500 mg") && page.contains("Pris ✓"), "{page}");
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
    let english = "return document.querySelector('main').innerText.includes(': day 1 of 14, then 7 days off')";
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

/// A capecitabine patient on the phone at Monday 23 November 2026 10:30 Paris, the first S1
/// questionnaire due; the phone activated and on "Today".
async fn phone_with_a_questionnaire(browser: &Browser) -> (TestApp, String) {
    let app = spawn_app_at(utc("2026-11-22T09:00:00Z")).await;
    let site = app.seed_site().await;
    let (pid, _, code) = app.enrol(&site, app.enrolment(&site)).await;
    app.run_until(utc("2026-11-23T09:30:00Z"), chrono::Duration::hours(1)).await;
    browser.goto(&format!("{}/app/#activate={code}", app.addr)).await;
    browser.wait_for(".questionnaire-due a", WAIT).await;
    (app, pid)
}

/// docs/triage.md §1 "Order" (r3), offline: the phone applies the server's red-flag rules
/// itself. A "yes" to blood (not life-threatening: the team first) shows the call screen at once,
/// nothing else is asked, the report waits with its client_id and reaches the server exactly
/// once when the network returns, and the screen then shows the server's answer with the drug
/// to hold.
#[tokio::test]
async fn offline_a_red_flag_shows_the_call_screen_at_once_and_the_report_goes_once() {
    let Some(browser) = start_browser(360, 740).await else { return };
    let (app, _) = phone_with_a_questionnaire(&browser).await;
    // "Today" kept the questionnaire on the phone; then the network goes.
    browser.wait_for("#symptom-now", WAIT).await;
    let cached = "return Object.keys(localStorage).filter(k => k.startsWith('relais.cache./patient/questionnaires/')).length >= 2";
    wait_until(&browser, cached, "the questionnaires kept on the phone").await;
    browser.set_offline(true).await;
    wait_until(&browser, "return navigator.onLine === false", "the page is offline").await;
    browser.click(".questionnaire-due a").await;
    let asked = answer_all(&browser, &["bleeding_other"], None).await;
    assert_eq!(asked, RED_FLAGS[..3], "red flags first, nothing after the yes");
    browser.wait_for("#red-screen[data-source=\"phone\"]", WAIT).await;
    assert_eq!(browser.text("#red-screen h1").await, "Appelez votre équipe maintenant");
    let screen = browser.text("#red-screen").await;
    assert!(screen.contains("Appelez maintenant votre équipe d'oncologie au 02 99 00 00 00"), "{screen}");
    assert_eq!(screen.matches("02 99 00 00 00").count(), 1, "the number written once, the French way: {screen}");
    assert!(screen.contains("Sang dans les urines, selles, vomissements ou crachats"), "the screen says why: {screen}");
    let hrefs =
        browser.execute("return [...document.querySelectorAll('#red-screen a.big')].map(a => a.href)", json!([])).await;
    assert_eq!(hrefs, json!(["tel:+33299000000", "tel:15"]), "the team first for blood");
    browser.screenshot("patient-red-offline").await;
    assert_eq!(count(&app.state, "reports").await, 0, "nothing sent while offline");
    assert!(browser.text("#queue-banner").await.starts_with("1 envoi en attente — il partira"));

    // The network returns: sent once, and the server's answer takes the screen.
    browser.set_offline(false).await;
    browser.execute("window.dispatchEvent(new Event('online')); return true", json!([])).await;
    browser.wait_for("#red-screen[data-source=\"server\"]", WAIT).await;
    wait_until(&browser, "return localStorage.getItem('relais.queue') === '[]'", "the queue is empty").await;
    assert_eq!(count(&app.state, "reports").await, 1);
    assert_eq!(count_where(&app, "alerts", "colour = 'red'").await, 1);
    let answers: String = {
        let db = &app.state.db;
        let row = db
            .query_one_raw(sea_orm::Statement::from_string(db.get_database_backend(), "SELECT answers FROM reports"))
            .await
            .unwrap()
            .unwrap();
        row.try_get("", "answers").unwrap()
    };
    let answers: Value = serde_json::from_str(&answers).unwrap();
    assert_eq!(answers, json!({"chest_pain": false, "breathless_at_rest": false, "bleeding_other": true}));
    let screen = browser.text("#red-screen").await;
    assert!(screen.contains("Ne prenez pas votre prochaine dose de capécitabine"), "the hold advice: {screen}");
    assert!(screen.contains("Sang dans les urines"), "still says why: {screen}");
    // The whole screen in one picture (a tall phone).
    browser.set_window_size(360, 1100).await;
    let path = browser.screenshot("patient-red-result-hold").await;
    keep_screenshot(&path);
    // Sent again (an answer lost on the way): still one report.
    browser.execute("window.dispatchEvent(new Event('online')); return true", json!([])).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(count(&app.state, "reports").await, 1);
    browser.close().await;
}

/// "I have a symptom now" (r3): diarrhoea asks the stool count right after it, the red flags
/// first; grade 2 on capecitabine is amber with "do not take your next dose" shown first. Then
/// fever and "other": the temperature is asked with the picks and the patient's words reach the
/// server, an amber alert for the IDEC.
#[tokio::test]
async fn a_symptom_now_asks_the_stool_count_after_diarrhoea_and_offers_fever_and_other() {
    let Some(browser) = start_browser(360, 740).await else { return };
    let (app, pid) = phone_with_a_questionnaire(&browser).await;
    browser.click("#symptom-now").await;
    browser.wait_for("[data-module=\"diarrhea\"]", WAIT).await;
    let offered = browser
        .execute("return [...document.querySelectorAll('[data-module]')].map(b => b.dataset.module)", json!([]))
        .await;
    let offered: Vec<String> = serde_json::from_value(offered).unwrap();
    assert!(offered.iter().any(|m| m == "temperature_c"), "fever offered: {offered:?}");
    assert_eq!(offered.last().map(String::as_str), Some("other"), "{offered:?}");
    assert!(!offered.iter().any(|m| m == "stools_above_baseline"), "{offered:?}");
    assert!(browser.text("[data-module=\"temperature_c\"]").await.contains("Fièvre"));
    browser.click("[data-module=\"diarrhea\"]").await;
    browser.click("#next").await;
    let asked = answer_with(&browser, &[("diarrhea.frequency", "3"), ("stools_above_baseline", "5")], None).await;
    assert_eq!(asked[..8], RED_FLAGS, "{asked:?}");
    assert_eq!(asked[8..], ["diarrhea.frequency", "stools_above_baseline", "temperature_c"], "{asked:?}");
    browser.wait_for("#result[data-colour=\"amber\"]", WAIT).await;
    let hold = browser.text("#hold").await;
    assert!(hold.starts_with("Ne prenez pas votre prochaine dose de"), "{hold}");
    let order = browser
        .execute(
            "const r = document.getElementById('result'); return [...r.children].map(e => e.id || e.tagName)",
            json!([]),
        )
        .await;
    assert_eq!(order[1], "hold", "the hold advice right under the title: {order}");
    browser.set_window_size(360, 1100).await;
    let path = browser.screenshot("patient-amber-result-hold").await;
    keep_screenshot(&path);
    browser.set_window_size(360, 740).await;
    assert_eq!(count_where(&app, "reports", &format!("patient_id = '{pid}' AND colour = 'amber'")).await, 1);

    // Fever and "other".
    browser.goto(&format!("{}/app/#/today", app.addr)).await;
    browser.wait_for("#symptom-now", WAIT).await;
    browser.click("#symptom-now").await;
    browser.wait_for("[data-module=\"temperature_c\"]", WAIT).await;
    browser.click("[data-module=\"temperature_c\"]").await;
    browser.click("[data-module=\"other\"]").await;
    browser.click("#next").await;
    let words = "Des vertiges quand je me lève";
    let asked = answer_with(&browser, &[("temperature_c", "37,4"), ("other", words)], None).await;
    assert_eq!(asked[..8], RED_FLAGS, "{asked:?}");
    assert_eq!(asked[8..], ["temperature_c", "other"], "the temperature once, with the picks: {asked:?}");
    browser.wait_for("#result[data-colour=\"amber\"]", WAIT).await;
    assert_eq!(count(&app.state, "reports").await, 2);
    let stored = count_where(&app, "reports", "result LIKE '%Des vertiges quand je me l%'").await;
    assert_eq!(stored, 1, "the words are on the report, for the alert page");
    assert_eq!(
        count_where(&app, "alerts", "colour = 'amber' AND topic = 'toxicity'").await,
        1,
        "merged into the open amber"
    );
    browser.close().await;
}

/// The question on screen: its key.
async fn question_key(browser: &Browser) -> String {
    browser.wait_for(".question", WAIT).await;
    browser
        .execute("return document.querySelector('.question').dataset.key", json!([]))
        .await
        .as_str()
        .unwrap()
        .to_owned()
}

/// Issue 19: the language switch in the middle of a questionnaire keeps the answers given and
/// asks the rest in English — the server's questions, not only the buttons — and the result
/// comes in English; the server now speaks English to the patient.
#[tokio::test]
async fn switching_to_english_mid_questionnaire_keeps_the_answers_and_asks_the_rest_in_english() {
    let Some(browser) = start_browser(360, 740).await else { return };
    let (app, pid) = phone_with_a_questionnaire(&browser).await;
    browser.click(".questionnaire-due a").await;
    // The first two questions (red-flag questions, yes/no) answered "no" in French.
    let first = question_key(&browser).await;
    let french_title = browser.text(".question h1").await;
    browser.click(&format!(".question[data-key=\"{first}\"] button[data-value=\"false\"]")).await;
    wait_until(
        &browser,
        &format!("return document.querySelector('.question').dataset.key !== '{first}'"),
        "question 2",
    )
    .await;
    let second = question_key(&browser).await;
    browser.click(&format!(".question[data-key=\"{second}\"] button[data-value=\"false\"]")).await;
    wait_until(
        &browser,
        &format!("return document.querySelector('.question').dataset.key !== '{second}'"),
        "question 3",
    )
    .await;
    let third = question_key(&browser).await;
    assert!(browser.text(".progress-text").await.starts_with("Question 3 sur"));

    browser.click("#lang").await;
    wait_until(
        &browser,
        "return document.documentElement.lang === 'en' && !!document.querySelector('.progress-text') \
         && document.querySelector('.progress-text').innerText.startsWith('Question 3 of')",
        "the same question in English",
    )
    .await;
    assert_eq!(question_key(&browser).await, third, "the switch stays on the question being answered");
    // Back: the second question, in English, with the answer given in French still chosen.
    browser.click("#back").await;
    wait_until(&browser, &format!("return document.querySelector('.question').dataset.key === '{second}'"), "back")
        .await;
    let chosen = browser
        .execute("return document.querySelector('.question button[aria-pressed=\"true\"]').dataset.value", json!([]))
        .await;
    assert_eq!(chosen, json!("false"), "the answer given before the switch is kept");
    browser.click("#back").await;
    wait_until(&browser, &format!("return document.querySelector('.question').dataset.key === '{first}'"), "back")
        .await;
    let english_title = browser.text(".question h1").await;
    assert_ne!(english_title, french_title, "the server's question text follows the language");
    assert!(english_title.is_ascii(), "{english_title}");

    let asked = answer_with(&browser, &[], None).await;
    browser.wait_for("#result", WAIT).await;
    let result = browser.text("#result").await;
    assert!(result.contains("Thank you") && result.contains("Your oncology team"), "{result}");
    browser.screenshot("app-result-english-360x740").await;
    assert!(asked.contains(&first) && asked.contains(&second), "{asked:?}");
    // One report, with the answers given before the switch.
    assert_eq!(count_where(&app, "reports", &format!("patient_id = '{pid}'")).await, 1);
    assert_eq!(count_where(&app, "patients", &format!("id = '{pid}' AND locale = 'en'")).await, 1);
    browser.close().await;
}

/// Issue 19: on a 360×740 phone at the default text size, every question of a questionnaire
/// shows with all its answers without scrolling, in French and in English: the capecitabine
/// S1 questionnaire, then "I have a symptom now" with every module picked and every scale
/// answered at its highest level, which asks every question of the item bank (each later
/// attribute and each count shows) with its own answers.
#[tokio::test]
async fn every_question_and_all_its_answers_fit_a_360_by_740_screen() {
    let bank: Vec<String> = relais_tests::relais_server::domain::answers::AnswerKey::all()
        .into_iter()
        .map(|k| k.to_key())
        .chain(["other".to_owned()])
        .collect();
    for english in [false, true] {
        let Some(browser) = start_browser(360, 740).await else { return };
        let (app, pid) = phone_with_a_questionnaire(&browser).await;
        if english {
            browser.click("#lang").await;
            wait_until(&browser, "return document.documentElement.lang === 'en'", "English").await;
            // The server's questions in English once it knows.
            let started = Instant::now();
            while count_where(&app, "patients", &format!("id = '{pid}' AND locale = 'en'")).await == 0 {
                assert!(started.elapsed() < WAIT, "the server never heard of the switch");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            // The switch re-renders the day's screen: wait for it in English before tapping.
            wait_until(
                &browser,
                "return !!document.querySelector('.questionnaire-due a') \
                 && document.querySelector('main').innerText.includes('A questionnaire is waiting for you')",
                "the day in English",
            )
            .await;
        }
        browser.wait_for(".questionnaire-due a", WAIT).await;
        browser.click(".questionnaire-due a").await;
        // Diarrhoea and vomiting answered so that their counts are asked too.
        let given = [("diarrhea.frequency", "2"), ("vomiting.frequency", "2")];
        let (asked, mut overflowing) = answer_checking(&browser, &given, None, true, "0").await;
        assert!(asked.len() >= 10, "{asked:?}");
        browser.wait_for("#result, #red-screen", WAIT).await;

        // "I have a symptom now", every module and "other" picked, the highest level everywhere
        // (no to the red-flag questions, plausible numbers: nothing ends it early).
        browser.goto(&format!("{}/app/#/today", app.addr)).await;
        browser.wait_for("#symptom-now", WAIT).await;
        browser.click("#symptom-now").await;
        browser.wait_for("[data-module=\"other\"]", WAIT).await;
        let modules = browser
            .execute("return [...document.querySelectorAll('[data-module]')].map(b => b.dataset.module)", json!([]))
            .await;
        let modules: Vec<String> = serde_json::from_value(modules).unwrap();
        for m in &modules {
            browser.click(&format!("[data-module=\"{m}\"]")).await;
        }
        let pressed = "return document.querySelectorAll('[data-module][aria-pressed=\"true\"]').length";
        assert_eq!(browser.execute(pressed, json!([])).await, json!(modules.len()), "every module picked");
        browser.click("#next").await;
        let (all, low) = answer_checking(&browser, &[], None, true, "4").await;
        overflowing.extend(low);
        let mut missing: Vec<&String> = bank.iter().filter(|k| !all.contains(k)).collect();
        missing.sort();
        assert!(missing.is_empty(), "every question of the bank asked; not asked: {missing:?} (asked {all:?})");
        assert_eq!(all.len(), bank.len(), "{all:?}");
        browser.wait_for("#result, #red-screen", WAIT).await;

        let lang = if english { "en" } else { "fr" };
        assert!(
            overflowing.is_empty(),
            "questions that need scrolling at 360×740 ({lang}):\n{}",
            overflowing.join("\n")
        );
        browser.close().await;
    }
}
