//! The patient page's dispensations (docs/domain.md, "Dispensations"): the list with run-out
//! dates and the cross-check, and the form that records one through `app::dispensations`
//! (the API's action too). Kept apart from `patient.rs`, which is already long.

use axum::Form;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::labels::{Tr, day_in};
use super::patient::render_with;
use super::{PageError, StaffPage};
use crate::AppState;
use crate::app::ActionError;
use crate::app::dispensations::{self as dispensation_actions, DispensationRequest};
use crate::app::patients::visible_patient;
use crate::domain::triage::Locale;
use crate::store::patients;

/// The dispensations with their run-out dates and, for whoever records them, the form.
#[derive(Default)]
pub(super) struct DispensationSection {
    pub(super) may_record: bool,
    pub(super) today: String,
    /// (key, display name) of the drugs of the current regimen.
    pub(super) drugs: Vec<(String, String)>,
    /// Drug, date, units, units a day, run-out date, prescription end, state in words.
    pub(super) rows: Vec<[String; 7]>,
    /// Per drug: the cross-check with the doses confirmed taken, in words.
    pub(super) supply: Vec<String>,
    pub(super) error: String,
}

pub(super) async fn dispensation_section(
    state: &AppState,
    page: &StaffPage,
    ep: &crate::store::entities::episode::Model,
    today: chrono::NaiveDate,
    error: &str,
) -> Result<DispensationSection, PageError> {
    let v = dispensation_actions::for_page(state, ep).await?;
    let (tr, locale) = (page.tr, page.tr.0);
    let day = |d: chrono::NaiveDate| day_in(d, locale);
    let name = |drug: &str| state.rules.catalog.name_in(drug, locale).to_owned();
    let rows = v
        .dispensations
        .iter()
        .map(|d| {
            let state = if d.renewed {
                tr.t("renouvelé", "renewed")
            } else if d.overdue {
                tr.t("renouvellement en retard", "renewal overdue")
            } else {
                tr.t("en cours", "current")
            };
            [
                name(&d.drug),
                day(d.dispensed_on),
                d.units.to_string(),
                d.units_per_day.to_string(),
                day(d.run_out_date),
                d.prescription_end.map(day).unwrap_or_else(|| "—".into()),
                state.to_owned(),
            ]
        })
        .collect();
    let supply = v
        .drugs
        .iter()
        .map(|s| match locale {
            Locale::Fr => format!(
                "{} : {} unités délivrées depuis le {}, {} prises confirmées{}",
                name(&s.drug),
                s.units_dispensed,
                day(s.first_dispensed_on),
                s.units_confirmed,
                if s.mismatch { " — plus de prises confirmées que d'unités délivrées, à vérifier" } else { "" }
            ),
            Locale::En => format!(
                "{}: {} units dispensed since {}, {} doses confirmed{}",
                name(&s.drug),
                s.units_dispensed,
                day(s.first_dispensed_on),
                s.units_confirmed,
                if s.mismatch { " — more doses confirmed than units dispensed, to check" } else { "" }
            ),
        })
        .collect();
    let mut out = DispensationSection { rows, supply, error: error.to_owned(), ..DispensationSection::default() };
    if dispensation_actions::may_record_dispensation(&page.auth, ep) {
        out.may_record = true;
        out.today = today.to_string();
        out.drugs = crate::store::episodes::active_regimen(&state.db, &ep.id)
            .await?
            .into_iter()
            .map(|l| {
                let name = name(&l.drug);
                (l.drug, name)
            })
            .collect();
    }
    Ok(out)
}

#[derive(Deserialize)]
pub struct DispensationForm {
    #[serde(default)]
    drug: String,
    #[serde(default)]
    dispensed_on: String,
    #[serde(default)]
    units: String,
    #[serde(default)]
    units_per_day: String,
    #[serde(default)]
    prescription_end: String,
}

fn dispensation_field_label(field: &str, tr: Tr) -> &'static str {
    match field {
        "drug" => tr.t("médicament", "drug"),
        "dispensed_on" => tr.t("date de dispensation", "dispensation date"),
        "units" => tr.t("unités délivrées", "units dispensed"),
        "units_per_day" => tr.t("unités par jour de prise", "units per dosing day"),
        "prescription_end" => tr.t("fin d'ordonnance", "prescription end"),
        _ => tr.t("saisie", "entry"),
    }
}

/// "Dispensation refusée (label) : message" in the reader's language.
fn refusal(field: &str, message: &str, tr: Tr) -> String {
    let label = dispensation_field_label(field, tr);
    match tr.0 {
        Locale::Fr => format!("Dispensation refusée ({label}) : {message}"),
        Locale::En => format!("Dispensation refused ({label}): {message}"),
    }
}

/// Records a dispensation through the dispensation action (the API's too); back to the page
/// with a notice, or the page again with the refusal (in the reader's language, naming the
/// field).
pub async fn record_dispensation(
    State(state): State<AppState>,
    page: StaffPage,
    Path(id): Path<String>,
    Form(form): Form<DispensationForm>,
) -> Result<Response, PageError> {
    visible_patient(&state, &page.auth, &id).await?;
    let tr = page.tr;
    let ep = patients::current_episode(&state.db, &id)
        .await?
        .ok_or(ActionError::conflict(tr.t("ce suivi est terminé", "this follow-up has ended")))?;
    let number = |raw: &str, field: &str| -> Result<Option<i64>, String> {
        match raw.trim() {
            "" => Ok(None),
            n => n.parse().map(Some).map_err(|_| refusal(field, tr.t("un nombre entier.", "a whole number."), tr)),
        }
    };
    let parsed = number(&form.units, "units").and_then(|u| Ok((u, number(&form.units_per_day, "units_per_day")?)));
    let (units, units_per_day) = match parsed {
        Ok(v) => v,
        Err(text) => return render_with(&state, &page, &id, "", "", "", &text).await,
    };
    let req = DispensationRequest {
        drug: form.drug,
        dispensed_on: form.dispensed_on,
        units: units.unwrap_or(0),
        units_per_day,
        prescription_end: Some(form.prescription_end).filter(|s| !s.trim().is_empty()),
    };
    match dispensation_actions::record(&state, &page.auth, &ep.id, &req).await {
        Ok(_) => Ok(Redirect::to(&format!("/staff/patients/{id}?done=dispensation")).into_response()),
        Err(ActionError::Invalid { field, message }) => {
            let text = refusal(&field, &message, tr);
            render_with(&state, &page, &id, "", "", "", &text).await
        }
        Err(e) => Err(e.into()),
    }
}
