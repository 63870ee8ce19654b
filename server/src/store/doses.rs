//! Dose occurrences: planned per local day from the regimen, reminded, confirmed by the
//! patient or closed as missed.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};

use super::StoredValueError;
use super::due_work::{MAX_IDS, rows_per_insert};
use super::entities::{dose, episode, patient, regimen_line};
use crate::domain::adherence::DoseStatus;
use crate::domain::triage::Locale;

/// Inserts planned doses; an occurrence already planned (same line, same instant) is kept.
pub async fn insert_many(db: &impl ConnectionTrait, rows: Vec<dose::Model>) -> Result<(), DbErr> {
    for chunk in rows.chunks(rows_per_insert(14)) {
        let models = chunk.iter().cloned().map(|m| {
            let mut am: dose::ActiveModel = m.into();
            am.id = Set(am.id.take().unwrap_or_default());
            am
        });
        dose::Entity::insert_many(models)
            .on_conflict_do_nothing_on([dose::Column::LineId, dose::Column::DueAt])
            .exec_without_returning(db)
            .await?;
    }
    Ok(())
}

pub async fn get(db: &impl ConnectionTrait, id: &str) -> Result<Option<dose::Model>, DbErr> {
    dose::Entity::find_by_id(id.to_owned()).one(db).await
}

pub async fn by_ids(db: &impl ConnectionTrait, ids: Vec<String>) -> Result<Vec<dose::Model>, DbErr> {
    let mut out = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(MAX_IDS) {
        out.extend(dose::Entity::find().filter(dose::Column::Id.is_in(chunk.to_vec())).all(db).await?);
    }
    Ok(out)
}

/// The doses of a patient's local day, in time order.
pub async fn of_day(db: &impl ConnectionTrait, patient_id: &str, day: NaiveDate) -> Result<Vec<dose::Model>, DbErr> {
    dose::Entity::find()
        .filter(dose::Column::PatientId.eq(patient_id))
        .filter(dose::Column::LocalDate.eq(day))
        .filter(dose::Column::Status.ne("cancelled"))
        .order_by_asc(dose::Column::DueAt)
        .order_by_asc(dose::Column::Drug)
        .all(db)
        .await
}

/// The doses of an episode whose local date is in [from, to].
pub async fn of_episode_between(
    db: &impl ConnectionTrait,
    episode_id: &str,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<dose::Model>, DbErr> {
    dose::Entity::find()
        .filter(dose::Column::EpisodeId.eq(episode_id))
        .filter(dose::Column::LocalDate.gte(from))
        .filter(dose::Column::LocalDate.lte(to))
        .filter(dose::Column::Status.ne("cancelled"))
        .order_by_asc(dose::Column::DueAt)
        .all(db)
        .await
}

/// The doses still pending among these; an unknown stored status is an error naming the row.
pub fn pending(ds: &[dose::Model]) -> Result<Vec<&dose::Model>, StoredValueError> {
    let mut out = Vec::new();
    for d in ds {
        if d.outcome()? == Some(DoseStatus::Pending) {
            out.push(d);
        }
    }
    Ok(out)
}

/// Sets the outcome of a dose if it is still `from` (a status or a list of them).
pub async fn report(
    db: &impl ConnectionTrait,
    id: &str,
    from: &[&str],
    status: &str,
    taken_at: Option<DateTime<Utc>>,
    late: bool,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let r = dose::Entity::update_many()
        .col_expr(dose::Column::Status, Expr::value(status))
        .col_expr(dose::Column::ReportedAt, Expr::value(now))
        .col_expr(dose::Column::TakenAt, Expr::value(taken_at))
        .col_expr(dose::Column::Late, Expr::value(late))
        .filter(dose::Column::Id.eq(id))
        .filter(dose::Column::Status.is_in(from.iter().map(|s| s.to_string())))
        .exec(db)
        .await?;
    Ok(r.rows_affected == 1)
}

/// Puts a confirmed dose back to `back` (pending or missed), if it is still in the confirmation
/// `status` made at `reported_at`; false if something changed it meanwhile.
pub async fn undo(
    db: &impl ConnectionTrait,
    id: &str,
    status: &str,
    reported_at: Option<DateTime<Utc>>,
    back: &str,
) -> Result<bool, DbErr> {
    let r = dose::Entity::update_many()
        .col_expr(dose::Column::Status, Expr::value(back))
        .col_expr(dose::Column::ReportedAt, Expr::value(Option::<DateTime<Utc>>::None))
        .col_expr(dose::Column::TakenAt, Expr::value(Option::<DateTime<Utc>>::None))
        .col_expr(dose::Column::Late, Expr::value(false))
        .filter(dose::Column::Id.eq(id))
        .filter(dose::Column::Status.eq(status))
        .filter(dose::Column::ReportedAt.eq(reported_at))
        .exec(db)
        .await?;
    Ok(r.rows_affected == 1)
}

/// Closes still-pending doses as missed.
pub async fn close_missed(db: &impl ConnectionTrait, ids: Vec<String>) -> Result<u64, DbErr> {
    let mut n = 0;
    for chunk in ids.chunks(MAX_IDS) {
        n += dose::Entity::update_many()
            .col_expr(dose::Column::Status, Expr::value("missed"))
            .filter(dose::Column::Id.is_in(chunk.to_vec()))
            .filter(dose::Column::Status.eq("pending"))
            .exec(db)
            .await?
            .rows_affected;
    }
    Ok(n)
}

/// Counts a reminder sent for these doses.
pub async fn count_reminder(db: &impl ConnectionTrait, ids: Vec<String>) -> Result<(), DbErr> {
    for chunk in ids.chunks(MAX_IDS) {
        dose::Entity::update_many()
            .col_expr(dose::Column::RemindersSent, Expr::col(dose::Column::RemindersSent).add(1))
            .filter(dose::Column::Id.is_in(chunk.to_vec()))
            .exec(db)
            .await?;
    }
    Ok(())
}

/// Cancels the pending doses of an episode due after `after` and, if given, on or after the
/// local date `from` (episode ended, dose changed): their reminders find them cancelled and
/// send nothing.
pub async fn cancel_future(
    db: &impl ConnectionTrait,
    episode_id: &str,
    after: DateTime<Utc>,
    from: Option<NaiveDate>,
) -> Result<u64, DbErr> {
    let mut q = dose::Entity::update_many()
        .col_expr(dose::Column::Status, Expr::value("cancelled"))
        .filter(dose::Column::EpisodeId.eq(episode_id))
        .filter(dose::Column::Status.eq("pending"))
        .filter(dose::Column::DueAt.gt(after));
    if let Some(day) = from {
        q = q.filter(dose::Column::LocalDate.gte(day));
    }
    q.exec(db).await.map(|r| r.rows_affected)
}

/// The locale of each of these patients, in one query per few thousand patients (reminders
/// come by the thousand; a query per patient would dominate the dispatch). An unknown stored
/// locale is an error naming the patient's row (docs/design.md, "Stored values").
pub async fn patient_locales(
    db: &impl ConnectionTrait,
    patient_ids: &[String],
) -> Result<HashMap<String, Locale>, DbErr> {
    let mut out = HashMap::with_capacity(patient_ids.len());
    for chunk in patient_ids.chunks(MAX_IDS) {
        let rows: Vec<(String, String)> = patient::Entity::find()
            .select_only()
            .column(patient::Column::Id)
            .column(patient::Column::Locale)
            .filter(patient::Column::Id.is_in(chunk.to_vec()))
            .into_tuple()
            .all(db)
            .await?;
        for (id, locale) in rows {
            let Some(l) = Locale::parse(&locale) else {
                return Err(StoredValueError::new("patients", &id, "locale", &locale).into());
            };
            out.insert(id, l);
        }
    }
    Ok(out)
}

/// What planning the doses of these episodes reads: the episodes, their patients and their
/// regimen lines in force (as [`super::episodes::active_regimen`], drug order), in three queries
/// per few thousand episodes instead of three per episode.
pub struct PlanningInputs {
    pub episodes: Vec<episode::Model>,
    pub patients: HashMap<String, patient::Model>,
    pub lines: HashMap<String, Vec<regimen_line::Model>>,
}

pub async fn planning_inputs(db: &impl ConnectionTrait, episode_ids: &[String]) -> Result<PlanningInputs, DbErr> {
    let mut episodes = Vec::with_capacity(episode_ids.len());
    for chunk in episode_ids.chunks(MAX_IDS) {
        episodes.extend(episode::Entity::find().filter(episode::Column::Id.is_in(chunk.to_vec())).all(db).await?);
    }
    let mut patient_ids: Vec<String> = episodes.iter().map(|e| e.patient_id.clone()).collect();
    patient_ids.sort();
    patient_ids.dedup();
    let mut patients = HashMap::with_capacity(patient_ids.len());
    for chunk in patient_ids.chunks(MAX_IDS) {
        for p in patient::Entity::find().filter(patient::Column::Id.is_in(chunk.to_vec())).all(db).await? {
            patients.insert(p.id.clone(), p);
        }
    }
    let mut lines: HashMap<String, Vec<regimen_line::Model>> = HashMap::with_capacity(episodes.len());
    for chunk in episode_ids.chunks(MAX_IDS) {
        let rows = regimen_line::Entity::find()
            .filter(regimen_line::Column::EpisodeId.is_in(chunk.to_vec()))
            .filter(regimen_line::Column::EndDate.is_null())
            .order_by_asc(regimen_line::Column::EpisodeId)
            .order_by_asc(regimen_line::Column::Drug)
            .all(db)
            .await?;
        for l in rows {
            lines.entry(l.episode_id.clone()).or_default().push(l);
        }
    }
    Ok(PlanningInputs { episodes, patients, lines })
}

/// Doses still pending whose time came before `before`, oldest first (the demo's simulated
/// patients answer them).
pub async fn pending_before(db: &impl ConnectionTrait, before: DateTime<Utc>) -> Result<Vec<dose::Model>, DbErr> {
    dose::Entity::find()
        .filter(dose::Column::Status.eq("pending"))
        .filter(dose::Column::DueAt.lte(before))
        .order_by_asc(dose::Column::DueAt)
        .all(db)
        .await
}

/// Doses reported vomited since an instant, for these patients (the pharmacist's view).
pub async fn vomited_since(
    db: &impl ConnectionTrait,
    patient_ids: &[String],
    since: DateTime<Utc>,
) -> Result<Vec<dose::Model>, DbErr> {
    let mut out = Vec::new();
    for chunk in patient_ids.chunks(MAX_IDS) {
        out.extend(
            dose::Entity::find()
                .filter(dose::Column::PatientId.is_in(chunk.to_vec()))
                .filter(dose::Column::Status.eq("vomited"))
                .filter(dose::Column::DueAt.gte(since))
                .order_by_asc(dose::Column::DueAt)
                .all(db)
                .await?,
        );
    }
    Ok(out)
}
