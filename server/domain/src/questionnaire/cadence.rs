//! When questionnaires are due (docs/domain.md: S1 twice a week, S2 weekly, S3 every 2 weeks): the
//! `[cadence.<sequence>]` tables of `definitions.toml` and the local due dates they give.

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate, NaiveTime, Weekday};
use serde::Deserialize;

use crate::{Sequence, parse_hhmm};

/// When questionnaires of a sequence are due, in the patient's local time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cadence {
    /// Days of the week, Monday first, each once, never empty.
    pub days: Vec<Weekday>,
    /// 1 = every week; 2 = every other week, counted from the week of the episode start.
    pub every_weeks: u32,
    pub local_time: NaiveTime,
}

/// The local dates from `from` to `until` (both included) on which a questionnaire with this
/// cadence is due. With `every_weeks` = n, only the weeks 0, n, 2n... after the week of
/// `anchor` (the episode start; weeks run Monday to Sunday) count.
pub fn due_dates(cadence: &Cadence, from: NaiveDate, until: NaiveDate, anchor: NaiveDate) -> Vec<NaiveDate> {
    let anchor_week = anchor.week(Weekday::Mon).first_day();
    let every = i64::from(cadence.every_weeks.max(1));
    from.iter_days()
        .take_while(|d| *d <= until)
        .filter(|d| cadence.days.contains(&d.weekday()))
        .filter(|d| {
            let weeks = (d.week(Weekday::Mon).first_day() - anchor_week).num_days().div_euclid(7);
            weeks.rem_euclid(every) == 0
        })
        .collect()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct CadenceEntry {
    days: Vec<String>,
    #[serde(default = "one")]
    every_weeks: u32,
    local_time: String,
}

fn one() -> u32 {
    1
}

/// The cadence of each sequence; all three are required. Errors are prefixed with `file`.
pub(super) fn parse(raw: &BTreeMap<String, CadenceEntry>, file: &str) -> Result<BTreeMap<Sequence, Cadence>, String> {
    let mut out = BTreeMap::new();
    for (name, c) in raw {
        let at = format!("{file}: cadence.{name}");
        let seq = Sequence::parse(name).ok_or_else(|| format!("{at}: unknown sequence (S1, S2, S3)"))?;
        let mut days = Vec::new();
        for d in &c.days {
            let day = weekday(d).ok_or_else(|| format!("{at}.days: `{d}` is not a day (mon, tue, ... sun)"))?;
            if days.contains(&day) {
                return Err(format!("{at}.days: `{d}` listed twice"));
            }
            days.push(day);
        }
        if days.is_empty() {
            return Err(format!("{at}.days: at least one day"));
        }
        days.sort_by_key(|d| d.num_days_from_monday());
        if !(1..=8).contains(&c.every_weeks) {
            return Err(format!("{at}.every_weeks: from 1 to 8, not {}", c.every_weeks));
        }
        let local_time =
            parse_hhmm(&c.local_time).ok_or_else(|| format!("{at}.local_time: `{}` is not HH:MM", c.local_time))?;
        out.insert(seq, Cadence { days, every_weeks: c.every_weeks, local_time });
    }
    for seq in [Sequence::S1, Sequence::S2, Sequence::S3] {
        if !out.contains_key(&seq) {
            return Err(format!("{file}: cadence.{}: missing", seq.as_str()));
        }
    }
    Ok(out)
}

fn weekday(s: &str) -> Option<Weekday> {
    const DAYS: [(&str, Weekday); 7] = [
        ("mon", Weekday::Mon),
        ("tue", Weekday::Tue),
        ("wed", Weekday::Wed),
        ("thu", Weekday::Thu),
        ("fri", Weekday::Fri),
        ("sat", Weekday::Sat),
        ("sun", Weekday::Sun),
    ];
    DAYS.iter().find(|(k, _)| *k == s).map(|(_, d)| *d)
}
