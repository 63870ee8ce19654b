//! Set-up shared by the server's integration tests.

use chrono::{DateTime, Utc};
use relais_server::store::{Db, directory};

/// A hospital in Paris time with the French calendar and no backup list; returns its id.
pub async fn establishment(db: &Db, now: DateTime<Utc>) -> String {
    let est = directory::NewEstablishment {
        finess: "350000011",
        name: "CH",
        phone_24h: "+33299000000",
        calendar: "fr",
        time_zone: "Europe/Paris",
        backup_emails: &[],
    };
    directory::create_establishment(db, est, now).await.unwrap().id
}
