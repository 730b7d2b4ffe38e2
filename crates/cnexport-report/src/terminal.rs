//! Answers as text for a terminal, aligned by display width.

use crate::table::{self, display_cell, flatten, right_aligned, Column, Kind, Table};
use cnexport_core::Region;
use serde_json::{Map, Value};
use unicode_width::UnicodeWidthStr;

/// Space between columns.
const GAP: &str = "  ";

pub fn render(body: &Value) -> String {
    let data = match body.as_object() {
        Some(obj) if obj.contains_key("code") && obj.contains_key("data") => {
            let code = obj.get("code").and_then(Value::as_i64).unwrap_or(0);
            if code != 200 {
                let message = obj.get("message").and_then(Value::as_str).unwrap_or("");
                return format!("{code}  {}\n", clean(message));
            }
            &obj["data"]
        }
        // Not an envelope: show it as it is.
        _ => body,
    };
    let blocks = match data {
        Value::Array(items) => vec![records_block(items)],
        Value::Object(obj) if table::is_season_profile(obj) => season_blocks(None, obj),
        Value::Object(obj) => object_blocks(obj),
        Value::Null => vec!["(no data)".to_string()],
        scalar => vec![clean(&table::scalar_text(scalar))],
    };
    let mut out = blocks.join("\n\n");
    out.push('\n');
    out
}

/// Control characters would break the alignment.
fn clean(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

fn pad(text: &str, width: usize, right: bool) -> String {
    let fill = " ".repeat(width.saturating_sub(text.width()));
    if right {
        format!("{fill}{text}")
    } else {
        format!("{text}{fill}")
    }
}

/// An object: its scalar fields (small objects such as bestRegion inlined
/// with dotted names) as key/value rows, then one titled block for each list
/// and each larger object (priceband's two price trends side by side in one).
fn object_blocks(obj: &Map<String, Value>) -> Vec<String> {
    let mut fields = Vec::new();
    let mut blocks = Vec::new();
    let mut nested = Vec::new();
    let price_trends = ["priceTrend1", "priceTrend2"];
    let has_price_trends = price_trends
        .iter()
        .any(|k| obj.get(*k).is_some_and(Value::is_array));
    for (key, value) in obj {
        if has_price_trends && price_trends.contains(&key.as_str()) {
            // One block, where the first of the two is.
            let first = price_trends.iter().find(|k| obj.contains_key(**k));
            if first == Some(&key.as_str()) {
                if let Some(t) = table::price_trend_table(obj) {
                    nested.push(format!("priceTrend1, priceTrend2\n{}", rows_block(&t)));
                }
            }
            continue;
        }
        match value {
            Value::Object(map) if table::is_season_profile(map) => {
                nested.extend(season_blocks(Some(key), map));
            }
            Value::Array(items) if items.iter().any(|v| v.is_object() || v.is_array()) => {
                nested.push(format!("{key}\n{}", records_block(items)));
            }
            Value::Object(map) if is_region_breakdown(map) => {
                nested.push(format!("{key}\n{}", region_block(map)));
            }
            Value::Object(map) if !is_small_flat(map) => {
                let mut inner = Vec::new();
                flatten("", value, &mut inner);
                nested.push(format!("{key}\n{}", key_values_block(&inner)));
            }
            _ => flatten(key, value, &mut fields),
        }
    }
    if !fields.is_empty() {
        blocks.push(key_values_block(&fields));
    }
    blocks.extend(nested);
    blocks
}

/// A seasonality profile: its other fields as key/value rows, then the 12
/// calendar months as a table (total, share, peak), titled after `key` when
/// the profile is a field of a larger answer.
fn season_blocks(key: Option<&str>, map: &Map<String, Value>) -> Vec<String> {
    let mut fields = Vec::new();
    for (k, v) in map {
        if !table::MONTH_ARRAYS.contains(&k.as_str()) {
            flatten(k, v, &mut fields);
        }
    }
    let months = table_block(&table::season_table(map, false));
    match key {
        Some(key) => vec![
            format!("{key}\n{}", key_values_block(&fields)),
            format!("{key} by calendar month\n{months}"),
        ],
        None => vec![
            key_values_block(&fields),
            format!("by calendar month\n{months}"),
        ],
    }
}

/// A few scalar fields (bestRegion, maxMonth): shown inline.
fn is_small_flat(map: &Map<String, Value>) -> bool {
    map.len() <= 3 && map.values().all(|v| !v.is_object() && !v.is_array())
}

/// `{"<region>Total": .., "<region>Percent": .., ...}`
fn is_region_breakdown(map: &Map<String, Value>) -> bool {
    !map.is_empty()
        && map.keys().all(|k| {
            let (prefix, other) = match (k.strip_suffix("Total"), k.strip_suffix("Percent")) {
                (Some(p), _) => (p, format!("{p}Percent")),
                (_, Some(p)) => (p, format!("{p}Total")),
                _ => return false,
            };
            !prefix.is_empty() && map.contains_key(&other)
        })
}

fn region_name_zh(key: &str) -> Option<&'static str> {
    Region::ALL
        .into_iter()
        .find(|r| r.api_key() == key)
        .map(|r| r.name_zh())
}

fn region_block(map: &Map<String, Value>) -> String {
    let rows = map
        .keys()
        .filter_map(|k| k.strip_suffix("Total"))
        .map(|region| {
            vec![
                Value::String(region.to_string()),
                region_name_zh(region).map_or(Value::Null, |n| Value::String(n.into())),
                map[&format!("{region}Total")].clone(),
                map[&format!("{region}Percent")].clone(),
            ]
        })
        .collect();
    let column = |name: &str, kind| Column {
        name: name.to_string(),
        kind,
    };
    let table = Table {
        columns: vec![
            column("region", Kind::Text),
            column("name", Kind::Text),
            column("total", Kind::Amount),
            column("percent", Kind::Percent),
        ],
        rows,
    };
    table_block(&table)
}

fn records_block(items: &[Value]) -> String {
    let records = items
        .iter()
        .map(|item| {
            let mut fields = Vec::new();
            match item {
                Value::Object(_) => flatten("", item, &mut fields),
                other => flatten("value", other, &mut fields),
            }
            fields
        })
        .collect();
    rows_block(&Table::from_records(records))
}

/// A table, or `(no rows)`.
fn rows_block(table: &Table) -> String {
    if table.rows.is_empty() {
        "(no rows)".to_string()
    } else {
        table_block(table)
    }
}

/// A header, a rule and the rows; every cell is padded to its column's
/// display width, so every line of the block has the same width.
fn table_block(table: &Table) -> String {
    let cells: Vec<Vec<String>> = table
        .rows
        .iter()
        .map(|row| {
            row.iter()
                .zip(&table.columns)
                .map(|(v, c)| clean(&display_cell(v, c.kind)))
                .collect()
        })
        .collect();
    let widths: Vec<usize> = table
        .columns
        .iter()
        .enumerate()
        .map(|(i, c)| {
            cells
                .iter()
                .map(|r| r[i].width())
                .chain([c.name.width()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut lines = Vec::with_capacity(cells.len() + 2);
    lines.push(
        table
            .columns
            .iter()
            .zip(&widths)
            .map(|(c, &w)| pad(&clean(&c.name), w, c.kind != Kind::Text))
            .collect::<Vec<_>>()
            .join(GAP),
    );
    lines.push(
        widths
            .iter()
            .map(|&w| "-".repeat(w))
            .collect::<Vec<_>>()
            .join(GAP),
    );
    for (row, texts) in table.rows.iter().zip(&cells) {
        lines.push(
            row.iter()
                .zip(texts)
                .zip(&table.columns)
                .zip(&widths)
                .map(|(((v, text), c), &w)| pad(text, w, right_aligned(v, c.kind)))
                .collect::<Vec<_>>()
                .join(GAP),
        );
    }
    lines.join("\n")
}

/// Key/value rows: keys left-aligned, numbers right-aligned among
/// themselves, text left-aligned.
fn key_values_block(fields: &[(String, Value)]) -> String {
    let shown: Vec<(String, String, bool)> = fields
        .iter()
        .map(|(k, v)| {
            let kind = table::kind_of(k, [v]);
            (
                clean(k),
                clean(&display_cell(v, kind)),
                right_aligned(v, kind),
            )
        })
        .collect();
    let key_w = shown.iter().map(|(k, _, _)| k.width()).max().unwrap_or(0);
    let num_w = shown
        .iter()
        .filter(|(_, _, right)| *right)
        .map(|(_, v, _)| v.width())
        .max()
        .unwrap_or(0);
    shown
        .iter()
        .map(|(k, v, right)| {
            let value = if *right {
                pad(v, num_w, true)
            } else {
                v.clone()
            };
            format!("{}{GAP}{value}", pad(k, key_w, false))
        })
        .collect::<Vec<_>>()
        .join("\n")
}
