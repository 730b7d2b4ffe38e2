//! The database schema, declared once: each table's columns (name, SQL
//! type, NOT NULL) together with how a row binds them, its primary key and
//! whether it is `WITHOUT ROWID`. `CREATE TABLE`, the INSERT statements and
//! the column lists used elsewhere are all derived from these declarations,
//! so a column is added in one place and a column cannot be written without
//! a value (each column's value is part of its declaration).
//!
//! Documented for analysts in `docs/schema.md` (a test checks that it
//! names every declared column).

use cnexport_core::series::{CountrySeries, FactSeries};
use cnexport_core::tables::{
    BaseMetricsRow, CountMonthRow, CountryMonthlyRow, CountryRow, CoverageRow, MonthlyRow,
    ProductRow, QuarantineRow, SourceFileRow, WindowTotals,
};
use cnexport_core::{MonthlyFact, Region};
use rusqlite::{Statement, ToSql};
use std::borrow::Cow;
use std::sync::LazyLock;

/// Bumped on any change of tables or meanings.
pub const SCHEMA_VERSION: u32 = 5;

/// A column's declared SQL type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SqlType {
    Integer,
    Real,
    Text,
}

impl SqlType {
    pub fn sql(self) -> &'static str {
        match self {
            SqlType::Integer => "INTEGER",
            SqlType::Real => "REAL",
            SqlType::Text => "TEXT",
        }
    }
}

/// One column as `CREATE TABLE` declares it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    pub name: Cow<'static, str>,
    pub sql_type: SqlType,
    pub not_null: bool,
}

/// Binds a row's values to an INSERT statement, one column after the other.
pub struct Binder<'s, 'c> {
    statement: &'s mut Statement<'c>,
    next: usize,
}

impl Binder<'_, '_> {
    /// Binds the next column's value.
    #[inline]
    pub fn bind<T: ToSql>(&mut self, value: T) -> rusqlite::Result<()> {
        self.next += 1;
        self.statement.raw_bind_parameter(self.next, value)
    }
}

/// Binds the values of one or more consecutive columns of a row `R`.
type Bind<R> = fn(&R, &mut Binder<'_, '_>) -> rusqlite::Result<()>;

/// Columns declared together with the code that binds their values: one
/// column, or a run of columns that come from one list (the regions).
struct Field<R> {
    columns: Vec<Column>,
    bind: Bind<R>,
}

/// A table: its name, columns (with their values for a row `R`), key and
/// storage.
pub struct Table<R> {
    pub name: &'static str,
    fields: Vec<Field<R>>,
    /// Primary key columns; one column is declared `PRIMARY KEY` in line.
    pub primary_key: &'static [&'static str],
    pub without_rowid: bool,
}

use SqlType::{Integer, Real, Text};
const NOT_NULL: bool = true;
const NULL: bool = false;

fn col<R>(name: &'static str, sql_type: SqlType, not_null: bool, bind: Bind<R>) -> Field<R> {
    Field {
        columns: vec![Column {
            name: Cow::Borrowed(name),
            sql_type,
            not_null,
        }],
        bind,
    }
}

impl<R> Table<R> {
    /// The columns in table order.
    pub fn columns(&self) -> impl Iterator<Item = &Column> + '_ {
        self.fields.iter().flat_map(|f| f.columns.iter())
    }

    /// The column names in table order.
    pub fn column_names(&self) -> Vec<&str> {
        self.columns().map(|c| &*c.name).collect()
    }

    /// The `CREATE TABLE` statement.
    pub fn create_sql(&self) -> String {
        let inline_key = match self.primary_key {
            [one] => Some(*one),
            _ => None,
        };
        let mut lines: Vec<String> = self
            .columns()
            .map(|c| {
                let mut line = format!("  {} {}", c.name, c.sql_type.sql());
                if inline_key == Some(&*c.name) {
                    line.push_str(" PRIMARY KEY");
                } else if c.not_null {
                    line.push_str(" NOT NULL");
                }
                line
            })
            .collect();
        if inline_key.is_none() && !self.primary_key.is_empty() {
            lines.push(format!("  PRIMARY KEY ({})", self.primary_key.join(", ")));
        }
        format!(
            "CREATE TABLE {} (\n{}\n){};",
            self.name,
            lines.join(",\n"),
            if self.without_rowid {
                " WITHOUT ROWID"
            } else {
                ""
            }
        )
    }

    /// `verb INTO table (columns) VALUES (?1, ...)`; `verb` is `INSERT` or
    /// `INSERT OR REPLACE`.
    pub fn insert_sql(&self, verb: &str) -> String {
        let names = self.column_names();
        let placeholders: Vec<String> = (1..=names.len()).map(|i| format!("?{i}")).collect();
        format!(
            "{verb} INTO {} ({}) VALUES ({})",
            self.name,
            names.join(", "),
            placeholders.join(", ")
        )
    }

    /// Inserts `rows` with one prepared statement.
    pub fn insert<B: std::borrow::Borrow<R>>(
        &self,
        conn: &rusqlite::Connection,
        verb: &str,
        rows: impl IntoIterator<Item = B>,
    ) -> rusqlite::Result<()> {
        let mut statement = conn.prepare(&self.insert_sql(verb))?;
        for row in rows {
            let mut binder = Binder {
                statement: &mut statement,
                next: 0,
            };
            for field in &self.fields {
                (field.bind)(row.borrow(), &mut binder)?;
            }
            statement.raw_execute()?;
        }
        Ok(())
    }
}

/// A `meta` entry: key and value.
pub type MetaRow = (String, String);

/// A `country_tags` row: country code, tag key, tag name.
pub type TagRow = (String, String, String);

pub static META: LazyLock<Table<MetaRow>> = LazyLock::new(|| Table {
    name: "meta",
    fields: vec![
        col("key", Text, NOT_NULL, |r, b| b.bind(&r.0)),
        col("value", Text, NOT_NULL, |r, b| b.bind(&r.1)),
    ],
    primary_key: &["key"],
    without_rowid: true,
});

pub static COUNTRIES: LazyLock<Table<CountryRow>> = LazyLock::new(|| Table {
    name: "countries",
    fields: vec![
        col("country_code", Text, NOT_NULL, |r, b| b.bind(&r.code)),
        col("name_zh", Text, NOT_NULL, |r, b| b.bind(&r.name_zh)),
        col("name_en", Text, NULL, |r, b| b.bind(&r.name_en)),
        col("name_pinyin", Text, NOT_NULL, |r, b| b.bind(&r.name_pinyin)),
        col("continent", Text, NULL, |r, b| b.bind(&r.continent_key)),
        col("continent_zh", Text, NULL, |r, b| b.bind(&r.continent_zh)),
        col("iso3", Text, NULL, |r, b| b.bind(&r.iso3)),
        col("iso2", Text, NULL, |r, b| b.bind(&r.iso2)),
        col("m49", Text, NULL, |r, b| b.bind(&r.m49)),
        col("in_reference", Integer, NOT_NULL, |r, b| {
            b.bind(r.in_reference as i64)
        }),
    ],
    primary_key: &["country_code"],
    without_rowid: true,
});

pub static COUNTRY_TAGS: LazyLock<Table<TagRow>> = LazyLock::new(|| Table {
    name: "country_tags",
    fields: vec![
        col("country_code", Text, NOT_NULL, |r, b| b.bind(&r.0)),
        col("tag", Text, NOT_NULL, |r, b| b.bind(&r.1)),
        col("tag_zh", Text, NOT_NULL, |r, b| b.bind(&r.2)),
    ],
    primary_key: &["country_code", "tag"],
    without_rowid: true,
});

pub static PRODUCTS: LazyLock<Table<ProductRow>> = LazyLock::new(|| Table {
    name: "products",
    fields: vec![
        col("hs_code", Text, NOT_NULL, |r, b| b.bind(&r.code)),
        col("level", Integer, NOT_NULL, |r, b| b.bind(r.level)),
        col("name_zh", Text, NULL, |r, b| b.bind(&r.name_zh)),
        col("name_en", Text, NULL, |r, b| b.bind(&r.name_en)),
        col("name_source", Text, NULL, |r, b| b.bind(&r.name_source)),
    ],
    primary_key: &["hs_code"],
    without_rowid: true,
});

/// The columns of the view `monthly_facts` (a row per fact, as a table
/// would hold it); the rows are stored packed in [`FACT_SERIES`].
pub static MONTHLY_FACTS: LazyLock<Table<MonthlyFact>> = LazyLock::new(|| Table {
    name: "monthly_facts",
    fields: vec![
        col("hs_code", Text, NOT_NULL, |r, b| {
            b.bind(fixed_digits(r.hs_code.0, &mut [0u8; 8]))
        }),
        col("country_code", Text, NOT_NULL, |r, b| {
            b.bind(fixed_digits(r.partner.0 as u32, &mut [0u8; 3]))
        }),
        col("month", Integer, NOT_NULL, |r, b| b.bind(r.month.yyyymm())),
        col("value", Integer, NOT_NULL, |r, b| b.bind(r.value)),
        col("quantity1", Integer, NOT_NULL, |r, b| b.bind(r.quantity1)),
        col("unit1", Text, NULL, |r, b| b.bind(r.unit1.as_deref())),
        col("quantity2", Integer, NOT_NULL, |r, b| b.bind(r.quantity2)),
        col("unit2", Text, NULL, |r, b| b.bind(r.unit2.as_deref())),
        col("first_value", Integer, NOT_NULL, |r, b| {
            b.bind(r.first_value)
        }),
        col("source_file", Integer, NOT_NULL, |r, b| {
            b.bind(r.source_file as i64)
        }),
    ],
    primary_key: &["hs_code", "country_code", "month"],
    without_rowid: true,
});

/// The facts as stored: one row per code and destination, the months as
/// JSON arrays (`cnexport_core::series`); the view `monthly_facts` gives
/// one row per month back.
pub static FACT_SERIES: LazyLock<Table<FactSeries>> = LazyLock::new(|| Table {
    name: "fact_series",
    fields: vec![
        col("hs_code", Text, NOT_NULL, |r, b| {
            b.bind(fixed_digits(r.hs_code.0, &mut [0u8; 8]))
        }),
        col("country_code", Text, NOT_NULL, |r, b| {
            b.bind(fixed_digits(r.partner.0 as u32, &mut [0u8; 3]))
        }),
        col("first_month", Integer, NOT_NULL, |r, b| {
            b.bind(r.first_month.yyyymm())
        }),
        col("months", Text, NULL, |r, b| b.bind(&r.months)),
        col("value", Text, NOT_NULL, |r, b| b.bind(&r.value)),
        col("quantity1", Text, NULL, |r, b| b.bind(&r.quantity1)),
        col("quantity2", Text, NULL, |r, b| b.bind(&r.quantity2)),
        col("unit1", Text, NULL, |r, b| b.bind(r.unit1.as_deref())),
        col("unit2", Text, NULL, |r, b| b.bind(r.unit2.as_deref())),
        col("units", Text, NULL, |r, b| b.bind(&r.units)),
        col("first_value", Text, NULL, |r, b| b.bind(&r.first_value)),
        col("source_files", Text, NULL, |r, b| b.bind(&r.source_files)),
    ],
    primary_key: &["hs_code", "country_code"],
    without_rowid: true,
});

/// A `fact_month_sources` row: month (YYYYMM) and its usual source file.
pub type MonthSourceRow = (u32, u32);

pub static FACT_MONTH_SOURCES: LazyLock<Table<MonthSourceRow>> = LazyLock::new(|| Table {
    name: "fact_month_sources",
    fields: vec![
        col("month", Integer, NOT_NULL, |r, b| b.bind(r.0)),
        col("source_file", Integer, NOT_NULL, |r, b| b.bind(r.1)),
    ],
    primary_key: &["month"],
    without_rowid: false,
});

/// The view `monthly_facts` over `fact_series`: one row per month of each
/// pair, the columns of [`MONTHLY_FACTS`]. `mi` is the month as months
/// since year 0.
const MONTHLY_FACTS_VIEW: &str = "CREATE VIEW monthly_facts AS
SELECT hs_code, country_code, mi / 12 * 100 + mi % 12 + 1 AS month, value,
       quantity1, unit1, quantity2, unit2, first_value,
       coalesce(source_file, (SELECT m.source_file FROM fact_month_sources AS m
                              WHERE m.month = mi / 12 * 100 + mi % 12 + 1)) AS source_file
FROM (SELECT s.hs_code AS hs_code, s.country_code AS country_code,
             s.first_month / 100 * 12 + s.first_month % 100 - 1
               + coalesce(json_extract(s.months, '$[' || v.key || ']'), v.key) AS mi,
             v.value AS value,
             coalesce(json_extract(s.quantity1, '$[' || v.key || ']'), 0) AS quantity1,
             CASE WHEN s.units IS NULL THEN s.unit1
                  ELSE json_extract(s.units, '$[' || v.key || '][0]') END AS unit1,
             coalesce(json_extract(s.quantity2, '$[' || v.key || ']'), 0) AS quantity2,
             CASE WHEN s.units IS NULL THEN s.unit2
                  ELSE json_extract(s.units, '$[' || v.key || '][1]') END AS unit2,
             coalesce(json_extract(s.first_value, '$[' || v.key || ']'), v.value) AS first_value,
             json_extract(s.source_files, '$[' || v.key || ']') AS source_file
      FROM fact_series AS s, json_each(s.value) AS v);";

pub static SOURCE_FILES: LazyLock<Table<SourceFileRow>> = LazyLock::new(|| Table {
    name: "source_files",
    fields: vec![
        col("release_order", Integer, NOT_NULL, |r, b| {
            b.bind(r.release_order)
        }),
        col("path", Text, NOT_NULL, |r, b| b.bind(&r.path)),
        col("sha256", Text, NOT_NULL, |r, b| b.bind(&r.sha256)),
        col("size", Integer, NOT_NULL, |r, b| b.bind(r.size as i64)),
        col("format", Text, NOT_NULL, |r, b| b.bind(&r.format)),
        col("language", Text, NOT_NULL, |r, b| b.bind(&r.language)),
        col("encoding", Text, NULL, |r, b| b.bind(&r.encoding)),
        col("rows_read", Integer, NOT_NULL, |r, b| {
            b.bind(r.rows_read as i64)
        }),
        col("rows_loaded", Integer, NOT_NULL, |r, b| {
            b.bind(r.rows_loaded as i64)
        }),
        col("rows_quarantined", Integer, NOT_NULL, |r, b| {
            b.bind(r.rows_quarantined as i64)
        }),
        col("rows_superseded", Integer, NOT_NULL, |r, b| {
            b.bind(r.rows_superseded as i64)
        }),
        col("value_loaded", Integer, NOT_NULL, |r, b| {
            b.bind(r.value_loaded as i64)
        }),
        col("value_quarantined", Integer, NOT_NULL, |r, b| {
            b.bind(r.value_quarantined as i64)
        }),
        col("value_superseded", Integer, NOT_NULL, |r, b| {
            b.bind(r.value_superseded as i64)
        }),
        col("warnings", Text, NOT_NULL, |r, b| {
            b.bind(r.warnings.join("\n"))
        }),
        col("first_month", Integer, NULL, |r, b| b.bind(r.first_month)),
        col("last_month", Integer, NULL, |r, b| b.bind(r.last_month)),
        col("min_code", Text, NULL, |r, b| {
            b.bind(
                r.min_code
                    .map(|c| fixed_digits(c, &mut [0u8; 8]).to_string()),
            )
        }),
        col("max_code", Text, NULL, |r, b| {
            b.bind(
                r.max_code
                    .map(|c| fixed_digits(c, &mut [0u8; 8]).to_string()),
            )
        }),
        col("partner_count", Integer, NOT_NULL, |r, b| {
            b.bind(r.partner_count as i64)
        }),
    ],
    // INTEGER PRIMARY KEY: the rowid itself.
    primary_key: &["release_order"],
    without_rowid: false,
});

pub static COVERAGE: LazyLock<Table<CoverageRow>> = LazyLock::new(|| Table {
    name: "coverage",
    fields: vec![
        col("month", Integer, NOT_NULL, |r, b| b.bind(r.month)),
        col("chapter", Text, NOT_NULL, |r, b| {
            b.bind(fixed_digits(r.heading as u32 / 100, &mut [0u8; 2]))
        }),
        col("heading", Text, NOT_NULL, |r, b| {
            b.bind(fixed_digits(r.heading as u32, &mut [0u8; 4]))
        }),
        col("source_file", Integer, NOT_NULL, |r, b| {
            b.bind(r.source_file as i64)
        }),
        col("facts", Integer, NOT_NULL, |r, b| b.bind(r.facts as i64)),
        col("value", Integer, NOT_NULL, |r, b| b.bind(r.value)),
    ],
    primary_key: &["month", "heading", "source_file"],
    without_rowid: true,
});

/// The `<region>_total`, `<region>_prev_total` columns of every region, in
/// `Region::ALL` order, with the row's totals in the same order.
fn region_totals() -> Field<BaseMetricsRow> {
    let columns = Region::ALL
        .iter()
        .flat_map(|region| {
            ["_total", "_prev_total"].map(|suffix| Column {
                name: Cow::Owned(format!("{}{suffix}", region.column())),
                sql_type: Integer,
                not_null: NOT_NULL,
            })
        })
        .collect();
    Field {
        columns,
        bind: |r, b| {
            let totals: [&[WindowTotals]; 2] = [&r.regions, &r.blocs];
            for w in totals.into_iter().flatten() {
                b.bind(w.recent12)?;
                b.bind(w.prev12)?;
            }
            Ok(())
        },
    }
}

pub static HS_BASE_METRICS: LazyLock<Table<BaseMetricsRow>> = LazyLock::new(|| Table {
    name: "hs_base_metrics",
    fields: vec![
        col("hs_code", Text, NOT_NULL, |r, b| b.bind(&*r.hs_code)),
        col("level", Integer, NOT_NULL, |r, b| b.bind(r.level as i64)),
        col("as_of_month", Integer, NOT_NULL, |r, b| {
            b.bind(r.as_of.yyyymm() as i64)
        }),
        col("recent12m_global_total", Integer, NOT_NULL, |r, b| {
            b.bind(r.recent12)
        }),
        col("prev12m_global_total", Integer, NOT_NULL, |r, b| {
            b.bind(r.prev12)
        }),
        col("yoy_growth_rate", Real, NULL, |r, b| b.bind(r.yoy_growth)),
        col("value_month", Integer, NOT_NULL, |r, b| {
            b.bind(r.value_month)
        }),
        col("value_prev_month", Integer, NOT_NULL, |r, b| {
            b.bind(r.value_prev_month)
        }),
        col("mom_growth_rate", Real, NULL, |r, b| b.bind(r.mom_growth)),
        col("active_countries_count", Integer, NOT_NULL, |r, b| {
            b.bind(r.active_countries as i64)
        }),
        col("active_countries_prev", Integer, NOT_NULL, |r, b| {
            b.bind(r.active_countries_prev as i64)
        }),
        col("monthly_activity_count", Integer, NOT_NULL, |r, b| {
            b.bind(r.monthly_activity as i64)
        }),
        col("top3_concentration_percent", Real, NULL, |r, b| {
            b.bind(r.top3_concentration)
        }),
        col("avg_country_active_months", Real, NULL, |r, b| {
            b.bind(r.avg_country_active_months)
        }),
        col("first_unit", Text, NULL, |r, b| {
            b.bind(r.first_unit.as_deref())
        }),
        col("first_quantity", Integer, NULL, |r, b| {
            b.bind(r.first_quantity)
        }),
        col("second_unit", Text, NULL, |r, b| {
            b.bind(r.second_unit.as_deref())
        }),
        col("second_quantity", Integer, NULL, |r, b| {
            b.bind(r.second_quantity)
        }),
        region_totals(),
        col("best_region", Text, NULL, |r, b| {
            b.bind(r.best_region.map(|x| x.0))
        }),
        col("best_region_percent", Real, NULL, |r, b| {
            b.bind(r.best_region.map(|x| x.1))
        }),
        col("g3", Real, NOT_NULL, |r, b| b.bind(r.g3)),
        col("g12", Real, NOT_NULL, |r, b| b.bind(r.g12)),
        col("gb", Real, NOT_NULL, |r, b| b.bind(r.gb)),
        col("momentum_score", Real, NOT_NULL, |r, b| {
            b.bind(r.momentum_score)
        }),
        col("value_year_ago_month", Integer, NOT_NULL, |r, b| {
            b.bind(r.value_year_ago_month)
        }),
        col("hhi", Real, NULL, |r, b| b.bind(r.hhi)),
        col("hhi_prev", Real, NULL, |r, b| b.bind(r.hhi_prev)),
        col("effective_markets", Real, NULL, |r, b| {
            b.bind(r.effective_markets)
        }),
        col("effective_markets_prev", Real, NULL, |r, b| {
            b.bind(r.effective_markets_prev)
        }),
        col("markets_entered", Integer, NOT_NULL, |r, b| {
            b.bind(r.markets_entered as i64)
        }),
        col("markets_exited", Integer, NOT_NULL, |r, b| {
            b.bind(r.markets_exited as i64)
        }),
        col("first_quantity_prev", Integer, NOT_NULL, |r, b| {
            b.bind(r.first_quantity_prev)
        }),
        col("unit_both_windows", Text, NULL, |r, b| {
            b.bind(r.unit_both_windows.as_deref())
        }),
        col("active_codes", Integer, NOT_NULL, |r, b| {
            b.bind(r.active_codes as i64)
        }),
        col("peak_months", Integer, NOT_NULL, |r, b| {
            b.bind(r.peak_months as i64)
        }),
        col("next_month_share", Real, NULL, |r, b| {
            b.bind(r.next_month_share)
        }),
        col("fastest_market", Text, NULL, |r, b| {
            b.bind(
                r.fastest_market
                    .map(|(p, _)| fixed_digits(p.0 as u32, &mut [0u8; 3]).to_string()),
            )
        }),
        col("fastest_market_growth", Real, NULL, |r, b| {
            b.bind(r.fastest_market.map(|(_, g)| g))
        }),
    ],
    primary_key: &["hs_code", "as_of_month"],
    without_rowid: true,
});

pub static HS_COUNT_MONTH: LazyLock<Table<CountMonthRow>> = LazyLock::new(|| Table {
    name: "hs_count_month",
    fields: vec![
        col("hs_code", Text, NOT_NULL, |r, b| b.bind(&*r.hs_code)),
        col("level", Integer, NOT_NULL, |r, b| b.bind(r.level)),
        col("country_code", Text, NOT_NULL, |r, b| {
            b.bind(fixed_digits(r.country_code.0 as u32, &mut [0u8; 3]))
        }),
        col("as_of_month", Integer, NOT_NULL, |r, b| {
            b.bind(r.as_of.yyyymm())
        }),
        col("recent12m_total", Integer, NOT_NULL, |r, b| {
            b.bind(r.recent12)
        }),
        col("prev12m_total", Integer, NOT_NULL, |r, b| b.bind(r.prev12)),
        col("monthly_avg", Real, NOT_NULL, |r, b| b.bind(r.monthly_avg)),
        col("three_year_cagr", Real, NULL, |r, b| {
            b.bind(r.three_year_cagr)
        }),
        col("quantity1", Integer, NOT_NULL, |r, b| b.bind(r.quantity1)),
        col("quantity1_prev", Integer, NOT_NULL, |r, b| {
            b.bind(r.quantity1_prev)
        }),
        col("quantity2", Integer, NOT_NULL, |r, b| b.bind(r.quantity2)),
    ],
    primary_key: &["hs_code", "country_code"],
    without_rowid: true,
});

pub static HS_MONTHLY: LazyLock<Table<MonthlyRow>> = LazyLock::new(|| Table {
    name: "hs_monthly",
    fields: vec![
        col("hs_code", Text, NOT_NULL, |r, b| b.bind(&*r.hs_code)),
        col("level", Integer, NOT_NULL, |r, b| b.bind(r.level)),
        col("month", Integer, NOT_NULL, |r, b| b.bind(r.month.yyyymm())),
        col("value", Integer, NOT_NULL, |r, b| b.bind(r.value)),
        col("quantity1", Integer, NOT_NULL, |r, b| b.bind(r.quantity1)),
        col("unit1", Text, NULL, |r, b| b.bind(r.unit1.as_deref())),
        col("units1_mixed", Integer, NOT_NULL, |r, b| {
            b.bind(r.units1_mixed as i64)
        }),
        col("quantity2", Integer, NOT_NULL, |r, b| b.bind(r.quantity2)),
        col("unit2", Text, NULL, |r, b| b.bind(r.unit2.as_deref())),
        col("units2_mixed", Integer, NOT_NULL, |r, b| {
            b.bind(r.units2_mixed as i64)
        }),
        col("countries", Integer, NOT_NULL, |r, b| {
            b.bind(r.countries as i64)
        }),
    ],
    primary_key: &["hs_code", "month"],
    without_rowid: true,
});

/// The columns of the view `hs_country_monthly`; the rows are stored
/// packed in [`COUNTRY_SERIES`].
pub static HS_COUNTRY_MONTHLY: LazyLock<Table<CountryMonthlyRow>> = LazyLock::new(|| Table {
    name: "hs_country_monthly",
    fields: vec![
        col("hs_code", Text, NOT_NULL, |r, b| b.bind(&*r.hs_code)),
        col("level", Integer, NOT_NULL, |r, b| b.bind(r.level)),
        col("country_code", Text, NOT_NULL, |r, b| {
            b.bind(fixed_digits(r.country_code.0 as u32, &mut [0u8; 3]))
        }),
        col("month", Integer, NOT_NULL, |r, b| b.bind(r.month.yyyymm())),
        col("value", Integer, NOT_NULL, |r, b| b.bind(r.value)),
    ],
    primary_key: &["hs_code", "country_code", "month"],
    without_rowid: true,
});

/// `hs_country_monthly` as stored: one row per roll-up and destination,
/// the months as JSON arrays (as `fact_series`).
pub static COUNTRY_SERIES: LazyLock<Table<CountrySeries>> = LazyLock::new(|| Table {
    name: "country_series",
    fields: vec![
        col("hs_code", Text, NOT_NULL, |r, b| b.bind(&*r.hs_code)),
        col("level", Integer, NOT_NULL, |r, b| b.bind(r.level)),
        col("country_code", Text, NOT_NULL, |r, b| {
            b.bind(fixed_digits(r.partner.0 as u32, &mut [0u8; 3]))
        }),
        col("first_month", Integer, NOT_NULL, |r, b| {
            b.bind(r.first_month.yyyymm())
        }),
        col("months", Text, NULL, |r, b| b.bind(&r.months)),
        col("value", Text, NOT_NULL, |r, b| b.bind(&r.value)),
    ],
    primary_key: &["hs_code", "country_code"],
    without_rowid: true,
});

/// The view `hs_country_monthly` over `country_series`, the columns of
/// [`HS_COUNTRY_MONTHLY`].
const HS_COUNTRY_MONTHLY_VIEW: &str = "CREATE VIEW hs_country_monthly AS
SELECT hs_code, level, country_code, mi / 12 * 100 + mi % 12 + 1 AS month, value
FROM (SELECT s.hs_code AS hs_code, s.level AS level, s.country_code AS country_code,
             s.first_month / 100 * 12 + s.first_month % 100 - 1
               + coalesce(json_extract(s.months, '$[' || v.key || ']'), v.key) AS mi,
             v.value AS value
      FROM country_series AS s, json_each(s.value) AS v);";

pub static QUARANTINE: LazyLock<Table<QuarantineRow>> = LazyLock::new(|| Table {
    name: "quarantine",
    fields: vec![
        col("path", Text, NOT_NULL, |r, b| b.bind(&r.path)),
        col("line", Integer, NOT_NULL, |r, b| b.bind(r.line)),
        col("reason", Text, NOT_NULL, |r, b| b.bind(&r.reason)),
        col("detail", Text, NOT_NULL, |r, b| b.bind(&r.detail)),
        col("raw", Text, NOT_NULL, |r, b| b.bind(&r.raw)),
    ],
    primary_key: &[],
    without_rowid: false,
});

/// A view that gives rows back in a table's shape over packed storage: its
/// name, columns (as the table was declared), key and the tables it reads.
#[derive(Debug, Clone)]
pub struct View {
    pub name: &'static str,
    pub columns: Vec<Column>,
    pub key: &'static [&'static str],
    pub storage: &'static [&'static str],
}

/// The views, for readers that export or describe the database.
pub fn views() -> Vec<View> {
    vec![
        View {
            name: MONTHLY_FACTS.name,
            columns: MONTHLY_FACTS.columns().cloned().collect(),
            key: MONTHLY_FACTS.primary_key,
            storage: &["fact_series", "fact_month_sources"],
        },
        View {
            name: HS_COUNTRY_MONTHLY.name,
            columns: HS_COUNTRY_MONTHLY.columns().cloned().collect(),
            key: HS_COUNTRY_MONTHLY.primary_key,
            storage: &["country_series"],
        },
    ]
}

/// Every table's (and view's) name and columns, in the order they are
/// created.
pub fn tables() -> Vec<(&'static str, Vec<Column>)> {
    fn entry<R>(t: &Table<R>) -> (&'static str, Vec<Column>) {
        (t.name, t.columns().cloned().collect())
    }
    vec![
        entry(&META),
        entry(&COUNTRIES),
        entry(&COUNTRY_TAGS),
        entry(&PRODUCTS),
        entry(&MONTHLY_FACTS),
        entry(&FACT_SERIES),
        entry(&FACT_MONTH_SOURCES),
        entry(&SOURCE_FILES),
        entry(&COVERAGE),
        entry(&HS_BASE_METRICS),
        entry(&HS_COUNT_MONTH),
        entry(&HS_MONTHLY),
        entry(&HS_COUNTRY_MONTHLY),
        entry(&COUNTRY_SERIES),
        entry(&QUARANTINE),
    ]
}

/// Every `CREATE TABLE` statement, in order.
pub fn schema_sql() -> String {
    [
        META.create_sql(),
        COUNTRIES.create_sql(),
        COUNTRY_TAGS.create_sql(),
        PRODUCTS.create_sql(),
        FACT_SERIES.create_sql(),
        FACT_MONTH_SOURCES.create_sql(),
        MONTHLY_FACTS_VIEW.to_string(),
        SOURCE_FILES.create_sql(),
        COVERAGE.create_sql(),
        HS_BASE_METRICS.create_sql(),
        HS_COUNT_MONTH.create_sql(),
        HS_MONTHLY.create_sql(),
        COUNTRY_SERIES.create_sql(),
        HS_COUNTRY_MONTHLY_VIEW.to_string(),
        QUARANTINE.create_sql(),
    ]
    .join("\n\n")
}

/// Indexes, created after the rows are in (faster, and the same file).
pub const INDEX_SQL: &str = "
CREATE INDEX fact_series_by_country ON fact_series (country_code, hs_code);
CREATE INDEX hs_base_metrics_by_month ON hs_base_metrics (as_of_month, level, hs_code);
";

/// The index of `fact_series` (the first of [`INDEX_SQL`]): an update that
/// rewrites the packed facts drops it first and makes it again after.
pub(crate) fn fact_series_index_sql() -> &'static str {
    INDEX_SQL
        .lines()
        .find(|l| l.contains("ON fact_series "))
        .expect("INDEX_SQL indexes fact_series")
}

/// `n` as exactly `N` decimal digits, zero-padded (as `HsCode` and
/// `PartnerCode` display), without allocating.
pub(crate) fn fixed_digits<const N: usize>(mut n: u32, buf: &mut [u8; N]) -> &str {
    for b in buf.iter_mut().rev() {
        *b = b'0' + (n % 10) as u8;
        n /= 10;
    }
    std::str::from_utf8(buf).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_digits_pad_as_the_codes_display() {
        use cnexport_core::{HsCode, PartnerCode};
        let (mut a, mut b) = ([0u8; 8], [0u8; 3]);
        for code in [0u32, 1012100, 85171300, 99999999] {
            assert_eq!(fixed_digits(code, &mut a), HsCode(code).to_string());
        }
        for p in [0u16, 7, 116, 502, 999] {
            assert_eq!(fixed_digits(p as u32, &mut b), PartnerCode(p).to_string());
        }
    }

    #[test]
    fn region_columns_follow_the_region_list() {
        let names = HS_BASE_METRICS.column_names();
        let at = names.iter().position(|n| *n == "asia_total").unwrap();
        assert_eq!(
            &names[at..at + 4],
            [
                "asia_total",
                "asia_prev_total",
                "europe_total",
                "europe_prev_total"
            ]
        );
        assert_eq!(names[at + 21], "usmca_prev_total");
        assert_eq!(names[at + 22], "best_region");
        assert_eq!(names.len(), 60);
    }

    #[test]
    fn a_single_key_column_is_declared_in_line() {
        let sql = SOURCE_FILES.create_sql();
        assert!(
            sql.contains("  release_order INTEGER PRIMARY KEY,\n"),
            "{sql}"
        );
        assert!(!sql.contains("WITHOUT ROWID"));
        let sql = HS_COUNT_MONTH.create_sql();
        assert!(
            sql.ends_with("  PRIMARY KEY (hs_code, country_code)\n) WITHOUT ROWID;"),
            "{sql}"
        );
    }
}

/// The views give back, through SQL alone, exactly the rows that were
/// packed: every case of the encoding (gaps, quantities, changing units,
/// restated values, files other than the month's usual one).
#[cfg(test)]
mod views {
    use super::*;
    use cnexport_core::series::{self, CountrySeries, FactSeries};
    use cnexport_core::tables::CountryMonthlyRow;
    use cnexport_core::{HsCode, Month, PartnerCode, Sym};

    fn facts() -> Vec<MonthlyFact> {
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move |n: u64| {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (state >> 33) % n
        };
        let units = [None, Some("千克"), Some("台"), Some("个")];
        let mut out = Vec::new();
        for code in [1012100u32, 85171300, 85171400] {
            for partner in [116u16, 502, 701] {
                let unit_change = next(4) == 0;
                for i in 0..30 {
                    let dense = (code, partner) == (1012100, 116);
                    if next(3) == 0 && i > 0 && !dense {
                        continue; // a gap
                    }
                    let value = next(1_000_000) as i64;
                    let (u1, u2) = if unit_change && i % 7 == 0 {
                        (units[next(4) as usize], units[next(4) as usize])
                    } else {
                        (Some("千克"), None)
                    };
                    out.push(MonthlyFact {
                        month: Month::from_yyyymm(202201).unwrap().plus(i),
                        hs_code: HsCode(code),
                        partner: PartnerCode(partner),
                        value,
                        quantity1: if partner == 701 { 0 } else { next(5000) as i64 },
                        unit1: u1.map(Sym::new),
                        quantity2: if next(2) == 0 { 0 } else { next(90) as i64 },
                        unit2: u2.map(Sym::new),
                        first_value: if next(10) == 0 { value + 3 } else { value },
                        source_file: if next(12) == 0 { 9 } else { i as u32 },
                    });
                }
            }
        }
        out
    }

    fn rows(conn: &rusqlite::Connection, sql: &str) -> Vec<Vec<rusqlite::types::Value>> {
        let mut st = conn.prepare(sql).unwrap();
        let n = st.column_count();
        st.query_map([], |r| (0..n).map(|i| r.get(i)).collect())
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    }

    #[test]
    fn monthly_facts_gives_back_every_packed_fact() {
        use rusqlite::types::Value::{Integer as I, Null, Text as T};
        let facts = facts();
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        conn.execute_batch(&schema_sql()).unwrap();
        let sources = series::month_sources(&facts);
        let months: Vec<MonthSourceRow> = sources.iter().map(|(m, f)| (m.yyyymm(), *f)).collect();
        FACT_MONTH_SOURCES.insert(&conn, "INSERT", &months).unwrap();
        let packed: Vec<FactSeries> = series::pairs(&facts)
            .map(|p| FactSeries::encode(p, &sources))
            .collect();
        // The sample reaches every branch of the encoding.
        assert!(
            packed.iter().any(|p| p.months.is_some()) && packed.iter().any(|p| p.months.is_none())
        );
        assert!(packed.iter().any(|p| p.units.is_some()));
        assert!(packed.iter().any(|p| p.first_value.is_some()));
        assert!(packed.iter().any(|p| p.source_files.is_some()));
        assert!(packed.iter().any(|p| p.quantity1.is_none()));
        FACT_SERIES.insert(&conn, "INSERT", &packed).unwrap();
        let text = |s: Option<&str>| s.map_or(Null, |s| T(s.to_string()));
        let want: Vec<Vec<rusqlite::types::Value>> = facts
            .iter()
            .map(|f| {
                vec![
                    T(f.hs_code.to_string()),
                    T(f.partner.to_string()),
                    I(f.month.yyyymm() as i64),
                    I(f.value),
                    I(f.quantity1),
                    text(f.unit1.as_deref()),
                    I(f.quantity2),
                    text(f.unit2.as_deref()),
                    I(f.first_value),
                    I(f.source_file as i64),
                ]
            })
            .collect();
        let got = rows(
            &conn,
            "SELECT * FROM monthly_facts ORDER BY hs_code, country_code, month",
        );
        assert_eq!(got, want);
        let columns: Vec<String> =
            rows(&conn, "SELECT name FROM pragma_table_info('monthly_facts')")
                .into_iter()
                .map(|r| match &r[0] {
                    T(t) => t.clone(),
                    _ => unreachable!(),
                })
                .collect();
        assert_eq!(columns, MONTHLY_FACTS.column_names());
    }

    #[test]
    fn hs_country_monthly_gives_back_every_packed_row() {
        use rusqlite::types::Value::{Integer as I, Text as T};
        let row = |code: &str, p: u16, m: u32, value: i64| CountryMonthlyRow {
            hs_code: code.into(),
            level: code.len() as u8,
            country_code: PartnerCode(p),
            month: Month::from_yyyymm(m).unwrap(),
            value,
        };
        let input = vec![
            row("01", 116, 202201, 5),
            row("01", 116, 202202, 6),
            row("01", 502, 202112, 7),
            row("01", 502, 202203, 8),
            row("0101", 116, 202201, 9),
        ];
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        conn.execute_batch(&schema_sql()).unwrap();
        COUNTRY_SERIES
            .insert(
                &conn,
                "INSERT",
                series::country_runs(&input).map(CountrySeries::encode),
            )
            .unwrap();
        let want: Vec<Vec<rusqlite::types::Value>> = input
            .iter()
            .map(|r| {
                vec![
                    T(r.hs_code.to_string()),
                    I(r.level as i64),
                    T(r.country_code.to_string()),
                    I(r.month.yyyymm() as i64),
                    I(r.value),
                ]
            })
            .collect();
        let got = rows(
            &conn,
            "SELECT * FROM hs_country_monthly ORDER BY hs_code, country_code, month",
        );
        assert_eq!(got, want);
    }
}

/// `docs/schema.md` must describe the tables as declared here.
#[cfg(test)]
mod docs {
    use super::*;

    const DOCS: &str = include_str!("../../../docs/schema.md");

    /// The text of the `### `table`` section of the docs.
    fn section(table: &str) -> &'static str {
        let heading = format!("### `{table}`");
        let start = DOCS
            .find(&heading)
            .unwrap_or_else(|| panic!("docs/schema.md has no section {heading}"));
        let rest = &DOCS[start + heading.len()..];
        let end = rest.find("\n#").unwrap_or(rest.len());
        &rest[..end]
    }

    fn words(text: &str) -> Vec<&str> {
        text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '<' || c == '>'))
            .filter(|w| !w.is_empty())
            .collect()
    }

    #[test]
    fn every_declared_column_is_documented() {
        let mut missing = Vec::new();
        for (table, columns) in tables() {
            let words = words(section(table));
            for c in &columns {
                let region = Region::ALL.iter().any(|r| {
                    [
                        format!("{}_total", r.column()),
                        format!("{}_prev_total", r.column()),
                    ]
                    .contains(&c.name.to_string())
                });
                let named = if region {
                    // One row documents the region columns as a pattern and lists the regions.
                    let column = c
                        .name
                        .trim_end_matches("_prev_total")
                        .trim_end_matches("_total");
                    words.contains(&"<region>_total") && words.contains(&column)
                } else {
                    words.contains(&&*c.name)
                };
                if !named {
                    missing.push(format!("{table}.{}", c.name));
                }
            }
        }
        assert!(
            missing.is_empty(),
            "docs/schema.md does not name: {missing:?}"
        );
    }

    #[test]
    fn the_documented_columns_exist() {
        // The column tables of the docs list only declared columns.
        for (table, columns) in tables() {
            for line in section(table).lines().filter(|l| l.starts_with("| ")) {
                let first = line.split('|').nth(1).unwrap_or_default();
                for name in first.split(',').map(|w| w.trim().trim_matches('`')) {
                    if name == "column" || name.starts_with("---") || name.starts_with("<region>") {
                        continue;
                    }
                    assert!(
                        columns.iter().any(|c| c.name == name),
                        "docs/schema.md documents {table}.{name}, which the schema does not declare"
                    );
                }
            }
        }
    }
}
