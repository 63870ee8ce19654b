//! Emergency visits and unplanned hospitalisations declared by professionals.

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder};

use super::new_id;

/// The `care_events` table (migration `m20261123_000006_care_events`). Kept beside its queries
/// rather than in `entities.rs`, which is already long.
pub mod care_event {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "care_events")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub patient_id: String,
        pub episode_id: String,
        pub kind: String,
        pub event_date: Date,
        pub related_to_treatment: Option<bool>,
        pub note: Option<String>,
        pub declared_by: String,
        pub declared_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub struct NewCareEvent<'a> {
    pub patient_id: &'a str,
    pub episode_id: &'a str,
    pub kind: &'a str,
    pub event_date: NaiveDate,
    pub related_to_treatment: Option<bool>,
    pub note: Option<&'a str>,
    pub declared_by: &'a str,
}

pub async fn insert(db: &impl ConnectionTrait, e: NewCareEvent<'_>, now: DateTime<Utc>) -> Result<String, DbErr> {
    let id = new_id();
    care_event::Entity::insert(care_event::ActiveModel {
        id: Set(id.clone()),
        patient_id: Set(e.patient_id.to_owned()),
        episode_id: Set(e.episode_id.to_owned()),
        kind: Set(e.kind.to_owned()),
        event_date: Set(e.event_date),
        related_to_treatment: Set(e.related_to_treatment),
        note: Set(e.note.map(Into::into)),
        declared_by: Set(e.declared_by.to_owned()),
        declared_at: Set(now),
    })
    .exec_without_returning(db)
    .await?;
    Ok(id)
}

/// The event of this kind already declared for this episode on this date, if any.
pub async fn find(
    db: &impl ConnectionTrait,
    episode_id: &str,
    kind: &str,
    event_date: NaiveDate,
) -> Result<Option<care_event::Model>, DbErr> {
    care_event::Entity::find()
        .filter(care_event::Column::EpisodeId.eq(episode_id))
        .filter(care_event::Column::Kind.eq(kind))
        .filter(care_event::Column::EventDate.eq(event_date))
        .one(db)
        .await
}

/// The events of an episode, most recent first.
pub async fn of_episode(db: &impl ConnectionTrait, episode_id: &str) -> Result<Vec<care_event::Model>, DbErr> {
    care_event::Entity::find()
        .filter(care_event::Column::EpisodeId.eq(episode_id))
        .order_by_desc(care_event::Column::EventDate)
        .order_by_desc(care_event::Column::DeclaredAt)
        .all(db)
        .await
}
