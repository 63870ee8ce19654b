//! Episodes and their sequences, care teams, regimen lines and co-medications: enrolment, the
//! professionals' decisions, ending an episode, changing a regimen, and applying sequence
//! transitions. Every function here runs inside the caller's transaction.

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    sea_query::Expr,
};

use super::entities::{care_team, comedication, episode, patient, pharmacy, professional, regimen_line, sequence};
use super::stored_value::StoredStep;
use super::{StoredValueError, new_id};
use crate::domain::access::Role;
use crate::domain::enrolment::{NewEnrolment, RegimenLine, TeamRequest};
use crate::domain::pathway::{self, Current, EndReason, Next, PathwayRules};
use crate::domain::regimen::Cycle;
use crate::domain::{FieldError, Parcours, Sequence};

#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error(transparent)]
    Field(#[from] FieldError),
    #[error(transparent)]
    Db(#[from] DbErr),
}

impl From<StoredValueError> for WriteError {
    fn from(e: StoredValueError) -> Self {
        Self::Db(e.into())
    }
}

pub struct Enrolled {
    pub patient_id: String,
    pub episode_id: String,
}

/// Checks the team against the database: each person exists, is active, has the role the slot
/// needs and (for hospital roles) belongs to the enrolling establishment.
pub async fn check_team(
    db: &impl ConnectionTrait,
    t: &TeamRequest,
    establishment_id: &str,
    prefix: &str,
) -> Result<(), WriteError> {
    let slots = [
        ("idec", Some(&t.idec), Role::Idec),
        ("oncologist", Some(&t.oncologist), Role::Oncologist),
        ("hospital_pharmacist", t.hospital_pharmacist.as_ref(), Role::HospitalPharmacist),
        ("gp", t.gp.as_ref(), Role::Gp),
        ("community_nurse", t.community_nurse.as_ref(), Role::CommunityNurse),
    ];
    let field_of = |slot: &str| if prefix.is_empty() { slot.to_owned() } else { format!("{prefix}.{slot}") };
    for (slot, id, role) in slots {
        let Some(id) = id else { continue };
        let field = field_of(slot);
        let p = professional::Entity::find_by_id(id.clone()).one(db).await?;
        let Some(p) = p.filter(|p| p.active) else {
            return Err(FieldError::new(field, "no active professional with this id").into());
        };
        if p.role()? != role {
            return Err(
                FieldError::new(field, format!("this professional is a {}, not a {}", p.role, role.as_str())).into()
            );
        }
        if role.is_hospital() && p.establishment_id.as_deref() != Some(establishment_id) {
            return Err(FieldError::new(field, "this professional works for another establishment").into());
        }
    }
    if let Some(ph) = &t.community_pharmacy
        && pharmacy::Entity::find_by_id(ph.clone()).one(db).await?.is_none()
    {
        return Err(FieldError::new(field_of("community_pharmacy"), "no pharmacy with this id").into());
    }
    Ok(())
}

/// Writes a new patient with the episode, its S1, its team and its regimen.
pub async fn enrol(
    db: &impl ConnectionTrait,
    e: &NewEnrolment,
    establishment_id: &str,
    by: &str,
    rules: &PathwayRules,
    now: DateTime<Utc>,
) -> Result<Enrolled, WriteError> {
    check_team(db, &e.team, establishment_id, "episode.team").await?;
    let patient_id = new_id();
    patient::Entity::insert(patient::ActiveModel {
        id: Set(patient_id.clone()),
        establishment_id: Set(establishment_id.to_owned()),
        family_name: Set(e.family_name.clone()),
        given_name: Set(e.given_name.clone()),
        birth_date: Set(e.birth_date),
        ins: Set(e.ins.as_ref().map(|i| i.to_string())),
        phone: Set(e.phone.as_ref().map(|p| p.to_string())),
        email: Set(e.email.as_ref().map(|m| m.to_string())),
        time_zone: Set(e.time_zone.name().to_owned()),
        locale: Set(e.locale.clone()),
        created_at: Set(now),
        created_by: Set(by.to_owned()),
    })
    .exec_without_returning(db)
    .await?;
    let episode_id = open_episode(
        db,
        &patient_id,
        establishment_id,
        e.parcours,
        e.indication.as_deref(),
        e.start_date,
        e.baseline_weight_kg,
        None,
        &e.team,
        &e.regimen,
        by,
        rules,
        now,
    )
    .await?;
    Ok(Enrolled { patient_id, episode_id })
}

/// Opens an episode at S1 with its team and regimen, and starts its planning (doses and
/// questionnaires) from `now`.
#[allow(clippy::too_many_arguments)]
pub async fn open_episode(
    db: &impl ConnectionTrait,
    patient_id: &str,
    establishment_id: &str,
    parcours: Parcours,
    indication: Option<&str>,
    start: NaiveDate,
    baseline_weight_kg: Option<f64>,
    previous_episode_id: Option<&str>,
    team: &TeamRequest,
    regimen: &[RegimenLine],
    by: &str,
    rules: &PathwayRules,
    now: DateTime<Utc>,
) -> Result<String, DbErr> {
    let episode_id = new_id();
    episode::Entity::insert(episode::ActiveModel {
        id: Set(episode_id.clone()),
        patient_id: Set(patient_id.to_owned()),
        establishment_id: Set(establishment_id.to_owned()),
        parcours: Set(parcours.as_str().to_owned()),
        indication: Set(indication.map(Into::into)),
        start_date: Set(start),
        end_date: Set(None),
        end_reason: Set(None),
        baseline_weight_kg: Set(baseline_weight_kg),
        previous_episode_id: Set(previous_episode_id.map(Into::into)),
        created_at: Set(now),
        created_by: Set(by.to_owned()),
    })
    .exec_without_returning(db)
    .await?;
    insert_sequence(db, &episode_id, 1, Sequence::S1, 0, start, rules.planned_end(Sequence::S1, start), false, now)
        .await?;
    care_team::Entity::insert(care_team::ActiveModel {
        id: Set(new_id()),
        episode_id: Set(episode_id.clone()),
        idec_id: Set(team.idec.clone()),
        oncologist_id: Set(team.oncologist.clone()),
        hospital_pharmacist_id: Set(team.hospital_pharmacist.clone()),
        pharmacy_id: Set(team.community_pharmacy.clone()),
        gp_id: Set(team.gp.clone()),
        community_nurse_id: Set(team.community_nurse.clone()),
        valid_from: Set(start),
        valid_to: Set(None),
        created_at: Set(now),
        changed_by: Set(None),
    })
    .exec_without_returning(db)
    .await?;
    insert_regimen(db, &episode_id, regimen, None, by, now).await?;
    // An episode never opens without its planning (docs/operations.md, "Self-check").
    super::due_work::schedule_episode_planning(db, &episode_id, now).await?;
    Ok(episode_id)
}

#[allow(clippy::too_many_arguments)]
async fn insert_sequence(
    db: &impl ConnectionTrait,
    episode_id: &str,
    ordinal: i32,
    kind: Sequence,
    renewal_index: u32,
    start: NaiveDate,
    planned_end: NaiveDate,
    automatic: bool,
    now: DateTime<Utc>,
) -> Result<String, DbErr> {
    let id = new_id();
    sequence::Entity::insert(sequence::ActiveModel {
        id: Set(id.clone()),
        episode_id: Set(episode_id.to_owned()),
        ordinal: Set(ordinal),
        kind: Set(kind.as_str().to_owned()),
        renewal_index: Set(renewal_index as i32),
        start_date: Set(start),
        planned_end_date: Set(planned_end),
        actual_end_date: Set(None),
        state: Set("active".into()),
        automatic: Set(automatic),
        decision: Set(None),
        decision_by: Set(None),
        decision_at: Set(None),
        created_at: Set(now),
    })
    .exec_without_returning(db)
    .await?;
    Ok(id)
}

async fn insert_regimen(
    db: &impl ConnectionTrait,
    episode_id: &str,
    lines: &[RegimenLine],
    replaces: Option<&[regimen_line::Model]>,
    by: &str,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    for l in lines {
        let times: Vec<String> = l.times.iter().map(|t| t.format("%H:%M").to_string()).collect();
        let replaces_id = replaces.and_then(|old| old.iter().find(|o| o.drug == l.drug)).map(|o| o.id.clone());
        regimen_line::Entity::insert(regimen_line::ActiveModel {
            id: Set(new_id()),
            episode_id: Set(episode_id.to_owned()),
            drug: Set(l.drug.clone()),
            dose: Set(l.dose.clone()),
            times: Set(serde_json::to_string(&times).unwrap_or_default()),
            // The old columns keep a one-block cycle readable by the previous release.
            cycle_on_days: Set(l.cycle.as_ref().and_then(Cycle::as_on_off).map(|c| i32::from(c.0))),
            cycle_off_days: Set(l.cycle.as_ref().and_then(Cycle::as_on_off).map(|c| i32::from(c.1))),
            cycle_length_days: Set(l.cycle.as_ref().map(|c| i32::from(c.length))),
            cycle_on: Set(l.cycle.as_ref().map(|c| serde_json::to_string(&c.on).unwrap_or_default())),
            dose_steps: Set((!l.steps.is_empty()).then(|| {
                let steps: Vec<StoredStep> =
                    l.steps.iter().map(|s| StoredStep { from_day: s.from_day, dose: s.dose.clone() }).collect();
                serde_json::to_string(&steps).unwrap_or_default()
            })),
            dose_computation: Set(l.computation.as_ref().map(|c| serde_json::to_string(c).unwrap_or_default())),
            start_date: Set(l.start_date),
            end_date: Set(None),
            replaces_id: Set(replaces_id),
            created_at: Set(now),
            created_by: Set(by.to_owned()),
        })
        .exec_without_returning(db)
        .await?;
    }
    Ok(())
}

pub async fn get(db: &impl ConnectionTrait, id: &str) -> Result<Option<episode::Model>, DbErr> {
    episode::Entity::find_by_id(id.to_owned()).one(db).await
}

pub async fn sequences(db: &impl ConnectionTrait, episode_id: &str) -> Result<Vec<sequence::Model>, DbErr> {
    sequence::Entity::find()
        .filter(sequence::Column::EpisodeId.eq(episode_id))
        .order_by_asc(sequence::Column::Ordinal)
        .all(db)
        .await
}

pub async fn active_sequence(db: &impl ConnectionTrait, episode_id: &str) -> Result<Option<sequence::Model>, DbErr> {
    sequence::Entity::find()
        .filter(sequence::Column::EpisodeId.eq(episode_id))
        .filter(sequence::Column::State.eq("active"))
        .one(db)
        .await
}

/// Regimen lines in force (not closed by a dose change or the episode's end).
pub async fn active_regimen(db: &impl ConnectionTrait, episode_id: &str) -> Result<Vec<regimen_line::Model>, DbErr> {
    regimen_line::Entity::find()
        .filter(regimen_line::Column::EpisodeId.eq(episode_id))
        .filter(regimen_line::Column::EndDate.is_null())
        .order_by_asc(regimen_line::Column::Drug)
        .all(db)
        .await
}

pub async fn regimen_history(db: &impl ConnectionTrait, episode_id: &str) -> Result<Vec<regimen_line::Model>, DbErr> {
    regimen_line::Entity::find()
        .filter(regimen_line::Column::EpisodeId.eq(episode_id))
        .order_by_asc(regimen_line::Column::CreatedAt)
        .all(db)
        .await
}

pub async fn comedications(db: &impl ConnectionTrait, episode_id: &str) -> Result<Vec<comedication::Model>, DbErr> {
    comedication::Entity::find()
        .filter(comedication::Column::EpisodeId.eq(episode_id))
        .order_by_asc(comedication::Column::DeclaredAt)
        .all(db)
        .await
}

pub async fn add_comedication(
    db: &impl ConnectionTrait,
    episode_id: &str,
    name: &str,
    tags: &[String],
    by_kind: &str,
    by_id: &str,
    now: DateTime<Utc>,
) -> Result<String, DbErr> {
    let id = new_id();
    comedication::Entity::insert(comedication::ActiveModel {
        id: Set(id.clone()),
        episode_id: Set(episode_id.to_owned()),
        name: Set(name.to_owned()),
        tags: Set(serde_json::to_string(tags).unwrap_or_else(|_| "[]".into())),
        declared_by_kind: Set(by_kind.to_owned()),
        declared_by_id: Set(by_id.to_owned()),
        declared_at: Set(now),
        stopped_at: Set(None),
    })
    .exec_without_returning(db)
    .await?;
    Ok(id)
}

/// Records (or replaces) the decision for the end of the active sequence.
pub async fn record_decision(
    db: &impl ConnectionTrait,
    sequence_id: &str,
    decision: pathway::Decision,
    by: &str,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    sequence::Entity::update_many()
        .col_expr(sequence::Column::Decision, Expr::value(decision.as_str()))
        .col_expr(sequence::Column::DecisionBy, Expr::value(by))
        .col_expr(sequence::Column::DecisionAt, Expr::value(now))
        .filter(sequence::Column::Id.eq(sequence_id))
        .filter(sequence::Column::State.eq("active"))
        .exec(db)
        .await
        .map(|_| ())
}

/// Ends an episode on `on` (local date): the active sequence ends (or is cancelled for an
/// inclusion error on its first day), regimen lines and the team are closed. Returns false if
/// the episode had already ended.
pub async fn end_episode(
    db: &impl ConnectionTrait,
    ep: &episode::Model,
    reason: EndReason,
    on: NaiveDate,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let updated = episode::Entity::update_many()
        .col_expr(episode::Column::EndDate, Expr::value(on))
        .col_expr(episode::Column::EndReason, Expr::value(reason.as_str()))
        .filter(episode::Column::Id.eq(&ep.id))
        .filter(episode::Column::EndDate.is_null())
        .exec(db)
        .await?;
    if updated.rows_affected == 0 {
        return Ok(false);
    }
    // Nothing more is reminded from now on.
    super::doses::cancel_future(db, &ep.id, now, None).await?;
    if let Some(seq) = active_sequence(db, &ep.id).await? {
        let current = current_of(&seq)?;
        let state = pathway::state_when_episode_ends(current, reason, on);
        sequence::Entity::update_many()
            .col_expr(sequence::Column::State, Expr::value(state))
            .col_expr(sequence::Column::ActualEndDate, Expr::value(on))
            .filter(sequence::Column::Id.eq(&seq.id))
            .exec(db)
            .await?;
    }
    regimen_line::Entity::update_many()
        .col_expr(regimen_line::Column::EndDate, Expr::value(on))
        .filter(regimen_line::Column::EpisodeId.eq(&ep.id))
        .filter(regimen_line::Column::EndDate.is_null())
        .exec(db)
        .await?;
    // Every version still in force on `on`, or planned after it, ends that day.
    care_team::Entity::update_many()
        .col_expr(care_team::Column::ValidTo, Expr::value(on))
        .filter(care_team::Column::EpisodeId.eq(&ep.id))
        .filter(
            sea_orm::Condition::any().add(care_team::Column::ValidTo.is_null()).add(care_team::Column::ValidTo.gt(on)),
        )
        .exec(db)
        .await?;
    Ok(true)
}

/// Same drugs, new doses or times: the lines in force close on `on` and new ones open. Doses
/// planned after `now` are cancelled; the caller schedules a new planning.
pub async fn replace_regimen(
    db: &impl ConnectionTrait,
    episode_id: &str,
    lines: &[RegimenLine],
    on: NaiveDate,
    by: &str,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let old = active_regimen(db, episode_id).await?;
    super::doses::cancel_future(db, episode_id, now, Some(on)).await?;
    regimen_line::Entity::update_many()
        .col_expr(regimen_line::Column::EndDate, Expr::value(on))
        .filter(regimen_line::Column::EpisodeId.eq(episode_id))
        .filter(regimen_line::Column::EndDate.is_null())
        .exec(db)
        .await?;
    insert_regimen(db, episode_id, lines, Some(&old), by, now).await?;
    // The new lines' doses are planned from now, in the same transaction.
    super::due_work::schedule_dose_planning(db, episode_id, now).await
}

pub fn current_of(seq: &sequence::Model) -> Result<Current, StoredValueError> {
    Ok(Current {
        kind: seq.kind()?,
        renewal_index: seq.renewal_index.max(0) as u32,
        start: seq.start_date,
        planned_end: seq.planned_end_date,
    })
}

/// Active sequences whose planned end is on or before `until` (a UTC date far enough ahead to
/// cover every time zone; the caller checks each against its patient's local date), each with
/// its patient's zone, or the error that stops this one sequence (an unknown stored zone).
pub async fn sequences_ending_by(
    db: &impl ConnectionTrait,
    until: NaiveDate,
    offset: u64,
    limit: u64,
) -> Result<Vec<(sequence::Model, Result<chrono_tz::Tz, DbErr>)>, DbErr> {
    let seqs = sequence::Entity::find()
        .filter(sequence::Column::State.eq("active"))
        .filter(sequence::Column::PlannedEndDate.lte(until))
        .order_by_asc(sequence::Column::PlannedEndDate)
        .order_by_asc(sequence::Column::Id)
        .offset(offset)
        .limit(limit)
        .all(db)
        .await?;
    let mut out = Vec::with_capacity(seqs.len());
    for s in seqs {
        let patient = match get(db, &s.episode_id).await? {
            Some(ep) => super::patients::get(db, &ep.patient_id).await?,
            None => None,
        };
        // The foreign keys guarantee the episode and the patient; a zone is read, never assumed.
        let tz = match patient {
            Some(p) => p.time_zone().map_err(DbErr::from),
            None => Err(DbErr::RecordNotFound(format!("the patient of sequence {}", s.id))),
        };
        out.push((s, tz));
    }
    Ok(out)
}

/// Closes `seq` at its planned end and opens `next`. The conditional update is the claim: when
/// two instances race, only one sees `active` and the other changes nothing (false).
pub async fn complete_and_open(
    db: &impl ConnectionTrait,
    seq: &sequence::Model,
    next: &Next,
    now: DateTime<Utc>,
) -> Result<Option<String>, DbErr> {
    let claimed = sequence::Entity::update_many()
        .col_expr(sequence::Column::State, Expr::value("completed"))
        .col_expr(sequence::Column::ActualEndDate, Expr::value(seq.planned_end_date))
        .filter(sequence::Column::Id.eq(&seq.id))
        .filter(sequence::Column::State.eq("active"))
        .exec(db)
        .await?;
    if claimed.rows_affected == 0 {
        return Ok(None);
    }
    let id = insert_sequence(
        db,
        &seq.episode_id,
        seq.ordinal + 1,
        next.kind,
        next.renewal_index,
        next.start,
        next.planned_end,
        next.automatic,
        now,
    )
    .await?;
    // A sequence change (renewal included) re-plans the doses in the same transaction, so the
    // day chain cannot be lost across it.
    super::due_work::schedule_dose_planning(db, &seq.episode_id, now).await?;
    Ok(Some(id))
}

/// The regimen lines of the domain, from store rows; a line whose times do not read is an error
/// naming it (docs/design.md, "Stored values"), never a line with no dose.
pub fn lines_of(rows: &[regimen_line::Model]) -> Result<Vec<crate::domain::regimen::Line>, super::StoredValueError> {
    rows.iter()
        .map(|l| {
            Ok(crate::domain::regimen::Line {
                id: l.id.clone(),
                drug: l.drug.clone(),
                times: l.times()?.iter().filter_map(|t| crate::domain::parse_hhmm(t)).collect(),
                cycle: l.cycle()?,
                dose: l.dose.clone(),
                steps: l.steps()?,
                start: l.start_date,
                end: l.end_date,
                paused_from: None,
                paused_until: None,
            })
        })
        .collect()
}
