//! Typed configuration, loaded once at start-up and passed down (no globals). Layers: the
//! defaults built into the binary (`config/default.toml`), then an optional file, then
//! environment variables `RELAIS__SECTION__KEY`. Every error names the file and the key.

mod rules;

use std::fmt;
use std::path::Path;

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

pub use rules::{Rules, embedded_file};

pub const DEFAULT_TOML: &str = include_str!("../../../config/default.toml");

#[derive(Debug, thiserror::Error)]
#[error("{source_name}: {message}")]
pub struct ConfigError {
    pub source_name: String,
    pub message: String,
}

impl ConfigError {
    pub fn new(source_name: impl Into<String>, message: impl Into<String>) -> Self {
        Self { source_name: source_name.into(), message: message.into() }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    pub server: ServerSettings,
    pub database: DatabaseSettings,
    pub site: SiteSettings,
    pub security: SecuritySettings,
    pub scheduler: SchedulerSettings,
    pub reminders: ReminderSettings,
    pub push: PushSettings,
    pub email: EmailSettings,
    pub delivery: DeliverySettings,
    pub rules: RulesSettings,
    pub billing: BillingSettings,
    pub metrics: MetricsSettings,
    pub digest: DigestSettings,
    pub log: LogSettings,
    pub retention: RetentionSettings,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogSettings {
    /// "text" (one readable line per event) or "json" (one JSON object per line).
    pub format: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetentionSettings {
    /// Sent, failed and undeliverable outbox messages are deleted this many days after creation.
    pub outbox_days: u32,
    /// Done due-work items are deleted this many days after completion.
    pub due_work_days: u32,
    /// Audit entries are deleted after this many days; 0 keeps them.
    pub audit_days: u32,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DigestSettings {
    /// Local hour (site time zone, 0–23) of the daily digest of open amber alerts.
    pub hour: u32,
}

#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetricsSettings {
    /// Bearer token a Prometheus scraper presents at `/metrics`; empty: admin sessions only.
    pub token: SecretString,
}

impl fmt::Debug for MetricsSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let set = !self.token.expose_secret().is_empty();
        f.debug_struct("MetricsSettings").field("token", &if set { "***" } else { "" }).finish()
    }
}

#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmailSettings {
    /// "smtp" (the default: `smtp_url` is required) or "files" (.eml files in `file_dir`).
    pub transport: String,
    /// May carry a password: kept secret, redacted from Debug.
    pub smtp_url: SecretString,
    pub file_dir: String,
    pub from: String,
    /// "" (from the URL), "none", "starttls" or "implicit".
    pub tls: String,
    /// Extra trusted CA certificates (PEM) for the SMTP server, e.g. a hospital's internal CA.
    pub ca_file: String,
}

impl fmt::Debug for EmailSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EmailSettings")
            .field("transport", &self.transport)
            .field("smtp_url", &redact_url(self.smtp_url.expose_secret()))
            .field("file_dir", &self.file_dir)
            .field("from", &self.from)
            .field("tls", &self.tls)
            .field("ca_file", &self.ca_file)
            .finish()
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeliverySettings {
    pub batch: u32,
    pub concurrency: u32,
    pub max_attempts: u32,
    pub lease_seconds: u32,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PushSettings {
    pub allowed_origins: Vec<String>,
    pub vapid_key_file: String,
    pub vapid_subject: String,
    pub fcm_service_account_file: String,
    pub fcm_base_url: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReminderSettings {
    pub repeat_after_minutes: u32,
    pub window_minutes: u32,
    /// How long before its time a dose may be confirmed.
    pub confirm_early_minutes: u32,
    /// How long after a confirmation it may be undone.
    pub undo_minutes: u32,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerSettings {
    pub host: String,
    pub port: u16,
    pub public_url: String,
    pub body_limit_bytes: usize,
    pub request_timeout_secs: u64,
    /// The site's reverse proxies (CIDR networks): only from them is `X-Forwarded-For` read.
    pub trusted_proxies: Vec<String>,
    pub secure_cookies: bool,
}

#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseSettings {
    /// May carry a password: kept secret, redacted from Debug.
    pub url: SecretString,
    pub max_connections: u32,
}

impl fmt::Debug for DatabaseSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DatabaseSettings")
            .field("url", &redact_url(self.url.expose_secret()))
            .field("max_connections", &self.max_connections)
            .finish()
    }
}

/// `postgres://user:secret@host/db` → `postgres://user:***@host/db`.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            let user = creds.split(':').next().unwrap_or("");
            format!("{}{}:***{}", &url[..s + 3], user, &url[at..])
        }
        _ => url.to_owned(),
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SiteSettings {
    pub time_zone: String,
    pub locale: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SecuritySettings {
    pub session_ttl_hours: u32,
    /// A staff session unused this many minutes ends (besides its absolute lifetime).
    pub session_idle_minutes: u32,
    pub login_max_failures: u32,
    pub login_lockout_minutes: u32,
    pub activation_code_ttl_days: u32,
    pub activation_max_attempts: u32,
    pub activation_window_minutes: u32,
    /// A patient's device token unused this many days stops working.
    pub device_idle_days: u32,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SchedulerSettings {
    pub enabled: bool,
    pub tick_seconds: u32,
    pub dispatch_workers: u32,
    /// Local hour (site time zone, 0–23) of the daily self-check of the episodes' planning.
    pub self_check_hour: u32,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BillingSettings {
    /// Day of month M+1 (site time zone) from which the tick closes month M; 0 = by hand only.
    pub close_day: u32,
    /// How often the tick brings the forfait lines up to date with the pathway.
    pub sync_minutes: u32,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RulesSettings {
    pub dir: String,
}

impl ServerSettings {
    /// `trusted_proxies`, parsed (validated when the settings were loaded).
    pub fn trusted_proxy_networks(&self) -> Vec<crate::http::client_addr::Cidr> {
        self.trusted_proxies.iter().filter_map(|p| crate::http::client_addr::Cidr::parse(p).ok()).collect()
    }
}

impl Settings {
    /// Built-in defaults, then `file`, then the environment.
    pub fn load(file: Option<&Path>) -> Result<Self, ConfigError> {
        let vars: Vec<(String, String)> = std::env::vars().collect();
        Self::load_from(file, &vars)
    }

    pub fn load_from(file: Option<&Path>, env: &[(String, String)]) -> Result<Self, ConfigError> {
        let mut value: toml::Table = toml::from_str(DEFAULT_TOML)
            .map_err(|e| ConfigError::new("config/default.toml (built in)", e.to_string()))?;
        if let Some(path) = file {
            let name = path.display().to_string();
            let text = std::fs::read_to_string(path).map_err(|e| ConfigError::new(&name, e.to_string()))?;
            let over: toml::Table = toml::from_str(&text).map_err(|e| ConfigError::new(&name, e.to_string()))?;
            merge(&mut value, over);
        }
        for (key, raw) in env {
            let Some(path) = key.strip_prefix("RELAIS__") else { continue };
            let parts: Vec<String> = path.split("__").map(str::to_lowercase).collect();
            let [section, field] = parts.as_slice() else {
                return Err(ConfigError::new(key, "expected RELAIS__SECTION__KEY"));
            };
            let table = value
                .get_mut(section.as_str())
                .and_then(toml::Value::as_table_mut)
                .ok_or_else(|| ConfigError::new(key, format!("unknown section `{section}`")))?;
            table.insert(field.clone(), env_value(raw, table.get(field.as_str())));
        }
        let settings: Settings = toml::Value::Table(value)
            .try_into()
            .map_err(|e: toml::de::Error| ConfigError::new("configuration", e.to_string()))?;
        settings.validate()?;
        Ok(settings)
    }

    fn validate(&self) -> Result<(), ConfigError> {
        let bad = |key: &str, msg: &str| Err(ConfigError::new("configuration", format!("{key}: {msg}")));
        if self.site.time_zone.parse::<chrono_tz::Tz>().is_err() {
            return bad("site.time_zone", "not an IANA time zone (e.g. Europe/Paris)");
        }
        if !matches!(self.site.locale.as_str(), "fr" | "en") {
            return bad("site.locale", "fr or en");
        }
        let url = self.database.url.expose_secret();
        if !(url.starts_with("sqlite:") || url.starts_with("postgres://") || url.starts_with("postgresql://")) {
            return bad("database.url", "sqlite://... or postgres://...");
        }
        if self.database.max_connections == 0 {
            return bad("database.max_connections", "at least 1");
        }
        if self.security.session_ttl_hours == 0
            || self.security.activation_code_ttl_days == 0
            || self.security.device_idle_days == 0
            || self.security.session_idle_minutes == 0
        {
            return bad("security", "lifetimes must be positive");
        }
        if self.reminders.window_minutes <= self.reminders.repeat_after_minutes {
            return bad("reminders.window_minutes", "must be longer than repeat_after_minutes");
        }
        if self.reminders.confirm_early_minutes > 12 * 60 {
            return bad("reminders.confirm_early_minutes", "must be at most 720 (12 hours)");
        }
        if !(1..=60).contains(&self.reminders.undo_minutes) {
            return bad("reminders.undo_minutes", "must be between 1 and 60");
        }
        if self.email.from.parse::<lettre::message::Mailbox>().is_err() {
            return bad("email.from", "not a mailbox (e.g. Relais <no-reply@hospital.fr>)");
        }
        if !matches!(self.email.tls.as_str(), "" | "none" | "starttls" | "implicit") {
            return bad("email.tls", "empty (from smtp_url), none, starttls or implicit");
        }
        if self.delivery.batch == 0 || self.delivery.concurrency == 0 || self.delivery.max_attempts == 0 {
            return bad("delivery", "batch, concurrency and max_attempts must be positive");
        }
        if !(3..=600).contains(&self.delivery.lease_seconds) {
            return bad("delivery.lease_seconds", "must be between 3 and 600");
        }
        if self.digest.hour > 23 {
            return bad("digest.hour", "an hour of the day, 0 to 23");
        }
        if self.scheduler.tick_seconds == 0 {
            return bad("scheduler.tick_seconds", "at least 1");
        }
        if !(1..=16).contains(&self.scheduler.dispatch_workers) {
            return bad("scheduler.dispatch_workers", "between 1 and 16");
        }
        if self.billing.close_day > 28 {
            return bad("billing.close_day", "0 (by hand only) or a day from 1 to 28");
        }
        if self.billing.sync_minutes == 0 {
            return bad("billing.sync_minutes", "at least 1");
        }
        for p in &self.server.trusted_proxies {
            if let Err(m) = crate::http::client_addr::Cidr::parse(p) {
                return bad("server.trusted_proxies", &m);
            }
        }
        if !matches!(self.email.transport.as_str(), "smtp" | "files") {
            return bad("email.transport", "smtp or files");
        }
        if !matches!(self.log.format.as_str(), "text" | "json") {
            return bad("log.format", "text or json");
        }
        if self.scheduler.self_check_hour > 23 {
            return bad("scheduler.self_check_hour", "an hour of the day, 0 to 23");
        }
        let r = &self.retention;
        if r.outbox_days == 0 || r.due_work_days == 0 {
            return bad("retention", "outbox_days and due_work_days must be at least 1");
        }
        Ok(())
    }

    /// What `relais serve` refuses to start with, because the nurses' alerts or the patients'
    /// links would silently go nowhere (the demo and the tests choose their own settings).
    /// `listening` is the address the server is bound to.
    pub fn check_for_serve(&self, listening: std::net::SocketAddr) -> Result<(), ConfigError> {
        let bad = |key: &str, msg: &str| Err(ConfigError::new("configuration", format!("{key}: {msg}")));
        if self.email.transport == "smtp" && self.email.smtp_url.expose_secret().trim().is_empty() {
            return bad(
                "email.smtp_url",
                "empty: alert emails to the care team would go nowhere. Set the SMTP server, or set \
                 email.transport = \"files\" to write them as .eml files on purpose",
            );
        }
        if self.push.vapid_subject.trim().is_empty() || self.push.vapid_subject.contains("relais.invalid") {
            return bad(
                "push.vapid_subject",
                "still the placeholder: give the push services a real contact of the site (mailto: or https:)",
            );
        }
        if !(self.push.vapid_subject.starts_with("mailto:") || self.push.vapid_subject.starts_with("https://")) {
            return bad("push.vapid_subject", "must start with mailto: or https://");
        }
        let public = url::Url::parse(&self.server.public_url)
            .map_err(|e| ConfigError::new("configuration", format!("server.public_url: not a URL ({e})")))?;
        let public_is_local = match public.host() {
            Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
            Some(url::Host::Ipv4(a)) => a.is_loopback(),
            Some(url::Host::Ipv6(a)) => a.is_loopback(),
            None => true,
        };
        if public_is_local && !listening.ip().is_loopback() {
            return bad(
                "server.public_url",
                "a localhost address, but the server listens on another interface: links in emails and \
                 QR codes would not reach it. Set the address people use",
            );
        }
        Ok(())
    }
}

fn merge(base: &mut toml::Table, over: toml::Table) {
    for (k, v) in over {
        match (base.get_mut(&k), v) {
            (Some(toml::Value::Table(b)), toml::Value::Table(o)) => merge(b, o),
            (_, v) => {
                base.insert(k, v);
            }
        }
    }
}

/// Environment values are strings; give them the type of the default they replace.
fn env_value(raw: &str, current: Option<&toml::Value>) -> toml::Value {
    let typed = match current {
        Some(toml::Value::Integer(_)) => raw.parse().ok().map(toml::Value::Integer),
        Some(toml::Value::Boolean(_)) => raw.parse().ok().map(toml::Value::Boolean),
        Some(toml::Value::Float(_)) => raw.parse().ok().map(toml::Value::Float),
        // Lists are written comma-separated in the environment.
        Some(toml::Value::Array(_)) => Some(toml::Value::Array(
            raw.split(',')
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(|v| toml::Value::String(v.to_owned()))
                .collect(),
        )),
        _ => None,
    };
    // A value of the wrong type stays a string, so deserialisation names the key.
    typed.unwrap_or_else(|| toml::Value::String(raw.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect()
    }

    #[test]
    fn defaults_load_and_env_overrides_apply() {
        let s = Settings::load_from(
            None,
            &env(&[("RELAIS__SERVER__PORT", "9000"), ("RELAIS__DATABASE__URL", "postgres://u:pw@h/db")]),
        )
        .unwrap();
        assert_eq!(s.server.port, 9000);
        assert!(!format!("{s:?}").contains("pw"));
        assert!(format!("{s:?}").contains("postgres://u:***@h/db"));
    }

    #[test]
    fn bad_values_name_the_key() {
        let e = Settings::load_from(None, &env(&[("RELAIS__SITE__TIME_ZONE", "Mars/Olympus")])).unwrap_err();
        assert!(e.to_string().contains("site.time_zone"), "{e}");
        let e = Settings::load_from(None, &env(&[("RELAIS__SERVER__PORT", "many")])).unwrap_err();
        assert!(e.to_string().contains("port"), "{e}");
        let e = Settings::load_from(None, &env(&[("RELAIS__NOPE__X", "1")])).unwrap_err();
        assert!(e.to_string().contains("nope"), "{e}");
    }
}
