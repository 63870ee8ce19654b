//! The pharmacists' national interview ledger (avenant 21: TAC, AC1–AC4; docs/domain.md "Money:
//! the forfaits", docs/billing.md): a community pharmacist records an interview done with a
//! patient of theirs; the codes it makes due are stored apart from the forfaits. One action for
//! the API (`POST /api/v1/interviews`) and the patient page's form.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{ActionError, StaffAuth};
use crate::AppState;
use crate::domain::access::Role;
use crate::domain::billing::euros_fr;
use crate::domain::interviews::{InterviewKind, TreatmentClass};
use crate::store::billing::interviews;
use crate::store::entities::episode;
use crate::store::{self, audit};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InterviewRequest {
    pub episode_id: String,
    /// initial | daily_life_and_side_effects | adherence
    pub kind: InterviewKind,
    /// Local date of the interview (default: today in the site's time zone); not in the future.
    #[serde(default)]
    #[schema(value_type = Option<String>, format = Date)]
    pub on: Option<NaiveDate>,
    /// long_course (hormonotherapy and the like) | other; required for the patient's first
    /// interview with this pharmacy (it opens the accompaniment).
    #[serde(default)]
    pub treatment: Option<TreatmentClass>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct InterviewRecorded {
    pub interview_id: String,
    pub accompaniment_id: String,
    #[schema(value_type = String, format = Date)]
    pub adhesion_date: NaiveDate,
    /// Codes that became due with this interview (TAC at adhesion, an annual code when the
    /// cycle's interviews are all done).
    pub new_codes: usize,
}

/// Only a community pharmacist with a pharmacy records these interviews; answers the pharmacy.
fn pharmacy_of(auth: &StaffAuth) -> Result<&str, ActionError> {
    if auth.staff.role != Role::CommunityPharmacist {
        return Err(ActionError::Forbidden("interviews are recorded by the community pharmacist"));
    }
    auth.staff.pharmacy_id.as_deref().ok_or(ActionError::Forbidden("your account has no pharmacy"))
}

/// Whether the page shows the caller the ledger and its form.
pub fn may_record(auth: &StaffAuth, ep: &episode::Model) -> bool {
    ep.end_date.is_none() && pharmacy_of(auth).is_ok()
}

/// Records an interview done by the caller's pharmacy, in one transaction: the interview (and
/// the accompaniment the first one opens), the codes it makes due, the audit line.
pub async fn record(
    state: &AppState,
    auth: &StaffAuth,
    req: &InterviewRequest,
) -> Result<InterviewRecorded, ActionError> {
    let pharmacy_id = pharmacy_of(auth)?;
    let ep = super::episodes::visible_episode(state, auth, &req.episode_id).await?;
    let now = state.now();
    let today = now.with_timezone(&state.site_tz()).date_naive();
    let on = req.on.unwrap_or(today);
    if on > today {
        return Err(ActionError::field("on", "an interview is recorded once done, not in advance"));
    }
    let txn = store::begin_write(&state.db).await?;
    let r = interviews::record(&txn, &ep, pharmacy_id, req.kind, on, req.treatment, &auth.staff.id, now).await?;
    let new_codes = interviews::sync_codes_of(&txn, &state.rules.interviews, &r.accompaniment, today, now).await?;
    audit::record(
        &txn,
        audit::Entry {
            actor: &auth.actor(),
            action: "create",
            entity: "pharmacist_interview",
            entity_id: Some(&r.interview_id),
            patient_id: Some(&ep.patient_id),
            at: now,
        },
    )
    .await?;
    txn.commit().await?;
    tracing::info!(episode_id = %ep.id, interview_id = %r.interview_id, new_codes, "pharmacist interview recorded");
    Ok(InterviewRecorded {
        interview_id: r.interview_id,
        accompaniment_id: r.accompaniment.id.clone(),
        adhesion_date: r.accompaniment.adhesion_date,
        new_codes,
    })
}

/// The caller's pharmacy's ledger for one patient, as the patient page shows it.
#[derive(Debug, Default)]
pub struct PatientLedger {
    /// None until the first interview opens the accompaniment.
    pub adhesion_date: Option<NaiveDate>,
    pub treatment: Option<TreatmentClass>,
    /// (date, kind) oldest first.
    pub interviews: Vec<(NaiveDate, InterviewKind)>,
    /// (code, due on, amount in euros), by due date.
    pub codes: Vec<(String, NaiveDate, String)>,
    pub created_at: Option<DateTime<Utc>>,
}

/// The ledger of the patient of `ep` kept by the caller's pharmacy (empty for anyone else).
/// For a page whose opening already wrote the read to the audit log.
pub async fn for_page(state: &AppState, auth: &StaffAuth, ep: &episode::Model) -> Result<PatientLedger, ActionError> {
    let Ok(pharmacy_id) = pharmacy_of(auth) else { return Ok(PatientLedger::default()) };
    let Some(acc) = interviews::accompaniment_of(&state.db, &ep.patient_id, pharmacy_id).await? else {
        return Ok(PatientLedger::default());
    };
    let mut out = PatientLedger {
        adhesion_date: Some(acc.adhesion_date),
        treatment: Some(acc.treatment()?),
        created_at: Some(acc.created_at),
        ..PatientLedger::default()
    };
    for i in interviews::interviews_of(&state.db, &acc.id).await? {
        out.interviews.push((i.done_on, i.kind()?));
    }
    for c in interviews::codes_of(&state.db, &acc.id).await? {
        out.codes.push((c.code, c.due_on, euros_fr(c.amount_cents)));
    }
    Ok(out)
}
