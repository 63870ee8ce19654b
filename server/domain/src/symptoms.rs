//! Symptom names known to the rules (docs/triage.md §1–2): the PRO-CTCAE symptom keys, with their
//! item number and attributes, and the names under which objective measures are graded.

/// PRO-CTCAE attribute, in the order an item asks them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Attribute {
    Frequency,
    Severity,
    Interference,
    Presence,
}

impl Attribute {
    pub fn key(self) -> &'static str {
        match self {
            Self::Frequency => "frequency",
            Self::Severity => "severity",
            Self::Interference => "interference",
            Self::Presence => "presence",
        }
    }
}

use Attribute::{Frequency as F, Interference as I, Presence as P, Severity as S};

/// (symptom key, PRO-CTCAE item number, attributes in asking order). docs/triage.md §1.
pub const PRO_CTCAE: &[(&str, u16, &[Attribute])] = &[
    ("mouth_sores", 3, &[S, I]),
    ("decreased_appetite", 8, &[S, I]),
    ("nausea", 9, &[F, S]),
    ("vomiting", 10, &[F, S]),
    ("constipation", 15, &[S]),
    ("diarrhea", 16, &[F]),
    ("abdominal_pain", 17, &[F, S, I]),
    ("shortness_of_breath", 19, &[S, I]),
    ("cough", 20, &[S, I]),
    ("swelling", 22, &[F, S, I]),
    ("palpitations", 23, &[F, S]),
    ("rash", 24, &[P]),
    ("dry_skin", 25, &[S]),
    ("acne", 26, &[S]),
    ("itching", 28, &[S]),
    ("hand_foot_syndrome", 30, &[S]),
    ("numbness_tingling", 39, &[S, I]),
    ("pain", 48, &[F, S, I]),
    ("headache", 49, &[F, S, I]),
    ("fatigue", 53, &[S, I]),
    ("bruising", 73, &[P]),
    ("chills", 74, &[F, S]),
    ("nosebleed", 78, &[F, S]),
];

/// Symptom names under which objective measures are graded (docs/triage.md §2.3).
pub const OBJECTIVE: &[&str] = &["fever", "diarrhea", "vomiting", "hypertension", "weight_loss"];

pub fn is_symptom(name: &str) -> bool {
    PRO_CTCAE.iter().any(|(k, _, _)| *k == name) || OBJECTIVE.contains(&name)
}

/// The attributes of a PRO-CTCAE symptom key, in asking order; `None` for any other name.
pub fn attributes(symptom: &str) -> Option<&'static [Attribute]> {
    PRO_CTCAE.iter().find(|(k, _, _)| *k == symptom).map(|(_, _, a)| *a)
}

/// The PRO-CTCAE symptom key as a `'static` string, if `symptom` is one.
pub fn pro_ctcae_key(symptom: &str) -> Option<&'static str> {
    PRO_CTCAE.iter().find(|(k, _, _)| *k == symptom).map(|(k, _, _)| *k)
}

/// The name of a symptom known to the rules as a `'static` string (PRO-CTCAE or objective).
pub fn symptom_key(symptom: &str) -> Option<&'static str> {
    pro_ctcae_key(symptom).or_else(|| OBJECTIVE.iter().find(|k| **k == symptom).copied())
}

/// Every symptom name known to the rules, PRO-CTCAE keys first, each once.
pub fn all_symptoms() -> impl Iterator<Item = &'static str> {
    PRO_CTCAE.iter().map(|(k, _, _)| *k).chain(OBJECTIVE.iter().copied().filter(|o| pro_ctcae_key(o).is_none()))
}

/// Red-flag yes/no questions (docs/triage.md §1), in contract order, with what a yes means.
pub const RED_FLAG_QUESTIONS: &[(&str, &str)] = &[
    ("chest_pain", "chest pain"),
    ("breathless_at_rest", "shortness of breath at rest"),
    ("bleeding_other", "blood in the urine, stool, vomit or sputum"),
    ("skin_blisters_or_mucosal_lesions", "skin blisters or lesions of the mouth, eyes or genitals"),
    ("one_leg_swollen_painful", "one leg swollen and painful"),
    ("fainting", "fainting"),
    ("unable_to_drink_24h", "unable to drink for 24 hours"),
    ("confusion", "confusion"),
];

pub fn red_flag_question(key: &str) -> Option<&'static str> {
    RED_FLAG_QUESTIONS.iter().find(|(k, _)| *k == key).map(|(k, _)| *k)
}

/// Objective measures a patient may report (docs/triage.md §1), with their types and ranges.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Measure {
    TemperatureC,
    StoolsAboveBaseline,
    VomitingEpisodes24h,
    SystolicMmhg,
    DiastolicMmhg,
    WeightKg,
}

impl Measure {
    pub const ALL: [Self; 6] = [
        Self::TemperatureC,
        Self::StoolsAboveBaseline,
        Self::VomitingEpisodes24h,
        Self::SystolicMmhg,
        Self::DiastolicMmhg,
        Self::WeightKg,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Self::TemperatureC => "temperature_c",
            Self::StoolsAboveBaseline => "stools_above_baseline",
            Self::VomitingEpisodes24h => "vomiting_episodes_24h",
            Self::SystolicMmhg => "systolic_mmhg",
            Self::DiastolicMmhg => "diastolic_mmhg",
            Self::WeightKg => "weight_kg",
        }
    }

    pub fn parse(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.key() == key)
    }

    /// Counts are integers written without a fraction; the others are any JSON number.
    pub fn is_integer(self) -> bool {
        matches!(self, Self::StoolsAboveBaseline | Self::VomitingEpisodes24h)
    }

    /// Inclusive bounds of a valid answer.
    pub fn range(self) -> (f64, f64) {
        match self {
            Self::TemperatureC => (30.0, 45.0),
            Self::StoolsAboveBaseline | Self::VomitingEpisodes24h => (0.0, 50.0),
            Self::SystolicMmhg => (50.0, 300.0),
            Self::DiastolicMmhg => (20.0, 200.0),
            Self::WeightKg => (20.0, 300.0),
        }
    }
}
