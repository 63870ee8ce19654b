//! A new alert topic, `regimen` (issue 16, docs/domain.md "A new weight and the dose"): a weight
//! the patient reports moves a dose computed per m² or per kg by more than the threshold of
//! config/triage.toml, and the IDEC and the hospital pharmacist are told. The constraint of
//! `alerts.topic` (docs/design.md, "Stored values") is replaced by one that accepts it; going
//! down puts the previous set back (refused while a `regimen` alert is stored, as any value
//! outside a set is).

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::ConnectionTrait;

use crate::m20261206_000010_stored_values::{add, drop};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Every topic an alert may have (the set of migration 10 and `regimen`).
pub const TOPICS: &[&str] = &["toxicity", "adherence", "interaction", "missed_follow_up", "regimen"];
const TOPICS_BEFORE: &[&str] = &["toxicity", "adherence", "interaction", "missed_follow_up"];

async fn replace(m: &SchemaManager<'_>, topics: &[&str]) -> Result<(), DbErr> {
    let backend = m.get_database_backend();
    let db = m.get_connection();
    for sql in drop(backend, "alerts", "topic").into_iter().chain(add(backend, "alerts", "topic", topics)) {
        db.execute_unprepared(&sql).await?;
    }
    Ok(())
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        replace(m, TOPICS).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        replace(m, TOPICS_BEFORE).await
    }
}
