//! Reading enumerated columns back (docs/design.md, "Stored values"). Statuses, colours,
//! sequences, parcours, topics, roles and time zones are stored as text; what the code reads
//! from them goes through the typed accessors below, which answer the value or a
//! [`StoredValueError`] naming the row. Never a default: a row edited by hand into a value the
//! code does not know stops what reads it (a 500 with the request id, a failed job run), it is
//! logged and counted (`relais_stored_value_errors_total`), and the row can be found and fixed.
//! The database refuses such values in the first place (migration 10: CHECK constraints on
//! PostgreSQL, triggers on SQLite), except the time zones, which only these accessors guard.

use std::sync::atomic::{AtomicU64, Ordering};

use sea_orm::DbErr;

/// The enumerated columns and the values the database lets each hold (migration 10).
pub use relais_migrations::ENUMERATED_COLUMNS;

use super::billing::entities::{billing_line, interview_accompaniment, pharmacist_interview};
use super::care_events::care_event;
use super::entities::{
    alert, alert_recipient, comedication, dose, episode, establishment, patient, professional, questionnaire,
    regimen_line, report, sequence, symptom_grade,
};
use crate::domain::access::Role;
use crate::domain::adherence::DoseStatus;
use crate::domain::billing::{Actor, LineState};
use crate::domain::care_events::CareEventKind;
use crate::domain::interviews::{InterviewKind, TreatmentClass};
use crate::domain::pathway::{Decision, EndReason};
use crate::domain::routing::Topic;
use crate::domain::triage::{Colour, Locale};
use crate::domain::{Parcours, Sequence};

/// A value read from an enumerated column that the code does not know.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredValueError {
    pub table: &'static str,
    /// The row's primary key.
    pub id: String,
    pub column: &'static str,
    /// The stored value (at most [`VALUE_SHOWN`] characters of it).
    pub value: String,
}

/// How much of a stored value an error repeats: enough to recognise it, never a whole text.
pub const VALUE_SHOWN: usize = 40;

/// Stored values refused since the process started (the metric `relais_stored_value_errors_total`).
/// Process-wide like the rest of what `/metrics` says about this instance: an accessor runs
/// without the application's state, wherever a row is read.
static REFUSED: AtomicU64 = AtomicU64::new(0);

pub fn stored_value_errors() -> u64 {
    REFUSED.load(Ordering::Relaxed)
}

impl StoredValueError {
    /// The error for this row and column, logged and counted once here, where it is found: the
    /// log names the table, the row and the column, never the value (which a hand edit may
    /// have filled with anything) nor anything else of the row.
    pub fn new(table: &'static str, id: &str, column: &'static str, value: &str) -> Self {
        REFUSED.fetch_add(1, Ordering::Relaxed);
        tracing::error!(table, id, column, "stored value is not a known value: refused, not defaulted");
        Self { table, id: id.to_owned(), column, value: value.chars().take(VALUE_SHOWN).collect() }
    }
}

impl std::fmt::Display for StoredValueError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} row {}: {} {:?} is not a known value", self.table, self.id, self.column, self.value)
    }
}

impl std::error::Error for StoredValueError {}

/// Through the store's functions (which answer `DbErr`): an internal error, so a request
/// answers 500 with its request id and a job run fails.
impl From<StoredValueError> for DbErr {
    fn from(e: StoredValueError) -> Self {
        DbErr::Custom(e.to_string())
    }
}

/// `parse(value)`, or the error naming the row.
fn read<T>(
    table: &'static str,
    id: &str,
    column: &'static str,
    value: &str,
    parse: impl FnOnce(&str) -> Option<T>,
) -> Result<T, StoredValueError> {
    parse(value).ok_or_else(|| StoredValueError::new(table, id, column, value))
}

/// The same for a nullable column: NULL is `None`, an unknown value an error.
fn read_opt<T>(
    table: &'static str,
    id: &str,
    column: &'static str,
    value: Option<&str>,
    parse: impl FnOnce(&str) -> Option<T>,
) -> Result<Option<T>, StoredValueError> {
    value.map(|v| read(table, id, column, v, parse)).transpose()
}

fn colour(s: &str) -> Option<Colour> {
    [Colour::Green, Colour::Amber, Colour::Red].into_iter().find(|c| c.as_str() == s)
}

fn time_zone(s: &str) -> Option<chrono_tz::Tz> {
    s.parse().ok()
}

/// The states of a sequence (`sequences.state`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SequenceState {
    Active,
    Completed,
    Ended,
    /// Ended the day it began by an inclusion error: not a follow-up.
    Cancelled,
}

impl SequenceState {
    pub const ALL: [Self; 4] = [Self::Active, Self::Completed, Self::Ended, Self::Cancelled];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Completed => "completed",
            Self::Ended => "ended",
            Self::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }
}

/// The states of an alert (`alerts.status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AlertStatus {
    Open,
    Acknowledged,
    Resolved,
}

impl AlertStatus {
    pub const ALL: [Self; 3] = [Self::Open, Self::Acknowledged, Self::Resolved];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Acknowledged => "acknowledged",
            Self::Resolved => "resolved",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }
}

/// The states of a questionnaire instance (`questionnaires.status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QuestionnaireStatus {
    Pending,
    Answered,
    Missed,
}

impl QuestionnaireStatus {
    pub const ALL: [Self; 3] = [Self::Pending, Self::Answered, Self::Missed];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Answered => "answered",
            Self::Missed => "missed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }
}

/// `doses.status`: the outcome of a dose, or `cancelled` (`None`: a dose no longer planned,
/// which counts for nothing). `taken` is late or not per the `late` column; `taken_late` is the
/// domain's own spelling of the same.
pub fn dose_outcome(s: &str, late: bool) -> Option<Option<DoseStatus>> {
    match s {
        "cancelled" => Some(None),
        "taken" => Some(Some(DoseStatus::Taken { late })),
        other => DoseStatus::parse(other).map(Some),
    }
}

pub fn interview_kind_str(k: InterviewKind) -> &'static str {
    match k {
        InterviewKind::Initial => "initial",
        InterviewKind::DailyLifeAndSideEffects => "daily_life_and_side_effects",
        InterviewKind::Adherence => "adherence",
    }
}

pub fn interview_kind(s: &str) -> Option<InterviewKind> {
    [InterviewKind::Initial, InterviewKind::DailyLifeAndSideEffects, InterviewKind::Adherence]
        .into_iter()
        .find(|k| interview_kind_str(*k) == s)
}

pub fn treatment_str(t: TreatmentClass) -> &'static str {
    match t {
        TreatmentClass::LongCourse => "long_course",
        TreatmentClass::Other => "other",
    }
}

pub fn treatment(s: &str) -> Option<TreatmentClass> {
    [TreatmentClass::LongCourse, TreatmentClass::Other].into_iter().find(|t| treatment_str(*t) == s)
}

impl establishment::Model {
    /// The establishment's IANA zone (its working days and deadlines).
    pub fn time_zone(&self) -> Result<chrono_tz::Tz, StoredValueError> {
        read("establishments", &self.id, "time_zone", &self.time_zone, time_zone)
    }
}

impl professional::Model {
    pub fn role(&self) -> Result<Role, StoredValueError> {
        read("professionals", &self.id, "role", &self.role, Role::parse)
    }

    /// The language of their emails.
    pub fn locale(&self) -> Result<crate::domain::triage::Locale, StoredValueError> {
        read("professionals", &self.id, "locale", &self.locale, crate::domain::triage::Locale::parse)
    }
}

impl patient::Model {
    /// The patient's IANA zone (checked at enrolment).
    pub fn time_zone(&self) -> Result<chrono_tz::Tz, StoredValueError> {
        read("patients", &self.id, "time_zone", &self.time_zone, time_zone)
    }

    /// The language of the patient's texts.
    pub fn locale(&self) -> Result<Locale, StoredValueError> {
        read("patients", &self.id, "locale", &self.locale, Locale::parse)
    }
}

impl episode::Model {
    pub fn parcours(&self) -> Result<Parcours, StoredValueError> {
        read("episodes", &self.id, "parcours", &self.parcours, Parcours::parse)
    }

    /// Why the episode ended (`None` while it runs).
    pub fn end_reason(&self) -> Result<Option<EndReason>, StoredValueError> {
        read_opt("episodes", &self.id, "end_reason", self.end_reason.as_deref(), EndReason::parse)
    }
}

impl sequence::Model {
    pub fn kind(&self) -> Result<Sequence, StoredValueError> {
        read("sequences", &self.id, "kind", &self.kind, Sequence::parse)
    }

    pub fn state(&self) -> Result<SequenceState, StoredValueError> {
        read("sequences", &self.id, "state", &self.state, SequenceState::parse)
    }

    /// The professionals' decision for the sequence's end (`None`: none taken).
    pub fn decision(&self) -> Result<Option<Decision>, StoredValueError> {
        read_opt("sequences", &self.id, "decision", self.decision.as_deref(), Decision::parse)
    }
}

impl questionnaire::Model {
    pub fn status(&self) -> Result<QuestionnaireStatus, StoredValueError> {
        read("questionnaires", &self.id, "status", &self.status, QuestionnaireStatus::parse)
    }
}

impl report::Model {
    pub fn colour(&self) -> Result<Colour, StoredValueError> {
        read("reports", &self.id, "colour", &self.colour, colour)
    }

    pub fn sequence(&self) -> Result<Sequence, StoredValueError> {
        read("reports", &self.id, "sequence", &self.sequence, Sequence::parse)
    }
}

impl symptom_grade::Model {
    pub fn colour(&self) -> Result<Colour, StoredValueError> {
        read("symptom_grades", &self.id, "colour", &self.colour, colour)
    }
}

impl alert::Model {
    pub fn colour(&self) -> Result<Colour, StoredValueError> {
        read("alerts", &self.id, "colour", &self.colour, colour)
    }

    pub fn topic(&self) -> Result<Topic, StoredValueError> {
        read("alerts", &self.id, "topic", &self.topic, Topic::parse)
    }

    pub fn status(&self) -> Result<AlertStatus, StoredValueError> {
        read("alerts", &self.id, "status", &self.status, AlertStatus::parse)
    }
}

impl alert_recipient::Model {
    pub fn role(&self) -> Result<Role, StoredValueError> {
        read("alert_recipients", &self.id, "role", &self.role, Role::parse)
    }
}

impl dose::Model {
    /// What became of the dose; `None` for a cancelled one (see [`dose_outcome`]).
    pub fn outcome(&self) -> Result<Option<DoseStatus>, StoredValueError> {
        read("doses", &self.id, "status", &self.status, |s| dose_outcome(s, self.late))
    }
}

impl billing_line::Model {
    pub fn actor(&self) -> Result<Actor, StoredValueError> {
        read("billing_lines", &self.id, "actor", &self.actor, Actor::parse)
    }

    pub fn state(&self) -> Result<LineState, StoredValueError> {
        read("billing_lines", &self.id, "state", &self.state, LineState::parse)
    }

    pub fn parcours(&self) -> Result<Parcours, StoredValueError> {
        read("billing_lines", &self.id, "parcours", &self.parcours, Parcours::parse)
    }

    pub fn sequence_kind(&self) -> Result<Sequence, StoredValueError> {
        read("billing_lines", &self.id, "sequence_kind", &self.sequence_kind, Sequence::parse)
    }
}

impl care_event::Model {
    pub fn kind(&self) -> Result<CareEventKind, StoredValueError> {
        read("care_events", &self.id, "kind", &self.kind, CareEventKind::parse)
    }
}

impl pharmacist_interview::Model {
    pub fn kind(&self) -> Result<InterviewKind, StoredValueError> {
        read("pharmacist_interviews", &self.id, "kind", &self.kind, interview_kind)
    }
}

impl interview_accompaniment::Model {
    pub fn treatment(&self) -> Result<TreatmentClass, StoredValueError> {
        read("interview_accompaniments", &self.id, "treatment", &self.treatment, treatment)
    }
}

#[cfg(test)]
mod tests;

/// A JSON column read as `T`, or the error naming the row (never an empty default: a regimen
/// line whose times were lost would plan no dose and remind nobody).
pub fn json<T: serde::de::DeserializeOwned>(
    table: &'static str,
    id: &str,
    column: &'static str,
    value: &str,
) -> Result<T, StoredValueError> {
    serde_json::from_str(value).map_err(|_| StoredValueError::new(table, id, column, value))
}

/// A ramp-up step as stored in `regimen_lines.dose_steps`.
#[derive(serde::Serialize, serde::Deserialize)]
pub struct StoredStep {
    pub from_day: u32,
    pub dose: String,
}

impl regimen_line::Model {
    /// The line's cycle: `cycle_length_days` with its blocks `cycle_on`, checked; `None` =
    /// every day. Half a cycle (one column without the other) or bad blocks are an error naming
    /// the column, never a line taken every day.
    pub fn cycle(&self) -> Result<Option<crate::domain::regimen::Cycle>, StoredValueError> {
        let bad = |column, value: &str| StoredValueError::new("regimen_lines", &self.id, column, value);
        match (self.cycle_length_days, &self.cycle_on) {
            (None, None) => Ok(None),
            (Some(length), Some(on)) => {
                let blocks: Vec<(u16, u16)> = json("regimen_lines", &self.id, "cycle_on", on)?;
                let length = u16::try_from(length).map_err(|_| bad("cycle_length_days", &length.to_string()))?;
                let c = crate::domain::regimen::Cycle { length, on: blocks };
                c.check().map_err(|_| bad("cycle_on", on))?;
                Ok(Some(c))
            }
            (Some(length), None) => Err(bad("cycle_on", &format!("(null with cycle_length_days {length})"))),
            (None, Some(on)) => Err(bad("cycle_length_days", &format!("(null with cycle_on {on})"))),
        }
    }

    /// The line's ramp-up steps (empty = `dose` every day), the first from day 1, in order.
    pub fn steps(&self) -> Result<Vec<crate::domain::regimen::Step>, StoredValueError> {
        let Some(text) = &self.dose_steps else { return Ok(vec![]) };
        let steps: Vec<StoredStep> = json("regimen_lines", &self.id, "dose_steps", text)?;
        let ordered =
            steps.first().is_some_and(|s| s.from_day == 1) && steps.windows(2).all(|w| w[0].from_day < w[1].from_day);
        if !ordered {
            return Err(StoredValueError::new("regimen_lines", &self.id, "dose_steps", text));
        }
        Ok(steps.into_iter().map(|s| crate::domain::regimen::Step { from_day: s.from_day, dose: s.dose }).collect())
    }

    /// The computation of a dose per m² or per kg, if the line has one.
    pub fn computation(&self) -> Result<Option<crate::domain::dosing::Computation>, StoredValueError> {
        self.dose_computation
            .as_deref()
            .map(|text| json("regimen_lines", &self.id, "dose_computation", text))
            .transpose()
    }

    /// The line's local times of intake (`HH:MM`), each one checked.
    pub fn times(&self) -> Result<Vec<String>, StoredValueError> {
        let times: Vec<String> = json("regimen_lines", &self.id, "times", &self.times)?;
        if times.iter().all(|t| crate::domain::parse_hhmm(t).is_some()) {
            Ok(times)
        } else {
            Err(StoredValueError::new("regimen_lines", &self.id, "times", &self.times))
        }
    }
}

impl comedication::Model {
    /// The co-medication's interaction tags.
    pub fn tags(&self) -> Result<std::collections::BTreeSet<String>, StoredValueError> {
        json("comedications", &self.id, "tags", &self.tags)
    }
}

impl alert::Model {
    /// Why the alert was raised: reason codes (docs/triage.md, "Reasons"), or the texts of an
    /// alert stored before them.
    pub fn reasons(&self) -> Result<Vec<crate::domain::reason::Reason>, StoredValueError> {
        crate::domain::reason::read_stored(&self.reasons)
            .map_err(|_| StoredValueError::new("alerts", &self.id, "reasons", &self.reasons))
    }
}
