//! The words of the staff pages for the codes the API returns (colours, topics, statuses, roles,
//! events), in French and, where a page is bilingual, English; the durations and times they show.

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;

use crate::domain::triage::Locale;

/// The language of a page: its professional's (`professionals.locale`), French by default for
/// pages without a session. Templates write each text in both languages, French first:
/// `{{ tr.t("Alertes", "Alerts") }}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tr(pub Locale);

impl Tr {
    pub const FR: Self = Self(Locale::Fr);

    /// The text of the page's language.
    pub fn t<'a>(&self, fr: &'a str, en: &'a str) -> &'a str {
        match self.0 {
            Locale::Fr => fr,
            Locale::En => en,
        }
    }

    /// The `lang` attribute of the page.
    pub fn lang(&self) -> &'static str {
        match self.0 {
            Locale::Fr => "fr",
            Locale::En => "en",
        }
    }

    pub fn is_en(&self) -> bool {
        self.0 == Locale::En
    }
}

pub fn colour(c: &str) -> &'static str {
    colour_in(c, Locale::Fr)
}

pub fn colour_in(c: &str, locale: Locale) -> &'static str {
    let t = Tr(locale);
    match c {
        "red" => t.t("Rouge", "Red"),
        "amber" => t.t("Orange", "Amber"),
        "green" => t.t("Vert", "Green"),
        _ => "—",
    }
}

pub fn topic(t: &str) -> &'static str {
    topic_in(t, Locale::Fr)
}

pub fn topic_in(topic: &str, locale: Locale) -> &'static str {
    let t = Tr(locale);
    match topic {
        "toxicity" => t.t("Toxicité", "Toxicity"),
        "adherence" => t.t("Observance", "Adherence"),
        "interaction" => t.t("Interaction médicamenteuse", "Drug interaction"),
        "missed_follow_up" => t.t("Questionnaires sans réponse", "Unanswered questionnaires"),
        "regimen" => t.t("Dose à réévaluer (nouveau poids)", "Dose to re-evaluate (new weight)"),
        _ => t.t("Autre", "Other"),
    }
}

/// The French name of an indicator of the CSV (docs/indicators.md); `None` for a key this table
/// lacks (a test fails then).
pub fn indicator(key: &str) -> Option<&'static str> {
    Some(match key {
        "patients_included" => "Patients inclus",
        "patients_followed" => "Patients suivis",
        "active_episodes" => "Épisodes en suivi",
        "active_episodes_at_end" => "Épisodes en suivi à la fin de la période",
        "patients_in_sequence" => "Patients dans la séquence",
        "sequences_started" => "Séquences commencées",
        "sequences_renewed" => "Séquences renouvelées",
        "adherence_episodes" => "Observance : épisodes",
        "adherence_doses_taken" => "Observance : prises confirmées",
        "adherence_doses_due" => "Observance : prises prévues",
        "adherence_percent" => "Observance (%)",
        "adherence_mean_episode_percent" => "Observance moyenne par épisode (%)",
        "adverse_events_grade_3_provisional" => "Effets indésirables de grade ≥ 3 (provisoires)",
        "adverse_events_grade_3_confirmed" => "Effets indésirables de grade ≥ 3 (confirmés)",
        "adverse_events_grade_3_awaiting_confirmation" => "Effets indésirables de grade ≥ 3 (à confirmer)",
        "alerts" => "Alertes",
        "alerts_acknowledged" => "Alertes prises en charge",
        "alerts_median_minutes_to_acknowledge" => "Délai médian de prise en charge (min)",
        "alerts_p90_minutes_to_acknowledge" => "Délai de prise en charge, 90e centile (min)",
        "questionnaires_due" => "Questionnaires attendus",
        "questionnaires_completed" => "Questionnaires remplis",
        "questionnaires_completion_percent" => "Questionnaires remplis (%)",
        "emergency_visits" => "Passages aux urgences",
        "unplanned_hospitalisations" => "Hospitalisations non programmées",
        "care_events_related_to_treatment" => "Événements liés au traitement",
        "patients_with_emergency_visit" => "Patients passés aux urgences",
        "emergency_visit_percent" => "Patients passés aux urgences (%)",
        "patients_with_unplanned_hospitalisation" => "Patients hospitalisés sans programmation",
        "unplanned_hospitalisation_percent" => "Patients hospitalisés sans programmation (%)",
        _ => return None,
    })
}

/// The column names of the indicators table (the CSV's, after its period).
pub fn indicator_column(key: &str) -> &'static str {
    match key {
        "indicator" => "Indicateur",
        "parcours" => "Parcours",
        "sequence" => "Séquence",
        "window" => "Période d'observance",
        "colour" => "Couleur",
        "topic" => "Motif",
        "value" => "Valeur",
        _ => "—",
    }
}

/// An adherence window of the indicators.
pub fn adherence_window(key: &str) -> &'static str {
    match key {
        "months_0_3" => "mois 0 à 3",
        "months_6_9" => "mois 6 à 9",
        "" => "",
        _ => "—",
    }
}

/// A product property (catalogue tag) as a pharmacist names it in `locale`; `None` for a tag
/// this table lacks (a test fails then).
pub fn tag_in(t: &str, locale: Locale) -> Option<&'static str> {
    let (fr, en) = match t {
        "myelosuppressive" => ("Myélosuppresseur", "Myelosuppressive"),
        "cyp3a4_substrate" => ("Substrat du CYP3A4", "CYP3A4 substrate"),
        "strong_cyp3a4_inhibitor" => ("Inhibiteur puissant du CYP3A4", "Strong CYP3A4 inhibitor"),
        "moderate_cyp3a4_inhibitor" => ("Inhibiteur modéré du CYP3A4", "Moderate CYP3A4 inhibitor"),
        "cyp2d6_substrate" => ("Activé par le CYP2D6", "Activated by CYP2D6"),
        "strong_cyp2d6_inhibitor" => ("Inhibiteur puissant du CYP2D6", "Strong CYP2D6 inhibitor"),
        "strong_cyp3a4_inducer" => ("Inducteur puissant du CYP3A4", "Strong CYP3A4 inducer"),
        "pgp_substrate" => ("Substrat de la P-gp", "P-gp substrate"),
        "ph_dependent_absorption" => ("Absorption dépendante du pH gastrique", "Absorption depends on gastric pH"),
        "acid_reducer" => ("Réducteur d'acidité (IPP, anti-H2, antiacide)", "Acid reducer (PPI, H2 blocker, antacid)"),
        "qt_prolonging" => ("Allonge l'intervalle QT", "QT-prolonging"),
        "anticoagulant" => ("Anticoagulant", "Anticoagulant"),
        "antiplatelet" => ("Antiagrégant plaquettaire", "Antiplatelet"),
        "bleeding_risk" => ("Risque hémorragique", "Bleeding risk"),
        "hepatotoxic" => ("Hépatotoxique", "Hepatotoxic"),
        "teratogenic" => ("Tératogène", "Teratogenic"),
        "hormonotherapy" => ("Hormonothérapie", "Hormone therapy"),
        "narrow_therapeutic_index" => ("Marge thérapeutique étroite", "Narrow therapeutic index"),
        _ => return None,
    };
    Some(Tr(locale).t(fr, en))
}

/// The treatment's indication (docs/indicators.md), as a French clinician says it.
pub fn indication(i: &str) -> &'static str {
    match i {
        "adjuvant" => "Adjuvant",
        "neoadjuvant" => "Néoadjuvant",
        "advanced" => "Avancé ou métastatique",
        "haematological" => "Hémopathie maligne",
        "other" => "Autre",
        _ => "—",
    }
}

pub fn status(s: &str) -> &'static str {
    status_in(s, Locale::Fr)
}

pub fn status_in(s: &str, locale: Locale) -> &'static str {
    let t = Tr(locale);
    match s {
        "open" => t.t("À prendre en charge", "To acknowledge"),
        "acknowledged" => t.t("Prise en charge", "Acknowledged"),
        "resolved" => t.t("Clôturée", "Closed"),
        _ => "—",
    }
}

/// The state of a sequence (`sequences.state`).
pub fn sequence_state(s: &str) -> &'static str {
    match s {
        "active" => "en cours",
        "completed" => "terminée",
        "ended" => "arrêtée",
        "cancelled" => "annulée (erreur d'inclusion)",
        _ => "—",
    }
}

/// "12 min", "3 h 05", "2 j 4 h" ("2 d 4 h" in English).
pub fn duration_in(minutes: i64, locale: Locale) -> String {
    let m = minutes.abs();
    if m < 60 {
        format!("{m} min")
    } else if m < 24 * 60 {
        format!("{} h {:02}", m / 60, m % 60)
    } else {
        format!("{} {} {} h", m / (24 * 60), Tr(locale).t("j", "d"), (m % (24 * 60)) / 60)
    }
}

/// Time left before a deadline, or how late it is.
pub fn time_left_in(minutes_left: i64, locale: Locale) -> String {
    let d = duration_in(minutes_left, locale);
    match (minutes_left < 0, locale) {
        (true, Locale::Fr) => format!("dépassé de {d}"),
        (true, Locale::En) => format!("overdue by {d}"),
        (false, Locale::Fr) => format!("reste {d}"),
        (false, Locale::En) => format!("{d} left"),
    }
}

/// A day as French staff read it: "5 déc. 2026" (birth dates stay 05/12/1950, as on an identity
/// document).
pub fn day(d: impl AsDay) -> String {
    crate::domain::calendar::day_fr(d.as_day())
}

/// What the templates hand to [`day`]: a date, a stored instant (its UTC day, as stored), or a
/// reference to either.
pub trait AsDay {
    fn as_day(&self) -> NaiveDate;
}

impl AsDay for NaiveDate {
    fn as_day(&self) -> NaiveDate {
        *self
    }
}

impl AsDay for DateTime<Utc> {
    fn as_day(&self) -> NaiveDate {
        self.date_naive()
    }
}

impl<T: AsDay + ?Sized> AsDay for &T {
    fn as_day(&self) -> NaiveDate {
        (**self).as_day()
    }
}

/// A moment in the site's time zone, as French staff read it: "5 déc. 2026 14:02".
pub fn at(t: DateTime<Utc>, tz: Tz) -> String {
    at_in(t, tz, Locale::Fr)
}

/// [`at`] in `locale`: "5 Dec 2026, 14:02" in English.
pub fn at_in(t: DateTime<Utc>, tz: Tz, locale: Locale) -> String {
    let local = t.with_timezone(&tz);
    match locale {
        Locale::Fr => format!("{} {}", day(local.date_naive()), local.format("%H:%M")),
        Locale::En => format!("{}, {}", crate::domain::calendar::day_en(local.date_naive()), local.format("%H:%M")),
    }
}

/// A number the French way: decimal comma, no trailing zeros ("38,3", "38", "-2,5").
pub fn decimal(n: f64) -> String {
    let text = format!("{:.2}", n);
    let text = text.trim_end_matches('0').trim_end_matches('.');
    text.replace('.', ",")
}

/// The `tel:` address of a phone number written with spaces or dots.
pub fn tel_href(phone: &str) -> String {
    let digits: String = phone.chars().filter(|c| c.is_ascii_digit() || *c == '+').collect();
    format!("tel:{digits}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_and_moments_read_the_french_way() {
        let d = |s: &str| s.parse::<NaiveDate>().unwrap();
        assert_eq!(day(d("2026-12-05")), "5 déc. 2026");
        assert_eq!(day(d("2027-08-01")), "1 août 2027");
        assert_eq!(day(d("2026-02-28")), "28 févr. 2026");
        let t: DateTime<Utc> = "2026-12-05T13:02:00Z".parse().unwrap();
        assert_eq!(at(t, chrono_tz::Europe::Paris), "5 déc. 2026 14:02");
        // Late in the evening UTC is the next day in Paris: the local day is the one shown.
        let late: DateTime<Utc> = "2026-12-31T23:30:00Z".parse().unwrap();
        assert_eq!(at(late, chrono_tz::Europe::Paris), "1 janv. 2027 00:30");
    }
    use crate::domain::catalog::KNOWN_TAGS;
    use crate::domain::indicators::{self, Facts, Period};

    /// Every product property a pharmacist may tick has its French name.
    #[test]
    fn every_tag_has_a_french_name() {
        let missing: Vec<&&str> = KNOWN_TAGS.iter().filter(|t| tag_in(t, Locale::Fr).is_none()).collect();
        assert!(missing.is_empty(), "tags without a French name: {missing:?}");
        let missing: Vec<&&str> = KNOWN_TAGS.iter().filter(|t| tag_in(t, Locale::En) == Some("—")).collect();
        assert!(missing.is_empty(), "tags without an English name: {missing:?}");
    }

    /// Every indicator of the CSV, at any period, has its French name.
    #[test]
    fn every_indicator_has_a_french_name() {
        let day = |s: &str| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        let ind = indicators::compute(&Period { from: day("2026-11-01"), to: day("2026-11-30") }, &Facts::default());
        let csv = indicators::to_csv(&ind);
        let keys: Vec<&str> = csv.lines().skip(1).filter_map(|l| l.split(';').nth(2)).collect();
        assert!(keys.len() > 20, "{csv}");
        let missing: Vec<&&str> = keys.iter().filter(|k| indicator(k).is_none()).collect();
        assert!(missing.is_empty(), "indicators without a French name: {missing:?}");
        for column in indicators::HEADER.split(';').skip(2) {
            assert_ne!(indicator_column(column), "—", "column {column}");
        }
    }
}
