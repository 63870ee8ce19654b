//! Pathway decisions, co-medications, regimen changes, and the drug catalogue: the API's side
//! (the actions are in `app::episodes`).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Serialize;
use utoipa::ToSchema;

use super::error::ApiError;
use super::extract::{JsonBody, StaffAuth};
use super::views::{self, EpisodeView};
use crate::AppState;
use crate::app::episodes::{
    self as actions, ComedicationCreated, ComedicationRequest, DecisionRequest, RegimenChangeRequest, RegimenChanged,
};
use crate::domain::Parcours;
use crate::store::episodes;

/// Renew or advance at the end of the current sequence, or end the episode now.
#[utoipa::path(post, path = "/api/v1/episodes/{id}/decision", params(("id" = String, Path)), request_body = DecisionRequest,
    responses((status = 200, body = EpisodeView), (status = 401), (status = 403), (status = 404), (status = 409), (status = 422)))]
pub async fn decide(
    State(state): State<AppState>,
    auth: StaffAuth,
    Path(id): Path<String>,
    JsonBody(req): JsonBody<DecisionRequest>,
) -> Result<Json<EpisodeView>, ApiError> {
    actions::decide(&state, &auth, &id, &req).await?;
    let ep = episodes::get(&state.db, &id).await?.ok_or(ApiError::NotFound)?;
    Ok(Json(views::episode_view(&state, ep).await?))
}

/// Declares a co-medication (any professional of the patient's circle). A known name takes the
/// co-medication catalogue's tags on top of those given.
#[utoipa::path(post, path = "/api/v1/episodes/{id}/comedications", params(("id" = String, Path)), request_body = ComedicationRequest,
    responses((status = 201, body = ComedicationCreated), (status = 401), (status = 404), (status = 409), (status = 422)))]
pub async fn add_comedication(
    State(state): State<AppState>,
    auth: StaffAuth,
    Path(id): Path<String>,
    JsonBody(req): JsonBody<ComedicationRequest>,
) -> Result<(StatusCode, Json<ComedicationCreated>), ApiError> {
    Ok((StatusCode::CREATED, Json(actions::add_comedication(&state, &auth, &id, &req).await?)))
}

/// Changes the regimen. New doses or times of the same drugs version the lines; a change of
/// drug ends the episode and opens a new one at S1 with the same team.
#[utoipa::path(post, path = "/api/v1/episodes/{id}/regimen", params(("id" = String, Path)), request_body = RegimenChangeRequest,
    responses((status = 200, body = RegimenChanged), (status = 401), (status = 403), (status = 404), (status = 409), (status = 422)))]
pub async fn change_regimen(
    State(state): State<AppState>,
    auth: StaffAuth,
    Path(id): Path<String>,
    JsonBody(req): JsonBody<RegimenChangeRequest>,
) -> Result<Json<RegimenChanged>, ApiError> {
    Ok(Json(actions::change_regimen(&state, &auth, &id, &req).await?))
}

#[derive(Serialize, ToSchema)]
pub struct CatalogDrug {
    /// The catalogue key, sent as a regimen line's `drug`.
    pub name: String,
    /// The French display name (what staff and patients read).
    pub display_name: String,
    /// A partner drug (prednisone…): no parcours, S3 eligibility or tags of its own.
    pub partner: bool,
    pub class: String,
    pub parcours: Option<Parcours>,
    pub s3_eligible: Option<bool>,
    pub tags: Vec<String>,
    pub watch: Vec<String>,
    /// The usual regimen in words, for staff (may hold a formula; never sent to a patient).
    pub usual_note: String,
    /// The usual fixed dose, if any, as the patient reads it.
    pub usual_dose: Option<String>,
    pub usual_dose_per_m2_mg: Option<f64>,
    pub usual_dose_per_kg_mg: Option<f64>,
    pub usual_times: Vec<String>,
    pub usual_cycle: Option<views::CycleView>,
    pub strengths_mg: Vec<f64>,
}

/// The drug catalogue, for the enrolment form's drug picker.
#[utoipa::path(get, path = "/api/v1/catalog/drugs", responses((status = 200, body = Vec<CatalogDrug>), (status = 401)))]
pub async fn catalog(State(state): State<AppState>, _auth: StaffAuth) -> Json<Vec<CatalogDrug>> {
    Json(
        state
            .rules
            .catalog
            .iter()
            .map(|(name, d)| CatalogDrug {
                name: name.to_owned(),
                display_name: d.name.fr.clone(),
                partner: false,
                class: d.class.clone(),
                parcours: Some(d.parcours),
                s3_eligible: Some(d.s3_eligible),
                tags: d.tags.iter().cloned().collect(),
                watch: d.watch.iter().cloned().collect(),
                usual_note: d.regimen.note.clone(),
                usual_dose: d.regimen.dose.clone(),
                usual_dose_per_m2_mg: d.regimen.dose_per_m2_mg,
                usual_dose_per_kg_mg: d.regimen.dose_per_kg_mg,
                usual_times: d.regimen.times.clone(),
                usual_cycle: d.regimen.cycle.as_ref().and_then(|c| c.cycle().ok()).as_ref().map(views::CycleView::of),
                strengths_mg: d.strengths_mg.clone(),
            })
            .chain(state.rules.catalog.partners().map(|(name, p)| CatalogDrug {
                name: name.to_owned(),
                display_name: p.name.fr.clone(),
                partner: true,
                class: p.class.clone(),
                parcours: None,
                s3_eligible: None,
                tags: vec![],
                watch: vec![],
                usual_note: p.regimen.note.clone(),
                usual_dose: p.regimen.dose.clone(),
                usual_dose_per_m2_mg: p.regimen.dose_per_m2_mg,
                usual_dose_per_kg_mg: p.regimen.dose_per_kg_mg,
                usual_times: p.regimen.times.clone(),
                usual_cycle: p.regimen.cycle.as_ref().and_then(|c| c.cycle().ok()).as_ref().map(views::CycleView::of),
                strengths_mg: p.strengths_mg.clone(),
            }))
            .collect(),
    )
}
