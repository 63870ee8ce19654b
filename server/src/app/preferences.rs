//! A professional's own preferences: the language of their pages and emails.

use super::{ActionError, StaffAuth};
use crate::AppState;
use crate::domain::triage::Locale;
use crate::store::{self, audit};

/// Sets the caller's language (`professionals.locale`), with its audit line, in one transaction.
pub async fn set_locale(state: &AppState, auth: &StaffAuth, locale: Locale) -> Result<(), ActionError> {
    let code = match locale {
        Locale::Fr => "fr",
        Locale::En => "en",
    };
    let txn = store::begin_write(&state.db).await?;
    if !store::auth::set_locale(&txn, &auth.professional.id, code).await? {
        return Err(ActionError::NotFound);
    }
    audit::record(
        &txn,
        audit::Entry {
            actor: &auth.actor(),
            action: "update_locale",
            entity: "professional",
            entity_id: Some(&auth.professional.id),
            patient_id: None,
            at: state.now(),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(())
}
