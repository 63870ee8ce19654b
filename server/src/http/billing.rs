//! Billing endpoints: forfait lines, monthly statements (CSV, JSON), paying and cancelling a
//! line; the pharmacists' interview ledger. Admins and the establishment's billing office see
//! their establishment's lines; a community pharmacist only its pharmacy's, a GP only theirs.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::error::ApiError;
use super::extract::StaffAuth;
use crate::AppState;
use crate::app;
use crate::domain::billing::{Actor, LineState, Month, Statement, euros_fr, statements, to_csv};
use crate::store::billing::{LineFilter, Scope, entities::billing_line};

pub(super) fn scope_of(auth: &StaffAuth) -> Result<Scope, ApiError> {
    Ok(app::billing::scope_of(auth)?)
}

fn month(raw: &str, field: &str) -> Result<Month, ApiError> {
    Ok(app::billing::month(raw, field)?)
}

#[derive(Serialize, ToSchema)]
pub struct LineView {
    pub id: String,
    /// Stable key: `{sequence_id}:{actor}`, `…:r{n}` for a replacement, `…:credit:{n}` for a credit.
    pub line_key: String,
    pub episode_id: String,
    pub sequence_id: String,
    pub actor: Actor,
    /// FINESS (hospital, pharmacy) or RPPS (GP); null while no such actor was on the team.
    pub actor_identifier: Option<String>,
    pub parcours: String,
    pub sequence: String,
    pub renewal_index: i32,
    pub tariff_version: String,
    /// Integer cents; negative for a credit.
    pub amount_cents: i64,
    pub amount_eur: String,
    /// The sequence's start date.
    #[schema(value_type = String, format = Date)]
    pub service_date: NaiveDate,
    pub pharmacy_at_start: Option<String>,
    pub state: LineState,
    pub credit_of: Option<String>,
    pub statement_month: Option<String>,
    pub created_at: DateTime<Utc>,
    pub exported_at: Option<DateTime<Utc>>,
    pub paid_at: Option<DateTime<Utc>>,
    pub cancelled_at: Option<DateTime<Utc>>,
}

impl TryFrom<billing_line::Model> for LineView {
    type Error = crate::store::StoredValueError;

    /// A line whose state or actor the code does not know is an error naming the row, never
    /// shown as "due" to the hospital.
    fn try_from(l: billing_line::Model) -> Result<Self, Self::Error> {
        Ok(Self {
            amount_eur: euros_fr(l.amount_cents),
            state: l.state()?,
            actor: l.actor()?,
            id: l.id,
            line_key: l.line_key,
            episode_id: l.episode_id,
            sequence_id: l.sequence_id,
            actor_identifier: l.actor_identifier,
            parcours: l.parcours,
            sequence: l.sequence_kind,
            renewal_index: l.renewal_index,
            tariff_version: l.tariff_version,
            amount_cents: l.amount_cents,
            service_date: l.service_date,
            pharmacy_at_start: l.pharmacy_at_start,
            credit_of: l.credit_of,
            statement_month: l.statement_month,
            created_at: l.created_at,
            exported_at: l.exported_at,
            paid_at: l.paid_at,
            cancelled_at: l.cancelled_at,
        })
    }
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LinesQuery {
    /// YYYY-MM: lines whose service date (sequence start) is in that month.
    pub month: Option<String>,
    /// due | exported | paid | cancelled
    pub state: Option<String>,
    /// hospital | pharmacy | gp
    pub actor: Option<String>,
}

/// Forfait lines the caller may see, by service date.
#[utoipa::path(get, path = "/api/v1/billing/lines", params(LinesQuery),
    responses((status = 200, body = Vec<LineView>), (status = 401), (status = 403), (status = 422)))]
pub async fn lines(
    State(state): State<AppState>,
    auth: StaffAuth,
    Query(q): Query<LinesQuery>,
) -> Result<Json<Vec<LineView>>, ApiError> {
    let filter = LineFilter {
        month: q.month.as_deref().map(|m| month(m, "month")).transpose()?,
        state: q
            .state
            .as_deref()
            .map(|s| LineState::parse(s).ok_or_else(|| ApiError::field("state", "due, exported, paid or cancelled")))
            .transpose()?,
        actor: q
            .actor
            .as_deref()
            .map(|a| Actor::parse(a).ok_or_else(|| ApiError::field("actor", "hospital, pharmacy or gp")))
            .transpose()?,
    };
    let rows = app::billing::lines(&state, &auth, &filter).await?;
    Ok(Json(rows.into_iter().map(LineView::try_from).collect::<Result<_, _>>()?))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StatementQuery {
    /// Only the statement of this recipient (FINESS or RPPS).
    pub recipient: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct MonthStatements {
    pub month: String,
    pub closed_at: DateTime<Utc>,
    pub total_cents: i64,
    pub total_eur: String,
    pub statements: Vec<Statement>,
}

/// A closed month's statements: `{YYYY-MM}.csv` (semicolon-separated, decimal comma; columns in
/// docs/billing.md) or `{YYYY-MM}.json`. 404 while the month is not closed.
#[utoipa::path(get, path = "/api/v1/billing/statements/{file}", params(("file" = String, Path, description = "YYYY-MM.csv or YYYY-MM.json"), StatementQuery),
    responses((status = 200, description = "the month's statements: JSON for YYYY-MM.json, CSV for YYYY-MM.csv",
        content((MonthStatements = "application/json"), (String = "text/csv"))),
        (status = 401), (status = 403), (status = 404), (status = 422)))]
pub async fn statement(
    State(state): State<AppState>,
    auth: StaffAuth,
    Path(file): Path<String>,
    Query(q): Query<StatementQuery>,
) -> Result<Response, ApiError> {
    scope_of(&auth)?;
    let (raw, csv) = match (file.strip_suffix(".csv"), file.strip_suffix(".json")) {
        (Some(m), _) => (m, true),
        (_, Some(m)) => (m, false),
        _ => return Err(ApiError::field("month", "the file is YYYY-MM.csv or YYYY-MM.json")),
    };
    let m = month(raw, "month")?;
    let (closed_at, lines) =
        app::billing::month_statement(&state, &auth, m, q.recipient.as_deref(), app::billing::Identities::ForClaims)
            .await?;
    if csv {
        let body = to_csv(m, &lines);
        let disposition = format!("attachment; filename=\"releve-forfaits-{m}.csv\"");
        return Ok((
            [(header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()), (header::CONTENT_DISPOSITION, disposition)],
            body,
        )
            .into_response());
    }
    let total_cents = lines.iter().map(|l| l.amount_cents).sum();
    Ok(Json(MonthStatements {
        month: m.to_string(),
        closed_at,
        total_cents,
        total_eur: euros_fr(total_cents),
        statements: statements(lines),
    })
    .into_response())
}

/// Records the payment of an exported line (`exported → paid`); 409 if it is not exported or
/// already paid.
#[utoipa::path(post, path = "/api/v1/billing/lines/{id}/paid", params(("id" = String, Path)),
    responses((status = 200, body = LineView), (status = 401), (status = 403), (status = 404), (status = 409)))]
pub async fn mark_paid(
    State(state): State<AppState>,
    auth: StaffAuth,
    Path(id): Path<String>,
) -> Result<Json<LineView>, ApiError> {
    let l = app::billing::mark_paid(&state, &auth, &id).await?;
    Ok(Json(l.try_into()?))
}

#[derive(Serialize, ToSchema)]
pub struct Cancelled {
    /// The lines of the same forfait share after the cancellation: the due line cancelled, or
    /// a credit line reversing what was exported.
    pub lines: Vec<LineView>,
}

/// Cancels the forfait share of a line: a due line becomes `cancelled`; an exported or paid
/// one stays as it is and a credit line (negative, due) reverses it on the next statement.
/// 409 when the share is already cancelled or credited, or for a credit line.
#[utoipa::path(post, path = "/api/v1/billing/lines/{id}/cancel", params(("id" = String, Path)),
    responses((status = 200, body = Cancelled), (status = 401), (status = 403), (status = 404), (status = 409)))]
pub async fn cancel(
    State(state): State<AppState>,
    auth: StaffAuth,
    Path(id): Path<String>,
) -> Result<Json<Cancelled>, ApiError> {
    let lines = app::billing::cancel(&state, &auth, &id)
        .await?
        .into_iter()
        .map(LineView::try_from)
        .collect::<Result<_, _>>()?;
    Ok(Json(Cancelled { lines }))
}

/// `(StatusCode::CREATED, ..)` helper shared with the interview ledger.
pub(super) fn created<T: Serialize>(body: T) -> (StatusCode, Json<T>) {
    (StatusCode::CREATED, Json(body))
}
