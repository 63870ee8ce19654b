//! The community side of the demo (docs/domain.md, "Dispensations" and "Hand-over"): what the
//! pharmacies recorded, so that each pharmacist's login opens on patients who need them — a
//! first dispensation to record, a renewal overdue, a prescription that ends before the next
//! decision, an interaction with a co-medication — and one patient who changed pharmacy in the
//! middle of the episode. Everything goes through the same actions as the pages and the API.

use chrono::{DateTime, Duration, NaiveDate, Utc};

use crate::AppState;
use crate::app::dispensations::{self, DispensationRequest};
use crate::app::episodes::{ComedicationRequest, add_comedication};
use crate::app::teams::{self, TeamChange};
use crate::app::{Ctx, StaffAuth};
use crate::store::directory;

/// Acts as a demo professional, as the pages would once they signed in.
pub async fn acting_as(state: &AppState, professional_id: &str) -> anyhow::Result<StaffAuth> {
    let professional = directory::professional(&state.db, professional_id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("demo professional {professional_id} not found"))?;
    let staff = directory::staff_of(&professional)
        .ok_or_else(|| anyhow::anyhow!("demo professional {professional_id} has an unknown role"))?;
    Ok(StaffAuth { staff, professional, token_hash: String::new(), ctx: Ctx::default() })
}

/// One dispensation the demo records: (days before today, units, units a day, prescription end
/// in days from today).
pub struct Dispensed {
    pub days_ago: i64,
    pub units: i64,
    pub units_per_day: i64,
    pub prescription_ends_in: Option<i64>,
}

/// What the pharmacy side did for one demo patient.
pub struct PharmacySide {
    pub dispensed: Option<Dispensed>,
    /// A co-medication the pharmacist declared (one with a known interaction raises an alert).
    pub comedication: Option<&'static str>,
}

/// Records a patient's dispensation and co-medication as the pharmacist who dispenses to them
/// (`dispenser`), today.
pub async fn record(
    state: &AppState,
    dispenser: &str,
    episode_id: &str,
    drug: &str,
    today: NaiveDate,
    side: &PharmacySide,
) -> anyhow::Result<()> {
    let auth = acting_as(state, dispenser).await?;
    if let Some(d) = &side.dispensed {
        let req = DispensationRequest {
            drug: drug.to_owned(),
            dispensed_on: (today - Duration::days(d.days_ago)).to_string(),
            units: d.units,
            units_per_day: Some(d.units_per_day),
            prescription_end: d.prescription_ends_in.map(|n| (today + Duration::days(n)).to_string()),
        };
        dispensations::record(state, &auth, episode_id, &req)
            .await
            .map_err(|e| anyhow::anyhow!("demo dispensation of {drug}: {e:?}"))?;
    }
    if let Some(name) = side.comedication {
        let req = ComedicationRequest { name: name.to_owned(), tags: vec![] };
        add_comedication(state, &auth, episode_id, &req)
            .await
            .map_err(|e| anyhow::anyhow!("demo co-medication: {e:?}"))?;
    }
    Ok(())
}

/// The IDEC moves the patient to another community pharmacy from `on` (the patient's new
/// pharmacy near home); the new pharmacy receives the hand-over sheet.
pub async fn change_pharmacy(
    state: &AppState,
    idec: &str,
    episode_id: &str,
    pharmacy_id: &str,
    on: NaiveDate,
    at: DateTime<Utc>,
) -> anyhow::Result<()> {
    let auth = acting_as(state, idec).await?;
    let change = TeamChange {
        effective_date: on.to_string(),
        community_pharmacy: Some(Some(pharmacy_id.to_owned())),
        ..TeamChange::default()
    };
    teams::change(state, &auth, episode_id, &change, at)
        .await
        .map_err(|e| anyhow::anyhow!("demo pharmacy change: {e:?}"))?;
    Ok(())
}
