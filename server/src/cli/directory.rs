//! `relais establishment add` and `relais pharmacy add`: the places staff work in, registered
//! before their accounts.

use std::path::PathBuf;

use super::usage;
use crate::domain::ids::{Finess, Phone};
use crate::store;

// No doc comment: clap would show it as the subcommand's help, which has none.
#[derive(Debug, clap::Args)]
pub struct AddEstablishment {
    #[arg(long)]
    pub finess: String,
    #[arg(long)]
    pub name: String,
    /// The 24 h number patients call (given in red advice).
    #[arg(long)]
    pub phone_24h: String,
    #[arg(long, default_value = "fr")]
    pub calendar: String,
    #[arg(long)]
    pub time_zone: Option<String>,
    #[arg(long)]
    pub config: Option<PathBuf>,
}

// No doc comment: clap would show it as the subcommand's help, which has none.
#[derive(Debug, clap::Args)]
pub struct AddPharmacy {
    #[arg(long)]
    pub finess: String,
    #[arg(long)]
    pub name: String,
    #[arg(long)]
    pub city: Option<String>,
    #[arg(long)]
    pub phone: Option<String>,
    #[arg(long)]
    pub config: Option<PathBuf>,
}

/// `relais establishment add`: a hospital establishment, its 24 h number, holiday calendar and
/// time zone (default: the site's).
pub async fn add_establishment(a: AddEstablishment) -> anyhow::Result<()> {
    let (settings, rules) = super::load(a.config.as_ref())?;
    let finess = Finess::parse(&a.finess).or_else(|m| usage(format!("--finess: {m}")))?;
    let phone = Phone::parse(&a.phone_24h).or_else(|m| usage(format!("--phone-24h: {m}")))?;
    if rules.calendars.get(&a.calendar).is_none() {
        let known: Vec<&str> = rules.calendars.names().collect();
        return usage(format!("--calendar: one of {}", known.join(", ")));
    }
    let tz = a.time_zone.unwrap_or_else(|| settings.site.time_zone.clone());
    if tz.parse::<chrono_tz::Tz>().is_err() {
        return usage("--time-zone: not an IANA time zone");
    }
    let state = crate::AppState::connect(settings, rules, std::sync::Arc::new(crate::SystemClock)).await?;
    let e = store::directory::create_establishment(
        &state.db,
        store::directory::NewEstablishment {
            finess: finess.as_str(),
            name: &a.name,
            phone_24h: phone.as_str(),
            calendar: &a.calendar,
            time_zone: &tz,
            backup_emails: &[],
        },
        state.now(),
    )
    .await;
    match e {
        Ok(e) => {
            println!("created establishment {} ({})", e.name, e.id);
            Ok(())
        }
        Err(e) if store::unique_violation(&e).is_some() => usage("--finess: already registered"),
        Err(e) => Err(e.into()),
    }
}

/// `relais pharmacy add`: a community pharmacy.
pub async fn add_pharmacy(a: AddPharmacy) -> anyhow::Result<()> {
    let (settings, rules) = super::load(a.config.as_ref())?;
    let finess = Finess::parse(&a.finess).or_else(|m| usage(format!("--finess: {m}")))?;
    let phone = a.phone.as_deref().map(Phone::parse).transpose().or_else(|m| usage(format!("--phone: {m}")))?;
    let state = crate::AppState::connect(settings, rules, std::sync::Arc::new(crate::SystemClock)).await?;
    let p = store::directory::create_pharmacy(
        &state.db,
        finess.as_str(),
        &a.name,
        a.city.as_deref(),
        phone.as_ref().map(|p| p.as_str()),
        state.now(),
    )
    .await;
    match p {
        Ok(p) => {
            println!("created pharmacy {} ({})", p.name, p.id);
            Ok(())
        }
        Err(e) if store::unique_violation(&e).is_some() => usage("--finess: already registered"),
        Err(e) => Err(e.into()),
    }
}
