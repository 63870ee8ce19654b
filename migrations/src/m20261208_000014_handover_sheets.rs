//! The hand-over sheet ("fiche de liaison", docs/domain.md "The care team and the hand-over"):
//! at inclusion and at each sequence change the community members of the team are sent a link
//! to a printable sheet. Each sheet is a numbered version per episode, and keeps the snapshot of
//! what was true when it was issued (`content`, JSON), so an old version still shows what the
//! pharmacist was told then.
//!
//! - `version`: 1, 2, ... per episode, unique with `episode_id`;
//! - `sequence_id`: the sequence in force (or opening) when it was issued;
//! - `reason`: `inclusion`, `sequence_change` or `team_change`, constrained like the enumerated
//!   columns of migration 10 (a CHECK on PostgreSQL, triggers on SQLite: the same helpers).

use sea_orm_migration::sea_orm::ConnectionTrait;
use sea_orm_migration::{prelude::*, schema::*};

use crate::columns::{create_all, fk, id, index, ref_col};
use crate::m20261206_000010_stored_values::{add, drop};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Why a version of the sheet was issued.
pub const REASONS: &[&str] = &["inclusion", "sequence_change", "team_change"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let tables = vec![
            Table::create()
                .table("handover_sheets")
                .col(id())
                .col(ref_col("episode_id"))
                .col(integer("version"))
                .col(ref_col("sequence_id"))
                .col(string_len("reason", 32))
                .col(timestamp_with_time_zone("created_at"))
                .col(text("content"))
                .foreign_key(&mut fk("handover_sheets", "episode_id", "episodes"))
                .foreign_key(&mut fk("handover_sheets", "sequence_id", "sequences"))
                .take(),
        ];
        let indexes =
            vec![index("handover_sheets", "ux_handover_sheets_episode_version", &["episode_id", "version"], true)];
        create_all(m, tables, indexes).await?;
        let (backend, db) = (m.get_database_backend(), m.get_connection());
        for sql in add(backend, "handover_sheets", "reason", REASONS) {
            db.execute_unprepared(&sql).await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let (backend, db) = (m.get_database_backend(), m.get_connection());
        for sql in drop(backend, "handover_sheets", "reason") {
            db.execute_unprepared(&sql).await?;
        }
        m.drop_table(Table::drop().table("handover_sheets").to_owned()).await
    }
}
