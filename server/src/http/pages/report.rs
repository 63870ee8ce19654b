//! A report and an alert's surroundings in plain French: the answers with the questions' own
//! texts (the item bank), each symptom's provisional grade and reasons, the red flags, the care
//! team, and the alert's history.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::Deserialize;
use serde_json::Value;

use super::labels::Tr;
use super::{PageError, labels};
use crate::AppState;
use crate::domain::answers::AnswerKey;
use crate::domain::questionnaire::{ChoiceValue, ItemKindName, Module, QuestionBank, RenderedItem};
use crate::domain::reason::{Reason, Vocabulary};
use crate::domain::triage::{Colour, ColourRules, Locale};
use crate::store::stored_value::StoredValueError;
use crate::store::{directory, patients};

/// The triage result stored with a report (`reports.result`, the engine's `TriageResult` as it
/// was then), read for the alert page. A result that does not have this shape is an error
/// naming the row, never an alert page without its grades or red flags.
#[derive(Debug, Default, Deserialize)]
pub struct StoredResult {
    pub colour: Option<Colour>,
    pub symptoms: Vec<StoredSymptom>,
    pub red_flags: Vec<StoredFlag>,
    /// Absent from reports made before the hold rule (docs/triage.md §5).
    #[serde(default)]
    pub hold: Vec<String>,
    /// The patient's own words, when they described another symptom.
    #[serde(default)]
    pub other: Option<String>,
    /// Why the report has its colour; absent from reports made before the reason codes.
    #[serde(default)]
    pub reason_codes: Option<Vec<Reason>>,
}

#[derive(Debug, Deserialize)]
pub struct StoredSymptom {
    pub symptom: String,
    pub grade: u8,
    pub colour: Colour,
    /// The engine's English text: all a report stored before the reason codes has.
    #[serde(default)]
    pub reasons: Vec<String>,
    #[serde(default)]
    pub reason_codes: Option<Vec<Reason>>,
}

#[derive(Debug, Deserialize)]
pub struct StoredFlag {
    pub flag: String,
    #[serde(default)]
    pub reason_code: Option<Reason>,
}

impl StoredResult {
    /// `result` of report `report_id`; `Null` (no report behind the alert) is an empty result.
    pub fn read(report_id: Option<&str>, result: &Value) -> Result<Self, StoredValueError> {
        if result.is_null() {
            return Ok(Self::default());
        }
        // The error names the row, never the stored text (which may hold the patient's words).
        serde_json::from_value(result.clone()).map_err(|_| {
            StoredValueError::new("reports", report_id.unwrap_or("?"), "result", "not the shape of a triage result")
        })
    }
}

pub struct AnswerGroup {
    pub title: String,
    pub lines: Vec<(String, String)>,
}

pub struct SymptomLine {
    pub name: String,
    pub grade: i64,
    pub colour: String,
    pub colour_label: &'static str,
    /// How the grade and colour were reached, in the reader's language.
    pub reasons: Vec<String>,
}

fn module_of(key: AnswerKey) -> Module {
    match key {
        AnswerKey::Scale(s, _) | AnswerKey::Presence(s) => Module::Symptom(s),
        AnswerKey::Measure(m) => Module::Measure(m),
        AnswerKey::RedFlag(q) => Module::RedFlag(q),
    }
}

fn answer_text(item: &RenderedItem, v: &Value) -> String {
    let label = |want: ChoiceValue| item.choices.iter().find(|c| c.value == want).map(|c| c.label.clone());
    let text = match item.kind {
        ItemKindName::Scale => v.as_u64().and_then(|n| {
            let n = u8::try_from(n).ok()?;
            label(ChoiceValue::Level(n)).map(|l| format!("{l} ({n}/4)"))
        }),
        ItemKindName::YesNo => v.as_bool().and_then(|b| label(ChoiceValue::Answer(b))),
        ItemKindName::Number => v.as_f64().map(|n| match &item.unit {
            Some(u) => format!("{} {u}", labels::decimal(n)),
            None => labels::decimal(n),
        }),
    };
    text.unwrap_or_else(|| v.to_string())
}

/// The answers grouped by symptom, measure and red-flag question, in asking order.
pub fn answers(bank: &QuestionBank, answers: &Value, locale: Locale) -> Vec<AnswerGroup> {
    let Some(given) = answers.as_object() else { return vec![] };
    let mut modules: Vec<Module> = given.keys().filter_map(|k| AnswerKey::parse(k)).map(module_of).collect();
    modules.sort();
    modules.dedup();
    bank.render(&modules, locale)
        .into_iter()
        .map(|m| AnswerGroup {
            title: m.title,
            lines: m
                .items
                .iter()
                .filter_map(|item| given.get(&item.key).map(|v| (item.text.clone(), answer_text(item, v))))
                .collect(),
        })
        .filter(|g| !g.lines.is_empty())
        .collect()
}

/// The symptoms of grade 1 or more, as triage graded them, with their reasons in `locale` (the
/// stored English text of a report made before the reason codes).
pub fn symptoms(v: Vocabulary<'_>, triage: &StoredResult, locale: Locale) -> Vec<SymptomLine> {
    triage
        .symptoms
        .iter()
        .map(|s| {
            let colour = s.colour.as_str().to_owned();
            SymptomLine {
                name: v.bank.symptom_name(&s.symptom, locale),
                grade: i64::from(s.grade),
                colour_label: labels::colour_in(&colour, locale),
                colour,
                reasons: match &s.reason_codes {
                    Some(codes) => codes.iter().map(|r| r.render(locale, v)).collect(),
                    None => s.reasons.iter().map(|t| Reason::Text { text: t.clone() }.render(locale, v)).collect(),
                },
            }
        })
        .collect()
}

/// The French name of a red flag: a question of the bank by its module name, a flag the
/// engine raises from a measure by this table; an unknown code is shown as it is stored.
fn flag_name(bank: &QuestionBank, flag: &str) -> String {
    match flag {
        "febrile_on_myelosuppressive" => "Fièvre sous traitement myélosuppresseur".to_owned(),
        "hypertensive_emergency" => "Pression artérielle au seuil d'urgence".to_owned(),
        _ => match Module::parse(flag) {
            Some(m @ Module::RedFlag(_)) => bank.module_name(m, Locale::Fr).to_owned(),
            _ => flag.to_owned(),
        },
    }
}

/// A measure the patient gave, the French way ("38,3 °C"), if given.
fn measure(answers: &Value, key: &str, unit: &str) -> Option<String> {
    answers[key].as_f64().map(|n| format!("{}\u{a0}{unit}", labels::decimal(n)))
}

/// Why the report has its colour, in French and first on the alert page (docs/triage.md,
/// "Colour of a report"): each red flag by name with the measure behind it, the red symptoms,
/// the rule that makes several ambers red, the amber symptoms, the patient's own words. Built
/// from the report's stored triage result, so it says what the engine decided then.
pub fn why(
    bank: &QuestionBank,
    colour: &ColourRules,
    graded: &[SymptomLine],
    triage: &StoredResult,
    answers: &Value,
) -> Vec<String> {
    let mut lines = Vec::new();
    for f in &triage.red_flags {
        let code = f.flag.as_str();
        let name = flag_name(bank, code);
        lines.push(match code {
            "febrile_on_myelosuppressive" => {
                let t = measure(answers, "temperature_c", "°C").unwrap_or_default();
                format!("Signe d'alerte : {name} ({t}) — risque de neutropénie fébrile")
            }
            "hypertensive_emergency" => {
                let bp = match (answers["systolic_mmhg"].as_f64(), answers["diastolic_mmhg"].as_f64()) {
                    (Some(s), Some(d)) => format!("{}/{}\u{a0}mmHg", labels::decimal(s), labels::decimal(d)),
                    (Some(s), None) => format!("systolique {}\u{a0}mmHg", labels::decimal(s)),
                    _ => String::new(),
                };
                format!("Signe d'alerte : {name} ({bp})")
            }
            _ => format!("Signe d'alerte : le patient a répondu oui à « {name} »"),
        });
    }
    let named = |keep: &dyn Fn(&SymptomLine) -> bool| -> Vec<String> {
        graded.iter().filter(|s| keep(s)).map(|s| format!("{} (grade {})", s.name, s.grade)).collect()
    };
    let red = named(&|s| s.colour == "red");
    if !red.is_empty() {
        lines.push(format!("Symptôme de grade rouge : {}", red.join(", ")));
    }
    let (from, to) = (i64::from(colour.amber_from_grade), i64::from(colour.red_from_grade));
    let by_grade = named(&|s| s.grade >= from && s.grade < to);
    if triage.colour == Some(Colour::Red) && colour.two_amber_rule && by_grade.len() >= colour.amber_count_for_red {
        lines.push(format!(
            "{} symptômes de grade {from} ({}) : plus d'un symptôme orange fait une alerte rouge (UKONS)",
            by_grade.len(),
            by_grade.join(", ")
        ));
    }
    if triage.colour == Some(Colour::Amber) {
        let amber = named(&|s| s.colour == "amber");
        if !amber.is_empty() {
            lines.push(format!("Symptôme orange : {}", amber.join(", ")));
        }
    }
    if triage.other.is_some() {
        lines.push(
            "Autre symptôme décrit par le patient avec ses mots (ci-dessous) : au moins orange, pour l'IDEC".into(),
        );
    }
    lines
}

/// Why the report has its colour in English, from the stored reason codes: each red flag with
/// what raised it, then the report's other reasons. Empty for a report made before the codes
/// (the alert's own reasons are shown instead).
pub fn why_en(v: Vocabulary<'_>, triage: &StoredResult) -> Vec<String> {
    let Some(codes) = &triage.reason_codes else { return vec![] };
    let mut lines: Vec<String> = triage
        .red_flags
        .iter()
        .map(|f| {
            let flag = Reason::RedFlag { flag: f.flag.clone() }.render(Locale::En, v);
            match &f.reason_code {
                Some(r) => format!("{flag} — {}", r.render(Locale::En, v)),
                None => flag,
            }
        })
        .collect();
    lines.extend(codes.iter().filter(|r| !matches!(r, Reason::RedFlag { .. })).map(|r| r.render(Locale::En, v)));
    if let Some(first) = lines.first_mut() {
        // A sentence starts with a capital.
        let mut c = first.chars();
        if let Some(f) = c.next() {
            *first = f.to_uppercase().chain(c).collect();
        }
    }
    lines
}

/// (role, name, `tel:` address and number).
pub type TeamLine = (&'static str, String, Option<(String, String)>);

/// The people of the episode's current team, with a `tel:` link where a phone is known.
pub async fn team(state: &AppState, episode_id: &str, tr: Tr) -> Result<Vec<TeamLine>, PageError> {
    let db = &state.db;
    let Some(t) = patients::current_team(db, episode_id, state.today()).await? else { return Ok(vec![]) };
    let phone = |p: Option<String>| p.map(|p| (labels::tel_href(&p), crate::domain::phone::display(&p)));
    let mut out = Vec::new();
    let people = [
        (tr.t("IDEC", "Coordinating nurse (IDEC)"), Some(t.idec_id)),
        (tr.t("Oncologue", "Oncologist"), Some(t.oncologist_id)),
        (tr.t("Pharmacien hospitalier", "Hospital pharmacist"), t.hospital_pharmacist_id),
        (tr.t("Médecin traitant", "General practitioner"), t.gp_id),
    ];
    for (role, id) in people {
        if let Some(p) = match id {
            Some(id) => directory::professional(db, &id).await?,
            None => None,
        } {
            out.push((role, format!("{} {}", p.given_name, p.family_name), phone(p.phone)));
        }
    }
    if let Some(ph) = match t.pharmacy_id {
        Some(id) => directory::pharmacy(db, &id).await?,
        None => None,
    } {
        out.push((tr.t("Pharmacie d'officine", "Community pharmacy"), ph.name, phone(ph.phone)));
    }
    Ok(out)
}

/// One event of an alert's history: (when, what).
pub async fn event_line(state: &AppState, e: &Value, tz: Tz, tr: Tr) -> Result<(String, String), PageError> {
    let when = serde_json::from_value::<DateTime<Utc>>(e["at"].clone())
        .map(|t| labels::at_in(t, tz, tr.0))
        .unwrap_or_default();
    let d = &e["detail"];
    let colour = || labels::colour_in(d["colour"].as_str().unwrap_or(""), tr.0).to_lowercase();
    let who = |id| professional_name(state, id, tr);
    let text = match e["kind"].as_str().unwrap_or("") {
        "opened" => format!("{} ({})", tr.t("Alerte ouverte", "Alert opened"), colour()),
        "raised" => match tr.0 {
            Locale::Fr => format!("Aggravée : {} (nouveau signalement)", colour()),
            Locale::En => format!("Raised to {} (new report)", colour()),
        },
        "updated" => tr.t("Nouveau signalement rattaché à l'alerte", "New report added to the alert").to_owned(),
        "escalated" => {
            let n = d["level"].as_i64().unwrap_or(0);
            match tr.0 {
                Locale::Fr => format!("Relance n° {n} : pas de prise en charge dans le délai"),
                Locale::En => format!("Escalation no. {n}: not acknowledged in time"),
            }
        }
        "acknowledged" => {
            format!("{} {}", tr.t("Prise en charge par", "Acknowledged by"), who(e["actor_id"].as_str()).await?)
        }
        "resolved" => format!(
            "{} {} ({} {})",
            tr.t("Clôturée par", "Closed by"),
            who(e["actor_id"].as_str()).await?,
            tr.t("grade confirmé", "confirmed grade"),
            d["confirmed_grade"].as_i64().map(|g| g.to_string()).unwrap_or_else(|| "—".into())
        ),
        "delivery_failed" => {
            let who = d["recipient"].as_str().unwrap_or("");
            let name = match directory::professional(&state.db, who).await? {
                Some(p) => format!("{} {}", p.given_name, p.family_name),
                None => who.to_owned(),
            };
            format!("{} {name} ({})", tr.t("Non délivré à", "Not delivered to"), d["channel"].as_str().unwrap_or(""))
        }
        other => other.replace('_', " "),
    };
    Ok((when, text))
}

/// The name of a professional for the history ("Claire Dupont"), or a neutral word.
pub async fn professional_name(state: &AppState, id: Option<&str>, tr: Tr) -> Result<String, PageError> {
    Ok(match id {
        Some(id) => directory::professional(&state.db, id)
            .await?
            .map(|p| format!("{} {}", p.given_name, p.family_name))
            .unwrap_or_else(|| tr.t("un professionnel", "a professional").to_owned()),
        None => tr.t("le système", "the system").to_owned(),
    })
}
