//! Two records of the pharmacists around the hand-over (docs/domain.md, "Pharmaceutical
//! interview and medication reconciliation"): the Onco'Link pharmaceutical interview at
//! dispensation (topics covered, time spent, a clinical note) and the medication reconciliation
//! at inclusion (home medications, discrepancies, a decision per medication). What each may
//! say, checked field by field; nothing of storage.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::FieldError;

/// The topics an Onco'Link interview at dispensation may cover: (key, French label). Data, in
/// the order the page lists them.
pub const TOPICS: &[(&str, &str)] = &[
    ("dosing_and_times", "Posologie et horaires de prise"),
    ("side_effects", "Effets indésirables et conduite à tenir"),
    ("interactions_self_medication", "Interactions et automédication"),
    ("adherence", "Observance"),
    ("storage_handling", "Conservation et manipulation"),
    ("when_to_call", "Quand appeler l'équipe"),
];

/// The French label of a topic key, if it is one.
pub fn topic_label(key: &str) -> Option<&'static str> {
    TOPICS.iter().find(|(k, _)| *k == key).map(|(_, l)| *l)
}

/// The English labels of [`TOPICS`], in the same order.
pub const TOPICS_EN: &[(&str, &str)] = &[
    ("dosing_and_times", "Dosing and times of intake"),
    ("side_effects", "Side effects and what to do"),
    ("interactions_self_medication", "Interactions and self-medication"),
    ("adherence", "Adherence"),
    ("storage_handling", "Storage and handling"),
    ("when_to_call", "When to call the team"),
];

/// [`topic_label`] in `locale`.
pub fn topic_label_in(key: &str, locale: crate::triage::Locale) -> Option<&'static str> {
    let table = match locale {
        crate::triage::Locale::Fr => TOPICS,
        crate::triage::Locale::En => TOPICS_EN,
    };
    table.iter().find(|(k, _)| *k == key).map(|(_, l)| *l)
}

/// Longest note kept with an interview or a reconciliation decision (characters).
pub const NOTE_MAX_CHARS: usize = 2000;
/// Time an interview may take, in minutes.
pub const MINUTES: std::ops::RangeInclusive<i64> = 1..=180;
/// Most home medications one reconciliation lists.
pub const MAX_MEDICATIONS: usize = 40;
/// Longest medication name or dosage text (characters).
pub const TEXT_MAX_CHARS: usize = 200;

/// A pharmaceutical interview as checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedInterview {
    pub done_on: NaiveDate,
    /// Topic keys, in the order of [`TOPICS`], each once.
    pub topics: Vec<String>,
    pub minutes: i32,
    pub note: Option<String>,
}

fn note(raw: Option<&str>, field: &str) -> Result<Option<String>, FieldError> {
    match raw.map(str::trim).filter(|n| !n.is_empty()) {
        None => Ok(None),
        Some(n) if n.chars().count() > NOTE_MAX_CHARS => {
            Err(FieldError::new(field, format!("at most {NOTE_MAX_CHARS} characters")))
        }
        Some(n) => Ok(Some(n.to_owned())),
    }
}

/// Checks an interview: done on or before `today` and not before `earliest` (the episode's
/// start, less the days a drug may be handed over before it), at least one known topic, the
/// minutes within [`MINUTES`], the note bounded.
pub fn check_interview(
    done_on: NaiveDate,
    topics: &[String],
    minutes: i64,
    raw_note: Option<&str>,
    earliest: NaiveDate,
    today: NaiveDate,
) -> Result<CheckedInterview, FieldError> {
    if done_on > today {
        return Err(FieldError::new("done_on", format!("today ({today}) or before, not in the future")));
    }
    if done_on < earliest {
        return Err(FieldError::new("done_on", format!("on or after {earliest}")));
    }
    let keys: Vec<&str> = TOPICS.iter().map(|(k, _)| *k).collect();
    if let Some(i) = topics.iter().position(|t| !keys.contains(&t.trim())) {
        return Err(FieldError::new(format!("topics[{i}]"), format!("one of {}", keys.join(", "))));
    }
    let chosen: Vec<String> =
        keys.iter().filter(|k| topics.iter().any(|t| t.trim() == **k)).map(|k| (*k).to_owned()).collect();
    if chosen.is_empty() {
        return Err(FieldError::new("topics", "at least one topic covered"));
    }
    if !MINUTES.contains(&minutes) {
        return Err(FieldError::new("minutes", format!("from {} to {} minutes", MINUTES.start(), MINUTES.end())));
    }
    Ok(CheckedInterview { done_on, topics: chosen, minutes: minutes as i32, note: note(raw_note, "note")? })
}

/// What the hospital pharmacist decides for one home medication.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    Continue,
    Stop,
    Adjust,
}

impl Decision {
    pub const ALL: [Self; 3] = [Self::Continue, Self::Stop, Self::Adjust];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Continue => "continue",
            Self::Stop => "stop",
            Self::Adjust => "adjust",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|d| d.as_str() == s.trim())
    }

    pub fn label_fr(self) -> &'static str {
        match self {
            Self::Continue => "poursuivre",
            Self::Stop => "arrêter",
            Self::Adjust => "adapter",
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            Self::Continue => "continue",
            Self::Stop => "stop",
            Self::Adjust => "adjust",
        }
    }
}

/// One home medication and the decision taken, as stored (JSON of the reconciliation).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Medication {
    pub name: String,
    /// Dose and frequency as the patient takes it ("1 comprimé matin et soir").
    pub dosage: String,
    pub decision: Decision,
    pub decision_note: Option<String>,
}

/// A medication as a client sends it (the decision as text, checked here).
#[derive(Debug, Clone, Default)]
pub struct RawMedication<'a> {
    pub name: &'a str,
    pub dosage: &'a str,
    pub decision: &'a str,
    pub decision_note: Option<&'a str>,
}

/// A reconciliation as checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedReconciliation {
    pub reconciled_on: NaiveDate,
    pub medications: Vec<Medication>,
    pub discrepancies: Vec<String>,
}

fn text(raw: &str, field: String, what: &str) -> Result<String, FieldError> {
    let t = raw.trim();
    if t.is_empty() {
        return Err(FieldError::new(field, format!("{what}: required")));
    }
    if t.chars().count() > TEXT_MAX_CHARS {
        return Err(FieldError::new(field, format!("{what}: at most {TEXT_MAX_CHARS} characters")));
    }
    Ok(t.to_owned())
}

/// Checks a reconciliation: dated on or before `today` and not before `earliest`, at least one
/// medication (each named, with its dosage and a decision; adjusting needs a word on how),
/// discrepancies as bounded lines (empty lines dropped).
pub fn check_reconciliation(
    reconciled_on: NaiveDate,
    medications: &[RawMedication<'_>],
    discrepancies: &[String],
    earliest: NaiveDate,
    today: NaiveDate,
) -> Result<CheckedReconciliation, FieldError> {
    if reconciled_on > today {
        return Err(FieldError::new("reconciled_on", format!("today ({today}) or before, not in the future")));
    }
    if reconciled_on < earliest {
        return Err(FieldError::new("reconciled_on", format!("on or after {earliest}")));
    }
    if medications.is_empty() {
        return Err(FieldError::new("medications", "at least one home medication"));
    }
    if medications.len() > MAX_MEDICATIONS {
        return Err(FieldError::new("medications", format!("at most {MAX_MEDICATIONS}")));
    }
    let mut out = Vec::with_capacity(medications.len());
    for (i, m) in medications.iter().enumerate() {
        let name = text(m.name, format!("medications[{i}].name"), "name")?;
        let dosage = text(m.dosage, format!("medications[{i}].dosage"), "dose and frequency")?;
        let decision = Decision::parse(m.decision).ok_or_else(|| {
            FieldError::new(
                format!("medications[{i}].decision"),
                format!("one of {}", Decision::ALL.map(Decision::as_str).join(", ")),
            )
        })?;
        let decision_note = note(m.decision_note, &format!("medications[{i}].decision_note"))?;
        if decision == Decision::Adjust && decision_note.is_none() {
            return Err(FieldError::new(format!("medications[{i}].decision_note"), "say how the dose is adjusted"));
        }
        out.push(Medication { name, dosage, decision, decision_note });
    }
    let mut lines = Vec::new();
    for (i, d) in discrepancies.iter().enumerate() {
        let d = d.trim();
        if d.is_empty() {
            continue;
        }
        if d.chars().count() > NOTE_MAX_CHARS {
            return Err(FieldError::new(format!("discrepancies[{i}]"), format!("at most {NOTE_MAX_CHARS} characters")));
        }
        lines.push(d.to_owned());
    }
    Ok(CheckedReconciliation { reconciled_on, medications: out, discrepancies: lines })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    /// Every topic has its English label, and it is not the French one left in place.
    #[test]
    fn every_topic_has_an_english_label() {
        assert_eq!(TOPICS.len(), TOPICS_EN.len());
        for (key, fr) in TOPICS {
            let en = topic_label_in(key, crate::triage::Locale::En);
            assert!(en.is_some_and(|en| en != *fr), "{key}");
        }
        assert_eq!(topic_label_in("when_to_call", crate::triage::Locale::Fr), Some("Quand appeler l'équipe"));
    }

    #[test]
    fn an_interview_keeps_known_topics_in_order_and_bounds_its_fields() {
        let (start, today) = (day("2026-11-01"), day("2026-11-23"));
        let topics = vec!["when_to_call".to_owned(), "dosing_and_times".to_owned(), "when_to_call".to_owned()];
        let ok = check_interview(day("2026-11-23"), &topics, 20, Some("  vu  "), start, today).unwrap();
        assert_eq!(ok.topics, ["dosing_and_times", "when_to_call"]);
        assert_eq!(ok.note.as_deref(), Some("vu"));
        let field = |r: Result<CheckedInterview, FieldError>| r.unwrap_err().field;
        assert_eq!(field(check_interview(day("2026-11-24"), &topics, 20, None, start, today)), "done_on");
        assert_eq!(field(check_interview(day("2026-10-01"), &topics, 20, None, start, today)), "done_on");
        assert_eq!(field(check_interview(today, &[], 20, None, start, today)), "topics");
        assert_eq!(field(check_interview(today, &["x".to_owned()], 20, None, start, today)), "topics[0]");
        assert_eq!(field(check_interview(today, &topics, 0, None, start, today)), "minutes");
        assert_eq!(field(check_interview(today, &topics, 181, None, start, today)), "minutes");
        assert!(check_interview(today, &topics, 180, None, start, today).is_ok());
        let long = "é".repeat(NOTE_MAX_CHARS + 1);
        assert_eq!(field(check_interview(today, &topics, 10, Some(&long), start, today)), "note");
    }

    #[test]
    fn a_reconciliation_names_the_medication_field_it_refuses() {
        let (start, today) = (day("2026-11-01"), day("2026-11-23"));
        let m =
            |decision, note| RawMedication {
                name: "Kardégic", dosage: "75 mg le midi", decision, decision_note: note
            };
        let ok = check_reconciliation(
            today,
            &[m("continue", None), m("adjust", Some("75 mg un jour sur deux"))],
            &["".to_owned(), " oubli de l'oméprazole ".to_owned()],
            start,
            today,
        )
        .unwrap();
        assert_eq!(ok.medications[1].decision, Decision::Adjust);
        assert_eq!(ok.discrepancies, ["oubli de l'oméprazole"]);
        let field = |r: Result<CheckedReconciliation, FieldError>| r.unwrap_err().field;
        assert_eq!(field(check_reconciliation(today, &[], &[], start, today)), "medications");
        assert_eq!(
            field(check_reconciliation(today, &[m("keep", None)], &[], start, today)),
            "medications[0].decision"
        );
        assert_eq!(
            field(check_reconciliation(today, &[m("continue", None), m("adjust", None)], &[], start, today)),
            "medications[1].decision_note"
        );
        let unnamed = RawMedication { name: " ", ..m("stop", None) };
        assert_eq!(field(check_reconciliation(today, &[unnamed], &[], start, today)), "medications[0].name");
        assert_eq!(
            field(check_reconciliation(day("2026-11-24"), &[m("stop", None)], &[], start, today)),
            "reconciled_on"
        );
    }
}
