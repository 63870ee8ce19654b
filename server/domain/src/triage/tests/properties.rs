//! Properties over any valid report: no panic, and raising an answer never lowers the colour.

use std::sync::OnceLock;

use proptest::prelude::*;
use serde_json::{Map, Value, json};

use crate::answers::Answers;
use crate::catalog::Catalog;
use crate::symptoms::{self, Attribute};
use crate::test_support;
use crate::triage::{AdviceContext, Case, Locale, TriageRules, evaluate};
use crate::{Parcours, Sequence};

fn fixtures() -> &'static (TriageRules, Catalog) {
    static F: OnceLock<(TriageRules, Catalog)> = OnceLock::new();
    F.get_or_init(|| (test_support::rules(), test_support::catalog()))
}

type Item = (bool, u8, Option<u8>, Option<u8>);

fn answers_json(items: &[Item], measures: &[Option<u16>; 5], flags: &[Option<bool>]) -> Value {
    let mut m = Map::new();
    for ((symptom, _, attrs), (present, first, a, b)) in symptoms::PRO_CTCAE.iter().zip(items) {
        if !present {
            continue;
        }
        if attrs[0] == Attribute::Presence {
            m.insert(symptom.to_string(), json!(first % 2 == 1));
            continue;
        }
        m.insert(format!("{symptom}.{}", attrs[0].key()), json!(first));
        for (attr, v) in attrs[1..].iter().zip([a, b]) {
            if let Some(v) = v {
                m.insert(format!("{symptom}.{}", attr.key()), json!(if *first == 0 { 0 } else { *v }));
            }
        }
    }
    let [t, stools, vomits, sys, dia] = *measures;
    if let Some(t) = t {
        m.insert("temperature_c".into(), json!(30.0 + f64::from(t) / 10.0));
    }
    if let Some(n) = stools {
        m.insert("stools_above_baseline".into(), json!(n % 51));
    }
    if let Some(n) = vomits {
        m.insert("vomiting_episodes_24h".into(), json!(n % 51));
    }
    if let Some(s) = sys {
        m.insert("systolic_mmhg".into(), json!(50 + s % 251));
        if let Some(d) = dia {
            m.insert("diastolic_mmhg".into(), json!(20 + d % 181));
        }
    }
    for ((q, _), f) in symptoms::RED_FLAG_QUESTIONS.iter().zip(flags) {
        if let Some(f) = f {
            m.insert(q.to_string(), json!(f));
        }
    }
    Value::Object(m)
}

fn answers() -> impl Strategy<Value = Value> {
    let items =
        prop::collection::vec((any::<bool>(), 0u8..=4, prop::option::of(0u8..=4), prop::option::of(0u8..=4)), 23);
    let measures = [
        prop::option::of(0u16..=150),
        prop::option::of(0u16..=60),
        prop::option::of(0u16..=60),
        prop::option::of(0u16..=250),
        prop::option::of(0u16..=180),
    ];
    let flags = prop::collection::vec(prop::option::of(prop::bool::weighted(0.03)), 8);
    (items, measures, flags).prop_map(|(i, m, f)| answers_json(&i, &m, &f))
}

fn case() -> impl Strategy<Value = (Case, Value)> {
    let names: Vec<String> = fixtures().1.iter().map(|(k, _)| k.to_string()).collect();
    (
        prop::sample::subsequence(names, 1..=3),
        0usize..3,
        any::<bool>(),
        prop::option::of(20.0f64..=300.0),
        prop::option::of(answers()),
        answers(),
        prop::option::of(20.0f64..=300.0),
    )
        .prop_map(|(drugs, seq, b, baseline, previous, answers, weight)| {
            let mut answers = answers;
            if let Some(w) = weight {
                answers["weight_kg"] = json!(w);
            }
            let c = Case {
                drugs,
                sequence: [Sequence::S1, Sequence::S2, Sequence::S3][seq],
                parcours: if b { Parcours::B } else { Parcours::A },
                baseline_weight_kg: baseline,
                previous: previous.map(|p| Answers::parse(&p, "previous_answers").expect("generated valid")),
                answers: Answers::parse(&answers, "answers").expect("generated valid"),
            };
            (c, answers)
        })
}

/// The keys whose raise must never lower the colour: scale attributes and measures but weight.
fn raisable() -> Vec<(String, u16)> {
    let mut keys: Vec<(String, u16)> = symptoms::PRO_CTCAE
        .iter()
        .flat_map(|(s, _, attrs)| {
            attrs.iter().filter(|a| **a != Attribute::Presence).map(move |a| (format!("{s}.{}", a.key()), 4))
        })
        .collect();
    keys.extend([
        ("temperature_c".to_string(), 45),
        ("stools_above_baseline".to_string(), 50),
        ("vomiting_episodes_24h".to_string(), 50),
        ("systolic_mmhg".to_string(), 300),
        ("diastolic_mmhg".to_string(), 200),
    ]);
    keys
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn evaluate_never_panics_and_colour_is_monotone(
        (c, json_answers) in case(),
        pick in any::<prop::sample::Index>(),
        step in 1u16..=60,
        fr in any::<bool>(),
    ) {
        let (rules, catalog) = fixtures();
        let ctx = AdviceContext { locale: if fr { Locale::Fr } else { Locale::En }, team_phone: None };
        let before = evaluate(rules, catalog, &c, &ctx).expect("valid case");
        prop_assert!(before.symptoms.iter().all(|s| s.grade >= 1 && s.colour <= before.colour));
        prop_assert_eq!(before.routes.is_empty(), before.colour == crate::triage::Colour::Green);
        prop_assert!(!before.advice.is_empty() || before.colour == crate::triage::Colour::Green);

        let keys = raisable();
        let (key, max) = &keys[pick.index(keys.len())];
        let Some(current) = json_answers.get(key).and_then(Value::as_f64) else { return Ok(()) };
        let raised = (current + f64::from(step)).min(f64::from(*max));
        let mut higher = json_answers.clone();
        higher[key.as_str()] = if raised.fract() == 0.0 { json!(raised as u64) } else { json!(raised) };
        // Raising a later attribute whose first is 0 is not a valid report: nothing to compare.
        let Ok(parsed) = Answers::parse(&higher, "answers") else { return Ok(()) };
        let after = evaluate(rules, catalog, &Case { answers: parsed, ..c }, &ctx).expect("valid case");
        prop_assert!(after.colour >= before.colour, "{} {} → {}: {:?} → {:?}", key, current, raised, before.colour, after.colour);
    }
}
