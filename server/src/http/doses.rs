//! The patient's day: doses with their status, confirming a dose, push devices.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use utoipa::ToSchema;

use super::error::ApiError;
use super::extract::{JsonBody, PatientAuth};
use crate::AppState;
use crate::domain::Sequence;
use crate::domain::regimen;
use crate::domain::routing::Topic;
use crate::domain::triage::Colour;
use crate::jobs::reminders::lines_of;
use crate::notify::alerts::{AlertInput, raise};
use crate::store::{self, audit, directory, doses, episodes, patients, push_devices, reports};

#[derive(Serialize, ToSchema)]
pub struct DoseView {
    pub id: String,
    pub drug: String,
    pub dose: String,
    pub time: String,
    pub due_at: DateTime<Utc>,
    /// pending, taken, skipped, vomited or missed
    pub status: String,
    pub late: bool,
}

#[derive(Serialize, ToSchema)]
pub struct CycleView {
    pub drug: String,
    /// Day of the cycle (1-based) and its length; `on` false during the planned break.
    pub day: u16,
    pub length: u16,
    pub on: bool,
    pub on_days: u16,
    pub off_days: u16,
}

#[derive(Serialize, ToSchema)]
pub struct Today {
    #[schema(value_type = String, format = Date)]
    pub date: chrono::NaiveDate,
    pub doses: Vec<DoseView>,
    pub next_dose: Option<DoseView>,
    pub cycles: Vec<CycleView>,
    /// Ids and due times of questionnaires waiting for answers.
    #[schema(value_type = Vec<Object>)]
    pub pending_questionnaires: Vec<Value>,
    /// The care team's 24 h number.
    pub team_phone: Option<String>,
    /// The server's clock: the phone dates a dose confirmed offline in the server's time, so a
    /// phone whose clock is wrong still sends a valid `at`.
    pub now: DateTime<Utc>,
}

/// The doses of the patient's local day with their status, the cycle day, pending
/// questionnaires and the team's number.
#[utoipa::path(get, path = "/api/v1/patient/today", responses((status = 200, body = Today), (status = 401)))]
pub async fn today(State(state): State<AppState>, auth: PatientAuth) -> Result<Json<Today>, ApiError> {
    let db = &state.db;
    let now = state.now();
    let p = patients::get(db, &auth.patient_id).await?.ok_or(ApiError::Unauthorized)?;
    let tz = p.tz();
    let date = now.with_timezone(&tz).date_naive();
    let ep = patients::current_episode(db, &p.id).await?;
    let lines = match &ep {
        Some(e) => episodes::active_regimen(db, &e.id).await?,
        None => vec![],
    };
    let dose_text = |line_id: &str| lines.iter().find(|l| l.id == line_id).map(|l| l.dose.clone()).unwrap_or_default();
    let view = |d: store::entities::dose::Model| DoseView {
        dose: dose_text(&d.line_id),
        id: d.id,
        drug: d.drug,
        time: d.local_time,
        due_at: d.due_at,
        status: d.status,
        late: d.late,
    };
    let doses: Vec<DoseView> = doses::of_day(db, &p.id, date).await?.into_iter().map(view).collect();
    let next_dose =
        doses.iter().find(|d| d.status == "pending" && d.due_at >= now - Duration::hours(1)).map(|d| DoseView {
            id: d.id.clone(),
            drug: d.drug.clone(),
            dose: d.dose.clone(),
            time: d.time.clone(),
            due_at: d.due_at,
            status: d.status.clone(),
            late: d.late,
        });
    let cycles = lines_of(&lines)
        .iter()
        .filter_map(|l| {
            let (on_days, off_days) = l.cycle?;
            let c = regimen::cycle_day(l, date)?;
            Some(CycleView { drug: l.drug.clone(), day: c.day, length: c.length, on: c.on, on_days, off_days })
        })
        .collect();
    let pending_questionnaires = reports::pending_questionnaires(db, &p.id, now)
        .await?
        .into_iter()
        .map(|q| json!({"id": q.id, "due_at": q.due_at}))
        .collect();
    let team_phone = directory::establishment(db, &p.establishment_id).await?.map(|e| e.phone_24h);
    audit::record(db, &auth.ctx.actor("patient", &p.id), "read", "today", None, Some(&p.id), now).await?;
    Ok(Json(Today { date, doses, next_dose, cycles, pending_questionnaires, team_phone, now }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DoseReport {
    /// taken | skipped | vomited
    pub status: String,
    /// When it was taken (RFC 3339); default now.
    #[serde(default)]
    pub at: Option<DateTime<Utc>>,
}

async fn adherence_alert(
    state: &AppState,
    txn: &sea_orm::DatabaseTransaction,
    patient_id: &str,
    reason: String,
    now: DateTime<Utc>,
) -> Result<(), ApiError> {
    let p = patients::get(txn, patient_id).await?.ok_or(ApiError::NotFound)?;
    let Some(ep) = patients::current_episode(txn, patient_id).await? else { return Ok(()) };
    let seq =
        episodes::active_sequence(txn, &ep.id).await?.and_then(|s| Sequence::parse(&s.kind)).unwrap_or(Sequence::S1);
    let input = AlertInput {
        patient: &p,
        episode: &ep,
        sequence: seq,
        topic: Topic::Adherence,
        colour: Colour::Amber,
        provisional_grade: None,
        reasons: vec![reason],
        report_id: None,
        also: vec![],
    };
    raise(txn, state, input, now).await?;
    Ok(())
}

/// Confirms a dose: taken (late after the repeat delay), skipped or vomited. The same
/// confirmation sent again (same status and same `at`, as a phone retries a queued one) answers
/// 200 as the first time and changes nothing; any other second confirmation is a 409, and a
/// second "taken" is recorded for the pharmacist as a possible double dose; a vomited dose goes
/// to the pharmacist (re-dosing rules differ by drug).
#[utoipa::path(post, path = "/api/v1/patient/doses/{id}", params(("id" = String, Path)), request_body = DoseReport,
    responses((status = 200, body = DoseView), (status = 401), (status = 404), (status = 409), (status = 422)))]
pub async fn confirm(
    State(state): State<AppState>,
    auth: PatientAuth,
    Path(id): Path<String>,
    JsonBody(req): JsonBody<DoseReport>,
) -> Result<Json<DoseView>, ApiError> {
    if !matches!(req.status.as_str(), "taken" | "skipped" | "vomited") {
        return Err(ApiError::field("status", "taken, skipped or vomited"));
    }
    let now = state.now();
    let d = doses::get(&state.db, &id).await?.filter(|d| d.patient_id == auth.patient_id).ok_or(ApiError::NotFound)?;
    let at = req.at.unwrap_or(now);
    if at > now + Duration::minutes(5) {
        return Err(ApiError::field("at", "is in the future"));
    }
    if at < d.due_at - Duration::hours(12) {
        return Err(ApiError::field("at", "is more than 12 hours before the dose's time"));
    }
    if d.status == "cancelled" {
        return Err(ApiError::Conflict { field: None, message: "this dose is no longer planned".into() });
    }
    let txn = store::begin_write(&state.db).await?;
    let late = at > d.due_at + Duration::minutes(i64::from(state.settings.reminders.repeat_after_minutes));
    let taken_at = matches!(req.status.as_str(), "taken" | "vomited").then_some(at);
    if !doses::report(&txn, &d.id, &["pending", "missed"], &req.status, taken_at, late, now).await? {
        // A phone that queued the confirmation offline retries it with the same status and the
        // same `at` (the instant of the tap): that is the confirmation already stored, not a
        // second intake, so it answers as the first time and raises nothing.
        let current = doses::get(&txn, &d.id).await?.ok_or(ApiError::NotFound)?;
        if req.at.is_some() && current.status == req.status && current.taken_at == taken_at {
            drop(txn);
            return Ok(Json(dose_view(&state, current).await?));
        }
        if d.status == "taken" && req.status == "taken" {
            let reason = format!(
                "second intake reported for the {} dose of {} ({}): possible double dose",
                d.local_time, d.local_date, d.drug
            );
            adherence_alert(&state, &txn, &d.patient_id, reason, now).await?;
            txn.commit().await?;
        }
        return Err(ApiError::Conflict {
            field: None,
            message: format!("this dose is already confirmed ({})", d.status),
        });
    }
    if req.status == "skipped"
        && let Some(ep) = episodes::get(&txn, &d.episode_id).await?
    {
        crate::notify::adherence::check(&txn, &state, &ep, now).await?;
    }
    if req.status == "vomited" {
        let reason =
            format!("dose vomited ({} {} {}): re-dosing rules differ by drug", d.drug, d.local_date, d.local_time);
        adherence_alert(&state, &txn, &d.patient_id, reason, now).await?;
    }
    audit::record(
        &txn,
        &auth.ctx.actor("patient", &d.patient_id),
        &req.status,
        "dose",
        Some(&d.id),
        Some(&d.patient_id),
        now,
    )
    .await?;
    txn.commit().await?;
    let d = doses::get(&state.db, &id).await?.ok_or(ApiError::NotFound)?;
    Ok(Json(dose_view(&state, d).await?))
}

async fn dose_view(state: &AppState, d: store::entities::dose::Model) -> Result<DoseView, ApiError> {
    let dose = episodes::regimen_history(&state.db, &d.episode_id)
        .await?
        .into_iter()
        .find(|l| l.id == d.line_id)
        .map(|l| l.dose)
        .unwrap_or_default();
    Ok(DoseView { id: d.id, drug: d.drug, dose, time: d.local_time, due_at: d.due_at, status: d.status, late: d.late })
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeviceRequest {
    /// webpush | fcm
    pub kind: String,
    #[serde(default)]
    pub endpoint: Option<String>,
    #[serde(default)]
    pub keys: Option<WebPushKeys>,
    #[serde(default)]
    pub token: Option<String>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WebPushKeys {
    pub p256dh: String,
    pub auth: String,
}

fn b64url_len(s: &str) -> Option<usize> {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(s.trim_end_matches('=')).ok().map(|b| b.len())
}

/// A device registration checked field by field (the patient's and the staff's endpoints): the
/// Web Push endpoint must be on the push-service allowlist, the keys the sizes RFC 8291 needs.
pub(super) fn parse_device(state: &AppState, req: DeviceRequest) -> Result<push_devices::NewDevice, ApiError> {
    Ok(match req.kind.as_str() {
        "webpush" => {
            let endpoint = req.endpoint.ok_or_else(|| ApiError::field("endpoint", "required for webpush"))?;
            relais_mobile_bridge::check_endpoint(&endpoint, &state.settings.push.allowed_origins)
                .map_err(|e| ApiError::field("endpoint", e.to_string()))?;
            let keys = req.keys.ok_or_else(|| ApiError::field("keys", "required for webpush"))?;
            // RFC 8291: an uncompressed P-256 point (65 bytes) and a 16-byte auth secret.
            if b64url_len(&keys.p256dh) != Some(65) {
                return Err(ApiError::field("keys.p256dh", "a base64url P-256 public key (65 bytes)"));
            }
            if b64url_len(&keys.auth) != Some(16) {
                return Err(ApiError::field("keys.auth", "a base64url 16-byte secret"));
            }
            push_devices::NewDevice::WebPush { endpoint, p256dh: keys.p256dh, auth: keys.auth }
        }
        "fcm" => {
            let token = req
                .token
                .filter(|t| !t.trim().is_empty() && t.len() <= 4096)
                .ok_or_else(|| ApiError::field("token", "the FCM registration token"))?;
            push_devices::NewDevice::Fcm { token }
        }
        _ => return Err(ApiError::field("kind", "webpush or fcm")),
    })
}

/// Registers a Web Push subscription or an FCM token for this phone.
#[utoipa::path(post, path = "/api/v1/patient/devices", request_body = DeviceRequest,
    responses((status = 201, description = "{\"id\"}"), (status = 401), (status = 422)))]
pub async fn add_device(
    State(state): State<AppState>,
    auth: PatientAuth,
    JsonBody(req): JsonBody<DeviceRequest>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let now = state.now();
    let device = parse_device(&state, req)?;
    let txn = store::begin_write(&state.db).await?;
    let id = push_devices::add_for_patient(&txn, &auth.patient_id, device, now).await?;
    audit::record(
        &txn,
        &auth.ctx.actor("patient", &auth.patient_id),
        "create",
        "push_device",
        Some(&id),
        Some(&auth.patient_id),
        now,
    )
    .await?;
    txn.commit().await?;
    Ok((StatusCode::CREATED, Json(json!({"id": id}))))
}

/// Removes a push device of this patient.
#[utoipa::path(delete, path = "/api/v1/patient/devices/{id}", params(("id" = String, Path)), responses((status = 204), (status = 401), (status = 404)))]
pub async fn remove_device(
    State(state): State<AppState>,
    auth: PatientAuth,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    if !push_devices::revoke(&state.db, push_devices::Owner::Patient(&auth.patient_id), &id, state.now()).await? {
        return Err(ApiError::NotFound);
    }
    Ok(StatusCode::NO_CONTENT)
}
