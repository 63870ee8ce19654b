//! The staff pages over plain HTTP: the login form and its cookie, CSRF on every
//! form and on cookie-authenticated API writes, security headers, the worklist's scope and
//! order, the alert page's actions, and the pharmacist's view. The same pages in a real browser
//! are in the browser tests.

use chrono::Duration;
use relais_tests::*;
use reqwest::header::{CONTENT_SECURITY_POLICY, LOCATION, SET_COOKIE};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                   frame-ancestors 'none'; form-action 'self'; base-uri 'none'";

/// A browser: keeps cookies, does not follow redirects (the tests look at them).
struct Browser {
    http: reqwest::Client,
    base: String,
}

struct Page {
    status: StatusCode,
    headers: reqwest::header::HeaderMap,
    body: String,
}

impl Page {
    fn csrf(&self) -> String {
        let at = self.body.find("name=\"csrf\" value=\"").expect("a form with its CSRF token") + 19;
        self.body[at..].split('"').next().unwrap().to_owned()
    }

    fn location(&self) -> &str {
        self.headers.get(LOCATION).and_then(|v| v.to_str().ok()).unwrap_or("")
    }

    fn title(&self) -> &str {
        let start = self.body.find("<title>").unwrap() + 7;
        &self.body[start..start + self.body[start..].find("</title>").unwrap()]
    }
}

impl Browser {
    fn new(app: &TestApp) -> Self {
        let http =
            reqwest::Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build().unwrap();
        Self { http, base: app.addr.clone() }
    }

    async fn send(&self, req: reqwest::RequestBuilder) -> Page {
        let r = req.send().await.expect("request");
        let (status, headers) = (r.status(), r.headers().clone());
        Page { status, headers, body: r.text().await.unwrap_or_default() }
    }

    async fn get(&self, path: &str) -> Page {
        self.send(self.http.get(format!("{}{path}", self.base))).await
    }

    async fn post(&self, path: &str, form: &[(&str, &str)]) -> Page {
        self.send(self.http.post(format!("{}{path}", self.base)).form(form)).await
    }

    /// Signs in through the form; returns the first page's CSRF token.
    async fn login(app: &TestApp, email: &str) -> (Self, String) {
        let b = Self::new(app);
        let form = b.get("/staff/login").await;
        let r = b.post("/staff/login", &[("csrf", &form.csrf()), ("email", email), ("password", PASSWORD)]).await;
        // Pharmacists open on their worklist, everyone else on the alerts.
        let pharmacist = email.starts_with("officine") || email.starts_with("pui");
        let landing = if pharmacist { "/staff/pharmacy" } else { "/staff/" };
        assert_eq!((r.status, r.location()), (StatusCode::SEE_OTHER, landing), "{}", r.body);
        let home = b.get(landing).await;
        assert_eq!(home.status, StatusCode::OK, "{}", home.body);
        let csrf = home.csrf();
        (b, csrf)
    }
}

fn cookie_line<'a>(p: &'a Page, name: &str) -> &'a str {
    p.headers
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with(&format!("{name}=")))
        .unwrap_or_else(|| panic!("no {name} cookie in {:?}", p.headers))
}

const FEVER_RED: fn() -> Value = || json!({"temperature_c": 38.6, "chest_pain": false});
const AMBER_DIARRHEA: fn() -> Value = || json!({"diarrhea.frequency": 3, "temperature_c": 37.0});

/// Enrols a patient with a name of their own and an activated phone; returns (id, episode, device).
async fn patient(app: &TestApp, site: &Site, family: &str, idec: &str, pharmacy: &str) -> (String, String, String) {
    let mut body = app.enrolment(site);
    body["family_name"] = json!(family);
    body["episode"]["team"]["community_pharmacy"] = json!(pharmacy);
    let (pid, eid, code) = app.enrol_with(idec, body).await;
    (pid, eid, app.activate(&code).await)
}

#[tokio::test]
async fn login_sets_a_strict_http_only_cookie_and_the_login_and_worklist_pages_carry_the_security_headers() {
    let app = spawn_app().await;
    app.seed_site().await;
    let b = Browser::new(&app);
    let anonymous = b.get("/staff/").await;
    assert_eq!((anonymous.status, anonymous.location()), (StatusCode::SEE_OTHER, "/staff/login?next=%2Fstaff%2F"));
    let form = b.get("/staff/login?next=/staff/alerts").await;
    assert_eq!(form.status, StatusCode::OK);
    for p in [&anonymous, &form] {
        assert_eq!(p.headers[CONTENT_SECURITY_POLICY], CSP);
        assert_eq!(p.headers["x-frame-options"], "DENY");
        assert_eq!(p.headers["referrer-policy"], "no-referrer");
    }
    assert!(!form.body.contains("<script>") && !form.body.contains("style="), "no inline script or style");
    let wrong = b.post("/staff/login", &[("csrf", &form.csrf()), ("email", "idec@a.test"), ("password", "nope")]).await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert!(wrong.body.contains("mot de passe incorrect"), "{}", wrong.body);
    let ok = b
        .post(
            "/staff/login",
            &[("csrf", &form.csrf()), ("email", "IDEC@a.test"), ("password", PASSWORD), ("next", "/staff/alerts")],
        )
        .await;
    assert_eq!((ok.status, ok.location()), (StatusCode::SEE_OTHER, "/staff/alerts"));
    let session = cookie_line(&ok, "relais_session");
    for attr in ["HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(session.contains(attr), "{session}");
    }
    assert!(!session.contains("Secure"), "plain http in tests: {session}");
    let home = b.get("/staff/alerts").await;
    assert_eq!(home.status, StatusCode::OK);
    assert!(home.body.contains("IDEC") && home.body.contains("idec Test"), "name and role in the header");
    assert_eq!(home.headers[CONTENT_SECURITY_POLICY], CSP);
    let css = b.get("/staff/assets/staff.css").await;
    assert_eq!(
        (css.status, &css.headers["content-type"]),
        (StatusCode::OK, &"text/css; charset=utf-8".parse().unwrap())
    );

    // An off-site `next` is ignored; the logout form ends the session.
    let b2 = Browser::new(&app);
    let f2 = b2.get("/staff/login").await;
    let r = b2
        .post(
            "/staff/login",
            &[("csrf", &f2.csrf()), ("email", "idec@a.test"), ("password", PASSWORD), ("next", "//evil.test/x")],
        )
        .await;
    assert_eq!(r.location(), "/staff/");
    let out = b2.post("/staff/logout", &[("csrf", &b2.get("/staff/").await.csrf())]).await;
    assert_eq!((out.status, out.location()), (StatusCode::SEE_OTHER, "/staff/login"));
    assert_eq!(b2.get("/staff/").await.status, StatusCode::SEE_OTHER, "the session is over");

    // Behind TLS (an https public address) the cookie is Secure.
    let tls = spawn_app_with(default_now(), &[("RELAIS__SERVER__PUBLIC_URL", "https://relais.example")]).await;
    tls.seed_site().await;
    let b3 = Browser::new(&tls);
    let f3 = b3.get("/staff/login").await;
    assert!(cookie_line(&f3, "relais_login_csrf").contains("; Secure"));
    let r3 = b3.post("/staff/login", &[("csrf", &f3.csrf()), ("email", "idec@a.test"), ("password", PASSWORD)]).await;
    assert!(cookie_line(&r3, "relais_session").contains("; Secure"));
}

#[tokio::test]
async fn forms_and_cookie_writes_without_their_csrf_token_are_refused() {
    let app = spawn_app().await;
    let site = app.seed_site().await;
    let (_, _, device) = patient(&app, &site, "Martin", &site.idec.1, &site.pharmacy).await;
    app.report(&device, FEVER_RED()).await;
    let alert_id = app.get("/api/v1/alerts", &site.idec.1).await.body[0]["id"].as_str().unwrap().to_owned();
    let ack = format!("/staff/alerts/{alert_id}/acknowledge");

    // The login form needs the token of its own cookie.
    let stranger = Browser::new(&app);
    let forged =
        stranger.post("/staff/login", &[("csrf", "guess"), ("email", "idec@a.test"), ("password", PASSWORD)]).await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert!(forged.body.contains("CSRF"), "{}", forged.body);

    let (b, csrf) = Browser::login(&app, "idec@a.test").await;
    for form in [vec![], vec![("csrf", "0123")], vec![("csrf", &csrf[..csrf.len() - 1])]] {
        let r = b.post(&ack, &form).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{form:?}");
        assert!(r.body.contains("jeton de sécurité"), "{}", r.body);
    }
    // Another session's token does not fit this one.
    let (_, other_csrf) = Browser::login(&app, "onco@a.test").await;
    assert_eq!(b.post(&ack, &[("csrf", &other_csrf)]).await.status, StatusCode::FORBIDDEN);
    let still = app.get(&format!("/api/v1/alerts/{alert_id}"), &site.idec.1).await;
    assert_eq!(still.body["alert"]["status"], "open", "nothing was done");

    // The API by cookie: reads pass, writes need the X-CSRF-Token header.
    let api = format!("{}/api/v1/alerts/{alert_id}/acknowledge", app.addr);
    let read = b.http.get(format!("{}/api/v1/alerts", app.addr)).send().await.unwrap();
    assert_eq!(read.status(), StatusCode::OK);
    let no_header = b.http.post(&api).send().await.unwrap();
    assert_eq!(no_header.status(), StatusCode::FORBIDDEN);
    let with_header = b.http.post(&api).header("x-csrf-token", &csrf).send().await.unwrap();
    assert_eq!(with_header.status(), StatusCode::OK);
    // Bearer tokens are not cookies: no header needed.
    let bearer = app.call(Method::POST, "/api/v1/auth/logout", Some(&site.oncologist.1), None).await;
    assert_eq!(bearer.status, StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn the_worklist_shows_the_callers_alerts_red_first_with_the_open_reds_in_the_title() {
    let app = spawn_app().await;
    let site = app.seed_site().await;
    let (_, _, amber) = patient(&app, &site, "Ambre", &site.idec.1, &site.pharmacy).await;
    app.report(&amber, AMBER_DIARRHEA()).await;
    app.set_now(default_now() + Duration::minutes(10));
    let (red_id, _, red) = patient(&app, &site, "Rouge", &site.idec.1, &site.pharmacy).await;
    app.report(&red, FEVER_RED()).await;
    let mut body = app.enrolment(&site);
    body["family_name"] = json!("Ailleurs");
    body["episode"]["team"] = json!({"idec": site.other_idec.0, "oncologist": site.other_oncologist.0,
        "hospital_pharmacist": null, "community_pharmacy": site.other_pharmacy, "gp": site.other_gp.0});
    let (_, _, code) = app.enrol_with(&site.other_idec.1, body).await;
    app.report(&app.activate(&code).await, FEVER_RED()).await;
    app.set_now(default_now() + Duration::minutes(25));

    let (b, _) = Browser::login(&app, "idec@a.test").await;
    let p = b.get("/staff/").await;
    assert_eq!(p.title(), "(1) Alertes — Relais");
    let (r, a) = (p.body.find("ROUGE Claire").expect("red patient"), p.body.find("AMBRE Claire").expect("amber"));
    assert!(r < a, "red first");
    assert!(!p.body.contains("AILLEURS"), "another establishment's patient is not shown");
    assert!(p.body.contains(&format!("/staff/patients/{red_id}")));
    assert!(p.body.contains("Rouge</span>") && p.body.contains("Orange</span>"), "colour written, not only shown");
    assert!(p.body.contains("reste 15 min"), "red deadline 30 min after the report: {}", p.body);
    assert!(p.body.contains("data-refresh-url=\"/staff/alerts/live?status=open\""));
    let live = b.get("/staff/alerts/live?status=open").await;
    assert!(live.body.starts_with("<div data-title=\"(1) Alertes — Relais\">"), "{}", live.body);
    app.set_now(default_now() + Duration::minutes(50));
    assert!(b.get("/staff/alerts/live").await.body.contains("dépassé de 10 min"));
    let acknowledged = b.get("/staff/alerts?status=acknowledged").await;
    assert!(acknowledged.body.contains("Aucune alerte") && !acknowledged.body.contains("ROUGE"));
    // The other establishment's IDEC sees their own alert only.
    let (other, _) = Browser::login(&app, "idec@b.test").await;
    let o = other.get("/staff/").await;
    assert!(o.body.contains("AILLEURS") && !o.body.contains("ROUGE") && !o.body.contains("AMBRE"));
}

#[tokio::test]
async fn the_alert_page_tells_the_answers_in_words_and_resolves_through_its_forms() {
    let app = spawn_app().await;
    let site = app.seed_site().await;
    let (_, _, device) = patient(&app, &site, "Martin", &site.idec.1, &site.pharmacy).await;
    app.report(&device, json!({"diarrhea.frequency": 3, "temperature_c": 38.6, "chest_pain": false})).await;
    let id = app.get("/api/v1/alerts", &site.idec.1).await.body[0]["id"].as_str().unwrap().to_owned();
    let (b, csrf) = Browser::login(&app, "idec@a.test").await;
    let page = b.get(&format!("/staff/alerts/{id}")).await;
    assert_eq!(page.status, StatusCode::OK);
    for words in ["Diarrhée", "Souvent (3/4)", "38,6 °C", "Non", "href=\"tel:+33612345678\"", "Alerte ouverte (rouge)"]
    {
        assert!(page.body.contains(words), "{words} in {}", page.body);
    }
    assert!(page.body.contains("Pharmacie A") && page.body.contains("oncologist Test"), "the team");
    // A red report holds every drug (docs/triage.md §5): the page says so first.
    assert!(page.body.contains("Patient invité à suspendre la prochaine prise : capécitabine"), "{}", page.body);
    let path = format!("/staff/alerts/{id}");
    let ack = b.post(&format!("{path}/acknowledge"), &[("csrf", &csrf)]).await;
    assert_eq!((ack.status, ack.location()), (StatusCode::SEE_OTHER, path.as_str()));
    let no_grade = b.post(&format!("{path}/resolve"), &[("csrf", &csrf), ("note", "Appel fait")]).await;
    assert_eq!(no_grade.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(no_grade.body.contains("Choisissez le grade confirmé"), "{}", no_grade.body);
    assert!(no_grade.body.contains("Appel fait</textarea>"), "what was typed is kept");
    let done = b
        .post(
            &format!("{path}/resolve"),
            &[("csrf", &csrf), ("confirmed_grade", "2"), ("note", "Appelée : paracétamol, bilan demain")],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER);
    let api = app.get(&format!("/api/v1/alerts/{id}"), &site.idec.1).await.body;
    assert_eq!(
        (api["alert"]["status"].as_str(), api["alert"]["confirmed_grade"].as_i64()),
        (Some("resolved"), Some(2))
    );
    assert_eq!(api["alert"]["resolution_note"], "Appelée : paracétamol, bilan demain");
    let audit = app
        .get(&format!("/api/v1/patients/{}/audit", api["alert"]["patient"]["id"].as_str().unwrap()), &site.idec.1)
        .await;
    let actions: Vec<&str> = audit.body.as_array().unwrap().iter().filter_map(|e| e["action"].as_str()).collect();
    assert!(actions.contains(&"acknowledge") && actions.contains(&"resolve"), "{actions:?}");
    let after = b.get(&path).await;
    assert!(
        after.body.contains("Clôturée par idec Test (grade confirmé 2)") && !after.body.contains("Clôturer l'alerte")
    );
    // Another establishment's IDEC cannot open it.
    let (other, other_csrf) = Browser::login(&app, "idec@b.test").await;
    assert_eq!(other.get(&path).await.status, StatusCode::NOT_FOUND);
    assert_eq!(
        other.post(&format!("{path}/acknowledge"), &[("csrf", &other_csrf)]).await.status,
        StatusCode::NOT_FOUND
    );
}

/// docs/triage.md §5: grade 2 diarrhoea on capecitabine (3 = "often") is amber and holds it; the
/// report answers `hold` and the alert page says the patient was told to hold it. Grade 1 holds
/// nothing.
#[tokio::test]
async fn the_alert_page_says_which_drug_the_patient_was_told_to_hold() {
    let app = spawn_app().await;
    let site = app.seed_site().await;
    let (_, _, device) = patient(&app, &site, "Hold", &site.idec.1, &site.pharmacy).await;
    let r = app.report(&device, json!({"diarrhea.frequency": 2, "temperature_c": 37.0})).await;
    assert_eq!((r.body["colour"].as_str(), &r.body["hold"]), (Some("amber"), &json!([])), "{:?}", r.body);
    let id = app.get("/api/v1/alerts", &site.idec.1).await.body[0]["id"].as_str().unwrap().to_owned();
    let (b, _) = Browser::login(&app, "idec@a.test").await;
    assert!(!b.get(&format!("/staff/alerts/{id}")).await.body.contains("suspendre la prochaine prise"));
    let r = app.report(&device, json!({"diarrhea.frequency": 3, "temperature_c": 37.0})).await;
    assert_eq!((r.body["colour"].as_str(), &r.body["hold"]), (Some("amber"), &json!(["capecitabine"])), "{:?}", r.body);
    let page = b.get(&format!("/staff/alerts/{id}")).await;
    assert!(page.body.contains("Patient invité à suspendre la prochaine prise : capécitabine"), "{}", page.body);
}

/// Issue 19: the alert page says first, in French, why the alert is red or amber — the red
/// flag by name with its measure (decimal comma), the rule that made two ambers red, the amber
/// symptom — and keeps the algorithm's detail, in French too, folded away below.
#[tokio::test]
async fn the_alert_page_says_first_in_french_why_the_alert_has_its_colour() {
    let app = spawn_app().await;
    let site = app.seed_site().await;
    let (_, _, device) = patient(&app, &site, "Pourquoi", &site.idec.1, &site.pharmacy).await;
    let (b, _) = Browser::login(&app, "idec@a.test").await;
    let newest = |alerts: &Value| alerts[0]["id"].as_str().unwrap().to_owned();

    let r = app.report(&device, json!({"temperature_c": 38.3})).await;
    assert_eq!(r.body["colour"], "red", "{:?}", r.body);
    let id = newest(&app.get("/api/v1/alerts", &site.idec.1).await.body);
    let page = b.get(&format!("/staff/alerts/{id}")).await.body.replace("&#39;", "'").replace("&#x27;", "'");
    let why = page.find("Pourquoi cette alerte est rouge").expect("a why section");
    let flag = "Signe d'alerte : Fièvre sous traitement myélosuppresseur (38,3\u{a0}°C)";
    assert!(page.contains(flag), "{page}");
    assert!(why < page.find("Joindre le patient").unwrap(), "the why comes before everything else");
    assert!(!page.contains("febrile on myelosuppressive"), "no code shown as a name: {page}");
    // The algorithm's detail, folded below, is in French too: the reason codes rendered.
    let detail = page.find("<summary>Détail de l'algorithme").expect("the algorithm's detail");
    let reason = page.find("signe d'alerte : fièvre sous traitement myélosuppresseur").expect("the alert's reason");
    assert!(reason > detail, "{page}");
    assert!(page.contains("température 38,3 °C (seuil 38 °C) sous capécitabine"), "{page}");
    assert!(page.contains("fièvre sous traitement anticancéreux : au moins orange dès le grade 1"), "{page}");
    assert!(!page.contains("red flag") && !page.contains("febrile_on"), "no English and no code: {page}");

    // Two symptoms of grade 2: red by the rule, said in words.
    let app2 = spawn_app().await;
    let site2 = app2.seed_site().await;
    let (_, _, device2) = patient(&app2, &site2, "Deux", &site2.idec.1, &site2.pharmacy).await;
    let r = app2
        .report(
            &device2,
            json!({"nausea.frequency": 3, "nausea.severity": 2, "stools_above_baseline": 4, "temperature_c": 37.0}),
        )
        .await;
    assert_eq!(r.body["colour"], "red", "{:?}", r.body);
    let id = newest(&app2.get("/api/v1/alerts", &site2.idec.1).await.body);
    let (b2, _) = Browser::login(&app2, "idec@a.test").await;
    let page = b2.get(&format!("/staff/alerts/{id}")).await.body.replace("&#39;", "'").replace("&#x27;", "'");
    assert!(page.contains("plus d'un symptôme orange fait une alerte rouge"), "{page}");

    // One amber symptom (another patient: the first one's open red alert would take it in).
    let idec = app.login("idec@a.test").await;
    let (_, _, device) = patient(&app, &site, "Orange", &idec, &site.pharmacy).await;
    let r = app.report(&device, json!({"diarrhea.frequency": 2, "temperature_c": 37.0})).await;
    assert_eq!(r.body["colour"], "amber", "{:?}", r.body);
    let amber = app.get("/api/v1/alerts", &site.idec.1).await.body;
    let id =
        amber.as_array().unwrap().iter().find(|a| a["colour"] == "amber").unwrap()["id"].as_str().unwrap().to_owned();
    let page = b.get(&format!("/staff/alerts/{id}")).await.body.replace("&#39;", "'").replace("&#x27;", "'");
    assert!(page.contains("Pourquoi cette alerte est orange") && page.contains("Symptôme orange : "), "{page}");
}

#[tokio::test]
async fn a_community_pharmacist_sees_only_the_flagged_patients_of_their_pharmacy() {
    let app = spawn_app().await;
    let site = app.seed_site().await;
    let (_, ours, _) = patient(&app, &site, "Officine", &site.idec.1, &site.pharmacy).await;
    let (_, theirs, _) = patient(&app, &site, "Autre", &site.idec.1, &site.other_pharmacy).await;
    let (vomit_id, _, device) = patient(&app, &site, "Nausee", &site.idec.1, &site.pharmacy).await;
    // S2 of parcours A: interactions go to the community pharmacist.
    app.set_now(morning("2026-12-23"));
    app.tick().await;
    let idec = app.login("idec@a.test").await;
    for eid in [&ours, &theirs] {
        let a = app.post(&format!("/api/v1/episodes/{eid}/comedications"), &idec, json!({"name": "Coumadine"})).await;
        assert!(a.body["alert_id"].is_string(), "{:?}", a.body);
    }
    app.dispatch().await;
    app.set_now(morning("2026-12-23") + Duration::hours(12));
    let today = app.call(Method::GET, "/api/v1/patient/today", Some(&device), None).await;
    let dose = today.body["doses"].as_array().unwrap().iter().find(|d| d["status"] == "pending").expect("a dose due");
    let v = app
        .post(&format!("/api/v1/patient/doses/{}", dose["id"].as_str().unwrap()), &device, json!({"status": "vomited"}))
        .await;
    assert_eq!(v.status, StatusCode::OK, "{:?}", v.body);
    // Enrolled just now and already dispensed: nothing to flag.
    let idec = app.login("idec@a.test").await;
    let (_, calm, _) = patient(&app, &site, "Calme", &idec, &site.pharmacy).await;
    let today = app.clock.now().date_naive().to_string();
    let d = app
        .post(
            &format!("/api/v1/episodes/{calm}/dispensations"),
            &app.login("officine@a.test").await,
            json!({"drug": "capecitabine", "dispensed_on": today, "units": 56, "units_per_day": 4}),
        )
        .await;
    assert_eq!(d.status, StatusCode::CREATED, "{:?}", d.body);

    let (b, csrf) = Browser::login(&app, "officine@a.test").await;
    let p = b.get("/staff/pharmacy").await;
    assert_eq!(p.status, StatusCode::OK, "{}", p.body);
    assert!(p.body.contains("OFFICINE Claire") && p.body.contains("Interaction médicamenteuse"), "{}", p.body);
    assert!(
        p.body.contains("NAUSEE Claire") && p.body.contains("1 prise vomie sur les 7 derniers jours"),
        "{}",
        p.body
    );
    assert!(p.body.contains(&format!("/staff/patients/{vomit_id}")));
    assert!(!p.body.contains("AUTRE"), "another pharmacy's patient");
    assert!(!p.body.contains("CALME"), "a patient with nothing to flag");
    // Co-medication entry: the API's checks and interaction alert.
    let add = format!("/staff/pharmacy/episodes/{ours}/comedications");
    let empty = b.post(&add, &[("csrf", &csrf), ("name", " ")]).await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(empty.body.contains("Indiquez le nom du produit"));
    let ok = b.post(&add, &[("csrf", &csrf), ("name", "fluindione"), ("tags", "anticoagulant")]).await;
    assert_eq!((ok.status, ok.location()), (StatusCode::SEE_OTHER, "/staff/pharmacy?notice=interaction"));
    let after = b.get(ok.location()).await;
    assert!(after.body.contains("fluindione") && after.body.contains("Interaction avec le traitement"));
    assert_eq!(
        b.post(&format!("/staff/pharmacy/episodes/{theirs}/comedications"), &[("csrf", &csrf), ("name", "x")])
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    // Nurses have no pharmacy view.
    let (nurse, _) = Browser::login(&app, "idec@a.test").await;
    assert_eq!(nurse.get("/staff/pharmacy").await.status, StatusCode::FORBIDDEN);
}

/// "I have a symptom now", "other": the alert page shows the patient's own words.
#[tokio::test]
async fn the_alert_page_shows_a_symptom_in_the_patients_words() {
    let app = spawn_app().await;
    let site = app.seed_site().await;
    let (_, _, device) = patient(&app, &site, "Martin", &site.idec.1, &site.pharmacy).await;
    let words = "Des vertiges <b>depuis</b> hier soir.";
    let body = json!({"client_id": uuid::Uuid::new_v4().to_string(), "questionnaire_id": null,
                      "answers": {"chest_pain": false}, "other": words});
    assert_eq!(app.post("/api/v1/patient/reports", &device, body).await.status, StatusCode::CREATED);
    let id = app.get("/api/v1/alerts", &site.idec.1).await.body[0]["id"].as_str().unwrap().to_owned();
    let (b, _) = Browser::login(&app, "idec@a.test").await;
    let page = b.get(&format!("/staff/alerts/{id}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Autre symptôme, dans les mots du patient"), "{}", page.body);
    // Escaped: what a patient types never becomes markup.
    assert!(
        page.body.contains("Des vertiges &#60;b&#62;depuis&#60;/b&#62; hier soir.")
            || page.body.contains("Des vertiges &lt;b&gt;depuis&lt;/b&gt; hier soir."),
        "{}",
        page.body
    );
    assert!(!page.body.contains("<b>depuis</b>"));
}

/// Issue 19: a professional whose language is English reads the worklist and the alert page in
/// English — the layout, the colour and status, why the alert is red (from the reason codes),
/// the algorithm's detail, the answers, the team, the history — and no French sentence.
#[tokio::test]
async fn an_english_speaking_professional_reads_the_worklist_and_the_alert_in_english() {
    use sea_orm::ConnectionTrait;
    let app = spawn_app().await;
    let site = app.seed_site().await;
    let (_, _, device) = patient(&app, &site, "Smith", &site.idec.1, &site.pharmacy).await;
    app.state
        .db
        .execute_unprepared("UPDATE professionals SET locale = 'en' WHERE email = 'idec@a.test'")
        .await
        .unwrap();
    let (b, _) = Browser::login(&app, "idec@a.test").await;
    let r = app.report(&device, json!({"temperature_c": 38.3})).await;
    assert_eq!(r.body["colour"], "red", "{:?}", r.body);

    let list = b.get("/staff/alerts").await.body.replace("&#39;", "'");
    assert!(list.contains(r#"<html lang="en">"#), "{list}");
    for en in [">Alerts</a>", "Most urgent first", "To acknowledge", ">Red<", "Toxicity", "Open the alert", "Sign out"]
    {
        assert!(list.contains(en), "{en} in {list}");
    }
    let id = app.get("/api/v1/alerts", &site.idec.1).await.body[0]["id"].as_str().unwrap().to_owned();
    let page = b.get(&format!("/staff/alerts/{id}")).await.body.replace("&#39;", "'");
    for en in [
        "Why this alert is red",
        "Red flag: fever on a myelosuppressive drug — temperature 38.3 °C (threshold 38 °C) on capecitabine: \
         risk of febrile neutropenia (IDSA)",
        "Reach the patient",
        "Care team",
        "Coordinating nurse (IDEC)",
        "Provisional grade (algorithm)",
        "The algorithm in detail",
        "fever during anticancer treatment: at least amber from grade 1",
        "The patient's answers",
        "I acknowledge it",
        "Close the alert",
        "Alert opened (red)",
    ] {
        assert!(page.contains(en), "{en} in {page}");
    }
    for fr in [
        "Pourquoi",
        "Joindre",
        "Signe d'alerte",
        "température",
        "fièvre",
        "Fièvre",
        "Clôturer",
        "Réponses",
        "Équipe",
        "Oncologue",
        "Alerte ouverte",
        "au moins orange",
        "Retour aux alertes",
    ] {
        assert!(!page.contains(fr), "French `{fr}` on the English page: {page}");
    }
    // The French reader of the same alert still reads it in French.
    let (fr_reader, fr_csrf) = Browser::login(&app, "onco@a.test").await;
    let path = format!("/staff/alerts/{id}");
    let fr_page = fr_reader.get(&path).await.body.replace("&#39;", "'");
    assert!(
        fr_page.contains(r#"<html lang="fr">"#) && fr_page.contains("Pourquoi cette alerte est rouge"),
        "{fr_page}"
    );
    // The header's switch: English, back on the same page; then French again.
    assert!(fr_page.contains(r#"name="locale" value="en""#), "{fr_page}");
    let switched = fr_reader.post("/staff/language", &[("csrf", &fr_csrf), ("locale", "en"), ("next", &path)]).await;
    assert_eq!((switched.status, switched.location()), (StatusCode::SEE_OTHER, path.as_str()));
    assert!(fr_reader.get(&path).await.body.contains("Why this alert is red"));
    let refused = fr_reader.post("/staff/language", &[("csrf", &fr_csrf), ("locale", "de")]).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    fr_reader.post("/staff/language", &[("csrf", &fr_csrf), ("locale", "fr"), ("next", "https://evil.test/")]).await;
    assert!(fr_reader.get(&path).await.body.contains("Pourquoi cette alerte est rouge"));
}

/// Issue 19: what comes without a page — the login form, the error pages — speaks the language
/// of the professional last signed in on this browser (a cookie set at sign-in and by the
/// switch); an error on a signed-in page speaks the reader's; a fresh browser reads French.
#[tokio::test]
async fn the_login_form_and_the_error_pages_speak_the_professionals_language() {
    use sea_orm::ConnectionTrait;
    let app = spawn_app().await;
    let _site = app.seed_site().await;
    let fresh = Browser::new(&app).get("/staff/login").await;
    assert!(fresh.body.contains(r#"<html lang="fr">"#) && fresh.body.contains("Mot de passe"), "{}", fresh.body);
    app.state
        .db
        .execute_unprepared("UPDATE professionals SET locale = 'en' WHERE email = 'idec@a.test'")
        .await
        .unwrap();
    let (b, csrf) = Browser::login(&app, "idec@a.test").await;
    // A patient out of reach, then a form without its token: English error pages.
    let missing = b.get("/staff/patients/00000000-0000-0000-0000-000000000000").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert!(missing.body.contains(r#"<html lang="en">"#) && missing.body.contains("Not found"), "{}", missing.body);
    assert!(!missing.body.contains("Introuvable") && !missing.body.contains("Retour"), "{}", missing.body);
    let forged = b.post("/staff/language", &[("csrf", "forged"), ("locale", "fr")]).await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert!(forged.body.contains("Request refused") && !forged.body.contains("jeton"), "{}", forged.body);
    // Signed out, the login form stays in English on this browser, its refusal too.
    b.post("/staff/logout", &[("csrf", &csrf)]).await;
    let form = b.get("/staff/login").await;
    assert!(form.body.contains(r#"<html lang="en">"#) && form.body.contains("Password"), "{}", form.body);
    assert!(!form.body.contains("Mot de passe") && !form.body.contains("Connexion"), "{}", form.body);
    let refused = b.post("/staff/login", &[("csrf", &form.csrf()), ("email", "idec@a.test"), ("password", "no")]).await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
    assert!(refused.body.contains("Wrong email address or password"), "{}", refused.body);
    // The switch back to French is remembered the same way.
    let (b, csrf) = Browser::login(&app, "idec@a.test").await;
    b.post("/staff/language", &[("csrf", &csrf), ("locale", "fr")]).await;
    b.post("/staff/logout", &[("csrf", &csrf)]).await;
    let form = b.get("/staff/login").await;
    assert!(form.body.contains(r#"<html lang="fr">"#) && form.body.contains("Mot de passe"), "{}", form.body);
}
