//! Changes to an episode's care team. The team is versioned by date (`valid_from`/`valid_to`),
//! so billing can tell who was on it the day each sequence started.

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, sea_query::Expr};

use super::entities::care_team;
use super::new_id;

/// The patient moves to another community pharmacy from `on`: the team in force closes that
/// day and a copy naming the new pharmacy opens. Returns false when the episode has no team in
/// force (ended).
pub async fn change_community_pharmacy(
    db: &impl ConnectionTrait,
    episode_id: &str,
    pharmacy_id: Option<&str>,
    on: NaiveDate,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let Some(current) = super::patients::current_team(db, episode_id).await? else { return Ok(false) };
    care_team::Entity::update_many()
        .col_expr(care_team::Column::ValidTo, Expr::value(on))
        .filter(care_team::Column::Id.eq(&current.id))
        .exec(db)
        .await?;
    care_team::Entity::insert(care_team::ActiveModel {
        id: Set(new_id()),
        pharmacy_id: Set(pharmacy_id.map(Into::into)),
        valid_from: Set(on),
        valid_to: Set(None),
        created_at: Set(now),
        episode_id: Set(current.episode_id),
        idec_id: Set(current.idec_id),
        oncologist_id: Set(current.oncologist_id),
        hospital_pharmacist_id: Set(current.hospital_pharmacist_id),
        gp_id: Set(current.gp_id),
    })
    .exec_without_returning(db)
    .await?;
    Ok(true)
}
