//! Email to professionals (lettre over rustls): SMTP with STARTTLS or implicit TLS from the
//! configured URL, pooled; without an SMTP server, .eml files in a directory (demo, tests).
//! Messages say what happened and where to look, never clinical detail.

use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use secrecy::ExposeSecret;

use crate::config::EmailSettings;
pub use crate::notify::email_templates::render;

pub enum Mailer {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    Files(AsyncFileTransport<Tokio1Executor>),
}

/// How the connection to the SMTP server is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TlsMode {
    None,
    /// STARTTLS, required: a server that does not offer it is refused, never used in clear.
    StartTls,
    /// TLS from the first byte (smtps, port 465).
    Implicit,
}

/// The `email.tls` setting, or, when empty, what the URL says (`smtps://`, `?tls=required`).
pub fn tls_mode(smtp_url: &str, setting: &str) -> anyhow::Result<TlsMode> {
    Ok(match setting {
        "none" => TlsMode::None,
        "starttls" => TlsMode::StartTls,
        "implicit" => TlsMode::Implicit,
        "" if smtp_url.starts_with("smtps://") => TlsMode::Implicit,
        // `opportunistic` is upgraded to required: alert emails never travel in clear by accident.
        "" if smtp_url.contains("tls=required") || smtp_url.contains("tls=opportunistic") => TlsMode::StartTls,
        "" => TlsMode::None,
        other => anyhow::bail!("email.tls: `{other}` is not none, starttls or implicit"),
    })
}

/// Why a send failed: worth retrying (server busy, network) or not (address refused).
#[derive(Debug)]
pub enum SendError {
    Transient(String),
    Permanent(String),
}

impl Mailer {
    pub fn from_settings(s: &EmailSettings) -> anyhow::Result<Self> {
        let url = s.smtp_url.expose_secret();
        if s.transport == "files" || url.is_empty() {
            if s.transport != "files" {
                // `relais serve` refuses this; an embedding (tests) is told.
                tracing::warn!(dir = %s.file_dir, "email.smtp_url is empty: emails are written as files");
            }
            std::fs::create_dir_all(&s.file_dir)?;
            return Ok(Self::Files(AsyncFileTransport::new(&s.file_dir)));
        }
        let builder = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|e| anyhow::anyhow!("email.smtp_url: {e}"))?
            .timeout(Some(std::time::Duration::from_secs(20)));
        let t = match tls_mode(url, &s.tls)? {
            TlsMode::None => builder.tls(Tls::None),
            mode => {
                let parsed = url::Url::parse(url).map_err(|e| anyhow::anyhow!("email.smtp_url: {e}"))?;
                let host = parsed.host_str().unwrap_or_default().to_owned();
                let mut params = TlsParameters::builder(host);
                if !s.ca_file.is_empty() {
                    let pem =
                        std::fs::read(&s.ca_file).map_err(|e| anyhow::anyhow!("email.ca_file {}: {e}", s.ca_file))?;
                    let cert = Certificate::from_pem(&pem)
                        .map_err(|e| anyhow::anyhow!("email.ca_file {}: not PEM certificates ({e})", s.ca_file))?;
                    params = params.add_root_certificate(cert);
                }
                let params = params.build().map_err(|e| anyhow::anyhow!("email TLS: {e}"))?;
                // An explicit mode without a port in the URL takes that mode's usual port.
                let port = parsed.port().unwrap_or(if mode == TlsMode::Implicit { 465 } else { 587 });
                let tls = if mode == TlsMode::Implicit { Tls::Wrapper(params) } else { Tls::Required(params) };
                builder.port(port).tls(tls)
            }
        };
        Ok(Self::Smtp(t.build()))
    }

    pub async fn send(&self, from: &str, to: &str, subject: &str, text: String, html: String) -> Result<(), SendError> {
        let from: Mailbox = from.parse().map_err(|e| SendError::Permanent(format!("from: {e}")))?;
        let to: Mailbox = to.parse().map_err(|e| SendError::Permanent(format!("to: {e}")))?;
        let msg = Message::builder()
            .from(from)
            .to(to)
            .subject(subject)
            .multipart(MultiPart::alternative_plain_html(text, html))
            .map_err(|e| SendError::Permanent(e.to_string()))?;
        match self {
            Self::Smtp(t) => t.send(msg).await.map(|_| ()).map_err(|e| {
                if e.is_permanent() { SendError::Permanent(e.to_string()) } else { SendError::Transient(e.to_string()) }
            }),
            Self::Files(t) => t.send(msg).await.map(|_| ()).map_err(|e| SendError::Transient(e.to_string())),
        }
    }
}
