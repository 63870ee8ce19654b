//! The patient's symptom reports: validate, grade, triage, store report + grades + alerts +
//! messages in one transaction, and answer at once with colour, advice and the team's number.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa::ToSchema;

use super::error::ApiError;
use super::extract::{JsonBody, PatientAuth};
use crate::AppState;
use crate::domain::answers::Answers;
use crate::domain::routing::Topic;
use crate::domain::triage::{self, AdviceContext, Case, Colour, Locale, TriageResult};
use crate::domain::{Parcours, Sequence};
use crate::notify::alerts::{AlertInput, raise};
use crate::store::audit::Actor;
use crate::store::{self, audit, directory, episodes, patients, reports};

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReportRequest {
    /// Chosen by the phone (UUID); the same id sent again returns the first result.
    pub client_id: String,
    #[serde(default)]
    pub questionnaire_id: Option<String>,
    /// Answer keys of docs/triage.md §1.
    #[schema(value_type = Object)]
    pub answers: Value,
}

fn contact(locale: Locale, phone: &str) -> Value {
    let text = match locale {
        Locale::Fr => format!("Votre équipe d'oncologie, 24 h/24 : {phone}. En cas d'urgence vitale : 15 (SAMU)."),
        Locale::En => format!("Your oncology team, 24/7: {phone}. In a life-threatening emergency: 15 (SAMU) or 112."),
    };
    json!({"phone": phone, "text": text})
}

fn body(report_id: &str, r: &TriageResult, contact: Value) -> Value {
    json!({"report_id": report_id, "colour": r.colour, "symptoms": r.symptoms, "red_flags": r.red_flags,
           "advice": r.advice, "contact": contact})
}

/// A replay of a stored report: the first answer if the answers are the same, else 409.
fn replay(stored: &store::entities::report::Model, answers: &Value) -> Result<Value, ApiError> {
    // Compare values, not text: the same answers are the same whatever the key order.
    if serde_json::from_str::<Value>(&stored.answers).ok().as_ref() != Some(answers) {
        return Err(ApiError::Conflict {
            field: Some("client_id".into()),
            message: "already used for different answers".into(),
        });
    }
    serde_json::from_str(&stored.result).map_err(|e| ApiError::Internal(e.into()))
}

/// Submits a report (a questionnaire's answers, or "I have a symptom now").
#[utoipa::path(post, path = "/api/v1/patient/reports", request_body = ReportRequest,
    responses((status = 201, description = "colour, symptoms, red_flags, advice, contact"), (status = 401), (status = 404), (status = 409), (status = 422)))]
pub async fn submit(
    State(state): State<AppState>,
    auth: PatientAuth,
    JsonBody(req): JsonBody<ReportRequest>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let actor = auth.ctx.actor("patient", &auth.patient_id);
    let response = submit_report(&state, &auth.patient_id, req, actor, state.now()).await?;
    Ok((StatusCode::CREATED, Json(response)))
}

/// The whole of a report's intake for one patient at `now`, in one transaction; the API and the
/// demo's history both go through it. Returns the response body (the stored one on a replay).
pub async fn submit_report(
    state: &AppState,
    patient_id: &str,
    req: ReportRequest,
    actor: Actor,
    now: DateTime<Utc>,
) -> Result<Value, ApiError> {
    if uuid::Uuid::parse_str(&req.client_id).is_err() {
        return Err(ApiError::field("client_id", "a UUID chosen by the phone"));
    }
    let db = &state.db;
    if let Some(stored) = reports::by_client_id(db, patient_id, &req.client_id).await? {
        return replay(&stored, &req.answers);
    }
    let answers = Answers::parse(&req.answers, "answers")?;
    let patient = patients::get(db, patient_id).await?.ok_or(ApiError::Unauthorized)?;
    let ep = patients::current_episode(db, &patient.id)
        .await?
        .ok_or(ApiError::Conflict { field: None, message: "no follow-up in progress".into() })?;
    if let Some(q) = &req.questionnaire_id
        && reports::questionnaire_of(db, &patient.id, q).await?.is_none()
    {
        return Err(ApiError::NotFound);
    }
    let seq = episodes::active_sequence(db, &ep.id)
        .await?
        .ok_or(ApiError::Conflict { field: None, message: "no sequence in progress".into() })?;
    let sequence = Sequence::parse(&seq.kind).unwrap_or(Sequence::S1);
    let drugs: Vec<String> = episodes::active_regimen(db, &ep.id).await?.into_iter().map(|l| l.drug).collect();
    // The previous report was validated when it was stored; one that no longer parses (rules
    // changed) is simply not compared.
    let previous = match reports::latest(db, &ep.id).await? {
        Some(r) => {
            serde_json::from_str::<Value>(&r.answers).ok().and_then(|v| Answers::parse(&v, "previous_answers").ok())
        }
        None => None,
    };
    let case = Case {
        drugs,
        sequence,
        parcours: Parcours::parse(&ep.parcours).unwrap_or(Parcours::A),
        baseline_weight_kg: ep.baseline_weight_kg,
        previous,
        answers,
    };
    let est = directory::establishment(db, &ep.establishment_id).await?;
    let phone = est.map(|e| e.phone_24h).unwrap_or_default();
    let locale = Locale::parse(&patient.locale).unwrap_or(Locale::Fr);
    let ctx = AdviceContext { locale, team_phone: Some(phone.clone()) };
    let result = triage::evaluate(&state.rules.triage, &state.rules.catalog, &case, &ctx)?;

    let txn = store::begin_write(db).await?;
    let grades: Vec<(&str, u8, &str, &[String])> = result
        .symptoms
        .iter()
        .map(|s| (s.symptom.as_str(), s.grade, s.colour.as_str(), s.reasons.as_slice()))
        .collect();
    // The stored result is the response, so a replay answers byte for byte the same.
    let report_id = store::new_id();
    let response = body(&report_id, &result, contact(locale, &phone));
    let inserted = reports::insert(
        &txn,
        reports::NewReport {
            id: &report_id,
            patient_id: &patient.id,
            episode_id: &ep.id,
            questionnaire_id: req.questionnaire_id.as_deref(),
            client_id: &req.client_id,
            answers: &req.answers,
            sequence: sequence.as_str(),
            colour: result.colour.as_str(),
            result: &response,
        },
        &grades,
        now,
    )
    .await;
    if let Err(e) = inserted {
        // Two retries of the same report raced: the other one stored it first.
        if store::unique_violation(&e).is_some() {
            drop(txn);
            let stored =
                reports::by_client_id(db, patient_id, &req.client_id).await?.ok_or(ApiError::Internal(e.into()))?;
            return replay(&stored, &req.answers);
        }
        return Err(e.into());
    }
    if let Some(q) = &req.questionnaire_id {
        reports::mark_answered(&txn, q, &report_id).await?;
    }
    if result.colour != Colour::Green {
        let mut reasons = result.reasons.clone();
        reasons.extend(result.red_flags.iter().map(|f| format!("red flag {}: {}", f.flag, f.reason)));
        raise(
            &txn,
            state,
            AlertInput {
                patient: &patient,
                episode: &ep,
                sequence,
                topic: Topic::Toxicity,
                colour: result.colour,
                provisional_grade: result.symptoms.iter().map(|s| s.grade).max(),
                reasons,
                report_id: Some(&report_id),
                also: vec![],
            },
            now,
        )
        .await?;
    }
    audit::record(&txn, &actor, "create", "report", Some(&report_id), Some(&patient.id), now).await?;
    txn.commit().await?;
    tracing::info!(patient_id = %patient.id, report_id = %report_id, colour = result.colour.as_str(), "report received");
    Ok(response)
}
