//! The indicators as CSV for spreadsheets: one row per figure, semicolon-separated, UTF-8,
//! French decimal comma (what French office tools expect). Columns (docs/indicators.md):
//! `from;to;indicator;parcours;sequence;window;colour;topic;value`; a dimension that does not
//! apply is empty, and so is a value that is not defined (a rate without a denominator).

use super::Indicators;

/// Dimensions of a row: parcours, sequence, window, colour, topic.
#[derive(Default)]
struct Dims<'a> {
    parcours: &'a str,
    sequence: &'a str,
    window: &'a str,
    colour: &'a str,
    topic: &'a str,
}

pub const HEADER: &str = "from;to;indicator;parcours;sequence;window;colour;topic;value";

fn decimal(x: Option<f64>) -> String {
    x.map(|x| x.to_string().replace('.', ",")).unwrap_or_default()
}

pub fn to_csv(ind: &Indicators) -> String {
    let mut out = String::from(HEADER);
    out.push('\n');
    let mut row = |name: &str, d: Dims<'_>, value: String| {
        let cells =
            [&ind.from.to_string(), &ind.to.to_string(), name, d.parcours, d.sequence, d.window, d.colour, d.topic];
        // No cell can hold a semicolon, a quote or a line break: names and dimensions are ours.
        out.push_str(&cells.join(";"));
        out.push(';');
        out.push_str(&value);
        out.push('\n');
    };
    let none = Dims::default;
    let t = &ind.totals;
    row("patients_included", none(), t.patients_included.to_string());
    row("patients_followed", none(), t.patients_followed.to_string());
    row("active_episodes", none(), t.active_episodes.to_string());
    row("active_episodes_at_end", none(), t.active_episodes_at_end.to_string());
    for r in &ind.by_parcours {
        let d = || Dims { parcours: r.parcours.as_str(), ..none() };
        row("patients_included", d(), r.patients_included.to_string());
        row("active_episodes", d(), r.active_episodes.to_string());
        row("active_episodes_at_end", d(), r.active_episodes_at_end.to_string());
    }
    for r in &ind.by_sequence {
        let d = || Dims { parcours: r.parcours.as_str(), sequence: r.sequence.as_str(), ..none() };
        row("patients_in_sequence", d(), r.patients.to_string());
        row("sequences_started", d(), r.started.to_string());
        row("sequences_renewed", d(), r.renewed.to_string());
    }
    for r in &ind.adherence {
        let d = || Dims { window: r.window.as_str(), ..none() };
        row("adherence_episodes", d(), r.episodes.to_string());
        row("adherence_doses_taken", d(), r.doses_taken.to_string());
        row("adherence_doses_due", d(), r.doses_due.to_string());
        row("adherence_percent", d(), decimal(r.percent));
        row("adherence_mean_episode_percent", d(), decimal(r.mean_episode_percent));
    }
    let ae = &ind.adverse_events_grade_3;
    row("adverse_events_grade_3_provisional", none(), ae.provisional.to_string());
    row("adverse_events_grade_3_confirmed", none(), ae.confirmed.to_string());
    row("adverse_events_grade_3_awaiting_confirmation", none(), ae.awaiting_confirmation.to_string());
    for r in &ind.alerts {
        let d = || Dims { colour: &r.colour, topic: &r.topic, ..none() };
        row("alerts", d(), r.count.to_string());
        row("alerts_acknowledged", d(), r.acknowledged.to_string());
        row("alerts_median_minutes_to_acknowledge", d(), decimal(r.median_minutes_to_acknowledge));
        row("alerts_p90_minutes_to_acknowledge", d(), decimal(r.p90_minutes_to_acknowledge));
    }
    let q = &ind.questionnaires;
    row("questionnaires_due", none(), q.due.to_string());
    row("questionnaires_completed", none(), q.completed.to_string());
    row("questionnaires_completion_percent", none(), decimal(q.percent));
    let c = &ind.care_events;
    row("emergency_visits", none(), c.emergency_visits.to_string());
    row("unplanned_hospitalisations", none(), c.unplanned_hospitalisations.to_string());
    row("care_events_related_to_treatment", none(), c.related_to_treatment.to_string());
    row("patients_with_emergency_visit", none(), c.patients_with_emergency_visit.to_string());
    row("emergency_visit_percent", none(), decimal(c.emergency_visit_percent));
    row("patients_with_unplanned_hospitalisation", none(), c.patients_with_unplanned_hospitalisation.to_string());
    row("unplanned_hospitalisation_percent", none(), decimal(c.unplanned_hospitalisation_percent));
    out
}
