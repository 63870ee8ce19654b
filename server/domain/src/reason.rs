//! Why the engine decided what it did (docs/triage.md, "Reasons"): a code with its parameters,
//! never a sentence. Readers get [`Reason::render`] in their language, French first and English
//! complete, with the names of the rules (symptoms, drugs, red flags, interaction rules) and
//! numbers and dates written their way. The API also keeps [`Reason::trace`], the engine's
//! English text of earlier versions, so that what integrators parsed before still reads the same.
//!
//! Stored as `{"code": "...", "params": {...}}`. Reasons stored as plain English text before
//! the codes are read back as [`Reason::Text`] (see [`read_stored`]) and shown as they were,
//! in French where the text is one the engine is known to have written.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::adherence::AdherenceReason;
use crate::calendar::{day_en, day_fr};
use crate::catalog::Catalog;
use crate::colour::Colour;
use crate::questionnaire::{Module, QuestionBank};
use crate::symptoms;
use crate::triage::{Locale, TriageRules};

/// One attribute of a PRO-CTCAE item and the score answered (0–4).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AttributeValue {
    /// `frequency`, `severity`, `interference` or `presence`.
    pub attribute: String,
    pub value: u8,
}

/// An attribute that worsened since the previous report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Change {
    pub attribute: String,
    pub before: u8,
    pub now: u8,
}

/// A reason: `code` says which rule, `params` what it saw. Keys are catalogue drug keys,
/// symptom keys and red-flag names of docs/triage.md; numbers are as measured.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "code", content = "params", rename_all = "snake_case")]
pub enum Reason {
    /// A PRO-CTCAE presence item answered yes or no, and the grade it gives.
    ProctcaePresence { present: bool, grade: u8 },
    /// The PRO-CTCAE composite grade of a symptom's answered attributes.
    ProctcaeComposite { grade: u8, attributes: Vec<AttributeValue> },
    /// A CTCAE grade from a measure (`temperature_c`, `stools_above_baseline`,
    /// `vomiting_episodes_24h`, `systolic_mmhg`, `diastolic_mmhg`, `weight_loss_percent`).
    Ctcae {
        version: String,
        grade: u8,
        measure: String,
        value: f64,
        /// The baseline weight, for `weight_loss_percent`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        baseline_kg: Option<f64>,
    },
    /// A weight loss at or above the dietitian threshold.
    DietitianReferral { from_percent: f64 },
    /// The colour a grade gives.
    GradeColour { grade: u8, colour: Colour },
    /// The symptom is on the early-watch list of these drugs.
    EarlyWatch { drugs: Vec<String>, from_grade: u8 },
    /// Worse than in the previous report by the worsening rule's points.
    Worsened { changes: Vec<Change> },
    /// A floor of `[[colour.floor]]` (the fever floor).
    Floor { symptom: String, from_grade: u8 },
    /// A red-flag question answered yes.
    RedFlagAnswer { flag: String },
    /// A fever on a drug with the febrile tag.
    FebrileOnMyelosuppressive { temperature_c: f64, from_c: f64, drugs: Vec<String>, tag: String },
    /// Blood pressure at or above the emergency threshold.
    HypertensiveEmergency {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        systolic_mmhg: Option<f64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        diastolic_mmhg: Option<f64>,
        from_systolic: f64,
        from_diastolic: f64,
    },
    /// The report is red because of this red flag.
    RedFlag { flag: String },
    /// The report is red because of these red symptoms.
    RedSymptoms { symptoms: Vec<String> },
    /// The report is red because several symptoms are amber by grade (UKONS).
    SeveralAmbers { count: usize, grade: u8, symptoms: Vec<String> },
    /// The report is amber because of these amber symptoms.
    AmberSymptoms { symptoms: Vec<String> },
    /// Green: nothing amber or red.
    NothingAmberOrRed,
    /// The patient described another symptom in their own words.
    OtherSymptom,
    /// Adherence below a threshold over the window.
    Adherence(AdherenceReason),
    /// A second intake reported for a dose already taken.
    SecondIntake { drug: String, date: NaiveDate, time: String },
    /// A dose vomited.
    DoseVomited { drug: String, date: NaiveDate, time: String },
    /// A rule of `[[interactions.rule]]` between two products.
    Interaction { a: String, b: String, rule: String },
    /// Questionnaires in a row not answered.
    MissedQuestionnaires { count: usize, last_due: NaiveDate },
    /// A new weight moves a dose computed per m² (`per_m2`) or per kg (`per_kg`).
    DoseReweighed {
        drug: String,
        basis: String,
        old_weight_kg: f64,
        new_weight_kg: f64,
        old_mg: f64,
        new_mg: f64,
        change_percent: f64,
        prescribed_mg: f64,
    },
    /// A reason stored as text before the codes, shown as it was stored.
    Text { text: String },
}

/// What rendering needs of the rules: the names of symptoms and red flags (the item bank), of
/// drugs (the catalogue), and the texts of floors and interaction rules (triage rules).
#[derive(Clone, Copy)]
pub struct Vocabulary<'a> {
    pub bank: &'a QuestionBank,
    pub catalog: &'a Catalog,
    pub rules: &'a TriageRules,
}

/// Reasons stored as JSON: the codes, or the plain texts of rows written before them.
pub fn read_stored(json: &str) -> Result<Vec<Reason>, serde_json::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Stored {
        Coded(Reason),
        Text(String),
    }
    let stored: Vec<Stored> = serde_json::from_str(json)?;
    Ok(stored
        .into_iter()
        .map(|s| match s {
            Stored::Coded(r) => r,
            Stored::Text(text) => Reason::Text { text },
        })
        .collect())
}

/// A number as the reader writes it: "38,3" in French, "38.3" in English.
fn num(x: f64, locale: Locale) -> String {
    let text = format!("{x}");
    match locale {
        Locale::Fr => text.replace('.', ","),
        Locale::En => text,
    }
}

fn day(d: NaiveDate, locale: Locale) -> String {
    match locale {
        Locale::Fr => day_fr(d),
        Locale::En => day_en(d),
    }
}

fn attribute_name(key: &str, locale: Locale) -> &str {
    match (key, locale) {
        ("frequency", Locale::Fr) => "fréquence",
        ("severity", Locale::Fr) => "sévérité",
        ("interference", Locale::Fr) => "gêne dans les activités",
        ("presence", Locale::Fr) => "présence",
        ("interference", Locale::En) => "interference with activities",
        (other, _) => other,
    }
}

fn colour_name(c: Colour, locale: Locale) -> &'static str {
    match (c, locale) {
        (Colour::Green, Locale::Fr) => "vert",
        (Colour::Amber, Locale::Fr) => "orange",
        (Colour::Red, Locale::Fr) => "rouge",
        (c, Locale::En) => c.as_str(),
    }
}

/// A measure and its value, as the engine's English trace wrote it.
fn measure_trace(measure: &str, x: f64, baseline: Option<f64>) -> String {
    match measure {
        "temperature_c" => format!("temperature {x} °C"),
        "stools_above_baseline" => format!("{x} stools a day above usual"),
        "vomiting_episodes_24h" => format!("{x} vomiting episodes in 24 h"),
        "systolic_mmhg" => format!("systolic {x} mmHg"),
        "diastolic_mmhg" => format!("diastolic {x} mmHg"),
        // Shown rounded down, so that the text never crosses a band the grade did not.
        "weight_loss_percent" | "weight_kg" => format!(
            "weight loss {} % from the baseline of {} kg",
            (x * 100.0).floor() / 100.0,
            baseline.unwrap_or_default()
        ),
        other => format!("{other} {x}"),
    }
}

fn measure_fr(measure: &str, x: f64, baseline: Option<f64>) -> String {
    let n = |x: f64| num(x, Locale::Fr);
    match measure {
        "temperature_c" => format!("température {} °C", n(x)),
        "stools_above_baseline" => format!("{} selles par jour de plus que d'habitude", n(x)),
        "vomiting_episodes_24h" => format!("{} vomissements en 24 h", n(x)),
        "systolic_mmhg" => format!("systolique {} mmHg", n(x)),
        "diastolic_mmhg" => format!("diastolique {} mmHg", n(x)),
        "weight_loss_percent" | "weight_kg" => format!(
            "perte de poids de {} % par rapport au poids de référence de {} kg",
            n((x * 100.0).floor() / 100.0),
            n(baseline.unwrap_or_default())
        ),
        other => format!("{other} {}", n(x)),
    }
}

fn blood_pressure(s: Option<f64>, d: Option<f64>, locale: Locale) -> String {
    let n = |x: f64| num(x, locale);
    match (s, d, locale) {
        (Some(s), Some(d), Locale::En) => format!("blood pressure {}/{} mmHg", n(s), n(d)),
        (Some(s), Some(d), Locale::Fr) => format!("pression artérielle {}/{} mmHg", n(s), n(d)),
        (Some(s), None, Locale::En) => format!("systolic {} mmHg", n(s)),
        (Some(s), None, Locale::Fr) => format!("systolique {} mmHg", n(s)),
        (None, Some(d), Locale::En) => format!("diastolic {} mmHg", n(d)),
        (None, Some(d), Locale::Fr) => format!("diastolique {} mmHg", n(d)),
        (None, None, _) => String::new(),
    }
}

impl Vocabulary<'_> {
    fn symptom(&self, key: &str, locale: Locale) -> String {
        self.bank.symptom_name(key, locale).to_lowercase()
    }

    fn symptoms(&self, keys: &[String], locale: Locale) -> String {
        keys.iter().map(|k| self.symptom(k, locale)).collect::<Vec<_>>().join(", ")
    }

    /// A catalogue drug by its name in `locale`; a co-medication (not in the catalogue) as written.
    fn drug(&self, key: &str, locale: Locale) -> String {
        self.catalog.name_in(key, locale).to_owned()
    }

    fn drugs(&self, keys: &[String], locale: Locale) -> String {
        keys.iter().map(|k| self.drug(k, locale)).collect::<Vec<_>>().join(", ")
    }

    /// A red flag: a question of the bank by its module name, a flag the engine raises from a
    /// measure by this table.
    fn flag(&self, flag: &str, locale: Locale) -> String {
        match (flag, locale) {
            ("febrile_on_myelosuppressive", Locale::Fr) => "fièvre sous traitement myélosuppresseur".into(),
            ("febrile_on_myelosuppressive", Locale::En) => "fever on a myelosuppressive drug".into(),
            ("hypertensive_emergency", Locale::Fr) => "pression artérielle au seuil d'urgence".into(),
            ("hypertensive_emergency", Locale::En) => "blood pressure at the emergency threshold".into(),
            _ => match Module::parse(flag) {
                Some(m @ Module::RedFlag(_)) => self.bank.module_name(m, locale).to_lowercase(),
                _ => flag.replace('_', " "),
            },
        }
    }
}

impl Reason {
    /// The engine's English text (the API's `reasons`, as before the codes). Floors and
    /// interaction rules quote their rule's text from `rules`.
    pub fn trace(&self, rules: &TriageRules) -> String {
        match self {
            Self::ProctcaePresence { present, grade } => {
                format!("PRO-CTCAE presence item answered {}: grade {grade}", if *present { "yes" } else { "no" })
            }
            Self::ProctcaeComposite { grade, attributes } => {
                let listed: Vec<String> = attributes.iter().map(|a| format!("{} {}", a.attribute, a.value)).collect();
                format!("PRO-CTCAE composite grade {grade} ({})", listed.join(", "))
            }
            Self::Ctcae { version, grade, measure, value, baseline_kg } => {
                format!("CTCAE v{version} grade {grade}: {}", measure_trace(measure, *value, *baseline_kg))
            }
            Self::DietitianReferral { from_percent } => {
                format!("dietitian referral advised from {from_percent} % weight loss")
            }
            Self::GradeColour { grade, colour } => format!("grade {grade}: {}", colour.as_str()),
            Self::EarlyWatch { drugs, from_grade } => {
                format!("on the early-watch list of {}: amber from grade {from_grade}", drugs.join(", "))
            }
            Self::Worsened { changes } => {
                let listed: Vec<String> =
                    changes.iter().map(|c| format!("{} {} → {}", c.attribute, c.before, c.now)).collect();
                format!("worsened since the previous report ({}): at least amber", listed.join(", "))
            }
            Self::Floor { symptom, from_grade } => {
                let why = rules.colour.floor_rule(symptom, *from_grade).map_or(symptom.as_str(), |f| f.reason.as_str());
                format!("{why}: at least amber from grade {from_grade}")
            }
            Self::RedFlagAnswer { flag } => {
                let what =
                    symptoms::RED_FLAG_QUESTIONS.iter().find(|(q, _)| q == flag).map_or(flag.as_str(), |(_, w)| w);
                format!("answered yes: {what}")
            }
            Self::FebrileOnMyelosuppressive { temperature_c, from_c, drugs, tag } => format!(
                "temperature {temperature_c} °C (from {from_c} °C) on {} ({tag}): risk of febrile neutropenia (IDSA)",
                drugs.join(", ")
            ),
            Self::HypertensiveEmergency { systolic_mmhg, diastolic_mmhg, from_systolic, from_diastolic } => format!(
                "{}: at or above the emergency threshold of {from_systolic}/{from_diastolic} mmHg (IC-OS)",
                blood_pressure(*systolic_mmhg, *diastolic_mmhg, Locale::En)
            ),
            Self::RedFlag { flag } => format!("red flag: {flag}"),
            Self::RedSymptoms { symptoms } => format!("red symptom: {}", symptoms.join(", ")),
            Self::SeveralAmbers { count, grade, symptoms } => format!(
                "{count} symptoms of grade {grade} ({}): more than one amber is red (UKONS)",
                symptoms.join(", ")
            ),
            Self::AmberSymptoms { symptoms } => format!("amber symptom: {}", symptoms.join(", ")),
            Self::NothingAmberOrRed => "no red flag and no amber or red symptom".into(),
            Self::OtherSymptom => {
                "another symptom described by the patient in their own words: at least amber, to the IDEC".into()
            }
            Self::Adherence(a) => a.english(),
            Self::SecondIntake { drug, date, time } => {
                format!("second intake reported for the {time} dose of {date} ({drug}): possible double dose")
            }
            Self::DoseVomited { drug, date, time } => {
                format!("dose vomited ({drug} {date} {time}): re-dosing rules differ by drug")
            }
            Self::Interaction { a, b, rule } => {
                let why = rules.interactions.rule_reason(rule, Locale::En).unwrap_or(rule.as_str());
                format!("{a} + {b}: {why}")
            }
            Self::MissedQuestionnaires { count, last_due } => {
                format!("{count} questionnaires in a row not answered (last due {last_due})")
            }
            Self::DoseReweighed { drug, .. } => self.reweighed(Locale::En, drug),
            Self::Text { text } => text.clone(),
        }
    }

    /// The reason as a reader of `locale` reads it.
    pub fn render(&self, locale: Locale, v: Vocabulary<'_>) -> String {
        if locale == Locale::En {
            return self.render_en(v);
        }
        let n = |x: f64| num(x, Locale::Fr);
        match self {
            Self::ProctcaePresence { present, grade } => {
                format!("PRO-CTCAE : symptôme {}, grade {grade}", if *present { "présent" } else { "absent" })
            }
            Self::ProctcaeComposite { grade, attributes } => {
                let listed: Vec<String> = attributes
                    .iter()
                    .map(|a| format!("{} {}", attribute_name(&a.attribute, Locale::Fr), a.value))
                    .collect();
                format!("PRO-CTCAE : grade composite {grade} ({})", listed.join(", "))
            }
            Self::Ctcae { version, grade, measure, value, baseline_kg } => {
                format!("CTCAE v{version} grade {grade} : {}", measure_fr(measure, *value, *baseline_kg))
            }
            Self::DietitianReferral { from_percent } => {
                format!("avis diététique conseillé dès {} % de perte de poids", n(*from_percent))
            }
            Self::GradeColour { grade, colour } => format!("grade {grade} : {}", colour_name(*colour, Locale::Fr)),
            Self::EarlyWatch { drugs, from_grade } => format!(
                "symptôme à surveiller de près sous {} : orange dès le grade {from_grade}",
                v.drugs(drugs, Locale::Fr)
            ),
            Self::Worsened { changes } => {
                let listed: Vec<String> = changes
                    .iter()
                    .map(|c| format!("{} {} → {}", attribute_name(&c.attribute, Locale::Fr), c.before, c.now))
                    .collect();
                format!("aggravation depuis le signalement précédent ({}) : au moins orange", listed.join(", "))
            }
            Self::Floor { symptom, from_grade } => {
                let why = v
                    .rules
                    .colour
                    .floor_rule(symptom, *from_grade)
                    .map_or_else(|| v.symptom(symptom, Locale::Fr), |f| f.reason_fr.clone());
                format!("{why} : au moins orange dès le grade {from_grade}")
            }
            Self::RedFlagAnswer { flag } => format!("réponse oui : {}", v.flag(flag, Locale::Fr)),
            Self::FebrileOnMyelosuppressive { temperature_c, from_c, drugs, .. } => format!(
                "température {} °C (seuil {} °C) sous {} : risque de neutropénie fébrile (IDSA)",
                n(*temperature_c),
                n(*from_c),
                v.drugs(drugs, Locale::Fr)
            ),
            Self::HypertensiveEmergency { systolic_mmhg, diastolic_mmhg, from_systolic, from_diastolic } => format!(
                "{} : au seuil d'urgence de {}/{} mmHg ou au-dessus (IC-OS)",
                blood_pressure(*systolic_mmhg, *diastolic_mmhg, Locale::Fr),
                n(*from_systolic),
                n(*from_diastolic)
            ),
            Self::RedFlag { flag } => format!("signe d'alerte : {}", v.flag(flag, Locale::Fr)),
            Self::RedSymptoms { symptoms } => format!("symptôme rouge : {}", v.symptoms(symptoms, Locale::Fr)),
            Self::SeveralAmbers { count, grade, symptoms } => format!(
                "{count} symptômes de grade {grade} ({}) : plus d'un symptôme orange fait une alerte rouge (UKONS)",
                v.symptoms(symptoms, Locale::Fr)
            ),
            Self::AmberSymptoms { symptoms } => format!("symptôme orange : {}", v.symptoms(symptoms, Locale::Fr)),
            Self::NothingAmberOrRed => "ni signe d'alerte, ni symptôme orange ou rouge".into(),
            Self::OtherSymptom => {
                "autre symptôme décrit par le patient avec ses mots : au moins orange, pour l'IDEC".into()
            }
            Self::Adherence(a) => a.french(),
            Self::SecondIntake { drug, date, time } => format!(
                "deuxième prise signalée pour la prise de {time} du {} ({}) : double dose possible",
                day(*date, Locale::Fr),
                v.drug(drug, Locale::Fr)
            ),
            Self::DoseVomited { drug, date, time } => format!(
                "prise vomie ({}, {} à {time}) : la conduite à tenir dépend du médicament",
                v.drug(drug, Locale::Fr),
                day(*date, Locale::Fr)
            ),
            Self::Interaction { a, b, rule } => {
                let why = v.rules.interactions.rule_reason(rule, Locale::Fr).unwrap_or(rule.as_str());
                format!("{} + {} : {why}", v.drug(a, Locale::Fr), v.drug(b, Locale::Fr))
            }
            Self::MissedQuestionnaires { count, last_due } => format!(
                "{count} questionnaires de suite sans réponse (dernier attendu le {})",
                day(*last_due, Locale::Fr)
            ),
            Self::DoseReweighed { drug, .. } => self.reweighed(Locale::Fr, &v.drug(drug, Locale::Fr)),
            Self::Text { text } => text_fr(text, v.rules),
        }
    }

    fn render_en(&self, v: Vocabulary<'_>) -> String {
        let en = Locale::En;
        match self {
            Self::ProctcaeComposite { grade, attributes } => {
                let listed: Vec<String> =
                    attributes.iter().map(|a| format!("{} {}", attribute_name(&a.attribute, en), a.value)).collect();
                format!("PRO-CTCAE composite grade {grade} ({})", listed.join(", "))
            }
            Self::EarlyWatch { drugs, from_grade } => {
                format!("symptom to watch closely on {}: amber from grade {from_grade}", v.drugs(drugs, en))
            }
            Self::RedFlagAnswer { flag } => format!("answered yes: {}", v.flag(flag, en)),
            Self::FebrileOnMyelosuppressive { temperature_c, from_c, drugs, .. } => format!(
                "temperature {temperature_c} °C (threshold {from_c} °C) on {}: risk of febrile neutropenia (IDSA)",
                v.drugs(drugs, en)
            ),
            Self::RedFlag { flag } => format!("red flag: {}", v.flag(flag, en)),
            Self::RedSymptoms { symptoms } => format!("red symptom: {}", v.symptoms(symptoms, en)),
            Self::SeveralAmbers { count, grade, symptoms } => format!(
                "{count} symptoms of grade {grade} ({}): more than one amber makes a red alert (UKONS)",
                v.symptoms(symptoms, en)
            ),
            Self::AmberSymptoms { symptoms } => format!("amber symptom: {}", v.symptoms(symptoms, en)),
            Self::SecondIntake { drug, date, time } => format!(
                "second intake reported for the {time} dose of {} ({}): possible double dose",
                day(*date, en),
                v.drug(drug, en)
            ),
            Self::DoseVomited { drug, date, time } => format!(
                "dose vomited ({}, {} at {time}): re-dosing rules differ by drug",
                v.drug(drug, en),
                day(*date, en)
            ),
            Self::Interaction { a, b, rule } => {
                let why = v.rules.interactions.rule_reason(rule, en).unwrap_or(rule.as_str());
                format!("{} + {}: {why}", v.drug(a, en), v.drug(b, en))
            }
            Self::MissedQuestionnaires { count, last_due } => {
                format!("{count} questionnaires in a row not answered (last due {})", day(*last_due, en))
            }
            Self::DoseReweighed { drug, .. } => self.reweighed(en, &v.drug(drug, en)),
            _ => self.trace(v.rules),
        }
    }

    /// The text of a `dose_reweighed` reason, the drug named `name`.
    fn reweighed(&self, locale: Locale, name: &str) -> String {
        let Self::DoseReweighed {
            basis,
            old_weight_kg,
            new_weight_kg,
            old_mg,
            new_mg,
            change_percent,
            prescribed_mg,
            ..
        } = self
        else {
            return String::new();
        };
        let sign = if *change_percent >= 0.0 { "+" } else { "−" };
        let n = |x: f64| match locale {
            Locale::Fr => crate::dosing::french_number(x),
            Locale::En => format!("{}", (x * 10.0).round() / 10.0),
        };
        let pct = match locale {
            Locale::Fr => crate::dosing::french_decimals(change_percent.abs(), 1),
            Locale::En => format!("{:.1}", change_percent.abs()),
        };
        match locale {
            Locale::Fr => format!(
                "{name} (dose {}) : poids {} kg → {} kg, dose calculée {} mg → {} mg ({sign}{pct} %) ; \
                 dose prescrite inchangée ({} mg), à réévaluer",
                if basis == "per_kg" { "par kg" } else { "par m²" },
                n(*old_weight_kg),
                n(*new_weight_kg),
                n(*old_mg),
                n(*new_mg),
                n(*prescribed_mg),
            ),
            Locale::En => format!(
                "{name} (dose {}): weight {} kg → {} kg, computed dose {} mg → {} mg ({sign}{pct} %); \
                 prescribed dose unchanged ({} mg), to re-evaluate",
                if basis == "per_kg" { "per kg" } else { "per m²" },
                n(*old_weight_kg),
                n(*new_weight_kg),
                n(*old_mg),
                n(*new_mg),
                n(*prescribed_mg),
            ),
        }
    }
}

/// A reason stored as text before the codes, in French where it is a text the engine is known
/// to have written (adherence, interaction); otherwise as stored.
fn text_fr(text: &str, rules: &TriageRules) -> String {
    if let Some(r) = AdherenceReason::parse(text) {
        return r.french();
    }
    rules.interactions.reason_in_french(text).unwrap_or_else(|| text.to_owned())
}

#[cfg(test)]
mod tests;
