//! The patient page's pharmacists' records (docs/domain.md, "Pharmaceutical interview and
//! medication reconciliation", and the interview ledger of "Money: the forfaits"): the Onco'Link
//! interviews at dispensation, the medication reconciliation at inclusion, and — for the
//! community pharmacist — the avenant-21 interview ledger (TAC, AC1–AC4) with its codes due.
//! Each form calls the action the API calls (`app::pharmacy_records`, `app::interviews`).

use axum::Form;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};

use super::labels::{Tr, day_in};
use super::patient::{FormErrors, render_forms};
use super::{PageError, StaffPage};
use crate::AppState;
use crate::app::ActionError;
use crate::app::interviews::{self as ledger_actions, InterviewRequest};
use crate::app::patients::visible_patient;
use crate::app::pharmacy_records::{
    self as actions, MedicationRequest, PharmacyInterviewRequest, ReconciliationRequest,
};
use crate::domain::interviews::{InterviewKind, TreatmentClass};
use crate::domain::pharmacy_records::{Decision, TOPICS};
use crate::domain::triage::Locale;
use crate::store::entities::episode;
use crate::store::patients;

/// How many medication rows the reconciliation form offers (empty rows are ignored).
pub(super) const MEDICATION_ROWS: usize = 8;

pub(super) struct InterviewRow {
    pub(super) date: String,
    pub(super) topics: String,
    pub(super) minutes: i32,
    pub(super) note: String,
    pub(super) by: String,
}

pub(super) struct ReconciliationBlock {
    pub(super) date: String,
    pub(super) by: String,
    /// Name, dosage, decision in words, note.
    pub(super) medications: Vec<[String; 4]>,
    pub(super) discrepancies: Vec<String>,
}

/// The three records and, for whoever records them, their forms.
#[derive(Default)]
pub(super) struct PharmacySection {
    pub(super) today: String,
    pub(super) interviews: Vec<InterviewRow>,
    pub(super) may_interview: bool,
    /// (key, label) of the topics.
    pub(super) topics: Vec<(&'static str, &'static str)>,
    pub(super) interview_error: String,
    pub(super) reconciliations: Vec<ReconciliationBlock>,
    pub(super) may_reconcile: bool,
    pub(super) rows: Vec<usize>,
    pub(super) decisions: Vec<(&'static str, &'static str)>,
    pub(super) reconciliation_error: String,
    /// The caller's pharmacy's avenant-21 ledger (community pharmacist only).
    pub(super) ledger: bool,
    pub(super) adhesion: String,
    /// (date, kind in words).
    pub(super) ledger_interviews: Vec<(String, &'static str)>,
    /// (code, due on, amount with its currency).
    pub(super) codes: Vec<(String, String, String)>,
    pub(super) ledger_error: String,
}

pub(super) fn kind_label(k: InterviewKind, tr: Tr) -> &'static str {
    match k {
        InterviewKind::Initial => tr.t("Entretien initial", "Initial interview"),
        InterviewKind::DailyLifeAndSideEffects => {
            tr.t("Vie quotidienne et effets indésirables", "Daily life and side effects")
        }
        InterviewKind::Adherence => tr.t("Observance", "Adherence"),
    }
}

/// A topic of the Onco'Link interview (`domain::pharmacy_records::TOPICS`) in the reader's
/// language; the key itself for a key the tables lack.
pub(super) fn topic_label(key: &str, tr: Tr) -> &str {
    crate::domain::pharmacy_records::topic_label_in(key, tr.0).unwrap_or(key)
}

/// A reconciliation decision in the reader's language.
pub(super) fn decision_label(d: Decision, tr: Tr) -> &'static str {
    tr.t(d.label_fr(), d.label_en())
}

/// An amount of the ledger ("60,00" from the action) with its currency: "60,00 €", "€60.00".
fn amount(euros_fr: &str, locale: Locale) -> String {
    match locale {
        Locale::Fr => format!("{euros_fr} €"),
        Locale::En => format!("€{}", euros_fr.replace(',', ".")),
    }
}

pub(super) async fn pharmacy_section(
    state: &AppState,
    page: &StaffPage,
    ep: &episode::Model,
    today: chrono::NaiveDate,
    errors: &FormErrors<'_>,
) -> Result<PharmacySection, PageError> {
    let (tr, locale) = (page.tr, page.tr.0);
    let day = |d: chrono::NaiveDate| day_in(d, locale);
    let mut s = PharmacySection {
        today: today.to_string(),
        interview_error: errors.interview.to_owned(),
        reconciliation_error: errors.reconciliation.to_owned(),
        ledger_error: errors.ledger.to_owned(),
        ..PharmacySection::default()
    };
    for i in actions::interviews_for_page(state, ep).await?.interviews {
        s.interviews.push(InterviewRow {
            date: day(i.done_on),
            topics: i.topics.iter().map(|t| topic_label(&t.key, tr)).collect::<Vec<_>>().join(tr.t(" ; ", "; ")),
            minutes: i.minutes,
            note: i.note.unwrap_or_default(),
            by: i.recorded_by_name,
        });
    }
    for r in actions::reconciliations_for_page(state, ep).await?.reconciliations {
        s.reconciliations.push(ReconciliationBlock {
            date: day(r.reconciled_on),
            by: r.recorded_by_name,
            medications: r
                .medications
                .into_iter()
                .map(|m| {
                    [m.name, m.dosage, decision_label(m.decision, tr).to_owned(), m.decision_note.unwrap_or_default()]
                })
                .collect(),
            discrepancies: r.discrepancies,
        });
    }
    if actions::may_record_interview(&page.auth, ep) {
        s.may_interview = true;
        s.topics = TOPICS.iter().map(|&(key, _)| (key, topic_label(key, tr))).collect();
    }
    if actions::may_record_reconciliation(&page.auth, ep) {
        s.may_reconcile = true;
        s.rows = (0..MEDICATION_ROWS).collect();
        s.decisions = Decision::ALL.iter().map(|d| (d.as_str(), decision_label(*d, tr))).collect();
    }
    if ledger_actions::may_record(&page.auth, ep) {
        s.ledger = true;
        let l = ledger_actions::for_page(state, &page.auth, ep).await?;
        s.adhesion = l.adhesion_date.map(day).unwrap_or_default();
        s.ledger_interviews = l.interviews.into_iter().map(|(d, k)| (day(d), kind_label(k, tr))).collect();
        s.codes = l.codes.into_iter().map(|(c, d, a)| (c, day(d), amount(&a, locale))).collect();
    }
    Ok(s)
}

/// The value of the first field `key` of a form, trimmed.
fn one<'a>(form: &'a [(String, String)], key: &str) -> &'a str {
    form.iter().find(|(k, _)| k == key).map(|(_, v)| v.trim()).unwrap_or("")
}

async fn current_episode(state: &AppState, page: &StaffPage, id: &str) -> Result<episode::Model, PageError> {
    visible_patient(state, &page.auth, id).await?;
    let ended = page.tr.t("ce suivi est terminé", "this follow-up has ended");
    Ok(patients::current_episode(&state.db, id).await?.ok_or(ActionError::conflict(ended))?)
}

fn interview_field_label(field: &str, tr: Tr) -> &'static str {
    match field {
        "done_on" => tr.t("date de l'entretien", "interview date"),
        "minutes" => tr.t("durée en minutes", "length in minutes"),
        "note" => tr.t("note", "note"),
        f if f.starts_with("topics") => tr.t("thèmes abordés", "topics covered"),
        _ => tr.t("saisie", "entry"),
    }
}

/// "{what} refusé(e) ({label}) : {message}" in French, "{what} refused ({label}): {message}" in
/// English.
fn refused(tr: Tr, fr: &str, en: &str, label: &str, message: &str) -> String {
    match tr.0 {
        Locale::Fr => format!("{fr} ({label}) : {message}"),
        Locale::En => format!("{en} ({label}): {message}"),
    }
}

/// Records an Onco'Link interview (checkboxes `topics`, repeated) through the action the API
/// calls; back to the page with a notice, or the page again with the refusal naming the field.
pub async fn record_interview(
    State(state): State<AppState>,
    page: StaffPage,
    Path(id): Path<String>,
    Form(form): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let ep = current_episode(&state, &page, &id).await?;
    let tr = page.tr;
    let refuse = |field: &str, message: &str| {
        refused(tr, "Entretien refusé", "Interview refused", interview_field_label(field, tr), message)
    };
    let minutes = match one(&form, "minutes").parse::<i64>() {
        Ok(m) => m,
        Err(_) => {
            let text = refuse("minutes", tr.t("un nombre entier de minutes.", "a whole number of minutes."));
            return render_forms(&state, &page, &id, "", FormErrors { interview: &text, ..FormErrors::default() })
                .await;
        }
    };
    let req = PharmacyInterviewRequest {
        done_on: one(&form, "done_on").to_owned(),
        topics: form.iter().filter(|(k, _)| k == "topics").map(|(_, v)| v.clone()).collect(),
        minutes,
        note: Some(one(&form, "note").to_owned()).filter(|n| !n.is_empty()),
    };
    match actions::record_interview(&state, &page.auth, &ep.id, &req).await {
        Ok(_) => Ok(Redirect::to(&format!("/staff/patients/{id}?done=pharmacy_interview")).into_response()),
        Err(ActionError::Invalid { field, message }) => {
            let text = refuse(&field, &message);
            render_forms(&state, &page, &id, "", FormErrors { interview: &text, ..FormErrors::default() }).await
        }
        Err(e) => Err(e.into()),
    }
}

fn reconciliation_field_label(field: &str, tr: Tr) -> String {
    if let Some(rest) = field.strip_prefix("medications[") {
        let (n, what) = rest.split_once(']').unwrap_or((rest, ""));
        let line = n.parse::<usize>().map(|i| i + 1).unwrap_or(0);
        let what = match what {
            ".name" => tr.t("nom", "name"),
            ".dosage" => tr.t("dose et rythme", "dose and frequency"),
            ".decision" => tr.t("décision", "decision"),
            ".decision_note" => tr.t("précision de la décision", "detail of the decision"),
            _ => tr.t("ligne", "line"),
        };
        return format!("{} {line}, {what}", tr.t("médicament", "medication"));
    }
    match field {
        "reconciled_on" => tr.t("date de la conciliation", "reconciliation date"),
        "medications" => tr.t("médicaments", "medications"),
        f if f.starts_with("discrepancies") => tr.t("divergences", "discrepancies"),
        _ => tr.t("saisie", "entry"),
    }
    .to_owned()
}

/// Records a reconciliation from the form's medication rows (`med_name_N`, `med_dosage_N`,
/// `med_decision_N`, `med_note_N`; a row without name, dosage or note is left out) and its
/// discrepancies (one per line).
pub async fn record_reconciliation(
    State(state): State<AppState>,
    page: StaffPage,
    Path(id): Path<String>,
    Form(form): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let ep = current_episode(&state, &page, &id).await?;
    let mut medications = Vec::new();
    for n in 0..MEDICATION_ROWS {
        let (name, dosage, note) = (
            one(&form, &format!("med_name_{n}")),
            one(&form, &format!("med_dosage_{n}")),
            one(&form, &format!("med_note_{n}")),
        );
        if name.is_empty() && dosage.is_empty() && note.is_empty() {
            continue;
        }
        medications.push(MedicationRequest {
            name: name.to_owned(),
            dosage: dosage.to_owned(),
            decision: one(&form, &format!("med_decision_{n}")).to_owned(),
            decision_note: Some(note.to_owned()).filter(|n| !n.is_empty()),
        });
    }
    let req = ReconciliationRequest {
        reconciled_on: one(&form, "reconciled_on").to_owned(),
        medications,
        discrepancies: one(&form, "discrepancies").lines().map(str::to_owned).collect(),
    };
    match actions::record_reconciliation(&state, &page.auth, &ep.id, &req).await {
        Ok(_) => Ok(Redirect::to(&format!("/staff/patients/{id}?done=reconciliation")).into_response()),
        Err(ActionError::Invalid { field, message }) => {
            let label = reconciliation_field_label(&field, page.tr);
            let text = refused(page.tr, "Conciliation refusée", "Reconciliation refused", &label, &message);
            render_forms(&state, &page, &id, "", FormErrors { reconciliation: &text, ..FormErrors::default() }).await
        }
        Err(e) => Err(e.into()),
    }
}

/// Records an avenant-21 interview of the caller's pharmacy through `app::interviews::record`
/// (the action of `POST /api/v1/interviews`).
pub async fn record_ledger_interview(
    State(state): State<AppState>,
    page: StaffPage,
    Path(id): Path<String>,
    Form(form): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let ep = current_episode(&state, &page, &id).await?;
    let tr = page.tr;
    let refuse =
        |label: &str, message: &str| refused(tr, "Entretien AC refusé", "AC interview refused", label, message);
    let kind = match one(&form, "kind") {
        "initial" => Some(InterviewKind::Initial),
        "daily_life_and_side_effects" => Some(InterviewKind::DailyLifeAndSideEffects),
        "adherence" => Some(InterviewKind::Adherence),
        _ => None,
    };
    let on = match one(&form, "on") {
        "" => Ok(None),
        raw => chrono::NaiveDate::parse_from_str(raw, "%Y-%m-%d").map(Some),
    };
    let treatment = match one(&form, "treatment") {
        "long_course" => Some(TreatmentClass::LongCourse),
        "other" => Some(TreatmentClass::Other),
        _ => None,
    };
    let (kind, on) = match (kind, on) {
        (Some(k), Ok(on)) => (k, on),
        (None, _) => {
            let text = refuse(
                tr.t("type d'entretien", "interview type"),
                tr.t("choisissez le type d'entretien.", "choose the type of interview."),
            );
            return render_forms(&state, &page, &id, "", FormErrors { ledger: &text, ..FormErrors::default() }).await;
        }
        (_, Err(_)) => {
            let text = refuse("date", tr.t("une date JJ/MM/AAAA.", "a date DD/MM/YYYY."));
            return render_forms(&state, &page, &id, "", FormErrors { ledger: &text, ..FormErrors::default() }).await;
        }
    };
    let req = InterviewRequest { episode_id: ep.id.clone(), kind, on, treatment };
    match ledger_actions::record(&state, &page.auth, &req).await {
        Ok(_) => Ok(Redirect::to(&format!("/staff/patients/{id}?done=ac_interview")).into_response()),
        Err(ActionError::Invalid { field, message }) => {
            let label = match field.as_str() {
                "on" => "date",
                "treatment" => tr.t("type de traitement", "treatment type"),
                _ => tr.t("saisie", "entry"),
            };
            let text = refuse(label, &message);
            render_forms(&state, &page, &id, "", FormErrors { ledger: &text, ..FormErrors::default() }).await
        }
        Err(e) => Err(e.into()),
    }
}
