use chrono::{NaiveDate, TimeZone, Utc};

use super::*;
use crate::store::entities::{alert, dose, episode, patient, sequence};

fn at() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 23, 8, 0, 0).unwrap()
}

fn day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 23).unwrap()
}

fn episode(parcours: &str, end_reason: Option<&str>) -> episode::Model {
    episode::Model {
        id: "ep-1".into(),
        patient_id: "pa-1".into(),
        establishment_id: "es-1".into(),
        parcours: parcours.into(),
        indication: None,
        start_date: day(),
        end_date: None,
        end_reason: end_reason.map(Into::into),
        baseline_weight_kg: None,
        previous_episode_id: None,
        created_at: at(),
        created_by: "pr-1".into(),
    }
}

fn sequence(kind: &str, state: &str, decision: Option<&str>) -> sequence::Model {
    sequence::Model {
        id: "sq-1".into(),
        episode_id: "ep-1".into(),
        ordinal: 1,
        kind: kind.into(),
        renewal_index: 0,
        start_date: day(),
        planned_end_date: day(),
        actual_end_date: None,
        state: state.into(),
        automatic: false,
        decision: decision.map(Into::into),
        decision_by: None,
        decision_at: None,
        created_at: at(),
    }
}

fn patient(time_zone: &str, locale: &str) -> patient::Model {
    patient::Model {
        id: "pa-1".into(),
        establishment_id: "es-1".into(),
        family_name: "Martin".into(),
        given_name: "Claire".into(),
        birth_date: day(),
        ins: None,
        phone: None,
        email: None,
        time_zone: time_zone.into(),
        locale: locale.into(),
        created_at: at(),
        created_by: "pr-1".into(),
    }
}

fn alert(topic: &str, colour: &str, status: &str) -> alert::Model {
    alert::Model {
        id: "al-1".into(),
        patient_id: "pa-1".into(),
        episode_id: "ep-1".into(),
        establishment_id: "es-1".into(),
        topic: topic.into(),
        colour: colour.into(),
        status: status.into(),
        provisional_grade: None,
        confirmed_grade: None,
        reasons: "[]".into(),
        note: None,
        last_report_id: None,
        opened_at: at(),
        updated_at: at(),
        deadline_at: at(),
        escalate_every_minutes: None,
        escalate_to_backup: false,
        next_escalation_at: None,
        escalation_level: 0,
        acknowledged_at: None,
        acknowledged_by: None,
        resolved_at: None,
        resolved_by: None,
        resolution_note: None,
    }
}

fn dose(status: &str, late: bool) -> dose::Model {
    dose::Model {
        id: "do-1".into(),
        patient_id: "pa-1".into(),
        episode_id: "ep-1".into(),
        line_id: "li-1".into(),
        drug: "capecitabine".into(),
        local_date: day(),
        local_time: "08:00".into(),
        due_at: at(),
        status: status.into(),
        reported_at: None,
        taken_at: None,
        late,
        reminders_sent: 0,
        created_at: at(),
    }
}

fn refused(table: &'static str, id: &str, column: &'static str, value: &str) -> StoredValueError {
    StoredValueError { table, id: id.into(), column, value: value.into() }
}

#[test]
fn known_values_are_read_typed() {
    assert_eq!(episode("B", None).parcours(), Ok(Parcours::B));
    assert_eq!(episode("A", None).end_reason(), Ok(None));
    assert_eq!(episode("A", Some("death")).end_reason(), Ok(Some(EndReason::Death)));
    let s = sequence("S2", "active", Some("advance"));
    assert_eq!(s.kind(), Ok(Sequence::S2));
    assert_eq!(s.state(), Ok(SequenceState::Active));
    assert_eq!(s.decision(), Ok(Some(Decision::Advance)));
    assert_eq!(sequence("S1", "cancelled", None).decision(), Ok(None));
    let p = patient("Indian/Reunion", "en");
    assert_eq!(p.time_zone(), Ok(chrono_tz::Indian::Reunion));
    assert_eq!(p.locale(), Ok(Locale::En));
    let a = alert("missed_follow_up", "red", "acknowledged");
    assert_eq!(a.topic(), Ok(Topic::MissedFollowUp));
    assert_eq!(a.colour(), Ok(Colour::Red));
    assert_eq!(a.status(), Ok(AlertStatus::Acknowledged));
    assert_eq!(dose("taken", true).outcome(), Ok(Some(DoseStatus::Taken { late: true })));
    assert_eq!(dose("taken_late", false).outcome(), Ok(Some(DoseStatus::Taken { late: true })));
    assert_eq!(dose("missed", false).outcome(), Ok(Some(DoseStatus::Missed)));
    assert_eq!(dose("cancelled", false).outcome(), Ok(None));
}

#[test]
fn an_unknown_value_is_an_error_naming_the_row_never_a_default() {
    let before = stored_value_errors();
    assert_eq!(episode("Z", None).parcours(), Err(refused("episodes", "ep-1", "parcours", "Z")));
    assert_eq!(episode("A", Some("bored")).end_reason(), Err(refused("episodes", "ep-1", "end_reason", "bored")));
    assert_eq!(sequence("S4", "active", None).kind(), Err(refused("sequences", "sq-1", "kind", "S4")));
    // A hand edit in another case is not the value either.
    assert_eq!(sequence("s1", "active", None).kind(), Err(refused("sequences", "sq-1", "kind", "s1")));
    assert_eq!(sequence("S1", "paused", None).state(), Err(refused("sequences", "sq-1", "state", "paused")));
    assert_eq!(
        sequence("S1", "active", Some("stop")).decision(),
        Err(refused("sequences", "sq-1", "decision", "stop"))
    );
    assert_eq!(
        patient("Europe/Pariss", "fr").time_zone(),
        Err(refused("patients", "pa-1", "time_zone", "Europe/Pariss"))
    );
    assert_eq!(patient("Europe/Paris", "de").locale(), Err(refused("patients", "pa-1", "locale", "de")));
    assert_eq!(alert("toxicity", "purple", "open").colour(), Err(refused("alerts", "al-1", "colour", "purple")));
    assert_eq!(alert("weather", "red", "open").topic(), Err(refused("alerts", "al-1", "topic", "weather")));
    assert_eq!(alert("toxicity", "red", "closed").status(), Err(refused("alerts", "al-1", "status", "closed")));
    assert_eq!(dose("lost", false).outcome(), Err(refused("doses", "do-1", "status", "lost")));
    // Each refusal is counted (other tests may count theirs at the same time).
    assert!(stored_value_errors() >= before + 12);
}

#[test]
fn the_error_says_which_row_which_column_and_what_value() {
    let e = episode("Z", None).parcours().unwrap_err();
    assert_eq!(e.to_string(), r#"episodes row ep-1: parcours "Z" is not a known value"#);
    // Through the store's functions it is an internal database error carrying the same words.
    let db: sea_orm::DbErr = e.into();
    assert!(matches!(&db, sea_orm::DbErr::Custom(m) if m.contains("episodes row ep-1: parcours")), "{db:?}");
    assert!(!crate::health::is_unreachable(&db), "a 500, not a 503");
    // A long value is cut: an error repeats enough to recognise it, never a whole text.
    let long = "x".repeat(500);
    let e = alert("toxicity", &long, "open").colour().unwrap_err();
    assert_eq!(e.value.chars().count(), VALUE_SHOWN);
}

/// What each accessor accepts, by column of migration 10.
fn accepted(table: &str, column: &str, v: &str) -> Option<bool> {
    Some(match (table, column) {
        ("professionals" | "alert_recipients", "role") => Role::parse(v).is_some(),
        ("patients", "locale") => Locale::parse(v).is_some(),
        ("episodes" | "billing_lines", "parcours") => Parcours::parse(v).is_some(),
        ("episodes", "end_reason") => EndReason::parse(v).is_some(),
        ("sequences", "kind") | ("reports", "sequence") | ("billing_lines", "sequence_kind") => {
            Sequence::parse(v).is_some()
        }
        ("sequences", "state") => SequenceState::parse(v).is_some(),
        ("sequences", "decision") => Decision::parse(v).is_some(),
        ("questionnaires", "status") => QuestionnaireStatus::parse(v).is_some(),
        ("reports" | "symptom_grades" | "alerts", "colour") => colour(v).is_some(),
        ("alerts", "topic") => Topic::parse(v).is_some(),
        ("alerts", "status") => AlertStatus::parse(v).is_some(),
        ("doses", "status") => dose_outcome(v, false).is_some(),
        ("billing_lines", "actor") => Actor::parse(v).is_some(),
        ("billing_lines", "state") => LineState::parse(v).is_some(),
        ("care_events", "kind") => CareEventKind::parse(v).is_some(),
        ("pharmacist_interviews", "kind") => interview_kind(v).is_some(),
        ("interview_accompaniments", "treatment") => treatment(v).is_some(),
        _ => return None,
    })
}

#[test]
fn the_database_holds_exactly_what_the_accessors_read() {
    let mut checked = 0;
    for (table, column, values) in ENUMERATED_COLUMNS {
        let Some(_) = accepted(table, column, "") else { continue };
        checked += 1;
        // Every value the database accepts is read...
        for v in *values {
            assert_eq!(accepted(table, column, v), Some(true), "{table}.{column}: {v}");
        }
        // ...and every value the code writes is one the database accepts.
        let writes: Vec<&str> = match (*table, *column) {
            ("professionals" | "alert_recipients", "role") => Role::ALL.iter().map(|r| r.as_str()).collect(),
            ("episodes" | "billing_lines", "parcours") => vec![Parcours::A.as_str(), Parcours::B.as_str()],
            ("episodes", "end_reason") => EndReason::ALL.iter().map(|r| r.as_str()).collect(),
            ("sequences", "kind") | ("reports", "sequence") | ("billing_lines", "sequence_kind") => {
                [Sequence::S1, Sequence::S2, Sequence::S3].iter().map(|s| s.as_str()).collect()
            }
            ("sequences", "state") => SequenceState::ALL.iter().map(|s| s.as_str()).collect(),
            ("sequences", "decision") => vec![Decision::Renew.as_str(), Decision::Advance.as_str()],
            ("questionnaires", "status") => QuestionnaireStatus::ALL.iter().map(|s| s.as_str()).collect(),
            ("reports" | "symptom_grades" | "alerts", "colour") => {
                [Colour::Green, Colour::Amber, Colour::Red].iter().map(|c| c.as_str()).collect()
            }
            ("alerts", "topic") => Topic::ALL.iter().map(|t| t.as_str()).collect(),
            ("alerts", "status") => AlertStatus::ALL.iter().map(|s| s.as_str()).collect(),
            ("doses", "status") => [
                DoseStatus::Pending,
                DoseStatus::Taken { late: false },
                DoseStatus::Taken { late: true },
                DoseStatus::Skipped,
                DoseStatus::Vomited,
                DoseStatus::Missed,
            ]
            .iter()
            .map(|s| s.as_str())
            .chain(["cancelled"])
            .collect(),
            ("billing_lines", "actor") => Actor::ALL.iter().map(|a| a.as_str()).collect(),
            ("billing_lines", "state") => [LineState::Due, LineState::Exported, LineState::Paid, LineState::Cancelled]
                .iter()
                .map(|s| s.as_str())
                .collect(),
            ("care_events", "kind") => CareEventKind::ALL.iter().map(|k| k.as_str()).collect(),
            ("pharmacist_interviews", "kind") => {
                [InterviewKind::Initial, InterviewKind::DailyLifeAndSideEffects, InterviewKind::Adherence]
                    .iter()
                    .map(|k| interview_kind_str(*k))
                    .collect()
            }
            ("interview_accompaniments", "treatment") => {
                [TreatmentClass::LongCourse, TreatmentClass::Other].iter().map(|t| treatment_str(*t)).collect()
            }
            ("patients", "locale") => vec!["fr", "en"],
            other => panic!("no list of written values for {other:?}"),
        };
        for w in &writes {
            assert!(values.contains(w), "{table}.{column}: the code writes {w}, the database refuses it");
        }
        assert_eq!(writes.len(), values.len(), "{table}.{column}: {values:?} against {writes:?}");
    }
    assert_eq!(checked, 23, "every column with an accessor is compared");
}
