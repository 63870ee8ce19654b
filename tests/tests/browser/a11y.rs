//! Accessibility (WCAG 2.1 A and AA) of the main screens of both front ends, checked by axe-core
//! (vendored, tests/assets/README.md) in headless Chromium: the staff pages of the demo for
//! each role, and the patient app from activation to a questionnaire's result. A serious or
//! critical violation fails the test, naming the rule and the elements.

use std::time::Duration;

use relais_tests::browser::{Browser, start_browser};
use relais_tests::spawn_app;
use serde_json::{Value, json};

const WAIT: Duration = Duration::from_secs(20);
const AXE: &str = include_str!("../../assets/axe-4.14.1.min.js");

/// The serious and critical violations axe finds on the current page, one line each.
async fn violations(browser: &Browser) -> Vec<String> {
    let loaded = browser.execute("return typeof axe !== 'undefined'", json!([])).await;
    if loaded != Value::Bool(true) {
        browser.execute(&format!("{AXE}\n;window.axe = axe; return true;"), json!([])).await;
    }
    let result = browser
        .execute(
            "return axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})
               .then(r => r.violations.filter(v => v.impact === 'serious' || v.impact === 'critical')
                 .map(v => v.id + ' (' + v.impact + '): ' + v.help + ' — '
                   + v.nodes.slice(0, 4).map(n => n.target.join(' ') + ' [' + (n.failureSummary || '').replace(/\\s+/g, ' ') + ']').join('; ')))",
            json!([]),
        )
        .await;
    result.as_array().unwrap_or_else(|| panic!("axe ran: {result}")).iter().map(|v| v.to_string()).collect()
}

/// The contrast of the focus indicator of the element that has the focus, against the
/// background behind it: the better of its outline and its ring (box-shadow) colours, as WCAG
/// 2.1 (1.4.11) asks of a focus indicator (at least 3:1). axe does not measure this.
const FOCUS_CONTRAST: &str = "
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const rgb = c => { const m = (c || '').match(/rgba?\\(([^)]+)\\)/); if (!m) return null;
    const p = m[1].split(',').map(x => parseFloat(x)); return p.length > 3 && p[3] === 0 ? null : p.slice(0, 3); };
  const lum = p => { const f = v => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
    return 0.2126 * f(p[0]) + 0.7152 * f(p[1]) + 0.0722 * f(p[2]); };
  const ratio = (a, b) => { const x = lum(a), y = lum(b); return (Math.max(x, y) + 0.05) / (Math.min(x, y) + 0.05); };
  let bg = null;
  for (let p = el.parentElement; p && !bg; p = p.parentElement) bg = rgb(getComputedStyle(p).backgroundColor);
  bg = bg || [255, 255, 255];
  const s = getComputedStyle(el);
  const outline = s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2 ? rgb(s.outlineColor) : null;
  const ring = rgb(s.boxShadow);
  const best = Math.max(outline ? ratio(outline, bg) : 0, ring ? ratio(ring, bg) : 0);
  return [el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + ' \"' + (el.innerText || el.value || '').trim().slice(0, 30) + '\"', best];";

/// Tabs through the first `stops` controls of the page, as a keyboard user does; collects each
/// whose focus indicator is below 3:1 against its background.
async fn focus_rings(browser: &Browser, name: &str, stops: usize, found: &mut Vec<String>) {
    browser.execute("document.activeElement && document.activeElement.blur(); window.scrollTo(0, 0)", json!([])).await;
    let mut seen = 0;
    for _ in 0..stops {
        browser.press_tab().await;
        let r = browser.execute(FOCUS_CONTRAST, json!([])).await;
        let Some(ratio) = r[1].as_f64() else { continue };
        seen += 1;
        if ratio < 3.0 {
            found.push(format!("{name}: focus indicator of {} at {ratio:.2}:1 (below 3:1)", r[0]));
        }
    }
    if seen == 0 {
        found.push(format!("{name}: no control took the focus from the keyboard"));
    }
}

/// Checks the page now on screen; collects what is wrong under `name`.
async fn check(browser: &Browser, name: &str, found: &mut Vec<String>) {
    for v in violations(browser).await {
        found.push(format!("{name}: {v}"));
    }
    focus_rings(browser, name, 6, found).await;
}

/// Signs in through the login form with a demo account and waits for the first page.
async fn sign_in(browser: &Browser, base: &str, email: &str) {
    browser.staff_sign_in(base, email, relais_server::demo::PASSWORD, WAIT).await;
    browser.wait_for("header.top", WAIT).await;
}

#[tokio::test]
async fn the_main_staff_screens_have_no_serious_accessibility_violation() {
    let Some(browser) = start_browser(1280, 800).await else { return };
    let app = spawn_app().await;
    relais_server::demo::seed(&app.state).await.expect("demo seeds");
    let base = app.addr.clone();
    let mut found = vec![];

    browser.goto(&format!("{base}/staff/login")).await;
    browser.wait_for("form", WAIT).await;
    // The check itself can fail: an unnamed field added by hand is reported.
    browser
        .execute("const i = document.createElement('input'); i.id = 'unnamed'; document.body.append(i)", json!([]))
        .await;
    let seeded = violations(&browser).await;
    assert!(
        seeded.iter().any(|v| v.contains("label") && v.contains("#unnamed")),
        "axe reports an unnamed field: {seeded:?}"
    );
    browser.execute("document.getElementById('unnamed').remove()", json!([])).await;
    check(&browser, "login", &mut found).await;

    sign_in(&browser, &base, "idec@demo.relais.test").await;
    browser.goto(&format!("{base}/staff/")).await;
    browser.wait_for("table.worklist", WAIT).await;
    check(&browser, "worklist", &mut found).await;
    let alert = browser
        .execute("return document.querySelector('table.worklist tbody tr a').getAttribute('href')", json!([]))
        .await;
    browser.goto(&format!("{base}{}", alert.as_str().expect("an alert on the worklist"))).await;
    browser.wait_for("main", WAIT).await;
    check(&browser, "alert", &mut found).await;
    browser.goto(&format!("{base}/staff/patients")).await;
    browser.wait_for("#patients", WAIT).await;
    check(&browser, "patients", &mut found).await;
    let patient = browser.execute("return document.querySelector('#patients a').getAttribute('href')", json!([])).await;
    browser.goto(&format!("{base}{}", patient.as_str().expect("a patient listed"))).await;
    browser.wait_for("svg", WAIT).await;
    check(&browser, "patient", &mut found).await;
    browser.goto(&format!("{base}/staff/enrol")).await;
    browser.wait_for("form", WAIT).await;
    check(&browser, "enrol", &mut found).await;

    sign_in(&browser, &base, "officine@demo.relais.test").await;
    browser.goto(&format!("{base}/staff/pharmacy")).await;
    browser.wait_for("main", WAIT).await;
    check(&browser, "pharmacy", &mut found).await;
    // The patient page of each pharmacist: the interview and AC forms, the reconciliation form.
    for (who, email, form) in [
        ("patient (community pharmacist)", "officine@demo.relais.test", "#ac-form"),
        ("patient (hospital pharmacist)", "pharma-hosp@demo.relais.test", "#reconciliation-form"),
    ] {
        sign_in(&browser, &base, email).await;
        browser.goto(&format!("{base}/staff/patients")).await;
        browser.wait_for("#patients", WAIT).await;
        let patient =
            browser.execute("return document.querySelector('#patients a').getAttribute('href')", json!([])).await;
        browser.goto(&format!("{base}{}", patient.as_str().expect("a patient listed"))).await;
        browser.wait_for(form, WAIT).await;
        check(&browser, who, &mut found).await;
    }

    sign_in(&browser, &base, "admin@demo.relais.test").await;
    browser.goto(&format!("{base}/staff/admin")).await;
    browser.wait_for("#statements", WAIT).await;
    check(&browser, "admin", &mut found).await;
    browser.close().await;
    assert!(found.is_empty(), "serious or critical accessibility violations:\n{}", found.join("\n"));
}

#[tokio::test]
async fn the_main_screens_of_the_patient_app_have_no_serious_accessibility_violation() {
    let Some(browser) = start_browser(360, 740).await else { return };
    // Monday 10:30 Paris: the first questionnaire of S1 is due.
    let start = chrono::DateTime::parse_from_rfc3339("2026-11-22T09:00:00Z").unwrap().to_utc();
    let app = relais_tests::spawn_app_at(start).await;
    let site = app.seed_site().await;
    let (_, _, code) = app.enrol(&site, app.enrolment(&site)).await;
    let due = chrono::DateTime::parse_from_rfc3339("2026-11-23T09:30:00Z").unwrap().to_utc();
    app.run_until(due, chrono::Duration::hours(1)).await;
    let base = &app.addr;
    let mut found = vec![];

    browser.goto(&format!("{base}/app/")).await;
    browser.wait_for("#code", WAIT).await;
    check(&browser, "app activation", &mut found).await;
    browser.type_into("#code", &code).await;
    browser.click("#activate").await;
    browser.wait_for(".doses", WAIT).await;
    check(&browser, "app today", &mut found).await;

    // The questionnaire: a question with choices, then a number, each checked once.
    browser.click(".questionnaire-due a").await;
    let (mut choice_seen, mut number_seen) = (false, false);
    for _ in 0..80 {
        browser.wait_for(".question, #red-screen, #result, #queued", WAIT).await;
        let kind = browser
            .execute(
                "const q = document.querySelector('.question');
                 return q ? (q.querySelector('#number') ? 'number' : 'choice') : 'end'",
                json!([]),
            )
            .await;
        match kind.as_str() {
            Some("number") => {
                if !number_seen {
                    check(&browser, "app question (number)", &mut found).await;
                    number_seen = true;
                }
                browser.type_into(".question #number", "0").await;
                browser.click(".question #next").await;
            }
            Some("choice") => {
                if !choice_seen {
                    check(&browser, "app question (choices)", &mut found).await;
                    choice_seen = true;
                }
                let value = browser
                    .execute(
                        "const b = document.querySelector('.question button[data-value=\"false\"], .question button[data-value=\"0\"]');
                         return b ? b.dataset.value : document.querySelector('.question .choice').dataset.value",
                        json!([]),
                    )
                    .await;
                browser.click(&format!(".question button[data-value=\"{}\"]", value.as_str().unwrap())).await;
            }
            _ => break,
        }
    }
    assert!(choice_seen && number_seen, "both kinds of question were on screen");
    check(&browser, "app result", &mut found).await;
    browser.close().await;
    assert!(found.is_empty(), "serious or critical accessibility violations:\n{}", found.join("\n"));
}
