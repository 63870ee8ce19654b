use chrono::Duration;
use chrono_tz::{Europe::Paris, Indian::Reunion};

use super::*;

mod properties;

pub(super) fn d(s: &str) -> NaiveDate {
    s.parse().expect("date")
}

fn t(s: &str) -> NaiveTime {
    crate::parse_hhmm(s).expect("HH:MM")
}

fn utc(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).expect("rfc3339").with_timezone(&Utc)
}

fn line(id: &str, drug: &str, times: &[&str], cycle: Option<(u16, u16)>, start: &str) -> Line {
    Line {
        id: id.into(),
        drug: drug.into(),
        times: times.iter().map(|s| t(s)).collect(),
        cycle: cycle.map(|(on, off)| Cycle::on_off(on, off)),
        dose: "1 mg".into(),
        steps: vec![],
        start: d(start),
        end: None,
        paused_from: None,
        paused_until: None,
    }
}

fn instants(v: &[Occurrence]) -> Vec<DateTime<Utc>> {
    v.iter().map(|o| o.due_at).collect()
}

#[test]
fn paris_keeps_wall_clock_times_across_both_changes() {
    let l = [line("l1", "imatinib", &["08:00", "20:00"], None, "2026-03-01")];
    let day = |s| instants(&doses_on(&l, d(s), Paris));
    assert_eq!(day("2026-03-28"), [utc("2026-03-28T07:00:00Z"), utc("2026-03-28T19:00:00Z")]);
    assert_eq!(day("2026-03-29"), [utc("2026-03-29T06:00:00Z"), utc("2026-03-29T18:00:00Z")]);
    assert_eq!(day("2026-10-25"), [utc("2026-10-25T07:00:00Z"), utc("2026-10-25T19:00:00Z")]);
    assert_eq!(day("2026-10-24"), [utc("2026-10-24T06:00:00Z"), utc("2026-10-24T18:00:00Z")]);
}

#[test]
fn a_time_in_the_gap_fires_at_its_end_and_one_in_the_overlap_once_and_early() {
    let l = [line("l1", "olaparib", &["02:30"], None, "2026-03-01")];
    let gap = doses_on(&l, d("2026-03-29"), Paris);
    assert_eq!(instants(&gap), [utc("2026-03-29T01:00:00Z")]);
    assert_eq!(gap[0].local_time, t("02:30"), "the prescribed time is kept");
    assert_eq!(instants(&doses_on(&l, d("2026-10-25"), Paris)), [utc("2026-10-25T00:30:00Z")]);
    // Over the whole autumn night: exactly one dose.
    let night = occurrences_between(&l, Paris, utc("2026-10-24T20:00:00Z"), utc("2026-10-25T12:00:00Z"));
    assert_eq!(night.len(), 1);
}

#[test]
fn two_times_that_meet_in_the_gap_stay_two_doses() {
    let l = [line("l1", "olaparib", &["02:30", "03:00"], None, "2026-03-01")];
    let v = doses_on(&l, d("2026-03-29"), Paris);
    assert_eq!(instants(&v), [utc("2026-03-29T01:00:00Z"), utc("2026-03-29T01:00:00Z")]);
    assert_eq!(v.iter().map(|o| o.local_time).collect::<Vec<_>>(), [t("02:30"), t("03:00")]);
}

#[test]
fn reunion_has_no_dst() {
    let l = [line("l1", "capecitabine", &["08:00", "20:00"], None, "2026-03-01")];
    for day in ["2026-03-28", "2026-03-29", "2026-10-25", "2026-10-26"] {
        let v = instants(&doses_on(&l, d(day), Reunion));
        let at = |h: &str| utc(&format!("{day}T{h}:00:00Z"));
        assert_eq!(v, [at("04"), at("16")], "{day}");
    }
    let l = [line("l1", "olaparib", &["02:30"], None, "2026-03-01")];
    assert_eq!(instants(&doses_on(&l, d("2026-03-29"), Reunion)), [utc("2026-03-28T22:30:00Z")]);
}

#[test]
fn capecitabine_14_on_7_off() {
    let cape = line("c", "capecitabine", &["08:00", "20:00"], Some((14, 7)), "2026-01-05");
    let at = |s| cycle_day(&cape, d(s));
    assert_eq!(at("2026-01-04"), None, "before start");
    assert_eq!(at("2026-01-05"), Some(CycleDay { day: 1, length: 21, on: true }));
    assert_eq!(at("2026-01-18"), Some(CycleDay { day: 14, length: 21, on: true }));
    assert_eq!(at("2026-01-19"), Some(CycleDay { day: 15, length: 21, on: false }));
    assert_eq!(at("2026-01-25"), Some(CycleDay { day: 21, length: 21, on: false }));
    assert_eq!(at("2026-01-26"), Some(CycleDay { day: 1, length: 21, on: true }), "cycle 2");
    assert!(doses_on(std::slice::from_ref(&cape), d("2026-01-19"), Paris).is_empty());
    // Three cycles: 3 × 14 days × 2 doses.
    let v = occurrences_between(&[cape], Paris, utc("2026-01-01T00:00:00Z"), utc("2026-03-09T00:00:00Z"));
    assert_eq!(v.len(), 84);
    assert_eq!(v.last().map(|o| o.local_date), Some(d("2026-03-01")), "day 14 of cycle 3");
}

#[test]
fn temozolomide_5_on_23_off() {
    let tmz = line("t", "temozolomide", &["21:00"], Some((5, 23)), "2026-03-02");
    assert_eq!(cycle_day(&tmz, d("2026-03-06")), Some(CycleDay { day: 5, length: 28, on: true }));
    assert_eq!(cycle_day(&tmz, d("2026-03-07")), Some(CycleDay { day: 6, length: 28, on: false }));
    assert_eq!(cycle_day(&tmz, d("2026-03-30")), Some(CycleDay { day: 1, length: 28, on: true }));
    let v = occurrences_between(&[tmz], Paris, utc("2026-03-01T00:00:00Z"), utc("2026-05-01T00:00:00Z"));
    let days: Vec<String> = v.iter().map(|o| o.local_date.format("%m-%d").to_string()).collect();
    let want = [
        "03-02", "03-03", "03-04", "03-05", "03-06", "03-30", "03-31", "04-01", "04-02", "04-03", "04-27", "04-28",
        "04-29", "04-30",
    ];
    assert_eq!(days, want);
    // 30 March is CEST: 21:00 local is 19:00Z, 2 March is CET: 20:00Z.
    assert_eq!(v[0].due_at, utc("2026-03-02T20:00:00Z"));
    assert_eq!(v[5].due_at, utc("2026-03-30T19:00:00Z"));
}

#[test]
fn a_continuous_line_is_always_on_with_no_cycle_length() {
    let l = line("l", "imatinib", &["08:00"], None, "2026-01-01");
    assert_eq!(cycle_day(&l, d("2026-01-01")), Some(CycleDay { day: 1, length: 0, on: true }));
    assert_eq!(cycle_day(&l, d("2026-02-01")), Some(CycleDay { day: 32, length: 0, on: true }));
    assert_eq!(cycle_day(&l, d("2300-01-01")).map(|c| c.day), Some(u16::MAX), "capped, no overflow");
}

#[test]
fn end_and_pause_are_exclusive() {
    let mut l = line("l", "imatinib", &["08:00"], None, "2026-01-01");
    l.end = Some(d("2026-01-10"));
    l.paused_from = Some(d("2026-01-03"));
    l.paused_until = Some(d("2026-01-05"));
    assert!(cycle_day(&l, d("2026-01-09")).is_some());
    assert_eq!(cycle_day(&l, d("2026-01-10")), None);
    let days: Vec<NaiveDate> =
        occurrences_between(std::slice::from_ref(&l), Paris, utc("2025-12-01T00:00:00Z"), utc("2026-02-01T00:00:00Z"))
            .into_iter()
            .map(|o| o.local_date)
            .collect();
    let want = ["2026-01-01", "2026-01-02", "2026-01-05", "2026-01-06", "2026-01-07", "2026-01-08", "2026-01-09"];
    assert_eq!(days, want.map(d));
    // The cycle counts on through a pause; a pause without an end lasts until resumed.
    assert_eq!(cycle_day(&l, d("2026-01-04")).map(|c| c.day), Some(4));
    l.paused_until = None;
    assert!(doses_on(&[l], d("2026-01-09"), Paris).is_empty());
}

#[test]
fn doses_are_sorted_by_instant_then_drug() {
    let lines = [
        line("b", "ribociclib", &["09:00"], Some((21, 7)), "2026-03-01"),
        line("a", "letrozole", &["09:00", "07:30"], None, "2026-03-01"),
        line("c", "abemaciclib", &["21:00", "09:00"], None, "2026-03-01"),
    ];
    let v = doses_on(&lines, d("2026-03-10"), Paris);
    let got: Vec<(String, String)> =
        v.iter().map(|o| (o.local_time.format("%H:%M").to_string(), o.drug.clone())).collect();
    let want = [
        ("07:30", "letrozole"),
        ("09:00", "abemaciclib"),
        ("09:00", "letrozole"),
        ("09:00", "ribociclib"),
        ("21:00", "abemaciclib"),
    ];
    assert_eq!(got, want.map(|(a, b)| (a.to_string(), b.to_string())));
}

#[test]
fn ranges_are_half_open() {
    let l = [line("l", "imatinib", &["08:00"], None, "2026-01-01")];
    let at8 = utc("2026-01-10T07:00:00Z");
    assert_eq!(occurrences_between(&l, Paris, at8, at8 + Duration::seconds(1)).len(), 1, "from is inclusive");
    assert!(occurrences_between(&l, Paris, at8 - Duration::hours(1), at8).is_empty(), "to is exclusive");
    assert!(occurrences_between(&l, Paris, at8, at8).is_empty());
    assert!(occurrences_between(&l, Paris, at8 + Duration::hours(1), at8).is_empty(), "reversed range");
}

#[test]
fn next_occurrence_skips_off_days_and_respects_the_horizon() {
    let tmz = [line("t", "temozolomide", &["21:00"], Some((5, 23)), "2026-03-02")];
    let last_on = utc("2026-03-06T20:00:00Z");
    let next = next_occurrence_after(&tmz, Paris, last_on, 30).expect("next cycle");
    assert_eq!((next.local_date, next.due_at), (d("2026-03-30"), utc("2026-03-30T19:00:00Z")));
    assert_eq!(next_occurrence_after(&tmz, Paris, last_on, 23), None, "beyond the horizon");
    assert_eq!(next_occurrence_after(&tmz, Paris, last_on, 0), None);
    let just_before = last_on - Duration::seconds(1);
    assert_eq!(next_occurrence_after(&tmz, Paris, just_before, 1).map(|o| o.due_at), Some(last_on));
    // Strictly after, and horizon inclusive: exactly 24 days later.
    let exact = next_occurrence_after(&tmz, Paris, utc("2026-03-06T19:00:00Z"), 24);
    assert_eq!(exact.map(|o| o.due_at), Some(utc("2026-03-06T20:00:00Z")));
    assert_eq!(next_occurrence_after(&[], Paris, last_on, 365), None);
}

#[test]
fn trifluridine_tipiracil_is_taken_on_both_blocks_and_chlorambucil_on_d1_and_d15() {
    let ftd = Line {
        cycle: Some(Cycle { length: 28, on: vec![(1, 5), (8, 12)] }),
        ..line("l", "trifluridine_tipiracil", &["08:00", "20:00"], None, "2026-01-01")
    };
    let on: Vec<u32> =
        (0..56).filter(|i| is_dosing_day(&ftd, d("2026-01-01") + Days::new(*i))).map(|i| i as u32 + 1).collect();
    assert_eq!(on, [1, 2, 3, 4, 5, 8, 9, 10, 11, 12, 29, 30, 31, 32, 33, 36, 37, 38, 39, 40]);
    assert_eq!(cycle_day(&ftd, d("2026-01-08")), Some(CycleDay { day: 8, length: 28, on: true }));
    assert_eq!(doses_on(std::slice::from_ref(&ftd), d("2026-01-08"), Paris).len(), 2);
    let chl = Line { cycle: Some(Cycle { length: 28, on: vec![(1, 1), (15, 15)] }), ..ftd.clone() };
    let on: Vec<u32> =
        (0..56).filter(|i| is_dosing_day(&chl, d("2026-01-01") + Days::new(*i))).map(|i| i as u32 + 1).collect();
    assert_eq!(on, [1, 15, 29, 43]);
    assert_eq!(Cycle::on_off(14, 7), Cycle { length: 21, on: vec![(1, 14)] });
    assert_eq!(Cycle::on_off(14, 7).as_on_off(), Some((14, 7)));
    assert_eq!(chl.cycle.and_then(|c| c.as_on_off()), None);
}

#[test]
fn a_ramp_up_gives_each_day_the_step_in_force() {
    let step = |from_day: u32, dose: &str| Step { from_day, dose: dose.into() };
    let ven = Line {
        steps: vec![step(1, "20 mg"), step(8, "50 mg"), step(15, "100 mg"), step(22, "200 mg"), step(29, "400 mg")],
        ..line("l", "venetoclax", &["08:00"], None, "2026-01-01")
    };
    let dose = |day: &str| doses_on(std::slice::from_ref(&ven), d(day), Paris)[0].dose.clone();
    assert_eq!(dose("2026-01-01"), "20 mg");
    assert_eq!(dose("2026-01-07"), "20 mg");
    assert_eq!(dose("2026-01-08"), "50 mg");
    assert_eq!(dose("2026-01-29"), "400 mg");
    assert_eq!(dose("2026-06-01"), "400 mg", "the last step holds on");
    assert_eq!(dose_on(&line("f", "imatinib", &["08:00"], None, "2026-01-01"), d("2026-01-05")), "1 mg");
}

#[test]
fn check_names_the_field() {
    let ok = line("l", "imatinib", &["08:00"], Some((14, 7)), "2026-01-01");
    assert_eq!(ok.check("regimen[0]"), Ok(()));
    let field = |l: Line| l.check("regimen[0]").expect_err("invalid").field;
    assert_eq!(field(Line { times: vec![], ..ok.clone() }), "regimen[0].times");
    assert_eq!(field(Line { times: vec![t("08:00"), t("08:00")], ..ok.clone() }), "regimen[0].times");
    assert_eq!(field(Line { cycle: Some(Cycle::on_off(0, 7)), ..ok.clone() }), "regimen[0].cycle");
    let blocks = |on: Vec<(u16, u16)>| Line { cycle: Some(Cycle { length: 28, on }), ..ok.clone() };
    assert_eq!(ok.check("regimen[0]"), Ok(()));
    assert_eq!(blocks(vec![(1, 5), (8, 12)]).check("regimen[0]"), Ok(()));
    assert_eq!(field(blocks(vec![(1, 5), (5, 12)])), "regimen[0].cycle", "overlapping");
    assert_eq!(field(blocks(vec![(8, 12), (1, 5)])), "regimen[0].cycle", "out of order");
    assert_eq!(field(blocks(vec![(1, 5), (27, 29)])), "regimen[0].cycle", "beyond the cycle");
    assert_eq!(field(blocks(vec![(0, 5)])), "regimen[0].cycle", "days count from 1");
    assert_eq!(field(blocks(vec![])), "regimen[0].cycle");
    let step = |from_day: u32, dose: &str| Step { from_day, dose: dose.into() };
    assert_eq!(field(Line { steps: vec![step(2, "20 mg")], ..ok.clone() }), "regimen[0].steps");
    assert_eq!(field(Line { steps: vec![step(1, "20 mg"), step(1, "50 mg")], ..ok.clone() }), "regimen[0].steps");
    assert_eq!(field(Line { end: Some(ok.start), ..ok.clone() }), "regimen[0].end");
    assert_eq!(field(Line { drug: " ".into(), ..ok.clone() }), "regimen[0].drug");
    assert_eq!(field(Line { id: String::new(), ..ok.clone() }), "regimen[0].id");
    assert_eq!(field(Line { paused_until: Some(d("2026-02-01")), ..ok.clone() }), "regimen[0].paused_until");
    let backwards = Line { paused_from: Some(d("2026-02-01")), paused_until: Some(d("2026-02-01")), ..ok.clone() };
    assert_eq!(field(backwards), "regimen[0].paused_until");
}

#[test]
fn lines_that_fail_check_plan_nothing_odd_and_never_panic() {
    let zero = line("z", "x", &["08:00"], Some((0, 0)), "2026-01-01");
    assert_eq!(cycle_day(&zero, d("2026-01-02")), Some(CycleDay { day: 1, length: 0, on: false }));
    let huge = line("h", "x", &["08:00"], Some((u16::MAX, u16::MAX)), "2026-01-01");
    assert!(cycle_day(&huge, d("2026-01-02")).is_some_and(|c| c.on && c.length == u16::MAX));
    let dup = line("d", "x", &["08:00", "08:00"], None, "2026-01-01");
    assert_eq!(doses_on(&[dup], d("2026-01-02"), Paris).len(), 1, "a duplicate time is one dose");
    let lone_until = Line { paused_until: Some(d("2026-02-01")), ..line("p", "x", &["08:00"], None, "2026-01-01") };
    assert_eq!(doses_on(&[lone_until], d("2026-01-02"), Paris).len(), 1);
    // At the ends of chrono's range: no panic, only instants inside the range asked for.
    let far = [line("f", "x", &["08:00"], None, "2026-01-01")];
    let (max, min) = (DateTime::<Utc>::MAX_UTC, DateTime::<Utc>::MIN_UTC);
    assert!(occurrences_between(&far, Paris, max - Duration::days(2), max).iter().all(|o| o.due_at < max));
    let after = max - Duration::days(1);
    assert!(next_occurrence_after(&far, Paris, after, 10).is_none_or(|o| o.due_at > after));
    assert!(occurrences_between(&far, Paris, min, min + Duration::days(2)).is_empty());
}
