//! The care team changes over an episode (docs/domain.md, "Care team"): a pharmacy replaced, a
//! GP named late, a community nurse (IDEL) joining. `care_teams` already holds one row per
//! version of the team with its period (`valid_from` inclusive, `valid_to` exclusive); each
//! member's period (role, professional or pharmacy, from, to) is read from the versions that
//! name them. This migration adds what the versions lacked:
//!
//! - `community_nurse_id`: the IDEL on the team (a professional of role `community_nurse`);
//! - `changed_by`: who recorded the version (NULL for the team written at inclusion);
//! - an index on `(episode_id, valid_from)`: the team in force on a day is looked up by date;
//! - the first version of each episode starts on the episode's start date (the history begins
//!   at inclusion, whatever day the row was written);
//! - the role `community_nurse` joins the constraint of `professionals.role` and
//!   `alert_recipients.role` (docs/design.md, "Stored values").

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::ConnectionTrait;

use crate::columns::{fk, index, ref_col_null};
use crate::m20261206_000010_stored_values::{add, drop};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Every role an account may have (the set of migration 10 and `community_nurse`).
pub const ROLES: &[&str] =
    &["idec", "oncologist", "hospital_pharmacist", "community_pharmacist", "gp", "admin", "billing", "community_nurse"];
const ROLES_BEFORE: &[&str] =
    &["idec", "oncologist", "hospital_pharmacist", "community_pharmacist", "gp", "admin", "billing"];
const ROLE_COLUMNS: &[(&str, &str)] = &[("professionals", "role"), ("alert_recipients", "role")];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let backend = m.get_database_backend();
        // SQLite cannot add a foreign key to an existing table: there the store's team check
        // (an active professional of the right role) is the guard; PostgreSQL gets the key too.
        let nurse = ref_col_null("community_nurse_id");
        m.alter_table(Table::alter().table("care_teams").add_column(nurse).to_owned()).await?;
        if backend == sea_orm_migration::sea_orm::DatabaseBackend::Postgres {
            m.create_foreign_key(
                fk("care_teams", "community_nurse_id", "professionals").name("fk_care_teams_nurse").take(),
            )
            .await?;
        }
        m.alter_table(Table::alter().table("care_teams").add_column(ref_col_null("changed_by")).to_owned()).await?;
        m.create_index(index("care_teams", "ix_care_teams_episode_from", &["episode_id", "valid_from"], false)).await?;
        m.create_index(index("care_teams", "ix_care_teams_nurse", &["community_nurse_id"], false)).await?;
        let db = m.get_connection();
        db.execute_unprepared(
            "UPDATE care_teams SET valid_from = (SELECT e.start_date FROM episodes e WHERE e.id = care_teams.episode_id) \
             WHERE NOT EXISTS (SELECT 1 FROM care_teams t WHERE t.episode_id = care_teams.episode_id \
             AND (t.valid_from < care_teams.valid_from \
                  OR (t.valid_from = care_teams.valid_from AND t.created_at < care_teams.created_at))) \
             AND valid_from > (SELECT e.start_date FROM episodes e WHERE e.id = care_teams.episode_id)",
        )
        .await?;
        for (table, column) in ROLE_COLUMNS {
            for sql in drop(backend, table, column).into_iter().chain(add(backend, table, column, ROLES)) {
                db.execute_unprepared(&sql).await?;
            }
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let backend = m.get_database_backend();
        let db = m.get_connection();
        for (table, column) in ROLE_COLUMNS {
            for sql in drop(backend, table, column).into_iter().chain(add(backend, table, column, ROLES_BEFORE)) {
                db.execute_unprepared(&sql).await?;
            }
        }
        m.drop_index(Index::drop().name("ix_care_teams_nurse").table("care_teams").to_owned()).await?;
        m.drop_index(Index::drop().name("ix_care_teams_episode_from").table("care_teams").to_owned()).await?;
        m.alter_table(Table::alter().table("care_teams").drop_column("changed_by").to_owned()).await?;
        m.alter_table(Table::alter().table("care_teams").drop_column("community_nurse_id").to_owned()).await
    }
}
