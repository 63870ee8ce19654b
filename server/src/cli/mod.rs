//! What each `relais` subcommand does, one function per subcommand: `main.rs` parses the
//! arguments (the argument structs live here, next to their act), calls one of these and turns
//! the result into an exit code (README, "Command line"). Bad input from the operator is a
//! [`Usage`] error: exit code 2 and a message naming the option or field.

pub mod billing;
pub mod directory;
pub mod indicators;
pub mod serve;
pub mod triage;
pub mod users;

use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::{AppState, Rules, Settings, SystemClock};

/// Bad input from the operator: exit code 2 with the message.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Usage(pub String);

/// Fails with a [`Usage`] error.
pub fn usage<T>(msg: impl Into<String>) -> anyhow::Result<T> {
    Err(Usage(msg.into()).into())
}

/// Whether an error is the operator's (exit code 2, message alone) rather than the system's.
pub fn is_usage(e: &anyhow::Error) -> bool {
    e.is::<Usage>() || e.is::<crate::config::ConfigError>()
}

/// The log format before logging starts: the flag, else the setting (file or
/// RELAIS__LOG__FORMAT); a bad setting is reported when the command loads its configuration.
pub fn log_format(flag: Option<&str>, config: Option<&Path>) -> String {
    match flag {
        Some(f) => f.to_owned(),
        None => Settings::load(config).map_or_else(|_| "text".into(), |s| s.log.format),
    }
}

/// Logs to standard error, as text or one JSON object per line.
pub fn init_logging(json: bool) {
    let filter =
        tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info,sqlx=warn,sea_orm=warn".into());
    let fmt = tracing_subscriber::fmt().with_env_filter(filter).with_target(false).with_writer(std::io::stderr);
    if json {
        fmt.json().flatten_event(true).with_current_span(true).with_span_list(false).init();
    } else {
        fmt.init();
    }
}

/// The settings (built-in defaults, `config`, environment) and the rules they point to.
pub fn load(config: Option<&PathBuf>) -> anyhow::Result<(Settings, Rules)> {
    let settings = Settings::load(config.map(PathBuf::as_path))?;
    let rules = Rules::load(&settings.rules.dir)?;
    Ok((settings, rules))
}

/// Loads the settings and connects to their database (migrating it).
pub async fn connect(config: Option<&PathBuf>) -> anyhow::Result<AppState> {
    let (settings, rules) = load(config)?;
    AppState::connect(settings, rules, Arc::new(SystemClock)).await
}

/// A password from the first line of standard input, at least 12 characters.
fn read_password() -> anyhow::Result<String> {
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    let p = line.trim_end_matches(['\r', '\n']).to_owned();
    if p.chars().count() < 12 {
        return usage("password: at least 12 characters");
    }
    Ok(p)
}
