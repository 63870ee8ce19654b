//! The hand-over sheet ("fiche de liaison", issue 18, docs/domain.md "The care team and the
//! hand-over"): at inclusion and at each sequence change the community members of the team are
//! sent a link to a new version of the sheet; the link opens the printable page for the team
//! and for nobody else; each version keeps what was true when it was issued.

use relais_tests::relais_server::notify::delivery::deliver_due;
use relais_tests::*;
use reqwest::StatusCode;
use serde_json::Value;

/// A cookie-keeping browser signed in through the login form.
struct Browser {
    http: reqwest::Client,
    base: String,
}

impl Browser {
    async fn login(app: &TestApp, email: &str) -> Self {
        let http =
            reqwest::Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build().unwrap();
        let b = Self { http, base: app.addr.clone() };
        let (_, form) = b.get("/staff/login").await;
        let at = form.find(r#"name="csrf" value=""#).expect("a CSRF token") + r#"name="csrf" value=""#.len();
        let csrf = form[at..].split('"').next().unwrap().to_owned();
        let r = b
            .http
            .post(format!("{}/staff/login", b.base))
            .form(&[("csrf", csrf.as_str()), ("email", email), ("password", PASSWORD), ("next", "/staff/")])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "login {email}");
        b
    }

    async fn get(&self, path: &str) -> (StatusCode, String) {
        let r = self.http.get(format!("{}{path}", self.base)).send().await.unwrap();
        (r.status(), r.text().await.unwrap())
    }
}

/// The printed part of the page (the list of versions beside it changes as versions are added).
/// From the end of its opening tag, which may carry a `lang` (a French-only version shown to an
/// English reader).
fn sheet(html: &str) -> &str {
    let at = html.find(r#"<article id="sheet""#).expect("the sheet");
    let start = html[at..].find('>').unwrap() + at + 1;
    let end = html[start..].find("</article>").unwrap() + start;
    &html[start..end]
}

fn handover(rows: &[(String, Value)]) -> Vec<&Value> {
    rows.iter().filter(|(k, _)| k == "handover_sheet").map(|(_, p)| p).collect()
}

#[tokio::test]
async fn the_community_is_sent_a_versioned_hand_over_sheet_at_inclusion_and_at_each_sequence_change() {
    let app = spawn_app().await;
    let site = app.seed_site().await;
    let (pid, eid, _) = app.enrol(&site, app.enrolment(&site)).await;

    // Inclusion: the pharmacy's pharmacist and the GP are each sent version 1, with its link.
    let link = format!("/staff/patients/{pid}/handover/1");
    for to in [&site.community_pharmacist.0, &site.gp.0] {
        let rows = app.outbox_for(to).await;
        let sent = handover(&rows);
        assert_eq!(sent.len(), 1, "{rows:?}");
        assert_eq!(sent[0]["url"], link.as_str());
        assert_eq!((sent[0]["version"].as_i64(), sent[0]["reason"].as_str()), (Some(1), Some("inclusion")));
        assert_eq!(sent[0]["episode_id"], eid.as_str());
    }
    // The hospital team is not sent it (they hold the record), nor the other pharmacy.
    for to in [&site.idec.0, &site.hospital_pharmacist.0, &site.other_community_pharmacist.0, &site.other_gp.0] {
        assert!(handover(&app.outbox_for(to).await).is_empty(), "{to}");
    }
    // The email links to the sheet and names no patient.
    deliver_due(&app.state, app.clock.now()).await.unwrap();
    let to_pharmacist: Vec<String> = mails(&app).into_iter().filter(|m| m.contains("To: officine@a.test")).collect();
    assert_eq!(to_pharmacist.len(), 1);
    let m = &to_pharmacist[0];
    assert!(m.contains(&format!("http://localhost:8080{link}")), "{m}");
    assert!(m.contains("Une fiche de liaison (version 1)"), "{m}");
    assert!(!m.contains("Martin") && !m.contains("Claire") && !m.contains("capécitabine"), "no name: {m}");

    // Following the link as that pharmacist: the regimen, the 24 h number, a contact, a watch item.
    let pharmacist = Browser::login(&app, "officine@a.test").await;
    let (status, v1) = pharmacist.get(&link).await;
    assert_eq!(status, StatusCode::OK, "{v1}");
    let printed = sheet(&v1).to_owned();
    assert!(printed.contains("MARTIN Claire") && printed.contains("12/04/1961"), "identity: {printed}");
    assert!(printed.contains("capécitabine") && printed.contains("1500 mg"), "the dose: {printed}");
    assert!(printed.contains("08:00, 20:00") && printed.contains("J1 à J14 tous les 21 jours"), "{printed}");
    assert!(printed.contains("02 99 00 00 00"), "the 24 h number: {printed}");
    assert!(printed.contains("idec Test") && printed.contains("06 00 00 00 00"), "a contact: {printed}");
    assert!(printed.contains("Mains et pieds irrités"), "a watch item of capecitabine: {printed}");
    assert!(printed.contains("Fièvre à 38 °C ou plus"), "the myelosuppressive call-now rule: {printed}");
    assert!(printed.contains("S1, du 23 nov. 2026"), "the sequence: {printed}");
    assert!(v1.contains("@page") || v1.contains("/staff/assets/handover.css"), "the print stylesheet");
    assert!(v1.contains(r#"src="/staff/assets/print.js""#) && !v1.contains("<script>"), "no inline script");
    let (status, latest) = pharmacist.get(&format!("/staff/patients/{pid}/handover")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(sheet(&latest), printed, "the latest version is version 1");
    // The patient page links to it.
    let (_, record) = pharmacist.get(&format!("/staff/patients/{pid}")).await;
    assert!(record.contains(&format!(r#"href="/staff/patients/{pid}/handover""#)), "the link on the patient page");

    // Another team's professionals get 404, as for the record; an unknown version too.
    for email in ["officine@b.test", "gp@b.test", "idec@b.test"] {
        let stranger = Browser::login(&app, email).await;
        assert_eq!(stranger.get(&link).await.0, StatusCode::NOT_FOUND, "{email}");
        assert_eq!(stranger.get(&format!("/staff/patients/{pid}/handover")).await.0, StatusCode::NOT_FOUND);
    }
    assert_eq!(pharmacist.get(&format!("/staff/patients/{pid}/handover/9")).await.0, StatusCode::NOT_FOUND);
    assert_eq!(pharmacist.get(&format!("/staff/patients/{pid}/handover/x")).await.0, StatusCode::NOT_FOUND);

    // S1 → S2: version 2 (sequence change) to the same people.
    app.set_now(morning("2026-12-23"));
    assert_eq!(app.tick().await, 1, "S1 → S2");
    let sent = app.outbox_for(&site.gp.0).await;
    let v2 = handover(&sent);
    assert_eq!(v2.len(), 2, "{sent:?}");
    assert_eq!((v2[1]["version"].as_i64(), v2[1]["reason"].as_str()), (Some(2), Some("sequence_change")));
    // S2 → S3 on the team's decision: version 3.
    let idec = app.login("idec@a.test").await;
    assert_eq!(app.decide(&eid, &idec, "advance", None).await.status, StatusCode::OK);
    app.set_now(morning("2027-03-23"));
    assert_eq!(app.tick().await, 1, "S2 → S3");
    app.tick().await;
    let sent = app.outbox_for(&site.community_pharmacist.0).await;
    let all = handover(&sent);
    assert_eq!(all.len(), 3, "once per sequence change, not per tick: {sent:?}");
    assert_eq!(all[2]["url"], format!("/staff/patients/{pid}/handover/3"));
    assert_eq!(count_kind(&app.outbox_for(&site.gp.0).await, "gp_takeover"), 1, "the GP's take-over is kept");

    let pharmacist = Browser::login(&app, "officine@a.test").await;
    let (status, v2_page) = pharmacist.get(&format!("/staff/patients/{pid}/handover/2")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(v2_page.contains("changement de séquence") && sheet(&v2_page).contains("S2, du 23 déc. 2026"));
    let (_, latest) = pharmacist.get(&format!("/staff/patients/{pid}/handover")).await;
    assert!(sheet(&latest).contains("S3, du 23 mars 2027"), "the latest is S3's");
    assert!(latest.contains(&format!(r#"href="/staff/patients/{pid}/handover/1""#)), "the versions are listed");
    // Version 1 is served as it was issued.
    let (status, again) = pharmacist.get(&link).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(sheet(&again), printed, "version 1 unchanged");

    // The API lists the versions to the team, and to nobody else.
    let path = format!("/api/v1/episodes/{eid}/handover-sheets");
    let listed = app.get(&path, &app.login("officine@a.test").await).await;
    assert_eq!(listed.status, StatusCode::OK, "{:?}", listed.body);
    let reasons: Vec<(i64, &str)> = listed
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|v| (v["version"].as_i64().unwrap(), v["reason"].as_str().unwrap()))
        .collect();
    assert_eq!(reasons, [(1, "inclusion"), (2, "sequence_change"), (3, "sequence_change")]);
    assert_eq!(listed.body[0]["url"], link.as_str());
    assert_eq!(app.get(&path, &app.login("officine@b.test").await).await.status, StatusCode::NOT_FOUND);
}

fn count_kind(rows: &[(String, Value)], kind: &str) -> usize {
    rows.iter().filter(|(k, _)| k == kind).count()
}

#[tokio::test]
async fn a_stored_sheet_that_does_not_read_back_is_an_error_never_an_empty_page() {
    let app = spawn_app().await;
    let site = app.seed_site().await;
    let (pid, _, _) = app.enrol(&site, app.enrolment(&site)).await;
    let db = &app.state.db;
    use sea_orm::ConnectionTrait;
    db.execute_unprepared(r#"UPDATE handover_sheets SET content = '{"patient": {}}'"#).await.unwrap();
    let pharmacist = Browser::login(&app, "officine@a.test").await;
    let (status, html) = pharmacist.get(&format!("/staff/patients/{pid}/handover/1")).await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR, "{html}");
    assert!(!html.contains("Fiche de liaison ville"), "no sheet with empty fields");
    // The database refuses a reason it does not know.
    let bad = db.execute_unprepared("UPDATE handover_sheets SET reason = 'whim' WHERE version = 1").await;
    assert!(bad.is_err(), "the reason is constrained");
}

/// A team change tells whoever joins the community side — here a new community pharmacy — with
/// a new version of the sheet (`team_change`); the GP who stays and the pharmacy that leaves
/// are not sent it again. The new pharmacist's link opens the sheet.
#[tokio::test]
async fn a_pharmacy_joining_the_team_is_sent_the_sheet_and_nobody_else_is() {
    let app = spawn_app().await;
    let site = app.seed_site().await;
    let body = app.enrolment(&site);
    let today = body["episode"]["start_date"].as_str().unwrap().to_owned();
    let (pid, eid, _) = app.enrol(&site, body).await;
    let change = serde_json::json!({"effective_date": today, "community_pharmacy": site.other_pharmacy});
    let a = app.post(&format!("/api/v1/episodes/{eid}/team"), &site.idec.1, change).await;
    assert_eq!(a.status, StatusCode::OK, "{:?}", a.body);

    let rows = app.outbox_for(&site.other_community_pharmacist.0).await;
    let joined = handover(&rows);
    assert_eq!(joined.len(), 1, "{rows:?}");
    assert_eq!((joined[0]["version"].as_i64(), joined[0]["reason"].as_str()), (Some(2), Some("team_change")));
    assert_eq!(joined[0]["url"], format!("/staff/patients/{pid}/handover/2"));
    for stays_or_leaves in [&site.gp.0, &site.community_pharmacist.0] {
        assert_eq!(handover(&app.outbox_for(stays_or_leaves).await).len(), 1, "only the inclusion's version");
    }
    let newcomer = Browser::login(&app, "officine@b.test").await;
    let (status, page) = newcomer.get(&format!("/staff/patients/{pid}/handover/2")).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(sheet(&page).contains("MARTIN Claire"), "{page}");

    // The same team sent again changes nothing and issues nothing.
    let same = serde_json::json!({"effective_date": today, "community_pharmacy": site.other_pharmacy});
    assert_eq!(app.post(&format!("/api/v1/episodes/{eid}/team"), &site.idec.1, same).await.status, StatusCode::OK);
    assert_eq!(handover(&app.outbox_for(&site.other_community_pharmacist.0).await).len(), 1);
}

/// Issue 19: each professional reads their email in their own language, and only in it.
#[tokio::test]
async fn each_professional_reads_the_hand_over_mail_in_their_language_only() {
    use sea_orm::ConnectionTrait;
    let app = spawn_app().await;
    let site = app.seed_site().await;
    app.state.db.execute_unprepared("UPDATE professionals SET locale = 'en' WHERE email = 'gp@a.test'").await.unwrap();
    app.enrol(&site, app.enrolment(&site)).await;
    deliver_due(&app.state, app.clock.now()).await.unwrap();
    let to = |who: &str| -> String {
        let found: Vec<String> = mails(&app).into_iter().filter(|m| m.contains(&format!("To: {who}"))).collect();
        assert_eq!(found.len(), 1, "{who}");
        found[0].clone()
    };
    let fr = to("officine@a.test");
    assert!(fr.contains("Une fiche de liaison (version 1)") && fr.contains("Ouvrir :"), "{fr}");
    assert!(!fr.contains("hand-over sheet") && !fr.contains("Do not reply"), "French only: {fr}");
    let en = to("gp@a.test");
    assert!(en.contains("A hand-over sheet (version 1)") && en.contains("Do not reply"), "{en}");
    assert!(!en.contains("fiche de liaison") && !en.contains("Ouvrir"), "English only: {en}");
    assert!(en.contains("Subject: [Relais] Patient hand-over sheet") && en.contains(r#"<html lang=3D"en">"#), "{en}");
    // A language outside fr and en cannot be stored.
    let refused =
        app.state.db.execute_unprepared("UPDATE professionals SET locale = 'de' WHERE email = 'gp@a.test'").await;
    assert!(refused.is_err(), "the constraint refuses it");
}

/// A patient with something in every part of the sheet (issue 19): capecitabine on its 21-day
/// cycle, warfarin declared beside it (an interaction), an amber report (an alert), a medication
/// reconciliation and a pharmacist interview, then a new community pharmacy (version 2, which
/// reads the follow-up). The GP of the team reads English.
async fn a_full_sheet(app: &TestApp) -> (Site, String) {
    use sea_orm::ConnectionTrait;
    let site = app.seed_site().await;
    let body = app.enrolment(&site);
    let today = body["episode"]["start_date"].as_str().unwrap().to_owned();
    let (pid, eid, code) = app.enrol(&site, body).await;
    let device = app.activate(&code).await;
    let r = app.report(&device, serde_json::json!({"diarrhea.frequency": 3, "temperature_c": 37.0})).await;
    assert!(r.status.is_success(), "{:?}", r.body);
    let path = format!("/api/v1/episodes/{eid}/comedications");
    let c = app.post(&path, &site.idec.1, serde_json::json!({"name": "Warfarine"})).await;
    assert_eq!(c.status, StatusCode::CREATED, "{:?}", c.body);
    let reconciliation = serde_json::json!({"reconciled_on": today, "medications": [
        {"name": "Aspirin", "dosage": "75 mg", "decision": "adjust", "decision_note": "later"}]});
    let path = format!("/api/v1/episodes/{eid}/reconciliation");
    assert_eq!(app.post(&path, &site.hospital_pharmacist.1, reconciliation).await.status, StatusCode::CREATED);
    let interview = serde_json::json!({"done_on": today, "topics": ["when_to_call"], "minutes": 20});
    let path = format!("/api/v1/episodes/{eid}/pharmacy-interviews");
    assert_eq!(app.post(&path, &site.community_pharmacist.1, interview).await.status, StatusCode::CREATED);
    let change = serde_json::json!({"effective_date": today, "community_pharmacy": site.other_pharmacy});
    let t = app.post(&format!("/api/v1/episodes/{eid}/team"), &site.idec.1, change).await;
    assert_eq!(t.status, StatusCode::OK, "{:?}", t.body);
    app.state.db.execute_unprepared("UPDATE professionals SET locale = 'en' WHERE email = 'gp@a.test'").await.unwrap();
    (site, pid)
}

/// French texts that have no place on the English sheet (case-sensitive, anywhere in the page,
/// HTML-escaped as the page writes them).
const FRENCH_ON_THE_SHEET: &[&str] = &[
    "Fiche de liaison",
    "Appeler",
    "Traitement",
    "tous les",
    "grade de",
    "Conciliation",
    "Médicament",
    "Prochaine décision",
    "déclarée",
    "Fièvre",
    "Tension artérielle",
    "Observance",
    "Toxicité",
    "Interaction médicamenteuse",
    "À prendre en charge",
    "changement d&#39;équipe",
    "émise le",
    "Myélosuppresseur",
    "capécitabine",
    "augmente l&#39;INR",
    "Médecin traitant",
    "Oncologue",
    "Retour au dossier",
    "Imprimer",
    "nov.",
    "prises",
    "Aucune",
    "Orange",
    "Contacts de l&#39;équipe",
    "du 23",
    "adapter",
    "Entretien",
    "Quand appeler",
];

/// Issue 19: an English-speaking GP of the team reads the latest sheet in English — every text
/// of the snapshot and of the page around it, English dates — and no French; a French reader
/// of the same version keeps the French sheet, word for word.
#[tokio::test]
async fn an_english_reader_reads_the_hand_over_sheet_in_english_and_a_french_one_in_french() {
    let app = spawn_app().await;
    let (_, pid) = a_full_sheet(&app).await;
    let gp = Browser::login(&app, "gp@a.test").await;
    let (status, page) = gp.get(&format!("/staff/patients/{pid}/handover")).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(page.contains(r#"<html lang="en">"#), "the page's language");
    assert!(!page.contains(r#"id="french-only""#), "a bilingual version needs no note");
    let printed = sheet(&page);
    for en in [
        "Hospital–community hand-over sheet",
        "Version 2 (team change), issued on",
        "S1, from 23 Nov 2026 to",
        "12 Apr 1961",
        "capecitabine",
        "D1–D14 every 21 days",
        "Fever of 38 °C or more: call the 24/7 number straight away (possible febrile neutropenia)",
        "mmHg or more",
        "of grade 2 or more: next dose withheld until the team calls",
        "Myelosuppressive: risk of neutropenia",
        "capecitabine + Warfarine: capecitabine raises the INR under vitamin K antagonists",
        "reported on 23 Nov 2026",
        "Medication reconciliation and pharmacist interviews",
        "<td>adjust: later</td>",
        "Interview of 23 Nov 2026 (20 min): When to call the team",
        "Adherence over 7 days",
        "Latest questionnaire",
        "Amber",
        "Drug interaction",
        "To acknowledge",
        "Coordinating nurse (IDEC)",
        "GP",
        "Next decision",
    ] {
        assert!(printed.contains(en), "{en:?} in {printed}");
    }
    for en in ["Hand-over sheet —", "Back to the patient", "Versions of the sheet", "— team change, 23 Nov 2026"] {
        assert!(page.contains(en), "{en:?} in the page");
    }
    let french: Vec<&&str> = FRENCH_ON_THE_SHEET.iter().filter(|w| page.contains(**w)).collect();
    assert!(french.is_empty(), "French on the English sheet: {french:?}\n{page}");

    // The same version read in French: the French texts, and no English ones.
    let pharmacist = Browser::login(&app, "officine@b.test").await;
    let (status, fr_page) = pharmacist.get(&format!("/staff/patients/{pid}/handover/2")).await;
    assert_eq!(status, StatusCode::OK, "{fr_page}");
    assert!(fr_page.contains(r#"<html lang="fr">"#));
    let fr = sheet(&fr_page);
    for text in [
        "Fiche de liaison ville–hôpital",
        "Version 2 (changement d&#39;équipe), émise le",
        "S1, du 23 nov. 2026",
        "12/04/1961",
        "J1 à J14 tous les 21 jours",
        "Fièvre à 38 °C ou plus : appeler sans attendre le numéro 24 h/24",
        "de grade 2 ou plus : prochaine prise suspendue jusqu&#39;à l&#39;appel de l&#39;équipe",
        "Myélosuppresseur : risque de neutropénie",
        "capécitabine + Warfarine : la capécitabine augmente l&#39;INR",
        "Interaction médicamenteuse",
        "Médecin traitant",
        "<td>adapter : later</td>",
        "Entretien du 23 nov. 2026 (20 min) : Quand appeler l&#39;équipe",
    ] {
        assert!(fr.contains(text), "{text:?} in {fr}");
    }
    for en in ["every 21 days", "Fever", "Drug interaction", "Coordinating nurse", "issued on", "Myelosuppressive"] {
        assert!(!fr_page.contains(en), "{en:?} on the French sheet");
    }
}

/// Issue 19: a version issued before the sheet was bilingual (its stored JSON has no `en`) is
/// shown to an English reader as it was issued, in French, under an English note — never an
/// error; a French reader sees no note.
#[tokio::test]
async fn a_version_issued_in_french_only_is_shown_in_french_to_an_english_reader_with_a_note() {
    use relais_tests::relais_server::store::entities::handover_sheet;
    use sea_orm::{ActiveModelTrait, EntityTrait, IntoActiveModel, Set};
    let app = spawn_app().await;
    let (_, pid) = a_full_sheet(&app).await;
    let db = &app.state.db;
    let rows = handover_sheet::Entity::find().all(db).await.unwrap();
    assert_eq!(rows.len(), 2);
    for row in rows {
        let mut content: Value = serde_json::from_str(&row.content).unwrap();
        assert!(content["en"].is_object(), "the English twin is stored");
        content.as_object_mut().unwrap().remove("en");
        let mut active = row.into_active_model();
        active.content = Set(content.to_string());
        active.update(db).await.unwrap();
    }
    let gp = Browser::login(&app, "gp@a.test").await;
    let (status, page) = gp.get(&format!("/staff/patients/{pid}/handover")).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(page.contains(r#"<html lang="en">"#), "the page is the reader's");
    assert!(page.contains(r#"<article id="sheet" lang="fr">"#), "the sheet is French: {page}");
    assert!(page.contains("This version of the sheet was issued in French only"), "{page}");
    let printed = sheet(&page);
    assert!(printed.contains("J1 à J14 tous les 21 jours") && printed.contains("Fiche de liaison ville–hôpital"));
    assert!(!printed.contains("every 21 days"), "no English made up for it");
    assert!(page.contains("Versions of the sheet") && page.contains("Back to the patient"), "the page around it");
    // A French reader of the same version sees no note.
    let (_, fr_page) =
        Browser::login(&app, "officine@b.test").await.get(&format!("/staff/patients/{pid}/handover")).await;
    assert!(!fr_page.contains("french-only") && sheet(&fr_page) == printed, "{fr_page}");
}
