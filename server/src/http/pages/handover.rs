//! The hand-over sheet ("fiche de liaison", docs/domain.md "The care team and the hand-over"):
//! `/staff/patients/{id}/handover` (the latest version) and `.../handover/{version}`, a page
//! made to be printed on A4 (its own print stylesheet; the "Imprimer" button is added by a
//! script file, the CSP allows no inline script). Same scoping and audit as the patient page:
//! the patient's team reads it, anyone else gets 404.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;

use super::{PageError, StaffPage, html, labels};
use crate::AppState;
use crate::app::ActionError;
use crate::app::handover::{self as actions, SheetRead};
use crate::store::handover::Reason;

struct VersionRow {
    version: i32,
    reason: &'static str,
    issued: String,
    current: bool,
}

struct AlertRow {
    date: String,
    colour: &'static str,
    topic: &'static str,
    status: &'static str,
}

#[derive(Template)]
#[template(path = "staff/handover.html")]
struct HandoverPage {
    patient_id: String,
    version: i32,
    reason: &'static str,
    issued: String,
    s: actions::Sheet,
    sequence: String,
    report_colour: &'static str,
    alerts: Vec<AlertRow>,
    adherence_7: String,
    adherence_28: String,
    versions: Vec<VersionRow>,
}

fn reason_label(r: Reason) -> &'static str {
    match r {
        Reason::Inclusion => "inclusion",
        Reason::SequenceChange => "changement de séquence",
        Reason::TeamChange => "changement d'équipe",
    }
}

fn rate(r: Option<&actions::RatePart>) -> String {
    match r {
        Some(r) => format!("{:.0} % ({} / {} prises)", r.percent, r.taken, r.scheduled),
        None => "pas encore de prise à juger".to_owned(),
    }
}

fn render_sheet(state: &AppState, read: SheetRead) -> Result<Response, PageError> {
    let tz = state.site_tz();
    let s = read.shown.sheet;
    let e = &s.episode;
    let sequence = if e.renewal_index > 0 {
        format!("{}, renouvellement {}", e.sequence, e.renewal_index)
    } else {
        e.sequence.clone()
    };
    let out = HandoverPage {
        version: read.shown.version,
        reason: reason_label(read.shown.reason),
        issued: labels::at(read.shown.created_at, tz),
        sequence,
        report_colour: s.last_report.as_ref().map_or("", |r| labels::colour(&r.colour)),
        alerts: s
            .last_alerts
            .iter()
            .map(|a| AlertRow {
                date: super::labels::day(a.date),
                colour: labels::colour(&a.colour),
                topic: labels::topic(&a.topic),
                status: labels::status(&a.status),
            })
            .collect(),
        adherence_7: rate(s.adherence_7_days.as_ref()),
        adherence_28: rate(s.adherence_28_days.as_ref()),
        versions: read
            .versions
            .iter()
            .map(|v| VersionRow {
                version: v.version,
                reason: reason_label(v.reason),
                issued: labels::at(v.created_at, tz),
                current: v.version == read.shown.version,
            })
            .collect(),
        patient_id: read.patient_id,
        s,
    };
    html(&out)
}

/// The latest version.
pub async fn latest(
    State(state): State<AppState>,
    page: StaffPage,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let read = actions::latest(&state, &page.auth, &id).await?;
    render_sheet(&state, read)
}

/// One version; a number the episode does not have (or not a number) is 404, as is a patient
/// outside the caller's team.
pub async fn version(
    State(state): State<AppState>,
    page: StaffPage,
    Path((id, version)): Path<(String, String)>,
) -> Result<Response, PageError> {
    let version: i32 = match version.parse() {
        Ok(v) => v,
        Err(_) => {
            // Still the scope check first: a stranger learns nothing from the answer.
            crate::app::patients::visible_patient(&state, &page.auth, &id).await?;
            return Err(ActionError::NotFound.into());
        }
    };
    let read = actions::version(&state, &page.auth, &id, version).await?;
    render_sheet(&state, read)
}
