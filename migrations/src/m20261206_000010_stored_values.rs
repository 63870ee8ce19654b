//! Enumerated columns hold only the values the code knows (docs/design.md, "Stored values"). The
//! server reads them back through typed accessors that refuse an unknown value rather than
//! default it; this makes the database refuse to store one in the first place.
//!
//! - PostgreSQL: one `CHECK (col IN (...))` constraint per column, `ck_{table}_{column}`.
//! - SQLite cannot add a constraint to an existing table, and rebuilding these tables (the
//!   documented create-copy-drop-rename procedure) needs foreign keys switched off, which cannot
//!   be done inside the migration's transaction nor safely on one connection of a pool: most of
//!   them are the parents of foreign keys (episodes, sequences, alerts, professionals...). So on
//!   SQLite each column gets two triggers, `ck_{table}_{column}_insert` and `..._update`, that
//!   abort the statement (`RAISE(ABORT, ...)`) when the new value is outside the set: the same
//!   refusal, the same name in the message, no table rewritten.
//!
//! NULL passes on both engines (as a CHECK does): the nullable columns (`end_reason`,
//! `decision`) may stay empty. Rows already stored are checked first, on both engines: one value
//! outside its set stops the migration with the table, the column and the number of rows, so that
//! they can be fixed by hand (the previous release never wrote such a value).
//!
//! Time zones (`patients.time_zone`, `establishments.time_zone`) are not listed here: the IANA
//! names are too many for a CHECK, the accessors are their only guard. Nor are the columns whose
//! values come from configuration (symptoms, calendars, tariff versions, interview codes), the
//! audit log, or the kinds of the work queues (`due_work.kind`, `outbox.kind`).

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DatabaseBackend, Statement};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The roles as they are now: migration 11 added `community_nurse` (a database migrated before
/// it has its role constraints replaced there; a new one gets the full set here and again there).
use crate::m20261207_000011_team_history::ROLES;
/// The alert topics as they are now: migration 15 added `regimen` (the same arrangement as the
/// roles).
use crate::m20261208_000015_regimen_topic::TOPICS;
const SEQUENCES: &[&str] = &["S1", "S2", "S3"];
const PARCOURS: &[&str] = &["A", "B"];
const COLOURS: &[&str] = &["green", "amber", "red"];

/// Every constrained column: (table, column, the values it may hold).
pub const ENUMERATED: &[(&str, &str, &[&str])] = &[
    ("professionals", "role", ROLES),
    ("patients", "locale", &["fr", "en"]),
    ("episodes", "parcours", PARCOURS),
    (
        "episodes",
        "end_reason",
        &[
            "treatment_stopped",
            "treatment_changed",
            "death",
            "had",
            "transfer",
            "withdrew",
            "lost_to_follow_up",
            "inclusion_error",
        ],
    ),
    ("sequences", "kind", SEQUENCES),
    ("sequences", "state", &["active", "completed", "ended", "cancelled"]),
    ("sequences", "decision", &["renew", "advance"]),
    ("comedications", "declared_by_kind", &["professional", "patient"]),
    ("outbox", "channel", &["email", "push"]),
    ("outbox", "recipient_kind", &["patient", "professional", "email_address"]),
    ("outbox", "status", &["pending", "sending", "sent", "failed", "no_device"]),
    ("questionnaires", "status", &["pending", "answered", "missed"]),
    ("reports", "sequence", SEQUENCES),
    ("reports", "colour", COLOURS),
    ("symptom_grades", "colour", COLOURS),
    ("alerts", "topic", TOPICS),
    ("alerts", "colour", COLOURS),
    ("alerts", "status", &["open", "acknowledged", "resolved"]),
    ("alert_recipients", "role", ROLES),
    (
        "alert_events",
        "kind",
        &["opened", "raised", "updated", "escalated", "acknowledged", "resolved", "delivery_failed"],
    ),
    ("alert_events", "actor_kind", &["system", "professional"]),
    ("doses", "status", &["pending", "taken", "taken_late", "skipped", "vomited", "missed", "cancelled"]),
    ("push_devices", "kind", &["webpush", "fcm"]),
    ("billing_lines", "actor", &["hospital", "pharmacy", "gp"]),
    ("billing_lines", "parcours", PARCOURS),
    ("billing_lines", "sequence_kind", SEQUENCES),
    ("billing_lines", "state", &["due", "exported", "paid", "cancelled"]),
    ("care_events", "kind", &["emergency_visit", "unplanned_hospitalisation"]),
    ("pharmacist_interviews", "kind", &["initial", "daily_life_and_side_effects", "adherence"]),
    ("interview_accompaniments", "treatment", &["long_course", "other"]),
];

/// `'a', 'b'`: the values are this file's constants, never input.
fn list(values: &[&str]) -> String {
    values.iter().map(|v| format!("'{v}'")).collect::<Vec<_>>().join(", ")
}

fn name(table: &str, column: &str) -> String {
    format!("ck_{table}_{column}")
}

/// The SQL that adds the constraint of one column.
pub(crate) fn add(backend: DatabaseBackend, table: &str, column: &str, values: &[&str]) -> Vec<String> {
    let (name, values) = (name(table, column), list(values));
    match backend {
        DatabaseBackend::Postgres => {
            vec![format!("ALTER TABLE {table} ADD CONSTRAINT {name} CHECK ({column} IN ({values}))")]
        }
        _ => {
            let raise = format!("SELECT RAISE(ABORT, 'CHECK constraint failed: {name} ({table}.{column})');");
            vec![
                format!(
                    "CREATE TRIGGER {name}_insert BEFORE INSERT ON {table} FOR EACH ROW \
                     WHEN NEW.{column} NOT IN ({values}) BEGIN {raise} END"
                ),
                format!(
                    "CREATE TRIGGER {name}_update BEFORE UPDATE OF {column} ON {table} FOR EACH ROW \
                     WHEN NEW.{column} NOT IN ({values}) BEGIN {raise} END"
                ),
            ]
        }
    }
}

pub(crate) fn drop(backend: DatabaseBackend, table: &str, column: &str) -> Vec<String> {
    let name = name(table, column);
    match backend {
        DatabaseBackend::Postgres => vec![format!("ALTER TABLE {table} DROP CONSTRAINT IF EXISTS {name}")],
        _ => vec![format!("DROP TRIGGER IF EXISTS {name}_insert"), format!("DROP TRIGGER IF EXISTS {name}_update")],
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    /// One transaction on both engines: the constraints are all added, or none.
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        let backend = m.get_database_backend();
        let mut refused = Vec::new();
        for (table, column, values) in ENUMERATED {
            let sql = format!(
                "SELECT COUNT(*) AS n FROM {table} WHERE {column} IS NOT NULL AND {column} NOT IN ({})",
                list(values)
            );
            let row = db.query_one_raw(Statement::from_string(backend, sql)).await?;
            let n: i64 = row.map_or(Ok(0), |r| r.try_get("", "n"))?;
            if n > 0 {
                refused.push(format!("{table}.{column}: {n} row(s)"));
            }
        }
        if !refused.is_empty() {
            return Err(DbErr::Migration(format!(
                "values outside their known set, fix these rows before upgrading (docs/design.md, \"Stored values\"): {}",
                refused.join("; ")
            )));
        }
        for (table, column, values) in ENUMERATED {
            for sql in add(backend, table, column, values) {
                db.execute_unprepared(&sql).await?;
            }
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        for (table, column, _) in ENUMERATED {
            for sql in drop(m.get_database_backend(), table, column) {
                db.execute_unprepared(&sql).await?;
            }
        }
        Ok(())
    }
}
