//! A patient's symptom report: validate, grade, triage, and store report, grades, alerts and
//! messages in one transaction; the answer (colour, advice, the team's number) is stored with
//! it so that a retry gets the same bytes (docs/triage.md).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use super::ActionError;
use super::actor::DeviceToken;
use crate::AppState;
use crate::alerting::{AlertInput, raise_many, regimen};
use crate::domain::Sequence;
use crate::domain::answers::Answers;
use crate::domain::routing::Topic;
use crate::domain::symptoms::Measure;
use crate::domain::triage::{self, AdviceContext, Case, Colour, Locale, TriageResult};
use crate::store::audit::Actor;
use crate::store::entities::{episode, establishment, patient, regimen_line};
use crate::store::group_commit::{self, GroupCommit};
use crate::store::{self, audit, reports};
use sea_orm::DatabaseTransaction;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReportRequest {
    /// Chosen by the phone (UUID); the same id sent again returns the first result.
    #[schema(format = Uuid)]
    pub client_id: String,
    #[serde(default)]
    pub questionnaire_id: Option<String>,
    /// Answer keys of docs/triage.md §1.
    #[schema(value_type = Object)]
    pub answers: Value,
    /// "I have a symptom now", "other": a symptom in the patient's own words (1 to 1000
    /// characters). The report is at least amber and its alert goes to the IDEC, who reads it
    /// on the alert page. Never logged.
    #[serde(default)]
    #[schema(max_length = 1000)]
    pub other: Option<String>,
}

/// Longest "other" text a patient may send (characters): a few sentences on a phone.
pub const OTHER_MAX_CHARS: usize = 1000;

/// The "other" text, trimmed: 422 naming `other` when empty or too long.
fn other_text(other: Option<&str>) -> Result<Option<String>, ActionError> {
    let Some(text) = other else { return Ok(None) };
    let text = text.trim();
    if text.is_empty() {
        return Err(ActionError::field("other", "describe the symptom, or leave `other` out"));
    }
    if text.chars().count() > OTHER_MAX_CHARS {
        return Err(ActionError::field("other", format!("at most {OTHER_MAX_CHARS} characters")));
    }
    Ok(Some(text.to_owned()))
}

/// The answer to a report (stored with it, and sent again on a retry of the same `client_id`).
#[derive(Serialize, ToSchema)]
pub struct ReportResult {
    pub report_id: String,
    pub colour: Colour,
    /// Symptoms of grade 1 or more, highest grade first.
    pub symptoms: Vec<triage::SymptomResult>,
    pub red_flags: Vec<triage::RedFlag>,
    pub advice: Vec<triage::Advice>,
    /// Catalogue keys of the drugs whose next dose the patient must not take (docs/triage.md §5).
    pub hold: Vec<String>,
    pub contact: Contact,
    /// The patient's own words of "I have a symptom now", "other", when given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub other: Option<String>,
    /// Why the report has its colour, as codes with parameters (docs/triage.md, "Reasons").
    /// Absent from the replay of a report stored before the codes.
    #[serde(default)]
    pub reason_codes: Vec<crate::domain::reason::Reason>,
}

/// Whom the patient calls, in the patient's language.
#[derive(Clone, Serialize, ToSchema)]
pub struct Contact {
    pub phone: String,
    pub text: String,
}

fn contact(locale: Locale, phone: &str) -> Contact {
    let shown = crate::domain::phone::display(phone);
    let text = match locale {
        Locale::Fr => format!("Votre équipe d'oncologie, 24 h/24 : {shown}. En cas d'urgence vitale : 15 (SAMU)."),
        Locale::En => format!("Your oncology team, 24/7: {shown}. In a life-threatening emergency: 15 (SAMU) or 112."),
    };
    Contact { phone: phone.to_owned(), text }
}

/// The response, stored with the report. `other` (the patient's own words, when given) is kept
/// here for the alert page: the stored result is the report's record of what was sent.
fn body(report_id: &str, r: &TriageResult, contact: Contact, other: Option<&str>) -> Result<Value, ActionError> {
    let result = ReportResult {
        report_id: report_id.to_owned(),
        colour: r.colour,
        symptoms: r.symptoms.clone(),
        red_flags: r.red_flags.clone(),
        advice: r.advice.clone(),
        hold: r.hold.clone(),
        contact,
        other: other.map(str::to_owned),
        reason_codes: r.reason_codes.clone(),
    };
    serde_json::to_value(result).map_err(|e| ActionError::Internal(e.into()))
}

/// A replay of a stored report: the first answer if the answers (and `other`) are the same,
/// else 409.
fn replay(stored: &store::entities::report::Model, answers: &Value, other: Option<&str>) -> Result<Value, ActionError> {
    let result: Value = serde_json::from_str(&stored.result).map_err(|e| ActionError::Internal(e.into()))?;
    // Compare values, not text: the same answers are the same whatever the key order.
    if serde_json::from_str::<Value>(&stored.answers).ok().as_ref() != Some(answers)
        || result.get("other").and_then(Value::as_str) != other
    {
        return Err(ActionError::Conflict {
            field: Some("client_id".into()),
            message: "already used for different answers".into(),
        });
    }
    Ok(result)
}

/// Who sends a report.
pub enum Sender {
    /// A phone, its token checked by the intake's first read (the API).
    Phone(DeviceToken),
    /// A patient already known, and who acts for them (the demo's history).
    Patient { id: String, actor: Actor },
}

/// The whole of a report's intake at `now`, in one transaction; the API and the demo's history
/// both go through it. Returns the response body (the stored one on a replay). A phone's token
/// is checked before anything else is answered: a refused input from an unknown phone is 401.
pub async fn submit(
    state: &AppState,
    sender: Sender,
    req: ReportRequest,
    now: DateTime<Utc>,
) -> Result<Value, ActionError> {
    let checked = if uuid::Uuid::parse_str(&req.client_id).is_err() {
        Err(ActionError::field("client_id", "a UUID chosen by the phone"))
    } else {
        other_text(req.other.as_deref())
    };
    let other = match (checked, &sender) {
        (Ok(other), _) => other,
        (Err(e), Sender::Phone(token)) => {
            token.authenticate(state, now).await?;
            return Err(e);
        }
        (Err(e), Sender::Patient { .. }) => return Err(e),
    };
    let db = &state.db;
    // One round trip for everything read before the write, the phone's token included
    // (BENCHMARKS.md, "Report intake").
    let who = match &sender {
        Sender::Phone(t) => reports::Reporter::Device { token_hash: &t.token_hash },
        Sender::Patient { id, .. } => reports::Reporter::Patient(id),
    };
    let ctx = match who {
        // On PostgreSQL, phones' reads arriving together share one statement (`IntakeReader`).
        reports::Reporter::Device { token_hash } if store::is_postgres(db) => {
            let key = ReadKey { token_hash: token_hash.to_owned(), client_id: req.client_id.clone() };
            state.intake_reads.run(db, token_hash, key).await?
        }
        _ => reports::intake_context(db, who, &req.client_id).await?,
    }
    .ok_or(ActionError::Unauthorized)?;
    let actor = match sender {
        Sender::Phone(token) => {
            // The same rule as every other phone request.
            token.admit(state, ctx.device.as_ref(), now).await?;
            token.ctx.actor("patient", &ctx.patient.id)
        }
        Sender::Patient { actor, .. } => actor,
    };
    if let Some(id) = &ctx.replay_id {
        let stored = reports::get(db, id).await?.ok_or(ActionError::NotFound)?;
        return replay(&stored, &req.answers, other.as_deref());
    }
    let answers = Answers::parse(&req.answers, "answers")?;
    let patient = ctx.patient;
    let ep = ctx.episode.ok_or(ActionError::Conflict { field: None, message: "no follow-up in progress".into() })?;
    if let Some(q) = &req.questionnaire_id
        && reports::questionnaire_of(db, &patient.id, q).await?.is_none()
    {
        return Err(ActionError::NotFound);
    }
    let seq = ctx.sequence.ok_or(ActionError::Conflict { field: None, message: "no sequence in progress".into() })?;
    let sequence = seq.kind()?;
    // The regimen lines in force came with the context (same round trip).
    let lines = ctx.lines;
    // Partner drugs (prednisone…) play no part in S3, triage or interactions (docs/domain.md).
    let drugs: Vec<String> = state.rules.catalog.anticancer(&lines.iter().map(|l| l.drug.clone()).collect::<Vec<_>>());
    // The previous report was validated when it was stored; one that no longer parses (rules
    // changed) is simply not compared.
    let previous = ctx
        .previous_answers
        .and_then(|a| serde_json::from_str::<Value>(&a).ok())
        .and_then(|v| Answers::parse(&v, "previous_answers").ok());
    let case = Case {
        drugs,
        sequence,
        parcours: ep.parcours()?,
        baseline_weight_kg: ep.baseline_weight_kg,
        previous,
        answers,
    };
    let establishment = ctx.establishment;
    let phone = establishment.as_ref().map(|e| e.phone_24h.clone()).unwrap_or_default();
    let locale = patient.locale()?;
    let ctx = AdviceContext { locale, team_phone: Some(phone.clone()) };
    let result = triage::evaluate_with_other(&state.rules.triage, &state.rules.catalog, &case, &ctx, other.is_some())?;

    let prepared = Prepared {
        state: state.clone(),
        patient,
        episode: ep,
        establishment,
        sequence,
        lines,
        weight_kg: case.answers.measure(Measure::WeightKg),
        client_id: req.client_id,
        questionnaire_id: req.questionnaire_id,
        answers: req.answers,
        other,
        contact: contact(locale, &phone),
        result,
        actor,
        now,
    };
    let (client_id, answers, other) = (prepared.client_id.clone(), prepared.answers.clone(), prepared.other.clone());
    // Reports queued together share one transaction and one commit, written with set-based
    // statements (`store::group_commit`); one patient's reports go to one writer, in order.
    let key = prepared.patient.id.clone();
    let written = state.intake.run(db, &key, prepared).await;
    match written {
        Ok(w) => {
            tracing::info!(patient_id = %w.patient_id, report_id = %w.report_id, colour = w.colour.as_str(), "report received");
            Ok(w.response)
        }
        // Two retries of the same report raced: the other one stored it first.
        Err(WriteError::SameClientId) => {
            let stored = reports::by_client_id(db, &key, &client_id)
                .await?
                .ok_or_else(|| ActionError::Internal(anyhow::anyhow!("client_id already stored, yet not found")))?;
            replay(&stored, &answers, other.as_deref())
        }
        Err(WriteError::Failed(e)) => Err(e),
    }
}

/// The readers of report intake on PostgreSQL (`AppState::intake_reads`): the contexts of the
/// phones' reports queued together are read by [`read_batch`] in one statement, one round trip
/// for them all instead of one each (docs/design.md, "Report intake"). They reuse the group
/// commit's queueing, its split of a refused batch and its counters; their transaction writes
/// nothing. SQLite reads in process, with no round trip to save: it reads each report's alone.
pub type IntakeReader = GroupCommit<ReadKey, Option<reports::IntakeContext>, sea_orm::DbErr>;

/// What a phone's report context is read by: its token's hash and the report's `client_id`.
pub struct ReadKey {
    token_hash: String,
    client_id: String,
}

/// The contexts of a batch of phones' reports, in one statement.
pub fn read_batch<'t>(txn: &'t DatabaseTransaction, keys: &'t [ReadKey]) -> group_commit::BoxFuture<'t, ReadResults> {
    Box::pin(async move {
        let keys: Vec<(&str, &str)> = keys.iter().map(|k| (k.token_hash.as_str(), k.client_id.as_str())).collect();
        Ok(reports::intake_contexts_of_devices(txn, &keys).await?.into_iter().map(Ok).collect())
    })
}

type ReadResults = Result<Vec<Result<Option<reports::IntakeContext>, sea_orm::DbErr>>, sea_orm::DbErr>;

/// The writers of report intake (`AppState::intake`): [`write_batch`] stores their batches.
pub type IntakeWriter = GroupCommit<Prepared, Written, WriteError>;

/// What a report's writes need, graded and checked beforehand, owned so that the writes may
/// run on the intake writer's task.
pub struct Prepared {
    state: AppState,
    patient: patient::Model,
    episode: episode::Model,
    establishment: Option<establishment::Model>,
    sequence: Sequence,
    lines: Vec<regimen_line::Model>,
    weight_kg: Option<f64>,
    client_id: String,
    questionnaire_id: Option<String>,
    answers: Value,
    other: Option<String>,
    contact: Contact,
    result: TriageResult,
    actor: Actor,
    now: DateTime<Utc>,
}

/// A report stored: its response, and what the log line names.
pub struct Written {
    patient_id: String,
    report_id: String,
    colour: Colour,
    response: Value,
}

/// Why a report's writes were rolled back.
#[derive(Debug)]
pub enum WriteError {
    /// Its `client_id` is already stored (a retry that raced the first): answered from the
    /// stored report once the transaction that holds it is committed.
    SameClientId,
    Failed(ActionError),
}

impl std::fmt::Display for WriteError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::SameClientId => write!(f, "client_id already stored"),
            Self::Failed(e) => write!(f, "{e:?}"),
        }
    }
}

impl From<sea_orm::DbErr> for WriteError {
    fn from(e: sea_orm::DbErr) -> Self {
        Self::Failed(e.into())
    }
}

impl From<ActionError> for WriteError {
    fn from(e: ActionError) -> Self {
        Self::Failed(e)
    }
}

/// The writes of a batch of reports, all in `txn` (docs/design.md, "Report intake"): the
/// reports and their grades in two statements (a `client_id` already stored leaves its report
/// out: [`WriteError::SameClientId`]); the questionnaires answered; the alerts of all its
/// reports together, in a fixed number of statements (`alerting::raise_many`: merged per
/// patient and topic in arrival order, with their recipients and notifications); a weight's
/// dose check; the audit lines in one statement. Any other failure refuses the batch: the
/// writer then stores each report in a transaction of its own.
pub fn write_batch<'t>(
    txn: &'t DatabaseTransaction,
    batch: &'t [Prepared],
) -> group_commit::BoxFuture<'t, Result<Vec<Result<Written, WriteError>>, WriteError>> {
    Box::pin(write_all(txn, batch))
}

async fn write_all(
    txn: &DatabaseTransaction,
    batch: &[Prepared],
) -> Result<Vec<Result<Written, WriteError>>, WriteError> {
    // The stored result is the response, so a replay answers byte for byte the same.
    let mut made = Vec::with_capacity(batch.len());
    for p in batch {
        let report_id = store::new_id();
        let response = body(&report_id, &p.result, p.contact.clone(), p.other.as_deref())?;
        made.push((report_id, response));
    }
    let rows: Vec<reports::ReportRows<'_>> = batch
        .iter()
        .zip(&made)
        .map(|(p, (report_id, response))| reports::ReportRows {
            report: reports::NewReport {
                id: report_id,
                patient_id: &p.patient.id,
                episode_id: &p.episode.id,
                questionnaire_id: p.questionnaire_id.as_deref(),
                client_id: &p.client_id,
                answers: &p.answers,
                sequence: p.sequence.as_str(),
                colour: p.result.colour.as_str(),
                result: response,
            },
            grades: p
                .result
                .symptoms
                .iter()
                .map(|s| (s.symptom.as_str(), s.grade, s.colour.as_str(), s.reason_codes.as_slice()))
                .collect(),
            at: p.now,
        })
        .collect();
    let stored = reports::insert_many(txn, &rows).await?;
    let mut out = Vec::with_capacity(batch.len());
    for (p, (report_id, response)) in batch.iter().zip(made) {
        if !stored.contains(&report_id) {
            out.push(Err(WriteError::SameClientId));
            continue;
        }
        if let Some(q) = &p.questionnaire_id {
            reports::mark_answered(txn, q, &report_id).await?;
        }
        out.push(Ok(Written { patient_id: p.patient.id.clone(), report_id, colour: p.result.colour, response }));
    }
    let stored: Vec<(&Prepared, &str)> =
        batch.iter().zip(&out).filter_map(|(p, w)| Some((p, w.as_ref().ok()?.report_id.as_str()))).collect();
    // The alerts of the reports other than green, all together, in arrival order (merged per
    // patient and topic as if raised one by one).
    let alerts: Vec<_> = stored.iter().filter_map(|(p, report_id)| Some((alert_input(p, report_id)?, p.now))).collect();
    if let Some(first) = batch.first() {
        raise_many(txn, &first.state, alerts).await?;
    }
    // A weight that moves a dose computed per m² or per kg: the IDEC and the hospital pharmacist
    // re-evaluate it; the regimen is not changed (docs/domain.md, "A new weight and the dose").
    for (p, report_id) in &stored {
        if let Some(weight_kg) = p.weight_kg {
            regimen::check(txn, &p.state, &p.patient, &p.episode, p.sequence, &p.lines, weight_kg, report_id, p.now)
                .await?;
        }
    }
    let audits: Vec<audit::Entry<'_>> = batch
        .iter()
        .zip(&out)
        .filter_map(|(p, w)| {
            let w = w.as_ref().ok()?;
            Some(audit::Entry {
                actor: &p.actor,
                action: "create",
                entity: "report",
                entity_id: Some(&w.report_id),
                patient_id: Some(&p.patient.id),
                at: p.now,
            })
        })
        .collect();
    audit::record_many(txn, &audits).await?;
    Ok(out)
}

/// The alert a stored report raises, None for green: its toxicity, at its colour.
fn alert_input<'a>(p: &'a Prepared, report_id: &'a str) -> Option<AlertInput<'a>> {
    let result = &p.result;
    if result.colour == Colour::Green {
        return None;
    }
    let mut reasons = result.reason_codes.clone();
    reasons.extend(result.red_flags.iter().map(|f| f.reason_code.clone()));
    Some(AlertInput {
        patient: &p.patient,
        episode: &p.episode,
        sequence: p.sequence,
        topic: Topic::Toxicity,
        colour: result.colour,
        provisional_grade: result.symptoms.iter().map(|s| s.grade).max(),
        reasons,
        report_id: Some(report_id),
        // Roles the triage adds to the routing rule (an amber fever, or the patient's own
        // words: also the IDEC, docs/triage.md §4).
        also: result.routes.iter().map(|r| r.role).collect(),
        establishment: p.establishment.as_ref(),
    })
}
