//! Pathway decisions, co-medications and regimen changes: the actions on an episode.

use std::collections::BTreeSet;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::patients::visible_patient;
use super::{ActionError, StaffAuth};
use crate::AppState;
use crate::alerting::{AlertInput, raise};
use crate::domain::catalog::KNOWN_TAGS;
use crate::domain::enrolment::{self, RegimenLineRequest, TeamRequest, s3_eligible};
use crate::domain::interactions::{Finding, Product, drug_products};
use crate::domain::pathway::{self, Decision, EndReason};
use crate::domain::reason::Reason;
use crate::domain::routing::Topic;
use crate::domain::triage::Colour;
use crate::domain::{Parcours, Sequence};
use crate::store::{self, audit, entities::episode, entities::patient, episodes, patients};

pub async fn visible_episode(state: &AppState, auth: &StaffAuth, id: &str) -> Result<episode::Model, ActionError> {
    let ep = episodes::get(&state.db, id).await?.ok_or(ActionError::NotFound)?;
    visible_patient(state, auth, &ep.patient_id).await?;
    Ok(ep)
}

/// Today in the patient's time zone.
fn local_today(state: &AppState, patient: &patient::Model) -> Result<NaiveDate, ActionError> {
    Ok(state.now().with_timezone(&patient.time_zone()?).date_naive())
}

/// The values `DecisionRequest::action` takes (the action checks them).
#[derive(serde::Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
#[allow(dead_code)]
pub enum DecisionAction {
    Renew,
    Advance,
    End,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecisionRequest {
    #[schema(value_type = DecisionAction)]
    pub action: String,
    /// Required to end: treatment_stopped, treatment_changed, death, had, transfer, withdrew,
    /// lost_to_follow_up, inclusion_error.
    #[serde(default)]
    pub reason: Option<String>,
}

/// Renews or advances at the end of the current sequence, or ends the episode now, in one
/// transaction (API and patient page).
pub async fn decide(state: &AppState, auth: &StaffAuth, id: &str, req: &DecisionRequest) -> Result<(), ActionError> {
    let ep = visible_episode(state, auth, id).await?;
    if !auth.staff.role.may_decide() {
        return Err(ActionError::Forbidden("pathway decisions are taken by the IDEC or the oncologist"));
    }
    if ep.end_date.is_some() {
        return Err(ActionError::Conflict { field: None, message: "this episode has ended".into() });
    }
    let patient = patients::get(&state.db, &ep.patient_id).await?.ok_or(ActionError::NotFound)?;
    let now = state.now();
    let txn = store::begin_write(&state.db).await?;
    if req.action == "end" {
        let reason = req.reason.as_deref().and_then(EndReason::parse).ok_or_else(|| {
            ActionError::field("reason", format!("one of {}", EndReason::ALL.map(EndReason::as_str).join(", ")))
        })?;
        episodes::end_episode(&txn, &ep, reason, local_today(state, &patient)?, now).await?;
        audit::record(
            &txn,
            audit::Entry {
                actor: &auth.actor(),
                action: "end_episode",
                entity: "episode",
                entity_id: Some(&ep.id),
                patient_id: Some(&ep.patient_id),
                at: now,
            },
        )
        .await?;
    } else {
        let decision =
            Decision::parse(&req.action).ok_or_else(|| ActionError::field("action", "renew, advance or end"))?;
        let seq = episodes::active_sequence(&txn, &ep.id)
            .await?
            .ok_or(ActionError::Conflict { field: None, message: "no sequence in progress".into() })?;
        let kind = seq.kind()?;
        // Partner drugs (prednisone…) play no part in S3, triage or interactions (docs/domain.md).
        let drugs: Vec<String> = state
            .rules
            .catalog
            .anticancer(&episodes::active_regimen(&txn, &ep.id).await?.into_iter().map(|l| l.drug).collect::<Vec<_>>());
        let eligible = s3_eligible(&state.rules.catalog, drugs.iter().map(String::as_str));
        pathway::check_decision(kind, decision, eligible).map_err(|e| ActionError::field("action", e.to_string()))?;
        episodes::record_decision(&txn, &seq.id, decision, &auth.staff.id, now).await?;
        audit::record(
            &txn,
            audit::Entry {
                actor: &auth.actor(),
                action: decision.as_str(),
                entity: "sequence",
                entity_id: Some(&seq.id),
                patient_id: Some(&ep.patient_id),
                at: now,
            },
        )
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

/// Declares a co-medication (any professional of the patient's circle), in one transaction. A known name takes the
/// co-medication catalogue's tags on top of those given.
pub async fn add_comedication(
    state: &AppState,
    auth: &StaffAuth,
    id: &str,
    req: &ComedicationRequest,
) -> Result<ComedicationCreated, ActionError> {
    let ep = visible_episode(state, auth, id).await?;
    if ep.end_date.is_some() {
        return Err(ActionError::Conflict { field: None, message: "this episode has ended".into() });
    }
    let name = req.name.trim();
    if name.is_empty() || name.chars().count() > 200 {
        return Err(ActionError::field("name", "required, at most 200 characters"));
    }
    for (i, t) in req.tags.iter().enumerate() {
        if !KNOWN_TAGS.contains(&t.as_str()) {
            return Err(ActionError::field(
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
    // Partner drugs (prednisone…) play no part in S3, triage or interactions (docs/domain.md).
    let drugs: Vec<String> = state
        .rules
        .catalog
        .anticancer(&episodes::active_regimen(&txn, &ep.id).await?.into_iter().map(|l| l.drug).collect::<Vec<_>>());
    let mut others = drug_products(&state.rules.catalog, &drugs)?;
    for c in episodes::comedications(&txn, &ep.id).await?.into_iter().filter(|c| c.stopped_at.is_none()) {
        let product = state.rules.comedications.product(&c.name);
        let mut t = c.tags()?;
        t.extend(product.iter().flat_map(|p| p.tags.iter().cloned()));
        others.push(Product { name: product.map(|p| p.name).unwrap_or_else(|| c.name.to_lowercase()), tags: t });
    }
    let findings = state.rules.triage.interactions.check(&others, &new);
    let cid = episodes::add_comedication(&txn, &ep.id, name, &tags, "professional", &auth.staff.id, now).await?;
    let mut alert_id = None;
    if !findings.is_empty() {
        let patient = patients::get(&txn, &ep.patient_id).await?.ok_or(ActionError::NotFound)?;
        let sequence = match episodes::active_sequence(&txn, &ep.id).await? {
            Some(s) => s.kind()?,
            // Between two sequences an alert is still raised, routed as at the start.
            None => Sequence::S1,
        };
        let reasons = findings
            .iter()
            .map(|f| Reason::Interaction { a: f.a.clone(), b: f.b.clone(), rule: f.rule.clone() })
            .collect();
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
            establishment: None,
        };
        alert_id = raise(&txn, state, input, now).await?;
    }
    audit::record(
        &txn,
        audit::Entry {
            actor: &auth.actor(),
            action: "create",
            entity: "comedication",
            entity_id: Some(&cid),
            patient_id: Some(&ep.patient_id),
            at: now,
        },
    )
    .await?;
    txn.commit().await?;
    Ok(ComedicationCreated { id: cid, interactions: findings, alert_id })
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
    /// For a dose per m²: the patient's height (default: the height of the episode's last
    /// computed dose).
    #[serde(default)]
    pub height_cm: Option<f64>,
    /// For a dose per m² or per kg: the weight (default: the episode's baseline weight).
    #[serde(default)]
    pub weight_kg: Option<f64>,
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
pub async fn change_regimen(
    state: &AppState,
    auth: &StaffAuth,
    id: &str,
    req: &RegimenChangeRequest,
) -> Result<RegimenChanged, ActionError> {
    let ep = visible_episode(state, auth, id).await?;
    if !auth.staff.role.may_enrol() {
        return Err(ActionError::Forbidden("regimen changes are made by the hospital team"));
    }
    if ep.end_date.is_some() {
        return Err(ActionError::Conflict { field: None, message: "this episode has ended".into() });
    }
    let patient = patients::get(&state.db, &ep.patient_id).await?.ok_or(ActionError::NotFound)?;
    let today = local_today(state, &patient)?;
    let on = req.effective_date.unwrap_or(today);
    if on < ep.start_date || on < today - chrono::Days::new(7) {
        return Err(ActionError::field("effective_date", "not before the episode start nor more than 7 days ago"));
    }
    if let Some(h) = req.height_cm
        && !(100.0..=250.0).contains(&h)
    {
        return Err(ActionError::field("height_cm", "a height in cm between 100 and 250"));
    }
    if let Some(w) = req.weight_kg
        && !(20.0..=300.0).contains(&w)
    {
        return Err(ActionError::field("weight_kg", "a weight in kg between 20 and 300"));
    }
    let now = state.now();
    let txn = store::begin_write(&state.db).await?;
    let old = episodes::active_regimen(&txn, &ep.id).await?;
    let mut last_height = None;
    for l in &old {
        if let Some(h) = l.computation()?.and_then(|c| c.height_cm) {
            last_height = Some(h);
        }
    }
    let body = enrolment::Body {
        height_cm: req.height_cm.or(last_height),
        weight_kg: req.weight_kg.or(ep.baseline_weight_kg),
    };
    let lines = enrolment::check_regimen(&req.regimen, &state.rules.catalog, on, "regimen", body)?;
    // A partner drug added or removed (prednisone beside abiraterone) is a change of regimen, not
    // of treatment: only the anticancer drugs open a new episode.
    let catalog = &state.rules.catalog;
    let old_drugs: BTreeSet<&str> =
        old.iter().map(|l| l.drug.as_str()).filter(|d| catalog.partner(d).is_none()).collect();
    let new_drugs: BTreeSet<&str> =
        lines.iter().map(|l| l.drug.as_str()).filter(|d| catalog.partner(d).is_none()).collect();
    let out = if old_drugs == new_drugs {
        episodes::replace_regimen(&txn, &ep.id, &lines, on, &auth.staff.id, now).await?;
        audit::record(
            &txn,
            audit::Entry {
                actor: &auth.actor(),
                action: "change_regimen",
                entity: "episode",
                entity_id: Some(&ep.id),
                patient_id: Some(&ep.patient_id),
                at: now,
            },
        )
        .await?;
        RegimenChanged { episode_id: ep.id.clone(), new_episode: false }
    } else {
        let team = patients::current_team(&txn, &ep.id, on)
            .await?
            .ok_or(ActionError::Conflict { field: None, message: "the episode has no team".into() })?;
        let team = TeamRequest {
            idec: team.idec_id,
            oncologist: team.oncologist_id,
            hospital_pharmacist: team.hospital_pharmacist_id,
            community_pharmacy: team.pharmacy_id,
            gp: team.gp_id,
            community_nurse: team.community_nurse_id,
        };
        let parcours = req.parcours.unwrap_or_else(|| state.rules.catalog.default_parcours(new_drugs.iter().copied()));
        if parcours == Parcours::A && team.community_pharmacy.is_none() {
            return Err(ActionError::field("parcours", "parcours A needs a community pharmacy on the team"));
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
        audit::record(
            &txn,
            audit::Entry {
                actor: &auth.actor(),
                action: "treatment_changed",
                entity: "episode",
                entity_id: Some(&new_id),
                patient_id: Some(&ep.patient_id),
                at: now,
            },
        )
        .await?;
        RegimenChanged { episode_id: new_id, new_episode: true }
    };
    txn.commit().await?;
    Ok(out)
}
