//! The pharmacists' records around the hand-over (docs/domain.md, "Pharmaceutical interview
//! and medication reconciliation"): Onco'Link interviews at dispensation and medication
//! reconciliations at inclusion (migration `m20261209_000016_pharmacy_records`). Their lists
//! (topics, medications, discrepancies) are JSON read back through typed accessors: a value
//! that does not read is a [`StoredValueError`] naming the row, never a default.

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder};

use super::StoredValueError;
use super::new_id;
use crate::domain::pharmacy_records::{Medication, topic_label};

/// The `pharmacy_interviews` table.
pub mod pharmacy_interview {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "pharmacy_interviews")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub episode_id: String,
        pub done_on: Date,
        /// JSON list of topic keys (`domain::pharmacy_records::TOPICS`).
        pub topics: String,
        pub minutes: i32,
        /// Clinical: shown to the team, never logged.
        pub note: Option<String>,
        pub recorded_by: String,
        pub recorded_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// The `medication_reconciliations` table.
pub mod reconciliation {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "medication_reconciliations")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub episode_id: String,
        pub reconciled_on: Date,
        /// JSON list of `domain::pharmacy_records::Medication`.
        pub medications: String,
        /// JSON list of strings.
        pub discrepancies: String,
        pub recorded_by: String,
        pub recorded_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// Where a JSON column failed to read: the position only (the text may be clinical).
fn json_error(table: &'static str, id: &str, column: &'static str, e: &serde_json::Error) -> StoredValueError {
    StoredValueError::new(table, id, column, &format!("not readable (line {}, column {})", e.line(), e.column()))
}

impl pharmacy_interview::Model {
    /// The topic keys, each a known one.
    pub fn topics(&self) -> Result<Vec<String>, StoredValueError> {
        let keys: Vec<String> = serde_json::from_str(&self.topics)
            .map_err(|e| json_error("pharmacy_interviews", &self.id, "topics", &e))?;
        if let Some(bad) = keys.iter().find(|k| topic_label(k).is_none()) {
            return Err(StoredValueError::new("pharmacy_interviews", &self.id, "topics", bad));
        }
        Ok(keys)
    }
}

impl reconciliation::Model {
    pub fn medications(&self) -> Result<Vec<Medication>, StoredValueError> {
        serde_json::from_str(&self.medications)
            .map_err(|e| json_error("medication_reconciliations", &self.id, "medications", &e))
    }

    pub fn discrepancies(&self) -> Result<Vec<String>, StoredValueError> {
        serde_json::from_str(&self.discrepancies)
            .map_err(|e| json_error("medication_reconciliations", &self.id, "discrepancies", &e))
    }
}

fn to_json<T: serde::Serialize + ?Sized>(v: &T) -> Result<String, DbErr> {
    serde_json::to_string(v).map_err(|e| DbErr::Custom(e.to_string()))
}

pub struct NewInterview<'a> {
    pub episode_id: &'a str,
    pub done_on: NaiveDate,
    pub topics: &'a [String],
    pub minutes: i32,
    pub note: Option<&'a str>,
    pub recorded_by: &'a str,
}

pub async fn insert_interview(
    db: &impl ConnectionTrait,
    i: NewInterview<'_>,
    now: DateTime<Utc>,
) -> Result<pharmacy_interview::Model, DbErr> {
    let row = pharmacy_interview::Model {
        id: new_id(),
        episode_id: i.episode_id.to_owned(),
        done_on: i.done_on,
        topics: to_json(i.topics)?,
        minutes: i.minutes,
        note: i.note.map(str::to_owned),
        recorded_by: i.recorded_by.to_owned(),
        recorded_at: now,
    };
    pharmacy_interview::Entity::insert(pharmacy_interview::ActiveModel {
        id: Set(row.id.clone()),
        episode_id: Set(row.episode_id.clone()),
        done_on: Set(row.done_on),
        topics: Set(row.topics.clone()),
        minutes: Set(row.minutes),
        note: Set(row.note.clone()),
        recorded_by: Set(row.recorded_by.clone()),
        recorded_at: Set(row.recorded_at),
    })
    .exec_without_returning(db)
    .await?;
    Ok(row)
}

/// An episode's interviews, newest first.
pub async fn interviews_of(
    db: &impl ConnectionTrait,
    episode_id: &str,
) -> Result<Vec<pharmacy_interview::Model>, DbErr> {
    pharmacy_interview::Entity::find()
        .filter(pharmacy_interview::Column::EpisodeId.eq(episode_id))
        .order_by_desc(pharmacy_interview::Column::DoneOn)
        .order_by_desc(pharmacy_interview::Column::RecordedAt)
        .all(db)
        .await
}

pub struct NewReconciliation<'a> {
    pub episode_id: &'a str,
    pub reconciled_on: NaiveDate,
    pub medications: &'a [Medication],
    pub discrepancies: &'a [String],
    pub recorded_by: &'a str,
}

pub async fn insert_reconciliation(
    db: &impl ConnectionTrait,
    r: NewReconciliation<'_>,
    now: DateTime<Utc>,
) -> Result<reconciliation::Model, DbErr> {
    let row = reconciliation::Model {
        id: new_id(),
        episode_id: r.episode_id.to_owned(),
        reconciled_on: r.reconciled_on,
        medications: to_json(r.medications)?,
        discrepancies: to_json(r.discrepancies)?,
        recorded_by: r.recorded_by.to_owned(),
        recorded_at: now,
    };
    reconciliation::Entity::insert(reconciliation::ActiveModel {
        id: Set(row.id.clone()),
        episode_id: Set(row.episode_id.clone()),
        reconciled_on: Set(row.reconciled_on),
        medications: Set(row.medications.clone()),
        discrepancies: Set(row.discrepancies.clone()),
        recorded_by: Set(row.recorded_by.clone()),
        recorded_at: Set(row.recorded_at),
    })
    .exec_without_returning(db)
    .await?;
    Ok(row)
}

/// An episode's reconciliations, newest first.
pub async fn reconciliations_of(
    db: &impl ConnectionTrait,
    episode_id: &str,
) -> Result<Vec<reconciliation::Model>, DbErr> {
    reconciliation::Entity::find()
        .filter(reconciliation::Column::EpisodeId.eq(episode_id))
        .order_by_desc(reconciliation::Column::ReconciledOn)
        .order_by_desc(reconciliation::Column::RecordedAt)
        .all(db)
        .await
}
