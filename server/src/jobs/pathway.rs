//! Sequence transitions: at the planned end of each active sequence (in the patient's local
//! date), close it and open what follows, per `domain::pathway`. Idempotent: the conditional
//! update in the store claims each transition once, and catching up after downtime just
//! applies the missed transitions in order.

use chrono::{DateTime, Duration, Utc};
use serde_json::json;

use crate::AppState;
use crate::domain::enrolment::s3_eligible;
use crate::domain::pathway::{Decision, next_at_end};
use crate::store::{self, audit, episodes, outbox, patients};

const BATCH: u64 = 200;

/// Applies every transition due at `now`; returns how many were applied.
pub async fn run_transitions(state: &AppState, now: DateTime<Utc>) -> anyhow::Result<usize> {
    // No time zone is more than 14 h ahead of UTC.
    let horizon = (now + Duration::hours(14)).date_naive();
    let mut applied = 0;
    // Sequences not yet due in their patient's zone stay active; page past them.
    let mut skipped = 0;
    loop {
        let due = episodes::sequences_ending_by(&state.db, horizon, skipped, BATCH).await?;
        let mut progressed = 0;
        for (seq, tz) in &due {
            let tz: chrono_tz::Tz = tz.parse().unwrap_or(chrono_tz::Europe::Paris);
            if seq.planned_end_date > now.with_timezone(&tz).date_naive() {
                skipped += 1;
                continue;
            }
            match transition(state, seq, now).await {
                Ok(true) => progressed += 1,
                Ok(false) => {}
                Err(e) => tracing::error!(sequence_id = %seq.id, error = %e, "sequence transition failed"),
            }
        }
        applied += progressed;
        // A caught-up sequence may itself be due: go round until nothing moves and every
        // candidate has been seen.
        if progressed == 0 && (due.len() as u64) < BATCH {
            return Ok(applied);
        }
    }
}

async fn transition(
    state: &AppState,
    seq: &store::entities::sequence::Model,
    now: DateTime<Utc>,
) -> anyhow::Result<bool> {
    let txn = store::begin_write(&state.db).await?;
    let Some(ep) = episodes::get(&txn, &seq.episode_id).await? else { return Ok(false) };
    if ep.end_date.is_some() {
        return Ok(false);
    }
    let drugs: Vec<String> = episodes::active_regimen(&txn, &ep.id).await?.into_iter().map(|l| l.drug).collect();
    let eligible = s3_eligible(&state.rules.catalog, drugs.iter().map(String::as_str));
    let decision = seq.decision.as_deref().and_then(Decision::parse);
    let next = next_at_end(&state.rules.pathway, episodes::current_of(seq), decision, eligible);
    let Some(new_id) = episodes::complete_and_open(&txn, seq, &next, now).await? else {
        return Ok(false);
    };
    audit::record(
        &txn,
        &audit::Actor::system(),
        if next.automatic { "auto_renew" } else { "transition" },
        "sequence",
        Some(&new_id),
        Some(&ep.patient_id),
        now,
    )
    .await?;
    if next.automatic
        && let Some(team) = patients::current_team(&txn, &ep.id).await?
    {
        // Nobody is silently dropped from follow-up: the IDEC is told the system renewed.
        outbox::enqueue(
            &txn,
            outbox::NewMessage {
                channel: "email",
                recipient_kind: "professional",
                recipient_id: &team.idec_id,
                kind: "sequence_auto_renewed",
                payload: json!({
                    "episode_id": ep.id,
                    "patient_id": ep.patient_id,
                    "sequence": next.kind.as_str(),
                    "renewal_index": next.renewal_index,
                    "start_date": next.start,
                    "planned_end_date": next.planned_end,
                }),
                dedupe_key: format!("auto-renewal:{}:{}", ep.id, seq.ordinal + 1),
            },
            now,
        )
        .await?;
    }
    if next.kind.as_str() == "S3"
        && seq.kind != "S3"
        && let Some(gp_id) = patients::current_team(&txn, &ep.id).await?.and_then(|t| t.gp_id)
    {
        // The GP takes over the follow-up with the community pharmacist: tell them, once.
        outbox::enqueue(
            &txn,
            outbox::NewMessage {
                channel: "email",
                recipient_kind: "professional",
                recipient_id: &gp_id,
                kind: "gp_takeover",
                payload: json!({
                    "episode_id": ep.id,
                    "patient_id": ep.patient_id,
                    "date": next.start,
                    "url": format!("/staff/patients/{}", ep.patient_id),
                }),
                dedupe_key: format!("gp_takeover:{}:{}", ep.id, seq.ordinal + 1),
            },
            now,
        )
        .await?;
    }
    txn.commit().await?;
    tracing::info!(episode_id = %ep.id, sequence = next.kind.as_str(), automatic = next.automatic, "sequence opened");
    Ok(true)
}
