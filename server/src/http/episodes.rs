//! Pathway decisions, co-medications, regimen changes, and the drug catalogue.

use std::collections::BTreeSet;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::error::ApiError;
use super::extract::{JsonBody, StaffAuth};
use super::patients::visible_patient;
use super::views::{self, EpisodeView};
use crate::AppState;
use crate::domain::catalog::KNOWN_TAGS;
use crate::domain::enrolment::{self, RegimenLineRequest, TeamRequest, s3_eligible};
use crate::domain::interactions::{Finding, Product, drug_products};
use crate::domain::pathway::{self, Decision, EndReason};
use crate::domain::routing::Topic;
use crate::domain::triage::Colour;
use crate::domain::{Parcours, Sequence};
use crate::notify::alerts::{AlertInput, raise};
use crate::store::{self, audit, entities::episode, episodes, patients};

async fn visible_episode(state: &AppState, auth: &StaffAuth, id: &str) -> Result<episode::Model, ApiError> {
    let ep = episodes::get(&state.db, id).await?.ok_or(ApiError::NotFound)?;
    visible_patient(state, auth, &ep.patient_id).await?;
    Ok(ep)
}

fn local_today(state: &AppState, tz: &str) -> NaiveDate {
    let tz: chrono_tz::Tz = tz.parse().unwrap_or(state.site_tz());
    state.now().with_timezone(&tz).date_naive()
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecisionRequest {
    /// renew | advance | end
    pub action: String,
    /// Required to end: treatment_stopped, treatment_changed, death, had, transfer, withdrew,
    /// lost_to_follow_up, inclusion_error.
    #[serde(default)]
    pub reason: Option<String>,
}

/// Renew or advance at the end of the current sequence, or end the episode now.
#[utoipa::path(post, path = "/api/v1/episodes/{id}/decision", params(("id" = String, Path)), request_body = DecisionRequest,
    responses((status = 200, body = EpisodeView), (status = 401), (status = 403), (status = 404), (status = 409), (status = 422)))]
pub async fn decide(
    State(state): State<AppState>,
    auth: StaffAuth,
    Path(id): Path<String>,
    JsonBody(req): JsonBody<DecisionRequest>,
) -> Result<Json<EpisodeView>, ApiError> {
    apply_decision(&state, &auth, &id, &req).await?;
    let ep = episodes::get(&state.db, &id).await?.ok_or(ApiError::NotFound)?;
    Ok(Json(views::episode_view(&state, ep).await?))
}

/// The decision itself, in one transaction; shared by the API and the patient page.
pub async fn apply_decision(
    state: &AppState,
    auth: &StaffAuth,
    id: &str,
    req: &DecisionRequest,
) -> Result<(), ApiError> {
    let ep = visible_episode(state, auth, id).await?;
    if !auth.staff.role.may_decide() {
        return Err(ApiError::Forbidden("pathway decisions are taken by the IDEC or the oncologist"));
    }
    if ep.end_date.is_some() {
        return Err(ApiError::Conflict { field: None, message: "this episode has ended".into() });
    }
    let patient = patients::get(&state.db, &ep.patient_id).await?.ok_or(ApiError::NotFound)?;
    let now = state.now();
    let txn = store::begin_write(&state.db).await?;
    if req.action == "end" {
        let reason = req.reason.as_deref().and_then(EndReason::parse).ok_or_else(|| {
            ApiError::field("reason", format!("one of {}", EndReason::ALL.map(EndReason::as_str).join(", ")))
        })?;
        episodes::end_episode(&txn, &ep, reason, local_today(state, &patient.time_zone), now).await?;
        audit::record(&txn, &auth.actor(), "end_episode", "episode", Some(&ep.id), Some(&ep.patient_id), now).await?;
    } else {
        let decision =
            Decision::parse(&req.action).ok_or_else(|| ApiError::field("action", "renew, advance or end"))?;
        let seq = episodes::active_sequence(&txn, &ep.id)
            .await?
            .ok_or(ApiError::Conflict { field: None, message: "no sequence in progress".into() })?;
        let kind = Sequence::parse(&seq.kind).unwrap_or(Sequence::S1);
        let drugs: Vec<String> = episodes::active_regimen(&txn, &ep.id).await?.into_iter().map(|l| l.drug).collect();
        let eligible = s3_eligible(&state.rules.catalog, drugs.iter().map(String::as_str));
        pathway::check_decision(kind, decision, eligible).map_err(|e| ApiError::field("action", e.to_string()))?;
        episodes::record_decision(&txn, &seq.id, decision, &auth.staff.id, now).await?;
        audit::record(&txn, &auth.actor(), decision.as_str(), "sequence", Some(&seq.id), Some(&ep.patient_id), now)
            .await?;
    }
    txn.commit().await?;
    Ok(())
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ComedicationRequest {
    pub name: String,
    #[serde(default)]
    pub tags: Vec<String>,
}

#[derive(Serialize, ToSchema)]
pub struct ComedicationCreated {
    pub id: String,
    /// Interactions found with the regimen and earlier co-medications; when there are any, an
    /// amber `interaction` alert goes to the pharmacist the rules name.
    pub interactions: Vec<Finding>,
    pub alert_id: Option<String>,
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
    let ep = visible_episode(&state, &auth, &id).await?;
    if ep.end_date.is_some() {
        return Err(ApiError::Conflict { field: None, message: "this episode has ended".into() });
    }
    let name = req.name.trim();
    if name.is_empty() || name.chars().count() > 200 {
        return Err(ApiError::field("name", "required, at most 200 characters"));
    }
    for (i, t) in req.tags.iter().enumerate() {
        if !KNOWN_TAGS.contains(&t.as_str()) {
            return Err(ApiError::field(
                format!("tags[{i}]"),
                format!("unknown tag `{t}`; known: {}", KNOWN_TAGS.join(", ")),
            ));
        }
    }
    let known = state.rules.comedications.product(name);
    let mut tags: BTreeSet<String> = req.tags.iter().cloned().collect();
    tags.extend(known.iter().flat_map(|p| p.tags.iter().cloned()));
    let new = Product { name: known.map(|p| p.name).unwrap_or_else(|| name.to_lowercase()), tags: tags.clone() };
    let tags: Vec<String> = tags.into_iter().collect();
    let now = state.now();
    let txn = store::begin_write(&state.db).await?;
    let drugs: Vec<String> = episodes::active_regimen(&txn, &ep.id).await?.into_iter().map(|l| l.drug).collect();
    let mut others = drug_products(&state.rules.catalog, &drugs)?;
    for c in episodes::comedications(&txn, &ep.id).await?.into_iter().filter(|c| c.stopped_at.is_none()) {
        let product = state.rules.comedications.product(&c.name);
        let mut t: BTreeSet<String> = serde_json::from_str(&c.tags).unwrap_or_default();
        t.extend(product.iter().flat_map(|p| p.tags.iter().cloned()));
        others.push(Product { name: product.map(|p| p.name).unwrap_or_else(|| c.name.to_lowercase()), tags: t });
    }
    let findings = state.rules.triage.interactions.check(&others, &new);
    let cid = episodes::add_comedication(&txn, &ep.id, name, &tags, "professional", &auth.staff.id, now).await?;
    let mut alert_id = None;
    if !findings.is_empty() {
        let patient = patients::get(&txn, &ep.patient_id).await?.ok_or(ApiError::NotFound)?;
        let seq = episodes::active_sequence(&txn, &ep.id).await?;
        let sequence = seq.and_then(|s| Sequence::parse(&s.kind)).unwrap_or(Sequence::S1);
        let reasons = findings.iter().map(|f| format!("{} + {}: {}", f.a, f.b, f.reason)).collect();
        let input = AlertInput {
            patient: &patient,
            episode: &ep,
            sequence,
            topic: Topic::Interaction,
            colour: Colour::Amber,
            provisional_grade: None,
            reasons,
            report_id: None,
            also: vec![],
        };
        alert_id = raise(&txn, &state, input, now).await?;
    }
    audit::record(&txn, &auth.actor(), "create", "comedication", Some(&cid), Some(&ep.patient_id), now).await?;
    txn.commit().await?;
    Ok((StatusCode::CREATED, Json(ComedicationCreated { id: cid, interactions: findings, alert_id })))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegimenChangeRequest {
    /// Local date the new regimen starts (default: today in the patient's time zone).
    #[serde(default)]
    #[schema(value_type = Option<String>, format = Date)]
    pub effective_date: Option<NaiveDate>,
    pub regimen: Vec<RegimenLineRequest>,
    /// Parcours of the new episode when the drugs change (default: the catalogue's).
    #[serde(default)]
    pub parcours: Option<Parcours>,
}

#[derive(Serialize, ToSchema)]
pub struct RegimenChanged {
    pub episode_id: String,
    /// True when the drugs changed: the old episode ended ("treatment_changed") and a new one
    /// opened at S1.
    pub new_episode: bool,
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
    let ep = visible_episode(&state, &auth, &id).await?;
    if !auth.staff.role.may_enrol() {
        return Err(ApiError::Forbidden("regimen changes are made by the hospital team"));
    }
    if ep.end_date.is_some() {
        return Err(ApiError::Conflict { field: None, message: "this episode has ended".into() });
    }
    let patient = patients::get(&state.db, &ep.patient_id).await?.ok_or(ApiError::NotFound)?;
    let today = local_today(&state, &patient.time_zone);
    let on = req.effective_date.unwrap_or(today);
    if on < ep.start_date || on < today - chrono::Days::new(7) {
        return Err(ApiError::field("effective_date", "not before the episode start nor more than 7 days ago"));
    }
    let lines = enrolment::check_regimen(&req.regimen, &state.rules.catalog, on, "regimen")?;
    let now = state.now();
    let txn = store::begin_write(&state.db).await?;
    let old = episodes::active_regimen(&txn, &ep.id).await?;
    let old_drugs: BTreeSet<&str> = old.iter().map(|l| l.drug.as_str()).collect();
    let new_drugs: BTreeSet<&str> = lines.iter().map(|l| l.drug.as_str()).collect();
    let out = if old_drugs == new_drugs {
        episodes::replace_regimen(&txn, &ep.id, &lines, on, &auth.staff.id, now).await?;
        audit::record(&txn, &auth.actor(), "change_regimen", "episode", Some(&ep.id), Some(&ep.patient_id), now)
            .await?;
        RegimenChanged { episode_id: ep.id.clone(), new_episode: false }
    } else {
        let team = patients::current_team(&txn, &ep.id)
            .await?
            .ok_or(ApiError::Conflict { field: None, message: "the episode has no team".into() })?;
        let team = TeamRequest {
            idec: team.idec_id,
            oncologist: team.oncologist_id,
            hospital_pharmacist: team.hospital_pharmacist_id,
            community_pharmacy: team.pharmacy_id,
            gp: team.gp_id,
        };
        let parcours = req.parcours.unwrap_or_else(|| state.rules.catalog.default_parcours(new_drugs.iter().copied()));
        if parcours == Parcours::A && team.community_pharmacy.is_none() {
            return Err(ApiError::field("parcours", "parcours A needs a community pharmacy on the team"));
        }
        episodes::end_episode(&txn, &ep, EndReason::TreatmentChanged, on, now).await?;
        let new_id = episodes::open_episode(
            &txn,
            &ep.patient_id,
            &ep.establishment_id,
            parcours,
            ep.indication.as_deref(),
            on,
            ep.baseline_weight_kg,
            Some(&ep.id),
            &team,
            &lines,
            &auth.staff.id,
            &state.rules.pathway,
            now,
        )
        .await?;
        audit::record(&txn, &auth.actor(), "treatment_changed", "episode", Some(&new_id), Some(&ep.patient_id), now)
            .await?;
        RegimenChanged { episode_id: new_id, new_episode: true }
    };
    txn.commit().await?;
    Ok(Json(out))
}

#[derive(Serialize, ToSchema)]
pub struct CatalogDrug {
    pub name: String,
    pub class: String,
    pub parcours: Parcours,
    pub s3_eligible: bool,
    pub tags: Vec<String>,
    pub watch: Vec<String>,
    pub usual_dose: String,
    pub usual_times: Vec<String>,
    pub usual_cycle: Option<views::CycleView>,
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
                class: d.class.clone(),
                parcours: d.parcours,
                s3_eligible: d.s3_eligible,
                tags: d.tags.iter().cloned().collect(),
                watch: d.watch.iter().cloned().collect(),
                usual_dose: d.regimen.dose.clone(),
                usual_times: d.regimen.times.clone(),
                usual_cycle: d
                    .regimen
                    .cycle
                    .map(|c| views::CycleView { on_days: c.on_days.into(), off_days: c.off_days.into() }),
            })
            .collect(),
    )
}
