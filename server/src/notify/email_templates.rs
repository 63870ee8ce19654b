//! What professionals read in their email: subject, plain text and HTML from the askama
//! templates in `server/templates/email/`, French first then English. A message says what kind
//! of thing is waiting and links to the staff page; never a patient's name or clinical detail
//! (the email may be read on a shared or personal device; the page checks who is asking).

use askama::Template;
use serde_json::Value;

/// What the templates show; each kind uses the fields it needs.
#[derive(Debug, Default)]
pub struct Mail {
    pub link: String,
    pub colour_fr: String,
    pub colour_en: String,
    pub topic_fr: String,
    pub topic_en: String,
    pub level: i64,
    pub date: String,
    pub items: Vec<DigestItem>,
    /// The sentences of a plain notice (kinds without a template of their own).
    pub fr: String,
    pub en: String,
}

#[derive(Debug)]
pub struct DigestItem {
    pub topic_fr: String,
    pub topic_en: String,
    pub opened: String,
    pub link: String,
}

macro_rules! pair {
    ($text:ident, $html:ident, $txt_path:literal, $html_path:literal) => {
        #[derive(Template)]
        #[template(path = $txt_path)]
        struct $text<'a> {
            m: &'a Mail,
        }
        #[derive(Template)]
        #[template(path = $html_path)]
        struct $html<'a> {
            m: &'a Mail,
        }
    };
}

pair!(AlertText, AlertHtml, "email/alert.txt", "email/alert.html");
pair!(EscalationText, EscalationHtml, "email/escalation.txt", "email/escalation.html");
pair!(DigestText, DigestHtml, "email/digest.txt", "email/digest.html");
pair!(GpText, GpHtml, "email/gp_takeover.txt", "email/gp_takeover.html");
pair!(NoticeText, NoticeHtml, "email/notice.txt", "email/notice.html");

fn colour_fr(colour: &str) -> String {
    match colour {
        "red" => "ROUGE",
        "amber" => "orange",
        "green" => "verte",
        other => other,
    }
    .to_owned()
}

fn topic_fr(topic: &str) -> String {
    match topic {
        "toxicity" => "effets indésirables",
        "adherence" => "observance",
        "interaction" => "interaction médicamenteuse",
        "missed_follow_up" => "suivi non réalisé",
        other => other,
    }
    .to_owned()
}

/// `2026-11-24` → `24/11/2026` (French readers first).
fn date_fr(iso: &str) -> String {
    chrono::NaiveDate::parse_from_str(iso, "%Y-%m-%d")
        .map_or_else(|_| iso.to_owned(), |d| d.format("%d/%m/%Y").to_string())
}

/// Subject and bodies (plain text, HTML) of a notification.
pub fn render(kind: &str, payload: &Value, public_url: &str) -> (String, String, String) {
    let base = public_url.trim_end_matches('/');
    let s = |k: &str| payload[k].as_str().unwrap_or("").to_owned();
    let colour = s("colour");
    let topic = s("topic");
    let mut m = Mail {
        link: format!("{base}{}", payload["url"].as_str().unwrap_or("/staff/")),
        colour_fr: colour_fr(&colour),
        colour_en: colour.clone(),
        topic_fr: topic_fr(&topic),
        topic_en: topic.clone(),
        level: payload["level"].as_i64().unwrap_or(0),
        date: date_fr(&s("date")),
        ..Mail::default()
    };
    let (c_fr, t_fr) = (m.colour_fr.clone(), m.topic_fr.clone());
    let pair = |text: Result<String, askama::Error>, html: Result<String, askama::Error>| {
        // The templates are compiled in: rendering fails only on a formatting error.
        (text.unwrap_or_default(), html.unwrap_or_default())
    };
    let (subject, (text, html)) = match kind {
        "alert" => (
            format!("[Relais] Alerte {c_fr} ({t_fr}) / {colour} alert"),
            pair(AlertText { m: &m }.render(), AlertHtml { m: &m }.render()),
        ),
        "alert_escalation" => (
            format!("[Relais] RELANCE : alerte {c_fr} non acquittée / unacknowledged {colour} alert"),
            pair(EscalationText { m: &m }.render(), EscalationHtml { m: &m }.render()),
        ),
        "amber_digest" => {
            m.items = payload["alerts"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|a| {
                    let topic = a["topic"].as_str().unwrap_or("").to_owned();
                    DigestItem {
                        topic_fr: topic_fr(&topic),
                        topic_en: topic,
                        opened: date_fr(a["opened"].as_str().unwrap_or("")),
                        link: format!("{base}{}", a["url"].as_str().unwrap_or("/staff/alerts")),
                    }
                })
                .collect();
            (
                format!("[Relais] {} alerte(s) orange ouverte(s) / open amber alerts", m.items.len()),
                pair(DigestText { m: &m }.render(), DigestHtml { m: &m }.render()),
            )
        }
        "gp_takeover" => (
            "[Relais] Un patient passe en séquence 3 : vous prenez le relais / a patient moves to sequence 3".into(),
            pair(GpText { m: &m }.render(), GpHtml { m: &m }.render()),
        ),
        other => {
            let (subject, fr, en) = notice(other, payload, &c_fr, &colour, &t_fr, &topic);
            m.fr = fr;
            m.en = en;
            (subject, pair(NoticeText { m: &m }.render(), NoticeHtml { m: &m }.render()))
        }
    };
    (subject, text, html)
}

fn notice(kind: &str, payload: &Value, c_fr: &str, colour: &str, t_fr: &str, topic: &str) -> (String, String, String) {
    match kind {
        "alert_info" => (
            "[Relais] Information sur un patient suivi / information about a patient".into(),
            format!(
                "Pour information : une alerte {c_fr} ({t_fr}) concerne un de vos patients ; le pharmacien la prend en charge."
            ),
            format!(
                "For your information: a {colour} alert ({topic}) concerns one of your patients; the pharmacist is handling it."
            ),
        ),
        "sequence_auto_renewed" => {
            let seq = payload["sequence"].as_str().unwrap_or("");
            (
                "[Relais] Séquence renouvelée automatiquement / sequence renewed automatically".into(),
                format!(
                    "Faute de décision avant la fin de la séquence, la séquence {seq} a été renouvelée. Merci de vérifier le parcours."
                ),
                format!(
                    "No decision was taken before the end of the sequence, so {seq} was renewed. Please review the pathway."
                ),
            )
        }
        "planning_repaired" => {
            let n = payload["count"].as_u64().unwrap_or(0);
            (
                "[Relais] Auto-contrôle : planification réparée / self-check: planning repaired".into(),
                format!(
                    "L'auto-contrôle quotidien a trouvé {n} traitement(s) en cours sans planification de leurs rappels \
                     ou questionnaires, et l'a rétablie. C'est le signe d'un défaut du logiciel : merci de le signaler \
                     à l'éditeur avec la date de ce message (les identifiants des épisodes sont dans le journal du serveur)."
                ),
                format!(
                    "The daily self-check found {n} active treatment(s) whose reminders or questionnaires were not \
                     planned, and restored their planning. This is a software defect: please report it with this \
                     message's date (the episode ids are in the server's log)."
                ),
            )
        }
        other => (
            format!("[Relais] {other}"),
            "Un nouvel élément vous attend dans Relais.".into(),
            "Something new is waiting for you in Relais.".into(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn an_alert_mail_links_to_the_staff_page_in_both_languages_and_escapes_html() {
        let p = json!({"colour": "red", "topic": "toxicity", "url": "/staff/alerts/A1", "level": 0});
        let (subject, text, html) = render("alert", &p, "https://relais.example/");
        assert_eq!(subject, "[Relais] Alerte ROUGE (effets indésirables) / red alert");
        assert!(text.contains("Ouvrir : https://relais.example/staff/alerts/A1"), "{text}");
        assert!(text.find("Une alerte ROUGE").unwrap() < text.find("A red alert").unwrap(), "French first");
        assert!(html.contains("href=\"https://relais.example/staff/alerts/A1\""), "{html}");
        let p = json!({"colour": "<b>", "topic": "x", "url": "/staff/alerts/A1"});
        assert!(!render("alert", &p, "https://r").2.contains("<b>"), "escaped in HTML");
    }

    #[test]
    fn the_digest_lists_each_alert_with_its_link() {
        let p = json!({"date": "2026-11-24", "url": "/staff/alerts", "alerts": [
            {"topic": "adherence", "opened": "2026-11-23", "url": "/staff/alerts/A1"},
            {"topic": "toxicity", "opened": "2026-11-20", "url": "/staff/alerts/A2"}]});
        let (subject, text, html) = render("amber_digest", &p, "https://r");
        assert!(subject.starts_with("[Relais] 2 alerte(s) orange"), "{subject}");
        assert!(
            text.contains("- Alerte orange (observance), ouverte le 23/11/2026 : https://r/staff/alerts/A1"),
            "{text}"
        );
        assert!(text.contains("Amber alert (toxicity), opened 20/11/2026: https://r/staff/alerts/A2"), "{text}");
        assert!(html.contains("https://r/staff/alerts/A2"));
    }
}
