//! Validation of `config/triage.toml`: each error names its key.

use serde_json::json;

use super::{case, en};
use crate::test_support;
use crate::triage::{Colour, TriageRules, evaluate};

fn with(edit: impl FnOnce(&mut toml::Table)) -> Result<TriageRules, String> {
    let mut table: toml::Table = toml::from_str(&test_support::triage_toml()).expect("toml");
    edit(&mut table);
    let text = toml::to_string(&table).expect("serialise");
    TriageRules::from_toml(&text, &test_support::composite_csv())
}

fn get<'a>(t: &'a mut toml::Table, path: &[&str]) -> &'a mut toml::Table {
    path.iter()
        .fold(t, |t, k| t.get_mut(*k).and_then(toml::Value::as_table_mut).unwrap_or_else(|| panic!("no table {k}")))
}

fn err(edit: impl FnOnce(&mut toml::Table)) -> String {
    with(edit).expect_err("must be refused")
}

#[test]
fn the_shipped_config_round_trips_through_an_edit() {
    assert_eq!(with(|_| {}).expect("valid"), test_support::rules());
}

#[test]
fn advice_errors_name_the_symptom_and_locale() {
    let e = err(|t| {
        get(t, &["advice", "self_care", "fever"]).remove("en");
    });
    assert_eq!(e, "advice.self_care.fever.en: missing text");
    let e = err(|t| {
        get(t, &["advice", "self_care"]).remove("nosebleed");
    });
    assert_eq!(e, "advice.self_care.nosebleed: missing advice");
    let e = err(|t| {
        let mut extra = toml::Table::new();
        extra.insert("fr".into(), "x".into());
        extra.insert("en".into(), "y".into());
        get(t, &["advice", "self_care"]).insert("headaches".into(), extra.into());
    });
    assert_eq!(e, "advice.self_care.headaches: unknown symptom `headaches`");
    let e = err(|t| {
        get(t, &["advice", "red_with_phone"]).insert("en".into(), "Call your team.".into());
    });
    assert_eq!(e, "advice.red_with_phone.en: the text must contain `{phone}`");
    let e = err(|t| {
        get(t, &["advice", "amber_contact"]).insert("fr".into(), "Bientôt.".into());
    });
    assert_eq!(e, "advice.amber_contact.fr: the text must contain `{deadline}`");
}

#[test]
fn unknown_keys_are_refused() {
    let e = err(|t| {
        get(t, &["colour"]).insert("orange_from_grade".into(), 2.into());
    });
    assert!(e.contains("orange_from_grade"), "{e}");
    let e = err(|t| {
        t.insert("extra".into(), 1.into());
    });
    assert!(e.contains("extra"), "{e}");
}

#[test]
fn colour_thresholds_are_checked() {
    let e = err(|t| {
        get(t, &["colour"]).insert("red_from_grade".into(), 2.into());
    });
    assert!(e.starts_with("colour.red_from_grade"), "{e}");
    let e = err(|t| {
        get(t, &["colour"]).insert("worsening_delta".into(), 0.into());
    });
    assert!(e.starts_with("colour.worsening_delta"), "{e}");
    let e = err(|t| {
        get(t, &["colour"]).insert("amber_count_for_red".into(), 1.into());
    });
    assert!(e.starts_with("colour.amber_count_for_red"), "{e}");
}

#[test]
fn red_flag_errors_name_the_key() {
    let e = err(|t| {
        let q = get(t, &["red_flags"]).get_mut("questions").and_then(toml::Value::as_array_mut).expect("list");
        q.retain(|v| v.as_str() != Some("confusion"));
    });
    assert!(e.starts_with("red_flags.questions") && e.contains("confusion"), "{e}");
    let e = err(|t| {
        let q = get(t, &["red_flags"]).get_mut("questions").and_then(toml::Value::as_array_mut).expect("list");
        q.push("headache".into());
    });
    assert_eq!(e, "red_flags.questions: unknown red-flag question `headache`");
    let e = err(|t| {
        get(t, &["red_flags", "febrile_on_myelosuppressive"]).insert("tag".into(), "myelo".into());
    });
    assert_eq!(e, "red_flags.febrile_on_myelosuppressive.tag: unknown tag `myelo`");
}

fn first_of<'a>(t: &'a mut toml::Table, section: &str, list: &str) -> &'a mut toml::Table {
    get(t, &[section])
        .get_mut(list)
        .and_then(toml::Value::as_array_mut)
        .and_then(|a| a.first_mut())
        .and_then(toml::Value::as_table_mut)
        .expect("first rule")
}

#[test]
fn routing_objective_and_interaction_errors_name_the_rule() {
    let e = err(|t| {
        first_of(t, "routing", "rule").insert("roles".into(), vec!["nurse"].into());
    });
    assert_eq!(e, "routing.rule[0].roles: unknown role `nurse`");
    let e = err(|t| {
        first_of(t, "routing", "rule").insert("topics".into(), vec!["toxicity"].into());
    });
    assert!(e.contains("no rule routes red adherence alerts"), "{e}");
    let e = err(|t| {
        let objective = t.get_mut("objective").and_then(toml::Value::as_array_mut).expect("objective");
        let fever = objective[0].as_table_mut().expect("fever");
        let bands = fever.get_mut("bands").and_then(toml::Value::as_array_mut).expect("bands");
        bands[1].as_table_mut().expect("band").insert("to".into(), 39.5.into());
    });
    assert_eq!(e, "objective[0].bands[2]: the band overlaps the previous one");
    let e = err(|t| {
        let a = first_of(t, "interactions", "rule").get_mut("a").and_then(toml::Value::as_table_mut).expect("a");
        a.insert("tag".into(), "cyp3a4".into());
    });
    assert_eq!(e, "interactions.rule[0].a.tag: unknown tag `cyp3a4`");
    let csv = test_support::composite_csv().replace("sev,,4,,3", "sev,,4,,9");
    assert!(TriageRules::from_toml(&test_support::triage_toml(), &csv).is_err());
}

#[test]
fn the_two_amber_rule_can_be_switched_off() {
    let rules = with(|t| {
        get(t, &["colour"]).insert("two_amber_rule".into(), false.into());
    })
    .expect("valid");
    let c = case(&["imatinib"], json!({ "dry_skin.severity": 2, "stools_above_baseline": 4 }));
    let r = evaluate(&rules, &test_support::catalog(), &c, &en()).expect("valid");
    assert_eq!(r.colour, Colour::Amber);
}

#[test]
fn r3_floor_call_today_and_hold_texts_are_validated() {
    let e = err(|t| {
        let floors = get(t, &["colour"]).get_mut("floor").and_then(toml::Value::as_array_mut).expect("floor");
        floors[0].as_table_mut().expect("table").insert("symptom".into(), "fevers".into());
    });
    assert_eq!(e, "colour.floor[0].symptom: unknown symptom `fevers`");
    let e = err(|t| {
        let floors = get(t, &["colour"]).get_mut("floor").and_then(toml::Value::as_array_mut).expect("floor");
        floors[0].as_table_mut().expect("table").insert("from_grade".into(), 0.into());
    });
    assert_eq!(e, "colour.floor[0].from_grade: a grade 1–4");
    let e = err(|t| {
        get(t, &["advice", "call_today"]).insert("symptoms".into(), toml::Value::Array(vec!["temperature".into()]));
    });
    assert_eq!(e, "advice.call_today.symptoms: unknown symptom `temperature`");
    let e = err(|t| {
        get(t, &["advice", "call_today", "with_phone"]).insert("en".into(), "Call today.".into());
    });
    assert_eq!(e, "advice.call_today.with_phone.en: the text must contain `{phone}`");
    let e = err(|t| {
        get(t, &["advice", "hold"]).insert("fr".into(), "Ne prenez pas votre traitement.".into());
    });
    assert_eq!(e, "advice.hold.fr: the text must contain `{drug}`");
}

#[test]
fn catalogue_hold_rules_and_names_are_validated() {
    use crate::catalog::Catalog;
    let edit = |from: &str, to: &str| {
        let text = test_support::TEST_CATALOG.replacen(from, to, 1);
        assert_ne!(text, test_support::TEST_CATALOG, "{from}");
        Catalog::from_toml(&text).expect_err("must be refused")
    };
    assert_eq!(
        edit("hold = { diarrhea = 2,", "hold = { diarrhoea = 2,"),
        "drugs.capecitabine.hold: unknown symptom `diarrhoea`"
    );
    assert_eq!(
        edit("hold = { diarrhea = 2,", "hold = { diarrhea = 5,"),
        "drugs.capecitabine.hold.diarrhea: 5 is not a grade 1–4"
    );
    assert_eq!(
        edit("name = { fr = \"capécitabine\"", "name = { fr = \" \""),
        "drugs.capecitabine.name.fr: a display name is required"
    );
    assert!(edit("name = { fr = \"capécitabine\", en = \"capecitabine\" }\n", "").contains("name"));
}

#[test]
fn emergency_first_flags_and_texts_are_validated() {
    let e = err(|t| {
        get(t, &["advice", "emergency_first"]).insert("flags".into(), toml::Value::Array(vec!["chest".into()]));
    });
    assert_eq!(e, "advice.emergency_first.flags: unknown red-flag question `chest`");
    let e = err(|t| {
        get(t, &["advice", "emergency_first", "with_phone"]).insert("fr".into(), "Appelez le 15.".into());
    });
    assert_eq!(e, "advice.emergency_first.with_phone.fr: the text must contain `{phone}`");
}

#[test]
fn the_dose_change_threshold_of_a_new_weight_is_a_percentage() {
    assert_eq!(test_support::rules().dosing.weight_dose_change_above_percent, 10.0);
    for bad in [0.0, -5.0, 150.0] {
        let e = err(|t| {
            get(t, &["dosing"]).insert("weight_dose_change_above_percent".into(), bad.into());
        });
        assert_eq!(e, "dosing.weight_dose_change_above_percent: a percentage above 0, at most 100");
    }
    let e = err(|t| {
        t.remove("dosing");
    });
    assert!(e.contains("dosing"), "{e}");
}
