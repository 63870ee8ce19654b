//! Grade bands over a number, written in config exactly as the clinical tables read:
//! `{ grade = 1, from = 38.0, to = 39.0 }`, `{ grade = 2, above = 39.0, to = 40.0 }`.
//! `from`/`to` are inclusive, `above`/`below` exclusive. Bands must tile the number line.

use serde::Deserialize;

/// A band as written in `config/triage.toml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BandSpec {
    pub grade: u8,
    #[serde(default)]
    pub from: Option<f64>,
    #[serde(default)]
    pub above: Option<f64>,
    #[serde(default)]
    pub to: Option<f64>,
    #[serde(default)]
    pub below: Option<f64>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
struct Bound {
    value: f64,
    inclusive: bool,
}

#[derive(Debug, Clone, PartialEq)]
struct Band {
    grade: u8,
    lower: Option<Bound>,
    upper: Option<Bound>,
}

impl Band {
    fn contains(&self, x: f64) -> bool {
        let above_lower = self.lower.is_none_or(|b| if b.inclusive { x >= b.value } else { x > b.value });
        let below_upper = self.upper.is_none_or(|b| if b.inclusive { x <= b.value } else { x < b.value });
        above_lower && below_upper
    }
}

/// Validated bands: contiguous, no gap, no overlap, grades rising.
#[derive(Debug, Clone, PartialEq)]
pub struct Bands(Vec<Band>);

impl Bands {
    /// `key` names the list in error messages; `integer` lets `to = 3` meet `from = 4`.
    pub fn new(specs: &[BandSpec], key: &str, integer: bool) -> Result<Self, String> {
        if specs.is_empty() {
            return Err(format!("{key}: at least one band"));
        }
        let mut bands = Vec::with_capacity(specs.len());
        for (i, s) in specs.iter().enumerate() {
            let k = format!("{key}[{i}]");
            let lower = one_of(s.from, s.above, &k, "from", "above")?;
            let upper = one_of(s.to, s.below, &k, "to", "below")?;
            if s.grade > 4 {
                return Err(format!("{k}.grade: a grade is 0 to 4"));
            }
            for b in lower.iter().chain(upper.iter()) {
                if !b.value.is_finite() {
                    return Err(format!("{k}: bounds are finite numbers"));
                }
            }
            if let (Some(l), Some(u)) = (lower, upper) {
                let empty = l.value > u.value || (l.value == u.value && !(l.inclusive && u.inclusive));
                if empty {
                    return Err(format!("{k}: the band is empty (its lower bound is above its upper bound)"));
                }
            }
            bands.push(Band { grade: s.grade, lower, upper });
        }
        if bands.first().is_some_and(|b| b.lower.is_some()) {
            return Err(format!("{key}[0]: the first band has no lower bound (missing values below it)"));
        }
        let last = bands.len() - 1;
        if bands.last().is_some_and(|b| b.upper.is_some()) {
            return Err(format!("{key}[{last}]: the last band has no upper bound (missing values above it)"));
        }
        for i in 0..last {
            let (a, b) = (&bands[i], &bands[i + 1]);
            let k = format!("{key}[{}]", i + 1);
            let (Some(u), Some(l)) = (a.upper, b.lower) else {
                return Err(format!("{k}: bands in the middle have both bounds (overlapping bands)"));
            };
            let meets = (u.value == l.value && u.inclusive != l.inclusive)
                || (integer && u.inclusive && l.inclusive && u.value.fract() == 0.0 && l.value == u.value + 1.0);
            if !meets {
                let what = if l.value < u.value || (l.value == u.value && l.inclusive && u.inclusive) {
                    "overlaps"
                } else {
                    "leaves a gap after"
                };
                return Err(format!("{k}: the band {what} the previous one"));
            }
            if b.grade <= a.grade {
                return Err(format!("{k}.grade: grades rise from one band to the next"));
            }
        }
        Ok(Self(bands))
    }

    /// The grade of a value. Bands tile the line, so every finite value has one.
    pub fn grade(&self, x: f64) -> u8 {
        self.0.iter().find(|b| b.contains(x)).map_or(0, |b| b.grade)
    }
}

fn one_of(
    inclusive: Option<f64>,
    exclusive: Option<f64>,
    key: &str,
    inc_name: &str,
    exc_name: &str,
) -> Result<Option<Bound>, String> {
    match (inclusive, exclusive) {
        (Some(_), Some(_)) => Err(format!("{key}: give `{inc_name}` or `{exc_name}`, not both")),
        (Some(value), None) => Ok(Some(Bound { value, inclusive: true })),
        (None, Some(value)) => Ok(Some(Bound { value, inclusive: false })),
        (None, None) => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(grade: u8, from: Option<f64>, above: Option<f64>, to: Option<f64>, below: Option<f64>) -> BandSpec {
        BandSpec { grade, from, above, to, below }
    }

    #[test]
    fn fever_bands_are_half_open_as_written() {
        let b = Bands::new(
            &[
                spec(0, None, None, None, Some(38.0)),
                spec(1, Some(38.0), None, Some(39.0), None),
                spec(2, None, Some(39.0), Some(40.0), None),
                spec(3, None, Some(40.0), None, None),
            ],
            "fever",
            false,
        )
        .expect("valid");
        assert_eq!(b.grade(37.99), 0);
        assert_eq!(b.grade(38.0), 1);
        assert_eq!(b.grade(39.0), 1);
        assert_eq!(b.grade(39.05), 2);
        assert_eq!(b.grade(40.0), 2);
        assert_eq!(b.grade(40.01), 3);
    }

    #[test]
    fn gaps_overlaps_and_open_ends_are_refused() {
        let gap = [spec(0, None, None, None, Some(38.0)), spec(1, None, Some(38.0), None, None)];
        assert!(Bands::new(&gap, "k", false).unwrap_err().contains("gap"));
        let overlap = [spec(0, None, None, Some(38.0), None), spec(1, Some(38.0), None, None, None)];
        assert!(Bands::new(&overlap, "k", false).unwrap_err().contains("overlaps"));
        let bounded_first = [spec(0, Some(1.0), None, None, None)];
        assert!(Bands::new(&bounded_first, "k", false).unwrap_err().starts_with("k[0]"));
        let bounded_last = [spec(0, None, None, Some(1.0), None)];
        assert!(Bands::new(&bounded_last, "k", false).unwrap_err().contains("upper"));
        let both = [spec(0, None, None, Some(1.0), Some(1.0))];
        assert!(Bands::new(&both, "k", false).unwrap_err().contains("not both"));
        assert!(Bands::new(&[], "k", false).is_err());
        let falling = [spec(2, None, None, None, Some(1.0)), spec(1, Some(1.0), None, None, None)];
        assert!(Bands::new(&falling, "k", false).unwrap_err().contains("grade"));
    }

    #[test]
    fn integer_bands_may_meet_at_the_next_integer() {
        let specs = [
            spec(0, None, None, Some(0.0), None),
            spec(1, Some(1.0), None, Some(3.0), None),
            spec(2, Some(4.0), None, None, None),
        ];
        assert!(Bands::new(&specs, "k", false).is_err());
        let b = Bands::new(&specs, "k", true).expect("valid for integers");
        assert_eq!((b.grade(0.0), b.grade(3.0), b.grade(4.0)), (0, 1, 2));
    }
}
