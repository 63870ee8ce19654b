//! A questionnaire as the patient's app receives it (`GET /patient/questionnaires/{id}`):
//! modules with their items, texts in the patient's locale, answer choices, number bounds and
//! the branching (`show_if`) the app applies and the server checks again on submission.

use serde::Serialize;

use super::{Item, ItemKind, Module, QuestionBank};
use crate::answers::AnswerKey;
use crate::symptoms;
use crate::triage::Locale;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ModuleKind {
    Symptom,
    Measure,
    RedFlag,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ItemKindName {
    Scale,
    YesNo,
    Number,
}

/// One module: a symptom with its attributes, a measure or a red-flag question.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct RenderedModule {
    /// The symptom, measure or red-flag key of docs/triage.md §1.
    pub key: String,
    pub kind: ModuleKind,
    /// Short name ("Diarrhée").
    pub title: String,
    pub items: Vec<RenderedItem>,
}

/// One question. The answer goes under `key` in the report's `answers`.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct RenderedItem {
    pub key: String,
    pub kind: ItemKindName,
    pub text: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
    /// Scale (values 0–4) and yes/no (false, true) items; empty for numbers.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub choices: Vec<Choice>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub step: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
    /// Numbers only: true when the answer is a whole number written without a fraction.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub integer: Option<bool>,
    /// Asked only when the answer to another item is above a value; otherwise left out of the
    /// report (not answered 0).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub show_if: Option<ShowIf>,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Choice {
    pub value: ChoiceValue,
    pub label: String,
}

/// The JSON value to send: an integer 0–4 for a scale, a boolean for a yes/no question.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum ChoiceValue {
    Level(u8),
    Answer(bool),
}

/// Show the item only when the answer to `key` is above `above`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ShowIf {
    pub key: String,
    pub above: u8,
}

impl QuestionBank {
    /// The modules with their items in the locale, in the order given (use the order of
    /// [`QuestionBank::questionnaire_for`]). Later attributes of a symptom show only when its
    /// first attribute is above 0 (docs/triage.md §1); a measure that follows a symptom (stool
    /// count after diarrhoea) shows only when that symptom is asked and its answer is above 0.
    pub fn render(&self, modules: &[Module], locale: Locale) -> Vec<RenderedModule> {
        let asked = |k: AnswerKey| modules.iter().any(|m| m.answer_keys().contains(&k));
        modules
            .iter()
            .map(|m| RenderedModule {
                key: m.key().to_string(),
                kind: match m {
                    Module::Symptom(_) => ModuleKind::Symptom,
                    Module::Measure(_) => ModuleKind::Measure,
                    Module::RedFlag(_) => ModuleKind::RedFlag,
                },
                title: self.module_name(*m, locale).to_string(),
                items: m.answer_keys().into_iter().map(|k| self.render_item(self.item(k), locale, &asked)).collect(),
            })
            .collect()
    }

    fn render_item(&self, item: &Item, locale: Locale, asked: &dyn Fn(AnswerKey) -> bool) -> RenderedItem {
        let mut out = RenderedItem {
            key: item.key.to_key(),
            kind: ItemKindName::Scale,
            text: item.text.get(locale).to_string(),
            help: item.help.as_ref().map(|h| h.get(locale).to_string()),
            choices: Vec::new(),
            min: None,
            max: None,
            step: None,
            unit: None,
            integer: None,
            show_if: None,
        };
        match &item.kind {
            ItemKind::Scale(attr) => {
                let labels = item.labels.as_ref().unwrap_or(&self.scales[attr]).get(locale);
                out.choices = (0u8..)
                    .zip(labels)
                    .map(|(v, l)| Choice { value: ChoiceValue::Level(v), label: l.clone() })
                    .collect();
            }
            ItemKind::YesNo => {
                out.kind = ItemKindName::YesNo;
                let labels = self.yes_no.get(locale);
                out.choices = [false, true]
                    .into_iter()
                    .zip(labels)
                    .map(|(v, l)| Choice { value: ChoiceValue::Answer(v), label: l.clone() })
                    .collect();
            }
            ItemKind::Number(n) => {
                out.kind = ItemKindName::Number;
                (out.min, out.max, out.step) = (Some(n.min), Some(n.max), Some(n.step));
                out.unit.clone_from(&n.unit);
                out.integer = Some(n.integer);
            }
        }
        out.show_if = match item.key {
            AnswerKey::Scale(s, a) => symptoms::attributes(s)
                .and_then(|attrs| attrs.first())
                .filter(|first| **first != a)
                .map(|first| ShowIf { key: AnswerKey::Scale(s, *first).to_key(), above: 0 }),
            _ => item.follows.filter(|f| asked(*f)).map(|f| ShowIf { key: f.to_key(), above: 0 }),
        };
        out
    }
}
