//! Evaluation indicators the funders follow (docs/domain.md "Evaluation indicators"), over a
//! period of local dates [from, to]. Pure: the server's `store::indicators` gathers the facts, this
//! counts.
//! Every definition is written out in docs/indicators.md; the comments here say the same.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;
use serde::Serialize;
use utoipa::ToSchema;

use super::care_events::CareEventKind;
use super::{Parcours, Sequence};

mod csv;
mod facts;
pub mod stats;
#[cfg(test)]
mod tests;

pub use csv::{HEADER, to_csv};
pub use facts::{
    AdherenceWindow, AlertFact, CareEventFact, DoseCounts, EpisodeFact, Facts, Period, SequenceFact, WindowOf,
    adherence_cohort,
};

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
