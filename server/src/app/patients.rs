//! Enrolment, activation codes and "phone lost": the actions on a patient's record.

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use super::{ActionError, StaffAuth};
use crate::AppState;
use crate::domain::access::staff_sees;
use crate::domain::enrolment::{self, EnrolRequest};
use crate::secrets;
use crate::store::handover::Reason;
use crate::store::{self, audit, auth as auth_store, entities::patient, episodes, patients};

#[derive(Serialize, ToSchema)]
pub struct Enrolled {
    pub patient_id: String,
    pub episode_id: String,
    /// One-time code the patient types (or scans) on the phone; shown once.
    pub activation_code: String,
    pub activation_expires_at: DateTime<Utc>,
}

/// Loads a patient the caller may see; anything else is `NotFound` (existence is not revealed).
pub async fn visible_patient(state: &AppState, auth: &StaffAuth, id: &str) -> Result<patient::Model, ActionError> {
    let p = patients::get(&state.db, id).await?.ok_or(ActionError::NotFound)?;
    let facts = patients::facts(&state.db, &p, state.today()).await?;
    if !staff_sees(&auth.staff, &facts) {
        tracing::info!(professional_id = %auth.staff.id, patient_id = %id, "patient outside the caller's scope");
        return Err(ActionError::NotFound);
    }
    Ok(p)
}

/// The caller's patients, out of how many they may see.
pub struct Listed {
    pub patients: Vec<patient::Model>,
    /// Every patient the caller may see, before `wanted`.
    pub visible: usize,
}

/// The caller's patients that `wanted` keeps (the API keeps all, the list page those matching
/// its search), each listing written to the audit log, in one transaction.
pub async fn list(
    state: &AppState,
    auth: &StaffAuth,
    wanted: impl Fn(&patient::Model) -> bool,
) -> Result<Listed, ActionError> {
    let all = patients::visible_to(&state.db, &auth.staff, state.today()).await?;
    let visible = all.len();
    let patients: Vec<patient::Model> = all.into_iter().filter(|p| wanted(p)).collect();
    let (actor, now) = (auth.actor(), state.now());
    let txn = store::begin_write(&state.db).await?;
    for p in &patients {
        let (entity_id, patient_id) = (Some(p.id.as_str()), Some(p.id.as_str()));
        let entry = audit::Entry { actor: &actor, action: "list", entity: "patient", entity_id, patient_id, at: now };
        audit::record(&txn, entry).await?;
    }
    txn.commit().await?;
    Ok(Listed { patients, visible })
}

/// Opens a patient's record: the scope check, and the read written to the audit log (the API's
/// record and the patient page).
pub async fn read(state: &AppState, auth: &StaffAuth, id: &str) -> Result<patient::Model, ActionError> {
    let p = visible_patient(state, auth, id).await?;
    audit::record(
        &state.db,
        audit::Entry {
            actor: &auth.actor(),
            action: "read",
            entity: "patient",
            entity_id: Some(id),
            patient_id: Some(id),
            at: state.now(),
        },
    )
    .await?;
    Ok(p)
}

/// A new activation code for `patient_id` in `db` (the previous one stops working), valid for the
/// configured lifetime; the code as shown and when it expires. Enrolment, a new code, and the
/// demo's and the report bench's seeded patients all get theirs here.
pub async fn issue_code(
    state: &AppState,
    db: &impl sea_orm::ConnectionTrait,
    patient_id: &str,
) -> Result<(String, DateTime<Utc>), ActionError> {
    let code = secrets::new_activation_code();
    let normalised = secrets::normalise_activation_code(&code)
        .ok_or_else(|| ActionError::Internal(anyhow::anyhow!("generated an invalid code")))?;
    let ttl = Duration::days(i64::from(state.settings.security.activation_code_ttl_days));
    let expires = auth_store::replace_activation_code(
        db,
        patient_id,
        &secrets::hash_activation_code(&normalised),
        state.now(),
        ttl,
    )
    .await?;
    Ok((code, expires))
}

/// Includes a patient: patient, episode at S1 with its planning, team, regimen and an
/// activation code, in one transaction (API and enrolment page).
pub async fn enrol(state: &AppState, auth: &StaffAuth, req: &EnrolRequest) -> Result<Enrolled, ActionError> {
    if !auth.staff.role.may_enrol() {
        return Err(ActionError::Forbidden("only hospital staff enrol patients"));
    }
    let establishment_id =
        auth.staff.establishment_id.clone().ok_or(ActionError::Forbidden("your account has no establishment"))?;
    let now = state.now();
    let today = now.with_timezone(&state.site_tz()).date_naive();
    let checked = enrolment::check(req, &state.rules.catalog, state.site_tz(), today)?;
    let txn = store::begin_write(&state.db).await?;
    let e = episodes::enrol(&txn, &checked, &establishment_id, &auth.staff.id, &state.rules.pathway, now).await?;
    let (activation_code, activation_expires_at) = issue_code(state, &txn, &e.patient_id).await?;
    // The community members of the team are told, with the first hand-over sheet (docs/domain.md).
    let ep = episodes::get(&txn, &e.episode_id).await?.ok_or(ActionError::NotFound)?;
    super::handover::issue(&txn, state, &ep, Reason::Inclusion, &auth.actor(), now).await?;
    audit::record(
        &txn,
        audit::Entry {
            actor: &auth.actor(),
            action: "create",
            entity: "patient",
            entity_id: Some(&e.patient_id),
            patient_id: Some(&e.patient_id),
            at: now,
        },
    )
    .await?;
    txn.commit().await?;
    tracing::info!(patient_id = %e.patient_id, episode_id = %e.episode_id, "patient enrolled");
    Ok(Enrolled { patient_id: e.patient_id, episode_id: e.episode_id, activation_code, activation_expires_at })
}

#[derive(Serialize, ToSchema)]
pub struct NewCode {
    pub activation_code: String,
    pub activation_expires_at: DateTime<Utc>,
}

/// A new activation code for a patient the caller sees; the previous one stops working.
pub async fn reissue_code(state: &AppState, auth: &StaffAuth, id: &str) -> Result<NewCode, ActionError> {
    visible_patient(state, auth, id).await?;
    if !auth.staff.role.is_hospital() {
        return Err(ActionError::Forbidden("activation codes are issued by the hospital team"));
    }
    let txn = store::begin_write(&state.db).await?;
    let (activation_code, activation_expires_at) = issue_code(state, &txn, id).await?;
    audit::record(
        &txn,
        audit::Entry {
            actor: &auth.actor(),
            action: "new_activation_code",
            entity: "patient",
            entity_id: Some(id),
            patient_id: Some(id),
            at: state.now(),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(NewCode { activation_code, activation_expires_at })
}

#[derive(Serialize, ToSchema)]
pub struct DevicesRevoked {
    /// Phone tokens revoked (each such phone gets 401 and must be activated again).
    pub devices: u64,
    /// Push subscriptions revoked (no more notifications to a lost phone's lock screen).
    pub push_subscriptions: u64,
}

/// "Phone lost": revokes every phone token and push subscription of the patient at once,
/// audited, in one transaction.
pub async fn revoke_devices(state: &AppState, auth: &StaffAuth, id: &str) -> Result<DevicesRevoked, ActionError> {
    visible_patient(state, auth, id).await?;
    if !auth.staff.role.is_hospital() {
        return Err(ActionError::Forbidden("a patient's phones are revoked by the hospital team"));
    }
    let now = state.now();
    let txn = store::begin_write(&state.db).await?;
    let devices = auth_store::revoke_devices(&txn, id, now).await?;
    let push_subscriptions = store::push_devices::revoke_all_for_patient(&txn, id, now).await?;
    audit::record(
        &txn,
        audit::Entry {
            actor: &auth.actor(),
            action: "revoke_devices",
            entity: "patient",
            entity_id: Some(id),
            patient_id: Some(id),
            at: now,
        },
    )
    .await?;
    txn.commit().await?;
    tracing::info!(patient_id = %id, devices, push_subscriptions, "patient's phones revoked");
    Ok(DevicesRevoked { devices, push_subscriptions })
}

/// The patient's language for everything Relais says to them: questions, advice, results,
/// reminders and pushes (docs/api.md, "Patient app"). Changed from the app's language switch.
pub async fn set_locale(
    state: &AppState,
    auth: &super::PatientAuth,
    raw: &str,
) -> Result<crate::domain::triage::Locale, ActionError> {
    use sea_orm::{ActiveModelTrait, ActiveValue::Set};
    let locale = crate::domain::triage::Locale::parse(raw.trim())
        .ok_or_else(|| ActionError::field("locale", format!("`{raw}` is not a language of the app: fr or en")))?;
    let now = state.now();
    let txn = store::begin_write(&state.db).await?;
    let p = patients::get(&txn, &auth.patient_id).await?.ok_or(ActionError::NotFound)?;
    if p.locale()? != locale {
        let mut row: patient::ActiveModel = p.into();
        row.locale = Set(raw.trim().to_owned());
        row.update(&txn).await?;
        audit::record(
            &txn,
            audit::Entry {
                actor: &auth.actor(),
                action: "set_locale",
                entity: "patient",
                entity_id: Some(&auth.patient_id),
                patient_id: Some(&auth.patient_id),
                at: now,
            },
        )
        .await?;
    }
    txn.commit().await?;
    Ok(locale)
}
