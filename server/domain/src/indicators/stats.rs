//! The few statistics the indicators need, with their definitions stated once.

/// The median of values sorted ascending: the middle value, or the mean of the two middle
/// values when there is an even number of them. `None` for no values.
pub fn median(sorted: &[i64]) -> Option<f64> {
    let n = sorted.len();
    if n == 0 {
        return None;
    }
    Some(if n % 2 == 1 { sorted[n / 2] as f64 } else { (sorted[n / 2 - 1] as f64 + sorted[n / 2] as f64) / 2.0 })
}

/// The `p`-th percentile (0 < p ≤ 100) of values sorted ascending, by the nearest-rank method:
/// the value of rank ⌈p·n/100⌉ (ranks from 1), i.e. the smallest value such that at least p %
/// of the values are less than or equal to it. Always one of the values; no interpolation.
/// `None` for no values.
pub fn percentile(sorted: &[i64], p: u32) -> Option<i64> {
    let n = sorted.len();
    if n == 0 || p == 0 || p > 100 {
        return None;
    }
    // Integer arithmetic: ⌈p·n/100⌉ without floating-point surprises (0.9 × 10 must be 9).
    let rank = (p as usize * n).div_ceil(100).max(1);
    Some(sorted[rank - 1])
}

/// 100 × part ÷ whole, rounded to two decimals; `None` when `whole` is 0 (no denominator, not
/// 0 %).
pub fn percent(part: u64, whole: u64) -> Option<f64> {
    (whole > 0).then(|| round2(part as f64 * 100.0 / whole as f64))
}

pub fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// Seconds as minutes, rounded to one decimal.
pub fn minutes(seconds: f64) -> f64 {
    (seconds / 6.0).round() / 10.0
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn median_and_percentile_of_small_sets() {
        assert_eq!(median(&[]), None);
        assert_eq!(median(&[7]), Some(7.0));
        assert_eq!(median(&[1, 4]), Some(2.5));
        assert_eq!(median(&[1, 2, 9]), Some(2.0));
        assert_eq!(percentile(&[], 90), None);
        assert_eq!(percentile(&[5], 90), Some(5));
        // n = 10: rank 9.
        let ten: Vec<i64> = (1..=10).collect();
        assert_eq!(percentile(&ten, 90), Some(9));
        assert_eq!(percentile(&ten, 50), Some(5));
        assert_eq!(percentile(&ten, 100), Some(10));
        // n = 3: rank ⌈2.7⌉ = 3.
        assert_eq!(percentile(&[10, 20, 30], 90), Some(30));
        // n = 11: rank ⌈9.9⌉ = 10.
        let eleven: Vec<i64> = (1..=11).collect();
        assert_eq!(percentile(&eleven, 90), Some(10));
    }

    #[test]
    fn percent_has_no_value_without_a_denominator() {
        assert_eq!(percent(0, 0), None);
        assert_eq!(percent(0, 4), Some(0.0));
        assert_eq!(percent(15, 16), Some(93.75));
        assert_eq!(percent(2, 3), Some(66.67));
        assert_eq!(minutes(90.0), 1.5);
        assert_eq!(minutes(600.0), 10.0);
    }

    proptest! {
        #[test]
        fn p90_is_a_value_with_at_least_90_percent_at_or_below_it(mut v in prop::collection::vec(-1000i64..100_000, 1..200)) {
            v.sort_unstable();
            let p = percentile(&v, 90).unwrap();
            prop_assert!(v.contains(&p));
            let at_or_below = v.iter().filter(|x| **x <= p).count();
            prop_assert!(at_or_below * 100 >= 90 * v.len());
            // And it is the smallest such value.
            let below = v.iter().filter(|x| **x < p).count();
            prop_assert!(below * 100 < 90 * v.len());
        }

        #[test]
        fn the_median_lies_between_the_extremes_and_not_above_p90(mut v in prop::collection::vec(-1000i64..100_000, 1..200)) {
            v.sort_unstable();
            let m = median(&v).unwrap();
            prop_assert!(m >= v[0] as f64 && m <= v[v.len() - 1] as f64);
            prop_assert!(m <= percentile(&v, 90).unwrap() as f64);
            let below = v.iter().filter(|x| (**x as f64) < m).count();
            let above = v.iter().filter(|x| (**x as f64) > m).count();
            prop_assert!(below <= v.len() / 2 && above <= v.len() / 2);
        }

        #[test]
        fn percent_stays_within_0_and_100(whole in 1u64..1_000_000, frac in 0.0f64..=1.0) {
            let part = ((whole as f64) * frac).floor() as u64;
            let p = percent(part.min(whole), whole).unwrap();
            prop_assert!((0.0..=100.0).contains(&p));
        }
    }
}
