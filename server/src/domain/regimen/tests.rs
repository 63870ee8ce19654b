use chrono::{NaiveDate, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use proptest::prelude::*;

use super::*;

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn t(s: &str) -> NaiveTime {
    crate::domain::parse_hhmm(s).unwrap()
}

fn line(times: &[&str], cycle: Option<(u16, u16)>, start: &str) -> Line {
    Line {
        id: "L1".into(),
        drug: "capecitabine".into(),
        times: times.iter().map(|s| t(s)).collect(),
        cycle,
        start: d(start),
        end: None,
        paused_from: None,
        paused_until: None,
    }
}

fn utc(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

const PARIS: Tz = chrono_tz::Europe::Paris;
const REUNION: Tz = chrono_tz::Indian::Reunion;

#[test]
fn paris_doses_follow_daylight_saving_and_reunion_does_not() {
    let l = line(&["08:00", "20:00"], None, "2026-03-01");
    let before = doses_on(std::slice::from_ref(&l), d("2026-03-28"), PARIS);
    assert_eq!(
        before.iter().map(|o| o.due_at).collect::<Vec<_>>(),
        [utc("2026-03-28T07:00:00Z"), utc("2026-03-28T19:00:00Z")]
    );
    let after = doses_on(std::slice::from_ref(&l), d("2026-03-30"), PARIS);
    assert_eq!(after[0].due_at, utc("2026-03-30T06:00:00Z"));
    let autumn = doses_on(std::slice::from_ref(&l), d("2026-10-26"), PARIS);
    assert_eq!(autumn[0].due_at, utc("2026-10-26T07:00:00Z"));
    for day in ["2026-03-28", "2026-03-30", "2026-10-24", "2026-10-26"] {
        let r = doses_on(std::slice::from_ref(&l), d(day), REUNION);
        assert_eq!(r[0].due_at, REUNION.from_local_datetime(&d(day).and_time(t("08:00"))).unwrap().with_timezone(&Utc));
        assert_eq!(r[0].due_at.format("%H:%M").to_string(), "04:00");
    }
}

#[test]
fn gap_fires_after_it_and_overlap_fires_once() {
    let l = line(&["02:30"], None, "2026-03-01");
    let spring = doses_on(std::slice::from_ref(&l), d("2026-03-29"), PARIS);
    assert_eq!(spring.len(), 1);
    assert_eq!(spring[0].due_at, utc("2026-03-29T01:00:00Z"));
    let autumn = doses_on(std::slice::from_ref(&l), d("2026-10-25"), PARIS);
    assert_eq!(autumn.len(), 1);
    assert_eq!(autumn[0].due_at, utc("2026-10-25T00:30:00Z"));
    let all =
        occurrences_between(std::slice::from_ref(&l), PARIS, utc("2026-10-24T00:00:00Z"), utc("2026-10-27T00:00:00Z"));
    assert_eq!(all.len(), 3, "one a day across the overlap");
}

#[test]
fn cycles_have_days_on_and_off() {
    let cape = line(&["08:00", "20:00"], Some((14, 7)), "2026-11-23");
    assert_eq!(cycle_day(&cape, d("2026-12-01")), Some(CycleDay { day: 9, length: 21, on: true }));
    assert_eq!(cycle_day(&cape, d("2026-12-07")), Some(CycleDay { day: 15, length: 21, on: false }));
    assert_eq!(cycle_day(&cape, d("2026-12-14")), Some(CycleDay { day: 1, length: 21, on: true }));
    assert!(doses_on(std::slice::from_ref(&cape), d("2026-12-07"), PARIS).is_empty());
    assert_eq!(doses_on(std::slice::from_ref(&cape), d("2026-12-14"), PARIS).len(), 2);
    let tmz = line(&["21:00"], Some((5, 23)), "2026-11-02");
    let month = occurrences_between(
        std::slice::from_ref(&tmz),
        PARIS,
        utc("2026-11-01T00:00:00Z"),
        utc("2026-11-30T00:00:00Z"),
    );
    assert_eq!(
        month.iter().map(|o| o.local_date.to_string()).collect::<Vec<_>>(),
        ["2026-11-02", "2026-11-03", "2026-11-04", "2026-11-05", "2026-11-06", "2026-11-30"][..5]
    );
    assert_eq!(cycle_day(&tmz, d("2026-11-01")), None, "before the start");
}

#[test]
fn ends_holds_and_dose_changes_are_respected() {
    let mut old = line(&["08:00"], None, "2026-11-01");
    old.end = Some(d("2026-11-10"));
    let mut new = line(&["09:00"], None, "2026-11-10");
    new.id = "L2".into();
    let both = [old.clone(), new.clone()];
    let days = occurrences_between(&both, PARIS, utc("2026-11-08T00:00:00Z"), utc("2026-11-12T00:00:00Z"));
    let got: Vec<(String, String)> = days.iter().map(|o| (o.local_date.to_string(), o.line_id.clone())).collect();
    assert_eq!(
        got,
        [("2026-11-08", "L1"), ("2026-11-09", "L1"), ("2026-11-10", "L2"), ("2026-11-11", "L2")]
            .map(|(a, b)| (a.to_string(), b.to_string()))
    );
    let mut held = line(&["08:00"], None, "2026-11-01");
    held.paused_from = Some(d("2026-11-05"));
    held.paused_until = Some(d("2026-11-07"));
    let n = occurrences_between(
        std::slice::from_ref(&held),
        PARIS,
        utc("2026-11-04T00:00:00Z"),
        utc("2026-11-08T00:00:00Z"),
    )
    .len();
    assert_eq!(n, 2, "4 and 7 November only");
}

#[test]
fn next_occurrence_skips_the_break() {
    let cape = line(&["08:00", "20:00"], Some((14, 7)), "2026-11-23");
    let n = next_occurrence_after(std::slice::from_ref(&cape), PARIS, utc("2026-12-06T19:00:00Z"), 30).unwrap();
    assert_eq!(n.due_at, utc("2026-12-14T07:00:00Z"));
    assert!(next_occurrence_after(std::slice::from_ref(&cape), PARIS, utc("2026-12-06T19:00:00Z"), 3).is_none());
}

fn zones() -> impl Strategy<Value = Tz> {
    prop::sample::select(vec![
        PARIS,
        REUNION,
        chrono_tz::America::Martinique,
        chrono_tz::America::New_York,
        chrono_tz::Australia::Sydney,
    ])
}

fn arb_line() -> impl Strategy<Value = Line> {
    (
        prop::collection::vec((0u32..24, prop::sample::select(vec![0u32, 15, 30, 45])), 1..4),
        prop::option::of((1u16..29, 1u16..29)),
        0i64..400,
    )
        .prop_map(|(times, cycle, offset)| Line {
            id: "P".into(),
            drug: "x".into(),
            times: times.into_iter().map(|(h, m)| NaiveTime::from_hms_opt(h, m, 0).unwrap()).collect(),
            cycle,
            start: d("2026-01-01") + chrono::Days::new(offset as u64),
            end: None,
            paused_from: None,
            paused_until: None,
        })
}

proptest! {
    #[test]
    fn no_occurrence_is_lost_or_doubled_at_any_split(l in arb_line(), tz in zones(), start_h in 0i64..(24 * 500), len_h in 1i64..(24 * 40), cut in 0.0f64..1.0) {
        let from = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap() + chrono::Duration::hours(start_h);
        let to = from + chrono::Duration::hours(len_h);
        let mid = from + chrono::Duration::seconds(((to - from).num_seconds() as f64 * cut) as i64);
        let whole = occurrences_between(std::slice::from_ref(&l), tz, from, to);
        let mut parts = occurrences_between(std::slice::from_ref(&l), tz, from, mid);
        parts.extend(occurrences_between(std::slice::from_ref(&l), tz, mid, to));
        prop_assert_eq!(&whole, &parts);
        let mut instants: Vec<_> = whole.iter().map(|o| o.due_at).collect();
        instants.dedup();
        let unique_times = { let mut t = l.times.clone(); t.sort(); t.dedup(); t.len() };
        // Two wall times can land on one instant only inside a gap; otherwise all distinct.
        prop_assert!(instants.len() + unique_times >= whole.len());
    }

    #[test]
    fn each_on_day_has_each_time_once_and_off_days_none(l in arb_line(), tz in zones(), offset in 0u64..500) {
        let day = d("2026-01-01") + chrono::Days::new(offset);
        let got = doses_on(std::slice::from_ref(&l), day, tz);
        let mut times = l.times.clone();
        times.sort();
        times.dedup();
        match cycle_day(&l, day) {
            Some(c) if c.on => {
                prop_assert_eq!(got.len(), times.len());
                prop_assert!(got.windows(2).all(|w| w[0].due_at <= w[1].due_at));
                prop_assert!(got.iter().all(|o| o.local_date == day));
            }
            _ => prop_assert!(got.is_empty()),
        }
    }
}
