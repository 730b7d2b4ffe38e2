//! The figures beyond the core metrics: low-base flags, same-month
//! year-on-year growth, momentum components, concentration, unit values and
//! the price/volume split.

use crate::model::{Concentration, MomentumComponents, MomentumWeights, PriceVolume, UnitValue};
use cnexport_core::round::{growth_pct, ratio_2dp, round_2dp};
use rusqlite::{Connection, OptionalExtension, Row};

/// Default threshold of a 12-month base below which growth is flagged
/// (databases record theirs in `meta.low_base_threshold`).
pub const DEFAULT_LOW_BASE: i64 = 1_000_000;

#[derive(Debug, Clone)]
pub struct Extra {
    pub value_month: i64,
    pub value_prev_month: i64,
    pub value_year_ago_month: i64,
    pub g3: f64,
    pub g12: f64,
    pub gb: f64,
    pub hhi: Option<f64>,
    pub hhi_prev: Option<f64>,
    pub effective_markets: Option<f64>,
    pub effective_markets_prev: Option<f64>,
    pub markets_entered: i64,
    pub markets_exited: i64,
    pub quantity1: Option<i64>,
    pub quantity1_prev: i64,
    pub unit_both: Option<String>,
    pub prev12: i64,
    pub recent12: i64,
}

impl Extra {
    pub fn read(row: &Row) -> rusqlite::Result<Extra> {
        Ok(Extra {
            value_month: row.get("value_month")?,
            value_prev_month: row.get("value_prev_month")?,
            value_year_ago_month: row.get("value_year_ago_month")?,
            g3: row.get("g3")?,
            g12: row.get("g12")?,
            gb: row.get("gb")?,
            hhi: row.get("hhi")?,
            hhi_prev: row.get("hhi_prev")?,
            effective_markets: row.get("effective_markets")?,
            effective_markets_prev: row.get("effective_markets_prev")?,
            markets_entered: row.get("markets_entered")?,
            markets_exited: row.get("markets_exited")?,
            quantity1: row.get("first_quantity")?,
            quantity1_prev: row.get("first_quantity_prev")?,
            unit_both: row.get("unit_both_windows")?,
            prev12: row.get("prev12m_global_total")?,
            recent12: row.get("recent12m_global_total")?,
        })
    }

    pub fn month_yoy(&self) -> Option<f64> {
        growth_pct(self.value_month as i128, self.value_year_ago_month as i128)
    }

    pub fn momentum_components(&self) -> MomentumComponents {
        MomentumComponents {
            g3: round4(self.g3),
            g12: round4(self.g12),
            gb: round4(self.gb),
            weights: MomentumWeights::SCORE,
        }
    }

    pub fn concentration(&self) -> Concentration {
        Concentration {
            hhi: self.hhi,
            hhi_prev: self.hhi_prev,
            effective_markets: self.effective_markets,
            effective_markets_prev: self.effective_markets_prev,
            markets_entered: self.markets_entered,
            markets_exited: self.markets_exited,
        }
    }

    /// Unit value and price/volume split of the code's recent12 vs prev12.
    pub fn unit_value(&self) -> (Option<UnitValue>, Option<PriceVolume>) {
        unit_value(
            self.unit_both.as_deref(),
            self.recent12,
            self.prev12,
            self.quantity1.unwrap_or(0),
            self.quantity1_prev,
        )
    }
}

fn round4(x: f64) -> f64 {
    if !x.is_finite() {
        return 0.0;
    }
    let v = (x * 10_000.0).round() / 10_000.0;
    if v == 0.0 {
        0.0
    } else {
        v
    }
}

/// `unitValue` {unit, recent12, prev12} (yuan per unit) and `priceVolume`
/// {valueChange, priceEffect, volumeEffect} in log points (100 * ln ratio):
/// ln(V1/V0) = ln(P1/P0) + ln(Q1/Q0). `null` where a quantity or value is 0
/// or the unit is not one and the same in both windows.
pub fn unit_value(
    unit: Option<&str>,
    v1: i64,
    v0: i64,
    q1: i64,
    q0: i64,
) -> (Option<UnitValue>, Option<PriceVolume>) {
    let Some(unit) = unit else {
        return (None, None);
    };
    let per = |v: i64, q: i64| {
        if q > 0 {
            ratio_2dp(v as i128, q as i128)
        } else {
            None
        }
    };
    let unit_value = UnitValue {
        unit: unit.to_string(),
        recent12: per(v1, q1),
        prev12: per(v0, q0),
    };
    if v1 <= 0 || v0 <= 0 || q1 <= 0 || q0 <= 0 {
        return (Some(unit_value), None);
    }
    let value_change = (v1 as f64 / v0 as f64).ln() * 100.0;
    let volume = (q1 as f64 / q0 as f64).ln() * 100.0;
    let price = value_change - volume;
    (
        Some(unit_value),
        Some(PriceVolume {
            value_change: round_2dp(value_change),
            price_effect: round_2dp(price),
            volume_effect: round_2dp(volume),
        }),
    )
}

/// The low-base threshold of the database (`meta.low_base_threshold`).
pub fn low_base_threshold(conn: &Connection) -> i64 {
    conn.prepare_cached("SELECT value FROM meta WHERE key = 'low_base_threshold'")
        .and_then(|mut st| st.query_row([], |r| r.get::<_, String>(0)))
        .optional()
        .ok()
        .flatten()
        .and_then(|v| v.parse().ok())
        .unwrap_or(DEFAULT_LOW_BASE)
}

/// A 12-month base is low below the threshold; a one-month base below a twelfth of it.
pub fn low_base_12(base: i64, threshold: i64) -> bool {
    base < threshold
}

pub fn low_base_1(base: i64, threshold: i64) -> bool {
    (base as i128) * 12 < threshold as i128
}
