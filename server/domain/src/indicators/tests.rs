use chrono::{DateTime, Duration, TimeZone, Utc};
use proptest::prelude::*;

use super::*;

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn period(from: &str, to: &str) -> Period {
    Period { from: d(from), to: d(to) }
}

fn ep(id: &str, patient: &str, parcours: Parcours, start: &str, end: Option<&str>) -> EpisodeFact {
    EpisodeFact {
        id: id.into(),
        patient_id: patient.into(),
        parcours,
        start: d(start),
        end: end.map(d),
        end_reason: end.map(|_| "treatment_stopped".into()),
        first_inclusion: true,
    }
}

fn seq(episode: &str, kind: Sequence, renewal: u32, start: &str, end: &str) -> SequenceFact {
    SequenceFact {
        episode_id: episode.into(),
        kind,
        renewal_index: renewal,
        start: d(start),
        end: d(end),
        cancelled: false,
    }
}

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 10, 8, 0, 0).unwrap()
}

fn alert(colour: &str, topic: &str, ack_after_min: Option<i64>) -> AlertFact {
    AlertFact {
        colour: colour.into(),
        topic: topic.into(),
        opened_at: t0(),
        acknowledged_at: ack_after_min.map(|m| t0() + Duration::minutes(m)),
        resolved_at: None,
        provisional_grade: None,
        confirmed_grade: None,
    }
}

#[test]
fn a_period_is_two_dates_in_order_and_each_fault_names_its_field() {
    assert_eq!(Period::parse(Some("2026-11-01"), Some("2026-11-30")), Ok(period("2026-11-01", "2026-11-30")));
    assert_eq!(Period::parse(Some("2026-11-01"), Some("2026-11-01")), Ok(period("2026-11-01", "2026-11-01")));
    let field = |f: Option<&str>, t: Option<&str>| Period::parse(f, t).unwrap_err().field;
    assert_eq!(field(None, Some("2026-11-30")), "from");
    assert_eq!(field(Some("2026-13-01"), Some("2026-11-30")), "from");
    assert_eq!(field(Some("2026-11-1"), Some("2026-11-30")), "from");
    assert_eq!(field(Some("01/11/2026"), Some("2026-11-30")), "from");
    assert_eq!(field(Some("2026-11-01"), Some("2026-02-30")), "to");
    assert_eq!(field(Some("2026-11-01"), None), "to");
    assert_eq!(field(Some("2026-11-02"), Some("2026-11-01")), "to");
}

#[test]
fn the_period_as_instants_follows_the_local_day_across_daylight_saving() {
    let (a, b) = period("2026-10-25", "2026-10-25").instants(chrono_tz::Europe::Paris);
    assert_eq!(a, Utc.with_ymd_and_hms(2026, 10, 24, 22, 0, 0).unwrap());
    assert_eq!(b, Utc.with_ymd_and_hms(2026, 10, 25, 23, 0, 0).unwrap(), "a 25-hour day");
}

#[test]
fn adherence_windows_count_calendar_months_from_the_start() {
    assert_eq!(AdherenceWindow::Months0To3.bounds(d("2026-09-01")), (d("2026-09-01"), d("2026-12-01")));
    assert_eq!(AdherenceWindow::Months6To9.bounds(d("2026-03-01")), (d("2026-09-01"), d("2026-12-01")));
    // End of month: 30 November + 3 months is 28 February.
    assert_eq!(AdherenceWindow::Months0To3.bounds(d("2026-11-30")), (d("2026-11-30"), d("2027-02-28")));
}

#[test]
fn the_cohort_is_the_episodes_whose_window_closes_in_the_period_cut_at_their_end() {
    let p = period("2026-11-01", "2026-11-30");
    let episodes = vec![
        ep("closes_in", "p1", Parcours::A, "2026-09-01", None),
        ep("closes_on_first_day", "p2", Parcours::A, "2026-08-02", None),
        ep("closes_before", "p3", Parcours::A, "2026-08-01", None),
        ep("closes_after", "p4", Parcours::A, "2026-09-02", None),
        ep("ended_early", "p5", Parcours::B, "2026-08-20", Some("2026-10-01")),
        ep("ended_before_6_months", "p6", Parcours::B, "2026-03-01", Some("2026-08-31")),
        ep("six_to_nine", "p7", Parcours::B, "2026-03-01", None),
    ];
    let w3 = adherence_cohort(AdherenceWindow::Months0To3, &episodes, &p);
    let ids: Vec<&str> = w3.iter().map(|w| w.episode_id.as_str()).collect();
    assert_eq!(ids, ["closes_in", "closes_on_first_day", "ended_early"]);
    assert_eq!((w3[2].from, w3[2].until), (d("2026-08-20"), d("2026-10-02")), "cut after the last day of follow-up");
    let w69 = adherence_cohort(AdherenceWindow::Months6To9, &episodes, &p);
    assert_eq!(w69, vec![WindowOf { episode_id: "six_to_nine".into(), from: d("2026-09-01"), until: d("2026-12-01") }]);
    let mut error = ep("inclusion_error", "p8", Parcours::A, "2026-09-01", Some("2026-09-01"));
    error.end_reason = Some("inclusion_error".into());
    assert!(adherence_cohort(AdherenceWindow::Months0To3, &[error], &p).is_empty());
}

#[test]
fn windows_are_spelt_the_same_in_json_and_csv() {
    for w in AdherenceWindow::ALL {
        assert_eq!(serde_json::to_value(w).unwrap(), serde_json::json!(w.as_str()));
    }
}

#[test]
fn dose_statuses_count_as_the_adherence_rule_says() {
    let mut c = DoseCounts::default();
    for (s, n) in [("taken", 10), ("vomited", 1), ("skipped", 2), ("missed", 3), ("pending", 4), ("cancelled", 5)] {
        c.add(s, n);
    }
    assert_eq!(c, DoseCounts { taken: 11, due: 16 });
}

fn cohort_facts() -> Facts {
    let mut second = ep("e2b", "p2", Parcours::B, "2026-11-20", None);
    second.first_inclusion = false; // a change of treatment, not a new inclusion
    let mut error = ep("err", "p9", Parcours::A, "2026-11-05", Some("2026-11-05"));
    error.end_reason = Some("inclusion_error".into());
    let episodes = vec![
        ep("e1", "p1", Parcours::A, "2026-11-03", None),
        ep("e2", "p2", Parcours::A, "2026-06-01", Some("2026-11-20")),
        second,
        ep("e3", "p3", Parcours::B, "2026-02-01", Some("2026-10-31")), // ended before the period
        ep("e4", "p4", Parcours::B, "2026-11-30", None),
        error,
    ];
    let mut cancelled = seq("err", Sequence::S1, 0, "2026-11-05", "2026-11-05");
    cancelled.cancelled = true;
    let sequences = vec![
        seq("e1", Sequence::S1, 0, "2026-11-03", "2026-12-03"),
        seq("e2", Sequence::S2, 1, "2026-10-01", "2026-11-20"),
        seq("e2b", Sequence::S1, 0, "2026-11-20", "2026-12-20"),
        seq("e4", Sequence::S1, 0, "2026-11-30", "2026-12-30"),
        cancelled,
        seq("e2", Sequence::S2, 0, "2026-07-01", "2026-10-01"),
    ];
    let mut red3 = alert("red", "toxicity", Some(10));
    red3.provisional_grade = Some(3);
    red3.resolved_at = Some(t0() + Duration::hours(1));
    red3.confirmed_grade = Some(2);
    let mut red4 = alert("red", "toxicity", None);
    red4.provisional_grade = Some(4);
    red4.resolved_at = Some(t0() + Duration::minutes(40)); // resolved without acknowledging first
    red4.confirmed_grade = Some(3);
    let mut open3 = alert("amber", "toxicity", None);
    open3.provisional_grade = Some(3);
    let alerts = vec![
        red3,
        red4,
        alert("red", "toxicity", Some(20)),
        alert("amber", "toxicity", Some(60)),
        alert("amber", "adherence", Some(180)),
        open3,
    ];
    let mut adherence = BTreeMap::new();
    adherence.insert(
        AdherenceWindow::Months0To3,
        [("e1".to_owned(), DoseCounts { taken: 15, due: 16 }), ("x".to_owned(), DoseCounts { taken: 1, due: 4 })]
            .into_iter()
            .collect(),
    );
    adherence.insert(AdherenceWindow::Months6To9, [("e2".to_owned(), DoseCounts::default())].into_iter().collect());
    let care_events = vec![
        CareEventFact {
            patient_id: "p1".into(),
            kind: CareEventKind::EmergencyVisit,
            date: d("2026-11-12"),
            related_to_treatment: Some(true),
        },
        CareEventFact {
            patient_id: "p1".into(),
            kind: CareEventKind::EmergencyVisit,
            date: d("2026-11-14"),
            related_to_treatment: None,
        },
        CareEventFact {
            patient_id: "p4".into(),
            kind: CareEventKind::UnplannedHospitalisation,
            date: d("2026-11-30"),
            related_to_treatment: Some(false),
        },
    ];
    Facts {
        episodes,
        sequences,
        alerts,
        questionnaires: [("answered".to_owned(), 7), ("missed".to_owned(), 2), ("pending".to_owned(), 1)]
            .into_iter()
            .collect(),
        adherence,
        care_events,
    }
}

/// colour, topic, count, acknowledged, median, p90.
type AlertFigures<'a> = (&'a str, &'a str, u64, u64, Option<f64>, Option<f64>);

#[test]
fn a_small_cohort_gives_the_figures_counted_by_hand() {
    let ind = compute(&period("2026-11-01", "2026-11-30"), &cohort_facts());
    // p1 and p4 are included in November; p2's second episode is a change of treatment; the
    // inclusion error counts nowhere.
    assert_eq!(
        ind.totals,
        Totals { patients_included: 2, patients_followed: 3, active_episodes: 4, active_episodes_at_end: 3 }
    );
    let a = &ind.by_parcours[0];
    assert_eq!((a.parcours, a.patients_included, a.active_episodes, a.active_episodes_at_end), (Parcours::A, 1, 2, 1));
    let b = &ind.by_parcours[1];
    assert_eq!((b.parcours, b.patients_included, b.active_episodes, b.active_episodes_at_end), (Parcours::B, 1, 2, 2));
    let row = |pc: Parcours, s: Sequence| {
        let r = ind.by_sequence.iter().find(|r| r.parcours == pc && r.sequence == s).unwrap();
        (r.patients, r.started, r.renewed)
    };
    assert_eq!(row(Parcours::A, Sequence::S1), (1, 1, 0), "the cancelled S1 is not counted");
    assert_eq!(row(Parcours::A, Sequence::S2), (1, 0, 0), "the renewal started in October");
    assert_eq!(row(Parcours::B, Sequence::S1), (2, 2, 0));
    assert_eq!(row(Parcours::B, Sequence::S3), (0, 0, 0));
    assert_eq!(ind.by_sequence.len(), 6);

    let w3 = &ind.adherence[0];
    assert_eq!((w3.window, w3.episodes, w3.doses_taken, w3.doses_due), (AdherenceWindow::Months0To3, 2, 16, 20));
    assert_eq!(w3.percent, Some(80.0));
    assert_eq!(w3.mean_episode_percent, Some(59.38), "(93.75 + 25) / 2");
    let w69 = &ind.adherence[1];
    assert_eq!((w69.episodes, w69.percent, w69.mean_episode_percent), (0, None, None), "no dose due: no rate");

    assert_eq!(ind.adverse_events_grade_3, AdverseEvents { provisional: 3, confirmed: 1, awaiting_confirmation: 1 });

    let rows: Vec<AlertFigures> = ind
        .alerts
        .iter()
        .map(|r| {
            (
                r.colour.as_str(),
                r.topic.as_str(),
                r.count,
                r.acknowledged,
                r.median_minutes_to_acknowledge,
                r.p90_minutes_to_acknowledge,
            )
        })
        .collect();
    assert_eq!(
        rows,
        vec![
            // 10, 20, 40 minutes (the third answered by its resolution).
            ("red", "all", 3, 3, Some(20.0), Some(40.0)),
            ("red", "toxicity", 3, 3, Some(20.0), Some(40.0)),
            // 60 and 180 minutes; the open one is left out of the times.
            ("amber", "all", 3, 2, Some(120.0), Some(180.0)),
            ("amber", "adherence", 1, 1, Some(180.0), Some(180.0)),
            ("amber", "toxicity", 2, 1, Some(60.0), Some(60.0)),
        ]
    );
    assert_eq!(ind.questionnaires, Questionnaires { due: 10, completed: 7, percent: Some(70.0) });
    assert_eq!(
        ind.care_events,
        CareEvents {
            emergency_visits: 2,
            unplanned_hospitalisations: 1,
            related_to_treatment: 1,
            patients_with_emergency_visit: 1,
            emergency_visit_percent: Some(33.33),
            patients_with_unplanned_hospitalisation: 1,
            unplanned_hospitalisation_percent: Some(33.33),
        }
    );
}

#[test]
fn an_empty_period_has_zeros_and_no_rates() {
    let ind = compute(&period("2026-11-01", "2026-11-30"), &Facts::default());
    assert_eq!(ind.totals.patients_followed, 0);
    assert_eq!(ind.alerts.len(), 2, "red and amber rows are always there");
    assert!(ind.alerts.iter().all(|r| r.count == 0 && r.median_minutes_to_acknowledge.is_none()));
    assert_eq!(ind.questionnaires.percent, None);
    assert_eq!(ind.care_events.emergency_visit_percent, None);
}

#[test]
fn the_csv_has_one_row_per_figure_with_a_decimal_comma() {
    let ind = compute(&period("2026-11-01", "2026-11-30"), &cohort_facts());
    let csv = to_csv(&ind);
    let mut lines = csv.lines();
    assert_eq!(lines.next(), Some("from;to;indicator;parcours;sequence;window;colour;topic;value"));
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(';').collect()).collect();
    assert!(rows.iter().all(|r| r.len() == 9 && r[0] == "2026-11-01" && r[1] == "2026-11-30"));
    let find = |name: &str, dims: [&str; 5]| {
        rows.iter().find(|r| r[2] == name && r[3..8] == dims).map(|r| r[8]).unwrap_or_else(|| panic!("{name} {dims:?}"))
    };
    assert_eq!(find("patients_included", ["", "", "", "", ""]), "2");
    assert_eq!(find("patients_included", ["B", "", "", "", ""]), "1");
    assert_eq!(find("sequences_started", ["B", "S1", "", "", ""]), "2");
    assert_eq!(find("adherence_percent", ["", "", "months_0_3", "", ""]), "80");
    assert_eq!(find("adherence_mean_episode_percent", ["", "", "months_0_3", "", ""]), "59,38");
    assert_eq!(find("adherence_percent", ["", "", "months_6_9", "", ""]), "", "undefined is empty");
    assert_eq!(find("alerts_median_minutes_to_acknowledge", ["", "", "", "amber", "all"]), "120");
    assert_eq!(find("emergency_visit_percent", ["", "", "", "", ""]), "33,33");
    assert_eq!(find("questionnaires_completion_percent", ["", "", "", "", ""]), "70");
}

fn arb_episode() -> impl Strategy<Value = EpisodeFact> {
    (0u8..6, any::<bool>(), 0i64..400, prop::option::of(0i64..400), any::<bool>()).prop_map(
        |(patient, b, start, len, first)| {
            let start = d("2026-01-01") + Duration::days(start);
            EpisodeFact {
                id: format!("e{patient}-{start}-{len:?}-{first}"),
                patient_id: format!("p{patient}"),
                parcours: if b { Parcours::B } else { Parcours::A },
                start,
                end: len.map(|l| start + Duration::days(l)),
                end_reason: None,
                first_inclusion: first,
            }
        },
    )
}

proptest! {
    #[test]
    fn parcours_rows_add_up_and_distinct_patients_never_exceed_episodes(
        episodes in prop::collection::vec(arb_episode(), 0..30),
        from in 0i64..400,
        len in 0i64..120,
    ) {
        let from = d("2026-01-01") + Duration::days(from);
        let p = Period { from, to: from + Duration::days(len) };
        let ind = compute(&p, &Facts { episodes, ..Facts::default() });
        let sum = |f: fn(&ParcoursRow) -> u64| ind.by_parcours.iter().map(f).sum::<u64>();
        prop_assert_eq!(sum(|r| r.active_episodes), ind.totals.active_episodes);
        prop_assert_eq!(sum(|r| r.active_episodes_at_end), ind.totals.active_episodes_at_end);
        prop_assert!(ind.totals.active_episodes_at_end <= ind.totals.active_episodes);
        prop_assert!(ind.totals.patients_followed <= ind.totals.active_episodes);
        prop_assert!(ind.totals.patients_included <= sum(|r| r.patients_included));
    }

    #[test]
    fn pooled_adherence_lies_between_the_lowest_and_highest_episode(
        counts in prop::collection::vec((0u64..200, 1u64..200), 1..20),
    ) {
        let counts: BTreeMap<String, DoseCounts> = counts
            .into_iter()
            .enumerate()
            .map(|(i, (t, due))| (format!("e{i}"), DoseCounts { taken: t.min(due), due }))
            .collect();
        let pct: Vec<f64> = counts.values().map(|c| c.taken as f64 * 100.0 / c.due as f64).collect();
        let (lo, hi) = pct.iter().fold((f64::MAX, f64::MIN), |(lo, hi), x| (lo.min(*x), hi.max(*x)));
        let mut adherence = BTreeMap::new();
        adherence.insert(AdherenceWindow::Months0To3, counts);
        let ind = compute(&period("2026-11-01", "2026-11-30"), &Facts { adherence, ..Facts::default() });
        let row = &ind.adherence[0];
        let pooled = row.percent.unwrap();
        prop_assert!(pooled >= lo - 0.01 && pooled <= hi + 0.01);
        let mean = row.mean_episode_percent.unwrap();
        prop_assert!(mean >= lo - 0.01 && mean <= hi + 0.01);
    }
}
