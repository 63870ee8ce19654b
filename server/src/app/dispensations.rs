//! Dispensations and renewals (docs/domain.md, "Dispensations"): the pharmacy records each
//! dispensation of a drug of the episode's regimen; from it follow the day the patient runs out,
//! a refill reminder pushed 3 days before, the "renewal overdue" flag, and the cross-check of
//! the units dispensed against the doses the patient confirmed taken.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{ActionError, StaffAuth};
use crate::AppState;
use crate::domain::Parcours;
use crate::domain::access::Role;
use crate::domain::adherence::DoseStatus;
use crate::domain::dispensation::{self as rules, TakenDose};
use crate::jobs::refills::reminder_at;
use crate::store::dispensations::{self as store_d, NewDispensation, dispensation};
use crate::store::entities::{episode, patient};
use crate::store::{self, audit, doses, episodes, patients};

/// How many days before the episode's start a dispensation may be dated (the drug is handed
/// over before day 1).
pub const MAX_DAYS_BEFORE_START: i64 = 14;

/// The most units a day a pharmacist may give (more is a typing error).
pub const MAX_UNITS_PER_DAY: i64 = 100;

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DispensationRequest {
    /// A drug of the current regimen, as the regimen names it (catalogue or partner key).
    pub drug: String,
    /// YYYY-MM-DD, not after today (the patient's date).
    pub dispensed_on: String,
    /// Units handed over (tablets, capsules), more than 0.
    pub units: i64,
    /// Units taken per intake-day. Optional when the regimen says it (a dose computed to units
    /// of the drug's strengths, or written "2 comprimés"); required otherwise.
    #[serde(default)]
    pub units_per_day: Option<i64>,
    /// YYYY-MM-DD: the end of the prescription, if known.
    #[serde(default)]
    pub prescription_end: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DispensationView {
    pub id: String,
    pub episode_id: String,
    /// The drug as the regimen names it.
    pub drug: String,
    /// Its display name (French).
    pub drug_name: String,
    #[schema(value_type = String, format = Date)]
    pub dispensed_on: NaiveDate,
    pub units: i32,
    pub units_per_day: i32,
    #[schema(value_type = Option<String>, format = Date)]
    pub prescription_end: Option<NaiveDate>,
    /// The first day the units do not cover.
    #[schema(value_type = String, format = Date)]
    pub run_out_date: NaiveDate,
    /// The day of the refill reminder (3 days before the run-out date, 10:00 patient time).
    #[schema(value_type = String, format = Date)]
    pub reminder_date: NaiveDate,
    /// A later dispensation of the same drug renews this one.
    pub renewed: bool,
    /// Today is on or after the run-out date and no later dispensation renews it.
    pub overdue: bool,
    pub recorded_by: String,
    pub recorded_at: DateTime<Utc>,
}

/// The adherence cross-check of one drug, since its first dispensation.
#[derive(Debug, Serialize, ToSchema)]
pub struct DrugSupplyView {
    pub drug: String,
    pub drug_name: String,
    #[schema(value_type = String, format = Date)]
    pub first_dispensed_on: NaiveDate,
    /// Units dispensed since the first dispensation.
    pub units_dispensed: i64,
    /// Units of the doses the patient confirmed taken (taken, late or vomited) from the first
    /// dispensation to today.
    pub units_confirmed: i64,
    /// More units confirmed taken than dispensed: a supply from elsewhere, or confirmations to
    /// check with the patient.
    pub mismatch: bool,
    /// The run-out date of the latest dispensation.
    #[schema(value_type = String, format = Date)]
    pub run_out_date: NaiveDate,
    pub overdue: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DispensationsView {
    pub episode_id: String,
    /// Oldest first, by drug.
    pub dispensations: Vec<DispensationView>,
    pub drugs: Vec<DrugSupplyView>,
}

/// Who records a dispensation: the hospital pharmacist and the IDEC of the episode's
/// establishment, and in parcours A the community pharmacist of the team's pharmacy (who
/// dispenses). Anyone else who sees the patient gets 403; the caller already saw the patient.
fn may_record(auth: &StaffAuth, ep: &episode::Model) -> Result<(), ActionError> {
    let parcours = ep.parcours()?;
    match auth.staff.role {
        Role::Idec | Role::HospitalPharmacist => Ok(()),
        Role::CommunityPharmacist if parcours == Parcours::A => Ok(()),
        Role::CommunityPharmacist => {
            Err(ActionError::Forbidden("in parcours B the hospital pharmacy dispenses and records"))
        }
        _ => Err(ActionError::Forbidden("dispensations are recorded by the pharmacist or the IDEC")),
    }
}

/// Whether the caller may record a dispensation on this episode (the page shows the form only
/// then).
pub fn may_record_dispensation(auth: &StaffAuth, ep: &episode::Model) -> bool {
    ep.end_date.is_none() && may_record(auth, ep).is_ok()
}

fn date(raw: &str, field: &str) -> Result<NaiveDate, ActionError> {
    NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d").map_err(|_| ActionError::field(field, "a date YYYY-MM-DD"))
}

fn drug_name(state: &AppState, drug: &str) -> String {
    state.rules.catalog.name_fr(drug).to_owned()
}

/// Records a dispensation, in one transaction: the row with its run-out date, its refill
/// reminder (due work) and the audit line. Every input is checked before anything is written.
pub async fn record(
    state: &AppState,
    auth: &StaffAuth,
    episode_id: &str,
    req: &DispensationRequest,
) -> Result<DispensationView, ActionError> {
    let ep = super::episodes::visible_episode(state, auth, episode_id).await?;
    may_record(auth, &ep)?;
    if ep.end_date.is_some() {
        return Err(ActionError::conflict("this episode has ended"));
    }
    let patient = patients::get(&state.db, &ep.patient_id).await?.ok_or(ActionError::NotFound)?;
    let tz = patient.time_zone()?;
    let now = state.now();
    let today = now.with_timezone(&tz).date_naive();
    let rows = episodes::active_regimen(&state.db, &ep.id).await?;
    let drug = req.drug.trim();
    let Some(row) = rows.iter().find(|l| l.drug == drug) else {
        let names: Vec<&str> = rows.iter().map(|l| l.drug.as_str()).collect();
        return Err(ActionError::field("drug", format!("a drug of the current regimen: {}", names.join(", "))));
    };
    let line = store::episodes::lines_of(std::slice::from_ref(row))?.remove(0);
    let on = date(&req.dispensed_on, "dispensed_on")?;
    if on > today {
        return Err(ActionError::field("dispensed_on", format!("today ({today}) or before, not in the future")));
    }
    if on < ep.start_date - Duration::days(MAX_DAYS_BEFORE_START) {
        return Err(ActionError::field(
            "dispensed_on",
            format!("the episode started on {}: at most {MAX_DAYS_BEFORE_START} days before", ep.start_date),
        ));
    }
    let units = u32::try_from(req.units)
        .ok()
        .filter(|u| (1..=rules::MAX_UNITS).contains(u))
        .ok_or_else(|| ActionError::field("units", format!("a number of units from 1 to {}", rules::MAX_UNITS)))?;
    let per_day = match req.units_per_day {
        Some(n) if (1..=MAX_UNITS_PER_DAY).contains(&n) => n as u32,
        Some(_) => return Err(ActionError::field("units_per_day", format!("from 1 to {MAX_UNITS_PER_DAY}"))),
        None => rules::units_per_day(&line, row.computation()?.as_ref()).ok_or_else(|| {
            ActionError::field("units_per_day", "required: the regimen does not say how many units a day are taken")
        })?,
    };
    let prescription_end = match req.prescription_end.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some(raw) => {
            let end = date(raw, "prescription_end")?;
            if end < on {
                return Err(ActionError::field("prescription_end", "on or after the dispensation date"));
            }
            Some(end)
        }
    };
    let run_out = rules::run_out_for_line(&line, on, units, per_day)
        .ok_or_else(|| ActionError::field("drug", "its regimen has no dosing day ahead"))?;
    // A reminder whose day has passed (a dispensation recorded late) is pushed at once.
    let remind_at = reminder_at(tz, run_out).max(now);
    let txn = store::begin_write(&state.db).await?;
    let new = NewDispensation {
        episode_id: &ep.id,
        drug: &line.drug,
        dispensed_on: on,
        units: units as i32,
        units_per_day: per_day as i32,
        prescription_end,
        run_out_on: run_out,
        recorded_by: &auth.staff.id,
    };
    let d = store_d::insert(&txn, new, remind_at, now).await?;
    audit::record(
        &txn,
        audit::Entry {
            actor: &auth.actor(),
            action: "create",
            entity: "dispensation",
            entity_id: Some(&d.id),
            patient_id: Some(&ep.patient_id),
            at: now,
        },
    )
    .await?;
    txn.commit().await?;
    tracing::info!(episode_id = %ep.id, dispensation_id = %d.id, %run_out, "dispensation recorded");
    Ok(view(state, &d, false, today))
}

fn view(state: &AppState, d: &dispensation::Model, renewed: bool, today: NaiveDate) -> DispensationView {
    DispensationView {
        id: d.id.clone(),
        episode_id: d.episode_id.clone(),
        drug: d.drug.clone(),
        drug_name: drug_name(state, &d.drug),
        dispensed_on: d.dispensed_on,
        units: d.units,
        units_per_day: d.units_per_day,
        prescription_end: d.prescription_end,
        run_out_date: d.run_out_on,
        reminder_date: rules::reminder_on(d.run_out_on),
        renewed,
        overdue: !renewed && today >= d.run_out_on,
        recorded_by: d.recorded_by.clone(),
        recorded_at: d.recorded_at,
    }
}

/// The dispensations of an episode the caller may see, with their run-out dates, the overdue
/// flags and the cross-check per drug. Audited as a read of the patient's record.
pub async fn list(state: &AppState, auth: &StaffAuth, episode_id: &str) -> Result<DispensationsView, ActionError> {
    let ep = super::episodes::visible_episode(state, auth, episode_id).await?;
    let patient = patients::get(&state.db, &ep.patient_id).await?.ok_or(ActionError::NotFound)?;
    let out = view_of(state, &ep, &patient).await?;
    audit::record(
        &state.db,
        audit::Entry {
            actor: &auth.actor(),
            action: "read",
            entity: "dispensations",
            entity_id: Some(&ep.id),
            patient_id: Some(&ep.patient_id),
            at: state.now(),
        },
    )
    .await?;
    Ok(out)
}

/// The dispensations of an episode for a page whose opening already wrote the read to the
/// audit log (the patient page, the pharmacy worklist).
pub async fn for_page(state: &AppState, ep: &episode::Model) -> Result<DispensationsView, ActionError> {
    let patient = patients::get(&state.db, &ep.patient_id).await?.ok_or(ActionError::NotFound)?;
    view_of(state, ep, &patient).await
}

async fn view_of(
    state: &AppState,
    ep: &episode::Model,
    patient: &patient::Model,
) -> Result<DispensationsView, ActionError> {
    let today = state.now().with_timezone(&patient.time_zone()?).date_naive();
    let all = store_d::of_episode(&state.db, &ep.id).await?;
    // Rows come by drug, then date, then recording order: each is renewed by the next of its drug.
    let mut dispensations = Vec::with_capacity(all.len());
    for (i, d) in all.iter().enumerate() {
        let renewed = all.get(i + 1).is_some_and(|next| next.drug == d.drug);
        dispensations.push(view(state, d, renewed, today));
    }
    let mut by_drug: BTreeMap<&str, Vec<&dispensation::Model>> = BTreeMap::new();
    for d in &all {
        by_drug.entry(d.drug.as_str()).or_default().push(d);
    }
    let mut drugs = Vec::new();
    if let Some(first) = all.iter().map(|d| d.dispensed_on).min() {
        let ds_all = doses::of_episode_between(&state.db, &ep.id, first, today).await?;
        // The intakes a day of each line the doses belong to (every version of the regimen).
        let mut intakes: BTreeMap<String, u32> = BTreeMap::new();
        for l in episodes::regimen_history(&state.db, &ep.id).await? {
            intakes.insert(l.id.clone(), u32::try_from(l.times()?.len()).unwrap_or(u32::MAX));
        }
        for (drug, ds) in by_drug {
            let (Some(first), Some(last)) = (ds.first(), ds.last()) else { continue };
            let mut taken = Vec::new();
            for dose in ds_all.iter().filter(|x| x.drug == drug && x.local_date >= first.dispensed_on) {
                if matches!(dose.outcome()?, Some(DoseStatus::Taken { .. } | DoseStatus::Vomited)) {
                    let n = intakes.get(&dose.line_id).copied().ok_or_else(|| {
                        ActionError::Internal(anyhow::anyhow!("line {} of dose {} not found", dose.line_id, dose.id))
                    })?;
                    taken.push(TakenDose { date: dose.local_date, intakes_per_day: n });
                }
            }
            let in_force: Vec<(NaiveDate, u32)> =
                ds.iter().map(|d| (d.dispensed_on, u32::try_from(d.units_per_day).unwrap_or(0))).collect();
            let units_confirmed = i64::from(rules::confirmed_units(&taken, &in_force));
            let units_dispensed: i64 = ds.iter().map(|d| i64::from(d.units)).sum();
            drugs.push(DrugSupplyView {
                drug: drug.to_owned(),
                drug_name: drug_name(state, drug),
                first_dispensed_on: first.dispensed_on,
                units_dispensed,
                units_confirmed,
                mismatch: units_confirmed > units_dispensed,
                run_out_date: last.run_out_on,
                overdue: today >= last.run_out_on,
            });
        }
    }
    Ok(DispensationsView { episode_id: ep.id.clone(), dispensations, drugs })
}
