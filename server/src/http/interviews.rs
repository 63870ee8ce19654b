//! The pharmacists' national interview ledger (TAC, AC1–AC4): a community pharmacist records an
//! interview done with a patient of theirs; the codes due are listed apart from the forfaits.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::billing::{created, scope_of};
use super::error::ApiError;
use super::extract::{JsonBody, StaffAuth};
use crate::AppState;
use crate::app::patients::visible_patient;
use crate::domain::access::Role;
use crate::domain::billing::euros_fr;
use crate::domain::interviews::{InterviewKind, TreatmentClass};
use crate::store::billing::interviews;
use crate::store::{self, audit, episodes};

#[derive(Deserialize, ToSchema)]
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

#[derive(Serialize, ToSchema)]
pub struct InterviewRecorded {
    pub interview_id: String,
    pub accompaniment_id: String,
    #[schema(value_type = String, format = Date)]
    pub adhesion_date: NaiveDate,
    /// Codes that became due with this interview (TAC at adhesion, an annual code when the
    /// cycle's interviews are all done).
    pub new_codes: usize,
}

/// Records an interview done by the caller's pharmacy.
#[utoipa::path(post, path = "/api/v1/interviews", request_body = InterviewRequest,
    responses((status = 201, body = InterviewRecorded), (status = 401), (status = 403), (status = 404), (status = 422)))]
pub async fn record(
    State(state): State<AppState>,
    auth: StaffAuth,
    JsonBody(req): JsonBody<InterviewRequest>,
) -> Result<(StatusCode, Json<InterviewRecorded>), ApiError> {
    if auth.staff.role != Role::CommunityPharmacist {
        return Err(ApiError::Forbidden("interviews are recorded by the community pharmacist"));
    }
    let pharmacy_id = auth.staff.pharmacy_id.clone().ok_or(ApiError::Forbidden("your account has no pharmacy"))?;
    let ep = episodes::get(&state.db, &req.episode_id).await?.ok_or(ApiError::NotFound)?;
    visible_patient(&state, &auth, &ep.patient_id).await?;
    let now = state.now();
    let today = now.with_timezone(&state.site_tz()).date_naive();
    let on = req.on.unwrap_or(today);
    if on > today {
        return Err(ApiError::field("on", "an interview is recorded once done, not in advance"));
    }
    let txn = store::begin_write(&state.db).await?;
    let r = interviews::record(&txn, &ep, &pharmacy_id, req.kind, on, req.treatment, &auth.staff.id, now).await?;
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
    Ok(created(InterviewRecorded {
        interview_id: r.interview_id,
        accompaniment_id: r.accompaniment.id.clone(),
        adhesion_date: r.accompaniment.adhesion_date,
        new_codes,
    }))
}

#[derive(Serialize, ToSchema)]
pub struct CodeView {
    pub code: String,
    /// 0 for TAC and the first-year code, then 1, 2, … for the following years.
    pub cycle: i32,
    #[schema(value_type = String, format = Date)]
    pub due_on: NaiveDate,
    pub amount_cents: i64,
    pub amount_eur: String,
    pub accompaniment_id: String,
    pub patient_id: String,
    pub pharmacy_id: String,
    pub created_at: DateTime<Utc>,
}

/// Interview codes due: a pharmacist's own; the establishment's patients' for admins and the
/// billing office. Never part of the forfait statements.
#[utoipa::path(get, path = "/api/v1/interviews/codes",
    responses((status = 200, body = Vec<CodeView>), (status = 401), (status = 403)))]
pub async fn codes(State(state): State<AppState>, auth: StaffAuth) -> Result<Json<Vec<CodeView>>, ApiError> {
    let scope = scope_of(&auth)?;
    let rows = interviews::codes(&state.db, &scope).await?;
    Ok(Json(
        rows.into_iter()
            .map(|(c, a)| CodeView {
                amount_eur: euros_fr(c.amount_cents),
                code: c.code,
                cycle: c.cycle,
                due_on: c.due_on,
                amount_cents: c.amount_cents,
                accompaniment_id: c.accompaniment_id,
                patient_id: a.patient_id,
                pharmacy_id: c.pharmacy_id,
                created_at: c.created_at,
            })
            .collect(),
    ))
}
