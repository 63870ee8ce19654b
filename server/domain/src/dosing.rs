//! Doses computed from body-surface area or weight (docs/domain.md "Regimen lines as
//! prescribed"): the body-surface area by Mosteller, the dose rounded to whole units of the
//! drug's marketed strengths, and the text the patient reads. Staff see the whole computation;
//! the patient sees only the result and never a formula.

use serde::{Deserialize, Serialize};

/// How far the rounded dose may be from the computed one before the server refuses to round and
/// staff give the dose explicitly: 10 % (docs/domain.md).
pub const MAX_DIFFERENCE_PCT: f64 = 10.0;

/// Body-surface area in m² by Mosteller (N Engl J Med 1987;317:1098): √(height cm × weight kg / 3600).
pub fn mosteller_bsa(height_cm: f64, weight_kg: f64) -> f64 {
    (height_cm * weight_kg / 3600.0).sqrt()
}

/// What a dose is proportional to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Basis {
    /// mg per m² of body-surface area.
    PerM2,
    /// mg per kg of body weight.
    PerKg,
}

/// The pharmaceutical form of a drug's units, for the patient text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Form {
    Tablet,
    Capsule,
}

impl Form {
    /// The French word, singular or plural.
    pub fn fr(self, count: u32) -> &'static str {
        match (self, count > 1) {
            (Self::Tablet, false) => "comprimé",
            (Self::Tablet, true) => "comprimés",
            (Self::Capsule, false) => "gélule",
            (Self::Capsule, true) => "gélules",
        }
    }
}

/// `count` units of `strength_mg`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Units {
    pub strength_mg: f64,
    pub count: u32,
}

/// A computed dose, as stored on the regimen line and shown to staff.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Computation {
    pub basis: Basis,
    /// The prescribed amount: mg per m² or per kg.
    pub prescribed_mg: f64,
    /// Absent for a dose per kg.
    pub height_cm: Option<f64>,
    pub weight_kg: f64,
    /// Mosteller, for a dose per m².
    pub bsa_m2: Option<f64>,
    pub computed_mg: f64,
    pub rounded_mg: f64,
    /// (rounded − computed) / computed × 100.
    pub difference_pct: f64,
    /// Largest strength first.
    pub units: Vec<Units>,
    pub form: Form,
}

/// Why a dose cannot be computed; the caller names the field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal(pub String);

/// Computes a dose per m² (needs `height_cm`) or per kg and rounds it to whole units of
/// `strengths_mg`.
pub fn compute(
    basis: Basis,
    prescribed_mg: f64,
    height_cm: Option<f64>,
    weight_kg: f64,
    strengths_mg: &[f64],
    form: Form,
) -> Result<Computation, Refusal> {
    if !(prescribed_mg.is_finite() && prescribed_mg > 0.0) {
        return Err(Refusal("a dose in mg greater than 0".into()));
    }
    let (bsa_m2, computed_mg) = match basis {
        Basis::PerM2 => {
            let h = height_cm.ok_or_else(|| Refusal("a dose per m² needs the patient's height_cm".into()))?;
            let bsa = mosteller_bsa(h, weight_kg);
            (Some(bsa), prescribed_mg * bsa)
        }
        Basis::PerKg => (None, prescribed_mg * weight_kg),
    };
    let (rounded_mg, units) = round_to_strengths(computed_mg, strengths_mg).ok_or_else(|| {
        Refusal(format!("{} mg cannot be made of whole units of this drug", french_number(computed_mg)))
    })?;
    let difference_pct = (rounded_mg - computed_mg) / computed_mg * 100.0;
    if difference_pct.abs() > MAX_DIFFERENCE_PCT {
        return Err(Refusal(format!(
            "the computed dose {} mg is {} % from the nearest dose of whole units ({} mg): give the dose explicitly",
            french_number(computed_mg),
            french_number(difference_pct.abs()),
            french_number(rounded_mg),
        )));
    }
    Ok(Computation {
        basis,
        prescribed_mg,
        height_cm: if basis == Basis::PerM2 { height_cm } else { None },
        weight_kg,
        bsa_m2,
        computed_mg,
        rounded_mg,
        difference_pct,
        units,
        form,
    })
}

/// The total nearest to `target_mg` that whole units of `strengths_mg` make (ties to the lower),
/// with the fewest units, largest strength first; `None` when no total within 10 % above the
/// target exists or the strengths are unusable. Totals above target + 10 % are never candidates:
/// they would be refused anyway.
pub fn round_to_strengths(target_mg: f64, strengths_mg: &[f64]) -> Option<(f64, Vec<Units>)> {
    // Hundredths of a mg, so that 2.5 mg or 0.25 mg strengths count exactly.
    let cents: Vec<u64> = strengths_mg
        .iter()
        .filter(|s| s.is_finite() && **s > 0.0)
        .map(|s| (s * 100.0).round() as u64)
        .filter(|c| *c > 0)
        .collect();
    if cents.is_empty() || !(target_mg.is_finite() && target_mg > 0.0) {
        return None;
    }
    let step = cents.iter().copied().fold(0, gcd);
    let target = target_mg * 100.0;
    let limit = ((target * (1.0 + MAX_DIFFERENCE_PCT / 100.0)) / step as f64).floor() as u64;
    // A dose of more than 100 000 multiples of the strengths' common step is not a dose of units.
    if limit > 100_000 {
        return None;
    }
    let n = limit as usize + 1;
    // fewest[k]: the fewest units making k × step, and the strength added last.
    let mut fewest: Vec<Option<(u32, u64)>> = vec![None; n];
    fewest[0] = Some((0, 0));
    let mut sorted = cents.clone();
    sorted.sort_unstable_by(|a, b| b.cmp(a));
    sorted.dedup();
    for k in 1..n {
        for &c in &sorted {
            let m = (c / step) as usize;
            if m <= k
                && let Some((count, _)) = fewest[k - m]
                && fewest[k].is_none_or(|(best, _)| count + 1 < best)
            {
                fewest[k] = Some((count + 1, c));
            }
        }
    }
    let best = (1..n).filter(|k| fewest[*k].is_some()).min_by(|a, b| {
        let da = ((*a as u64 * step) as f64 - target).abs();
        let db = ((*b as u64 * step) as f64 - target).abs();
        da.total_cmp(&db).then(a.cmp(b))
    })?;
    let mut counts: Vec<(u64, u32)> = Vec::new();
    let mut k = best;
    while k > 0 {
        let (_, c) = fewest[k]?;
        match counts.iter_mut().find(|(s, _)| *s == c) {
            Some((_, n)) => *n += 1,
            None => counts.push((c, 1)),
        }
        k -= (c / step) as usize;
    }
    counts.sort_unstable_by_key(|c| std::cmp::Reverse(c.0));
    let units = counts.into_iter().map(|(c, count)| Units { strength_mg: c as f64 / 100.0, count }).collect();
    Some(((best as u64 * step) as f64 / 100.0, units))
}

fn gcd(a: u64, b: u64) -> u64 {
    if b == 0 { a } else { gcd(b, a % b) }
}

/// What the patient reads: "2 150 mg : 4 comprimés à 500 mg + 1 comprimé à 150 mg".
pub fn patient_text(c: &Computation) -> String {
    let units: Vec<String> = c
        .units
        .iter()
        .map(|u| format!("{} {} à {} mg", u.count, c.form.fr(u.count), french_number(u.strength_mg)))
        .collect();
    format!("{} mg : {}", french_number(c.rounded_mg), units.join(" + "))
}

/// What staff read: "1 250 mg/m² × 1,71 m² (165 cm, 64 kg) = 2 140,9 mg → 2 150 mg (+0,4 %)".
pub fn staff_text(c: &Computation) -> String {
    let sign = if c.difference_pct >= 0.0 { "+" } else { "−" };
    let how = match (c.basis, c.bsa_m2, c.height_cm) {
        (Basis::PerM2, Some(bsa), Some(h)) => format!(
            "{} mg/m² × {} m² (Mosteller, {} cm, {} kg)",
            french_number(c.prescribed_mg),
            french_decimals(bsa, 2),
            french_number(h),
            french_number(c.weight_kg)
        ),
        _ => format!("{} mg/kg × {} kg", french_number(c.prescribed_mg), french_number(c.weight_kg)),
    };
    format!(
        "{how} = {} mg → {} mg ({sign}{} %)",
        french_number(c.computed_mg),
        french_number(c.rounded_mg),
        french_decimals(c.difference_pct.abs(), 1)
    )
}

/// A number as French writes it, at most one decimal: "2 150", "2 140,9", "2,5" (a space between
/// thousands, as docs/api.md shows doses, and a decimal comma).
pub fn french_number(x: f64) -> String {
    let tenths = (x * 10.0).round();
    if tenths % 10.0 == 0.0 { french_decimals(x, 0) } else { french_decimals(x, 1) }
}

/// `x` with exactly `decimals` decimals, French style.
pub fn french_decimals(x: f64, decimals: usize) -> String {
    let s = format!("{:.*}", decimals, x.abs());
    let (int, frac) = s.split_once('.').unwrap_or((&s, ""));
    let digits: Vec<char> = int.chars().collect();
    let mut out = String::new();
    if x < 0.0 && s.chars().any(|c| c.is_ascii_digit() && c != '0') {
        out.push('-');
    }
    for (i, ch) in digits.iter().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(' ');
        }
        out.push(*ch);
    }
    if !frac.is_empty() {
        out.push(',');
        out.push_str(frac);
    }
    out
}

/// What a newly recorded weight does to a dose computed per m² or per kg (docs/domain.md,
/// "A new weight and the dose"): the dose the line's prescription would give at the new weight,
/// beside the dose at the weight it was computed with. The regimen is never changed by it.
#[derive(Debug, Clone, PartialEq)]
pub struct Reweighed {
    pub basis: Basis,
    pub old_weight_kg: f64,
    pub new_weight_kg: f64,
    /// The computed (unrounded) dose at the weight of the computation.
    pub old_mg: f64,
    /// The computed (unrounded) dose at the new weight.
    pub new_mg: f64,
    /// The dose the patient takes now (the line's rounded dose).
    pub prescribed_rounded_mg: f64,
    /// (new − old) / old × 100, signed, to the millionth of a percent (so that a move of exactly
    /// the threshold, 57,6 kg for 64 kg per kg, is not pushed over it by binary arithmetic).
    pub change_pct: f64,
}

impl Reweighed {
    /// Whether the dose moves by more than `above_pct` percent, either way.
    pub fn moves_more_than(&self, above_pct: f64) -> bool {
        self.change_pct.abs() > above_pct
    }
}

/// The dose of a computed line at `new_weight_kg`: per m² by Mosteller with the height of the
/// computation, per kg in proportion. `None` when the weight is not a positive number or the
/// stored computation cannot be redone (a dose per m² without its height: the caller names the
/// row, it is never guessed).
pub fn reweigh(c: &Computation, new_weight_kg: f64) -> Option<Reweighed> {
    let positive = |x: f64| x.is_finite() && x > 0.0;
    if !(positive(new_weight_kg) && positive(c.weight_kg) && positive(c.prescribed_mg)) {
        return None;
    }
    let dose = |w: f64| -> Option<f64> {
        match c.basis {
            Basis::PerM2 => c.height_cm.filter(|h| positive(*h)).map(|h| c.prescribed_mg * mosteller_bsa(h, w)),
            Basis::PerKg => Some(c.prescribed_mg * w),
        }
    };
    let (old_mg, new_mg) = (dose(c.weight_kg)?, dose(new_weight_kg)?);
    let change_pct = ((new_mg - old_mg) / old_mg * 100.0 * 1e6).round() / 1e6;
    Some(Reweighed {
        basis: c.basis,
        old_weight_kg: c.weight_kg,
        new_weight_kg,
        old_mg,
        new_mg,
        prescribed_rounded_mg: c.rounded_mg,
        change_pct,
    })
}

impl Reweighed {
    /// The reason of the `regimen` alert for the line of `drug` (a catalogue key): staff read
    /// "capécitabine (dose par m²) : poids 64 kg → 50 kg, dose calculée 2 140,9 mg → 1 892,3 mg
    /// (−11,6 %) ; dose prescrite inchangée (2 150 mg), à réévaluer" (docs/domain.md).
    pub fn reason(&self, drug: &str) -> crate::reason::Reason {
        crate::reason::Reason::DoseReweighed {
            drug: drug.to_owned(),
            basis: match self.basis {
                Basis::PerM2 => "per_m2",
                Basis::PerKg => "per_kg",
            }
            .to_owned(),
            old_weight_kg: self.old_weight_kg,
            new_weight_kg: self.new_weight_kg,
            old_mg: self.old_mg,
            new_mg: self.new_mg,
            change_percent: self.change_pct,
            prescribed_mg: self.prescribed_rounded_mg,
        }
    }
}

/// Whether a dose text is a formula a patient cannot take ("1 250 mg/m²", "35 mg/m2", "0,1 mg/kg").
pub fn is_formula(dose: &str) -> bool {
    let t: String = dose.chars().filter(|c| !c.is_whitespace()).flat_map(char::to_lowercase).collect();
    ["/m²", "/m2", "/kg"].iter().any(|f| t.contains(f))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mosteller_matches_published_values() {
        // Mosteller's worked example and common tables: 170 cm / 70 kg → 1,82 m²;
        // 180 cm / 80 kg → 2,00 m²; 160 cm / 60 kg → 1,63 m²; 165 cm / 64 kg → 1,71 m².
        for (h, w, bsa) in [(170.0, 70.0, 1.82), (180.0, 80.0, 2.0), (160.0, 60.0, 1.63), (165.0, 64.0, 1.71)] {
            assert!((mosteller_bsa(h, w) - bsa).abs() < 0.005, "{h} cm {w} kg: {}", mosteller_bsa(h, w));
        }
    }

    #[test]
    fn capecitabine_1250_per_m2_rounds_to_2150_with_two_strengths() {
        let c = compute(Basis::PerM2, 1250.0, Some(165.0), 64.0, &[150.0, 500.0], Form::Tablet).expect("computed");
        assert!((c.computed_mg - 2140.9).abs() < 0.1, "{}", c.computed_mg);
        assert_eq!(c.rounded_mg, 2150.0);
        assert_eq!(c.units, [Units { strength_mg: 500.0, count: 4 }, Units { strength_mg: 150.0, count: 1 }]);
        assert!((c.difference_pct - 0.42).abs() < 0.01, "{}", c.difference_pct);
        assert_eq!(patient_text(&c), "2 150 mg : 4 comprimés à 500 mg + 1 comprimé à 150 mg");
        assert!(!is_formula(&patient_text(&c)));
        assert_eq!(staff_text(&c), "1 250 mg/m² × 1,71 m² (Mosteller, 165 cm, 64 kg) = 2 140,9 mg → 2 150 mg (+0,4 %)");
    }

    #[test]
    fn rounding_takes_the_nearest_total_ties_to_the_lower_and_the_fewest_units() {
        // 150 and 500 make every multiple of 50 from 300 on (and 150, 500, 650…).
        assert_eq!(round_to_strengths(1675.0, &[150.0, 500.0]).map(|r| r.0), Some(1650.0), "tie → lower");
        assert_eq!(round_to_strengths(1676.0, &[150.0, 500.0]).map(|r| r.0), Some(1700.0));
        assert_eq!(
            round_to_strengths(1000.0, &[150.0, 500.0]).map(|r| r.1),
            Some(vec![Units { strength_mg: 500.0, count: 2 }])
        );
        // 200 is not reachable with 150 and 500: 150 is nearer than 300.
        assert_eq!(round_to_strengths(210.0, &[150.0, 500.0]).map(|r| r.0), Some(150.0));
        assert_eq!(round_to_strengths(2.6, &[2.5]).map(|r| r.0), Some(2.5));
        assert_eq!(round_to_strengths(100.0, &[]), None);
        assert_eq!(round_to_strengths(0.0, &[500.0]), None);
    }

    #[test]
    fn more_than_ten_percent_from_the_computed_dose_is_refused() {
        // 35 mg/m² × 1,71 m² = 59,9 mg with 15 and 20 mg tablets: 60 mg, fine.
        let ok = compute(Basis::PerM2, 35.0, Some(165.0), 64.0, &[15.0, 20.0], Form::Tablet).expect("60 mg");
        assert_eq!(ok.rounded_mg, 60.0);
        // 1 250 mg/m² × 1,71 m² = 2 141 mg with 1 000 mg tablets: 2 000 mg is 6,6 % off, fine…
        assert!(compute(Basis::PerM2, 1250.0, Some(165.0), 64.0, &[1000.0], Form::Tablet).is_ok());
        // …with 1 500 mg units, 1 500 mg is 30 % off and 3 000 mg 40 %: refused.
        let refused = compute(Basis::PerM2, 1250.0, Some(165.0), 64.0, &[1500.0], Form::Tablet).expect_err("refused");
        assert!(refused.0.contains("give the dose explicitly"), "{}", refused.0);
        // Just inside and just outside 10 %: 100 mg units for 91 mg (9,9 %) and 90 mg (11,1 %).
        assert!(compute(Basis::PerKg, 1.0, None, 91.0, &[100.0], Form::Capsule).is_ok());
        assert!(compute(Basis::PerKg, 1.0, None, 90.0, &[100.0], Form::Capsule).is_err());
        assert!(compute(Basis::PerM2, 1250.0, None, 64.0, &[500.0], Form::Tablet).is_err(), "no height");
    }

    #[test]
    fn kg_dosing_multiplies_by_the_weight() {
        // Chlorambucil 0,1 mg/kg at 68 kg = 6,8 mg with 2 mg tablets: 6 mg is 11,8 % off, refused;
        // at 78 kg = 7,8 mg → 8 mg (4 tablets, +2,6 %).
        assert!(compute(Basis::PerKg, 0.1, None, 68.0, &[2.0], Form::Tablet).is_err());
        let c = compute(Basis::PerKg, 0.1, None, 78.0, &[2.0], Form::Tablet).expect("8 mg");
        assert_eq!((c.rounded_mg, c.bsa_m2, c.height_cm), (8.0, None, None));
        assert_eq!(patient_text(&c), "8 mg : 4 comprimés à 2 mg");
        assert_eq!(staff_text(&c), "0,1 mg/kg × 78 kg = 7,8 mg → 8 mg (+2,6 %)");
    }

    #[test]
    fn formulas_are_recognised() {
        for f in ["1 250 mg/m²", "35 mg/m2", "0,1 mg/kg/jour", "20 MG / M2", "10 mg/ kg"] {
            assert!(is_formula(f), "{f}");
        }
        for ok in ["400 mg", "2 150 mg : 4 comprimés à 500 mg + 1 comprimé à 150 mg", "1 comprimé matin et soir"] {
            assert!(!is_formula(ok), "{ok}");
        }
    }

    #[test]
    fn french_numbers() {
        assert_eq!(french_number(2150.0), "2 150");
        assert_eq!(french_number(2140.94), "2 140,9");
        assert_eq!(french_number(2.5), "2,5");
        assert_eq!(french_number(1_000_000.0), "1 000 000");
        assert_eq!(french_number(150.0), "150");
        assert_eq!(french_decimals(1.7127, 2), "1,71");
    }

    proptest::proptest! {
        /// The rounded total is made of the units it lists, is a total of the strengths, and no
        /// reachable total is nearer.
        #[test]
        fn rounding_is_the_nearest_reachable_total(target in 50.0f64..5000.0, a in 1u32..40, b in 1u32..40) {
            let strengths = [f64::from(a) * 25.0, f64::from(b) * 10.0];
            if let Some((total, units)) = round_to_strengths(target, &strengths) {
                let sum: f64 = units.iter().map(|u| u.strength_mg * f64::from(u.count)).sum();
                proptest::prop_assert!((sum - total).abs() < 1e-6);
                let limit = target * 1.1;
                for i in 0..=(limit / strengths[0]) as u32 {
                    for j in 0..=(limit / strengths[1]) as u32 {
                        let t = f64::from(i) * strengths[0] + f64::from(j) * strengths[1];
                        if t > 0.0 && t <= limit {
                            proptest::prop_assert!((t - target).abs() >= (total - target).abs() - 1e-6);
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn a_new_weight_moves_a_dose_per_m2_by_the_square_root_of_the_weights() {
        let c = compute(Basis::PerM2, 1250.0, Some(165.0), 64.0, &[150.0, 500.0], Form::Tablet).expect("computed");
        // 63 kg: √(63/64) − 1 = −0,8 %.
        let r = reweigh(&c, 63.0).expect("reweighed");
        assert!((r.change_pct + 0.78).abs() < 0.01, "{}", r.change_pct);
        assert!(!r.moves_more_than(10.0));
        // 54 kg, 15,6 % of weight lost, moves a Mosteller dose by only −8,1 %.
        let r = reweigh(&c, 54.0).expect("reweighed");
        assert!((r.change_pct + 8.14).abs() < 0.01, "{}", r.change_pct);
        assert!(!r.moves_more_than(10.0));
        // 50 kg: −11,6 %, 2 140,9 mg → 1 892,3 mg.
        let r = reweigh(&c, 50.0).expect("reweighed");
        assert!((r.change_pct + 11.61).abs() < 0.01, "{}", r.change_pct);
        assert!(r.moves_more_than(10.0));
        let (bank, catalog, rules) =
            (crate::test_support::bank(), crate::test_support::shipped_catalog(), crate::test_support::rules());
        let v = crate::reason::Vocabulary { bank: &bank, catalog: &catalog, rules: &rules };
        assert_eq!(
            r.reason("capecitabine").render(crate::triage::Locale::Fr, v),
            "capécitabine (dose par m²) : poids 64 kg → 50 kg, dose calculée 2 140,9 mg → 1 892,3 mg (−11,6 %) ; \
             dose prescrite inchangée (2 150 mg), à réévaluer"
        );
        // A gain counts as well: 80 kg is +11,8 %.
        assert!(reweigh(&c, 80.0).expect("reweighed").moves_more_than(10.0));
    }

    #[test]
    fn a_new_weight_moves_a_dose_per_kg_in_proportion_and_exactly_10_percent_is_not_more() {
        let c = compute(Basis::PerKg, 10.0, None, 64.0, &[10.0, 40.0], Form::Tablet).expect("computed");
        let r = reweigh(&c, 57.6).expect("reweighed");
        assert_eq!(r.change_pct, -10.0);
        assert!(!r.moves_more_than(10.0));
        assert!(reweigh(&c, 57.5).expect("reweighed").moves_more_than(10.0));
        assert!(reweigh(&c, 70.5).expect("reweighed").moves_more_than(10.0));
        assert!(!reweigh(&c, 70.4).expect("reweighed").moves_more_than(10.0));
    }

    #[test]
    fn a_weight_or_a_computation_that_cannot_be_redone_gives_nothing() {
        let mut c = compute(Basis::PerM2, 1250.0, Some(165.0), 64.0, &[150.0, 500.0], Form::Tablet).expect("computed");
        assert_eq!(reweigh(&c, 0.0), None);
        assert_eq!(reweigh(&c, f64::NAN), None);
        c.height_cm = None;
        assert_eq!(reweigh(&c, 60.0), None);
    }
}
