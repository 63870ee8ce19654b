//! A new weight and the dose (docs/domain.md, "A new weight and the dose"; issue 16): when a
//! patient's report carries a weight that moves a dose computed per m² or per kg by more than
//! `dosing.weight_dose_change_above_percent` (config/triage.toml), an amber `regimen` alert tells
//! the IDEC and the hospital pharmacist, who re-evaluate the dose. The regimen is never changed
//! here. Once per weight level: nothing more is raised while a `regimen` alert of the patient is
//! unresolved.

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DbErr};

use crate::AppState;
use crate::alerting::{AlertInput, raise};
use crate::domain::Sequence;
use crate::domain::dosing;
use crate::domain::reason::Reason;
use crate::domain::routing::Topic;
use crate::domain::triage::Colour;
use crate::store::entities::{episode, patient, regimen_line};
use crate::store::{StoredValueError, alerts};

/// The reasons of the alert: one per line of `lines` (the regimen in force) whose computed dose
/// the weight `weight_kg` moves by more than `above_pct` percent, in the lines' order. A stored
/// computation that cannot be redone (a dose per m² without its height) is an error naming the
/// row, never skipped.
pub fn reasons(lines: &[regimen_line::Model], weight_kg: f64, above_pct: f64) -> Result<Vec<Reason>, StoredValueError> {
    let mut reasons = Vec::new();
    for line in lines {
        let Some(c) = line.computation()? else { continue };
        let Some(r) = dosing::reweigh(&c, weight_kg) else {
            let stored = line.dose_computation.as_deref().unwrap_or_default();
            return Err(StoredValueError::new("regimen_lines", &line.id, "dose_computation", stored));
        };
        if r.moves_more_than(above_pct) {
            reasons.push(r.reason(&line.drug));
        }
    }
    Ok(reasons)
}

/// Checks the regimen in force against a reported weight, in the report's transaction; raises
/// the amber `regimen` alert when a dose moves by more than the threshold and none is
/// unresolved. Returns the alert's id when one was raised.
#[allow(clippy::too_many_arguments)]
pub async fn check(
    db: &impl ConnectionTrait,
    state: &AppState,
    patient: &patient::Model,
    ep: &episode::Model,
    sequence: Sequence,
    lines: &[regimen_line::Model],
    weight_kg: f64,
    report_id: &str,
    now: DateTime<Utc>,
) -> Result<Option<String>, DbErr> {
    let above = state.rules.triage.dosing.weight_dose_change_above_percent;
    let reasons = reasons(lines, weight_kg, above)?;
    if reasons.is_empty() {
        return Ok(None);
    }
    if alerts::unresolved_for(db, &patient.id, Topic::Regimen.as_str()).await?.is_some() {
        // Already told: the IDEC and the pharmacist are re-evaluating the dose.
        return Ok(None);
    }
    let input = AlertInput {
        patient,
        episode: ep,
        sequence,
        topic: Topic::Regimen,
        colour: Colour::Amber,
        provisional_grade: None,
        reasons,
        report_id: Some(report_id),
        also: vec![],
        establishment: None,
    };
    raise(db, state, input, now).await
}
