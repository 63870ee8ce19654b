//! Corrections: exported lines are never edited; what changes after export is a credit.

use super::*;

fn stored(lines: &[Line], state: LineState) -> Vec<StoredLine> {
    lines.iter().map(|l| StoredLine { line: l.clone(), state }).collect()
}

/// The ledger after the corrections: cancels applied, new lines stored as `due`.
pub(super) fn apply(ledger: &mut Vec<StoredLine>, corrections: Vec<Correction>) {
    for c in corrections {
        match c {
            Correction::Cancel { key } => {
                let s = ledger.iter_mut().find(|s| s.line.key == key).expect("cancel a stored line");
                assert_eq!(s.state, LineState::Due, "only a due line is cancelled");
                s.state = LineState::Cancelled;
            }
            Correction::Create { line } | Correction::Credit { line } => {
                assert!(ledger.iter().all(|s| s.line.key != line.key), "new key {}", line.key);
                ledger.push(StoredLine { line, state: LineState::Due });
            }
        }
    }
}

fn s1_episode(state: &str, ended_on: Option<&str>) -> EpisodeFacts {
    let mut s1 = seq("s1", Sequence::S1, 0, "2024-01-10", state);
    s1.ended_on = ended_on.map(d);
    episode(Parcours::A, vec![s1])
}

#[test]
fn new_lines_are_created_with_their_base_key_and_stored_lines_give_nothing() {
    let wanted = lines_for(&shipped(), &s1_episode("active", None)).unwrap();
    let c = corrections(&[], &wanted);
    assert_eq!(c, wanted.iter().map(|l| Correction::Create { line: l.clone() }).collect::<Vec<_>>());
    for state in [LineState::Due, LineState::Exported, LineState::Paid] {
        assert_eq!(corrections(&stored(&wanted, state), &wanted), [], "{state:?}");
    }
}

#[test]
fn an_inclusion_error_found_before_export_cancels_the_due_lines() {
    let before = lines_for(&shipped(), &s1_episode("active", None)).unwrap();
    let after = lines_for(&shipped(), &s1_episode("cancelled", Some("2024-01-10"))).unwrap();
    let c = corrections(&stored(&before, LineState::Due), &after);
    let keys: Vec<Correction> = before.iter().map(|l| Correction::Cancel { key: l.key.clone() }).collect();
    assert_eq!(c, keys);
}

#[test]
fn an_inclusion_error_found_after_export_is_credited_never_edited() {
    let before = lines_for(&shipped(), &s1_episode("active", None)).unwrap();
    let after = lines_for(&shipped(), &s1_episode("cancelled", Some("2024-01-10"))).unwrap();
    let mut ledger = stored(&before, LineState::Exported);
    ledger[2].state = LineState::Paid;
    let c = corrections(&ledger, &after);
    assert_eq!(c.len(), 3);
    for (c, original) in c.iter().zip(&before) {
        let Correction::Credit { line } = c else { panic!("credit expected: {c:?}") };
        assert_eq!(line.key, format!("{}:credit:1", original.key));
        assert_eq!(line.amount_cents, -original.amount_cents);
        assert_eq!((&line.actor_id, &line.evidence), (&original.actor_id, &original.evidence));
    }
    apply(&mut ledger, c);
    assert_eq!(corrections(&ledger, &after), []);
    assert_eq!(ledger.iter().map(|s| s.line.amount_cents).sum::<i64>(), 0);
}

#[test]
fn a_changed_amount_after_export_is_a_credit_plus_a_new_line() {
    let e = s1_episode("active", None);
    let before = lines_for(&shipped(), &e).unwrap();
    let fixed = read(TARIFFS_FILE).replace(
        "shares = { hospital = 11900, pharmacy = 11900, gp = 11900 }",
        "shares = { hospital = 15700, pharmacy = 10000, gp = 10000 }",
    );
    let after = lines_for(&Tariffs::from_toml(&fixed).unwrap(), &e).unwrap();
    let mut ledger = stored(&before, LineState::Exported);
    let c = corrections(&ledger, &after);
    let summary: Vec<(String, i64)> = c
        .iter()
        .map(|c| match c {
            Correction::Credit { line } | Correction::Create { line } => (line.key.clone(), line.amount_cents),
            Correction::Cancel { key } => (key.clone(), 0),
        })
        .collect();
    let expected = [
        ("s1:hospital:credit:1", -11900),
        ("s1:hospital:r1", 15700),
        ("s1:pharmacy:credit:1", -11900),
        ("s1:pharmacy:r1", 10000),
        ("s1:gp:credit:1", -11900),
        ("s1:gp:r1", 10000),
    ];
    assert_eq!(summary, expected.map(|(k, a)| (k.to_string(), a)));
    apply(&mut ledger, c);
    assert_eq!(corrections(&ledger, &after), [], "converged");
    for s in ledger.iter_mut() {
        s.state = LineState::Exported;
    }
    assert_eq!(corrections(&ledger, &after), [], "still converged once all is exported");
}

#[test]
fn a_later_change_of_pharmacy_does_not_move_an_exported_line() {
    let s1 = seq("s1", Sequence::S1, 0, "2024-01-10", "completed");
    let before = lines_for(&shipped(), &episode(Parcours::A, vec![s1.clone()])).unwrap();
    let mut s2 = seq("s2", Sequence::S2, 0, "2024-02-10", "active");
    s2.pharmacy_finess = Some("130000002".into());
    let after = lines_for(&shipped(), &episode(Parcours::A, vec![s1, s2])).unwrap();
    let c = corrections(&stored(&before, LineState::Exported), &after);
    assert!(c.iter().all(|c| matches!(c, Correction::Create { line } if line.sequence_id == "s2")), "{c:?}");
    assert_eq!(c.len(), 3);
}

#[test]
fn a_pharmacy_at_start_corrected_after_export_credits_the_old_one_and_bills_the_new_one() {
    let before = lines_for(&shipped(), &s1_episode("active", None)).unwrap();
    let mut e = s1_episode("active", None);
    e.sequences[0].pharmacy_finess = Some("130000002".into());
    let after = lines_for(&shipped(), &e).unwrap();
    let mut ledger = stored(&before, LineState::Paid);
    let c = corrections(&ledger, &after);
    let pharmacy: Vec<(&str, Option<&str>, i64)> = c
        .iter()
        .filter_map(|c| match c {
            Correction::Credit { line } | Correction::Create { line } if line.actor == Actor::Pharmacy => {
                Some((line.key.as_str(), line.actor_id.as_deref(), line.amount_cents))
            }
            _ => None,
        })
        .collect();
    assert_eq!(
        pharmacy,
        [("s1:pharmacy:credit:1", Some("920000001"), -11900), ("s1:pharmacy:r1", Some("130000002"), 11900)]
    );
    apply(&mut ledger, c);
    assert_eq!(corrections(&ledger, &after), []);
}

#[test]
fn a_due_line_cancelled_by_hand_is_created_again_under_a_new_key() {
    let wanted = lines_for(&shipped(), &s1_episode("active", None)).unwrap();
    let mut ledger = stored(&wanted, LineState::Due);
    ledger[0].state = LineState::Cancelled;
    let c = corrections(&ledger, &wanted);
    let Correction::Create { line } = &c[0] else { panic!("{c:?}") };
    assert_eq!((c.len(), line.key.as_str()), (1, "s1:hospital:r1"));
}
