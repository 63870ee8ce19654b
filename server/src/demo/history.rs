//! Weeks of believable history for the demo, produced by the real jobs on a simulated clock:
//! the reminder and questionnaire jobs plan and close doses and questionnaires, simulated
//! patients confirm most doses and answer most questionnaires through the same intake code as
//! the API, the triage raises and routes alerts, escalation and delivery run, and the team
//! acknowledges and resolves the older alerts. The last day is left to the worklist: its
//! alerts stay open, among them one fresh red.

use chrono::{DateTime, Duration, Utc};
use serde_json::{Value, json};

use crate::AppState;
use crate::app::{self, reports::ReportRequest};
use crate::store::audit::Actor;
use crate::store::{self, alerts, doses, reports};

/// How a simulated patient behaves: the share of doses taken (per cent, the rest split
/// between late, skipped and forgotten) and the answers given, one script per week.
#[derive(Clone, Copy)]
pub enum Profile {
    /// Takes nearly everything, feels well.
    Steady,
    /// Takes nearly everything, has side effects that come and go.
    Symptomatic,
    /// Forgets doses: the adherence rules notice.
    Forgetful,
}

pub struct SimPatient {
    pub patient_id: String,
    pub episode_id: String,
    pub idec: String,
    pub profile: Profile,
    /// Questionnaires answered so far (picks the next scripted answers).
    pub answered: usize,
}

#[derive(Default, Debug)]
pub struct Stats {
    pub doses_confirmed: usize,
    pub reports: usize,
    pub alerts_closed: usize,
}

/// A stable pseudo-random number in 0..100 from an identifier (the demo is reproducible in
/// shape, not in identifiers).
fn roll(id: &str, salt: u64) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325 ^ salt;
    for b in id.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h % 100
}

/// The answers a patient of this profile gives to their `n`-th questionnaire.
fn answers(profile: Profile, n: usize) -> Value {
    let well = json!({"nausea.frequency": 0, "pain.frequency": 0, "temperature_c": 36.8, "chest_pain": false});
    let mild = json!({"nausea.frequency": 1, "pain.frequency": 1, "temperature_c": 37.1, "chest_pain": false});
    let diarrhea = json!({"diarrhea.frequency": 3, "temperature_c": 37.0, "chest_pain": false});
    let vomiting = json!({"vomiting.frequency": 2, "vomiting.severity": 1, "vomiting_episodes_24h": 3});
    match profile {
        Profile::Steady => [well.clone(), mild, well][n % 3].clone(),
        Profile::Symptomatic => [mild, diarrhea, well, vomiting][n % 4].clone(),
        Profile::Forgetful => [well, mild][n % 2].clone(),
    }
}

fn taken_share(profile: Profile) -> u64 {
    match profile {
        Profile::Steady | Profile::Symptomatic => 93,
        Profile::Forgetful => 72,
    }
}

/// One simulated hour at `t`: the jobs run, patients take doses and answer questionnaires,
/// and (except in the last hours before `until`) the team handles alerts.
pub async fn step(
    state: &AppState,
    patients: &mut [SimPatient],
    t: DateTime<Utc>,
    until: DateTime<Utc>,
    stats: &mut Stats,
) -> anyhow::Result<()> {
    crate::jobs::due_work::dispatch_due(state, t).await?;
    take_doses(state, patients, t, stats).await?;
    for p in patients.iter_mut() {
        for q in reports::pending_questionnaires(&state.db, &p.patient_id, t - Duration::hours(3)).await? {
            // About one questionnaire in eight is left unanswered: the follow-up job notices.
            if roll(&q.id, 7) < 12 {
                continue;
            }
            submit(state, p, Some(q.id), answers(p.profile, p.answered), t).await?;
            p.answered += 1;
            stats.reports += 1;
        }
        if t < until - Duration::hours(20) {
            stats.alerts_closed += handle_alerts(state, p, t).await?;
        }
    }
    crate::jobs::escalation::run_escalations(state, t).await?;
    crate::notify::delivery::deliver_due(state, t).await?;
    Ok(())
}

/// The worklist's opening state: a red reported half an hour ago and an amber this morning.
pub async fn fresh_reports(
    state: &AppState,
    red: &SimPatient,
    amber: &SimPatient,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    let fever = json!({"temperature_c": 38.6, "chest_pain": false, "nausea.frequency": 1});
    submit(state, red, None, fever, now - Duration::minutes(25)).await?;
    let diarrhea =
        json!({"diarrhea.frequency": 3, "stools_above_baseline": 5, "temperature_c": 37.2, "chest_pain": false});
    submit(state, amber, None, diarrhea, now - Duration::hours(3)).await?;
    Ok(())
}

async fn submit(
    state: &AppState,
    p: &SimPatient,
    questionnaire_id: Option<String>,
    answers: Value,
    at: DateTime<Utc>,
) -> anyhow::Result<()> {
    let req = ReportRequest { client_id: uuid::Uuid::new_v4().to_string(), questionnaire_id, answers, other: None };
    let actor = Actor { kind: "patient", id: Some(p.patient_id.clone()), ..Default::default() };
    app::reports::submit(state, app::reports::Sender::Patient { id: p.patient_id.clone(), actor }, req, at)
        .await
        .map_err(|e| anyhow::anyhow!("demo report: {e:?}"))?;
    Ok(())
}

/// Confirms the doses whose time has come, as the profile says: most on time, some late,
/// some skipped, the rest forgotten (the close job marks them missed).
async fn take_doses(
    state: &AppState,
    patients: &[SimPatient],
    t: DateTime<Utc>,
    stats: &mut Stats,
) -> anyhow::Result<()> {
    for d in doses::pending_before(&state.db, t - Duration::minutes(20)).await? {
        let Some(p) = patients.iter().find(|p| p.patient_id == d.patient_id) else { continue };
        let r = roll(&d.id, 1);
        let taken = taken_share(p.profile);
        let (status, taken_at, late) = if r < taken {
            ("taken", Some(d.due_at + Duration::minutes(5 + (r % 20) as i64)), false)
        } else if r < taken + 3 {
            if t < d.due_at + Duration::minutes(100) {
                continue;
            }
            ("taken", Some(d.due_at + Duration::minutes(95)), true)
        } else if r < taken + 5 {
            ("skipped", None, false)
        } else {
            continue;
        };
        if doses::report(&state.db, &d.id, &["pending"], status, taken_at, late, t).await? {
            stats.doses_confirmed += 1;
        }
    }
    Ok(())
}

/// The patient's IDEC acknowledges an alert a little after it opened (sooner for red) and
/// resolves it with a confirmed grade an hour later.
async fn handle_alerts(state: &AppState, p: &SimPatient, t: DateTime<Utc>) -> anyhow::Result<usize> {
    let mut closed = 0;
    for a in alerts::unresolved_for_episode(&state.db, &p.episode_id).await? {
        let ack_after = if a.colour == "red" { Duration::minutes(20) } else { Duration::hours(4) };
        let txn = store::begin_write(&state.db).await?;
        let idec = Actor { kind: "professional", id: Some(p.idec.clone()), ..Actor::default() };
        if a.status == "open" && t >= a.opened_at + ack_after {
            app::alerts::record_acknowledgement(&txn, &a, &p.idec, &idec, t).await?;
        } else if a.status == "acknowledged" && a.acknowledged_at.is_some_and(|at| t >= at + Duration::hours(1)) {
            // Only a toxicity alert has a grade to confirm.
            let toxicity = a.topic()? == crate::domain::routing::Topic::Toxicity;
            let grade = toxicity.then(|| a.provisional_grade.unwrap_or(1).clamp(0, 4) as u8);
            let note = "Patient appelé, conseils donnés, suivi habituel.";
            app::alerts::record_resolution(&txn, &a, &p.idec, &idec, (grade, note), t).await?;
            closed += 1;
        }
        txn.commit().await?;
    }
    Ok(closed)
}
