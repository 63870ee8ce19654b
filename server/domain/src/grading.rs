//! Grade of each symptom (docs/triage.md §2): the PRO-CTCAE composite grade from the published table,
//! the CTCAE grade of objective measures from configured bands, and the higher of the two.

mod bands;

use std::collections::BTreeMap;

pub use bands::{BandSpec, Bands};
use serde::Deserialize;

use super::answers::Answers;
use super::reason::{AttributeValue, Reason};
use super::symptoms::{self, Attribute, Measure};

/// The composite grading table of Basch et al. 2021, keyed by item pattern and attribute values.
#[derive(Debug, Clone, PartialEq)]
pub struct CompositeTable {
    rows: BTreeMap<(String, [Option<u8>; 3]), u8>,
}

const HEADER: &str = "item_pattern,frequency,severity,interference,composite_grade";
/// The patterns of the published table; each must be complete.
const PATTERNS: &[&str] = &["frq", "sev", "int", "frq+sev", "frq+int", "sev+int", "frq+sev+int"];

/// The pattern name of an item from its attributes (`frq+sev+int`); `None` for presence items.
pub fn pattern_of(attrs: &[Attribute]) -> Option<String> {
    let parts: Option<Vec<&str>> = attrs
        .iter()
        .map(|a| match a {
            Attribute::Frequency => Some("frq"),
            Attribute::Severity => Some("sev"),
            Attribute::Interference => Some("int"),
            Attribute::Presence => None,
        })
        .collect();
    parts.map(|p| p.join("+"))
}

fn slot(a: Attribute) -> Option<usize> {
    match a {
        Attribute::Frequency => Some(0),
        Attribute::Severity => Some(1),
        Attribute::Interference => Some(2),
        Attribute::Presence => None,
    }
}

impl CompositeTable {
    /// Parses `proctcae_composite.csv`; the error names the line and the problem.
    pub fn from_csv(text: &str) -> Result<Self, String> {
        let file = "proctcae_composite.csv";
        let mut lines = text.lines().map(|l| l.trim_end_matches('\r')).enumerate();
        match lines.next() {
            Some((_, h)) if h.trim_start_matches('\u{feff}') == HEADER => {}
            _ => return Err(format!("{file}: the first line is `{HEADER}`")),
        }
        let mut rows = BTreeMap::new();
        for (i, line) in lines {
            if line.trim().is_empty() {
                continue;
            }
            let at = format!("{file} line {}", i + 1);
            let cells: Vec<&str> = line.split(',').collect();
            let [pattern, f, s, n, grade] = cells[..] else {
                return Err(format!("{at}: five columns expected"));
            };
            if !PATTERNS.contains(&pattern) {
                return Err(format!("{at}: unknown item pattern `{pattern}`"));
            }
            let mut values = [None; 3];
            for (idx, (cell, part)) in [(f, "frq"), (s, "sev"), (n, "int")].into_iter().enumerate() {
                let used = pattern.split('+').any(|p| p == part);
                values[idx] = match (used, cell) {
                    (false, "") => None,
                    (false, _) => return Err(format!("{at}: `{part}` is not part of `{pattern}`")),
                    (true, c) => Some(score(c, 4).ok_or_else(|| format!("{at}: `{c}` is not 0–4"))?),
                };
            }
            let first = values.iter().flatten().next().copied().unwrap_or(0);
            if first == 0 && values.iter().flatten().any(|v| *v > 0) {
                return Err(format!("{at}: later attributes are not asked when the first is 0"));
            }
            let grade = score(grade, 3).ok_or_else(|| format!("{at}: composite grade is 0–3"))?;
            if rows.insert((pattern.to_string(), values), grade).is_some() {
                return Err(format!("{at}: duplicate row"));
            }
        }
        let table = Self { rows };
        for pattern in PATTERNS {
            table.check_complete(pattern)?;
        }
        Ok(table)
    }

    fn check_complete(&self, pattern: &str) -> Result<(), String> {
        let parts: Vec<usize> =
            pattern.split('+').filter_map(|p| ["frq", "sev", "int"].iter().position(|x| *x == p)).collect();
        // Every answer combination a patient can give: first 0 with the rest 0, or first 1–4.
        let mut combos: Vec<Vec<u8>> = vec![vec![0; parts.len()]];
        for first in 1..=4u8 {
            let mut partial: Vec<Vec<u8>> = vec![vec![first]];
            for _ in 1..parts.len() {
                partial = partial
                    .into_iter()
                    .flat_map(|p| {
                        (0..=4u8).map(move |v| {
                            let mut q = p.clone();
                            q.push(v);
                            q
                        })
                    })
                    .collect();
            }
            combos.extend(partial);
        }
        for combo in combos {
            let mut values = [None; 3];
            for (slot, v) in parts.iter().zip(&combo) {
                values[*slot] = Some(*v);
            }
            if !self.rows.contains_key(&(pattern.to_string(), values)) {
                return Err(format!("proctcae_composite.csv: no row for pattern {pattern} with values {combo:?}"));
            }
        }
        Ok(())
    }

    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The composite grade of an item with the given attribute values (absent later ones = 0).
    pub fn grade(&self, attrs: &[Attribute], values: &[u8]) -> Option<u8> {
        let pattern = pattern_of(attrs)?;
        let mut key = [None; 3];
        for (a, v) in attrs.iter().zip(values) {
            key[slot(*a)?] = Some(*v);
        }
        self.rows.get(&(pattern, key)).copied()
    }
}

fn score(cell: &str, max: u8) -> Option<u8> {
    cell.parse::<u8>().ok().filter(|v| *v <= max)
}

/// What an objective rule grades: an answered measure, or the weight loss from the baseline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Answer(Measure),
    WeightLossPercent,
}

impl Source {
    pub const ALL: [Self; 6] = [
        Self::Answer(Measure::TemperatureC),
        Self::Answer(Measure::StoolsAboveBaseline),
        Self::Answer(Measure::VomitingEpisodes24h),
        Self::Answer(Measure::SystolicMmhg),
        Self::Answer(Measure::DiastolicMmhg),
        Self::WeightLossPercent,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Self::Answer(m) => m.key(),
            Self::WeightLossPercent => "weight_loss_percent",
        }
    }

    /// The symptom name the measure is graded under (docs/triage.md §2.3).
    pub fn symptom(self) -> &'static str {
        match self {
            Self::Answer(Measure::TemperatureC) => "fever",
            Self::Answer(Measure::StoolsAboveBaseline) => "diarrhea",
            Self::Answer(Measure::VomitingEpisodes24h) => "vomiting",
            Self::Answer(Measure::SystolicMmhg | Measure::DiastolicMmhg) => "hypertension",
            Self::Answer(Measure::WeightKg) | Self::WeightLossPercent => "weight_loss",
        }
    }

    fn is_integer(self) -> bool {
        matches!(self, Self::Answer(m) if m.is_integer())
    }
}

/// One objective rule of `[[objective]]` as written in config.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ObjectiveSpec {
    pub symptom: String,
    pub measure: String,
    /// CTCAE version of this rule when it differs from the global one (vomiting counts: 4.03).
    #[serde(default)]
    pub ctcae_version: Option<String>,
    pub bands: Vec<BandSpec>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Objective {
    pub source: Source,
    pub ctcae_version: String,
    pub bands: Bands,
}

/// The validated grading rules.
#[derive(Debug, Clone, PartialEq)]
pub struct GradingRules {
    pub ctcae_version: String,
    pub composite: CompositeTable,
    pub objective: Vec<Objective>,
    /// Weight loss (%) from which a dietitian referral is advised.
    pub dietitian_from_percent: f64,
}

impl GradingRules {
    pub fn new(
        ctcae_version: String,
        composite: CompositeTable,
        specs: &[ObjectiveSpec],
        dietitian_from_percent: f64,
    ) -> Result<Self, String> {
        let mut objective: Vec<Objective> = Vec::new();
        for (i, s) in specs.iter().enumerate() {
            let key = format!("objective[{i}]");
            let Some(source) = Source::ALL.into_iter().find(|m| m.key() == s.measure) else {
                return Err(format!("{key}.measure: unknown measure `{}`", s.measure));
            };
            if s.symptom != source.symptom() {
                return Err(format!(
                    "{key}.symptom: `{}` is graded under `{}`, not `{}`",
                    s.measure,
                    source.symptom(),
                    s.symptom
                ));
            }
            if objective.iter().any(|o| o.source == source) {
                return Err(format!("{key}.measure: `{}` is graded twice", s.measure));
            }
            let bands = Bands::new(&s.bands, &format!("{key}.bands"), source.is_integer())?;
            let version = s.ctcae_version.clone().unwrap_or_else(|| ctcae_version.clone());
            objective.push(Objective { source, ctcae_version: version, bands });
        }
        for source in Source::ALL {
            if !objective.iter().any(|o| o.source == source) {
                return Err(format!("objective: no rule grades `{}`", source.key()));
            }
        }
        if !(dietitian_from_percent > 0.0 && dietitian_from_percent < 100.0) {
            return Err("grading.dietitian_referral_from_percent: a percentage 0–100".into());
        }
        Ok(Self { ctcae_version, composite, objective, dietitian_from_percent })
    }
}

/// The grade of one symptom and how it was reached.
#[derive(Debug, Clone, PartialEq)]
pub struct Graded {
    pub symptom: &'static str,
    pub grade: u8,
    pub reasons: Vec<Reason>,
}

/// The PRO-CTCAE composite grade of one symptom; `None` when its first attribute is absent.
pub fn composite(table: &CompositeTable, answers: &Answers, symptom: &str) -> Option<(u8, Reason)> {
    let attrs = symptoms::attributes(symptom)?;
    if attrs == [Attribute::Presence] {
        let yes = answers.presence(symptom)?;
        let grade = u8::from(yes);
        return Some((grade, Reason::ProctcaePresence { present: yes, grade }));
    }
    let first = answers.scale(symptom, *attrs.first()?)?;
    let values: Vec<u8> = attrs.iter().map(|a| answers.scale(symptom, *a).unwrap_or(0)).collect();
    let grade = if first == 0 { 0 } else { table.grade(attrs, &values)? };
    let attributes =
        attrs.iter().zip(&values).map(|(a, v)| AttributeValue { attribute: a.key().to_owned(), value: *v }).collect();
    Some((grade, Reason::ProctcaeComposite { grade, attributes }))
}

/// Weight loss in % of the baseline, from the exact ratio of the weights as written: nothing is
/// rounded before banding (docs/triage.md §2.2), so 19.9999999 % is grade 2 and 6.4 kg lost from
/// 64 kg is exactly 10 %. The weights are read as the decimals they were written as (the shortest
/// text of each number), subtracted as integers, and divided once: the only rounding left is the
/// division's last binary digit.
pub fn weight_loss_percent(baseline_kg: f64, weight_kg: f64) -> f64 {
    match (decimal(baseline_kg), decimal(weight_kg)) {
        (Some((b, bs)), Some((w, ws))) => {
            let scale = bs.max(ws);
            let (b, w) = (b * 10i128.pow(scale - bs), w * 10i128.pow(scale - ws));
            ((b - w) * 100) as f64 / b as f64
        }
        _ => (baseline_kg - weight_kg) / baseline_kg * 100.0,
    }
}

/// A finite number as `digits / 10^scale`, from its shortest decimal text; `None` when it does
/// not fit exactly (more digits than f64 arithmetic keeps exact).
fn decimal(x: f64) -> Option<(i128, u32)> {
    let text = format!("{x}");
    let (int, frac) = text.split_once('.').unwrap_or((&text, ""));
    let scale = u32::try_from(frac.len()).ok()?;
    let digits: i128 = format!("{int}{frac}").parse().ok()?;
    (digits.unsigned_abs() < (1u128 << 53) && scale <= 15).then_some((digits, scale))
}

/// Grades every symptom the answers allow grading, in the order of `symptoms::all_symptoms`.
pub fn grade_answers(rules: &GradingRules, answers: &Answers, baseline_weight_kg: Option<f64>) -> Vec<Graded> {
    let mut out = Vec::new();
    for symptom in symptoms::all_symptoms() {
        let mut grade = None;
        let mut reasons = Vec::new();
        if let Some((g, why)) = composite(&rules.composite, answers, symptom) {
            grade = Some(g);
            reasons.push(why);
        }
        for o in rules.objective.iter().filter(|o| o.source.symptom() == symptom) {
            let value = match o.source {
                Source::Answer(m) => answers.measure(m),
                Source::WeightLossPercent => {
                    baseline_weight_kg.zip(answers.measure(Measure::WeightKg)).map(|(b, w)| weight_loss_percent(b, w))
                }
            };
            let Some(x) = value else { continue };
            let g = o.bands.grade(x);
            grade = Some(grade.map_or(g, |old: u8| old.max(g)));
            let weighed = matches!(o.source, Source::WeightLossPercent | Source::Answer(Measure::WeightKg));
            reasons.push(Reason::Ctcae {
                version: o.ctcae_version.clone(),
                grade: g,
                measure: o.source.key().to_owned(),
                value: x,
                baseline_kg: weighed.then(|| baseline_weight_kg.unwrap_or_default()),
            });
            if o.source == Source::WeightLossPercent && x >= rules.dietitian_from_percent {
                reasons.push(Reason::DietitianReferral { from_percent: rules.dietitian_from_percent });
            }
        }
        if let Some(grade) = grade {
            out.push(Graded { symptom, grade, reasons });
        }
    }
    out
}

#[cfg(test)]
mod tests;
