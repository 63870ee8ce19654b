//! Properties over random regimens, zones and ranges, concentrated around DST changes.

use std::collections::BTreeMap;

use chrono::{Duration, LocalResult, TimeZone};
use proptest::prelude::*;

use super::super::*;
use super::d;

const ZONES: [Tz; 5] = [
    chrono_tz::Europe::Paris,
    chrono_tz::Indian::Reunion,
    chrono_tz::America::Martinique,
    chrono_tz::America::New_York,
    chrono_tz::Australia::Sydney,
];

/// The 2026 DST changes of the zones above (EU, US, southern hemisphere).
const CHANGES: [&str; 6] = ["2026-03-08", "2026-03-29", "2026-04-05", "2026-10-04", "2026-10-25", "2026-11-01"];

fn arb_time() -> impl Strategy<Value = NaiveTime> {
    // Half the times in the small hours, where gaps and overlaps are.
    let hour = prop_oneof![0u32..4, 0u32..24];
    (hour, prop_oneof![Just(0u32), Just(30), 0u32..60])
        .prop_map(|(h, m)| NaiveTime::from_hms_opt(h, m, 0).unwrap_or(NaiveTime::MIN))
}

prop_compose! {
    fn arb_line(i: usize)(
        times in proptest::collection::btree_set(arb_time(), 1..=3),
        cycle in proptest::option::of(prop_oneof![
            (1u16..=28, 1u16..=28).prop_map(|(on, off)| Cycle::on_off(on, off)),
            proptest::collection::vec(any::<bool>(), 1..=42).prop_map(|days| blocks_of(&days)),
        ]),
        steps in proptest::collection::btree_set(2u32..=60, 0..=4),
        change in 0..CHANGES.len(),
        shift in -40i64..=5,
        length in proptest::option::of(1u64..=90),
        pause in proptest::option::of((0u64..=40, proptest::option::of(1u64..=10))),
    ) -> Line {
        let start = d(CHANGES[change]) + Duration::days(shift);
        let (paused_from, paused_until) = match pause {
            Some((from, len)) => (Some(start + Days::new(from)), len.map(|l| start + Days::new(from + l))),
            None => (None, None),
        };
        Line {
            id: format!("line{i}"),
            drug: ["capecitabine", "temozolomide", "imatinib"][i % 3].into(),
            times: times.into_iter().collect(),
            cycle,
            dose: "1 mg".into(),
            steps: if steps.is_empty() {
                vec![]
            } else {
                std::iter::once(1).chain(steps).map(|from_day| Step { from_day, dose: format!("{from_day} mg") }).collect()
            },
            start,
            end: length.map(|l| start + Days::new(l)),
            paused_from,
            paused_until,
        }
    }
}

/// The blocks of on-days of a cycle whose day i+1 is on when `days[i]` (day 1 on if none is).
fn blocks_of(days: &[bool]) -> Cycle {
    let mut on: Vec<(u16, u16)> = Vec::new();
    for (i, &is_on) in days.iter().enumerate() {
        let day = i as u16 + 1;
        match on.last_mut() {
            Some((_, to)) if is_on && *to + 1 == day => *to = day,
            _ if is_on => on.push((day, day)),
            _ => {}
        }
    }
    if on.is_empty() {
        on.push((1, 1));
    }
    Cycle { length: days.len() as u16, on }
}

fn arb_lines() -> impl Strategy<Value = Vec<Line>> {
    prop_oneof![
        arb_line(0).prop_map(|a| vec![a]),
        (arb_line(0), arb_line(1)).prop_map(|(a, b)| vec![a, b]),
        (arb_line(0), arb_line(1), arb_line(2)).prop_map(|(a, b, c)| vec![a, b, c]),
    ]
}

/// A range of up to 20 days starting around a DST change.
fn arb_range() -> impl Strategy<Value = (DateTime<Utc>, DateTime<Utc>)> {
    (0..CHANGES.len(), -3 * 86_400i64..=86_400, 1i64..=20 * 86_400).prop_map(|(c, off, len)| {
        let base = d(CHANGES[c]).and_time(NaiveTime::MIN).and_utc();
        (base + Duration::seconds(off), base + Duration::seconds(off + len))
    })
}

/// Independent statement of the dose of a day: the step of the greatest `from_day` reached.
fn oracle_dose(line: &Line, date: NaiveDate) -> String {
    let day = (date - line.start).num_days() + 1;
    let mut dose = line.dose.clone();
    for s in &line.steps {
        if i64::from(s.from_day) <= day {
            dose = s.dose.clone();
        }
    }
    dose
}

/// Independent statement of the dosing rule, to check the implementation against.
fn oracle_on(line: &Line, date: NaiveDate) -> bool {
    let in_span = date >= line.start && line.end.is_none_or(|e| date < e);
    let paused = line.paused_from.is_some_and(|f| date >= f) && line.paused_until.is_none_or(|u| date < u);
    let on_cycle = match &line.cycle {
        None => true,
        Some(c) => {
            let day = (date - line.start).num_days().rem_euclid(i64::from(c.length)) + 1;
            c.on.iter().flat_map(|&(a, b)| i64::from(a)..=i64::from(b)).any(|on_day| on_day == day)
        }
    };
    in_span && !paused && on_cycle
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// (a) Splitting a range anywhere, including on dose instants and DST transitions, neither
    /// loses nor duplicates a dose.
    #[test]
    fn split_ranges_add_up(
        lines in arb_lines(),
        zone in 0..ZONES.len(),
        (from, to) in arb_range(),
        cuts in proptest::collection::vec(0.0f64..1.0, 0..4),
        on_doses in proptest::collection::vec(any::<prop::sample::Index>(), 0..3),
    ) {
        let tz = ZONES[zone];
        let whole = occurrences_between(&lines, tz, from, to);
        let span = (to - from).num_seconds() as f64;
        let mut points: Vec<DateTime<Utc>> = cuts.iter().map(|c| from + Duration::seconds((span * c) as i64)).collect();
        if !whole.is_empty() {
            points.extend(on_doses.iter().map(|i| whole[i.index(whole.len())].due_at));
        }
        // Cut at each wall-clock change inside the range too.
        let mut t = from;
        while t < to {
            let next = t + Duration::minutes(30);
            if tz.offset_from_utc_datetime(&t.naive_utc()) != tz.offset_from_utc_datetime(&next.naive_utc()) {
                points.push(next);
            }
            t = next;
        }
        points.push(from);
        points.push(to);
        points.retain(|p| from <= *p && *p <= to);
        points.sort();
        points.dedup();
        let joined: Vec<Occurrence> =
            points.windows(2).flat_map(|w| occurrences_between(&lines, tz, w[0], w[1])).collect();
        prop_assert_eq!(joined, whole);
    }

    /// (b) Every on-day (of any block) yields exactly one dose per time; off, paused and out-of-span days none.
    #[test]
    fn each_on_day_has_each_time_once(lines in arb_lines(), zone in 0..ZONES.len(), first in 0..CHANGES.len()) {
        let tz = ZONES[zone];
        let days: Vec<NaiveDate> = (-45i64..=45).map(|i| d(CHANGES[first]) + Duration::days(i)).collect();
        let (lo, hi) = (days[0], days[days.len() - 1]);
        let from = local_instant(tz, lo.and_time(NaiveTime::MIN));
        let to = local_instant(tz, (hi + Days::new(1)).and_time(NaiveTime::MIN));
        let mut seen: BTreeMap<(String, NaiveDate, NaiveTime), usize> = BTreeMap::new();
        for o in occurrences_between(&lines, tz, from, to) {
            let line = lines.iter().find(|l| l.id == o.line_id).expect("a dose of a known line");
            prop_assert_eq!(&o.dose, &oracle_dose(line, o.local_date), "the step in force");
            *seen.entry((o.line_id, o.local_date, o.local_time)).or_default() += 1;
        }
        for line in &lines {
            for &date in &days {
                let want = usize::from(oracle_on(line, date));
                prop_assert_eq!(is_dosing_day(line, date), want == 1);
                for &time in &line.times {
                    let got = seen.remove(&(line.id.clone(), date, time)).unwrap_or(0);
                    prop_assert_eq!(got, want, "{} {} {}", line.id, date, time);
                }
            }
        }
        prop_assert!(seen.is_empty(), "unexpected doses: {:?}", seen);
    }

    /// (c) Within a day, a line's doses come in time order: strictly, except that times lost in
    /// a spring-forward gap share the gap's end with the next ones; (d) the instant shows the
    /// prescribed time on the local clock unless that time does not exist.
    #[test]
    fn instants_follow_the_clock(lines in arb_lines(), zone in 0..ZONES.len(), first in 0..CHANGES.len()) {
        let tz = ZONES[zone];
        for i in -3i64..=3 {
            let date = d(CHANGES[first]) + Duration::days(i);
            let v = doses_on(&lines, date, tz);
            for line in &lines {
                let mine: Vec<&Occurrence> = v.iter().filter(|o| o.line_id == line.id).collect();
                for w in mine.windows(2) {
                    prop_assert!(w[0].local_time < w[1].local_time);
                    let lost = matches!(tz.from_local_datetime(&date.and_time(w[0].local_time)), LocalResult::None);
                    prop_assert!(w[0].due_at < w[1].due_at || (lost && w[0].due_at == w[1].due_at));
                }
                for o in mine {
                    let shown = o.due_at.with_timezone(&tz).naive_local();
                    let wanted = date.and_time(o.local_time);
                    match tz.from_local_datetime(&wanted) {
                        LocalResult::None => prop_assert!(shown > wanted && shown - wanted <= Duration::hours(1)),
                        _ => prop_assert_eq!(shown, wanted),
                    }
                }
            }
        }
    }

    /// (e) The next dose after an instant is the first of the half-open range just after it.
    #[test]
    fn next_is_the_first_of_the_range(lines in arb_lines(), zone in 0..ZONES.len(), (after, _) in arb_range(), horizon in 0u32..40) {
        let tz = ZONES[zone];
        let eps = Duration::nanoseconds(1);
        let limit = after + Duration::days(i64::from(horizon));
        let first = occurrences_between(&lines, tz, after + eps, limit + eps).into_iter().next();
        prop_assert_eq!(next_occurrence_after(&lines, tz, after, horizon), first);
    }
}
