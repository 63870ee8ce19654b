//! The durable due-work queue: rows with a `due_at` (UTC), claimed in batches inside the
//! transaction that performs them (`FOR UPDATE SKIP LOCKED` on PostgreSQL, so instances never
//! take the same row; SQLite has a single writer), then completed in that same transaction. A
//! crash rolls the batch back and its rows are claimable again at once, so nothing is lost; an
//! item whose work failed waits until its `lease_until` before it is tried again.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, LockBehavior, LockType, OnConflict};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};

use super::entities::due_work;
use super::{is_postgres, new_id};

/// Bound parameters per statement we allow ourselves: under SQLite's 32,766 and PostgreSQL's
/// 65,535, so a whole batch of the dispatcher goes in one statement per table.
const MAX_PARAMS: usize = 30_000;

/// Ids per `IN (...)` list.
pub(super) const MAX_IDS: usize = 5_000;

/// Rows per multi-row INSERT of a table of `columns` columns.
pub(super) const fn rows_per_insert(columns: usize) -> usize {
    MAX_PARAMS / columns
}

/// What kind of work a row asks for: the `kind` column. The stored strings are the contract
/// with the rows already in a database (and the previous release's, tests/fixtures): they never
/// change. [`WorkKind::parse`] and [`WorkKind::as_str`] are the only translation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum WorkKind {
    /// Subject: an episode. Plans one local day of doses and schedules the next day.
    PlanDay,
    /// Subject: a dose. The reminder at the dose's time.
    DoseReminder,
    /// Subject: a dose. The reminder repeated once if the dose is still not confirmed.
    DoseRepeat,
    /// Subject: a dose. The end of the dose's window: still pending is missed.
    DoseClose,
    /// Subject: an episode. Plans the episode's next questionnaire.
    QuestionnairePlan,
    /// Subject: a questionnaire. Tells the patient, judges the previous ones, plans the next.
    QuestionnaireDue,
    /// Subject: a dispensation. Reminds the patient to renew before running out, unless a later
    /// dispensation of the drug was recorded since (docs/domain.md, "Dispensations").
    RefillReminder,
}

impl WorkKind {
    pub const ALL: [WorkKind; 7] = [
        WorkKind::PlanDay,
        WorkKind::DoseReminder,
        WorkKind::DoseRepeat,
        WorkKind::DoseClose,
        WorkKind::QuestionnairePlan,
        WorkKind::QuestionnaireDue,
        WorkKind::RefillReminder,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            WorkKind::PlanDay => "plan_day",
            WorkKind::DoseReminder => "dose_reminder",
            WorkKind::DoseRepeat => "dose_repeat",
            WorkKind::DoseClose => "dose_close",
            WorkKind::QuestionnairePlan => "questionnaire_plan",
            WorkKind::QuestionnaireDue => "questionnaire_due",
            WorkKind::RefillReminder => "refill_reminder",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// One piece of due work: its kind and its subject, typed. Producers build this; the `kind` and
/// `subject_id` columns are its stored form.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum DueWork {
    PlanDay { episode_id: String },
    DoseReminder { dose_id: String },
    DoseRepeat { dose_id: String },
    DoseClose { dose_id: String },
    QuestionnairePlan { episode_id: String },
    QuestionnaireDue { questionnaire_id: String },
    RefillReminder { dispensation_id: String },
}

impl DueWork {
    pub fn kind(&self) -> WorkKind {
        match self {
            DueWork::PlanDay { .. } => WorkKind::PlanDay,
            DueWork::DoseReminder { .. } => WorkKind::DoseReminder,
            DueWork::DoseRepeat { .. } => WorkKind::DoseRepeat,
            DueWork::DoseClose { .. } => WorkKind::DoseClose,
            DueWork::QuestionnairePlan { .. } => WorkKind::QuestionnairePlan,
            DueWork::QuestionnaireDue { .. } => WorkKind::QuestionnaireDue,
            DueWork::RefillReminder { .. } => WorkKind::RefillReminder,
        }
    }

    /// The id the work is about (an episode, a dose, a questionnaire or a dispensation, per its
    /// kind).
    pub fn subject(&self) -> &str {
        match self {
            DueWork::PlanDay { episode_id } | DueWork::QuestionnairePlan { episode_id } => episode_id,
            DueWork::DoseReminder { dose_id } | DueWork::DoseRepeat { dose_id } | DueWork::DoseClose { dose_id } => {
                dose_id
            }
            DueWork::QuestionnaireDue { questionnaire_id } => questionnaire_id,
            DueWork::RefillReminder { dispensation_id } => dispensation_id,
        }
    }

    /// The work of a kind about a subject.
    pub fn new(kind: WorkKind, subject: String) -> Self {
        match kind {
            WorkKind::PlanDay => DueWork::PlanDay { episode_id: subject },
            WorkKind::DoseReminder => DueWork::DoseReminder { dose_id: subject },
            WorkKind::DoseRepeat => DueWork::DoseRepeat { dose_id: subject },
            WorkKind::DoseClose => DueWork::DoseClose { dose_id: subject },
            WorkKind::QuestionnairePlan => DueWork::QuestionnairePlan { episode_id: subject },
            WorkKind::QuestionnaireDue => DueWork::QuestionnaireDue { questionnaire_id: subject },
            WorkKind::RefillReminder => DueWork::RefillReminder { dispensation_id: subject },
        }
    }

    /// The work a stored row asks for; a kind no job knows is an error naming the row.
    pub fn of_row(row: &due_work::Model) -> Result<Self, UnknownKind> {
        match WorkKind::parse(&row.kind) {
            Some(kind) => Ok(Self::new(kind, row.subject_id.clone())),
            None => Err(UnknownKind { id: row.id.clone(), kind: row.kind.clone() }),
        }
    }
}

/// A stored row whose kind no job performs (a row written by hand, or by a newer release).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("no job performs due work of kind `{kind}` (due_work row {id})")]
pub struct UnknownKind {
    pub id: String,
    pub kind: String,
}

/// A claimed row, typed: what the jobs perform.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claimed {
    /// The row's id, to complete it or record its failure.
    pub id: String,
    pub due_at: DateTime<Utc>,
    pub work: DueWork,
}

/// Starts (or restarts) an episode's planning from `at`: its doses and its questionnaires. The
/// one function every path that opens or changes an episode goes through, inside the
/// transaction that opens or changes it, so no treatment is ever left without its reminders.
pub async fn schedule_episode_planning(
    db: &impl ConnectionTrait,
    episode_id: &str,
    at: DateTime<Utc>,
) -> Result<(), DbErr> {
    schedule_again(db, &DueWork::PlanDay { episode_id: episode_id.to_owned() }, at, at).await?;
    schedule_questionnaire_planning(db, episode_id, at).await
}

/// Moves the start of an episode's planning to `at`: its open planning items are replaced. For
/// the demo, whose simulated history starts after some of its patients were included.
pub async fn restart_episode_planning(
    db: &impl ConnectionTrait,
    episode_id: &str,
    at: DateTime<Utc>,
) -> Result<(), DbErr> {
    due_work::Entity::delete_many()
        .filter(due_work::Column::SubjectId.eq(episode_id))
        .filter(due_work::Column::Kind.is_in([WorkKind::PlanDay.as_str(), WorkKind::QuestionnairePlan.as_str()]))
        .filter(due_work::Column::DoneAt.is_null())
        .exec(db)
        .await?;
    schedule_episode_planning(db, episode_id, at).await
}

/// Plans an episode's doses again from `at` (a regimen or sequence change): today's remaining
/// doses are planned anew (a dose already planned is kept: doses are unique per line and
/// instant) and the day chain goes on. The questionnaire chain does not depend on the regimen.
pub async fn schedule_dose_planning(
    db: &impl ConnectionTrait,
    episode_id: &str,
    at: DateTime<Utc>,
) -> Result<(), DbErr> {
    schedule_again(db, &DueWork::PlanDay { episode_id: episode_id.to_owned() }, at, at).await
}

/// Restarts an episode's questionnaire chain from `at` (the self-check's repair).
pub async fn schedule_questionnaire_planning(
    db: &impl ConnectionTrait,
    episode_id: &str,
    at: DateTime<Utc>,
) -> Result<(), DbErr> {
    schedule_again(db, &DueWork::QuestionnairePlan { episode_id: episode_id.to_owned() }, at, at).await
}

/// An active episode one of whose planning chains has no open item (a bug, or a row deleted by
/// hand): found by the self-check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unplanned {
    pub episode_id: String,
    pub doses: bool,
    pub questionnaires: bool,
}

/// Active episodes with no open item in their dose chain or their questionnaire chain.
pub async fn episodes_without_planning(db: &impl ConnectionTrait) -> Result<Vec<Unplanned>, DbErr> {
    let (plan_day, questionnaire_plan, questionnaire_due) =
        (WorkKind::PlanDay.as_str(), WorkKind::QuestionnairePlan.as_str(), WorkKind::QuestionnaireDue.as_str());
    let sql = format!(
        "SELECT e.id AS id, \
        CASE WHEN EXISTS (SELECT 1 FROM due_work w WHERE w.kind = '{plan_day}' AND w.subject_id = e.id \
            AND w.done_at IS NULL) THEN 0 ELSE 1 END AS no_doses, \
        CASE WHEN EXISTS (SELECT 1 FROM due_work w WHERE w.kind = '{questionnaire_plan}' AND w.subject_id = e.id \
            AND w.done_at IS NULL) \
          OR EXISTS (SELECT 1 FROM questionnaires q JOIN due_work w ON w.subject_id = q.id \
            AND w.kind = '{questionnaire_due}' AND w.done_at IS NULL WHERE q.episode_id = e.id) \
          THEN 0 ELSE 1 END AS no_questionnaires \
        FROM episodes e WHERE e.end_date IS NULL"
    );
    let rows = db.query_all_raw(sea_orm::Statement::from_string(db.get_database_backend(), sql)).await?;
    let mut out = Vec::new();
    for r in rows {
        let doses = r.try_get::<i32>("", "no_doses")? == 1;
        let questionnaires = r.try_get::<i32>("", "no_questionnaires")? == 1;
        if doses || questionnaires {
            out.push(Unplanned { episode_id: r.try_get("", "id")?, doses, questionnaires });
        }
    }
    Ok(out)
}

/// Deletes done items completed before `before` (retention); returns how many.
pub async fn purge_done(db: &impl ConnectionTrait, before: DateTime<Utc>) -> Result<u64, DbErr> {
    let r = due_work::Entity::delete_many()
        .filter(due_work::Column::DoneAt.is_not_null())
        .filter(due_work::Column::DoneAt.lt(before))
        .exec(db)
        .await?;
    Ok(r.rows_affected)
}

/// One item to schedule: the work and when it is due.
pub type NewItem = (DueWork, DateTime<Utc>);

/// The stored form of a piece of work due at `due_at`.
pub fn new_row(work: &DueWork, due_at: DateTime<Utc>, now: DateTime<Utc>) -> due_work::ActiveModel {
    due_work::ActiveModel {
        id: Set(new_id()),
        kind: Set(work.kind().as_str().to_owned()),
        subject_id: Set(work.subject().to_owned()),
        due_at: Set(due_at),
        attempts: Set(0),
        lease_until: Set(None),
        lease_owner: Set(None),
        done_at: Set(None),
        last_error: Set(None),
        created_at: Set(now),
    }
}

/// Schedules items; an item already scheduled (same kind, subject, instant) is left as it is.
pub async fn schedule(db: &impl ConnectionTrait, items: Vec<NewItem>, now: DateTime<Utc>) -> Result<(), DbErr> {
    for chunk in items.chunks(rows_per_insert(10)) {
        let rows = chunk.iter().map(|(work, due)| new_row(work, *due, now));
        due_work::Entity::insert_many(rows)
            .on_conflict_do_nothing_on([due_work::Column::Kind, due_work::Column::SubjectId, due_work::Column::DueAt])
            .exec_without_returning(db)
            .await?;
    }
    Ok(())
}

/// Schedules an item to be done (again): an identical item already done is made due anew.
/// Used for planning, which must run again after a regimen change even within the same second.
pub async fn schedule_again(
    db: &impl ConnectionTrait,
    work: &DueWork,
    due_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let row = new_row(work, due_at, now);
    due_work::Entity::insert(row)
        .on_conflict(
            OnConflict::columns([due_work::Column::Kind, due_work::Column::SubjectId, due_work::Column::DueAt])
                .update_columns([due_work::Column::DoneAt, due_work::Column::LeaseUntil, due_work::Column::LeaseOwner])
                .to_owned(),
        )
        .exec_without_returning(db)
        .await
        .map(|_| ())
}

/// Claims up to `limit` items due at `now`, oldest first, inside the transaction that will
/// perform them: on PostgreSQL the rows are locked `FOR UPDATE SKIP LOCKED`, so a concurrent
/// worker or instance takes other rows; SQLite's write transaction already excludes every other
/// writer. The locks are the lease: they last until the commit, and a crash rolls everything
/// back. `lease_until` only holds back items whose last attempt failed.
pub async fn claim_in(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    limit: u64,
) -> Result<Vec<due_work::Model>, DbErr> {
    let mut q = due_work::Entity::find()
        .filter(due_work::Column::DoneAt.is_null())
        .filter(due_work::Column::DueAt.lte(now))
        .filter(Condition::any().add(due_work::Column::LeaseUntil.is_null()).add(due_work::Column::LeaseUntil.lt(now)))
        .order_by_asc(due_work::Column::DueAt)
        .limit(limit);
    if is_postgres(db) {
        q = q.lock_with_behavior(LockType::Update, LockBehavior::SkipLocked);
    }
    q.all(db).await
}

/// Marks items done (inside the transaction that wrote their effects).
pub async fn complete(db: &impl ConnectionTrait, ids: &[String], now: DateTime<Utc>) -> Result<(), DbErr> {
    for chunk in ids.chunks(MAX_IDS) {
        due_work::Entity::update_many()
            .col_expr(due_work::Column::DoneAt, Expr::value(now))
            .filter(due_work::Column::Id.is_in(chunk.to_vec()))
            .exec(db)
            .await?;
    }
    Ok(())
}

/// Records a failed attempt: the items are claimed again from `retry_at` on.
pub async fn failed(
    db: &impl ConnectionTrait,
    ids: &[String],
    error: &str,
    retry_at: DateTime<Utc>,
) -> Result<(), DbErr> {
    for chunk in ids.chunks(MAX_IDS) {
        due_work::Entity::update_many()
            .col_expr(due_work::Column::LastError, Expr::value(error.chars().take(500).collect::<String>()))
            .col_expr(due_work::Column::LeaseUntil, Expr::value(retry_at))
            .col_expr(due_work::Column::Attempts, Expr::col(due_work::Column::Attempts).add(1))
            .filter(due_work::Column::Id.is_in(chunk.to_vec()))
            .exec(db)
            .await?;
    }
    Ok(())
}

/// Items not done for a subject (tests and diagnostics).
pub async fn pending_for(db: &impl ConnectionTrait, subject_id: &str) -> Result<Vec<due_work::Model>, DbErr> {
    due_work::Entity::find()
        .filter(due_work::Column::SubjectId.eq(subject_id))
        .filter(due_work::Column::DoneAt.is_null())
        .order_by_asc(due_work::Column::DueAt)
        .all(db)
        .await
}

/// Items not done yet: (due at `now` or before, scheduled later) — the `/metrics` backlog.
pub async fn backlog(db: &impl ConnectionTrait, now: DateTime<Utc>) -> Result<(i64, i64), DbErr> {
    use sea_orm::PaginatorTrait;
    let open = || due_work::Entity::find().filter(due_work::Column::DoneAt.is_null());
    let due = open().filter(due_work::Column::DueAt.lte(now)).count(db).await?;
    let later = open().filter(due_work::Column::DueAt.gt(now)).count(db).await?;
    Ok((due as i64, later as i64))
}

/// Items not done whose last try failed, counted by kind (the `/metrics` gauge
/// `relais_due_work_failing`).
pub async fn failing_by_kind(db: &impl ConnectionTrait) -> Result<Vec<(String, i64)>, DbErr> {
    use sea_orm::{FromQueryResult, QuerySelect};
    #[derive(FromQueryResult)]
    struct Row {
        kind: String,
        n: i64,
    }
    let rows = due_work::Entity::find()
        .select_only()
        .column(due_work::Column::Kind)
        .column_as(due_work::Column::Id.count(), "n")
        .filter(due_work::Column::DoneAt.is_null())
        .filter(due_work::Column::LastError.is_not_null())
        .group_by(due_work::Column::Kind)
        .into_model::<Row>()
        .all(db)
        .await?;
    Ok(rows.into_iter().map(|r| (r.kind, r.n)).collect())
}

/// The oldest `limit` items not done whose last try failed (the admin page's list).
pub async fn failing(db: &impl ConnectionTrait, limit: u64) -> Result<Vec<due_work::Model>, DbErr> {
    use sea_orm::QuerySelect;
    due_work::Entity::find()
        .filter(due_work::Column::DoneAt.is_null())
        .filter(due_work::Column::LastError.is_not_null())
        .order_by_asc(due_work::Column::DueAt)
        .limit(limit)
        .all(db)
        .await
}
