//! Storage behind one door: sea-orm entities and the named queries the rest of the server
//! needs. Nothing outside this module builds SQL.

pub mod alerts;
pub mod audit;
pub mod auth;
pub mod billing;
pub mod care_events;
pub mod directory;
pub mod dispensations;
pub mod doses;
pub mod due_work;
pub mod entities;
pub mod episodes;
pub mod group_commit;
pub mod handover;
pub mod indicators;
pub mod outbox;
pub mod outbox_delivery;
pub mod patients;
pub mod pharmacy_records;
pub mod push_devices;
pub mod reports;
pub mod site_facts;
pub mod stored_value;
pub mod teams;

use std::time::Duration;

use relais_migrations::{Migrator, MigratorTrait};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr, SqlErr,
    TransactionOptions, TransactionTrait,
};

pub use sea_orm::DatabaseConnection as Db;
pub use stored_value::{StoredValueError, stored_value_errors};

/// Opens the database: SQLite in WAL mode with foreign keys enforced, or PostgreSQL.
pub async fn connect(url: &str, max_connections: u32) -> Result<DatabaseConnection, DbErr> {
    let mut opts = ConnectOptions::new(url.to_owned());
    opts.max_connections(max_connections)
        .min_connections(1)
        .acquire_timeout(Duration::from_secs(10))
        // sqlx pings a connection before lending it (one round trip more per statement run
        // outside a transaction). Only a connection idle for a while, which a restart, a proxy
        // or a firewall may have cut, is pinged now; a busy one is lent at once. One cut while
        // busy fails its statement (503, the phone sends again) and is then closed by the ping
        // sqlx makes on its return (docs/design.md, "Report intake").
        .test_before_acquire_if_idle_for(Duration::from_secs(5))
        .sqlx_logging(false)
        .map_sqlx_sqlite_opts(|o| {
            o.journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
                .synchronous(sea_orm::sqlx::sqlite::SqliteSynchronous::Normal)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(10))
        })
        // Every session's transactions are read committed and read-write, set once when it
        // connects: a write transaction is then a plain BEGIN, not BEGIN and a SET TRANSACTION
        // (one round trip less per report; BENCHMARKS.md, "Report intake").
        .map_sqlx_postgres_opts(|o| {
            o.options([("default_transaction_isolation", "read committed"), ("default_transaction_read_only", "off")])
        });
    Database::connect(opts).await
}

/// Applies pending migrations (idempotent). On PostgreSQL, instances starting at once take
/// turns: a session-level advisory lock, held on a connection of its own, lets one migrate
/// while the others wait, then find nothing left to do. SQLite's write lock does the same.
pub async fn migrate(db: &DatabaseConnection, url: &str) -> Result<(), DbErr> {
    if !is_postgres(db) {
        return Migrator::up(db, None).await;
    }
    let lock = Database::connect(ConnectOptions::new(url.to_owned()).max_connections(1).sqlx_logging(false).to_owned())
        .await?;
    lock.execute_unprepared(&format!("SELECT pg_advisory_lock({MIGRATION_LOCK})")).await?;
    let result = Migrator::up(db, None).await;
    let _ = lock.execute_unprepared(&format!("SELECT pg_advisory_unlock({MIGRATION_LOCK})")).await;
    let _ = lock.close().await;
    result
}

/// The advisory lock key of migrations ("relais" in ASCII).
const MIGRATION_LOCK: i64 = 0x72_65_6c_61_69_73;

/// The advisory lock key of the self-check ("relais" + 1).
pub const SELF_CHECK_LOCK: i64 = MIGRATION_LOCK + 1;

/// Takes a PostgreSQL advisory lock for the rest of the transaction, without waiting; false
/// when another session holds it. SQLite's write transaction already excludes every other
/// writer, so there it is always true.
pub async fn try_lock_for_transaction(txn: &DatabaseTransaction, key: i64) -> Result<bool, DbErr> {
    if !is_postgres(txn) {
        return Ok(true);
    }
    let row = txn
        .query_one_raw(sea_orm::Statement::from_string(
            DbBackend::Postgres,
            format!("SELECT pg_try_advisory_xact_lock({key}) AS locked"),
        ))
        .await?;
    row.map_or(Ok(false), |r| r.try_get::<bool>("", "locked"))
}

/// Cheap round trip for the health check.
pub async fn ping(db: &DatabaseConnection) -> Result<(), DbErr> {
    db.ping().await
}

/// Begins a write transaction. On SQLite it takes the write lock at BEGIN (IMMEDIATE), so two
/// writers queue on the busy timeout instead of failing when one upgrades a read lock.
pub async fn begin_write(db: &DatabaseConnection) -> Result<DatabaseTransaction, DbErr> {
    match db.get_database_backend() {
        DbBackend::Sqlite => {
            db.begin_with_options(TransactionOptions {
                sqlite_transaction_mode: Some(sea_orm::SqliteTransactionMode::Immediate),
                ..Default::default()
            })
            .await
        }
        // Read committed and read-write: the session's defaults, set at connection (`connect`).
        _ => db.begin().await,
    }
}

pub fn is_postgres(db: &impl ConnectionTrait) -> bool {
    db.get_database_backend() == DbBackend::Postgres
}

/// The constraint named in a unique-key violation, if that is what the error is.
pub fn unique_violation(e: &DbErr) -> Option<String> {
    match e.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(msg)) => Some(msg),
        _ => None,
    }
}

/// A new row id: a time-ordered UUID (version 7, RFC 9562: 48 bits of Unix milliseconds then
/// 74 random bits). Rows created together get neighbouring ids, so the B-tree indexes on ids
/// grow at their right edge and a batch's rows sit on few pages, instead of every insert and
/// lookup landing on a random page of an index larger than the database's cache (measured in
/// BENCHMARKS.md, "Reminder burst"). Ids are not secrets: tokens come from `secrets`.
pub fn new_id() -> String {
    use rand::RngCore;
    let millis = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64);
    let mut random = [0u8; 10];
    rand::thread_rng().fill_bytes(&mut random);
    uuid::Builder::from_unix_timestamp_millis(millis, &random).into_uuid().to_string()
}

#[cfg(test)]
mod tests {
    #[test]
    fn ids_are_version_7_uuids_in_creation_order() {
        let a = super::new_id();
        // The first 13 characters are the millisecond; take the next id of a later one.
        let mut b = super::new_id();
        while b[..13] == a[..13] {
            b = super::new_id();
        }
        let parsed = uuid::Uuid::parse_str(&a).unwrap();
        assert_eq!(parsed.get_version_num(), 7);
        assert!(a < b, "{a} then {b}");
        assert_ne!(super::new_id(), super::new_id());
    }
}
