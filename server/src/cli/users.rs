//! `relais user add` and an administrator's acts on an account (`relais user disable | enable |
//! lock | unlock | reset-password | revoke-sessions`, carried out by `accounts`).

use std::path::PathBuf;

use super::{read_password, usage};
use crate::accounts::{self, Act};
use crate::domain::access::Role;
use crate::domain::ids::{Email, Phone, Rpps};
use crate::{secrets, store};

#[derive(Debug, clap::Args)]
pub struct AddUser {
    #[arg(long)]
    pub email: String,
    #[arg(long)]
    pub role: String,
    /// FINESS of the establishment (hospital roles, admin) or of the pharmacy (community pharmacist).
    #[arg(long)]
    pub establishment: Option<String>,
    #[arg(long)]
    pub rpps: Option<String>,
    #[arg(long, default_value = "")]
    pub family_name: String,
    #[arg(long, default_value = "")]
    pub given_name: String,
    #[arg(long)]
    pub phone: Option<String>,
    #[arg(long)]
    pub on_call: bool,
    #[arg(long)]
    pub password_stdin: bool,
    /// The language of their emails: fr (default) or en.
    #[arg(long, default_value = "fr")]
    pub locale: String,
    #[arg(long)]
    pub config: Option<PathBuf>,
}

/// The account an act applies to.
#[derive(Debug, clap::Args)]
pub struct AccountArgs {
    #[arg(long)]
    pub email: String,
    #[arg(long)]
    pub config: Option<PathBuf>,
}

/// `relais user add`: every option checked before the database is opened; the password read
/// from stdin, or generated and printed once.
pub async fn add(a: AddUser) -> anyhow::Result<()> {
    let (settings, rules) = super::load(a.config.as_ref())?;
    let email = Email::parse(&a.email).or_else(|m| usage(format!("--email: {m}")))?;
    let Some(role) = Role::parse(&a.role) else {
        return usage(format!("--role: one of {}", Role::ALL.map(|r| r.as_str()).join(", ")));
    };
    if let Some(r) = &a.rpps
        && let Err(m) = Rpps::parse(r)
    {
        return usage(format!("--rpps: {m}"));
    }
    if crate::domain::triage::Locale::parse(&a.locale).is_none() {
        return usage(format!("--locale: `{}` is not a language of Relais: fr or en", a.locale));
    }
    let phone = a.phone.as_deref().map(Phone::parse).transpose().or_else(|m| usage(format!("--phone: {m}")))?;
    let password = if a.password_stdin { read_password()? } else { secrets::new_token().0 };
    let state = crate::AppState::connect(settings, rules, std::sync::Arc::new(crate::SystemClock)).await?;
    let (mut est_id, mut ph_id) = (None, None);
    match (role, a.establishment) {
        (Role::CommunityPharmacist, Some(f)) => match store::directory::pharmacy_by_finess(&state.db, &f).await? {
            Some(p) => ph_id = Some(p.id),
            None => return usage(format!("--establishment: no pharmacy with FINESS {f} (relais pharmacy add)")),
        },
        (Role::CommunityPharmacist, None) => {
            return usage("--establishment: the pharmacy's FINESS is required");
        }
        (r, Some(f)) if r.needs_establishment() => {
            match store::directory::establishment_by_finess(&state.db, &f).await? {
                Some(e) => est_id = Some(e.id),
                None => {
                    return usage(format!(
                        "--establishment: no establishment with FINESS {f} (relais establishment add)"
                    ));
                }
            }
        }
        (r, None) if r.needs_establishment() => {
            return usage("--establishment: the establishment's FINESS is required for this role");
        }
        _ => {}
    }
    let hash = secrets::hash_password(&password).map_err(|e| anyhow::anyhow!("hashing: {e}"))?;
    let p = store::directory::create_professional(
        &state.db,
        store::directory::NewProfessional {
            email: email.as_str(),
            rpps: a.rpps.as_deref(),
            role,
            family_name: &a.family_name,
            given_name: &a.given_name,
            phone: phone.as_ref().map(|p| p.as_str()),
            establishment_id: est_id.as_deref(),
            pharmacy_id: ph_id.as_deref(),
            on_call: a.on_call,
            password_hash: &hash,
            locale: &a.locale,
        },
        state.now(),
    )
    .await;
    match p {
        Ok(p) => {
            println!("created {} account {} ({})", role.as_str(), email, p.id);
            if !a.password_stdin {
                println!("password (shown once): {password}");
            }
            Ok(())
        }
        Err(e) if store::unique_violation(&e).is_some() => {
            usage("--email or --rpps: an account with this value already exists")
        }
        Err(e) => Err(e.into()),
    }
}

/// An act on an account (`relais user disable | enable | lock | unlock | reset-password |
/// revoke-sessions`); with `password_stdin`, a reset's new password is read from stdin.
pub async fn act(a: AccountArgs, act: Act, password_stdin: bool) -> anyhow::Result<()> {
    let password = if password_stdin { Some(read_password()?) } else { None };
    let state = super::connect(a.config.as_ref()).await?;
    match accounts::apply(&state, &a.email, act, password, state.now()).await {
        Ok(done) => {
            println!("{} {}: done ({} session(s) ended)", act.as_str(), a.email, done.sessions_ended);
            if let Some(p) = done.new_password {
                println!("new password (shown once): {p}");
            }
            Ok(())
        }
        Err(accounts::AccountError::Unknown) => usage(format!("--email: no account with email {}", a.email)),
        Err(e) => Err(e.into()),
    }
}
