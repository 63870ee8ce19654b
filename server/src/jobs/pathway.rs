//! Sequence transitions: at the planned end of each active sequence (in the patient's local
//! date), close it and open what follows, per `domain::pathway`. Idempotent: the conditional
//! update in the store claims each transition once, and catching up after downtime just
//! applies the missed transitions in order.

use chrono::{DateTime, Duration, Utc};

use crate::AppState;
use crate::domain::Sequence;
use crate::domain::enrolment::s3_eligible;
use crate::domain::pathway::next_at_end;
use crate::notify::message::{AutoRenewal, GpTakeover, Message};
use crate::store::handover::Reason;
use crate::store::{self, audit, episodes, outbox, patients};

const BATCH: u64 = 200;

/// Applies every transition due at `now`; returns how many were applied.
pub async fn run_transitions(state: &AppState, now: DateTime<Utc>) -> anyhow::Result<usize> {
    // No time zone is more than 14 h ahead of UTC.
    let horizon = (now + Duration::hours(14)).date_naive();
    let mut applied = 0;
    // Sequences not yet due in their patient's zone stay active; page past them.
    let mut skipped = 0;
    // A sequence whose patient's zone cannot be read is passed over (the others go on) and
    // fails the run: never moved on by a guessed zone.
    let mut unreadable = None;
    loop {
        let due = episodes::sequences_ending_by(&state.db, horizon, skipped, BATCH).await?;
        let mut progressed = 0;
        for (seq, tz) in &due {
            let tz = match tz {
                Ok(tz) => *tz,
                Err(e) => {
                    skipped += 1;
                    unreadable.get_or_insert_with(|| e.to_string());
                    continue;
                }
            };
            if seq.planned_end_date > now.with_timezone(&tz).date_naive() {
                skipped += 1;
                continue;
            }
            match transition(state, seq, now).await {
                Ok(true) => progressed += 1,
                Ok(false) => {}
                Err(e) => {
                    tracing::error!(sequence_id = %seq.id, error = %e, "sequence transition failed");
                    if e.downcast_ref::<store::StoredValueError>().is_some() {
                        unreadable.get_or_insert_with(|| e.to_string());
                    }
                }
            }
        }
        applied += progressed;
        // A caught-up sequence may itself be due: go round until nothing moves and every
        // candidate has been seen.
        if progressed == 0 && (due.len() as u64) < BATCH {
            return match unreadable {
                None => Ok(applied),
                Some(e) => Err(anyhow::anyhow!("{applied} transition(s) applied, one or more refused: {e}")),
            };
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
    // Partner drugs (prednisone…) play no part in S3, triage or interactions (docs/domain.md).
    let drugs: Vec<String> = state
        .rules
        .catalog
        .anticancer(&episodes::active_regimen(&txn, &ep.id).await?.into_iter().map(|l| l.drug).collect::<Vec<_>>());
    let eligible = s3_eligible(&state.rules.catalog, drugs.iter().map(String::as_str));
    let decision = seq.decision()?;
    let next = next_at_end(&state.rules.pathway, episodes::current_of(seq)?, decision, eligible);
    let Some(new_id) = episodes::complete_and_open(&txn, seq, &next, now).await? else {
        return Ok(false);
    };
    audit::record(
        &txn,
        audit::Entry {
            actor: &audit::Actor::system(),
            action: if next.automatic { "auto_renew" } else { "transition" },
            entity: "sequence",
            entity_id: Some(&new_id),
            patient_id: Some(&ep.patient_id),
            at: now,
        },
    )
    .await?;
    // Each new sequence is a new hand-over sheet for the community members of the team.
    // Its failure fails the transition (retried next tick), its cause kept: an unreadable
    // stored value fails the run as the others do.
    crate::app::handover::issue(&txn, state, &ep, Reason::SequenceChange, &audit::Actor::system(), now).await.map_err(
        |e| match e {
            crate::app::ActionError::Internal(cause) => cause,
            other => anyhow::anyhow!(other),
        },
    )?;
    if next.automatic
        && let Some(team) = patients::current_team(&txn, &ep.id, next.start).await?
    {
        // Nobody is silently dropped from follow-up: the IDEC is told the system renewed.
        outbox::enqueue(
            &txn,
            outbox::NewMessage {
                recipient_kind: "professional",
                recipient_id: &team.idec_id,
                message: Message::SequenceAutoRenewed(AutoRenewal {
                    episode_id: ep.id.clone(),
                    patient_id: ep.patient_id.clone(),
                    sequence: next.kind.as_str().to_owned(),
                    renewal_index: next.renewal_index,
                    start_date: next.start,
                    planned_end_date: next.planned_end,
                }),
                dedupe_key: format!("auto-renewal:{}:{}", ep.id, seq.ordinal + 1),
            },
            now,
        )
        .await?;
    }
    if next.kind == Sequence::S3
        && seq.kind()? != Sequence::S3
        && let Some(gp_id) = patients::current_team(&txn, &ep.id, next.start).await?.and_then(|t| t.gp_id)
    {
        // The GP takes over the follow-up with the community pharmacist: tell them, once.
        outbox::enqueue(
            &txn,
            outbox::NewMessage {
                recipient_kind: "professional",
                recipient_id: &gp_id,
                message: Message::GpTakeover(GpTakeover {
                    episode_id: ep.id.clone(),
                    patient_id: ep.patient_id.clone(),
                    date: next.start,
                    url: format!("/staff/patients/{}", ep.patient_id),
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
