//! Symptom names known to the rules (TRIAGE.md §1–2): the PRO-CTCAE symptom keys, with their
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

/// (symptom key, PRO-CTCAE item number, attributes in asking order). TRIAGE.md §1.
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

/// Symptom names under which objective measures are graded (TRIAGE.md §2.3).
pub const OBJECTIVE: &[&str] = &["fever", "diarrhea", "vomiting", "hypertension", "weight_loss"];

pub fn is_symptom(name: &str) -> bool {
    PRO_CTCAE.iter().any(|(k, _, _)| *k == name) || OBJECTIVE.contains(&name)
}
