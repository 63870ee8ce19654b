//! Symptom reports with their provisional grades, and questionnaire instances.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DbBackend, DbErr, EntityTrait, FromQueryResult, IdenStatic,
    Iterable, QueryFilter, QueryOrder, QueryTrait, Statement,
};

use super::entities::{
    episode, establishment, patient, patient_device, questionnaire, regimen_line, report, sequence, symptom_grade,
};
use super::new_id;

pub async fn by_client_id(
    db: &impl ConnectionTrait,
    patient_id: &str,
    client_id: &str,
) -> Result<Option<report::Model>, DbErr> {
    report::Entity::find()
        .filter(report::Column::PatientId.eq(patient_id))
        .filter(report::Column::ClientId.eq(client_id))
        .one(db)
        .await
}

/// The latest report of an episode (the "previous report" of the worsening rule).
pub async fn latest(db: &impl ConnectionTrait, episode_id: &str) -> Result<Option<report::Model>, DbErr> {
    report::Entity::find()
        .filter(report::Column::EpisodeId.eq(episode_id))
        .order_by_desc(report::Column::SubmittedAt)
        .one(db)
        .await
}

pub async fn get(db: &impl ConnectionTrait, id: &str) -> Result<Option<report::Model>, DbErr> {
    report::Entity::find_by_id(id.to_owned()).one(db).await
}

pub async fn for_episode(db: &impl ConnectionTrait, episode_id: &str) -> Result<Vec<report::Model>, DbErr> {
    report::Entity::find()
        .filter(report::Column::EpisodeId.eq(episode_id))
        .order_by_desc(report::Column::SubmittedAt)
        .all(db)
        .await
}

pub struct NewReport<'a> {
    pub id: &'a str,
    pub patient_id: &'a str,
    pub episode_id: &'a str,
    pub questionnaire_id: Option<&'a str>,
    pub client_id: &'a str,
    pub answers: &'a serde_json::Value,
    pub sequence: &'a str,
    pub colour: &'a str,
    pub result: &'a serde_json::Value,
}

/// One graded symptom of a report: (symptom, grade, colour, reason codes).
pub type GradeRow<'a> = (&'a str, u8, &'a str, &'a [crate::domain::reason::Reason]);

/// A report to store, with its grades, as of `at`.
pub struct ReportRows<'a> {
    pub report: NewReport<'a>,
    pub grades: Vec<GradeRow<'a>>,
    pub at: DateTime<Utc>,
}

/// Stores reports and all their grades in two statements, whatever their number (BENCHMARKS.md,
/// "Report intake"). A report whose `client_id` is already stored for its patient (a retry, or
/// a copy in the same batch) is left out, with its grades; the ids stored are returned.
pub async fn insert_many(db: &impl ConnectionTrait, rows: &[ReportRows<'_>]) -> Result<HashSet<String>, DbErr> {
    if rows.is_empty() {
        return Ok(HashSet::new());
    }
    let models = rows.iter().map(|ReportRows { report: r, at, .. }| report::ActiveModel {
        id: Set(r.id.to_owned()),
        patient_id: Set(r.patient_id.to_owned()),
        episode_id: Set(r.episode_id.to_owned()),
        questionnaire_id: Set(r.questionnaire_id.map(Into::into)),
        client_id: Set(r.client_id.to_owned()),
        answers: Set(r.answers.to_string()),
        sequence: Set(r.sequence.to_owned()),
        colour: Set(r.colour.to_owned()),
        result: Set(r.result.to_string()),
        submitted_at: Set(*at),
    });
    let mut insert = report::Entity::insert_many(models)
        .on_conflict(OnConflict::columns([report::Column::PatientId, report::Column::ClientId]).do_nothing().to_owned())
        .into_query();
    insert.returning_col(report::Column::Id);
    let mut stored = HashSet::with_capacity(rows.len());
    for row in db.query_all(&insert).await? {
        stored.insert(row.try_get::<String>("", "id")?);
    }
    let mut grades = Vec::new();
    for ReportRows { report: r, grades: g, at } in rows.iter().filter(|r| stored.contains(r.report.id)) {
        for (symptom, grade, colour, reasons) in g {
            let reasons = serde_json::to_string(reasons).map_err(|e| DbErr::Custom(format!("grade reasons: {e}")))?;
            grades.push(symptom_grade::ActiveModel {
                id: Set(new_id()),
                report_id: Set(r.id.to_owned()),
                episode_id: Set(r.episode_id.to_owned()),
                symptom: Set((*symptom).to_owned()),
                grade: Set(i32::from(*grade)),
                colour: Set((*colour).to_owned()),
                reasons: Set(reasons),
                at: Set(*at),
            });
        }
    }
    if !grades.is_empty() {
        symptom_grade::Entity::insert_many(grades).exec_without_returning(db).await?;
    }
    Ok(stored)
}

pub async fn grades_of(db: &impl ConnectionTrait, report_id: &str) -> Result<Vec<symptom_grade::Model>, DbErr> {
    symptom_grade::Entity::find()
        .filter(symptom_grade::Column::ReportId.eq(report_id))
        .order_by_desc(symptom_grade::Column::Grade)
        .all(db)
        .await
}

/// A questionnaire instance of this patient.
pub async fn questionnaire_of(
    db: &impl ConnectionTrait,
    patient_id: &str,
    id: &str,
) -> Result<Option<questionnaire::Model>, DbErr> {
    questionnaire::Entity::find_by_id(id.to_owned())
        .filter(questionnaire::Column::PatientId.eq(patient_id))
        .one(db)
        .await
}

pub async fn pending_questionnaires(
    db: &impl ConnectionTrait,
    patient_id: &str,
    now: DateTime<Utc>,
) -> Result<Vec<questionnaire::Model>, DbErr> {
    questionnaire::Entity::find()
        .filter(questionnaire::Column::PatientId.eq(patient_id))
        .filter(questionnaire::Column::Status.eq("pending"))
        .filter(questionnaire::Column::DueAt.lte(now))
        .order_by_asc(questionnaire::Column::DueAt)
        .all(db)
        .await
}

/// Marks a questionnaire answered by a report; false if it was not pending.
pub async fn mark_answered(db: &impl ConnectionTrait, questionnaire_id: &str, report_id: &str) -> Result<bool, DbErr> {
    use sea_orm::sea_query::Expr;
    let r = questionnaire::Entity::update_many()
        .col_expr(questionnaire::Column::Status, Expr::value("answered"))
        .col_expr(questionnaire::Column::ReportId, Expr::value(report_id))
        .filter(questionnaire::Column::Id.eq(questionnaire_id))
        .filter(questionnaire::Column::Status.is_in(["pending", "missed"]))
        .exec(db)
        .await?;
    Ok(r.rows_affected == 1)
}

/// Plans a questionnaire instance; the same episode and local date is planned once.
pub async fn plan_questionnaire(
    db: &impl ConnectionTrait,
    patient_id: &str,
    episode_id: &str,
    local_date: chrono::NaiveDate,
    due_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<Option<String>, DbErr> {
    let id = new_id();
    let r = questionnaire::Entity::insert(questionnaire::ActiveModel {
        id: Set(id.clone()),
        patient_id: Set(patient_id.to_owned()),
        episode_id: Set(episode_id.to_owned()),
        local_date: Set(local_date),
        due_at: Set(due_at),
        status: Set("pending".into()),
        report_id: Set(None),
        created_at: Set(now),
    })
    .on_conflict_do_nothing_on([questionnaire::Column::EpisodeId, questionnaire::Column::LocalDate])
    .exec_without_returning(db)
    .await?;
    Ok(matches!(r, sea_orm::TryInsertResult::Inserted(n) if n > 0).then_some(id))
}

pub async fn questionnaire(db: &impl ConnectionTrait, id: &str) -> Result<Option<questionnaire::Model>, DbErr> {
    questionnaire::Entity::find_by_id(id.to_owned()).one(db).await
}

/// The instances of an episode due before `before`, newest first.
pub async fn questionnaires_before(
    db: &impl ConnectionTrait,
    episode_id: &str,
    before: DateTime<Utc>,
) -> Result<Vec<questionnaire::Model>, DbErr> {
    questionnaire::Entity::find()
        .filter(questionnaire::Column::EpisodeId.eq(episode_id))
        .filter(questionnaire::Column::DueAt.lt(before))
        .order_by_desc(questionnaire::Column::DueAt)
        .all(db)
        .await
}

/// Marks an instance missed if it is still pending.
pub async fn mark_missed(db: &impl ConnectionTrait, id: &str) -> Result<bool, DbErr> {
    use sea_orm::sea_query::Expr;
    let r = questionnaire::Entity::update_many()
        .col_expr(questionnaire::Column::Status, Expr::value("missed"))
        .filter(questionnaire::Column::Id.eq(id))
        .filter(questionnaire::Column::Status.eq("pending"))
        .exec(db)
        .await?;
    Ok(r.rows_affected == 1)
}

/// Every provisional grade of an episode, oldest first (the patient page's grade charts).
pub async fn grades_of_episode(
    db: &impl ConnectionTrait,
    episode_id: &str,
) -> Result<Vec<symptom_grade::Model>, DbErr> {
    symptom_grade::Entity::find()
        .filter(symptom_grade::Column::EpisodeId.eq(episode_id))
        .order_by_asc(symptom_grade::Column::At)
        .all(db)
        .await
}

/// What the intake of a report reads before it writes, in one round trip (BENCHMARKS.md,
/// "Report intake"): the patient, their open episode, its active sequence and establishment,
/// its regimen lines in force (as `episodes::active_regimen` reads them), the id of a report
/// already stored with this `client_id` (a retry) and the answers of the episode's latest
/// report (the previous report of the worsening rule, docs/triage.md §3). Read for a phone, it
/// also holds the phone's device row, found by its token: authenticating the phone costs no
/// statement of its own.
pub struct IntakeContext {
    pub patient: patient::Model,
    /// The device whose token was given (`Reporter::Device`), not yet checked for idleness.
    pub device: Option<patient_device::Model>,
    pub episode: Option<episode::Model>,
    pub sequence: Option<sequence::Model>,
    pub establishment: Option<establishment::Model>,
    pub lines: Vec<regimen_line::Model>,
    pub replay_id: Option<String>,
    pub previous_answers: Option<String>,
}

fn aliased<C: Iterable + IdenStatic>(alias: &str) -> String {
    C::iter().map(|c| format!("{alias}.{col} AS {alias}_{col}", col = c.as_str())).collect::<Vec<_>>().join(", ")
}

/// Whose report: a patient known by id, or the patient of a phone known by its token's hash
/// (not revoked).
#[derive(Clone, Copy)]
pub enum Reporter<'a> {
    Patient(&'a str),
    Device { token_hash: &'a str },
}

/// [`IntakeContext`] of a patient, None when the patient (or the unrevoked device) does not
/// exist. The open episode is the newest one without an end date, as
/// `patients::current_episode` reads it. One row per regimen line in force (one row when there
/// is none), the rest repeated on each.
pub async fn intake_context(
    db: &impl ConnectionTrait,
    who: Reporter<'_>,
    client_id: &str,
) -> Result<Option<IntakeContext>, DbErr> {
    let backend = db.get_database_backend();
    let (device, key) = match who {
        Reporter::Patient(id) => (false, id),
        Reporter::Device { token_hash } => (true, token_hash),
    };
    let sql = intake_sql(backend == DbBackend::Postgres, device).to_owned();
    let stmt = Statement::from_sql_and_values(backend, sql, [key.into(), client_id.into()]);
    let rows = db.query_all_raw(stmt).await?;
    rows.first().map(|_| decode_context(&rows)).transpose()
}

/// The contexts of many phones' reports in one statement (PostgreSQL only: the keys go as one
/// JSON parameter, so the statement's text is the same for any number of them and is prepared
/// once). One answer per key, in order: None for a token of no unrevoked device.
pub async fn intake_contexts_of_devices(
    db: &impl ConnectionTrait,
    keys: &[(&str, &str)],
) -> Result<Vec<Option<IntakeContext>>, DbErr> {
    let backend = db.get_database_backend();
    if backend != DbBackend::Postgres {
        return Err(DbErr::Custom("intake_contexts_of_devices runs on PostgreSQL only".into()));
    }
    let param: Vec<serde_json::Value> = keys
        .iter()
        .enumerate()
        .map(|(i, (token_hash, client_id))| serde_json::json!({"i": i, "token_hash": token_hash, "client_id": client_id}))
        .collect();
    let sql = batch_sql().to_owned();
    let stmt = Statement::from_sql_and_values(backend, sql, [serde_json::Value::Array(param).into()]);
    let rows = db.query_all_raw(stmt).await?;
    let mut out: Vec<Option<IntakeContext>> = keys.iter().map(|_| None).collect();
    let mut start = 0;
    while start < rows.len() {
        let i: i32 = rows[start].try_get("", "k_i")?;
        let mut end = start + 1;
        while end < rows.len() && rows[end].try_get::<i32>("", "k_i")? == i {
            end += 1;
        }
        let slot = usize::try_from(i)
            .ok()
            .and_then(|i| out.get_mut(i))
            .ok_or_else(|| DbErr::Custom(format!("intake context for key {i} of {}", keys.len())))?;
        *slot = Some(decode_context(&rows[start..end])?);
        start = end;
    }
    Ok(out)
}

/// One context from its rows (one per regimen line in force, at least one).
fn decode_context(rows: &[sea_orm::QueryResult]) -> Result<IntakeContext, DbErr> {
    let row = &rows[0];
    let present = |row: &sea_orm::QueryResult, alias: &str| -> Result<bool, DbErr> {
        Ok(row.try_get::<Option<String>>("", &format!("{alias}_id"))?.is_some())
    };
    let mut lines = Vec::new();
    for r in rows {
        if present(r, "l")? {
            lines.push(regimen_line::Model::from_query_result(r, "l_")?);
        }
    }
    Ok(IntakeContext {
        patient: patient::Model::from_query_result(row, "p_")?,
        device: if present(row, "d")? { Some(patient_device::Model::from_query_result(row, "d_")?) } else { None },
        episode: if present(row, "e")? { Some(episode::Model::from_query_result(row, "e_")?) } else { None },
        sequence: if present(row, "s")? { Some(sequence::Model::from_query_result(row, "s_")?) } else { None },
        establishment: if present(row, "t")? {
            Some(establishment::Model::from_query_result(row, "t_")?)
        } else {
            None
        },
        lines,
        replay_id: row.try_get("", "replay_id")?,
        previous_answers: row.try_get("", "previous_answers")?,
    })
}

/// The text of [`intake_context`]'s query, built once per engine and reporter kind (it names
/// every column of six tables).
fn intake_sql(postgres: bool, by_device: bool) -> &'static str {
    static SQL: std::sync::OnceLock<[String; 4]> = std::sync::OnceLock::new();
    let all = SQL.get_or_init(|| {
        [(false, false), (false, true), (true, false), (true, true)].map(|(pg, by_device)| {
            // Numbered placeholders: each engine binds them by number, wherever they appear.
            let (p1, p2) = if pg { ("$1", "$2") } else { ("?1", "?2") };
            if by_device {
                context_sql(
                    "",
                    &format!(
                        "patients p JOIN patient_devices d ON d.patient_id = p.id AND d.token_hash = {p1} \
                         AND d.revoked_at IS NULL"
                    ),
                    p2,
                    "",
                    "l.drug",
                )
            } else {
                context_sql(
                    "",
                    "patients p LEFT JOIN patient_devices d ON 1 = 0",
                    p2,
                    &format!("WHERE p.id = {p1}"),
                    "l.drug",
                )
            }
        })
    });
    &all[usize::from(postgres) * 2 + usize::from(by_device)]
}

/// The text of [`intake_contexts_of_devices`]'s query: the keys are the rows of its JSON
/// parameter, numbered `i`.
fn batch_sql() -> &'static str {
    static SQL: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    SQL.get_or_init(|| {
        context_sql(
            "k.i AS k_i, ",
            "jsonb_to_recordset($1::jsonb) AS k(i int, token_hash text, client_id text) \
             JOIN patient_devices d ON d.token_hash = k.token_hash AND d.revoked_at IS NULL \
             JOIN patients p ON p.id = d.patient_id",
            "k.client_id",
            "",
            "k.i, l.drug",
        )
    })
}

/// The context's query around a FROM clause that yields the patient `p` and device `d`.
fn context_sql(key: &str, from: &str, client_id: &str, filter: &str, order: &str) -> String {
    format!(
        "SELECT {key}{}, {}, {}, {}, {}, {}, \
         (SELECT r.id FROM reports r WHERE r.patient_id = p.id AND r.client_id = {client_id}) AS replay_id, \
         (SELECT r.answers FROM reports r WHERE r.episode_id = e.id ORDER BY r.submitted_at DESC LIMIT 1) \
           AS previous_answers \
         FROM {from} \
         LEFT JOIN episodes e ON e.id = (SELECT e2.id FROM episodes e2 WHERE e2.patient_id = p.id \
           AND e2.end_date IS NULL ORDER BY e2.created_at DESC LIMIT 1) \
         LEFT JOIN sequences s ON s.episode_id = e.id AND s.state = 'active' \
         LEFT JOIN establishments t ON t.id = e.establishment_id \
         LEFT JOIN regimen_lines l ON l.episode_id = e.id AND l.end_date IS NULL \
         {filter} \
         ORDER BY {order}",
        aliased::<patient::Column>("p"),
        aliased::<patient_device::Column>("d"),
        aliased::<episode::Column>("e"),
        aliased::<sequence::Column>("s"),
        aliased::<establishment::Column>("t"),
        aliased::<regimen_line::Column>("l"),
    )
}
