//! Pharmacists' national interview ledger (docs/domain.md: "accompagnement des patients sous
//! anticancéreux oraux", codes TAC, AC1–AC4), kept apart from the Onco'Link forfaits. Pure: the
//! interviews of one accompaniment and a date in, the codes due by that date out.
//!
//! What the code is sure of: TAC at adhesion; one annual code per annual cycle once the cycle's
//! interviews are all done, a first-year code then following-year codes, by treatment class
//! (avenant 21 to the convention nationale pharmaceutique, 2020). What it is NOT sure of is data
//! in `config/tariffs/pharmacist-interviews.toml` (counts, delays, amounts), plus two choices
//! made here for lack of a source: (1) cycle `n` counts interviews from `adhesion + 12 n months`
//! and after the interviews that completed cycle `n - 1`, each interview counts once; (2) a
//! cycle that is never completed blocks the following ones (nothing is billed for it or after).

#[cfg(test)]
mod tests;

use std::collections::BTreeMap;

use chrono::{Months, NaiveDate};
use serde::{Deserialize, Serialize};

pub const INTERVIEWS_FILE: &str = "config/tariffs/pharmacist-interviews.toml";

/// When a code is due.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Event {
    /// The patient signs the adhesion form (TAC).
    Adhesion,
    /// The interviews of the first annual cycle are done (AC1, AC2).
    FirstYear,
    /// The interviews of a following annual cycle are done (AC3, AC4).
    FollowingYear,
}

/// The avenant distinguishes long-course treatments (hormonotherapy and the like) from the others.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TreatmentClass {
    LongCourse,
    Other,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCode {
    event: Event,
    treatment: Option<TreatmentClass>,
    #[serde(default)]
    initial: u32,
    #[serde(default)]
    thematic: u32,
    #[serde(default)]
    min_months_after_previous: u32,
    metropolitan_cents: i64,
    overseas_cents: Option<i64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    code: BTreeMap<String, RawCode>,
}

/// One billing code and when it is due.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeRule {
    pub code: String,
    pub event: Event,
    pub treatment: Option<TreatmentClass>,
    /// Interviews of each kind the annual cycle needs before the code is due.
    pub initial: u32,
    pub thematic: u32,
    /// The code is not due before this many months after the previous annual code.
    pub min_months_after_previous: u32,
    pub metropolitan_cents: i64,
    /// `None`: the operator has not set the overseas (DROM) amount.
    pub overseas_cents: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InterviewRules {
    /// Indexed by (event, treatment); complete by construction.
    codes: BTreeMap<(Event, Option<TreatmentClass>), CodeRule>,
}

impl InterviewRules {
    pub fn from_toml(text: &str) -> Result<Self, String> {
        let file: RawFile = toml::from_str(text).map_err(|e| format!("{INTERVIEWS_FILE}: {e}"))?;
        let mut codes = BTreeMap::new();
        for (code, raw) in file.code {
            let at = format!("{INTERVIEWS_FILE}: code.{code}");
            if code.is_empty() || !code.chars().all(|c| c.is_ascii_alphanumeric()) {
                return Err(format!("{at}: a code is letters and digits (TAC, AC1)"));
            }
            match (raw.event, raw.treatment) {
                (Event::Adhesion, Some(_)) => return Err(format!("{at}.treatment: adhesion is for any treatment")),
                (Event::FirstYear | Event::FollowingYear, None) => {
                    return Err(format!("{at}.treatment: missing (long_course or other)"));
                }
                (Event::Adhesion, None) if raw.initial + raw.thematic + raw.min_months_after_previous > 0 => {
                    return Err(format!("{at}: adhesion needs no interview and no delay"));
                }
                (Event::FirstYear | Event::FollowingYear, _) if raw.initial + raw.thematic == 0 => {
                    return Err(format!("{at}: an annual code needs at least one interview"));
                }
                _ => {}
            }
            for (key, cents) in
                [("metropolitan_cents", Some(raw.metropolitan_cents)), ("overseas_cents", raw.overseas_cents)]
            {
                if cents.is_some_and(|c| c < 0) {
                    return Err(format!("{at}.{key}: negative (amounts are integer cents ≥ 0)"));
                }
            }
            let rule = CodeRule {
                code: code.clone(),
                event: raw.event,
                treatment: raw.treatment,
                initial: raw.initial,
                thematic: raw.thematic,
                min_months_after_previous: raw.min_months_after_previous,
                metropolitan_cents: raw.metropolitan_cents,
                overseas_cents: raw.overseas_cents,
            };
            if let Some(other) = codes.insert((raw.event, raw.treatment), rule) {
                return Err(format!("{at}: same event and treatment as code.{}", other.code));
            }
        }
        for slot in Self::SLOTS {
            if !codes.contains_key(&slot) {
                let (event, treatment) = slot;
                return Err(format!("{INTERVIEWS_FILE}: code: no code for event {event:?}, treatment {treatment:?}"));
            }
        }
        Ok(Self { codes })
    }

    const SLOTS: [(Event, Option<TreatmentClass>); 5] = [
        (Event::Adhesion, None),
        (Event::FirstYear, Some(TreatmentClass::LongCourse)),
        (Event::FirstYear, Some(TreatmentClass::Other)),
        (Event::FollowingYear, Some(TreatmentClass::LongCourse)),
        (Event::FollowingYear, Some(TreatmentClass::Other)),
    ];

    pub fn rule(&self, event: Event, treatment: TreatmentClass) -> &CodeRule {
        let treatment = (event != Event::Adhesion).then_some(treatment);
        &self.codes[&(event, treatment)]
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum InterviewKind {
    /// Entretien initial (first cycle).
    Initial,
    /// Thematic interview: daily life and management of adverse effects.
    DailyLifeAndSideEffects,
    /// Thematic interview: adherence (observance) follow-up.
    Adherence,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Interview {
    pub on: NaiveDate,
    pub kind: InterviewKind,
}

/// One patient's accompaniment by one community pharmacy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Accompaniment {
    pub accompaniment_id: String,
    pub treatment: TreatmentClass,
    pub adhesion: NaiveDate,
    /// The pharmacy is in an overseas department (DROM): overseas amounts apply.
    pub overseas: bool,
    pub interviews: Vec<Interview>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct DueCode {
    /// Stable idempotency key: `{accompaniment_id}:{code}:{cycle}`.
    pub key: String,
    pub accompaniment_id: String,
    pub code: String,
    /// 0 for TAC and the first-year code, then 1, 2, … for the following years.
    pub cycle: u32,
    pub due_on: NaiveDate,
    pub amount_cents: i64,
}

/// The codes due on or before `today`: TAC at adhesion, then per annual cycle its code once the
/// cycle's interviews are done. Same input, same output (keys included): re-running adds nothing.
pub fn codes_due(rules: &InterviewRules, acc: &Accompaniment, today: NaiveDate) -> Result<Vec<DueCode>, String> {
    let mut out = Vec::new();
    if acc.adhesion > today {
        return Ok(out);
    }
    out.push(due(rules.rule(Event::Adhesion, acc.treatment), acc, 0, acc.adhesion)?);

    let mut interviews: Vec<&Interview> = acc.interviews.iter().filter(|i| i.on <= today).collect();
    interviews.sort_by_key(|i| i.on);
    let mut next = 0; // first interview not counted yet
    let mut previous_due: Option<NaiveDate> = None;
    for cycle in 0u32.. {
        let Some(cycle_start) = acc.adhesion.checked_add_months(Months::new(12 * cycle)) else { break };
        if cycle_start > today {
            break;
        }
        let event = if cycle == 0 { Event::FirstYear } else { Event::FollowingYear };
        let rule = rules.rule(event, acc.treatment);
        let (mut initial, mut thematic) = (0, 0);
        let mut completed = None;
        while next < interviews.len() && completed.is_none() {
            let i = interviews[next];
            next += 1;
            if i.on < cycle_start {
                continue; // too early for this cycle, and already past the previous one
            }
            match i.kind {
                InterviewKind::Initial if initial < rule.initial => initial += 1,
                InterviewKind::DailyLifeAndSideEffects | InterviewKind::Adherence if thematic < rule.thematic => {
                    thematic += 1
                }
                _ => {}
            }
            if initial == rule.initial && thematic == rule.thematic {
                completed = Some(i.on);
            }
        }
        let Some(completed) = completed else { break };
        let floor = previous_due.and_then(|p| p.checked_add_months(Months::new(rule.min_months_after_previous)));
        let due_on = floor.map_or(completed, |f| f.max(completed));
        if due_on > today {
            break;
        }
        out.push(due(rule, acc, cycle, due_on)?);
        previous_due = Some(due_on);
    }
    Ok(out)
}

fn due(rule: &CodeRule, acc: &Accompaniment, cycle: u32, due_on: NaiveDate) -> Result<DueCode, String> {
    let amount_cents = if acc.overseas {
        rule.overseas_cents.ok_or_else(|| {
            format!(
                "{INTERVIEWS_FILE}: code.{}.overseas_cents: not set (operator setting) but accompaniment {} is overseas",
                rule.code, acc.accompaniment_id
            )
        })?
    } else {
        rule.metropolitan_cents
    };
    Ok(DueCode {
        key: format!("{}:{}:{cycle}", acc.accompaniment_id, rule.code),
        accompaniment_id: acc.accompaniment_id.clone(),
        code: rule.code.clone(),
        cycle,
        due_on,
        amount_cents,
    })
}
