//! The clinical and billing rules (`config/` directory): read from the rules directory when
//! one is configured, otherwise from the copies built into the binary; parsed and validated by
//! the pure `domain` types. An invalid file stops start-up with its name and the key.

use std::path::Path;
use std::sync::Arc;

use super::ConfigError;
use crate::domain::{
    adherence::AdherenceRules, billing::Tariffs, calendar::Calendars, catalog::Catalog, interactions::ComedCatalog,
    interviews::InterviewRules, pathway::PathwayRules, questionnaire::QuestionBank, triage::TriageRules,
};

/// Files built into the binary, by their path under `config/`.
const EMBEDDED: &[(&str, &str)] = &[
    ("catalog/drugs.toml", include_str!("../../../config/catalog/drugs.toml")),
    ("catalog/comedications.toml", include_str!("../../../config/catalog/comedications.toml")),
    ("pathway.toml", include_str!("../../../config/pathway.toml")),
    ("adherence.toml", include_str!("../../../config/adherence.toml")),
    ("tariffs/onco-link.toml", include_str!("../../../config/tariffs/onco-link.toml")),
    ("tariffs/pharmacist-interviews.toml", include_str!("../../../config/tariffs/pharmacist-interviews.toml")),
    ("questionnaires/items.toml", include_str!("../../../config/questionnaires/items.toml")),
    ("questionnaires/definitions.toml", include_str!("../../../config/questionnaires/definitions.toml")),
    ("triage.toml", include_str!("../../../config/triage.toml")),
    ("proctcae_composite.csv", include_str!("../../../config/proctcae_composite.csv")),
    ("holidays/fr.toml", include_str!("../../../config/holidays/fr.toml")),
    ("holidays/fr-alsace-moselle.toml", include_str!("../../../config/holidays/fr-alsace-moselle.toml")),
    ("holidays/fr-guadeloupe.toml", include_str!("../../../config/holidays/fr-guadeloupe.toml")),
    ("holidays/fr-guyane.toml", include_str!("../../../config/holidays/fr-guyane.toml")),
    ("holidays/fr-martinique.toml", include_str!("../../../config/holidays/fr-martinique.toml")),
    ("holidays/fr-mayotte.toml", include_str!("../../../config/holidays/fr-mayotte.toml")),
    ("holidays/fr-reunion.toml", include_str!("../../../config/holidays/fr-reunion.toml")),
];

/// Working-day calendars shipped with the binary; a rules directory has the same names.
const CALENDARS: &[&str] =
    &["fr", "fr-alsace-moselle", "fr-guadeloupe", "fr-guyane", "fr-martinique", "fr-mayotte", "fr-reunion"];

pub fn embedded_file(name: &str) -> Option<&'static str> {
    EMBEDDED.iter().find(|(n, _)| *n == name).map(|(_, t)| *t)
}

/// Every rule set, validated. Cheap to clone (shared).
#[derive(Debug, Clone)]
pub struct Rules {
    pub catalog: Arc<Catalog>,
    pub pathway: PathwayRules,
    pub triage: Arc<TriageRules>,
    pub comedications: Arc<ComedCatalog>,
    pub calendars: Arc<Calendars>,
    pub adherence: AdherenceRules,
    pub questionnaires: Arc<QuestionBank>,
    pub tariffs: Arc<Tariffs>,
    pub interviews: Arc<InterviewRules>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct AdherenceFile {
    adherence: AdherenceRules,
}

impl Rules {
    /// The names and texts reason codes are rendered with (docs/triage.md, "Reasons").
    pub fn vocabulary(&self) -> crate::domain::reason::Vocabulary<'_> {
        crate::domain::reason::Vocabulary { bank: &self.questionnaires, catalog: &self.catalog, rules: &self.triage }
    }

    /// `dir` empty = the built-in copies.
    pub fn load(dir: &str) -> Result<Self, ConfigError> {
        let read = |name: &str| -> Result<(String, String), ConfigError> {
            if dir.is_empty() {
                let text = embedded_file(name).ok_or_else(|| ConfigError::new(name, "not built in"))?;
                Ok((format!("config/{name} (built in)"), text.to_owned()))
            } else {
                let path = Path::new(dir).join(name);
                let label = path.display().to_string();
                let text = std::fs::read_to_string(&path).map_err(|e| ConfigError::new(&label, e.to_string()))?;
                Ok((label, text))
            }
        };
        let (label, text) = read("catalog/drugs.toml")?;
        let catalog = Catalog::from_toml(&text).map_err(|e| ConfigError::new(&label, e))?;
        let (label, text) = read("pathway.toml")?;
        let pathway: PathwayRules = toml::from_str(&text).map_err(|e| ConfigError::new(&label, e.to_string()))?;
        pathway.validate().map_err(|e| ConfigError::new(&label, e))?;
        let (label, text) = read("catalog/comedications.toml")?;
        let comedications = ComedCatalog::from_toml(&text).map_err(|e| ConfigError::new(&label, e))?;
        let (csv_label, csv) = read("proctcae_composite.csv")?;
        let (label, text) = read("triage.toml")?;
        let triage = TriageRules::from_toml(&text, &csv)
            .map_err(|e| ConfigError::new(format!("{label} (with {csv_label})"), e))?;
        triage.interactions.check_names(&catalog, &comedications).map_err(|e| ConfigError::new(&label, e))?;
        let mut files = Vec::new();
        for name in CALENDARS {
            files.push((*name, read(&format!("holidays/{name}.toml"))?.1));
        }
        let refs: Vec<(&str, &str)> = files.iter().map(|(n, t)| (*n, t.as_str())).collect();
        let calendars = Calendars::from_files(&refs).map_err(|e| ConfigError::new("config/holidays", e))?;
        let (label, text) = read("adherence.toml")?;
        let adherence =
            toml::from_str::<AdherenceFile>(&text).map_err(|e| ConfigError::new(&label, e.to_string()))?.adherence;
        adherence.validate().map_err(|e| ConfigError::new(&label, e.to_string()))?;
        let (items_label, items) = read("questionnaires/items.toml")?;
        let (label, definitions) = read("questionnaires/definitions.toml")?;
        let questionnaires = QuestionBank::from_toml(&items, &definitions, &catalog)
            .map_err(|e| ConfigError::new(format!("{items_label} / {label}"), e))?;
        let (label, text) = read("tariffs/onco-link.toml")?;
        let tariffs = Tariffs::from_toml(&text).map_err(|e| ConfigError::new(&label, e))?;
        if tariffs.versions().iter().any(|v| v.split_is_placeholder) {
            tracing::warn!("{label}: the per-actor split of the forfaits is a placeholder; set the official split");
        }
        let (label, text) = read("tariffs/pharmacist-interviews.toml")?;
        let interviews = InterviewRules::from_toml(&text).map_err(|e| ConfigError::new(&label, e))?;
        Ok(Self {
            tariffs: Arc::new(tariffs),
            interviews: Arc::new(interviews),
            questionnaires: Arc::new(questionnaires),
            adherence,
            catalog: Arc::new(catalog),
            pathway,
            triage: Arc::new(triage),
            comedications: Arc::new(comedications),
            calendars: Arc::new(calendars),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_in_rules_are_valid() {
        let r = Rules::load("").unwrap();
        assert!(r.catalog.len() >= 60, "{}", r.catalog.len());
    }

    #[test]
    fn a_rules_directory_is_read_and_errors_name_the_file() {
        let dir = std::env::temp_dir().join(format!("relais-rules-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(dir.join("catalog")).unwrap();
        std::fs::create_dir_all(dir.join("holidays")).unwrap();
        std::fs::create_dir_all(dir.join("questionnaires")).unwrap();
        std::fs::create_dir_all(dir.join("tariffs")).unwrap();
        for (name, text) in EMBEDDED {
            std::fs::write(dir.join(name), text).unwrap();
        }
        assert!(Rules::load(dir.to_str().unwrap()).is_ok());
        std::fs::write(dir.join("pathway.toml"), "s1_months = 0\ns2_months = 3\ns3_months = 6\n").unwrap();
        let e = Rules::load(dir.to_str().unwrap()).unwrap_err().to_string();
        assert!(e.contains("pathway.toml") && e.contains("s1_months"), "{e}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
