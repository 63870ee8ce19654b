//! Dose schedules: which doses a regimen plans on which local day, and the instant
//! each is due. Wall-clock times belong to the patient's zone; a dose at 08:00 stays at 08:00
//! across DST changes, so its UTC instant moves.

use chrono::{DateTime, Days, NaiveDate, NaiveTime, Utc};
use chrono_tz::Tz;

use super::FieldError;
use super::calendar::{local_instant, wall_clock};

#[cfg(test)]
mod tests;

/// One drug of a regimen as the scheduler needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub id: String,
    pub drug: String,
    /// Local wall-clock times of the daily doses.
    pub times: Vec<NaiveTime>,
    /// The cycle's on-days, e.g. capecitabine 14 on / 7 off or trifluridine/tipiracil D1–5 and
    /// D8–12 every 28 days; `None` = every day.
    pub cycle: Option<Cycle>,
    /// The dose text of every day when `steps` is empty, e.g. "400 mg".
    pub dose: String,
    /// A dose that changes on given days of the line (ramp-up), in order of `from_day`, the
    /// first from day 1; the last step holds on. Empty = `dose` every day.
    pub steps: Vec<Step>,
    /// Day 1 of the first cycle.
    pub start: NaiveDate,
    /// Exclusive: the first day without doses.
    pub end: Option<NaiveDate>,
    /// A pause suspends doses on [paused_from, paused_until); no `paused_until` = until resumed.
    pub paused_from: Option<NaiveDate>,
    /// Exclusive: the first day doses come back.
    pub paused_until: Option<NaiveDate>,
}

/// A cycle of `length` days whose doses are taken on the days of the `on` blocks (1-based,
/// inclusive, in order, not overlapping, within `length`): D1–5 and D8–12 every 28 days is
/// `{length: 28, on: [(1, 5), (8, 12)]}`. The old "14 days on, 7 off" is `{21, [(1, 14)]}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cycle {
    pub length: u16,
    pub on: Vec<(u16, u16)>,
}

impl Cycle {
    /// `on` days on then `off` days off.
    pub fn on_off(on: u16, off: u16) -> Self {
        Self { length: on.saturating_add(off), on: vec![(1, on)] }
    }

    /// Whether day `day` (1-based) of the cycle is an on-day.
    pub fn is_on(&self, day: u16) -> bool {
        self.on.iter().any(|&(from, to)| from <= day && day <= to)
    }

    /// (days on, days off) when the cycle is one block from day 1 (the old form), else `None`.
    pub fn as_on_off(&self) -> Option<(u16, u16)> {
        match self.on.as_slice() {
            [(1, to)] if *to <= self.length => Some((*to, self.length - to)),
            _ => None,
        }
    }

    /// Shape check; the message says what is wrong, the caller names the field.
    pub fn check(&self) -> Result<(), String> {
        if self.length == 0 {
            return Err("a cycle of at least one day".into());
        }
        if self.on.is_empty() {
            return Err("at least one block of days on".into());
        }
        let mut last = 0u16;
        for &(from, to) in &self.on {
            if from == 0 || to < from {
                return Err(format!("[{from}, {to}] is not a range of days from 1, first day first"));
            }
            if from <= last {
                return Err("blocks in order, not overlapping".into());
            }
            if to > self.length {
                return Err(format!("[{from}, {to}] goes beyond the cycle's {} days", self.length));
            }
            last = to;
        }
        Ok(())
    }
}

/// One step of a ramp-up: `dose` from day `from_day` of the line (1-based) on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    pub from_day: u32,
    pub dose: String,
}

/// Whether steps starting on these days of the line are a ramp-up: the first from day 1, then
/// each on a later day (an empty list is in order).
pub fn steps_in_order(from_days: impl IntoIterator<Item = u32>) -> bool {
    let mut previous: Option<u32> = None;
    for day in from_days {
        if previous.map_or(day != 1, |p| day <= p) {
            return false;
        }
        previous = Some(day);
    }
    true
}

/// The dose text in force on `date` (the step whose `from_day` was last reached; before the
/// line's start, its first dose).
pub fn dose_on(line: &Line, date: NaiveDate) -> &str {
    let day = (date - line.start).num_days() + 1;
    line.steps.iter().rev().find(|s| i64::from(s.from_day) <= day).map_or(line.dose.as_str(), |s| s.dose.as_str())
}

/// Where a date falls in a line's cycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CycleDay {
    /// 1-based day in the cycle (for a continuous line, days since start + 1, capped).
    pub day: u16,
    /// The cycle's length in days; 0 = no cycle (continuous).
    pub length: u16,
    /// A planned dosing day (before any pause).
    pub on: bool,
}

/// One planned dose.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Occurrence {
    pub line_id: String,
    pub drug: String,
    /// The dose text of that day (the step in force).
    pub dose: String,
    /// The local day the dose belongs to (its cycle day), even if a DST gap at midnight moves
    /// the instant into the next day.
    pub local_date: NaiveDate,
    /// The prescribed wall-clock time, kept as written even when a gap moves the instant.
    pub local_time: NaiveTime,
    pub due_at: DateTime<Utc>,
}

impl Line {
    /// Shape checks done once at the edge (field paths under `prefix`, e.g. `regimen[0]`). The
    /// functions below never panic on a line that fails them; they just plan fewer doses.
    pub fn check(&self, prefix: &str) -> Result<(), FieldError> {
        let err = |field: &str, message: &str| Err(FieldError::new(format!("{prefix}.{field}"), message));
        if self.id.trim().is_empty() {
            return err("id", "required");
        }
        if self.drug.trim().is_empty() {
            return err("drug", "required");
        }
        if self.times.is_empty() {
            return err("times", "at least one time");
        }
        let mut sorted = self.times.clone();
        sorted.sort_unstable();
        sorted.dedup();
        if sorted.len() != self.times.len() {
            return err("times", "a time is listed twice");
        }
        if let Some(c) = &self.cycle
            && let Err(m) = c.check()
        {
            return err("cycle", &m);
        }
        if !steps_in_order(self.steps.iter().map(|s| s.from_day)) {
            return err("steps", "the first step from day 1, then in order of from_day");
        }
        if self.end.is_some_and(|end| end <= self.start) {
            return err("end", "must be after the start date");
        }
        match (self.paused_from, self.paused_until) {
            (None, Some(_)) => err("paused_until", "a pause needs paused_from"),
            (Some(from), Some(until)) if until <= from => err("paused_until", "must be after paused_from"),
            _ => Ok(()),
        }
    }

    fn is_paused(&self, date: NaiveDate) -> bool {
        // A pause starts with `paused_from`; a lone `paused_until` is refused by `check` and
        // ignored here rather than guessed at.
        self.paused_from.is_some_and(|from| date >= from && self.paused_until.is_none_or(|until| date < until))
    }

    /// The distinct times of the day, in order (a duplicate would double a reminder).
    fn day_times(&self) -> Vec<NaiveTime> {
        let mut t = self.times.clone();
        t.sort_unstable();
        t.dedup();
        t
    }
}

/// The cycle position of `date`; `None` before `start` or from `end` on. Cycles are anchored to
/// `start` and keep counting through a pause: a restart on a new day 1 is a new line (or a new
/// `start`), as the prescriber decides it.
pub fn cycle_day(line: &Line, date: NaiveDate) -> Option<CycleDay> {
    if date < line.start || line.end.is_some_and(|end| date >= end) {
        return None;
    }
    let elapsed = (date - line.start).num_days();
    match &line.cycle {
        None => Some(CycleDay { day: u16::try_from(elapsed + 1).unwrap_or(u16::MAX), length: 0, on: true }),
        Some(cycle) => {
            let length = i64::from(cycle.length);
            if length == 0 {
                // A zero-day cycle is refused by `check`; plan nothing rather than divide by zero.
                return Some(CycleDay { day: 1, length: 0, on: false });
            }
            let day = u16::try_from(elapsed % length + 1).unwrap_or(u16::MAX);
            Some(CycleDay { day, length: cycle.length, on: cycle.is_on(day) })
        }
    }
}

/// Whether a line plans doses on `date`: in [start, end), an on-day, not paused.
pub fn is_dosing_day(line: &Line, date: NaiveDate) -> bool {
    cycle_day(line, date).is_some_and(|c| c.on) && !line.is_paused(date)
}

/// The doses of the local day `date`, sorted by due instant, then drug. A time in a spring-
/// forward gap is due at the gap's end; one in an autumn overlap once, at the earlier instant.
/// So two times can share an instant (02:30 and 03:00 on a spring-forward night): both are kept,
/// each a dose of its own.
pub fn doses_on(lines: &[Line], date: NaiveDate, tz: Tz) -> Vec<Occurrence> {
    let mut out: Vec<Occurrence> = lines
        .iter()
        .filter(|line| is_dosing_day(line, date))
        .flat_map(|line| {
            line.day_times().into_iter().map(move |t| Occurrence {
                line_id: line.id.clone(),
                drug: line.drug.clone(),
                dose: dose_on(line, date).to_owned(),
                local_date: date,
                local_time: t,
                due_at: local_instant(tz, date.and_time(t)),
            })
        })
        .collect();
    sort(&mut out);
    out
}

/// Every dose with `from <= due_at < to`, sorted like [`doses_on`]. A dose of local day D is due
/// on D or, after a gap at midnight, on D+1, so local days from the day before `from` to the day
/// of `to` cover the range; the filter on the instant makes adjacent ranges add up exactly.
pub fn occurrences_between(lines: &[Line], tz: Tz, from: DateTime<Utc>, to: DateTime<Utc>) -> Vec<Occurrence> {
    if from >= to {
        return Vec::new();
    }
    let first = wall_clock(tz, from).date();
    let last = wall_clock(tz, to).date();
    let mut out = Vec::new();
    let mut date = first.checked_sub_days(Days::new(1)).unwrap_or(first);
    while date <= last {
        out.extend(doses_on(lines, date, tz).into_iter().filter(|o| from <= o.due_at && o.due_at < to));
        let Some(next) = date.succ_opt() else { break };
        date = next;
    }
    sort(&mut out);
    out
}

/// The first dose due strictly after `after` and at most `horizon_days` × 24 h later (a reminder
/// job looks this far ahead; an ended or long-paused regimen gives `None`).
pub fn next_occurrence_after(lines: &[Line], tz: Tz, after: DateTime<Utc>, horizon_days: u32) -> Option<Occurrence> {
    let limit =
        after.checked_add_signed(chrono::Duration::days(i64::from(horizon_days))).unwrap_or(DateTime::<Utc>::MAX_UTC);
    let first = wall_clock(tz, after).date();
    // Doses of a local day are due from that day on, so none after the day of `limit` counts.
    let last = wall_clock(tz, limit).date();
    let mut date = first.checked_sub_days(Days::new(1)).unwrap_or(first);
    let mut found: Option<Occurrence> = None;
    while date <= last {
        // A dose of day D+1 may still precede one of day D (gap at midnight), never one of D+2.
        if found.as_ref().and_then(|f| f.local_date.checked_add_days(Days::new(1))).is_some_and(|d1| date > d1) {
            break;
        }
        // `doses_on` is sorted, so the first match is the day's earliest.
        if let Some(o) = doses_on(lines, date, tz).into_iter().find(|o| o.due_at > after && o.due_at <= limit)
            && found.as_ref().is_none_or(|f| key(&o) < key(f))
        {
            found = Some(o);
        }
        let Some(next) = date.succ_opt() else { break };
        date = next;
    }
    found
}

/// The order of occurrences: instant, drug, then time and line to make ties deterministic.
fn key(o: &Occurrence) -> (DateTime<Utc>, &str, NaiveTime, &str, NaiveDate) {
    (o.due_at, &o.drug, o.local_time, &o.line_id, o.local_date)
}

fn sort(v: &mut [Occurrence]) {
    v.sort_by(|a, b| key(a).cmp(&key(b)));
}
