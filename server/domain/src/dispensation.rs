//! Dispensations and renewals (docs/domain.md, "Dispensations"): from what the pharmacy hands
//! over (units of one drug of the regimen, on a date), the day the patient runs out, the day
//! the refill reminder is due, and the cross-check of the units dispensed against the doses the
//! patient confirmed.

use chrono::{Days, NaiveDate};

use super::dosing::Computation;
use super::regimen::{Line, cycle_day};

/// How many days before the run-out date the patient is reminded to renew.
pub const REMINDER_DAYS_BEFORE: u64 = 3;

/// The largest dispensation accepted: more is a typing error, not a box of tablets.
pub const MAX_UNITS: u32 = 10_000;

/// No regimen is walked further than this (a line with no on-day left never runs out).
const HORIZON_DAYS: u64 = 366 * 30;

/// The first day, from `from` on, that `units` no longer cover when `per_day` units are taken
/// on each day `is_on` says is a dosing day (off-days consume nothing). `None` when `per_day`
/// is 0 or no day runs out within thirty years.
///
/// 56 tablets at 2 a day, every day, from 2026-11-02: 28 days covered (Nov 2–29), out on Nov 30.
pub fn run_out_on(is_on: impl Fn(NaiveDate) -> bool, from: NaiveDate, units: u32, per_day: u32) -> Option<NaiveDate> {
    if per_day == 0 {
        return None;
    }
    let mut left = units;
    let mut day = from;
    for _ in 0..HORIZON_DAYS {
        if is_on(day) {
            if left < per_day {
                return Some(day);
            }
            left -= per_day;
        }
        day = day.succ_opt()?;
    }
    None
}

/// [`run_out_on`] over a regimen line's calendar: the on-days of its cycle blocks from its
/// start (every day when it has no cycle). Days before the line starts consume nothing (a
/// dispensation before day 1). Pauses are not counted: a pause is not planned ahead.
pub fn run_out_for_line(line: &Line, from: NaiveDate, units: u32, per_day: u32) -> Option<NaiveDate> {
    run_out_on(|d| cycle_day(line, d).is_some_and(|c| c.on), from, units, per_day)
}

/// The day the refill reminder is due: [`REMINDER_DAYS_BEFORE`] days before the run-out date.
pub fn reminder_on(run_out: NaiveDate) -> NaiveDate {
    run_out.checked_sub_days(Days::new(REMINDER_DAYS_BEFORE)).unwrap_or(run_out)
}

/// Units taken per intake-day, when the regimen says it: a dose computed per m² or per kg is a
/// number of units per intake (`Computation::units`), a dose written "2 comprimés" or "1
/// gélule" too; times the intakes of the day. A dose that changes by steps, or one in mg only,
/// does not say it (the pharmacist gives it).
pub fn units_per_day(line: &Line, computation: Option<&Computation>) -> Option<u32> {
    if !line.steps.is_empty() {
        return None;
    }
    let intakes = u32::try_from(line.times.len()).ok().filter(|n| *n > 0)?;
    let per_intake = match computation {
        Some(c) => c.units.iter().map(|u| u.count).sum::<u32>(),
        None => units_in_text(&line.dose)?,
    };
    (per_intake > 0).then(|| per_intake.checked_mul(intakes)).flatten()
}

/// "2 comprimés", "1 gélule", "3 cp": the number of units a dose text names; `None` otherwise.
fn units_in_text(dose: &str) -> Option<u32> {
    let mut words = dose.split_whitespace();
    let n: u32 = words.next()?.parse().ok()?;
    let unit = words.next()?.to_lowercase();
    let known = ["comprimé", "comprimés", "cp", "gélule", "gélules", "tablet", "tablets", "capsule", "capsules"];
    (known.contains(&unit.as_str()) && words.next().is_none()).then_some(n)
}

/// A dose the patient confirmed taken (on time, late, or taken then vomited: the units are
/// gone either way).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TakenDose {
    pub date: NaiveDate,
    /// The intakes a day of its regimen line (its times of the day).
    pub intakes_per_day: u32,
}

/// Units the patient's confirmed doses used: each dose from the first dispensation on counts
/// the units of one intake, i.e. the units per intake-day of the dispensation in force on its
/// day over the intakes a day of its line. `dispensations` are (date, units per intake-day).
/// Rounded down: rounding never makes a mismatch.
pub fn confirmed_units(taken: &[TakenDose], dispensations: &[(NaiveDate, u32)]) -> u32 {
    let mut total = 0.0_f64;
    for d in taken {
        let in_force = dispensations.iter().filter(|(on, _)| *on <= d.date).max_by_key(|(on, _)| *on);
        if let Some((_, per_day)) = in_force
            && d.intakes_per_day > 0
        {
            total += f64::from(*per_day) / f64::from(d.intakes_per_day);
        }
    }
    // A hair above the integer below, so that 3 × (1/3) counts as 1.
    (total + 1e-9).floor() as u32
}

#[cfg(test)]
mod tests {
    use chrono::NaiveTime;

    use super::*;
    use crate::regimen::Cycle;

    fn date(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn line(start: &str, cycle: Option<Cycle>, dose: &str, times: usize) -> Line {
        Line {
            id: "L1".into(),
            drug: "capecitabine".into(),
            times: (0..times).map(|h| NaiveTime::from_hms_opt(8 + 12 * h as u32, 0, 0).unwrap()).collect(),
            cycle,
            dose: dose.into(),
            steps: vec![],
            start: date(start),
            end: None,
            paused_from: None,
            paused_until: None,
        }
    }

    #[test]
    fn fifty_six_tablets_at_two_a_day_continuous_run_out_after_28_days() {
        let l = line("2026-11-02", None, "1 comprimé", 2);
        let out = run_out_for_line(&l, date("2026-11-02"), 56, 2);
        assert_eq!(out, Some(date("2026-11-30")));
        assert_eq!(reminder_on(out.unwrap()), date("2026-11-27"));
    }

    #[test]
    fn off_days_of_a_21_on_7_off_cycle_consume_nothing() {
        // 21 days on, 7 off, from 2026-11-02: 84 tablets at 2 a day cover 42 on-days, i.e. the
        // 21 of the first cycle (Nov 2–22), the week off (Nov 23–29), the 21 of the second
        // (Nov 30–Dec 20), then the second week off (Dec 21–27): out on Dec 28, day 1 of the third.
        let l = line("2026-11-02", Some(Cycle::on_off(21, 7)), "1 comprimé", 2);
        assert_eq!(run_out_for_line(&l, date("2026-11-02"), 84, 2), Some(date("2026-12-28")));
        // 40 tablets: 20 on-days, out on day 21 of the first cycle.
        assert_eq!(run_out_for_line(&l, date("2026-11-02"), 40, 2), Some(date("2026-11-22")));
        // 42 tablets cover the 21 on-days: the first day they do not cover is the next on-day,
        // after the week off.
        assert_eq!(run_out_for_line(&l, date("2026-11-02"), 42, 2), Some(date("2026-11-30")));
        // Dispensed during the week off: nothing is taken before the next cycle.
        assert_eq!(run_out_for_line(&l, date("2026-11-25"), 4, 2), Some(date("2026-12-02")));
    }

    #[test]
    fn a_remainder_smaller_than_a_day_does_not_cover_that_day_and_before_day_1_nothing_is_taken() {
        let l = line("2026-11-05", None, "1 comprimé", 2);
        // Dispensed three days before day 1: 5 tablets cover Nov 5 and 6, not Nov 7 (1 left).
        assert_eq!(run_out_for_line(&l, date("2026-11-02"), 5, 2), Some(date("2026-11-07")));
        assert_eq!(run_out_for_line(&l, date("2026-11-05"), 0, 2), Some(date("2026-11-05")));
        assert_eq!(run_out_for_line(&l, date("2026-11-05"), 5, 0), None);
        // A line with no on-day in reach never runs out.
        assert_eq!(run_out_on(|_| false, date("2026-11-05"), 5, 1), None);
    }

    #[test]
    fn units_per_day_come_from_a_computed_dose_or_a_dose_in_units() {
        let mut l = line("2026-11-02", None, "2 comprimés", 2);
        assert_eq!(units_per_day(&l, None), Some(4));
        l.dose = "1500 mg".into();
        assert_eq!(units_per_day(&l, None), None);
        let c = crate::dosing::compute(
            crate::dosing::Basis::PerM2,
            1250.0,
            Some(170.0),
            70.0,
            &[500.0, 150.0],
            crate::dosing::Form::Tablet,
        )
        .unwrap();
        let per_intake: u32 = c.units.iter().map(|u| u.count).sum();
        assert_eq!(units_per_day(&l, Some(&c)), Some(per_intake * 2));
        l.dose = "1 gélule".into();
        l.steps = vec![crate::regimen::Step { from_day: 1, dose: "1 gélule".into() }];
        assert_eq!(units_per_day(&l, None), None, "a dose by steps changes: the pharmacist says");
    }

    #[test]
    fn confirmed_units_count_taken_doses_at_the_dispensation_in_force() {
        let d = |s: &str, intakes| TakenDose { date: date(s), intakes_per_day: intakes };
        let taken =
            [d("2026-11-01", 2), d("2026-11-02", 2), d("2026-11-02", 2), d("2026-11-03", 2), d("2026-11-04", 3)];
        // Nov 1 is before the first dispensation; Nov 2–3 at 2 a day over 2 intakes (1 a dose);
        // Nov 4 at 3 a day over 3 intakes (1 a dose).
        assert_eq!(confirmed_units(&taken, &[(date("2026-11-02"), 2), (date("2026-11-04"), 3)]), 4);
        // 3 units a day over 2 intakes: 1.5 a dose, rounded down at the end only.
        assert_eq!(confirmed_units(&taken[1..4], &[(date("2026-11-02"), 3)]), 4);
        assert_eq!(confirmed_units(&taken, &[]), 0);
    }
}
