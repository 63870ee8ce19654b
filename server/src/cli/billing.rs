//! `relais billing close --month YYYY-MM`: brings the forfait lines up to date and closes a
//! month that is over (`jobs::billing::close_month`; a second close changes nothing), then
//! prints the statements' totals (docs/billing.md).

use std::path::PathBuf;

use super::usage;
use crate::domain::billing::{self, Month};
use crate::jobs::billing::{CloseError, close_month};
use crate::store;

pub async fn close(month: String, config: Option<PathBuf>) -> anyhow::Result<()> {
    let Some(month) = Month::parse(&month) else {
        return usage(format!("--month: `{month}` is not a month written YYYY-MM"));
    };
    let state = super::connect(config.as_ref()).await?;
    let closed = match close_month(&state, month).await {
        Ok(c) => c,
        Err(e @ CloseError::NotOver(_)) => return usage(format!("--month: {e}")),
        Err(e) => return Err(e.into()),
    };
    let status = if closed.newly_closed { "closed now" } else { "already closed, nothing changed" };
    println!(
        "{month}: {status} ({}); {} lines, total {} €",
        closed.closed_at.to_rfc3339(),
        closed.lines,
        billing::euros_fr(closed.total_cents)
    );
    let scope = store::billing::Scope::Establishment;
    for est in store::billing::establishments(&state.db).await? {
        let lines = store::billing::statement_lines(&state.db, month, &scope(est.id.clone())).await?;
        for s in billing::statements(lines) {
            println!(
                "  {} {:<11} {:<40} {:>4} lines {:>12} €",
                est.finess,
                s.recipient_identifier,
                s.recipient_name,
                s.lines.len(),
                s.total_eur
            );
        }
    }
    Ok(())
}
