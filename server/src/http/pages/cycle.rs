//! The cycle calendar of the patient page: the coming weeks, day by day, with the days on and
//! off treatment, where each block of a cycle of several blocks starts ("période 2/2" for
//! trifluridine/tipiracil D8), each step of a ramp-up ("venetoclax 50 mg" on day 8), and the
//! public holidays (when the hospital is closed, a dispensation or a blood test must move).
//! Pure: the regimen's own rules (`domain::regimen`) say which day is on and its dose.

use chrono::{Datelike, Days, NaiveDate};

use super::labels::{Tr, day_in};
use crate::domain::calendar::Calendar;
use crate::domain::regimen::{Line, cycle_day, dose_on, is_dosing_day};
use crate::domain::triage::Locale;

/// One day of the calendar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CalDay {
    pub date: NaiveDate,
    /// "23/11" ("23 Nov" in English).
    pub label: String,
    pub today: bool,
    pub holiday: bool,
    /// `on`, `off` (a pause of the cycle) or `none` (outside the regimen's dates): also the
    /// CSS class of the cell.
    pub state: &'static str,
    /// "J9/21" ("D9/21" in English) on the first cycled line's day, empty without a cycle.
    pub cycle_label: String,
    /// What starts that day, shown in the cell: a block of a cycle of several blocks
    /// ("capécitabine : période 2/2") or a step of a ramp-up ("venetoclax 50 mg").
    pub marks: Vec<String>,
    /// What the cell says to a screen reader and on hover: each drug on (with its dose of the
    /// day) or off.
    pub detail: String,
}

/// Seven days, Monday first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CalWeek {
    pub days: Vec<CalDay>,
}

/// `weeks` weeks from the Monday of `today`'s week, in the words of `locale`.
pub fn weeks(
    lines: &[Line],
    today: NaiveDate,
    weeks: u32,
    holidays: Option<&Calendar>,
    locale: Locale,
) -> Vec<CalWeek> {
    let monday = today - Days::new(u64::from(today.weekday().num_days_from_monday()));
    (0..weeks)
        .map(|w| CalWeek {
            days: (0..7)
                .map(|d| day(lines, monday + Days::new(u64::from(w * 7 + d)), today, holidays, locale))
                .collect(),
        })
        .collect()
}

fn day(lines: &[Line], date: NaiveDate, today: NaiveDate, holidays: Option<&Calendar>, locale: Locale) -> CalDay {
    let t = Tr(locale);
    let in_regimen: Vec<&Line> = lines.iter().filter(|l| cycle_day(l, date).is_some()).collect();
    let on = in_regimen.iter().any(|l| is_dosing_day(l, date));
    let state = match (in_regimen.is_empty(), on) {
        (true, _) => "none",
        (false, true) => "on",
        (false, false) => "off",
    };
    let cycle_label = in_regimen
        .iter()
        .filter_map(|l| cycle_day(l, date).filter(|c| c.length > 0))
        .map(|c| format!("{}{}/{}", t.t("J", "D"), c.day, c.length))
        .next()
        .unwrap_or_default();
    let holiday = holidays.is_some_and(|c| c.is_holiday(date));
    let marks = in_regimen.iter().flat_map(|l| marks(l, date, locale)).collect();
    let mut detail: Vec<String> = in_regimen
        .iter()
        .map(|l| match is_dosing_day(l, date) {
            true => format!("{} {}{}", l.drug, dose_on(l, date), t.t(" : prise", ": dosing day")),
            false => format!("{}{}", l.drug, t.t(" : pause", ": break")),
        })
        .collect();
    if in_regimen.is_empty() {
        detail.push(t.t("pas de traitement prévu", "no treatment planned").into());
    }
    if holiday {
        detail.push(t.t("jour férié", "public holiday").into());
    }
    CalDay {
        date,
        label: match locale {
            Locale::Fr => format!("{:02}/{:02}", date.day(), date.month()),
            Locale::En => date.format("%-d %b").to_string(),
        },
        today: date == today,
        holiday,
        state,
        cycle_label,
        marks,
        detail: format!("{} — {}", day_in(date, locale), detail.join(", ")),
    }
}

/// What starts on `date` for one line: a block of a cycle that has several, a step of a ramp-up.
fn marks(line: &Line, date: NaiveDate, locale: Locale) -> Vec<String> {
    let mut out = Vec::new();
    if let (Some(cycle), Some(at)) = (&line.cycle, cycle_day(line, date))
        && cycle.on.len() > 1
        && let Some(i) = cycle.on.iter().position(|&(from, _)| from == at.day)
    {
        out.push(format!("{}{} {}/{}", line.drug, Tr(locale).t(" : période", ": block"), i + 1, cycle.on.len()));
    }
    let day = (date - line.start).num_days() + 1;
    if line.steps.len() > 1 && line.steps.iter().any(|s| i64::from(s.from_day) == day) {
        out.push(format!("{} {}", line.drug, dose_on(line, date)));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::calendar::Calendars;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn line(drug: &str, start: &str, cycle: Option<(u16, u16)>) -> Line {
        Line {
            id: drug.into(),
            drug: drug.into(),
            times: vec![chrono::NaiveTime::from_hms_opt(8, 0, 0).unwrap()],
            cycle: cycle.map(|(on, off)| crate::domain::regimen::Cycle::on_off(on, off)),
            dose: "1 mg".into(),
            steps: vec![],
            start: d(start),
            end: None,
            paused_from: None,
            paused_until: None,
        }
    }

    #[test]
    fn weeks_start_on_monday_and_follow_the_cycle() {
        // Capecitabine 14 days on, 7 off, from Wednesday 2026-11-04; today Thursday 2026-11-19.
        let cal = weeks(&[line("capecitabine", "2026-11-04", Some((14, 7)))], d("2026-11-19"), 3, None, Locale::Fr);
        assert_eq!(cal.len(), 3);
        assert!(cal.iter().all(|w| w.days.len() == 7));
        let first = &cal[0].days[0];
        assert_eq!(first.date, d("2026-11-16"));
        assert_eq!(first.cycle_label, "J13/21");
        let today = cal[0].days.iter().find(|c| c.today).unwrap();
        assert_eq!(today.date, d("2026-11-19"));
        // Day 14 (17/11) is the last on-day; 18/11 to 24/11 are off; 25/11 starts cycle 2.
        let by_date = |s: &str| cal.iter().flat_map(|w| &w.days).find(|c| c.date == d(s)).unwrap().clone();
        assert_eq!(by_date("2026-11-17").state, "on");
        assert_eq!(by_date("2026-11-18").state, "off");
        assert_eq!(by_date("2026-11-24").state, "off");
        assert_eq!(by_date("2026-11-25").state, "on");
        assert_eq!(by_date("2026-11-25").cycle_label, "J1/21");
        assert!(by_date("2026-11-18").detail.contains("capecitabine : pause"));
        assert!(by_date("2026-11-17").detail.contains("capecitabine 1 mg : prise"), "the dose of the day");
        assert!(cal.iter().flat_map(|w| &w.days).all(|c| c.marks.is_empty()), "one block, no steps: nothing starts");
    }

    #[test]
    fn each_block_of_a_cycle_and_each_step_shows_where_it_starts() {
        // Trifluridine/tipiracil D1–5 and D8–12 every 28 days, from Monday 2026-11-02.
        let mut tt = line("trifluridine/tipiracil", "2026-11-02", None);
        tt.cycle = Some(crate::domain::regimen::Cycle { length: 28, on: vec![(1, 5), (8, 12)] });
        // Venetoclax 20 mg in week 1, 50 mg from day 8, from the same Monday.
        let mut ven = line("venetoclax", "2026-11-02", None);
        ven.steps = [(1, "20 mg"), (8, "50 mg")]
            .map(|(from_day, dose)| crate::domain::regimen::Step { from_day, dose: dose.into() })
            .into();
        let cal = weeks(&[tt, ven], d("2026-11-02"), 2, None, Locale::Fr);
        let by_date = |s: &str| cal.iter().flat_map(|w| &w.days).find(|c| c.date == d(s)).unwrap().clone();
        assert_eq!(by_date("2026-11-02").marks, ["trifluridine/tipiracil : période 1/2", "venetoclax 20 mg"]);
        assert_eq!(by_date("2026-11-09").marks, ["trifluridine/tipiracil : période 2/2", "venetoclax 50 mg"]);
        // Day 6 (07/11): the break of trifluridine/tipiracil, still week 1 of venetoclax.
        assert!(by_date("2026-11-07").marks.is_empty(), "{:?}", by_date("2026-11-07"));
        assert!(by_date("2026-11-07").detail.contains("trifluridine/tipiracil : pause"));
        assert!(by_date("2026-11-07").detail.contains("venetoclax 20 mg : prise"));
        assert!(by_date("2026-11-10").detail.contains("venetoclax 50 mg : prise"));
    }

    #[test]
    fn days_before_the_start_are_outside_the_regimen() {
        let cal = weeks(&[line("imatinib", "2026-11-25", None)], d("2026-11-23"), 1, None, Locale::Fr);
        assert_eq!(cal[0].days[0].state, "none");
        assert_eq!(cal[0].days[2].state, "on");
        assert_eq!(cal[0].days[2].cycle_label, "", "a continuous line has no cycle day");
    }

    #[test]
    fn a_combination_is_on_when_any_drug_is() {
        let lines = [line("a", "2026-11-23", Some((1, 1))), line("b", "2026-11-24", Some((1, 1)))];
        let cal = weeks(&lines, d("2026-11-23"), 1, None, Locale::Fr);
        assert!(cal[0].days.iter().all(|c| c.state == "on"), "{cal:?}");
    }

    /// Issue 19: an English reader's calendar: day labels, cycle days, blocks and details in English.
    #[test]
    fn the_calendar_reads_in_english() {
        let mut tt = line("trifluridine/tipiracil", "2026-11-02", None);
        tt.cycle = Some(crate::domain::regimen::Cycle { length: 28, on: vec![(1, 5), (8, 12)] });
        let cal = weeks(&[tt], d("2026-11-02"), 2, None, Locale::En);
        let by_date = |s: &str| cal.iter().flat_map(|w| &w.days).find(|c| c.date == d(s)).unwrap().clone();
        let monday = by_date("2026-11-09");
        assert_eq!((monday.label.as_str(), monday.cycle_label.as_str()), ("9 Nov", "D8/28"));
        assert_eq!(monday.marks, ["trifluridine/tipiracil: block 2/2"]);
        assert_eq!(monday.detail, "9 Nov 2026 — trifluridine/tipiracil 1 mg: dosing day");
        assert_eq!(by_date("2026-11-07").detail, "7 Nov 2026 — trifluridine/tipiracil: break");
    }

    #[test]
    fn holidays_are_marked() {
        let cals = Calendars::from_files(&[("fr", "fixed = [\"12-25\"]")]).unwrap();
        let cal = weeks(&[line("a", "2026-12-01", None)], d("2026-12-23"), 1, cals.get("fr"), Locale::Fr);
        let xmas = cal[0].days.iter().find(|c| c.date == d("2026-12-25")).unwrap();
        assert!(xmas.holiday && xmas.detail.contains("jour férié"));
        assert_eq!(cal[0].days.iter().filter(|c| c.holiday).count(), 1);
    }
}
