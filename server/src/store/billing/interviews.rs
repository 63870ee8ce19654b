//! The pharmacists' national interview ledger (TAC, AC1–AC4): interviews recorded per patient
//! and pharmacy, and the codes they make due. Separate tables, never mixed into the forfaits.

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder,
    sea_query::OnConflict,
};

use super::entities::{interview_accompaniment as acc, interview_code as code, pharmacist_interview as interview};
use super::ledger::Scope;
use crate::domain::FieldError;
use crate::domain::interviews::{Accompaniment, Interview, InterviewKind, InterviewRules, TreatmentClass, codes_due};
use crate::store::entities::episode;
use crate::store::stored_value::{interview_kind_str, treatment_str};
use crate::store::{directory, new_id};

/// FINESS numbers start with the department: 97x are the overseas departments (DROM), where the
/// overseas amounts apply.
fn is_overseas(finess: &str) -> bool {
    finess.starts_with("97")
}

pub struct Recorded {
    pub interview_id: String,
    pub accompaniment: acc::Model,
}

/// Records an interview done by `pharmacy_id` for the episode's patient. The first one opens the
/// accompaniment (adhesion on that day; its treatment class is then required).
#[allow(clippy::too_many_arguments)]
pub async fn record(
    db: &impl ConnectionTrait,
    ep: &episode::Model,
    pharmacy_id: &str,
    kind: InterviewKind,
    on: NaiveDate,
    treatment: Option<TreatmentClass>,
    by: &str,
    now: DateTime<Utc>,
) -> Result<Recorded, crate::store::episodes::WriteError> {
    let existing = acc::Entity::find()
        .filter(acc::Column::PatientId.eq(&ep.patient_id))
        .filter(acc::Column::PharmacyId.eq(pharmacy_id))
        .one(db)
        .await?;
    let accompaniment = match existing {
        Some(a) => {
            if on < a.adhesion_date {
                return Err(FieldError::new("on", format!("before the adhesion on {}", a.adhesion_date)).into());
            }
            a
        }
        None => {
            let Some(t) = treatment else {
                return Err(
                    FieldError::new("treatment", "required for the first interview: long_course or other").into()
                );
            };
            let finess = directory::pharmacy(db, pharmacy_id).await?.map(|p| p.finess).unwrap_or_default();
            let a = acc::Model {
                id: new_id(),
                patient_id: ep.patient_id.clone(),
                episode_id: ep.id.clone(),
                establishment_id: ep.establishment_id.clone(),
                pharmacy_id: pharmacy_id.to_owned(),
                treatment: treatment_str(t).to_owned(),
                adhesion_date: on,
                overseas: is_overseas(&finess),
                created_at: now,
            };
            acc::Entity::insert(acc::ActiveModel {
                id: Set(a.id.clone()),
                patient_id: Set(a.patient_id.clone()),
                episode_id: Set(a.episode_id.clone()),
                establishment_id: Set(a.establishment_id.clone()),
                pharmacy_id: Set(a.pharmacy_id.clone()),
                treatment: Set(a.treatment.clone()),
                adhesion_date: Set(a.adhesion_date),
                overseas: Set(a.overseas),
                created_at: Set(a.created_at),
            })
            .exec_without_returning(db)
            .await?;
            a
        }
    };
    let interview_id = new_id();
    interview::Entity::insert(interview::ActiveModel {
        id: Set(interview_id.clone()),
        accompaniment_id: Set(accompaniment.id.clone()),
        episode_id: Set(ep.id.clone()),
        kind: Set(interview_kind_str(kind).to_owned()),
        done_on: Set(on),
        recorded_by: Set(by.to_owned()),
        created_at: Set(now),
    })
    .exec_without_returning(db)
    .await?;
    Ok(Recorded { interview_id, accompaniment })
}

/// Stores the codes due on or before `today` that are not stored yet (the key makes it
/// idempotent); returns how many were new. An accompaniment whose codes cannot be computed
/// (an overseas amount not set) is logged and skipped.
pub async fn sync_codes(
    db: &DatabaseConnection,
    rules: &InterviewRules,
    today: NaiveDate,
    now: DateTime<Utc>,
) -> Result<usize, DbErr> {
    let mut added = 0;
    for a in acc::Entity::find().order_by_asc(acc::Column::Id).all(db).await? {
        added += sync_codes_of(db, rules, &a, today, now).await?;
    }
    Ok(added)
}

/// The same for one accompaniment, inside the caller's transaction.
pub async fn sync_codes_of(
    db: &impl ConnectionTrait,
    rules: &InterviewRules,
    a: &acc::Model,
    today: NaiveDate,
    now: DateTime<Utc>,
) -> Result<usize, DbErr> {
    let mut interviews = Vec::new();
    for i in interviews_of(db, &a.id).await? {
        interviews.push(Interview { on: i.done_on, kind: i.kind()? });
    }
    let treatment = a.treatment()?;
    let facts = Accompaniment {
        accompaniment_id: a.id.clone(),
        treatment,
        adhesion: a.adhesion_date,
        overseas: a.overseas,
        interviews,
    };
    let due = match codes_due(rules, &facts, today) {
        Ok(d) => d,
        Err(e) => {
            tracing::error!(accompaniment_id = %a.id, error = %e, "interview codes not computed");
            return Ok(0);
        }
    };
    let mut added = 0;
    for d in due {
        added += code::Entity::insert(code::ActiveModel {
            id: Set(new_id()),
            code_key: Set(d.key),
            accompaniment_id: Set(a.id.clone()),
            pharmacy_id: Set(a.pharmacy_id.clone()),
            code: Set(d.code),
            cycle: Set(d.cycle as i32),
            due_on: Set(d.due_on),
            amount_cents: Set(d.amount_cents),
            created_at: Set(now),
        })
        .on_conflict(OnConflict::column(code::Column::CodeKey).do_nothing().to_owned())
        .exec_without_returning(db)
        .await? as usize;
    }
    Ok(added)
}

/// Codes in scope (a pharmacy's own; an establishment's patients'), by due date.
pub async fn codes(db: &impl ConnectionTrait, scope: &Scope) -> Result<Vec<(code::Model, acc::Model)>, DbErr> {
    let accs = match scope {
        Scope::Pharmacy(id) => acc::Entity::find().filter(acc::Column::PharmacyId.eq(id)).all(db).await?,
        Scope::Establishment(id) => acc::Entity::find().filter(acc::Column::EstablishmentId.eq(id)).all(db).await?,
        Scope::Gp(_) => return Ok(vec![]),
    };
    if accs.is_empty() {
        return Ok(vec![]);
    }
    let ids: Vec<String> = accs.iter().map(|a| a.id.clone()).collect();
    let rows = code::Entity::find()
        .filter(code::Column::AccompanimentId.is_in(ids))
        .order_by_asc(code::Column::DueOn)
        .order_by_asc(code::Column::CodeKey)
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|c| accs.iter().find(|a| a.id == c.accompaniment_id).map(|a| (c, a.clone())))
        .collect())
}

/// Interviews recorded for an accompaniment, oldest first.
pub async fn interviews_of(db: &impl ConnectionTrait, accompaniment_id: &str) -> Result<Vec<interview::Model>, DbErr> {
    interview::Entity::find()
        .filter(interview::Column::AccompanimentId.eq(accompaniment_id))
        .order_by_asc(interview::Column::DoneOn)
        .all(db)
        .await
}

/// The accompaniment of a patient by a pharmacy, if an interview opened it.
pub async fn accompaniment_of(
    db: &impl ConnectionTrait,
    patient_id: &str,
    pharmacy_id: &str,
) -> Result<Option<acc::Model>, DbErr> {
    acc::Entity::find()
        .filter(acc::Column::PatientId.eq(patient_id))
        .filter(acc::Column::PharmacyId.eq(pharmacy_id))
        .one(db)
        .await
}

/// The codes due of one accompaniment, by due date.
pub async fn codes_of(db: &impl ConnectionTrait, accompaniment_id: &str) -> Result<Vec<code::Model>, DbErr> {
    code::Entity::find()
        .filter(code::Column::AccompanimentId.eq(accompaniment_id))
        .order_by_asc(code::Column::DueOn)
        .order_by_asc(code::Column::CodeKey)
        .all(db)
        .await
}
