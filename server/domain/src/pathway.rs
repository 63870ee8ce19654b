//! The episode's care pathway (docs/domain.md "Episode, parcours, sequences"): which sequence follows
//! which, when, and what a professional may decide. Pure: dates in, transitions out.

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

use super::Sequence;

/// Nominal sequence lengths in calendar months (config `pathway.toml`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PathwayRules {
    pub s1_months: u32,
    pub s2_months: u32,
    pub s3_months: u32,
}

impl PathwayRules {
    pub fn months(&self, kind: Sequence) -> u32 {
        match kind {
            Sequence::S1 => self.s1_months,
            Sequence::S2 => self.s2_months,
            Sequence::S3 => self.s3_months,
        }
    }

    pub fn validate(&self) -> Result<(), String> {
        for (key, m) in [("s1_months", self.s1_months), ("s2_months", self.s2_months), ("s3_months", self.s3_months)] {
            if !(1..=24).contains(&m) {
                return Err(format!("{key}: a sequence lasts 1 to 24 months, not {m}"));
            }
        }
        Ok(())
    }

    pub fn planned_end(&self, kind: Sequence, start: NaiveDate) -> NaiveDate {
        add_months(start, self.months(kind))
    }
}

/// Calendar-month arithmetic: the same day of the month `months` later, clamped to the end of a
/// shorter month (31 January + 1 month = 28 or 29 February).
pub fn add_months(d: NaiveDate, months: u32) -> NaiveDate {
    let total = d.year() * 12 + d.month0() as i32 + months as i32;
    let (y, m0) = (total.div_euclid(12), total.rem_euclid(12) as u32);
    let mut day = d.day();
    loop {
        if let Some(date) = NaiveDate::from_ymd_opt(y, m0 + 1, day) {
            return date;
        }
        day -= 1;
    }
}

/// A professional's decision for the end of the current sequence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    /// Another sequence of the same kind.
    Renew,
    /// From S2 to S3 (community follow-up).
    Advance,
}

impl Decision {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Renew => "renew",
            Self::Advance => "advance",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "renew" => Some(Self::Renew),
            "advance" => Some(Self::Advance),
            _ => None,
        }
    }
}

/// Why an episode ended (docs/domain.md). `InclusionError` cancels a sequence ended the day it began.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum EndReason {
    TreatmentStopped,
    TreatmentChanged,
    Death,
    Had,
    Transfer,
    Withdrew,
    LostToFollowUp,
    InclusionError,
}

impl EndReason {
    pub const ALL: [Self; 8] = [
        Self::TreatmentStopped,
        Self::TreatmentChanged,
        Self::Death,
        Self::Had,
        Self::Transfer,
        Self::Withdrew,
        Self::LostToFollowUp,
        Self::InclusionError,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::TreatmentStopped => "treatment_stopped",
            Self::TreatmentChanged => "treatment_changed",
            Self::Death => "death",
            Self::Had => "had",
            Self::Transfer => "transfer",
            Self::Withdrew => "withdrew",
            Self::LostToFollowUp => "lost_to_follow_up",
            Self::InclusionError => "inclusion_error",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

/// The sequence in progress, as the pathway needs to see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Current {
    pub kind: Sequence,
    pub renewal_index: u32,
    pub start: NaiveDate,
    pub planned_end: NaiveDate,
}

/// The sequence that follows the current one at its planned end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Next {
    pub kind: Sequence,
    pub renewal_index: u32,
    pub start: NaiveDate,
    pub planned_end: NaiveDate,
    /// True when nobody decided and the system renewed on its own: the IDEC must be told.
    pub automatic: bool,
}

/// Why a decision is refused now.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecisionError {
    #[error("S1 moves to S2 by itself at its end; decide at the end of S2")]
    NotDuringS1,
    #[error("S3 can only be renewed or ended")]
    NoAdvanceFromS3,
    #[error("S3 needs every drug of the regimen to allow community follow-up")]
    NotS3Eligible,
}

/// Checks a renew/advance decision against the current sequence.
pub fn check_decision(current: Sequence, decision: Decision, s3_eligible: bool) -> Result<(), DecisionError> {
    match (current, decision) {
        (Sequence::S1, _) => Err(DecisionError::NotDuringS1),
        (Sequence::S3, Decision::Advance) => Err(DecisionError::NoAdvanceFromS3),
        (Sequence::S2, Decision::Advance) if !s3_eligible => Err(DecisionError::NotS3Eligible),
        _ => Ok(()),
    }
}

/// What follows `current` at its planned end. S1 always leads to S2; after S2 or S3 the
/// professional's decision applies; without one (or with one no longer valid, e.g. the regimen
/// lost its S3 eligibility) the sequence is renewed automatically so nobody leaves follow-up.
pub fn next_at_end(rules: &PathwayRules, current: Current, decision: Option<Decision>, s3_eligible: bool) -> Next {
    let start = current.planned_end;
    let open = |kind: Sequence, renewal_index: u32, automatic: bool| Next {
        kind,
        renewal_index,
        start,
        planned_end: rules.planned_end(kind, start),
        automatic,
    };
    let renew = |automatic| open(current.kind, current.renewal_index + 1, automatic);
    match current.kind {
        Sequence::S1 => open(Sequence::S2, 0, false),
        kind => match decision {
            Some(d) if check_decision(kind, d, s3_eligible).is_ok() => match d {
                Decision::Renew => renew(false),
                Decision::Advance => open(Sequence::S3, 0, false),
            },
            _ => renew(true),
        },
    }
}

/// State a sequence is left in when its episode ends on `on`: cancelled when the episode is an
/// inclusion error ended the day the sequence started (not billed), otherwise ended.
pub fn state_when_episode_ends(current: Current, reason: EndReason, on: NaiveDate) -> &'static str {
    if reason == EndReason::InclusionError && on <= current.start { "cancelled" } else { "ended" }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RULES: PathwayRules = PathwayRules { s1_months: 1, s2_months: 3, s3_months: 6 };

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn cur(kind: Sequence, renewal_index: u32, start: &str) -> Current {
        let start = d(start);
        Current { kind, renewal_index, start, planned_end: RULES.planned_end(kind, start) }
    }

    #[test]
    fn months_clamp_to_the_end_of_shorter_months() {
        assert_eq!(add_months(d("2026-01-31"), 1), d("2026-02-28"));
        assert_eq!(add_months(d("2028-01-31"), 1), d("2028-02-29"));
        assert_eq!(add_months(d("2026-03-31"), 6), d("2026-09-30"));
        assert_eq!(add_months(d("2026-11-23"), 3), d("2027-02-23"));
        assert_eq!(add_months(d("2026-12-15"), 1), d("2027-01-15"));
        assert_eq!(add_months(d("2026-08-31"), 6), d("2027-02-28"));
    }

    #[test]
    fn nominal_episode_is_ten_months() {
        let s1 = cur(Sequence::S1, 0, "2026-11-23");
        assert_eq!(s1.planned_end, d("2026-12-23"));
        let s2 = next_at_end(&RULES, s1, None, true);
        assert_eq!(
            (s2.kind, s2.start, s2.planned_end, s2.automatic),
            (Sequence::S2, d("2026-12-23"), d("2027-03-23"), false)
        );
        let s2c =
            Current { kind: s2.kind, renewal_index: s2.renewal_index, start: s2.start, planned_end: s2.planned_end };
        let s3 = next_at_end(&RULES, s2c, Some(Decision::Advance), true);
        assert_eq!((s3.kind, s3.renewal_index, s3.planned_end), (Sequence::S3, 0, d("2027-09-23")));
    }

    #[test]
    fn s1_ignores_decisions_and_goes_to_s2() {
        for dec in [None, Some(Decision::Renew), Some(Decision::Advance)] {
            let n = next_at_end(&RULES, cur(Sequence::S1, 0, "2026-01-31"), dec, true);
            assert_eq!((n.kind, n.renewal_index, n.automatic), (Sequence::S2, 0, false));
            assert_eq!(n.start, d("2026-02-28"));
        }
    }

    #[test]
    fn end_of_s2_follows_the_decision() {
        let s2 = cur(Sequence::S2, 0, "2026-02-01");
        let renew = next_at_end(&RULES, s2, Some(Decision::Renew), false);
        assert_eq!((renew.kind, renew.renewal_index, renew.automatic), (Sequence::S2, 1, false));
        let adv = next_at_end(&RULES, s2, Some(Decision::Advance), true);
        assert_eq!((adv.kind, adv.renewal_index, adv.automatic), (Sequence::S3, 0, false));
    }

    #[test]
    fn without_a_valid_decision_the_sequence_renews_automatically() {
        let s2 = cur(Sequence::S2, 2, "2026-02-01");
        let auto = next_at_end(&RULES, s2, None, true);
        assert_eq!((auto.kind, auto.renewal_index, auto.automatic), (Sequence::S2, 3, true));
        let not_eligible = next_at_end(&RULES, s2, Some(Decision::Advance), false);
        assert_eq!((not_eligible.kind, not_eligible.automatic), (Sequence::S2, true));
        let s3 = cur(Sequence::S3, 0, "2026-02-01");
        let auto3 = next_at_end(&RULES, s3, None, true);
        assert_eq!(
            (auto3.kind, auto3.renewal_index, auto3.automatic, auto3.planned_end),
            (Sequence::S3, 1, true, d("2027-02-01"))
        );
        let renew3 = next_at_end(&RULES, s3, Some(Decision::Renew), true);
        assert_eq!((renew3.kind, renew3.automatic), (Sequence::S3, false));
        let adv3 = next_at_end(&RULES, s3, Some(Decision::Advance), true);
        assert_eq!((adv3.kind, adv3.automatic), (Sequence::S3, true));
    }

    #[test]
    fn decisions_are_checked_against_the_sequence() {
        use Decision::*;
        use Sequence::*;
        let table = [
            (S1, Renew, true, Err(DecisionError::NotDuringS1)),
            (S1, Advance, true, Err(DecisionError::NotDuringS1)),
            (S2, Renew, false, Ok(())),
            (S2, Advance, true, Ok(())),
            (S2, Advance, false, Err(DecisionError::NotS3Eligible)),
            (S3, Renew, false, Ok(())),
            (S3, Advance, true, Err(DecisionError::NoAdvanceFromS3)),
        ];
        for (seq, dec, elig, want) in table {
            assert_eq!(check_decision(seq, dec, elig), want, "{seq:?} {dec:?} {elig}");
        }
    }

    #[test]
    fn inclusion_error_on_the_first_day_cancels() {
        let s1 = cur(Sequence::S1, 0, "2026-11-23");
        assert_eq!(state_when_episode_ends(s1, EndReason::InclusionError, d("2026-11-23")), "cancelled");
        assert_eq!(state_when_episode_ends(s1, EndReason::InclusionError, d("2026-11-24")), "ended");
        assert_eq!(state_when_episode_ends(s1, EndReason::Death, d("2026-11-23")), "ended");
    }

    #[test]
    fn end_reasons_round_trip() {
        for r in EndReason::ALL {
            assert_eq!(EndReason::parse(r.as_str()), Some(r));
        }
        assert_eq!(EndReason::parse("bored"), None);
    }

    #[test]
    fn rules_are_validated() {
        assert!(RULES.validate().is_ok());
        assert!(PathwayRules { s1_months: 0, ..RULES }.validate().is_err());
    }

    proptest::proptest! {
        #[test]
        fn add_months_lands_in_the_right_month(y in 2000i32..2100, m in 1u32..=12, day in 1u32..=31, add in 0u32..40) {
            if let Some(date) = NaiveDate::from_ymd_opt(y, m, day) {
                let r = add_months(date, add);
                let months = (r.year() - y) * 12 + r.month() as i32 - m as i32;
                proptest::prop_assert_eq!(months, add as i32);
                proptest::prop_assert!(r.day() <= day);
                proptest::prop_assert!(r.day() == day || r.with_day(r.day() + 1).is_none());
            }
        }
    }
}
