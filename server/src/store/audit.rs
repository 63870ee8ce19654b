//! The audit log: who read or changed which patient's data, when, and from where. Written in
//! the same transaction as the change it records; reads are recorded after the fact.

use chrono::{DateTime, Utc};
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder};

use super::entities::audit_entry;
use super::new_id;

/// Who did it and from where; built by the HTTP layer or the jobs.
#[derive(Debug, Clone, Default)]
pub struct Actor {
    /// `professional`, `patient`, `system`, `operator` (the command line), or `anonymous` (a
    /// failed sign-in of no known account).
    pub kind: &'static str,
    pub id: Option<String>,
    pub client_addr: Option<String>,
    pub request_id: Option<String>,
}

impl Actor {
    pub fn system() -> Self {
        Self { kind: "system", ..Default::default() }
    }
}

/// One line of the audit log: who did what to which record of which patient, and when.
pub struct Entry<'a> {
    pub actor: &'a Actor,
    /// What was done: `create`, `read`, `list`, `acknowledge`, `resolve`, `change_regimen`, ...
    pub action: &'a str,
    /// The kind of record: `patient`, `episode`, `report`, `alert`, `dose`, ...
    pub entity: &'a str,
    pub entity_id: Option<&'a str>,
    /// Whose data it is, for the patient's audit trail.
    pub patient_id: Option<&'a str>,
    pub at: DateTime<Utc>,
}

pub async fn record(db: &impl ConnectionTrait, entry: Entry<'_>) -> Result<(), DbErr> {
    record_many(db, std::slice::from_ref(&entry)).await
}

/// Audit lines of several actions in one statement (a batch of reports).
pub async fn record_many(db: &impl ConnectionTrait, entries: &[Entry<'_>]) -> Result<(), DbErr> {
    if entries.is_empty() {
        return Ok(());
    }
    let rows =
        entries.iter().map(|&Entry { actor, action, entity, entity_id, patient_id, at }| audit_entry::ActiveModel {
            id: Set(new_id()),
            at: Set(at),
            actor_kind: Set(actor.kind.to_owned()),
            actor_id: Set(actor.id.clone()),
            action: Set(action.to_owned()),
            entity: Set(entity.to_owned()),
            entity_id: Set(entity_id.map(Into::into)),
            patient_id: Set(patient_id.map(Into::into)),
            client_addr: Set(actor.client_addr.clone()),
            request_id: Set(actor.request_id.clone()),
        });
    audit_entry::Entity::insert_many(rows).exec_without_returning(db).await.map(|_| ())
}

pub async fn for_patient(db: &impl ConnectionTrait, patient_id: &str) -> Result<Vec<audit_entry::Model>, DbErr> {
    audit_entry::Entity::find()
        .filter(audit_entry::Column::PatientId.eq(patient_id))
        .order_by_asc(audit_entry::Column::At)
        .all(db)
        .await
}

/// Deletes audit entries older than `before` (only when the site sets a retention for them).
pub async fn purge_before(db: &impl ConnectionTrait, before: DateTime<Utc>) -> Result<u64, DbErr> {
    let r = audit_entry::Entity::delete_many().filter(audit_entry::Column::At.lt(before)).exec(db).await?;
    Ok(r.rows_affected)
}
