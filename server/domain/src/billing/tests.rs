use chrono::NaiveDate;

use super::*;
use crate::test_support::read;

mod config;
mod ledger;
mod props;

fn shipped() -> Tariffs {
    Tariffs::from_toml(&read(TARIFFS_FILE)).expect("shipped tariffs are valid")
}

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

/// A tariff file: per version `(id, valid_from, totals[parcours][sequence])` in euros, split in
/// three with the odd cents to the hospital.
fn tariff_text(versions: &[(&str, &str, [[i64; 3]; 2])]) -> String {
    let mut out = String::new();
    for (id, from, totals) in versions {
        out += &format!("[[version]]\nid = \"{id}\"\nvalid_from = \"{from}\"\nsplit = \"placeholder\"\n");
        for (p, row) in ["A", "B"].iter().zip(totals) {
            for (s, euros) in ["S1", "S2", "S3"].iter().zip(row) {
                let total = euros * 100;
                let third = total / 3;
                out += &format!(
                    "[version.{p}.{s}]\ntotal_cents = {total}\nshares = {{ hospital = {}, pharmacy = {third}, gp = {third} }}\n",
                    total - 2 * third
                );
            }
        }
    }
    out
}

const PILOT: [[i64; 3]; 2] = [[357, 372, 169], [358, 362, 307]];
const LATER: [[i64; 3]; 2] = [[400, 410, 200], [401, 402, 301]];

/// Two versions: the pilot amounts from 2021-10-01, other amounts from 2026-01-01.
fn two_versions() -> Tariffs {
    Tariffs::from_toml(&tariff_text(&[("pilot", "2021-10-01", PILOT), ("later", "2026-01-01", LATER)])).unwrap()
}

fn seq(id: &str, kind: Sequence, renewal_index: u32, start: &str, state: &str) -> SequenceFact {
    SequenceFact {
        sequence_id: id.into(),
        kind,
        renewal_index,
        start: d(start),
        state: state.into(),
        ended_on: None,
        establishment_finess: "750000001".into(),
        pharmacy_finess: Some("920000001".into()),
        gp_rpps: Some("10000000001".into()),
    }
}

fn episode(parcours: Parcours, sequences: Vec<SequenceFact>) -> EpisodeFacts {
    EpisodeFacts { episode_id: "ep-1".into(), parcours, sequences }
}

fn total(lines: &[Line]) -> i64 {
    lines.iter().map(|l| l.amount_cents).sum()
}

#[test]
fn shipped_file_has_the_published_totals_and_says_its_split_is_a_placeholder() {
    let t = shipped();
    let v = t.in_force(d("2025-06-01")).expect("pilot in force");
    assert_eq!(v.id, "2021-10-pilot");
    assert!(v.split_is_placeholder);
    for (p, row) in [Parcours::A, Parcours::B].into_iter().zip(PILOT) {
        for (s, euros) in [Sequence::S1, Sequence::S2, Sequence::S3].into_iter().zip(row) {
            let f = v.forfait(p, s);
            assert_eq!(f.total_cents, euros * 100, "{p:?} {s:?}");
            assert_eq!(f.hospital_cents + f.pharmacy_cents + f.gp_cents, f.total_cents);
            assert!(f.pharmacy_cents > 0, "parcours B keeps a pharmacy share");
        }
    }
    assert_eq!(t.in_force(d("2021-09-30")), None);
}

#[test]
fn in_force_is_the_latest_version_on_or_before_the_date() {
    let t = two_versions();
    assert_eq!(t.in_force(d("2021-10-01")).unwrap().id, "pilot");
    assert_eq!(t.in_force(d("2025-12-31")).unwrap().id, "pilot");
    assert_eq!(t.in_force(d("2026-01-01")).unwrap().id, "later");
    assert_eq!(t.in_force(d("2040-01-01")).unwrap().id, "later");
}

#[test]
fn every_sequence_started_is_one_forfait_split_per_actor_renewals_included() {
    let e = episode(
        Parcours::A,
        vec![
            seq("s1", Sequence::S1, 0, "2024-01-10", "completed"),
            seq("s2", Sequence::S2, 0, "2024-02-10", "completed"),
            seq("s2b", Sequence::S2, 1, "2024-05-10", "completed"),
            seq("s3", Sequence::S3, 0, "2024-08-10", "active"),
        ],
    );
    let lines = lines_for(&shipped(), &e).unwrap();
    assert_eq!(lines.len(), 12);
    assert_eq!(total(&lines), 35700 + 2 * 37200 + 16900);
    let renewal: Vec<&Line> = lines.iter().filter(|l| l.sequence_id == "s2b").collect();
    assert_eq!(renewal.iter().map(|l| l.key.as_str()).collect::<Vec<_>>(), ["s2b:hospital", "s2b:pharmacy", "s2b:gp"]);
    assert_eq!(renewal[0].evidence.renewal_index, 1);
    assert_eq!(renewal[0].actor_id.as_deref(), Some("750000001"));
    assert_eq!(renewal[2].actor_id.as_deref(), Some("10000000001"));
    assert_eq!(renewal[1].tariff_version, "2021-10-pilot");
    assert_eq!(lines_for(&shipped(), &e).unwrap(), lines, "same facts, same lines, same keys");
}

#[test]
fn an_episode_ended_early_keeps_its_started_sequences_billed() {
    let mut s2 = seq("s2", Sequence::S2, 0, "2024-02-10", "ended");
    s2.ended_on = Some(d("2024-02-11"));
    let e = episode(Parcours::A, vec![seq("s1", Sequence::S1, 0, "2024-01-10", "completed"), s2]);
    assert_eq!(total(&lines_for(&shipped(), &e).unwrap()), 35700 + 37200);
}

#[test]
fn a_sequence_cancelled_on_its_start_day_is_an_inclusion_error_and_not_billed() {
    let mut s1 = seq("s1", Sequence::S1, 0, "2024-01-10", "cancelled");
    s1.ended_on = Some(d("2024-01-10"));
    assert_eq!(lines_for(&shipped(), &episode(Parcours::A, vec![s1.clone()])).unwrap(), []);
    s1.ended_on = None;
    assert_eq!(lines_for(&shipped(), &episode(Parcours::A, vec![s1])).unwrap(), []);
}

#[test]
fn a_sequence_cancelled_after_its_start_day_is_billed() {
    let mut s1 = seq("s1", Sequence::S1, 0, "2024-01-10", "cancelled");
    s1.ended_on = Some(d("2024-01-11"));
    assert_eq!(total(&lines_for(&shipped(), &episode(Parcours::A, vec![s1])).unwrap()), 35700);
}

#[test]
fn each_sequence_is_priced_by_the_version_in_force_on_its_own_start_date() {
    let e = episode(
        Parcours::A,
        vec![
            seq("s1", Sequence::S1, 0, "2025-11-20", "completed"),
            seq("s2", Sequence::S2, 0, "2025-12-20", "completed"),
            seq("s2b", Sequence::S2, 1, "2026-03-20", "active"),
        ],
    );
    let lines = lines_for(&two_versions(), &e).unwrap();
    assert_eq!(total(&lines), 35700 + 37200 + 41000);
    let version_of = |id: &str| lines.iter().find(|l| l.sequence_id == id).unwrap().tariff_version.clone();
    assert_eq!((version_of("s2").as_str(), version_of("s2b").as_str()), ("pilot", "later"));
}

#[test]
fn the_pharmacy_is_the_one_on_the_team_on_the_start_date() {
    let s1 = seq("s1", Sequence::S1, 0, "2024-01-10", "completed");
    let mut s2 = seq("s2", Sequence::S2, 0, "2024-02-10", "active");
    s2.pharmacy_finess = Some("130000002".into());
    let lines = lines_for(&shipped(), &episode(Parcours::A, vec![s1, s2])).unwrap();
    let pharmacy = |id: &str| lines.iter().find(|l| l.key == format!("{id}:pharmacy")).unwrap();
    assert_eq!(pharmacy("s1").actor_id.as_deref(), Some("920000001"));
    assert_eq!(pharmacy("s1").evidence.pharmacy_at_start.as_deref(), Some("920000001"));
    assert_eq!(pharmacy("s2").actor_id.as_deref(), Some("130000002"));
}

#[test]
fn parcours_b_keeps_a_pharmacy_share_decided_by_the_file() {
    let e = episode(Parcours::B, vec![seq("s1", Sequence::S1, 0, "2024-01-10", "active")]);
    let lines = lines_for(&shipped(), &e).unwrap();
    assert_eq!(total(&lines), 35800);
    assert!(lines.iter().any(|l| l.actor == Actor::Pharmacy && l.amount_cents > 0));

    let no_pharmacy = read(TARIFFS_FILE).replace(
        "shares = { hospital = 11934, pharmacy = 11933, gp = 11933 }",
        "shares = { hospital = 23867, pharmacy = 0, gp = 11933 }",
    );
    let lines = lines_for(&Tariffs::from_toml(&no_pharmacy).unwrap(), &e).unwrap();
    assert_eq!(lines.iter().map(|l| l.actor).collect::<Vec<_>>(), [Actor::Hospital, Actor::Gp], "0 € = no line");
    assert_eq!(total(&lines), 35800);
}

#[test]
fn a_share_whose_actor_was_not_on_the_team_stays_on_an_unassigned_line() {
    let mut s1 = seq("s1", Sequence::S1, 0, "2024-01-10", "active");
    s1.gp_rpps = None;
    let lines = lines_for(&shipped(), &episode(Parcours::A, vec![s1])).unwrap();
    let gp = lines.iter().find(|l| l.actor == Actor::Gp).unwrap();
    assert!(!gp.is_assigned());
    assert_eq!(total(&lines), 35700, "the sums stay exact");
}

#[test]
fn refusals_name_the_sequence() {
    let early = episode(Parcours::A, vec![seq("s-early", Sequence::S1, 0, "2021-09-30", "active")]);
    let err = lines_for(&shipped(), &early).unwrap_err();
    assert!(err.contains("s-early") && err.contains("2021-09-30") && err.contains("2021-10-01"), "{err}");

    let odd = episode(Parcours::A, vec![seq("s-odd", Sequence::S1, 0, "2024-01-10", "paused")]);
    let err = lines_for(&shipped(), &odd).unwrap_err();
    assert!(err.contains("s-odd") && err.contains("paused"), "{err}");

    let twice = episode(Parcours::A, vec![seq("s", Sequence::S1, 0, "2024-01-10", "active"); 2]);
    assert!(lines_for(&shipped(), &twice).unwrap_err().contains("listed twice"));
}

#[test]
fn actor_and_state_names_round_trip() {
    for a in Actor::ALL {
        assert_eq!(Actor::parse(a.as_str()), Some(a));
    }
    for s in [LineState::Due, LineState::Exported, LineState::Paid, LineState::Cancelled] {
        assert_eq!(LineState::parse(s.as_str()), Some(s));
    }
    assert_eq!(Actor::parse("nurse"), None);
}
