//! The triage worklist and the alert page. Lists, reads and actions go through the staff API's
//! handlers (same scoping, transactions and audit lines); this file only presents them.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Form, Json};
use serde::Deserialize;

use super::labels;
use super::report::{self, AnswerGroup, FlagLine, SymptomLine};
use super::{Layout, PageError, StaffPage, html};
use crate::AppState;
use crate::http::alerts::{self as api, AlertQuery, AlertView, ResolveRequest};
use crate::http::error::ApiError;
use crate::http::extract::JsonBody;
use crate::store::{alerts, directory};

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

fn row(a: &AlertView, status: &str) -> Row {
    Row {
        id: a.id.clone(),
        colour: a.colour.clone(),
        colour_label: labels::colour(&a.colour),
        topic: labels::topic(&a.topic),
        patient_id: a.patient.id.clone(),
        patient_name: format!("{} {}", a.patient.family_name.to_uppercase(), a.patient.given_name),
        age: labels::duration(a.age_minutes),
        left: labels::time_left(a.minutes_left),
        overdue: status == "open" && a.minutes_left < 0,
        confirmed_grade: a.confirmed_grade,
    }
}

#[derive(Template)]
#[template(path = "staff/alerts.html")]
struct WorklistPage {
    layout: Layout,
    title: String,
    status: &'static str,
    rows: Vec<Row>,
    refresh_seconds: u32,
}

#[derive(Template)]
#[template(path = "staff/alerts_live.html")]
struct WorklistFragment {
    title: String,
    status: &'static str,
    rows: Vec<Row>,
}

/// The rows of a tab, and the page title with the number of open red alerts.
async fn worklist(state: &AppState, page: &StaffPage, status: &'static str) -> Result<(String, Vec<Row>), PageError> {
    // The count only: no patient data, so no audit line (the list below writes its own).
    let reds =
        alerts::visible_to(&state.db, &page.auth.staff, "open").await?.iter().filter(|a| a.colour == "red").count();
    let Json(views) =
        api::list(State(state.clone()), page.api_auth(), Query(AlertQuery { status: Some(status.to_owned()) })).await?;
    let title = if reds > 0 { format!("({reds}) Alertes — Relais") } else { "Alertes — Relais".to_owned() };
    Ok((title, views.iter().map(|a| row(a, status)).collect()))
}

pub async fn list(
    State(state): State<AppState>,
    page: StaffPage,
    Query(q): Query<StatusQuery>,
) -> Result<Response, PageError> {
    let status = status_of(&q);
    let (title, rows) = worklist(&state, &page, status).await?;
    html(&WorklistPage { layout: page.layout("alerts"), title, status, rows, refresh_seconds: REFRESH_SECONDS })
}

/// The worklist's table alone, polled by `staff.js`.
pub async fn live(
    State(state): State<AppState>,
    page: StaffPage,
    Query(q): Query<StatusQuery>,
) -> Result<Response, PageError> {
    let status = status_of(&q);
    let (title, rows) = worklist(&state, &page, status).await?;
    html(&WorklistFragment { title, status, rows })
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
    reasons: Vec<String>,
    note: Option<String>,
    resolution_note: Option<String>,
    patient_id: String,
    patient_name: String,
    phone: Option<(String, String)>,
    team: Vec<report::TeamLine>,
    answers: Vec<AnswerGroup>,
    symptoms: Vec<SymptomLine>,
    red_flags: Vec<FlagLine>,
    events: Vec<(String, String)>,
    error: Option<String>,
    /// The grades 0–4 of the resolve form, with the one sent back checked.
    grade_choices: Vec<(u8, bool)>,
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
    let Json(d) = api::detail(State(state.clone()), page.api_auth(), Path(id.to_owned())).await?;
    let tz = state.site_tz();
    let a = d.alert;
    let bank = &state.rules.questionnaires;
    let team = report::team(state, &a.episode_id).await?;
    let mut events = Vec::new();
    for e in &d.events {
        events.push(report::event_line(state, e, tz).await?);
    }
    let overdue = a.status == "open" && a.minutes_left < 0;
    Ok(AlertPage {
        layout: page.layout("alerts"),
        colour_label: labels::colour(&a.colour),
        topic: labels::topic(&a.topic),
        status_label: labels::status(&a.status),
        opened_at: labels::at(a.opened_at, tz),
        deadline_at: labels::at(a.deadline_at, tz),
        left: labels::time_left(a.minutes_left),
        overdue,
        patient_name: format!("{} {}", a.patient.family_name.to_uppercase(), a.patient.given_name),
        phone: a.patient.phone.as_ref().map(|p| (labels::tel_href(p), p.clone())),
        team,
        answers: report::answers(bank, &d.answers),
        symptoms: report::symptoms(bank, &d.triage),
        red_flags: report::red_flags(&d.triage),
        events,
        error: attempt.error,
        grade_choices: (0..=4).map(|g| (g, attempt.grade == Some(g))).collect(),
        form_note: attempt.note,
        id: a.id,
        colour: a.colour,
        status: a.status,
        escalation_level: a.escalation_level,
        provisional_grade: a.provisional_grade,
        confirmed_grade: a.confirmed_grade,
        reasons: a.reasons,
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
    match api::acknowledge(State(state.clone()), page.api_auth(), Path(id.clone())).await {
        Ok(_) => Ok(Redirect::to(&format!("/staff/alerts/{id}")).into_response()),
        Err(ApiError::Conflict { .. }) => {
            let error = Some("Cette alerte n'est plus ouverte : quelqu'un l'a déjà prise en charge.".to_owned());
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
    let error = match (grade, note.is_empty()) {
        (None, _) => Some("Choisissez le grade confirmé après l'appel (0 à 4).".to_owned()),
        (_, true) => Some("Notez ce qui a été fait (appel, conseil, orientation…).".to_owned()),
        _ => None,
    };
    let again = |error: String| Attempt { error: Some(error), grade, note: note.clone() };
    if let Some(e) = error {
        let p = alert_page(&state, &page, &id, again(e)).await?;
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, html(&p)?).into_response());
    }
    let req = ResolveRequest { confirmed_grade: grade.map(i64::from), note: Some(note.clone()) };
    match api::resolve(State(state.clone()), page.api_auth(), Path(id.clone()), JsonBody(req)).await {
        Ok(_) => Ok(Redirect::to(&format!("/staff/alerts/{id}")).into_response()),
        Err(ApiError::Unprocessable { field, message }) => {
            let e = if field == "note" { "La note est limitée à 2000 caractères.".to_owned() } else { message };
            let p = alert_page(&state, &page, &id, again(e)).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, html(&p)?).into_response())
        }
        Err(ApiError::Conflict { .. }) => {
            let p = alert_page(&state, &page, &id, again("Cette alerte est déjà clôturée.".to_owned())).await?;
            Ok((StatusCode::CONFLICT, html(&p)?).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

/// The name of a professional for the history ("Claire Dupont"), or a neutral word.
pub async fn professional_name(state: &AppState, id: Option<&str>) -> Result<String, PageError> {
    Ok(match id {
        Some(id) => directory::professional(&state.db, id)
            .await?
            .map(|p| format!("{} {}", p.given_name, p.family_name))
            .unwrap_or_else(|| "un professionnel".to_owned()),
        None => "le système".to_owned(),
    })
}
