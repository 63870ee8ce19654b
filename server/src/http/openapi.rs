//! The OpenAPI document, generated from the handlers' annotations and served as JSON. The
//! `Contract` pass then adds what every operation shares, from the route table itself: its
//! security scheme, and the error statuses the extractors, the middlewares and the error type
//! can answer (docs/api-contract.md). The end-to-end suite validates every answer it receives
//! against this document.

use axum::Json;
use axum::http::Method;
use utoipa::openapi::path::{Operation, ParameterIn};
use utoipa::openapi::response::ResponseBuilder;
use utoipa::openapi::security::{
    ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme,
};
use utoipa::openapi::{Content, OpenApi as Document, Ref, RefOr};
use utoipa::{Modify, OpenApi};

use super::{
    alerts, api_docs, auth, billing, care_events, dispensations, doses, episodes, handover, indicators, interviews,
    patients, pharmacy_records, questionnaires, reports, staff_devices, teams, views,
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
        doses::undo,
        doses::add_device,
        doses::remove_device,
        auth::logout,
        auth::me,
        auth::activate,
        auth::patient_me,
        auth::set_patient_locale,
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
        teams::change,
        teams::read,
        handover::list,
        billing::lines,
        billing::statement,
        billing::mark_paid,
        billing::cancel,
        interviews::record,
        interviews::codes,
        care_events::declare,
        care_events::list,
        dispensations::record,
        dispensations::list,
        pharmacy_records::record_interview,
        pharmacy_records::list_interviews,
        pharmacy_records::record_reconciliation,
        pharmacy_records::list_reconciliations,
        indicators::get,
        staff_devices::add,
        staff_devices::remove,
        super::push_key,
        document,
        api_docs::page,
    ),
    components(schemas(
        crate::app::teams::TeamChange,
        crate::app::teams::TeamHistoryView,
        crate::app::teams::TeamVersionView,
        crate::app::teams::MemberView,
        crate::app::teams::MemberPeriodView,
        crate::app::dispensations::DispensationRequest,
        crate::app::dispensations::DispensationView,
        crate::app::dispensations::DispensationsView,
        crate::app::dispensations::DrugSupplyView,
        crate::app::pharmacy_records::PharmacyInterviewRequest,
        crate::app::pharmacy_records::PharmacyInterviewView,
        crate::app::pharmacy_records::PharmacyInterviewsView,
        crate::app::pharmacy_records::TopicView,
        crate::app::pharmacy_records::MedicationRequest,
        crate::app::pharmacy_records::ReconciliationRequest,
        crate::app::pharmacy_records::MedicationView,
        crate::app::pharmacy_records::ReconciliationView,
        crate::app::pharmacy_records::ReconciliationsView,
        crate::domain::pharmacy_records::Decision,
        crate::app::handover::SheetVersionView,
        enrolment::EnrolRequest,
        enrolment::EpisodeRequest,
        enrolment::RegimenLineRequest,
        enrolment::CycleRequest,
        enrolment::StepRequest,
        enrolment::TeamRequest,
        views::PatientView,
        views::PatientSummary,
        views::EpisodeView,
        views::SequenceView,
        views::RegimenView,
        views::StepView,
        views::DoseComputationView,
        views::TeamView,
        views::PersonRef,
        super::error::ErrorBody,
        super::error::ErrorDetail,
        super::error::ErrorCode,
    )),
    modifiers(&Contract)
)]
pub struct ApiDoc;

/// The document, as `/api/v1/openapi.json` serves it.
pub fn spec() -> Document {
    ApiDoc::openapi()
}

/// This document (OpenAPI 3.1).
#[utoipa::path(get, path = "/api/v1/openapi.json", responses((status = 200, description = "this document", body = Object)))]
pub async fn document() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}

/// Security scheme names, as operations name them.
pub const STAFF_BEARER: &str = "staff_bearer";
pub const STAFF_COOKIE: &str = "staff_cookie";
pub const PATIENT_DEVICE: &str = "patient_device";

/// An error answer every operation of a kind can give: status, name in `components/responses`,
/// description, and whether it carries the error body (408, from the timeout layer, has none).
const COMMON: &[(&str, &str, &str, bool)] = &[
    ("400", "BadRequest", "malformed JSON or an unreadable body (`bad_request`)", true),
    ("401", "Unauthorized", "no credentials, or credentials that are unknown, expired or revoked", true),
    (
        "403",
        "Forbidden",
        "the caller's role may not do this, or a write by session cookie without its X-CSRF-Token",
        true,
    ),
    ("404", "NotFound", "no such resource, or one the caller may not see", true),
    ("408", "Timeout", "the request took longer than the server's request timeout (empty body)", false),
    ("409", "Conflict", "the resource's state forbids it (`field` may name the cause)", true),
    ("413", "PayloadTooLarge", "the body is larger than the server's limit", true),
    ("415", "UnsupportedMediaType", "the body is not `application/json`", true),
    ("422", "Invalid", "a field's value is refused; `field` names it", true),
    ("429", "TooManyRequests", "too many attempts; `Retry-After` says when to try again", true),
    ("500", "Internal", "an internal error (never carries its cause)", true),
    (
        "503",
        "Unavailable",
        "the database cannot be reached (`unavailable`) or every password check slot is taken (`busy`); `Retry-After` says when to try again",
        true,
    ),
];

/// Adds to every operation its security and the statuses it shares with others of its kind.
struct Contract;

impl Modify for Contract {
    fn modify(&self, doc: &mut Document) {
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            STAFF_BEARER,
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("a staff session token from `POST /api/v1/auth/login`"))
                    .build(),
            ),
        );
        components.add_security_scheme(
            STAFF_COOKIE,
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                super::extract::SESSION_COOKIE,
                "the session cookie set by the sign-in page; a write also needs the X-CSRF-Token header",
            ))),
        );
        components.add_security_scheme(
            PATIENT_DEVICE,
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("a device token from `POST /api/v1/patient/activate`"))
                    .build(),
            ),
        );
        for (status, name, description, with_body) in COMMON {
            let mut response = ResponseBuilder::new().description(*description);
            if *with_body {
                response = response.content("application/json", Content::new(Some(Ref::from_schema_name("ErrorBody"))));
            }
            if *status == "400" {
                // The query-string extractor answers a bad query with a plain-text 400.
                response = response.content("text/plain", Content::new(Some(RefOr::T(string_schema()))));
            }
            components.responses.insert((*name).to_owned(), RefOr::T(response.build()));
        }
        for (method, path, access) in super::api_route_table() {
            let Some(item) = doc.paths.paths.get_mut(&format!("/api/v1{path}")) else { continue };
            let op = match method {
                Method::GET => item.get.as_mut(),
                Method::POST => item.post.as_mut(),
                Method::PUT => item.put.as_mut(),
                Method::DELETE => item.delete.as_mut(),
                Method::PATCH => item.patch.as_mut(),
                _ => None,
            };
            if let Some(op) = op {
                complete(op, &method, path, access);
            }
        }
    }
}

fn string_schema() -> utoipa::openapi::Schema {
    utoipa::openapi::ObjectBuilder::new().schema_type(utoipa::openapi::schema::Type::String).into()
}

/// The statuses an operation can answer besides those its handler names, and its security.
fn complete(op: &mut Operation, method: &Method, path: &str, access: super::Access) {
    use super::Access;
    let mut statuses: Vec<&str> = vec!["408", "500"];
    // Every route but the document, its reference page and the push key reads the database.
    if !matches!(path, "/openapi.json" | "/docs" | "/patient/push-key") {
        statuses.push("503");
    }
    match access {
        Access::Public => {}
        Access::Staff => {
            statuses.push("401");
            if *method != Method::GET {
                statuses.push("403");
            }
            op.security = Some(vec![
                SecurityRequirement::new(STAFF_BEARER, Vec::<String>::new()),
                SecurityRequirement::new(STAFF_COOKIE, Vec::<String>::new()),
            ]);
        }
        Access::Patient => {
            statuses.push("401");
            op.security = Some(vec![SecurityRequirement::new(PATIENT_DEVICE, Vec::<String>::new())]);
        }
    }
    if op.request_body.is_some() {
        statuses.extend(["400", "413", "415", "422"]);
    }
    let params = op.parameters.as_deref().unwrap_or_default();
    if params.iter().any(|p| p.parameter_in == ParameterIn::Query) {
        statuses.extend(["400", "422"]);
    }
    if params.iter().any(|p| p.parameter_in == ParameterIn::Path) {
        statuses.push("404");
    }
    // Statuses the handler named without a body get the common one (and its error body).
    let named: Vec<String> = op
        .responses
        .responses
        .iter()
        .filter(|(status, r)| status.starts_with(['4', '5']) && matches!(r, RefOr::T(r) if r.content.is_empty()))
        .map(|(status, _)| status.clone())
        .collect();
    for status in named.iter().map(String::as_str).chain(statuses) {
        let Some((_, name, _, _)) = COMMON.iter().find(|(s, ..)| *s == status) else { continue };
        let present =
            op.responses.responses.get(status).is_some_and(|r| matches!(r, RefOr::T(r) if !r.content.is_empty()));
        if !present {
            op.responses.responses.insert(status.to_owned(), RefOr::Ref(Ref::from_response_name(*name)));
        }
    }
}
