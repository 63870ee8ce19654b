//! The patient app in the reader's language only, and on an iPhone the way to reminders
//! (issue 19): at `en` no screen of a whole day (today, every question of a questionnaire and its
//! result) shows French; in Safari on an iPhone, where Web Push only exists for an app added to
//! the home screen, the app says how instead of offering nothing.

use std::time::Duration;

use relais_tests::browser::{Browser, start_browser};
use relais_tests::*;
use serde_json::json;

const WAIT: Duration = Duration::from_secs(15);

/// Words and letters that only French text has (the English texts carry no accents: drug names
/// are in their English spelling there).
/// The language switch itself ("Français") is outside `main` and not read.
const FRENCH: [&str; 23] = [
    "é", "è", "à", "ç", "ê", "ù", "â", "ô", "î", "œ", " le ", " la ", " les ", " des ", " du ", " vous ", " votre ",
    "Bonjour", "jour ", "prise", "Aucun", "Jamais", "Oui",
];

fn french_in(text: &str) -> Vec<&'static str> {
    FRENCH.iter().filter(|w| text.contains(*w)).copied().collect()
}

async fn wait_until(browser: &Browser, js: &str, what: &str) {
    browser.wait_until(js, what, WAIT).await;
}

#[tokio::test]
async fn the_app_in_english_shows_no_french_from_today_to_the_result() {
    let Some(browser) = start_browser(360, 740).await else { return };
    // Monday 23 November 2026 10:30 Paris: the capecitabine patient's first questionnaire is due.
    let app = spawn_app_at("2026-11-22T09:00:00Z".parse().unwrap()).await;
    let site = app.seed_site().await;
    let (_, _, code) = app.enrol(&site, app.enrolment(&site)).await;
    app.run_until("2026-11-23T09:30:00Z".parse().unwrap(), chrono::Duration::hours(1)).await;
    browser.goto(&format!("{}/app/#activate={code}", app.addr)).await;
    browser.wait_for(".questionnaire-due a", WAIT).await;
    browser.click("#lang").await;
    wait_until(&browser, "return document.documentElement.lang === 'en'", "English").await;
    wait_until(&browser, "return document.querySelector('main').innerText.includes('day 2 of 14')", "the day").await;
    let today = browser.text("main").await;
    assert_eq!(french_in(&today), Vec::<&str>::new(), "French on today's screen: {today}");

    browser.click(".questionnaire-due a").await;
    let mut asked = 0;
    loop {
        browser.wait_for(".question, #result, #red-screen, #queued", WAIT).await;
        let key = browser
            .execute("const q = document.querySelector('.question'); return q && q.dataset.key", json!([]))
            .await;
        let Some(key) = key.as_str().map(str::to_owned) else { break };
        let screen = browser.text("main").await;
        assert_eq!(french_in(&screen), Vec::<&str>::new(), "French on the question {key}: {screen}");
        let here = format!(".question[data-key=\"{key}\"]");
        let number = browser.execute(&format!("return !!document.querySelector('{here} #number')"), json!([])).await;
        if number == json!(true) {
            let value = match key.as_str() {
                "temperature_c" => "37",
                "weight_kg" => "64",
                _ => "0",
            };
            browser.type_into(&format!("{here} #number"), value).await;
            browser.click(&format!("{here} #next")).await;
        } else {
            // The lowest answer of a scale, "No" to a yes/no question.
            browser.click(&format!("{here} button.choice")).await;
        }
        asked += 1;
        assert!(asked < 80, "the questionnaire does not end");
    }
    assert!(asked > 10, "a whole questionnaire: {asked} questions");
    browser.wait_for("#result", WAIT).await;
    let result = browser.text("main").await;
    assert_eq!(french_in(&result), Vec::<&str>::new(), "French on the result: {result}");
    browser.screenshot("app-english-result").await;
    browser.close().await;
}

#[tokio::test]
async fn an_iphone_in_safari_is_told_to_add_the_app_to_the_home_screen_for_reminders() {
    let Some(browser) = start_browser(390, 844).await else { return };
    browser
        .set_user_agent(
            "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) \
             Version/18.1 Mobile/15E148 Safari/604.1",
            "iPhone",
        )
        .await;
    // Enrolled the day before; Monday 23 November 2026 10:30 Paris, the 08:00 dose can be confirmed.
    let app = spawn_app_at("2026-11-22T09:00:00Z".parse().unwrap()).await;
    let site = app.seed_site().await;
    let (_, _, code) = app.enrol(&site, app.enrolment(&site)).await;
    app.run_until("2026-11-23T09:30:00Z".parse().unwrap(), chrono::Duration::hours(1)).await;
    browser.goto(&format!("{}/app/#activate={code}", app.addr)).await;
    browser.wait_for(".doses", WAIT).await;
    // Confirming a first dose is when reminders are offered.
    browser.click("[data-dose-card] button[data-status=\"taken\"]").await;
    browser.wait_for("#push-ios", WAIT).await;
    let hint = browser.text("#push-ios").await;
    assert!(hint.contains("Sur l'écran d'accueil") && hint.contains("Partager"), "{hint}");
    let offer = browser.execute("return !!document.getElementById('push-yes')", json!([])).await;
    assert_eq!(offer, json!(false), "no permission prompt Safari would refuse");
    browser.screenshot("app-iphone-home-screen-hint").await;
    browser.click("#push-ios-ok").await;
    wait_until(&browser, "return !document.getElementById('push-ios')", "the hint closes").await;
    let asked = browser.execute("return localStorage.getItem('relais.push_asked')", json!([])).await;
    assert_eq!(asked, json!("later"));
    browser.close().await;
}
