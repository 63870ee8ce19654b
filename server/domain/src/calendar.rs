//! Working days (docs/triage.md §4): weekends and public holidays, per calendar. Which days are
//! holidays is data (`config/holidays/*.toml`); Easter, which moves, is computed here.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Datelike, Days, NaiveDate, NaiveDateTime, Offset, TimeZone, Utc, Weekday};
use serde::Deserialize;

#[cfg(test)]
mod tests;

/// Easter offsets are kept inside the holiday's own year (Easter falls between 22 March and
/// 25 April), so a day's holiday status only ever depends on that year's Easter.
const EASTER_OFFSETS: std::ops::RangeInclusive<i64> = -80..=250;

/// Beyond this many rules a file is surely wrong; the cap also guarantees every year keeps
/// working days, so a deadline search always ends.
const MAX_RULES: usize = 60;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct CalendarFile {
    #[serde(default)]
    extends: Option<String>,
    #[serde(default)]
    fixed: Vec<String>,
    #[serde(default)]
    easter_offsets: Vec<i64>,
}

/// One working-day calendar: fixed month-days and days relative to Easter Sunday.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Calendar {
    fixed: BTreeSet<(u32, u32)>,
    easter_offsets: BTreeSet<i64>,
}

/// Every calendar by name (`fr`, `fr-alsace-moselle`, `fr-reunion`, ...).
#[derive(Debug, Clone, Default)]
pub struct Calendars(BTreeMap<String, Calendar>);

/// A day as a French reader writes it: "5 déc. 2026" (abbreviated months of French usage).
pub fn day_fr(d: NaiveDate) -> String {
    const MONTHS: [&str; 12] =
        ["janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.", "déc."];
    format!("{} {} {}", d.day(), MONTHS[d.month0() as usize], d.year())
}

/// A day as an English reader writes it: "5 Dec 2026".
pub fn day_en(d: NaiveDate) -> String {
    d.format("%-d %b %Y").to_string()
}

/// Easter Sunday of a Gregorian year (anonymous Gregorian algorithm, Meeus/Jones/Butcher).
/// `None` only outside the years chrono can represent.
pub fn easter(year: i32) -> Option<NaiveDate> {
    let a = year.rem_euclid(19);
    let b = year.div_euclid(100);
    let c = year.rem_euclid(100);
    let (d, e) = (b.div_euclid(4), b.rem_euclid(4));
    let f = (b + 8).div_euclid(25);
    let g = (b - f + 1).div_euclid(3);
    let h = (19 * a + b - d - g + 15).rem_euclid(30);
    let (i, k) = (c / 4, c % 4);
    let l = (32 + 2 * e + 2 * i - h - k).rem_euclid(7);
    let m = (a + 11 * h + 22 * l) / 451;
    let n = h + l - 7 * m + 114;
    NaiveDate::from_ymd_opt(year, u32::try_from(n / 31).ok()?, u32::try_from(n % 31 + 1).ok()?)
}

impl Calendar {
    pub fn is_holiday(&self, d: NaiveDate) -> bool {
        self.fixed.contains(&(d.month(), d.day()))
            || easter(d.year()).is_some_and(|e| self.easter_offsets.contains(&(d - e).num_days()))
    }

    /// Monday to Friday and not a public holiday.
    pub fn is_working_day(&self, d: NaiveDate) -> bool {
        !matches!(d.weekday(), Weekday::Sat | Weekday::Sun) && !self.is_holiday(d)
    }

    /// The public holidays of a year, in order (for display and for checking a file by eye).
    pub fn holidays_in(&self, year: i32) -> Vec<NaiveDate> {
        let fixed = self.fixed.iter().filter_map(|&(m, d)| NaiveDate::from_ymd_opt(year, m, d));
        let moving = easter(year).into_iter().flat_map(|e| {
            self.easter_offsets.iter().filter_map(move |&o| e.checked_add_signed(chrono::Duration::days(o)))
        });
        let all: BTreeSet<NaiveDate> = fixed.chain(moving).collect();
        all.into_iter().collect()
    }
}

impl Calendars {
    /// Parses calendars given as (name, TOML text); `extends` may name another of them. Rejects
    /// unknown or looping `extends`, malformed MM-DD, a day or offset listed twice (also when
    /// already inherited: a copy-paste slip, never intended), and duplicate names.
    pub fn from_files(files: &[(&str, &str)]) -> Result<Self, String> {
        let mut parsed = BTreeMap::new();
        for (name, text) in files {
            if name.is_empty() {
                return Err("holidays: a calendar has an empty name".into());
            }
            let f: CalendarFile = toml::from_str(text).map_err(|e| format!("holidays/{name}.toml: {e}"))?;
            if parsed.insert((*name).to_owned(), f).is_some() {
                return Err(format!("holidays: calendar `{name}` given twice"));
            }
        }
        let mut out = BTreeMap::new();
        for name in parsed.keys() {
            out.insert(name.clone(), resolve(&parsed, name, &mut Vec::new())?);
        }
        Ok(Self(out))
    }

    pub fn get(&self, name: &str) -> Option<&Calendar> {
        self.0.get(name)
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.0.keys().map(String::as_str)
    }
}

fn resolve(files: &BTreeMap<String, CalendarFile>, name: &str, seen: &mut Vec<String>) -> Result<Calendar, String> {
    if seen.iter().any(|s| s == name) {
        seen.push(name.to_owned());
        return Err(format!("holidays: `extends` loops: {}", seen.join(" → ")));
    }
    let Some(f) = files.get(name) else {
        let from = seen.last().map_or(String::new(), |s| format!("holidays/{s}.toml: "));
        return Err(format!("{from}extends unknown calendar `{name}`"));
    };
    seen.push(name.to_owned());
    let mut cal = match &f.extends {
        Some(parent) => resolve(files, parent, seen)?,
        None => Calendar::default(),
    };
    for md in &f.fixed {
        let Some(day) = parse_month_day(md) else {
            return Err(format!("holidays/{name}.toml: fixed: `{md}` is not a MM-DD date"));
        };
        if !cal.fixed.insert(day) {
            return Err(format!("holidays/{name}.toml: fixed: `{md}` is listed twice (here or in a parent)"));
        }
    }
    for off in &f.easter_offsets {
        if !EASTER_OFFSETS.contains(off) {
            return Err(format!("holidays/{name}.toml: easter_offsets: `{off}` is outside {EASTER_OFFSETS:?}"));
        }
        if !cal.easter_offsets.insert(*off) {
            return Err(format!("holidays/{name}.toml: easter_offsets: `{off}` is listed twice (here or in a parent)"));
        }
    }
    if cal.fixed.len() + cal.easter_offsets.len() > MAX_RULES {
        return Err(format!("holidays/{name}.toml: more than {MAX_RULES} holidays"));
    }
    Ok(cal)
}

/// `MM-DD`, two digits each; 29 February is allowed (a holiday only in leap years).
fn parse_month_day(s: &str) -> Option<(u32, u32)> {
    let b = s.as_bytes();
    if b.len() != 5 || b[2] != b'-' || !b[..2].iter().chain(&b[3..]).all(u8::is_ascii_digit) {
        return None;
    }
    let (m, d) = (s[..2].parse().ok()?, s[3..].parse().ok()?);
    NaiveDate::from_ymd_opt(2028, m, d).map(|_| (m, d))
}

/// The instant of a local wall-clock time. In a spring-forward gap (the time never shows on
/// the clock) it is the first valid instant after the gap, i.e. the transition itself; in an
/// autumn overlap (the time shows twice) it is the earlier instant, so nothing is late.
pub fn local_instant(tz: chrono_tz::Tz, local: NaiveDateTime) -> DateTime<Utc> {
    match tz.from_local_datetime(&local).earliest() {
        Some(t) => t.with_timezone(&Utc),
        None => gap_end(tz, local),
    }
}

/// The wall-clock reading of an instant in `tz`. At the very ends of chrono's range, where the
/// reading is not representable, the nearest one that is (chrono's own conversion panics there).
pub fn wall_clock(tz: chrono_tz::Tz, at: DateTime<Utc>) -> NaiveDateTime {
    let offset = tz.offset_from_utc_datetime(&at.naive_utc()).fix();
    let ahead = offset.local_minus_utc() > 0;
    at.naive_utc().checked_add_offset(offset).unwrap_or(if ahead { NaiveDateTime::MAX } else { NaiveDateTime::MIN })
}

/// The transition that opens the gap containing `local`: wall clocks read before `local` until
/// it, after `local` from it on. Every UTC offset is under a day, so it lies within a day of
/// `local` read as UTC, and zones never change offset twice in two days: bisect on seconds.
fn gap_end(tz: chrono_tz::Tz, local: NaiveDateTime) -> DateTime<Utc> {
    let reads_at_or_after = |secs: i64| DateTime::from_timestamp(secs, 0).is_none_or(|u| wall_clock(tz, u) >= local);
    let base = local.and_utc().timestamp();
    let (mut lo, mut hi) = (base.saturating_sub(86_400), base.saturating_add(86_400));
    // Invariant: `lo` reads before `local`, `hi` at or after it.
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if reads_at_or_after(mid) {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    DateTime::from_timestamp(hi, 0).unwrap_or_else(|| local.and_utc())
}

/// A deadline of `days` working days: the same local wall-clock time on the `days`-th working
/// day after the local date of `from` (Friday 15:00 + 1 → Monday 15:00; a weekend or holiday
/// `from` counts from its own date, so Saturday + 1 → Monday). Zero days is `from` itself.
pub fn add_working_days(cal: &Calendar, tz: chrono_tz::Tz, from: DateTime<Utc>, days: u32) -> DateTime<Utc> {
    if days == 0 {
        return from;
    }
    let local = wall_clock(tz, from);
    let mut date = local.date();
    let mut left = days;
    while left > 0 {
        // At the end of chrono's calendar there is no later day: keep the last one reached.
        let Some(next) = date.checked_add_days(Days::new(1)) else { break };
        date = next;
        if cal.is_working_day(date) {
            left -= 1;
        }
    }
    local_instant(tz, date.and_time(local.time()))
}
