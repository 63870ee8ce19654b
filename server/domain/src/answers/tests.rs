use serde_json::{Value, json};

use super::*;

fn parse(v: Value) -> Result<Answers, FieldError> {
    Answers::parse(&v, "answers")
}

fn err_field(v: Value) -> String {
    parse(v).expect_err("must be rejected").field
}

#[test]
fn every_contract_key_parses_and_round_trips() {
    let all = AnswerKey::all();
    // 42 PRO-CTCAE attributes or presence items, 6 measures, 8 red-flag questions.
    let attrs: usize = symptoms::PRO_CTCAE.iter().map(|(_, _, a)| a.len()).sum();
    assert_eq!(all.len(), attrs + 6 + 8);
    for k in all {
        assert_eq!(AnswerKey::parse(&k.to_key()), Some(k), "{}", k.to_key());
    }
}

#[test]
fn a_full_report_parses_and_serialises_back() {
    let v = json!({
        "pain.frequency": 3, "pain.severity": 2, "pain.interference": 0,
        "diarrhea.frequency": 2, "rash": true, "bruising": false,
        "temperature_c": 38, "stools_above_baseline": 4, "vomiting_episodes_24h": 0,
        "systolic_mmhg": 142.5, "diastolic_mmhg": 91, "weight_kg": 61.2,
        "chest_pain": false, "confusion": false
    });
    let a = parse(v.clone()).expect("valid");
    assert_eq!(a.scale("pain", Attribute::Severity), Some(2));
    assert_eq!(a.presence("rash"), Some(true));
    assert_eq!(a.measure(Measure::TemperatureC), Some(38.0));
    assert_eq!(a.red_flag("chest_pain"), Some(false));
    assert_eq!(a.scale("nausea", Attribute::Frequency), None);
    let back = parse(a.to_json()).expect("round trip");
    assert_eq!(back, a);
    assert_eq!(serde_json::to_value(&a).expect("serialises"), a.to_json());
}

#[test]
fn unknown_keys_are_named() {
    for key in
        ["pain", "rash.presence", "pain.presence", "diarrhea.severity", "Pain.severity", "fever", "temperature", ""]
    {
        let e = parse(json!({ key: 1 })).expect_err(key);
        assert_eq!(e.field, format!("answers.{key}"));
        assert_eq!(e.message, "unknown answer key");
    }
}

#[test]
fn null_is_never_valid() {
    for k in AnswerKey::all() {
        let key = k.to_key();
        let e = parse(json!({ key.clone(): null })).expect_err(&key);
        assert_eq!(e.field, format!("answers.{key}"));
        assert!(e.message.contains("null"), "{}", e.message);
    }
}

#[test]
fn scales_are_integers_zero_to_four_without_fraction() {
    for ok in [0, 4] {
        assert!(parse(json!({ "fatigue.severity": ok })).is_ok());
    }
    for bad in [json!(-1), json!(5), json!(2.0), json!(2.5), json!("2"), json!(true), json!([2])] {
        assert_eq!(err_field(json!({ "fatigue.severity": bad })), "answers.fatigue.severity");
    }
    let e = parse(json!({ "fatigue.severity": 2.0 })).expect_err("fraction");
    assert!(e.message.contains("without a fraction"), "{}", e.message);
}

#[test]
fn minus_zero_is_zero_where_an_integer_is_expected() {
    // docs/triage.md §1: `-0` is 0 (r3); `0.0` is still written with a fraction.
    for key in ["fatigue.severity", "stools_above_baseline", "vomiting_episodes_24h"] {
        let a: Value = serde_json::from_str(&format!("{{\"{key}\": -0}}")).expect("json");
        let parsed = parse(a).unwrap_or_else(|e| panic!("{key}: {}", e.message));
        assert_eq!(parsed, parse(json!({ key: 0 })).expect("0"), "{key}");
        assert_eq!(err_field(json!({ key: 0.0 })), format!("answers.{key}"));
        assert_eq!(err_field(json!({ key: -1 })), format!("answers.{key}"));
    }
    // A later attribute of -0 is 0, so it is valid after a first attribute of 0.
    let a: Value = serde_json::from_str(r#"{"pain.frequency": 0, "pain.severity": -0}"#).expect("json");
    assert!(parse(a).is_ok());
}

#[test]
fn presence_items_and_red_flags_are_json_booleans() {
    for key in ["rash", "bruising", "chest_pain", "unable_to_drink_24h"] {
        assert!(parse(json!({ key: true })).is_ok());
        assert!(parse(json!({ key: false })).is_ok());
        for bad in [json!(1), json!(0), json!("yes"), json!("true")] {
            assert_eq!(err_field(json!({ key: bad })), format!("answers.{key}"));
        }
    }
}

#[test]
fn counts_are_integers_zero_to_fifty() {
    for key in ["stools_above_baseline", "vomiting_episodes_24h"] {
        assert!(parse(json!({ key: 0 })).is_ok());
        assert!(parse(json!({ key: 50 })).is_ok());
        for bad in [json!(51), json!(-1), json!(3.0), json!("3")] {
            assert_eq!(err_field(json!({ key: bad })), format!("answers.{key}"));
        }
    }
}

#[test]
fn numbers_have_inclusive_ranges() {
    let cases = [
        ("temperature_c", 30.0, 45.0, 29.99, 45.01),
        ("systolic_mmhg", 50.0, 300.0, 49.9, 300.1),
        ("weight_kg", 20.0, 300.0, 19.9, 300.5),
    ];
    for (key, lo, hi, below, above) in cases {
        assert!(parse(json!({ key: lo })).is_ok(), "{key} {lo}");
        assert!(parse(json!({ key: hi })).is_ok(), "{key} {hi}");
        assert_eq!(err_field(json!({ key: below })), format!("answers.{key}"));
        assert_eq!(err_field(json!({ key: above })), format!("answers.{key}"));
        assert_eq!(err_field(json!({ key: "37" })), format!("answers.{key}"));
    }
    // Integers are numbers too.
    assert!(parse(json!({ "temperature_c": 38 })).is_ok());
    for (d, ok) in [(20.0, true), (200.0, true), (19.5, false), (200.5, false)] {
        let r = parse(json!({ "systolic_mmhg": 120, "diastolic_mmhg": d }));
        assert_eq!(r.is_ok(), ok, "diastolic {d}");
        if !ok {
            assert_eq!(r.expect_err("range").field, "answers.diastolic_mmhg");
        }
    }
}

#[test]
fn a_later_attribute_needs_the_first() {
    let e = parse(json!({ "pain.severity": 2 })).expect_err("no first");
    assert_eq!(e.field, "answers.pain.severity");
    assert!(e.message.contains("pain.frequency"), "{}", e.message);
    assert_eq!(err_field(json!({ "pain.interference": 0 })), "answers.pain.interference");
    assert_eq!(err_field(json!({ "mouth_sores.interference": 1 })), "answers.mouth_sores.interference");
    // Only the first attribute is required: the middle one may be left out.
    assert!(parse(json!({ "pain.frequency": 2, "pain.interference": 3 })).is_ok());
}

#[test]
fn a_later_attribute_above_zero_when_the_first_is_zero_is_rejected() {
    let e = parse(json!({ "nausea.frequency": 0, "nausea.severity": 1 })).expect_err("branching");
    assert_eq!(e.field, "answers.nausea.severity");
    assert!(e.message.contains("nausea.frequency"), "{}", e.message);
    assert!(parse(json!({ "nausea.frequency": 0, "nausea.severity": 0 })).is_ok());
    assert!(parse(json!({ "nausea.frequency": 0 })).is_ok());
}

#[test]
fn a_diastolic_needs_its_systolic() {
    let e = parse(json!({ "diastolic_mmhg": 95 })).expect_err("alone");
    assert_eq!(e.field, "answers.diastolic_mmhg");
    assert!(parse(json!({ "systolic_mmhg": 150 })).is_ok());
}

#[test]
fn the_prefix_names_the_document() {
    let e = Answers::parse(&json!({ "pain.severity": 9 }), "previous_answers").expect_err("range");
    assert_eq!(e.field, "previous_answers.pain.severity");
    let e = Answers::parse(&json!([1]), "previous_answers").expect_err("not an object");
    assert_eq!(e.field, "previous_answers");
    assert_eq!(e.to_string(), format!("previous_answers: {}", e.message));
}

#[test]
fn the_first_error_does_not_depend_on_key_order() {
    let a = parse(json!({ "zzz": 1, "aaa": 2 })).expect_err("two unknown");
    assert_eq!(a.field, "answers.aaa");
    assert!(parse(json!({})).is_ok());
}
