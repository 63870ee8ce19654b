//! Emergency visits and unplanned hospitalisations declared by professionals (docs/domain.md,
//! "Evaluation indicators"): what a declaration may say.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::FieldError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CareEventKind {
    /// A visit to an emergency department (passage aux urgences), admitted or not.
    EmergencyVisit,
    /// A hospital stay that was not planned (hospitalisation non programmée).
    UnplannedHospitalisation,
}

impl CareEventKind {
    pub const ALL: [Self; 2] = [Self::EmergencyVisit, Self::UnplannedHospitalisation];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::EmergencyVisit => "emergency_visit",
            Self::UnplannedHospitalisation => "unplanned_hospitalisation",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// Longest free-text note kept with a declaration.
pub const NOTE_MAX_CHARS: usize = 2000;

/// Checks a declaration against its episode. The event must fall within the follow-up (from
/// the episode's start to its end, if it ended) and not after the patient's local today.
pub fn check(
    kind: &str,
    date: NaiveDate,
    note: Option<&str>,
    episode_start: NaiveDate,
    episode_end: Option<NaiveDate>,
    today: NaiveDate,
) -> Result<CareEventKind, FieldError> {
    let kind = CareEventKind::parse(kind).ok_or_else(|| {
        FieldError::new("kind", format!("one of {}", CareEventKind::ALL.map(CareEventKind::as_str).join(", ")))
    })?;
    if date > today {
        return Err(FieldError::new("date", "is in the future"));
    }
    if date < episode_start {
        return Err(FieldError::new("date", format!("is before the episode's start ({episode_start})")));
    }
    if let Some(end) = episode_end
        && date > end
    {
        return Err(FieldError::new("date", format!("is after the episode's end ({end})")));
    }
    if let Some(n) = note
        && n.chars().count() > NOTE_MAX_CHARS
    {
        return Err(FieldError::new("note", format!("at most {NOTE_MAX_CHARS} characters")));
    }
    Ok(kind)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn a_declaration_within_the_follow_up_is_accepted() {
        let start = d("2026-11-01");
        for day in ["2026-11-01", "2026-11-15", "2026-11-23"] {
            assert_eq!(
                check("emergency_visit", d(day), None, start, None, d("2026-11-23")),
                Ok(CareEventKind::EmergencyVisit)
            );
        }
        assert_eq!(
            check(
                "unplanned_hospitalisation",
                d("2026-11-10"),
                Some("fièvre"),
                start,
                Some(d("2026-11-10")),
                d("2026-11-23")
            ),
            Ok(CareEventKind::UnplannedHospitalisation)
        );
    }

    #[test]
    fn each_bad_value_names_its_field() {
        let (start, today) = (d("2026-11-01"), d("2026-11-23"));
        let field = |r: Result<CareEventKind, FieldError>| r.unwrap_err().field;
        assert_eq!(field(check("er_visit", today, None, start, None, today)), "kind");
        assert_eq!(field(check("Emergency_visit", today, None, start, None, today)), "kind");
        assert_eq!(field(check("emergency_visit", d("2026-11-24"), None, start, None, today)), "date");
        assert_eq!(field(check("emergency_visit", d("2026-10-31"), None, start, None, today)), "date");
        assert_eq!(field(check("emergency_visit", d("2026-11-20"), None, start, Some(d("2026-11-19")), today)), "date");
        let long = "x".repeat(NOTE_MAX_CHARS + 1);
        assert_eq!(field(check("emergency_visit", today, Some(&long), start, None, today)), "note");
        assert!(check("emergency_visit", today, Some(&"é".repeat(NOTE_MAX_CHARS)), start, None, today).is_ok());
    }

    #[test]
    fn kinds_round_trip() {
        for k in CareEventKind::ALL {
            assert_eq!(CareEventKind::parse(k.as_str()), Some(k));
        }
    }
}
