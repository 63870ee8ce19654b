use chrono::{Duration, NaiveDate, NaiveTime, Weekday};
use proptest::prelude::*;

use super::*;
use crate::catalog::Catalog;

use crate::test_support::read;

fn items() -> String {
    read("config/questionnaires/items.toml")
}

fn definitions() -> String {
    read("config/questionnaires/definitions.toml")
}

fn catalog() -> Catalog {
    Catalog::from_toml(&read("config/catalog/drugs.toml")).expect("shipped catalogue is valid")
}

fn bank() -> QuestionBank {
    QuestionBank::from_toml(&items(), &definitions(), &catalog()).expect("shipped questionnaires are valid")
}

fn keys(modules: &[Module]) -> Vec<String> {
    modules.iter().flat_map(|m| m.answer_keys()).map(|k| k.to_key()).collect()
}

fn red_flags() -> impl Iterator<Item = &'static str> {
    symptoms::RED_FLAG_QUESTIONS.iter().map(|(q, _)| *q)
}

#[test]
fn every_contract_key_has_its_item_and_belongs_to_one_module() {
    let bank = bank();
    let all = AnswerKey::all();
    for k in &all {
        assert_eq!(bank.item(*k).key, *k);
    }
    let from_modules: Vec<AnswerKey> = Module::all().into_iter().flat_map(Module::answer_keys).collect();
    assert_eq!(from_modules, all, "modules cover the contract once, in docs/triage.md order");
}

#[test]
fn removing_any_item_is_refused_with_its_key() {
    let text = items();
    const ITEM: &str = "\n[[item]]\n";
    let blocks: Vec<&str> = text.split(ITEM).collect();
    assert_eq!(blocks.len() - 1, AnswerKey::all().len(), "one [[item]] per contract key");
    for k in AnswerKey::all() {
        let key = k.to_key();
        let needle = format!("key = \"{key}\"\n");
        let without: String = text.split(ITEM).filter(|b| !b.contains(&needle)).collect::<Vec<_>>().join(ITEM);
        assert_ne!(without, text, "{key} not found in items.toml");
        let err = QuestionBank::from_toml(&without, &definitions(), &catalog()).expect_err(&key);
        assert!(err.contains(&format!("item `{key}`: missing")), "{key}: {err}");
    }
}

#[test]
fn capecitabine_asks_hand_foot_syndrome_temperature_and_every_red_flag() {
    let q = keys(&bank().questionnaire_for(&["capecitabine"], false));
    for k in ["hand_foot_syndrome.severity", "diarrhea.frequency", "stools_above_baseline", "mouth_sores.severity"] {
        assert!(q.contains(&k.to_string()), "{k}");
    }
    assert!(q.contains(&"temperature_c".to_string()));
    for f in red_flags() {
        assert!(q.contains(&f.to_string()), "{f}");
    }
    assert!(!q.contains(&"weight_kg".to_string()), "no baseline, no weight");
}

#[test]
fn vegfr_drugs_ask_blood_pressure_and_egfr_is_a_whole_word() {
    let bank = bank();
    for drug in ["sunitinib", "sorafenib", "pazopanib", "axitinib", "cabozantinib", "lenvatinib", "regorafenib"] {
        let q = keys(&bank.questionnaire_for(&[drug], false));
        for k in ["systolic_mmhg", "diastolic_mmhg", "hand_foot_syndrome.severity"] {
            assert!(q.contains(&k.to_string()), "{drug}: {k}");
        }
        assert!(!q.contains(&"acne.severity".to_string()), "{drug}: VEGFR is not EGFR");
    }
    let erlotinib = keys(&bank.questionnaire_for(&["erlotinib"], false));
    assert!(erlotinib.contains(&"acne.severity".to_string()) && erlotinib.contains(&"rash".to_string()));
    assert!(!erlotinib.contains(&"systolic_mmhg".to_string()));
}

#[test]
fn class_tag_and_drug_rules_add_their_modules() {
    let bank = bank();
    let has = |drug: &str, key: &str| keys(&bank.questionnaire_for(&[drug], false)).contains(&key.to_string());
    assert!(has("ribociclib", "palpitations.frequency") && has("ribociclib", "mouth_sores.severity"));
    assert!(has("palbociclib", "mouth_sores.severity") && has("palbociclib", "chills.frequency"));
    assert!(
        has("ibrutinib", "bruising")
            && has("ibrutinib", "nosebleed.frequency")
            && has("ibrutinib", "palpitations.frequency")
    );
    assert!(has("olaparib", "shortness_of_breath.severity"));
    assert!(has("lenalidomide", "numbness_tingling.severity") && has("lenalidomide", "swelling.frequency"));
    assert!(has("dasatinib", "bruising"), "bleeding_risk tag");
}

#[test]
fn a_drug_without_rule_gets_exactly_the_base() {
    let bank = bank();
    let base = bank.questionnaire_for(&[], false);
    assert_eq!(bank.questionnaire_for(&["tamoxifen"], false), base);
    assert_eq!(bank.questionnaire_for(&["letrozole"], false), base);
    assert_eq!(bank.questionnaire_for(&["not_a_drug"], false), base);
    let k = keys(&base);
    for must in ["temperature_c", "fatigue.severity", "nausea.frequency", "vomiting.frequency", "diarrhea.frequency"] {
        assert!(k.contains(&must.to_string()), "{must}");
    }
    assert!(red_flags().all(|f| k.contains(&f.to_string())));
}

#[test]
fn weight_is_asked_only_with_a_baseline() {
    let bank = bank();
    let with = bank.questionnaire_for(&["tamoxifen"], true);
    assert!(with.contains(&Module::Measure(Measure::WeightKg)));
    assert!(!bank.questionnaire_for(&["tamoxifen"], false).contains(&Module::Measure(Measure::WeightKg)));
}

#[test]
fn combined_drugs_are_deduplicated_in_asking_order() {
    let bank = bank();
    let q = bank.questionnaire_for(&["capecitabine", "lapatinib", "capecitabine"], true);
    let mut unique = q.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), q.len(), "each module once");
    // docs/triage.md §1 "Order" (r3): the eight red-flag questions first, in their table order.
    let flags: Vec<Module> = red_flags().map(Module::RedFlag).collect();
    assert_eq!(q[..flags.len()], flags[..]);
    assert!(q[flags.len()..].iter().all(|m| !matches!(m, Module::RedFlag(_))));
    assert_eq!(q.first(), Some(&Module::RedFlag("chest_pain")));
}

/// Where a module stands in a questionnaire.
fn at(q: &[Module], m: Module) -> usize {
    q.iter().position(|x| *x == m).unwrap_or_else(|| panic!("{m:?} asked in {q:?}"))
}

#[test]
fn each_measure_comes_right_after_its_symptom() {
    let bank = bank();
    // Capecitabine asks diarrhoea and its stool count; palbociclib (CDK4/6) adds chills.
    let q = bank.questionnaire_for(&["capecitabine", "palbociclib"], true);
    let diarrhea = at(&q, Module::Symptom("diarrhea"));
    assert_eq!(q[diarrhea + 1], Module::Measure(Measure::StoolsAboveBaseline), "{q:?}");
    let vomiting = at(&q, Module::Symptom("vomiting"));
    assert_eq!(q[vomiting + 1], Module::Measure(Measure::VomitingEpisodes24h), "{q:?}");
    let chills = at(&q, Module::Symptom("chills"));
    assert_eq!(q[chills + 1], Module::Measure(Measure::TemperatureC), "{q:?}");
    // Measures without their symptom (weight) come after the symptoms.
    let last_symptom = q.iter().rposition(|m| matches!(m, Module::Symptom(_))).expect("symptoms");
    assert!(at(&q, Module::Measure(Measure::WeightKg)) > last_symptom);
    // Without chills (no rule adds it for tamoxifen), the temperature is asked after the symptoms.
    let base = bank.questionnaire_for(&["tamoxifen"], false);
    let last_symptom = base.iter().rposition(|m| matches!(m, Module::Symptom(_))).expect("symptoms");
    assert!(at(&base, Module::Measure(Measure::TemperatureC)) > last_symptom, "{base:?}");
    // The same order in the rendered items the phone receives.
    let items: Vec<String> = bank.render(&q, Locale::Fr).into_iter().flat_map(|m| m.items).map(|i| i.key).collect();
    let pos = |k: &str| items.iter().position(|i| i == k).expect(k);
    assert_eq!(pos("stools_above_baseline"), pos("diarrhea.frequency") + 1, "{items:?}");
    assert_eq!(pos("temperature_c"), pos("chills.severity") + 1, "{items:?}");
    assert_eq!(items.first().map(String::as_str), Some("chest_pain"));
}

#[test]
fn a_measure_after_an_unknown_symptom_or_after_a_question_is_refused() {
    let defs = definitions();
    let with = |from: &str, to: &str| {
        let text = items();
        assert!(text.contains(from), "{from}");
        QuestionBank::from_toml(&text.replacen(from, to, 1), &defs, &catalog())
    };
    let err = with("after = \"chills\"", "after = \"shivers\"").expect_err("unknown symptom");
    assert!(err.contains("item `temperature_c`: after: `shivers` is not a symptom key"), "{err}");
    let err =
        with("key = \"confusion\"\nkind = \"yes_no\"\n", "key = \"confusion\"\nkind = \"yes_no\"\nafter = \"pain\"\n")
            .expect_err("a question is not placed");
    assert!(err.contains("item `confusion`: after: only a measure"), "{err}");
}

#[test]
fn render_has_texts_in_both_locales_and_branches_on_the_first_attribute() {
    let bank = bank();
    for locale in [Locale::Fr, Locale::En] {
        let rendered = bank.render(&Module::all(), locale);
        for m in &rendered {
            assert!(!m.title.trim().is_empty(), "{}", m.key);
            for i in &m.items {
                assert!(!i.text.trim().is_empty(), "{}", i.key);
                assert!(i.choices.iter().all(|c| !c.label.trim().is_empty()), "{}", i.key);
            }
        }
        let pain = rendered.iter().find(|m| m.key == "pain").expect("pain");
        let keys: Vec<&str> = pain.items.iter().map(|i| i.key.as_str()).collect();
        assert_eq!(keys, ["pain.frequency", "pain.severity", "pain.interference"]);
        assert_eq!(pain.items[0].show_if, None);
        for later in &pain.items[1..] {
            assert_eq!(later.show_if, Some(ShowIf { key: "pain.frequency".into(), above: 0 }));
        }
        let choices: Vec<ChoiceValue> = pain.items[1].choices.iter().map(|c| c.value).collect();
        assert_eq!(choices, (0..5).map(ChoiceValue::Level).collect::<Vec<_>>());
    }
    let fr = bank.render(&[Module::Symptom("pain")], Locale::Fr);
    assert_eq!(fr[0].items[1].choices[4].label, "Très forte");
    let en = bank.render(&[Module::Symptom("pain")], Locale::En);
    assert_eq!(en[0].items[0].choices[0].label, "Never");
}

/// An item's own labels replace the shared labels of its scale for that item only, in both
/// locales and in answer order 0..4.
#[test]
fn an_item_with_its_own_labels_serves_them() {
    const NAUSEA: &str = "key = \"nausea.frequency\"\nkind = \"scale\"\nscale = \"frequency\"\n";
    let text = items();
    assert!(text.contains(NAUSEA), "fixture out of date");
    let own =
        "labels.fr = [\"F0\", \"F1\", \"F2\", \"F3\", \"F4\"]\nlabels.en = [\"E0\", \"E1\", \"E2\", \"E3\", \"E4\"]\n";
    let edited = text.replacen(NAUSEA, &format!("{NAUSEA}{own}"), 1);
    let bank = QuestionBank::from_toml(&edited, &definitions(), &catalog()).expect("valid labels");
    let modules = [Module::Symptom("nausea"), Module::Symptom("headache")];
    for (locale, prefix) in [(Locale::Fr, "F"), (Locale::En, "E")] {
        let rendered = bank.render(&modules, locale);
        let nausea = &rendered[0].items[0];
        assert_eq!(nausea.key, "nausea.frequency");
        let served: Vec<(ChoiceValue, &str)> = nausea.choices.iter().map(|c| (c.value, c.label.as_str())).collect();
        let expected: Vec<String> = (0..5).map(|i| format!("{prefix}{i}")).collect();
        let expected: Vec<(ChoiceValue, &str)> =
            (0u8..).zip(&expected).map(|(v, l)| (ChoiceValue::Level(v), l.as_str())).collect();
        assert_eq!(served, expected);
        // Another frequency item keeps whatever the shipped file gives it.
        let headache = &rendered[1].items[0];
        let shipped = &bank_labels(locale, "headache")[0];
        assert_eq!(&headache.choices, shipped, "headache.frequency unchanged");
    }
}

/// Issue 19: plain, gender-neutral French (no "(e)" forms) in every text, help, answer and
/// module name, and the PRO-CTCAE 7-day recall kept in every symptom question.
#[test]
fn texts_are_gender_neutral_and_symptoms_keep_the_seven_day_recall() {
    let bank = bank();
    for (locale, recall) in [(Locale::Fr, "7 derniers jours"), (Locale::En, "past 7 days")] {
        for m in bank.render(&Module::all(), locale) {
            let labels = m.items.iter().flat_map(|i| i.choices.iter().map(|c| c.label.as_str()));
            let texts = m.items.iter().flat_map(|i| [Some(i.text.as_str()), i.help.as_deref()]).flatten();
            for t in texts.chain(labels).chain([m.title.as_str()]) {
                assert!(!t.contains("(e)") && !t.contains("(s)"), "{}: {t}", m.key);
            }
            if m.kind == ModuleKind::Symptom {
                for i in &m.items {
                    assert!(i.text.contains(recall), "{}: {}", i.key, i.text);
                }
            }
        }
    }
}

/// The choices the shipped bank serves for a symptom's items.
fn bank_labels(locale: Locale, symptom: &'static str) -> Vec<Vec<Choice>> {
    bank().render(&[Module::Symptom(symptom)], locale).remove(0).items.into_iter().map(|i| i.choices).collect()
}

#[test]
fn rendered_json_shape() {
    let bank = bank();
    let r = bank.render(&[Module::Symptom("diarrhea"), Module::Measure(Measure::StoolsAboveBaseline)], Locale::En);
    let v = serde_json::to_value(&r).expect("serialises");
    assert_eq!(v[0]["kind"], "symptom");
    assert_eq!(v[0]["items"][0]["key"], "diarrhea.frequency");
    assert_eq!(v[0]["items"][0]["choices"][4]["value"], 4);
    let stools = &v[1]["items"][0];
    assert_eq!((stools["kind"].clone(), stools["integer"].clone()), ("number".into(), true.into()));
    assert_eq!((stools["min"].as_f64(), stools["max"].as_f64()), (Some(0.0), Some(50.0)));
    assert_eq!(stools["show_if"], serde_json::json!({"key": "diarrhea.frequency", "above": 0}));
    assert!(stools.get("choices").is_none());
    // Without the diarrhoea module, the count is asked as is.
    let alone = bank.render(&[Module::Measure(Measure::StoolsAboveBaseline)], Locale::En);
    assert_eq!(alone[0].items[0].show_if, None);
    let flag = serde_json::to_value(bank.render(&[Module::RedFlag("chest_pain")], Locale::Fr)).expect("json");
    assert_eq!(flag[0]["kind"], "red_flag");
    assert_eq!(flag[0]["items"][0]["choices"][1], serde_json::json!({"value": true, "label": "Oui"}));
    let temp = &bank.render(&[Module::Measure(Measure::TemperatureC)], Locale::Fr)[0].items[0];
    assert_eq!((temp.min, temp.max, temp.unit.as_deref()), (Some(30.0), Some(45.0), Some("°C")));
}

#[test]
fn on_my_own_offers_every_symptom_and_fever_and_always_asks_the_safety_net() {
    let bank = bank();
    let choices = bank.on_my_own_choices();
    for (s, _, _) in symptoms::PRO_CTCAE {
        assert!(choices.contains(&Module::Symptom(s)), "{s}");
    }
    assert!(choices.contains(&Module::Measure(Measure::TemperatureC)), "fever is a choice (r3)");
    // The counts come with their symptom, not alone.
    assert!(!choices.contains(&Module::Measure(Measure::StoolsAboveBaseline)));
    let q = bank.on_my_own_for(&[Module::Symptom("cough"), Module::Measure(Measure::DiastolicMmhg)]);
    assert!(q.contains(&Module::Symptom("cough")) && q.contains(&Module::Measure(Measure::SystolicMmhg)));
    assert!(q.contains(&Module::Measure(Measure::TemperatureC)));
    assert!(red_flags().all(|f| q.contains(&Module::RedFlag(symptoms::red_flag_question(f).expect("flag")))));
    assert!(!q.contains(&Module::Symptom("pain")));
    assert_eq!(q.first(), Some(&Module::RedFlag("chest_pain")), "red flags first: {q:?}");
    // Diarrhoea brings the stool count, right after it.
    let q = bank.on_my_own_for(&[Module::Symptom("diarrhea")]);
    assert_eq!(q[at(&q, Module::Symptom("diarrhea")) + 1], Module::Measure(Measure::StoolsAboveBaseline), "{q:?}");
    assert_eq!(
        bank.brought_by(Module::Symptom("diarrhea")),
        BTreeSet::from([Module::Symptom("diarrhea"), Module::Measure(Measure::StoolsAboveBaseline)])
    );
}

#[test]
fn cadences_follow_domain_defaults() {
    let bank = bank();
    let ten = NaiveTime::from_hms_opt(10, 0, 0).expect("time");
    assert_eq!(
        bank.cadence(Sequence::S1),
        &Cadence { days: vec![Weekday::Mon, Weekday::Thu], every_weeks: 1, local_time: ten }
    );
    assert_eq!(bank.cadence(Sequence::S2).days, [Weekday::Mon]);
    assert_eq!(bank.cadence(Sequence::S3).every_weeks, 2);
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("date")
}

#[test]
fn due_dates_twice_weekly_weekly_and_fortnightly() {
    let bank = bank();
    let start = date(2026, 11, 23); // a Monday
    let s1 = due_dates(bank.cadence(Sequence::S1), start, start + Duration::days(13), start);
    assert_eq!(s1, [date(2026, 11, 23), date(2026, 11, 26), date(2026, 11, 30), date(2026, 12, 3)]);
    let s2 = due_dates(bank.cadence(Sequence::S2), start, start + Duration::days(27), start);
    assert_eq!(s2.len(), 4);
    // S3 from a Wednesday anchor: the anchor week counts as week 0 (its Monday is past).
    let anchor = date(2026, 11, 25);
    let s3 = due_dates(bank.cadence(Sequence::S3), anchor, anchor + Duration::days(41), anchor);
    assert_eq!(s3, [date(2026, 12, 7), date(2026, 12, 21), date(2027, 1, 4)]);
    // Later windows keep the parity of the anchor week.
    let later = due_dates(bank.cadence(Sequence::S3), date(2027, 6, 1), date(2027, 6, 30), anchor);
    assert!(later.iter().all(|d| (*d - date(2026, 11, 23)).num_days() % 14 == 0), "{later:?}");
    assert!(due_dates(bank.cadence(Sequence::S1), start, start - Duration::days(1), start).is_empty());
}

proptest! {
    #[test]
    fn any_combination_is_ordered_and_branches_backwards(picks in proptest::collection::vec(0usize..200, 0..4), weight: bool) {
        let bank = bank();
        let cat = catalog();
        let names: Vec<&str> = cat.iter().map(|(k, _)| k).collect();
        let drugs: Vec<&str> = picks.iter().map(|i| names[i % names.len()]).collect();
        let q = bank.questionnaire_for(&drugs, weight);
        let mut unique = q.clone();
        unique.sort();
        unique.dedup();
        prop_assert_eq!(unique.len(), q.len());
        let flags = q.iter().filter(|m| matches!(m, Module::RedFlag(_))).count();
        prop_assert!(q[..flags].iter().all(|m| matches!(m, Module::RedFlag(_))), "red flags first");
        prop_assert!(bank.questionnaire_for(&[], false).iter().all(|m| q.contains(m)));
        let rendered: Vec<RenderedItem> = bank.render(&q, Locale::Fr).into_iter().flat_map(|m| m.items).collect();
        for (i, item) in rendered.iter().enumerate() {
            if let Some(s) = &item.show_if {
                prop_assert!(rendered[..i].iter().any(|earlier| earlier.key == s.key), "{} before {}", s.key, item.key);
            }
        }
    }
}

mod config;

/// The advice and results patients read (config/triage.toml) and the app's own texts are
/// gender-neutral too: no "(e)" form anywhere a patient reads (issue 19).
#[test]
fn advice_and_app_texts_are_gender_neutral() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");
    for file in ["config/triage.toml", "server/assets/app/i18n.js"] {
        let text = std::fs::read_to_string(format!("{root}/{file}")).expect(file);
        let texts = text.lines().filter(|l| !l.trim_start().starts_with(['#', '/']));
        let bad: Vec<&str> = texts.filter(|l| l.contains("(e)") || l.contains("(s)")).collect();
        assert!(bad.is_empty(), "{file}: {bad:#?}");
    }
}
