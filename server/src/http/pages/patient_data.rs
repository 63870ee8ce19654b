//! What the patient page shows beyond the API's record: doses per day and symptom grades over
//! the last weeks (for the charts), the cycle calendar of the coming weeks, and the alert
//! history. Reads through the store; the drawing is `charts` and `cycle`.

use std::collections::BTreeMap;

use chrono::{Days, NaiveDate};

use super::charts::{self, DayDoses, GradeSeries};
use super::cycle::{self, CalWeek};
use crate::AppState;
use crate::domain::access::Staff;
use crate::domain::answers::Answers;
use crate::domain::grading::grade_answers;
use crate::domain::triage::Locale;
use crate::store::entities::{episode, patient};
use crate::store::{alerts, directory, doses, episodes, reports};

/// Days of history the charts cover (eight weeks: two S1 months' worth of weekly reports).
pub const HISTORY_DAYS: u64 = 56;
/// Weeks the cycle calendar shows from the current week.
pub const CALENDAR_WEEKS: u32 = 5;

/// The period the charts cover: the last weeks of the episode, up to today or its end.
pub fn chart_range(ep: &episode::Model, today: NaiveDate) -> (NaiveDate, NaiveDate) {
    let to = ep.end_date.map_or(today, |end| end.min(today));
    let from = (to - Days::new(HISTORY_DAYS - 1)).max(ep.start_date.min(to));
    (from, to)
}

/// Doses of each local day of [from, to], by outcome (pending and cancelled ones left out).
pub async fn doses_by_day(
    state: &AppState,
    episode_id: &str,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<DayDoses>, sea_orm::DbErr> {
    let mut by_day: BTreeMap<NaiveDate, DayDoses> = BTreeMap::new();
    for d in doses::of_episode_between(&state.db, episode_id, from, to).await? {
        let e = by_day.entry(d.local_date).or_insert_with(|| DayDoses { date: d.local_date, ..Default::default() });
        match d.status.as_str() {
            "taken" => e.taken += 1,
            "taken_late" => e.late += 1,
            "vomited" => e.vomited += 1,
            "skipped" => e.skipped += 1,
            "missed" => e.missed += 1,
            _ => {}
        }
    }
    Ok(by_day.into_values().filter(|d| d.total() > 0).collect())
}

/// The staff-facing name of a graded symptom, in the reader's language.
pub fn symptom_label(state: &AppState, symptom: &str, locale: Locale) -> String {
    state.rules.questionnaires.symptom_name(symptom, locale)
}

/// Each symptom graded 1 or more in the episode, with a point per report that asked about it:
/// its stored provisional grade, or 0 when the report asked and graded it 0 (only grades of 1
/// or more are stored, so the answers say which reports asked).
pub async fn grade_series(
    state: &AppState,
    ep: &episode::Model,
    tz: chrono_tz::Tz,
    locale: Locale,
) -> Result<Vec<GradeSeries>, sea_orm::DbErr> {
    let stored = reports::grades_of_episode(&state.db, &ep.id).await?;
    let mut symptoms: Vec<String> = stored.iter().map(|g| g.symptom.clone()).collect();
    symptoms.sort();
    symptoms.dedup();
    if symptoms.is_empty() {
        return Ok(vec![]);
    }
    let mut points: BTreeMap<String, Vec<(NaiveDate, u8)>> = BTreeMap::new();
    let mut rows = reports::for_episode(&state.db, &ep.id).await?;
    rows.reverse(); // oldest first
    for r in rows {
        let day = r.submitted_at.with_timezone(&tz).date_naive();
        let mine: BTreeMap<&str, u8> = stored
            .iter()
            .filter(|g| g.report_id == r.id)
            .map(|g| (g.symptom.as_str(), u8::try_from(g.grade.clamp(0, 4)).unwrap_or(0)))
            .collect();
        // A report stored under older rules may no longer parse: it still shows its stored grades.
        let asked: Vec<&'static str> = serde_json::from_str(&r.answers)
            .ok()
            .and_then(|v| Answers::parse(&v, "answers").ok())
            .map(|a| {
                grade_answers(&state.rules.triage.grading, &a, ep.baseline_weight_kg)
                    .into_iter()
                    .map(|g| g.symptom)
                    .collect()
            })
            .unwrap_or_default();
        for s in &symptoms {
            let grade = mine.get(s.as_str()).copied().or_else(|| asked.contains(&s.as_str()).then_some(0));
            if let Some(g) = grade {
                points.entry(s.clone()).or_default().push((day, g));
            }
        }
    }
    Ok(symptoms
        .into_iter()
        .map(|s| GradeSeries {
            label: symptom_label(state, &s, locale),
            points: points.remove(&s).unwrap_or_default(),
            symptom: s,
        })
        .collect())
}

/// One chart of the page: its heading and its SVG markup.
pub struct Chart {
    pub label: String,
    pub svg: String,
}

pub fn grade_charts(series: &[GradeSeries], from: NaiveDate, to: NaiveDate, locale: Locale) -> Vec<Chart> {
    series
        .iter()
        .map(|s| Chart {
            label: s.label.clone(),
            svg: charts::grade_chart(&format!("grade-{}", s.symptom), from, to, s, locale),
        })
        .collect()
}

/// The coming weeks of the episode's regimen in force, with the establishment's holidays, in
/// the reader's language.
pub async fn calendar(
    state: &AppState,
    p: &patient::Model,
    ep: &episode::Model,
    today: NaiveDate,
    locale: Locale,
) -> Result<Vec<CalWeek>, sea_orm::DbErr> {
    if ep.end_date.is_some() {
        return Ok(vec![]);
    }
    let rows = episodes::active_regimen(&state.db, &ep.id).await?;
    let mut lines = crate::store::episodes::lines_of(&rows)?;
    // The calendar names each drug as staff read it, never by its catalogue key.
    for l in &mut lines {
        l.drug = state.rules.catalog.name_in(&l.drug, locale).to_owned();
    }
    let est = directory::establishment(&state.db, &p.establishment_id).await?;
    let holidays = est.as_ref().and_then(|e| state.rules.calendars.get(&e.calendar));
    Ok(cycle::weeks(&lines, today, CALENDAR_WEEKS, holidays, locale))
}

/// One line of the alert history.
pub struct AlertRow {
    pub id: String,
    /// The code (for the badge's class) and its word in the reader's language.
    pub colour: String,
    pub colour_label: &'static str,
    pub topic: &'static str,
    pub status: &'static str,
    pub opened: String,
    /// Whether this professional may open it (the link would be a 404 otherwise).
    pub link: bool,
}

/// The episode's alerts, newest first (the latest 30), in the reader's language.
pub async fn alert_history(
    state: &AppState,
    staff: &Staff,
    episode_id: &str,
    tz: chrono_tz::Tz,
    locale: Locale,
) -> Result<Vec<AlertRow>, sea_orm::DbErr> {
    let mut out = Vec::new();
    for a in alerts::for_episode(&state.db, episode_id).await?.into_iter().take(30) {
        let link = alerts::visible(&state.db, staff, &a, state.today()).await?;
        out.push(AlertRow {
            opened: super::labels::at_in(a.opened_at, tz, locale),
            colour_label: super::labels::colour_in(&a.colour, locale),
            topic: super::labels::topic_in(&a.topic, locale),
            status: super::labels::status_in(&a.status, locale),
            colour: a.colour,
            link,
            id: a.id,
        });
    }
    Ok(out)
}
