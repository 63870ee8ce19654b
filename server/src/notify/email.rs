//! Email to professionals (lettre over rustls): SMTP with STARTTLS or implicit TLS from the
//! configured URL, pooled; without an SMTP server, .eml files in a directory (demo, tests).
//! Messages say what happened and where to look, never clinical detail.

use lettre::message::{Mailbox, MultiPart};
use lettre::{AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use secrecy::ExposeSecret;

use crate::config::EmailSettings;

pub enum Mailer {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    Files(AsyncFileTransport<Tokio1Executor>),
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
        if url.is_empty() {
            std::fs::create_dir_all(&s.file_dir)?;
            return Ok(Self::Files(AsyncFileTransport::new(&s.file_dir)));
        }
        let t = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|e| anyhow::anyhow!("email.smtp_url: {e}"))?
            .timeout(Some(std::time::Duration::from_secs(20)))
            .build();
        Ok(Self::Smtp(t))
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

/// Subject and bodies (plain text, HTML) of a notification, in French then English.
pub fn render(kind: &str, payload: &serde_json::Value, public_url: &str) -> (String, String, String) {
    let colour = payload["colour"].as_str().unwrap_or("");
    let topic = payload["topic"].as_str().unwrap_or("");
    let link = format!("{}{}", public_url.trim_end_matches('/'), payload["url"].as_str().unwrap_or("/staff/"));
    let (couleur, topic_fr) = (
        match colour {
            "red" => "ROUGE",
            "amber" => "orange",
            _ => colour,
        },
        match topic {
            "toxicity" => "effets indésirables",
            "adherence" => "observance",
            "interaction" => "interaction médicamenteuse",
            "missed_follow_up" => "suivi non réalisé",
            _ => topic,
        },
    );
    let (subject, fr, en) = match kind {
        "alert" => (
            format!("[Relais] Alerte {couleur} ({topic_fr}) / {colour} alert"),
            format!("Une alerte {couleur} ({topic_fr}) attend votre prise en charge."),
            format!("A {colour} alert ({topic}) is waiting for you."),
        ),
        "alert_escalation" => (
            format!("[Relais] RELANCE : alerte {couleur} non acquittée / unacknowledged {colour} alert"),
            format!(
                "Une alerte {couleur} ({topic_fr}) n'a pas été acquittée dans le délai prévu (relance n° {}).",
                payload["level"]
            ),
            format!("A {colour} alert ({topic}) was not acknowledged in time (reminder {}).", payload["level"]),
        ),
        "alert_info" => (
            "[Relais] Information sur un patient suivi / information about a patient".into(),
            format!(
                "Pour information : une alerte {couleur} ({topic_fr}) concerne un de vos patients ; le pharmacien la prend en charge."
            ),
            format!(
                "For your information: a {colour} alert ({topic}) concerns one of your patients; the pharmacist is handling it."
            ),
        ),
        "sequence_auto_renewed" => (
            "[Relais] Séquence renouvelée automatiquement / sequence renewed automatically".into(),
            format!(
                "Faute de décision avant la fin de la séquence, la séquence {} a été renouvelée. Merci de vérifier le parcours.",
                payload["sequence"].as_str().unwrap_or("")
            ),
            format!(
                "No decision was taken before the end of the sequence, so {} was renewed. Please review the pathway.",
                payload["sequence"].as_str().unwrap_or("")
            ),
        ),
        other => (
            format!("[Relais] {other}"),
            "Un nouvel élément vous attend dans Relais.".into(),
            "Something new is waiting for you in Relais.".into(),
        ),
    };
    let text = format!(
        "{fr}\nOuvrir : {link}\n\n{en}\nOpen: {link}\n\n-- \nRelais. Ne répondez pas à ce message / do not reply.\n"
    );
    let esc = |s: &str| s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;");
    let html = format!(
        "<!doctype html><html lang=\"fr\"><body><p>{}</p><p><a href=\"{l}\">Ouvrir dans Relais</a></p><hr><p lang=\"en\">{}</p><p><a href=\"{l}\">Open in Relais</a></p></body></html>",
        esc(&fr),
        esc(&en),
        l = esc(&link)
    );
    (subject, text, html)
}
