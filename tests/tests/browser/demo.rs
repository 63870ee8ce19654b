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

    open_patient(&browser, &base, "MARTIN").await;
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

/// English words that have no place on a French page (whole words, any case). Each is an
/// English word a page once showed (a reason, a state, a colour, a raw key), not a French word.
const ENGLISH: &[&str] = &[
    "the",
    "and",
    "with",
    "from",
    "which",
    "should",
    "avoid",
    "risk",
    "fever",
    "red flag",
    "amber",
    "green",
    "completed",
    "active",
    "pending",
    "missed",
    "taken",
    "skipped",
    "other",
    "inducer",
    "inhibitor",
    "exposure",
    "myelosuppressive",
    "strong",
    "toxicity",
    "adherence",
    "patients_included",
    "adherence_percent",
    "unknown",
    "none",
    "yes",
    "no",
    "grade provisional",
    "acknowledged",
    "resolved",
    "open",
    "due",
    "exported",
    "paid",
    "answered",
    "symptom",
    "worsened",
    "threshold",
    "below",
    "weight",
    "intake",
    "computed",
];

/// The words of `list` on the current page's main content, its `<details>` opened (what a
/// reader can unfold is read too); returns that text.
async fn words_of(browser: &Browser, list: &[&str], page: &str, found: &mut Vec<String>) -> String {
    browser
        .execute("document.querySelectorAll('main details').forEach(d => d.open = true); return true", json!([]))
        .await;
    let text = browser.text("main").await;
    words_in(&text, list, page, found);
    text
}

/// The demo's proper names that hold a word of the lists ("Pharmacie des Lices"): names, not
/// text of the page's language.
const NAMES: &[&str] = &["Pharmacie des Lices", "Pharmacie de la Gare", "Pharmacie du Marché"];

/// The words of `list` in `text` (whole words, any case; the demo's names left out).
fn words_in(text: &str, list: &[&str], page: &str, found: &mut Vec<String>) {
    let mut text = text.to_owned();
    for n in NAMES {
        text = text.replace(n, "");
    }
    let lower = text.to_lowercase();
    let words: Vec<&str> = lower.split(|c: char| !(c.is_alphanumeric() || c == '_')).collect();
    for w in list {
        let hit = if w.contains(' ') { lower.contains(w) } else { words.contains(w) };
        if hit {
            let at = lower.find(w).unwrap_or(0);
            let from = lower[..at].char_indices().rev().nth(40).map_or(0, |(i, _)| i);
            let context: String = text[from..].chars().take(100).collect();
            found.push(format!("{page}: « {w} » in …{}…", context.replace('\n', " ")));
        }
    }
}

/// The English words and the numbers written with a decimal point on the current page's main
/// content, its `<details>` opened (the algorithm's detail is French too).
async fn not_french(browser: &Browser, page: &str, found: &mut Vec<String>) {
    let text = words_of(browser, ENGLISH, page, found).await;
    let chars: Vec<char> = text.chars().collect();
    for i in 1..chars.len().saturating_sub(1) {
        // A version is a name, not a number: "CTCAE v5.0".
        let version = chars[..i].iter().rev().find(|c| !c.is_ascii_digit()) == Some(&'v');
        if chars[i] == '.' && chars[i - 1].is_ascii_digit() && chars[i + 1].is_ascii_digit() && !version {
            let context: String = chars[i.saturating_sub(30)..(i + 30).min(chars.len())].iter().collect();
            found.push(format!("{page}: a decimal point in …{}…", context.replace('\n', " ")));
            break;
        }
    }
}

/// The demo's site, its IDEC signed in on the worklist; returns the app (kept alive) and its
/// address.
async fn demo_worklist(browser: &Browser) -> (relais_tests::TestApp, String) {
    let app = spawn_app().await;
    relais_server::demo::seed(&app.state).await.expect("demo seeds");
    let base = app.addr.clone();
    sign_in(browser, &base, "idec@demo.relais.test").await;
    browser.goto(&format!("{base}/staff/")).await;
    browser.wait_for("table.worklist", WAIT).await;
    (app, base)
}

/// Opens the page of the demo's patient whose family name is `family` from the patient list.
async fn open_patient(browser: &Browser, base: &str, family: &str) {
    browser.goto(&format!("{base}/staff/patients")).await;
    browser.wait_for("#patients", WAIT).await;
    let js = format!(
        "return [...document.querySelectorAll('#patients a')].find(a => a.textContent.includes('{family}')).getAttribute('href')"
    );
    let href = browser.execute(&js, json!([])).await;
    browser.goto(&format!("{base}{}", href.as_str().unwrap_or_else(|| panic!("{family} is listed")))).await;
}

/// The links of the worklist's rows (each alert and its patient), in order.
async fn worklist_links(browser: &Browser) -> Vec<String> {
    let links = browser
        .execute(
            "return [...document.querySelectorAll('table.worklist tbody tr a')].map(a => a.getAttribute('href'))",
            json!([]),
        )
        .await;
    links.as_array().unwrap().iter().map(|h| h.as_str().unwrap().to_owned()).collect()
}

/// Issue 19: the demo's staff pages — worklist, a red and an amber alert, the patients, a
/// patient, the enrolment form, the pharmacy, the hand-over sheet, the admin — are French: no
/// English word of [`ENGLISH`], and numbers with a decimal comma.
#[tokio::test]
async fn the_demo_staff_pages_speak_french() {
    let Some(browser) = start_browser(1280, 800).await else { return };
    let (_app, base) = demo_worklist(&browser).await;
    let mut found = vec![];
    not_french(&browser, "worklist", &mut found).await;
    let alerts = worklist_links(&browser).await;
    // Every alert of the worklist: toxicity, adherence, interaction, missed follow-up.
    for (i, href) in alerts.iter().take(16).enumerate() {
        browser.goto(&format!("{base}{href}")).await;
        browser.wait_for("main", WAIT).await;
        not_french(&browser, &format!("alert {i}"), &mut found).await;
    }
    browser.goto(&format!("{base}/staff/patients")).await;
    browser.wait_for("#patients", WAIT).await;
    not_french(&browser, "patients", &mut found).await;
    let patients = browser
        .execute("return [...document.querySelectorAll('#patients a')].map(a => a.getAttribute('href'))", json!([]))
        .await;
    for (i, href) in patients.as_array().unwrap().iter().take(6).enumerate() {
        browser.goto(&format!("{base}{}", href.as_str().unwrap())).await;
        browser.wait_for("main", WAIT).await;
        not_french(&browser, &format!("patient {i}"), &mut found).await;
    }
    browser.goto(&format!("{base}/staff/enrol")).await;
    browser.wait_for("form", WAIT).await;
    not_french(&browser, "enrol", &mut found).await;

    for email in ["officine@demo.relais.test", "pharma-hosp@demo.relais.test"] {
        sign_in(&browser, &base, email).await;
        browser.goto(&format!("{base}/staff/pharmacy")).await;
        browser.wait_for("main", WAIT).await;
        not_french(&browser, email, &mut found).await;
        if email.starts_with("officine") {
            browser.desktop_and_phone_shots("demo-pharmacy").await;
        }
    }
    let sheet = browser
        .execute(
            "const a = document.querySelector('a[href*=\"/handover\"]'); return a && a.getAttribute('href')",
            json!([]),
        )
        .await;
    if let Some(href) = sheet.as_str() {
        browser.goto(&format!("{base}{href}")).await;
        browser.wait_for("main", WAIT).await;
        not_french(&browser, "hand-over sheet", &mut found).await;
        browser.screenshot("demo-handover-sheet").await;
    }
    sign_in(&browser, &base, "admin@demo.relais.test").await;
    browser.goto(&format!("{base}/staff/admin")).await;
    browser.wait_for("#statements", WAIT).await;
    not_french(&browser, "admin", &mut found).await;
    browser.close().await;
    assert!(found.is_empty(), "English on French pages:\n{}", found.join("\n"));
}

/// French words that have no place on an English page (whole words, any case).
const FRENCH: &[&str] = &[
    "les",
    "des",
    "une",
    "pour",
    "avec",
    "sans",
    "alerte",
    "alertes",
    "réponses",
    "équipe",
    "couleur",
    "échéance",
    "ouverte",
    "clôturer",
    "signe",
    "fièvre",
    "température",
    "orange",
    "rouge",
    "vert",
    "toxicité",
    "observance",
    "prise",
    "grade provisoire",
    "joindre",
    "depuis",
    "motif",
    "voir",
    "relance",
    "dépassé",
    "reste",
];

/// The French words of [`FRENCH`] on the current page's main content, `<details>` opened.
async fn not_english(browser: &Browser, page: &str, found: &mut Vec<String>) {
    words_of(browser, FRENCH, page, found).await;
}

/// Issue 19: the IDEC switches the header to English; the demo's worklist, every alert of it and
/// the patient list and the enrolment form then read in English (no French word of [`FRENCH`]),
/// and the switch brings French back; the same for the community pharmacist's page, the
/// administrator's and the billing office's.
#[tokio::test]
async fn the_demo_worklist_and_alerts_read_in_english_after_the_switch() {
    let Some(browser) = start_browser(1280, 800).await else { return };
    let (_app, base) = demo_worklist(&browser).await;
    let mut found = vec![];
    browser.click("button[name=locale][value=en]").await;
    browser.wait_for("html[lang=en] table.worklist", WAIT).await;
    not_english(&browser, "worklist", &mut found).await;
    let alerts: Vec<String> =
        worklist_links(&browser).await.into_iter().filter(|h| h.starts_with("/staff/alerts/")).collect();
    assert!(alerts.len() >= 2, "{alerts:?}");
    for (i, href) in alerts.iter().take(16).enumerate() {
        browser.goto(&format!("{base}{href}")).await;
        browser.wait_for("html[lang=en] main", WAIT).await;
        not_english(&browser, &format!("alert {i}"), &mut found).await;
        if i == 0 {
            browser.desktop_and_phone_shots("demo-alert-in-english").await;
        }
    }
    browser.goto(&format!("{base}/staff/patients")).await;
    browser.wait_for("html[lang=en] #patients", WAIT).await;
    not_english(&browser, "patients", &mut found).await;
    browser.goto(&format!("{base}/staff/enrol")).await;
    browser.wait_for("html[lang=en] form", WAIT).await;
    // The drug picker's options are read too (the usual regimen of each drug).
    let options = browser
        .execute("return [...document.querySelectorAll('main option')].map(o => o.textContent).join('\\n')", json!([]))
        .await;
    words_in(options.as_str().unwrap_or_default(), FRENCH, "enrol options", &mut found);
    not_english(&browser, "enrol", &mut found).await;
    browser.desktop_and_phone_shots("demo-enrol-in-english").await;
    browser.click("button[name=locale][value=fr]").await;
    browser.wait_for("html[lang=fr] main", WAIT).await;

    // The community pharmacist's page, switched to English.
    sign_in(&browser, &base, "officine@demo.relais.test").await;
    browser.goto(&format!("{base}/staff/pharmacy")).await;
    browser.wait_for("main", WAIT).await;
    browser.click("button[name=locale][value=en]").await;
    browser.wait_for("html[lang=en] main", WAIT).await;
    not_english(&browser, "pharmacy", &mut found).await;
    browser.desktop_and_phone_shots("demo-pharmacy-in-english").await;
    browser.click("button[name=locale][value=fr]").await;
    browser.wait_for("html[lang=fr] main", WAIT).await;

    // The administrator's and the billing office's page (statements, lines, indicators).
    for email in ["admin@demo.relais.test", "facturation@demo.relais.test"] {
        sign_in(&browser, &base, email).await;
        browser.goto(&format!("{base}/staff/admin")).await;
        browser.wait_for("#statements", WAIT).await;
        browser.click("button[name=locale][value=en]").await;
        browser.wait_for("html[lang=en] #statements", WAIT).await;
        not_english(&browser, email, &mut found).await;
        if email.starts_with("admin") {
            browser.desktop_and_phone_shots("demo-admin-in-english").await;
        }
        browser.click("button[name=locale][value=fr]").await;
        browser.wait_for("html[lang=fr] main", WAIT).await;
    }
    browser.close().await;
    assert!(found.is_empty(), "French on English pages:\n{}", found.join("\n"));
}

/// French words of the patient page that have no place on its English version, beyond
/// [`FRENCH`].
const PATIENT_FRENCH: &[&str] = &[
    "identité",
    "naissance",
    "épisode",
    "parcours",
    "séquence",
    "traitement",
    "médicament",
    "calendrier",
    "prises",
    "pris",
    "oublié",
    "pause",
    "férié",
    "officine",
    "délivré",
    "unités",
    "entretien",
    "conciliation",
    "aucune",
    "aucun",
    "enregistrer",
    "jours",
    "mois",
    "oui",
    "non",
    "janv",
    "déc",
];

/// Issue 19: the IDEC switches to English and opens the demo patient with the most on their
/// page — Jean Dupont: S2 after S1, a change of community pharmacy (the team's history), a
/// dispensation, weeks of doses and reports, alerts — every `<details>` open: no French word of
/// [`FRENCH`] nor [`PATIENT_FRENCH`] (the demo's pharmacy names, [`NAMES`], left out).
#[tokio::test]
async fn the_demo_patient_page_reads_in_english_after_the_switch() {
    let Some(browser) = start_browser(1280, 800).await else { return };
    let (_app, base) = demo_worklist(&browser).await;
    browser.click("button[name=locale][value=en]").await;
    browser.wait_for("html[lang=en] table.worklist", WAIT).await;
    open_patient(&browser, &base, "DUPONT").await;
    browser.wait_for("html[lang=en] #h-episode", WAIT).await;
    let list: Vec<&str> = FRENCH.iter().chain(PATIENT_FRENCH).copied().collect();
    let mut found = vec![];
    let text = words_of(&browser, &list, "patient", &mut found).await;
    for en in ["Episode and pathway", "Sequence history", "Care team history", "Dispensations", "Doses per day"] {
        assert!(text.contains(en), "{en} in {text}");
    }
    let opened =
        browser.execute("return [...document.querySelectorAll('main details')].every(d => d.open)", json!([])).await;
    assert_eq!(opened, json!(true), "every <details> opened");
    browser.desktop_and_phone_shots("demo-patient-in-english").await;

    // The patient's hand-over sheet, linked from the page, reads in English too.
    let sheet = browser
        .execute(
            "const a = document.querySelector('a[href*=\"/handover\"]'); return a && a.getAttribute('href')",
            json!([]),
        )
        .await;
    browser.goto(&format!("{base}{}", sheet.as_str().expect("the patient page links to the hand-over sheet"))).await;
    browser.wait_for("html[lang=en] #sheet", WAIT).await;
    not_english(&browser, "hand-over sheet", &mut found).await;
    let text = browser.text("main").await;
    for en in ["Hospital–community hand-over sheet", "What to watch for", "The team's contacts", "Next decision"] {
        assert!(text.contains(en), "{en} in {text}");
    }
    assert_eq!(
        browser.execute("return document.querySelector('#sheet').getAttribute('lang')", json!([])).await,
        serde_json::Value::Null,
        "the demo's sheets were issued in both languages"
    );
    browser.screenshot("demo-handover-in-english").await;
    browser.close().await;
    assert!(found.is_empty(), "French on the English patient page or hand-over sheet:\n{}", found.join("\n"));
}
