//! Triage (docs/triage.md §3, §5): the colour of each symptom and of the report, red flags, routes
//! and advice, each decision with the reasons that led to it. Pure: a function of its arguments.

mod advice;
mod case;
mod offline;
mod rules;

use serde::{Deserialize, Serialize};

/// Triage's outcome, named `triage::Colour` by its callers; defined in `colour` for routing.
pub use super::colour::Colour;
pub use advice::AdviceRules;
pub use case::parse_case;
pub use offline::{OfflineRedRule, offline_red_rules};
pub use rules::{ColourRules, DosingRules, FloorRule, Localized, RedFlagRules, TriageRules};

use super::answers::{Answers, FieldError};
use super::catalog::Catalog;
use super::grading::{self, Graded};
use super::routing::{Informed, Role, Route, Topic};
use super::symptoms::{self, Attribute, Measure};
use super::{Parcours, Sequence};

/// Language of the patient's texts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Locale {
    Fr,
    En,
}

impl Locale {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "fr" => Some(Self::Fr),
            "en" => Some(Self::En),
            _ => None,
        }
    }
}

/// One report to triage, with what the rules need to know of the episode.
#[derive(Debug, Clone, PartialEq)]
pub struct Case {
    /// Catalogue keys of the episode's drugs.
    pub drugs: Vec<String>,
    pub sequence: Sequence,
    pub parcours: Parcours,
    pub baseline_weight_kg: Option<f64>,
    /// The patient's previous report, for the worsening rule.
    pub previous: Option<Answers>,
    pub answers: Answers,
}

/// What the advice texts need: the patient's language and the establishment's 24 h number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdviceContext {
    pub locale: Locale,
    pub team_phone: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct SymptomResult {
    pub symptom: String,
    pub grade: u8,
    pub colour: Colour,
    pub reasons: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct RedFlag {
    pub flag: String,
    pub reason: String,
}

/// A text for the patient; `symptom` is `null` for the report as a whole.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Advice {
    pub symptom: Option<String>,
    pub text: String,
}

/// The result of `relais triage` and of a report submission (docs/api.md).
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct TriageResult {
    pub colour: Colour,
    pub symptoms: Vec<SymptomResult>,
    pub red_flags: Vec<RedFlag>,
    pub routes: Vec<Route>,
    pub advice: Vec<Advice>,
    /// Catalogue keys of the drugs whose next dose the patient must not take before the team has
    /// called (docs/triage.md §5), sorted; empty when none.
    pub hold: Vec<String>,
    /// Roles told by information message only (the GP in S3), nothing to acknowledge.
    pub informed: Vec<Informed>,
    /// Why the report has its colour.
    pub reasons: Vec<String>,
}

/// Grades, colours, routes and advises one case.
pub fn evaluate(
    rules: &TriageRules,
    catalog: &Catalog,
    case: &Case,
    ctx: &AdviceContext,
) -> Result<TriageResult, FieldError> {
    evaluate_with_other(rules, catalog, case, ctx, false)
}

/// [`evaluate`] for a report where the patient also described, in their own words, a symptom
/// the questions do not cover (`other`, "I have a symptom now", docs/triage.md §1): the report
/// is at least amber and its alert goes to the IDEC as well, who reads the text and calls.
pub fn evaluate_with_other(
    rules: &TriageRules,
    catalog: &Catalog,
    case: &Case,
    ctx: &AdviceContext,
    other: bool,
) -> Result<TriageResult, FieldError> {
    case::check_case(catalog, case)?;
    let graded = grading::grade_answers(&rules.grading, &case.answers, case.baseline_weight_kg);
    let mut symptoms: Vec<SymptomResult> =
        graded.into_iter().filter(|g| g.grade >= 1).map(|g| colour_symptom(rules, catalog, case, g)).collect();
    symptoms.sort_by(|a, b| b.grade.cmp(&a.grade).then_with(|| a.symptom.cmp(&b.symptom)));
    let red_flags = red_flags(&rules.red_flags, catalog, case);
    let (mut colour, mut reasons) = report_colour(&rules.colour, &symptoms, &red_flags);
    if other {
        if colour == Colour::Green {
            colour = Colour::Amber;
            reasons.clear();
        }
        reasons.push("another symptom described by the patient in their own words: at least amber, to the IDEC".into());
    }
    let by_colour: Vec<(&str, Colour)> = symptoms.iter().map(|s| (s.symptom.as_str(), s.colour)).collect();
    let mut routing =
        rules.routing.route_with_symptoms(colour, Topic::Toxicity, case.sequence, case.parcours, &by_colour);
    if other
        && let Some(first) = routing.routes.first().cloned()
        && !routing.routes.iter().any(|r| r.role == Role::Idec)
    {
        routing.routes.push(Route { role: Role::Idec, ..first });
        routing.informed.retain(|i| i.role != Role::Idec);
    }
    let hold = hold(catalog, case, colour, &symptoms);
    let names: Vec<&str> =
        hold.iter().map(|d| catalog.get(d).map_or(d.as_str(), |drug| drug.name.get(ctx.locale))).collect();
    let flag_names: Vec<&str> = red_flags.iter().map(|f| f.flag.as_str()).collect();
    let advice = advice::advice(&rules.advice, colour, &symptoms, &flag_names, routing.deadline, &names, ctx);
    Ok(TriageResult {
        colour,
        symptoms,
        red_flags,
        routes: routing.routes,
        advice,
        hold,
        informed: routing.informed,
        reasons,
    })
}

fn colour_symptom(rules: &TriageRules, catalog: &Catalog, case: &Case, g: Graded) -> SymptomResult {
    let c = &rules.colour;
    let mut reasons = g.reasons;
    let mut colour = if g.grade >= c.red_from_grade {
        Colour::Red
    } else if g.grade >= c.amber_from_grade {
        Colour::Amber
    } else {
        Colour::Green
    };
    reasons.push(format!("grade {}: {}", g.grade, colour.as_str()));
    let watching: Vec<&str> = case
        .drugs
        .iter()
        .filter(|d| catalog.get(d).is_some_and(|drug| drug.watch.contains(g.symptom)))
        .map(String::as_str)
        .collect();
    if !watching.is_empty() && g.grade >= c.watch_amber_from_grade {
        colour = colour.max(Colour::Amber);
        reasons.push(format!(
            "on the early-watch list of {}: amber from grade {}",
            watching.join(", "),
            c.watch_amber_from_grade
        ));
    }
    if let Some(why) = worsening(c.worsening_delta, case, g.symptom) {
        colour = colour.max(Colour::Amber);
        reasons.push(why);
    }
    // Floors (the fever floor): at least amber, the grade unchanged (docs/triage.md §3).
    for f in c.floor.iter().filter(|f| f.symptom == g.symptom && g.grade >= f.from_grade) {
        colour = colour.max(Colour::Amber);
        reasons.push(format!("{}: at least amber from grade {}", f.reason, f.from_grade));
    }
    SymptomResult { symptom: g.symptom.to_string(), grade: g.grade, colour, reasons }
}

/// Basch et al. JCO 2016: an attribute `delta` points higher than in the previous report.
/// Only scale items are compared, and only when the previous report has the first attribute.
fn worsening(delta: u8, case: &Case, symptom: &str) -> Option<String> {
    let previous = case.previous.as_ref()?;
    let attrs = symptoms::attributes(symptom)?;
    let first = *attrs.first()?;
    if first == Attribute::Presence {
        return None;
    }
    previous.scale(symptom, first)?;
    let changes: Vec<String> = attrs
        .iter()
        .filter_map(|a| {
            let before = previous.scale(symptom, *a).unwrap_or(0);
            let now = case.answers.scale(symptom, *a).unwrap_or(0);
            (now >= before.saturating_add(delta)).then(|| format!("{} {before} → {now}", a.key()))
        })
        .collect();
    (!changes.is_empty())
        .then(|| format!("worsened since the previous report ({}): at least amber", changes.join(", ")))
}

/// The drugs to hold (docs/triage.md §5): every drug on a red report, none on a green one; on an
/// amber report, each drug whose catalogue `hold` rule is met by an amber symptom of at least
/// the rule's grade. Sorted catalogue keys.
fn hold(catalog: &Catalog, case: &Case, colour: Colour, symptoms: &[SymptomResult]) -> Vec<String> {
    let mut out: Vec<String> = match colour {
        Colour::Green => Vec::new(),
        Colour::Red => case.drugs.clone(),
        Colour::Amber => case
            .drugs
            .iter()
            .filter(|d| {
                catalog.get(d).is_some_and(|drug| {
                    symptoms.iter().any(|s| {
                        s.colour >= Colour::Amber && drug.hold.get(&s.symptom).is_some_and(|from| s.grade >= *from)
                    })
                })
            })
            .cloned()
            .collect(),
    };
    out.sort();
    out.dedup();
    out
}

fn red_flags(rules: &RedFlagRules, catalog: &Catalog, case: &Case) -> Vec<RedFlag> {
    let a = &case.answers;
    let mut flags: Vec<RedFlag> = symptoms::RED_FLAG_QUESTIONS
        .iter()
        .filter(|(q, _)| rules.questions.contains(q) && a.red_flag(q) == Some(true))
        .map(|(q, what)| RedFlag { flag: (*q).to_string(), reason: format!("answered yes: {what}") })
        .collect();
    if let Some(t) = a.measure(Measure::TemperatureC)
        && t >= rules.febrile_from_c
    {
        let tagged: Vec<&str> = case
            .drugs
            .iter()
            .filter(|d| catalog.get(d).is_some_and(|drug| drug.tags.contains(&rules.febrile_tag)))
            .map(String::as_str)
            .collect();
        if !tagged.is_empty() {
            flags.push(RedFlag {
                flag: "febrile_on_myelosuppressive".into(),
                reason: format!(
                    "temperature {t} °C (from {} °C) on {} ({}): risk of febrile neutropenia (IDSA)",
                    rules.febrile_from_c,
                    tagged.join(", "),
                    rules.febrile_tag
                ),
            });
        }
    }
    let sys = a.measure(Measure::SystolicMmhg);
    let dia = a.measure(Measure::DiastolicMmhg);
    if sys.is_some_and(|s| s >= rules.emergency_systolic_from)
        || dia.is_some_and(|d| d >= rules.emergency_diastolic_from)
    {
        let bp = match (sys, dia) {
            (Some(s), Some(d)) => format!("blood pressure {s}/{d} mmHg"),
            (Some(s), None) => format!("systolic {s} mmHg"),
            (None, Some(d)) => format!("diastolic {d} mmHg"),
            (None, None) => String::new(),
        };
        flags.push(RedFlag {
            flag: "hypertensive_emergency".into(),
            reason: format!(
                "{bp}: at or above the emergency threshold of {}/{} mmHg (IC-OS)",
                rules.emergency_systolic_from, rules.emergency_diastolic_from
            ),
        });
    }
    flags
}

fn report_colour(rules: &ColourRules, symptoms: &[SymptomResult], flags: &[RedFlag]) -> (Colour, Vec<String>) {
    let mut reasons: Vec<String> = flags.iter().map(|f| format!("red flag: {}", f.flag)).collect();
    let named =
        |c: Colour| -> Vec<&str> { symptoms.iter().filter(|s| s.colour == c).map(|s| s.symptom.as_str()).collect() };
    let red = named(Colour::Red);
    if !red.is_empty() {
        reasons.push(format!("red symptom: {}", red.join(", ")));
    }
    // Amber by grade only: watch-list and worsening ambers do not page the on-call oncologist.
    let by_grade: Vec<&str> = symptoms
        .iter()
        .filter(|s| s.grade >= rules.amber_from_grade && s.grade < rules.red_from_grade)
        .map(|s| s.symptom.as_str())
        .collect();
    if rules.two_amber_rule && by_grade.len() >= rules.amber_count_for_red {
        reasons.push(format!(
            "{} symptoms of grade {} ({}): more than one amber is red (UKONS)",
            by_grade.len(),
            rules.amber_from_grade,
            by_grade.join(", ")
        ));
    }
    if !reasons.is_empty() {
        return (Colour::Red, reasons);
    }
    let amber = named(Colour::Amber);
    if !amber.is_empty() {
        return (Colour::Amber, vec![format!("amber symptom: {}", amber.join(", "))]);
    }
    (Colour::Green, vec!["no red flag and no amber or red symptom".into()])
}

#[cfg(test)]
mod tests;
