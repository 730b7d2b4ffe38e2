//! Seasonality (docs/metrics.md, Seasonality): how a product's exports
//! spread over the calendar months of its latest complete years. One
//! implementation, used by the transform (the pre-computed peak months of
//! `hs_base_metrics`) and by the API (the seasonality answers), so that
//! both always agree.

use crate::round::ratio_2dp;
use crate::Month;

/// At most this many complete calendar years are used.
pub const MAX_YEARS: u32 = 3;

/// The seasonality of one monthly series at an as-of month.
#[derive(Debug, Clone, PartialEq)]
pub struct Seasonality {
    /// The complete calendar years used, ascending (at most 3).
    pub years: Vec<u32>,
    /// Sums per calendar month (January first) over those years.
    pub month_totals: [i64; 12],
    /// The sum of `month_totals`.
    pub total: i64,
    /// `month_totals[m] / total * 100`, 2 decimals; `None` without a
    /// complete year or with a total <= 0.
    pub month_share: Option<[f64; 12]>,
    /// Months (1-12) whose share is at least 1.25 x an even share, compared
    /// exactly: `48 * month_total >= 5 * total`.
    pub peak_months: Vec<u32>,
    /// Half the sum of |share - 100/12|, from the exact shares, 2 decimals.
    pub strength: Option<f64>,
}

impl Seasonality {
    /// Bit `m - 1` set for each peak month `m`.
    pub fn peak_mask(&self) -> u16 {
        self.peak_months
            .iter()
            .fold(0u16, |mask, m| mask | 1 << (m - 1))
    }

    /// The share of calendar month `month` (1-12), if shares are defined.
    pub fn share_of(&self, month: u32) -> Option<f64> {
        self.month_share.map(|s| s[(month - 1) as usize])
    }
}

/// The complete calendar years within `first..=as_of`, the latest
/// `MAX_YEARS` of them, ascending.
pub fn complete_years(first: Month, as_of: Month) -> Vec<u32> {
    let last = if as_of.month() == 12 {
        as_of.year()
    } else {
        as_of.year().saturating_sub(1)
    };
    let earliest = if first.month() == 1 {
        first.year()
    } else {
        first.year() + 1
    };
    let from = earliest.max(last.saturating_sub(MAX_YEARS - 1));
    (from..=last).collect()
}

/// The seasonality at `as_of` of a series whose data starts at `first`;
/// `value(m)` is the series' value in month `m` (0 where there is none).
pub fn seasonality(first: Month, as_of: Month, mut value: impl FnMut(Month) -> i64) -> Seasonality {
    let years = complete_years(first, as_of);
    let mut month_totals = [0i64; 12];
    for &y in &years {
        for (m, total) in month_totals.iter_mut().enumerate() {
            if let Some(month) = Month::new(y, m as u32 + 1) {
                *total += value(month);
            }
        }
    }
    let total: i64 = month_totals.iter().sum();
    if years.is_empty() || total <= 0 {
        return Seasonality {
            years,
            month_totals,
            total,
            month_share: None,
            peak_months: Vec::new(),
            strength: None,
        };
    }
    let t = total as i128;
    let mut share = [0f64; 12];
    let mut deviation = 0i128;
    let mut peak_months = Vec::new();
    for (m, v) in month_totals.iter().enumerate() {
        let v = *v as i128;
        share[m] = ratio_2dp(100 * v, t).unwrap_or(0.0);
        if 48 * v >= 5 * t {
            peak_months.push(m as u32 + 1);
        }
        deviation += (12 * v - t).abs();
    }
    // 1/2 * sum |100 v/T - 100/12| = 50 * sum |12 v - T| / (12 T)
    let strength = ratio_2dp(50 * deviation, 12 * t);
    Seasonality {
        years,
        month_totals,
        total,
        month_share: Some(share),
        peak_months,
        strength,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(y: u32, mo: u32) -> Month {
        Month::new(y, mo).unwrap()
    }

    #[test]
    fn complete_years_are_whole_and_at_most_three() {
        assert_eq!(complete_years(m(2021, 1), m(2024, 12)), [2022, 2023, 2024]);
        assert_eq!(complete_years(m(2021, 1), m(2024, 11)), [2021, 2022, 2023]);
        assert_eq!(complete_years(m(2021, 2), m(2023, 6)), [2022]);
        assert_eq!(complete_years(m(2021, 2), m(2022, 11)), Vec::<u32>::new());
        assert_eq!(complete_years(m(2023, 1), m(2023, 12)), [2023]);
    }

    /// Worked by hand: one year, 30 in each of Jan-Feb, 10 in the other
    /// ten months: total 160; shares 18.75, 18.75 and 6.25; peaks: 48*30 =
    /// 1440 >= 800, 48*10 = 480 < 800; strength = 1/2 (2 * 10.4167 + 10 *
    /// 2.0833) = 20.83.
    #[test]
    fn a_hand_computed_year() {
        let s = seasonality(m(2023, 1), m(2023, 12), |x| {
            if x.month() <= 2 {
                30
            } else {
                10
            }
        });
        assert_eq!(s.years, [2023]);
        assert_eq!(s.total, 160);
        let share = s.month_share.unwrap();
        assert_eq!((share[0], share[1], share[2]), (18.75, 18.75, 6.25));
        assert_eq!(s.peak_months, [1, 2]);
        assert_eq!(s.strength, Some(20.83));
        assert_eq!(s.peak_mask(), 0b11);
    }

    #[test]
    fn flat_and_empty_series() {
        let flat = seasonality(m(2022, 1), m(2023, 12), |_| 5);
        assert_eq!(flat.strength, Some(0.0));
        assert!(flat.peak_months.is_empty());
        let none = seasonality(m(2022, 3), m(2023, 1), |_| 5);
        assert!(none.years.is_empty() && none.month_share.is_none());
        let zero = seasonality(m(2022, 1), m(2022, 12), |_| 0);
        assert_eq!((zero.month_share, zero.strength), (None, None));
    }

    #[test]
    fn the_peak_threshold_is_exact() {
        // One month at exactly 1.25/12 of the total: 5 of 48 -> a peak.
        // Months: Jan = 5, the rest share 43 (Feb 43, others 0).
        let s = seasonality(m(2023, 1), m(2023, 12), |x| match x.month() {
            1 => 5,
            2 => 43,
            _ => 0,
        });
        assert_eq!(s.peak_months, [1, 2]);
    }
}
