//! Indexes shaped for the claims of the two work queues (the reminder burst, the delivery
//! throughput).
//!
//! - Outbox: claimed per lane (patients' messages, professionals' messages) in order of
//!   `next_attempt_at`. With the index on (status, next_attempt_at) a claim of one lane read and
//!   sorted every due row of both lanes; with recipient_kind between the two, the patients' lane
//!   reads its rows in index order and stops at the batch size, and the staff lane reads only the
//!   staff rows. The new index serves every query the old one served (its first column is the
//!   status), so the old one goes.
//! - Due work: only open items are ever claimed, so the index holds only them (a partial index
//!   `WHERE done_at IS NULL`, on both engines). Completing an item then adds no entry to it, and
//!   the claim never walks past the done items of earlier days.

use sea_orm_migration::prelude::*;

use crate::columns::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_index(index("outbox", "ix_outbox_claim", &["status", "recipient_kind", "next_attempt_at"], false))
            .await?;
        m.drop_index(Index::drop().name("ix_outbox_due").table("outbox").to_owned()).await?;
        let db = m.get_connection();
        db.execute_unprepared("CREATE INDEX ix_due_work_open ON due_work (due_at) WHERE done_at IS NULL").await?;
        m.drop_index(Index::drop().name("ix_due_work_due").table("due_work").to_owned()).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_index(index("due_work", "ix_due_work_due", &["done_at", "due_at"], false)).await?;
        m.drop_index(Index::drop().name("ix_due_work_open").table("due_work").to_owned()).await?;
        m.create_index(index("outbox", "ix_outbox_due", &["status", "next_attempt_at"], false)).await?;
        m.drop_index(Index::drop().name("ix_outbox_claim").table("outbox").to_owned()).await
    }
}
