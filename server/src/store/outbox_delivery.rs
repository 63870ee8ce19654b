//! The outbox seen by the delivery worker: claim due rows under a lease, record outcomes.
//! A row is `pending` → `sending` (leased: `next_attempt_at` is the lease end) → `sent`,
//! back to `pending` with a later `next_attempt_at` (retry), `failed` (retries exhausted,
//! or refused) or `no_device` (a patient without a phone to push to).

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, LockBehavior, LockType};
use sea_orm::{ColumnTrait, Condition, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use super::StoredValueError;
use super::entities::{outbox, professional};
use super::{Db, begin_write, is_postgres};
use crate::domain::triage::Locale;

/// Claims due rows of the given channels and recipient kinds, oldest first: first rows left
/// `sending` by a dead worker whose lease has passed, then `pending` rows. Each status is read
/// in the order of the claim index (status, recipient kind, next attempt), so a claim reads
/// about as many rows as it takes, however long the backlog.
pub async fn claim(
    db: &Db,
    channels: &[&str],
    recipient_kinds: &[&str],
    now: DateTime<Utc>,
    lease: Duration,
    limit: u64,
) -> Result<Vec<outbox::Model>, DbErr> {
    let txn = begin_write(db).await?;
    let mut rows = Vec::new();
    for status in ["sending", "pending"] {
        let want = limit - rows.len() as u64;
        if want == 0 {
            break;
        }
        let mut q = outbox::Entity::find()
            .filter(outbox::Column::Status.eq(status))
            .filter(outbox::Column::RecipientKind.is_in(recipient_kinds.iter().map(|k| k.to_string())))
            .filter(outbox::Column::NextAttemptAt.lte(now))
            .filter(outbox::Column::Channel.is_in(channels.iter().map(|c| c.to_string())))
            .order_by_asc(outbox::Column::NextAttemptAt)
            .limit(want);
        if is_postgres(&txn) {
            q = q.lock_with_behavior(LockType::Update, LockBehavior::SkipLocked);
        }
        rows.extend(q.all(&txn).await?);
    }
    let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
    for chunk in ids.chunks(super::due_work::MAX_IDS) {
        outbox::Entity::update_many()
            .col_expr(outbox::Column::Status, Expr::value("sending"))
            .col_expr(outbox::Column::NextAttemptAt, Expr::value(now + lease))
            .col_expr(outbox::Column::Attempts, Expr::col(outbox::Column::Attempts).add(1))
            .filter(outbox::Column::Id.is_in(chunk.to_vec()))
            .exec(&txn)
            .await?;
    }
    txn.commit().await?;
    Ok(rows)
}

/// Extends the lease of claimed rows still being sent (a slow batch keeps its rows).
pub async fn renew(db: &Db, ids: &[String], until: DateTime<Utc>) -> Result<(), DbErr> {
    for chunk in ids.chunks(super::due_work::MAX_IDS) {
        outbox::Entity::update_many()
            .col_expr(outbox::Column::NextAttemptAt, Expr::value(until))
            .filter(outbox::Column::Status.eq("sending"))
            .filter(outbox::Column::Id.is_in(chunk.to_vec()))
            .exec(db)
            .await?;
    }
    Ok(())
}

/// The outcome of one attempt.
#[derive(Debug, Clone, PartialEq)]
pub enum Recorded {
    Sent,
    Retry { at: DateTime<Utc>, error: String },
    Failed(String),
    NoDevice,
}

pub async fn record(
    db: &impl sea_orm::ConnectionTrait,
    id: &str,
    r: &Recorded,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let q = outbox::Entity::update_many().filter(outbox::Column::Id.eq(id));
    let q = match r {
        Recorded::Sent => {
            q.col_expr(outbox::Column::Status, Expr::value("sent")).col_expr(outbox::Column::SentAt, Expr::value(now))
        }
        Recorded::NoDevice => q.col_expr(outbox::Column::Status, Expr::value("no_device")),
        Recorded::Retry { at, error } => q
            .col_expr(outbox::Column::Status, Expr::value("pending"))
            .col_expr(outbox::Column::NextAttemptAt, Expr::value(*at))
            .col_expr(outbox::Column::LastError, Expr::value(error.chars().take(300).collect::<String>())),
        Recorded::Failed(e) => q
            .col_expr(outbox::Column::Status, Expr::value("failed"))
            .col_expr(outbox::Column::LastError, Expr::value(e.chars().take(300).collect::<String>())),
    };
    q.exec(db).await.map(|_| ())
}

/// Records many rows as sent in one statement (the common outcome of a batch).
pub async fn record_sent(db: &impl sea_orm::ConnectionTrait, ids: &[String], now: DateTime<Utc>) -> Result<(), DbErr> {
    for chunk in ids.chunks(super::due_work::MAX_IDS) {
        outbox::Entity::update_many()
            .col_expr(outbox::Column::Status, Expr::value("sent"))
            .col_expr(outbox::Column::SentAt, Expr::value(now))
            .filter(outbox::Column::Id.is_in(chunk.to_vec()))
            .exec(db)
            .await?;
    }
    Ok(())
}

/// Email addresses of professionals, by id.
/// The email address and language of each of these professionals; a stored language that
/// does not parse is an error naming the row (the message then fails, counted, never sent in a
/// guessed language).
pub async fn emails(
    db: &impl sea_orm::ConnectionTrait,
    ids: Vec<String>,
) -> Result<Vec<(String, (String, Result<Locale, StoredValueError>))>, DbErr> {
    Ok(professional::Entity::find()
        .filter(Condition::all().add(professional::Column::Id.is_in(ids)))
        .all(db)
        .await?
        .into_iter()
        .map(|p| {
            let locale = p.locale();
            (p.id, (p.email, locale))
        })
        .collect())
}

pub async fn by_status(db: &impl sea_orm::ConnectionTrait, status: &str) -> Result<Vec<outbox::Model>, DbErr> {
    outbox::Entity::find()
        .filter(outbox::Column::Status.eq(status))
        .order_by_asc(outbox::Column::CreatedAt)
        .all(db)
        .await
}

/// Outbox rows per status (the `/metrics` backlog).
pub async fn count_by_status(db: &impl sea_orm::ConnectionTrait) -> Result<Vec<(String, i64)>, DbErr> {
    outbox::Entity::find()
        .select_only()
        .column(outbox::Column::Status)
        .column_as(Expr::col(outbox::Column::Id).count(), "n")
        .group_by(outbox::Column::Status)
        .into_tuple()
        .all(db)
        .await
}
