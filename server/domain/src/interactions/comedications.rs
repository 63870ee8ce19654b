//! Common co-medications and their tags (`config/catalog/comedications.toml`), so that a name
//! typed by a patient or a professional ("millepertuis", "Inexium") finds its tags.

use std::collections::{BTreeMap, BTreeSet};

use serde::Deserialize;

use super::Product;
use crate::catalog::KNOWN_TAGS;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    comedications: BTreeMap<String, Comedication>,
}

/// One co-medication, keyed by a lower-case English name.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Comedication {
    /// Other names it is known by: French names, common brand names.
    #[serde(default)]
    pub aliases: Vec<String>,
    pub tags: BTreeSet<String>,
    pub source: String,
}

#[derive(Debug, Clone)]
pub struct ComedCatalog {
    entries: BTreeMap<String, Comedication>,
    /// Normalised name or alias → key.
    names: BTreeMap<String, String>,
}

/// Lower case, trimmed, common accents removed, apostrophes unified.
pub fn normalise(name: &str) -> String {
    name.trim()
        .to_lowercase()
        .chars()
        .map(|c| match c {
            'à' | 'â' | 'ä' => 'a',
            'é' | 'è' | 'ê' | 'ë' => 'e',
            'î' | 'ï' => 'i',
            'ô' | 'ö' => 'o',
            'ù' | 'û' | 'ü' => 'u',
            'ç' => 'c',
            '’' | '`' => '\'',
            c => c,
        })
        .collect()
}

impl ComedCatalog {
    pub fn from_toml(text: &str) -> Result<Self, String> {
        let file: File = toml::from_str(text).map_err(|e| format!("comedications.toml: {e}"))?;
        let mut names = BTreeMap::new();
        for (key, c) in &file.comedications {
            let at = format!("comedications.{key}");
            if key.is_empty() || !key.chars().all(|ch| ch.is_ascii_lowercase() || ch == '_' || ch == '-') {
                return Err(format!("{at}: keys are lower-case names"));
            }
            if c.tags.is_empty() {
                return Err(format!("{at}.tags: at least one tag"));
            }
            if let Some(t) = c.tags.iter().find(|t| !KNOWN_TAGS.contains(&t.as_str())) {
                return Err(format!("{at}.tags: unknown tag `{t}`"));
            }
            if c.source.trim().is_empty() {
                return Err(format!("{at}.source: every entry cites its source"));
            }
            for n in std::iter::once(key.as_str()).chain(c.aliases.iter().map(String::as_str)) {
                if let Some(other) = names.insert(normalise(n), key.clone())
                    && other != *key
                {
                    return Err(format!("{at}.aliases: `{n}` already names `{other}`"));
                }
            }
        }
        Ok(Self { entries: file.comedications, names })
    }

    pub fn get(&self, key: &str) -> Option<&Comedication> {
        self.entries.get(key)
    }

    /// Finds a co-medication by key, alias or brand name, ignoring case and accents.
    pub fn lookup(&self, name: &str) -> Option<(&str, &Comedication)> {
        let key = self.names.get(&normalise(name))?;
        self.entries.get_key_value(key).map(|(k, c)| (k.as_str(), c))
    }

    /// The product to check for a declared name, with the catalogue's tags.
    pub fn product(&self, name: &str) -> Option<Product> {
        self.lookup(name).map(|(k, c)| Product { name: k.to_string(), tags: c.tags.clone() })
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &Comedication)> {
        self.entries.iter().map(|(k, v)| (k.as_str(), v))
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}
