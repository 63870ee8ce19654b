//! The adherence rule of docs/triage.md §6 applied to an episode's recorded doses: below the
//! threshold over the rolling window, an amber `adherence` alert (to the IDEC too below the
//! second threshold), not repeated while one is open or shortly after one was resolved.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use sea_orm::{ConnectionTrait, DbErr};

use crate::AppState;
use crate::alerting::{AlertInput, raise};
use crate::domain::Sequence;
use crate::domain::access::Role;
use crate::domain::adherence::{self, Dose, Rate};
use crate::domain::routing::Topic;
use crate::domain::triage::Colour;
use crate::store::entities::{dose, episode};
use crate::store::{StoredValueError, alerts, doses, episodes, patients};

/// The dose as the adherence rule sees it; `None` for a cancelled one (not planned any more).
pub fn domain_dose(d: &dose::Model) -> Result<Option<Dose>, StoredValueError> {
    Ok(d.outcome()?.map(|status| Dose { due_at: d.due_at, local_date: d.local_date, status }))
}

/// Proportion of doses taken over the `days` local days up to `today`.
pub async fn rate(
    db: &impl ConnectionTrait,
    episode_id: &str,
    today: NaiveDate,
    days: u32,
) -> Result<Option<Rate>, DbErr> {
    let from = today - Duration::days(i64::from(days));
    let mut ds: Vec<Dose> = Vec::new();
    for d in doses::of_episode_between(db, episode_id, from, today).await? {
        ds.extend(domain_dose(&d)?);
    }
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
    let tz = p.time_zone()?;
    let today = now.with_timezone(&tz).date_naive();
    let r = rate(db, &ep.id, today, rules.window_days).await?;
    let Some(finding) = adherence::assess(rules, r) else { return Ok(()) };
    if let Some(open) = alerts::unresolved_for(db, &p.id, Topic::Adherence.as_str()).await? {
        // Already flagged: only a fall below the IDEC threshold adds to it (the IDEC).
        let mut idec_told = false;
        for r in alerts::recipients(db, &open.id).await? {
            idec_told |= r.role()? == Role::Idec;
        }
        if !finding.also_idec || idec_told {
            return Ok(());
        }
    }
    if let Some(last) = alerts::last_resolved(db, &p.id, Topic::Adherence.as_str()).await?
        && last.resolved_at.is_some_and(|t| now - t < Duration::days(i64::from(rules.quiet_days)))
    {
        return Ok(());
    }
    // An episode in follow-up has an active sequence; without one, S1's routing (as before).
    let seq = match episodes::active_sequence(db, &ep.id).await? {
        Some(s) => s.kind()?,
        None => Sequence::S1,
    };
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
        establishment: None,
    };
    raise(db, state, input, now).await?;
    Ok(())
}
