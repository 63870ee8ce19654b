//! The hand-over sheet ("fiche de liaison", docs/domain.md "The care team and the hand-over"):
//! `/staff/patients/{id}/handover` (the latest version) and `.../handover/{version}`, a page
//! made to be printed on A4 (its own print stylesheet; the "Imprimer" button is added by a
//! script file, the CSP allows no inline script). Same scoping and audit as the patient page:
//! the patient's team reads it, anyone else gets 404.
//!
//! The page is in the reader's language: the sheet's English twin for an English reader
//! ([`actions::Sheet::en`]); a version issued before the sheet was bilingual has none, and is
//! then shown in French (`lang="fr"`) under an English note saying so.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;

use chrono::NaiveDate;

use super::labels::{self, Tr};
use super::{PageError, StaffPage, html};
use crate::AppState;
use crate::app::ActionError;
use crate::app::handover::{self as actions, SheetRead};
use crate::domain::triage::Locale;
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
    /// The reader's language: the page around the sheet (title, navigation, versions).
    tr: Tr,
    /// The language of the sheet shown: the reader's, or French for a French-only version.
    st: Tr,
    /// An English reader shown a version issued in French only.
    french_only: bool,
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

fn reason_label(r: Reason, tr: Tr) -> &'static str {
    match r {
        Reason::Inclusion => tr.t("inclusion", "enrolment"),
        Reason::SequenceChange => tr.t("changement de séquence", "sequence change"),
        Reason::TeamChange => tr.t("changement d'équipe", "team change"),
    }
}

fn rate(r: Option<&actions::RatePart>, tr: Tr) -> String {
    match (r, tr.0) {
        (Some(r), Locale::Fr) => format!("{:.0} % ({} / {} prises)", r.percent, r.taken, r.scheduled),
        (Some(r), Locale::En) => format!("{:.0}% ({} / {} doses)", r.percent, r.taken, r.scheduled),
        (None, _) => tr.t("pas encore de prise à juger", "no dose to judge yet").to_owned(),
    }
}

/// A day of the sheet in its language: "5 déc. 2026", "5 Dec 2026".
fn day_of(d: &NaiveDate, st: &Tr) -> String {
    labels::day_in(*d, st.0)
}

/// A birth date: 05/12/1950 in French, as on an identity document; "5 Dec 1950" in English.
fn birth_in(d: &NaiveDate, st: &Tr) -> String {
    match st.0 {
        Locale::Fr => d.format("%d/%m/%Y").to_string(),
        Locale::En => labels::day_in(*d, st.0),
    }
}

/// The episode's indication as stored (a key of docs/indicators.md), in `locale`; a text the
/// table does not know is shown as written.
fn indication_text(i: &str, st: &Tr) -> String {
    match labels::indication_in(i, st.0) {
        "—" => i.to_owned(),
        known => known.to_owned(),
    }
}

fn render_sheet(state: &AppState, read: SheetRead, tr: Tr) -> Result<Response, PageError> {
    let tz = state.site_tz();
    let french = read.shown.sheet;
    // The sheet in the reader's language when the version has it, else the French one.
    let (s, st) = match (tr.0, french.en) {
        (Locale::En, Some(en)) => (*en, tr),
        _ => (actions::Sheet { en: None, ..french }, Tr::FR),
    };
    let french_only = tr != st;
    let e = &s.episode;
    let sequence = if e.renewal_index > 0 {
        format!("{}, {} {}", e.sequence, st.t("renouvellement", "renewal"), e.renewal_index)
    } else {
        e.sequence.clone()
    };
    let out = HandoverPage {
        tr,
        st,
        french_only,
        version: read.shown.version,
        reason: reason_label(read.shown.reason, st),
        issued: labels::at_in(read.shown.created_at, tz, st.0),
        sequence,
        report_colour: s.last_report.as_ref().map_or("", |r| labels::colour_in(&r.colour, st.0)),
        alerts: s
            .last_alerts
            .iter()
            .map(|a| AlertRow {
                date: labels::day_in(a.date, st.0),
                colour: labels::colour_in(&a.colour, st.0),
                topic: labels::topic_in(&a.topic, st.0),
                status: labels::status_in(&a.status, st.0),
            })
            .collect(),
        adherence_7: rate(s.adherence_7_days.as_ref(), st),
        adherence_28: rate(s.adherence_28_days.as_ref(), st),
        versions: read
            .versions
            .iter()
            .map(|v| VersionRow {
                version: v.version,
                reason: reason_label(v.reason, tr),
                issued: labels::at_in(v.created_at, tz, tr.0),
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
    render_sheet(&state, read, page.tr)
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
    render_sheet(&state, read, page.tr)
}
