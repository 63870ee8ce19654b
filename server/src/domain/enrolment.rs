//! Enrolment: the request a professional sends to include a patient, checked field by field
//! against the catalogue and the programme's scope. Pure: the database checks (team roles and
//! establishments) happen in the store, inside the enrolment transaction.

use std::collections::BTreeSet;

use chrono::{Datelike, NaiveDate, NaiveTime};
use serde::Deserialize;

use super::catalog::Catalog;
use super::ids::{Email, Ins, Phone};
use super::{FieldError, Parcours, parse_hhmm};

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EnrolRequest {
    pub family_name: String,
    pub given_name: String,
    #[schema(value_type = String, format = Date)]
    pub birth_date: NaiveDate,
    #[serde(default)]
    pub ins: Option<String>,
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub time_zone: Option<String>,
    #[serde(default)]
    pub locale: Option<String>,
    pub episode: EpisodeRequest,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EpisodeRequest {
    #[serde(default)]
    pub parcours: Option<Parcours>,
    #[schema(value_type = String, format = Date)]
    pub start_date: NaiveDate,
    #[serde(default)]
    pub baseline_weight_kg: Option<f64>,
    /// adjuvant, neoadjuvant, advanced, haematological or other.
    #[serde(default)]
    pub indication: Option<String>,
    pub regimen: Vec<RegimenLineRequest>,
    pub team: TeamRequest,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegimenLineRequest {
    pub drug: String,
    pub dose: String,
    pub times: Vec<String>,
    #[serde(default)]
    pub cycle: Option<CycleRequest>,
    #[serde(default)]
    #[schema(value_type = Option<String>, format = Date)]
    pub start_date: Option<NaiveDate>,
}

#[derive(Debug, Clone, Copy, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CycleRequest {
    pub on_days: i64,
    pub off_days: i64,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TeamRequest {
    pub idec: String,
    pub oncologist: String,
    #[serde(default)]
    pub hospital_pharmacist: Option<String>,
    #[serde(default)]
    pub community_pharmacy: Option<String>,
    #[serde(default)]
    pub gp: Option<String>,
}

pub const INDICATIONS: &[&str] = &["adjuvant", "neoadjuvant", "advanced", "haematological", "other"];

/// A checked enrolment: every value here is valid.
#[derive(Debug, Clone)]
pub struct NewEnrolment {
    pub family_name: String,
    pub given_name: String,
    pub birth_date: NaiveDate,
    pub ins: Option<Ins>,
    pub phone: Option<Phone>,
    pub email: Option<Email>,
    pub time_zone: chrono_tz::Tz,
    pub locale: String,
    pub parcours: Parcours,
    pub start_date: NaiveDate,
    pub baseline_weight_kg: Option<f64>,
    pub indication: Option<String>,
    pub regimen: Vec<RegimenLine>,
    pub team: TeamRequest,
}

/// A checked regimen line.
#[derive(Debug, Clone, PartialEq)]
pub struct RegimenLine {
    pub drug: String,
    pub dose: String,
    pub times: Vec<NaiveTime>,
    pub cycle: Option<(u16, u16)>,
    pub start_date: NaiveDate,
}

fn name(field: &str, value: &str) -> Result<String, FieldError> {
    text(field, value, 100)
}

fn text(field: &str, value: &str, max: usize) -> Result<String, FieldError> {
    let v = value.trim();
    if v.is_empty() || v.chars().count() > max || v.chars().any(char::is_control) {
        return Err(FieldError::new(field, format!("required, at most {max} characters")));
    }
    Ok(v.to_owned())
}

/// Checks an enrolment request. `today` is the enrolling site's local date.
pub fn check(
    req: &EnrolRequest,
    catalog: &Catalog,
    default_tz: chrono_tz::Tz,
    today: NaiveDate,
) -> Result<NewEnrolment, FieldError> {
    let family_name = name("family_name", &req.family_name)?;
    let given_name = name("given_name", &req.given_name)?;
    let ep = &req.episode;
    if req.birth_date > today {
        return Err(FieldError::new("birth_date", "is in the future"));
    }
    if ep.start_date < req.birth_date {
        return Err(FieldError::new("episode.start_date", "is before the birth date"));
    }
    if age_on(req.birth_date, ep.start_date) < 18 {
        return Err(FieldError::new("birth_date", "the programme follows adults (18 or over at the episode start)"));
    }
    if ep.start_date < today - chrono::Days::new(366) || ep.start_date > today + chrono::Days::new(90) {
        return Err(FieldError::new("episode.start_date", "must be within the past year or the next 90 days"));
    }
    let ins = opt(req.ins.as_deref(), "ins", Ins::parse)?;
    let phone = opt(req.phone.as_deref(), "phone", Phone::parse)?;
    let email = opt(req.email.as_deref(), "email", Email::parse)?;
    let time_zone = match req.time_zone.as_deref() {
        None => default_tz,
        Some(tz) => tz
            .parse()
            .map_err(|_| FieldError::new("time_zone", "not an IANA time zone (e.g. Europe/Paris, Indian/Reunion)"))?,
    };
    let locale = req.locale.clone().unwrap_or_else(|| "fr".into());
    if !matches!(locale.as_str(), "fr" | "en") {
        return Err(FieldError::new("locale", "fr or en"));
    }
    if let Some(w) = ep.baseline_weight_kg
        && !(20.0..=300.0).contains(&w)
    {
        return Err(FieldError::new("episode.baseline_weight_kg", "a weight in kg between 20 and 300"));
    }
    if let Some(i) = &ep.indication
        && !INDICATIONS.contains(&i.as_str())
    {
        return Err(FieldError::new("episode.indication", format!("one of {}", INDICATIONS.join(", "))));
    }
    let regimen = check_regimen(&ep.regimen, catalog, ep.start_date, "episode.regimen")?;
    check_scope(&regimen, catalog, ep.indication.as_deref())?;
    let parcours = match ep.parcours {
        Some(p) => p,
        None => catalog.default_parcours(regimen.iter().map(|l| l.drug.as_str())),
    };
    let t = &ep.team;
    if parcours == Parcours::A && t.community_pharmacy.is_none() {
        return Err(FieldError::new(
            "episode.team.community_pharmacy",
            "parcours A needs the community pharmacy that dispenses",
        ));
    }
    Ok(NewEnrolment {
        family_name,
        given_name,
        birth_date: req.birth_date,
        ins,
        phone,
        email,
        time_zone,
        locale,
        parcours,
        start_date: ep.start_date,
        baseline_weight_kg: ep.baseline_weight_kg,
        indication: ep.indication.clone(),
        regimen,
        team: t.clone(),
    })
}

fn opt<T>(
    v: Option<&str>,
    field: &str,
    parse: impl Fn(&str) -> Result<T, &'static str>,
) -> Result<Option<T>, FieldError> {
    match v {
        None => Ok(None),
        Some(s) if s.trim().is_empty() => Ok(None),
        Some(s) => parse(s).map(Some).map_err(|m| FieldError::new(field, m)),
    }
}

fn age_on(birth: NaiveDate, day: NaiveDate) -> i32 {
    let mut age = day.year() - birth.year();
    if (day.month(), day.day()) < (birth.month(), birth.day()) {
        age -= 1;
    }
    age
}

/// Checks regimen lines: known drugs, each once, HH:MM times, real cycles, start not before
/// `not_before`. `prefix` is the field path of the list.
pub fn check_regimen(
    lines: &[RegimenLineRequest],
    catalog: &Catalog,
    not_before: NaiveDate,
    prefix: &str,
) -> Result<Vec<RegimenLine>, FieldError> {
    if lines.is_empty() {
        return Err(FieldError::new(prefix, "at least one drug"));
    }
    let mut seen = BTreeSet::new();
    let mut out = Vec::with_capacity(lines.len());
    for (i, l) in lines.iter().enumerate() {
        let f = |k: &str| format!("{prefix}[{i}].{k}");
        if catalog.get(&l.drug).is_none() {
            return Err(FieldError::new(
                f("drug"),
                format!("`{}` is not in the drug catalogue (lower-case international non-proprietary name)", l.drug),
            ));
        }
        if !seen.insert(l.drug.as_str()) {
            return Err(FieldError::new(f("drug"), "listed twice; one line per drug with all its times"));
        }
        // The catalogue's usual regimens (what the enrolment form pre-fills) run to about 220
        // characters: dose, timing and how to take it.
        let dose = text(&f("dose"), &l.dose, 300)?;
        if l.times.is_empty() || l.times.len() > 6 {
            return Err(FieldError::new(f("times"), "one to six times of day"));
        }
        let mut times = Vec::with_capacity(l.times.len());
        for (j, t) in l.times.iter().enumerate() {
            let time = parse_hhmm(t).ok_or_else(|| {
                FieldError::new(format!("{prefix}[{i}].times[{j}]"), format!("`{t}` is not a time HH:MM"))
            })?;
            if times.contains(&time) {
                return Err(FieldError::new(format!("{prefix}[{i}].times[{j}]"), "the same time twice"));
            }
            times.push(time);
        }
        times.sort();
        let cycle = match l.cycle {
            None => None,
            Some(c) => {
                if !(1..=365).contains(&c.on_days) {
                    return Err(FieldError::new(f("cycle.on_days"), "1 to 365 days on treatment"));
                }
                if !(1..=365).contains(&c.off_days) {
                    return Err(FieldError::new(
                        f("cycle.off_days"),
                        "1 to 365 days off; leave `cycle` out for a drug taken every day",
                    ));
                }
                Some((c.on_days as u16, c.off_days as u16))
            }
        };
        let start_date = l.start_date.unwrap_or(not_before);
        if start_date < not_before {
            return Err(FieldError::new(f("start_date"), "is before the episode start"));
        }
        out.push(RegimenLine { drug: l.drug.clone(), dose, times, cycle, start_date });
    }
    Ok(out)
}

/// docs/domain.md target population: adjuvant hormonotherapy alone is outside the programme.
fn check_scope(regimen: &[RegimenLine], catalog: &Catalog, indication: Option<&str>) -> Result<(), FieldError> {
    let hormonal_only = regimen.iter().all(|l| catalog.get(&l.drug).is_some_and(|d| d.tags.contains("hormonotherapy")));
    if hormonal_only {
        match indication {
            None => {
                return Err(FieldError::new(
                    "episode.indication",
                    "required for a hormonotherapy alone: adjuvant hormonotherapy is outside the programme",
                ));
            }
            Some("adjuvant") => {
                return Err(FieldError::new(
                    "episode.indication",
                    "adjuvant hormonotherapy alone is outside the Onco'Link programme; patients on it are not enrolled",
                ));
            }
            Some(_) => {}
        }
    }
    Ok(())
}

/// True when every drug allows S3 (community follow-up).
pub fn s3_eligible<'a>(catalog: &Catalog, drugs: impl IntoIterator<Item = &'a str>) -> bool {
    drugs.into_iter().all(|d| catalog.get(d).is_some_and(|d| d.s3_eligible))
}
