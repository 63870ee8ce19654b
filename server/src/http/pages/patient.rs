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
use super::labels::{AsDay, Tr};
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
use crate::domain::triage::Locale;
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
            sequence: s.sequence.unwrap_or_else(|| page.tr.t("terminé", "ended").into()),
            parcours: s.parcours.unwrap_or_default(),
            id: s.id,
        });
    }
    html(&ListPage { layout: page.layout("patients"), q: query.q.trim().to_owned(), rows, total })
}

fn rate(r: Option<&RateView>, tr: Tr) -> String {
    match (r, tr.0) {
        (Some(r), Locale::Fr) => format!(
            "{:.0} % ({} / {} prises{})",
            r.percent,
            r.taken,
            r.scheduled,
            if r.late > 0 { format!(", dont {} en retard", r.late) } else { String::new() }
        ),
        (Some(r), Locale::En) => format!(
            "{:.0}% ({} / {} doses{})",
            r.percent,
            r.taken,
            r.scheduled,
            if r.late > 0 { format!(", {} of them late", r.late) } else { String::new() }
        ),
        (None, _) => tr.t("pas encore de prise à juger", "no dose to judge yet").to_owned(),
    }
}

fn end_reason_label(r: &str, tr: Tr) -> &'static str {
    match r {
        "treatment_stopped" => tr.t("Arrêt du traitement", "Treatment stopped"),
        "treatment_changed" => tr.t("Changement de traitement", "Treatment changed"),
        "death" => tr.t("Décès", "Death"),
        "had" => tr.t("Hospitalisation à domicile (HAD)", "Hospital at home (HAD)"),
        "transfer" => tr.t("Transfert", "Transfer"),
        "withdrew" => tr.t("Retrait du patient", "Patient withdrew"),
        "lost_to_follow_up" => tr.t("Perdu de vue", "Lost to follow-up"),
        "inclusion_error" => tr.t("Erreur d'inclusion", "Inclusion error"),
        _ => tr.t("Autre", "Other"),
    }
}

fn sequence_label(kind: &str, renewal: i32, tr: Tr) -> String {
    let base = match kind {
        "S1" => tr.t("S1 — initiation (1 mois)", "S1 — initiation (1 month)"),
        "S2" => tr.t("S2 — suivi (3 mois)", "S2 — follow-up (3 months)"),
        "S3" => tr.t("S3 — relais ville (6 mois)", "S3 — community follow-up (6 months)"),
        other => other,
    };
    if renewal > 0 { format!("{base}, {} {renewal}", tr.t("renouvellement", "renewal")) } else { base.to_owned() }
}

/// A member's role on the care team (`care_teams` slots), as the page names it.
fn team_role_label(role: &str, tr: Tr) -> &'static str {
    crate::app::handover::role_label_in(role, tr.0)
}

/// A cycle in the reader's words: "14 j de prise, 7 j de pause" / "14 days on, 7 days off";
/// "J1–J5, J8–J12 tous les 28 jours" / "D1–D5, D8–D12 every 28 days".
fn cycle_text(c: &views::CycleView, tr: Tr) -> String {
    match (tr.0, c.on_days, c.off_days, c.length_days, &c.on) {
        (Locale::Fr, ..) => c.text_fr(),
        (Locale::En, Some(on), Some(off), _, _) => format!("{on} days on, {off} days off"),
        (Locale::En, _, _, Some(length), Some(blocks)) => {
            let b: Vec<String> =
                blocks.iter().map(|[a, z]| if a == z { format!("D{a}") } else { format!("D{a}–D{z}") }).collect();
            format!("{} every {length} days", b.join(", "))
        }
        (Locale::En, ..) => String::new(),
    }
}

/// How a dose per m² or per kg was computed, in the reader's words (the API's `text` is French):
/// "1250 mg/m² × 1.71 m² (Mosteller, 165 cm, 64 kg) = 2137.5 mg → 2150 mg (+0.6%)" in English.
fn dose_computation_text(c: &views::DoseComputationView, tr: Tr) -> String {
    if tr.0 == Locale::Fr {
        return c.text.clone();
    }
    // The view's figures are already rounded (BSA to 2 decimals, the rest to 1).
    let n = |x: f64| labels::decimal_in(x, Locale::En);
    let how = match (c.basis.as_str(), c.bsa_m2, c.height_cm) {
        ("per_m2", Some(bsa), Some(h)) => {
            format!("{} mg/m² × {} m² (Mosteller, {} cm, {} kg)", n(c.prescribed_mg), n(bsa), n(h), n(c.weight_kg))
        }
        _ => format!("{} mg/kg × {} kg", n(c.prescribed_mg), n(c.weight_kg)),
    };
    let sign = if c.difference_pct >= 0.0 { "+" } else { "−" };
    format!("{how} = {} mg → {} mg ({sign}{}%)", n(c.computed_mg), n(c.rounded_mg), n(c.difference_pct.abs()))
}

/// The page's data, shaped for the template.
#[derive(Template)]
#[template(path = "staff/patient.html")]
struct PatientPage {
    layout: Layout,
    /// The reader's language.
    tr: Tr,
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
        labels::indication_in(code, self.tr.0)
    }

    /// A day in the reader's language: "5 déc. 2026", "5 Dec 2026".
    fn day(&self, d: impl AsDay) -> String {
        labels::day_in(d, self.tr.0)
    }

    /// The birth date: 05/12/1950 in French, as on an identity document; "5 Dec 1950" in English.
    fn birth_date(&self) -> String {
        match self.tr.0 {
            Locale::Fr => self.p.birth_date.format("%d/%m/%Y").to_string(),
            Locale::En => labels::day_in(self.p.birth_date, Locale::En),
        }
    }

    fn sequence_state(&self, state: &str) -> &'static str {
        labels::sequence_state_in(state, self.tr.0)
    }

    fn cycle(&self, c: &views::CycleView) -> String {
        cycle_text(c, self.tr)
    }

    fn dose_computation(&self, c: &views::DoseComputationView) -> String {
        dose_computation_text(c, self.tr)
    }

    /// A co-medication's product properties in words.
    fn tags(&self, tags: &[String]) -> String {
        tags.iter().map(|t| labels::tag_in(t, self.tr.0).unwrap_or(t)).collect::<Vec<_>>().join(", ")
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
    let tr = page.tr;
    let day = |d: chrono::NaiveDate| labels::day_in(d, tr.0);
    let history = t
        .history
        .iter()
        .map(|h| {
            let period = match (h.to, tr.0) {
                (Some(to), Locale::Fr) => format!("du {} au {}", day(h.from), day(to - chrono::Duration::days(1))),
                (Some(to), Locale::En) => format!("from {} to {}", day(h.from), day(to - chrono::Duration::days(1))),
                (None, Locale::Fr) => format!("depuis le {}", day(h.from)),
                (None, Locale::En) => format!("since {}", day(h.from)),
            };
            (team_role_label(&h.role, tr), h.name.clone(), period)
        })
        .collect();
    let upcoming = t
        .upcoming
        .as_ref()
        .map(|u| match tr.0 {
            Locale::Fr => format!("Changement d'équipe prévu le {}.", day(u.from)),
            Locale::En => format!("Team change planned on {}.", day(u.from)),
        })
        .unwrap_or_default();
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
    let notice = notice(q.done.as_str(), q.phones_revoked, page.tr);
    render(&state, &page, &id, &notice, "", "").await.map(IntoResponse::into_response)
}

/// What the page says after a form was recorded (`?done=`) or phones were disconnected.
fn notice(done: &str, phones_revoked: Option<u64>, tr: Tr) -> String {
    let t = |fr: &str, en: &str| tr.t(fr, en).to_owned();
    match (done, phones_revoked) {
        ("renew", _) => t(
            "Décision enregistrée : la séquence sera renouvelée à sa date de fin.",
            "Decision recorded: the sequence will be renewed on its end date.",
        ),
        ("advance", _) => t(
            "Décision enregistrée : passage à la séquence suivante à la date de fin.",
            "Decision recorded: the patient moves on to the next sequence on the end date.",
        ),
        ("end", _) => t(
            "Le suivi est terminé ; rappels et questionnaires sont arrêtés.",
            "The follow-up has ended; reminders and questionnaires are stopped.",
        ),
        ("team", _) => t(
            "Équipe modifiée : accès, alertes et forfaits suivent la nouvelle équipe à sa date d'effet.",
            "Care team changed: access, alerts and forfaits follow the new team from its effective date.",
        ),
        ("dispensation", _) => t(
            "Dispensation enregistrée : le patient sera invité à renouveler 3 jours avant d'être à court.",
            "Dispensation recorded: the patient will be asked to renew 3 days before running out.",
        ),
        ("pharmacy_interview", _) => t("Entretien pharmaceutique enregistré.", "Pharmaceutical interview recorded."),
        ("reconciliation", _) => t("Conciliation médicamenteuse enregistrée.", "Medication reconciliation recorded."),
        ("ac_interview", _) => t(
            "Entretien AC enregistré ; les codes dus sont mis à jour.",
            "AC interview recorded; the codes due are updated.",
        ),
        (_, Some(n)) => match tr.0 {
            Locale::Fr => format!(
                "{n} téléphone(s) déconnecté(s) : ils ne reçoivent plus rien. Donnez un nouveau code d'activation \
                 pour le nouveau téléphone."
            ),
            Locale::En => format!(
                "{n} {} disconnected: {} nothing more. Give a new activation code for the new phone.",
                if n == 1 { "phone" } else { "phones" },
                if n == 1 { "it receives" } else { "they receive" }
            ),
        },
        _ => String::new(),
    }
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
    let (tr, locale) = (page.tr, page.tr.0);
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
        range = match locale {
            Locale::Fr => format!("du {} au {}", labels::day_in(from, locale), labels::day_in(to, locale)),
            Locale::En => format!("from {} to {}", labels::day_in(from, locale), labels::day_in(to, locale)),
        };
        let doses = data::doses_by_day(state, &ep.id, from, to).await?;
        doses_svg = charts::doses_chart("doses", from, to, &doses, locale);
        grade_charts = data::grade_charts(&data::grade_series(state, ep, tz, locale).await?, from, to, locale);
        calendar = data::calendar(state, &p, ep, today, locale).await?;
        alerts = data::alert_history(state, &page.auth.staff, &ep.id, tz, locale).await?;
    }
    let view = views::patient_view(state, p).await?;
    let reports = view
        .last_reports
        .iter()
        .map(|r| ReportRow {
            when: labels::at_in(r.submitted_at, tz, locale),
            colour: r.colour.clone(),
            colour_label: labels::colour_in(&r.colour, locale),
            sequence: r.sequence.clone(),
            grades: r
                .grades
                .iter()
                .map(|(s, g)| format!("{} {g}", data::symptom_label(state, s, locale)))
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
        Some("renew") => tr
            .t("Renouvellement décidé pour la fin de cette séquence.", "Renewal decided for the end of this sequence.")
            .to_owned(),
        Some("advance") => tr
            .t(
                "Passage en S3 décidé pour la fin de cette séquence.",
                "Move to S3 decided for the end of this sequence.",
            )
            .to_owned(),
        _ => String::new(),
    };
    let mut out = PatientPage {
        layout: page.layout("patients"),
        tr,
        age,
        sequence_title: seq.map(|s| sequence_label(&s.kind, s.renewal_index, tr)).unwrap_or_default(),
        adherence_7: rate(ep.and_then(|e| e.adherence.last_7_days.as_ref()), tr),
        adherence_28: rate(ep.and_then(|e| e.adherence.last_28_days.as_ref()), tr),
        may_decide: role.may_decide() && open,
        may_new_code: role.is_hospital() && open,
        can_renew: matches!(kind, "S2" | "S3"),
        can_advance: kind == "S2" && ep.is_some_and(|e| e.s3_eligible),
        end_reasons: EndReason::ALL.iter().map(|r| (r.as_str(), end_reason_label(r.as_str(), tr))).collect(),
        pending_decision,
        end_reason: ep.and_then(|e| e.end_reason.as_deref()).map(|r| end_reason_label(r, tr)).unwrap_or(""),
        decision_error: decision_error.to_owned(),
        notice: notice.to_owned(),
        calendar,
        doses_svg,
        doses_legend: charts::dose_categories(locale),
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
    // The drugs as the reader names them (the API's record names them in French).
    if let Some(ep) = &mut out.ep {
        for l in &mut ep.regimen {
            l.drug_name = state.rules.catalog.name_in(&l.drug, locale).to_owned();
        }
    }
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
    let tr = page.tr;
    let ep = patients::current_episode(&state.db, &id)
        .await?
        .ok_or(ActionError::conflict(tr.t("ce suivi est terminé", "this follow-up has ended")))?;
    let reason = Some(form.reason.trim().to_owned()).filter(|r| !r.is_empty());
    let req = DecisionRequest { action: form.action.clone(), reason };
    match apply_decision(&state, &page.auth, &ep.id, &req).await {
        Ok(()) => Ok(Redirect::to(&format!("/staff/patients/{id}?done={}", form.action)).into_response()),
        Err(ActionError::Invalid { field, message }) => {
            let text = match (field == "reason", tr.0) {
                (true, _) => tr
                    .t("Choisissez le motif de fin de suivi.", "Choose the reason for ending the follow-up.")
                    .to_owned(),
                (false, Locale::Fr) => format!("Décision impossible : {message}"),
                (false, Locale::En) => format!("Decision not possible: {message}"),
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
/// or the page again with the refusal (in the reader's language, naming the field) above the form.
pub async fn change_team(
    State(state): State<AppState>,
    page: StaffPage,
    Path(id): Path<String>,
    Form(form): Form<TeamForm>,
) -> Result<Response, PageError> {
    visible_patient(&state, &page.auth, &id).await?;
    let tr = page.tr;
    let ep = patients::current_episode(&state.db, &id)
        .await?
        .ok_or(ActionError::conflict(tr.t("ce suivi est terminé", "this follow-up has ended")))?;
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
            let text = match (field == "effective_date", tr.0) {
                (true, _) => tr
                    .t(
                        "Changement refusé : la date d'effet est aujourd'hui ou plus tard, ou au plus 7 jours en \
                         arrière, et pas avant le début du suivi ni avant le dernier changement enregistré.",
                        "Change refused: the effective date is today or later, or at most 7 days back, and not \
                         before the start of the follow-up nor before the last recorded change.",
                    )
                    .to_owned(),
                (false, Locale::Fr) => format!("Changement refusé ({}) : {message}", team_role_label(&field, tr)),
                (false, Locale::En) => format!("Change refused ({}): {message}", team_role_label(&field, tr)),
            };
            render(&state, &page, &id, "", "", &text).await
        }
        Err(e) => Err(e.into()),
    }
}
