//! The OpenAPI document, generated from the handlers' annotations and served as JSON.

use axum::Json;
use utoipa::OpenApi;

use super::{
    alerts, auth, billing, care_events, doses, episodes, indicators, interviews, patients, questionnaires, reports,
    staff_devices, views,
};
use crate::domain::enrolment;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Relais API",
        description = "Home follow-up of patients on oral anticancer drugs (Onco'Link care model)."
    ),
    paths(
        auth::login,
        alerts::list,
        alerts::detail,
        alerts::acknowledge,
        alerts::resolve,
        reports::submit,
        doses::today,
        questionnaires::pending,
        questionnaires::one,
        questionnaires::spontaneous,
        doses::confirm,
        doses::add_device,
        doses::remove_device,
        auth::logout,
        auth::me,
        auth::activate,
        auth::patient_me,
        auth::patient_logout,
        patients::enrol,
        patients::list,
        patients::get_one,
        patients::new_activation_code,
        patients::revoke_devices,
        patients::audit_trail,
        episodes::decide,
        episodes::add_comedication,
        episodes::change_regimen,
        episodes::catalog,
        billing::lines,
        billing::statement,
        billing::mark_paid,
        billing::cancel,
        interviews::record,
        interviews::codes,
        care_events::declare,
        care_events::list,
        indicators::get,
        staff_devices::add,
        staff_devices::remove,
    ),
    components(schemas(
        enrolment::EnrolRequest,
        enrolment::EpisodeRequest,
        enrolment::RegimenLineRequest,
        enrolment::CycleRequest,
        enrolment::TeamRequest,
        views::PatientView,
        views::PatientSummary,
        views::EpisodeView,
        views::SequenceView,
        views::RegimenView,
        views::TeamView,
        views::PersonRef,
    ))
)]
pub struct ApiDoc;

pub async fn document() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}
