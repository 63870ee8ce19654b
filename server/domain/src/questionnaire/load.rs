//! Parsing and validation of `items.toml` and `definitions.toml`. Every error names the file
//! and the key, so a clinical team editing the config can fix it from the start-up message.

use std::collections::{BTreeMap, BTreeSet};

use serde::Deserialize;

use super::cadence::{self, CadenceEntry};
use super::{Item, ItemKind, Labels, Module, NumberSpec, QuestionBank, Text};
use crate::answers::AnswerKey;
use crate::catalog::{self, Catalog};
use crate::symptoms::{self, Attribute, Measure};

const ITEMS: &str = "items.toml";
const DEFS: &str = "definitions.toml";
const LOCALES: [&str; 2] = ["fr", "en"];

/// A text or label list as written: a table keyed by locale, checked by [`localized`].
type Raw<T> = BTreeMap<String, T>;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ItemsFile {
    scales: BTreeMap<String, Raw<Vec<String>>>,
    yes_no: Raw<Vec<String>>,
    modules: BTreeMap<String, Raw<String>>,
    item: Vec<ItemEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "snake_case")]
enum KindName {
    Scale,
    YesNo,
    Number,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ItemEntry {
    key: String,
    kind: KindName,
    scale: Option<String>,
    min: Option<f64>,
    max: Option<f64>,
    step: Option<f64>,
    unit: Option<String>,
    integer: Option<bool>,
    follows: Option<String>,
    after: Option<String>,
    text: Raw<String>,
    help: Option<Raw<String>>,
    /// A scale item's own answers (0..4), read as answers to its question; overrides the
    /// shared `[scales.<name>]` labels for this item only.
    labels: Option<Raw<Vec<String>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DefinitionsFile {
    cadence: BTreeMap<String, CadenceEntry>,
    base: ModuleList,
    with_baseline_weight: ModuleList,
    #[serde(default)]
    rule: Vec<RuleEntry>,
    on_my_own: OnMyOwnEntry,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ModuleList {
    modules: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleEntry {
    class: Option<String>,
    tag: Option<String>,
    drugs: Option<Vec<String>>,
    modules: Vec<String>,
    source: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OnMyOwnEntry {
    always: Vec<String>,
    pick_from: Vec<String>,
}

impl QuestionBank {
    /// Parses and validates the item bank and the definitions against the drug catalogue.
    pub fn from_toml(items: &str, definitions: &str, catalog: &Catalog) -> Result<Self, String> {
        let file: ItemsFile = toml::from_str(items).map_err(|e| format!("{ITEMS}: {e}"))?;
        let defs: DefinitionsFile = toml::from_str(definitions).map_err(|e| format!("{DEFS}: {e}"))?;

        let mut scales = BTreeMap::new();
        for (name, raw) in &file.scales {
            let Some(attr) = scale_attribute(name) else {
                return Err(format!("{ITEMS}: scales.{name}: unknown scale (frequency, severity, interference)"));
            };
            scales.insert(attr, labels(raw, 5, &format!("{ITEMS}: scales.{name}"))?);
        }
        for attr in [Attribute::Frequency, Attribute::Severity, Attribute::Interference] {
            if !scales.contains_key(&attr) {
                return Err(format!("{ITEMS}: scales.{}: missing", attr.key()));
            }
        }
        let yes_no = labels(&file.yes_no, 2, &format!("{ITEMS}: yes_no"))?;

        let mut names = BTreeMap::new();
        for (key, raw) in &file.modules {
            let m = Module::parse(key)
                .ok_or_else(|| format!("{ITEMS}: modules.{key}: not a module of docs/triage.md §1"))?;
            names.insert(m, localized(raw, &format!("{ITEMS}: modules.{key}"))?);
        }
        if let Some(m) = Module::all().into_iter().find(|m| !names.contains_key(m)) {
            return Err(format!("{ITEMS}: modules.{}: missing (every module needs a name)", m.key()));
        }

        let mut bank_items = BTreeMap::new();
        for entry in &file.item {
            let item = item(entry)?;
            if bank_items.insert(item.key, item).is_some() {
                return Err(format!("{ITEMS}: item `{}`: defined twice", entry.key));
            }
        }
        if let Some(k) = AnswerKey::all().into_iter().find(|k| !bank_items.contains_key(k)) {
            return Err(format!(
                "{ITEMS}: item `{}`: missing (every answer key of docs/triage.md §1 needs one)",
                k.to_key()
            ));
        }

        let cadences = cadence::parse(&defs.cadence, DEFS)?;
        let base = module_set(&defs.base.modules, "base")?;
        must_hold_safety_net(&base, "base")?;
        let with_baseline_weight = module_set(&defs.with_baseline_weight.modules, "with_baseline_weight")?;
        let on_my_own_always = module_set(&defs.on_my_own.always, "on_my_own.always")?;
        must_hold_safety_net(&on_my_own_always, "on_my_own.always")?;
        let on_my_own_choices = module_set(&defs.on_my_own.pick_from, "on_my_own.pick_from")?;
        for (set, list) in [(&base, "base"), (&on_my_own_always, "on_my_own.always")] {
            no_weight(set, list)?;
        }

        let mut by_drug: BTreeMap<String, BTreeSet<Module>> = BTreeMap::new();
        for (i, rule) in defs.rule.iter().enumerate() {
            let at = format!("rule[{i}]");
            let modules = module_set(&rule.modules, &format!("{at}.modules"))?;
            no_weight(&modules, &format!("{at}.modules"))?;
            if modules.is_empty() {
                return Err(format!("{DEFS}: {at}.modules: a rule adds at least one module"));
            }
            if rule.source.trim().is_empty() {
                return Err(format!("{DEFS}: {at}.source: every rule cites its source"));
            }
            for drug in select(rule, &at, catalog)? {
                by_drug.entry(drug).or_default().extend(&modules);
            }
        }

        Ok(Self {
            items: bank_items,
            scales,
            yes_no,
            names,
            base,
            with_baseline_weight,
            by_drug,
            on_my_own_always,
            on_my_own_choices,
            cadences,
        })
    }
}

fn scale_attribute(name: &str) -> Option<Attribute> {
    [Attribute::Frequency, Attribute::Severity, Attribute::Interference].into_iter().find(|a| a.key() == name)
}

/// A text in exactly the app's locales, none empty.
fn localized(raw: &Raw<String>, at: &str) -> Result<Text, String> {
    check_locales(raw, at)?;
    for (locale, text) in raw {
        if text.trim().is_empty() {
            return Err(format!("{at}.{locale}: empty text"));
        }
    }
    Ok(Text { fr: raw["fr"].clone(), en: raw["en"].clone() })
}

fn labels(raw: &Raw<Vec<String>>, count: usize, at: &str) -> Result<Labels, String> {
    check_locales(raw, at)?;
    for (locale, list) in raw {
        if list.len() != count || list.iter().any(|l| l.trim().is_empty()) {
            return Err(format!("{at}.{locale}: exactly {count} non-empty labels"));
        }
    }
    Ok(Labels { fr: raw["fr"].clone(), en: raw["en"].clone() })
}

fn check_locales<T>(raw: &Raw<T>, at: &str) -> Result<(), String> {
    if let Some(l) = raw.keys().find(|l| !LOCALES.contains(&l.as_str())) {
        return Err(format!("{at}.{l}: unknown locale (fr, en)"));
    }
    if let Some(l) = LOCALES.iter().find(|l| !raw.contains_key(**l)) {
        return Err(format!("{at}.{l}: missing"));
    }
    Ok(())
}

/// One item, checked against the contract: its kind, scale and bounds follow from its key.
fn item(e: &ItemEntry) -> Result<Item, String> {
    let at = format!("{ITEMS}: item `{}`", e.key);
    let key = AnswerKey::parse(&e.key).ok_or_else(|| format!("{at}: not an answer key of docs/triage.md §1"))?;
    let text = localized(&e.text, &format!("{at}: text"))?;
    let help = e.help.as_ref().map(|h| localized(h, &format!("{at}: help"))).transpose()?;
    if e.labels.is_some() && !matches!(e.kind, KindName::Scale) {
        return Err(format!("{at}: labels: only for kind = \"scale\""));
    }
    let own_labels = e.labels.as_ref().map(|l| labels(l, 5, &format!("{at}: labels"))).transpose()?;
    let has_number_fields =
        e.min.is_some() || e.max.is_some() || e.step.is_some() || e.unit.is_some() || e.integer.is_some();
    if e.follows.is_some() && !matches!(key, AnswerKey::Measure(_)) {
        return Err(format!("{at}: follows: only a measure follows a symptom"));
    }
    let kind = match (key, &e.kind) {
        (AnswerKey::Scale(_, attr), KindName::Scale) => {
            let scale = e.scale.as_deref().ok_or_else(|| format!("{at}: scale: missing"))?;
            if scale != attr.key() {
                return Err(format!(
                    "{at}: scale: `{scale}` for a {} attribute (must be `{}`)",
                    attr.key(),
                    attr.key()
                ));
            }
            if has_number_fields {
                return Err(format!("{at}: min, max, step, unit, integer: only for kind = \"number\""));
            }
            ItemKind::Scale(attr)
        }
        (AnswerKey::Presence(_) | AnswerKey::RedFlag(_), KindName::YesNo) => {
            if e.scale.is_some() || has_number_fields {
                return Err(format!("{at}: a yes_no item has no scale nor number bounds"));
            }
            ItemKind::YesNo
        }
        (AnswerKey::Measure(m), KindName::Number) => {
            if e.scale.is_some() {
                return Err(format!("{at}: scale: only for kind = \"scale\""));
            }
            ItemKind::Number(number_spec(e, m, &at)?)
        }
        (AnswerKey::Scale(..), _) => return Err(format!("{at}: kind: must be \"scale\"")),
        (AnswerKey::Presence(_) | AnswerKey::RedFlag(_), _) => return Err(format!("{at}: kind: must be \"yes_no\"")),
        (AnswerKey::Measure(_), _) => return Err(format!("{at}: kind: must be \"number\"")),
    };
    let follows = match &e.follows {
        None => None,
        Some(f) => match AnswerKey::parse(f) {
            Some(k @ AnswerKey::Scale(s, a)) if symptoms::attributes(s).and_then(|l| l.first()) == Some(&a) => Some(k),
            _ => return Err(format!("{at}: follows: `{f}` is not the first attribute of a symptom")),
        },
    };
    let after = match (&e.after, follows) {
        (Some(_), _) if !matches!(key, AnswerKey::Measure(_)) => {
            return Err(format!("{at}: after: only a measure is placed after a symptom"));
        }
        (Some(_), Some(_)) => {
            return Err(format!("{at}: after: a measure that follows a symptom comes after it already"));
        }
        (Some(s), None) => {
            Some(symptoms::pro_ctcae_key(s).ok_or_else(|| format!("{at}: after: `{s}` is not a symptom key"))?)
        }
        (None, Some(AnswerKey::Scale(s, _))) => Some(s),
        (None, _) => None,
    };
    Ok(Item { key, kind, text, help, labels: own_labels, follows, after })
}

fn number_spec(e: &ItemEntry, m: Measure, at: &str) -> Result<NumberSpec, String> {
    let (lo, hi) = m.range();
    let (Some(min), Some(max), Some(step), Some(integer)) = (e.min, e.max, e.step, e.integer) else {
        return Err(format!("{at}: min, max, step and integer are required for a number"));
    };
    if min != lo || max != hi {
        return Err(format!("{at}: min, max: must be {lo} and {hi} (docs/triage.md §1), not {min} and {max}"));
    }
    if integer != m.is_integer() {
        return Err(format!("{at}: integer: must be {} (docs/triage.md §1)", m.is_integer()));
    }
    if !(step.is_finite() && step > 0.0 && step <= hi - lo) || (integer && step.fract() != 0.0) {
        return Err(format!("{at}: step: {step} is not a valid step for this range"));
    }
    if e.unit.as_deref().is_some_and(|u| u.trim().is_empty()) {
        return Err(format!("{at}: unit: empty (leave it out for a count)"));
    }
    Ok(NumberSpec { min, max, step, unit: e.unit.clone(), integer })
}

/// A list of module keys: each known, each once; a diastolic pressure only with its systolic.
fn module_set(keys: &[String], at: &str) -> Result<BTreeSet<Module>, String> {
    let mut set = BTreeSet::new();
    for k in keys {
        let m =
            Module::parse(k).ok_or_else(|| format!("{DEFS}: {at}: unknown module `{k}` (docs/triage.md §1 keys)"))?;
        if !set.insert(m) {
            return Err(format!("{DEFS}: {at}: `{k}` listed twice"));
        }
    }
    if set.contains(&Module::Measure(Measure::DiastolicMmhg)) && !set.contains(&Module::Measure(Measure::SystolicMmhg))
    {
        return Err(format!("{DEFS}: {at}: `diastolic_mmhg` is asked together with `systolic_mmhg`"));
    }
    Ok(set)
}

/// The temperature and every red-flag question are asked every time (docs/triage.md §3).
fn must_hold_safety_net(set: &BTreeSet<Module>, at: &str) -> Result<(), String> {
    let required = std::iter::once(Module::Measure(Measure::TemperatureC))
        .chain(symptoms::RED_FLAG_QUESTIONS.iter().map(|(q, _)| Module::RedFlag(q)));
    for m in required {
        if !set.contains(&m) {
            return Err(format!("{DEFS}: {at}: must include `{}` (asked every time)", m.key()));
        }
    }
    Ok(())
}

/// Weight is only compared with a baseline: it is added through `with_baseline_weight`.
fn no_weight(set: &BTreeSet<Module>, at: &str) -> Result<(), String> {
    if set.contains(&Module::Measure(Measure::WeightKg)) {
        return Err(format!("{DEFS}: {at}: `weight_kg` is asked through [with_baseline_weight] only"));
    }
    Ok(())
}

/// The catalogue drugs a rule selects; a rule that selects none is a typo.
fn select(rule: &RuleEntry, at: &str, catalog: &Catalog) -> Result<BTreeSet<String>, String> {
    let selected: BTreeSet<String> = match (&rule.class, &rule.tag, &rule.drugs) {
        (Some(class), None, None) => {
            let wanted = words(class);
            if wanted.is_empty() {
                return Err(format!("{DEFS}: {at}.class: empty keyword"));
            }
            let matches = |c: &str| words(c).windows(wanted.len()).any(|w| w == wanted.as_slice());
            catalog.iter().filter(|(_, d)| matches(&d.class)).map(|(k, _)| k.to_string()).collect()
        }
        (None, Some(tag), None) => {
            if !catalog::KNOWN_TAGS.contains(&tag.as_str()) {
                return Err(format!("{DEFS}: {at}.tag: unknown tag `{tag}`"));
            }
            catalog.iter().filter(|(_, d)| d.tags.contains(tag)).map(|(k, _)| k.to_string()).collect()
        }
        (None, None, Some(drugs)) => {
            if let Some(d) = drugs.iter().find(|d| catalog.get(d).is_none()) {
                return Err(format!("{DEFS}: {at}.drugs: `{d}` is not in the drug catalogue"));
            }
            drugs.iter().cloned().collect()
        }
        _ => return Err(format!("{DEFS}: {at}: exactly one of class, tag, drugs")),
    };
    if selected.is_empty() {
        return Err(format!("{DEFS}: {at}: selects no drug of the catalogue"));
    }
    Ok(selected)
}

/// Lower-case alphanumeric words: "HER2/EGFR tyrosine" → ["her2", "egfr", "tyrosine"].
fn words(s: &str) -> Vec<String> {
    s.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).map(str::to_lowercase).collect()
}
