//! Staff sessions end after a time without use (`security.session_idle_minutes`) as well as
//! after their absolute lifetime: the session remembers when it was last used.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table("staff_sessions")
                .add_column(ColumnDef::new("last_seen_at").timestamp_with_time_zone().null())
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(Table::alter().table("staff_sessions").drop_column("last_seen_at").to_owned()).await
    }
}
