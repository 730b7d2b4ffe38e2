//! The figures of docs/metrics.md (beyond docs/contract.md 3.2): low-base flags, same-month
//! year-on-year growth, momentum components, concentration, unit values and
//! the price/volume split. All additive: the contract's fields keep their meaning.

use cnexport_core::round::{growth_pct, ratio_2dp, round_2dp};
use rusqlite::{Connection, OptionalExtension, Row};
use serde_json::{json, Value};

/// Default threshold of a 12-month base below which growth is flagged
/// (databases record theirs in `meta.low_base_threshold`).
pub const DEFAULT_LOW_BASE: i64 = 1_000_000;

/// Extra columns of `hs_base_metrics` read after the contract's ones.
pub const EXTRA_COLUMNS: &[&str] = &[
    "value_month",
    "value_prev_month",
    "value_year_ago_month",
    "g3",
    "g12",
    "gb",
    "hhi",
    "hhi_prev",
    "effective_markets",
    "effective_markets_prev",
    "markets_entered",
    "markets_exited",
    "first_quantity",
    "first_quantity_prev",
    "unit_both_windows",
    "prev12m_global_total",
    "recent12m_global_total",
];

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
    pub fn read(row: &Row, at: usize) -> rusqlite::Result<Extra> {
        Ok(Extra {
            value_month: row.get(at)?,
            value_prev_month: row.get(at + 1)?,
            value_year_ago_month: row.get(at + 2)?,
            g3: row.get(at + 3)?,
            g12: row.get(at + 4)?,
            gb: row.get(at + 5)?,
            hhi: row.get(at + 6)?,
            hhi_prev: row.get(at + 7)?,
            effective_markets: row.get(at + 8)?,
            effective_markets_prev: row.get(at + 9)?,
            markets_entered: row.get(at + 10)?,
            markets_exited: row.get(at + 11)?,
            quantity1: row.get(at + 12)?,
            quantity1_prev: row.get(at + 13)?,
            unit_both: row.get(at + 14)?,
            prev12: row.get(at + 15)?,
            recent12: row.get(at + 16)?,
        })
    }

    pub fn month_yoy(&self) -> Option<f64> {
        growth_pct(self.value_month as i128, self.value_year_ago_month as i128)
    }

    pub fn momentum_components(&self) -> Value {
        json!({
            "g3": round4(self.g3),
            "g12": round4(self.g12),
            "gb": round4(self.gb),
            "weights": {"g3": 0.5, "g12": 0.3, "gb": 0.2},
        })
    }

    pub fn concentration(&self) -> Value {
        json!({
            "hhi": self.hhi,
            "hhiPrev": self.hhi_prev,
            "effectiveMarkets": self.effective_markets,
            "effectiveMarketsPrev": self.effective_markets_prev,
            "marketsEntered": self.markets_entered,
            "marketsExited": self.markets_exited,
        })
    }

    /// Unit value and price/volume split of the code's recent12 vs prev12.
    pub fn unit_value(&self) -> (Value, Value) {
        unit_value_json(
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
pub fn unit_value_json(unit: Option<&str>, v1: i64, v0: i64, q1: i64, q0: i64) -> (Value, Value) {
    let Some(unit) = unit else {
        return (Value::Null, Value::Null);
    };
    let per = |v: i64, q: i64| {
        if q > 0 {
            ratio_2dp(v as i128, q as i128)
        } else {
            None
        }
    };
    let unit_value = json!({"unit": unit, "recent12": per(v1, q1), "prev12": per(v0, q0)});
    if v1 <= 0 || v0 <= 0 || q1 <= 0 || q0 <= 0 {
        return (unit_value, Value::Null);
    }
    let value_change = (v1 as f64 / v0 as f64).ln() * 100.0;
    let volume = (q1 as f64 / q0 as f64).ln() * 100.0;
    let price = value_change - volume;
    (
        unit_value,
        json!({
            "valueChange": round_2dp(value_change),
            "priceEffect": round_2dp(price),
            "volumeEffect": round_2dp(volume),
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
