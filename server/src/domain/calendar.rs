//! Working days (TRIAGE.md §4): weekends and public holidays, per calendar. Which days are
//! holidays is data (`config/holidays/*.toml`); Easter, which moves, is computed here.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Datelike, Days, NaiveDate, NaiveDateTime, TimeZone, Utc, Weekday};
use serde::Deserialize;

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

/// Easter Sunday of a Gregorian year (anonymous Gregorian algorithm, Meeus/Jones/Butcher).
pub fn easter(year: i32) -> NaiveDate {
    let a = year % 19;
    let b = year / 100;
    let c = year % 100;
    let d = b / 4;
    let e = b % 4;
    let f = (b + 8) / 25;
    let g = (b - f + 1) / 3;
    let h = (19 * a + b - d - g + 15) % 30;
    let i = c / 4;
    let k = c % 4;
    let l = (32 + 2 * e + 2 * i - h - k) % 7;
    let m = (a + 11 * h + 22 * l) / 451;
    let month = (h + l - 7 * m + 114) / 31;
    let day = (h + l - 7 * m + 114) % 31 + 1;
    NaiveDate::from_ymd_opt(year, month as u32, day as u32).unwrap_or(NaiveDate::MIN)
}

impl Calendar {
    pub fn is_holiday(&self, d: NaiveDate) -> bool {
        self.fixed.contains(&(d.month(), d.day())) || self.easter_offsets.contains(&(d - easter(d.year())).num_days())
    }

    pub fn is_working_day(&self, d: NaiveDate) -> bool {
        !matches!(d.weekday(), Weekday::Sat | Weekday::Sun) && !self.is_holiday(d)
    }
}

impl Calendars {
    /// Parses calendars given as (name, TOML text); `extends` may name another of them.
    pub fn from_files(files: &[(&str, &str)]) -> Result<Self, String> {
        let mut parsed = BTreeMap::new();
        for (name, text) in files {
            let f: CalendarFile = toml::from_str(text).map_err(|e| format!("holidays/{name}.toml: {e}"))?;
            parsed.insert((*name).to_owned(), f);
        }
        let mut out = BTreeMap::new();
        for name in parsed.keys() {
            out.insert(name.clone(), resolve(&parsed, name, &mut Vec::new())?);
        }
        if !out.contains_key("fr") {
            return Err("holidays: the `fr` calendar is required".into());
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
        return Err(format!("holidays/{name}.toml: `extends` loops through {}", seen.join(" → ")));
    }
    seen.push(name.to_owned());
    let f = files.get(name).ok_or_else(|| format!("holidays: unknown calendar `{name}` in `extends`"))?;
    let mut cal = match &f.extends {
        Some(parent) => resolve(files, parent, seen)?,
        None => Calendar::default(),
    };
    for md in &f.fixed {
        let parsed = md
            .split_once('-')
            .and_then(|(m, d)| Some((m.parse::<u32>().ok()?, d.parse::<u32>().ok()?)))
            .filter(|(m, d)| md.len() == 5 && NaiveDate::from_ymd_opt(2028, *m, *d).is_some());
        let Some(day) = parsed else { return Err(format!("holidays/{name}.toml: fixed: `{md}` is not MM-DD")) };
        if !cal.fixed.insert(day) {
            return Err(format!("holidays/{name}.toml: fixed: `{md}` listed twice"));
        }
    }
    for off in &f.easter_offsets {
        if !(-60..=60).contains(off) || !cal.easter_offsets.insert(*off) {
            return Err(format!("holidays/{name}.toml: easter_offsets: `{off}` is out of range or listed twice"));
        }
    }
    Ok(cal)
}

/// The instant of a local wall-clock time: in a spring-forward gap, the first valid instant
/// after it; in an autumn overlap, the earlier instant.
pub fn local_instant(tz: chrono_tz::Tz, local: NaiveDateTime) -> DateTime<Utc> {
    let mut t = local;
    for _ in 0..180 {
        if let Some(dt) = tz.from_local_datetime(&t).earliest() {
            return dt.with_timezone(&Utc);
        }
        t += chrono::Duration::minutes(1);
    }
    Utc.from_utc_datetime(&local)
}

/// A deadline of `days` working days: the same local time on the `days`-th working day after
/// the local date of `from` (Friday 15:00 + 1 → Monday 15:00; the eve of a holiday skips it).
pub fn add_working_days(cal: &Calendar, tz: chrono_tz::Tz, from: DateTime<Utc>, days: u32) -> DateTime<Utc> {
    let local = from.with_timezone(&tz).naive_local();
    let mut date = local.date();
    let mut left = days;
    while left > 0 {
        date = date.checked_add_days(Days::new(1)).unwrap_or(date);
        if cal.is_working_day(date) {
            left -= 1;
        }
    }
    local_instant(tz, date.and_time(local.time()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cals() -> Calendars {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../config/holidays");
        let mut files = Vec::new();
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            let name = p.file_stem().unwrap().to_string_lossy().into_owned();
            files.push((name, std::fs::read_to_string(&p).unwrap()));
        }
        let refs: Vec<(&str, &str)> = files.iter().map(|(n, t)| (n.as_str(), t.as_str())).collect();
        Calendars::from_files(&refs).unwrap()
    }

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn easter_on_known_years() {
        for (y, e) in [
            (2024, "2024-03-31"),
            (2025, "2025-04-20"),
            (2026, "2026-04-05"),
            (2027, "2027-03-28"),
            (2038, "2038-04-25"),
        ] {
            assert_eq!(easter(y), d(e));
        }
    }

    #[test]
    fn french_holidays_of_2026() {
        let c = cals();
        let fr = c.get("fr").unwrap();
        for h in [
            "2026-01-01",
            "2026-04-06",
            "2026-05-01",
            "2026-05-08",
            "2026-05-14",
            "2026-05-25",
            "2026-07-14",
            "2026-08-15",
            "2026-11-01",
            "2026-11-11",
            "2026-12-25",
        ] {
            assert!(fr.is_holiday(d(h)), "{h}");
        }
        assert!(!fr.is_holiday(d("2026-04-03")), "Good Friday only in Alsace-Moselle");
        let am = c.get("fr-alsace-moselle").unwrap();
        assert!(am.is_holiday(d("2026-04-03")) && am.is_holiday(d("2026-12-26")) && am.is_holiday(d("2026-05-14")));
        assert!(c.get("fr-reunion").unwrap().is_holiday(d("2026-12-20")));
        assert!(!fr.is_working_day(d("2026-11-21")), "Saturday");
    }

    #[test]
    fn working_day_deadlines() {
        let c = cals();
        let (fr, am) = (c.get("fr").unwrap(), c.get("fr-alsace-moselle").unwrap());
        let paris = chrono_tz::Europe::Paris;
        // Friday 15:00 → Monday 15:00; Saturday 10:00 → Monday 10:00.
        assert_eq!(add_working_days(fr, paris, utc("2026-11-20T14:00:00Z"), 1), utc("2026-11-23T14:00:00Z"));
        assert_eq!(add_working_days(fr, paris, utc("2026-11-21T09:00:00Z"), 1), utc("2026-11-23T09:00:00Z"));
        // Wednesday before Ascension → Friday.
        assert_eq!(add_working_days(fr, paris, utc("2026-05-13T13:00:00Z"), 1), utc("2026-05-15T13:00:00Z"));
        // 24 December → 28 December in Alsace-Moselle (25, 26 holidays, 27 Sunday), 26 elsewhere.
        assert_eq!(add_working_days(fr, paris, utc("2026-12-24T09:00:00Z"), 1), utc("2026-12-28T09:00:00Z"));
        assert_eq!(add_working_days(fr, paris, utc("2025-12-24T09:00:00Z"), 1), utc("2025-12-26T09:00:00Z"));
        assert_eq!(add_working_days(am, paris, utc("2025-12-24T09:00:00Z"), 1), utc("2025-12-29T09:00:00Z"));
        // Across the spring change the local time is kept (CET 10:00 → CEST 10:00).
        assert_eq!(add_working_days(fr, paris, utc("2026-03-27T09:00:00Z"), 1), utc("2026-03-30T08:00:00Z"));
        // Réunion: no DST, 20 December 2027 is a Monday holiday.
        let re = c.get("fr-reunion").unwrap();
        assert_eq!(
            add_working_days(re, chrono_tz::Indian::Reunion, utc("2027-12-17T06:00:00Z"), 1),
            utc("2027-12-21T06:00:00Z")
        );
    }

    #[test]
    fn gaps_and_overlaps() {
        let paris = chrono_tz::Europe::Paris;
        let gap = d("2026-03-29").and_hms_opt(2, 30, 0).unwrap();
        assert_eq!(local_instant(paris, gap), utc("2026-03-29T01:00:00Z"));
        let overlap = d("2026-10-25").and_hms_opt(2, 30, 0).unwrap();
        assert_eq!(local_instant(paris, overlap), utc("2026-10-25T00:30:00Z"));
    }

    #[test]
    fn bad_files_name_the_problem() {
        let e = Calendars::from_files(&[("fr", "fixed = [\"13-01\"]")]).unwrap_err();
        assert!(e.contains("fr.toml") && e.contains("13-01"), "{e}");
        let e = Calendars::from_files(&[("fr", "extends = \"x\"")]).unwrap_err();
        assert!(e.contains("unknown calendar"), "{e}");
        let e = Calendars::from_files(&[("fr", "extends = \"fr\"")]).unwrap_err();
        assert!(e.contains("loops"), "{e}");
        let e = Calendars::from_files(&[("fr-x", "fixed = []")]).unwrap_err();
        assert!(e.contains("`fr`"), "{e}");
    }
}
