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
use crate::domain::questionnaire::RenderedModule;
use crate::domain::triage::Locale;
use crate::store::{episodes, patients, reports};

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
    /// temperature and the red-flag questions).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub always: Vec<RenderedModule>,
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

async fn context(state: &AppState, patient_id: &str) -> Result<(Vec<String>, bool, Locale), ApiError> {
    let p = patients::get(&state.db, patient_id).await?.ok_or(ApiError::Unauthorized)?;
    let locale = Locale::parse(&p.locale).unwrap_or(Locale::Fr);
    let Some(ep) = patients::current_episode(&state.db, patient_id).await? else {
        return Err(ApiError::Conflict { field: None, message: "no follow-up in progress".into() });
    };
    let drugs = episodes::active_regimen(&state.db, &ep.id).await?.into_iter().map(|l| l.drug).collect();
    Ok((drugs, ep.baseline_weight_kg.is_some(), locale))
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
    let (drugs, has_weight, locale) = context(&state, &auth.patient_id).await?;
    let drugs: Vec<&str> = drugs.iter().map(String::as_str).collect();
    let bank = &state.rules.questionnaires;
    let modules = bank.render(&bank.questionnaire_for(&drugs, has_weight), locale);
    Ok(Json(QuestionnaireView { id: Some(q.id), locale: locale_str(locale), modules, always: vec![] }))
}

/// Everything a patient may report on their own ("I have a symptom now"): the modules to pick
/// from, and those asked whatever the pick.
#[utoipa::path(get, path = "/api/v1/patient/questionnaires/spontaneous", responses((status = 200, body = QuestionnaireView), (status = 401)))]
pub async fn spontaneous(
    State(state): State<AppState>,
    auth: PatientAuth,
) -> Result<Json<QuestionnaireView>, ApiError> {
    let (_, _, locale) = context(&state, &auth.patient_id).await?;
    let bank = &state.rules.questionnaires;
    let modules = bank.render(&bank.on_my_own_choices(), locale);
    let always = bank.render(&bank.on_my_own_for(&[]), locale);
    Ok(Json(QuestionnaireView { id: None, locale: locale_str(locale), modules, always }))
}

fn locale_str(l: Locale) -> String {
    match l {
        Locale::Fr => "fr".into(),
        Locale::En => "en".into(),
    }
}
