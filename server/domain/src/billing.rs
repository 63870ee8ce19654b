//! Onco'Link forfaits (docs/domain.md "Money: the forfaits"): from the sequences of an episode and the
//! tariff versions, the billable lines; from the stored ledger and those lines, the corrections.
//! Pure: facts in, lines out. Amounts are integer cents, never floats.

mod corrections;
mod month;
mod statement;
mod tariffs;

#[cfg(test)]
mod tests;

use std::collections::BTreeSet;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::{Parcours, Sequence};

pub use corrections::{Correction, LineState, StoredLine, corrections};
pub use month::{Month, euros_fr, parse_euros_fr};
pub use statement::{CSV_HEADER, PatientIdentity, Statement, StatementLine, statements, to_csv};
pub use tariffs::{Forfait, TARIFFS_FILE, TariffVersion, Tariffs};

/// Who receives a share of a forfait.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Actor {
    Hospital,
    Pharmacy,
    Gp,
}

impl Actor {
    pub const ALL: [Actor; 3] = [Actor::Hospital, Actor::Pharmacy, Actor::Gp];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Hospital => "hospital",
            Self::Pharmacy => "pharmacy",
            Self::Gp => "gp",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == s)
    }
}

/// One sequence of an episode as billing sees it; the team is the one on the start date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SequenceFact {
    pub sequence_id: String,
    pub kind: Sequence,
    pub renewal_index: u32,
    pub start: NaiveDate,
    /// `active`, `completed`, `ended` or `cancelled` (the states of the `sequences` table).
    pub state: String,
    pub ended_on: Option<NaiveDate>,
    pub establishment_finess: String,
    /// The community pharmacy on the care team on `start` (a later change does not move the line).
    pub pharmacy_finess: Option<String>,
    /// The GP on the care team on `start`.
    pub gp_rpps: Option<String>,
}

impl SequenceFact {
    /// Billed once started, whatever its length or how the episode ended; not billed only when
    /// cancelled on its start day (inclusion error). `cancelled` without an end date is the
    /// inclusion error too: the pathway only produces `cancelled` on the start day.
    pub fn is_billable(&self) -> Result<bool, String> {
        match self.state.as_str() {
            "active" | "completed" | "ended" => Ok(true),
            "cancelled" => Ok(self.ended_on.is_some_and(|end| end > self.start)),
            other => Err(format!(
                "sequence {}: unknown state `{other}` (active, completed, ended, cancelled)",
                self.sequence_id
            )),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EpisodeFacts {
    pub episode_id: String,
    pub parcours: Parcours,
    pub sequences: Vec<SequenceFact>,
}

/// What a line rests on, kept with it so that an export can be justified later.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Evidence {
    pub sequence_start: NaiveDate,
    pub kind: Sequence,
    pub renewal_index: u32,
    pub pharmacy_at_start: Option<String>,
}

/// One billable amount for one actor of one sequence (or, negative, a credit).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Line {
    /// Unique in the ledger. A forfait line is `{sequence_id}:{actor}`; a line that replaces a
    /// cancelled or credited one is `{sequence_id}:{actor}:r{n}`; a credit `…:credit:{n}`.
    pub key: String,
    pub episode_id: String,
    pub sequence_id: String,
    pub actor: Actor,
    /// Establishment FINESS, pharmacy FINESS or GP RPPS. `None`: the team had no such actor on
    /// the start date; the share is kept on the line (the sums stay exact) but is unassigned:
    /// it must not be exported until the team of that date is corrected (see `is_assigned`).
    pub actor_id: Option<String>,
    pub amount_cents: i64,
    pub tariff_version: String,
    pub evidence: Evidence,
}

impl Line {
    /// The forfait line this one belongs to: `{sequence_id}:{actor}`, whatever its own key.
    pub fn base_key(&self) -> String {
        base_key(&self.sequence_id, self.actor)
    }

    pub fn is_assigned(&self) -> bool {
        self.actor_id.is_some()
    }
}

pub fn base_key(sequence_id: &str, actor: Actor) -> String {
    format!("{sequence_id}:{}", actor.as_str())
}

/// The lines an episode should have: per billable sequence, the forfait of the version in force
/// on its start date, one line per actor with a non-zero share. Deterministic: the same facts
/// give the same lines with the same keys, so re-running creates nothing new.
pub fn lines_for(tariffs: &Tariffs, facts: &EpisodeFacts) -> Result<Vec<Line>, String> {
    let mut seen = BTreeSet::new();
    let mut lines = Vec::new();
    for s in &facts.sequences {
        if !seen.insert(s.sequence_id.as_str()) {
            return Err(format!("episode {}: sequence {} listed twice", facts.episode_id, s.sequence_id));
        }
        if !s.is_billable()? {
            continue;
        }
        let version = tariffs.in_force(s.start).ok_or_else(|| {
            format!(
                "sequence {} ({} started {}): no tariff version in force (the first is valid from {}; see {TARIFFS_FILE})",
                s.sequence_id,
                s.kind.as_str(),
                s.start,
                tariffs.versions().first().map_or("-".to_string(), |v| v.valid_from.to_string()),
            )
        })?;
        let forfait = version.forfait(facts.parcours, s.kind);
        for actor in Actor::ALL {
            let amount_cents = forfait.share(actor);
            if amount_cents == 0 {
                continue;
            }
            let actor_id = match actor {
                Actor::Hospital => Some(s.establishment_finess.clone()),
                Actor::Pharmacy => s.pharmacy_finess.clone(),
                Actor::Gp => s.gp_rpps.clone(),
            };
            lines.push(Line {
                key: base_key(&s.sequence_id, actor),
                episode_id: facts.episode_id.clone(),
                sequence_id: s.sequence_id.clone(),
                actor,
                actor_id,
                amount_cents,
                tariff_version: version.id.clone(),
                evidence: Evidence {
                    sequence_start: s.start,
                    kind: s.kind,
                    renewal_index: s.renewal_index,
                    pharmacy_at_start: s.pharmacy_finess.clone(),
                },
            });
        }
    }
    Ok(lines)
}
