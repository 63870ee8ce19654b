//! Evaluation indicators the funders follow (DOMAIN.md "Evaluation indicators", issue 6), over a
//! period of local dates [from, to]. Pure: `store::indicators` gathers the facts, this counts.
//! Every definition is written out in docs/indicators.md; the comments here say the same.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Months, NaiveDate, NaiveTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use super::care_events::CareEventKind;
use super::{FieldError, Parcours, Sequence};

mod csv;
pub mod stats;
#[cfg(test)]
mod tests;

pub use csv::to_csv;

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
        let midnight = |d: NaiveDate| super::calendar::local_instant(tz, d.and_time(NaiveTime::MIN));
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
    fn counts(&self) -> bool {
        self.end_reason.as_deref() != Some("inclusion_error")
    }

    /// In follow-up on at least one day of the period.
    fn active_during(&self, p: &Period) -> bool {
        self.counts() && self.start <= p.to && self.end.is_none_or(|e| e >= p.from)
    }

    /// Still in follow-up at the end of the period's last day.
    fn active_at_end(&self, p: &Period) -> bool {
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
    fn answered_at(&self) -> Option<DateTime<Utc>> {
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

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Totals {
    /// Distinct patients included (first episode started in the period).
    pub patients_included: u64,
    /// Distinct patients in follow-up on at least one day of the period.
    pub patients_followed: u64,
    pub active_episodes: u64,
    pub active_episodes_at_end: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ParcoursRow {
    pub parcours: Parcours,
    pub patients_included: u64,
    pub active_episodes: u64,
    pub active_episodes_at_end: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct SequenceRow {
    pub parcours: Parcours,
    pub sequence: Sequence,
    /// Distinct patients with a sequence of this kind in progress on at least one day.
    pub patients: u64,
    /// Sequences started in the period (renewals included; cancelled ones not).
    pub started: u64,
    /// Of those, renewals (a second or later S2, S3).
    pub renewed: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct AdherenceRow {
    pub window: AdherenceWindow,
    /// Cohort episodes with at least one dose due in their window.
    pub episodes: u64,
    pub doses_taken: u64,
    pub doses_due: u64,
    /// Pooled: 100 × all doses taken ÷ all doses due.
    pub percent: Option<f64>,
    /// Mean of the episodes' own percentages (each patient weighs the same).
    pub mean_episode_percent: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct AdverseEvents {
    /// Alerts opened in the period whose triage grade (provisional) is 3 or more.
    pub provisional: u64,
    /// Alerts opened in the period resolved with a confirmed grade of 3 or more.
    pub confirmed: u64,
    /// Alerts opened in the period not resolved yet (no confirmed grade).
    pub awaiting_confirmation: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct AlertRow {
    pub colour: String,
    /// A topic, or `all` for every topic of the colour.
    pub topic: String,
    pub count: u64,
    pub acknowledged: u64,
    /// Time from opening to the first answer (acknowledgement, or resolution without one), in
    /// minutes; alerts not answered yet are left out.
    pub median_minutes_to_acknowledge: Option<f64>,
    pub p90_minutes_to_acknowledge: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Questionnaires {
    /// Instances due in the period (and due by now), answered or not.
    pub due: u64,
    pub completed: u64,
    pub percent: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct CareEvents {
    pub emergency_visits: u64,
    pub unplanned_hospitalisations: u64,
    /// Of both, those the declaring professional judged related to the treatment.
    pub related_to_treatment: u64,
    pub patients_with_emergency_visit: u64,
    /// 100 × patients with an emergency visit ÷ patients followed.
    pub emergency_visit_percent: Option<f64>,
    pub patients_with_unplanned_hospitalisation: u64,
    pub unplanned_hospitalisation_percent: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Indicators {
    #[schema(value_type = String, format = Date)]
    pub from: NaiveDate,
    #[schema(value_type = String, format = Date)]
    pub to: NaiveDate,
    pub totals: Totals,
    pub by_parcours: Vec<ParcoursRow>,
    pub by_sequence: Vec<SequenceRow>,
    pub adherence: Vec<AdherenceRow>,
    pub adverse_events_grade_3: AdverseEvents,
    pub alerts: Vec<AlertRow>,
    pub questionnaires: Questionnaires,
    pub care_events: CareEvents,
}

const PARCOURS: [Parcours; 2] = [Parcours::A, Parcours::B];
const SEQUENCES: [Sequence; 3] = [Sequence::S1, Sequence::S2, Sequence::S3];

fn count<T>(it: impl Iterator<Item = T>) -> u64 {
    it.count() as u64
}

fn distinct<'a>(it: impl Iterator<Item = &'a str>) -> u64 {
    it.collect::<BTreeSet<_>>().len() as u64
}

pub fn compute(p: &Period, f: &Facts) -> Indicators {
    let active: Vec<&EpisodeFact> = f.episodes.iter().filter(|e| e.active_during(p)).collect();
    let included = |e: &&EpisodeFact| e.counts() && e.first_inclusion && p.contains(e.start);
    let totals = Totals {
        patients_included: distinct(f.episodes.iter().filter(included).map(|e| e.patient_id.as_str())),
        patients_followed: distinct(active.iter().map(|e| e.patient_id.as_str())),
        active_episodes: active.len() as u64,
        active_episodes_at_end: count(active.iter().filter(|e| e.active_at_end(p))),
    };
    let by_parcours = PARCOURS
        .iter()
        .map(|&pc| ParcoursRow {
            parcours: pc,
            patients_included: distinct(
                f.episodes.iter().filter(included).filter(|e| e.parcours == pc).map(|e| e.patient_id.as_str()),
            ),
            active_episodes: count(active.iter().filter(|e| e.parcours == pc)),
            active_episodes_at_end: count(active.iter().filter(|e| e.parcours == pc && e.active_at_end(p))),
        })
        .collect();
    let episodes: BTreeMap<&str, &EpisodeFact> =
        f.episodes.iter().filter(|e| e.counts()).map(|e| (e.id.as_str(), e)).collect();
    let seqs: Vec<(&SequenceFact, &EpisodeFact)> = f
        .sequences
        .iter()
        .filter(|s| !s.cancelled)
        .filter_map(|s| episodes.get(s.episode_id.as_str()).map(|e| (s, *e)))
        .collect();
    let mut by_sequence = Vec::new();
    for pc in PARCOURS {
        for kind in SEQUENCES {
            let of = || seqs.iter().filter(move |(s, e)| e.parcours == pc && s.kind == kind);
            // A sequence runs [start, end): its end date is the next one's start.
            let in_progress = of().filter(|(s, _)| s.start <= p.to && s.end > p.from);
            let started = || of().filter(|(s, _)| p.contains(s.start));
            by_sequence.push(SequenceRow {
                parcours: pc,
                sequence: kind,
                patients: distinct(in_progress.map(|(_, e)| e.patient_id.as_str())),
                started: count(started()),
                renewed: count(started().filter(|(s, _)| s.renewal_index > 0)),
            });
        }
    }
    Indicators {
        from: p.from,
        to: p.to,
        by_parcours,
        by_sequence,
        adherence: adherence(f),
        adverse_events_grade_3: adverse_events(&f.alerts),
        alerts: alerts(&f.alerts),
        questionnaires: questionnaires(&f.questionnaires),
        care_events: care_events(&f.care_events, totals.patients_followed),
        totals,
    }
}

fn adherence(f: &Facts) -> Vec<AdherenceRow> {
    AdherenceWindow::ALL
        .iter()
        .map(|w| {
            let counted: Vec<DoseCounts> =
                f.adherence.get(w).into_iter().flat_map(|m| m.values()).filter(|c| c.due > 0).copied().collect();
            let taken: u64 = counted.iter().map(|c| c.taken).sum();
            let due: u64 = counted.iter().map(|c| c.due).sum();
            let mean = (!counted.is_empty()).then(|| {
                let sum: f64 = counted.iter().map(|c| c.taken as f64 * 100.0 / c.due as f64).sum();
                stats::round2(sum / counted.len() as f64)
            });
            AdherenceRow {
                window: *w,
                episodes: counted.len() as u64,
                doses_taken: taken,
                doses_due: due,
                percent: stats::percent(taken, due),
                mean_episode_percent: mean,
            }
        })
        .collect()
}

fn adverse_events(alerts: &[AlertFact]) -> AdverseEvents {
    let grade3 = |g: Option<i32>| g.is_some_and(|g| g >= 3);
    AdverseEvents {
        provisional: count(alerts.iter().filter(|a| grade3(a.provisional_grade))),
        confirmed: count(alerts.iter().filter(|a| a.resolved_at.is_some() && grade3(a.confirmed_grade))),
        awaiting_confirmation: count(alerts.iter().filter(|a| a.resolved_at.is_none() && grade3(a.provisional_grade))),
    }
}

fn colour_rank(c: &str) -> u8 {
    match c {
        "red" => 0,
        "amber" => 1,
        _ => 2,
    }
}

fn alert_row(colour: &str, topic: &str, of: &[&AlertFact]) -> AlertRow {
    let mut secs: Vec<i64> =
        of.iter().filter_map(|a| a.answered_at().map(|t| (t - a.opened_at).num_seconds().max(0))).collect();
    secs.sort_unstable();
    AlertRow {
        colour: colour.to_owned(),
        topic: topic.to_owned(),
        count: of.len() as u64,
        acknowledged: secs.len() as u64,
        median_minutes_to_acknowledge: stats::median(&secs).map(stats::minutes),
        p90_minutes_to_acknowledge: stats::percentile(&secs, 90).map(|s| stats::minutes(s as f64)),
    }
}

/// One `all` row per colour (red and amber always, zeros included), then one row per topic
/// that had alerts of that colour.
fn alerts(all: &[AlertFact]) -> Vec<AlertRow> {
    let mut colours: BTreeSet<(u8, &str)> = [(0, "red"), (1, "amber")].into_iter().collect();
    colours.extend(all.iter().map(|a| (colour_rank(&a.colour), a.colour.as_str())));
    let mut out = Vec::new();
    for (_, colour) in colours {
        let of: Vec<&AlertFact> = all.iter().filter(|a| a.colour == colour).collect();
        out.push(alert_row(colour, "all", &of));
        let topics: BTreeSet<&str> = of.iter().map(|a| a.topic.as_str()).collect();
        for t in topics {
            let by: Vec<&AlertFact> = of.iter().copied().filter(|a| a.topic == t).collect();
            out.push(alert_row(colour, t, &by));
        }
    }
    out
}

fn questionnaires(by_status: &BTreeMap<String, u64>) -> Questionnaires {
    let due: u64 = by_status.values().sum();
    let completed = by_status.get("answered").copied().unwrap_or(0);
    Questionnaires { due, completed, percent: stats::percent(completed, due) }
}

fn care_events(events: &[CareEventFact], followed: u64) -> CareEvents {
    let of = |k: CareEventKind| events.iter().filter(move |e| e.kind == k);
    let patients = |k| distinct(of(k).map(|e| e.patient_id.as_str()));
    let (with_visit, with_stay) =
        (patients(CareEventKind::EmergencyVisit), patients(CareEventKind::UnplannedHospitalisation));
    CareEvents {
        emergency_visits: count(of(CareEventKind::EmergencyVisit)),
        unplanned_hospitalisations: count(of(CareEventKind::UnplannedHospitalisation)),
        related_to_treatment: count(events.iter().filter(|e| e.related_to_treatment == Some(true))),
        patients_with_emergency_visit: with_visit,
        emergency_visit_percent: stats::percent(with_visit, followed),
        patients_with_unplanned_hospitalisation: with_stay,
        unplanned_hospitalisation_percent: stats::percent(with_stay, followed),
    }
}
