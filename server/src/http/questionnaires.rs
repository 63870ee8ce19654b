//! The patient's questionnaires: the pending ones, one with its items in the patient's language
//! and branching, and the list offered for "I have a symptom now".

use axum::Json;
use axum::extract::{Path, State};
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use super::error::ApiError;
use super::extract::PatientAuth;
use crate::AppState;
use crate::domain::questionnaire::{Module, RenderedModule};
use crate::domain::triage::{AdviceContext, Locale, OfflineRedRule, offline_red_rules};
use crate::store::{directory, episodes, patients, reports};

#[derive(Serialize, ToSchema)]
pub struct PendingQuestionnaire {
    pub id: String,
    #[schema(value_type = String, format = Date)]
    pub local_date: NaiveDate,
    pub due_at: DateTime<Utc>,
}

#[derive(Serialize, ToSchema)]
pub struct QuestionnaireView {
    /// `null` for a report made on the patient's own initiative.
    pub id: Option<String>,
    pub locale: String,
    /// Symptom modules in asking order; a later attribute carries `show_if` on the first.
    pub modules: Vec<RenderedModule>,
    /// "I have a symptom now" only: asked whatever the patient picks among `modules` (the
    /// red-flag questions, asked first, and the temperature).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub always: Vec<RenderedModule>,
    /// The answers that make the report red whatever else is answered (docs/triage.md §1
    /// "Order", r3): the phone shows the call screen at once on one of them, online or offline,
    /// and sends the report with the answers given so far.
    pub red_rules: Vec<OfflineRedRule>,
    /// The oncology team's 24 h number, for the call screen.
    pub team_phone: String,
}

/// Questionnaires due and not answered yet, oldest first.
#[utoipa::path(get, path = "/api/v1/patient/questionnaires/pending", responses((status = 200, body = Vec<PendingQuestionnaire>), (status = 401)))]
pub async fn pending(
    State(state): State<AppState>,
    auth: PatientAuth,
) -> Result<Json<Vec<PendingQuestionnaire>>, ApiError> {
    let rows = reports::pending_questionnaires(&state.db, &auth.patient_id, state.now()).await?;
    Ok(Json(
        rows.into_iter()
            .map(|q| PendingQuestionnaire { id: q.id, local_date: q.local_date, due_at: q.due_at })
            .collect(),
    ))
}

struct Context {
    drugs: Vec<String>,
    has_weight: bool,
    locale: Locale,
    phone: String,
}

async fn context(state: &AppState, patient_id: &str) -> Result<Context, ApiError> {
    let p = patients::get(&state.db, patient_id).await?.ok_or(ApiError::Unauthorized)?;
    let locale = p.locale()?;
    let Some(ep) = patients::current_episode(&state.db, patient_id).await? else {
        return Err(ApiError::Conflict { field: None, message: "no follow-up in progress".into() });
    };
    // Partner drugs have no questionnaire modules nor red flags: only the anticancer drugs count.
    let drugs = state.rules.catalog.anticancer(
        &episodes::active_regimen(&state.db, &ep.id).await?.into_iter().map(|l| l.drug).collect::<Vec<_>>(),
    );
    let phone =
        directory::establishment(&state.db, &ep.establishment_id).await?.map(|e| e.phone_24h).unwrap_or_default();
    Ok(Context { drugs, has_weight: ep.baseline_weight_kg.is_some(), locale, phone })
}

/// The phone's copy of the red-flag rules for this patient (domain `offline_red_rules`).
fn red_rules(state: &AppState, c: &Context) -> Vec<OfflineRedRule> {
    let ctx = AdviceContext { locale: c.locale, team_phone: Some(c.phone.clone()) };
    offline_red_rules(&state.rules.triage, &state.rules.catalog, &c.drugs, &ctx)
}

/// One questionnaire of this patient with its items (404 for anyone else's).
#[utoipa::path(get, path = "/api/v1/patient/questionnaires/{id}", params(("id" = String, Path)),
    responses((status = 200, body = QuestionnaireView), (status = 401), (status = 404)))]
pub async fn one(
    State(state): State<AppState>,
    auth: PatientAuth,
    Path(id): Path<String>,
) -> Result<Json<QuestionnaireView>, ApiError> {
    let q = reports::questionnaire_of(&state.db, &auth.patient_id, &id).await?.ok_or(ApiError::NotFound)?;
    let c = context(&state, &auth.patient_id).await?;
    let drugs: Vec<&str> = c.drugs.iter().map(String::as_str).collect();
    let bank = &state.rules.questionnaires;
    let modules = bank.render(&bank.questionnaire_for(&drugs, c.has_weight), c.locale);
    Ok(Json(QuestionnaireView {
        id: Some(q.id),
        locale: locale_str(c.locale),
        modules,
        always: vec![],
        red_rules: red_rules(&state, &c),
        team_phone: c.phone,
    }))
}

/// Everything a patient may report on their own ("I have a symptom now"): the modules to pick
/// from, each with the items its pick asks (diarrhoea with its stool count, right after it), and
/// those asked whatever the pick, in asking order (red flags first).
#[utoipa::path(get, path = "/api/v1/patient/questionnaires/spontaneous", responses((status = 200, body = QuestionnaireView), (status = 401)))]
pub async fn spontaneous(
    State(state): State<AppState>,
    auth: PatientAuth,
) -> Result<Json<QuestionnaireView>, ApiError> {
    let c = context(&state, &auth.patient_id).await?;
    let bank = &state.rules.questionnaires;
    let always_set = bank.on_my_own_always();
    let modules = bank
        .on_my_own_choices()
        .into_iter()
        .filter_map(|choice| {
            // The pick and what it brings (the measure that follows it), as one module.
            let brought = bank.asking_order(&bank.brought_by(choice));
            let brought: Vec<Module> =
                brought.into_iter().filter(|m| *m == choice || !always_set.contains(m)).collect();
            let mut rendered = bank.render(&brought, c.locale).into_iter();
            let mut first = rendered.next()?;
            let first_is_choice = first.key == choice.key();
            first.items.extend(rendered.flat_map(|m| m.items));
            first_is_choice.then_some(first)
        })
        .collect();
    let always = bank.render(&bank.on_my_own_for(&[]), c.locale);
    Ok(Json(QuestionnaireView {
        id: None,
        locale: locale_str(c.locale),
        modules,
        always,
        red_rules: red_rules(&state, &c),
        team_phone: c.phone,
    }))
}

fn locale_str(l: Locale) -> String {
    match l {
        Locale::Fr => "fr".into(),
        Locale::En => "en".into(),
    }
}
