//! The `relais triage` case format (docs/api.md): parsed from JSON, every field checked.

use serde_json::Value;

use super::Case;
use crate::answers::{Answers, FieldError};
use crate::catalog::Catalog;
use crate::{Parcours, Sequence};

const FIELDS: &[&str] = &["drugs", "sequence", "parcours", "baseline", "previous_answers", "answers"];
const WEIGHT_RANGE: (f64, f64) = (20.0, 300.0);

/// Parses a case; the error names the field (`drugs`, `answers.pain.severity`, ...).
pub fn parse_case(v: &Value, catalog: &Catalog) -> Result<Case, FieldError> {
    let Some(obj) = v.as_object() else {
        return Err(FieldError::new("case", "must be a JSON object"));
    };
    let mut keys: Vec<&String> = obj.keys().collect();
    keys.sort();
    if let Some(k) = keys.into_iter().find(|k| !FIELDS.contains(&k.as_str())) {
        return Err(FieldError::new(
            k.as_str(),
            "unknown field (expected drugs, sequence, parcours, baseline, previous_answers, answers)",
        ));
    }
    let required = |k: &str| match obj.get(k) {
        None | Some(Value::Null) => Err(FieldError::new(k, "required")),
        Some(v) => Ok(v),
    };
    let optional = |k: &str| obj.get(k).filter(|v| !v.is_null());

    let Some(list) = required("drugs")?.as_array() else {
        return Err(FieldError::new("drugs", "must be a list of drug names"));
    };
    let mut drugs = Vec::with_capacity(list.len());
    for (i, d) in list.iter().enumerate() {
        let Some(name) = d.as_str() else {
            return Err(FieldError::new("drugs", format!("item {i} must be a drug name (a string)")));
        };
        drugs.push(name.to_string());
    }
    let sequence = required("sequence")?
        .as_str()
        .and_then(Sequence::parse)
        .ok_or_else(|| FieldError::new("sequence", "must be \"S1\", \"S2\" or \"S3\""))?;
    let parcours = required("parcours")?
        .as_str()
        .and_then(Parcours::parse)
        .ok_or_else(|| FieldError::new("parcours", "must be \"A\" or \"B\""))?;
    let baseline_weight_kg = optional("baseline").map(baseline).transpose()?;
    let previous = optional("previous_answers").map(|v| Answers::parse(v, "previous_answers")).transpose()?;
    let answers = Answers::parse(required("answers")?, "answers")?;
    let case = Case { drugs, sequence, parcours, baseline_weight_kg, previous, answers };
    check_case(catalog, &case)?;
    Ok(case)
}

fn baseline(v: &Value) -> Result<f64, FieldError> {
    let Some(obj) = v.as_object() else {
        return Err(FieldError::new("baseline", "must be an object such as {\"weight_kg\": 64.0}"));
    };
    if let Some(k) = obj.keys().find(|k| k.as_str() != "weight_kg") {
        return Err(FieldError::new(format!("baseline.{k}"), "unknown field (expected weight_kg)"));
    }
    let field = "baseline.weight_kg";
    let (lo, hi) = WEIGHT_RANGE;
    match obj.get("weight_kg") {
        None | Some(Value::Null) => Err(FieldError::new(field, "required in a baseline")),
        Some(w) => match w.as_f64() {
            Some(x) if (lo..=hi).contains(&x) => Ok(x),
            Some(x) => Err(FieldError::new(field, format!("{x} is out of range: must be from {lo} to {hi}"))),
            None => Err(FieldError::new(field, format!("must be a number from {lo} to {hi}"))),
        },
    }
}

/// What `evaluate` checks of a case built in code: drugs known and distinct, baseline in range.
pub(super) fn check_case(catalog: &Catalog, case: &Case) -> Result<(), FieldError> {
    if case.drugs.is_empty() {
        return Err(FieldError::new("drugs", "at least one drug"));
    }
    for (i, d) in case.drugs.iter().enumerate() {
        if catalog.get(d).is_none() {
            return Err(FieldError::new(
                "drugs",
                format!("unknown drug `{d}` (catalogue keys are lower-case international non-proprietary names)"),
            ));
        }
        if case.drugs[..i].contains(d) {
            return Err(FieldError::new("drugs", format!("`{d}` is listed twice")));
        }
    }
    if let Some(w) = case.baseline_weight_kg {
        let (lo, hi) = WEIGHT_RANGE;
        if !(lo..=hi).contains(&w) {
            return Err(FieldError::new(
                "baseline.weight_kg",
                format!("{w} is out of range: must be from {lo} to {hi}"),
            ));
        }
    }
    Ok(())
}
