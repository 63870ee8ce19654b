//! `relais bench triage`: the pure triage engine (`domain::triage::evaluate`, docs/triage.md)
//! on a fixed, varied case set generated deterministically — mostly green, some amber, a few
//! red; one to eight answers, one or two drugs, S1/S2/S3, with and without a previous report or
//! a baseline weight — on one core, then on one thread per core. No database, no IO while
//! timed. The target (issue 20) is 50,000 cases/s per core.

use std::time::{Duration, Instant};

use serde_json::{Map, Value, json};

use crate::cli::Usage;
use crate::domain::Sequence;
use crate::domain::answers::Answers;
use crate::domain::catalog::Catalog;
use crate::domain::triage::{self, AdviceContext, Case, Colour, Locale, TriageRules};

/// One case of the set, with the colour it was built to have.
pub struct BenchCase {
    pub case: Case,
    pub intended: Colour,
}

/// Drugs of green cases: none has an early-watch list touching the green answers below.
const GREEN_DRUGS: &[&[&str]] = &[
    &["imatinib"],
    &["erlotinib"],
    &["letrozole", "palbociclib"],
    &["tamoxifen"],
    &["olaparib"],
    &["abiraterone"],
    &["capecitabine"],
    &["osimertinib"],
    &["dabrafenib", "trametinib"],
    &["enzalutamide"],
];

/// Answers that grade 0 or 1 (green) on the drugs above, by symptom (a symptom's first
/// question is always answered); a case takes one to eight of these groups.
const GREEN_ITEMS: &[&[(&str, f64)]] = &[
    &[("fatigue.severity", 1.0), ("fatigue.interference", 0.0)],
    &[("nausea.frequency", 1.0), ("nausea.severity", 1.0)],
    &[("dry_skin.severity", 1.0)],
    &[("itching.severity", 1.0)],
    &[("headache.frequency", 1.0), ("headache.severity", 1.0)],
    &[("cough.severity", 1.0)],
    &[("constipation.severity", 1.0)],
    &[("temperature_c", 36.9)],
    &[("chest_pain", 0.0)],
    &[("shortness_of_breath.severity", 0.0)],
];

/// (drugs, answers, colour) of the amber and red cases, each a different rule of
/// docs/triage.md §3: grade 2, an early-watch symptom at grade 1, a fever on a drug that is not
/// myelosuppressive; grade 3, a red-flag question, a fever on a myelosuppressive drug.
fn urgent(i: usize) -> (&'static [&'static str], Value, Colour) {
    match i % 8 {
        0 => (&["imatinib"], json!({"dry_skin.severity": 2, "fatigue.severity": 1}), Colour::Amber),
        1 => (&["capecitabine"], json!({"diarrhea.frequency": 3, "temperature_c": 37.0}), Colour::Amber),
        2 => (&["capecitabine"], json!({"hand_foot_syndrome.severity": 1}), Colour::Amber),
        3 => (&["erlotinib"], json!({"temperature_c": 38.3}), Colour::Amber),
        4 => (&["letrozole", "palbociclib"], json!({"nausea.frequency": 3, "nausea.severity": 2}), Colour::Amber),
        5 => (&["capecitabine"], json!({"temperature_c": 38.6, "chest_pain": false}), Colour::Red),
        6 => (&["tamoxifen"], json!({"chest_pain": true, "fatigue.severity": 1}), Colour::Red),
        _ => (&["olaparib"], json!({"dry_skin.severity": 3}), Colour::Red),
    }
}

/// Green answers of one to eight items (varying with `i`).
pub fn green_answers(i: usize) -> Value {
    let k = 1 + i % 8;
    let mut m = Map::new();
    // 3 and the number of groups are coprime: the k groups taken are distinct.
    for j in 0..k {
        for (key, v) in GREEN_ITEMS[(i + j * 3) % GREEN_ITEMS.len()] {
            let value = match *key {
                "chest_pain" => Value::Bool(false),
                "temperature_c" => json!(v),
                _ => json!(*v as u8),
            };
            m.insert((*key).to_owned(), value);
        }
    }
    Value::Object(m)
}

/// The answers of case `i` and the colour they were built to have: of every 20 cases, 16 are
/// green, 3 amber and 1 red (80 / 15 / 5 %), spread evenly; the drugs the answers are for.
pub fn answers(i: usize) -> (&'static [&'static str], Value, Colour) {
    match i % 20 {
        // Amber at 3, 10 and 16; red at 7: the urgent templates rotate over the set.
        3 | 10 | 16 => {
            let mut j = (i / 20) * 5 + [3usize, 10, 16].iter().position(|x| *x == i % 20).unwrap_or(0);
            j %= 5;
            urgent(j)
        }
        7 => urgent(5 + (i / 20) % 3),
        _ => (GREEN_DRUGS[i % GREEN_DRUGS.len()], green_answers(i), Colour::Green),
    }
}

/// The `n` cases of the set, generated from their index alone (the same set on every run).
pub fn case_set(catalog: &Catalog, n: usize) -> anyhow::Result<Vec<BenchCase>> {
    (0..n)
        .map(|i| {
            let (drugs, answers_json, intended) = answers(i);
            let mut answers_json = answers_json;
            let sequence = [Sequence::S1, Sequence::S2, Sequence::S3][i % 3];
            let first =
                catalog.get(drugs[0]).ok_or_else(|| anyhow::anyhow!("drug {} not in the catalogue", drugs[0]))?;
            // Every fourth case has a baseline weight and a weight within 5 % of it (grade 0).
            let baseline_weight_kg = (i % 4 == 1).then_some(70.0);
            if baseline_weight_kg.is_some() {
                answers_json["weight_kg"] = json!(69.0);
            }
            let parsed = Answers::parse(&answers_json, "answers").map_err(|e| anyhow::anyhow!("case {i}: {e}"))?;
            // Every third case has a previous report with the same answers (no worsening).
            let previous = (i % 3 == 2).then(|| parsed.clone());
            Ok(BenchCase {
                case: Case {
                    drugs: drugs.iter().map(|d| (*d).to_owned()).collect(),
                    sequence,
                    parcours: first.parcours,
                    baseline_weight_kg,
                    previous,
                    answers: parsed,
                },
                intended,
            })
        })
        .collect()
}

/// (green, amber, red) as the engine grades the set.
pub fn colour_mix(rules: &TriageRules, catalog: &Catalog, set: &[BenchCase]) -> anyhow::Result<(usize, usize, usize)> {
    let ctx = context(0);
    let mut mix = (0, 0, 0);
    for (i, c) in set.iter().enumerate() {
        let r = triage::evaluate(rules, catalog, &c.case, &ctx).map_err(|e| anyhow::anyhow!("case {i}: {e}"))?;
        anyhow::ensure!(
            r.colour == c.intended,
            "case {i} graded {} but was built {}: {:?}",
            r.colour.as_str(),
            c.intended.as_str(),
            r.reasons
        );
        match r.colour {
            Colour::Green => mix.0 += 1,
            Colour::Amber => mix.1 += 1,
            Colour::Red => mix.2 += 1,
        }
    }
    Ok(mix)
}

fn context(i: usize) -> AdviceContext {
    AdviceContext {
        locale: if i.is_multiple_of(5) { Locale::En } else { Locale::Fr },
        team_phone: Some("+33299000000".into()),
    }
}

/// Evaluates the set round after round until `budget` has passed; returns cases evaluated.
fn evaluate_for(rules: &TriageRules, catalog: &Catalog, set: &[BenchCase], budget: Duration) -> (usize, Duration) {
    let contexts = [context(0), context(1)];
    let start = Instant::now();
    let mut n = 0;
    loop {
        for (i, c) in set.iter().enumerate() {
            let r = triage::evaluate(rules, catalog, &c.case, &contexts[usize::from(i % 5 != 0)]);
            std::hint::black_box(&r);
            n += 1;
        }
        let took = start.elapsed();
        if took >= budget {
            return (n, took);
        }
    }
}

pub fn run(cases: usize, seconds: u64) -> anyhow::Result<()> {
    anyhow::ensure!(cases > 0, Usage("--cases: at least 1".into()));
    anyhow::ensure!(seconds > 0, Usage("--seconds: at least 1".into()));
    let (_, rules) = crate::cli::load(None)?;
    let (triage_rules, catalog) = (&*rules.triage, &*rules.catalog);
    let set = case_set(catalog, cases)?;
    let (g, a, r) = colour_mix(triage_rules, catalog, &set)?;
    let budget = Duration::from_secs(seconds);
    // Warm-up (caches, lazy statics), not counted.
    evaluate_for(triage_rules, catalog, &set, Duration::from_millis(300));
    let (n1, t1) = evaluate_for(triage_rules, catalog, &set, budget);
    let one = n1 as f64 / t1.as_secs_f64();
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    let start = Instant::now();
    let total: usize = std::thread::scope(|s| {
        let handles: Vec<_> =
            (0..cores).map(|_| s.spawn(|| evaluate_for(triage_rules, catalog, &set, budget).0)).collect();
        handles.into_iter().map(|h| h.join().unwrap_or(0)).sum()
    });
    let all = total as f64 / start.elapsed().as_secs_f64();
    println!();
    println!("### Triage engine — {} ({} cases: {g} green, {a} amber, {r} red)", super::push::machine(), set.len());
    println!();
    println!("| Measure | Value |");
    println!("|---|---|");
    println!("| One core | {one:.0} cases/s ({:.1} µs per case) |", 1e6 / one);
    println!("| {cores} threads (one per core) | {all:.0} cases/s ({:.0} per core) |", all / cores as f64);
    println!("| Target (issue 20) | 50000 cases/s per core |");
    println!();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules() -> crate::Rules {
        // The rules built into the binary: copies of config/.
        crate::Rules::load("").expect("the shipped rules load")
    }

    #[test]
    fn the_case_set_grades_to_its_known_colour_mix() {
        let rules = rules();
        let set = case_set(&rules.catalog, 2_000).unwrap();
        // Each case grades to the colour it was built for (checked inside), 80 / 15 / 5 %.
        assert_eq!(colour_mix(&rules.triage, &rules.catalog, &set).unwrap(), (1_600, 300, 100));
        // Varied: every sequence, one and two drugs, one to eight answers.
        assert!(set.iter().any(|c| c.case.drugs.len() == 2) && set.iter().any(|c| c.case.drugs.len() == 1));
        assert!(set.iter().any(|c| c.case.previous.is_some() && c.case.baseline_weight_kg.is_some()));
        for s in [Sequence::S1, Sequence::S2, Sequence::S3] {
            assert!(set.iter().any(|c| c.case.sequence == s));
        }
        // Generated from the index alone: the same set twice.
        let again = case_set(&rules.catalog, 2_000).unwrap();
        assert!(set.iter().zip(&again).all(|(a, b)| a.case == b.case));
    }
}
