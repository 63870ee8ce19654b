//! The administrator's and billing office's page: a closed month's forfait statements (with
//! their CSV/JSON downloads) and the evaluation indicators of a period. Both are read through
//! the actions the API uses (`app::billing`, `app::indicators`), so access rules, validation
//! and the audit log are the same.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{Datelike, Months, NaiveDate};
use serde::Deserialize;

use super::labels::{self, Tr};
use super::{Layout, PageError, StaffPage, html};
use crate::AppState;
use crate::app::{self, ActionError};
use crate::domain::access::Role;
use crate::domain::billing::{Actor, LineState, euros_fr, statements};
use crate::domain::indicators;
use crate::domain::triage::Locale;
use crate::http::error::ApiError;
use crate::store::billing::LineFilter;

#[derive(Deserialize)]
pub struct AdminQuery {
    pub notice: Option<String>,
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

/// One forfait line of the month, with what the billing office may do on it.
pub struct LineRow {
    pub id: String,
    pub service_date: String,
    pub recipient: String,
    pub identifier: String,
    pub sequence: String,
    pub amount: String,
    pub state: &'static str,
    pub may_pay: bool,
    pub may_cancel: bool,
}

/// One due-work item whose last try failed, as the administrator reads it.
pub struct FailingRow {
    pub kind: String,
    pub subject_id: String,
    pub due_at: String,
    pub attempts: i32,
    pub last_error: String,
}

/// The service's state (administrators only).
pub struct OperationsView {
    pub database_up: bool,
    pub failing_total: i64,
    pub failing: Vec<FailingRow>,
    pub messages_failed: i64,
    pub stored_value_errors: u64,
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
    operations: Option<OperationsView>,
    /// The month's lines (by service date) with their actions, for those who record payments.
    lines: Option<Vec<LineRow>>,
    /// The indicators are for administrators, not the billing office.
    show_indicators: bool,
    notice: Option<&'static str>,
}

fn state_label(s: LineState, tr: Tr) -> &'static str {
    match s {
        LineState::Due => tr.t("À exporter", "To export"),
        LineState::Exported => tr.t("Exportée", "Exported"),
        LineState::Paid => tr.t("Payée", "Paid"),
        LineState::Cancelled => tr.t("Annulée", "Cancelled"),
    }
}

/// What the last action did, from a fixed list (never text from the query string).
fn notice_label(key: Option<&str>, tr: Tr) -> Option<&'static str> {
    Some(match key? {
        "paid" => tr.t("Paiement enregistré.", "Payment recorded."),
        "cancelled" => tr.t(
            "Ligne annulée (une ligne d'avoir la compense si elle avait été exportée).",
            "Line cancelled (a credit line offsets it if it had been exported).",
        ),
        "conflict" => tr.t(
            "Action impossible dans l'état actuel de la ligne (déjà payée, annulée ou pas encore exportée).",
            "Not possible in the line's present state (already paid, cancelled or not yet exported).",
        ),
        _ => return None,
    })
}

fn recipient_label(kind: Actor, tr: Tr) -> String {
    match kind {
        Actor::Hospital => tr.t("Établissement", "Hospital"),
        Actor::Pharmacy => tr.t("Pharmacie", "Pharmacy"),
        Actor::Gp => tr.t("Médecin traitant", "GP"),
    }
    .into()
}

/// An amount in euros as the reader writes it: "56,34" in French, "56.34" in English.
fn euros_in(cents: i64, tr: Tr) -> String {
    let fr = euros_fr(cents);
    if tr.is_en() { fr.replace(',', ".") } else { fr }
}

/// Why a part of the page cannot be shown, in the reader's language. An unreachable database or
/// an internal error is not a note: the whole page answers it (503 or 500), as every page does.
fn note(e: ActionError, tr: Tr) -> Result<String, PageError> {
    Ok(match e {
        ActionError::NotFound => tr.t("Ce mois n'est pas encore clôturé.", "This month is not closed yet.").into(),
        ActionError::Forbidden(_) => {
            tr.t("Votre rôle ne donne pas accès à cette partie.", "Your role gives no access to this part.").into()
        }
        ActionError::Invalid { field, message } => format!("{field}{} {message}", tr.t(" :", ":")),
        other => return Err(other.into()),
    })
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

    let tr = page.tr;
    let locale = tr.0;
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
        operations: None,
        lines: None,
        show_indicators: page.role() == Role::Admin,
        notice: notice_label(q.notice.as_deref(), tr),
    };
    if page.role() == Role::Admin {
        let tz = state.site_tz();
        let st = app::operations::status(&state, &page.auth).await?;
        out.operations = Some(OperationsView {
            database_up: st.database_up,
            failing_total: st.failing_by_kind.iter().map(|(_, n)| n).sum(),
            failing: st
                .failing
                .into_iter()
                .map(|w| FailingRow {
                    kind: w.kind,
                    subject_id: w.subject_id,
                    due_at: labels::at_in(w.due_at, tz, locale),
                    attempts: w.attempts,
                    last_error: w.last_error,
                })
                .collect(),
            messages_failed: st.messages_failed,
            stored_value_errors: st.stored_value_errors,
        });
    }

    let statement = match app::billing::month(&month, "month") {
        Ok(m) => app::billing::month_statement(&state, &page.auth, m, None, app::billing::Identities::Omitted).await,
        Err(e) => Err(e),
    };
    match statement {
        Ok((_, lines)) => {
            out.month_total = Some(euros_in(lines.iter().map(|l| l.amount_cents).sum(), tr));
            out.statements = statements(lines)
                .into_iter()
                .map(|s| StatementRow {
                    kind: recipient_label(s.recipient_kind, tr),
                    identifier: s.recipient_identifier,
                    name: s.recipient_name,
                    lines: s.lines.len(),
                    total: euros_in(s.total_cents, tr),
                })
                .collect();
        }
        Err(e) => out.billing_note = Some(note(e, tr)?),
    }

    if page.auth.staff.role.may_bill()
        && let Ok(m) = app::billing::month(&month, "month")
    {
        let filter = LineFilter { month: Some(m), state: None, actor: None };
        let mut rows = vec![];
        for l in app::billing::lines(&state, &page.auth, &filter).await? {
            let st = l.state()?;
            rows.push(LineRow {
                may_pay: st == LineState::Exported,
                may_cancel: st != LineState::Cancelled && l.amount_cents >= 0,
                state: state_label(st, tr),
                recipient: recipient_label(l.actor()?, tr),
                identifier: l.actor_identifier.clone().unwrap_or_else(|| tr.t("— (à désigner)", "— (to name)").into()),
                sequence: l.sequence_kind.clone(),
                amount: euros_in(l.amount_cents, tr),
                service_date: labels::day_in(l.service_date, locale),
                id: l.id,
            });
        }
        out.lines = Some(rows);
    }

    if !out.show_indicators {
        return html(&out);
    }
    match app::indicators::of_period(&state, &page.auth, Some(&from), Some(&to)).await {
        Ok((_, ind)) => {
            // The CSV's rows without its first two columns (the period), as a table.
            let text = indicators::to_csv(&ind);
            // In the reader's language: the indicator's name, the window, colour and topic in words.
            let mut rows = text.lines().map(|l| l.split(';').skip(2).collect::<Vec<_>>());
            out.indicator_head = rows
                .next()
                .unwrap_or_default()
                .into_iter()
                .map(|c| labels::indicator_column_in(c, locale).to_owned())
                .collect();
            out.indicators = rows
                .map(|c| {
                    let cell = |i: usize| c.get(i).copied().unwrap_or("");
                    let optional =
                        |v: &str, f: fn(&str, Locale) -> &'static str| if v.is_empty() { "" } else { f(v, locale) };
                    let topic = match cell(5) {
                        "all" => tr.t("tous motifs", "all topics"),
                        t => optional(t, labels::topic_in),
                    };
                    IndicatorRow {
                        cells: vec![
                            labels::indicator_in(cell(0), locale).unwrap_or(cell(0)).to_owned(),
                            cell(1).to_owned(),
                            cell(2).to_owned(),
                            labels::adherence_window_in(cell(3), locale).to_owned(),
                            optional(cell(4), labels::colour_in).to_owned(),
                            topic.to_owned(),
                            // The CSV writes decimals the French way.
                            if tr.is_en() { cell(6).replace(',', ".") } else { cell(6).to_owned() },
                        ],
                    }
                })
                .collect();
        }
        Err(e) => out.indicators_note = Some(note(e, tr)?),
    }
    html(&out)
}

#[derive(Deserialize)]
pub struct LineForm {
    /// The month shown, to come back to.
    pub month: Option<String>,
}

/// Where to go back after an action on a line: the same month, with what happened.
fn back(month: Option<&str>, notice: &str) -> Response {
    let month = month.and_then(crate::domain::billing::Month::parse).map(|m| m.to_string()).unwrap_or_default();
    let query = serde_urlencoded::to_string([("month", month.as_str()), ("notice", notice)]).unwrap_or_default();
    Redirect::to(&format!("/staff/admin?{query}")).into_response()
}

/// `POST /staff/admin/lines/{id}/paid`: the billing office records a payment.
pub async fn mark_paid(
    State(state): State<AppState>,
    page: StaffPage,
    Path(id): Path<String>,
    Form(f): Form<LineForm>,
) -> Result<Response, PageError> {
    match app::billing::mark_paid(&state, &page.auth, &id).await {
        Ok(_) => Ok(back(f.month.as_deref(), "paid")),
        Err(ActionError::Conflict { .. }) => Ok(back(f.month.as_deref(), "conflict")),
        Err(e) => Err(e.into()),
    }
}

/// `POST /staff/admin/lines/{id}/cancel`: the billing office cancels a forfait share.
pub async fn cancel(
    State(state): State<AppState>,
    page: StaffPage,
    Path(id): Path<String>,
    Form(f): Form<LineForm>,
) -> Result<Response, PageError> {
    match app::billing::cancel(&state, &page.auth, &id).await {
        Ok(_) => Ok(back(f.month.as_deref(), "cancelled")),
        Err(ActionError::Conflict { .. }) => Ok(back(f.month.as_deref(), "conflict")),
        Err(e) => Err(e.into()),
    }
}
