//! Facts about the site that outlive a process: today the fingerprint of the VAPID public key
//! the registered phones subscribed with, so that a start with another key (a lost or
//! regenerated key file) is noticed rather than silently cutting every phone off
//! (docs/operations.md, "Backups").

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.get_connection()
            .execute_unprepared(
                "CREATE TABLE site_facts (name VARCHAR(64) PRIMARY KEY, value TEXT NOT NULL, updated_at TEXT NOT NULL)",
            )
            .await
            .map(|_| ())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.get_connection().execute_unprepared("DROP TABLE site_facts").await.map(|_| ())
    }
}
