//! The versions of an episode's hand-over sheet (docs/domain.md, "The care team and the
//! hand-over"): numbered 1, 2, ... per episode, each with the snapshot it was issued with.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};

use super::entities::handover_sheet;
use super::{StoredValueError, new_id};

/// Why a version was issued (the `reason` column, constrained by migration 14).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    Inclusion,
    SequenceChange,
    TeamChange,
}

impl Reason {
    pub const fn as_str(self) -> &'static str {
        match self {
            Reason::Inclusion => "inclusion",
            Reason::SequenceChange => "sequence_change",
            Reason::TeamChange => "team_change",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "inclusion" => Some(Reason::Inclusion),
            "sequence_change" => Some(Reason::SequenceChange),
            "team_change" => Some(Reason::TeamChange),
            _ => None,
        }
    }
}

impl handover_sheet::Model {
    pub fn reason(&self) -> Result<Reason, StoredValueError> {
        Reason::parse(&self.reason)
            .ok_or_else(|| StoredValueError::new("handover_sheets", &self.id, "reason", &self.reason))
    }
}

/// Writes the next version of the episode's sheet; returns its id and number.
pub async fn insert_next(
    db: &impl ConnectionTrait,
    episode_id: &str,
    sequence_id: &str,
    reason: Reason,
    content: String,
    now: DateTime<Utc>,
) -> Result<(String, i32), DbErr> {
    let last: Option<i32> = handover_sheet::Entity::find()
        .select_only()
        .column(handover_sheet::Column::Version)
        .filter(handover_sheet::Column::EpisodeId.eq(episode_id))
        .order_by_desc(handover_sheet::Column::Version)
        .into_tuple()
        .one(db)
        .await?;
    let (id, version) = (new_id(), last.unwrap_or(0) + 1);
    handover_sheet::Entity::insert(handover_sheet::ActiveModel {
        id: Set(id.clone()),
        episode_id: Set(episode_id.to_owned()),
        version: Set(version),
        sequence_id: Set(sequence_id.to_owned()),
        reason: Set(reason.as_str().to_owned()),
        created_at: Set(now),
        content: Set(content),
    })
    .exec_without_returning(db)
    .await?;
    Ok((id, version))
}

/// Every version of an episode's sheet, oldest first.
pub async fn versions(db: &impl ConnectionTrait, episode_id: &str) -> Result<Vec<handover_sheet::Model>, DbErr> {
    handover_sheet::Entity::find()
        .filter(handover_sheet::Column::EpisodeId.eq(episode_id))
        .order_by_asc(handover_sheet::Column::Version)
        .all(db)
        .await
}

/// One version; `None` for a number the episode does not have.
pub async fn version(
    db: &impl ConnectionTrait,
    episode_id: &str,
    version: i32,
) -> Result<Option<handover_sheet::Model>, DbErr> {
    handover_sheet::Entity::find()
        .filter(handover_sheet::Column::EpisodeId.eq(episode_id))
        .filter(handover_sheet::Column::Version.eq(version))
        .one(db)
        .await
}
