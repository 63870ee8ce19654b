//! The route × role matrix of the JSON API, read from the router's own table
//! (`relais_server::http::api_routes`): every route is called without credentials, with the
//! wrong kind of credentials, and by professionals of another establishment, pharmacy or
//! practice on real ids of this site. A route added to the router and not to `MATRIX` fails
//! the first test, so no route goes without these checks.

use relais_tests::relais_server::http::{Access, api_route_table};
use relais_tests::*;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// The API's routes as this test knows them: (method, path, access).
const MATRIX: &[(&str, &str, &str)] = &[
    ("POST", "/auth/login", "public"),
    ("POST", "/auth/logout", "staff"),
    ("GET", "/auth/me", "staff"),
    ("POST", "/patients", "staff"),
    ("GET", "/patients", "staff"),
    ("GET", "/patients/{id}", "staff"),
    ("POST", "/patients/{id}/activation-code", "staff"),
    ("GET", "/patients/{id}/audit", "staff"),
    ("DELETE", "/patients/{id}/devices", "staff"),
    ("POST", "/episodes/{id}/decision", "staff"),
    ("POST", "/episodes/{id}/comedications", "staff"),
    ("POST", "/episodes/{id}/regimen", "staff"),
    ("GET", "/catalog/drugs", "staff"),
    ("POST", "/episodes/{id}/team", "staff"),
    ("GET", "/episodes/{id}/team", "staff"),
    ("GET", "/episodes/{id}/handover-sheets", "staff"),
    ("POST", "/episodes/{id}/care-events", "staff"),
    ("GET", "/episodes/{id}/care-events", "staff"),
    ("POST", "/episodes/{id}/dispensations", "staff"),
    ("GET", "/episodes/{id}/dispensations", "staff"),
    ("POST", "/episodes/{id}/pharmacy-interviews", "staff"),
    ("GET", "/episodes/{id}/pharmacy-interviews", "staff"),
    ("POST", "/episodes/{id}/reconciliation", "staff"),
    ("GET", "/episodes/{id}/reconciliation", "staff"),
    ("GET", "/indicators", "staff"),
    ("GET", "/alerts", "staff"),
    ("GET", "/alerts/{id}", "staff"),
    ("POST", "/alerts/{id}/acknowledge", "staff"),
    ("POST", "/alerts/{id}/resolve", "staff"),
    ("POST", "/patient/activate", "public"),
    ("POST", "/patient/reports", "patient"),
    ("GET", "/patient/today", "patient"),
    ("GET", "/patient/push-key", "public"),
    ("GET", "/patient/questionnaires/pending", "patient"),
    ("GET", "/patient/questionnaires/spontaneous", "patient"),
    ("GET", "/patient/questionnaires/{id}", "patient"),
    ("POST", "/patient/doses/{id}", "patient"),
    ("POST", "/patient/doses/{id}/undo", "patient"),
    ("POST", "/patient/devices", "patient"),
    ("DELETE", "/patient/devices/{id}", "patient"),
    ("GET", "/patient/me", "patient"),
    ("PUT", "/patient/locale", "patient"),
    ("POST", "/patient/logout", "patient"),
    ("GET", "/billing/lines", "staff"),
    ("POST", "/billing/lines/{id}/paid", "staff"),
    ("POST", "/billing/lines/{id}/cancel", "staff"),
    ("GET", "/billing/statements/{file}", "staff"),
    ("POST", "/interviews", "staff"),
    ("GET", "/interviews/codes", "staff"),
    ("POST", "/staff/devices", "staff"),
    ("DELETE", "/staff/devices/{id}", "staff"),
    ("GET", "/openapi.json", "public"),
    ("GET", "/docs", "public"),
];

fn access_name(a: Access) -> &'static str {
    match a {
        Access::Public => "public",
        Access::Staff => "staff",
        Access::Patient => "patient",
    }
}

#[test]
fn every_api_route_is_in_the_matrix() {
    let table: Vec<(String, String, String)> = api_route_table()
        .into_iter()
        .map(|(m, p, a)| (m.to_string(), p.to_owned(), access_name(a).to_owned()))
        .collect();
    let known: Vec<(String, String, String)> =
        MATRIX.iter().map(|(m, p, a)| ((*m).to_owned(), (*p).to_owned(), (*a).to_owned())).collect();
    for route in &table {
        assert!(known.contains(route), "{route:?} is served but has no row in MATRIX: add it, with its checks");
    }
    for route in &known {
        assert!(table.contains(route), "{route:?} is in MATRIX but not served");
    }
}

/// A body a route would accept from someone in scope, so that a refusal can only come from
/// the scope check.
fn body_for(path: &str) -> Value {
    match path {
        "/episodes/{id}/decision" => json!({"action": "renew", "reason": null}),
        "/episodes/{id}/comedications" => json!({"name": "paracétamol"}),
        "/episodes/{id}/regimen" => {
            json!({"regimen": [{"drug": "capecitabine", "dose": "1500 mg", "times": ["08:00"]}]})
        }
        "/episodes/{id}/care-events" => json!({"kind": "emergency_visit", "date": "2026-11-23"}),
        "/alerts/{id}/resolve" => json!({"confirmed_grade": 1, "note": "vu"}),
        "/episodes/{id}/team" => json!({"effective_date": "2026-11-23", "gp": null}),
        "/episodes/{id}/dispensations" => {
            json!({"drug": "capecitabine", "dispensed_on": "2026-11-23", "units": 56, "units_per_day": 2})
        }
        "/episodes/{id}/pharmacy-interviews" => {
            json!({"done_on": "2026-11-23", "topics": ["adherence"], "minutes": 15})
        }
        "/episodes/{id}/reconciliation" => json!({"reconciled_on": "2026-11-23",
            "medications": [{"name": "Kardégic", "dosage": "75 mg", "decision": "continue"}]}),
        _ => json!({}),
    }
}

#[tokio::test]
async fn every_route_refuses_strangers_the_wrong_credentials_and_other_teams() {
    let app = spawn_app().await;
    let site = app.seed_site().await;
    let (pid, eid, code) = app.enrol(&site, app.enrolment(&site)).await;
    app.dispatch().await;
    let phone = app.activate(&code).await;
    let a =
        app.post(&format!("/api/v1/episodes/{eid}/comedications"), &site.idec.1, json!({"name": "Warfarine"})).await;
    let alert = a.body["alert_id"].as_str().expect("an interaction alert").to_owned();
    let key = "BNcRdreALRFXTkOOUHK1EtK2wtaz5Ry4YfYCA_0QTpQtUbVlUls0VJXg7A8u-Ts1XbjhazAkj7I99e8QcYP7DkM";
    let sub = json!({"kind": "webpush", "endpoint": "https://fcm.googleapis.com/fcm/send/x",
                     "keys": {"p256dh": key, "auth": "tBHItJI5svbpez7KI4CCXg"}});
    let staff_device =
        app.post("/api/v1/staff/devices", &site.idec.1, sub).await.body["id"].as_str().unwrap().to_owned();
    let fill = |path: &str| -> String {
        let id = match path {
            p if p.starts_with("/patients/") => pid.clone(),
            p if p.starts_with("/episodes/") => eid.clone(),
            p if p.starts_with("/alerts/") => alert.clone(),
            p if p.starts_with("/staff/devices/") => staff_device.clone(),
            _ => "01900000-0000-7000-8000-000000000000".to_owned(),
        };
        format!("/api/v1{}", path.replace("{id}", &id).replace("{file}", "2026-11.json"))
    };
    // A community nurse (IDEL) on no team of this site: sees nothing of it.
    let role = relais_tests::relais_server::domain::access::Role::CommunityNurse;
    app.add_professional("idel@b.test", role, "10000000098", None, None).await;
    let idel = app.login("idel@b.test").await;
    let strangers = [
        ("an IDEL of no team here", &idel),
        ("another establishment's IDEC", &site.other_idec.1),
        ("another establishment's oncologist", &site.other_oncologist.1),
        ("another pharmacy", &site.other_community_pharmacist.1),
        ("another GP", &site.other_gp.1),
    ];
    let mut checked = 0;
    for (method, path, access) in api_route_table() {
        let url = fill(path);
        let call = async |token: Option<&str>| {
            let body = (method != Method::GET && method != Method::DELETE).then(|| body_for(path));
            app.call(method.clone(), &url, token, body).await
        };
        let anonymous = call(None).await;
        assert!(anonymous.status.as_u16() < 500, "{method} {path}: {:?}", anonymous.status);
        match access {
            Access::Public => assert_ne!(anonymous.status, StatusCode::UNAUTHORIZED, "{method} {path} is public"),
            _ => assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED, "{method} {path} without credentials"),
        }
        if access == Access::Staff {
            assert_eq!(
                call(Some(&phone)).await.status,
                StatusCode::UNAUTHORIZED,
                "{method} {path} with a phone's token"
            );
            if path.contains('{') {
                for (who, token) in strangers {
                    let a = call(Some(token)).await;
                    assert!(
                        matches!(a.status.as_u16(), 403 | 404),
                        "{method} {path} by {who} on this site's ids: {:?} {:?}",
                        a.status,
                        a.body
                    );
                }
            }
        }
        if access == Access::Patient {
            let a = call(Some(&site.idec.1)).await;
            assert_eq!(a.status, StatusCode::UNAUTHORIZED, "{method} {path} with a staff token");
        }
        checked += 1;
    }
    assert_eq!(checked, MATRIX.len());
    // The ids were real: the team itself reads them.
    for path in [
        "/patients/{id}",
        "/patients/{id}/audit",
        "/episodes/{id}/care-events",
        "/episodes/{id}/dispensations",
        "/episodes/{id}/pharmacy-interviews",
        "/episodes/{id}/reconciliation",
        "/alerts/{id}",
        "/episodes/{id}/handover-sheets",
    ] {
        let a = app.get(&fill(path), &site.hospital_pharmacist.1).await;
        assert_eq!(a.status, StatusCode::OK, "{path}: {:?}", a.body);
    }
}

/// The staff pages as this test knows them: (method, path, access).
const PAGES: &[(&str, &str, &str)] = &[
    ("GET", "/staff/login", "public"),
    ("POST", "/staff/login", "public"),
    ("POST", "/staff/logout", "staff"),
    ("POST", "/staff/language", "staff"),
    ("GET", "/staff/assets/{file}", "public"),
    ("GET", "/staff/", "staff"),
    ("GET", "/staff/alerts", "staff"),
    ("GET", "/staff/alerts/live", "staff"),
    ("GET", "/staff/alerts/{id}", "staff"),
    ("POST", "/staff/alerts/{id}/acknowledge", "staff"),
    ("POST", "/staff/alerts/{id}/resolve", "staff"),
    ("GET", "/staff/pharmacy", "staff"),
    ("POST", "/staff/pharmacy/episodes/{id}/comedications", "staff"),
    ("GET", "/staff/patients", "staff"),
    ("GET", "/staff/patients/{id}", "staff"),
    ("GET", "/staff/patients/{id}/handover", "staff"),
    ("GET", "/staff/patients/{id}/handover/{version}", "staff"),
    ("POST", "/staff/patients/{id}/decision", "staff"),
    ("POST", "/staff/patients/{id}/team", "staff"),
    ("POST", "/staff/patients/{id}/dispensations", "staff"),
    ("POST", "/staff/patients/{id}/pharmacy-interviews", "staff"),
    ("POST", "/staff/patients/{id}/reconciliation", "staff"),
    ("POST", "/staff/patients/{id}/interviews", "staff"),
    ("POST", "/staff/patients/{id}/activation-code", "staff"),
    ("POST", "/staff/patients/{id}/phone-lost", "staff"),
    ("GET", "/staff/admin", "staff"),
    ("POST", "/staff/admin/lines/{id}/paid", "staff"),
    ("POST", "/staff/admin/lines/{id}/cancel", "staff"),
    ("GET", "/staff/enrol", "staff"),
    ("POST", "/staff/enrol", "staff"),
];

#[test]
fn every_page_route_is_in_the_matrix() {
    use relais_tests::relais_server::http::pages::page_route_table;
    let table: Vec<(String, String, String)> = page_route_table()
        .into_iter()
        .map(|(m, p, a)| (m.to_string(), p.to_owned(), access_name(a).to_owned()))
        .collect();
    let known: Vec<(String, String, String)> =
        PAGES.iter().map(|(m, p, a)| ((*m).to_owned(), (*p).to_owned(), (*a).to_owned())).collect();
    assert_eq!(table, known, "a page route changed: update PAGES and its checks");
}

/// A signed-in browser (cookie, CSRF token of its pages); no redirect followed.
struct Session {
    http: reqwest::Client,
    base: String,
    csrf: String,
}

fn csrf_of(html: &str) -> String {
    let at = html.find("name=\"csrf\" value=\"").map(|i| i + 19).unwrap_or(0);
    html[at..].split('"').next().unwrap_or("").to_owned()
}

impl Session {
    async fn anonymous(app: &TestApp) -> Self {
        let http =
            reqwest::Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build().unwrap();
        let mut s = Self { http, base: app.addr.clone(), csrf: String::new() };
        let form = s.http.get(format!("{}/staff/login", s.base)).send().await.unwrap().text().await.unwrap();
        s.csrf = csrf_of(&form);
        s
    }

    async fn signed_in(app: &TestApp, email: &str) -> Self {
        let mut s = Self::anonymous(app).await;
        let form = [("csrf", s.csrf.as_str()), ("email", email), ("password", PASSWORD)];
        let r = s.http.post(format!("{}/staff/login", s.base)).form(&form).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{email} signs in");
        let home = s.http.get(format!("{}/staff/", s.base)).send().await.unwrap().text().await.unwrap();
        s.csrf = csrf_of(&home);
        s
    }

    async fn call(&self, method: &Method, path: &str) -> reqwest::Response {
        let url = format!("{}{path}", self.base);
        match *method {
            Method::GET => self.http.get(url).send().await.unwrap(),
            // What the pages' forms send, so that a refusal can only come from the scope check.
            _ => {
                let form = [
                    ("csrf", self.csrf.as_str()),
                    ("name", "paracétamol"),
                    ("action", "renew"),
                    ("confirmed_grade", "1"),
                    ("note", "vu"),
                ];
                self.http.post(url).form(&form).send().await.unwrap()
            }
        }
    }
}

#[tokio::test]
async fn every_page_keeps_out_strangers_and_other_teams_and_carries_the_security_headers() {
    use relais_tests::relais_server::http::pages::page_route_table;
    let app = spawn_app().await;
    let site = app.seed_site().await;
    let (pid, eid, _) = app.enrol(&site, app.enrolment(&site)).await;
    let a =
        app.post(&format!("/api/v1/episodes/{eid}/comedications"), &site.idec.1, json!({"name": "Warfarine"})).await;
    let alert = a.body["alert_id"].as_str().expect("an interaction alert").to_owned();
    let fill = |path: &str| -> String {
        let id = match path {
            p if p.starts_with("/staff/patients/") => pid.as_str(),
            p if p.starts_with("/staff/alerts/") => alert.as_str(),
            _ => eid.as_str(),
        };
        path.replace("{id}", id).replace("{file}", "staff.css")
    };
    let anonymous = Session::anonymous(&app).await;
    let role = relais_tests::relais_server::domain::access::Role::CommunityNurse;
    app.add_professional("idel@b.test", role, "10000000098", None, None).await;
    let strangers = [
        Session::signed_in(&app, "idel@b.test").await,
        Session::signed_in(&app, "idec@b.test").await,
        Session::signed_in(&app, "onco@b.test").await,
        Session::signed_in(&app, "officine@b.test").await,
        Session::signed_in(&app, "gp@b.test").await,
    ];
    let mut checked = 0;
    for (method, path, access) in page_route_table() {
        let url = fill(path);
        let r = anonymous.call(&method, &url).await;
        let status = r.status().as_u16();
        match access {
            Access::Public => assert!(status < 500 && status != 401, "{method} {path}: {status}"),
            _ => {
                let to_login = r.headers().get("location").and_then(|v| v.to_str().ok()).unwrap_or("");
                assert!(
                    (status == 303 && to_login.starts_with("/staff/login")) || status == 401 || status == 403,
                    "{method} {path} without a session: {status} {to_login}"
                );
            }
        }
        if path.contains("{id}") && access == Access::Staff && path != "/staff/alerts/live" {
            for s in &strangers {
                let status = s.call(&method, &url).await.status().as_u16();
                assert!(matches!(status, 403 | 404), "{method} {path} by another team on this site's ids: {status}");
            }
        }
        checked += 1;
    }
    assert_eq!(checked, PAGES.len());
    // Every page carries the security headers, whatever it answers (error pages included).
    let pui = Session::signed_in(&app, "pui@a.test").await;
    for (method, path, _) in page_route_table().into_iter().filter(|(m, _, _)| *m == Method::GET) {
        let r = pui.call(&method, &fill(path)).await;
        assert!(r.status().as_u16() < 500, "{path}: {}", r.status());
        assert!(r.headers().get("content-security-policy").is_some(), "{path}: CSP");
        assert_eq!(r.headers()["x-frame-options"], "DENY", "{path}");
        assert_eq!(r.headers()["x-content-type-options"], "nosniff", "{path}");
    }
}
