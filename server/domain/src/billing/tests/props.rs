//! Properties over random episodes: exact sums, unique keys, idempotent corrections.

use std::collections::{BTreeMap, BTreeSet};

use proptest::prelude::*;

use super::ledger::apply;
use super::*;

const STATES: [&str; 4] = ["active", "completed", "ended", "cancelled"];
const PHARMACIES: [Option<&str>; 3] = [Some("920000001"), Some("130000002"), None];
const GPS: [Option<&str>; 2] = [Some("10000000001"), None];

/// One random sequence: kind, state, start (days after 2025-06-01, across the 2026-01-01
/// change of version), days until it was ended or cancelled, pharmacy and GP at start.
fn arb_sequence() -> impl Strategy<Value = (usize, usize, i64, i64, usize, usize)> {
    (0..3usize, 0..4usize, 0..400i64, 0..3i64, 0..3usize, 0..2usize)
}

fn fact(i: usize, raw: (usize, usize, i64, i64, usize, usize)) -> SequenceFact {
    let (kind, state, offset, ended_after, pharmacy, gp) = raw;
    let start = d("2025-06-01") + chrono::Duration::days(offset);
    SequenceFact {
        sequence_id: format!("seq-{i}"),
        kind: [Sequence::S1, Sequence::S2, Sequence::S3][kind],
        renewal_index: i as u32,
        start,
        state: STATES[state].into(),
        ended_on: (state >= 2).then(|| start + chrono::Duration::days(ended_after)),
        establishment_finess: "750000001".into(),
        pharmacy_finess: PHARMACIES[pharmacy].map(String::from),
        gp_rpps: GPS[gp].map(String::from),
    }
}

fn arb_episode() -> impl Strategy<Value = EpisodeFacts> {
    (any::<bool>(), prop::collection::vec(arb_sequence(), 1..=8)).prop_map(|(b, raw)| EpisodeFacts {
        episode_id: "ep-1".into(),
        parcours: if b { Parcours::B } else { Parcours::A },
        sequences: raw.into_iter().enumerate().map(|(i, r)| fact(i, r)).collect(),
    })
}

/// Several versions of the facts of one episode (same sequence ids): what a ledger lives through.
fn arb_history() -> impl Strategy<Value = Vec<EpisodeFacts>> {
    (any::<bool>(), prop::collection::vec(prop::collection::vec(arb_sequence(), 8), 1..=4), 1..=8usize).prop_map(
        |(b, versions, n)| {
            versions
                .into_iter()
                .map(|raw| EpisodeFacts {
                    episode_id: "ep-1".into(),
                    parcours: if b { Parcours::B } else { Parcours::A },
                    sequences: raw.into_iter().take(n).enumerate().map(|(i, r)| fact(i, r)).collect(),
                })
                .collect()
        },
    )
}

fn billable_total(t: &Tariffs, e: &EpisodeFacts) -> i64 {
    let billable = e.sequences.iter().filter(|s| s.is_billable().unwrap());
    billable.map(|s| t.in_force(s.start).unwrap().forfait(e.parcours, s.kind).total_cents).sum()
}

/// Net of the live ledger (due, exported, paid) per forfait line and actor id.
fn net(ledger: &[StoredLine]) -> BTreeMap<(String, Option<String>), i64> {
    let mut out = BTreeMap::new();
    for s in ledger.iter().filter(|s| s.state != LineState::Cancelled) {
        *out.entry((s.line.base_key(), s.line.actor_id.clone())).or_default() += s.line.amount_cents;
    }
    out.retain(|_, v| *v != 0);
    out
}

proptest! {
    #[test]
    fn lines_sum_to_the_totals_of_the_billable_sequences_with_unique_keys(e in arb_episode()) {
        let t = two_versions();
        let lines = lines_for(&t, &e).unwrap();
        prop_assert_eq!(total(&lines), billable_total(&t, &e));
        let keys: BTreeSet<&str> = lines.iter().map(|l| l.key.as_str()).collect();
        prop_assert_eq!(keys.len(), lines.len());
        prop_assert!(lines.iter().all(|l| l.amount_cents > 0));
        prop_assert_eq!(lines_for(&t, &e).unwrap(), lines);
    }

    #[test]
    fn stored_lines_need_no_correction(e in arb_episode(), state in 0..3usize) {
        let lines = lines_for(&two_versions(), &e).unwrap();
        let state = [LineState::Due, LineState::Exported, LineState::Paid][state];
        let ledger: Vec<StoredLine> = lines.iter().map(|l| StoredLine { line: l.clone(), state }).collect();
        prop_assert_eq!(corrections(&ledger, &lines), []);
    }

    /// Facts change (state, team, dates) while lines get exported, paid or cancelled by hand:
    /// after each round of corrections the ledger is converged, its keys are unique, no exported
    /// line was touched, and its live net is exactly the wanted lines.
    #[test]
    fn corrections_converge_in_one_step_from_any_ledger(
        history in arb_history(),
        moves in prop::collection::vec(0..4u8, 64),
    ) {
        let t = two_versions();
        let mut ledger: Vec<StoredLine> = Vec::new();
        let mut moves = moves.into_iter().cycle();
        for facts in &history {
            let wanted = lines_for(&t, facts).unwrap();
            let settled_before: Vec<StoredLine> = ledger.iter().filter(|s| s.state.is_settled()).cloned().collect();
            let todo = corrections(&ledger, &wanted);
            apply(&mut ledger, todo);
            prop_assert_eq!(corrections(&ledger, &wanted), []);
            for s in &settled_before {
                prop_assert!(ledger.contains(s), "settled line {} untouched", s.line.key);
            }
            let keys: BTreeSet<&str> = ledger.iter().map(|s| s.line.key.as_str()).collect();
            prop_assert_eq!(keys.len(), ledger.len());
            let want: BTreeMap<_, _> =
                wanted.iter().map(|l| ((l.base_key(), l.actor_id.clone()), l.amount_cents)).collect();
            prop_assert_eq!(net(&ledger), want);
            prop_assert_eq!(ledger.iter().filter(|s| s.state != LineState::Cancelled).map(|s| s.line.amount_cents).sum::<i64>(), billable_total(&t, facts));
            // Between two computations the world moves some lines on.
            for s in ledger.iter_mut() {
                s.state = match (s.state, moves.next().unwrap()) {
                    (LineState::Due, 1) => LineState::Exported,
                    (LineState::Due, 2) => LineState::Cancelled,
                    (LineState::Exported, 1) => LineState::Paid,
                    (state, _) => state,
                };
            }
        }
    }
}
