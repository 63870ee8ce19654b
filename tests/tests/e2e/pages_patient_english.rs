//! Issue 19: the staff patient page in its reader's language. On the demo's site, the
//! pharmacists and the IDEC switched to English fill every form of a patient's page (a refused
//! one first, for its message) and read the page in English — no French word of [`FRENCH`] —;
//! a French reader of the same page reads no English word of [`ENGLISH`].

use relais_server::demo::PASSWORD;
use relais_tests::{TestApp, csrf_of, page, spawn_app, staff_session};
use reqwest::StatusCode;

/// French words that have no place on the English patient page (whole words, any case). The
/// demo's pharmacy names ("Pharmacie des Lices") and the prescribed dose texts ("125 mg le
/// matin") are proper names and prescriptions, not the page's words: none of these is in them.
const FRENCH: &[&str] = &[
    "les",
    "une",
    "pour",
    "avec",
    "sans",
    "dont",
    "ans",
    "oui",
    "non",
    "identité",
    "naissance",
    "téléphone",
    "langue",
    "fuseau",
    "épisode",
    "parcours",
    "officine",
    "rétrocession",
    "séquence",
    "renouvelée",
    "renouvellement",
    "renouveler",
    "terminer",
    "motif",
    "choisir",
    "historique",
    "traitement",
    "médicament",
    "horaires",
    "depuis",
    "calendrier",
    "semaines",
    "prise",
    "prises",
    "pris",
    "pause",
    "férié",
    "aujourd",
    "jours",
    "mois",
    "équipe",
    "oncologue",
    "médecin",
    "inchangée",
    "inchangé",
    "aucune",
    "aucun",
    "enregistrer",
    "enregistrée",
    "enregistré",
    "délivré",
    "délivrées",
    "unités",
    "court",
    "ordonnance",
    "entretien",
    "entretiens",
    "thèmes",
    "durée",
    "pharmacien",
    "conciliation",
    "divergence",
    "divergences",
    "précision",
    "décision",
    "poursuivre",
    "adapter",
    "adhésion",
    "avenant",
    "montant",
    "observance",
    "derniers",
    "symptômes",
    "alertes",
    "alerte",
    "couleur",
    "ouverte",
    "sujet",
    "état",
    "rouge",
    "orange",
    "vert",
    "toxicité",
    "déclarée",
    "refusé",
    "refusée",
    "janv",
    "févr",
    "déc",
    "lun",
    "mer",
    "jeu",
    "ven",
    "dim",
];

/// English words that have no place on the French patient page.
const ENGLISH: &[&str] = &[
    "the",
    "and",
    "with",
    "from",
    "since",
    "of",
    "taken",
    "missed",
    "vomited",
    "late",
    "break",
    "holiday",
    "today",
    "treatment",
    "drug",
    "team",
    "record",
    "recorded",
    "none",
    "unchanged",
    "interview",
    "reconciliation",
    "adherence",
    "pathway",
    "sequence",
    "renewal",
    "completed",
    "active",
    "other",
    "yes",
    "no",
    "days",
    "dec",
    "wed",
    "thu",
    "per_m2",
    "strong_cyp3a4_inducer",
];

/// The `<main>` of a page: what the page itself says (the header is the layout's).
fn main_of(html: &str) -> &str {
    let start = html.find("<main").expect("a <main>");
    let end = html.find("</main>").expect("a </main>");
    &html[start..end]
}

/// What a reader gets of some markup: its text, and the attributes that are read out or shown
/// (`title`, `aria-label`, `data-label`, `alt`, `placeholder`); not the tags, classes, ids and
/// values.
fn readable(html: &str) -> String {
    let mut out = String::new();
    let mut rest = html;
    while let Some(open) = rest.find('<') {
        out.push_str(&rest[..open]);
        out.push(' ');
        let close = rest[open..].find('>').map_or(rest.len(), |c| open + c + 1);
        let tag = &rest[open..close];
        for name in ["title", "aria-label", "data-label", "alt", "placeholder"] {
            let marker = format!(" {name}=\"");
            if let Some(at) = tag.find(&marker) {
                out.push_str(tag[at + marker.len()..].split('"').next().unwrap_or(""));
                out.push(' ');
            }
        }
        rest = &rest[close..];
    }
    out.push_str(rest);
    out.replace("&#39;", "'").replace("&amp;", "&").replace("&quot;", "\"")
}

/// The words of `list` that a reader of the markup meets as whole words (see [`readable`]), with
/// some context for each.
fn found(html: &str, list: &[&str]) -> Vec<String> {
    let text = readable(html);
    let lower = text.to_lowercase();
    let words: Vec<&str> = lower.split(|c: char| !c.is_alphanumeric() && c != '_').collect();
    list.iter()
        .filter(|w| words.contains(*w))
        .map(|w| {
            // The first whole-word occurrence, for its context.
            let at = lower
                .match_indices(w)
                .map(|(i, _)| i)
                .find(|&i| {
                    let before = lower[..i].chars().next_back().is_none_or(|c| !c.is_alphanumeric() && c != '_');
                    let after = lower[i + w.len()..].chars().next().is_none_or(|c| !c.is_alphanumeric() && c != '_');
                    before && after
                })
                .unwrap_or(0);
            let from = lower[..at].char_indices().rev().nth(60).map_or(0, |(i, _)| i);
            let context: String = lower[from..].chars().take(140).collect();
            format!("« {w} » in …{}…", context.split_whitespace().collect::<Vec<_>>().join(" "))
        })
        .collect()
}

/// A demo professional signed in, then switched to `locale` with the header's switch.
async fn reader(app: &TestApp, email: &str, locale: &str) -> reqwest::Client {
    let (http, landing) = staff_session(&app.addr, email, PASSWORD).await;
    let (status, body) = page(app, &http, &landing).await;
    assert_eq!(status, StatusCode::OK, "{email} lands on {landing}");
    let r = http
        .post(format!("{}/staff/language", app.addr))
        .form(&[("csrf", csrf_of(&body).as_str()), ("locale", locale), ("next", "/staff/patients")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{email} switches to {locale}");
    http
}

/// Posts a form of the patient page; returns the status, and the page it leads to (the
/// redirect followed) or the page shown again.
async fn submit(app: &TestApp, http: &reqwest::Client, path: &str, form: &[(&str, &str)]) -> (StatusCode, String) {
    // One CSRF token per session: any page's.
    let (_, before) = page(app, http, "/staff/patients").await;
    let csrf = csrf_of(&before);
    let mut fields = vec![("csrf", csrf.as_str())];
    fields.extend_from_slice(form);
    let r = http.post(format!("{}{path}", app.addr)).form(&fields).send().await.unwrap();
    let status = r.status();
    if status == StatusCode::SEE_OTHER {
        let to = r.headers()[reqwest::header::LOCATION].to_str().unwrap().to_owned();
        let (_, body) = page(app, http, &to).await;
        (status, body.replace("&#39;", "'"))
    } else {
        (status, r.text().await.unwrap().replace("&#39;", "'"))
    }
}

/// The page of the demo patient whose family name is `family` (as listed: upper case).
async fn patient_path(app: &TestApp, http: &reqwest::Client, family: &str) -> String {
    let (_, list) = page(app, http, &format!("/staff/patients?q={family}")).await;
    let at = list.find(&family.to_uppercase()).unwrap_or_else(|| panic!("{family} listed: {list}"));
    let href = list[..at].rfind("href=\"/staff/patients/").expect("a link") + 6;
    list[href..].split('"').next().unwrap().to_owned()
}

#[tokio::test]
async fn an_english_speaking_team_reads_and_fills_the_demo_patient_page_in_english() {
    let app = spawn_app().await;
    relais_server::demo::seed(&app.state).await.expect("demo seeds");
    let today = app.state.today();
    let (today_iso, today_en) = (today.to_string(), today.format("%-d %b %Y").to_string());

    // Jean Dupont: S2, a change of pharmacy (team history), a dispensation, reports and alerts.
    let officine = reader(&app, "officine@demo.relais.test", "en").await;
    let path = patient_path(&app, &officine, "Dupont").await;
    let (status, refused) =
        submit(&app, &officine, &format!("{path}/dispensations"), &[("drug", "palbociclib"), ("units", "many")]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.contains("Dispensation refused (units dispensed): a whole number."), "{refused}");
    let (status, refused) = submit(
        &app,
        &officine,
        &format!("{path}/pharmacy-interviews"),
        &[("done_on", &today_iso), ("topics", "side_effects"), ("minutes", "twenty")],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.contains("Interview refused (length in minutes): a whole number of minutes."), "{refused}");
    let (status, done) = submit(
        &app,
        &officine,
        &format!("{path}/pharmacy-interviews"),
        &[
            ("done_on", &today_iso),
            ("topics", "dosing_and_times"),
            ("topics", "side_effects"),
            ("minutes", "20"),
            ("note", "CBC D15: OK."),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{done}");
    assert!(done.contains("Pharmaceutical interview recorded."), "{done}");
    let (status, done) = submit(
        &app,
        &officine,
        &format!("{path}/interviews"),
        &[("kind", "initial"), ("on", &today_iso), ("treatment", "other")],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{done}");
    assert!(done.contains("AC interview recorded; the codes due are updated."), "{done}");
    let ledger = main_of(&done);
    for en in ["The pharmacy's AC follow-up (amendment 21)", "Joined on", "Codes due", "Initial interview", "€"] {
        assert!(ledger.contains(en), "{en} in {ledger}");
    }
    assert!(!ledger.contains(" €<") && !ledger.contains(",00"), "English amounts: {ledger}");
    let french = found(main_of(&done), FRENCH);
    assert!(french.is_empty(), "French on the community pharmacist's English page:\n{}", french.join("\n"));

    let hospital = reader(&app, "pharma-hosp@demo.relais.test", "en").await;
    let rows = [
        ("reconciled_on", today_iso.as_str()),
        ("med_name_0", "Amlodipine"),
        ("med_dosage_0", "5 mg"),
        ("med_decision_0", "continue"),
        ("med_name_1", "Omeprazole"),
        ("med_dosage_1", "20 mg"),
        ("med_decision_1", "adjust"),
        ("discrepancies", "Omeprazole 20 mg ≠ 40 mg"),
    ];
    let (status, refused) = submit(&app, &hospital, &format!("{path}/reconciliation"), &rows).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.contains("Reconciliation refused (medication 2, detail of the decision): "), "{refused}");
    let mut rows = rows.to_vec();
    rows.push(("med_note_1", "Pantoprazole 40 mg"));
    let (status, done) = submit(&app, &hospital, &format!("{path}/reconciliation"), &rows).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{done}");
    assert!(done.contains("Medication reconciliation recorded."), "{done}");

    let idec = reader(&app, "idec@demo.relais.test", "en").await;
    let (status, refused) = submit(&app, &idec, &format!("{path}/team"), &[("effective_date", "2000-01-01")]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.contains("Change refused: the effective date is today or later"), "{refused}");
    let (status, refused) = submit(&app, &idec, &format!("{path}/decision"), &[("action", "end")]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.contains("Choose the reason for ending the follow-up."), "{refused}");

    let (status, body) = page(&app, &idec, &path).await;
    assert_eq!(status, StatusCode::OK);
    let body = body.replace("&#39;", "'");
    assert!(body.contains(r#"<html lang="en">"#));
    let main = main_of(&body);
    for en in [
        "years old",
        "Identity",
        "Date of birth",
        "Episode and pathway",
        "dispensed by the community pharmacy",
        "Current sequence",
        "S2 — follow-up (3 months)",
        "Sequence history",
        "completed",
        "Treatment",
        "palbociclib",
        "21 days on, 7 days off",
        "Calendar of the coming weeks",
        ">Mon<",
        "dosing day",
        "Care team",
        "Care team history",
        "Coordinating nurse (IDEC)",
        "Community pharmacy",
        "Change the care team",
        "— unchanged —",
        "Dispensations",
        "Runs out on",
        "units dispensed since",
        "Pharmaceutical interviews at dispensation",
        "Dosing and times of intake; Side effects and what to do",
        "CBC D15: OK.",
        "Medication reconciliation",
        "Home medication",
        "Pantoprazole 40 mg",
        "Adherence",
        "Last 7 days",
        "Doses per day, from",
        "taken late",
        "Latest questionnaires",
        "Alerts",
        "Co-medications",
        "End the follow-up — reason",
        "Lost to follow-up",
        today_en.as_str(),
    ] {
        assert!(main.contains(en), "{en} in {main}");
    }
    assert!(main.contains("% (") && main.contains(" doses"), "adherence in English: {main}");
    let french = found(main, FRENCH);
    assert!(french.is_empty(), "French on the English patient page:\n{}", french.join("\n"));

    // A French reader of the same page: the same records, no English word.
    let (onco, _) = staff_session(&app.addr, "oncologue@demo.relais.test", PASSWORD).await;
    let (status, body) = page(&app, &onco, &path).await;
    assert_eq!(status, StatusCode::OK);
    let body = body.replace("&#39;", "'");
    assert!(body.contains(r#"<html lang="fr">"#));
    let main = main_of(&body);
    for fr in [
        "Épisode et parcours",
        "Séquence en cours",
        "S2 — suivi (3 mois)",
        "21 j de prise, 7 j de pause",
        "Calendrier des prochaines semaines",
        "Historique de l'équipe",
        "unités délivrées depuis le",
        "Posologie et horaires de prise ; Effets indésirables et conduite à tenir",
        "Conciliation médicamenteuse",
        "poursuivre",
        "adapter",
        "Prises par jour, du",
        "pris en retard",
    ] {
        assert!(main.contains(fr), "{fr} in {main}");
    }
    let english = found(main, ENGLISH);
    assert!(english.is_empty(), "English on the French patient page:\n{}", english.join("\n"));
}
