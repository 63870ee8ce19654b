//! `config/triage.toml`: every threshold, rule and text of triage, parsed and validated once.
//! An error names the key (`colour.amber_from_grade`, `advice.self_care.fever.en`, ...).

use std::collections::BTreeMap;

use serde::Deserialize;

use super::Locale;
use super::advice::{AdviceRules, CallToday, EmergencyFirst, SelfCare};
use crate::catalog::KNOWN_TAGS;
use crate::grading::{CompositeTable, GradingRules, ObjectiveSpec};
use crate::interactions::{InteractionRules, PairSpec};
use crate::routing::{AlsoSpec, RoutingRules, RuleSpec};
use crate::symptoms;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    grading: GradingSection,
    objective: Vec<ObjectiveSpec>,
    colour: ColourRules,
    red_flags: RedFlagSection,
    routing: RoutingSection,
    interactions: RuleList<PairSpec>,
    advice: AdviceSection,
    dosing: DosingRules,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct GradingSection {
    ctcae_version: String,
    dietitian_referral_from_percent: f64,
}

/// `[dosing]`: when a recorded weight makes staff re-evaluate a computed dose (docs/domain.md,
/// "A new weight and the dose").
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DosingRules {
    /// A dose per m² or per kg that a new weight moves by more than this (%) raises an amber
    /// `regimen` alert.
    pub weight_dose_change_above_percent: f64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RoutingSection {
    rule: Vec<RuleSpec>,
    #[serde(default)]
    also: Vec<AlsoSpec>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleList<T> {
    rule: Vec<T>,
}

/// Colour thresholds (docs/triage.md §3).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ColourRules {
    pub amber_from_grade: u8,
    pub red_from_grade: u8,
    /// A symptom on a drug's early-watch list is amber from this grade.
    pub watch_amber_from_grade: u8,
    /// Whether several symptoms amber by grade make the report red.
    pub two_amber_rule: bool,
    pub amber_count_for_red: usize,
    /// Points on a 0–4 scale that make a symptom worse than in the previous report.
    pub worsening_delta: u8,
    /// Symptoms at least amber from a grade, whatever their colour by grade (the fever floor).
    /// Their grade is unchanged, so they do not count toward the two-amber rule.
    pub floor: Vec<FloorRule>,
}

/// `[[colour.floor]]`: `symptom` of grade `from_grade` or more is at least amber, with `reason`
/// (English, the engine's trace) and `reason_fr` (the staff pages).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FloorRule {
    pub symptom: String,
    pub from_grade: u8,
    pub reason: String,
    pub reason_fr: String,
}

impl ColourRules {
    /// The floor of `symptom` from `from_grade`, for the texts of a reason that names it.
    pub fn floor_rule(&self, symptom: &str, from_grade: u8) -> Option<&FloorRule> {
        self.floor.iter().find(|f| f.symptom == symptom && f.from_grade == from_grade)
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RedFlagSection {
    questions: Vec<String>,
    febrile_on_myelosuppressive: FebrileSection,
    hypertensive_emergency: EmergencySection,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FebrileSection {
    tag: String,
    temperature_from_c: f64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct EmergencySection {
    systolic_from_mmhg: f64,
    diastolic_from_mmhg: f64,
}

/// Red-flag rules (docs/triage.md §3).
#[derive(Debug, Clone, PartialEq)]
pub struct RedFlagRules {
    pub questions: Vec<&'static str>,
    pub febrile_tag: String,
    pub febrile_from_c: f64,
    pub emergency_systolic_from: f64,
    pub emergency_diastolic_from: f64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TextSpec {
    #[serde(default)]
    fr: Option<String>,
    #[serde(default)]
    en: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SelfCareSpec {
    #[serde(default)]
    fr: Option<String>,
    #[serde(default)]
    en: Option<String>,
    /// Whether the advice is also shown for a green symptom of grade 1.
    #[serde(default)]
    when_green: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AdviceSection {
    red_with_phone: TextSpec,
    red_without_phone: TextSpec,
    emergency_first: EmergencyFirstSection,
    amber_contact: TextSpec,
    call_today: CallTodaySection,
    hold: TextSpec,
    self_care: BTreeMap<String, SelfCareSpec>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct EmergencyFirstSection {
    flags: Vec<String>,
    with_phone: TextSpec,
    without_phone: TextSpec,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CallTodaySection {
    symptoms: Vec<String>,
    with_phone: TextSpec,
    without_phone: TextSpec,
}

/// A patient text in each supported language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Localized {
    pub fr: String,
    pub en: String,
}

impl Localized {
    pub fn get(&self, locale: Locale) -> &str {
        match locale {
            Locale::Fr => &self.fr,
            Locale::En => &self.en,
        }
    }
}

fn localized(
    fr: &Option<String>,
    en: &Option<String>,
    key: &str,
    required_slot: Option<&str>,
) -> Result<Localized, String> {
    let one = |text: &Option<String>, lang: &str| -> Result<String, String> {
        let t = text
            .as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| format!("{key}.{lang}: missing text"))?;
        if let Some(p) = required_slot
            && !t.contains(p)
        {
            return Err(format!("{key}.{lang}: the text must contain `{p}`"));
        }
        Ok(t.to_string())
    };
    Ok(Localized { fr: one(fr, "fr")?, en: one(en, "en")? })
}

/// All the rules of triage, validated.
#[derive(Debug, Clone, PartialEq)]
pub struct TriageRules {
    pub grading: GradingRules,
    pub colour: ColourRules,
    pub red_flags: RedFlagRules,
    pub routing: RoutingRules,
    pub interactions: InteractionRules,
    pub advice: AdviceRules,
    pub dosing: DosingRules,
}

impl TriageRules {
    /// Parses `config/triage.toml` with the PRO-CTCAE composite table; errors name the key.
    pub fn from_toml(text: &str, composite_csv: &str) -> Result<Self, String> {
        let file: File = toml::from_str(text).map_err(|e| format!("triage.toml: {e}"))?;
        let composite = CompositeTable::from_csv(composite_csv)?;
        let g = &file.grading;
        if g.ctcae_version.trim().is_empty() {
            return Err("grading.ctcae_version: required".into());
        }
        let grading =
            GradingRules::new(g.ctcae_version.clone(), composite, &file.objective, g.dietitian_referral_from_percent)?;
        check_colour(&file.colour)?;
        let red_flags = red_flag_rules(&file.red_flags)?;
        let routing =
            RoutingRules::new(&file.routing.rule, "routing.rule")?.with_also(&file.routing.also, "routing.also")?;
        let interactions = InteractionRules::new(&file.interactions.rule, "interactions.rule")?;
        let advice = advice_rules(&file.advice)?;
        let d = file.dosing.weight_dose_change_above_percent;
        if !(d.is_finite() && d > 0.0 && d <= 100.0) {
            return Err("dosing.weight_dose_change_above_percent: a percentage above 0, at most 100".into());
        }
        Ok(Self { grading, colour: file.colour, red_flags, routing, interactions, advice, dosing: file.dosing })
    }
}

fn check_colour(c: &ColourRules) -> Result<(), String> {
    if !(1..=4).contains(&c.amber_from_grade) {
        return Err("colour.amber_from_grade: a grade 1–4".into());
    }
    if c.red_from_grade <= c.amber_from_grade || c.red_from_grade > 4 {
        return Err("colour.red_from_grade: a grade above amber_from_grade, at most 4".into());
    }
    if c.watch_amber_from_grade < 1 || c.watch_amber_from_grade > c.amber_from_grade {
        return Err("colour.watch_amber_from_grade: from 1 to amber_from_grade".into());
    }
    if c.amber_count_for_red < 2 {
        return Err("colour.amber_count_for_red: at least 2".into());
    }
    if !(1..=4).contains(&c.worsening_delta) {
        return Err("colour.worsening_delta: 1–4 points on a 0–4 scale".into());
    }
    for (i, f) in c.floor.iter().enumerate() {
        let key = format!("colour.floor[{i}]");
        if symptoms::symptom_key(&f.symptom).is_none() {
            return Err(format!("{key}.symptom: unknown symptom `{}`", f.symptom));
        }
        if !(1..=4).contains(&f.from_grade) {
            return Err(format!("{key}.from_grade: a grade 1–4"));
        }
        if f.reason.trim().is_empty() {
            return Err(format!("{key}.reason: required"));
        }
        if f.reason_fr.trim().is_empty() {
            return Err(format!("{key}.reason_fr: required (the staff pages are in French)"));
        }
    }
    Ok(())
}

fn red_flag_rules(s: &RedFlagSection) -> Result<RedFlagRules, String> {
    let mut questions = Vec::new();
    for q in &s.questions {
        let Some(key) = symptoms::red_flag_question(q) else {
            return Err(format!("red_flags.questions: unknown red-flag question `{q}`"));
        };
        if questions.contains(&key) {
            return Err(format!("red_flags.questions: `{q}` is listed twice"));
        }
        questions.push(key);
    }
    // A question asked to patients but not flagged would make a "yes" silently green.
    if let Some((missing, _)) = symptoms::RED_FLAG_QUESTIONS.iter().find(|(q, _)| !questions.contains(q)) {
        return Err(format!("red_flags.questions: `{missing}` is asked to patients and must raise the flag"));
    }
    let f = &s.febrile_on_myelosuppressive;
    if !KNOWN_TAGS.contains(&f.tag.as_str()) {
        return Err(format!("red_flags.febrile_on_myelosuppressive.tag: unknown tag `{}`", f.tag));
    }
    if !(35.0..=42.0).contains(&f.temperature_from_c) {
        return Err("red_flags.febrile_on_myelosuppressive.temperature_from_c: 35–42 °C".into());
    }
    let h = &s.hypertensive_emergency;
    if !(100.0..=300.0).contains(&h.systolic_from_mmhg) {
        return Err("red_flags.hypertensive_emergency.systolic_from_mmhg: 100–300".into());
    }
    if !(50.0..=200.0).contains(&h.diastolic_from_mmhg) {
        return Err("red_flags.hypertensive_emergency.diastolic_from_mmhg: 50–200".into());
    }
    Ok(RedFlagRules {
        questions,
        febrile_tag: f.tag.clone(),
        febrile_from_c: f.temperature_from_c,
        emergency_systolic_from: h.systolic_from_mmhg,
        emergency_diastolic_from: h.diastolic_from_mmhg,
    })
}

fn advice_rules(a: &AdviceSection) -> Result<AdviceRules, String> {
    let red_with_phone =
        localized(&a.red_with_phone.fr, &a.red_with_phone.en, "advice.red_with_phone", Some("{phone}"))?;
    let red_without_phone =
        localized(&a.red_without_phone.fr, &a.red_without_phone.en, "advice.red_without_phone", None)?;
    let amber_contact =
        localized(&a.amber_contact.fr, &a.amber_contact.en, "advice.amber_contact", Some("{deadline}"))?;
    let e = &a.emergency_first;
    let mut flags = Vec::new();
    for f in &e.flags {
        let Some(key) = symptoms::red_flag_question(f) else {
            return Err(format!("advice.emergency_first.flags: unknown red-flag question `{f}`"));
        };
        flags.push(key);
    }
    let emergency_first = EmergencyFirst {
        flags,
        with_phone: localized(
            &e.with_phone.fr,
            &e.with_phone.en,
            "advice.emergency_first.with_phone",
            Some("{phone}"),
        )?,
        without_phone: localized(
            &e.without_phone.fr,
            &e.without_phone.en,
            "advice.emergency_first.without_phone",
            None,
        )?,
    };
    let c = &a.call_today;
    let mut call_today_symptoms = Vec::new();
    for name in &c.symptoms {
        let Some(symptom) = symptoms::symptom_key(name) else {
            return Err(format!("advice.call_today.symptoms: unknown symptom `{name}`"));
        };
        call_today_symptoms.push(symptom);
    }
    let call_today = CallToday {
        symptoms: call_today_symptoms,
        with_phone: localized(&c.with_phone.fr, &c.with_phone.en, "advice.call_today.with_phone", Some("{phone}"))?,
        without_phone: localized(&c.without_phone.fr, &c.without_phone.en, "advice.call_today.without_phone", None)?,
    };
    let hold = localized(&a.hold.fr, &a.hold.en, "advice.hold", Some("{drug}"))?;
    let mut self_care = BTreeMap::new();
    for (name, s) in &a.self_care {
        let key = format!("advice.self_care.{name}");
        let Some(symptom) = symptoms::symptom_key(name) else {
            return Err(format!("{key}: unknown symptom `{name}`"));
        };
        let text = localized(&s.fr, &s.en, &key, None)?;
        self_care.insert(symptom, SelfCare { text, when_green: s.when_green });
    }
    // Every symptom may turn amber, and an amber symptom always gets its self-care advice.
    if let Some(missing) = symptoms::all_symptoms().find(|s| !self_care.contains_key(s)) {
        return Err(format!("advice.self_care.{missing}: missing advice"));
    }
    Ok(AdviceRules { red_with_phone, red_without_phone, emergency_first, amber_contact, call_today, hold, self_care })
}
