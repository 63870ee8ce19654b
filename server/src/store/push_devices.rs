//! Push destinations: Web Push subscriptions and FCM tokens of patients' phones and of staff
//! browsers.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter};

use super::entities::push_device;
use super::new_id;

pub enum NewDevice {
    WebPush { endpoint: String, p256dh: String, auth: String },
    Fcm { token: String },
}

/// Push subscriptions a patient may hold at once; registering one more retires the oldest.
pub const MAX_PER_PATIENT: usize = 5;

pub async fn add_for_patient(
    db: &impl ConnectionTrait,
    patient_id: &str,
    d: NewDevice,
    now: DateTime<Utc>,
) -> Result<String, DbErr> {
    let id = insert(db, Some(patient_id), None, d, now).await?;
    use sea_orm::QueryOrder;
    let live = push_device::Entity::find()
        .filter(push_device::Column::PatientId.eq(patient_id))
        .filter(push_device::Column::RevokedAt.is_null())
        .order_by_desc(push_device::Column::CreatedAt)
        .order_by_desc(push_device::Column::Id)
        .all(db)
        .await?;
    let retired: Vec<String> = live.into_iter().skip(MAX_PER_PATIENT).map(|d| d.id).collect();
    if !retired.is_empty() {
        push_device::Entity::update_many()
            .col_expr(push_device::Column::RevokedAt, Expr::value(now))
            .filter(push_device::Column::Id.is_in(retired))
            .exec(db)
            .await?;
    }
    Ok(id)
}

/// Revokes every push subscription of a patient (a lost phone); returns how many.
pub async fn revoke_all_for_patient(
    db: &impl ConnectionTrait,
    patient_id: &str,
    now: DateTime<Utc>,
) -> Result<u64, DbErr> {
    push_device::Entity::update_many()
        .col_expr(push_device::Column::RevokedAt, Expr::value(now))
        .filter(push_device::Column::PatientId.eq(patient_id))
        .filter(push_device::Column::RevokedAt.is_null())
        .exec(db)
        .await
        .map(|r| r.rows_affected)
}

pub async fn add_for_professional(
    db: &impl ConnectionTrait,
    professional_id: &str,
    d: NewDevice,
    now: DateTime<Utc>,
) -> Result<String, DbErr> {
    insert(db, None, Some(professional_id), d, now).await
}

async fn insert(
    db: &impl ConnectionTrait,
    patient_id: Option<&str>,
    professional_id: Option<&str>,
    d: NewDevice,
    now: DateTime<Utc>,
) -> Result<String, DbErr> {
    let id = new_id();
    let (kind, endpoint, p256dh, auth, fcm_token) = match d {
        NewDevice::WebPush { endpoint, p256dh, auth } => ("webpush", Some(endpoint), Some(p256dh), Some(auth), None),
        NewDevice::Fcm { token } => ("fcm", None, None, None, Some(token)),
    };
    push_device::Entity::insert(push_device::ActiveModel {
        id: Set(id.clone()),
        patient_id: Set(patient_id.map(str::to_owned)),
        professional_id: Set(professional_id.map(str::to_owned)),
        kind: Set(kind.to_owned()),
        endpoint: Set(endpoint),
        p256dh: Set(p256dh),
        auth: Set(auth),
        fcm_token: Set(fcm_token),
        created_at: Set(now),
        revoked_at: Set(None),
    })
    .exec_without_returning(db)
    .await?;
    Ok(id)
}

/// Whose device a revocation names: a patient's phone or a professional's browser.
pub enum Owner<'a> {
    Patient(&'a str),
    Professional(&'a str),
}

/// Revokes one of the owner's devices; false if it is not theirs or already revoked.
pub async fn revoke(db: &impl ConnectionTrait, owner: Owner<'_>, id: &str, now: DateTime<Utc>) -> Result<bool, DbErr> {
    let owned = match owner {
        Owner::Patient(p) => push_device::Column::PatientId.eq(p),
        Owner::Professional(p) => push_device::Column::ProfessionalId.eq(p),
    };
    let r = push_device::Entity::update_many()
        .col_expr(push_device::Column::RevokedAt, Expr::value(now))
        .filter(push_device::Column::Id.eq(id))
        .filter(owned)
        .filter(push_device::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(r.rows_affected == 1)
}

pub async fn live_for_patient(db: &impl ConnectionTrait, patient_id: &str) -> Result<Vec<push_device::Model>, DbErr> {
    push_device::Entity::find()
        .filter(push_device::Column::PatientId.eq(patient_id))
        .filter(push_device::Column::RevokedAt.is_null())
        .all(db)
        .await
}

/// Live devices of a recipient: `patient` or `professional` (an outbox row's recipient kind).
pub async fn live_for(
    db: &impl ConnectionTrait,
    recipient_kind: &str,
    id: &str,
) -> Result<Vec<push_device::Model>, DbErr> {
    let column = match recipient_kind {
        "patient" => push_device::Column::PatientId,
        "professional" => push_device::Column::ProfessionalId,
        _ => return Ok(vec![]),
    };
    push_device::Entity::find().filter(column.eq(id)).filter(push_device::Column::RevokedAt.is_null()).all(db).await
}

/// Live devices of many recipients of one kind, grouped by recipient (the outbox worker loads
/// a batch's devices at once).
pub async fn live_for_many(
    db: &impl ConnectionTrait,
    recipient_kind: &str,
    ids: Vec<String>,
) -> Result<HashMap<String, Vec<push_device::Model>>, DbErr> {
    let column = match recipient_kind {
        "patient" => push_device::Column::PatientId,
        "professional" => push_device::Column::ProfessionalId,
        _ => return Ok(HashMap::new()),
    };
    let mut out: HashMap<String, Vec<push_device::Model>> = HashMap::new();
    for chunk in ids.chunks(super::due_work::MAX_IDS) {
        let found = push_device::Entity::find()
            .filter(column.is_in(chunk.to_vec()))
            .filter(push_device::Column::RevokedAt.is_null())
            .all(db)
            .await?;
        for d in found {
            let owner = if recipient_kind == "patient" { d.patient_id.clone() } else { d.professional_id.clone() };
            out.entry(owner.unwrap_or_default()).or_default().push(d);
        }
    }
    Ok(out)
}

/// Retires a device its push service says no longer exists (404/410, FCM UNREGISTERED).
pub async fn retire(db: &impl ConnectionTrait, id: &str, now: DateTime<Utc>) -> Result<(), DbErr> {
    push_device::Entity::update_many()
        .col_expr(push_device::Column::RevokedAt, Expr::value(now))
        .filter(push_device::Column::Id.eq(id))
        .filter(push_device::Column::RevokedAt.is_null())
        .exec(db)
        .await
        .map(|_| ())
}

/// Live Web Push subscriptions (those tied to the server's VAPID key).
pub async fn count_webpush(db: &impl ConnectionTrait) -> Result<u64, DbErr> {
    use sea_orm::PaginatorTrait;
    push_device::Entity::find()
        .filter(push_device::Column::Kind.eq("webpush"))
        .filter(push_device::Column::RevokedAt.is_null())
        .count(db)
        .await
}
