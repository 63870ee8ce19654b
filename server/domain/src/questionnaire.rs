//! Symptom questionnaires (docs/triage.md §1, docs/domain.md « What each sequence asks »): the item bank
//! (`config/questionnaires/items.toml`), which modules an episode is asked given its drugs
//! (`config/questionnaires/definitions.toml`), the texts in the patient's locale with the
//! branching, and the local dates a questionnaire is due. Pure: the config layer reads the
//! files and hands their text to [`QuestionBank::from_toml`].

mod cadence;
mod load;
mod render;

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};

pub use cadence::{Cadence, due_dates};
pub use render::{Choice, ChoiceValue, ItemKindName, ModuleKind, RenderedItem, RenderedModule, ShowIf};

use super::Sequence;
use super::answers::AnswerKey;
use super::symptoms::{self, Attribute, Measure};
use super::triage::Locale;

/// What a questionnaire is made of: one PRO-CTCAE symptom (all its attributes), one objective
/// measure, or one red-flag question. Ordered by kind (docs/triage.md §1, r3): red-flag
/// questions first, then symptoms in the order of docs/triage.md §1, then measures. A
/// questionnaire moves each measure right after its symptom ([`QuestionBank::asking_order`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Module {
    Symptom(&'static str),
    Measure(Measure),
    RedFlag(&'static str),
}

impl Module {
    /// A symptom, measure or red-flag key, exactly as in docs/triage.md §1.
    pub fn parse(key: &str) -> Option<Self> {
        if let Some(s) = symptoms::pro_ctcae_key(key) {
            return Some(Self::Symptom(s));
        }
        if let Some(m) = Measure::parse(key) {
            return Some(Self::Measure(m));
        }
        symptoms::red_flag_question(key).map(Self::RedFlag)
    }

    pub fn key(self) -> &'static str {
        match self {
            Self::Symptom(s) | Self::RedFlag(s) => s,
            Self::Measure(m) => m.key(),
        }
    }

    /// Every module, in asking order.
    pub fn all() -> Vec<Self> {
        let symptoms = symptoms::PRO_CTCAE.iter().map(|(s, _, _)| Self::Symptom(s));
        let measures = Measure::ALL.into_iter().map(Self::Measure);
        let flags = symptoms::RED_FLAG_QUESTIONS.iter().map(|(q, _)| Self::RedFlag(q));
        symptoms.chain(measures).chain(flags).collect()
    }

    /// The answer keys this module asks, in asking order (PRO-CTCAE attribute order).
    pub fn answer_keys(self) -> Vec<AnswerKey> {
        match self {
            Self::Symptom(s) => symptoms::attributes(s)
                .unwrap_or_default()
                .iter()
                .map(|a| if *a == Attribute::Presence { AnswerKey::Presence(s) } else { AnswerKey::Scale(s, *a) })
                .collect(),
            Self::Measure(m) => vec![AnswerKey::Measure(m)],
            Self::RedFlag(q) => vec![AnswerKey::RedFlag(q)],
        }
    }

    /// Position in the asking order: (group, index in its docs/triage.md §1 table).
    fn rank(self) -> (u8, usize) {
        let index = match self {
            Self::Symptom(s) => symptoms::PRO_CTCAE.iter().position(|(k, _, _)| *k == s),
            Self::Measure(m) => Measure::ALL.iter().position(|x| *x == m),
            Self::RedFlag(q) => symptoms::RED_FLAG_QUESTIONS.iter().position(|(k, _)| *k == q),
        };
        let group = match self {
            Self::RedFlag(_) => 0,
            Self::Symptom(_) => 1,
            Self::Measure(_) => 2,
        };
        (group, index.unwrap_or(usize::MAX))
    }
}

impl Ord for Module {
    fn cmp(&self, other: &Self) -> Ordering {
        self.rank().cmp(&other.rank())
    }
}

impl PartialOrd for Module {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// A text in each locale of the app, both non-empty (checked at load).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Text {
    pub fr: String,
    pub en: String,
}

impl Text {
    pub fn get(&self, locale: Locale) -> &str {
        match locale {
            Locale::Fr => &self.fr,
            Locale::En => &self.en,
        }
    }
}

/// Answer labels in each locale, in answer order (0..4 for a scale; no, yes for yes/no).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Labels {
    pub fr: Vec<String>,
    pub en: Vec<String>,
}

impl Labels {
    pub fn get(&self, locale: Locale) -> &[String] {
        match locale {
            Locale::Fr => &self.fr,
            Locale::En => &self.en,
        }
    }
}

/// Bounds of a number item: exactly the ranges of docs/triage.md §1 (checked at load).
#[derive(Debug, Clone, PartialEq)]
pub struct NumberSpec {
    pub min: f64,
    pub max: f64,
    pub step: f64,
    pub unit: Option<String>,
    pub integer: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ItemKind {
    /// A 0–4 PRO-CTCAE attribute; the scale is the attribute's own (frequency, severity,
    /// interference).
    Scale(Attribute),
    YesNo,
    Number(NumberSpec),
}

/// One question of the bank, for one answer key.
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    pub key: AnswerKey,
    pub kind: ItemKind,
    pub text: Text,
    pub help: Option<Text>,
    /// A scale item's own answer labels (0..4), so that each answer reads as an answer to this
    /// question ("Pas de fatigue" rather than "Aucune"); `None`: the shared labels of its scale.
    pub labels: Option<Labels>,
    /// A measure asked only when this first attribute is above 0 (stool count after diarrhoea).
    pub follows: Option<AnswerKey>,
    /// A measure asked right after this symptom when both are in a questionnaire (temperature
    /// after chills; a measure that `follows` a symptom comes after it too).
    pub after: Option<&'static str>,
}

/// The validated item bank and questionnaire definitions.
#[derive(Debug, Clone)]
pub struct QuestionBank {
    items: BTreeMap<AnswerKey, Item>,
    scales: BTreeMap<Attribute, Labels>,
    yes_no: Labels,
    names: BTreeMap<Module, Text>,
    base: BTreeSet<Module>,
    with_baseline_weight: BTreeSet<Module>,
    /// Additions of the rules, resolved against the catalogue at load: drug key → modules.
    by_drug: BTreeMap<String, BTreeSet<Module>>,
    on_my_own_always: BTreeSet<Module>,
    on_my_own_choices: BTreeSet<Module>,
    cadences: BTreeMap<Sequence, Cadence>,
}

impl QuestionBank {
    /// The modules of a scheduled questionnaire for an episode on these drugs (catalogue keys):
    /// the base, the additions of every rule matching one of the drugs, and the weight when
    /// the episode has a baseline weight; each module once, in asking order. A drug without a
    /// rule (or unknown to the catalogue) adds nothing: its patient still gets the base.
    pub fn questionnaire_for(&self, drugs: &[&str], has_baseline_weight: bool) -> Vec<Module> {
        let mut modules = self.base.clone();
        for drug in drugs {
            if let Some(added) = self.by_drug.get(*drug) {
                modules.extend(added);
            }
        }
        if has_baseline_weight {
            modules.extend(&self.with_baseline_weight);
        }
        self.asking_order(&modules)
    }

    /// The asking order of docs/triage.md §1 (r3): the red-flag questions first, then the
    /// symptoms, each followed by the measures placed after it (`follows` / `after` in
    /// items.toml: stool count after diarrhoea, temperature after chills), then the other
    /// measures. Each module once.
    pub fn asking_order(&self, modules: &BTreeSet<Module>) -> Vec<Module> {
        let anchor = |m: &Module| match m {
            Module::Measure(x) => {
                self.item(AnswerKey::Measure(*x)).after.filter(|s| modules.contains(&Module::Symptom(s)))
            }
            _ => None,
        };
        let mut out: Vec<Module> = modules.iter().filter(|m| matches!(m, Module::RedFlag(_))).copied().collect();
        for m in modules.iter().filter(|m| matches!(m, Module::Symptom(_))) {
            out.push(*m);
            out.extend(modules.iter().filter(|x| anchor(x) == Some(m.key())));
        }
        out.extend(modules.iter().filter(|m| matches!(m, Module::Measure(_)) && anchor(m).is_none()));
        out
    }

    /// "I have a symptom now": the modules the patient may pick from, in asking order.
    pub fn on_my_own_choices(&self) -> Vec<Module> {
        self.asking_order(&self.on_my_own_choices)
    }

    /// "I have a symptom now": the modules asked for the patient's pick, in asking order: the
    /// picked modules that are offered, plus the ones always asked (temperature, red flags).
    /// Either blood-pressure number brings the other (they are given together), and a symptom
    /// brings the measure that `follows` it (diarrhoea, then the stool count).
    pub fn on_my_own_for(&self, picked: &[Module]) -> Vec<Module> {
        let mut modules = self.on_my_own_always.clone();
        for m in picked.iter().filter(|m| self.on_my_own_choices.contains(m)) {
            modules.extend(self.brought_by(*m));
        }
        self.asking_order(&modules)
    }

    /// What picking one module of "I have a symptom now" asks besides the modules always
    /// asked: the module, the measures that follow it, the other blood-pressure number.
    pub fn brought_by(&self, m: Module) -> BTreeSet<Module> {
        let mut out = BTreeSet::from([m]);
        match m {
            Module::Measure(Measure::SystolicMmhg | Measure::DiastolicMmhg) => {
                out.extend([Module::Measure(Measure::SystolicMmhg), Module::Measure(Measure::DiastolicMmhg)]);
            }
            Module::Symptom(s) => {
                for x in Measure::ALL {
                    let follows = self.item(AnswerKey::Measure(x)).follows;
                    if matches!(follows, Some(AnswerKey::Scale(f, _)) if f == s) {
                        out.insert(Module::Measure(x));
                    }
                }
            }
            _ => {}
        }
        out
    }

    /// Modules always asked by "I have a symptom now" (temperature, red flags).
    pub fn on_my_own_always(&self) -> &BTreeSet<Module> {
        &self.on_my_own_always
    }

    /// When the questionnaires of a sequence are due.
    pub fn cadence(&self, sequence: Sequence) -> &Cadence {
        // Every sequence has a cadence: `from_toml` refuses a file missing one.
        &self.cadences[&sequence]
    }

    /// The question for an answer key; every key of the contract has one.
    pub fn item(&self, key: AnswerKey) -> &Item {
        &self.items[&key]
    }

    /// Short name of a module ("Diarrhée"), for lists and the "I have a symptom now" picker.
    pub fn module_name(&self, module: Module, locale: Locale) -> &str {
        self.names[&module].get(locale)
    }

    /// The name of what a grade or a flag is about: a module of the bank by its name, a
    /// symptom the engine grades from a measure by this table, any other key as written.
    pub fn symptom_name(&self, key: &str, locale: Locale) -> String {
        if let Some(m) = Module::parse(key) {
            return self.module_name(m, locale).to_owned();
        }
        let (fr, en) = match key {
            "fever" => ("Fièvre", "Fever"),
            "hypertension" => ("Hypertension artérielle", "High blood pressure"),
            "weight_loss" => ("Perte de poids", "Weight loss"),
            "diarrhea" => ("Diarrhée", "Diarrhoea"),
            "vomiting" => ("Vomissements", "Vomiting"),
            other => return other.replace('_', " "),
        };
        match locale {
            Locale::Fr => fr,
            Locale::En => en,
        }
        .to_owned()
    }
}

#[cfg(test)]
mod tests;
