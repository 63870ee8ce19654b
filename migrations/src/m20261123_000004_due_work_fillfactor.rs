//! Room for in-place updates on PostgreSQL. A due-work item is
//! written three times (scheduled, leased, done) and a dose several times (planned, reminded,
//! confirmed or closed); with free space left in each page, the updates that touch no indexed
//! column (the lease, the reminder count, the outcome) stay on the page as heap-only tuples and
//! add no index entries. SQLite has no fill factor: nothing to do there.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        if m.get_database_backend() == sea_orm::DatabaseBackend::Postgres {
            let db = m.get_connection();
            db.execute_unprepared("ALTER TABLE due_work SET (fillfactor = 70)").await?;
            db.execute_unprepared("ALTER TABLE doses SET (fillfactor = 70)").await?;
        }
        Ok(())
    }
}
