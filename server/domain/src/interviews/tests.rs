use super::*;
use crate::test_support::read;

fn rules() -> InterviewRules {
    InterviewRules::from_toml(&read(INTERVIEWS_FILE)).expect("shipped interview rules are valid")
}

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

fn acc(treatment: TreatmentClass, interviews: &[(&str, InterviewKind)]) -> Accompaniment {
    Accompaniment {
        accompaniment_id: "acc-1".into(),
        treatment,
        adhesion: d("2024-03-01"),
        overseas: false,
        interviews: interviews.iter().map(|(on, kind)| Interview { on: d(on), kind: *kind }).collect(),
    }
}

use InterviewKind::{Adherence as Obs, DailyLifeAndSideEffects as Life, Initial};

fn summary(codes: &[DueCode]) -> Vec<(&str, u32, String, i64)> {
    codes.iter().map(|c| (c.code.as_str(), c.cycle, c.due_on.to_string(), c.amount_cents)).collect()
}

#[test]
fn shipped_rules_have_the_national_amounts() {
    let r = rules();
    let amount = |e, t| r.rule(e, t).metropolitan_cents;
    assert_eq!(amount(Event::FirstYear, TreatmentClass::LongCourse), 6000);
    assert_eq!(amount(Event::FirstYear, TreatmentClass::Other), 8000);
    assert_eq!(amount(Event::FollowingYear, TreatmentClass::LongCourse), 2000);
    assert_eq!(amount(Event::FollowingYear, TreatmentClass::Other), 3000);
    assert_eq!(r.rule(Event::Adhesion, TreatmentClass::Other).code, "TAC");
    assert_eq!(r.rule(Event::FollowingYear, TreatmentClass::LongCourse).code, "AC3");
}

#[test]
fn first_year_code_is_due_when_the_initial_and_two_thematic_interviews_are_done() {
    let a = acc(TreatmentClass::Other, &[("2024-03-01", Initial), ("2024-04-01", Life), ("2024-06-01", Obs)]);
    let codes = codes_due(&rules(), &a, d("2024-12-31")).unwrap();
    assert_eq!(summary(&codes), [("TAC", 0, "2024-03-01".into(), 1), ("AC2", 0, "2024-06-01".into(), 8000)]);
    assert_eq!(codes[1].key, "acc-1:AC2:0");
    assert_eq!(codes_due(&rules(), &a, d("2024-12-31")).unwrap(), codes, "re-running adds nothing");
    assert_eq!(summary(&codes_due(&rules(), &a, d("2024-05-31")).unwrap()), [("TAC", 0, "2024-03-01".into(), 1)]);
    assert_eq!(codes_due(&rules(), &a, d("2024-02-28")).unwrap(), [], "nothing before adhesion");
}

#[test]
fn an_incomplete_year_bills_only_the_adhesion_and_blocks_the_following_ones() {
    let a = acc(TreatmentClass::Other, &[("2024-03-01", Initial), ("2024-04-01", Life), ("2025-05-01", Initial)]);
    let codes = codes_due(&rules(), &a, d("2026-12-31")).unwrap();
    assert_eq!(summary(&codes), [("TAC", 0, "2024-03-01".into(), 1)]);
}

#[test]
fn long_course_following_year_waits_twelve_months_after_the_first_year_code() {
    let a = acc(
        TreatmentClass::LongCourse,
        &[("2024-03-05", Initial), ("2024-04-01", Life), ("2024-05-10", Obs), ("2025-03-02", Obs)],
    );
    let codes = codes_due(&rules(), &a, d("2025-12-31")).unwrap();
    assert_eq!(
        summary(&codes),
        [
            ("TAC", 0, "2024-03-01".into(), 1),
            ("AC1", 0, "2024-05-10".into(), 6000),
            ("AC3", 1, "2025-05-10".into(), 2000),
        ]
    );
    assert_eq!(codes_due(&rules(), &a, d("2025-05-09")).unwrap().len(), 2);
}

#[test]
fn other_following_year_is_due_as_soon_as_its_two_thematic_interviews_are_done() {
    let a = acc(
        TreatmentClass::Other,
        &[
            ("2024-03-01", Initial),
            ("2024-04-01", Life),
            ("2024-05-01", Obs),
            ("2024-11-01", Obs), // within year 1: counts for no cycle
            ("2025-03-10", Life),
            ("2025-04-10", Obs),
            ("2026-03-01", Obs),
            ("2026-03-02", Obs),
        ],
    );
    let codes = codes_due(&rules(), &a, d("2026-12-31")).unwrap();
    assert_eq!(summary(&codes)[2..], [("AC4", 1, "2025-04-10".into(), 3000), ("AC4", 2, "2026-03-02".into(), 3000)]);
    assert_eq!(codes[3].key, "acc-1:AC4:2");
}

#[test]
fn overseas_amounts_are_an_operator_setting() {
    let mut a = acc(TreatmentClass::Other, &[]);
    a.overseas = true;
    let err = codes_due(&rules(), &a, d("2024-12-31")).unwrap_err();
    assert!(err.contains("code.TAC.overseas_cents") && err.contains("acc-1"), "{err}");

    let set = read(INTERVIEWS_FILE).replace("# overseas_cents = 1", "overseas_cents = 2");
    let codes = codes_due(&InterviewRules::from_toml(&set).unwrap(), &a, d("2024-12-31")).unwrap();
    assert_eq!(codes[0].amount_cents, 2);
}

#[test]
fn refusals_name_the_file_and_the_code() {
    let refused = |from: &str, to: &str| {
        let text = read(INTERVIEWS_FILE);
        assert!(text.contains(from), "fixture `{from}`");
        InterviewRules::from_toml(&text.replacen(from, to, 1)).expect_err("must be refused")
    };
    let cases = [
        ("metropolitan_cents = 6000", "metropolitan_cents = -6000", "code.AC1.metropolitan_cents"),
        ("treatment = \"other\"\ninitial = 1", "treatment = \"long_course\"\ninitial = 1", "code.AC2: same event"),
        ("treatment = \"long_course\"\ninitial = 0", "initial = 0", "code.AC3.treatment"),
        (
            "[code.TAC]\nevent = \"adhesion\"",
            "[code.TAC]\nevent = \"adhesion\"\ntreatment = \"other\"",
            "code.TAC.treatment",
        ),
        (
            "thematic = 2\nmin_months_after_previous = 0\nmetropolitan_cents = 3000",
            "metropolitan_cents = 3000",
            "code.AC4: an annual code",
        ),
        ("[code.AC4]", "[code.AC 4]", "code"),
    ];
    for (from, to, key) in cases {
        let err = refused(from, to);
        assert!(err.starts_with(INTERVIEWS_FILE) && err.contains(key), "{key}: {err}");
    }
    let err = refused("metropolitan_cents = 2000", "metropolitan_cents = 20.5");
    assert!(err.contains("metropolitan_cents = 20.5"), "toml shows the line: {err}");
    let err = refused("initial = 1\nthematic = 2", "initial = 1\nthematic = 2\nbonus = 1");
    assert!(err.contains("bonus"), "{err}");
    let err = refused("[code.AC4]\nevent = \"following_year\"", "[code.AC4]\nevent = \"first_year\"");
    assert!(err.contains("same event"), "{err}");
    let no_ac4 = read(INTERVIEWS_FILE).split("[code.AC4]").next().unwrap().to_string();
    let err = InterviewRules::from_toml(&no_ac4).unwrap_err();
    assert!(err.contains("FollowingYear") && err.contains("Other"), "{err}");
}
