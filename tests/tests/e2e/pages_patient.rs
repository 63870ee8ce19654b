//! Staff pages: the patient list and page (sequence, decisions, charts, calendar,
//! history) and the enrolment form with its activation code and QR code, driven like a
//! browser without JavaScript: the login form, cookies, CSRF tokens from the pages.

use chrono::{DateTime, Duration, Utc};
use relais_tests::*;
use reqwest::{Method, StatusCode};
use serde_json::json;

fn utc(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

/// A cookie-keeping client that does not follow redirects (to see them).
struct Browser {
    http: reqwest::Client,
    base: String,
}

struct Page {
    status: StatusCode,
    location: String,
    html: String,
}

impl Browser {
    async fn login(app: &TestApp, email: &str) -> Self {
        let http =
            reqwest::Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build().unwrap();
        let b = Self { http, base: app.addr.clone() };
        let form = b.get("/staff/login").await;
        assert_eq!(form.status, StatusCode::OK);
        let csrf = csrf(&form.html);
        let done = b
            .post(
                "/staff/login",
                &[("csrf", csrf.as_str()), ("email", email), ("password", PASSWORD), ("next", "/staff/")],
            )
            .await;
        assert_eq!(done.status, StatusCode::SEE_OTHER, "login {email}: {}", done.html);
        b
    }

    async fn answer(resp: reqwest::Response) -> Page {
        let status = resp.status();
        let location = resp.headers().get("location").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
        Page { status, location, html: resp.text().await.unwrap() }
    }

    async fn get(&self, path: &str) -> Page {
        Self::answer(self.http.get(format!("{}{path}", self.base)).send().await.unwrap()).await
    }

    async fn post(&self, path: &str, form: &[(&str, &str)]) -> Page {
        Self::answer(self.http.post(format!("{}{path}", self.base)).form(form).send().await.unwrap()).await
    }
}

/// The CSRF token of a page's forms.
fn csrf(html: &str) -> String {
    let at = html.find(r#"name="csrf" value=""#).expect("a form with a CSRF token") + r#"name="csrf" value=""#.len();
    html[at..].split('"').next().unwrap().to_owned()
}

/// The markup of the element with this id (from its opening tag to the first `</tag>`).
fn element<'a>(html: &'a str, tag: &str, id: &str) -> &'a str {
    let start = html.find(&format!(r#"id="{id}""#)).unwrap_or_else(|| panic!("no #{id}"));
    let open = html[..start].rfind(&format!("<{tag}")).unwrap();
    let end = html[start..].find(&format!("</{tag}>")).unwrap() + start;
    &html[open..end]
}

/// Imatinib at 08:00 from Monday 23 November; a week of doses with every outcome and two
/// reports (diarrhoea grade ≥ 2, then 0). Returns (app, site, patient id, episode id).
async fn patient_with_history() -> (TestApp, Site, String, String) {
    let app = spawn_app_at(utc("2026-11-22T23:30:00Z")).await;
    let site = app.seed_site().await;
    let mut body = app.enrolment(&site);
    body["episode"]["start_date"] = json!("2026-11-23");
    body["episode"]["regimen"] = json!([{"drug": "imatinib", "dose": "400 mg", "times": ["08:00"]}]);
    let (pid, eid, code) = app.enrol(&site, body).await;
    let device = app.activate(&code).await;
    // 23 taken, 24 vomited, 25 taken, 26 skipped, 27 taken; 28 and 29 never confirmed (missed).
    for (day, status) in [(23, "taken"), (24, "vomited"), (25, "taken"), (26, "skipped"), (27, "taken")] {
        app.run_until(utc(&format!("2026-11-{day}T07:05:00Z")), Duration::hours(1)).await;
        let today = app.call(Method::GET, "/api/v1/patient/today", Some(&device), None).await;
        let id = today.body["doses"][0]["id"].as_str().unwrap().to_owned();
        let a = app.post(&format!("/api/v1/patient/doses/{id}"), &device, json!({"status": status})).await;
        assert_eq!(a.status, StatusCode::OK, "{:?}", a.body);
        if day == 24 {
            assert_eq!(app.report(&device, json!({"diarrhea.frequency": 3})).await.status, StatusCode::CREATED);
        }
        if day == 27 {
            assert_eq!(app.report(&device, json!({"diarrhea.frequency": 0})).await.status, StatusCode::CREATED);
        }
    }
    app.run_until(utc("2026-11-29T12:00:00Z"), Duration::hours(2)).await;
    (app, site, pid, eid)
}

#[tokio::test]
async fn the_patient_page_shows_the_sequence_the_calendar_and_charts_of_the_history() {
    let (app, _site, pid, _) = patient_with_history().await;
    let idec = Browser::login(&app, "idec@a.test").await;

    let list = idec.get("/staff/patients?q=marti").await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(list.html.contains(&format!(r#"href="/staff/patients/{pid}""#)), "{}", list.html);
    assert!(idec.get("/staff/patients?q=dupont").await.html.contains("0 patient sur"));

    let page = idec.get(&format!("/staff/patients/{pid}")).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.html);
    let html = &page.html;
    assert!(html.contains("MARTIN Claire"));
    assert!(html.contains("S1 — initiation (1 mois)</strong> : du 23 nov. 2026 au 23 déc. 2026"), "{html}");
    // Seven days of outcomes, one bar group each: 23..29 November.
    let doses = element(html, "svg", "doses");
    assert_eq!(doses.matches(r#"<g class="day""#).count(), 7, "{doses}");
    assert!(doses.contains("<title>mar. 24/11 : 1 vomi</title>"), "{doses}");
    assert!(doses.contains("<title>sam. 28/11 : 1 oublié</title>"), "{doses}");
    assert!(doses.contains(r#"role="img""#) && doses.contains("<desc id=\"doses-d\">"));
    // Diarrhoea: graded at both reports, the second at 0 (asked, not stored as a grade).
    let diarrhea = element(html, "svg", "grade-diarrhea");
    assert_eq!(diarrhea.matches(r#"<circle class="point""#).count(), 2, "{diarrhea}");
    assert!(diarrhea.contains(": grade 0</title>"), "{diarrhea}");
    // 7-day adherence: 4 of 7 (vomited counts as taken; skipped and missed do not).
    assert!(html.contains("57 % (4 / 7 prises)"), "{html}");
    // The calendar: five weeks from Monday 23/11, every day on (imatinib is continuous).
    let cal = element(html, "table", "cycle-calendar");
    assert_eq!(cal.matches("<td class=\"day-on").count(), 35, "{cal}");
    assert!(cal.contains("day-on today"));
    // The report history, the alert it raised (linked), the team.
    assert!(element(html, "table", "reports").matches("<tr>").count() >= 2);
    assert!(element(html, "table", "alerts").contains("href=\"/staff/alerts/"), "{html}");
    assert!(html.contains("idec Test"));
    // No inline script or style anywhere in the page.
    assert!(!html.contains("<script>") && !html.contains("style=\""));
}

#[tokio::test]
async fn decisions_through_the_form_change_the_sequence() {
    let app = spawn_app().await;
    let site = app.seed_site().await;
    let (pid, eid, _) = app.enrol(&site, app.enrolment(&site)).await;
    let idec = Browser::login(&app, "idec@a.test").await;
    let path = format!("/staff/patients/{pid}/decision");
    let page = idec.get(&format!("/staff/patients/{pid}")).await;
    let token = csrf(&page.html);
    assert!(!page.html.contains("Renouveler la séquence"), "no renewal during S1");

    // During S1 the API's rule refuses: the page says why, next to the buttons.
    let refused = idec.post(&path, &[("csrf", &token), ("action", "renew")]).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(element(&refused.html, "p", "decision-error").contains("Décision impossible"), "{}", refused.html);
    // Without the form's token the guard refuses before the handler.
    assert_eq!(idec.post(&path, &[("action", "renew")]).await.status, StatusCode::FORBIDDEN);

    // S2 from 23 December (a new session: the first one has expired); renew through the form,
    // then the renewal happens at its end.
    app.set_now(morning("2026-12-23"));
    app.tick().await;
    let idec = Browser::login(&app, "idec@a.test").await;
    let token = csrf(&idec.get(&format!("/staff/patients/{pid}")).await.html);
    let page = idec.get(&format!("/staff/patients/{pid}")).await;
    assert!(page.html.contains("S2 — suivi (3 mois)</strong> : du 23 déc. 2026 au 23 mars 2027"), "{}", page.html);
    let done = idec.post(&path, &[("csrf", &token), ("action", "renew")]).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.html);
    assert_eq!(done.location, format!("/staff/patients/{pid}?done=renew"));
    let page = idec.get(&done.location).await;
    assert!(page.html.contains("Renouvellement décidé pour la fin de cette séquence."));
    let token_api = app.login("idec@a.test").await;
    assert_eq!(app.patient(&pid, &token_api).await["episode"]["sequence"]["decision"], "renew");
    app.set_now(morning("2027-03-23"));
    app.tick().await;
    let idec = Browser::login(&app, "idec@a.test").await;
    let token = csrf(&idec.get(&format!("/staff/patients/{pid}")).await.html);
    let token_api = app.login("idec@a.test").await;
    let page = idec.get(&format!("/staff/patients/{pid}")).await;
    assert!(page.html.contains("S2 — suivi (3 mois), renouvellement 1</strong>"), "{}", page.html);

    // Ending needs a reason; with one, the episode ends.
    let no_reason = idec.post(&path, &[("csrf", &token), ("action", "end"), ("reason", "")]).await;
    assert_eq!(no_reason.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(no_reason.html.contains("Choisissez le motif de fin de suivi."));
    let ended = idec.post(&path, &[("csrf", &token), ("action", "end"), ("reason", "treatment_stopped")]).await;
    assert_eq!(ended.status, StatusCode::SEE_OTHER);
    let page = idec.get(&ended.location).await;
    assert!(page.html.contains("Arrêt du traitement"), "{}", page.html);
    assert!(!page.html.contains("Terminer le suivi"), "no decision on an ended episode");
    let ep = &app.patient(&pid, &token_api).await["episode"];
    assert_eq!((ep["id"].as_str(), ep["end_reason"].as_str()), (Some(eid.as_str()), Some("treatment_stopped")));
}

#[tokio::test]
async fn other_teams_patients_are_not_found() {
    let app = spawn_app().await;
    let site = app.seed_site().await;
    let (pid, _, _) = app.enrol(&site, app.enrolment(&site)).await;
    for email in ["idec@b.test", "officine@b.test", "gp@b.test"] {
        let b = Browser::login(&app, email).await;
        assert_eq!(b.get(&format!("/staff/patients/{pid}")).await.status, StatusCode::NOT_FOUND, "{email}");
        assert!(!b.get("/staff/patients").await.html.contains(&pid), "{email}");
    }
    // The patient's own community pharmacist sees the page, without decision buttons.
    let officine = Browser::login(&app, "officine@a.test").await;
    let page = officine.get(&format!("/staff/patients/{pid}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(!page.html.contains("Terminer le suivi") && !page.html.contains("Nouveau code"));
}

/// The enrolment form's fields for Claire Martin on capecitabine (usual regimen left empty: its
/// dose per m² is computed from her height and weight).
fn enrol_fields<'a>(site: &'a Site, token: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("height_cm", "165"),
        ("episode.baseline_weight_kg", "64"),
        ("csrf", token),
        ("family_name", "Martin"),
        ("given_name", "Claire"),
        ("birth_date", "1961-04-12"),
        ("phone", "+33612345678"),
        ("time_zone", "Europe/Paris"),
        ("locale", "fr"),
        ("episode.parcours", ""),
        ("episode.start_date", "2026-11-23"),
        ("episode.regimen[0].drug", "capecitabine"),
        ("episode.regimen[0].dose", ""),
        ("episode.regimen[0].times", ""),
        ("episode.regimen[1].drug", ""),
        ("episode.team.idec", &site.idec.0),
        ("episode.team.oncologist", &site.oncologist.0),
        ("episode.team.community_pharmacy", &site.pharmacy),
        ("episode.team.gp", &site.gp.0),
    ]
}

#[tokio::test]
async fn enrolment_through_the_form_shows_the_code_and_its_qr_code() {
    let app = spawn_app().await;
    let site = app.seed_site().await;
    let idec = Browser::login(&app, "idec@a.test").await;
    let form = idec.get("/staff/enrol").await;
    assert_eq!(form.status, StatusCode::OK);
    let html = &form.html;
    // Choosers: this establishment's people only; the picker carries each drug's usual regimen.
    let idecs = element(html, "select", "episode.team.idec");
    assert!(idecs.contains(&site.idec.0) && !idecs.contains(&site.other_idec.0));
    assert!(idecs.contains(&format!(r#"value="{}" selected"#, site.idec.0)), "the IDEC is pre-chosen");
    assert!(!element(html, "select", "episode.team.oncologist").contains(&site.other_oncologist.0));
    assert!(element(html, "select", "episode.team.gp").contains(&site.other_gp.0), "any GP");
    assert!(html.contains(r#"data-on="14" data-off="7""#) && html.contains("/staff/assets/enrol.js"));
    let token = csrf(html);

    let done = idec.post("/staff/enrol", &enrol_fields(&site, &token)).await;
    assert_eq!(done.status, StatusCode::CREATED, "{}", done.html);
    let code = element(&done.html, "p", "activation-code").rsplit('>').next().unwrap().trim().to_owned();
    assert_eq!(code.len(), 11, "{code}");
    let qr = done.html.split(r#"<svg class="qr""#).nth(1).expect("a QR code").split("</svg>").next().unwrap();
    assert!(qr.contains(r#"role="img""#) && qr.contains("<path fill=\"#000\" d=\"M"));
    assert!(done.html.contains(&format!("/app/#activate={code}")));
    // The code works on the phone, once; the regimen is capecitabine's usual one.
    app.activate(&code).await;
    let api = app.login("idec@a.test").await;
    let list = app.get("/api/v1/patients", &api).await.body;
    let pid = list[0]["id"].as_str().unwrap().to_owned();
    let record = app.patient(&pid, &api).await;
    assert_eq!(record["episode"]["regimen"][0]["cycle"], json!({"on_days": 14, "off_days": 7}));
    // The usual 1 250 mg/m² computed for 165 cm and 64 kg, never the catalogue's formula.
    assert_eq!(record["episode"]["regimen"][0]["dose"], "2 150 mg : 4 comprimés à 500 mg + 1 comprimé à 150 mg");
    assert_eq!(record["episode"]["regimen"][0]["dose_computation"]["rounded_mg"], 2150.0);
    let page = idec.get(&format!("/staff/patients/{pid}")).await;
    assert!(
        page.html
            .contains("Calcul : 1 250 mg/m² × 1,71 m² (Mosteller, 165 cm, 64 kg) = 2 140,9 mg → 2 150 mg (+0,4 %)")
    );
    assert!(page.html.contains(">capécitabine</td>"), "the display name, not the key");
    assert_eq!(record["episode"]["parcours"], "A", "the catalogue's default");

    // A new code from the page: the QR changes, the new code activates.
    let again = idec.post(&format!("/staff/patients/{pid}/activation-code"), &[("csrf", &token)]).await;
    assert_eq!(again.status, StatusCode::OK, "{}", again.html);
    let code2 = element(&again.html, "p", "activation-code").rsplit('>').next().unwrap().trim().to_owned();
    assert_ne!(code, code2);
    app.activate(&code2).await;
}

#[tokio::test]
async fn a_refused_field_is_shown_next_to_its_input_and_nothing_is_written() {
    let app = spawn_app().await;
    let site = app.seed_site().await;
    let idec = Browser::login(&app, "idec@a.test").await;
    let token = csrf(&idec.get("/staff/enrol").await.html);
    let mut fields = enrol_fields(&site, &token);
    fields.retain(|(k, _)| *k != "episode.regimen[0].times");
    fields.push(("episode.regimen[0].times", "08:00, 25:00"));
    fields.push(("episode.regimen[0].dose", "1000 mg"));
    let refused = idec.post("/staff/enrol", &fields).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    let slot = "episode.regimen[0].times";
    let err = element(&refused.html, "p", &format!("err-{slot}"));
    assert!(err.contains("horaires HH:MM") && err.contains("25:00"), "{err}");
    assert!(refused.html.contains(r#"value="08:00, 25:00" placeholder="08:00, 20:00" aria-invalid="true""#));
    assert!(refused.html.contains(r#"name="family_name" type="text" value="Martin""#), "values are kept");

    // An error found by the database checks (a team member from elsewhere) lands on its chooser.
    let mut fields = enrol_fields(&site, &token);
    fields.retain(|(k, _)| *k != "episode.team.oncologist");
    fields.push(("episode.team.oncologist", &site.other_oncologist.0));
    let refused = idec.post("/staff/enrol", &fields).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(element(&refused.html, "p", "err-episode.team.oncologist").contains("de votre établissement"));
    assert_eq!(count(&app.state, "patients").await, 0);

    // Enrolment is for hospital staff: a community pharmacist is refused.
    let officine = Browser::login(&app, "officine@a.test").await;
    assert_eq!(officine.get("/staff/enrol").await.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_lost_phone_is_disconnected_from_the_patient_page() {
    let app = spawn_app().await;
    let site = app.seed_site().await;
    let (pid, _, code) = app.enrol(&site, app.enrolment(&site)).await;
    let phone = app.activate(&code).await;
    let idec = Browser::login(&app, "idec@a.test").await;
    let page = idec.get(&format!("/staff/patients/{pid}")).await;
    assert!(page.html.contains("Téléphone perdu"), "the button is on the page");
    let token = csrf(&page.html);
    // Without the form's token: refused, nothing revoked.
    let forged = idec.post(&format!("/staff/patients/{pid}/phone-lost"), &[("csrf", "forged")]).await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert_eq!(app.call(reqwest::Method::GET, "/api/v1/patient/me", Some(&phone), None).await.status, StatusCode::OK);
    let done = idec.post(&format!("/staff/patients/{pid}/phone-lost"), &[("csrf", &token)]).await;
    assert_eq!(
        (done.status, done.location.as_str()),
        (StatusCode::SEE_OTHER, &*format!("/staff/patients/{pid}?phones_revoked=1"))
    );
    let after = idec.get(&done.location).await;
    assert!(after.html.contains("1 téléphone(s) déconnecté(s)"), "{}", after.html);
    let me = app.call(reqwest::Method::GET, "/api/v1/patient/me", Some(&phone), None).await;
    assert_eq!(me.status, StatusCode::UNAUTHORIZED, "the lost phone is cut off");
    // A GP sees no such button and may not use it.
    let gp = Browser::login(&app, "gp@a.test").await;
    let refused = gp
        .post(&format!("/staff/patients/{pid}/phone-lost"), &[("csrf", &csrf(&gp.get("/staff/patients").await.html))])
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_team_changes_through_the_patient_page_with_its_history() {
    let app = spawn_app().await;
    let site = app.seed_site().await;
    let (pid, _, _) = app.enrol(&site, app.enrolment(&site)).await;
    let idec = Browser::login(&app, "idec@a.test").await;
    let page = idec.get(&format!("/staff/patients/{pid}")).await;
    assert!(page.html.contains("id=\"team-form\""), "the hospital team has the form");
    let token = csrf(&page.html);
    let path = format!("/staff/patients/{pid}/team");
    let today = app.clock.now().date_naive();

    // Too far back: the page says which field, in French, above the form.
    let back = (today - Duration::days(8)).to_string();
    let refused = idec
        .post(&path, &[("csrf", &token), ("effective_date", &back), ("community_pharmacy", &site.other_pharmacy)])
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(element(&refused.html, "p", "team-error").contains("au plus 7 jours en arrière"), "{}", refused.html);

    // From tomorrow, pharmacy B: the page lists both periods and the change to come.
    let tomorrow = (today + Duration::days(1)).to_string();
    let form = [("csrf", token.as_str()), ("effective_date", &tomorrow), ("community_pharmacy", &site.other_pharmacy)];
    let done = idec.post(&path, &form).await;
    assert_eq!(
        (done.status, done.location.as_str()),
        (StatusCode::SEE_OTHER, format!("/staff/patients/{pid}?done=team").as_str())
    );
    let page = idec.get(&done.location).await;
    assert!(page.html.contains("Équipe modifiée"), "{}", page.html);
    let history = element(&page.html, "table", "team-history");
    let day = relais_server::domain::calendar::day_fr;
    assert!(history.contains(&format!("Pharmacie A</td><td>du {} au {}", day(today), day(today))), "{history}");
    assert!(
        history.contains(&format!("Pharmacie B</td><td>depuis le {}", day(today + Duration::days(1)))),
        "{history}"
    );
    assert!(page.html.contains(&format!("prévu le {}", day(today + Duration::days(1)))), "{}", page.html);

    // The enrolment form offers the IDEL too.
    assert!(idec.get("/staff/enrol").await.html.contains("name=\"episode.team.community_nurse\""));

    // The community pharmacist still sees the patient today, without the form.
    let officine = Browser::login(&app, "officine@a.test").await;
    let page = officine.get(&format!("/staff/patients/{pid}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(!page.html.contains("team-form"));
}

/// A regimen of three drugs (ixazomib, lenalidomide and dexamethasone, with its ramp-up-free
/// weekly blocks) through the form: "Ajouter un médicament" gives a third line, the empty lines
/// take each drug's usual fixed dose, and the patient page's calendar says where each block of
/// ixazomib's D1, D8, D15 cycle starts (issue 16).
#[tokio::test]
async fn the_form_takes_a_third_drug_line_and_the_calendar_shows_its_blocks() {
    let app = spawn_app().await;
    let site = app.seed_site().await;
    let idec = Browser::login(&app, "idec@a.test").await;
    let blank = idec.get("/staff/enrol").await.html;
    assert!(
        blank.contains(r#"name="episode.regimen[1].drug""#) && !blank.contains(r#"name="episode.regimen[2].drug""#)
    );
    let token = csrf(&blank);
    let mut fields = enrol_fields(&site, &token);
    fields.retain(|(k, _)| !k.starts_with("episode.regimen"));
    fields.extend([("episode.regimen[0].drug", "ixazomib"), ("episode.regimen[1].drug", "lenalidomide")]);
    // Without script, the button reloads the form with what was typed and one line more.
    let mut more = fields.clone();
    more.push(("add_line", "1"));
    let form = idec.post("/staff/enrol", &more).await;
    assert_eq!(form.status, StatusCode::OK, "nothing enrolled yet");
    assert!(form.html.contains(r#"name="episode.regimen[3].drug""#), "two lines used, one empty, one more");
    assert!(element(&form.html, "select", "episode.regimen[1].drug").contains(r#"value="lenalidomide" data-"#));
    assert!(app.get("/api/v1/patients", &app.login("idec@a.test").await).await.body.as_array().unwrap().is_empty());

    fields.push(("episode.regimen[2].drug", "dexamethasone"));
    let done = idec.post("/staff/enrol", &fields).await;
    assert_eq!(done.status, StatusCode::CREATED, "{}", done.html);
    let api = app.login("idec@a.test").await;
    let pid = app.get("/api/v1/patients", &api).await.body[0]["id"].as_str().unwrap().to_owned();
    let record = app.patient(&pid, &api).await;
    let regimen = record["episode"]["regimen"].as_array().unwrap();
    let line = |drug: &str| regimen.iter().find(|l| l["drug"] == drug).unwrap_or_else(|| panic!("{drug}")).clone();
    let doses = ["ixazomib", "lenalidomide", "dexamethasone"].map(|d| line(d)["dose"].as_str().unwrap().to_owned());
    assert_eq!(doses, ["4 mg", "25 mg", "40 mg"], "the catalogue's usual fixed doses");
    assert_eq!(line("ixazomib")["cycle"], json!({"length_days": 28, "on": [[1, 1], [8, 8], [15, 15]]}));

    // The episode starts on 2026-11-23: D8 is 30/11, D15 is 07/12; D22 (14/12) is no ixazomib day.
    let page = idec.get(&format!("/staff/patients/{pid}")).await.html;
    // The patient's number the French way, dialled in the international form.
    assert!(page.contains(r#"<a href="tel:+33612345678">06 12 34 56 78</a>"#), "{page}");
    let calendar = element(&page, "table", "cycle-calendar");
    assert!(calendar.contains(r#"<span class="mark">ixazomib : période 2/3</span>"#), "{calendar}");
    assert!(calendar.contains(r#"<span class="mark">ixazomib : période 3/3</span>"#));
    assert!(calendar.contains("ixazomib 4 mg : prise"), "the dose of an on-day");
    assert!(calendar.contains("ixazomib : pause"));
}

/// Issue 19: an IDEC reading in English enrols through an English form — labels, choosers, the
/// drug picker's usual regimens, the form's own and the action's refusals — and reads the
/// activation page in English; no French sentence on either. The same refusal reads in French,
/// the refused value quoted, on a French page.
#[tokio::test]
async fn an_english_speaking_idec_enrols_through_an_english_form() {
    let app = spawn_app().await;
    let site = app.seed_site().await;
    let idec = Browser::login(&app, "idec@a.test").await;
    let token = csrf(&idec.get("/staff/enrol").await.html);
    let switched = idec.post("/staff/language", &[("csrf", &token), ("locale", "en"), ("next", "/staff/enrol")]).await;
    assert_eq!(switched.status, StatusCode::SEE_OTHER);
    let form = idec.get("/staff/enrol").await.html.replace("&#39;", "'");
    assert!(form.contains(r#"<html lang="en">"#), "{form}");
    for en in [
        "Enrol a patient",
        "Family name",
        "Date of birth",
        "Patient's language",
        "As the drug's catalogue entry says",
        "Baseline weight (kg)",
        "Choose…",
        "Days on per cycle",
        "Coordinating nurse (IDEC)",
        "Community pharmacy (required on pathway A)",
        "Enrol and create the activation code",
        "(pathway A)",
        "(partner drug)",
        "1250 mg/m², days 1–14 every 21 days at 08:00, 20:00",
    ] {
        assert!(form.contains(en), "{en} in {form}");
    }
    for fr in ["Inclure", "Nom de famille", "Choisir", "(parcours", "une fois par jour", "repas", "Équipe", " à 08:00"]
    {
        assert!(!form.contains(fr), "French `{fr}` on the English form: {form}");
    }

    // The form's own refusal, then the action's, in English.
    let mut fields = enrol_fields(&site, &token);
    fields.retain(|(k, _)| *k != "episode.baseline_weight_kg");
    fields.push(("episode.baseline_weight_kg", "heavy"));
    let refused = idec.post("/staff/enrol", &fields).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    let err = element(&refused.html, "p", "err-episode.baseline_weight_kg");
    assert!(err.contains("a weight in kg, e.g. 64.5"), "{err}");
    assert!(refused.html.contains("The form has an error"), "{}", refused.html);
    let mut fields = enrol_fields(&site, &token);
    fields.retain(|(k, _)| *k != "episode.regimen[0].times");
    fields.push(("episode.regimen[0].times", "08:00, 25:00"));
    fields.push(("episode.regimen[0].dose", "1000 mg"));
    let refused = idec.post("/staff/enrol", &fields).await;
    let err = element(&refused.html, "p", "err-episode.regimen[0].times");
    assert!(err.contains("`25:00` is not a time HH:MM"), "{err}");

    // Enrolled: the activation page in English, the expiry written the English way.
    let done = idec.post("/staff/enrol", &enrol_fields(&site, &token)).await;
    assert_eq!(done.status, StatusCode::CREATED, "{}", done.html);
    let page = done.html.replace("&#39;", "'");
    for en in
        ["Patient enrolled", "Follow-up has started", "Valid once, until", "New code", "Open the patient's record"]
    {
        assert!(page.contains(en), "{en} in {page}");
    }
    for fr in ["Patient inclus", "Valable", "Nouveau code", "scanne ce", "déc.", "janv."] {
        assert!(!page.contains(fr), "French `{fr}` on the English activation page: {page}");
    }

    // Back in French: the action's refusal is the input's rule in French, the value quoted.
    idec.post("/staff/language", &[("csrf", &token), ("locale", "fr"), ("next", "/staff/enrol")]).await;
    let refused = idec.post("/staff/enrol", &fields).await;
    let err = element(&refused.html, "p", "err-episode.regimen[0].times").replace("&#171;", "«").replace("&#187;", "»");
    assert!(err.contains("1 à 6 horaires HH:MM, chacun une seule fois (« 25:00 »)"), "{err}");
}
