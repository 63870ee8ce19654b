//! The patient's web app is served by relais itself: types, CSP, caching; and the
//! patient API's answers to what the app does offline (a queued dose confirmation retried).

use relais_tests::*;
use reqwest::{Method, StatusCode, header};
use serde_json::{Value, json};

async fn fetch(app: &TestApp, path: &str) -> reqwest::Response {
    app.http.get(format!("{}{path}", app.addr)).send().await.expect("request")
}

fn header_of(r: &reqwest::Response, name: header::HeaderName) -> &str {
    r.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or("")
}

#[tokio::test]
async fn the_app_shell_is_served_with_its_types_a_strict_csp_and_revalidation() {
    let app = spawn_app().await;
    for (path, mime) in [
        ("/app/", "text/html; charset=utf-8"),
        ("/app/sw.js", "text/javascript; charset=utf-8"),
        ("/app/app.js", "text/javascript; charset=utf-8"),
        ("/app/style.css", "text/css; charset=utf-8"),
        ("/app/manifest.webmanifest", "application/manifest+json"),
        ("/app/icon-192.png", "image/png"),
        ("/app/icon-512.png", "image/png"),
        ("/app/icon.svg", "image/svg+xml"),
    ] {
        let r = fetch(&app, path).await;
        assert_eq!(r.status(), StatusCode::OK, "{path}");
        assert_eq!(header_of(&r, header::CONTENT_TYPE), mime, "{path}");
        let csp = header_of(&r, header::CONTENT_SECURITY_POLICY).to_owned();
        for part in [
            "script-src 'self'",
            "style-src 'self'",
            "connect-src 'self'",
            "worker-src 'self'",
            "img-src 'self' data:",
            "frame-ancestors 'none'",
        ] {
            assert!(csp.contains(part), "{path}: CSP {csp:?} lacks {part:?}");
        }
        assert!(!csp.contains("unsafe-inline"), "{path}: {csp}");
        assert_eq!(header_of(&r, header::REFERRER_POLICY), "no-referrer");
        assert_eq!(header_of(&r, header::CACHE_CONTROL), "no-cache", "{path}");
        let etag = header_of(&r, header::ETAG).to_owned();
        assert!(etag.starts_with('"'), "{path}: ETag {etag:?}");
        let again =
            app.http.get(format!("{}{path}", app.addr)).header(header::IF_NONE_MATCH, &etag).send().await.unwrap();
        assert_eq!(again.status(), StatusCode::NOT_MODIFIED, "{path}");
    }
    // No inline script or style for the CSP to refuse: scripts and styles come from files.
    let html = fetch(&app, "/app/").await.text().await.unwrap();
    assert!(html.contains(r#"<script type="module" src="/app/app.js"></script>"#));
    assert!(!html.contains("<script>") && !html.contains("style=") && !html.contains("<style"));
    let manifest: Value = fetch(&app, "/app/manifest.webmanifest").await.json().await.unwrap();
    assert_eq!((manifest["scope"].as_str(), manifest["lang"].as_str()), (Some("/app/"), Some("fr")));
    let sizes: Vec<&str> = manifest["icons"].as_array().unwrap().iter().map(|i| i["sizes"].as_str().unwrap()).collect();
    assert!(sizes.contains(&"192x192") && sizes.contains(&"512x512"), "{sizes:?}");
    let png = fetch(&app, "/app/icon-512.png").await.bytes().await.unwrap();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    assert_eq!(u32::from_be_bytes(png[16..20].try_into().unwrap()), 512, "PNG width");
    // /app without the slash lands on the app; an unknown file is a 404.
    let bare = fetch(&app, "/app").await;
    assert_eq!((bare.status(), bare.url().path()), (StatusCode::OK, "/app/"));
    assert_eq!(fetch(&app, "/app/secrets.toml").await.status(), StatusCode::NOT_FOUND);
    // Sent raw on the socket: an HTTP client would normalise `..` away before sending, and the
    // asset route would never see it.
    for target in ["/app/../Cargo.toml", "/app/..%2fCargo.toml", "/app/%2e%2e/Cargo.toml", "/app/../../etc/passwd"] {
        let (status, body) = raw_get(&app, target).await;
        assert_eq!(status, 404, "{target}: {body}");
        assert!(!body.contains("[package]") && !body.contains("root:"), "{target} leaked a file");
    }
}

/// GET `target` exactly as written (no normalisation); the status code and the body.
async fn raw_get(app: &TestApp, target: &str) -> (u16, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let host = app.addr.trim_start_matches("http://");
    let mut sock = tokio::net::TcpStream::connect(host).await.unwrap();
    let req = format!("GET {target} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n");
    sock.write_all(req.as_bytes()).await.unwrap();
    let mut out = Vec::new();
    sock.read_to_end(&mut out).await.unwrap();
    let text = String::from_utf8_lossy(&out).into_owned();
    let status = text.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    (status, text)
}

/// A patient with today's doses planned; (app, site, patient id, device token, the first
/// pending dose's id).
async fn patient_with_a_dose() -> (TestApp, Site, String, String, String) {
    let app = spawn_app().await;
    let site = app.seed_site().await;
    let (pid, _, code) = app.enrol(&site, app.enrolment(&site)).await;
    app.dispatch().await;
    let device = app.activate(&code).await;
    let today = app.get("/api/v1/patient/today", &device).await;
    let dose = today.body["doses"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["status"] == "pending")
        .unwrap_or_else(|| panic!("a pending dose today: {:?}", today.body));
    let id = dose["id"].as_str().unwrap().to_owned();
    // Ten minutes before the dose: it may be confirmed (from 60 minutes before it).
    let due: chrono::DateTime<chrono::Utc> = dose["due_at"].as_str().unwrap().parse().unwrap();
    app.set_now(due - chrono::Duration::minutes(10));
    (app, site, pid, device, id)
}

#[tokio::test]
async fn a_queued_dose_confirmation_sent_again_counts_once_and_raises_nothing() {
    let (app, site, pid, device, id) = patient_with_a_dose().await;
    let path = format!("/api/v1/patient/doses/{id}");
    let tap = (app.clock.now() - chrono::Duration::minutes(3)).to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let first = app.post(&path, &device, json!({"status": "taken", "at": tap})).await;
    assert_eq!((first.status, first.body["status"].as_str()), (StatusCode::OK, Some("taken")), "{:?}", first.body);
    // The phone did not get the answer (network cut) and sends the same confirmation again.
    app.set_now(app.clock.now() + chrono::Duration::minutes(20));
    let retry = app.post(&path, &device, json!({"status": "taken", "at": tap})).await;
    assert_eq!((retry.status, &retry.body), (StatusCode::OK, &first.body));
    assert_eq!(count(&app.state, "alerts").await, 0, "a retry is not a double dose");
    let audits = app.get(&format!("/api/v1/patients/{pid}/audit"), &site.idec.1).await;
    let taken = audits.body.as_array().unwrap().iter().filter(|a| a["action"] == "taken").count();
    assert_eq!(taken, 1, "{:?}", audits.body);
    // Another tap (another instant) is a second intake: 409 and the pharmacist is told.
    let later = app.clock.now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let second = app.post(&path, &device, json!({"status": "taken", "at": later})).await;
    assert_eq!(second.status, StatusCode::CONFLICT);
    assert_eq!(count(&app.state, "alerts").await, 1);
    // The same instant with another outcome is not the same confirmation either.
    let other = app.post(&path, &device, json!({"status": "vomited", "at": tap})).await;
    assert_eq!(other.status, StatusCode::CONFLICT);
}

#[tokio::test]
async fn i_have_a_symptom_now_lists_the_questions_always_asked() {
    let (app, _, _, device, _) = patient_with_a_dose().await;
    let q = app.call(Method::GET, "/api/v1/patient/questionnaires/spontaneous", Some(&device), None).await;
    assert_eq!(q.status, StatusCode::OK);
    let keys = |v: &Value| -> Vec<String> {
        v.as_array().unwrap().iter().map(|m| m["key"].as_str().unwrap().to_owned()).collect()
    };
    let (picks, always) = (keys(&q.body["modules"]), keys(&q.body["always"]));
    assert!(picks.contains(&"diarrhea".to_owned()) && !picks.contains(&"chest_pain".to_owned()), "{picks:?}");
    // docs/triage.md §1 "Order" (r3): the red-flag questions first, then the temperature.
    assert_eq!(always.first().map(String::as_str), Some("chest_pain"), "{always:?}");
    assert_eq!(always.last().map(String::as_str), Some("temperature_c"), "{always:?}");
    assert!(always.contains(&"confusion".to_owned()), "{always:?}");
    // Fever is a choice; diarrhoea brings its stool count, right after it, shown when above 0;
    // the counts are not offered alone.
    assert!(picks.contains(&"temperature_c".to_owned()), "{picks:?}");
    assert!(!picks.contains(&"stools_above_baseline".to_owned()), "{picks:?}");
    let diarrhea = q.body["modules"].as_array().unwrap().iter().find(|m| m["key"] == "diarrhea").unwrap();
    let items: Vec<&str> = diarrhea["items"].as_array().unwrap().iter().map(|i| i["key"].as_str().unwrap()).collect();
    assert_eq!(items, ["diarrhea.frequency", "stools_above_baseline"]);
    assert_eq!(diarrhea["items"][1]["show_if"], json!({"key": "diarrhea.frequency", "above": 0}));
    assert!(q.body["red_rules"].as_array().unwrap().iter().any(|r| r["key"] == "chest_pain"));
}

/// Issue 19: today's screen keeps the last red or amber result (what to do, the team's number)
/// until someone of the team has acknowledged its alert; a green report leaves nothing.
#[tokio::test]
async fn today_keeps_the_last_red_result_until_the_team_acknowledges_it() {
    let (app, site, _, device, _) = patient_with_a_dose().await;
    let today = || app.get("/api/v1/patient/today", &device);
    assert!(today().await.body.get("last_result").is_none());
    let green = app.report(&device, json!({"temperature_c": 37.0})).await;
    assert_eq!(green.body["colour"], "green");
    assert!(today().await.body.get("last_result").is_none(), "green: nothing to keep");

    let red = app.report(&device, json!({"temperature_c": 38.6})).await;
    assert_eq!(red.body["colour"], "red", "{:?}", red.body);
    let kept = today().await.body;
    let last = &kept["last_result"];
    assert_eq!(last["report_id"], red.body["report_id"], "{kept}");
    assert_eq!(last["result"]["colour"], "red");
    assert_eq!(last["result"]["advice"], red.body["advice"], "the same advice as on the result screen");
    assert_eq!(last["result"]["contact"]["phone"], "+33299000000");

    let alerts = app.get("/api/v1/alerts", &site.idec.1).await;
    let id = alerts.body[0]["id"].as_str().unwrap();
    let ack = app.post(&format!("/api/v1/alerts/{id}/acknowledge"), &site.idec.1, Value::Null).await;
    assert_eq!(ack.status, StatusCode::OK, "{:?}", ack.body);
    assert!(today().await.body.get("last_result").is_none(), "acknowledged: the team has it");
}
