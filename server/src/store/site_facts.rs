//! Named facts about the site that outlive a process (table `site_facts`).

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DbErr, Statement};

pub const VAPID_PUBLIC_KEY: &str = "vapid_public_key";

pub async fn get(db: &impl ConnectionTrait, name: &str) -> Result<Option<String>, DbErr> {
    let b = db.get_database_backend();
    let sql = match b {
        sea_orm::DbBackend::Postgres => "SELECT value FROM site_facts WHERE name = $1",
        _ => "SELECT value FROM site_facts WHERE name = ?",
    };
    let row = db.query_one_raw(Statement::from_sql_and_values(b, sql, [name.into()])).await?;
    row.map(|r| r.try_get::<String>("", "value")).transpose()
}

pub async fn set(db: &impl ConnectionTrait, name: &str, value: &str, now: DateTime<Utc>) -> Result<(), DbErr> {
    let b = db.get_database_backend();
    let sql = match b {
        sea_orm::DbBackend::Postgres => {
            "INSERT INTO site_facts (name, value, updated_at) VALUES ($1, $2, $3) \
             ON CONFLICT (name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at"
        }
        _ => {
            "INSERT INTO site_facts (name, value, updated_at) VALUES (?, ?, ?) \
             ON CONFLICT (name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at"
        }
    };
    db.execute_raw(Statement::from_sql_and_values(b, sql, [name.into(), value.into(), now.to_rfc3339().into()]))
        .await
        .map(|_| ())
}
