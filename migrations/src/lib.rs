//! The Relais schema: one migration set that runs on SQLite and PostgreSQL. Identifiers are
//! UUIDs stored as text (the same on both engines), instants are `timestamp with time zone` in
//! UTC, local calendar dates are `date`.

#![forbid(unsafe_code)]

pub use sea_orm_migration::prelude::*;

mod columns;
mod m20261123_000001_foundation;
mod m20261123_000002_reports_alerts;
mod m20261123_000003_doses_due_work;
mod m20261123_000004_due_work_fillfactor;
mod m20261123_000005_billing;
mod m20261123_000006_care_events;
mod m20261124_000007_claim_indexes;
mod m20261205_000008_site_facts;
mod m20261205_000009_session_idle;
mod m20261206_000010_stored_values;
mod m20261207_000011_team_history;
mod m20261207_000012_regimen_blocks;
mod m20261208_000013_dispensations;
mod m20261208_000014_handover_sheets;
mod m20261208_000015_regimen_topic;
mod m20261209_000016_pharmacy_records;
mod m20261209_000018_professional_locale;

/// The enumerated columns and the values each may hold (the CHECK constraints of migration 10).
pub use m20261206_000010_stored_values::ENUMERATED as ENUMERATED_COLUMNS;
/// The reasons a hand-over sheet is issued (the constraint of migration 14).
pub use m20261208_000014_handover_sheets::REASONS as HANDOVER_REASONS;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261123_000001_foundation::Migration),
            Box::new(m20261123_000002_reports_alerts::Migration),
            Box::new(m20261123_000003_doses_due_work::Migration),
            Box::new(m20261123_000004_due_work_fillfactor::Migration),
            Box::new(m20261123_000005_billing::Migration),
            Box::new(m20261123_000006_care_events::Migration),
            Box::new(m20261124_000007_claim_indexes::Migration),
            Box::new(m20261205_000008_site_facts::Migration),
            Box::new(m20261205_000009_session_idle::Migration),
            Box::new(m20261206_000010_stored_values::Migration),
            Box::new(m20261207_000011_team_history::Migration),
            Box::new(m20261207_000012_regimen_blocks::Migration),
            Box::new(m20261208_000013_dispensations::Migration),
            Box::new(m20261208_000014_handover_sheets::Migration),
            Box::new(m20261208_000015_regimen_topic::Migration),
            Box::new(m20261209_000016_pharmacy_records::Migration),
            Box::new(m20261209_000018_professional_locale::Migration),
        ]
    }
}
