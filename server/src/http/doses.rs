//! The patient's day: doses with their status, confirming a dose, push devices.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::error::ApiError;
use super::extract::{JsonBody, PatientAuth};
use crate::AppState;
use crate::app::{self, doses::DoseReport};
use crate::domain::regimen;
use crate::store::{self, audit, directory, doses, episodes, patients, push_devices, reports};

#[derive(Clone, Serialize, ToSchema)]
pub struct DoseView {
    pub id: String,
    /// The catalogue key.
    pub drug: String,
    /// The drug's name in the patient's language (never the key).
    pub drug_name: String,
    /// The dose of that day as the patient takes it: the step in force, or the computed dose
    /// in units ("2 150 mg : 4 comprimés à 500 mg + 1 comprimé à 150 mg").
    pub dose: String,
    pub time: String,
    pub due_at: DateTime<Utc>,
    /// pending, taken, skipped, vomited or missed
    pub status: String,
    pub late: bool,
    /// The first instant the dose may be confirmed (`reminders.confirm_early_minutes` before it).
    pub confirm_from: DateTime<Utc>,
    /// While the patient may undo the confirmation (`POST .../undo`); absent otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub undo_until: Option<DateTime<Utc>>,
}

#[derive(Serialize, ToSchema)]
#[schema(as = TodayCycle)]
pub struct CycleView {
    /// The catalogue key.
    pub drug: String,
    /// The drug's name in the patient's language (what the phone shows, never the key).
    pub drug_name: String,
    /// Day of the cycle (1-based) and its length; `on` false during the planned break.
    pub day: u16,
    pub length: u16,
    pub on: bool,
    /// For a cycle of one block from day 1: its days on and off.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub on_days: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub off_days: Option<u16>,
    /// Otherwise its blocks of on-days, e.g. [[1, 5], [8, 12]].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub blocks: Option<Vec<[u16; 2]>>,
}

/// A questionnaire waiting for answers.
#[derive(Serialize, ToSchema)]
pub struct PendingRef {
    pub id: String,
    pub due_at: DateTime<Utc>,
}

/// The id of a registered push device.
#[derive(Serialize, ToSchema)]
pub struct DeviceAdded {
    pub id: String,
}

#[derive(Serialize, ToSchema)]
pub struct Today {
    #[schema(value_type = String, format = Date)]
    pub date: chrono::NaiveDate,
    pub doses: Vec<DoseView>,
    pub next_dose: Option<DoseView>,
    pub cycles: Vec<CycleView>,
    /// Ids and due times of questionnaires waiting for answers.
    pub pending_questionnaires: Vec<PendingRef>,
    /// The care team's 24 h number.
    pub team_phone: Option<String>,
    /// The server's clock: the phone dates a dose confirmed offline in the server's time, so a
    /// phone whose clock is wrong still sends a valid `at`.
    pub now: DateTime<Utc>,
    /// The patient's last red or amber report while nobody of the team has acknowledged its
    /// alert: the phone keeps showing what to do until someone has (absent otherwise).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_result: Option<LastResult>,
}

#[derive(Serialize, ToSchema)]
pub struct LastResult {
    pub report_id: String,
    pub submitted_at: DateTime<Utc>,
    /// The answer the phone got when it sent the report (colour, advice, hold, contact).
    #[schema(value_type = app::reports::ReportResult)]
    pub result: serde_json::Value,
}

/// The last report whose alert nobody has acknowledged yet, with the answer the patient got.
async fn last_result(state: &AppState, patient_id: &str) -> Result<Option<LastResult>, ApiError> {
    let Some(alert) = store::alerts::unacknowledged_report_alert(&state.db, patient_id).await? else {
        return Ok(None);
    };
    let Some(report_id) = alert.last_report_id else { return Ok(None) };
    let report = reports::get(&state.db, &report_id).await?.ok_or(ApiError::NotFound)?;
    // The stored answer is the server's own JSON: one that does not read back is named, never
    // replaced by an empty screen (its content stays out of the logs).
    let result = serde_json::from_str(&report.result)
        .map_err(|_| store::StoredValueError::new("reports", &report.id, "result", "(not JSON)"))?;
    Ok(Some(LastResult { report_id: report.id, submitted_at: report.submitted_at, result }))
}

/// The doses of the patient's local day with their status, the cycle day, pending
/// questionnaires and the team's number.
#[utoipa::path(get, path = "/api/v1/patient/today", responses((status = 200, body = Today), (status = 401)))]
pub async fn today(State(state): State<AppState>, auth: PatientAuth) -> Result<Json<Today>, ApiError> {
    let db = &state.db;
    let now = state.now();
    let p = patients::get(db, &auth.patient_id).await?.ok_or(ApiError::Unauthorized)?;
    let tz = p.time_zone()?;
    let date = now.with_timezone(&tz).date_naive();
    let ep = patients::current_episode(db, &p.id).await?;
    let lines = match &ep {
        Some(e) => episodes::active_regimen(db, &e.id).await?,
        None => vec![],
    };
    let domain_lines = episodes::lines_of(&lines)?;
    let dose_text = |d: &store::entities::dose::Model| {
        domain_lines
            .iter()
            .find(|l| l.id == d.line_id)
            .map(|l| regimen::dose_on(l, d.local_date).to_owned())
            .unwrap_or_default()
    };
    let locale = p.locale()?;
    let name = |drug: &str| {
        state.rules.catalog.display_name(drug).map_or_else(|| drug.to_owned(), |n| n.get(locale).to_owned())
    };
    let view = |d: store::entities::dose::Model| {
        let (dose, drug_name) = (dose_text(&d), name(&d.drug));
        view_of(&state, d, dose, drug_name)
    };
    let doses: Vec<DoseView> = doses::of_day(db, &p.id, date).await?.into_iter().map(view).collect();
    let next_dose = doses.iter().find(|d| d.status == "pending" && d.due_at >= now - Duration::hours(1)).cloned();
    let cycles = domain_lines
        .iter()
        .filter_map(|l| {
            let cycle = l.cycle.as_ref()?;
            let c = regimen::cycle_day(l, date)?;
            let one = cycle.as_on_off();
            Some(CycleView {
                drug_name: name(&l.drug),
                drug: l.drug.clone(),
                day: c.day,
                length: c.length,
                on: c.on,
                on_days: one.map(|o| o.0),
                off_days: one.map(|o| o.1),
                blocks: one.is_none().then(|| cycle.on.iter().map(|&(a, b)| [a, b]).collect()),
            })
        })
        .collect();
    let pending_questionnaires = reports::pending_questionnaires(db, &p.id, now)
        .await?
        .into_iter()
        .map(|q| PendingRef { id: q.id, due_at: q.due_at })
        .collect();
    let team_phone = directory::establishment(db, &p.establishment_id).await?.map(|e| e.phone_24h);
    audit::record(
        db,
        audit::Entry {
            actor: &auth.ctx.actor("patient", &p.id),
            action: "read",
            entity: "today",
            entity_id: None,
            patient_id: Some(&p.id),
            at: now,
        },
    )
    .await?;
    let last_result = last_result(&state, &p.id).await?;
    Ok(Json(Today { date, doses, next_dose, cycles, pending_questionnaires, team_phone, now, last_result }))
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
    let d = app::doses::confirm(&state, &auth, &id, &req).await?;
    Ok(Json(dose_view(&state, d).await?))
}

/// Undoes the confirmation of a dose within `reminders.undo_minutes` of it (a wrong button):
/// the dose is due again (pending, or missed if its window has closed). What the confirmation
/// raised for the team stays raised. 409 when there is nothing to undo or it is too late.
#[utoipa::path(post, path = "/api/v1/patient/doses/{id}/undo", params(("id" = String, Path)),
    responses((status = 200, body = DoseView), (status = 401), (status = 404), (status = 409)))]
pub async fn undo(
    State(state): State<AppState>,
    auth: PatientAuth,
    Path(id): Path<String>,
) -> Result<Json<DoseView>, ApiError> {
    let d = app::doses::undo(&state, &auth, &id).await?;
    Ok(Json(dose_view(&state, d).await?))
}

async fn dose_view(state: &AppState, d: store::entities::dose::Model) -> Result<DoseView, ApiError> {
    let rows: Vec<_> =
        episodes::regimen_history(&state.db, &d.episode_id).await?.into_iter().filter(|l| l.id == d.line_id).collect();
    let dose =
        episodes::lines_of(&rows)?.first().map(|l| regimen::dose_on(l, d.local_date).to_owned()).unwrap_or_default();
    // The dose's patient exists (a foreign key): its locale is read, never assumed.
    let p = patients::get(&state.db, &d.patient_id).await?.ok_or(ApiError::NotFound)?;
    let locale = p.locale()?;
    let drug_name =
        state.rules.catalog.display_name(&d.drug).map_or_else(|| d.drug.clone(), |n| n.get(locale).to_owned());
    Ok(view_of(state, d, dose, drug_name))
}

/// A dose as the phone sees it, with its dose text and drug name already read.
fn view_of(state: &AppState, d: store::entities::dose::Model, dose: String, drug_name: String) -> DoseView {
    DoseView {
        confirm_from: app::doses::confirm_from(state, &d),
        undo_until: app::doses::undo_until(state, &d),
        id: d.id,
        drug: d.drug,
        drug_name,
        dose,
        time: d.local_time,
        due_at: d.due_at,
        status: d.status,
        late: d.late,
    }
}

/// `webpush`: a browser's subscription (`endpoint` and `keys` required); `fcm`: an FCM
/// registration token (`token` required).
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
#[allow(dead_code)] // documents the values `DeviceRequest::kind` takes; parse_device checks them
pub enum DeviceKind {
    Webpush,
    Fcm,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeviceRequest {
    #[schema(value_type = DeviceKind)]
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
    responses((status = 201, body = DeviceAdded), (status = 401), (status = 422)))]
pub async fn add_device(
    State(state): State<AppState>,
    auth: PatientAuth,
    JsonBody(req): JsonBody<DeviceRequest>,
) -> Result<(StatusCode, Json<DeviceAdded>), ApiError> {
    let now = state.now();
    let device = parse_device(&state, req)?;
    let txn = store::begin_write(&state.db).await?;
    let id = push_devices::add_for_patient(&txn, &auth.patient_id, device, now).await?;
    audit::record(
        &txn,
        audit::Entry {
            actor: &auth.ctx.actor("patient", &auth.patient_id),
            action: "create",
            entity: "push_device",
            entity_id: Some(&id),
            patient_id: Some(&auth.patient_id),
            at: now,
        },
    )
    .await?;
    txn.commit().await?;
    Ok((StatusCode::CREATED, Json(DeviceAdded { id })))
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
