use serde_json::json;

use super::*;
use crate::test_support::{bank, rules, shipped_catalog as catalog};

fn date(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

/// One reason of every code. `every_code_is_sampled` fails to compile when a code is added
/// without a sample here.
fn samples() -> Vec<Reason> {
    let s = |v: &[&str]| v.iter().map(|x| (*x).to_owned()).collect::<Vec<_>>();
    vec![
        Reason::ProctcaePresence { present: true, grade: 1 },
        Reason::ProctcaeComposite {
            grade: 2,
            attributes: vec![
                AttributeValue { attribute: "frequency".into(), value: 3 },
                AttributeValue { attribute: "severity".into(), value: 2 },
                AttributeValue { attribute: "interference".into(), value: 1 },
            ],
        },
        Reason::Ctcae {
            version: "5.0".into(),
            grade: 1,
            measure: "temperature_c".into(),
            value: 38.3,
            baseline_kg: None,
        },
        Reason::Ctcae {
            version: "5.0".into(),
            grade: 2,
            measure: "weight_loss_percent".into(),
            value: 12.5,
            baseline_kg: Some(64.5),
        },
        Reason::DietitianReferral { from_percent: 5.0 },
        Reason::GradeColour { grade: 2, colour: Colour::Amber },
        Reason::EarlyWatch { drugs: s(&["capecitabine"]), from_grade: 1 },
        Reason::Worsened { changes: vec![Change { attribute: "frequency".into(), before: 1, now: 3 }] },
        Reason::Floor { symptom: "fever".into(), from_grade: 1 },
        Reason::RedFlagAnswer { flag: "chest_pain".into() },
        Reason::FebrileOnMyelosuppressive {
            temperature_c: 38.6,
            from_c: 38.0,
            drugs: s(&["capecitabine"]),
            tag: "myelosuppressive".into(),
        },
        Reason::HypertensiveEmergency {
            systolic_mmhg: Some(185.0),
            diastolic_mmhg: Some(95.0),
            from_systolic: 180.0,
            from_diastolic: 110.0,
        },
        Reason::RedFlag { flag: "febrile_on_myelosuppressive".into() },
        Reason::RedSymptoms { symptoms: s(&["diarrhea"]) },
        Reason::SeveralAmbers { count: 2, grade: 2, symptoms: s(&["fatigue", "nausea"]) },
        Reason::AmberSymptoms { symptoms: s(&["nausea"]) },
        Reason::NothingAmberOrRed,
        Reason::OtherSymptom,
        Reason::Adherence(AdherenceReason { percent: 67.9, days: 28, taken: 19, scheduled: 28, late: 1, below: 80.0 }),
        Reason::SecondIntake { drug: "capecitabine".into(), date: date("2026-12-05"), time: "08:00".into() },
        Reason::DoseVomited { drug: "capecitabine".into(), date: date("2026-12-05"), time: "20:00".into() },
        Reason::Interaction {
            a: "capecitabine".into(),
            b: "warfarine".into(),
            rule: "capecitabine_vka_warfarin".into(),
        },
        Reason::MissedQuestionnaires { count: 2, last_due: date("2026-12-03") },
        Reason::DoseReweighed {
            drug: "capecitabine".into(),
            basis: "per_m2".into(),
            old_weight_kg: 64.0,
            new_weight_kg: 50.0,
            old_mg: 2140.94,
            new_mg: 1892.3,
            change_percent: -11.6138,
            prescribed_mg: 2150.0,
        },
        Reason::Text { text: "adherence 67.9 % over 28 days (19 of 28 doses taken, 1 late), below 80 %".into() },
    ]
}

#[test]
fn every_code_is_sampled() {
    // No wildcard: a new code is a compile error until it has a sample and texts.
    let code = |r: &Reason| match r {
        Reason::ProctcaePresence { .. } => 0,
        Reason::ProctcaeComposite { .. } => 1,
        Reason::Ctcae { .. } => 2,
        Reason::DietitianReferral { .. } => 3,
        Reason::GradeColour { .. } => 4,
        Reason::EarlyWatch { .. } => 5,
        Reason::Worsened { .. } => 6,
        Reason::Floor { .. } => 7,
        Reason::RedFlagAnswer { .. } => 8,
        Reason::FebrileOnMyelosuppressive { .. } => 9,
        Reason::HypertensiveEmergency { .. } => 10,
        Reason::RedFlag { .. } => 11,
        Reason::RedSymptoms { .. } => 12,
        Reason::SeveralAmbers { .. } => 13,
        Reason::AmberSymptoms { .. } => 14,
        Reason::NothingAmberOrRed => 15,
        Reason::OtherSymptom => 16,
        Reason::Adherence(_) => 17,
        Reason::SecondIntake { .. } => 18,
        Reason::DoseVomited { .. } => 19,
        Reason::Interaction { .. } => 20,
        Reason::MissedQuestionnaires { .. } => 21,
        Reason::DoseReweighed { .. } => 22,
        Reason::Text { .. } => 23,
    };
    let mut seen: Vec<i32> = samples().iter().map(code).collect();
    seen.sort_unstable();
    seen.dedup();
    assert_eq!(seen, (0..=23).collect::<Vec<_>>());
}

/// Words of the engine's English that a French reader must never meet, and French words an
/// English reader must never meet.
const ENGLISH: &[&str] = &[
    " grade 1:",
    "answered",
    "red flag",
    "symptom:",
    "amber",
    "green",
    "fever",
    "temperature ",
    "weight loss",
    "below",
    "over ",
    "doses",
    "watch",
    "worsened",
    "threshold",
    "blood pressure",
    "dose vomited",
    "second intake",
    "in a row",
    "unchanged",
    "computed",
    "per m²",
    "risk of",
];
const FRENCH: &[&str] =
    &["é", "è", "à ", " ou ", "symptôme", "seuil", "fièvre", "orange", "rouge", "vert", "prise", "dès", "sous "];

#[test]
fn every_code_reads_in_french_and_in_english() {
    let (catalog, rules) = (catalog(), rules());
    let bank = bank();
    let v = Vocabulary { bank: &bank, catalog: &catalog, rules: &rules };
    for r in samples() {
        let fr = r.render(Locale::Fr, v);
        let en = r.render(Locale::En, v);
        assert!(!fr.trim().is_empty() && !en.trim().is_empty(), "{r:?}");
        for w in ENGLISH {
            assert!(!fr.contains(w), "French text of {r:?} has the English `{w}`: {fr}");
        }
        for w in FRENCH {
            assert!(!en.contains(w), "English text of {r:?} has the French `{w}`: {en}");
        }
        // Decimal comma in French, decimal point in English (CTCAE's version is a name: v5.0).
        let fr = fr.replace("CTCAE v5.0", "CTCAE");
        assert!(
            !fr.chars()
                .collect::<Vec<_>>()
                .windows(3)
                .any(|w| w[0].is_ascii_digit() && w[1] == '.' && w[2].is_ascii_digit()),
            "{fr}"
        );
        assert!(
            !en.chars()
                .collect::<Vec<_>>()
                .windows(3)
                .any(|w| w[0].is_ascii_digit() && w[1] == ',' && w[2].is_ascii_digit()),
            "{en}"
        );
    }
}

#[test]
fn reasons_name_what_they_are_about_in_the_readers_words() {
    let (catalog, rules) = (catalog(), rules());
    let bank = bank();
    let v = Vocabulary { bank: &bank, catalog: &catalog, rules: &rules };
    let febrile = &samples()[10];
    assert_eq!(
        febrile.render(Locale::Fr, v),
        "température 38,6 °C (seuil 38 °C) sous capécitabine : risque de neutropénie fébrile (IDSA)"
    );
    assert_eq!(
        febrile.trace(&rules),
        "temperature 38.6 °C (from 38 °C) on capecitabine (myelosuppressive): risk of febrile neutropenia (IDSA)"
    );
    let floor = Reason::Floor { symptom: "fever".into(), from_grade: 1 };
    assert_eq!(floor.render(Locale::Fr, v), "fièvre sous traitement anticancéreux : au moins orange dès le grade 1");
    assert_eq!(floor.trace(&rules), "fever during anticancer treatment: at least amber from grade 1");
    let ambers = Reason::SeveralAmbers { count: 2, grade: 2, symptoms: vec!["diarrhea".into(), "vomiting".into()] };
    assert_eq!(
        ambers.render(Locale::Fr, v),
        "2 symptômes de grade 2 (diarrhée, vomissements) : plus d'un symptôme orange fait une alerte rouge (UKONS)"
    );
    let missed = Reason::MissedQuestionnaires { count: 2, last_due: date("2026-12-03") };
    assert_eq!(missed.render(Locale::Fr, v), "2 questionnaires de suite sans réponse (dernier attendu le 3 déc. 2026)");
    assert_eq!(missed.trace(&rules), "2 questionnaires in a row not answered (last due 2026-12-03)");
    // An interaction rule the configuration no longer has still reads, by its id.
    let gone = Reason::Interaction { a: "capecitabine".into(), b: "x".into(), rule: "retired_rule".into() };
    assert_eq!(gone.render(Locale::Fr, v), "capécitabine + x : retired_rule");
}

#[test]
fn reasons_are_stored_as_codes_and_old_texts_read_back() {
    let r = Reason::RedFlag { flag: "chest_pain".into() };
    assert_eq!(serde_json::to_value(&r).unwrap(), json!({"code": "red_flag", "params": {"flag": "chest_pain"}}));
    assert_eq!(serde_json::to_value(Reason::OtherSymptom).unwrap(), json!({"code": "other_symptom"}));
    let stored = serde_json::to_string(&samples()).unwrap();
    assert_eq!(read_stored(&stored).unwrap(), samples());
    // A row written before the codes: its texts, and the French of an adherence text.
    let old =
        read_stored(r#"["adherence 67.9 % over 28 days (19 of 28 doses taken, 1 late), below 80 %", "x"]"#).unwrap();
    assert!(matches!(&old[1], Reason::Text { text } if text == "x"));
    let (catalog, rules) = (catalog(), rules());
    let bank = bank();
    let v = Vocabulary { bank: &bank, catalog: &catalog, rules: &rules };
    assert_eq!(
        old[0].render(Locale::Fr, v),
        "observance 67,9 % sur 28 jours (19 prises sur 28, dont 1 en retard), sous le seuil de 80 %"
    );
    // Neither a code nor a text: an error, never a silent default.
    assert!(read_stored(r#"[{"code": "no_such_code"}]"#).is_err());
    assert!(read_stored(r#"{"code": "red_flag"}"#).is_err());
}
