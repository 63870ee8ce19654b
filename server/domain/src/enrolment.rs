//! Enrolment: the request a professional sends to include a patient, checked field by field
//! against the catalogue and the programme's scope. Pure: the database checks (team roles and
//! establishments) happen in the store, inside the enrolment transaction.

use chrono::{Datelike, NaiveDate, NaiveTime};
use serde::Deserialize;

use super::catalog::Catalog;
use super::dosing::{self, Basis, Computation};
use super::ids::{Email, Ins, Phone};
use super::regimen::{Cycle, Step};
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
    /// The patient's height, for a dose per m² (body-surface area by Mosteller).
    #[serde(default)]
    pub height_cm: Option<f64>,
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

/// One drug line as prescribed: exactly one of `dose` (a text the patient reads, never a
/// formula), `steps` (a dose that changes on given days of the line), `dose_per_m2_mg` or
/// `dose_per_kg_mg` (computed by the server from the height and weight).
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegimenLineRequest {
    /// An anticancer drug or a partner drug of the catalogue (e.g. prednisone).
    pub drug: String,
    #[serde(default)]
    pub dose: Option<String>,
    #[serde(default)]
    pub steps: Option<Vec<StepRequest>>,
    #[serde(default)]
    pub dose_per_m2_mg: Option<f64>,
    #[serde(default)]
    pub dose_per_kg_mg: Option<f64>,
    pub times: Vec<String>,
    #[serde(default)]
    pub cycle: Option<CycleRequest>,
    #[serde(default)]
    #[schema(value_type = Option<String>, format = Date)]
    pub start_date: Option<NaiveDate>,
}

/// `{"on_days": 14, "off_days": 7}` or `{"length_days": 28, "on": [[1, 5], [8, 12]]}` (1-based
/// inclusive blocks of on-days, in order, not overlapping, within the cycle).
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CycleRequest {
    #[serde(default)]
    pub on_days: Option<i64>,
    #[serde(default)]
    pub off_days: Option<i64>,
    #[serde(default)]
    pub length_days: Option<i64>,
    #[serde(default)]
    pub on: Option<Vec<[i64; 2]>>,
}

impl CycleRequest {
    pub fn on_off(on_days: i64, off_days: i64) -> Self {
        Self { on_days: Some(on_days), off_days: Some(off_days), ..Self::default() }
    }
}

/// `dose` from day `from_day` of the line on (1-based); the last step holds on.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StepRequest {
    pub from_day: i64,
    pub dose: String,
}

/// What a dose per m² or per kg is computed from.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Body {
    pub height_cm: Option<f64>,
    pub weight_kg: Option<f64>,
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
    /// The community nurse (IDEL), a professional of role `community_nurse`.
    #[serde(default)]
    pub community_nurse: Option<String>,
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
    /// What the patient reads: the dose given, the first step's, or the computed one's text.
    pub dose: String,
    pub steps: Vec<Step>,
    pub computation: Option<Computation>,
    pub times: Vec<NaiveTime>,
    pub cycle: Option<Cycle>,
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
    if let Some(h) = req.height_cm
        && !(100.0..=250.0).contains(&h)
    {
        return Err(FieldError::new("height_cm", "a height in cm between 100 and 250"));
    }
    let body = Body { height_cm: req.height_cm, weight_kg: ep.baseline_weight_kg };
    let regimen = check_regimen(&ep.regimen, catalog, ep.start_date, "episode.regimen", body)?;
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

/// Checks regimen lines: known drugs (anticancer or partner), HH:MM times, real cycles, one
/// dose form, each drug once, start not before `not_before`. `prefix` is the field path of the
/// list. `body` gives the height and weight a dose per m² or per kg is computed from.
/// The most drug lines one regimen holds (a combination with its partner drugs stays far below).
pub const MAX_REGIMEN_LINES: usize = 12;

pub fn check_regimen(
    lines: &[RegimenLineRequest],
    catalog: &Catalog,
    not_before: NaiveDate,
    prefix: &str,
    body: Body,
) -> Result<Vec<RegimenLine>, FieldError> {
    if lines.is_empty() {
        return Err(FieldError::new(prefix, "at least one drug"));
    }
    if lines.len() > MAX_REGIMEN_LINES {
        return Err(FieldError::new(prefix, format!("at most {MAX_REGIMEN_LINES} lines")));
    }
    let mut out: Vec<RegimenLine> = Vec::with_capacity(lines.len());
    for (i, l) in lines.iter().enumerate() {
        let f = |k: &str| format!("{prefix}[{i}].{k}");
        if !catalog.is_regimen_drug(&l.drug) {
            return Err(FieldError::new(
                f("drug"),
                format!(
                    "`{}` is not in the drug catalogue nor a partner drug (lower-case international non-proprietary name)",
                    l.drug
                ),
            ));
        }
        if out.iter().any(|o: &RegimenLine| o.drug == l.drug) {
            // docs/api.md: split schedules are blocks of one cycle (D1–5 and D8–12), ramp-ups
            // are steps; one line per drug keeps a new version replacing exactly its old line.
            return Err(FieldError::new(
                f("drug"),
                "listed twice; one line per drug with all its times (several periods of a cycle are its `on` blocks)",
            ));
        }
        let (dose, steps, computation) = check_dose(l, catalog, body, &f)?;
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
        let cycle = match &l.cycle {
            None => None,
            Some(c) => Some(check_cycle(c, &f)?),
        };
        let start_date = l.start_date.unwrap_or(not_before);
        if start_date < not_before {
            return Err(FieldError::new(f("start_date"), "is before the episode start"));
        }
        out.push(RegimenLine { drug: l.drug.clone(), dose, steps, computation, times, cycle, start_date });
    }
    if out.iter().all(|l| catalog.get(&l.drug).is_none()) {
        return Err(FieldError::new(
            format!("{prefix}[0].drug"),
            "at least one anticancer drug; a partner drug (prednisone…) goes beside one",
        ));
    }
    Ok(out)
}

fn check_cycle(c: &CycleRequest, f: &dyn Fn(&str) -> String) -> Result<Cycle, FieldError> {
    match (c.on_days, c.off_days, c.length_days, &c.on) {
        (Some(on), Some(off), None, None) => {
            if !(1..=365).contains(&on) {
                return Err(FieldError::new(f("cycle.on_days"), "1 to 365 days on treatment"));
            }
            if !(1..=365).contains(&off) {
                return Err(FieldError::new(
                    f("cycle.off_days"),
                    "1 to 365 days off; leave `cycle` out for a drug taken every day",
                ));
            }
            Ok(Cycle::on_off(on as u16, off as u16))
        }
        (None, None, Some(length), Some(blocks)) => {
            if !(2..=365).contains(&length) {
                return Err(FieldError::new(f("cycle.length_days"), "a cycle of 2 to 365 days"));
            }
            let mut on = Vec::with_capacity(blocks.len());
            for (k, [from, to]) in blocks.iter().copied().enumerate() {
                if !(1..=length).contains(&from) || !(from..=length).contains(&to) {
                    return Err(FieldError::new(
                        format!("{}[{k}]", f("cycle.on")),
                        format!("[{from}, {to}]: days from 1 to {length}, first day first"),
                    ));
                }
                on.push((from as u16, to as u16));
            }
            let cycle = Cycle { length: length as u16, on };
            cycle.check().map_err(|m| FieldError::new(f("cycle.on"), m))?;
            if cycle.on.iter().map(|(a, b)| b - a + 1).sum::<u16>() == cycle.length {
                return Err(FieldError::new(
                    f("cycle.on"),
                    "every day is on; leave `cycle` out for a drug taken every day",
                ));
            }
            Ok(cycle)
        }
        (Some(_), None, _, _) | (Some(_), Some(_), _, _) => {
            Err(FieldError::new(f("cycle.off_days"), "on_days with off_days, or length_days with on; not both forms"))
        }
        (None, Some(_), _, _) => Err(FieldError::new(f("cycle.on_days"), "on_days with off_days")),
        (None, None, None, _) => {
            Err(FieldError::new(f("cycle.length_days"), "length_days with on, or on_days with off_days"))
        }
        (None, None, Some(_), None) => {
            Err(FieldError::new(f("cycle.on"), "the blocks of on-days, e.g. [[1, 5], [8, 12]]"))
        }
    }
}

type Dose = (String, Vec<Step>, Option<Computation>);

fn check_dose(
    l: &RegimenLineRequest,
    catalog: &Catalog,
    body: Body,
    f: &dyn Fn(&str) -> String,
) -> Result<Dose, FieldError> {
    let patient_text = |field: String, v: &str| -> Result<String, FieldError> {
        let t = text(&field, v, 300)?;
        if dosing::is_formula(&t) {
            return Err(FieldError::new(
                field,
                "a formula (/m², /kg) never reaches the patient: give the dose in mg, or dose_per_m2_mg / dose_per_kg_mg for the server to compute it",
            ));
        }
        Ok(t)
    };
    match (&l.dose, &l.steps, l.dose_per_m2_mg, l.dose_per_kg_mg) {
        (Some(d), None, None, None) => Ok((patient_text(f("dose"), d)?, vec![], None)),
        (None, Some(steps), None, None) => {
            if steps.is_empty() || steps.len() > 20 {
                return Err(FieldError::new(f("steps"), "one to twenty steps"));
            }
            let mut out: Vec<Step> = Vec::with_capacity(steps.len());
            for (k, s) in steps.iter().enumerate() {
                let sf = |key: &str| format!("{}[{k}].{key}", f("steps"));
                let first = out.last().map_or(1, |p: &Step| i64::from(p.from_day) + 1);
                if k == 0 && s.from_day != 1 {
                    return Err(FieldError::new(sf("from_day"), "the first step is from day 1"));
                }
                if !(first..=3650).contains(&s.from_day) {
                    return Err(FieldError::new(sf("from_day"), "after the previous step's day, at most 3650"));
                }
                out.push(Step { from_day: s.from_day as u32, dose: patient_text(sf("dose"), &s.dose)? });
            }
            Ok((out[0].dose.clone(), out, None))
        }
        (None, None, per_m2, per_kg) if per_m2.is_some() != per_kg.is_some() => {
            let (basis, amount, field) = match (per_m2, per_kg) {
                (Some(a), _) => (Basis::PerM2, a, f("dose_per_m2_mg")),
                (_, Some(a)) => (Basis::PerKg, a, f("dose_per_kg_mg")),
                _ => unreachable!("one of the two, matched above"),
            };
            if !(amount.is_finite() && amount > 0.0 && amount <= 10_000.0) {
                return Err(FieldError::new(field, "a dose in mg greater than 0"));
            }
            if basis == Basis::PerM2 && body.height_cm.is_none() {
                return Err(FieldError::new("height_cm", "a dose per m² needs the patient's height"));
            }
            let weight = body.weight_kg.ok_or_else(|| {
                FieldError::new("episode.baseline_weight_kg", "a dose per m² or per kg needs the weight")
            })?;
            let (strengths, form) = catalog.strengths(&l.drug);
            let Some(form) = form.filter(|_| !strengths.is_empty()) else {
                return Err(FieldError::new(field, "the catalogue has no strengths for this drug: give the dose"));
            };
            let c = dosing::compute(basis, amount, body.height_cm, weight, strengths, form)
                .map_err(|r| FieldError::new(field, r.0))?;
            Ok((dosing::patient_text(&c), vec![], Some(c)))
        }
        (None, None, None, None) => {
            Err(FieldError::new(f("dose"), "required (or steps, dose_per_m2_mg, dose_per_kg_mg)"))
        }
        _ => Err(FieldError::new(f("dose"), "only one of dose, steps, dose_per_m2_mg, dose_per_kg_mg")),
    }
}

/// docs/domain.md target population: adjuvant hormonotherapy alone is outside the programme.
fn check_scope(regimen: &[RegimenLine], catalog: &Catalog, indication: Option<&str>) -> Result<(), FieldError> {
    // Partner drugs (prednisone beside abiraterone) play no part in the scope.
    let hormonal_only = regimen
        .iter()
        .filter(|l| catalog.partner(&l.drug).is_none())
        .all(|l| catalog.get(&l.drug).is_some_and(|d| d.tags.contains("hormonotherapy")));
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

/// True when every anticancer drug allows S3 (community follow-up); partner drugs play no part.
pub fn s3_eligible<'a>(catalog: &Catalog, drugs: impl IntoIterator<Item = &'a str>) -> bool {
    drugs.into_iter().filter(|d| catalog.partner(d).is_none()).all(|d| catalog.get(d).is_some_and(|d| d.s3_eligible))
}
