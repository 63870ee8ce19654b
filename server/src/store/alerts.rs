//! Alerts: open → acknowledged → resolved, their recipients and their history.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, sea_query::Expr,
};

use super::entities::{alert, alert_event, alert_recipient};
use super::new_id;
use crate::domain::access::Staff;
use crate::domain::triage::Colour;

/// The alert of this patient and topic that is not resolved yet, if any.
pub async fn unresolved_for(
    db: &impl ConnectionTrait,
    patient_id: &str,
    topic: &str,
) -> Result<Option<alert::Model>, DbErr> {
    alert::Entity::find()
        .filter(alert::Column::PatientId.eq(patient_id))
        .filter(alert::Column::Topic.eq(topic))
        .filter(alert::Column::Status.ne("resolved"))
        .order_by_desc(alert::Column::OpenedAt)
        .one(db)
        .await
}

/// Serialises the alerts of these patients until the transaction ends, so that two reports of
/// one patient at once merge into one alert instead of each opening its own (docs/design.md,
/// `alerting/`): on PostgreSQL the patients' rows are locked `FOR NO KEY UPDATE` (not `FOR
/// UPDATE`, which waits for the key-share locks every insert referencing the patient takes: two
/// reports of one patient then deadlock, measured by `relais bench reports`), in one statement
/// in the order of their ids, so that two transactions locking overlapping sets wait for each
/// other instead of deadlocking; SQLite's write transaction already excludes every other writer.
pub async fn lock_patients(db: &impl ConnectionTrait, patient_ids: &[&str]) -> Result<(), DbErr> {
    if db.get_database_backend() != sea_orm::DbBackend::Postgres || patient_ids.is_empty() {
        return Ok(());
    }
    // One parameter (a JSON array) whatever the number of patients: one statement text, one
    // cached plan.
    let ids = serde_json::to_string(patient_ids).map_err(|e| DbErr::Custom(format!("patient ids: {e}")))?;
    db.query_all_raw(sea_orm::Statement::from_sql_and_values(
        sea_orm::DbBackend::Postgres,
        "SELECT id FROM patients WHERE id IN (SELECT jsonb_array_elements_text($1::jsonb)) \
         ORDER BY id FOR NO KEY UPDATE OF patients",
        [ids.into()],
    ))
    .await
    .map(|_| ())
}

/// The alerts not resolved yet of these patients, newest first, in one statement.
pub async fn unresolved_of(db: &impl ConnectionTrait, patient_ids: &[&str]) -> Result<Vec<alert::Model>, DbErr> {
    if patient_ids.is_empty() {
        return Ok(Vec::new());
    }
    alert::Entity::find()
        .filter(alert::Column::PatientId.is_in(patient_ids.iter().copied()))
        .filter(alert::Column::Status.ne("resolved"))
        .order_by_desc(alert::Column::OpenedAt)
        .all(db)
        .await
}

pub async fn unresolved_for_episode(db: &impl ConnectionTrait, episode_id: &str) -> Result<Vec<alert::Model>, DbErr> {
    alert::Entity::find()
        .filter(alert::Column::EpisodeId.eq(episode_id))
        .filter(alert::Column::Status.ne("resolved"))
        .order_by_desc(alert::Column::OpenedAt)
        .all(db)
        .await
}

/// The patient's most recent toxicity alert raised by a report and not yet acknowledged by
/// anyone (status `open`): what the phone keeps showing until the team has seen it.
pub async fn unacknowledged_report_alert(
    db: &impl ConnectionTrait,
    patient_id: &str,
) -> Result<Option<alert::Model>, DbErr> {
    alert::Entity::find()
        .filter(alert::Column::PatientId.eq(patient_id))
        .filter(alert::Column::Topic.eq("toxicity"))
        .filter(alert::Column::Status.eq("open"))
        .filter(alert::Column::LastReportId.is_not_null())
        .order_by_desc(alert::Column::OpenedAt)
        .one(db)
        .await
}

/// The most recently resolved alert of this patient and topic.
pub async fn last_resolved(
    db: &impl ConnectionTrait,
    patient_id: &str,
    topic: &str,
) -> Result<Option<alert::Model>, DbErr> {
    alert::Entity::find()
        .filter(alert::Column::PatientId.eq(patient_id))
        .filter(alert::Column::Topic.eq(topic))
        .filter(alert::Column::Status.eq("resolved"))
        .order_by_desc(alert::Column::ResolvedAt)
        .one(db)
        .await
}

pub async fn get(db: &impl ConnectionTrait, id: &str) -> Result<Option<alert::Model>, DbErr> {
    alert::Entity::find_by_id(id.to_owned()).one(db).await
}

pub async fn update(db: &impl ConnectionTrait, a: alert::Model) -> Result<(), DbErr> {
    let am: alert::ActiveModel = a.into();
    let am = sea_orm::ActiveModelTrait::reset_all(am);
    alert::Entity::update(am).exec(db).await.map(|_| ())
}

/// Writes alerts whole, new ones and changed ones alike, in one statement per chunk (an upsert
/// on the id: every other column takes the value given).
pub async fn save_many(db: &impl ConnectionTrait, alerts: Vec<alert::Model>) -> Result<(), DbErr> {
    use sea_orm::{Iterable, sea_query::OnConflict};
    let columns: Vec<alert::Column> = alert::Column::iter().filter(|c| !matches!(c, alert::Column::Id)).collect();
    for chunk in alerts.chunks(super::due_work::rows_per_insert(alert::Column::iter().count())) {
        let rows = chunk.iter().cloned().map(alert::ActiveModel::from);
        alert::Entity::insert_many(rows)
            .on_conflict(OnConflict::column(alert::Column::Id).update_columns(columns.clone()).to_owned())
            .exec_without_returning(db)
            .await?;
    }
    Ok(())
}

/// Makes a recipient one who handles the alert (not only informed), adding them if needed.
pub async fn make_handler(
    db: &impl ConnectionTrait,
    alert_id: &str,
    professional_id: &str,
    role: &str,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    if !add_recipient(db, alert_id, professional_id, role, false, now).await? {
        alert_recipient::Entity::update_many()
            .col_expr(alert_recipient::Column::InformedOnly, Expr::value(false))
            .filter(alert_recipient::Column::AlertId.eq(alert_id))
            .filter(alert_recipient::Column::ProfessionalId.eq(professional_id))
            .exec(db)
            .await?;
    }
    Ok(())
}

/// Replaces an alert's note (who it was routed to instead, who did not acknowledge it in time).
pub async fn set_note(db: &impl ConnectionTrait, id: &str, note: &str) -> Result<(), DbErr> {
    alert::Entity::update_many()
        .col_expr(alert::Column::Note, Expr::value(note))
        .filter(alert::Column::Id.eq(id))
        .exec(db)
        .await
        .map(|_| ())
}

/// Adds a recipient once (a second add of the same person changes nothing).
pub async fn add_recipient(
    db: &impl ConnectionTrait,
    alert_id: &str,
    professional_id: &str,
    role: &str,
    informed_only: bool,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let r = alert_recipient::Entity::insert(alert_recipient::ActiveModel {
        id: Set(new_id()),
        alert_id: Set(alert_id.to_owned()),
        professional_id: Set(professional_id.to_owned()),
        role: Set(role.to_owned()),
        informed_only: Set(informed_only),
        added_at: Set(now),
    })
    .on_conflict_do_nothing_on([alert_recipient::Column::AlertId, alert_recipient::Column::ProfessionalId])
    .exec_without_returning(db)
    .await?;
    Ok(matches!(r, sea_orm::TryInsertResult::Inserted(n) if n > 0))
}

/// A recipient to add to an alert.
pub struct NewRecipient<'a> {
    pub alert_id: &'a str,
    pub professional_id: &'a str,
    pub role: &'a str,
    pub informed_only: bool,
    pub at: DateTime<Utc>,
}

/// Adds recipients of any alerts in one statement per chunk; one already there (or listed
/// twice: the first wins) is left as it is. Returns those added: `(alert, professional,
/// informed only)`.
pub async fn add_recipients_of_many(
    db: &impl ConnectionTrait,
    people: &[NewRecipient<'_>],
) -> Result<Vec<(String, String, bool)>, DbErr> {
    let mut seen = std::collections::HashSet::new();
    let people: Vec<&NewRecipient<'_>> =
        people.iter().filter(|r| seen.insert((r.alert_id, r.professional_id))).collect();
    let mut out = Vec::new();
    for chunk in people.chunks(super::due_work::rows_per_insert(6)) {
        let rows = chunk.iter().map(|r| alert_recipient::ActiveModel {
            id: Set(new_id()),
            alert_id: Set(r.alert_id.to_owned()),
            professional_id: Set(r.professional_id.to_owned()),
            role: Set(r.role.to_owned()),
            informed_only: Set(r.informed_only),
            added_at: Set(r.at),
        });
        let added = alert_recipient::Entity::insert_many(rows)
            .on_conflict_do_nothing_on([alert_recipient::Column::AlertId, alert_recipient::Column::ProfessionalId])
            .exec_with_returning_many(db)
            .await?;
        if let sea_orm::TryInsertResult::Inserted(added) = added {
            out.extend(added.into_iter().map(|m| (m.alert_id, m.professional_id, m.informed_only)));
        }
    }
    Ok(out)
}

pub async fn recipients(db: &impl ConnectionTrait, alert_id: &str) -> Result<Vec<alert_recipient::Model>, DbErr> {
    alert_recipient::Entity::find()
        .filter(alert_recipient::Column::AlertId.eq(alert_id))
        .order_by_asc(alert_recipient::Column::AddedAt)
        .all(db)
        .await
}

/// One line of an alert's history.
pub struct Event<'a> {
    pub alert_id: &'a str,
    /// `opened`, `raised`, `updated`, `escalated`, `acknowledged`, `resolved`, `delivery_failed`
    pub kind: &'a str,
    /// `system` or `professional`
    pub actor_kind: &'a str,
    pub actor_id: Option<&'a str>,
    pub detail: serde_json::Value,
    pub at: DateTime<Utc>,
}

pub async fn event(db: &impl ConnectionTrait, event: Event<'_>) -> Result<(), DbErr> {
    events_many(db, vec![event]).await
}

/// Lines of alerts' histories, in one statement per chunk.
pub async fn events_many(db: &impl ConnectionTrait, events: Vec<Event<'_>>) -> Result<(), DbErr> {
    let mut events = events.into_iter().peekable();
    while events.peek().is_some() {
        let rows = events.by_ref().take(super::due_work::rows_per_insert(7)).map(|e| alert_event::ActiveModel {
            id: Set(new_id()),
            alert_id: Set(e.alert_id.to_owned()),
            at: Set(e.at),
            kind: Set(e.kind.to_owned()),
            actor_kind: Set(e.actor_kind.to_owned()),
            actor_id: Set(e.actor_id.map(Into::into)),
            detail: Set(e.detail.to_string()),
        });
        alert_event::Entity::insert_many(rows.collect::<Vec<_>>()).exec_without_returning(db).await?;
    }
    Ok(())
}

pub async fn events(db: &impl ConnectionTrait, alert_id: &str) -> Result<Vec<alert_event::Model>, DbErr> {
    alert_event::Entity::find()
        .filter(alert_event::Column::AlertId.eq(alert_id))
        .order_by_asc(alert_event::Column::At)
        .all(db)
        .await
}

/// Whether a professional may see this alert: a recipient to acknowledge, or a colleague of the
/// same role in the alert's establishment (hospital staff cover each other); and, in either
/// case, someone who may see the patient now (`access::staff_sees`), so that an alert never
/// outlives the access that made its recipient one (an ended episode, a new pharmacy).
pub async fn visible(
    db: &impl ConnectionTrait,
    staff: &Staff,
    a: &alert::Model,
    day: chrono::NaiveDate,
) -> Result<bool, DbErr> {
    let Some(p) = super::patients::get(db, &a.patient_id).await? else { return Ok(false) };
    if !crate::domain::access::staff_sees(staff, &super::patients::facts(db, &p, day).await?) {
        return Ok(false);
    }
    for r in recipients(db, &a.id).await?.iter().filter(|r| !r.informed_only) {
        if r.professional_id == staff.id
            || (staff.role.is_hospital()
                && r.role()? == staff.role
                && staff.establishment_id.as_deref() == Some(a.establishment_id.as_str()))
        {
            return Ok(true);
        }
    }
    Ok(false)
}

/// The alerts a professional may see, in a status; most urgent first (red, then earliest
/// deadline, then oldest); community professionals' as of `day`.
pub async fn visible_to(
    db: &impl ConnectionTrait,
    staff: &Staff,
    status: &str,
    day: chrono::NaiveDate,
) -> Result<Vec<alert::Model>, DbErr> {
    let mut who = Condition::any().add(alert_recipient::Column::ProfessionalId.eq(&staff.id));
    if staff.role.is_hospital() {
        who = who.add(alert_recipient::Column::Role.eq(staff.role.as_str()));
    }
    let ids: Vec<String> = alert_recipient::Entity::find()
        .select_only()
        .column(alert_recipient::Column::AlertId)
        .filter(alert_recipient::Column::InformedOnly.eq(false))
        .filter(who)
        .into_tuple()
        .all(db)
        .await?;
    if ids.is_empty() {
        return Ok(vec![]);
    }
    let mut q = alert::Entity::find().filter(alert::Column::Id.is_in(ids)).filter(alert::Column::Status.eq(status));
    if staff.role.is_hospital() {
        // A colleague's alert is visible only within the same establishment.
        let est = staff.establishment_id.clone().unwrap_or_default();
        q = q.filter(alert::Column::EstablishmentId.eq(est));
    }
    let mut rows = q.all(db).await?;
    if !staff.role.is_hospital() {
        // Community professionals see a patient only while on the current team (hospital staff
        // see their establishment's patients, which the filter above already is).
        let mine: std::collections::HashSet<String> =
            super::patients::visible_to(db, staff, day).await?.into_iter().map(|p| p.id).collect();
        rows.retain(|a| mine.contains(&a.patient_id));
    }
    let mut keyed = Vec::with_capacity(rows.len());
    for a in rows {
        keyed.push(((a.colour()? != Colour::Red, a.deadline_at, a.opened_at), a));
    }
    keyed.sort_by_key(|(key, _)| *key);
    Ok(keyed.into_iter().map(|(_, a)| a).collect())
}

/// Open alerts whose next escalation is due.
pub async fn due_escalations(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    limit: u64,
) -> Result<Vec<alert::Model>, DbErr> {
    alert::Entity::find()
        .filter(alert::Column::Status.eq("open"))
        .filter(alert::Column::NextEscalationAt.lte(now))
        .order_by_asc(alert::Column::NextEscalationAt)
        .limit(limit)
        .all(db)
        .await
}

/// Claims one escalation step: moves the alert from `level` to `level + 1` only if nobody else
/// (another instance, an acknowledgement) changed it meanwhile.
pub async fn claim_escalation(
    db: &impl ConnectionTrait,
    a: &alert::Model,
    next: Option<DateTime<Utc>>,
) -> Result<bool, DbErr> {
    let r = alert::Entity::update_many()
        .col_expr(alert::Column::EscalationLevel, Expr::value(a.escalation_level + 1))
        .col_expr(alert::Column::NextEscalationAt, Expr::value(next))
        .filter(alert::Column::Id.eq(&a.id))
        .filter(alert::Column::Status.eq("open"))
        .filter(alert::Column::EscalationLevel.eq(a.escalation_level))
        .exec(db)
        .await?;
    Ok(r.rows_affected == 1)
}

/// open → acknowledged; false if the alert was not open.
pub async fn acknowledge(db: &impl ConnectionTrait, id: &str, by: &str, now: DateTime<Utc>) -> Result<bool, DbErr> {
    let r = alert::Entity::update_many()
        .col_expr(alert::Column::Status, Expr::value("acknowledged"))
        .col_expr(alert::Column::AcknowledgedAt, Expr::value(now))
        .col_expr(alert::Column::AcknowledgedBy, Expr::value(by))
        .col_expr(alert::Column::NextEscalationAt, Expr::value(Option::<DateTime<Utc>>::None))
        .col_expr(alert::Column::UpdatedAt, Expr::value(now))
        .filter(alert::Column::Id.eq(id))
        .filter(alert::Column::Status.eq("open"))
        .exec(db)
        .await?;
    Ok(r.rows_affected == 1)
}

/// open or acknowledged → resolved with the professional's confirmed grade (toxicity alerts
/// only); false if it was already resolved.
pub async fn resolve(
    db: &impl ConnectionTrait,
    id: &str,
    by: &str,
    grade: Option<u8>,
    note: &str,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let r = alert::Entity::update_many()
        .col_expr(alert::Column::Status, Expr::value("resolved"))
        .col_expr(alert::Column::ResolvedAt, Expr::value(now))
        .col_expr(alert::Column::ResolvedBy, Expr::value(by))
        .col_expr(alert::Column::ConfirmedGrade, Expr::value(grade.map(i32::from)))
        .col_expr(alert::Column::ResolutionNote, Expr::value(note))
        .col_expr(alert::Column::NextEscalationAt, Expr::value(Option::<DateTime<Utc>>::None))
        .col_expr(alert::Column::UpdatedAt, Expr::value(now))
        .filter(alert::Column::Id.eq(id))
        .filter(alert::Column::Status.ne("resolved"))
        .exec(db)
        .await?;
    Ok(r.rows_affected == 1)
}

/// Open amber alerts, each with the professionals it was sent to for action (not those only
/// informed): the daily digest's content.
pub async fn open_amber_with_recipients(db: &impl ConnectionTrait) -> Result<Vec<(String, alert::Model)>, DbErr> {
    let open = alert::Entity::find()
        .filter(alert::Column::Status.eq("open"))
        .filter(alert::Column::Colour.eq("amber"))
        .order_by_asc(alert::Column::OpenedAt)
        .all(db)
        .await?;
    if open.is_empty() {
        return Ok(vec![]);
    }
    let mut out = Vec::new();
    for chunk in open.chunks(1_000) {
        let ids: Vec<String> = chunk.iter().map(|a| a.id.clone()).collect();
        let recipients = alert_recipient::Entity::find()
            .filter(alert_recipient::Column::AlertId.is_in(ids))
            .filter(alert_recipient::Column::InformedOnly.eq(false))
            .all(db)
            .await?;
        for a in chunk {
            for r in recipients.iter().filter(|r| r.alert_id == a.id) {
                out.push((r.professional_id.clone(), a.clone()));
            }
        }
    }
    Ok(out)
}

/// Every alert of an episode whatever its status, newest first (the patient page's history).
pub async fn for_episode(db: &impl ConnectionTrait, episode_id: &str) -> Result<Vec<alert::Model>, DbErr> {
    alert::Entity::find()
        .filter(alert::Column::EpisodeId.eq(episode_id))
        .order_by_desc(alert::Column::OpenedAt)
        .all(db)
        .await
}
