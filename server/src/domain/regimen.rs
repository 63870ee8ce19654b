//! Dose schedules (issue 3): from regimen lines (times of day, on/off cycles, start and end,
//! holds), the dose occurrences of any local day in the patient's IANA time zone, DST-correct:
//! a time inside the spring-forward gap fires at the first valid instant after it, a time
//! inside the autumn overlap fires once, at the earlier instant.

use chrono::{DateTime, Days, NaiveDate, NaiveTime, Utc};

use super::calendar::local_instant;

/// One regimen line as the schedule sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub id: String,
    pub drug: String,
    pub times: Vec<NaiveTime>,
    /// (days on, days off); `None` = every day.
    pub cycle: Option<(u16, u16)>,
    pub start: NaiveDate,
    /// First day without doses (exclusive end); `None` = open-ended.
    pub end: Option<NaiveDate>,
    /// A professional's hold: no doses from `paused_from` until `paused_until` (exclusive).
    pub paused_from: Option<NaiveDate>,
    pub paused_until: Option<NaiveDate>,
}

/// Where a date falls in a line's cycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CycleDay {
    /// 1-based day within the cycle (within the whole treatment for a continuous line).
    pub day: u16,
    /// Cycle length in days; 0 for a continuous line.
    pub length: u16,
    /// False during the planned break.
    pub on: bool,
}

/// One planned dose.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Occurrence {
    pub line_id: String,
    pub drug: String,
    pub local_date: NaiveDate,
    pub local_time: NaiveTime,
    pub due_at: DateTime<Utc>,
}

/// The cycle position of `date`, or `None` outside [start, end).
pub fn cycle_day(line: &Line, date: NaiveDate) -> Option<CycleDay> {
    if date < line.start || line.end.is_some_and(|e| date >= e) {
        return None;
    }
    let elapsed = (date - line.start).num_days();
    Some(match line.cycle {
        Some((on, off)) if on > 0 => {
            let length = on + off;
            let day = (elapsed % i64::from(length)) as u16 + 1;
            CycleDay { day, length, on: day <= on }
        }
        _ => CycleDay { day: u16::try_from(elapsed + 1).unwrap_or(u16::MAX), length: 0, on: true },
    })
}

fn paused(line: &Line, date: NaiveDate) -> bool {
    line.paused_from.is_some_and(|f| date >= f) && line.paused_until.is_none_or(|u| date < u)
}

/// The doses of one local day, by instant then drug. Off-cycle, held and out-of-range days
/// have none.
pub fn doses_on(lines: &[Line], date: NaiveDate, tz: chrono_tz::Tz) -> Vec<Occurrence> {
    let mut out = Vec::new();
    for line in lines {
        if paused(line, date) || !cycle_day(line, date).is_some_and(|c| c.on) {
            continue;
        }
        let mut times = line.times.clone();
        times.sort();
        times.dedup();
        for t in times {
            out.push(Occurrence {
                line_id: line.id.clone(),
                drug: line.drug.clone(),
                local_date: date,
                local_time: t,
                due_at: local_instant(tz, date.and_time(t)),
            });
        }
    }
    out.sort_by(|a, b| (a.due_at, &a.drug, &a.line_id).cmp(&(b.due_at, &b.drug, &b.line_id)));
    out
}

/// Every occurrence with `from <= due_at < to`.
pub fn occurrences_between(
    lines: &[Line],
    tz: chrono_tz::Tz,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Vec<Occurrence> {
    if to <= from {
        return vec![];
    }
    // A local date's doses fall within a day or so of its UTC date: widen by one day each side.
    let first = from.with_timezone(&tz).date_naive().checked_sub_days(Days::new(1)).unwrap_or(NaiveDate::MIN);
    let last = to.with_timezone(&tz).date_naive().checked_add_days(Days::new(1)).unwrap_or(NaiveDate::MAX);
    let mut out = Vec::new();
    let mut day = first;
    while day <= last {
        out.extend(doses_on(lines, day, tz).into_iter().filter(|o| o.due_at >= from && o.due_at < to));
        match day.succ_opt() {
            Some(d) => day = d,
            None => break,
        }
    }
    out.sort_by(|a, b| (a.due_at, &a.drug, &a.line_id).cmp(&(b.due_at, &b.drug, &b.line_id)));
    out
}

/// The first occurrence strictly after `after`, looking `horizon_days` ahead.
pub fn next_occurrence_after(
    lines: &[Line],
    tz: chrono_tz::Tz,
    after: DateTime<Utc>,
    horizon_days: u32,
) -> Option<Occurrence> {
    let from = after + chrono::Duration::nanoseconds(1);
    occurrences_between(lines, tz, from, after + chrono::Duration::days(i64::from(horizon_days))).into_iter().next()
}

#[cfg(test)]
mod tests;
