//! The clinical and billing rules (`config/` directory): read from the rules directory when
//! one is configured, otherwise from the copies built into the binary; parsed and validated by
//! the pure `domain` types. An invalid file stops start-up with its name and the key.

use std::path::Path;
use std::sync::Arc;

use super::ConfigError;
use crate::domain::{catalog::Catalog, pathway::PathwayRules};

/// Files built into the binary, by their path under `config/`.
const EMBEDDED: &[(&str, &str)] = &[
    ("catalog/drugs.toml", include_str!("../../../config/catalog/drugs.toml")),
    ("pathway.toml", include_str!("../../../config/pathway.toml")),
];

pub fn embedded_file(name: &str) -> Option<&'static str> {
    EMBEDDED.iter().find(|(n, _)| *n == name).map(|(_, t)| *t)
}

/// Every rule set, validated. Cheap to clone (shared).
#[derive(Debug, Clone)]
pub struct Rules {
    pub catalog: Arc<Catalog>,
    pub pathway: PathwayRules,
}

impl Rules {
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
        Ok(Self { catalog: Arc::new(catalog), pathway })
    }
}
