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
use super::reason::{Change, Reason};
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
    /// How the grade and colour were reached, as the engine's English text (docs/api.md).
    pub reasons: Vec<String>,
    /// The same reasons as codes with parameters, for readers in their language.
    pub reason_codes: Vec<Reason>,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct RedFlag {
    pub flag: String,
    /// What raised the flag, as the engine's English text.
    pub reason: String,
    /// The same as a code with parameters.
    pub reason_code: Reason,
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
    /// Why the report has its colour, as the engine's English text.
    pub reasons: Vec<String>,
    /// The same reasons as codes with parameters, for readers in their language.
    pub reason_codes: Vec<Reason>,
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
    let red_flags = red_flags(rules, catalog, case);
    let (mut colour, mut reason_codes) = report_colour(&rules.colour, &symptoms, &red_flags);
    if other {
        if colour == Colour::Green {
            colour = Colour::Amber;
            reason_codes.clear();
        }
        reason_codes.push(Reason::OtherSymptom);
    }
    let reasons = reason_codes.iter().map(|r| r.trace(rules)).collect();
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
        reason_codes,
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
    reasons.push(Reason::GradeColour { grade: g.grade, colour });
    let watching: Vec<String> = case
        .drugs
        .iter()
        .filter(|d| catalog.get(d).is_some_and(|drug| drug.watch.contains(g.symptom)))
        .cloned()
        .collect();
    if !watching.is_empty() && g.grade >= c.watch_amber_from_grade {
        colour = colour.max(Colour::Amber);
        reasons.push(Reason::EarlyWatch { drugs: watching, from_grade: c.watch_amber_from_grade });
    }
    if let Some(why) = worsening(c.worsening_delta, case, g.symptom) {
        colour = colour.max(Colour::Amber);
        reasons.push(why);
    }
    // Floors (the fever floor): at least amber, the grade unchanged (docs/triage.md §3).
    for f in c.floor.iter().filter(|f| f.symptom == g.symptom && g.grade >= f.from_grade) {
        colour = colour.max(Colour::Amber);
        reasons.push(Reason::Floor { symptom: f.symptom.clone(), from_grade: f.from_grade });
    }
    SymptomResult {
        symptom: g.symptom.to_string(),
        grade: g.grade,
        colour,
        reasons: reasons.iter().map(|r| r.trace(rules)).collect(),
        reason_codes: reasons,
    }
}

/// Basch et al. JCO 2016: an attribute `delta` points higher than in the previous report.
/// Only scale items are compared, and only when the previous report has the first attribute.
fn worsening(delta: u8, case: &Case, symptom: &str) -> Option<Reason> {
    let previous = case.previous.as_ref()?;
    let attrs = symptoms::attributes(symptom)?;
    let first = *attrs.first()?;
    if first == Attribute::Presence {
        return None;
    }
    previous.scale(symptom, first)?;
    let changes: Vec<Change> = attrs
        .iter()
        .filter_map(|a| {
            let before = previous.scale(symptom, *a).unwrap_or(0);
            let now = case.answers.scale(symptom, *a).unwrap_or(0);
            (now >= before.saturating_add(delta)).then(|| Change { attribute: a.key().to_owned(), before, now })
        })
        .collect();
    (!changes.is_empty()).then_some(Reason::Worsened { changes })
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

fn red_flags(all: &TriageRules, catalog: &Catalog, case: &Case) -> Vec<RedFlag> {
    let rules = &all.red_flags;
    let a = &case.answers;
    let flag = |flag: &str, code: Reason| RedFlag { flag: flag.to_owned(), reason: code.trace(all), reason_code: code };
    let mut flags: Vec<RedFlag> = symptoms::RED_FLAG_QUESTIONS
        .iter()
        .filter(|(q, _)| rules.questions.contains(q) && a.red_flag(q) == Some(true))
        .map(|(q, _)| flag(q, Reason::RedFlagAnswer { flag: (*q).to_owned() }))
        .collect();
    if let Some(t) = a.measure(Measure::TemperatureC)
        && t >= rules.febrile_from_c
    {
        let tagged: Vec<String> = case
            .drugs
            .iter()
            .filter(|d| catalog.get(d).is_some_and(|drug| drug.tags.contains(&rules.febrile_tag)))
            .cloned()
            .collect();
        if !tagged.is_empty() {
            flags.push(flag(
                "febrile_on_myelosuppressive",
                Reason::FebrileOnMyelosuppressive {
                    temperature_c: t,
                    from_c: rules.febrile_from_c,
                    drugs: tagged,
                    tag: rules.febrile_tag.clone(),
                },
            ));
        }
    }
    let sys = a.measure(Measure::SystolicMmhg);
    let dia = a.measure(Measure::DiastolicMmhg);
    if sys.is_some_and(|s| s >= rules.emergency_systolic_from)
        || dia.is_some_and(|d| d >= rules.emergency_diastolic_from)
    {
        flags.push(flag(
            "hypertensive_emergency",
            Reason::HypertensiveEmergency {
                systolic_mmhg: sys,
                diastolic_mmhg: dia,
                from_systolic: rules.emergency_systolic_from,
                from_diastolic: rules.emergency_diastolic_from,
            },
        ));
    }
    flags
}

fn report_colour(rules: &ColourRules, symptoms: &[SymptomResult], flags: &[RedFlag]) -> (Colour, Vec<Reason>) {
    let mut reasons: Vec<Reason> = flags.iter().map(|f| Reason::RedFlag { flag: f.flag.clone() }).collect();
    let named =
        |c: Colour| -> Vec<String> { symptoms.iter().filter(|s| s.colour == c).map(|s| s.symptom.clone()).collect() };
    let red = named(Colour::Red);
    if !red.is_empty() {
        reasons.push(Reason::RedSymptoms { symptoms: red });
    }
    // Amber by grade only: watch-list and worsening ambers do not page the on-call oncologist.
    let by_grade: Vec<String> = symptoms
        .iter()
        .filter(|s| s.grade >= rules.amber_from_grade && s.grade < rules.red_from_grade)
        .map(|s| s.symptom.clone())
        .collect();
    if rules.two_amber_rule && by_grade.len() >= rules.amber_count_for_red {
        reasons.push(Reason::SeveralAmbers {
            count: by_grade.len(),
            grade: rules.amber_from_grade,
            symptoms: by_grade,
        });
    }
    if !reasons.is_empty() {
        return (Colour::Red, reasons);
    }
    let amber = named(Colour::Amber);
    if !amber.is_empty() {
        return (Colour::Amber, vec![Reason::AmberSymptoms { symptoms: amber }]);
    }
    (Colour::Green, vec![Reason::NothingAmberOrRed])
}

#[cfg(test)]
mod tests;
