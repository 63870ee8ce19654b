//! Dispensations of the drugs of an episode's regimen (docs/domain.md, "Dispensations"), and
//! the refill reminders scheduled from them.

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder};

use super::due_work::{self, DueWork};
use super::new_id;

/// The `dispensations` table (migration `m20261208_000013_dispensations`). Kept beside its
/// queries rather than in `entities.rs`, which is already long.
pub mod dispensation {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "dispensations")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub episode_id: String,
        /// The drug as the regimen line names it (a catalogue or partner key).
        pub drug: String,
        pub dispensed_on: Date,
        pub units: i32,
        pub units_per_day: i32,
        pub prescription_end: Option<Date>,
        /// The first day the units do not cover, computed when recorded.
        pub run_out_on: Date,
        pub recorded_by: String,
        pub recorded_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub struct NewDispensation<'a> {
    pub episode_id: &'a str,
    pub drug: &'a str,
    pub dispensed_on: NaiveDate,
    pub units: i32,
    pub units_per_day: i32,
    pub prescription_end: Option<NaiveDate>,
    pub run_out_on: NaiveDate,
    pub recorded_by: &'a str,
}

/// Records a dispensation and schedules its refill reminder at `remind_at`, in the caller's
/// transaction (the two always go together).
pub async fn insert(
    db: &impl ConnectionTrait,
    d: NewDispensation<'_>,
    remind_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<dispensation::Model, DbErr> {
    let row = dispensation::Model {
        id: new_id(),
        episode_id: d.episode_id.to_owned(),
        drug: d.drug.to_owned(),
        dispensed_on: d.dispensed_on,
        units: d.units,
        units_per_day: d.units_per_day,
        prescription_end: d.prescription_end,
        run_out_on: d.run_out_on,
        recorded_by: d.recorded_by.to_owned(),
        recorded_at: now,
    };
    let am = dispensation::ActiveModel {
        id: Set(row.id.clone()),
        episode_id: Set(row.episode_id.clone()),
        drug: Set(row.drug.clone()),
        dispensed_on: Set(row.dispensed_on),
        units: Set(row.units),
        units_per_day: Set(row.units_per_day),
        prescription_end: Set(row.prescription_end),
        run_out_on: Set(row.run_out_on),
        recorded_by: Set(row.recorded_by.clone()),
        recorded_at: Set(row.recorded_at),
    };
    dispensation::Entity::insert(am).exec_without_returning(db).await?;
    due_work::schedule(db, vec![(DueWork::RefillReminder { dispensation_id: row.id.clone() }, remind_at)], now).await?;
    Ok(row)
}

pub async fn get(db: &impl ConnectionTrait, id: &str) -> Result<Option<dispensation::Model>, DbErr> {
    dispensation::Entity::find_by_id(id.to_owned()).one(db).await
}

/// An episode's dispensations, by drug then date (then recording order).
pub async fn of_episode(db: &impl ConnectionTrait, episode_id: &str) -> Result<Vec<dispensation::Model>, DbErr> {
    dispensation::Entity::find()
        .filter(dispensation::Column::EpisodeId.eq(episode_id))
        .order_by_asc(dispensation::Column::Drug)
        .order_by_asc(dispensation::Column::DispensedOn)
        .order_by_asc(dispensation::Column::RecordedAt)
        .all(db)
        .await
}

/// Whether a dispensation of the same drug of the same episode came after `d`: dispensed on a
/// later day, or on the same day and recorded later. It renews `d`.
pub async fn renewed(db: &impl ConnectionTrait, d: &dispensation::Model) -> Result<bool, DbErr> {
    let later = dispensation::Entity::find()
        .filter(dispensation::Column::EpisodeId.eq(&d.episode_id))
        .filter(dispensation::Column::Drug.eq(&d.drug))
        .filter(dispensation::Column::Id.ne(&d.id))
        .filter(
            Condition::any().add(dispensation::Column::DispensedOn.gt(d.dispensed_on)).add(
                Condition::all()
                    .add(dispensation::Column::DispensedOn.eq(d.dispensed_on))
                    .add(dispensation::Column::RecordedAt.gt(d.recorded_at)),
            ),
        )
        .one(db)
        .await?;
    Ok(later.is_some())
}

/// The open episodes of these patients, each with the latest dispensation of each of its drugs
/// (none yet: an empty list), for the pharmacy worklist's renewal and first-dispensation flags.
pub async fn latest_of_open_episodes(
    db: &impl ConnectionTrait,
    patient_ids: &[String],
) -> Result<Vec<(super::entities::episode::Model, Vec<dispensation::Model>)>, DbErr> {
    use super::entities::episode;
    let mut out = Vec::new();
    for chunk in patient_ids.chunks(super::due_work::MAX_IDS) {
        let eps = episode::Entity::find()
            .filter(episode::Column::PatientId.is_in(chunk.to_vec()))
            .filter(episode::Column::EndDate.is_null())
            .all(db)
            .await?;
        if eps.is_empty() {
            continue;
        }
        let rows = dispensation::Entity::find()
            .filter(dispensation::Column::EpisodeId.is_in(eps.iter().map(|e| e.id.clone())))
            .order_by_asc(dispensation::Column::DispensedOn)
            .order_by_asc(dispensation::Column::RecordedAt)
            .all(db)
            .await?;
        for ep in eps {
            // In date order, the last row of a drug is its latest.
            let mut latest: std::collections::BTreeMap<String, dispensation::Model> = Default::default();
            for r in rows.iter().filter(|r| r.episode_id == ep.id) {
                latest.insert(r.drug.clone(), r.clone());
            }
            out.push((ep, latest.into_values().collect()));
        }
    }
    Ok(out)
}
