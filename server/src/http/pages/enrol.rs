//! The enrolment form (`/staff/enrol`) and the activation page that follows it: the code in
//! large characters and its QR code (`{public_url}/app/#activate={code}`, which the patient
//! app reads), with a button for a new code. Enrolment and codes go through the API's code.

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};

use super::enrol_form::{ADD_LINE, EnrolForm};
use super::{Layout, PageError, StaffPage, html, qr};
use crate::AppState;
use crate::app::{self, ActionError, patients::visible_patient};
use crate::domain::access::Role;
use crate::domain::enrolment::INDICATIONS;
use crate::http::error::ApiError;
use crate::store::directory;

/// A person (or pharmacy) the team choosers offer.
pub struct Choice {
    pub id: String,
    pub label: String,
}

/// A drug of the picker, with its usual regimen for the page's script.
pub struct DrugChoice {
    pub name: String,
    pub label: String,
    pub dose: String,
    pub per_m2: String,
    pub per_kg: String,
    /// A ramp-up as the form's steps input reads it: "J1 20 mg ; J8 50 mg".
    pub steps: String,
    pub times: String,
    pub on: String,
    pub off: String,
    pub length: String,
    /// "1-5, 8-12".
    pub blocks: String,
}

#[derive(Template)]
#[template(path = "staff/enrol.html")]
struct EnrolPage {
    layout: Layout,
    form: EnrolForm,
    lines: Vec<usize>,
    max_lines: usize,
    drugs: Vec<DrugChoice>,
    /// (code, French label).
    indications: Vec<(&'static str, &'static str)>,
    idecs: Vec<Choice>,
    oncologists: Vec<Choice>,
    hospital_pharmacists: Vec<Choice>,
    pharmacies: Vec<Choice>,
    gps: Vec<Choice>,
    nurses: Vec<Choice>,
}

#[derive(Template)]
#[template(path = "staff/activation.html")]
struct ActivationPage {
    layout: Layout,
    patient_id: String,
    name: String,
    code: String,
    expires: String,
    qr_svg: String,
    link: String,
    first: bool,
}

fn may_enrol(page: &StaffPage) -> Result<String, PageError> {
    if !page.role().may_enrol() {
        return Err(ApiError::Forbidden("only hospital staff enrol patients").into());
    }
    Ok(page.auth.staff.establishment_id.clone().ok_or(ApiError::Forbidden("your account has no establishment"))?)
}

pub(super) async fn people(state: &AppState, role: Role, est: Option<&str>) -> Result<Vec<Choice>, sea_orm::DbErr> {
    Ok(directory::professionals_with_role(&state.db, role, est)
        .await?
        .into_iter()
        .map(|p| Choice { label: format!("{} {}", p.family_name.to_uppercase(), p.given_name), id: p.id })
        .collect())
}

/// Every community pharmacy, named with its town.
pub(super) async fn pharmacies(state: &AppState) -> Result<Vec<Choice>, sea_orm::DbErr> {
    Ok(directory::pharmacies(&state.db)
        .await?
        .into_iter()
        .map(|p| Choice {
            label: match &p.city {
                Some(c) => format!("{} ({c})", p.name),
                None => p.name.clone(),
            },
            id: p.id,
        })
        .collect())
}

/// A drug's usual dose in English, from the catalogue's parts (its note is French).
fn usual_dose_en(r: &crate::domain::catalog::UsualRegimen) -> String {
    let dose = match (&r.dose, r.dose_per_m2_mg, r.dose_per_kg_mg) {
        (Some(d), _, _) => d.clone(),
        (None, Some(m2), _) => format!("{m2} mg/m²"),
        (None, None, Some(kg)) => format!("{kg} mg/kg"),
        (None, None, None) => match (r.steps.first(), r.steps.last()) {
            (Some(a), Some(z)) if r.steps.len() > 1 => format!("{} rising to {}", a.dose, z.dose),
            (Some(a), _) => a.dose.clone(),
            _ => "dose as prescribed".to_owned(),
        },
    };
    match r.cycle.as_ref().and_then(|c| c.cycle().ok()) {
        Some(c) => {
            let blocks: Vec<String> =
                c.on.iter().map(|&(a, z)| if a == z { format!("day {a}") } else { format!("days {a}–{z}") }).collect();
            format!("{dose}, {} every {} days", blocks.join(" and "), c.length)
        }
        None => dose,
    }
}

/// The form with its choosers: hospital roles of the caller's establishment only, every
/// community pharmacy and GP (they work outside the hospital).
async fn form_page(
    state: &AppState,
    page: &StaffPage,
    form: EnrolForm,
    add_line: bool,
) -> Result<EnrolPage, PageError> {
    let est = may_enrol(page)?;
    let tr = page.tr;
    let catalog = &state.rules.catalog;
    let choice = |name: &str, display: &str, r: &crate::domain::catalog::UsualRegimen, parcours: &str| {
        let cycle = r.cycle.as_ref().and_then(|c| c.cycle().ok());
        let one = cycle.as_ref().and_then(|c| c.as_on_off());
        let (length, blocks) = match (&cycle, one) {
            (Some(c), None) => (
                c.length.to_string(),
                c.on.iter()
                    .map(|&(a, b)| if a == b { a.to_string() } else { format!("{a}-{b}") })
                    .collect::<Vec<_>>()
                    .join(", "),
            ),
            _ => (String::new(), String::new()),
        };
        DrugChoice {
            name: name.to_owned(),
            // Staff read the display name and the usual schedule; the key is only the value sent.
            // The catalogue's note is French: in English, the schedule from its parts.
            label: if tr.is_en() {
                format!("{display} — {} at {} ({parcours})", usual_dose_en(r), r.times.join(", "))
            } else {
                format!("{display} — {} à {} ({parcours})", r.note, r.times.join(", "))
            },
            dose: r.dose.clone().unwrap_or_default(),
            per_m2: r.dose_per_m2_mg.map(|d| d.to_string()).unwrap_or_default(),
            per_kg: r.dose_per_kg_mg.map(|d| d.to_string()).unwrap_or_default(),
            steps: r.steps.iter().map(|s| format!("J{} {}", s.from_day, s.dose)).collect::<Vec<_>>().join(" ; "),
            times: r.times.join(", "),
            on: one.map(|o| o.0.to_string()).unwrap_or_default(),
            off: one.map(|o| o.1.to_string()).unwrap_or_default(),
            length,
            blocks,
        }
    };
    let drugs = catalog
        .iter()
        .map(|(name, d)| {
            let parcours = format!("{} {}", tr.t("parcours", "pathway"), d.parcours.as_str());
            choice(name, catalog.name_in(name, tr.0), &d.regimen, &parcours)
        })
        .chain(catalog.partners().map(|(name, p)| {
            choice(name, catalog.name_in(name, tr.0), &p.regimen, tr.t("médicament associé", "partner drug"))
        }))
        .collect();
    let pharmacies = pharmacies(state).await?;
    Ok(EnrolPage {
        layout: page.layout("enrol"),
        lines: (0..form.line_count(add_line)).collect(),
        max_lines: crate::domain::enrolment::MAX_REGIMEN_LINES,
        drugs,
        form,
        indications: INDICATIONS.iter().map(|i| (*i, super::labels::indication_in(i, tr.0))).collect(),
        idecs: people(state, Role::Idec, Some(&est)).await?,
        oncologists: people(state, Role::Oncologist, Some(&est)).await?,
        hospital_pharmacists: people(state, Role::HospitalPharmacist, Some(&est)).await?,
        pharmacies,
        gps: people(state, Role::Gp, None).await?,
        nurses: people(state, Role::CommunityNurse, None).await?,
    })
}

pub async fn form(State(state): State<AppState>, page: StaffPage) -> Result<Response, PageError> {
    let today = state.now().with_timezone(&state.site_tz()).date_naive();
    let me = (page.role() == Role::Idec).then(|| page.auth.staff.id.clone());
    html(&form_page(&state, &page, EnrolForm::blank(today, me.as_deref()), false).await?)
}

/// Enrols through the API's code; a refused field comes back next to its input.
pub async fn submit(
    State(state): State<AppState>,
    page: StaffPage,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    may_enrol(&page)?;
    let add_line = pairs.iter().any(|(k, _)| k == ADD_LINE);
    let form = EnrolForm::from_pairs(pairs);
    if add_line {
        // "Ajouter un médicament" without script: the same form, one drug line more.
        return html(&form_page(&state, &page, form, true).await?);
    }
    let req = match form.to_request(&state.rules.catalog, page.tr) {
        Ok(r) => r,
        Err(e) => return refused(&state, &page, form.with_error(&e.field, &e.message)).await,
    };
    let done = match app::patients::enrol(&state, &page.auth, &req).await {
        Ok(done) => done,
        Err(ActionError::Invalid { field, message }) => {
            return refused(&state, &page, form.with_api_error(&field, &message, page.tr)).await;
        }
        Err(ActionError::Conflict { field, message }) => {
            let message = if page.tr.is_en() {
                format!("already exists ({message})")
            } else {
                "un patient inclus porte déjà cette valeur".to_owned()
            };
            return refused(&state, &page, form.with_error(field.as_deref().unwrap_or(""), &message)).await;
        }
        Err(e) => return Err(e.into()),
    };
    let name = format!("{} {}", req.family_name.trim().to_uppercase(), req.given_name.trim());
    activation(&state, &page, done.patient_id, name, done.activation_code, done.activation_expires_at, true)
}

/// The form again, with the refusal next to its input (422).
async fn refused(state: &AppState, page: &StaffPage, form: EnrolForm) -> Result<Response, PageError> {
    let body = html(&form_page(state, page, form, false).await?)?;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, body).into_response())
}

/// A new code (the previous one stops working), shown the same way.
pub async fn new_code(
    State(state): State<AppState>,
    page: StaffPage,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let p = visible_patient(&state, &page.auth, &id).await?;
    let code = app::patients::reissue_code(&state, &page.auth, &id).await?;
    let name = format!("{} {}", p.family_name.to_uppercase(), p.given_name);
    activation(&state, &page, id, name, code.activation_code, code.activation_expires_at, false)
}

/// "Téléphone perdu": every phone and push subscription of the patient revoked at once; back to
/// the patient's page, which says how many.
pub async fn phone_lost(
    State(state): State<AppState>,
    page: StaffPage,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let done = app::patients::revoke_devices(&state, &page.auth, &id).await?;
    let to = format!("/staff/patients/{id}?phones_revoked={}", done.devices);
    Ok(axum::response::Redirect::to(&to).into_response())
}

fn activation(
    state: &AppState,
    page: &StaffPage,
    patient_id: String,
    name: String,
    code: String,
    expires: DateTime<Utc>,
    first: bool,
) -> Result<Response, PageError> {
    let link = format!("{}/app/#activate={code}", state.settings.server.public_url.trim_end_matches('/'));
    let alt = page.tr.t(
        "QR code d'activation à scanner avec le téléphone du patient",
        "Activation QR code, to scan with the patient's phone",
    );
    let qr_svg = qr::svg(&link, alt)
        .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("activation link too long for a QR code")))?;
    let expires = super::labels::at_in(expires, state.site_tz(), page.tr.0);
    let status = if first { StatusCode::CREATED } else { StatusCode::OK };
    let body =
        html(&ActivationPage { layout: page.layout("enrol"), patient_id, name, code, expires, qr_svg, link, first })?;
    Ok((status, body).into_response())
}
