//! Staff sessions, login failures, patient activation codes and device tokens, and the
//! rate-limit ledger. Only hashes of tokens and codes are stored.

use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QuerySelect, sea_query::Expr,
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
        last_seen_at: Set(Some(now)),
    };
    staff_session::Entity::insert(row).exec_without_returning(db).await.map(|_| ())
}

/// The professional behind a live session token of an active account: not revoked, not past
/// its lifetime, and used within `idle`. A use is recorded (at most once a minute).
pub async fn session_professional(
    db: &impl ConnectionTrait,
    token_hash: &str,
    idle: Duration,
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
    let last = s.last_seen_at.unwrap_or(s.created_at);
    if last <= now - idle {
        return Ok(None);
    }
    if now - last >= Duration::minutes(1) {
        staff_session::Entity::update_many()
            .col_expr(staff_session::Column::LastSeenAt, Expr::value(now))
            .filter(staff_session::Column::Id.eq(&s.id))
            .exec(db)
            .await?;
    }
    let p = professional::Entity::find_by_id(s.professional_id).one(db).await?;
    Ok(p.filter(|p| p.active))
}

/// Ends every live session of a professional; returns how many.
pub async fn revoke_sessions_of(
    db: &impl ConnectionTrait,
    professional_id: &str,
    now: DateTime<Utc>,
) -> Result<u64, DbErr> {
    staff_session::Entity::update_many()
        .col_expr(staff_session::Column::RevokedAt, Expr::value(now))
        .filter(staff_session::Column::ProfessionalId.eq(professional_id))
        .filter(staff_session::Column::RevokedAt.is_null())
        .exec(db)
        .await
        .map(|r| r.rows_affected)
}

/// Enables or disables an account (a leaver); the caller ends its sessions.
pub async fn set_active(db: &impl ConnectionTrait, id: &str, active: bool) -> Result<bool, DbErr> {
    professional::Entity::update_many()
        .col_expr(professional::Column::Active, Expr::value(active))
        .filter(professional::Column::Id.eq(id))
        .exec(db)
        .await
        .map(|r| r.rows_affected > 0)
}

/// Sets the language of the professional's pages and emails (`fr` or `en`).
pub async fn set_locale(db: &impl ConnectionTrait, id: &str, locale: &str) -> Result<bool, DbErr> {
    professional::Entity::update_many()
        .col_expr(professional::Column::Locale, Expr::value(locale))
        .filter(professional::Column::Id.eq(id))
        .exec(db)
        .await
        .map(|r| r.rows_affected > 0)
}

/// Sets a new password hash; the caller ends the account's sessions.
pub async fn set_password(db: &impl ConnectionTrait, id: &str, hash: &str) -> Result<bool, DbErr> {
    professional::Entity::update_many()
        .col_expr(professional::Column::PasswordHash, Expr::value(hash))
        .filter(professional::Column::Id.eq(id))
        .exec(db)
        .await
        .map(|r| r.rows_affected > 0)
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

/// Locks an account until a date, or unlocks it (`None`): an administrator's explicit act.
/// Wrong passwords never lock an account (anyone could lock out the on-call oncologist); they
/// slow down the address they come from.
pub async fn set_lock(db: &impl ConnectionTrait, id: &str, until: Option<DateTime<Utc>>) -> Result<bool, DbErr> {
    professional::Entity::update_many()
        .col_expr(professional::Column::FailedLogins, Expr::value(0))
        .col_expr(professional::Column::LockedUntil, Expr::value(until))
        .filter(professional::Column::Id.eq(id))
        .exec(db)
        .await
        .map(|r| r.rows_affected > 0)
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

/// The device of a token, unless revoked. Whether it may still act is [`device_live`]'s rule,
/// applied by `app::actor::DeviceToken::admit`.
pub async fn unrevoked_device(
    db: &impl ConnectionTrait,
    token_hash: &str,
) -> Result<Option<patient_device::Model>, DbErr> {
    patient_device::Entity::find()
        .filter(patient_device::Column::TokenHash.eq(token_hash))
        .filter(patient_device::Column::RevokedAt.is_null())
        .one(db)
        .await
}

/// Whether a device read by its token may act: not revoked, and used within `idle` (a phone
/// unused that long, lost in a drawer, must be activated again).
pub fn device_live(d: &patient_device::Model, idle: Duration, now: DateTime<Utc>) -> bool {
    d.revoked_at.is_none() && d.last_seen_at.unwrap_or(d.created_at) > now - idle
}

/// Records that a device was used, at most once an hour (a write per request would cost).
pub async fn device_seen(
    db: &impl ConnectionTrait,
    d: &patient_device::Model,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    if d.last_seen_at.is_some_and(|t| now - t < Duration::hours(1)) {
        return Ok(());
    }
    patient_device::Entity::update_many()
        .col_expr(patient_device::Column::LastSeenAt, Expr::value(now))
        .filter(patient_device::Column::Id.eq(&d.id))
        .exec(db)
        .await
        .map(|_| ())
}

/// Revokes one device token (the phone logs itself out).
pub async fn revoke_device(db: &impl ConnectionTrait, device_id: &str, now: DateTime<Utc>) -> Result<(), DbErr> {
    patient_device::Entity::update_many()
        .col_expr(patient_device::Column::RevokedAt, Expr::value(now))
        .filter(patient_device::Column::Id.eq(device_id))
        .filter(patient_device::Column::RevokedAt.is_null())
        .exec(db)
        .await
        .map(|_| ())
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

/// Reserves one attempt under a ceiling of failures per client key and window: the attempt is
/// written first, then the window's rows are counted, its own included. Rows are only ever
/// added, so concurrent attempts each see every attempt written before theirs and no more than
/// `max` get through, however many arrive at once. Over the ceiling the reservation is withdrawn
/// and `None` returned. A successful attempt withdraws its reservation (`withdraw_attempt`), so
/// only failures count: a busy ward behind one address is never blocked by its own logins.
/// Kept in the database so every instance behind a load balancer counts the same attempts.
pub async fn reserve_attempt(
    db: &impl ConnectionTrait,
    bucket: &str,
    client_key: &str,
    max: u32,
    window: Duration,
    now: DateTime<Utc>,
) -> Result<Option<String>, DbErr> {
    let id = record_failure(db, bucket, client_key, now).await?;
    let (recent, _) = failures_since(db, bucket, client_key, now - window).await?;
    if recent > u64::from(max) {
        withdraw_attempt(db, &id).await?;
        return Ok(None);
    }
    Ok(Some(id))
}

/// Withdraws a reservation: the attempt succeeded and does not count.
pub async fn withdraw_attempt(db: &impl ConnectionTrait, id: &str) -> Result<(), DbErr> {
    rate_limit_hit::Entity::delete_by_id(id.to_owned()).exec(db).await.map(|_| ())
}

/// Writes one failure (a row of its own: never a read-modify-write); returns its id.
pub async fn record_failure(
    db: &impl ConnectionTrait,
    bucket: &str,
    client_key: &str,
    now: DateTime<Utc>,
) -> Result<String, DbErr> {
    let id = new_id();
    let row = rate_limit_hit::ActiveModel {
        id: Set(id.clone()),
        bucket: Set(bucket.to_owned()),
        client_key: Set(client_key.to_owned()),
        at: Set(now),
    };
    rate_limit_hit::Entity::insert(row).exec_without_returning(db).await?;
    Ok(id)
}

/// Failures of a key since an instant: how many, and the last one.
pub async fn failures_since(
    db: &impl ConnectionTrait,
    bucket: &str,
    client_key: &str,
    since: DateTime<Utc>,
) -> Result<(u64, Option<DateTime<Utc>>), DbErr> {
    let rows: Vec<DateTime<Utc>> = rate_limit_hit::Entity::find()
        .select_only()
        .column(rate_limit_hit::Column::At)
        .filter(rate_limit_hit::Column::Bucket.eq(bucket))
        .filter(rate_limit_hit::Column::ClientKey.eq(client_key))
        .filter(rate_limit_hit::Column::At.gt(since))
        .into_tuple()
        .all(db)
        .await?;
    Ok((rows.len() as u64, rows.into_iter().max()))
}

/// Deletes ledger rows older than `before` (retention: every window is far shorter); returns
/// how many.
pub async fn purge_failures(db: &impl ConnectionTrait, before: DateTime<Utc>) -> Result<u64, DbErr> {
    let r = rate_limit_hit::Entity::delete_many().filter(rate_limit_hit::Column::At.lt(before)).exec(db).await?;
    Ok(r.rows_affected)
}

/// Forgets a key's failures (a successful login from that address).
pub async fn clear_failures(db: &impl ConnectionTrait, bucket: &str, client_key: &str) -> Result<(), DbErr> {
    rate_limit_hit::Entity::delete_many()
        .filter(rate_limit_hit::Column::Bucket.eq(bucket))
        .filter(rate_limit_hit::Column::ClientKey.eq(client_key))
        .exec(db)
        .await
        .map(|_| ())
}
