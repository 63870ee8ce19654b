//! From the stored ledger and the lines an episode should have, what to do: create, credit or
//! cancel. Exported and paid lines are never edited: a correction of money already sent is a
//! credit (negative line) plus, if still due, a new line.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::Line;

/// Life of a stored line: `due → exported → paid`, or `due → cancelled` (never after export).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum LineState {
    Due,
    Exported,
    Paid,
    Cancelled,
}

impl LineState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Due => "due",
            Self::Exported => "exported",
            Self::Paid => "paid",
            Self::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Due, Self::Exported, Self::Paid, Self::Cancelled].into_iter().find(|v| v.as_str() == s)
    }

    /// Money that left the building: the line can only be reversed by a credit.
    pub fn is_settled(self) -> bool {
        matches!(self, Self::Exported | Self::Paid)
    }
}

/// A line of the ledger as stored (forfait lines, replacements and credits alike).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredLine {
    pub line: Line,
    pub state: LineState,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Correction {
    /// Store this line as `due` (a new forfait line, or one replacing a credited or cancelled one).
    Create { line: Line },
    /// Store this negative line as `due`: it reverses what was exported or paid.
    Credit { line: Line },
    /// Set this `due` line to `cancelled`: it should not exist, or is replaced.
    Cancel { key: String },
}

/// The corrections that bring `existing` (the ledger of the same episodes) to `wanted` (from
/// `lines_for`). Per forfait line (`{sequence_id}:{actor}`) and per actor id, the settled net
/// (exported + paid, credits included) must become the wanted amount:
/// - equal: nothing to do for money already sent;
/// - different: a credit of the settled net (if not 0), then a new line of the wanted amount
///   (if any);
/// - the `due` lines must be exactly those still to send: one that matches (same content) is
///   kept, any other is cancelled, what is missing is created.
///
/// Applying the result and calling again returns nothing (the ledger then matches `wanted`).
pub fn corrections(existing: &[StoredLine], wanted: &[Line]) -> Vec<Correction> {
    let mut stored: BTreeMap<String, Vec<&StoredLine>> = BTreeMap::new();
    for s in existing {
        stored.entry(s.line.base_key()).or_default().push(s);
    }
    let mut used: BTreeSet<String> = existing.iter().map(|s| s.line.key.clone()).collect();
    // In the order of the wanted lines, then of the stored ones: the output reads like the input.
    let mut bases: Vec<String> = wanted.iter().chain(existing.iter().map(|s| &s.line)).map(Line::base_key).collect();
    let mut seen = BTreeSet::new();
    bases.retain(|b| seen.insert(b.clone()));
    let wanted: BTreeMap<String, &Line> = wanted.iter().map(|l| (l.base_key(), l)).collect();

    let mut out = Vec::new();
    for base in &bases {
        let stored = stored.get(base).map_or(&[][..], Vec::as_slice);
        let needed = needed(stored, wanted.get(base).copied());
        let mut due: Vec<Option<&Line>> =
            stored.iter().filter(|s| s.state == LineState::Due).map(|s| Some(&s.line)).collect();
        let mut fresh = Vec::new();
        for (is_credit, line) in needed {
            match due.iter_mut().find(|d| d.is_some_and(|d| same_content(d, &line))) {
                Some(slot) => *slot = None,
                None => fresh.push((is_credit, line)),
            }
        }
        out.extend(due.into_iter().flatten().map(|d| Correction::Cancel { key: d.key.clone() }));
        for (is_credit, mut line) in fresh {
            line.key = free_key(&mut used, base, is_credit);
            out.push(if is_credit { Correction::Credit { line } } else { Correction::Create { line } });
        }
    }
    out
}

/// The lines that must be `due` for one forfait line: `(is_credit, line)`.
fn needed(stored: &[&StoredLine], wanted: Option<&Line>) -> Vec<(bool, Line)> {
    let settled: Vec<&Line> = stored.iter().filter(|s| s.state.is_settled()).map(|s| &s.line).collect();
    let mut net: BTreeMap<Option<&str>, i64> = BTreeMap::new();
    for l in &settled {
        *net.entry(l.actor_id.as_deref()).or_default() += l.amount_cents;
    }
    let mut out = Vec::new();
    for (actor_id, sent) in net {
        let keep = wanted.is_some_and(|w| w.actor_id.as_deref() == actor_id && w.amount_cents == sent);
        if sent != 0 && !keep {
            // The credit copies the last positive line sent to that actor: same sequence, evidence.
            let positive = settled.iter().rev().find(|l| l.actor_id.as_deref() == actor_id && l.amount_cents > 0);
            let template = positive.or_else(|| settled.iter().rev().find(|l| l.actor_id.as_deref() == actor_id));
            if let Some(template) = template {
                out.push((true, Line { amount_cents: -sent, ..(*template).clone() }));
            }
        }
    }
    if let Some(w) = wanted {
        let sent = settled.iter().filter(|l| l.actor_id == w.actor_id).map(|l| l.amount_cents).sum::<i64>();
        if sent != w.amount_cents {
            out.push((false, w.clone()));
        }
    }
    out
}

/// Everything but the key: a stored `due` line that says the same is kept as it is.
fn same_content(a: &Line, b: &Line) -> bool {
    (&a.episode_id, &a.sequence_id, a.actor, &a.actor_id, a.amount_cents, &a.tariff_version, &a.evidence)
        == (&b.episode_id, &b.sequence_id, b.actor, &b.actor_id, b.amount_cents, &b.tariff_version, &b.evidence)
}

/// A key not used yet in the ledger: the base key for the first line, then `:r{n}` for a
/// replacement and `:credit:{n}` for a credit, `n` the smallest free number from 1.
fn free_key(used: &mut BTreeSet<String>, base: &str, is_credit: bool) -> String {
    let key = if !is_credit && !used.contains(base) {
        base.to_string()
    } else {
        let tag = if is_credit { "credit:" } else { "r" };
        (1..).map(|n| format!("{base}:{tag}{n}")).find(|k| !used.contains(k)).expect("an unused number exists")
    };
    used.insert(key.clone());
    key
}
