//! The outbox: every message to a person is a row here first, written in the transaction of the
//! event that causes it; the delivery worker sends and records outcomes.
//! What a row says is a typed [`Message`] (`notify::message`): its tag is the `kind` column, its
//! fields the `payload`, and the message decides its `channel`.

use chrono::{DateTime, Utc};
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder};

use super::due_work::rows_per_insert;
use super::entities::outbox;
use super::new_id;
use crate::notify::message::Message;

pub struct NewMessage<'a> {
    pub recipient_kind: &'a str,
    pub recipient_id: &'a str,
    pub message: Message,
    /// The same event never queues the same message twice (idempotent jobs).
    pub dedupe_key: String,
}

/// Queues a message; a second message with the same dedupe key is ignored.
pub async fn enqueue(db: &impl ConnectionTrait, m: NewMessage<'_>, now: DateTime<Utc>) -> Result<(), DbErr> {
    enqueue_many(db, vec![m], now).await
}

pub async fn for_recipient(db: &impl ConnectionTrait, recipient_id: &str) -> Result<Vec<outbox::Model>, DbErr> {
    outbox::Entity::find()
        .filter(outbox::Column::RecipientId.eq(recipient_id))
        .order_by_asc(outbox::Column::CreatedAt)
        .all(db)
        .await
}

/// Queues many messages in a few statements (dose reminders come by the thousand); duplicates
/// by dedupe key are ignored.
pub async fn enqueue_many(
    db: &impl ConnectionTrait,
    msgs: Vec<NewMessage<'_>>,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    enqueue_each_at(db, msgs.into_iter().map(|m| (m, now)).collect()).await
}

/// [`enqueue_many`] for messages of events at different times (the alerts of a batch of
/// reports, each at its report's time): each is created, and due, at its own.
pub async fn enqueue_each_at(
    db: &impl ConnectionTrait,
    msgs: Vec<(NewMessage<'_>, DateTime<Utc>)>,
) -> Result<(), DbErr> {
    for chunk in msgs.chunks(rows_per_insert(13)) {
        let rows = chunk.iter().map(|(m, now)| outbox::ActiveModel {
            id: Set(new_id()),
            channel: Set(m.message.channel().as_str().to_owned()),
            recipient_kind: Set(m.recipient_kind.to_owned()),
            recipient_id: Set(m.recipient_id.to_owned()),
            kind: Set(m.message.kind().to_owned()),
            payload: Set(m.message.payload()),
            dedupe_key: Set(m.dedupe_key.clone()),
            status: Set("pending".into()),
            attempts: Set(0),
            next_attempt_at: Set(*now),
            created_at: Set(*now),
            sent_at: Set(None),
            last_error: Set(None),
        });
        outbox::Entity::insert_many(rows)
            .on_conflict_do_nothing_on([outbox::Column::DedupeKey])
            .exec_without_returning(db)
            .await?;
    }
    Ok(())
}

/// Deletes messages that are over (sent, failed, no device) and were created before `before`
/// (retention); pending ones are kept whatever their age. Returns how many.
pub async fn purge_finished(db: &impl ConnectionTrait, before: DateTime<Utc>) -> Result<u64, DbErr> {
    let r = outbox::Entity::delete_many()
        .filter(outbox::Column::Status.is_in(["sent", "failed", "no_device"]))
        .filter(outbox::Column::CreatedAt.lt(before))
        .exec(db)
        .await?;
    Ok(r.rows_affected)
}
