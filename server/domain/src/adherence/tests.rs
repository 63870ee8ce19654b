use super::*;

/// The `[adherence]` table as shipped.
const SNIPPET: &str = include_str!("../../../../config/adherence.toml");

#[derive(Deserialize)]
struct File {
    adherence: AdherenceRules,
}

/// The finding's reason as the engine's English text.
fn text(f: &AdherenceFinding) -> String {
    f.reason.trace(&crate::test_support::rules())
}

fn rules() -> AdherenceRules {
    let f: File = toml::from_str(SNIPPET).expect("valid snippet");
    f.adherence
}

fn d(s: &str) -> NaiveDate {
    s.parse().expect("date")
}

fn dose(date: &str, status: DoseStatus) -> Dose {
    let local_date = d(date);
    Dose { due_at: local_date.and_hms_opt(7, 0, 0).expect("time").and_utc(), local_date, status }
}

const TAKEN: DoseStatus = DoseStatus::Taken { late: false };
const LATE: DoseStatus = DoseStatus::Taken { late: true };

/// One dose a day from `first`, `n` days, with the given statuses cycling.
fn daily(first: &str, n: u64, statuses: &[DoseStatus]) -> Vec<Dose> {
    (0..n)
        .map(|i| {
            let date = d(first) + Days::new(i);
            Dose {
                due_at: date.and_hms_opt(7, 0, 0).expect("time").and_utc(),
                local_date: date,
                status: statuses[i as usize % statuses.len()],
            }
        })
        .collect()
}

#[test]
fn the_snippet_parses_and_validates() {
    let r = rules();
    assert_eq!(
        r,
        AdherenceRules {
            alert_below_percent: 90.0,
            idec_below_percent: 80.0,
            window_days: 28,
            min_scheduled: 7,
            quiet_days: 7
        }
    );
    assert_eq!(r.validate(), Ok(()));
    assert!(toml::from_str::<File>("[adherence]\nalert_below_percent = 90.0").is_err(), "every key is required");
    let extra = format!("{SNIPPET}\nwindow = 3");
    assert!(toml::from_str::<File>(&extra).is_err(), "unknown keys are refused");
}

#[test]
fn validate_names_the_bad_key() {
    let ok = rules();
    let field = |r: AdherenceRules| r.validate().expect_err("invalid").field;
    assert_eq!(field(AdherenceRules { alert_below_percent: 0.0, ..ok.clone() }), "adherence.alert_below_percent");
    assert_eq!(field(AdherenceRules { alert_below_percent: 101.0, ..ok.clone() }), "adherence.alert_below_percent");
    assert_eq!(field(AdherenceRules { alert_below_percent: f64::NAN, ..ok.clone() }), "adherence.alert_below_percent");
    assert_eq!(field(AdherenceRules { idec_below_percent: 95.0, ..ok.clone() }), "adherence.idec_below_percent");
    assert_eq!(field(AdherenceRules { idec_below_percent: -1.0, ..ok.clone() }), "adherence.idec_below_percent");
    assert_eq!(field(AdherenceRules { window_days: 0, ..ok.clone() }), "adherence.window_days");
    assert_eq!(field(AdherenceRules { min_scheduled: 0, ..ok.clone() }), "adherence.min_scheduled");
    assert_eq!(AdherenceRules { idec_below_percent: 90.0, ..ok }.validate(), Ok(()), "one threshold for both");
}

#[test]
fn the_window_is_the_last_n_local_days_including_today() {
    // 1 to 30 March, all taken except 2 March (missed) and 3 March (skipped).
    let mut doses = daily("2026-03-01", 30, &[TAKEN]);
    doses[1].status = DoseStatus::Missed;
    doses[2].status = DoseStatus::Skipped;
    // 28 days ending 30 March = 3 to 30 March: the missed 2 March is out, the skipped 3rd in.
    let r = proportion(&doses, d("2026-03-30"), 28).expect("rate");
    assert_eq!((r.taken, r.scheduled, r.late), (27, 28, 0));
    assert!((r.percent - 100.0 * 27.0 / 28.0).abs() < 1e-9);
    let r7 = proportion(&doses, d("2026-03-30"), 7).expect("rate");
    assert_eq!((r7.taken, r7.scheduled), (7, 7));
    assert_eq!(r7.percent, 100.0);
    // Doses after `today` don't count.
    let r = proportion(&doses, d("2026-03-05"), 28).expect("rate");
    assert_eq!((r.taken, r.scheduled), (3, 5));
}

#[test]
fn pending_doses_are_left_out_and_nothing_known_is_none() {
    let doses = [dose("2026-03-10", TAKEN), dose("2026-03-10", DoseStatus::Pending)];
    let r = proportion(&doses, d("2026-03-10"), 7).expect("rate");
    assert_eq!((r.taken, r.scheduled), (1, 1));
    assert_eq!(proportion(&[dose("2026-03-10", DoseStatus::Pending)], d("2026-03-10"), 7), None);
    assert_eq!(proportion(&[], d("2026-03-10"), 28), None);
    assert_eq!(proportion(&doses, d("2026-03-10"), 0), None, "an empty window");
    assert_eq!(proportion(&doses, d("2026-03-20"), 7), None, "only older doses");
}

#[test]
fn late_doses_count_as_taken_and_vomited_ones_too() {
    let doses =
        [dose("2026-03-10", LATE), dose("2026-03-11", DoseStatus::Vomited), dose("2026-03-12", DoseStatus::Missed)];
    let r = proportion(&doses, d("2026-03-12"), 28).expect("rate");
    assert_eq!((r.taken, r.scheduled, r.late), (2, 3, 1));
}

#[test]
fn off_cycle_days_do_not_dilute_the_rate() {
    // Capecitabine 14/7 twice a day: only the 28 on-cycle doses of days 1–14 exist as records.
    let doses = daily("2026-03-01", 14, &[TAKEN, TAKEN]);
    let r = proportion(&doses, d("2026-03-21"), 28).expect("rate");
    assert_eq!((r.taken, r.scheduled), (14, 14));
}

/// `taken` of `scheduled` daily doses, the rest missed, as the 28-day rate on 28 March.
fn rate(taken: u64, scheduled: u64) -> Option<Rate> {
    let mut doses = daily("2026-03-01", scheduled, &[TAKEN]);
    for x in doses.iter_mut().skip(taken as usize) {
        x.status = DoseStatus::Missed;
    }
    proportion(&doses, d("2026-03-28"), 28)
}

#[test]
fn assess_thresholds_are_strict() {
    let r = rules();
    // 27/28 = 96.4 %: nothing. 18/20 = exactly 90 %: nothing.
    assert_eq!(assess(&r, rate(27, 28)), None);
    assert_eq!(assess(&r, rate(18, 20)), None);
    // 25/28 = 89.3 %: amber to the route's pharmacist only.
    let f = assess(&r, rate(25, 28)).expect("finding");
    assert!(!f.also_idec && (f.percent - 89.2857).abs() < 1e-3);
    assert_eq!(text(&f), "adherence 89.3 % over 28 days (25 of 28 doses taken), below 90 %");
    // 16/20 = exactly 80 %: not below 80. 15/20 = 75 %: the IDEC too.
    assert!(!assess(&r, rate(16, 20)).expect("finding").also_idec);
    let f = assess(&r, rate(15, 20)).expect("finding");
    assert!(f.also_idec);
    assert!(text(&f).ends_with("below 80 %"), "{}", text(&f));
}

#[test]
fn too_few_doses_or_none_are_not_judged() {
    let r = rules();
    let few = Rate { taken: 3, scheduled: 6, percent: 50.0, late: 0 };
    assert_eq!(assess(&r, Some(few)), None);
    assert!(
        assess(&r, Some(Rate { scheduled: 7, taken: 3, percent: 300.0 / 7.0, late: 2 }))
            .is_some_and(|f| f.also_idec && text(&f).contains("2 late"))
    );
    assert_eq!(assess(&r, None), None);
}

#[test]
fn each_dose_event_has_its_reason_and_recipient() {
    let e = dose_event(DoseEventKind::DoubleDose);
    assert!(e.reason.contains("double dose") && !e.to_pharmacist);
    let e = dose_event(DoseEventKind::TakenDuringOffPeriod);
    assert!(e.reason.contains("off-period") && !e.to_pharmacist);
    let e = dose_event(DoseEventKind::Vomited);
    assert!(e.reason.contains("vomited") && e.to_pharmacist);
    assert_eq!(e.kind, DoseEventKind::Vomited);
}

#[test]
fn detect_the_same_day_rules() {
    use DoseEventKind::{DoubleDose, TakenDuringOffPeriod};
    use DoseStatus::{Missed, Pending, Skipped};
    const VOMITED: DoseStatus = DoseStatus::Vomited;
    // A second "taken" on a taken slot.
    assert_eq!(detect(Some(TAKEN), TAKEN, false), [DoubleDose]);
    assert_eq!(detect(Some(LATE), TAKEN, false), [DoubleDose]);
    // First confirmation, or a correction of a missed/skipped dose: nothing.
    for slot in [Pending, Missed, Skipped] {
        assert_eq!(detect(Some(slot), TAKEN, false), [], "{slot:?}");
    }
    // Taken then vomited: an update of the same dose, not a double one.
    assert_eq!(detect(Some(TAKEN), VOMITED, false), [DoseEventKind::Vomited]);
    // Off-period: taken or vomited both mean swallowed; no slot to double.
    assert_eq!(detect(None, TAKEN, true), [TakenDuringOffPeriod]);
    assert_eq!(detect(None, VOMITED, true), [TakenDuringOffPeriod, DoseEventKind::Vomited]);
    assert_eq!(detect(None, Skipped, true), []);
}

#[test]
fn status_spellings_round_trip() {
    for s in [DoseStatus::Pending, TAKEN, LATE, DoseStatus::Skipped, DoseStatus::Vomited, DoseStatus::Missed] {
        assert_eq!(DoseStatus::parse(s.as_str()), Some(s));
    }
    assert_eq!(DoseStatus::parse("Taken"), None);
}

#[test]
fn an_adherence_reason_reads_back_and_in_french() {
    let r = AdherenceReason { percent: 67.9, days: 28, taken: 19, scheduled: 28, late: 1, below: 80.0 };
    let text = r.english();
    assert_eq!(text, "adherence 67.9 % over 28 days (19 of 28 doses taken, 1 late), below 80 %");
    assert_eq!(AdherenceReason::parse(&text), Some(r.clone()));
    assert_eq!(
        r.french(),
        "observance 67,9 % sur 28 jours (19 prises sur 28, dont 1 en retard), sous le seuil de 80 %"
    );
    let on_time = AdherenceReason { late: 0, below: 90.0, percent: 89.3, taken: 25, ..r };
    assert_eq!(AdherenceReason::parse(&on_time.english()), Some(on_time));
    assert_eq!(AdherenceReason::parse("adherence low"), None);
}
