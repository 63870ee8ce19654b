//! The facts the evaluation indicators are computed from (`domain::indicators`), for a period
//! and optionally one establishment. A fixed number of queries whatever the number of patients:
//! rows are fetched by date range or by chunks of episode ids, dose outcomes are counted by the
//! database per episode and status (one query per group of episodes sharing a window).

use std::collections::BTreeMap;

use chrono::{DateTime, Months, NaiveDate, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, Query, SelectStatement};
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QuerySelect};

use super::care_events::care_event;
use super::due_work::MAX_IDS;
use super::entities::{alert, dose, episode, questionnaire, sequence};
use super::stored_value::{QuestionnaireStatus, SequenceState, StoredValueError, dose_outcome};
use crate::domain::indicators::{
    AdherenceWindow, AlertFact, CareEventFact, DoseCounts, EpisodeFact, Facts, Period, SequenceFact, WindowOf,
    adherence_cohort,
};

/// The ids of the episodes of one establishment (all establishments when `None`).
fn scoped_episodes(establishment_id: Option<&str>) -> SelectStatement {
    let mut q = Query::select();
    q.column(episode::Column::Id).from(episode::Entity);
    if let Some(est) = establishment_id {
        q.and_where(Expr::col(episode::Column::EstablishmentId).eq(est));
    }
    q.take()
}

/// Gathers everything [`crate::domain::indicators::compute`] needs. `tz` turns the period's
/// local dates into instants (the site's zone); `now` bounds what is already due.
pub async fn facts(
    db: &impl ConnectionTrait,
    period: &Period,
    establishment_id: Option<&str>,
    tz: chrono_tz::Tz,
    now: DateTime<Utc>,
) -> Result<Facts, DbErr> {
    let (start, end) = period.instants(tz);
    let episodes = episodes(db, period, establishment_id).await?;
    let sequences = sequences(db, period, &episodes).await?;
    let mut adherence = BTreeMap::new();
    for w in AdherenceWindow::ALL {
        let cohort = adherence_cohort(w, &episodes, period);
        adherence.insert(w, dose_counts(db, cohort).await?);
    }
    Ok(Facts {
        sequences,
        alerts: alerts(db, start, end, establishment_id).await?,
        questionnaires: questionnaires(db, start, Ord::min(end, now), establishment_id).await?,
        adherence,
        care_events: care_events(db, period, establishment_id).await?,
        episodes,
    })
}

/// Episodes in follow-up during the period, plus those started up to ten months before it
/// (their adherence windows may close in it even if they ended earlier).
async fn episodes(
    db: &impl ConnectionTrait,
    p: &Period,
    establishment_id: Option<&str>,
) -> Result<Vec<EpisodeFact>, DbErr> {
    let recent = p.from.checked_sub_months(Months::new(10)).unwrap_or(NaiveDate::MIN);
    let mut q = episode::Entity::find().filter(episode::Column::StartDate.lte(p.to)).filter(
        Condition::any()
            .add(episode::Column::EndDate.is_null())
            .add(episode::Column::EndDate.gte(p.from))
            .add(episode::Column::StartDate.gte(recent)),
    );
    if let Some(est) = establishment_id {
        q = q.filter(episode::Column::EstablishmentId.eq(est));
    }
    let mut out = Vec::new();
    for e in q.all(db).await? {
        out.push(EpisodeFact {
            parcours: e.parcours()?,
            first_inclusion: e.previous_episode_id.is_none(),
            end_reason: e.end_reason()?.map(|r| r.as_str().to_owned()),
            id: e.id,
            patient_id: e.patient_id,
            start: e.start_date,
            end: e.end_date,
        });
    }
    Ok(out)
}

/// The sequences of these episodes that began by the end of the period and had not ended
/// before it.
async fn sequences(
    db: &impl ConnectionTrait,
    p: &Period,
    episodes: &[EpisodeFact],
) -> Result<Vec<SequenceFact>, DbErr> {
    let ids: Vec<String> = episodes.iter().map(|e| e.id.clone()).collect();
    let mut out = Vec::new();
    for chunk in ids.chunks(MAX_IDS) {
        let rows = sequence::Entity::find()
            .filter(sequence::Column::EpisodeId.is_in(chunk.to_vec()))
            .filter(sequence::Column::StartDate.lte(p.to))
            .filter(
                Condition::any().add(sequence::Column::ActualEndDate.gte(p.from)).add(
                    Condition::all()
                        .add(sequence::Column::ActualEndDate.is_null())
                        .add(sequence::Column::PlannedEndDate.gte(p.from)),
                ),
            )
            .all(db)
            .await?;
        for s in rows {
            out.push(SequenceFact {
                kind: s.kind()?,
                renewal_index: u32::try_from(s.renewal_index).unwrap_or(0),
                start: s.start_date,
                end: s.actual_end_date.unwrap_or(s.planned_end_date),
                cancelled: s.state()? == SequenceState::Cancelled,
                episode_id: s.episode_id,
            });
        }
    }
    Ok(out)
}

/// Alerts opened in [start, end).
async fn alerts(
    db: &impl ConnectionTrait,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    establishment_id: Option<&str>,
) -> Result<Vec<AlertFact>, DbErr> {
    let mut q =
        alert::Entity::find().filter(alert::Column::OpenedAt.gte(start)).filter(alert::Column::OpenedAt.lt(end));
    if let Some(est) = establishment_id {
        q = q.filter(alert::Column::EstablishmentId.eq(est));
    }
    let mut out = Vec::new();
    for a in q.all(db).await? {
        out.push(AlertFact {
            colour: a.colour()?.as_str().to_owned(),
            topic: a.topic()?.as_str().to_owned(),
            opened_at: a.opened_at,
            acknowledged_at: a.acknowledged_at,
            resolved_at: a.resolved_at,
            provisional_grade: a.provisional_grade,
            confirmed_grade: a.confirmed_grade,
        });
    }
    Ok(out)
}

/// Questionnaire instances due in [start, end), counted by status. Instances dated after
/// their episode's end are left out: ending an episode stops the follow-up, and an instance
/// planned before the end is not one the patient failed to answer.
async fn questionnaires(
    db: &impl ConnectionTrait,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    establishment_id: Option<&str>,
) -> Result<BTreeMap<String, u64>, DbErr> {
    let q_col = |c: questionnaire::Column| Expr::col((questionnaire::Entity, c));
    let e_col = |c: episode::Column| Expr::col((episode::Entity, c));
    let mut q = Query::select();
    q.expr_as(q_col(questionnaire::Column::Status), "status")
        .expr_as(q_col(questionnaire::Column::Id).count(), "n")
        // One row of the group, to name it if its status is unknown.
        .expr_as(q_col(questionnaire::Column::Id).min(), "some_id")
        .from(questionnaire::Entity)
        .inner_join(
            episode::Entity,
            q_col(questionnaire::Column::EpisodeId).equals((episode::Entity, episode::Column::Id)),
        )
        .and_where(q_col(questionnaire::Column::DueAt).gte(start))
        .and_where(q_col(questionnaire::Column::DueAt).lt(end))
        .cond_where(
            Condition::any()
                .add(e_col(episode::Column::EndDate).is_null())
                .add(e_col(episode::Column::EndDate).gte(q_col(questionnaire::Column::LocalDate))),
        )
        .group_by_col((questionnaire::Entity, questionnaire::Column::Status));
    if let Some(est) = establishment_id {
        q.and_where(e_col(episode::Column::EstablishmentId).eq(est));
    }
    let rows = db.query_all(&q).await?;
    let mut out = BTreeMap::new();
    for r in rows {
        let status: String = r.try_get("", "status")?;
        let n: i64 = r.try_get("", "n")?;
        if QuestionnaireStatus::parse(&status).is_none() {
            let id: String = r.try_get("", "some_id")?;
            return Err(StoredValueError::new("questionnaires", &id, "status", &status).into());
        }
        out.insert(status, u64::try_from(n).unwrap_or(0));
    }
    Ok(out)
}

/// Dose outcomes of each cohort episode within its window: one query per group of episodes
/// sharing the same window dates (at most one group per start date), by chunks of ids.
async fn dose_counts(db: &impl ConnectionTrait, cohort: Vec<WindowOf>) -> Result<BTreeMap<String, DoseCounts>, DbErr> {
    let mut groups: BTreeMap<(NaiveDate, NaiveDate), Vec<String>> = BTreeMap::new();
    for w in cohort {
        groups.entry((w.from, w.until)).or_default().push(w.episode_id);
    }
    let mut out: BTreeMap<String, DoseCounts> = BTreeMap::new();
    for ((from, until), ids) in groups {
        for chunk in ids.chunks(MAX_IDS) {
            let rows: Vec<(String, String, i64, String)> = dose::Entity::find()
                .select_only()
                .column(dose::Column::EpisodeId)
                .column(dose::Column::Status)
                .column_as(Expr::col(dose::Column::Id).count(), "n")
                // One row of the group, to name it if its status is unknown.
                .column_as(Expr::col(dose::Column::Id).min(), "some_id")
                .filter(dose::Column::EpisodeId.is_in(chunk.to_vec()))
                .filter(dose::Column::LocalDate.gte(from))
                .filter(dose::Column::LocalDate.lt(until))
                .group_by(dose::Column::EpisodeId)
                .group_by(dose::Column::Status)
                .into_tuple()
                .all(db)
                .await?;
            for id in chunk {
                out.entry(id.clone()).or_default();
            }
            for (episode_id, status, n, some_id) in rows {
                if dose_outcome(&status, false).is_none() {
                    return Err(StoredValueError::new("doses", &some_id, "status", &status).into());
                }
                out.entry(episode_id).or_default().add(&status, u64::try_from(n).unwrap_or(0));
            }
        }
    }
    Ok(out)
}

/// Care events dated in the period.
async fn care_events(
    db: &impl ConnectionTrait,
    p: &Period,
    establishment_id: Option<&str>,
) -> Result<Vec<CareEventFact>, DbErr> {
    let mut q = care_event::Entity::find()
        .filter(care_event::Column::EventDate.gte(p.from))
        .filter(care_event::Column::EventDate.lte(p.to));
    if establishment_id.is_some() {
        q = q.filter(care_event::Column::EpisodeId.in_subquery(scoped_episodes(establishment_id)));
    }
    let mut out = Vec::new();
    for e in q.all(db).await? {
        out.push(CareEventFact {
            kind: e.kind()?,
            patient_id: e.patient_id,
            date: e.event_date,
            related_to_treatment: e.related_to_treatment,
        });
    }
    Ok(out)
}
