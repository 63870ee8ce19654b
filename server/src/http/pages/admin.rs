//! The administrator's and billing office's page: a closed month's forfait statements (with
//! their CSV/JSON downloads) and the evaluation indicators of a period. Both are read through
//! the staff API's own handlers, so access rules, validation and the audit log are the API's.

use askama::Template;
use axum::body::to_bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{Datelike, Months, NaiveDate};
use serde::Deserialize;
use serde_json::Value;

use super::{Layout, PageError, StaffPage, html};
use crate::AppState;
use crate::domain::access::Role;
use crate::http::billing::{StatementQuery, statement};
use crate::http::error::ApiError;
use crate::http::indicators::{IndicatorsQuery, get as indicators};

/// A closed month's statements are at most a few hundred kB; anything larger is not ours.
const MAX_BODY: usize = 8 * 1024 * 1024;

#[derive(Deserialize)]
pub struct AdminQuery {
    month: Option<String>,
    from: Option<String>,
    to: Option<String>,
}

pub struct StatementRow {
    pub kind: String,
    pub identifier: String,
    pub name: String,
    pub lines: usize,
    pub total: String,
}

pub struct IndicatorRow {
    pub cells: Vec<String>,
}

#[derive(Template)]
#[template(path = "staff/admin.html")]
struct AdminPage {
    layout: Layout,
    month: String,
    billing_note: Option<String>,
    month_total: Option<String>,
    statements: Vec<StatementRow>,
    from: String,
    to: String,
    indicators_note: Option<String>,
    indicator_head: Vec<String>,
    indicators: Vec<IndicatorRow>,
}

fn recipient_label(kind: &str) -> String {
    match kind {
        "hospital" => "Établissement".into(),
        "pharmacy" => "Pharmacie".into(),
        "gp" => "Médecin traitant".into(),
        other => other.into(),
    }
}

/// Why an API answer could not be shown, in French, for the page.
fn note(e: &ApiError) -> String {
    match e {
        ApiError::NotFound => "Ce mois n'est pas encore clôturé.".into(),
        ApiError::Forbidden(_) => "Votre rôle ne donne pas accès à cette partie.".into(),
        ApiError::Unprocessable { field, message } => format!("{field} : {message}"),
        _ => "Indisponible pour le moment.".into(),
    }
}

async fn body(r: Response) -> Result<Vec<u8>, PageError> {
    let bytes = to_bytes(r.into_body(), MAX_BODY).await.map_err(|e| ApiError::Internal(anyhow::anyhow!("{e}")))?;
    Ok(bytes.to_vec())
}

/// `GET /staff/admin`: statements of `month` (default: the previous month) and indicators from
/// `from` to `to` (default: the last three full months).
pub async fn view(
    State(state): State<AppState>,
    page: StaffPage,
    Query(q): Query<AdminQuery>,
) -> Result<Response, PageError> {
    if !matches!(page.role(), Role::Admin | Role::Billing) {
        return Err(ApiError::Forbidden("this page is for administrators and the billing office").into());
    }
    let today = state.now().with_timezone(&state.site_tz()).date_naive();
    let first = today.with_day(1).unwrap_or(today);
    let prev = first.checked_sub_months(Months::new(1)).unwrap_or(first);
    let month = q.month.filter(|m| !m.is_empty()).unwrap_or_else(|| prev.format("%Y-%m").to_string());
    let from = q
        .from
        .filter(|m| !m.is_empty())
        .unwrap_or_else(|| first.checked_sub_months(Months::new(3)).unwrap_or(first).format("%Y-%m-%d").to_string());
    let to =
        q.to.filter(|m| !m.is_empty())
            .unwrap_or_else(|| first.pred_opt().unwrap_or(NaiveDate::MIN).format("%Y-%m-%d").to_string());

    let mut out = AdminPage {
        layout: page.layout("admin"),
        month: month.clone(),
        billing_note: None,
        month_total: None,
        statements: vec![],
        from: from.clone(),
        to: to.clone(),
        indicators_note: None,
        indicator_head: vec![],
        indicators: vec![],
    };

    let answer = statement(
        State(state.clone()),
        page.api_auth(),
        Path(format!("{month}.json")),
        Query(StatementQuery { recipient: None }),
    )
    .await;
    match answer {
        Ok(r) if r.status() == StatusCode::OK => {
            let v: Value = serde_json::from_slice(&body(r).await?).map_err(|e| ApiError::Internal(e.into()))?;
            out.month_total = v["total_eur"].as_str().map(str::to_owned);
            for s in v["statements"].as_array().into_iter().flatten() {
                out.statements.push(StatementRow {
                    kind: recipient_label(s["recipient_kind"].as_str().unwrap_or_default()),
                    identifier: s["recipient_identifier"].as_str().unwrap_or_default().to_owned(),
                    name: s["recipient_name"].as_str().unwrap_or_default().to_owned(),
                    lines: s["lines"].as_array().map_or(0, Vec::len),
                    total: s["total_eur"].as_str().unwrap_or_default().to_owned(),
                });
            }
        }
        Ok(_) => out.billing_note = Some("Indisponible pour le moment.".into()),
        Err(e) => out.billing_note = Some(note(&e)),
    }

    let q = IndicatorsQuery { from: Some(from), to: Some(to), format: Some("csv".into()) };
    match indicators(State(state.clone()), page.api_auth(), Query(q)).await {
        Ok(r) if r.status() == StatusCode::OK => {
            let text = String::from_utf8(body(r).await?).map_err(|e| ApiError::Internal(e.into()))?;
            let mut rows = text.lines().map(|l| l.split(';').skip(2).map(str::to_owned).collect::<Vec<_>>());
            out.indicator_head = rows.next().unwrap_or_default();
            out.indicators = rows.map(|cells| IndicatorRow { cells }).collect();
        }
        Ok(_) => out.indicators_note = Some("Indisponible pour le moment.".into()),
        Err(e) => out.indicators_note = Some(note(&e)),
    }
    html(&out)
}
