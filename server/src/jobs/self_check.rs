//! The self-check: every active episode must have its planning (a dose chain and a
//! questionnaire chain of due work). One missing means a patient gets no reminder and no
//! questionnaire, silently, for good; so the check repairs it, logs it at ERROR, counts it in
//! the metrics and tells the site's administrators by email. It runs at start-up and once a day
//! at `scheduler.self_check_hour` (site time): a bug of this kind then costs at most a day
//! (docs/operations.md, "Self-check").

use crate::AppState;
use crate::domain::access::Role;
use crate::notify::message::{Message, PlanningRepaired, RepairedEpisode};
use crate::store::{self, audit, directory, due_work, outbox};
use chrono::{DateTime, Timelike, Utc};

/// Runs the check if this process has not run it yet, or not yet today past the set hour.
pub async fn run_if_due(state: &AppState, now: DateTime<Utc>) -> anyhow::Result<usize> {
    let tz = state.site_tz();
    let hour = state.settings.scheduler.self_check_hour;
    let local = now.with_timezone(&tz);
    let due = |last: Option<DateTime<Utc>>| match last {
        None => true,
        Some(last) => local.hour() >= hour && last.with_timezone(&tz).date_naive() < local.date_naive(),
    };
    if !state.health.claim_run("self_check", now, due) {
        return Ok(0);
    }
    run(state, now).await
}

/// Finds and repairs the active episodes without their planning; returns how many.
pub async fn run(state: &AppState, now: DateTime<Utc>) -> anyhow::Result<usize> {
    let txn = store::begin_write(&state.db).await?;
    // One instance at a time (the others skip this round): two repairing the same episode at
    // once would tell the administrators twice.
    if !store::try_lock_for_transaction(&txn, store::SELF_CHECK_LOCK).await? {
        return Ok(0);
    }
    let broken = due_work::episodes_without_planning(&txn).await?;
    for b in &broken {
        // Each chain restarts from now; a chain still running is left alone.
        if b.doses {
            due_work::schedule_dose_planning(&txn, &b.episode_id, now).await?;
        }
        if b.questionnaires {
            due_work::schedule_questionnaire_planning(&txn, &b.episode_id, now).await?;
        }
        tracing::error!(
            episode_id = %b.episode_id,
            doses = b.doses,
            questionnaires = b.questionnaires,
            "self-check: an active episode had no planning; repaired (a bug: please report it)"
        );
        audit::record(
            &txn,
            audit::Entry {
                actor: &audit::Actor::system(),
                action: "planning_repaired",
                entity: "episode",
                entity_id: Some(&b.episode_id),
                patient_id: None,
                at: now,
            },
        )
        .await?;
    }
    if !broken.is_empty() {
        let episodes: Vec<_> = broken
            .iter()
            .map(|b| RepairedEpisode {
                episode_id: b.episode_id.clone(),
                doses: b.doses,
                questionnaires: b.questionnaires,
            })
            .collect();
        let admins = directory::professionals_with_role(&txn, Role::Admin, None).await?;
        if admins.is_empty() {
            tracing::error!("self-check: no administrator account to tell of the repair");
        }
        for admin in &admins {
            outbox::enqueue(
                &txn,
                outbox::NewMessage {
                    recipient_kind: "professional",
                    recipient_id: &admin.id,
                    message: Message::PlanningRepaired(PlanningRepaired {
                        count: broken.len(),
                        episodes: episodes.clone(),
                        url: "/staff/admin".into(),
                    }),
                    dedupe_key: format!("planning_repaired:{}:{}", admin.id, now.timestamp()),
                },
                now,
            )
            .await?;
        }
    }
    txn.commit().await?;
    state.health.self_check_ran(broken.len() as u64);
    if broken.is_empty() {
        tracing::debug!("self-check: every active episode has its planning");
    }
    Ok(broken.len())
}
