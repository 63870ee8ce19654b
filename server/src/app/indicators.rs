//! The evaluation indicators of a period for the caller's establishment (docs/domain.md,
//! "Indicators"), shared by the API and the admin page; the read is audited.
//!
//! Who: an admin or a hospital professional (IDEC, oncologist, hospital pharmacist), for their
//! own establishment only. The figures are aggregates with no patient named, but they describe
//! an establishment's activity: community pharmacists and GPs, who follow patients of several
//! establishments without belonging to any, are refused.

use super::{ActionError, StaffAuth};
use crate::AppState;
use crate::domain::access::Role;
use crate::domain::indicators::{self, Indicators, Period};
use crate::store::{self, audit};

/// The indicators of the caller's establishment over [from, to] (local dates, `YYYY-MM-DD`).
pub async fn of_period(
    state: &AppState,
    auth: &StaffAuth,
    from: Option<&str>,
    to: Option<&str>,
) -> Result<(Period, Indicators), ActionError> {
    if !(auth.staff.role == Role::Admin || auth.staff.role.is_hospital()) {
        return Err(ActionError::Forbidden("indicators are for the hospital team and admins of an establishment"));
    }
    let est = auth.staff.establishment_id.clone().ok_or(ActionError::Forbidden("your account has no establishment"))?;
    let period = Period::parse(from, to)?;
    let facts = store::indicators::facts(&state.db, &period, Some(&est), state.site_tz(), state.now()).await?;
    let ind = indicators::compute(&period, &facts);
    audit::record(
        &state.db,
        audit::Entry {
            actor: &auth.actor(),
            action: "read",
            entity: "indicators",
            entity_id: Some(&est),
            patient_id: None,
            at: state.now(),
        },
    )
    .await?;
    Ok((period, ind))
}
