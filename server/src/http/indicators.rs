//! `GET /indicators`: the evaluation indicators of a period, as JSON or as CSV for a
//! spreadsheet (the action, with who may read them, is `app::indicators`).
//!
//! Who: an admin or a hospital professional (IDEC, oncologist, hospital pharmacist), for their
//! own establishment only. The figures are aggregates with no patient named, but they describe
//! an establishment's activity: community pharmacists and GPs, who follow patients of several
//! establishments without belonging to any, get 403.

use axum::Json;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use utoipa::IntoParams;

use super::error::ApiError;
use super::extract::StaffAuth;
use crate::AppState;
use crate::app;
use crate::domain::indicators::{self, Indicators};

#[derive(Deserialize, IntoParams)]
pub struct IndicatorsQuery {
    /// First day of the period (YYYY-MM-DD, local date), included.
    pub from: Option<String>,
    /// Last day of the period (YYYY-MM-DD), included; not before `from`.
    pub to: Option<String>,
    /// json (default) or csv (semicolon-separated, decimal comma).
    pub format: Option<String>,
}

/// The evaluation indicators of the caller's establishment over [from, to].
#[utoipa::path(get, path = "/api/v1/indicators", params(IndicatorsQuery),
    responses((status = 200, description = "JSON, or CSV with format=csv",
        content((Indicators = "application/json"), (String = "text/csv"))), (status = 401), (status = 403), (status = 422)))]
pub async fn get(
    State(state): State<AppState>,
    auth: StaffAuth,
    Query(q): Query<IndicatorsQuery>,
) -> Result<Response, ApiError> {
    let csv = match q.format.as_deref() {
        None | Some("json") => false,
        Some("csv") => true,
        Some(_) => return Err(ApiError::field("format", "json or csv")),
    };
    let (period, ind) = app::indicators::of_period(&state, &auth, q.from.as_deref(), q.to.as_deref()).await?;
    if !csv {
        return Ok(Json(ind).into_response());
    }
    let name = format!("attachment; filename=\"indicateurs-{}-{}.csv\"", period.from, period.to);
    Ok((
        [(header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()), (header::CONTENT_DISPOSITION, name)],
        indicators::to_csv(&ind),
    )
        .into_response())
}
