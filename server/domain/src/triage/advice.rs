//! What the patient reads right after submitting (docs/triage.md §5). A red report never tells the
//! patient to wait: it says to call now, and nothing else.

use std::collections::BTreeMap;

use super::{Advice, AdviceContext, Colour, Locale, Localized, SymptomResult};
use crate::routing::Deadline;

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
    /// A red report raised by one of these red-flag questions says "call 15 first" instead
    /// (docs/triage.md §5, r3).
    pub emergency_first: EmergencyFirst,
    /// Contains `{deadline}`.
    pub amber_contact: Localized,
    /// An amber report with one of these symptoms tells the patient to call today, in place of
    /// `amber_contact` (docs/triage.md §5, the fever advice).
    pub call_today: CallToday,
    /// One per held drug; contains `{drug}` (docs/triage.md §5).
    pub hold: Localized,
    pub self_care: BTreeMap<&'static str, SelfCare>,
}

/// `[advice.emergency_first]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmergencyFirst {
    pub flags: Vec<&'static str>,
    /// Contains `{phone}`.
    pub with_phone: Localized,
    pub without_phone: Localized,
}

/// `[advice.call_today]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallToday {
    pub symptoms: Vec<&'static str>,
    /// Contains `{phone}`.
    pub with_phone: Localized,
    pub without_phone: Localized,
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

/// The call-now text of a red report: 15 first when a life-threatening red flag raised it
/// (docs/triage.md §5, r3), else the oncology team first.
pub(super) fn red_call_text(rules: &AdviceRules, emergency: bool, ctx: &AdviceContext) -> String {
    let loc = ctx.locale;
    let phone = ctx.team_phone.as_deref().map(str::trim).filter(|p| !p.is_empty()).map(crate::phone::display);
    let phone = phone.as_deref();
    let e = &rules.emergency_first;
    match (emergency, phone) {
        (true, Some(phone)) => e.with_phone.get(loc).replace("{phone}", phone),
        (true, None) => e.without_phone.get(loc).to_string(),
        (false, Some(phone)) => rules.red_with_phone.get(loc).replace("{phone}", phone),
        (false, None) => rules.red_without_phone.get(loc).to_string(),
    }
}

/// The advice of a report, in order: the red call-now entry, one entry per held drug (named by
/// `held_names`, in the order of `hold`), then self-care and the amber contact line.
pub(super) fn advice(
    rules: &AdviceRules,
    colour: Colour,
    symptoms: &[SymptomResult],
    red_flags: &[&str],
    deadline: Option<Deadline>,
    held_names: &[&str],
    ctx: &AdviceContext,
) -> Vec<Advice> {
    let loc = ctx.locale;
    let phone = ctx.team_phone.as_deref().map(str::trim).filter(|p| !p.is_empty()).map(crate::phone::display);
    let phone = phone.as_deref();
    let holds =
        held_names.iter().map(|name| Advice { symptom: None, text: rules.hold.get(loc).replace("{drug}", name) });
    match colour {
        Colour::Red => {
            let emergency = red_flags.iter().any(|f| rules.emergency_first.flags.contains(f));
            let text = red_call_text(rules, emergency, ctx);
            std::iter::once(Advice { symptom: None, text }).chain(holds).collect()
        }
        Colour::Amber => {
            let mut out: Vec<Advice> = holds.collect();
            out.extend(self_care(rules, symptoms, loc, |s| s.colour == Colour::Amber));
            let call_today = symptoms.iter().any(|s| rules.call_today.symptoms.contains(&s.symptom.as_str()));
            if call_today {
                // The patient is told to call, not to wait for a call (docs/triage.md §5).
                let text = match phone {
                    Some(phone) => rules.call_today.with_phone.get(loc).replace("{phone}", phone),
                    None => rules.call_today.without_phone.get(loc).to_string(),
                };
                out.push(Advice { symptom: None, text });
            } else if let Some(d) = deadline {
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
