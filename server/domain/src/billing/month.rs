//! A calendar month `YYYY-MM` (statements, closes) and amounts written the French way.

use std::fmt;

use chrono::{Datelike, Months, NaiveDate};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Month {
    first: NaiveDate,
}

impl Month {
    /// Exactly `YYYY-MM` (four digits, a dash, a month 01–12).
    pub fn parse(s: &str) -> Option<Self> {
        let b = s.as_bytes();
        if b.len() != 7 || b[4] != b'-' || !b[..4].iter().chain(&b[5..]).all(u8::is_ascii_digit) {
            return None;
        }
        let year: i32 = s[..4].parse().ok()?;
        let month: u32 = s[5..].parse().ok()?;
        NaiveDate::from_ymd_opt(year, month, 1).map(|first| Self { first })
    }

    pub fn of(date: NaiveDate) -> Self {
        Self { first: date.with_day(1).expect("day 1 exists") }
    }

    pub fn first_day(self) -> NaiveDate {
        self.first
    }

    pub fn last_day(self) -> NaiveDate {
        self.next().first - chrono::Days::new(1)
    }

    pub fn next(self) -> Self {
        Self { first: self.first + Months::new(1) }
    }

    pub fn previous(self) -> Self {
        Self { first: self.first - Months::new(1) }
    }

    pub fn contains(self, date: NaiveDate) -> bool {
        Self::of(date) == self
    }
}

impl fmt::Display for Month {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.first.year(), self.first.month())
    }
}

/// Cents as French accounting tools read them: `35700` → `357,00`, `-11900` → `-119,00`
/// (decimal comma, no thousands separator, no currency sign).
pub fn euros_fr(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let abs = cents.unsigned_abs();
    format!("{sign}{},{:02}", abs / 100, abs % 100)
}

/// The inverse of [`euros_fr`], for whoever reads a statement back.
pub fn parse_euros_fr(s: &str) -> Option<i64> {
    let (neg, body) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s),
    };
    let (units, decimals) = body.split_once(',')?;
    if units.is_empty() || decimals.len() != 2 || !units.bytes().chain(decimals.bytes()).all(|c| c.is_ascii_digit()) {
        return None;
    }
    let cents = units.parse::<i64>().ok()?.checked_mul(100)?.checked_add(decimals.parse::<i64>().ok()?)?;
    Some(if neg { -cents } else { cents })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_parse_only_yyyy_mm() {
        let m = Month::parse("2026-02").unwrap();
        assert_eq!(m.to_string(), "2026-02");
        assert_eq!(m.last_day(), NaiveDate::from_ymd_opt(2026, 2, 28).unwrap());
        assert_eq!(Month::parse("2026-12").unwrap().next().to_string(), "2027-01");
        assert_eq!(Month::parse("2027-01").unwrap().previous().to_string(), "2026-12");
        for bad in ["2026-13", "2026-00", "2026-1", "26-01", "2026/01", "2026-01-01", "", "abcd-ef", "+026-01"] {
            assert_eq!(Month::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn euros_are_written_with_a_decimal_comma_and_read_back() {
        for (cents, text) in [(35700, "357,00"), (-11900, "-119,00"), (5634, "56,34"), (5, "0,05"), (0, "0,00")] {
            assert_eq!(euros_fr(cents), text);
            assert_eq!(parse_euros_fr(text), Some(cents));
        }
        for bad in ["357.00", "357", ",00", "1,5", "a,00"] {
            assert_eq!(parse_euros_fr(bad), None, "{bad}");
        }
    }
}
