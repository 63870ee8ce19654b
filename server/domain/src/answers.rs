//! The answer contract (docs/triage.md §1): what a patient report may contain, parsed once at the
//! edge from JSON. A value of type [`Answers`] is valid: every rule of §1 has been checked.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::{Map, Value};

use super::symptoms::{self, Attribute, Measure};

/// An invalid input, naming the full key path (`answers.pain.severity`); defined beside
/// `Parcours` so that every layer shares it.
pub use super::FieldError;

/// One key of the answer contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum AnswerKey {
    /// A 0–4 PRO-CTCAE attribute, written `<symptom>.<attribute>`.
    Scale(&'static str, Attribute),
    /// A yes/no PRO-CTCAE presence item, written as the bare symptom key.
    Presence(&'static str),
    Measure(Measure),
    /// A red-flag yes/no question.
    RedFlag(&'static str),
}

impl AnswerKey {
    pub fn parse(key: &str) -> Option<Self> {
        if let Some(m) = Measure::parse(key) {
            return Some(Self::Measure(m));
        }
        if let Some(q) = symptoms::red_flag_question(key) {
            return Some(Self::RedFlag(q));
        }
        if let Some(s) = symptoms::pro_ctcae_key(key) {
            let attrs = symptoms::attributes(s)?;
            return (attrs == [Attribute::Presence]).then_some(Self::Presence(s));
        }
        let (symptom, attr) = key.split_once('.')?;
        let symptom = symptoms::pro_ctcae_key(symptom)?;
        let attr =
            symptoms::attributes(symptom)?.iter().copied().find(|a| *a != Attribute::Presence && a.key() == attr)?;
        Some(Self::Scale(symptom, attr))
    }

    /// The key as written in JSON.
    pub fn to_key(self) -> String {
        match self {
            Self::Scale(s, a) => format!("{s}.{}", a.key()),
            Self::Presence(s) | Self::RedFlag(s) => s.to_string(),
            Self::Measure(m) => m.key().to_string(),
        }
    }

    /// Every key of the contract, in the order of docs/triage.md §1.
    pub fn all() -> Vec<Self> {
        let mut keys = Vec::new();
        for (s, _, attrs) in symptoms::PRO_CTCAE {
            for a in *attrs {
                keys.push(if *a == Attribute::Presence { Self::Presence(s) } else { Self::Scale(s, *a) });
            }
        }
        keys.extend(Measure::ALL.map(Self::Measure));
        keys.extend(symptoms::RED_FLAG_QUESTIONS.iter().map(|(q, _)| Self::RedFlag(q)));
        keys
    }
}

/// A valid patient report. Absent keys were not asked or not answered.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Answers {
    scales: BTreeMap<(&'static str, Attribute), u8>,
    presence: BTreeMap<&'static str, bool>,
    measures: BTreeMap<Measure, f64>,
    red_flags: BTreeMap<&'static str, bool>,
}

impl Answers {
    /// Parses and validates a JSON object of answers; errors are named `<prefix>.<key>`.
    pub fn parse(value: &Value, prefix: &str) -> Result<Self, FieldError> {
        let Some(object) = value.as_object() else {
            return Err(FieldError::new(prefix, "must be a JSON object of answers"));
        };
        let mut answers = Self::default();
        // Sorted so that the first error reported does not depend on the client's key order.
        let mut entries: Vec<(&String, &Value)> = object.iter().collect();
        entries.sort_by(|a, b| a.0.cmp(b.0));
        for (key, v) in entries {
            answers.set(key, v, prefix)?;
        }
        answers.check_branching(prefix)?;
        Ok(answers)
    }

    fn set(&mut self, key: &str, v: &Value, prefix: &str) -> Result<(), FieldError> {
        let field = || format!("{prefix}.{key}");
        let Some(parsed) = AnswerKey::parse(key) else {
            return Err(FieldError::new(field(), "unknown answer key"));
        };
        if v.is_null() {
            return Err(FieldError::new(
                field(),
                "null is not a valid answer; leave the key out when it was not asked",
            ));
        }
        match parsed {
            AnswerKey::Scale(s, a) => {
                let n = integer_in(v, 0, 4).map_err(|m| FieldError::new(field(), m))?;
                self.scales.insert((s, a), n);
            }
            AnswerKey::Presence(s) => {
                let b = boolean(v).map_err(|m| FieldError::new(field(), m))?;
                self.presence.insert(s, b);
            }
            AnswerKey::RedFlag(q) => {
                let b = boolean(v).map_err(|m| FieldError::new(field(), m))?;
                self.red_flags.insert(q, b);
            }
            AnswerKey::Measure(m) => {
                let (lo, hi) = m.range();
                let x = if m.is_integer() {
                    // The bounds are small whole numbers, so the casts are exact.
                    f64::from(integer_in(v, lo as u64, hi as u64).map_err(|e| FieldError::new(field(), e))?)
                } else {
                    number_in(v, lo, hi).map_err(|e| FieldError::new(field(), e))?
                };
                self.measures.insert(m, x);
            }
        }
        Ok(())
    }

    /// Branching on the first attribute (docs/triage.md §1): a later attribute needs the first, and
    /// is never above 0 when the first is 0. A diastolic needs its systolic.
    fn check_branching(&self, prefix: &str) -> Result<(), FieldError> {
        for (s, _, attrs) in symptoms::PRO_CTCAE {
            let Some((first, later)) = attrs.split_first() else {
                continue;
            };
            let first_value = self.scales.get(&(*s, *first)).copied();
            for a in later {
                let Some(v) = self.scales.get(&(*s, *a)).copied() else {
                    continue;
                };
                let field = format!("{prefix}.{s}.{}", a.key());
                match first_value {
                    None => {
                        return Err(FieldError::new(
                            field,
                            format!("answered without `{s}.{}`, the first question of this symptom", first.key()),
                        ));
                    }
                    Some(0) if v > 0 => {
                        return Err(FieldError::new(
                            field,
                            format!(
                                "must be 0 or left out when `{s}.{}` is 0 (the question is not asked then)",
                                first.key()
                            ),
                        ));
                    }
                    Some(_) => {}
                }
            }
        }
        if self.measures.contains_key(&Measure::DiastolicMmhg) && !self.measures.contains_key(&Measure::SystolicMmhg) {
            return Err(FieldError::new(
                format!("{prefix}.diastolic_mmhg"),
                "a diastolic pressure is given together with its systolic pressure (`systolic_mmhg`)",
            ));
        }
        Ok(())
    }

    /// A 0–4 attribute of a PRO-CTCAE symptom.
    pub fn scale(&self, symptom: &str, attribute: Attribute) -> Option<u8> {
        let s = symptoms::pro_ctcae_key(symptom)?;
        self.scales.get(&(s, attribute)).copied()
    }

    /// A presence item (`rash`, `bruising`).
    pub fn presence(&self, symptom: &str) -> Option<bool> {
        self.presence.get(symptom).copied()
    }

    pub fn measure(&self, m: Measure) -> Option<f64> {
        self.measures.get(&m).copied()
    }

    pub fn red_flag(&self, question: &str) -> Option<bool> {
        self.red_flags.get(question).copied()
    }

    /// The answers back as the JSON object of the contract (to store or to send).
    pub fn to_json(&self) -> Value {
        let mut map = Map::new();
        for ((s, a), v) in &self.scales {
            map.insert(format!("{s}.{}", a.key()), Value::from(*v));
        }
        for (k, b) in self.presence.iter().chain(&self.red_flags) {
            map.insert((*k).to_string(), Value::Bool(*b));
        }
        for (m, x) in &self.measures {
            let v = if m.is_integer() {
                // Stored from a validated integer 0–50, so the cast is exact.
                Value::from(*x as u64)
            } else {
                serde_json::Number::from_f64(*x).map_or(Value::Null, Value::Number)
            };
            map.insert(m.key().to_string(), v);
        }
        Value::Object(map)
    }
}

impl Serialize for Answers {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.to_json().serialize(serializer)
    }
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

fn boolean(v: &Value) -> Result<bool, String> {
    v.as_bool().ok_or_else(|| format!("must be true or false, not {}", type_name(v)))
}

fn integer_in(v: &Value, lo: u64, hi: u64) -> Result<u8, String> {
    let range = format!("an integer from {lo} to {hi}");
    let Value::Number(n) = v else {
        return Err(format!("must be {range}, not {}", type_name(v)));
    };
    if let Some(i) = n.as_u64() {
        if (lo..=hi).contains(&i) {
            return u8::try_from(i).map_err(|_| format!("must be {range}"));
        }
        return Err(format!("{i} is out of range: must be {range}"));
    }
    if n.is_i64() {
        return Err(format!("{n} is out of range: must be {range}"));
    }
    // `-0` is 0 (docs/triage.md §1). serde_json reads `-0` as the float -0.0 (and cannot tell it
    // from `-0.0`); `0.0` and `2.0` stay refused.
    if n.as_f64().is_some_and(|x| x == 0.0 && x.is_sign_negative()) && lo == 0 {
        return Ok(0);
    }
    Err(format!("must be {range} written without a fraction (e.g. 2, not 2.0), not {n}"))
}

fn number_in(v: &Value, lo: f64, hi: f64) -> Result<f64, String> {
    let x = v.as_f64().ok_or_else(|| format!("must be a number from {lo} to {hi}, not {}", type_name(v)))?;
    if x.is_finite() && (lo..=hi).contains(&x) {
        Ok(x)
    } else {
        Err(format!("{x} is out of range: must be from {lo} to {hi}"))
    }
}

#[cfg(test)]
mod tests;
