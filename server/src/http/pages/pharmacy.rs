//! The pharmacist's view: the patients flagged for the pharmacy (alerts routed to pharmacists —
//! adherence, interactions, amber symptoms — doses vomited in the last week, renewals overdue
//! and prescriptions ending before the next sequence decision), with the
//! co-medications on record and a form to declare one (the staff API's handler: same checks,
//! same interaction alert).

use std::collections::BTreeMap;

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::Duration;
use serde::Deserialize;

use super::labels::Tr;
use super::{Layout, PageError, StaffPage, html, labels};
use crate::AppState;
use crate::app::ActionError;
use crate::app::episodes::{ComedicationRequest, add_comedication};
use crate::domain::Parcours;
use crate::domain::access::Role;
use crate::domain::calendar::day_en;
use crate::domain::catalog::KNOWN_TAGS;
use crate::domain::triage::Locale;
use crate::http::error::ApiError;
use crate::store::entities::patient;
use crate::store::{self, alerts, audit, dispensations, doses, episodes, patients};

/// How far back a vomited dose still flags the patient.
const VOMITED_WINDOW_DAYS: i64 = 7;

pub struct Flag {
    pub text: String,
    pub colour: String,
    pub alert_id: Option<String>,
}

pub struct FlaggedPatient {
    pub id: String,
    pub name: String,
    pub episode_id: Option<String>,
    pub drugs: Vec<String>,
    pub flags: Vec<Flag>,
    pub comedications: Vec<String>,
    pub error: Option<String>,
}

#[derive(Template)]
#[template(path = "staff/pharmacy.html")]
struct PharmacyPage {
    layout: Layout,
    patients: Vec<FlaggedPatient>,
    notice: Option<&'static str>,
    names: Vec<String>,
    /// Each product property a pharmacist may tick: (tag, French name).
    tags: Vec<(&'static str, &'static str)>,
    hospital: bool,
}

#[derive(Deserialize)]
pub struct NoticeQuery {
    notice: Option<String>,
}

fn for_pharmacists(page: &StaffPage) -> Result<(), PageError> {
    match page.role() {
        Role::CommunityPharmacist | Role::HospitalPharmacist => Ok(()),
        _ => Err(ApiError::Forbidden("the pharmacy view is for pharmacists").into()),
    }
}

/// The flagged patients within the pharmacist's scope, most flags first, then by name.
async fn flagged(state: &AppState, page: &StaffPage) -> Result<Vec<FlaggedPatient>, PageError> {
    let db = &state.db;
    let staff = &page.auth.staff;
    let now = state.now();
    // Scope first: a flag on a patient outside it (another pharmacy's) can never show.
    let scope = patients::visible_to(db, staff, state.today()).await?;
    let (tr, locale) = (page.tr, page.tr.0);
    let mut flags: BTreeMap<String, Vec<Flag>> = BTreeMap::new();
    for status in ["open", "acknowledged"] {
        for a in alerts::visible_to(db, staff, status, state.today()).await? {
            let colour = labels::colour_in(&a.colour, locale).to_lowercase();
            let text = format!(
                "{} — {} ({})",
                labels::topic_in(&a.topic, locale),
                match locale {
                    Locale::Fr => format!("alerte {colour}"),
                    Locale::En => format!("{colour} alert"),
                },
                labels::status_in(&a.status, locale).to_lowercase()
            );
            flags.entry(a.patient_id.clone()).or_default().push(Flag { text, colour: a.colour, alert_id: Some(a.id) });
        }
    }
    let ids: Vec<String> = scope.iter().map(|p| p.id.clone()).collect();
    let mut vomited: BTreeMap<String, usize> = BTreeMap::new();
    for d in doses::vomited_since(db, &ids, now - Duration::days(VOMITED_WINDOW_DAYS)).await? {
        *vomited.entry(d.patient_id).or_default() += 1;
    }
    for (pid, n) in vomited {
        let text = match (locale, n) {
            (Locale::Fr, 1) => format!("1 prise vomie sur les {VOMITED_WINDOW_DAYS} derniers jours"),
            (Locale::Fr, n) => format!("{n} prises vomies sur les {VOMITED_WINDOW_DAYS} derniers jours"),
            (Locale::En, 1) => format!("1 dose vomited in the last {VOMITED_WINDOW_DAYS} days"),
            (Locale::En, n) => format!("{n} doses vomited in the last {VOMITED_WINDOW_DAYS} days"),
        };
        flags.entry(pid).or_default().push(Flag { text, colour: "amber".into(), alert_id: None });
    }
    renewal_flags(state, page.role(), tr, &scope, &mut flags).await?;
    let mut out = Vec::new();
    let txn = store::begin_write(db).await?;
    for p in scope {
        let Some(f) = flags.remove(&p.id) else { continue };
        let ep = patients::current_episode(&txn, &p.id).await?;
        let (drugs, comedications) = match &ep {
            Some(e) => (
                episodes::active_regimen(&txn, &e.id)
                    .await?
                    .into_iter()
                    .map(|l| {
                        let name = state.rules.catalog.name_in(&l.drug, locale);
                        format!("{name} {}", l.dose)
                    })
                    .collect(),
                episodes::comedications(&txn, &e.id)
                    .await?
                    .into_iter()
                    .filter(|c| c.stopped_at.is_none())
                    .map(|c| c.name)
                    .collect(),
            ),
            None => (vec![], vec![]),
        };
        audit::record(
            &txn,
            audit::Entry {
                actor: &page.auth.actor(),
                action: "list",
                entity: "patient",
                entity_id: Some(&p.id),
                patient_id: Some(&p.id),
                at: now,
            },
        )
        .await?;
        out.push(FlaggedPatient {
            name: format!("{} {}", p.family_name.to_uppercase(), p.given_name),
            id: p.id,
            episode_id: ep.map(|e| e.id),
            drugs,
            flags: f,
            comedications,
            error: None,
        });
    }
    txn.commit().await?;
    out.sort_by(|a, b| b.flags.len().cmp(&a.flags.len()).then_with(|| a.name.cmp(&b.name)));
    Ok(out)
}

/// Renewals (docs/domain.md, "Dispensations"): a drug whose latest dispensation has run out
/// (today, the patient's date, on or after its run-out date), or whose prescription ends before
/// the next sequence decision (the active sequence's planned end); and an episode under way
/// with no dispensation on record yet, for the pharmacist who dispenses it (the community
/// pharmacy in parcours A, the hospital pharmacy in parcours B).
async fn renewal_flags(
    state: &AppState,
    role: Role,
    tr: Tr,
    scope: &[patient::Model],
    flags: &mut BTreeMap<String, Vec<Flag>>,
) -> Result<(), PageError> {
    let ids: Vec<String> = scope.iter().map(|p| p.id.clone()).collect();
    for (ep, latest) in dispensations::latest_of_open_episodes(&state.db, &ids).await? {
        let Some(p) = scope.iter().find(|p| p.id == ep.patient_id) else { continue };
        let today = state.now().with_timezone(&p.time_zone()?).date_naive();
        let dispenser = match ep.parcours()? {
            Parcours::A => Role::CommunityPharmacist,
            Parcours::B => Role::HospitalPharmacist,
        };
        if latest.is_empty() && role == dispenser && ep.start_date <= today + Duration::days(7) {
            let text = match tr.0 {
                Locale::Fr => {
                    format!("Première dispensation à enregistrer (traitement débuté le {})", labels::day(ep.start_date))
                }
                Locale::En => {
                    format!("First dispensation to record (treatment started on {})", day_en(ep.start_date))
                }
            };
            flags.entry(p.id.clone()).or_default().push(Flag { text, colour: "info".into(), alert_id: None });
        }
        let decision = episodes::active_sequence(&state.db, &ep.id).await?.map(|s| s.planned_end_date);
        for d in latest {
            let name = state.rules.catalog.name_in(&d.drug, tr.0);
            if today >= d.run_out_on {
                let text = match tr.0 {
                    Locale::Fr => {
                        format!("Renouvellement en retard : {name} épuisé depuis le {}", labels::day(d.run_out_on))
                    }
                    Locale::En => format!("Renewal overdue: {name} ran out on {}", day_en(d.run_out_on)),
                };
                flags.entry(p.id.clone()).or_default().push(Flag { text, colour: "amber".into(), alert_id: None });
            }
            if let (Some(end), Some(decision)) = (d.prescription_end, decision)
                && end < decision
            {
                let text = match tr.0 {
                    Locale::Fr => format!(
                        "Ordonnance de {name} jusqu'au {}, avant la prochaine décision ({})",
                        labels::day(end),
                        labels::day(decision)
                    ),
                    Locale::En => format!(
                        "Prescription of {name} until {}, before the next decision ({})",
                        day_en(end),
                        day_en(decision)
                    ),
                };
                flags.entry(p.id.clone()).or_default().push(Flag { text, colour: "amber".into(), alert_id: None });
            }
        }
    }
    Ok(())
}

async fn render(
    state: &AppState,
    page: &StaffPage,
    notice: Option<&'static str>,
    error: Option<(String, String)>,
) -> Result<PharmacyPage, PageError> {
    let mut patients = flagged(state, page).await?;
    if let Some((episode_id, message)) = error
        && let Some(p) = patients.iter_mut().find(|p| p.episode_id.as_deref() == Some(episode_id.as_str()))
    {
        p.error = Some(message);
    }
    let mut names: Vec<String> = state
        .rules
        .comedications
        .iter()
        .flat_map(|(key, c)| std::iter::once(key.replace('_', " ")).chain(c.aliases.iter().cloned()))
        .collect();
    names.sort();
    names.dedup();
    Ok(PharmacyPage {
        layout: page.layout("pharmacy"),
        patients,
        notice,
        names,
        tags: KNOWN_TAGS.iter().map(|t| (*t, labels::tag_in(t, page.tr.0).unwrap_or(t))).collect(),
        hospital: page.role() == Role::HospitalPharmacist,
    })
}

pub async fn view(
    State(state): State<AppState>,
    page: StaffPage,
    Query(q): Query<NoticeQuery>,
) -> Result<Response, PageError> {
    for_pharmacists(&page)?;
    let tr = page.tr;
    let notice = match q.notice.as_deref() {
        Some("added") => Some(tr.t(
            "Co-médication enregistrée. Aucune interaction connue avec le traitement.",
            "Co-medication recorded. No known interaction with the treatment.",
        )),
        Some("interaction") => Some(tr.t(
            "Co-médication enregistrée. Interaction avec le traitement : une alerte « interaction » a été ouverte.",
            "Co-medication recorded. Interaction with the treatment: an interaction alert was opened.",
        )),
        _ => None,
    };
    html(&render(&state, &page, notice, None).await?)
}

/// Declares a co-medication for the patient's current episode. The body is read by hand:
/// the tag boxes repeat the `tags` field, which a plain struct cannot hold.
pub async fn add(
    State(state): State<AppState>,
    page: StaffPage,
    Path(episode_id): Path<String>,
    body: Bytes,
) -> Result<Response, PageError> {
    for_pharmacists(&page)?;
    let fields: Vec<(String, String)> =
        serde_urlencoded::from_bytes(&body).map_err(|e| ApiError::BadRequest(e.to_string()))?;
    let name = fields.iter().find(|(k, _)| k == "name").map(|(_, v)| v.trim().to_owned()).unwrap_or_default();
    let tags = fields.iter().filter(|(k, _)| k == "tags").map(|(_, v)| v.clone()).collect();
    let again = async |message: &str| -> Result<Response, PageError> {
        let p = render(&state, &page, None, Some((episode_id.clone(), message.to_owned()))).await?;
        Ok((StatusCode::UNPROCESSABLE_ENTITY, html(&p)?).into_response())
    };
    let tr = page.tr;
    if name.is_empty() {
        return again(tr.t("Indiquez le nom du produit.", "Give the product's name.")).await;
    }
    let req = ComedicationRequest { name, tags };
    match add_comedication(&state, &page.auth, &episode_id, &req).await {
        Ok(created) => {
            let notice = if created.interactions.is_empty() { "added" } else { "interaction" };
            Ok(Redirect::to(&format!("/staff/pharmacy?notice={notice}")).into_response())
        }
        Err(ActionError::Invalid { field, message }) if field == "name" => {
            again(&format!("{} ({message}).", tr.t("Nom du produit invalide", "Invalid product name"))).await
        }
        Err(ActionError::Conflict { .. }) => {
            again(tr.t("Le suivi de ce patient est terminé.", "This patient's follow-up has ended.")).await
        }
        Err(e) => Err(e.into()),
    }
}
