mod case_format;
mod config;
mod properties;
mod snapshots;

use serde_json::{Value, json};

use super::*;
use crate::routing::Role;
use crate::test_support;

pub(super) fn case(drugs: &[&str], answers: Value) -> Case {
    Case {
        drugs: drugs.iter().map(|d| d.to_string()).collect(),
        sequence: Sequence::S1,
        parcours: Parcours::A,
        baseline_weight_kg: None,
        previous: None,
        answers: Answers::parse(&answers, "answers").expect("valid answers"),
    }
}

pub(super) fn en() -> AdviceContext {
    AdviceContext { locale: Locale::En, team_phone: None }
}

pub(super) fn run(c: &Case) -> TriageResult {
    evaluate(&test_support::rules(), &test_support::catalog(), c, &en()).expect("valid case")
}

fn symptom<'a>(r: &'a TriageResult, name: &str) -> &'a SymptomResult {
    r.symptoms.iter().find(|s| s.symptom == name).unwrap_or_else(|| panic!("{name} in {r:?}"))
}

fn flags(r: &TriageResult) -> Vec<&str> {
    r.red_flags.iter().map(|f| f.flag.as_str()).collect()
}

fn with_previous(mut c: Case, previous: Value) -> Case {
    c.previous = Some(Answers::parse(&previous, "previous_answers").expect("valid previous"));
    c
}

#[test]
fn colour_follows_grade() {
    for (sev, grade, colour) in [(1, 1, Colour::Green), (2, 2, Colour::Amber), (3, 3, Colour::Red), (4, 3, Colour::Red)]
    {
        let r = run(&case(&["imatinib"], json!({ "dry_skin.severity": sev })));
        assert_eq!((symptom(&r, "dry_skin").grade, symptom(&r, "dry_skin").colour), (grade, colour));
        assert_eq!(r.colour, colour);
    }
    let r = run(&case(&["imatinib"], json!({ "fatigue.severity": 0, "pain.frequency": 1 })));
    assert!(r.symptoms.is_empty(), "grade-0 symptoms are left out");
    assert_eq!(r.colour, Colour::Green);
    assert!(r.routes.is_empty());
}

#[test]
fn every_red_flag_question_makes_the_report_red() {
    for (q, _) in symptoms::RED_FLAG_QUESTIONS {
        let r = run(&case(&["imatinib"], json!({ *q: true })));
        assert_eq!(r.colour, Colour::Red, "{q}");
        assert_eq!(flags(&r), [*q]);
        let r = run(&case(&["imatinib"], json!({ *q: false })));
        assert_eq!(r.colour, Colour::Green, "{q} answered no");
    }
    let all: serde_json::Map<String, Value> =
        symptoms::RED_FLAG_QUESTIONS.iter().map(|(q, _)| (q.to_string(), json!(true))).collect();
    let mut answers = Value::Object(all);
    answers["temperature_c"] = json!(38.5);
    answers["systolic_mmhg"] = json!(185);
    let r = run(&case(&["capecitabine"], answers));
    let mut expected: Vec<&str> = symptoms::RED_FLAG_QUESTIONS.iter().map(|(q, _)| *q).collect();
    expected.extend(["febrile_on_myelosuppressive", "hypertensive_emergency"]);
    assert_eq!(flags(&r), expected, "the order of docs/triage.md §3");
}

#[test]
fn fever_is_a_red_flag_on_every_myelosuppressive_drug_only() {
    let catalog = test_support::catalog();
    for (name, drug) in catalog.iter() {
        let r = run(&case(&[name], json!({ "temperature_c": 38.0 })));
        if drug.tags.contains("myelosuppressive") {
            assert_eq!(flags(&r), ["febrile_on_myelosuppressive"], "{name}");
            assert_eq!(r.colour, Colour::Red);
            assert!(r.red_flags[0].reason.contains(name));
        } else {
            assert!(r.red_flags.is_empty(), "{name}");
            // r3 fever floor: a grade-1 fever is amber on every drug (was green at r2).
            assert_eq!(r.colour, Colour::Amber, "{name}: 38.0 °C is grade 1, amber by the fever floor");
        }
    }
    let r = run(&case(&["capecitabine"], json!({ "temperature_c": 37.9 })));
    assert!(r.red_flags.is_empty());
    let r = run(&case(&["erlotinib"], json!({ "temperature_c": 39.5 })));
    assert_eq!((r.colour, symptom(&r, "fever").grade), (Colour::Amber, 2));
    // One myelosuppressive drug in a combination is enough.
    let r = run(&case(&["erlotinib", "palbociclib"], json!({ "temperature_c": 38.2 })));
    assert_eq!(flags(&r), ["febrile_on_myelosuppressive"]);
}

#[test]
fn hypertensive_emergency_at_180_or_110() {
    for (sys, dia, flagged) in [
        (json!(180), None, true),
        (json!(179.9), None, false),
        (json!(150), Some(json!(110)), true),
        (json!(179), Some(json!(109.5)), false),
    ] {
        let mut a = json!({ "systolic_mmhg": sys });
        if let Some(d) = dia {
            a["diastolic_mmhg"] = d;
        }
        let r = run(&case(&["sunitinib"], a));
        assert_eq!(flags(&r) == ["hypertensive_emergency"], flagged, "{r:?}");
        assert_eq!(r.colour, Colour::Red, "grade 3 hypertension is red anyway");
    }
}

#[test]
fn every_watch_entry_makes_grade_1_amber() {
    let catalog = test_support::catalog();
    let answers_for = |s: &str| match s {
        "diarrhea" => json!({ "diarrhea.frequency": 2 }),
        "bruising" => json!({ "bruising": true }),
        "hand_foot_syndrome" => json!({ "hand_foot_syndrome.severity": 1 }),
        "nosebleed" | "palpitations" => json!({ format!("{s}.frequency"): 1 }),
        other => panic!("no answers for {other}"),
    };
    let mut entries = 0;
    for (name, drug) in catalog.iter() {
        for s in &drug.watch {
            let r = run(&case(&[name], answers_for(s)));
            let sym = symptom(&r, s);
            assert_eq!((sym.grade, sym.colour), (1, Colour::Amber), "{s} on {name}");
            assert!(sym.reasons.iter().any(|x| x.contains("early-watch list of") && x.contains(name)));
            assert_eq!(r.colour, Colour::Amber);
            // The same symptom on a drug that does not watch it stays green.
            let r = run(&case(&["imatinib"], answers_for(s)));
            assert_eq!(symptom(&r, s).colour, Colour::Green, "{s} on imatinib");
            entries += 1;
        }
    }
    assert_eq!(entries, 12, "the default watch lists of docs/triage.md §3");
    // watch_info changes no colour.
    let r = run(&case(&["erlotinib"], json!({ "rash": true })));
    assert_eq!(r.colour, Colour::Green);
}

#[test]
fn worsening_by_two_points_is_at_least_amber() {
    let c = with_previous(case(&["imatinib"], json!({ "nausea.frequency": 3 })), json!({ "nausea.frequency": 1 }));
    let r = run(&c);
    let s = symptom(&r, "nausea");
    assert_eq!((s.grade, s.colour), (1, Colour::Amber));
    assert!(s.reasons.iter().any(|x| x.contains("worsened since the previous report (frequency 1 → 3)")));
    // One point is not enough.
    let c = with_previous(case(&["imatinib"], json!({ "nausea.frequency": 2 })), json!({ "nausea.frequency": 1 }));
    assert_eq!(run(&c).colour, Colour::Green);
    // An absent later attribute counted 0 in the previous report.
    let c = with_previous(
        case(&["imatinib"], json!({ "pain.frequency": 2, "pain.severity": 2 })),
        json!({ "pain.frequency": 2 }),
    );
    assert_eq!(symptom(&run(&c), "pain").colour, Colour::Amber);
    // Without the first attribute in the previous report, nothing is compared.
    let c = with_previous(case(&["imatinib"], json!({ "nausea.frequency": 3 })), json!({}));
    assert_eq!(run(&c).colour, Colour::Green);
    // A grade-0 symptom is never amber, even after a 2-point rise: (2, 0, 0) is grade 0.
    let c = with_previous(case(&["imatinib"], json!({ "pain.frequency": 2 })), json!({ "pain.frequency": 0 }));
    assert!(run(&c).symptoms.is_empty());
    // Presence items and objective measures have no worsening rule.
    let c = with_previous(
        case(&["erlotinib"], json!({ "rash": true, "temperature_c": 38.5 })),
        json!({ "rash": false, "temperature_c": 36.5 }),
    );
    let r = run(&c);
    assert_eq!(symptom(&r, "rash").colour, Colour::Green);
    assert!(r.symptoms.iter().all(|s| s.reasons.iter().all(|x| !x.contains("worsened"))), "{:?}", r.symptoms);
}

#[test]
fn two_symptoms_of_grade_2_make_the_report_red() {
    let r = run(&case(&["imatinib"], json!({ "dry_skin.severity": 2, "stools_above_baseline": 4 })));
    assert_eq!(r.colour, Colour::Red);
    assert!(r.reasons.iter().any(|x| x.contains("more than one amber")), "{:?}", r.reasons);
    assert!(r.symptoms.iter().all(|s| s.colour == Colour::Amber));
    // Amber only through a watch list or worsening does not count.
    let r = run(&case(&["capecitabine"], json!({ "dry_skin.severity": 2, "hand_foot_syndrome.severity": 1 })));
    assert_eq!(r.colour, Colour::Amber);
    let c = with_previous(
        case(&["imatinib"], json!({ "dry_skin.severity": 2, "nausea.frequency": 3 })),
        json!({ "nausea.frequency": 1 }),
    );
    assert_eq!(run(&c).colour, Colour::Amber);
    // A watch-listed symptom at grade 2 is amber by grade, so it counts.
    let r = run(&case(&["capecitabine"], json!({ "dry_skin.severity": 2, "hand_foot_syndrome.severity": 2 })));
    assert_eq!(r.colour, Colour::Red);
}

#[test]
fn symptoms_are_ordered_by_grade_then_name() {
    let r = run(&case(
        &["imatinib"],
        json!({ "fatigue.severity": 1, "acne.severity": 1, "itching.severity": 3, "dry_skin.severity": 2 }),
    ));
    let order: Vec<&str> = r.symptoms.iter().map(|s| s.symptom.as_str()).collect();
    assert_eq!(order, ["itching", "dry_skin", "acne", "fatigue"]);
}

#[test]
fn routes_follow_the_report_colour_and_sequence() {
    let red = run(&case(&["imatinib"], json!({ "chest_pain": true })));
    let roles: Vec<Role> = red.routes.iter().map(|r| r.role).collect();
    assert_eq!(roles, [Role::Idec, Role::Oncologist]);
    assert!(red.routes.iter().all(|r| r.ack_within_minutes == 30 && r.escalation.is_some()));
    let mut c = case(&["imatinib"], json!({ "dry_skin.severity": 2 }));
    c.sequence = Sequence::S3;
    let amber = run(&c);
    assert_eq!(amber.routes.len(), 1);
    assert_eq!(amber.routes[0].role, Role::CommunityPharmacist);
    assert_eq!(amber.informed[0].role, Role::Gp);
    // r3 §4: an amber fever (the fever floor on erlotinib, not myelosuppressive) also reaches
    // the IDEC in S3, with the same 24 h deadline; the GP stays informed.
    let mut c = case(&["erlotinib"], json!({ "temperature_c": 38.2 }));
    c.sequence = Sequence::S3;
    let fever = run(&c);
    assert_eq!(fever.colour, Colour::Amber);
    let roles: Vec<Role> = fever.routes.iter().map(|r| r.role).collect();
    assert_eq!(roles, [Role::CommunityPharmacist, Role::Idec]);
    assert!(fever.routes.iter().all(|r| r.ack_within_minutes == 1440));
    assert_eq!(fever.informed[0].role, Role::Gp);
}

#[test]
fn red_advice_says_call_now_and_never_wait() {
    let rules = test_support::rules();
    let catalog = test_support::catalog();
    let c = case(&["capecitabine"], json!({ "temperature_c": 38.4, "dry_skin.severity": 2 }));
    let ctx = AdviceContext { locale: Locale::En, team_phone: Some("03 88 00 00 00".into()) };
    let r = evaluate(&rules, &catalog, &c, &ctx).expect("valid");
    // r3: the red call-now entry, then one hold entry per drug (every drug on a red report).
    assert_eq!(r.hold, ["capecitabine"]);
    assert_eq!(r.advice.len(), 2, "{:?}", r.advice);
    assert_eq!(r.advice[1].text, "Do not take your next dose of capecitabine until your team has called you.");
    assert_eq!(r.advice[0].symptom, None);
    assert_eq!(
        r.advice[0].text,
        "Call your oncology team now on 03 88 00 00 00. If you cannot reach them, call 15 (SAMU)."
    );
    let fr = AdviceContext { locale: Locale::Fr, team_phone: None };
    let r = evaluate(&rules, &catalog, &c, &fr).expect("valid");
    assert!(r.advice[0].text.contains("numéro 24 h/24 de votre équipe d'oncologie"));
    assert!(r.advice[0].text.contains("15 (SAMU)"));
    let r = evaluate(&rules, &catalog, &c, &en()).expect("valid");
    assert!(r.advice[0].text.contains("your oncology team's 24 h number"));
    assert!(!r.advice.iter().any(|a| a.text.contains("will contact you")));
}

#[test]
fn amber_advice_gives_self_care_then_the_deadline() {
    let rules = test_support::rules();
    let catalog = test_support::catalog();
    let c = case(&["capecitabine"], json!({ "diarrhea.frequency": 2, "fatigue.severity": 1 }));
    let r = evaluate(&rules, &catalog, &c, &en()).expect("valid");
    assert_eq!(r.colour, Colour::Amber);
    assert_eq!(r.advice.len(), 2, "{:?}", r.advice);
    assert_eq!(r.advice[0].symptom.as_deref(), Some("diarrhea"));
    assert_eq!(r.advice[1].symptom, None);
    assert!(r.advice[1].text.starts_with("Your care team will contact you within 24 hours."));
    let fr = AdviceContext { locale: Locale::Fr, team_phone: None };
    let r = evaluate(&rules, &catalog, &c, &fr).expect("valid");
    assert!(r.advice[0].text.starts_with("Buvez au moins 2 litres"));
    assert!(r.advice[1].text.contains("dans un délai de 24 heures"));
}

#[test]
fn green_advice_only_where_configured() {
    let r = run(&case(&["imatinib"], json!({ "fatigue.severity": 1, "pain.frequency": 3 })));
    assert_eq!(r.colour, Colour::Green);
    let shown: Vec<Option<&str>> = r.advice.iter().map(|a| a.symptom.as_deref()).collect();
    assert_eq!(shown, [Some("fatigue")], "pain has no green advice");
}

#[test]
fn deadline_words_in_each_locale() {
    use super::advice::deadline_words;
    use crate::routing::Deadline;
    assert_eq!(deadline_words(Deadline::Minutes(1440), Locale::En), "24 hours");
    assert_eq!(deadline_words(Deadline::Minutes(60), Locale::Fr), "1 heure");
    assert_eq!(deadline_words(Deadline::Minutes(45), Locale::En), "45 minutes");
    assert_eq!(deadline_words(Deadline::WorkingDays(1), Locale::Fr), "1 jour ouvré");
    assert_eq!(deadline_words(Deadline::WorkingDays(2), Locale::En), "2 working days");
}

#[test]
fn unknown_and_repeated_drugs_are_field_errors() {
    let rules = test_support::rules();
    let catalog = test_support::catalog();
    for drugs in [vec!["Capecitabine"], vec!["capecitabine", "capecitabine"], vec![]] {
        let c = case(&drugs, json!({}));
        let e = evaluate(&rules, &catalog, &c, &en()).expect_err("invalid drugs");
        assert_eq!(e.field, "drugs");
    }
    let mut c = case(&["imatinib"], json!({}));
    c.baseline_weight_kg = Some(0.0);
    let e = evaluate(&rules, &catalog, &c, &en()).expect_err("baseline");
    assert_eq!(e.field, "baseline.weight_kg");
}

/// docs/triage.md §3 (r3): the default `myelosuppressive` list, exactly.
const MYELOSUPPRESSIVE: [&str; 41] = [
    "abemaciclib",
    "acalabrutinib",
    "bosutinib",
    "busulfan",
    "capecitabine",
    "chlorambucil",
    "cyclophosphamide",
    "dasatinib",
    "etoposide",
    "fedratinib",
    "gilteritinib",
    "hydroxycarbamide",
    "ibrutinib",
    "idelalisib",
    "imatinib",
    "ixazomib",
    "lenalidomide",
    "lomustine",
    "melphalan",
    "mercaptopurine",
    "methotrexate",
    "midostaurin",
    "nilotinib",
    "niraparib",
    "olaparib",
    "palbociclib",
    "pomalidomide",
    "ponatinib",
    "procarbazine",
    "ribociclib",
    "rucaparib",
    "ruxolitinib",
    "sunitinib",
    "talazoparib",
    "temozolomide",
    "thalidomide",
    "topotecan",
    "trifluridine_tipiracil",
    "venetoclax",
    "vinorelbine",
    "zanubrutinib",
];

#[test]
fn the_real_catalogue_tags_exactly_the_default_myelosuppressive_list() {
    let text = std::fs::read_to_string(test_support::repo_path("config/catalog/drugs.toml")).expect("catalogue");
    let real = Catalog::from_toml(&text).expect("valid catalogue");
    let tagged: Vec<&str> =
        real.iter().filter(|(_, d)| d.tags.contains("myelosuppressive")).map(|(name, _)| name).collect();
    assert_eq!(tagged, MYELOSUPPRESSIVE, "tagged drugs (sorted) against docs/triage.md §3");
    for name in MYELOSUPPRESSIVE {
        let source = &real.get(name).expect("a catalogue key").source;
        assert!(source.contains("tag myelosuppressive") && source.contains("4.8"), "{name} cites its SmPC frequency");
    }
}

#[test]
fn the_real_catalogue_keeps_the_default_watch_lists() {
    let path = test_support::repo_path("config/catalog/drugs.toml");
    let Ok(text) = std::fs::read_to_string(path) else {
        return;
    };
    let Ok(real) = Catalog::from_toml(&text) else {
        return;
    };
    let interactions = test_support::rules().interactions;
    assert_eq!(interactions.check_names(&real, &test_support::comeds()), Ok(()));
    let test = test_support::catalog();
    for (name, drug) in test.iter() {
        if let Some(d) = real.get(name) {
            assert_eq!(d.watch, drug.watch, "watch list of {name}");
            assert_eq!(d.tags.contains("myelosuppressive"), drug.tags.contains("myelosuppressive"), "{name}");
        }
    }
}

/// The r3 rules of docs/triage.md §3–§5: fever floor, call-today advice, `hold`.
mod r3 {
    use serde_json::json;

    use super::{case, en, run, symptom};
    use crate::test_support;
    use crate::triage::{AdviceContext, Colour, Locale, evaluate};

    #[test]
    fn fever_floor_boundaries_on_untagged_and_tagged_drugs() {
        for (t, grade, colour) in [
            (37.9, None, Colour::Green),
            (38.0, Some(1), Colour::Amber),
            (39.0, Some(1), Colour::Amber),
            (39.05, Some(2), Colour::Amber),
            (40.0, Some(2), Colour::Amber),
            (40.1, Some(3), Colour::Red),
        ] {
            let r = run(&case(&["erlotinib"], json!({ "temperature_c": t })));
            assert_eq!(r.colour, colour, "{t} °C on erlotinib");
            assert!(r.red_flags.is_empty(), "{t} °C on erlotinib");
            assert_eq!(r.symptoms.iter().find(|s| s.symptom == "fever").map(|s| s.grade), grade, "{t} °C");
            if let Some(g) = grade {
                let f = symptom(&r, "fever");
                assert!(f.colour >= Colour::Amber, "{t} °C");
                assert!(f.reasons.iter().any(|x| x.contains("fever during anticancer treatment")), "{:?}", f.reasons);
                assert_eq!(f.grade, g, "the floor never changes the grade");
            }
        }
        // Tagged drug: 37.9 green, 38.0 and above red by the flag.
        let r = run(&case(&["capecitabine"], json!({ "temperature_c": 37.9 })));
        assert_eq!((r.colour, r.red_flags.len()), (Colour::Green, 0));
        for t in [38.0, 39.0, 39.05] {
            let r = run(&case(&["capecitabine"], json!({ "temperature_c": t })));
            assert_eq!(r.colour, Colour::Red, "{t} °C on capecitabine");
            assert_eq!(r.red_flags[0].flag, "febrile_on_myelosuppressive");
        }
    }

    #[test]
    fn the_fever_floor_does_not_count_toward_two_ambers() {
        // A grade-1 fever (amber by the floor) with one grade-2 symptom: amber, not red.
        let r = run(&case(&["erlotinib"], json!({ "temperature_c": 38.5, "dry_skin.severity": 2 })));
        assert_eq!((symptom(&r, "dry_skin").grade, symptom(&r, "fever").grade), (2, 1));
        assert_eq!(r.colour, Colour::Amber, "{:?}", r.reasons);
        // A grade-2 fever is amber by its grade and does count.
        let r = run(&case(&["erlotinib"], json!({ "temperature_c": 39.5, "dry_skin.severity": 2 })));
        assert_eq!(r.colour, Colour::Red);
    }

    #[test]
    fn an_amber_fever_tells_the_patient_to_call_today() {
        let rules = test_support::rules();
        let catalog = test_support::catalog();
        let c = case(&["erlotinib"], json!({ "temperature_c": 38.2 }));
        let ctx = AdviceContext { locale: Locale::En, team_phone: Some("03 88 00 00 00".into()) };
        let r = evaluate(&rules, &catalog, &c, &ctx).expect("valid");
        assert_eq!(r.colour, Colour::Amber);
        let last = r.advice.last().expect("advice");
        assert_eq!(last.symptom, None);
        assert_eq!(
            last.text,
            "You have a fever during your treatment: call your oncology team today on 03 88 00 00 00; call 15 if you \
             feel very unwell, shiver or feel faint."
        );
        assert!(!r.advice.iter().any(|a| a.text.contains("will contact you")), "{:?}", r.advice);
        let fr = AdviceContext { locale: Locale::Fr, team_phone: Some("03 88 00 00 00".into()) };
        let r = evaluate(&rules, &catalog, &c, &fr).expect("valid");
        let last = &r.advice.last().expect("advice").text;
        assert!(last.starts_with("Vous avez de la fièvre pendant votre traitement"), "{last}");
        assert!(last.contains("aujourd'hui au 03 88 00 00 00"), "{last}");
        let r = evaluate(&rules, &catalog, &c, &en()).expect("valid");
        assert!(r.advice.last().expect("advice").text.contains("24 h number today"));
        // Grade 2 too; without a fever, the amber report keeps its "will contact you" line.
        let r = run(&case(&["erlotinib"], json!({ "temperature_c": 39.5 })));
        assert!(r.advice.iter().any(|a| a.text.starts_with("You have a fever")));
        let r = run(&case(&["erlotinib"], json!({ "dry_skin.severity": 2 })));
        assert!(r.advice.iter().any(|a| a.text.contains("will contact you")));
        assert!(!r.advice.iter().any(|a| a.text.starts_with("You have a fever")));
    }

    #[test]
    fn capecitabine_holds_from_grade_2_of_its_listed_symptoms() {
        for s in [
            json!({ "diarrhea.frequency": 3 }),
            json!({ "stools_above_baseline": 4 }),
            json!({ "hand_foot_syndrome.severity": 2 }),
            json!({ "mouth_sores.severity": 2, "mouth_sores.interference": 2 }),
            json!({ "nausea.frequency": 4, "nausea.severity": 2 }),
            json!({ "vomiting_episodes_24h": 3 }),
        ] {
            let r = run(&case(&["capecitabine", "erlotinib"], s.clone()));
            assert_eq!(r.colour, Colour::Amber, "{s}");
            assert_eq!(r.hold, ["capecitabine"], "{s}");
            assert_eq!(r.advice[0].symptom, None, "{s}: the hold entry comes first on an amber report");
            assert_eq!(r.advice[0].text, "Do not take your next dose of capecitabine until your team has called you.");
        }
        // Grade 1 on the watch list is amber but below the hold grade: no hold.
        let r = run(&case(&["capecitabine"], json!({ "stools_above_baseline": 2 })));
        assert_eq!((r.colour, r.hold.len()), (Colour::Amber, 0));
        // An amber symptom that is not in the rule: no hold.
        let r = run(&case(&["capecitabine"], json!({ "dry_skin.severity": 2 })));
        assert_eq!((r.colour, r.hold.len()), (Colour::Amber, 0));
        // French display name, never the key.
        let fr = AdviceContext { locale: Locale::Fr, team_phone: None };
        let c = case(&["capecitabine"], json!({ "hand_foot_syndrome.severity": 2 }));
        let r = evaluate(&test_support::rules(), &test_support::catalog(), &c, &fr).expect("valid");
        assert!(r.advice[0].text.contains("de capécitabine"), "{}", r.advice[0].text);
    }

    #[test]
    fn red_holds_every_drug_sorted_and_green_none() {
        let r = run(&case(&["erlotinib", "capecitabine"], json!({ "chest_pain": true })));
        assert_eq!(r.colour, Colour::Red);
        assert_eq!(r.hold, ["capecitabine", "erlotinib"]);
        assert_eq!(r.advice.len(), 3);
        assert!(r.advice[0].text.starts_with("Call"));
        assert!(r.advice[1].text.contains("of capecitabine"));
        assert!(r.advice[2].text.contains("of erlotinib"));
        let r = run(&case(&["capecitabine"], json!({ "fatigue.severity": 1 })));
        assert_eq!((r.colour, r.hold.len()), (Colour::Green, 0));
    }

    #[test]
    fn the_real_catalogue_hold_rules_are_the_defaults() {
        let text = std::fs::read_to_string(test_support::repo_path("config/catalog/drugs.toml")).expect("catalogue");
        let real = crate::catalog::Catalog::from_toml(&text).expect("valid");
        let held: Vec<(&str, Vec<(&str, u8)>)> = real
            .iter()
            .filter(|(_, d)| !d.hold.is_empty())
            .map(|(n, d)| (n, d.hold.iter().map(|(s, g)| (s.as_str(), *g)).collect()))
            .collect();
        let capecitabine =
            vec![("diarrhea", 2), ("hand_foot_syndrome", 2), ("mouth_sores", 2), ("nausea", 2), ("vomiting", 2)];
        assert_eq!(
            held,
            [("capecitabine", capecitabine), ("dabrafenib", vec![("fever", 1)]), ("trametinib", vec![("fever", 1)])]
        );
        // dabrafenib: a grade-1 fever is amber by the floor and holds it.
        let rules = test_support::rules();
        let c = case(&["dabrafenib", "trametinib"], json!({ "temperature_c": 38.0 }));
        let r = evaluate(&rules, &real, &c, &en()).expect("valid");
        assert_eq!((r.colour, r.hold.clone()), (Colour::Amber, vec!["dabrafenib".to_string(), "trametinib".into()]));
        assert_eq!(r.advice[0].text, "Do not take your next dose of dabrafenib until your team has called you.");
        let r = evaluate(&rules, &real, &case(&["dabrafenib"], json!({ "temperature_c": 37.9 })), &en()).expect("ok");
        assert!(r.hold.is_empty());
    }
}

#[test]
fn life_threatening_red_flags_say_call_15_first() {
    // docs/triage.md §5 (r3): chest_pain, breathless_at_rest, fainting, confusion → 15 first.
    let rules = test_support::rules();
    let catalog = test_support::catalog();
    let ctx = AdviceContext { locale: Locale::En, team_phone: Some("03 88 00 00 00".into()) };
    for flag in ["chest_pain", "breathless_at_rest", "fainting", "confusion"] {
        let r = evaluate(&rules, &catalog, &case(&["erlotinib"], json!({ flag: true })), &ctx).expect("valid");
        assert_eq!(r.advice[0].text, "Call 15 (SAMU) now. Then tell your oncology team on 03 88 00 00 00.", "{flag}");
        let r = evaluate(&rules, &catalog, &case(&["erlotinib"], json!({ flag: true })), &en()).expect("valid");
        assert_eq!(r.advice[0].text, "Call 15 (SAMU) now. Then tell your oncology team on its 24 h number.", "{flag}");
    }
    // With another red flag too, 15 still comes first.
    let c = case(&["erlotinib"], json!({ "bleeding_other": true, "fainting": true }));
    let fr = AdviceContext { locale: Locale::Fr, team_phone: Some("03 88 00 00 00".into()) };
    let r = evaluate(&rules, &catalog, &c, &fr).expect("valid");
    assert!(r.advice[0].text.starts_with("Appelez le 15 (SAMU) maintenant."), "{}", r.advice[0].text);
    // The other red flags keep "call your oncology team now, then 15".
    for flag in ["bleeding_other", "skin_blisters_or_mucosal_lesions", "one_leg_swollen_painful", "unable_to_drink_24h"]
    {
        let r = evaluate(&rules, &catalog, &case(&["erlotinib"], json!({ flag: true })), &ctx).expect("valid");
        assert!(r.advice[0].text.starts_with("Call your oncology team now on 03 88 00 00 00."), "{flag}");
    }
    let r = evaluate(&rules, &catalog, &case(&["erlotinib"], json!({ "systolic_mmhg": 185 })), &ctx).expect("valid");
    assert!(r.advice[0].text.starts_with("Call your oncology team now"));
}

#[test]
fn the_phone_gets_the_red_flags_with_15_first_for_the_life_threatening_ones() {
    let rules = test_support::rules();
    let catalog = test_support::catalog();
    let ctx = AdviceContext { locale: Locale::Fr, team_phone: Some("02 99 00 00 00".into()) };
    let on = |drugs: &[&str]| {
        let drugs: Vec<String> = drugs.iter().map(|d| d.to_string()).collect();
        offline_red_rules(&rules, &catalog, &drugs, &ctx)
    };
    let rules_now = on(&["capecitabine"]);
    let keys: Vec<&str> = rules_now.iter().map(|r| r.key.as_str()).collect();
    assert_eq!(&keys[..8], symptoms::RED_FLAG_QUESTIONS.iter().map(|(q, _)| *q).collect::<Vec<_>>());
    let chest = &rules_now[0];
    assert!(chest.call_15_first && chest.at_least.is_none());
    assert_eq!(
        chest.text,
        "Appelez le 15 (SAMU) maintenant. Prévenez ensuite votre équipe d'oncologie au 02 99 00 00 00."
    );
    let bleeding = rules_now.iter().find(|r| r.key == "bleeding_other").expect("bleeding");
    assert!(!bleeding.call_15_first);
    assert!(bleeding.text.starts_with("Appelez maintenant votre équipe d'oncologie au 02 99 00 00 00."));
    // The temperature is a red value on a myelosuppressive drug only; blood pressure always.
    let temp = rules_now.iter().find(|r| r.key == "temperature_c").expect("febrile on capecitabine");
    assert_eq!((temp.at_least, temp.flag.as_str()), (Some(38.0), "febrile_on_myelosuppressive"));
    assert!(!on(&["erlotinib"]).iter().any(|r| r.key == "temperature_c"));
    let sys = on(&["erlotinib"]).into_iter().find(|r| r.key == "systolic_mmhg").expect("bp");
    assert_eq!(sys.at_least, Some(180.0));
    // The phone's copy agrees with the server: each rule's value alone makes the report red.
    for r in on(&["capecitabine"]) {
        let answer = match (r.at_least, r.key.as_str()) {
            // A diastolic is given with its systolic (docs/triage.md §1).
            (Some(v), "diastolic_mmhg") => json!({ "systolic_mmhg": 120, "diastolic_mmhg": v }),
            (Some(v), _) => json!({ r.key.clone(): v }),
            (None, _) => json!({ r.key.clone(): true }),
        };
        assert_eq!(run(&case(&["capecitabine"], answer)).colour, Colour::Red, "{}", r.key);
    }
}

#[test]
fn another_symptom_in_the_patients_words_is_amber_to_the_idec() {
    let rules = test_support::rules();
    let catalog = test_support::catalog();
    let mut c = case(&["imatinib"], json!({ "chest_pain": false }));
    c.sequence = Sequence::S3;
    let plain = evaluate(&rules, &catalog, &c, &en()).expect("valid");
    assert_eq!(plain.colour, Colour::Green);
    let r = evaluate_with_other(&rules, &catalog, &c, &en(), true).expect("valid");
    assert_eq!(r.colour, Colour::Amber);
    let roles: Vec<Role> = r.routes.iter().map(|r| r.role).collect();
    assert_eq!(roles, [Role::CommunityPharmacist, Role::Idec]);
    assert!(r.hold.is_empty());
    assert!(
        r.advice.iter().any(|a| a.text.starts_with("Your care team will contact you within 24 hours")),
        "{:?}",
        r.advice
    );
    // A red report stays red, and keeps its call-now entry first.
    let red = evaluate_with_other(&rules, &catalog, &case(&["imatinib"], json!({ "chest_pain": true })), &en(), true)
        .expect("valid");
    assert_eq!(red.colour, Colour::Red);
    assert!(red.advice[0].text.starts_with("Call 15 (SAMU) now."));
}
