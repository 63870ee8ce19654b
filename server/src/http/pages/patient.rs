//! The patient list (`/staff/patients`, searchable by name) and the patient page
//! (`/staff/patients/{id}`): identity, episode, sequences with the pathway decision, regimen and
//! its cycle calendar, team, adherence with the doses chart, symptom grade charts, reports,
//! alerts and co-medications. Same scoping, audit and decision code as the staff API.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::charts;
use super::cycle::CalWeek;
use super::enrol::{Choice, people, pharmacies};
use super::patient_data::{self as data, AlertRow, Chart};
use super::patient_dispensations::{DispensationSection, dispensation_section};
use super::patient_pharmacy::{PharmacySection, pharmacy_section};
use super::{Layout, PageError, StaffPage, html, labels};
use crate::AppState;
use crate::app::ActionError;
use crate::app::episodes::{DecisionRequest, decide as apply_decision};
use crate::app::patients::visible_patient;
use crate::app::teams::{self as team_actions, TeamChange};
use crate::domain::access::Role;
use crate::domain::pathway::EndReason;
use crate::http::views::{self, EpisodeView, PatientView, RateView};
use crate::store::{entities::patient, patients};

#[derive(Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    q: String,
}

struct Row {
    id: String,
    name: String,
    birth_date: String,
    sequence: String,
    parcours: String,
}

#[derive(Template)]
#[template(path = "staff/patients.html")]
struct ListPage {
    layout: Layout,
    q: String,
    rows: Vec<Row>,
    total: usize,
}

/// Lower-case without accents, so "dupre" finds "Dupré".
fn fold(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            'à' | 'â' | 'ä' | 'À' | 'Â' | 'Ä' => 'a',
            'é' | 'è' | 'ê' | 'ë' | 'É' | 'È' | 'Ê' | 'Ë' => 'e',
            'î' | 'ï' | 'Î' | 'Ï' => 'i',
            'ô' | 'ö' | 'Ô' | 'Ö' => 'o',
            'ù' | 'û' | 'ü' | 'Ù' | 'Û' | 'Ü' => 'u',
            'ç' | 'Ç' => 'c',
            c => c.to_lowercase().next().unwrap_or(c),
        })
        .collect()
}

/// The caller's patients (the same action as `GET /api/v1/patients`), filtered by a name search.
pub async fn list(
    State(state): State<AppState>,
    page: StaffPage,
    Query(query): Query<ListQuery>,
) -> Result<Response, PageError> {
    let words: Vec<String> = fold(&query.q).split_whitespace().map(str::to_owned).collect();
    let matches = |p: &patient::Model| {
        let name = fold(&format!("{} {}", p.family_name, p.given_name));
        words.iter().all(|w| name.contains(w.as_str()))
    };
    let listed = crate::app::patients::list(&state, &page.auth, matches).await?;
    let total = listed.visible;
    let mut rows = Vec::new();
    for p in listed.patients {
        let s = views::patient_summary(&state.db, p).await?;
        rows.push(Row {
            name: format!("{} {}", s.family_name.to_uppercase(), s.given_name),
            birth_date: s.birth_date.format("%d/%m/%Y").to_string(),
            sequence: s.sequence.unwrap_or_else(|| "terminé".into()),
            parcours: s.parcours.unwrap_or_default(),
            id: s.id,
        });
    }
    html(&ListPage { layout: page.layout("patients"), q: query.q.trim().to_owned(), rows, total })
}

fn rate(r: Option<&RateView>) -> String {
    match r {
        Some(r) => format!(
            "{:.0} % ({} / {} prises{})",
            r.percent,
            r.taken,
            r.scheduled,
            if r.late > 0 { format!(", dont {} en retard", r.late) } else { String::new() }
        ),
        None => "pas encore de prise à juger".to_owned(),
    }
}

fn end_reason_label(r: &str) -> &'static str {
    match r {
        "treatment_stopped" => "Arrêt du traitement",
        "treatment_changed" => "Changement de traitement",
        "death" => "Décès",
        "had" => "Hospitalisation à domicile (HAD)",
        "transfer" => "Transfert",
        "withdrew" => "Retrait du patient",
        "lost_to_follow_up" => "Perdu de vue",
        "inclusion_error" => "Erreur d'inclusion",
        _ => "Autre",
    }
}

fn sequence_label(kind: &str, renewal: i32) -> String {
    let base = match kind {
        "S1" => "S1 — initiation (1 mois)",
        "S2" => "S2 — suivi (3 mois)",
        "S3" => "S3 — relais ville (6 mois)",
        other => other,
    };
    if renewal > 0 { format!("{base}, renouvellement {renewal}") } else { base.to_owned() }
}

/// The page's data, shaped for the template.
#[derive(Template)]
#[template(path = "staff/patient.html")]
struct PatientPage {
    layout: Layout,
    p: PatientView,
    ep: Option<EpisodeView>,
    age: i32,
    sequence_title: String,
    adherence_7: String,
    adherence_28: String,
    may_decide: bool,
    may_new_code: bool,
    can_renew: bool,
    can_advance: bool,
    end_reasons: Vec<(&'static str, &'static str)>,
    /// The decision already recorded for the end of the current sequence, in words.
    pending_decision: String,
    end_reason: &'static str,
    decision_error: String,
    notice: String,
    calendar: Vec<CalWeek>,
    doses_svg: String,
    doses_legend: Vec<(&'static str, &'static str)>,
    grade_charts: Vec<Chart>,
    range: String,
    alerts: Vec<AlertRow>,
    reports: Vec<ReportRow>,
    team: TeamSection,
    dispensations: DispensationSection,
    pharmacy: PharmacySection,
}

impl PatientPage {
    fn indication(&self, code: &str) -> &'static str {
        labels::indication(code)
    }
}

/// The team's history and, for the hospital team of an open episode, the form that changes it.
#[derive(Default)]
struct TeamSection {
    may_change: bool,
    today: String,
    idecs: Vec<Choice>,
    oncologists: Vec<Choice>,
    pharmacies: Vec<Choice>,
    gps: Vec<Choice>,
    nurses: Vec<Choice>,
    /// (role, name, period in words), by role then date.
    history: Vec<(&'static str, String, String)>,
    upcoming: String,
    error: String,
}

async fn team_section(
    state: &AppState,
    page: &StaffPage,
    ep: &crate::store::entities::episode::Model,
    error: &str,
) -> Result<TeamSection, PageError> {
    let t = team_actions::for_page(state, ep).await?;
    let day = super::labels::day;
    let history = t
        .history
        .iter()
        .map(|h| {
            let period = match h.to {
                Some(to) => format!("du {} au {}", day(h.from), day(to - chrono::Duration::days(1))),
                None => format!("depuis le {}", day(h.from)),
            };
            (crate::app::handover::role_label(&h.role), h.name.clone(), period)
        })
        .collect();
    let upcoming =
        t.upcoming.as_ref().map(|u| format!("Changement d'équipe prévu le {}.", day(u.from))).unwrap_or_default();
    let mut s = TeamSection { history, upcoming, error: error.to_owned(), ..TeamSection::default() };
    if team_actions::may_change_team(&page.auth, ep) {
        let est = Some(ep.establishment_id.as_str());
        s.may_change = true;
        s.today = state.today().to_string();
        s.idecs = people(state, Role::Idec, est).await?;
        s.oncologists = people(state, Role::Oncologist, est).await?;
        s.gps = people(state, Role::Gp, None).await?;
        s.nurses = people(state, Role::CommunityNurse, None).await?;
        s.pharmacies = pharmacies(state).await?;
    }
    Ok(s)
}

struct ReportRow {
    when: String,
    colour: String,
    colour_label: &'static str,
    sequence: String,
    grades: String,
}

#[derive(Deserialize)]
pub struct ShowQuery {
    #[serde(default)]
    done: String,
    #[serde(default)]
    phones_revoked: Option<u64>,
}

pub async fn show(
    State(state): State<AppState>,
    page: StaffPage,
    Path(id): Path<String>,
    Query(q): Query<ShowQuery>,
) -> Result<Response, PageError> {
    let notice = match (q.done.as_str(), q.phones_revoked) {
        ("renew", _) => "Décision enregistrée : la séquence sera renouvelée à sa date de fin.".to_owned(),
        ("advance", _) => "Décision enregistrée : passage à la séquence suivante à la date de fin.".to_owned(),
        ("end", _) => "Le suivi est terminé ; rappels et questionnaires sont arrêtés.".to_owned(),
        ("team", _) => {
            "Équipe modifiée : accès, alertes et forfaits suivent la nouvelle équipe à sa date d'effet.".to_owned()
        }
        ("dispensation", _) => {
            "Dispensation enregistrée : le patient sera invité à renouveler 3 jours avant d'être à court.".to_owned()
        }
        ("pharmacy_interview", _) => "Entretien pharmaceutique enregistré.".to_owned(),
        ("reconciliation", _) => "Conciliation médicamenteuse enregistrée.".to_owned(),
        ("ac_interview", _) => "Entretien AC enregistré ; les codes dus sont mis à jour.".to_owned(),
        (_, Some(n)) => format!(
            "{n} téléphone(s) déconnecté(s) : ils ne reçoivent plus rien. Donnez un nouveau code d'activation \
             pour le nouveau téléphone."
        ),
        _ => String::new(),
    };
    render(&state, &page, &id, &notice, "", "").await.map(IntoResponse::into_response)
}

async fn render(
    state: &AppState,
    page: &StaffPage,
    id: &str,
    notice: &str,
    decision_error: &str,
    team_error: &str,
) -> Result<Response, PageError> {
    render_with(state, page, id, notice, decision_error, team_error, "").await
}

/// The message beside each form of the page when it is shown again after a refusal.
#[derive(Default, Clone, Copy)]
pub(super) struct FormErrors<'a> {
    pub(super) decision: &'a str,
    pub(super) team: &'a str,
    pub(super) dispensation: &'a str,
    pub(super) interview: &'a str,
    pub(super) reconciliation: &'a str,
    pub(super) ledger: &'a str,
}

impl FormErrors<'_> {
    fn any(&self) -> bool {
        [self.decision, self.team, self.dispensation, self.interview, self.reconciliation, self.ledger]
            .iter()
            .any(|e| !e.is_empty())
    }
}

pub(super) async fn render_with(
    state: &AppState,
    page: &StaffPage,
    id: &str,
    notice: &str,
    decision_error: &str,
    team_error: &str,
    dispensation_error: &str,
) -> Result<Response, PageError> {
    let errors = FormErrors {
        decision: decision_error,
        team: team_error,
        dispensation: dispensation_error,
        ..FormErrors::default()
    };
    render_forms(state, page, id, notice, errors).await
}

/// The page, with `errors` beside their forms (then answered 422).
pub(super) async fn render_forms(
    state: &AppState,
    page: &StaffPage,
    id: &str,
    notice: &str,
    errors: FormErrors<'_>,
) -> Result<Response, PageError> {
    let (decision_error, team_error, dispensation_error) = (errors.decision, errors.team, errors.dispensation);
    let p = crate::app::patients::read(state, &page.auth, id).await?;
    let tz = p.time_zone()?;
    let today = state.now().with_timezone(&tz).date_naive();
    let age = {
        use chrono::Datelike;
        let mut a = today.year() - p.birth_date.year();
        if (today.month(), today.day()) < (p.birth_date.month(), p.birth_date.day()) {
            a -= 1;
        }
        a
    };
    // The open episode, or the latest one (as the API's record).
    let all = patients::episodes(&state.db, &p.id).await?;
    let episode_row = all.iter().find(|e| e.end_date.is_none()).or(all.first()).cloned();
    let (mut calendar, mut doses_svg, mut grade_charts, mut alerts, mut range) =
        (Vec::new(), String::new(), Vec::new(), Vec::new(), String::new());
    let mut team = TeamSection::default();
    let mut dispensations = DispensationSection::default();
    let mut pharmacy = PharmacySection::default();
    if let Some(ep) = &episode_row {
        pharmacy = pharmacy_section(state, page, ep, today, &errors).await?;
        team = team_section(state, page, ep, team_error).await?;
        dispensations = dispensation_section(state, page, ep, today, dispensation_error).await?;
        let (from, to) = data::chart_range(ep, today);
        range = format!("du {} au {}", super::labels::day(from), super::labels::day(to));
        doses_svg = charts::doses_chart("doses", from, to, &data::doses_by_day(state, &ep.id, from, to).await?);
        grade_charts = data::grade_charts(&data::grade_series(state, ep, tz).await?, from, to);
        calendar = data::calendar(state, &p, ep, today).await?;
        alerts = data::alert_history(state, &page.auth.staff, &ep.id, tz).await?;
    }
    let view = views::patient_view(state, p).await?;
    let reports = view
        .last_reports
        .iter()
        .map(|r| ReportRow {
            when: super::labels::at(r.submitted_at, tz),
            colour: r.colour.clone(),
            colour_label: labels::colour(&r.colour),
            sequence: r.sequence.clone(),
            grades: r
                .grades
                .iter()
                .map(|(s, g)| format!("{} {g}", data::symptom_label(state, s)))
                .collect::<Vec<_>>()
                .join(", "),
        })
        .collect();
    let ep = view.episode.as_ref();
    let seq = ep.and_then(|e| e.sequence.as_ref());
    let open = ep.is_some_and(|e| e.end_date.is_none());
    let kind = seq.map(|s| s.kind.as_str()).unwrap_or("");
    let role = page.auth.staff.role;
    let pending_decision = match seq.and_then(|s| s.decision.as_deref()) {
        Some("renew") => "Renouvellement décidé pour la fin de cette séquence.".to_owned(),
        Some("advance") => "Passage en S3 décidé pour la fin de cette séquence.".to_owned(),
        _ => String::new(),
    };
    let mut out = PatientPage {
        layout: page.layout("patients"),
        age,
        sequence_title: seq.map(|s| sequence_label(&s.kind, s.renewal_index)).unwrap_or_default(),
        adherence_7: rate(ep.and_then(|e| e.adherence.last_7_days.as_ref())),
        adherence_28: rate(ep.and_then(|e| e.adherence.last_28_days.as_ref())),
        may_decide: role.may_decide() && open,
        may_new_code: role.is_hospital() && open,
        can_renew: matches!(kind, "S2" | "S3"),
        can_advance: kind == "S2" && ep.is_some_and(|e| e.s3_eligible),
        end_reasons: EndReason::ALL.iter().map(|r| (r.as_str(), end_reason_label(r.as_str()))).collect(),
        pending_decision,
        end_reason: ep.and_then(|e| e.end_reason.as_deref()).map(end_reason_label).unwrap_or(""),
        decision_error: decision_error.to_owned(),
        notice: notice.to_owned(),
        calendar,
        doses_svg,
        doses_legend: charts::DOSE_CATEGORIES.to_vec(),
        grade_charts,
        range,
        alerts,
        reports,
        team,
        dispensations,
        pharmacy,
        ep: None,
        p: view,
    };
    out.ep = out.p.episode.take();
    let status = if errors.any() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    Ok((status, html(&out)?).into_response())
}

#[derive(Deserialize)]
pub struct DecisionForm {
    action: String,
    #[serde(default)]
    reason: String,
}

/// Renew / advance / end, through the decision action (the API's too); back to the page with a notice, or
/// the page again with the refusal next to the buttons.
pub async fn decide(
    State(state): State<AppState>,
    page: StaffPage,
    Path(id): Path<String>,
    Form(form): Form<DecisionForm>,
) -> Result<Response, PageError> {
    visible_patient(&state, &page.auth, &id).await?;
    let ep = patients::current_episode(&state.db, &id).await?.ok_or(ActionError::conflict("ce suivi est terminé"))?;
    let reason = Some(form.reason.trim().to_owned()).filter(|r| !r.is_empty());
    let req = DecisionRequest { action: form.action.clone(), reason };
    match apply_decision(&state, &page.auth, &ep.id, &req).await {
        Ok(()) => Ok(Redirect::to(&format!("/staff/patients/{id}?done={}", form.action)).into_response()),
        Err(ActionError::Invalid { field, message }) => {
            let text = if field == "reason" {
                "Choisissez le motif de fin de suivi.".to_owned()
            } else {
                format!("Décision impossible : {message}")
            };
            render(&state, &page, &id, "", &text, "").await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
pub struct TeamForm {
    #[serde(default)]
    effective_date: String,
    #[serde(default)]
    idec: String,
    #[serde(default)]
    oncologist: String,
    #[serde(default)]
    community_pharmacy: String,
    #[serde(default)]
    gp: String,
    #[serde(default)]
    community_nurse: String,
}

/// A chooser's value: empty = unchanged, `none` = nobody, else an id.
fn choice(v: &str) -> Option<Option<String>> {
    match v.trim() {
        "" => None,
        "none" => Some(None),
        id => Some(Some(id.to_owned())),
    }
}

/// Changes the team through the team action (the API's too); back to the page with a notice,
/// or the page again with the refusal (in French, naming the field) above the form.
pub async fn change_team(
    State(state): State<AppState>,
    page: StaffPage,
    Path(id): Path<String>,
    Form(form): Form<TeamForm>,
) -> Result<Response, PageError> {
    visible_patient(&state, &page.auth, &id).await?;
    let ep = patients::current_episode(&state.db, &id).await?.ok_or(ActionError::conflict("ce suivi est terminé"))?;
    let req = TeamChange {
        effective_date: form.effective_date,
        idec: choice(&form.idec),
        oncologist: choice(&form.oncologist),
        hospital_pharmacist: None,
        community_pharmacy: choice(&form.community_pharmacy),
        gp: choice(&form.gp),
        community_nurse: choice(&form.community_nurse),
    };
    match team_actions::change(&state, &page.auth, &ep.id, &req, state.now()).await {
        Ok(_) => Ok(Redirect::to(&format!("/staff/patients/{id}?done=team")).into_response()),
        Err(ActionError::Invalid { field, message }) => {
            let text = if field == "effective_date" {
                "Changement refusé : la date d'effet est aujourd'hui ou plus tard, ou au plus 7 jours en arrière, \
                 et pas avant le début du suivi ni avant le dernier changement enregistré."
                    .to_owned()
            } else {
                format!("Changement refusé ({}) : {message}", team_field_label(&field))
            };
            render(&state, &page, &id, "", "", &text).await
        }
        Err(e) => Err(e.into()),
    }
}

fn team_field_label(field: &str) -> &'static str {
    crate::app::handover::role_label(field)
}
