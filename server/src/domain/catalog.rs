//! The drug catalogue (`config/catalog/drugs.toml`): pure data types, parsed and validated from
//! text. Loading the file is the config layer's job; this module never touches the disk.

use std::collections::{BTreeMap, BTreeSet};

use serde::Deserialize;

use super::{Parcours, symptoms};

/// Tags the rules understand. A tag outside this list is a typo that would silently disable an
/// interaction or red-flag rule, so the catalogue is refused.
pub const KNOWN_TAGS: &[&str] = &[
    "myelosuppressive",
    "cyp3a4_substrate",
    "strong_cyp3a4_inhibitor",
    "moderate_cyp3a4_inhibitor",
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
}

/// One oral anticancer drug, keyed by its lower-case international non-proprietary name.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Drug {
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
    pub regimen: UsualRegimen,
    /// Where the entry's facts come from (label, INCa guide).
    pub source: String,
}

/// The usual regimen, used to pre-fill the enrolment form.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UsualRegimen {
    pub dose: String,
    pub times: Vec<String>,
    #[serde(default)]
    pub cycle: Option<UsualCycle>,
}

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UsualCycle {
    pub on_days: u16,
    pub off_days: u16,
}

#[derive(Debug, Clone)]
pub struct Catalog {
    drugs: BTreeMap<String, Drug>,
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
            if drug.regimen.times.is_empty() {
                return bad("regimen.times", "at least one time of day".into());
            }
            for t in &drug.regimen.times {
                if super::parse_hhmm(t).is_none() {
                    return bad("regimen.times", format!("`{t}` is not HH:MM"));
                }
            }
            if let Some(c) = drug.regimen.cycle
                && c.on_days == 0
            {
                return bad("regimen.cycle.on_days", "must be at least 1".into());
            }
            if drug.source.trim().is_empty() {
                return bad("source", "every entry cites its source".into());
            }
        }
        if file.drugs.is_empty() {
            return Err("drugs: the catalogue is empty".into());
        }
        Ok(Self { drugs: file.drugs })
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
