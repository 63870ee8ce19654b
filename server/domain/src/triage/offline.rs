//! The red-flag rules the patient's phone applies by itself (docs/triage.md §1 "Order", r3): a
//! "yes" to a red-flag question, or a red value, shows the call screen at once, also offline,
//! before the report reaches the server. Derived here from the same rules the server triages
//! with, so that the phone holds a copy and never its own version.

use serde::Serialize;

use super::advice::red_call_text;
use super::{AdviceContext, TriageRules};
use crate::answers::AnswerKey;
use crate::catalog::Catalog;
use crate::symptoms::{self, Measure};

/// One answer that makes the report red whatever else is answered.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct OfflineRedRule {
    /// The answer key of docs/triage.md §1.
    pub key: String,
    /// A number from which the answer is red (inclusive); absent for a yes/no question (red
    /// on yes).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub at_least: Option<f64>,
    /// The red flag it raises (docs/triage.md §3 flag names).
    pub flag: String,
    /// 15 (SAMU) first, then the oncology team (docs/triage.md §5, r3).
    pub call_15_first: bool,
    /// What the call screen says, in the patient's language, with the team's number.
    pub text: String,
}

/// The phone's copy of the red flags for an episode on these drugs (catalogue keys): every
/// red-flag question, the temperature on a drug with the febrile tag, the blood-pressure
/// emergency thresholds. Red by grade or by two ambers is left to the server.
pub fn offline_red_rules(
    rules: &TriageRules,
    catalog: &Catalog,
    drugs: &[String],
    ctx: &AdviceContext,
) -> Vec<OfflineRedRule> {
    let r = &rules.red_flags;
    let emergency = |flag: &str| rules.advice.emergency_first.flags.contains(&flag);
    let rule = |key: String, at_least: Option<f64>, flag: &str| OfflineRedRule {
        key,
        at_least,
        flag: flag.to_string(),
        call_15_first: emergency(flag),
        text: red_call_text(&rules.advice, emergency(flag), ctx),
    };
    let mut out: Vec<OfflineRedRule> = symptoms::RED_FLAG_QUESTIONS
        .iter()
        .filter(|(q, _)| r.questions.contains(q))
        .map(|(q, _)| rule(AnswerKey::RedFlag(q).to_key(), None, q))
        .collect();
    if drugs.iter().any(|d| catalog.get(d).is_some_and(|drug| drug.tags.contains(&r.febrile_tag))) {
        out.push(rule(Measure::TemperatureC.key().into(), Some(r.febrile_from_c), "febrile_on_myelosuppressive"));
    }
    out.push(rule(Measure::SystolicMmhg.key().into(), Some(r.emergency_systolic_from), "hypertensive_emergency"));
    out.push(rule(Measure::DiastolicMmhg.key().into(), Some(r.emergency_diastolic_from), "hypertensive_emergency"));
    out
}
