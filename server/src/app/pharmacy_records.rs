//! The pharmacists' records around the hand-over (docs/domain.md, "Pharmaceutical interview and
//! medication reconciliation"): the Onco'Link pharmaceutical interview at dispensation, recorded
//! by whoever dispenses (the community pharmacist in parcours A, the hospital pharmacist in
//! parcours B), and the medication reconciliation at inclusion, recorded by the hospital
//! pharmacist. Both are read by the whole team. One action each for the API and the patient
//! page's forms. Notes are clinical: never logged.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{ActionError, StaffAuth};
use crate::AppState;
use crate::domain::Parcours;
use crate::domain::access::Role;
use crate::domain::pharmacy_records::{self as rules, Decision, RawMedication, topic_label};
use crate::store::entities::episode;
use crate::store::pharmacy_records::{
    self as store_r, NewInterview, NewReconciliation, pharmacy_interview, reconciliation,
};
use crate::store::{self, audit, directory, patients};

/// How many days before the episode's start an interview or a reconciliation may be dated
/// (the drug is handed over, and the medications reconciled, before day 1).
pub const MAX_DAYS_BEFORE_START: i64 = super::dispensations::MAX_DAYS_BEFORE_START;

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PharmacyInterviewRequest {
    /// YYYY-MM-DD, not after today (the patient's date).
    pub done_on: String,
    /// Keys of the topics covered: dosing_and_times, side_effects, interactions_self_medication,
    /// adherence, storage_handling, when_to_call.
    pub topics: Vec<String>,
    /// Time spent, 1 to 180 minutes.
    pub minutes: i64,
    /// Free clinical note, at most 2000 characters.
    #[serde(default)]
    pub note: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TopicView {
    pub key: String,
    /// French label.
    pub label: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PharmacyInterviewView {
    pub id: String,
    pub episode_id: String,
    #[schema(value_type = String, format = Date)]
    pub done_on: NaiveDate,
    pub topics: Vec<TopicView>,
    pub minutes: i32,
    pub note: Option<String>,
    pub recorded_by: String,
    /// The pharmacist's name.
    pub recorded_by_name: String,
    pub recorded_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PharmacyInterviewsView {
    pub episode_id: String,
    /// Newest first.
    pub interviews: Vec<PharmacyInterviewView>,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MedicationRequest {
    pub name: String,
    /// Dose and frequency as the patient takes it ("1 comprimé matin et soir").
    pub dosage: String,
    /// continue | stop | adjust
    pub decision: String,
    /// Required to adjust (how); at most 2000 characters.
    #[serde(default)]
    pub decision_note: Option<String>,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReconciliationRequest {
    /// YYYY-MM-DD, not after today (the patient's date).
    pub reconciled_on: String,
    /// The home medications, each with the decision taken (1 to 40).
    pub medications: Vec<MedicationRequest>,
    /// The discrepancies found, one per item.
    #[serde(default)]
    pub discrepancies: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MedicationView {
    pub name: String,
    pub dosage: String,
    pub decision: Decision,
    pub decision_note: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReconciliationView {
    pub id: String,
    pub episode_id: String,
    #[schema(value_type = String, format = Date)]
    pub reconciled_on: NaiveDate,
    pub medications: Vec<MedicationView>,
    pub discrepancies: Vec<String>,
    pub recorded_by: String,
    pub recorded_by_name: String,
    pub recorded_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReconciliationsView {
    pub episode_id: String,
    /// Newest first.
    pub reconciliations: Vec<ReconciliationView>,
}

/// Who records an interview at dispensation: whoever dispenses — the community pharmacist of
/// the team's pharmacy in parcours A, the hospital pharmacist in parcours B. The caller already
/// sees the patient; anyone else of the team gets 403.
fn may_interview(auth: &StaffAuth, ep: &episode::Model) -> Result<(), ActionError> {
    match (auth.staff.role, ep.parcours()?) {
        (Role::CommunityPharmacist, Parcours::A) | (Role::HospitalPharmacist, Parcours::B) => Ok(()),
        (Role::CommunityPharmacist, Parcours::B) => {
            Err(ActionError::Forbidden("in parcours B the hospital pharmacy dispenses and holds the interview"))
        }
        (Role::HospitalPharmacist, Parcours::A) => {
            Err(ActionError::Forbidden("in parcours A the community pharmacy dispenses and holds the interview"))
        }
        _ => Err(ActionError::Forbidden("the interview at dispensation is recorded by the dispensing pharmacist")),
    }
}

/// Whether the page shows the caller the interview form.
pub fn may_record_interview(auth: &StaffAuth, ep: &episode::Model) -> bool {
    ep.end_date.is_none() && may_interview(auth, ep).is_ok()
}

/// Who records a reconciliation: the hospital pharmacist (of the episode's establishment, as
/// the scope check already says).
fn may_reconcile(auth: &StaffAuth) -> Result<(), ActionError> {
    match auth.staff.role {
        Role::HospitalPharmacist => Ok(()),
        _ => Err(ActionError::Forbidden("the medication reconciliation is recorded by the hospital pharmacist")),
    }
}

/// Whether the page shows the caller the reconciliation form.
pub fn may_record_reconciliation(auth: &StaffAuth, ep: &episode::Model) -> bool {
    ep.end_date.is_none() && may_reconcile(auth).is_ok()
}

fn date(raw: &str, field: &str) -> Result<NaiveDate, ActionError> {
    NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d").map_err(|_| ActionError::field(field, "a date YYYY-MM-DD"))
}

/// The episode the caller may write on, and (today, the earliest date allowed) in the patient's
/// time zone. An ended episode is a conflict.
async fn writable(state: &AppState, ep: &episode::Model) -> Result<(NaiveDate, NaiveDate), ActionError> {
    if ep.end_date.is_some() {
        return Err(ActionError::conflict("this episode has ended"));
    }
    let patient = patients::get(&state.db, &ep.patient_id).await?.ok_or(ActionError::NotFound)?;
    let today = state.now().with_timezone(&patient.time_zone()?).date_naive();
    Ok((today, ep.start_date - Duration::days(MAX_DAYS_BEFORE_START)))
}

async fn name_of(state: &AppState, id: &str) -> Result<String, ActionError> {
    Ok(directory::professional(&state.db, id)
        .await?
        .map(|p| format!("{} {}", p.given_name, p.family_name))
        .unwrap_or_else(|| "—".to_owned()))
}

async fn interview_view(state: &AppState, r: &pharmacy_interview::Model) -> Result<PharmacyInterviewView, ActionError> {
    let topics = r
        .topics()?
        .into_iter()
        .map(|k| TopicView { label: topic_label(&k).unwrap_or_default().to_owned(), key: k })
        .collect();
    Ok(PharmacyInterviewView {
        id: r.id.clone(),
        episode_id: r.episode_id.clone(),
        done_on: r.done_on,
        topics,
        minutes: r.minutes,
        note: r.note.clone(),
        recorded_by: r.recorded_by.clone(),
        recorded_by_name: name_of(state, &r.recorded_by).await?,
        recorded_at: r.recorded_at,
    })
}

async fn reconciliation_view(state: &AppState, r: &reconciliation::Model) -> Result<ReconciliationView, ActionError> {
    let medications = r
        .medications()?
        .into_iter()
        .map(|m| MedicationView {
            name: m.name,
            dosage: m.dosage,
            decision: m.decision,
            decision_note: m.decision_note,
        })
        .collect();
    Ok(ReconciliationView {
        id: r.id.clone(),
        episode_id: r.episode_id.clone(),
        reconciled_on: r.reconciled_on,
        medications,
        discrepancies: r.discrepancies()?,
        recorded_by: r.recorded_by.clone(),
        recorded_by_name: name_of(state, &r.recorded_by).await?,
        recorded_at: r.recorded_at,
    })
}

async fn audit_write(
    txn: &impl sea_orm::ConnectionTrait,
    auth: &StaffAuth,
    ep: &episode::Model,
    action: &str,
    entity: &str,
    id: &str,
    at: DateTime<Utc>,
) -> Result<(), ActionError> {
    audit::record(
        txn,
        audit::Entry {
            actor: &auth.actor(),
            action,
            entity,
            entity_id: Some(id),
            patient_id: Some(&ep.patient_id),
            at,
        },
    )
    .await?;
    Ok(())
}

/// Records an Onco'Link interview at dispensation, in one transaction with its audit line.
/// Every input is checked before anything is written.
pub async fn record_interview(
    state: &AppState,
    auth: &StaffAuth,
    episode_id: &str,
    req: &PharmacyInterviewRequest,
) -> Result<PharmacyInterviewView, ActionError> {
    let ep = super::episodes::visible_episode(state, auth, episode_id).await?;
    may_interview(auth, &ep)?;
    let (today, earliest) = writable(state, &ep).await?;
    let on = date(&req.done_on, "done_on")?;
    let checked = rules::check_interview(on, &req.topics, req.minutes, req.note.as_deref(), earliest, today)?;
    let now = state.now();
    let txn = store::begin_write(&state.db).await?;
    let row = store_r::insert_interview(
        &txn,
        NewInterview {
            episode_id: &ep.id,
            done_on: checked.done_on,
            topics: &checked.topics,
            minutes: checked.minutes,
            note: checked.note.as_deref(),
            recorded_by: &auth.staff.id,
        },
        now,
    )
    .await?;
    audit_write(&txn, auth, &ep, "create", "pharmacy_interview", &row.id, now).await?;
    txn.commit().await?;
    tracing::info!(episode_id = %ep.id, interview_id = %row.id, "pharmacy interview recorded");
    interview_view(state, &row).await
}

/// Records a medication reconciliation, in one transaction with its audit line.
pub async fn record_reconciliation(
    state: &AppState,
    auth: &StaffAuth,
    episode_id: &str,
    req: &ReconciliationRequest,
) -> Result<ReconciliationView, ActionError> {
    let ep = super::episodes::visible_episode(state, auth, episode_id).await?;
    may_reconcile(auth)?;
    let (today, earliest) = writable(state, &ep).await?;
    let on = date(&req.reconciled_on, "reconciled_on")?;
    let raw: Vec<RawMedication<'_>> = req
        .medications
        .iter()
        .map(|m| RawMedication {
            name: &m.name,
            dosage: &m.dosage,
            decision: &m.decision,
            decision_note: m.decision_note.as_deref(),
        })
        .collect();
    let checked = rules::check_reconciliation(on, &raw, &req.discrepancies, earliest, today)?;
    let now = state.now();
    let txn = store::begin_write(&state.db).await?;
    let row = store_r::insert_reconciliation(
        &txn,
        NewReconciliation {
            episode_id: &ep.id,
            reconciled_on: checked.reconciled_on,
            medications: &checked.medications,
            discrepancies: &checked.discrepancies,
            recorded_by: &auth.staff.id,
        },
        now,
    )
    .await?;
    audit_write(&txn, auth, &ep, "create", "medication_reconciliation", &row.id, now).await?;
    txn.commit().await?;
    tracing::info!(episode_id = %ep.id, reconciliation_id = %row.id, medications = checked.medications.len(), "medication reconciliation recorded");
    reconciliation_view(state, &row).await
}

/// The interviews of an episode for a page whose opening already wrote the read to the audit
/// log (the patient page).
pub async fn interviews_for_page(state: &AppState, ep: &episode::Model) -> Result<PharmacyInterviewsView, ActionError> {
    let mut interviews = Vec::new();
    for r in store_r::interviews_of(&state.db, &ep.id).await? {
        interviews.push(interview_view(state, &r).await?);
    }
    Ok(PharmacyInterviewsView { episode_id: ep.id.clone(), interviews })
}

/// The reconciliations of an episode for a page whose opening already wrote the read.
pub async fn reconciliations_for_page(
    state: &AppState,
    ep: &episode::Model,
) -> Result<ReconciliationsView, ActionError> {
    let mut reconciliations = Vec::new();
    for r in store_r::reconciliations_of(&state.db, &ep.id).await? {
        reconciliations.push(reconciliation_view(state, &r).await?);
    }
    Ok(ReconciliationsView { episode_id: ep.id.clone(), reconciliations })
}

async fn audit_read(state: &AppState, auth: &StaffAuth, ep: &episode::Model, entity: &str) -> Result<(), ActionError> {
    audit::record(
        &state.db,
        audit::Entry {
            actor: &auth.actor(),
            action: "read",
            entity,
            entity_id: Some(&ep.id),
            patient_id: Some(&ep.patient_id),
            at: state.now(),
        },
    )
    .await?;
    Ok(())
}

/// The interviews of an episode the caller may see (the whole team), audited as a read.
pub async fn list_interviews(
    state: &AppState,
    auth: &StaffAuth,
    episode_id: &str,
) -> Result<PharmacyInterviewsView, ActionError> {
    let ep = super::episodes::visible_episode(state, auth, episode_id).await?;
    let out = interviews_for_page(state, &ep).await?;
    audit_read(state, auth, &ep, "pharmacy_interviews").await?;
    Ok(out)
}

/// The reconciliations of an episode the caller may see (the whole team), audited as a read.
pub async fn list_reconciliations(
    state: &AppState,
    auth: &StaffAuth,
    episode_id: &str,
) -> Result<ReconciliationsView, ActionError> {
    let ep = super::episodes::visible_episode(state, auth, episode_id).await?;
    let out = reconciliations_for_page(state, &ep).await?;
    audit_read(state, auth, &ep, "medication_reconciliations").await?;
    Ok(out)
}
