use super::*;
use crate::test_support;

const SEQS: [Sequence; 3] = [Sequence::S1, Sequence::S2, Sequence::S3];
const PARCOURS: [Parcours; 2] = [Parcours::A, Parcours::B];

/// The shipped `[[routing.rule]]` of `config/triage.toml`, read without the rest of triage.
fn rules() -> RoutingRules {
    let file: toml::Table = test_support::triage_toml().parse().expect("triage.toml is TOML");
    let specs: Vec<RuleSpec> = file["routing"]["rule"].clone().try_into().expect("routing rules");
    RoutingRules::new(&specs, "routing.rule").expect("shipped routing rules are valid")
}

fn roles(r: &Routing) -> Vec<Role> {
    r.routes.iter().map(|r| r.role).collect()
}

#[test]
fn red_goes_to_idec_and_oncologist_within_30_minutes_with_escalation() {
    let rules = rules();
    for topic in Topic::ALL {
        for seq in SEQS {
            for p in PARCOURS {
                let r = rules.route(Colour::Red, topic, seq, p);
                assert_eq!(roles(&r), [Role::Idec, Role::Oncologist]);
                assert_eq!(r.deadline, Some(Deadline::Minutes(30)));
                assert!(r.informed.is_empty());
                for route in &r.routes {
                    assert_eq!(route.topic, topic);
                    assert_eq!(route.ack_within_minutes, 30);
                    assert_eq!(route.working_days, None);
                    assert_eq!(route.escalation, Some(Escalation { every_minutes: 30, add_backup_list: true }));
                }
            }
        }
    }
}

#[test]
fn amber_toxicity_goes_to_idec_in_s1_s2_and_community_pharmacist_in_s3() {
    let rules = rules();
    for p in PARCOURS {
        for seq in [Sequence::S1, Sequence::S2] {
            let r = rules.route(Colour::Amber, Topic::Toxicity, seq, p);
            assert_eq!(roles(&r), [Role::Idec]);
            assert_eq!(r.routes[0].ack_within_minutes, 1440);
            assert_eq!(r.routes[0].working_days, None);
            assert_eq!(r.routes[0].escalation, None);
            assert!(r.informed.is_empty());
        }
        let r = rules.route(Colour::Amber, Topic::Toxicity, Sequence::S3, p);
        assert_eq!(roles(&r), [Role::CommunityPharmacist]);
        assert_eq!(r.routes[0].ack_within_minutes, 1440);
        assert_eq!(
            r.informed,
            [
                Informed { role: Role::Gp, topic: Topic::Toxicity },
                Informed { role: Role::CommunityNurse, topic: Topic::Toxicity }
            ]
        );
    }
}

#[test]
fn amber_adherence_and_interaction_go_to_the_right_pharmacist_within_a_working_day() {
    let rules = rules();
    for topic in [Topic::Adherence, Topic::Interaction] {
        for seq in SEQS {
            for p in PARCOURS {
                let r = rules.route(Colour::Amber, topic, seq, p);
                let expected = if seq == Sequence::S1 || p == Parcours::B {
                    Role::HospitalPharmacist
                } else {
                    Role::CommunityPharmacist
                };
                assert_eq!(roles(&r), [expected], "{topic:?} {seq:?} {p:?}");
                assert_eq!(r.routes[0].ack_within_minutes, 1440);
                assert_eq!(r.routes[0].working_days, Some(1));
                assert_eq!(r.deadline, Some(Deadline::WorkingDays(1)));
            }
        }
    }
}

#[test]
fn amber_missed_follow_up_goes_to_idec_within_a_working_day() {
    let rules = rules();
    for seq in SEQS {
        for p in PARCOURS {
            let r = rules.route(Colour::Amber, Topic::MissedFollowUp, seq, p);
            assert_eq!(roles(&r), [Role::Idec]);
            assert_eq!(r.routes[0].working_days, Some(1));
        }
    }
}

#[test]
fn amber_regimen_goes_to_idec_and_hospital_pharmacist_within_a_working_day() {
    let rules = rules();
    for seq in SEQS {
        for p in PARCOURS {
            let r = rules.route(Colour::Amber, Topic::Regimen, seq, p);
            assert_eq!(roles(&r), [Role::Idec, Role::HospitalPharmacist]);
            assert_eq!(r.routes[0].working_days, Some(1));
            assert!(r.informed.is_empty());
        }
    }
}

#[test]
fn green_is_never_routed() {
    let rules = rules();
    for topic in Topic::ALL {
        assert_eq!(rules.route(Colour::Green, topic, Sequence::S1, Parcours::A), Routing::default());
    }
}

#[test]
fn routes_serialise_as_the_api_says() {
    let r = rules().route(Colour::Amber, Topic::Interaction, Sequence::S2, Parcours::A);
    let v = serde_json::to_value(&r.routes).expect("json");
    assert_eq!(
        v,
        serde_json::json!([{"role": "community_pharmacist", "topic": "interaction",
                             "ack_within_minutes": 1440, "working_days": 1}])
    );
}

fn spec(colour: &str, roles: &[&str]) -> RuleSpec {
    RuleSpec {
        colour: colour.into(),
        topics: None,
        sequences: None,
        parcours: None,
        roles: roles.iter().map(|r| r.to_string()).collect(),
        informed: Vec::new(),
        ack_within_minutes: Some(30),
        ack_within_working_days: None,
        escalate_every_minutes: Some(30),
        escalate_to_backup_list: true,
    }
}

#[test]
fn config_errors_name_the_key() {
    let ok = [spec("red", &["idec"]), spec("amber", &["idec"])];
    assert!(RoutingRules::new(&ok, "routing.rule").is_ok());
    let err = |specs: &[RuleSpec]| RoutingRules::new(specs, "routing.rule").expect_err("invalid");

    let e = err(&[spec("red", &["nurse"]), spec("amber", &["idec"])]);
    assert_eq!(e, "routing.rule[0].roles: unknown role `nurse`");
    // The admin manages the site and never sees patients' answers: not an alert recipient.
    let e = err(&[spec("red", &["admin"]), spec("amber", &["idec"])]);
    assert_eq!(e, "routing.rule[0].roles: unknown role `admin`");
    let mut bad_topic = spec("amber", &["idec"]);
    bad_topic.topics = Some(vec!["toxicities".into()]);
    let e = err(&[spec("red", &["idec"]), bad_topic]);
    assert_eq!(e, "routing.rule[1].topics: unknown topic `toxicities`");
    let e = err(&[spec("green", &["idec"])]);
    assert!(e.starts_with("routing.rule[0].colour"), "{e}");
    let e = err(&[spec("red", &["idec"])]);
    assert!(e.contains("no rule routes amber toxicity alerts in S1 parcours A"), "{e}");
    let mut no_escalation = spec("red", &["idec"]);
    no_escalation.escalate_every_minutes = None;
    no_escalation.escalate_to_backup_list = false;
    let e = err(&[no_escalation, spec("amber", &["idec"])]);
    assert!(e.contains("always escalate"), "{e}");
    let mut both = spec("amber", &["idec"]);
    both.ack_within_working_days = Some(1);
    assert!(err(&[spec("red", &["idec"]), both]).contains("not both"));
    let mut informed_twice = spec("amber", &["idec"]);
    informed_twice.informed = vec!["idec".into()];
    assert!(err(&[spec("red", &["idec"]), informed_twice]).contains("already alerted"));
    let mut red_working_days = spec("red", &["idec"]);
    red_working_days.ack_within_minutes = None;
    red_working_days.ack_within_working_days = Some(1);
    assert!(err(&[red_working_days, spec("amber", &["idec"])]).contains("around the clock"));
    let mut empty_selector = spec("amber", &["idec"]);
    empty_selector.sequences = Some(Vec::new());
    assert!(err(&[spec("red", &["idec"]), empty_selector]).contains("sequences"));
}

/// The shipped rules with their `[[routing.also]]` additions.
fn rules_with_also() -> RoutingRules {
    let file: toml::Table = test_support::triage_toml().parse().expect("triage.toml is TOML");
    let also: Vec<AlsoSpec> = file["routing"]["also"].clone().try_into().expect("routing additions");
    rules().with_also(&also, "routing.also").expect("shipped additions are valid")
}

#[test]
fn an_amber_fever_also_goes_to_the_idec_in_every_sequence() {
    let rules = rules_with_also();
    let fever = [("fever", Colour::Amber), ("nausea", Colour::Green)];
    for p in PARCOURS {
        let s3 = rules.route_with_symptoms(Colour::Amber, Topic::Toxicity, Sequence::S3, p, &fever);
        assert_eq!(roles(&s3), [Role::CommunityPharmacist, Role::Idec], "S3 {p:?}");
        assert_eq!(s3.deadline, Some(Deadline::Minutes(1440)));
        assert!(s3.routes.iter().all(|r| r.ack_within_minutes == 1440 && r.topic == Topic::Toxicity));
        let informed: Vec<Role> = s3.informed.iter().map(|i| i.role).collect();
        assert_eq!(informed, [Role::Gp, Role::CommunityNurse], "the GP and the IDEL stay informed");
        for seq in [Sequence::S1, Sequence::S2] {
            let r = rules.route_with_symptoms(Colour::Amber, Topic::Toxicity, seq, p, &fever);
            assert_eq!(roles(&r), [Role::Idec], "{seq:?}: the IDEC once");
        }
    }
    // Not without an amber fever: a green fever beside an amber symptom, no fever, or another topic.
    let green_fever = [("fever", Colour::Green), ("diarrhea", Colour::Amber)];
    let r = rules.route_with_symptoms(Colour::Amber, Topic::Toxicity, Sequence::S3, Parcours::A, &green_fever);
    assert_eq!(roles(&r), [Role::CommunityPharmacist]);
    let r = rules.route_with_symptoms(Colour::Amber, Topic::Adherence, Sequence::S3, Parcours::A, &fever);
    assert_eq!(roles(&r), [Role::CommunityPharmacist]);
    // Red already has the IDEC; the addition is for amber only.
    let red =
        rules.route_with_symptoms(Colour::Red, Topic::Toxicity, Sequence::S3, Parcours::A, &[("fever", Colour::Red)]);
    assert_eq!(roles(&red), [Role::Idec, Role::Oncologist]);
}

#[test]
fn a_bad_addition_is_refused_with_its_key() {
    let spec = |symptoms: &[&str], roles: &[&str], source: &str| AlsoSpec {
        colour: "amber".into(),
        topics: vec!["toxicity".into()],
        symptoms: symptoms.iter().map(|s| (*s).to_string()).collect(),
        roles: roles.iter().map(|s| (*s).to_string()).collect(),
        source: source.into(),
    };
    let err = |s: AlsoSpec| rules().with_also(&[s], "routing.also").expect_err("invalid");
    assert!(err(spec(&["fevr"], &["idec"], "UKONS")).contains("routing.also[0].symptoms: unknown symptom `fevr`"));
    assert!(err(spec(&["fever"], &["admin"], "UKONS")).contains("routing.also[0].roles: unknown role `admin`"));
    assert!(err(spec(&["fever"], &["idec"], " ")).contains("routing.also[0].source"));
    assert!(err(spec(&[], &["idec"], "UKONS")).contains("routing.also[0].symptoms: leave the list out"));
}
