//! Patients, and the facts authorisation needs about them.

use chrono::NaiveDate;
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder};

use super::entities::{care_team, episode, patient};
use crate::domain::access::{PatientFacts, Role, Staff};

pub async fn get(db: &impl ConnectionTrait, id: &str) -> Result<Option<patient::Model>, DbErr> {
    patient::Entity::find_by_id(id.to_owned()).one(db).await
}

/// The open episode of a patient (at most one is open at a time).
pub async fn current_episode(db: &impl ConnectionTrait, patient_id: &str) -> Result<Option<episode::Model>, DbErr> {
    episode::Entity::find()
        .filter(episode::Column::PatientId.eq(patient_id))
        .filter(episode::Column::EndDate.is_null())
        .order_by_desc(episode::Column::CreatedAt)
        .one(db)
        .await
}

/// Every episode of a patient, newest first.
pub async fn episodes(db: &impl ConnectionTrait, patient_id: &str) -> Result<Vec<episode::Model>, DbErr> {
    episode::Entity::find()
        .filter(episode::Column::PatientId.eq(patient_id))
        .order_by_desc(episode::Column::StartDate)
        .order_by_desc(episode::Column::CreatedAt)
        .all(db)
        .await
}

/// The team in force for an episode on `day` (the site's date: docs/domain.md, "Care team").
pub async fn current_team(
    db: &impl ConnectionTrait,
    episode_id: &str,
    day: NaiveDate,
) -> Result<Option<care_team::Model>, DbErr> {
    super::teams::team_on(db, episode_id, day).await
}

/// Who may see the patient on `day`: the team in force that day decides.
pub async fn facts(db: &impl ConnectionTrait, p: &patient::Model, day: NaiveDate) -> Result<PatientFacts, DbErr> {
    let team = match current_episode(db, &p.id).await? {
        Some(e) => current_team(db, &e.id, day).await?,
        None => None,
    };
    Ok(PatientFacts {
        establishment_id: p.establishment_id.clone(),
        current_pharmacy_id: team.as_ref().and_then(|t| t.pharmacy_id.clone()),
        current_gp_id: team.as_ref().and_then(|t| t.gp_id.clone()),
        current_nurse_id: team.and_then(|t| t.community_nurse_id),
    })
}

/// The patients a professional may see on `day` (same rule as `access::staff_sees`), by name.
pub async fn visible_to(
    db: &impl ConnectionTrait,
    staff: &Staff,
    day: NaiveDate,
) -> Result<Vec<patient::Model>, DbErr> {
    let by_name = |q: sea_orm::Select<patient::Entity>| {
        q.order_by_asc(patient::Column::FamilyName).order_by_asc(patient::Column::GivenName)
    };
    match staff.role {
        r if r.is_hospital() => {
            let Some(est) = &staff.establishment_id else { return Ok(vec![]) };
            by_name(patient::Entity::find().filter(patient::Column::EstablishmentId.eq(est))).all(db).await
        }
        Role::CommunityPharmacist | Role::Gp | Role::CommunityNurse => {
            let member = match staff.role {
                Role::Gp => care_team::Column::GpId.eq(&staff.id),
                Role::CommunityNurse => care_team::Column::CommunityNurseId.eq(&staff.id),
                _ => {
                    let Some(ph) = &staff.pharmacy_id else { return Ok(vec![]) };
                    care_team::Column::PharmacyId.eq(ph)
                }
            };
            let episode_ids = super::teams::episodes_with(db, member, day).await?;
            if episode_ids.is_empty() {
                return Ok(vec![]);
            }
            let patient_ids: Vec<String> = episode::Entity::find()
                .filter(episode::Column::Id.is_in(episode_ids))
                .filter(episode::Column::EndDate.is_null())
                .all(db)
                .await?
                .into_iter()
                .map(|e| e.patient_id)
                .collect();
            by_name(patient::Entity::find().filter(patient::Column::Id.is_in(patient_ids))).all(db).await
        }
        _ => Ok(vec![]),
    }
}
