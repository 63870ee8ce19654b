//! What the indicators are computed from: the period, and the facts `store::indicators`
//! gathers for it (episodes, sequences, alerts, questionnaire counts, dose counts per
//! adherence window, care events).

use std::collections::BTreeMap;

use chrono::{DateTime, Months, NaiveDate, NaiveTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use crate::care_events::CareEventKind;
use crate::{FieldError, Parcours, Sequence};

/// A period of local calendar dates, both ends included.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

fn parse_date(field: &str, s: Option<&str>) -> Result<NaiveDate, FieldError> {
    let s =
        s.map(str::trim).filter(|s| !s.is_empty()).ok_or_else(|| FieldError::new(field, "required (YYYY-MM-DD)"))?;
    // Exactly YYYY-MM-DD: chrono alone would also take "2026-1-5".
    let shape = s.len() == 10
        && s.bytes().enumerate().all(|(i, b)| if i == 4 || i == 7 { b == b'-' } else { b.is_ascii_digit() });
    let d = shape.then(|| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()).flatten();
    d.ok_or_else(|| FieldError::new(field, format!("`{s}` is not a date YYYY-MM-DD")))
}

impl Period {
    /// Parses `from` and `to` (YYYY-MM-DD); `to` before `from` is refused on `to`.
    pub fn parse(from: Option<&str>, to: Option<&str>) -> Result<Self, FieldError> {
        let from = parse_date("from", from)?;
        let to = parse_date("to", to)?;
        if to < from {
            return Err(FieldError::new("to", format!("is before from ({from})")));
        }
        Ok(Self { from, to })
    }

    pub fn contains(&self, d: NaiveDate) -> bool {
        self.from <= d && d <= self.to
    }

    /// The period as instants in a time zone: [local midnight of `from`, local midnight after
    /// `to`).
    pub fn instants(&self, tz: chrono_tz::Tz) -> (DateTime<Utc>, DateTime<Utc>) {
        let midnight = |d: NaiveDate| crate::calendar::local_instant(tz, d.and_time(NaiveTime::MIN));
        (midnight(self.from), midnight(self.to.succ_opt().unwrap_or(self.to)))
    }
}

/// An episode as the indicators see it.
#[derive(Debug, Clone, PartialEq)]
pub struct EpisodeFact {
    pub id: String,
    pub patient_id: String,
    pub parcours: Parcours,
    pub start: NaiveDate,
    pub end: Option<NaiveDate>,
    pub end_reason: Option<String>,
    /// No previous episode: a first inclusion, not a change of treatment.
    pub first_inclusion: bool,
}

impl EpisodeFact {
    /// An inclusion error is an episode that should never have been: it counts nowhere.
    pub(super) fn counts(&self) -> bool {
        self.end_reason.as_deref() != Some("inclusion_error")
    }

    /// In follow-up on at least one day of the period.
    pub(super) fn active_during(&self, p: &Period) -> bool {
        self.counts() && self.start <= p.to && self.end.is_none_or(|e| e >= p.from)
    }

    /// Still in follow-up at the end of the period's last day.
    pub(super) fn active_at_end(&self, p: &Period) -> bool {
        self.counts() && self.start <= p.to && self.end.is_none_or(|e| e > p.to)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct SequenceFact {
    pub episode_id: String,
    pub kind: Sequence,
    pub renewal_index: u32,
    pub start: NaiveDate,
    /// The actual end if it ended, else the planned end.
    pub end: NaiveDate,
    /// Cancelled on its first day (inclusion error): never happened.
    pub cancelled: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AlertFact {
    pub colour: String,
    pub topic: String,
    pub opened_at: DateTime<Utc>,
    pub acknowledged_at: Option<DateTime<Utc>>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub provisional_grade: Option<i32>,
    pub confirmed_grade: Option<i32>,
}

impl AlertFact {
    /// When a professional first answered it: the acknowledgement, or the resolution of an alert
    /// resolved without a separate acknowledgement.
    pub(super) fn answered_at(&self) -> Option<DateTime<Utc>> {
        self.acknowledged_at.or(self.resolved_at)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct CareEventFact {
    pub patient_id: String,
    pub kind: CareEventKind,
    pub date: NaiveDate,
    pub related_to_treatment: Option<bool>,
}

/// The two adherence windows, counted from the episode's start date in calendar months.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, ToSchema)]
pub enum AdherenceWindow {
    /// [start, start + 3 months): "at 3 months".
    #[serde(rename = "months_0_3")]
    Months0To3,
    /// [start + 6 months, start + 9 months): "at 6–9 months".
    #[serde(rename = "months_6_9")]
    Months6To9,
}

impl AdherenceWindow {
    pub const ALL: [Self; 2] = [Self::Months0To3, Self::Months6To9];

    /// Storage, JSON and CSV spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Months0To3 => "months_0_3",
            Self::Months6To9 => "months_6_9",
        }
    }

    /// [first day, day after the last) of the window of an episode started on `start`.
    pub fn bounds(self, start: NaiveDate) -> (NaiveDate, NaiveDate) {
        let (a, b) = match self {
            Self::Months0To3 => (0, 3),
            Self::Months6To9 => (6, 9),
        };
        let add = |m| start.checked_add_months(Months::new(m)).unwrap_or(NaiveDate::MAX);
        (add(a), add(b))
    }
}

/// The doses of one episode's window to count: local dates in [from, until).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WindowOf {
    pub episode_id: String,
    pub from: NaiveDate,
    pub until: NaiveDate,
}

/// The episodes whose window's last day falls in the period (each episode is counted once per
/// window, in the period where its window closes), the window cut at the episode's end. An
/// episode that ended before its window began has nothing to count.
pub fn adherence_cohort(window: AdherenceWindow, episodes: &[EpisodeFact], p: &Period) -> Vec<WindowOf> {
    episodes
        .iter()
        .filter(|e| e.counts())
        .filter_map(|e| {
            let (from, until) = window.bounds(e.start);
            let last = until.pred_opt()?;
            if !p.contains(last) {
                return None;
            }
            let until = e.end.and_then(|end| end.succ_opt()).map_or(until, |after_end| after_end.min(until));
            (from < until).then(|| WindowOf { episode_id: e.id.clone(), from, until })
        })
        .collect()
}

/// Doses of one episode's window with a known outcome: taken (taken, late or not, or vomited:
/// the patient took it) and due (taken + skipped + missed). Pending and cancelled doses are not
/// counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DoseCounts {
    pub taken: u64,
    pub due: u64,
}

impl DoseCounts {
    /// Adds `n` doses of a stored status.
    pub fn add(&mut self, status: &str, n: u64) {
        match status {
            "taken" | "taken_late" | "vomited" => {
                self.taken += n;
                self.due += n;
            }
            "skipped" | "missed" => self.due += n,
            _ => {}
        }
    }
}

/// Everything the indicators are computed from.
#[derive(Debug, Clone, Default)]
pub struct Facts {
    /// Episodes in follow-up during the period, and those whose adherence windows may close in it.
    pub episodes: Vec<EpisodeFact>,
    /// Sequences of those episodes overlapping the period.
    pub sequences: Vec<SequenceFact>,
    /// Alerts opened during the period.
    pub alerts: Vec<AlertFact>,
    /// Questionnaire instances due during the period (and already due now), by status.
    pub questionnaires: BTreeMap<String, u64>,
    /// Per window, the dose counts of each cohort episode (see [`adherence_cohort`]).
    pub adherence: BTreeMap<AdherenceWindow, BTreeMap<String, DoseCounts>>,
    /// Care events dated in the period.
    pub care_events: Vec<CareEventFact>,
}
