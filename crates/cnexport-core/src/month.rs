//! Calendar months as `YYYYMM`, with the month arithmetic the windows need.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A calendar month. Ordered, and cheap to copy; printed as `YYYYMM`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Month(u32);

impl Month {
    /// Builds a month from a year and a month number (1-12).
    pub fn new(year: u32, month: u32) -> Option<Month> {
        if (1900..=2999).contains(&year) && (1..=12).contains(&month) {
            Some(Month(year * 100 + month))
        } else {
            None
        }
    }

    /// Parses the forms the platform and users write: `202403`, `2024-03`,
    /// `2024年03月`, `2024/3`, `2024.3`, `2024-3`, and a numeric cell `202403.0`.
    pub fn parse(text: &str) -> Option<Month> {
        let t = text.trim();
        let t = t.strip_suffix(".0").unwrap_or(t);
        if t.len() == 6 && t.bytes().all(|b| b.is_ascii_digit()) {
            let n: u32 = t.parse().ok()?;
            return Month::new(n / 100, n % 100);
        }
        let t = t.strip_suffix('月').unwrap_or(t);
        let mut parts = t.splitn(2, ['-', '/', '.', '年']);
        let y = parts.next()?.trim();
        let m = parts.next()?.trim();
        if y.len() != 4 || m.is_empty() || m.len() > 2 {
            return None;
        }
        if !y.bytes().all(|b| b.is_ascii_digit()) || !m.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        Month::new(y.parse().ok()?, m.parse().ok()?)
    }

    /// Parses exactly `YYYYMM` (the API's form).
    pub fn parse_yyyymm(text: &str) -> Option<Month> {
        if text.len() == 6 && text.bytes().all(|b| b.is_ascii_digit()) {
            let n: u32 = text.parse().ok()?;
            Month::new(n / 100, n % 100)
        } else {
            None
        }
    }

    pub fn from_yyyymm(n: u32) -> Option<Month> {
        Month::new(n / 100, n % 100)
    }

    pub fn yyyymm(self) -> u32 {
        self.0
    }
    pub fn year(self) -> u32 {
        self.0 / 100
    }
    pub fn month(self) -> u32 {
        self.0 % 100
    }

    /// Months since year 0, for arithmetic.
    pub fn index(self) -> i64 {
        self.year() as i64 * 12 + (self.month() as i64 - 1)
    }

    pub fn from_index(index: i64) -> Month {
        Month((index / 12) as u32 * 100 + (index % 12) as u32 + 1)
    }

    pub fn minus(self, months: i64) -> Month {
        Month::from_index(self.index() - months)
    }

    pub fn plus(self, months: i64) -> Month {
        Month::from_index(self.index() + months)
    }

    /// Months from `other` to `self` (positive when `self` is later).
    pub fn since(self, other: Month) -> i64 {
        self.index() - other.index()
    }
}

impl fmt::Display for Month {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:06}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_written_form() {
        for s in [
            "202403",
            "2024-03",
            "2024年03月",
            "2024/3",
            "2024年3月",
            "2024.03",
            "202403.0",
        ] {
            assert_eq!(Month::parse(s), Month::new(2024, 3), "{s}");
        }
        for s in [
            "202413", "2024-00", "24-03", "2024", "", "abc", "2024-003", "20240",
        ] {
            assert_eq!(Month::parse(s), None, "{s}");
        }
    }

    #[test]
    fn arithmetic_crosses_years() {
        let m = Month::new(2024, 1).unwrap();
        assert_eq!(m.minus(1).to_string(), "202312");
        assert_eq!(m.minus(23).to_string(), "202202");
        assert_eq!(m.plus(12).to_string(), "202501");
        assert_eq!(m.since(Month::new(2023, 1).unwrap()), 12);
    }
}
