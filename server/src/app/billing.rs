//! Billing, shared by the API and the admin page: whose forfait lines an actor may see, a closed
//! month's statement lines, and the billing office's two actions on a line (paid, cancelled).

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use sea_orm::ConnectionTrait;

use super::{ActionError, StaffAuth};
use crate::AppState;
use crate::domain::access::Role;
use crate::domain::billing::{Month, StatementLine};
use crate::store::billing::entities::billing_line;
use crate::store::billing::{self as ledger, LineError, Scope, close_of};
use crate::store::{audit, begin_write};

/// Whose lines the caller may see; other roles have no billing access.
pub fn scope_of(auth: &StaffAuth) -> Result<Scope, ActionError> {
    let s = &auth.staff;
    match s.role {
        r if r.may_bill() => s
            .establishment_id
            .clone()
            .map(Scope::Establishment)
            .ok_or(ActionError::Forbidden("your account has no establishment")),
        Role::CommunityPharmacist => {
            s.pharmacy_id.clone().map(Scope::Pharmacy).ok_or(ActionError::Forbidden("your account has no pharmacy"))
        }
        Role::Gp => Ok(Scope::Gp(s.id.clone())),
        _ => Err(ActionError::Forbidden("billing is for admins, the billing office, pharmacies and GPs")),
    }
}

/// A month written `YYYY-MM`, or an error naming `field`.
pub fn month(raw: &str, field: &str) -> Result<Month, ActionError> {
    Month::parse(raw).ok_or_else(|| ActionError::field(field, format!("`{raw}` is not a month written YYYY-MM")))
}

/// Whether a statement read shows who each forfait is claimed for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Identities {
    /// The billing office's export: each line carries the patient's identity (docs/billing.md,
    /// "Statements"), and each patient shown gets an audit line.
    ForClaims,
    /// Totals only (the admin page's summary): no identity, no audit.
    Omitted,
}

/// A closed month's statement lines the caller may see, with the instant the month was
/// closed; `NotFound` while the month is not closed. With [`Identities::ForClaims`], the billing
/// office's lines on its establishment's statement carry the patient's identity (INS, else name
/// and birth date) and the read is audited per patient, in one transaction; other roles never
/// see an identity.
pub async fn month_statement(
    state: &AppState,
    auth: &StaffAuth,
    month: Month,
    recipient: Option<&str>,
    identities: Identities,
) -> Result<(DateTime<Utc>, Vec<StatementLine>), ActionError> {
    let scope = scope_of(auth)?;
    let closed = close_of(&state.db, month).await?.ok_or(ActionError::NotFound)?;
    let mut lines = ledger::statement_lines(&state.db, month, &scope).await?;
    if let Some(r) = recipient {
        lines.retain(|l| l.recipient_identifier == r);
    }
    if identities == Identities::ForClaims && auth.staff.role == Role::Billing && !lines.is_empty() {
        let now = state.now();
        let txn = begin_write(&state.db).await?;
        let episodes: Vec<&str> = lines.iter().map(|l| l.episode_id.as_str()).collect();
        let who = ledger::billing_identities(&txn, &episodes).await?;
        let mut audited = BTreeSet::new();
        let actor = auth.actor();
        for l in &mut lines {
            let (patient_id, identity) = who.get(&l.episode_id).ok_or_else(|| {
                ActionError::Internal(anyhow::anyhow!("billing line {}: episode {} not found", l.line_id, l.episode_id))
            })?;
            l.patient = Some(identity.clone());
            if audited.insert(patient_id.clone()) {
                let month = month.to_string();
                audit::record(
                    &txn,
                    audit::Entry {
                        actor: &actor,
                        action: "read_billing_identity",
                        entity: "billing_statement",
                        entity_id: Some(&month),
                        patient_id: Some(patient_id),
                        at: now,
                    },
                )
                .await?;
            }
        }
        txn.commit().await?;
    }
    Ok((closed.closed_at, lines))
}

impl From<LineError> for ActionError {
    fn from(e: LineError) -> Self {
        match e {
            LineError::NotFound => ActionError::NotFound,
            LineError::Conflict(m) => ActionError::conflict(m),
            LineError::Sync(s) => ActionError::Internal(s.into()),
            LineError::Db(d) => d.into(),
        }
    }
}

/// A line the caller sees and may record payments and cancellations on (the billing office and
/// administrators of its establishment); others' lines are not found.
async fn billable_line(
    db: &impl ConnectionTrait,
    auth: &StaffAuth,
    id: &str,
) -> Result<billing_line::Model, ActionError> {
    let scope = scope_of(auth)?;
    let l = ledger::line(db, id).await?.ok_or(ActionError::NotFound)?;
    if !scope.covers(&l) {
        return Err(ActionError::NotFound);
    }
    if !auth.staff.role.may_bill() {
        return Err(ActionError::Forbidden("payments and cancellations are recorded by the billing office"));
    }
    Ok(l)
}

fn audit_entry<'a>(
    actor: &'a crate::store::audit::Actor,
    action: &'static str,
    id: &'a str,
    at: DateTime<Utc>,
) -> audit::Entry<'a> {
    audit::Entry { actor, action, entity: "billing_line", entity_id: Some(id), patient_id: None, at }
}

/// Records the payment of an exported line (`exported → paid`), with its audit line, in one
/// transaction; a conflict if it is not exported or already paid.
pub async fn mark_paid(state: &AppState, auth: &StaffAuth, id: &str) -> Result<billing_line::Model, ActionError> {
    let now = state.now();
    let txn = begin_write(&state.db).await?;
    billable_line(&txn, auth, id).await?;
    let l = ledger::mark_paid(&txn, id, now).await?;
    audit::record(&txn, audit_entry(&auth.actor(), "paid", id, now)).await?;
    txn.commit().await?;
    Ok(l)
}

/// Cancels the forfait share of a line (a due line becomes `cancelled`; an exported or paid
/// one is reversed by a credit line), with its audit line, in one transaction. Returns the
/// lines of the same share afterwards.
pub async fn cancel(state: &AppState, auth: &StaffAuth, id: &str) -> Result<Vec<billing_line::Model>, ActionError> {
    let now = state.now();
    let txn = begin_write(&state.db).await?;
    let l = billable_line(&txn, auth, id).await?;
    ledger::cancel(&txn, &state.rules.tariffs, id, &auth.staff.id, now).await?;
    audit::record(&txn, audit_entry(&auth.actor(), "cancel", id, now)).await?;
    let base = format!("{}:{}", l.sequence_id, l.actor);
    let lines = crate::store::billing::lines_of_episode(&txn, &l.episode_id)
        .await?
        .into_iter()
        .filter(|r| r.line_key == base || r.line_key.starts_with(&format!("{base}:")))
        .collect();
    txn.commit().await?;
    Ok(lines)
}

/// Forfait lines the caller may see, by service date then key.
pub async fn lines(
    state: &AppState,
    auth: &StaffAuth,
    filter: &ledger::LineFilter,
) -> Result<Vec<billing_line::Model>, ActionError> {
    let scope = scope_of(auth)?;
    Ok(ledger::lines(&state.db, &scope, filter).await?)
}
