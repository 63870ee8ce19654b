//! Interactions (docs/triage.md §7): pair rules in config over tags, or over a named drug and a tag,
//! checked when a co-medication is declared. A finding is an amber `interaction` alert.

mod comedications;

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

pub use comedications::{ComedCatalog, Comedication};

use super::answers::FieldError;
use super::catalog::{self, Catalog};

/// One side of a pair rule as written in config: exactly one of `tag` or `drug`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SideSpec {
    #[serde(default)]
    pub tag: Option<String>,
    /// A catalogue key or a co-medication key (`ibrutinib`, `warfarin`).
    #[serde(default)]
    pub drug: Option<String>,
}

/// A `[[interactions.rule]]` as written in config.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PairSpec {
    pub id: String,
    pub a: SideSpec,
    pub b: SideSpec,
    /// What the pharmacist should know, for staff (the engine's text, in the API).
    pub reason: String,
    /// The same in French, for the staff pages (required).
    pub reason_fr: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Side {
    Tag(String),
    Drug(String),
}

impl Side {
    fn matches(&self, p: &Product) -> bool {
        match self {
            Self::Tag(t) => p.tags.contains(t),
            Self::Drug(d) => p.name == *d,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct PairRule {
    id: String,
    a: Side,
    b: Side,
    reason: String,
    reason_fr: String,
}

/// Validated pair rules.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InteractionRules {
    rules: Vec<PairRule>,
}

/// A drug or co-medication of the patient, with its tags.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Product {
    pub name: String,
    pub tags: BTreeSet<String>,
}

/// An interaction found between two products.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Finding {
    pub rule: String,
    pub a: String,
    pub b: String,
    pub reason: String,
}

fn side(s: &SideSpec, key: &str) -> Result<Side, String> {
    match (&s.tag, &s.drug) {
        (Some(t), None) if catalog::KNOWN_TAGS.contains(&t.as_str()) => Ok(Side::Tag(t.clone())),
        (Some(t), None) => Err(format!("{key}.tag: unknown tag `{t}`")),
        (None, Some(d)) if !d.is_empty() && d.chars().all(|c| c.is_ascii_lowercase() || c == '_' || c == '-') => {
            Ok(Side::Drug(d.clone()))
        }
        (None, Some(d)) => Err(format!("{key}.drug: `{d}` is not a lower-case drug key")),
        _ => Err(format!("{key}: give `tag` or `drug`, exactly one")),
    }
}

impl InteractionRules {
    pub fn new(specs: &[PairSpec], key: &str) -> Result<Self, String> {
        let mut rules: Vec<PairRule> = Vec::new();
        for (i, s) in specs.iter().enumerate() {
            let k = format!("{key}[{i}]");
            if s.id.trim().is_empty() || rules.iter().any(|r| r.id == s.id) {
                return Err(format!("{k}.id: a unique, non-empty id"));
            }
            if s.reason.trim().is_empty() {
                return Err(format!("{k}.reason: every rule says why"));
            }
            if s.reason_fr.trim().is_empty() {
                return Err(format!("{k}.reason_fr: every rule says why in French too"));
            }
            rules.push(PairRule {
                id: s.id.clone(),
                a: side(&s.a, &format!("{k}.a"))?,
                b: side(&s.b, &format!("{k}.b"))?,
                reason: s.reason.clone(),
                reason_fr: s.reason_fr.clone(),
            });
        }
        Ok(Self { rules })
    }

    /// The text of rule `id` in `locale`; `None` for a rule the configuration no longer has.
    pub fn rule_reason(&self, id: &str, locale: crate::triage::Locale) -> Option<&str> {
        let rule = self.rules.iter().find(|r| r.id == id)?;
        Some(match locale {
            crate::triage::Locale::Fr => &rule.reason_fr,
            crate::triage::Locale::En => &rule.reason,
        })
    }

    /// A stored interaction reason (`{a} + {b}: {reason}`, as the alert records it) in French,
    /// from the rule whose reason it quotes; `None` for a text no rule wrote.
    pub fn reason_in_french(&self, stored: &str) -> Option<String> {
        let (pair, reason) = stored.split_once(": ")?;
        let rule = self.rules.iter().find(|r| r.reason == reason)?;
        Some(format!("{pair} : {}", rule.reason_fr))
    }

    /// Checks that every `drug` named by a rule exists in the catalogue or the co-medications.
    pub fn check_names(&self, catalog: &Catalog, comeds: &ComedCatalog) -> Result<(), String> {
        for r in &self.rules {
            for s in [&r.a, &r.b] {
                if let Side::Drug(d) = s
                    && catalog.get(d).is_none()
                    && comeds.get(d).is_none()
                {
                    return Err(format!("interactions.rule `{}`: unknown drug `{d}`", r.id));
                }
            }
        }
        Ok(())
    }

    /// Findings between the newly declared `new` product and each of `others` (the episode's
    /// drugs and earlier co-medications), in rule order then product order.
    pub fn check(&self, others: &[Product], new: &Product) -> Vec<Finding> {
        let mut out = Vec::new();
        for r in &self.rules {
            for o in others.iter().filter(|o| o.name != new.name) {
                let hit = (r.a.matches(o) && r.b.matches(new)) || (r.a.matches(new) && r.b.matches(o));
                if hit {
                    out.push(Finding {
                        rule: r.id.clone(),
                        a: o.name.clone(),
                        b: new.name.clone(),
                        reason: r.reason.clone(),
                    });
                }
            }
        }
        out
    }
}

/// The episode's drugs as products, with their catalogue tags. An unknown drug names `drugs`.
pub fn drug_products(catalog: &Catalog, drugs: &[String]) -> Result<Vec<Product>, FieldError> {
    drugs
        .iter()
        .map(|d| {
            catalog
                .get(d)
                .map(|drug| Product { name: d.clone(), tags: drug.tags.clone() })
                .ok_or_else(|| FieldError::new("drugs", format!("unknown drug `{d}`")))
        })
        .collect()
}

#[cfg(test)]
mod tests;
