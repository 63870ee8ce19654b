//! Emergency visits and unplanned hospitalisations declared by professionals, one of
//! the evaluation indicators: `POST/GET /episodes/{id}/care-events`. "Care event" names what
//! happened to the patient outside the planned follow-up, declared by whoever heard of it.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::error::ApiError;
use super::extract::{JsonBody, StaffAuth};
use crate::AppState;
use crate::app::patients::visible_patient;
use crate::domain::care_events::{self, CareEventKind};
use crate::store::care_events::{NewCareEvent, care_event};
use crate::store::entities::{episode, patient};
use crate::store::{self, audit, care_events as events, episodes};

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CareEventRequest {
    #[schema(value_type = CareEventKind)]
    pub kind: String,
    /// Local date of the visit or of the admission (YYYY-MM-DD), within the episode and not in
    /// the future.
    #[schema(value_type = String, format = Date)]
    pub date: NaiveDate,
    /// Whether the professional judges it related to the anticancer treatment (toxicity);
    /// absent = not known.
    #[serde(default)]
    pub related_to_treatment: Option<bool>,
    /// What happened, for the team (at most 2000 characters).
    #[serde(default)]
    #[schema(max_length = 2000)]
    pub note: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct CareEventView {
    pub id: String,
    pub episode_id: String,
    pub kind: CareEventKind,
    #[schema(value_type = String, format = Date)]
    pub date: NaiveDate,
    pub related_to_treatment: Option<bool>,
    pub note: Option<String>,
    pub declared_by: String,
    pub declared_at: DateTime<Utc>,
}

fn view(e: care_event::Model) -> Result<CareEventView, crate::store::StoredValueError> {
    Ok(CareEventView {
        kind: e.kind()?,
        id: e.id,
        episode_id: e.episode_id,
        date: e.event_date,
        related_to_treatment: e.related_to_treatment,
        note: e.note,
        declared_by: e.declared_by,
        declared_at: e.declared_at,
    })
}

/// The episode and its patient if the caller may see the patient; 404 otherwise (existence is
/// not revealed).
async fn visible_episode(
    state: &AppState,
    auth: &StaffAuth,
    id: &str,
) -> Result<(episode::Model, patient::Model), ApiError> {
    let ep = episodes::get(&state.db, id).await?.ok_or(ApiError::NotFound)?;
    let p = visible_patient(state, auth, &ep.patient_id).await?;
    Ok((ep, p))
}

/// Declares an emergency visit or an unplanned hospitalisation of the patient during this
/// episode (any professional of the patient's circle). The same kind on the same date is
/// declared once: a second declaration is a 409.
#[utoipa::path(post, path = "/api/v1/episodes/{id}/care-events", params(("id" = String, Path)), request_body = CareEventRequest,
    responses((status = 201, body = CareEventView), (status = 401), (status = 404), (status = 409), (status = 422)))]
pub async fn declare(
    State(state): State<AppState>,
    auth: StaffAuth,
    Path(id): Path<String>,
    JsonBody(req): JsonBody<CareEventRequest>,
) -> Result<(StatusCode, Json<CareEventView>), ApiError> {
    let (ep, patient) = visible_episode(&state, &auth, &id).await?;
    let tz = patient.time_zone()?;
    let now = state.now();
    let today = now.with_timezone(&tz).date_naive();
    let note = req.note.as_deref().map(str::trim).filter(|n| !n.is_empty());
    let kind = care_events::check(&req.kind, req.date, note, ep.start_date, ep.end_date, today)?;
    let txn = store::begin_write(&state.db).await?;
    let conflict =
        || ApiError::Conflict { field: Some("date".into()), message: "already declared for this date".into() };
    if events::find(&txn, &ep.id, kind.as_str(), req.date).await?.is_some() {
        return Err(conflict());
    }
    let new = NewCareEvent {
        patient_id: &ep.patient_id,
        episode_id: &ep.id,
        kind: kind.as_str(),
        event_date: req.date,
        related_to_treatment: req.related_to_treatment,
        note,
        declared_by: &auth.staff.id,
    };
    let event_id = match events::insert(&txn, new, now).await {
        Ok(id) => id,
        // Two declarations racing: the unique index decides.
        Err(e) if store::unique_violation(&e).is_some() => return Err(conflict()),
        Err(e) => return Err(e.into()),
    };
    audit::record(
        &txn,
        audit::Entry {
            actor: &auth.actor(),
            action: "create",
            entity: "care_event",
            entity_id: Some(&event_id),
            patient_id: Some(&ep.patient_id),
            at: now,
        },
    )
    .await?;
    txn.commit().await?;
    tracing::info!(episode_id = %ep.id, care_event_id = %event_id, kind = kind.as_str(), "care event declared");
    let created = events::of_episode(&state.db, &ep.id)
        .await?
        .into_iter()
        .find(|e| e.id == event_id)
        .ok_or(ApiError::NotFound)?;
    Ok((StatusCode::CREATED, Json(view(created)?)))
}

/// The emergency visits and unplanned hospitalisations declared for this episode, most recent
/// first.
#[utoipa::path(get, path = "/api/v1/episodes/{id}/care-events", params(("id" = String, Path)),
    responses((status = 200, body = Vec<CareEventView>), (status = 401), (status = 404)))]
pub async fn list(
    State(state): State<AppState>,
    auth: StaffAuth,
    Path(id): Path<String>,
) -> Result<Json<Vec<CareEventView>>, ApiError> {
    let (ep, _) = visible_episode(&state, &auth, &id).await?;
    let rows = events::of_episode(&state.db, &ep.id).await?;
    audit::record(
        &state.db,
        audit::Entry {
            actor: &auth.actor(),
            action: "list",
            entity: "care_event",
            entity_id: Some(&ep.id),
            patient_id: Some(&ep.patient_id),
            at: state.now(),
        },
    )
    .await?;
    Ok(Json(rows.into_iter().map(view).collect::<Result<_, _>>()?))
}
