//! Reading the ledger, paying and cancelling a line, and closing a month.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter,
    QueryOrder, sea_query::Expr, sea_query::OnConflict,
};

use super::entities::{billing_close, billing_line, billing_waiver};
use super::{SyncError, SyncStats, sync_in};
use crate::domain::billing::{Actor, LineState, Month, PatientIdentity, StatementLine, Tariffs, base_key};
use crate::store::{StoredValueError, begin_write, directory, new_id};

/// Whose lines a reader may see.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// Every line of the establishment's episodes (admin, billing office).
    Establishment(String),
    /// The lines paid to one community pharmacy.
    Pharmacy(String),
    /// The lines paid to one GP (professional id).
    Gp(String),
}

impl Scope {
    fn condition(&self) -> Condition {
        match self {
            Self::Establishment(id) => Condition::all().add(billing_line::Column::EstablishmentId.eq(id)),
            Self::Pharmacy(id) => Condition::all()
                .add(billing_line::Column::Actor.eq(Actor::Pharmacy.as_str()))
                .add(billing_line::Column::ActorId.eq(id)),
            Self::Gp(id) => Condition::all()
                .add(billing_line::Column::Actor.eq(Actor::Gp.as_str()))
                .add(billing_line::Column::ActorId.eq(id)),
        }
    }

    pub fn covers(&self, l: &billing_line::Model) -> bool {
        match self {
            Self::Establishment(id) => &l.establishment_id == id,
            Self::Pharmacy(id) => l.actor == Actor::Pharmacy.as_str() && l.actor_id.as_ref() == Some(id),
            Self::Gp(id) => l.actor == Actor::Gp.as_str() && l.actor_id.as_ref() == Some(id),
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct LineFilter {
    /// Lines whose service date (sequence start) is in this month.
    pub month: Option<Month>,
    pub state: Option<LineState>,
    pub actor: Option<Actor>,
}

/// Lines in scope, by service date then key.
pub async fn lines(
    db: &impl ConnectionTrait,
    scope: &Scope,
    f: &LineFilter,
) -> Result<Vec<billing_line::Model>, DbErr> {
    let mut q = billing_line::Entity::find().filter(scope.condition());
    if let Some(m) = f.month {
        q = q
            .filter(billing_line::Column::ServiceDate.gte(m.first_day()))
            .filter(billing_line::Column::ServiceDate.lte(m.last_day()));
    }
    if let Some(s) = f.state {
        q = q.filter(billing_line::Column::State.eq(s.as_str()));
    }
    if let Some(a) = f.actor {
        q = q.filter(billing_line::Column::Actor.eq(a.as_str()));
    }
    q.order_by_asc(billing_line::Column::ServiceDate).order_by_asc(billing_line::Column::LineKey).all(db).await
}

pub async fn line(db: &impl ConnectionTrait, id: &str) -> Result<Option<billing_line::Model>, DbErr> {
    billing_line::Entity::find_by_id(id.to_owned()).one(db).await
}

#[derive(Debug, thiserror::Error)]
pub enum LineError {
    #[error("not found")]
    NotFound,
    #[error("{0}")]
    Conflict(&'static str),
    #[error(transparent)]
    Sync(#[from] SyncError),
    #[error(transparent)]
    Db(#[from] DbErr),
}

impl From<StoredValueError> for LineError {
    fn from(e: StoredValueError) -> Self {
        Self::Db(e.into())
    }
}

/// `exported → paid`. The conditional update is the check: paying twice is a conflict.
pub async fn mark_paid(
    db: &impl ConnectionTrait,
    id: &str,
    now: DateTime<Utc>,
) -> Result<billing_line::Model, LineError> {
    let done = billing_line::Entity::update_many()
        .col_expr(billing_line::Column::State, Expr::value(LineState::Paid.as_str()))
        .col_expr(billing_line::Column::PaidAt, Expr::value(now))
        .filter(billing_line::Column::Id.eq(id))
        .filter(billing_line::Column::State.eq(LineState::Exported.as_str()))
        .exec(db)
        .await?;
    let l = line(db, id).await?.ok_or(LineError::NotFound)?;
    if done.rows_affected == 0 {
        return Err(LineError::Conflict(match l.state()? {
            LineState::Paid => "this line is already paid",
            LineState::Due => "this line has not been exported yet",
            LineState::Exported | LineState::Cancelled => "a cancelled line is not paid",
        }));
    }
    Ok(l)
}

/// Cancels the forfait share a line belongs to: it will not be billed any more. A `due` line is
/// cancelled; what was exported or paid is reversed by a credit line (never edited). The share
/// is recorded as waived so that the next sync does not bill it again. Returns the sync's work.
/// In the caller's transaction (the action's, with its audit line).
pub async fn cancel(
    txn: &impl ConnectionTrait,
    tariffs: &Tariffs,
    id: &str,
    by: &str,
    now: DateTime<Utc>,
) -> Result<SyncStats, LineError> {
    let l = line(txn, id).await?.ok_or(LineError::NotFound)?;
    if l.amount_cents < 0 {
        return Err(LineError::Conflict("a credit line is not cancelled"));
    }
    if l.state()? == LineState::Cancelled {
        return Err(LineError::Conflict("this line is already cancelled"));
    }
    let actor = l.actor()?;
    let base = base_key(&l.sequence_id, actor);
    let waived = billing_waiver::Entity::insert(billing_waiver::ActiveModel {
        id: Set(new_id()),
        base_key: Set(base),
        episode_id: Set(l.episode_id.clone()),
        line_id: Set(l.id.clone()),
        by_id: Set(by.to_owned()),
        at: Set(now),
    })
    .on_conflict(OnConflict::column(billing_waiver::Column::BaseKey).do_nothing().to_owned())
    .exec_without_returning(txn)
    .await?;
    if waived == 0 {
        return Err(LineError::Conflict("this forfait share is already cancelled or credited"));
    }
    sync_in(txn, tariffs, &l.episode_id, now).await.map_err(Into::into)
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Closed {
    pub month: Month,
    /// False when the month had been closed before: nothing changed.
    pub newly_closed: bool,
    pub closed_at: DateTime<Utc>,
    pub lines: i32,
    pub total_cents: i64,
}

pub async fn close_of(db: &impl ConnectionTrait, month: Month) -> Result<Option<billing_close::Model>, DbErr> {
    billing_close::Entity::find_by_id(month.to_string()).one(db).await
}

/// Closes `month` in one transaction: the `due` lines assigned to an actor whose service date is
/// on or before the month's last day (the month's own, and earlier ones still due) become
/// `exported` on that month's statement. The close row is the claim: a month closed before
/// (or by another instance at the same moment) changes nothing. Unassigned lines (no pharmacy or
/// GP on the team that day) wait for the team to be corrected.
pub async fn close_month(db: &DatabaseConnection, month: Month, now: DateTime<Utc>) -> Result<Closed, DbErr> {
    let txn = begin_write(db).await?;
    let claimed = billing_close::Entity::insert(billing_close::ActiveModel {
        month: Set(month.to_string()),
        closed_at: Set(now),
        lines: Set(0),
        total_cents: Set(0),
    })
    .on_conflict(OnConflict::column(billing_close::Column::Month).do_nothing().to_owned())
    .exec_without_returning(&txn)
    .await?;
    if claimed == 0 {
        txn.rollback().await?;
        let c = close_of(db, month).await?.ok_or_else(|| DbErr::RecordNotFound(format!("close {month}")))?;
        return Ok(Closed {
            month,
            newly_closed: false,
            closed_at: c.closed_at,
            lines: c.lines,
            total_cents: c.total_cents,
        });
    }
    billing_line::Entity::update_many()
        .col_expr(billing_line::Column::State, Expr::value(LineState::Exported.as_str()))
        .col_expr(billing_line::Column::StatementMonth, Expr::value(month.to_string()))
        .col_expr(billing_line::Column::ExportedAt, Expr::value(now))
        .filter(billing_line::Column::State.eq(LineState::Due.as_str()))
        .filter(billing_line::Column::ActorIdentifier.is_not_null())
        .filter(billing_line::Column::ServiceDate.lte(month.last_day()))
        .exec(&txn)
        .await?;
    let exported = billing_line::Entity::find()
        .filter(billing_line::Column::StatementMonth.eq(month.to_string()))
        .all(&txn)
        .await?;
    let lines = exported.len() as i32;
    let total_cents: i64 = exported.iter().map(|l| l.amount_cents).sum();
    billing_close::Entity::update_many()
        .col_expr(billing_close::Column::Lines, Expr::value(lines))
        .col_expr(billing_close::Column::TotalCents, Expr::value(total_cents))
        .filter(billing_close::Column::Month.eq(month.to_string()))
        .exec(&txn)
        .await?;
    txn.commit().await?;
    Ok(Closed { month, newly_closed: true, closed_at: now, lines, total_cents })
}

/// The lines of a month's statement in scope, with their recipient's name, by recipient.
pub async fn statement_lines(
    db: &impl ConnectionTrait,
    month: Month,
    scope: &Scope,
) -> Result<Vec<StatementLine>, DbErr> {
    let rows = billing_line::Entity::find()
        .filter(billing_line::Column::StatementMonth.eq(month.to_string()))
        .filter(scope.condition())
        .order_by_asc(billing_line::Column::Actor)
        .order_by_asc(billing_line::Column::ActorIdentifier)
        .order_by_asc(billing_line::Column::ServiceDate)
        .order_by_asc(billing_line::Column::LineKey)
        .all(db)
        .await?;
    let mut names: BTreeMap<(String, String), String> = BTreeMap::new();
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let actor = r.actor()?;
        let (parcours, sequence_kind) = (r.parcours()?, r.sequence_kind()?);
        let internal = r.actor_id.clone().unwrap_or_default();
        let key = (r.actor.clone(), internal.clone());
        if !names.contains_key(&key) {
            let name = match actor {
                Actor::Hospital => directory::establishment(db, &internal).await?.map(|e| e.name),
                Actor::Pharmacy => directory::pharmacy(db, &internal).await?.map(|p| p.name),
                Actor::Gp => directory::professional(db, &internal)
                    .await?
                    .map(|p| format!("{} {}", p.given_name, p.family_name).trim().to_owned()),
            };
            names.insert(key.clone(), name.unwrap_or_default());
        }
        out.push(StatementLine {
            line_id: r.id,
            line_key: r.line_key,
            recipient_kind: actor,
            recipient_identifier: r.actor_identifier.unwrap_or_default(),
            recipient_name: names[&key].clone(),
            episode_id: r.episode_id,
            sequence_id: r.sequence_id,
            parcours: parcours.as_str().to_owned(),
            sequence_kind: sequence_kind.as_str().to_owned(),
            renewal_index: r.renewal_index,
            service_date: r.service_date,
            tariff_version: r.tariff_version,
            amount_cents: r.amount_cents,
            credit_of: r.credit_of,
            patient: None,
        });
    }
    Ok(out)
}

/// The patient behind each of these episodes, with their identity as billing needs it (docs/billing.md,
/// "Statements"): episode id → (patient id, identity).
pub async fn billing_identities(
    db: &impl ConnectionTrait,
    episode_ids: &[&str],
) -> Result<BTreeMap<String, (String, PatientIdentity)>, DbErr> {
    use crate::store::entities::{episode, patient};
    let mut out = BTreeMap::new();
    for chunk in episode_ids.chunks(500) {
        let episodes = episode::Entity::find().filter(episode::Column::Id.is_in(chunk.iter().copied())).all(db).await?;
        let patients: BTreeMap<String, patient::Model> = patient::Entity::find()
            .filter(patient::Column::Id.is_in(episodes.iter().map(|e| e.patient_id.clone())))
            .all(db)
            .await?
            .into_iter()
            .map(|p| (p.id.clone(), p))
            .collect();
        for ep in episodes {
            let p = patients
                .get(&ep.patient_id)
                .ok_or_else(|| DbErr::RecordNotFound(format!("patient {} of episode {}", ep.patient_id, ep.id)))?;
            let who = PatientIdentity::for_billing(p.ins.as_deref(), &p.family_name, &p.given_name, p.birth_date);
            out.insert(ep.id, (p.id.clone(), who));
        }
    }
    Ok(out)
}

/// Every establishment, by FINESS (the CLI prints one block of statements per establishment).
pub async fn establishments(
    db: &impl ConnectionTrait,
) -> Result<Vec<crate::store::entities::establishment::Model>, DbErr> {
    use crate::store::entities::establishment;
    establishment::Entity::find().order_by_asc(establishment::Column::Finess).all(db).await
}
