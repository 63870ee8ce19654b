//! The adherence rule of docs/triage.md §6 applied to an episode's recorded doses: below the
//! threshold over the rolling window, an amber `adherence` alert (to the IDEC too below the
//! second threshold), not repeated while one is open or shortly after one was resolved.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use sea_orm::{ConnectionTrait, DbErr};

use crate::AppState;
use crate::domain::Sequence;
use crate::domain::access::Role;
use crate::domain::adherence::{self, Dose, DoseStatus, Rate};
use crate::domain::routing::Topic;
use crate::domain::triage::Colour;
use crate::notify::alerts::{AlertInput, raise};
use crate::store::entities::{dose, episode};
use crate::store::{alerts, doses, episodes, patients};

pub fn domain_dose(d: &dose::Model) -> Option<Dose> {
    let status = match d.status.as_str() {
        "pending" => DoseStatus::Pending,
        "taken" => DoseStatus::Taken { late: d.late },
        "skipped" => DoseStatus::Skipped,
        "vomited" => DoseStatus::Vomited,
        "missed" => DoseStatus::Missed,
        _ => return None,
    };
    Some(Dose { due_at: d.due_at, local_date: d.local_date, status })
}

/// Proportion of doses taken over the `days` local days up to `today`.
pub async fn rate(
    db: &impl ConnectionTrait,
    episode_id: &str,
    today: NaiveDate,
    days: u32,
) -> Result<Option<Rate>, DbErr> {
    let from = today - Duration::days(i64::from(days));
    let ds: Vec<Dose> =
        doses::of_episode_between(db, episode_id, from, today).await?.iter().filter_map(domain_dose).collect();
    Ok(adherence::proportion(&ds, today, days))
}

/// Checks an episode after a dose outcome was recorded; raises the alert when the rule says so.
pub async fn check(
    db: &impl ConnectionTrait,
    state: &AppState,
    ep: &episode::Model,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let rules = &state.rules.adherence;
    let Some(p) = patients::get(db, &ep.patient_id).await? else { return Ok(()) };
    let tz = p.tz();
    let today = now.with_timezone(&tz).date_naive();
    let r = rate(db, &ep.id, today, rules.window_days).await?;
    let Some(finding) = adherence::assess(rules, r) else { return Ok(()) };
    if let Some(open) = alerts::unresolved_for(db, &p.id, Topic::Adherence.as_str()).await? {
        // Already flagged: only a fall below the IDEC threshold adds to it (the IDEC).
        let idec_told = alerts::recipients(db, &open.id).await?.iter().any(|r| r.role == Role::Idec.as_str());
        if !finding.also_idec || idec_told {
            return Ok(());
        }
    }
    if let Some(last) = alerts::last_resolved(db, &p.id, Topic::Adherence.as_str()).await?
        && last.resolved_at.is_some_and(|t| now - t < Duration::days(i64::from(rules.quiet_days)))
    {
        return Ok(());
    }
    let seq =
        episodes::active_sequence(db, &ep.id).await?.and_then(|s| Sequence::parse(&s.kind)).unwrap_or(Sequence::S1);
    let also = if finding.also_idec { vec![Role::Idec] } else { vec![] };
    let input = AlertInput {
        patient: &p,
        episode: ep,
        sequence: seq,
        topic: Topic::Adherence,
        colour: Colour::Amber,
        provisional_grade: None,
        reasons: vec![finding.reason],
        report_id: None,
        also,
    };
    raise(db, state, input, now).await?;
    Ok(())
}
