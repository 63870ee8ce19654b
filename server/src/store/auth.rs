//! Staff sessions, login failures, patient activation codes and device tokens, and the
//! rate-limit ledger. Only hashes of tokens and codes are stored.

use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter, sea_query::Expr,
};

use super::entities::{activation_code, patient_device, professional, rate_limit_hit, staff_session};
use super::new_id;

pub async fn create_session(
    db: &impl ConnectionTrait,
    professional_id: &str,
    token_hash: &str,
    now: DateTime<Utc>,
    ttl: Duration,
    client_addr: Option<&str>,
) -> Result<(), DbErr> {
    let row = staff_session::ActiveModel {
        id: Set(new_id()),
        professional_id: Set(professional_id.to_owned()),
        token_hash: Set(token_hash.to_owned()),
        created_at: Set(now),
        expires_at: Set(now + ttl),
        revoked_at: Set(None),
        client_addr: Set(client_addr.map(Into::into)),
    };
    staff_session::Entity::insert(row).exec_without_returning(db).await.map(|_| ())
}

/// The professional behind a live (unexpired, unrevoked) session token of an active account.
pub async fn session_professional(
    db: &impl ConnectionTrait,
    token_hash: &str,
    now: DateTime<Utc>,
) -> Result<Option<professional::Model>, DbErr> {
    let Some(s) = staff_session::Entity::find()
        .filter(staff_session::Column::TokenHash.eq(token_hash))
        .filter(staff_session::Column::RevokedAt.is_null())
        .filter(staff_session::Column::ExpiresAt.gt(now))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let p = professional::Entity::find_by_id(s.professional_id).one(db).await?;
    Ok(p.filter(|p| p.active))
}

pub async fn revoke_session(db: &impl ConnectionTrait, token_hash: &str, now: DateTime<Utc>) -> Result<(), DbErr> {
    staff_session::Entity::update_many()
        .col_expr(staff_session::Column::RevokedAt, Expr::value(now))
        .filter(staff_session::Column::TokenHash.eq(token_hash))
        .filter(staff_session::Column::RevokedAt.is_null())
        .exec(db)
        .await
        .map(|_| ())
}

/// Counts a wrong password; locks the account once `max` consecutive failures are reached.
pub async fn record_login_failure(
    db: &impl ConnectionTrait,
    p: &professional::Model,
    max: u32,
    lock_for: Duration,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let failures = p.failed_logins + 1;
    let lock = (failures as u32 >= max).then_some(now + lock_for);
    let (count, locked_until) = if lock.is_some() { (0, lock) } else { (failures, p.locked_until) };
    professional::Entity::update_many()
        .col_expr(professional::Column::FailedLogins, Expr::value(count))
        .col_expr(professional::Column::LockedUntil, Expr::value(locked_until))
        .filter(professional::Column::Id.eq(&p.id))
        .exec(db)
        .await
        .map(|_| ())
}

pub async fn record_login_success(db: &impl ConnectionTrait, id: &str) -> Result<(), DbErr> {
    professional::Entity::update_many()
        .col_expr(professional::Column::FailedLogins, Expr::value(0))
        .col_expr(professional::Column::LockedUntil, Expr::value(Option::<DateTime<Utc>>::None))
        .filter(professional::Column::Id.eq(id))
        .exec(db)
        .await
        .map(|_| ())
}

/// Issues a new activation code for a patient; the codes issued before stop working.
pub async fn replace_activation_code(
    db: &impl ConnectionTrait,
    patient_id: &str,
    code_hash: &str,
    now: DateTime<Utc>,
    ttl: Duration,
) -> Result<DateTime<Utc>, DbErr> {
    activation_code::Entity::update_many()
        .col_expr(activation_code::Column::RevokedAt, Expr::value(now))
        .filter(activation_code::Column::PatientId.eq(patient_id))
        .filter(activation_code::Column::UsedAt.is_null())
        .filter(activation_code::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    let expires_at = now + ttl;
    let row = activation_code::ActiveModel {
        id: Set(new_id()),
        patient_id: Set(patient_id.to_owned()),
        code_hash: Set(code_hash.to_owned()),
        created_at: Set(now),
        expires_at: Set(expires_at),
        used_at: Set(None),
        revoked_at: Set(None),
    };
    activation_code::Entity::insert(row).exec_without_returning(db).await?;
    Ok(expires_at)
}

/// Consumes a live activation code: returns its patient, or `None` if the code is unknown,
/// expired, revoked or already used. The conditional update makes single use hold even when
/// two phones race with the same code.
pub async fn consume_activation_code(
    db: &impl ConnectionTrait,
    code_hash: &str,
    now: DateTime<Utc>,
) -> Result<Option<String>, DbErr> {
    let Some(code) =
        activation_code::Entity::find().filter(activation_code::Column::CodeHash.eq(code_hash)).one(db).await?
    else {
        return Ok(None);
    };
    let updated = activation_code::Entity::update_many()
        .col_expr(activation_code::Column::UsedAt, Expr::value(now))
        .filter(activation_code::Column::Id.eq(&code.id))
        .filter(activation_code::Column::UsedAt.is_null())
        .filter(activation_code::Column::RevokedAt.is_null())
        .filter(activation_code::Column::ExpiresAt.gt(now))
        .exec(db)
        .await?;
    Ok((updated.rows_affected == 1).then_some(code.patient_id))
}

pub async fn create_device(
    db: &impl ConnectionTrait,
    patient_id: &str,
    token_hash: &str,
    now: DateTime<Utc>,
) -> Result<String, DbErr> {
    let id = new_id();
    let row = patient_device::ActiveModel {
        id: Set(id.clone()),
        patient_id: Set(patient_id.to_owned()),
        token_hash: Set(token_hash.to_owned()),
        created_at: Set(now),
        revoked_at: Set(None),
        last_seen_at: Set(Some(now)),
    };
    patient_device::Entity::insert(row).exec_without_returning(db).await?;
    Ok(id)
}

/// The patient behind a live device token.
pub async fn device_patient(
    db: &impl ConnectionTrait,
    token_hash: &str,
) -> Result<Option<patient_device::Model>, DbErr> {
    patient_device::Entity::find()
        .filter(patient_device::Column::TokenHash.eq(token_hash))
        .filter(patient_device::Column::RevokedAt.is_null())
        .one(db)
        .await
}

/// Revokes every device of a patient (lost phone, new activation code on request).
pub async fn revoke_devices(db: &impl ConnectionTrait, patient_id: &str, now: DateTime<Utc>) -> Result<u64, DbErr> {
    patient_device::Entity::update_many()
        .col_expr(patient_device::Column::RevokedAt, Expr::value(now))
        .filter(patient_device::Column::PatientId.eq(patient_id))
        .filter(patient_device::Column::RevokedAt.is_null())
        .exec(db)
        .await
        .map(|r| r.rows_affected)
}

/// Records one attempt and tells whether the client is still under `max` in the window. Kept
/// in the database so every instance behind a load balancer counts the same attempts.
pub async fn rate_limit_hit(
    db: &impl ConnectionTrait,
    bucket: &str,
    client_key: &str,
    max: u32,
    window: Duration,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let since = now - window;
    rate_limit_hit::Entity::delete_many()
        .filter(rate_limit_hit::Column::At.lt(now - Duration::days(1)))
        .exec(db)
        .await?;
    let recent = rate_limit_hit::Entity::find()
        .filter(rate_limit_hit::Column::Bucket.eq(bucket))
        .filter(rate_limit_hit::Column::ClientKey.eq(client_key))
        .filter(rate_limit_hit::Column::At.gt(since))
        .count(db)
        .await?;
    if recent >= u64::from(max) {
        return Ok(false);
    }
    let row = rate_limit_hit::ActiveModel {
        id: Set(new_id()),
        bucket: Set(bucket.to_owned()),
        client_key: Set(client_key.to_owned()),
        at: Set(now),
    };
    rate_limit_hit::Entity::insert(row).exec_without_returning(db).await?;
    Ok(true)
}
