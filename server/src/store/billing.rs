//! The forfait ledger: lines computed by `domain::billing` from what happened in the pathway,
//! stored with their evidence, corrected by credits (never edited once exported), closed month
//! by month into statements. One transaction per episode for the sync.

pub mod entities;
pub mod interviews;
mod ledger;

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, sea_query::Expr,
};

pub use ledger::*;

use super::entities::{care_team, episode, sequence};
use super::{StoredValueError, begin_write, directory, episodes, new_id};
use crate::domain::billing::{
    Actor, Correction, EpisodeFacts, Evidence, Line, LineState, SequenceFact, StoredLine, Tariffs, corrections,
    lines_for,
};
use entities::{billing_line, billing_waiver};

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    /// The facts cannot be billed as they are (no tariff in force, unknown state...).
    #[error("episode {episode_id}: {message}")]
    Rules { episode_id: String, message: String },
    #[error(transparent)]
    Db(#[from] DbErr),
}

impl From<StoredValueError> for SyncError {
    fn from(e: StoredValueError) -> Self {
        Self::Db(e.into())
    }
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct SyncStats {
    pub episodes: usize,
    pub created: usize,
    pub credited: usize,
    pub cancelled: usize,
    /// Episodes whose facts could not be billed (logged; the others go on).
    pub failed: usize,
}

impl SyncStats {
    fn add(&mut self, o: SyncStats) {
        self.episodes += o.episodes;
        self.created += o.created;
        self.credited += o.credited;
        self.cancelled += o.cancelled;
        self.failed += o.failed;
    }
}

const PAGE: u64 = 500;

/// Brings the ledger of every episode that has sequences in line with its facts; one
/// transaction per episode, an episode that fails is logged and the others go on.
pub async fn sync_all(db: &DatabaseConnection, tariffs: &Tariffs, now: DateTime<Utc>) -> Result<SyncStats, DbErr> {
    let mut stats = SyncStats::default();
    let mut after = String::new();
    loop {
        let ids: Vec<String> = episode::Entity::find()
            .select_only()
            .column(episode::Column::Id)
            .filter(episode::Column::Id.gt(after.clone()))
            .order_by_asc(episode::Column::Id)
            .limit(PAGE)
            .into_tuple()
            .all(db)
            .await?;
        let Some(last) = ids.last() else { return Ok(stats) };
        after = last.clone();
        for id in &ids {
            match sync_episode(db, tariffs, id, now).await {
                Ok(s) => stats.add(s),
                Err(e) => {
                    stats.failed += 1;
                    tracing::error!(episode_id = %id, error = %e, "billing sync failed");
                }
            }
        }
    }
}

/// One episode in its own transaction.
pub async fn sync_episode(
    db: &DatabaseConnection,
    tariffs: &Tariffs,
    episode_id: &str,
    now: DateTime<Utc>,
) -> Result<SyncStats, SyncError> {
    let txn = begin_write(db).await?;
    let stats = sync_in(&txn, tariffs, episode_id, now).await?;
    txn.commit().await?;
    Ok(stats)
}

/// The sync of one episode inside the caller's transaction.
pub async fn sync_in(
    db: &impl ConnectionTrait,
    tariffs: &Tariffs,
    episode_id: &str,
    now: DateTime<Utc>,
) -> Result<SyncStats, SyncError> {
    let Some(ep) = episodes::get(db, episode_id).await? else { return Ok(SyncStats::default()) };
    let rows = lines_of_episode(db, episode_id).await?;
    let (facts, mut ids) = facts_of(db, &ep).await?;
    let rules_err = |message: String| SyncError::Rules { episode_id: ep.id.clone(), message };
    let mut wanted = lines_for(tariffs, &facts).map_err(rules_err)?;
    let waived: BTreeSet<String> = billing_waiver::Entity::find()
        .filter(billing_waiver::Column::EpisodeId.eq(episode_id))
        .all(db)
        .await?
        .into_iter()
        .map(|w| w.base_key)
        .collect();
    wanted.retain(|l| !waived.contains(&l.base_key()));
    // Every stored line is read, or the sync stops naming the row: a line left out would be
    // billed again.
    let existing: Vec<StoredLine> = rows.iter().map(stored_line).collect::<Result<_, _>>()?;
    for (r, s) in rows.iter().zip(&existing) {
        if let (Some(i), Some(id)) = (&r.actor_identifier, &r.actor_id) {
            ids.entry((s.line.actor, i.clone())).or_insert_with(|| id.clone());
        }
    }
    let mut stats = SyncStats { episodes: 1, ..SyncStats::default() };
    for c in corrections(&existing, &wanted) {
        match c {
            Correction::Create { line } => {
                insert(db, &ep, &line, &ids, None, now).await?;
                stats.created += 1;
            }
            Correction::Credit { line } => {
                // What it reverses: the last positive line sent to that actor for that share.
                let of = rows
                    .iter()
                    .zip(&existing)
                    .rev()
                    .find(|(r, s)| {
                        s.state.is_settled()
                            && r.amount_cents > 0
                            && s.line.base_key() == line.base_key()
                            && r.actor_identifier == line.actor_id
                    })
                    .map(|(r, _)| r.id.clone());
                insert(db, &ep, &line, &ids, of, now).await?;
                stats.credited += 1;
            }
            Correction::Cancel { key } => {
                let done = billing_line::Entity::update_many()
                    .col_expr(billing_line::Column::State, Expr::value(LineState::Cancelled.as_str()))
                    .col_expr(billing_line::Column::CancelledAt, Expr::value(now))
                    .filter(billing_line::Column::LineKey.eq(&key))
                    .filter(billing_line::Column::State.eq(LineState::Due.as_str()))
                    .exec(db)
                    .await?;
                stats.cancelled += done.rows_affected as usize;
            }
        }
    }
    Ok(stats)
}

/// The episode as billing sees it, and the internal id of each actor identifier it names.
async fn facts_of(
    db: &impl ConnectionTrait,
    ep: &episode::Model,
) -> Result<(EpisodeFacts, BTreeMap<(Actor, String), String>), DbErr> {
    let mut ids = BTreeMap::new();
    let est = directory::establishment(db, &ep.establishment_id).await?;
    let est_finess = est.map(|e| e.finess).unwrap_or_default();
    ids.insert((Actor::Hospital, est_finess.clone()), ep.establishment_id.clone());
    let teams = care_team::Entity::find()
        .filter(care_team::Column::EpisodeId.eq(&ep.id))
        .order_by_asc(care_team::Column::ValidFrom)
        .order_by_asc(care_team::Column::CreatedAt)
        .all(db)
        .await?;
    let mut pharmacy_finess: BTreeMap<String, String> = BTreeMap::new();
    let mut gp_rpps: BTreeMap<String, Option<String>> = BTreeMap::new();
    let mut sequences = Vec::new();
    for s in episodes::sequences(db, &ep.id).await? {
        let kind = s.kind()?;
        let team = team_on(&teams, &s);
        let mut pharmacy = None;
        if let Some(ph) = team.and_then(|t| t.pharmacy_id.clone()) {
            if !pharmacy_finess.contains_key(&ph) {
                let f = directory::pharmacy(db, &ph).await?.map(|p| p.finess).unwrap_or_default();
                pharmacy_finess.insert(ph.clone(), f);
            }
            let f = pharmacy_finess[&ph].clone();
            ids.insert((Actor::Pharmacy, f.clone()), ph);
            pharmacy = Some(f);
        }
        let mut gp = None;
        // A GP share waits for a GP: with none on the team that day, it goes to the first GP a
        // later version of the team names (named late, they take over that follow-up).
        let gp_id = team
            .and_then(|t| t.gp_id.clone())
            .or_else(|| teams.iter().filter(|t| t.valid_from > s.start_date).find_map(|t| t.gp_id.clone()));
        if let Some(g) = gp_id {
            if !gp_rpps.contains_key(&g) {
                let r = directory::professional(db, &g).await?.and_then(|p| p.rpps);
                gp_rpps.insert(g.clone(), r);
            }
            if let Some(r) = gp_rpps[&g].clone() {
                ids.insert((Actor::Gp, r.clone()), g);
                gp = Some(r);
            }
        }
        sequences.push(SequenceFact {
            sequence_id: s.id.clone(),
            kind,
            renewal_index: s.renewal_index.max(0) as u32,
            start: s.start_date,
            state: s.state()?.as_str().to_owned(),
            ended_on: s.actual_end_date,
            establishment_finess: est_finess.clone(),
            pharmacy_finess: pharmacy,
            gp_rpps: gp,
        });
    }
    let parcours = ep.parcours()?;
    Ok((EpisodeFacts { episode_id: ep.id.clone(), parcours, sequences }, ids))
}

/// The team in force on the sequence's start date: the latest one that began on or before it,
/// preferring one still valid that day (a team closed that very day is the one it replaced).
fn team_on<'a>(teams: &'a [care_team::Model], s: &sequence::Model) -> Option<&'a care_team::Model> {
    let d = s.start_date;
    let started: Vec<&care_team::Model> = teams.iter().filter(|t| t.valid_from <= d).collect();
    started
        .iter()
        .rev()
        .find(|t| t.valid_to.is_none_or(|to| to > d))
        .or_else(|| started.last())
        .copied()
        .or_else(|| teams.first())
}

/// A stored row as the pure corrections see it.
fn stored_line(r: &billing_line::Model) -> Result<StoredLine, StoredValueError> {
    Ok(StoredLine {
        line: Line {
            key: r.line_key.clone(),
            episode_id: r.episode_id.clone(),
            sequence_id: r.sequence_id.clone(),
            actor: r.actor()?,
            actor_id: r.actor_identifier.clone(),
            amount_cents: r.amount_cents,
            tariff_version: r.tariff_version.clone(),
            evidence: Evidence {
                sequence_start: r.service_date,
                kind: r.sequence_kind()?,
                renewal_index: r.renewal_index.max(0) as u32,
                pharmacy_at_start: r.pharmacy_at_start.clone(),
            },
        },
        state: r.state()?,
    })
}

async fn insert(
    db: &impl ConnectionTrait,
    ep: &episode::Model,
    line: &Line,
    ids: &BTreeMap<(Actor, String), String>,
    credit_of: Option<String>,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let actor_id = line.actor_id.as_ref().and_then(|i| ids.get(&(line.actor, i.clone()))).cloned();
    billing_line::Entity::insert(billing_line::ActiveModel {
        id: Set(new_id()),
        line_key: Set(line.key.clone()),
        episode_id: Set(ep.id.clone()),
        sequence_id: Set(line.sequence_id.clone()),
        establishment_id: Set(ep.establishment_id.clone()),
        actor: Set(line.actor.as_str().to_owned()),
        actor_id: Set(actor_id),
        actor_identifier: Set(line.actor_id.clone()),
        parcours: Set(ep.parcours.clone()),
        sequence_kind: Set(line.evidence.kind.as_str().to_owned()),
        renewal_index: Set(line.evidence.renewal_index as i32),
        tariff_version: Set(line.tariff_version.clone()),
        amount_cents: Set(line.amount_cents),
        service_date: Set(line.evidence.sequence_start),
        pharmacy_at_start: Set(line.evidence.pharmacy_at_start.clone()),
        state: Set(LineState::Due.as_str().to_owned()),
        credit_of: Set(credit_of),
        statement_month: Set(None),
        created_at: Set(now),
        exported_at: Set(None),
        paid_at: Set(None),
        cancelled_at: Set(None),
    })
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// Every line of an episode, oldest first.
pub async fn lines_of_episode(db: &impl ConnectionTrait, episode_id: &str) -> Result<Vec<billing_line::Model>, DbErr> {
    billing_line::Entity::find()
        .filter(billing_line::Column::EpisodeId.eq(episode_id))
        .order_by_asc(billing_line::Column::CreatedAt)
        .order_by_asc(billing_line::Column::LineKey)
        .all(db)
        .await
}
