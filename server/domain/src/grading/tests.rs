use serde_json::{Value, json};

use super::*;
use crate::reason::Reason;
use crate::test_support;

fn rules() -> GradingRules {
    test_support::rules().grading
}

fn grades(v: Value, baseline: Option<f64>) -> Vec<(&'static str, u8)> {
    let a = Answers::parse(&v, "answers").expect("valid answers");
    grade_answers(&rules(), &a, baseline).into_iter().map(|g| (g.symptom, g.grade)).collect()
}

fn grade_of(v: Value, symptom: &str, baseline: Option<f64>) -> Option<u8> {
    grades(v, baseline).into_iter().find(|(s, _)| *s == symptom).map(|(_, g)| g)
}

fn csv_rows(text: &str) -> Vec<Vec<String>> {
    text.lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.trim_end_matches('\r').split(',').map(str::to_string).collect())
        .collect()
}

#[test]
fn every_row_of_the_composite_table_is_applied() {
    let text = test_support::composite_csv();
    let table = CompositeTable::from_csv(&text).expect("valid table");
    let rows = csv_rows(&text);
    assert_eq!(rows.len(), 179);
    assert_eq!(table.len(), 179);
    let mut through_answers = 0;
    for row in &rows {
        let pattern = row[0].as_str();
        let expected: u8 = row[4].parse().expect("grade");
        let mut attrs = Vec::new();
        let mut values = Vec::new();
        for (cell, attr) in row[1..4].iter().zip([Attribute::Frequency, Attribute::Severity, Attribute::Interference]) {
            if !cell.is_empty() {
                attrs.push(attr);
                values.push(cell.parse::<u8>().expect("score"));
            }
        }
        assert_eq!(pattern_of(&attrs).as_deref(), Some(pattern));
        assert_eq!(table.grade(&attrs, &values), Some(expected), "{row:?}");
        // And through real answers, for every contract symptom using this pattern.
        for (symptom, _, sattrs) in symptoms::PRO_CTCAE.iter().filter(|(_, _, a)| *a == attrs.as_slice()) {
            let mut obj = serde_json::Map::new();
            for (a, v) in attrs.iter().zip(&values) {
                obj.insert(format!("{symptom}.{}", a.key()), json!(v));
            }
            assert_eq!(sattrs.len(), values.len());
            let got = grade_of(Value::Object(obj), symptom, None);
            assert_eq!(got, Some(expected), "{symptom} {row:?}");
            through_answers += 1;
        }
    }
    assert!(through_answers > 179, "most rows are checked through several symptoms");
}

/// The table the server grades with (`config/`, which a site may replace) is the published
/// reference kept apart in `docs/reference/` (docs/reference/README.md): a change to either
/// fails here until both say the same.
#[test]
fn the_shipped_table_is_the_reference_table_byte_for_byte() {
    for file in ["proctcae_composite.csv", "proctcae_item_patterns.csv"] {
        let shipped = test_support::read(&format!("config/{file}"));
        let reference = test_support::read(&format!("docs/reference/{file}"));
        assert!(reference.lines().count() > 5, "{file}: the reference is there");
        assert_eq!(shipped, reference, "{file}");
    }
}

#[test]
fn item_patterns_agree_with_the_symptom_attributes() {
    let text = test_support::read("config/proctcae_item_patterns.csv");
    let mut checked = 0;
    for (symptom, item, attrs) in symptoms::PRO_CTCAE {
        let listed: Vec<&str> = text
            .lines()
            .skip(1)
            .filter_map(|l| l.trim_end_matches('\r').split_once(','))
            .filter(|(_, items)| items.split(' ').any(|n| n == item.to_string()))
            .map(|(p, _)| p)
            .collect();
        match pattern_of(attrs) {
            Some(p) => {
                assert_eq!(listed, vec![p.as_str()], "{symptom} (item {item})");
                checked += 1;
            }
            None => assert!(listed.is_empty(), "presence item {symptom} has no pattern"),
        }
    }
    assert_eq!(checked, 21);
}

#[test]
fn composite_table_errors_name_the_problem() {
    let good = test_support::composite_csv();
    let e = CompositeTable::from_csv("bad header\n").expect_err("header");
    assert!(e.contains("first line"), "{e}");
    let missing = good.replace("frq,4,,,3\r\n", "");
    assert!(CompositeTable::from_csv(&missing).expect_err("missing").contains("no row for pattern frq"));
    let duplicate = format!("{good}frq,4,,,3\r\n");
    assert!(CompositeTable::from_csv(&duplicate).expect_err("dup").contains("duplicate"));
    let bad_value = good.replace("frq,4,,,3", "frq,5,,,3");
    assert!(CompositeTable::from_csv(&bad_value).expect_err("5").contains("line 170"));
    let bad_grade = good.replace("frq,4,,,3", "frq,4,,,4");
    assert!(CompositeTable::from_csv(&bad_grade).expect_err("grade").contains("0–3"));
    let unknown = format!("{good}xyz,1,,,1\r\n");
    assert!(CompositeTable::from_csv(&unknown).expect_err("pattern").contains("unknown item pattern"));
    let stray = good.replace("frq,4,,,3", "frq,4,1,,3");
    assert!(CompositeTable::from_csv(&stray).expect_err("stray").contains("not part of"));
}

#[test]
fn presence_items_and_absent_first_attributes() {
    assert_eq!(grade_of(json!({ "rash": true }), "rash", None), Some(1));
    assert_eq!(grade_of(json!({ "bruising": false }), "bruising", None), Some(0));
    assert_eq!(grade_of(json!({}), "pain", None), None);
    assert_eq!(grade_of(json!({ "pain.frequency": 0 }), "pain", None), Some(0));
    // Absent later attributes count as 0: frequency 3 alone is (3, 0, 0) → 1.
    assert_eq!(grade_of(json!({ "pain.frequency": 3 }), "pain", None), Some(1));
    assert_eq!(grade_of(json!({ "pain.frequency": 1 }), "pain", None), Some(0));
}

fn at(key: &str, value: Value, symptom: &str) -> Option<u8> {
    let mut obj = serde_json::Map::new();
    obj.insert(key.to_string(), value);
    if key == "diastolic_mmhg" {
        obj.insert("systolic_mmhg".into(), json!(100));
    }
    grade_of(Value::Object(obj), symptom, None)
}

#[test]
fn fever_bands_are_half_open_as_written() {
    for (t, g) in [(30.0, 0), (37.99, 0), (38.0, 1), (38.5, 1), (39.0, 1), (39.05, 2), (40.0, 2), (40.05, 3), (45.0, 3)]
    {
        assert_eq!(at("temperature_c", json!(t), "fever"), Some(g), "{t} °C");
    }
}

#[test]
fn stool_and_vomiting_counts() {
    for (n, g) in [(0, 0), (1, 1), (3, 1), (4, 2), (6, 2), (7, 3), (50, 3)] {
        assert_eq!(at("stools_above_baseline", json!(n), "diarrhea"), Some(g), "{n} stools");
    }
    for (n, g) in [(0, 0), (1, 1), (2, 1), (3, 2), (5, 2), (6, 3), (50, 3)] {
        assert_eq!(at("vomiting_episodes_24h", json!(n), "vomiting"), Some(g), "{n} episodes");
    }
}

#[test]
fn blood_pressure_bands_take_the_higher_grade() {
    for (s, g) in [(119.9, 0), (120.0, 1), (139.5, 1), (139.99, 1), (140.0, 2), (159.9, 2), (160.0, 3), (250.0, 3)] {
        assert_eq!(at("systolic_mmhg", json!(s), "hypertension"), Some(g), "systolic {s}");
    }
    for (d, g) in [(79.5, 0), (80.0, 1), (89.9, 1), (90.0, 2), (99.9, 2), (100.0, 3)] {
        assert_eq!(at("diastolic_mmhg", json!(d), "hypertension"), Some(g), "diastolic {d}");
    }
    let both = json!({ "systolic_mmhg": 125, "diastolic_mmhg": 95 });
    assert_eq!(grade_of(both, "hypertension", None), Some(2));
}

#[test]
fn weight_loss_needs_a_baseline() {
    let w = |kg: f64, base: Option<f64>| grade_of(json!({ "weight_kg": kg }), "weight_loss", base);
    assert_eq!(w(50.0, None), None);
    for (kg, g) in [(110.0, 0), (100.0, 0), (95.01, 0), (95.0, 1), (90.01, 1), (90.0, 2), (80.01, 2), (80.0, 3)] {
        assert_eq!(w(kg, Some(100.0)), Some(g), "{kg} kg from 100 kg");
    }
    // 5 % of 64 kg computed from decimals is still 5 %.
    assert_eq!(w(60.8, Some(64.0)), Some(1));
    assert_eq!(w(57.6, Some(64.0)), Some(2));
    // No rounding before banding (r3): 19.9999999 % is grade 2, 20 % grade 3, 9.9999999 % grade 1.
    assert_eq!(w(80.0000001, Some(100.0)), Some(2));
    assert_eq!(w(80.0, Some(100.0)), Some(3));
    assert_eq!(w(90.0000001, Some(100.0)), Some(1));
    assert_eq!(w(95.0000001, Some(100.0)), Some(0));
    // The same just under each edge from a decimal baseline: 64 kg × 80 % = 51.2 kg.
    assert_eq!(w(51.2000001, Some(64.0)), Some(2));
    assert_eq!(w(51.2, Some(64.0)), Some(3));
    assert!((weight_loss_percent(100.0, 80.0000001) - 19.9999999).abs() < 1e-9);
    let a = Answers::parse(&json!({ "weight_kg": 57.6 }), "answers").expect("valid");
    let g = grade_answers(&rules(), &a, Some(64.0));
    assert!(g[0].reasons.iter().any(|r| matches!(r, Reason::DietitianReferral { .. })), "{:?}", g[0].reasons);
}

#[test]
fn a_symptom_takes_the_higher_of_composite_and_objective() {
    let v = json!({ "diarrhea.frequency": 1, "stools_above_baseline": 5 });
    assert_eq!(grade_of(v, "diarrhea", None), Some(2));
    let v = json!({ "diarrhea.frequency": 4, "stools_above_baseline": 1 });
    assert_eq!(grade_of(v, "diarrhea", None), Some(3));
    let v = json!({ "vomiting.frequency": 4, "vomiting.severity": 3, "vomiting_episodes_24h": 1 });
    assert_eq!(grade_of(v, "vomiting", None), Some(3));
    let a = Answers::parse(&json!({ "diarrhea.frequency": 1, "stools_above_baseline": 5 }), "answers").expect("valid");
    let g = grade_answers(&rules(), &a, None);
    assert_eq!(g.len(), 1);
    assert_eq!(g[0].reasons.len(), 2, "{:?}", g[0].reasons);
    let trace = |r: &Reason| r.trace(&crate::test_support::rules());
    assert!(trace(&g[0].reasons[1]).starts_with("CTCAE v5.0 grade 2"), "{:?}", g[0].reasons);
    let a = Answers::parse(&json!({ "vomiting_episodes_24h": 3 }), "answers").expect("valid");
    assert!(trace(&grade_answers(&rules(), &a, None)[0].reasons[0]).starts_with("CTCAE v4.03 grade 2"));
}

fn specs() -> Vec<ObjectiveSpec> {
    #[derive(Deserialize)]
    struct F {
        objective: Vec<ObjectiveSpec>,
    }
    let text = test_support::triage_toml();
    let v: toml::Value = toml::from_str(&text).expect("toml");
    let objective = v.get("objective").cloned().expect("objective");
    let f: F =
        toml::Value::Table([("objective".to_string(), objective)].into_iter().collect()).try_into().expect("specs");
    f.objective
}

#[test]
fn objective_rules_are_validated() {
    let table = || CompositeTable::from_csv(&test_support::composite_csv()).expect("table");
    let new = |s: &[ObjectiveSpec]| GradingRules::new("5.0".into(), table(), s, 10.0);
    assert!(new(&specs()).is_ok());
    let mut s = specs();
    s[0].measure = "temperature".into();
    assert!(new(&s).expect_err("measure").starts_with("objective[0].measure"));
    let mut s = specs();
    s[0].symptom = "chills".into();
    assert!(new(&s).expect_err("symptom").starts_with("objective[0].symptom"));
    let mut s = specs();
    s.remove(5);
    assert!(new(&s).expect_err("missing").contains("weight_loss_percent"));
    let mut s = specs();
    s.push(s[0].clone());
    assert!(new(&s).expect_err("twice").contains("graded twice"));
    let mut s = specs();
    s[0].bands[1].to = Some(38.5);
    assert!(new(&s).expect_err("gap").starts_with("objective[0].bands[2]"));
    assert!(GradingRules::new("5.0".into(), table(), &specs(), 0.0).is_err());
}
