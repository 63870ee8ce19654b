//! French words for the codes the API returns (colours, topics, statuses, roles, events) and
//! the durations and times the pages show.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

pub fn colour(c: &str) -> &'static str {
    match c {
        "red" => "Rouge",
        "amber" => "Orange",
        "green" => "Vert",
        _ => "—",
    }
}

pub fn topic(t: &str) -> &'static str {
    match t {
        "toxicity" => "Toxicité",
        "adherence" => "Observance",
        "interaction" => "Interaction médicamenteuse",
        "missed_follow_up" => "Questionnaires sans réponse",
        _ => "Autre",
    }
}

pub fn status(s: &str) -> &'static str {
    match s {
        "open" => "À prendre en charge",
        "acknowledged" => "Prise en charge",
        "resolved" => "Clôturée",
        _ => "—",
    }
}

/// "12 min", "3 h 05", "2 j 4 h".
pub fn duration(minutes: i64) -> String {
    let m = minutes.abs();
    if m < 60 {
        format!("{m} min")
    } else if m < 24 * 60 {
        format!("{} h {:02}", m / 60, m % 60)
    } else {
        format!("{} j {} h", m / (24 * 60), (m % (24 * 60)) / 60)
    }
}

/// Time left before a deadline, or how late it is.
pub fn time_left(minutes_left: i64) -> String {
    if minutes_left < 0 {
        format!("dépassé de {}", duration(minutes_left))
    } else {
        format!("reste {}", duration(minutes_left))
    }
}

/// A moment in the site's time zone, as French staff write it.
pub fn at(t: DateTime<Utc>, tz: Tz) -> String {
    t.with_timezone(&tz).format("%d/%m/%Y %H:%M").to_string()
}

/// The `tel:` address of a phone number written with spaces or dots.
pub fn tel_href(phone: &str) -> String {
    let digits: String = phone.chars().filter(|c| c.is_ascii_digit() || *c == '+').collect();
    format!("tel:{digits}")
}
