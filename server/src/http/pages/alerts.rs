//! The triage worklist and the alert page. Lists, reads and actions are those of `app::alerts`
//! (the API's too: same scoping, transactions and audit lines); this file only presents them.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::labels::{self, Tr};
use super::report::{self, AnswerGroup, SymptomLine};
use super::{Layout, PageError, StaffPage, html};
use crate::AppState;
use crate::app::ActionError;
use crate::app::alerts::{self as actions, AlertView, ResolveRequest};
use crate::domain::triage::Locale;
use crate::store::alerts;

/// Seconds between two refreshes of the worklist by its script.
const REFRESH_SECONDS: u32 = 20;

#[derive(Deserialize)]
pub struct StatusQuery {
    status: Option<String>,
}

fn status_of(q: &StatusQuery) -> &'static str {
    match q.status.as_deref() {
        Some("acknowledged") => "acknowledged",
        Some("resolved") => "resolved",
        _ => "open",
    }
}

/// One line of the worklist.
pub struct Row {
    pub id: String,
    pub colour: String,
    pub colour_label: &'static str,
    pub topic: &'static str,
    pub patient_id: String,
    pub patient_name: String,
    pub age: String,
    pub left: String,
    pub overdue: bool,
    pub confirmed_grade: Option<i32>,
}

fn row(a: &AlertView, status: &str, locale: Locale) -> Row {
    Row {
        id: a.id.clone(),
        colour: a.colour.clone(),
        colour_label: labels::colour_in(&a.colour, locale),
        topic: labels::topic_in(&a.topic, locale),
        patient_id: a.patient.id.clone(),
        patient_name: format!("{} {}", a.patient.family_name.to_uppercase(), a.patient.given_name),
        age: labels::duration_in(a.age_minutes, locale),
        left: labels::time_left_in(a.minutes_left, locale),
        overdue: status == "open" && a.minutes_left < 0,
        confirmed_grade: a.confirmed_grade,
    }
}

#[derive(Template)]
#[template(path = "staff/alerts.html")]
struct WorklistPage {
    layout: Layout,
    tr: Tr,
    title: String,
    status: &'static str,
    rows: Vec<Row>,
    refresh_seconds: u32,
}

#[derive(Template)]
#[template(path = "staff/alerts_live.html")]
struct WorklistFragment {
    tr: Tr,
    title: String,
    status: &'static str,
    rows: Vec<Row>,
}

/// The rows of a tab, and the page title with the number of open red alerts.
async fn worklist(state: &AppState, page: &StaffPage, status: &'static str) -> Result<(String, Vec<Row>), PageError> {
    // The count only: no patient data, so no audit line (the list below writes its own).
    let reds = alerts::visible_to(&state.db, &page.auth.staff, "open", state.today())
        .await?
        .iter()
        .filter(|a| a.colour == "red")
        .count();
    let views = actions::list(state, &page.auth, Some(status)).await?;
    let alerts = page.tr.t("Alertes", "Alerts");
    let title = if reds > 0 { format!("({reds}) {alerts} — Relais") } else { format!("{alerts} — Relais") };
    Ok((title, views.iter().map(|a| row(a, status, page.tr.0)).collect()))
}

pub async fn list(
    State(state): State<AppState>,
    page: StaffPage,
    Query(q): Query<StatusQuery>,
) -> Result<Response, PageError> {
    let status = status_of(&q);
    let (title, rows) = worklist(&state, &page, status).await?;
    html(&WorklistPage {
        layout: page.layout("alerts"),
        tr: page.tr,
        title,
        status,
        rows,
        refresh_seconds: REFRESH_SECONDS,
    })
}

/// The worklist's table alone, polled by `staff.js`.
pub async fn live(
    State(state): State<AppState>,
    page: StaffPage,
    Query(q): Query<StatusQuery>,
) -> Result<Response, PageError> {
    let status = status_of(&q);
    let (title, rows) = worklist(&state, &page, status).await?;
    html(&WorklistFragment { tr: page.tr, title, status, rows })
}

#[derive(Template)]
#[template(path = "staff/alert.html")]
struct AlertPage {
    layout: Layout,
    id: String,
    colour: String,
    colour_label: &'static str,
    topic: &'static str,
    status: String,
    status_label: &'static str,
    opened_at: String,
    deadline_at: String,
    left: String,
    overdue: bool,
    escalation_level: i32,
    provisional_grade: Option<i32>,
    confirmed_grade: Option<i32>,
    /// Why the alert was raised, in the reader's language (reason codes rendered; an alert stored
    /// before them shows its text, in French where the engine's text is known).
    reasons: Vec<String>,
    /// Why the alert has its colour, in French, first on the page.
    why: Vec<String>,
    note: Option<String>,
    resolution_note: Option<String>,
    patient_id: String,
    patient_name: String,
    phone: Option<(String, String)>,
    team: Vec<report::TeamLine>,
    answers: Vec<AnswerGroup>,
    symptoms: Vec<SymptomLine>,
    events: Vec<(String, String)>,
    error: Option<String>,
    /// The grades 0–4 of the resolve form, with the one sent back checked.
    grade_choices: Vec<(u8, bool)>,
    /// Only a toxicity alert has a grade to confirm.
    toxicity: bool,
    /// The drugs the patient was told to hold, by name.
    hold: Vec<String>,
    /// A symptom in the patient's own words ("I have a symptom now", "other").
    other: Option<String>,
    form_note: String,
}

/// What the resolve form sent back, to show it again beside its error.
#[derive(Default)]
struct Attempt {
    error: Option<String>,
    grade: Option<u8>,
    note: String,
}

async fn alert_page(state: &AppState, page: &StaffPage, id: &str, attempt: Attempt) -> Result<AlertPage, PageError> {
    let d = actions::detail(state, &page.auth, id).await?;
    let tz = state.site_tz();
    let a = d.alert;
    let bank = &state.rules.questionnaires;
    let (tr, locale, v) = (page.tr, page.tr.0, state.rules.vocabulary());
    let team = report::team(state, &a.episode_id, tr).await?;
    let mut events = Vec::new();
    for e in &d.events {
        events.push(report::event_line(state, e, tz, tr).await?);
    }
    let overdue = a.status == "open" && a.minutes_left < 0;
    let triage = report::StoredResult::read(a.last_report_id.as_deref(), &d.triage).map_err(sea_orm::DbErr::from)?;
    let symptoms = report::symptoms(v, &triage, locale);
    let why = match locale {
        Locale::Fr => report::why(bank, &state.rules.triage.colour, &symptoms, &triage, &d.answers),
        Locale::En => report::why_en(v, &triage),
    };
    Ok(AlertPage {
        layout: page.layout("alerts"),
        colour_label: labels::colour_in(&a.colour, locale),
        topic: labels::topic_in(&a.topic, locale),
        status_label: labels::status_in(&a.status, locale),
        opened_at: labels::at_in(a.opened_at, tz, locale),
        deadline_at: labels::at_in(a.deadline_at, tz, locale),
        left: labels::time_left_in(a.minutes_left, locale),
        overdue,
        patient_name: format!("{} {}", a.patient.family_name.to_uppercase(), a.patient.given_name),
        phone: a.patient.phone.as_ref().map(|p| (labels::tel_href(p), crate::domain::phone::display(p))),
        team,
        answers: report::answers(bank, &d.answers, locale),
        why,
        symptoms,
        // The drugs the patient was told to hold (docs/triage.md §5), by their names; absent
        // from reports made before the rule existed.
        hold: triage.hold.iter().map(|d| state.rules.catalog.name_in(d, locale).to_owned()).collect(),
        other: triage.other,
        events,
        error: attempt.error,
        grade_choices: (0..=4).map(|g| (g, attempt.grade == Some(g))).collect(),
        toxicity: a.topic == "toxicity",
        form_note: attempt.note,
        id: a.id,
        colour: a.colour,
        status: a.status,
        escalation_level: a.escalation_level,
        provisional_grade: a.provisional_grade,
        confirmed_grade: a.confirmed_grade,
        reasons: a.reason_codes.iter().map(|r| r.render(locale, v)).collect(),
        note: a.note,
        resolution_note: a.resolution_note,
        patient_id: a.patient.id,
    })
}

pub async fn detail(
    State(state): State<AppState>,
    page: StaffPage,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    html(&alert_page(&state, &page, &id, Attempt::default()).await?)
}

#[derive(Deserialize)]
pub struct AckForm {
    #[allow(dead_code)] // checked by the CSRF guard before the handler runs
    csrf: String,
}

/// Takes the alert on (stops its escalation).
pub async fn acknowledge(
    State(state): State<AppState>,
    page: StaffPage,
    Path(id): Path<String>,
    Form(_): Form<AckForm>,
) -> Result<Response, PageError> {
    match actions::acknowledge(&state, &page.auth, &id).await {
        Ok(_) => Ok(Redirect::to(&format!("/staff/alerts/{id}")).into_response()),
        Err(ActionError::Conflict { .. }) => {
            let error = Some(
                page.tr
                    .t(
                        "Cette alerte n'est plus ouverte : quelqu'un l'a déjà prise en charge.",
                        "This alert is no longer open: someone has already acknowledged it.",
                    )
                    .to_owned(),
            );
            let p = alert_page(&state, &page, &id, Attempt { error, ..Attempt::default() }).await?;
            Ok((StatusCode::CONFLICT, html(&p)?).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
pub struct ResolveForm {
    #[allow(dead_code)] // checked by the CSRF guard before the handler runs
    csrf: String,
    confirmed_grade: Option<String>,
    #[serde(default)]
    note: String,
}

/// Closes the alert with the grade confirmed after the call and what was done.
pub async fn resolve(
    State(state): State<AppState>,
    page: StaffPage,
    Path(id): Path<String>,
    Form(f): Form<ResolveForm>,
) -> Result<Response, PageError> {
    let grade = f.confirmed_grade.as_deref().and_then(|g| g.trim().parse::<u8>().ok()).filter(|g| *g <= 4);
    let note = f.note.trim().to_owned();
    let again = |error: String| Attempt { error: Some(error), grade, note: note.clone() };
    if note.is_empty() {
        let e = page.tr.t(
            "Notez ce qui a été fait (appel, conseil, orientation…).",
            "Write down what was done (call, advice, referral…).",
        );
        let p = alert_page(&state, &page, &id, again(e.into()));
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, html(&p.await?)?).into_response());
    }
    let req = ResolveRequest { confirmed_grade: grade.map(i64::from), note: Some(note.clone()) };
    match actions::resolve(&state, &page.auth, &id, &req).await {
        Ok(_) => Ok(Redirect::to(&format!("/staff/alerts/{id}")).into_response()),
        Err(ActionError::Invalid { field, message }) => {
            // Whether a grade is needed is the action's to say (toxicity alerts only).
            let e = match field.as_str() {
                "note" => page
                    .tr
                    .t("La note est limitée à 2000 caractères.", "The note is limited to 2,000 characters.")
                    .to_owned(),
                "confirmed_grade" if grade.is_none() => page
                    .tr
                    .t(
                        "Choisissez le grade confirmé après l'appel (0 à 4).",
                        "Choose the grade confirmed after the call (0 to 4).",
                    )
                    .to_owned(),
                _ => message,
            };
            let p = alert_page(&state, &page, &id, again(e)).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, html(&p)?).into_response())
        }
        Err(ActionError::Conflict { .. }) => {
            let e = page.tr.t("Cette alerte est déjà clôturée.", "This alert is already closed.");
            let p = alert_page(&state, &page, &id, again(e.to_owned())).await?;
            Ok((StatusCode::CONFLICT, html(&p)?).into_response())
        }
        Err(e) => Err(e.into()),
    }
}
