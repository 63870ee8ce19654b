//! What professionals read in their email: subject, plain text and HTML from the askama
//! templates in `server/templates/email/`, in the recipient's language (French unless their
//! account says English). A message says what kind
//! of thing is waiting and links to the staff page; never a patient's name or clinical detail
//! (the email may be read on a shared or personal device; the page checks who is asking).

use askama::Template;
use chrono::NaiveDate;
use chrono_tz::Tz;

use super::message::Message;
use crate::domain::triage::Locale;

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
    /// The alert's deadline in the site's time ("06/12/2026 à 14:32"); empty if not carried.
    pub deadline_fr: String,
    /// The same in English ("06/12/2026 14:32").
    pub deadline_en: String,
    /// "a" or "an" before the English colour ("an amber alert").
    pub article_en: &'static str,
    pub items: Vec<DigestItem>,
    /// The sentences of a plain notice (kinds without a template of their own).
    pub fr: String,
    pub en: String,
    /// Which language the recipient reads: exactly one of the two.
    pub fr_on: bool,
    pub en_on: bool,
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
        "regimen" => "dose à réévaluer après un nouveau poids",
        other => other,
    }
    .to_owned()
}

/// A day in the reader's language: "24 nov. 2026" or "24 Nov 2026".
fn day_in(d: NaiveDate, locale: Locale) -> String {
    match locale {
        Locale::Fr => crate::domain::calendar::day_fr(d),
        Locale::En => crate::domain::calendar::day_en(d),
    }
}

/// Subject and bodies (plain text, HTML) of a message sent by email; None for a message that is
/// pushed to devices. Times are written in the site's time zone `tz`.
pub fn render(message: &Message, public_url: &str, tz: Tz, locale: Locale) -> Option<(String, String, String)> {
    let base = public_url.trim_end_matches('/');
    let link = |url: &str| format!("{base}{url}");
    let mut m = Mail { fr_on: locale == Locale::Fr, en_on: locale == Locale::En, ..Mail::default() };
    let pair = |text: Result<String, askama::Error>, html: Result<String, askama::Error>| {
        // The templates are compiled in: rendering fails only on a formatting error.
        (text.unwrap_or_default(), html.unwrap_or_default())
    };
    let (subject, (text, html)) = match message {
        Message::Alert(a) | Message::AlertEscalation(a) | Message::AlertInfo(a) => {
            m.link = link(&a.url);
            m.colour_fr = colour_fr(&a.colour);
            m.colour_en = a.colour.clone();
            m.topic_fr = topic_fr(&a.topic);
            m.topic_en = a.topic.clone();
            m.level = i64::from(a.level);
            m.article_en = if a.colour.starts_with(['a', 'e', 'i', 'o', 'u']) { "an" } else { "a" };
            if let Some(d) = a.deadline_at {
                let local = d.with_timezone(&tz);
                let at = local.format("%H:%M");
                m.deadline_fr = format!("{} à {at}", day_in(local.date_naive(), Locale::Fr));
                m.deadline_en = format!("{}, {at}", day_in(local.date_naive(), Locale::En));
            }
            let (c_fr, t_fr, colour, topic) = (m.colour_fr.clone(), m.topic_fr.clone(), &a.colour, &a.topic);
            // The action and its deadline in the subject, where a busy reader sees them.
            let (by_fr, by_en) = if m.deadline_fr.is_empty() {
                (String::new(), String::new())
            } else {
                (
                    format!(" — à prendre en charge avant le {}", m.deadline_fr),
                    format!(", acknowledge by {}", m.deadline_en),
                )
            };
            match message {
                Message::Alert(_) => (
                    format!("[Relais] Alerte {c_fr} ({t_fr}){by_fr} / {colour} alert{by_en}"),
                    pair(AlertText { m: &m }.render(), AlertHtml { m: &m }.render()),
                ),
                Message::AlertEscalation(_) => (
                    format!("[Relais] RELANCE : alerte {c_fr} non acquittée / unacknowledged {colour} alert"),
                    pair(EscalationText { m: &m }.render(), EscalationHtml { m: &m }.render()),
                ),
                _ => {
                    // Informed only: the alert is someone else's to handle (its page is theirs);
                    // the patient's page, which the informed professional sees, is the link.
                    if let Some(pid) = &a.patient_id {
                        m.link = link(&format!("/staff/patients/{pid}"));
                    }
                    m.fr = format!(
                        "Pour information : une alerte {c_fr} ({t_fr}) concerne un de vos patients ; le pharmacien la prend en charge."
                    );
                    m.en = format!(
                        "For your information: a {colour} alert ({topic}) concerns one of your patients; the pharmacist is handling it."
                    );
                    (
                        "[Relais] Information sur un patient suivi / information about a patient".into(),
                        pair(NoticeText { m: &m }.render(), NoticeHtml { m: &m }.render()),
                    )
                }
            }
        }
        Message::AmberDigest(d) => {
            m.link = link(&d.url);
            m.date = day_in(d.date, locale);
            m.items = d
                .alerts
                .iter()
                .map(|a| DigestItem {
                    topic_fr: topic_fr(&a.topic),
                    topic_en: a.topic.clone(),
                    opened: day_in(a.opened, locale),
                    link: link(&a.url),
                })
                .collect();
            (
                format!("[Relais] {n} alerte(s) orange ouverte(s) / {n} open amber alert(s)", n = m.items.len()),
                pair(DigestText { m: &m }.render(), DigestHtml { m: &m }.render()),
            )
        }
        Message::GpTakeover(g) => {
            m.link = link(&g.url);
            m.date = day_in(g.date, locale);
            (
                "[Relais] Un patient passe en séquence 3 : vous prenez le relais / a patient moves to sequence 3"
                    .into(),
                pair(GpText { m: &m }.render(), GpHtml { m: &m }.render()),
            )
        }
        Message::SequenceAutoRenewed(r) => {
            // Straight to the patient's page (the IDEC is signed in to open it); the message
            // itself names no patient.
            m.link = link(&format!("/staff/patients/{}", r.patient_id));
            let seq = &r.sequence;
            m.fr = format!(
                "Faute de décision avant la fin de la séquence, la séquence {seq} d'un de vos patients a été renouvelée \
                 à partir du {}. Merci de vérifier son parcours.",
                day_in(r.start_date, locale)
            );
            m.en = format!(
                "No decision was taken before the end of the sequence, so {seq} of one of your patients was renewed \
                 from {}. Please review their pathway.",
                r.start_date
            );
            (
                "[Relais] Séquence renouvelée automatiquement / sequence renewed automatically".into(),
                pair(NoticeText { m: &m }.render(), NoticeHtml { m: &m }.render()),
            )
        }
        Message::HandoverSheet(h) => {
            // The sheet's page checks who asks; the message names no patient (docs/domain.md).
            m.link = link(&h.url);
            let (why_fr, why_en) = match h.reason.as_str() {
                "inclusion" => (
                    "un patient que vous suivez commence un traitement anticancéreux oral",
                    "a patient you follow starts an oral anticancer treatment",
                ),
                "sequence_change" => (
                    "le suivi d'un de vos patients passe à une nouvelle séquence",
                    "the follow-up of one of your patients moves to a new sequence",
                ),
                _ => ("vous rejoignez l'équipe de soins d'un patient", "you join a patient's care team"),
            };
            m.fr = format!(
                "Une fiche de liaison (version {}) est à votre disposition : {why_fr}. Elle reprend le traitement tel \
                 que le patient le prend, les points de surveillance, les contacts de l'équipe et le numéro 24 h/24 ; \
                 vous pouvez l'imprimer.",
                h.version
            );
            m.en = format!(
                "A hand-over sheet (version {}) is ready for you: {why_en}. It gives the treatment as the patient \
                 takes it, what to watch for, the team's contacts and the 24-hour number; you can print it.",
                h.version
            );
            (
                "[Relais] Fiche de liaison d'un patient / patient hand-over sheet".into(),
                pair(NoticeText { m: &m }.render(), NoticeHtml { m: &m }.render()),
            )
        }
        Message::PlanningRepaired(r) => {
            m.link = link(&r.url);
            let n = r.count;
            m.fr = format!(
                "L'auto-contrôle quotidien a trouvé {n} traitement(s) en cours sans planification de leurs rappels \
                 ou questionnaires, et l'a rétablie. C'est le signe d'un défaut du logiciel : merci de le signaler \
                 à l'éditeur avec la date de ce message (les identifiants des épisodes sont dans le journal du serveur)."
            );
            m.en = format!(
                "The daily self-check found {n} active treatment(s) whose reminders or questionnaires were not \
                 planned, and restored their planning. This is a software defect: please report it with this \
                 message's date (the episode ids are in the server's log)."
            );
            (
                "[Relais] Auto-contrôle : planification réparée / self-check: planning repaired".into(),
                pair(NoticeText { m: &m }.render(), NoticeHtml { m: &m }.render()),
            )
        }
        Message::AlertPush(_)
        | Message::AlertEscalationPush(_)
        | Message::DoseReminder(_)
        | Message::QuestionnaireDue(_)
        | Message::PushMessage(_) => return None,
    };
    Some((subject_in(&subject, locale), text, html))
}

/// The subject in one language: each is written "[Relais] French / English".
fn subject_in(both: &str, locale: Locale) -> String {
    let body = both.strip_prefix("[Relais] ").unwrap_or(both);
    let (fr, en) = body.split_once(" / ").unwrap_or((body, body));
    let one = match locale {
        Locale::Fr => fr.to_owned(),
        // English subjects are written lower-case after the slash; a subject starts upper-case.
        Locale::En => {
            let mut c = en.chars();
            c.next().map(|f| f.to_uppercase().chain(c).collect()).unwrap_or_default()
        }
    };
    format!("[Relais] {one}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::notify::message::{AlertNotice, Digest, DigestEntry};

    const PARIS: Tz = chrono_tz::Europe::Paris;

    fn alert(colour: &str, topic: &str) -> Message {
        Message::Alert(AlertNotice {
            alert_id: "A1".into(),
            colour: colour.into(),
            topic: topic.into(),
            patient_id: Some("P1".into()),
            level: 0,
            url: "/staff/alerts/A1".into(),
            deadline_at: Some("2026-12-06T13:32:00Z".parse().unwrap()),
        })
    }

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn an_alert_mail_links_to_the_staff_page_in_the_recipients_language_and_escapes_html() {
        let (subject, text, html) =
            render(&alert("red", "toxicity"), "https://relais.example/", PARIS, Locale::Fr).unwrap();
        assert_eq!(
            subject,
            "[Relais] Alerte ROUGE (effets indésirables) — à prendre en charge avant le 6 déc. 2026 à 14:32"
        );
        assert!(
            text.starts_with(
                "À faire : prendre en charge cette alerte ROUGE (effets indésirables) avant le 6 déc. 2026 à 14:32."
            ),
            "{text}"
        );
        let (subject_en, amber, amber_html) =
            render(&alert("amber", "toxicity"), "https://r", PARIS, Locale::En).unwrap();
        assert_eq!(subject_en, "[Relais] Amber alert, acknowledge by 6 Dec 2026, 14:32");
        assert!(amber.starts_with("To do: acknowledge this amber alert"), "{amber}");
        assert!(amber.contains("Do not reply") && !amber.contains("Ouvrir") && !amber.contains("alerte"), "{amber}");
        assert!(amber_html.contains("<html lang=\"en\">") && !amber_html.contains("lang=\"fr\""), "{amber_html}");
        assert!(text.contains("Ouvrir : https://relais.example/staff/alerts/A1"), "{text}");
        assert!(!text.contains("red alert") && !text.contains("Open:"), "one language: {text}");
        assert!(html.contains("href=\"https://relais.example/staff/alerts/A1\""), "{html}");
        assert!(!html.contains("lang=\"en\""), "{html}");
        assert!(
            !render(&alert("<b>", "x"), "https://r", PARIS, Locale::Fr).unwrap().2.contains("<b>"),
            "escaped in HTML"
        );
    }

    #[test]
    fn the_auto_renewal_and_information_mails_link_to_the_patient_page_without_a_name() {
        let renewed = Message::SequenceAutoRenewed(crate::notify::message::AutoRenewal {
            episode_id: "E1".into(),
            patient_id: "P1".into(),
            sequence: "S2".into(),
            renewal_index: 1,
            start_date: day("2027-03-23"),
            planned_end_date: day("2027-06-23"),
        });
        let (_, text, html) = render(&renewed, "https://r/", PARIS, Locale::Fr).unwrap();
        assert!(text.contains("https://r/staff/patients/P1"), "{text}");
        assert!(html.contains("href=\"https://r/staff/patients/P1\""), "{html}");
        assert!(text.contains("23 mars 2027") && text.contains("séquence S2") && !text.contains("so S2"), "{text}");
        let (subject, text, _) = render(&renewed, "https://r/", PARIS, Locale::En).unwrap();
        assert_eq!(subject, "[Relais] Sequence renewed automatically");
        assert!(text.contains("so S2") && !text.contains("séquence"), "{text}");
        let Message::Alert(notice) = alert("amber", "toxicity") else { unreachable!() };
        let (_, text, _) = render(&Message::AlertInfo(notice.clone()), "https://r", PARIS, Locale::Fr).unwrap();
        let pid = notice.patient_id.clone().expect("the test alert names its patient");
        assert!(text.contains(&format!("https://r/staff/patients/{pid}")), "{text}");
        assert!(!text.contains("/staff/alerts/"), "not the alert page the informed cannot open: {text}");
    }

    #[test]
    fn the_hand_over_mail_links_to_the_sheet_in_french_first_without_a_name() {
        let sheet = Message::HandoverSheet(crate::notify::message::HandoverNotice {
            episode_id: "E1".into(),
            patient_id: "P1".into(),
            version: 2,
            reason: "sequence_change".into(),
            url: "/staff/patients/P1/handover/2".into(),
        });
        let (subject, text, html) = render(&sheet, "https://r/", PARIS, Locale::Fr).unwrap();
        assert_eq!(subject, "[Relais] Fiche de liaison d'un patient");
        assert!(text.contains("https://r/staff/patients/P1/handover/2"), "{text}");
        assert!(html.contains("href=\"https://r/staff/patients/P1/handover/2\""), "{html}");
        assert!(text.starts_with("Une fiche de liaison (version 2)") && !text.contains("A hand-over sheet"), "{text}");
    }

    #[test]
    fn the_digest_lists_each_alert_with_its_link() {
        let entry = |topic: &str, opened: &str, url: &str| DigestEntry {
            alert_id: "A".into(),
            topic: topic.into(),
            opened: day(opened),
            url: url.into(),
        };
        let digest = Message::AmberDigest(Digest {
            date: day("2026-11-24"),
            url: "/staff/alerts".into(),
            alerts: vec![
                entry("adherence", "2026-11-23", "/staff/alerts/A1"),
                entry("toxicity", "2026-11-20", "/staff/alerts/A2"),
            ],
        });
        let (subject, text, html) = render(&digest, "https://r", PARIS, Locale::Fr).unwrap();
        assert_eq!(subject, "[Relais] 2 alerte(s) orange ouverte(s)");
        assert!(
            text.contains("- Alerte orange (observance), ouverte le 23 nov. 2026 : https://r/staff/alerts/A1"),
            "{text}"
        );
        assert!(html.contains("https://r/staff/alerts/A2"));
        let (subject, text, _) = render(&digest, "https://r", PARIS, Locale::En).unwrap();
        assert_eq!(subject, "[Relais] 2 open amber alert(s)");
        assert!(text.contains("Amber alert (toxicity), opened 20 Nov 2026: https://r/staff/alerts/A2"), "{text}");
    }
}
