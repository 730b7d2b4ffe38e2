//! Answers as flat tables (for CSV, XLSX and the terminal), and the
//! formatting of their cells.

use crate::ReportError;
use cnexport_api::{Endpoint, FieldKind};
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::sync::OnceLock;

/// How a column's values are shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Strings: codes, names, months.
    Text,
    /// Yuan or quantities: thousands separators.
    Amount,
    /// Small whole numbers (ranks, counts, years): no separators.
    Count,
    /// A percentage (a share, a growth rate): two decimals and `%`.
    Percent,
    /// Any other fraction (momentumScore, a unit price): two decimals,
    /// thousands separators.
    Decimal,
}

/// Separator of the elements of a list of strings (tradeTags) in one cell.
pub const LIST_SEPARATOR: &str = "、";

/// The objects that may be null, with the fields they have when they are
/// not, so that a null still gives its columns.
const NULLABLE_OBJECTS: &[(&str, &[&str])] = &[
    ("bestRegion", &["regionName", "percent"]),
    ("maxMonth", &["month", "amount"]),
    ("minMonth", &["month", "amount"]),
    (
        "fastestGrowingMarket",
        &[
            "countryCode",
            "countryName",
            "yoyGrowthRate",
            "countryNameEn",
            "iso3",
            "iso2",
            "m49",
        ],
    ),
];

/// The lists of a seasonality profile with one value per calendar month,
/// January first: a flat table gives them 12 columns (`monthShare.01` ..
/// `monthShare.12`), also when they are null.
pub const MONTH_ARRAYS: &[&str] = &["monthTotals", "monthShare"];

/// The kinds of the answer fields of docs/contract.md sections 4.5, 4.8 and
/// 4.17-4.19, for as long as the API's answer types do not declare them:
/// what a field declares always wins (see [`kind_of`]).
const CONTRACT_KINDS: &[(&str, Kind)] = &[
    // Yuan per unit (priceband; the API declares prices `decimal`), and
    // quantities.
    ("price", Kind::Decimal),
    ("price1", Kind::Decimal),
    ("price2", Kind::Decimal),
    ("median", Kind::Decimal),
    ("quantity1", Kind::Amount),
    ("quantity2", Kind::Amount),
    // Yuan.
    ("monthTotals", Kind::Amount),
    ("yearsTotal", Kind::Amount),
    ("chapterTotal", Kind::Amount),
    ("chapterPrevTotal", Kind::Amount),
    // Percentages.
    ("monthShare", Kind::Percent),
    ("nextMonthShare", Kind::Percent),
    ("seasonalityStrength", Kind::Percent),
    ("chapterYoyGrowthRate", Kind::Percent),
    ("share", Kind::Percent),
];

impl From<FieldKind> for Kind {
    fn from(k: FieldKind) -> Kind {
        match k {
            FieldKind::Yuan | FieldKind::Quantity => Kind::Amount,
            FieldKind::Percent => Kind::Percent,
            FieldKind::Decimal => Kind::Decimal,
        }
    }
}

/// The kind each answer field declares (its schema `format`), by field
/// name, over every endpoint: a field name means one thing across the API.
fn declared_kinds() -> &'static HashMap<String, FieldKind> {
    static KINDS: OnceLock<HashMap<String, FieldKind>> = OnceLock::new();
    KINDS.get_or_init(|| {
        let mut out = HashMap::new();
        for endpoint in Endpoint::ALL {
            let mut named = Vec::new();
            endpoint.schemas(&mut named);
            let components: Map<String, Value> = named
                .into_iter()
                .filter_map(|(name, s)| Some((name, serde_json::to_value(s).ok()?)))
                .collect();
            if let Ok(schema) = serde_json::to_value(endpoint.data_schema()) {
                collect_kinds(&schema, &components, &mut out, 0);
            }
        }
        out
    })
}

/// Walks a JSON schema: the `format` of every property, through `$ref`s,
/// `oneOf`/`allOf` alternatives and array items.
fn collect_kinds(
    schema: &Value,
    components: &Map<String, Value>,
    out: &mut HashMap<String, FieldKind>,
    depth: usize,
) {
    if depth > 16 {
        return;
    }
    if let Some(name) = schema["$ref"].as_str() {
        let name = name.rsplit('/').next().unwrap_or(name);
        if let Some(endpoint) = components.get(name) {
            collect_kinds(endpoint, components, out, depth + 1);
        }
    }
    for key in ["oneOf", "allOf", "anyOf"] {
        for alt in schema[key].as_array().into_iter().flatten() {
            collect_kinds(alt, components, out, depth + 1);
        }
    }
    collect_kinds_in(&schema["items"], components, out, depth);
    for (name, prop) in schema["properties"].as_object().into_iter().flatten() {
        // A list of numbers (monthShare) declares the kind of its items.
        let format = prop["format"]
            .as_str()
            .or_else(|| prop["items"]["format"].as_str());
        if let Some(kind) = format.and_then(FieldKind::from_format) {
            out.entry(name.clone()).or_insert(kind);
        }
        collect_kinds(prop, components, out, depth + 1);
    }
}

fn collect_kinds_in(
    schema: &Value,
    components: &Map<String, Value>,
    out: &mut HashMap<String, FieldKind>,
    depth: usize,
) {
    if schema.is_object() {
        collect_kinds(schema, components, out, depth + 1);
    }
}

/// The kind of a field: the kind its answer type declares (looked up by the
/// last part of a dotted column name that is not a month number:
/// `seasonality.monthShare.03` is a `monthShare`), else the kind the contract
/// gives it, else from its values.
pub fn kind_of<'a>(name: &str, values: impl IntoIterator<Item = &'a Value>) -> Kind {
    let key = name
        .rsplit('.')
        .find(|part| !part.bytes().all(|b| b.is_ascii_digit()))
        .unwrap_or(name);
    if let Some(kind) = declared_kinds().get(key) {
        return (*kind).into();
    }
    if let Some((_, kind)) = CONTRACT_KINDS.iter().find(|(n, _)| *n == key) {
        return *kind;
    }
    let mut kind = Kind::Text;
    for v in values {
        match v {
            Value::Number(n) if (n.is_i64() || n.is_u64()) && kind == Kind::Text => {
                kind = Kind::Count;
            }
            Value::Number(n) if n.is_i64() || n.is_u64() => {}
            Value::Number(_) => kind = Kind::Decimal,
            Value::String(_) | Value::Bool(_) => return Kind::Text,
            _ => {}
        }
    }
    kind
}

/// A column: its name (the API's field name, dotted when nested) and kind.
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    pub name: String,
    pub kind: Kind,
}

/// A flat table; every cell is a JSON scalar (string, number, bool or null).
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    pub columns: Vec<Column>,
    pub rows: Vec<Vec<Value>>,
}

impl Table {
    /// A table of flattened records; the columns are the union of their
    /// fields in first-seen order.
    pub fn from_records(records: Vec<Vec<(String, Value)>>) -> Table {
        let mut names: Vec<String> = Vec::new();
        for record in &records {
            for (name, _) in record {
                if !names.contains(name) {
                    names.push(name.clone());
                }
            }
        }
        // A field that is null in one record and an object in another keeps
        // only the object's columns.
        let nested: Vec<String> = names
            .iter()
            .filter(|n| names.iter().any(|m| m.starts_with(&format!("{n}."))))
            .cloned()
            .collect();
        names.retain(|n| !nested.contains(n));
        let rows: Vec<Vec<Value>> = records
            .into_iter()
            .map(|record| {
                names
                    .iter()
                    .map(|name| {
                        record
                            .iter()
                            .find(|(n, _)| n == name)
                            .map(|(_, v)| v.clone())
                            .unwrap_or(Value::Null)
                    })
                    .collect()
            })
            .collect();
        let columns = names
            .into_iter()
            .enumerate()
            .map(|(i, name)| Column {
                kind: kind_of(&name, rows.iter().map(|r| &r[i])),
                name,
            })
            .collect();
        Table { columns, rows }
    }

    /// A table of key/value rows (for one object).
    pub fn key_values(fields: Vec<(String, Value)>) -> Table {
        Table {
            columns: vec![
                Column {
                    name: "field".into(),
                    kind: Kind::Text,
                },
                Column {
                    name: "value".into(),
                    kind: Kind::Text,
                },
            ],
            rows: fields
                .into_iter()
                .map(|(k, v)| vec![Value::String(k), v])
                .collect(),
        }
    }
}

/// Flattens one value under `prefix` into (dotted name, scalar) pairs:
/// objects give dotted names, lists of scalars are joined with `、` (those of
/// [`MONTH_ARRAYS`] give one column per month instead), lists of objects are
/// left out (they are tables of their own).
pub fn flatten(prefix: &str, value: &Value, out: &mut Vec<(String, Value)>) {
    let join = |key: &str| {
        if prefix.is_empty() {
            key.to_string()
        } else {
            format!("{prefix}.{key}")
        }
    };
    let last = prefix.rsplit('.').next().unwrap_or(prefix);
    if MONTH_ARRAYS.contains(&last) && (value.is_null() || value.is_array()) {
        for m in 1..=12 {
            let v = value.get(m - 1).filter(|v| !v.is_object() && !v.is_array());
            out.push((join(&format!("{m:02}")), v.cloned().unwrap_or(Value::Null)));
        }
        return;
    }
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                flatten(&join(k), v, out);
            }
        }
        Value::Array(items) => {
            if items.iter().all(|v| !v.is_object() && !v.is_array()) {
                let joined: Vec<String> = items.iter().map(scalar_text).collect();
                out.push((
                    prefix.to_string(),
                    Value::String(joined.join(LIST_SEPARATOR)),
                ));
            }
        }
        Value::Null => match NULLABLE_OBJECTS.iter().find(|(name, _)| *name == last) {
            Some((_, fields)) => {
                for f in *fields {
                    out.push((join(f), Value::Null));
                }
            }
            None => out.push((prefix.to_string(), Value::Null)),
        },
        scalar => out.push((prefix.to_string(), scalar.clone())),
    }
}

fn flattened(value: &Value) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    flatten("", value, &mut out);
    out
}

fn shape_error(endpoint: Endpoint, detail: &str) -> ReportError {
    ReportError::UnexpectedShape {
        path: endpoint.path().to_string(),
        detail: detail.to_string(),
    }
}

fn object(endpoint: Endpoint, data: &Value) -> Result<&Map<String, Value>, ReportError> {
    data.as_object()
        .ok_or_else(|| shape_error(endpoint, "`data` should be an object"))
}

/// The answer's main table: the rows of a list answer, the one row of
/// dashboard and meta, the months of trend, series and history (with the
/// answer's other scalar fields repeated on each row), the markets of
/// contributions, growth and priceband, the headings of chapter, or the 12
/// calendar months of seasonality (with its other fields repeated).
pub fn main_table(endpoint: Endpoint, data: &Value) -> Result<Table, ReportError> {
    match endpoint {
        e if e.is_list() => list_table(endpoint, data),
        Endpoint::Dashboard | Endpoint::Meta => {
            object(endpoint, data)?;
            Ok(Table::from_records(vec![flattened(data)]))
        }
        Endpoint::Trend | Endpoint::Series => monthly_table(endpoint, data, "monthlyData", &[]),
        Endpoint::History => monthly_table(
            endpoint,
            data,
            "monthlyDetail",
            &["yearlySummary", "summaryStats"],
        ),
        // The product's totals share the markets' field names (change,
        // yoyGrowthRate): the rows are the markets alone.
        Endpoint::Contributions | Endpoint::Growth | Endpoint::Priceband => {
            inner_list(endpoint, data, "markets")
        }
        Endpoint::Chapter => inner_list(endpoint, data, "headings"),
        Endpoint::Coverage => inner_list(endpoint, data, "months"),
        Endpoint::Seasonality => Ok(season_table(object(endpoint, data)?, true)),
        // The lists: one row per element.
        _ => list_table(endpoint, data),
    }
}

/// The rows of the list `key` of an object answer (its own figures are in
/// [`summary_fields`]).
fn inner_list(endpoint: Endpoint, data: &Value, key: &str) -> Result<Table, ReportError> {
    let list = object(endpoint, data)?
        .get(key)
        .filter(|v| v.is_array())
        .ok_or_else(|| shape_error(endpoint, &format!("`data.{key}` should be a list")))?;
    list_table(endpoint, list).map_err(|_| {
        shape_error(
            endpoint,
            &format!("`data.{key}` should be a list of objects"),
        )
    })
}

/// The scalar figures of an object answer whose main table is a list inside
/// it (contributions, growth, priceband, chapter), as key/value rows; small
/// objects (priceband's unit1 and unit2) give dotted keys. None for other
/// answers.
pub fn summary_fields(endpoint: Endpoint, data: &Value) -> Option<Table> {
    let list_key = match endpoint {
        Endpoint::Contributions | Endpoint::Growth | Endpoint::Priceband => "markets",
        Endpoint::Chapter => "headings",
        Endpoint::Coverage => "months",
        _ => return None,
    };
    let obj = data.as_object()?;
    let mut fields = Vec::new();
    for (k, v) in obj {
        let is_list_of_objects = v
            .as_array()
            .is_some_and(|items| items.iter().any(|i| i.is_object() || i.is_array()));
        if k != list_key && !is_list_of_objects {
            flatten(k, v, &mut fields);
        }
    }
    Some(Table::key_values(fields))
}

/// Whether an object is a seasonality profile (contract section 4.19, also
/// the dashboard's `seasonality`).
pub fn is_season_profile(obj: &Map<String, Value>) -> bool {
    obj.contains_key("monthShare") && obj.contains_key("peakMonths")
}

/// A seasonality profile as 12 rows, one per calendar month: `month` (1-12),
/// `monthTotals`, `monthShare` and `peak` (whether the month is one of
/// `peakMonths`), after the profile's other fields (repeated on each row)
/// when `with_fields`.
pub fn season_table(obj: &Map<String, Value>, with_fields: bool) -> Table {
    let mut common = Vec::new();
    if with_fields {
        for (k, v) in obj {
            if !MONTH_ARRAYS.contains(&k.as_str()) {
                flatten(k, v, &mut common);
            }
        }
    }
    let peaks: Vec<i64> = obj
        .get("peakMonths")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_i64).collect())
        .unwrap_or_default();
    let at = |key: &str, m: usize| {
        obj.get(key)
            .and_then(|v| v.get(m - 1))
            .filter(|v| !v.is_object() && !v.is_array())
            .cloned()
            .unwrap_or(Value::Null)
    };
    let records = (1..=12usize)
        .map(|m| {
            let mut record = common.clone();
            record.push(("month".to_string(), Value::from(m as i64)));
            for key in MONTH_ARRAYS {
                record.push((key.to_string(), at(key, m)));
            }
            record.push(("peak".to_string(), Value::Bool(peaks.contains(&(m as i64)))));
            record
        })
        .collect();
    Table::from_records(records)
}

/// Priceband's `priceTrend1` and `priceTrend2` side by side, one row per
/// month, oldest first: `month`, `price1`, `unit1`, `price2`, `unit2`.
pub fn price_trend_table(data: &Map<String, Value>) -> Option<Table> {
    let trend = |key: &str| data.get(key).and_then(Value::as_array);
    let (first, second) = (trend("priceTrend1"), trend("priceTrend2"));
    if first.is_none() && second.is_none() {
        return None;
    }
    let mut months: Vec<String> = Vec::new();
    for item in first.into_iter().chain(second).flatten() {
        if let Some(m) = item.get("month").and_then(Value::as_str) {
            if !months.iter().any(|x| x == m) {
                months.push(m.to_string());
            }
        }
    }
    months.sort();
    let find = |list: Option<&Vec<Value>>, month: &str, key: &str| {
        list.and_then(|l| {
            l.iter()
                .find(|i| i.get("month").and_then(Value::as_str) == Some(month))
        })
        .and_then(|i| i.get(key))
        .cloned()
        .unwrap_or(Value::Null)
    };
    let records = months
        .iter()
        .map(|m| {
            vec![
                ("month".to_string(), Value::String(m.clone())),
                ("price1".to_string(), find(first, m, "price")),
                ("unit1".to_string(), find(first, m, "unit")),
                ("price2".to_string(), find(second, m, "price")),
                ("unit2".to_string(), find(second, m, "unit")),
            ]
        })
        .collect();
    Some(Table::from_records(records))
}

fn list_table(endpoint: Endpoint, data: &Value) -> Result<Table, ReportError> {
    let items = data
        .as_array()
        .ok_or_else(|| shape_error(endpoint, "`data` should be a list"))?;
    if let Some(bad) = items.iter().position(|v| !v.is_object()) {
        return Err(shape_error(
            endpoint,
            &format!("element {bad} of `data` is not an object"),
        ));
    }
    Ok(Table::from_records(items.iter().map(flattened).collect()))
}

fn monthly_table(
    endpoint: Endpoint,
    data: &Value,
    months_key: &str,
    left_out: &[&str],
) -> Result<Table, ReportError> {
    let obj = object(endpoint, data)?;
    let months = obj
        .get(months_key)
        .and_then(Value::as_array)
        .ok_or_else(|| shape_error(endpoint, &format!("`data.{months_key}` should be a list")))?;
    let mut common = Vec::new();
    for (k, v) in obj {
        if k != months_key && !left_out.contains(&k.as_str()) {
            flatten(k, v, &mut common);
        }
    }
    let records = months
        .iter()
        .map(|m| {
            let mut record = common.clone();
            record.extend(flattened(m));
            record
        })
        .collect();
    Ok(Table::from_records(records))
}

/// History's extra parts: the yearly summary table and the summary
/// statistics as key/value rows.
pub fn history_summary(data: &Value) -> (Option<Table>, Option<Table>) {
    let yearly = data
        .get("yearlySummary")
        .and_then(Value::as_array)
        .map(|items| Table::from_records(items.iter().map(flattened).collect()));
    let stats = data
        .get("summaryStats")
        .filter(|v| v.is_object())
        .map(|v| Table::key_values(flattened(v)));
    (yearly, stats)
}

/// A scalar as text, numbers exactly (integers as integers, never in
/// scientific notation), null as empty.
pub fn scalar_text(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                i.to_string()
            } else if let Some(u) = n.as_u64() {
                u.to_string()
            } else {
                // Rust's Display of f64 is the shortest exact form, without
                // an exponent.
                n.as_f64().map(|f| f.to_string()).unwrap_or_default()
            }
        }
        Value::Bool(b) => b.to_string(),
        other => other.to_string(),
    }
}

pub use cnexport_core::round::group_thousands;

/// The null sign of the terminal table.
pub const NULL_SIGN: &str = "—";

/// A cell as people read it: amounts with thousands separators, percentages
/// with two decimals and `%`, null as `—`.
pub fn display_cell(value: &Value, kind: Kind) -> String {
    let Value::Number(n) = value else {
        return match value {
            Value::Null => NULL_SIGN.to_string(),
            other => scalar_text(other),
        };
    };
    let integer = n.is_i64() || n.is_u64();
    let two_decimals = |f: f64| {
        let text = format!("{f:.2}");
        // -0.00 reads as 0.00.
        if text == "-0.00" {
            "0.00".to_string()
        } else {
            text
        }
    };
    let grouped_two_decimals = |f: f64| {
        let text = two_decimals(f);
        match text.split_once('.') {
            Some((int, frac)) => format!("{}.{frac}", group_thousands(int)),
            None => group_thousands(&text),
        }
    };
    match kind {
        Kind::Amount if integer => group_thousands(&scalar_text(value)),
        // Yuan per unit (priceband's prices are decimals) reads as yuan do.
        Kind::Amount | Kind::Decimal => grouped_two_decimals(n.as_f64().unwrap_or(0.0)),
        Kind::Percent => format!("{}%", two_decimals(n.as_f64().unwrap_or(0.0))),
        Kind::Count | Kind::Text => scalar_text(value),
    }
}

/// Whether a cell is right-aligned (numbers are).
pub fn right_aligned(value: &Value, kind: Kind) -> bool {
    value.is_number() || (value.is_null() && kind != Kind::Text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn thousands() {
        assert_eq!(group_thousands("0"), "0");
        assert_eq!(group_thousands("999"), "999");
        assert_eq!(group_thousands("1000"), "1,000");
        assert_eq!(group_thousands("-279462943768"), "-279,462,943,768");
    }

    #[test]
    fn cells() {
        assert_eq!(
            display_cell(&json!(8997749162.75), Kind::Amount),
            "8,997,749,162.75"
        );
        assert_eq!(display_cell(&json!(-9.3), Kind::Percent), "-9.30%");
        assert_eq!(display_cell(&json!(null), Kind::Percent), "—");
        assert_eq!(display_cell(&json!(2024), Kind::Count), "2024");
        assert_eq!(display_cell(&json!(-0.001), Kind::Decimal), "0.00");
        assert_eq!(display_cell(&json!(12500.687), Kind::Decimal), "12,500.69");
        assert_eq!(display_cell(&json!(-1234), Kind::Decimal), "-1,234.00");
        assert_eq!(scalar_text(&json!(1e16)), "10000000000000000");
        assert_eq!(scalar_text(&json!(0.0000001)), "0.0000001");
        assert_eq!(scalar_text(&json!(u64::MAX)), u64::MAX.to_string());
    }

    #[test]
    fn kinds_come_from_the_answer_types() {
        let none: [&Value; 0] = [];
        assert_eq!(kind_of("recent12mGlobalTotal", none), Kind::Amount);
        assert_eq!(kind_of("regionBreakdown.asiaPercent", none), Kind::Percent);
        assert_eq!(kind_of("asiaTotal", none), Kind::Amount);
        assert_eq!(kind_of("threeYearCAGR", none), Kind::Percent);
        assert_eq!(kind_of("momentumScore", none), Kind::Decimal);
        assert_eq!(kind_of("firstQuantity", none), Kind::Amount);
        assert_eq!(kind_of("summaryStats.maxMonth.amount", none), Kind::Amount);
        assert_eq!(kind_of("rank", [&json!(1)]), Kind::Count);
        assert_eq!(kind_of("hsCode", [&json!("85")]), Kind::Text);
    }

    /// A field name has one kind across the API, or the lookup by name
    /// would format one of them wrongly.
    #[test]
    fn a_field_name_has_one_kind() {
        let mut seen: HashMap<String, FieldKind> = HashMap::new();
        for endpoint in Endpoint::ALL {
            let mut named = Vec::new();
            endpoint.schemas(&mut named);
            let components: Map<String, Value> = named
                .into_iter()
                .map(|(n, s)| (n, serde_json::to_value(s).unwrap()))
                .collect();
            let mut kinds = HashMap::new();
            collect_kinds(
                &serde_json::to_value(endpoint.data_schema()).unwrap(),
                &components,
                &mut kinds,
                0,
            );
            assert!(
                !kinds.is_empty() || endpoint == Endpoint::Countries,
                "{}",
                endpoint.path()
            );
            for (name, kind) in kinds {
                let first = *seen.entry(name.clone()).or_insert(kind);
                assert_eq!(first, kind, "{name} in {}", endpoint.path());
            }
        }
    }

    #[test]
    fn null_objects_keep_their_columns() {
        let t = Table::from_records(vec![
            flattened(&json!({"a": 1, "bestRegion": null})),
            flattened(&json!({"a": 2, "bestRegion": {"regionName": "asia", "percent": 50.0}})),
        ]);
        let names: Vec<&str> = t.columns.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["a", "bestRegion.regionName", "bestRegion.percent"]);
        assert_eq!(t.rows[0][1], Value::Null);
        assert_eq!(t.columns[2].kind, Kind::Percent);
    }
}
