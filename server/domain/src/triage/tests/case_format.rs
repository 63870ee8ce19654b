//! The `relais triage` case format of docs/api.md: required and optional fields, each error named.

use serde_json::{Value, json};

use crate::test_support;
use crate::triage::parse_case;
use crate::{Parcours, Sequence};

fn base() -> Value {
    json!({ "drugs": ["capecitabine"], "sequence": "S2", "parcours": "B", "answers": {} })
}

fn field(edit: impl FnOnce(&mut serde_json::Map<String, Value>)) -> String {
    let mut v = base();
    edit(v.as_object_mut().expect("object"));
    parse_case(&v, &test_support::catalog()).expect_err("invalid").field
}

#[test]
fn a_minimal_case_parses() {
    let c = parse_case(&base(), &test_support::catalog()).expect("valid");
    assert_eq!((c.sequence, c.parcours), (Sequence::S2, Parcours::B));
    assert_eq!((c.baseline_weight_kg, c.previous.is_none()), (None, true));
    let mut v = base();
    v["baseline"] = json!({ "weight_kg": 20 });
    v["previous_answers"] = json!({ "pain.frequency": 1 });
    let c = parse_case(&v, &test_support::catalog()).expect("valid");
    assert_eq!(c.baseline_weight_kg, Some(20.0));
    assert!(c.previous.is_some());
}

#[test]
fn required_fields_are_named() {
    for k in ["drugs", "sequence", "parcours", "answers"] {
        assert_eq!(field(|m| drop(m.remove(k))), k);
        assert_eq!(field(|m| drop(m.insert(k.into(), Value::Null))), k);
    }
}

#[test]
fn each_field_is_checked() {
    assert_eq!(field(|m| drop(m.insert("drugs".into(), json!([])))), "drugs");
    assert_eq!(field(|m| drop(m.insert("drugs".into(), json!("capecitabine")))), "drugs");
    assert_eq!(field(|m| drop(m.insert("drugs".into(), json!([1])))), "drugs");
    assert_eq!(field(|m| drop(m.insert("sequence".into(), json!("s1")))), "sequence");
    assert_eq!(field(|m| drop(m.insert("parcours".into(), json!("C")))), "parcours");
    assert_eq!(field(|m| drop(m.insert("baseline".into(), json!(64)))), "baseline");
    assert_eq!(field(|m| drop(m.insert("baseline".into(), json!({})))), "baseline.weight_kg");
    assert_eq!(field(|m| drop(m.insert("baseline".into(), json!({ "weight_kg": 300.5 })))), "baseline.weight_kg");
    assert_eq!(field(|m| drop(m.insert("baseline".into(), json!({ "weight_kg": "64" })))), "baseline.weight_kg");
    assert_eq!(
        field(|m| drop(m.insert("baseline".into(), json!({ "weight_kg": 64, "height_cm": 170 })))),
        "baseline.height_cm"
    );
    assert_eq!(field(|m| drop(m.insert("episode".into(), json!(1)))), "episode");
    assert_eq!(field(|m| drop(m.insert("answers".into(), json!([])))), "answers");
    assert_eq!(
        field(|m| drop(m.insert("previous_answers".into(), json!({ "pain.severity": 1 })))),
        "previous_answers.pain.severity"
    );
    let e = parse_case(&json!([1]), &test_support::catalog()).expect_err("not an object");
    assert_eq!(e.field, "case");
}
