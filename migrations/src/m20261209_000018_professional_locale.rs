//! The language a professional reads Relais in (issue 19, docs/design.md "Notifications"):
//! emails go out in one language, the recipient's. `professionals.locale` is `fr` (the default,
//! for every existing account) or `en`, constrained like the enumerated columns of migration 10.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::ConnectionTrait;

use crate::m20261206_000010_stored_values::{add, drop};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The languages of Relais.
pub const LOCALES: &[&str] = &["fr", "en"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(Alias::new("professionals"))
                .add_column(ColumnDef::new(Alias::new("locale")).string_len(8).not_null().default("fr"))
                .to_owned(),
        )
        .await?;
        let db = m.get_connection();
        for sql in add(m.get_database_backend(), "professionals", "locale", LOCALES) {
            db.execute_unprepared(&sql).await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        for sql in drop(m.get_database_backend(), "professionals", "locale") {
            db.execute_unprepared(&sql).await?;
        }
        m.alter_table(Table::alter().table(Alias::new("professionals")).drop_column(Alias::new("locale")).to_owned())
            .await
    }
}
