//! The drug catalogue (`config/catalog/drugs.toml`): pure data types, parsed and validated from
//! text. Loading the file is the config layer's job; this module never touches the disk.

use std::collections::{BTreeMap, BTreeSet};

use serde::Deserialize;

use super::dosing::{self, Form};
use super::regimen::{self, Cycle};
use super::{Parcours, symptoms};

/// Tags the rules understand. A tag outside this list is a typo that would silently disable an
/// interaction or red-flag rule, so the catalogue is refused.
pub const KNOWN_TAGS: &[&str] = &[
    "myelosuppressive",
    "cyp3a4_substrate",
    "strong_cyp3a4_inhibitor",
    "moderate_cyp3a4_inhibitor",
    "cyp2d6_substrate",
    "strong_cyp2d6_inhibitor",
    "strong_cyp3a4_inducer",
    "pgp_substrate",
    "ph_dependent_absorption",
    "acid_reducer",
    "qt_prolonging",
    "anticoagulant",
    "antiplatelet",
    "bleeding_risk",
    "hepatotoxic",
    "teratogenic",
    "hormonotherapy",
    "narrow_therapeutic_index",
];

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct CatalogFile {
    drugs: BTreeMap<String, Drug>,
    #[serde(default)]
    partners: BTreeMap<String, Partner>,
}

/// A partner drug given with an anticancer drug (prednisone with abiraterone, dexamethasone with
/// lenalidomide): a regimen line like any other for reminders and adherence, but no part of
/// parcours, S3 eligibility, triage tags or billing (docs/domain.md).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Partner {
    pub name: DrugName,
    pub class: String,
    pub strengths_mg: Vec<f64>,
    pub form: Form,
    pub regimen: UsualRegimen,
    pub source: String,
}

/// One oral anticancer drug, keyed by its lower-case international non-proprietary name.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Drug {
    /// Display name per locale, used in patient texts (never the key; docs/triage.md §5).
    pub name: DrugName,
    /// Pharmacological class, e.g. "CDK4/6 inhibitor".
    pub class: String,
    /// Default parcours: B when dispensed by the hospital pharmacy (rétrocession).
    pub parcours: Parcours,
    /// Whether sequence S3 (community follow-up) may be proposed for this drug.
    pub s3_eligible: bool,
    #[serde(default)]
    pub tags: BTreeSet<String>,
    /// Early-watch symptoms: amber from grade 1 (docs/triage.md §3).
    #[serde(default)]
    pub watch: BTreeSet<String>,
    /// Symptoms shown to staff as worth watching; they change no colour.
    #[serde(default)]
    pub watch_info: BTreeSet<String>,
    /// Hold rules (docs/triage.md §5): `symptom = grade` means "hold the next dose from that
    /// grade", on an amber report whose symptom is amber.
    #[serde(default)]
    pub hold: BTreeMap<String, u8>,
    pub regimen: UsualRegimen,
    /// Marketed strengths in mg, to round a dose per m² or per kg to whole units; empty = the
    /// dose is always given explicitly.
    #[serde(default)]
    pub strengths_mg: Vec<f64>,
    /// Tablet or capsule, for the patient text of a computed dose (required with strengths).
    #[serde(default)]
    pub form: Option<Form>,
    /// Where the entry's facts come from (label, INCa guide).
    pub source: String,
}

/// A drug's display name in each language of the patient texts.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DrugName {
    pub fr: String,
    pub en: String,
}

impl DrugName {
    pub fn get(&self, locale: crate::triage::Locale) -> &str {
        match locale {
            crate::triage::Locale::Fr => &self.fr,
            crate::triage::Locale::En => &self.en,
        }
    }
}

/// The usual regimen, used to pre-fill the enrolment form. `note` is for staff (the schedule in
/// words, the alternatives, the checks before the first dose); only `dose` (a fixed dose) or the
/// dose the server computes from `dose_per_m2_mg` / `dose_per_kg_mg` ever reaches the patient.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UsualRegimen {
    pub note: String,
    /// A fixed dose a patient can read ("400 mg"); never a formula.
    #[serde(default)]
    pub dose: Option<String>,
    #[serde(default)]
    pub dose_per_m2_mg: Option<f64>,
    #[serde(default)]
    pub dose_per_kg_mg: Option<f64>,
    /// A ramp-up (venetoclax 20 → 400 mg by week): the dose from each day of the line on, the
    /// first from day 1; instead of `dose`.
    #[serde(default)]
    pub steps: Vec<UsualStep>,
    pub times: Vec<String>,
    #[serde(default)]
    pub cycle: Option<UsualCycle>,
}

/// One step of a usual ramp-up: `dose` from day `from_day` of the line on.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UsualStep {
    pub from_day: u32,
    pub dose: String,
}

/// `{on_days, off_days}` or `{length_days, on = [[from, to], ...]}`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UsualCycle {
    #[serde(default)]
    pub on_days: Option<u16>,
    #[serde(default)]
    pub off_days: Option<u16>,
    #[serde(default)]
    pub length_days: Option<u16>,
    #[serde(default)]
    pub on: Option<Vec<(u16, u16)>>,
}

impl UsualCycle {
    /// The cycle, or why it is not one.
    pub fn cycle(&self) -> Result<Cycle, String> {
        let c = match (self.on_days, self.off_days, self.length_days, &self.on) {
            (Some(on), Some(off), None, None) => Cycle::on_off(on, off),
            (None, None, Some(length), Some(on)) => Cycle { length, on: on.clone() },
            _ => return Err("either on_days and off_days, or length_days and on".into()),
        };
        c.check()?;
        Ok(c)
    }
}

fn check_usual(r: &UsualRegimen, strengths: &[f64], bad: &dyn Fn(&str, String) -> String) -> Result<(), String> {
    if r.times.is_empty() {
        return Err(bad("regimen.times", "at least one time of day".into()));
    }
    for t in &r.times {
        if super::parse_hhmm(t).is_none() {
            return Err(bad("regimen.times", format!("`{t}` is not HH:MM")));
        }
    }
    if let Some(c) = &r.cycle {
        c.cycle().map_err(|m| bad("regimen.cycle", m))?;
    }
    if r.dose.as_deref().is_some_and(dosing::is_formula) {
        return Err(bad(
            "regimen.dose",
            "a formula never reaches the patient: use dose_per_m2_mg or dose_per_kg_mg".into(),
        ));
    }
    if r.steps.iter().any(|s| s.dose.trim().is_empty() || dosing::is_formula(&s.dose)) {
        return Err(bad("regimen.steps", "each step's dose is a dose a patient can read, never a formula".into()));
    }
    if !regimen::steps_in_order(r.steps.iter().map(|s| s.from_day)) {
        return Err(bad("regimen.steps", "the first step from day 1, then in order of from_day".into()));
    }
    let given = [r.dose.is_some(), !r.steps.is_empty(), r.dose_per_m2_mg.is_some(), r.dose_per_kg_mg.is_some()];
    if given.iter().filter(|g| **g).count() > 1 {
        return Err(bad("regimen.dose", "at most one of dose, steps, dose_per_m2_mg, dose_per_kg_mg".into()));
    }
    if (r.dose_per_m2_mg.is_some() || r.dose_per_kg_mg.is_some()) && strengths.is_empty() {
        return Err(bad("regimen.dose_per_m2_mg", "a computed dose needs the drug's strengths_mg".into()));
    }
    Ok(())
}

fn check_strengths(strengths: &[f64], form: Option<Form>, bad: &dyn Fn(&str, String) -> String) -> Result<(), String> {
    if strengths.iter().any(|s| !(s.is_finite() && *s > 0.0 && (s * 100.0).fract() == 0.0)) {
        return Err(bad("strengths_mg", "strengths in mg, positive, at most two decimals".into()));
    }
    if !strengths.is_empty() && form.is_none() {
        return Err(bad("form", "tablet or capsule, with strengths_mg".into()));
    }
    Ok(())
}

#[derive(Debug, Clone)]
pub struct Catalog {
    drugs: BTreeMap<String, Drug>,
    partners: BTreeMap<String, Partner>,
}

impl Catalog {
    /// Parses and validates the catalogue; the error names the drug and the key.
    pub fn from_toml(text: &str) -> Result<Self, String> {
        let file: CatalogFile = toml::from_str(text).map_err(|e| e.to_string())?;
        for (name, drug) in &file.drugs {
            let bad = |key: &str, why: String| Err(format!("drugs.{name}.{key}: {why}"));
            if name.is_empty()
                || !name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-')
            {
                return Err(format!("drugs.{name}: a drug key is a lower-case international non-proprietary name"));
            }
            for tag in &drug.tags {
                if !KNOWN_TAGS.contains(&tag.as_str()) {
                    return bad("tags", format!("unknown tag `{tag}`"));
                }
            }
            for (key, list) in [("watch", &drug.watch), ("watch_info", &drug.watch_info)] {
                for s in list {
                    if !symptoms::is_symptom(s) {
                        return bad(key, format!("unknown symptom `{s}`"));
                    }
                }
            }
            for (lang, text) in [("fr", &drug.name.fr), ("en", &drug.name.en)] {
                if text.trim().is_empty() {
                    return bad(&format!("name.{lang}"), "a display name is required".into());
                }
            }
            for (s, grade) in &drug.hold {
                if !symptoms::is_symptom(s) {
                    return bad("hold", format!("unknown symptom `{s}`"));
                }
                if !(1..=4).contains(grade) {
                    return bad(&format!("hold.{s}"), format!("{grade} is not a grade 1–4"));
                }
            }
            let msg = |key: &str, why: String| format!("drugs.{name}.{key}: {why}");
            check_strengths(&drug.strengths_mg, drug.form, &msg)?;
            check_usual(&drug.regimen, &drug.strengths_mg, &msg)?;
            if drug.source.trim().is_empty() {
                return bad("source", "every entry cites its source".into());
            }
        }
        if file.drugs.is_empty() {
            return Err("drugs: the catalogue is empty".into());
        }
        for (name, p) in &file.partners {
            let msg = |key: &str, why: String| format!("partners.{name}.{key}: {why}");
            if file.drugs.contains_key(name) {
                return Err(msg("", "is also an anticancer drug of the catalogue".into()));
            }
            for (lang, text) in [("fr", &p.name.fr), ("en", &p.name.en)] {
                if text.trim().is_empty() {
                    return Err(msg(&format!("name.{lang}"), "a display name is required".into()));
                }
            }
            if p.strengths_mg.is_empty() {
                return Err(msg("strengths_mg", "at least one marketed strength".into()));
            }
            check_strengths(&p.strengths_mg, Some(p.form), &msg)?;
            check_usual(&p.regimen, &p.strengths_mg, &msg)?;
            if p.source.trim().is_empty() {
                return Err(msg("source", "every entry cites its source".into()));
            }
        }
        Ok(Self { drugs: file.drugs, partners: file.partners })
    }

    /// A partner drug (prednisone, dexamethasone…), not an anticancer one.
    pub fn partner(&self, name: &str) -> Option<&Partner> {
        self.partners.get(name)
    }

    pub fn partners(&self) -> impl Iterator<Item = (&str, &Partner)> {
        self.partners.iter().map(|(k, v)| (k.as_str(), v))
    }

    /// Whether `name` may be a regimen line: an anticancer or a partner drug.
    pub fn is_regimen_drug(&self, name: &str) -> bool {
        self.drugs.contains_key(name) || self.partners.contains_key(name)
    }

    /// The display names of an anticancer or partner drug (never show the key).
    pub fn display_name(&self, name: &str) -> Option<&DrugName> {
        self.get(name).map(|d| &d.name).or_else(|| self.partner(name).map(|p| &p.name))
    }

    /// The French display name, or the key when the drug is unknown (an old line of a drug since
    /// removed from the catalogue).
    pub fn name_fr<'a>(&'a self, name: &'a str) -> &'a str {
        self.name_in(name, crate::triage::Locale::Fr)
    }

    /// [`Self::name_fr`] in `locale`.
    pub fn name_in<'a>(&'a self, name: &'a str, locale: crate::triage::Locale) -> &'a str {
        self.display_name(name).map_or(name, |n| n.get(locale))
    }

    /// Marketed strengths and form of an anticancer or partner drug.
    pub fn strengths(&self, name: &str) -> (&[f64], Option<Form>) {
        match (self.get(name), self.partner(name)) {
            (Some(d), _) => (&d.strengths_mg, d.form),
            (None, Some(p)) => (&p.strengths_mg, Some(p.form)),
            (None, None) => (&[], None),
        }
    }

    /// The usual regimen of an anticancer or partner drug.
    pub fn usual(&self, name: &str) -> Option<&UsualRegimen> {
        self.get(name).map(|d| &d.regimen).or_else(|| self.partner(name).map(|p| &p.regimen))
    }

    /// The anticancer drugs among `drugs`, each once, in order: what parcours, S3 eligibility,
    /// triage and billing look at (partner drugs and unknown keys are left out).
    pub fn anticancer<S: AsRef<str>>(&self, drugs: &[S]) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for d in drugs {
            let d = d.as_ref();
            if self.drugs.contains_key(d) && !out.iter().any(|o| o == d) {
                out.push(d.to_owned());
            }
        }
        out
    }

    pub fn get(&self, name: &str) -> Option<&Drug> {
        self.drugs.get(name)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &Drug)> {
        self.drugs.iter().map(|(k, v)| (k.as_str(), v))
    }

    pub fn len(&self) -> usize {
        self.drugs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.drugs.is_empty()
    }

    /// Parcours of a combination: B as soon as one drug is hospital-reserved (docs/domain.md).
    pub fn default_parcours<'a>(&self, drugs: impl IntoIterator<Item = &'a str>) -> Parcours {
        let any_b = drugs.into_iter().any(|d| self.get(d).is_some_and(|d| d.parcours == Parcours::B));
        if any_b { Parcours::B } else { Parcours::A }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dosing::{Basis, compute};

    fn shipped() -> Catalog {
        let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../config/catalog/drugs.toml"))
            .expect("read the shipped catalogue");
        Catalog::from_toml(&text).expect("the shipped catalogue is valid")
    }

    /// A usual regimen that pre-fills the form gives a dose the patient can read: a fixed dose,
    /// steps, or a computed dose that rounds to whole units for usual adults (issue 16).
    #[test]
    fn every_pre_filled_dose_is_one_a_patient_can_take() {
        let catalog = shipped();
        let mut prefilled = 0;
        for (name, drug) in catalog.iter() {
            let r = &drug.regimen;
            if let Some(dose) = &r.dose {
                assert!(
                    dose.chars().next().is_some_and(|c| c.is_ascii_digit()),
                    "{name}: `{dose}` starts with its amount"
                );
                assert!(dose.ends_with(" mg") || dose.ends_with(" µg"), "{name}: `{dose}` names its unit");
                prefilled += 1;
            }
            if !r.steps.is_empty() {
                prefilled += 1;
            }
            let per = match (r.dose_per_m2_mg, r.dose_per_kg_mg) {
                (Some(m2), _) => Some((Basis::PerM2, m2)),
                (_, Some(kg)) => Some((Basis::PerKg, kg)),
                _ => None,
            };
            if let Some((basis, mg)) = per {
                let form = drug.form.expect("a computed dose has a form");
                for (h, w) in [(155.0, 50.0), (165.0, 64.0), (180.0, 85.0)] {
                    compute(basis, mg, Some(h), w, &drug.strengths_mg, form)
                        .unwrap_or_else(|e| panic!("{name} at {h} cm, {w} kg: {}", e.0));
                }
                prefilled += 1;
            }
        }
        // The drugs left without a pre-fill are dosed by protocol, indication, weight or blood
        // counts (the header of config/catalog/drugs.toml lists them); they stay a minority.
        assert!(prefilled >= 70, "only {prefilled} of {} drugs pre-fill a dose", catalog.iter().count());
    }

    #[test]
    fn ramp_ups_and_weekly_schedules_are_structured() {
        let catalog = shipped();
        let venetoclax = &catalog.get("venetoclax").unwrap().regimen;
        let steps: Vec<(u32, &str)> = venetoclax.steps.iter().map(|s| (s.from_day, s.dose.as_str())).collect();
        assert_eq!(steps, [(1, "20 mg"), (8, "50 mg"), (15, "100 mg"), (22, "200 mg"), (29, "400 mg")]);
        // Ixazomib is taken on D1, D8 and D15 of 28-day cycles, not every week (no dose on D22).
        let ixazomib = catalog.get("ixazomib").unwrap().regimen.cycle.as_ref().unwrap().cycle().unwrap();
        assert_eq!((ixazomib.length, ixazomib.on.clone()), (28, vec![(1, 1), (8, 8), (15, 15)]));
        assert!(!ixazomib.is_on(22));
        // Procarbazine in PCV is taken on D8 to D21 of 42 days, not from D1.
        let procarbazine = catalog.get("procarbazine").unwrap().regimen.cycle.as_ref().unwrap().cycle().unwrap();
        assert!(!procarbazine.is_on(1) && procarbazine.is_on(8) && procarbazine.is_on(21) && !procarbazine.is_on(22));
    }

    #[test]
    fn malformed_steps_are_refused_naming_the_drug() {
        let entry = |steps: &str| {
            format!(
                "[drugs.x]\nname = {{ fr = \"x\", en = \"x\" }}\nclass = \"c\"\nparcours = \"A\"\ns3_eligible = false\n\
                 tags = []\nregimen = {{ note = \"n\", times = [\"08:00\"], steps = {steps} }}\nsource = \"s\"\n"
            )
        };
        let formula = Catalog::from_toml(&entry("[{ from_day = 1, dose = \"20 mg/m²\" }]")).expect_err("formula");
        assert!(formula.contains("drugs.x") && formula.contains("regimen.steps"), "{formula}");
        let order = Catalog::from_toml(&entry("[{ from_day = 8, dose = \"20 mg\" }]")).expect_err("order");
        assert!(order.contains("regimen.steps"), "{order}");
        Catalog::from_toml(&entry("[{ from_day = 1, dose = \"20 mg\" }, { from_day = 8, dose = \"50 mg\" }]"))
            .expect("valid steps");
    }
}
