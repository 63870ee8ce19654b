//! What the patient reads right after submitting (docs/triage.md §5). A red report never tells the
//! patient to wait: it says to call now, and nothing else.

use std::collections::BTreeMap;

use super::{Advice, AdviceContext, Colour, Locale, Localized, SymptomResult};
use crate::domain::routing::Deadline;

/// Self-care advice of one symptom.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SelfCare {
    pub text: Localized,
    /// Also shown when the symptom is green (grade 1).
    pub when_green: bool,
}

/// Advice texts of `[advice]` in `config/triage.toml`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdviceRules {
    /// Contains `{phone}`.
    pub red_with_phone: Localized,
    pub red_without_phone: Localized,
    /// Contains `{deadline}`.
    pub amber_contact: Localized,
    pub self_care: BTreeMap<&'static str, SelfCare>,
}

/// A deadline in words: "24 hours", "1 jour ouvré".
pub fn deadline_words(d: Deadline, locale: Locale) -> String {
    let plural = |n: u32, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    match (d, locale) {
        (Deadline::WorkingDays(n), Locale::En) => plural(n, "working day", "working days"),
        (Deadline::WorkingDays(n), Locale::Fr) => plural(n, "jour ouvré", "jours ouvrés"),
        (Deadline::Minutes(m), Locale::En) if m % 60 == 0 => plural(m / 60, "hour", "hours"),
        (Deadline::Minutes(m), Locale::Fr) if m % 60 == 0 => plural(m / 60, "heure", "heures"),
        (Deadline::Minutes(m), _) => plural(m, "minute", "minutes"),
    }
}

pub(super) fn advice(
    rules: &AdviceRules,
    colour: Colour,
    symptoms: &[SymptomResult],
    deadline: Option<Deadline>,
    ctx: &AdviceContext,
) -> Vec<Advice> {
    let loc = ctx.locale;
    match colour {
        Colour::Red => {
            let text = match ctx.team_phone.as_deref().map(str::trim).filter(|p| !p.is_empty()) {
                Some(phone) => rules.red_with_phone.get(loc).replace("{phone}", phone),
                None => rules.red_without_phone.get(loc).to_string(),
            };
            vec![Advice { symptom: None, text }]
        }
        Colour::Amber => {
            let mut out = self_care(rules, symptoms, loc, |s| s.colour == Colour::Amber);
            if let Some(d) = deadline {
                out.push(Advice {
                    symptom: None,
                    text: rules.amber_contact.get(loc).replace("{deadline}", &deadline_words(d, loc)),
                });
            }
            out
        }
        Colour::Green => {
            self_care(rules, symptoms, loc, |s| rules.self_care.get(s.symptom.as_str()).is_some_and(|c| c.when_green))
        }
    }
}

fn self_care(
    rules: &AdviceRules,
    symptoms: &[SymptomResult],
    loc: Locale,
    show: impl Fn(&SymptomResult) -> bool,
) -> Vec<Advice> {
    symptoms
        .iter()
        .filter(|s| show(s))
        .filter_map(|s| {
            rules
                .self_care
                .get(s.symptom.as_str())
                .map(|c| Advice { symptom: Some(s.symptom.clone()), text: c.text.get(loc).to_string() })
        })
        .collect()
}
