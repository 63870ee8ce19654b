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

pub fn colour_in(c: &str, locale: Locale) -> &'static str {
    let t = Tr(locale);
    match c {
        "red" => t.t("Rouge", "Red"),
        "amber" => t.t("Orange", "Amber"),
        "green" => t.t("Vert", "Green"),
        _ => "—",
    }
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

/// The name of an indicator of the CSV (docs/indicators.md) in `locale`; `None` for a key this
/// table lacks (a test fails then).
pub fn indicator_in(key: &str, locale: Locale) -> Option<&'static str> {
    let (fr, en) = match key {
        "patients_included" => ("Patients inclus", "Patients included"),
        "patients_followed" => ("Patients suivis", "Patients followed"),
        "active_episodes" => ("Épisodes en suivi", "Episodes in follow-up"),
        "active_episodes_at_end" => {
            ("Épisodes en suivi à la fin de la période", "Episodes in follow-up at the end of the period")
        }
        "patients_in_sequence" => ("Patients dans la séquence", "Patients in the sequence"),
        "sequences_started" => ("Séquences commencées", "Sequences started"),
        "sequences_renewed" => ("Séquences renouvelées", "Sequences renewed"),
        "adherence_episodes" => ("Observance : épisodes", "Adherence: episodes"),
        "adherence_doses_taken" => ("Observance : prises confirmées", "Adherence: doses confirmed"),
        "adherence_doses_due" => ("Observance : prises prévues", "Adherence: doses due"),
        "adherence_percent" => ("Observance (%)", "Adherence (%)"),
        "adherence_mean_episode_percent" => ("Observance moyenne par épisode (%)", "Mean adherence per episode (%)"),
        "adverse_events_grade_3_provisional" => {
            ("Effets indésirables de grade ≥ 3 (provisoires)", "Adverse events of grade ≥ 3 (provisional)")
        }
        "adverse_events_grade_3_confirmed" => {
            ("Effets indésirables de grade ≥ 3 (confirmés)", "Adverse events of grade ≥ 3 (confirmed)")
        }
        "adverse_events_grade_3_awaiting_confirmation" => {
            ("Effets indésirables de grade ≥ 3 (à confirmer)", "Adverse events of grade ≥ 3 (to confirm)")
        }
        "alerts" => ("Alertes", "Alerts"),
        "alerts_acknowledged" => ("Alertes prises en charge", "Alerts acknowledged"),
        "alerts_median_minutes_to_acknowledge" => {
            ("Délai médian de prise en charge (min)", "Median time to acknowledge (min)")
        }
        "alerts_p90_minutes_to_acknowledge" => {
            ("Délai de prise en charge, 90e centile (min)", "Time to acknowledge, 90th percentile (min)")
        }
        "questionnaires_due" => ("Questionnaires attendus", "Questionnaires due"),
        "questionnaires_completed" => ("Questionnaires remplis", "Questionnaires completed"),
        "questionnaires_completion_percent" => ("Questionnaires remplis (%)", "Questionnaires completed (%)"),
        "emergency_visits" => ("Passages aux urgences", "Emergency visits"),
        "unplanned_hospitalisations" => ("Hospitalisations non programmées", "Unplanned hospitalisations"),
        "care_events_related_to_treatment" => ("Événements liés au traitement", "Events related to the treatment"),
        "patients_with_emergency_visit" => ("Patients passés aux urgences", "Patients with an emergency visit"),
        "emergency_visit_percent" => ("Patients passés aux urgences (%)", "Patients with an emergency visit (%)"),
        "patients_with_unplanned_hospitalisation" => {
            ("Patients hospitalisés sans programmation", "Patients with an unplanned hospitalisation")
        }
        "unplanned_hospitalisation_percent" => {
            ("Patients hospitalisés sans programmation (%)", "Patients with an unplanned hospitalisation (%)")
        }
        _ => return None,
    };
    Some(Tr(locale).t(fr, en))
}

/// The column names of the indicators table (the CSV's, after its period), in `locale`.
pub fn indicator_column_in(key: &str, locale: Locale) -> &'static str {
    let t = Tr(locale);
    match key {
        "indicator" => t.t("Indicateur", "Indicator"),
        "parcours" => t.t("Parcours", "Pathway"),
        "sequence" => t.t("Séquence", "Sequence"),
        "window" => t.t("Période d'observance", "Adherence window"),
        "colour" => t.t("Couleur", "Colour"),
        "topic" => t.t("Motif", "Topic"),
        "value" => t.t("Valeur", "Value"),
        _ => "—",
    }
}

/// An adherence window of the indicators.
pub fn adherence_window_in(key: &str, locale: Locale) -> &'static str {
    let t = Tr(locale);
    match key {
        "months_0_3" => t.t("mois 0 à 3", "months 0 to 3"),
        "months_6_9" => t.t("mois 6 à 9", "months 6 to 9"),
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

/// The treatment's indication (docs/indicators.md), as a clinician says it in `locale`.
pub fn indication_in(i: &str, locale: Locale) -> &'static str {
    let t = Tr(locale);
    match i {
        "adjuvant" => t.t("Adjuvant", "Adjuvant"),
        "neoadjuvant" => t.t("Néoadjuvant", "Neoadjuvant"),
        "advanced" => t.t("Avancé ou métastatique", "Advanced or metastatic"),
        "haematological" => t.t("Hémopathie maligne", "Haematological malignancy"),
        "other" => t.t("Autre", "Other"),
        _ => "—",
    }
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

/// The state of a sequence (`sequences.state`) in `locale`.
pub fn sequence_state_in(s: &str, locale: Locale) -> &'static str {
    let t = Tr(locale);
    match s {
        "active" => t.t("en cours", "in progress"),
        "completed" => t.t("terminée", "completed"),
        "ended" => t.t("arrêtée", "stopped"),
        "cancelled" => t.t("annulée (erreur d'inclusion)", "cancelled (enrolment error)"),
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

/// [`day`] in `locale`: "5 Dec 2026" in English.
pub fn day_in(d: impl AsDay, locale: Locale) -> String {
    match locale {
        Locale::Fr => day(d),
        Locale::En => crate::domain::calendar::day_en(d.as_day()),
    }
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

/// A moment in the site's time zone in `locale`: "5 déc. 2026 14:02" in French, "5 Dec 2026,
/// 14:02" in English.
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

/// [`decimal`] in `locale`: a decimal point in English.
pub fn decimal_in(n: f64, locale: Locale) -> String {
    match locale {
        Locale::Fr => decimal(n),
        Locale::En => decimal(n).replace(',', "."),
    }
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
        assert_eq!(at_in(t, chrono_tz::Europe::Paris, Locale::Fr), "5 déc. 2026 14:02");
        // Late in the evening UTC is the next day in Paris: the local day is the one shown.
        let late: DateTime<Utc> = "2026-12-31T23:30:00Z".parse().unwrap();
        assert_eq!(at_in(late, chrono_tz::Europe::Paris, Locale::Fr), "1 janv. 2027 00:30");
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
    fn every_indicator_has_a_french_and_an_english_name() {
        let day = |s: &str| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        let ind = indicators::compute(&Period { from: day("2026-11-01"), to: day("2026-11-30") }, &Facts::default());
        let csv = indicators::to_csv(&ind);
        let keys: Vec<&str> = csv.lines().skip(1).filter_map(|l| l.split(';').nth(2)).collect();
        assert!(keys.len() > 20, "{csv}");
        for locale in [Locale::Fr, Locale::En] {
            let missing: Vec<&&str> = keys.iter().filter(|k| indicator_in(k, locale).is_none()).collect();
            assert!(missing.is_empty(), "indicators without a name in {locale:?}: {missing:?}");
            for column in indicators::HEADER.split(';').skip(2) {
                assert_ne!(indicator_column_in(column, locale), "—", "column {column}");
            }
        }
        // The English names are not the French ones left in place.
        assert_eq!(indicator_in("patients_included", Locale::En), Some("Patients included"));
        assert_eq!(adherence_window_in("months_0_3", Locale::En), "months 0 to 3");
    }
}
