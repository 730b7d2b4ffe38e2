//! Rounding as docs/contract.md, section 3.1: 2 decimals, half away from zero (as SQL's
//! ROUND and Excel do). Ratios of integers are rounded exactly, without
//! passing through a binary float, so results never depend on float noise.

/// Rounds `numerator / denominator` to 2 decimals, half away from zero, and
/// returns it as an `f64` (the nearest double to the decimal result).
/// `None` when the denominator is 0.
pub fn ratio_2dp(numerator: i128, denominator: i128) -> Option<f64> {
    if denominator == 0 {
        return None;
    }
    Some(cents_to_f64(div_round_half_away(
        numerator * 100,
        denominator,
    )))
}

/// Percentage change `(new / base - 1) * 100`, rounded to 2 decimals;
/// `None` on a zero base.
pub fn growth_pct(new: i128, base: i128) -> Option<f64> {
    if base == 0 {
        return None;
    }
    // (new - base) / base * 100, in hundredths: (new - base) * 10000 / base.
    Some(cents_to_f64(div_round_half_away(
        (new - base) * 10_000,
        base,
    )))
}

/// `part / whole * 100`, rounded to 2 decimals; `None` when `whole` is 0.
pub fn percent(part: i128, whole: i128) -> Option<f64> {
    if whole == 0 {
        return None;
    }
    Some(cents_to_f64(div_round_half_away(part * 10_000, whole)))
}

/// Rounds a float to 2 decimals, half away from zero. Used only for figures
/// that are not ratios of integers (CAGR, momentum). The value is first
/// snapped to 9 significant decimals so that `1.005` written as
/// `1.00499999...` still rounds up, as a user checking by hand expects.
pub fn round_2dp(x: f64) -> f64 {
    if !x.is_finite() {
        return x;
    }
    let y = x * 100.0;
    // Snapping moves the value by at most 5e-10 (and float noise): it can
    // change the rounding only next to a half. Elsewhere the plain rounding
    // is the same, without formatting (millions of figures per build).
    let fraction = y.abs().fract();
    let snapped = if (fraction - 0.5).abs() > 1e-6 {
        y
    } else {
        format!("{y:.9}").parse::<f64>().unwrap_or(y)
    };
    let r = snapped.abs().round() * snapped.signum();
    let v = r / 100.0;
    if v == 0.0 {
        0.0
    } else {
        v
    }
}

/// Integer division rounded half away from zero.
pub fn div_round_half_away(n: i128, d: i128) -> i128 {
    debug_assert!(d != 0);
    let (n, d) = if d < 0 { (-n, -d) } else { (n, d) };
    let q = n / d;
    let r = n % d;
    if 2 * r.abs() >= d {
        q + n.signum()
    } else {
        q
    }
}

fn cents_to_f64(hundredths: i128) -> f64 {
    // Up to 2^53 both operands are exact doubles and IEEE division rounds the
    // exact quotient to the nearest double: the double nearest to the
    // decimal value, as parsing its text gives, without the text.
    const EXACT: u128 = 1 << 53;
    if hundredths.unsigned_abs() <= EXACT {
        return hundredths as f64 / 100.0;
    }
    // Formatting then parsing gives the double nearest to the decimal value.
    let neg = hundredths < 0;
    let a = hundredths.unsigned_abs();
    let s = format!("{}{}.{:02}", if neg { "-" } else { "" }, a / 100, a % 100);
    s.parse().unwrap_or(0.0)
}

/// Groups the digits of an integer's text with commas (`-1234567` ->
/// `-1,234,567`).
pub fn group_thousands(int_text: &str) -> String {
    let (sign, digits) = match int_text.strip_prefix('-') {
        Some(d) => ("-", d),
        None => ("", int_text),
    };
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    format!("{sign}{out}")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The division shortcut gives the same double as parsing the text.
    #[test]
    fn cents_division_matches_parsing() {
        let parsed = |h: i128| -> f64 {
            let a = h.unsigned_abs();
            let sign = if h < 0 { "-" } else { "" };
            format!("{sign}{}.{:02}", a / 100, a % 100).parse().unwrap()
        };
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut cases: Vec<i128> = (-100_000..=100_000).collect();
        for _ in 0..200_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let h = (x >> (x % 40)) as i128 % (1i128 << 53);
            cases.push(h);
            cases.push(-h);
        }
        cases.extend([
            1i128 << 53,
            -(1i128 << 53),
            (1i128 << 53) - 1,
            12_345_678_901_234,
        ]);
        for h in cases {
            assert_eq!(cents_to_f64(h).to_bits(), parsed(h).to_bits(), "{h}");
        }
    }

    #[test]
    fn half_away_from_zero() {
        assert_eq!(div_round_half_away(5, 2), 3);
        assert_eq!(div_round_half_away(-5, 2), -3);
        assert_eq!(div_round_half_away(4, 3), 1);
        assert_eq!(div_round_half_away(-4, 3), -1);
        assert_eq!(ratio_2dp(1, 8), Some(0.13)); // 0.125 -> 0.13
        assert_eq!(ratio_2dp(-1, 8), Some(-0.13));
        assert_eq!(ratio_2dp(1, 0), None);
    }

    #[test]
    fn growth_and_percent() {
        assert_eq!(growth_pct(150, 100), Some(50.0));
        assert_eq!(growth_pct(0, 100), Some(-100.0));
        assert_eq!(growth_pct(100, 0), None);
        assert_eq!(growth_pct(2, 3), Some(-33.33));
        assert_eq!(growth_pct(1_000_045, 1_000_000), Some(0.0)); // 0.0045% -> 0.00
        assert_eq!(growth_pct(1_000_050, 1_000_000), Some(0.01)); // 0.005 -> 0.01
        assert_eq!(percent(1, 3), Some(33.33));
        assert_eq!(percent(2, 3), Some(66.67));
    }

    #[test]
    fn float_rounding() {
        assert_eq!(round_2dp(1.005), 1.01);
        assert_eq!(round_2dp(-1.005), -1.01);
        assert_eq!(round_2dp(2.344999), 2.34);
        assert_eq!(round_2dp(-0.001), 0.0);
    }

    /// The shortcut of `round_2dp` (no text away from a half) rounds as
    /// snapping every value through its text does.
    #[test]
    fn round_2dp_shortcut_matches_snapping_everything() {
        fn snapped_everywhere(x: f64) -> f64 {
            let snapped = format!("{:.9}", x * 100.0)
                .parse::<f64>()
                .unwrap_or(x * 100.0);
            let v = (snapped.abs().round() * snapped.signum()) / 100.0;
            if v == 0.0 {
                0.0
            } else {
                v
            }
        }
        let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for i in 0..300_000u64 {
            let r = next();
            let x = match i % 4 {
                // Anything, over many magnitudes.
                0 => f64::from_bits(r) % 1e12,
                // Next to a half of a cent, the case snapping exists for.
                1 => ((r % 2_000_000) as f64 - 1_000_000.0 + 0.5) / 100.0,
                2 => ((r % 20_000) as f64 + 0.5) / 100.0 + ((r >> 40) as f64 - 8e6) * 1e-15,
                // Momentum-like and CAGR-like values.
                _ => 100.0 * (((r % 10_000) as f64) / 1000.0 - 5.0).tanh(),
            };
            if x.is_finite() {
                assert_eq!(
                    round_2dp(x).to_bits(),
                    snapped_everywhere(x).to_bits(),
                    "{x:e}"
                );
            }
        }
        assert_eq!(round_2dp(1.005), 1.01);
        assert_eq!(round_2dp(-1.005), -1.01);
        assert_eq!(round_2dp(-0.001), 0.0);
    }
}
