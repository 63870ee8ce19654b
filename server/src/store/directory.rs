//! Establishments, community pharmacies and professionals.

use chrono::{DateTime, Utc};
use sea_orm::{ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder};

use super::entities::{establishment, pharmacy, professional};
use super::new_id;
use crate::domain::access::{Role, Staff};

pub struct NewEstablishment<'a> {
    pub finess: &'a str,
    pub name: &'a str,
    pub phone_24h: &'a str,
    pub calendar: &'a str,
    pub time_zone: &'a str,
    pub backup_emails: &'a [String],
}

pub async fn create_establishment(
    db: &impl ConnectionTrait,
    e: NewEstablishment<'_>,
    now: DateTime<Utc>,
) -> Result<establishment::Model, DbErr> {
    let row = establishment::ActiveModel {
        id: Set(new_id()),
        finess: Set(e.finess.to_owned()),
        name: Set(e.name.to_owned()),
        phone_24h: Set(e.phone_24h.to_owned()),
        calendar: Set(e.calendar.to_owned()),
        time_zone: Set(e.time_zone.to_owned()),
        backup_emails: Set(serde_json::to_string(e.backup_emails).unwrap_or_else(|_| "[]".into())),
        created_at: Set(now),
    };
    establishment::Entity::insert(row).exec_with_returning(db).await
}

pub async fn establishment(db: &impl ConnectionTrait, id: &str) -> Result<Option<establishment::Model>, DbErr> {
    establishment::Entity::find_by_id(id.to_owned()).one(db).await
}

pub async fn establishment_by_finess(
    db: &impl ConnectionTrait,
    finess: &str,
) -> Result<Option<establishment::Model>, DbErr> {
    establishment::Entity::find().filter(establishment::Column::Finess.eq(finess)).one(db).await
}

pub async fn create_pharmacy(
    db: &impl ConnectionTrait,
    finess: &str,
    name: &str,
    city: Option<&str>,
    phone: Option<&str>,
    now: DateTime<Utc>,
) -> Result<pharmacy::Model, DbErr> {
    let row = pharmacy::ActiveModel {
        id: Set(new_id()),
        finess: Set(finess.to_owned()),
        name: Set(name.to_owned()),
        phone: Set(phone.map(Into::into)),
        email: Set(None),
        city: Set(city.map(Into::into)),
        created_at: Set(now),
    };
    pharmacy::Entity::insert(row).exec_with_returning(db).await
}

pub async fn pharmacy(db: &impl ConnectionTrait, id: &str) -> Result<Option<pharmacy::Model>, DbErr> {
    pharmacy::Entity::find_by_id(id.to_owned()).one(db).await
}

pub async fn pharmacy_by_finess(db: &impl ConnectionTrait, finess: &str) -> Result<Option<pharmacy::Model>, DbErr> {
    pharmacy::Entity::find().filter(pharmacy::Column::Finess.eq(finess)).one(db).await
}

pub async fn pharmacies(db: &impl ConnectionTrait) -> Result<Vec<pharmacy::Model>, DbErr> {
    pharmacy::Entity::find().order_by_asc(pharmacy::Column::Name).all(db).await
}

pub struct NewProfessional<'a> {
    pub email: &'a str,
    pub rpps: Option<&'a str>,
    pub role: Role,
    pub family_name: &'a str,
    pub given_name: &'a str,
    pub phone: Option<&'a str>,
    pub establishment_id: Option<&'a str>,
    pub pharmacy_id: Option<&'a str>,
    pub on_call: bool,
    pub password_hash: &'a str,
    /// `fr` or `en` (checked by the caller): the language of their emails.
    pub locale: &'a str,
}

pub async fn create_professional(
    db: &impl ConnectionTrait,
    p: NewProfessional<'_>,
    now: DateTime<Utc>,
) -> Result<professional::Model, DbErr> {
    let row = professional::ActiveModel {
        id: Set(new_id()),
        email: Set(p.email.to_owned()),
        rpps: Set(p.rpps.map(Into::into)),
        role: Set(p.role.as_str().to_owned()),
        family_name: Set(p.family_name.to_owned()),
        given_name: Set(p.given_name.to_owned()),
        phone: Set(p.phone.map(Into::into)),
        establishment_id: Set(p.establishment_id.map(Into::into)),
        pharmacy_id: Set(p.pharmacy_id.map(Into::into)),
        on_call: Set(p.on_call),
        password_hash: Set(p.password_hash.to_owned()),
        failed_logins: Set(0),
        locked_until: Set(None),
        active: Set(true),
        created_at: Set(now),
        locale: Set(p.locale.to_owned()),
    };
    professional::Entity::insert(row).exec_with_returning(db).await
}

pub async fn professional(db: &impl ConnectionTrait, id: &str) -> Result<Option<professional::Model>, DbErr> {
    professional::Entity::find_by_id(id.to_owned()).one(db).await
}

pub async fn professional_by_email(
    db: &impl ConnectionTrait,
    email: &str,
) -> Result<Option<professional::Model>, DbErr> {
    professional::Entity::find().filter(professional::Column::Email.eq(email)).one(db).await
}

/// Active professionals of a role; for an establishment's own roles, only that establishment.
pub async fn professionals_with_role(
    db: &impl ConnectionTrait,
    role: Role,
    establishment_id: Option<&str>,
) -> Result<Vec<professional::Model>, DbErr> {
    let mut q = professional::Entity::find()
        .filter(professional::Column::Role.eq(role.as_str()))
        .filter(professional::Column::Active.eq(true));
    if let Some(e) = establishment_id {
        q = q.filter(professional::Column::EstablishmentId.eq(e));
    }
    q.order_by_asc(professional::Column::FamilyName).all(db).await
}

/// The authorisation view of a professional row; `None` for an unknown stored role, which
/// [`professional::Model::role`] has logged and counted (docs/design.md, "Stored values"): the
/// sign-in that needs it is refused, never given a guessed role.
pub fn staff_of(p: &professional::Model) -> Option<Staff> {
    Some(Staff {
        id: p.id.clone(),
        role: p.role().ok()?,
        establishment_id: p.establishment_id.clone(),
        pharmacy_id: p.pharmacy_id.clone(),
    })
}

/// The people an alert may go to besides its team's named members, in one statement: the
/// active oncologists of these establishments (some on call) and the active pharmacists of
/// these community pharmacies, by family name (`alerting::raise_many`).
pub async fn alert_staff(
    db: &impl ConnectionTrait,
    establishment_ids: &[&str],
    pharmacy_ids: &[&str],
) -> Result<Vec<professional::Model>, DbErr> {
    if establishment_ids.is_empty() && pharmacy_ids.is_empty() {
        return Ok(Vec::new());
    }
    let of = |role: Role, column: professional::Column, ids: &[&str]| {
        Condition::all().add(professional::Column::Role.eq(role.as_str())).add(column.is_in(ids.iter().copied()))
    };
    let mut who = Condition::any();
    if !establishment_ids.is_empty() {
        who = who.add(of(Role::Oncologist, professional::Column::EstablishmentId, establishment_ids));
    }
    if !pharmacy_ids.is_empty() {
        who = who.add(of(Role::CommunityPharmacist, professional::Column::PharmacyId, pharmacy_ids));
    }
    professional::Entity::find()
        .filter(professional::Column::Active.eq(true))
        .filter(who)
        .order_by_asc(professional::Column::FamilyName)
        .order_by_asc(professional::Column::Id)
        .all(db)
        .await
}

/// Active accounts of a community pharmacy.
pub async fn pharmacists_of(db: &impl ConnectionTrait, pharmacy_id: &str) -> Result<Vec<professional::Model>, DbErr> {
    professional::Entity::find()
        .filter(professional::Column::PharmacyId.eq(pharmacy_id))
        .filter(professional::Column::Role.eq(Role::CommunityPharmacist.as_str()))
        .filter(professional::Column::Active.eq(true))
        .all(db)
        .await
}
