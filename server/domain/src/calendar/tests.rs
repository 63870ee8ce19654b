use chrono_tz::{Europe::Paris, Indian::Reunion};

use super::*;

/// The shipped calendar files, `config/holidays` of the repository.
fn shipped() -> Calendars {
    let dir = crate::test_support::repo_path("config/holidays");
    let mut files = Vec::new();
    for e in std::fs::read_dir(dir).expect("readable dir") {
        let p = e.expect("entry").path();
        let name = p.file_stem().expect("file name").to_string_lossy().into_owned();
        files.push((name, std::fs::read_to_string(&p).expect("readable file")));
    }
    let refs: Vec<(&str, &str)> = files.iter().map(|(n, t)| (n.as_str(), t.as_str())).collect();
    Calendars::from_files(&refs).expect("valid calendars")
}

fn d(s: &str) -> NaiveDate {
    s.parse().expect("date")
}

fn utc(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).expect("rfc3339").with_timezone(&Utc)
}

#[test]
fn easter_on_known_years() {
    for (y, e) in [
        (1818, "1818-03-22"),
        (1943, "1943-04-25"),
        (2000, "2000-04-23"),
        (2024, "2024-03-31"),
        (2025, "2025-04-20"),
        (2026, "2026-04-05"),
        (2027, "2027-03-28"),
        (2038, "2038-04-25"),
    ] {
        assert_eq!(easter(y), Some(d(e)), "{y}");
    }
}

#[test]
fn easter_is_a_sunday_between_22_march_and_25_april() {
    for y in 1583..=2400 {
        let e = easter(y).expect("in range");
        assert_eq!(e.weekday(), Weekday::Sun, "{y}");
        assert!(e >= NaiveDate::from_ymd_opt(y, 3, 22).expect("date"), "{y}");
        assert!(e <= NaiveDate::from_ymd_opt(y, 4, 25).expect("date"), "{y}");
    }
}

#[test]
fn the_eleven_french_holidays_of_2026() {
    let c = shipped();
    let fr = c.get("fr").expect("fr");
    let expected = [
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
    ];
    assert_eq!(fr.holidays_in(2026), expected.map(d).to_vec());
    assert!(!fr.is_holiday(d("2026-04-03")), "Good Friday is only Alsace-Moselle's");
    assert!(!fr.is_holiday(d("2026-04-05")) && !fr.is_working_day(d("2026-04-05")), "Easter Sunday: a Sunday");
}

#[test]
fn regional_calendars_add_their_days() {
    let c = shipped();
    let am = c.get("fr-alsace-moselle").expect("alsace-moselle");
    assert!(am.is_holiday(d("2026-04-03")) && am.is_holiday(d("2026-12-26")) && am.is_holiday(d("2026-05-14")));
    assert_eq!(am.holidays_in(2026).len(), 13);
    for (name, day) in [
        ("fr-reunion", "2026-12-20"),
        ("fr-martinique", "2026-05-22"),
        ("fr-guadeloupe", "2026-05-27"),
        ("fr-guyane", "2026-06-10"),
        ("fr-mayotte", "2026-04-27"),
    ] {
        let cal = c.get(name).expect(name);
        assert!(cal.is_holiday(d(day)), "{name} {day}");
        assert!(cal.is_holiday(d("2026-07-14")), "{name} inherits fr");
        assert_eq!(cal.holidays_in(2026).len(), 12, "{name}");
        assert!(!c.get("fr").expect("fr").is_holiday(d(day)), "{day} is not a metropolitan holiday");
    }
    assert_eq!(c.names().count(), 7);
}

#[test]
fn working_days_are_weekdays_that_are_not_holidays() {
    let c = shipped();
    let fr = c.get("fr").expect("fr");
    assert!(fr.is_working_day(d("2026-11-20")), "Friday");
    assert!(!fr.is_working_day(d("2026-11-21")), "Saturday");
    assert!(!fr.is_working_day(d("2026-11-22")), "Sunday");
    assert!(!fr.is_working_day(d("2026-11-11")), "Armistice, a Wednesday");
}

#[test]
fn one_working_day_deadlines() {
    let c = shipped();
    let fr = c.get("fr").expect("fr");
    let am = c.get("fr-alsace-moselle").expect("alsace-moselle");
    let cases = [
        // Friday 15:00 → Monday 15:00; Saturday 10:00 → Monday 10:00; Sunday → Monday.
        (fr, "2026-11-20T14:00:00Z", "2026-11-23T14:00:00Z"),
        (fr, "2026-11-21T09:00:00Z", "2026-11-23T09:00:00Z"),
        (fr, "2026-11-22T22:59:00Z", "2026-11-23T22:59:00Z"),
        // Wednesday 13 May 2026 → Friday 15 May: Thursday is Ascension.
        (fr, "2026-05-13T13:00:00Z", "2026-05-15T13:00:00Z"),
        // 24 December 2025 (Wednesday): 26th in fr; 29th in Alsace-Moselle (26 holiday, weekend).
        (fr, "2025-12-24T09:00:00Z", "2025-12-26T09:00:00Z"),
        (am, "2025-12-24T09:00:00Z", "2025-12-29T09:00:00Z"),
        // 24 December 2026 is a Thursday: 28th in both (26 is a Saturday anyway).
        (fr, "2026-12-24T09:00:00Z", "2026-12-28T09:00:00Z"),
        (am, "2026-12-24T09:00:00Z", "2026-12-28T09:00:00Z"),
        // Thursday before Good Friday 2026: Alsace-Moselle skips Friday and Easter Monday.
        (fr, "2026-04-02T08:00:00Z", "2026-04-03T08:00:00Z"),
        (am, "2026-04-02T08:00:00Z", "2026-04-07T08:00:00Z"),
        // Local date, not UTC date: 23:30 Friday in Paris is 22:30Z, still Friday.
        (fr, "2026-11-20T22:30:00Z", "2026-11-23T22:30:00Z"),
        // 00:30 Saturday in Paris is 23:30Z Friday: counts from Saturday, so Monday 00:30 local.
        (fr, "2026-11-20T23:30:00Z", "2026-11-22T23:30:00Z"),
    ];
    for (cal, from, due) in cases {
        assert_eq!(add_working_days(cal, Paris, utc(from), 1), utc(due), "from {from}");
    }
}

#[test]
fn several_and_zero_working_days() {
    let c = shipped();
    let fr = c.get("fr").expect("fr");
    let from = utc("2026-05-13T13:00:00Z");
    assert_eq!(add_working_days(fr, Paris, from, 0), from);
    // Wed 13 → Fri 15 (1), Mon 18 (2), ..., Fri 22 (6), Tue 26 (7: Whit Monday 25 skipped).
    assert_eq!(add_working_days(fr, Paris, from, 7), utc("2026-05-26T13:00:00Z"));
}

#[test]
fn deadlines_keep_the_local_time_across_dst() {
    let c = shipped();
    let fr = c.get("fr").expect("fr");
    // Friday 27 March 10:00 CET → Monday 30 March 10:00 CEST: one hour less in UTC.
    assert_eq!(add_working_days(fr, Paris, utc("2026-03-27T09:00:00Z"), 1), utc("2026-03-30T08:00:00Z"));
    // Friday 23 October 10:00 CEST → Monday 26 October 10:00 CET.
    assert_eq!(add_working_days(fr, Paris, utc("2026-10-23T08:00:00Z"), 1), utc("2026-10-26T09:00:00Z"));
}

#[test]
fn reunion_deadlines() {
    let c = shipped();
    let re = c.get("fr-reunion").expect("fr-reunion");
    // Friday 17 December 2027 10:00 (UTC+4) → Tuesday 21: Monday 20 December is a holiday there.
    assert_eq!(add_working_days(re, Reunion, utc("2027-12-17T06:00:00Z"), 1), utc("2027-12-21T06:00:00Z"));
    let fr = c.get("fr").expect("fr");
    assert_eq!(add_working_days(fr, Reunion, utc("2027-12-17T06:00:00Z"), 1), utc("2027-12-20T06:00:00Z"));
    // 22:00Z Friday is already Saturday 02:00 in Réunion: Monday 02:00 local, Sunday 22:00Z.
    assert_eq!(add_working_days(fr, Reunion, utc("2026-11-20T22:00:00Z"), 1), utc("2026-11-22T22:00:00Z"));
}

#[test]
fn gaps_and_overlaps() {
    let at = |s: &str, h, m| d(s).and_hms_opt(h, m, 0).expect("time");
    // 02:30 does not exist on 29 March 2026 in Paris: 03:00 CEST, the first valid instant.
    assert_eq!(local_instant(Paris, at("2026-03-29", 2, 30)), utc("2026-03-29T01:00:00Z"));
    assert_eq!(local_instant(Paris, at("2026-03-29", 2, 0)), utc("2026-03-29T01:00:00Z"));
    assert_eq!(local_instant(Paris, at("2026-03-29", 3, 0)), utc("2026-03-29T01:00:00Z"));
    // 02:30 happens twice on 25 October 2026: the earlier (CEST) one.
    assert_eq!(local_instant(Paris, at("2026-10-25", 2, 30)), utc("2026-10-25T00:30:00Z"));
    assert_eq!(local_instant(Paris, at("2026-10-25", 3, 0)), utc("2026-10-25T02:00:00Z"));
    // Lord Howe moves by half an hour; New York's gap is 02:00–03:00 EST→EDT.
    let lh = chrono_tz::Australia::Lord_Howe;
    assert_eq!(local_instant(lh, at("2026-10-04", 2, 10)), utc("2026-10-03T15:30:00Z"));
    let ny = chrono_tz::America::New_York;
    assert_eq!(local_instant(ny, at("2026-03-08", 2, 59)), utc("2026-03-08T07:00:00Z"));
}

#[test]
fn a_deadline_landing_in_a_gap_moves_to_its_end() {
    // Cairo springs forward at midnight on the last Friday of April (24 April 2026): Thursday
    // 00:30 + 1 working day is a Friday 00:30 that never shows, so 01:00 EEST.
    let cairo = chrono_tz::Africa::Cairo;
    let none = Calendar::default();
    assert_eq!(add_working_days(&none, cairo, utc("2026-04-22T22:30:00Z"), 1), utc("2026-04-23T22:00:00Z"));
    // Havana springs forward at midnight too (Sunday 8 March 2026).
    let at = d("2026-03-08").and_hms_opt(0, 30, 0).expect("time");
    assert_eq!(local_instant(chrono_tz::America::Havana, at), utc("2026-03-08T05:00:00Z"));
}

#[test]
fn bad_files_name_the_problem() {
    let err = |files: &[(&str, &str)]| Calendars::from_files(files).expect_err("invalid");
    let e = err(&[("fr", "fixed = [\"13-01\"]")]);
    assert!(e.contains("fr.toml") && e.contains("13-01"), "{e}");
    for bad in ["1-01", "01/01", "02-30", "00-10", "01-1x", "01-011"] {
        let e = err(&[("fr", &format!("fixed = [\"{bad}\"]"))]);
        assert!(e.contains(bad), "{e}");
    }
    assert!(err(&[("fr", "extends = \"x\"")]).contains("unknown calendar `x`"));
    assert!(err(&[("fr", "extends = \"fr\"")]).contains("loops"));
    let e = err(&[("a", "extends = \"b\""), ("b", "extends = \"c\""), ("c", "extends = \"a\"")]);
    assert!(e.contains("loops") && e.contains("a → b → c → a"), "{e}");
    assert!(err(&[("fr", "fixed = [\"05-01\", \"05-01\"]")]).contains("twice"));
    let e = err(&[("fr", "fixed = [\"05-01\"]"), ("x", "extends = \"fr\"\nfixed = [\"05-01\"]")]);
    assert!(e.contains("x.toml") && e.contains("twice"), "{e}");
    assert!(err(&[("fr", "easter_offsets = [1, 1]")]).contains("twice"));
    assert!(err(&[("fr", "easter_offsets = [400]")]).contains("outside"));
    assert!(err(&[("fr", "holidays = []")]).contains("fr.toml"), "unknown keys are refused");
    assert!(err(&[("fr", "fixed = ["), ("x", "")]).contains("fr.toml"));
    assert!(err(&[("fr", ""), ("fr", "")]).contains("twice"));
    let many: Vec<String> = (1..=31).flat_map(|day| [format!("\"01-{day:02}\""), format!("\"03-{day:02}\"")]).collect();
    assert!(err(&[("fr", &format!("fixed = [{}]", many.join(",")))]).contains("more than"));
}

#[test]
fn a_leap_day_holiday_only_exists_in_leap_years() {
    let c = Calendars::from_files(&[("x", "fixed = [\"02-29\"]")]).expect("valid");
    let x = c.get("x").expect("x");
    assert!(x.is_holiday(d("2028-02-29")));
    assert!(x.holidays_in(2027).is_empty());
    assert!(c.get("missing").is_none());
}
