//! Reading tables from SQLite: which tables and columns a snapshot carries,
//! in which order the rows come, and each cell checked against its column.

use crate::SnapshotError;
use rusqlite::types::ValueRef;
use rusqlite::Connection;

pub(crate) fn sql(what: &str) -> impl FnOnce(rusqlite::Error) -> SnapshotError + '_ {
    move |source| SnapshotError::Sqlite {
        what: what.to_string(),
        source,
    }
}

pub(crate) fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// A column's storage class in the snapshot, from SQLite's type affinity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Integer,
    Real,
    Text,
}

impl Kind {
    /// SQLite's affinity rules (section 3.1 of "Datatypes In SQLite"); BLOB
    /// and NUMERIC columns are not carried.
    pub(crate) fn of_declared(ty: &str) -> Option<Kind> {
        let t = ty.to_ascii_uppercase();
        if t.contains("INT") {
            Some(Kind::Integer)
        } else if t.contains("CHAR") || t.contains("CLOB") || t.contains("TEXT") {
            Some(Kind::Text)
        } else if t.contains("BLOB") || t.is_empty() {
            None
        } else if t.contains("REAL") || t.contains("FLOA") || t.contains("DOUB") {
            Some(Kind::Real)
        } else {
            None
        }
    }

    pub(crate) fn sql_name(self) -> &'static str {
        match self {
            Kind::Integer => "INTEGER",
            Kind::Real => "REAL",
            Kind::Text => "TEXT",
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Column {
    pub(crate) name: String,
    pub(crate) kind: Kind,
    pub(crate) nullable: bool,
}

#[derive(Debug, Clone)]
pub(crate) struct Table {
    pub(crate) name: String,
    pub(crate) columns: Vec<Column>,
    /// The ORDER BY clause that makes the row order deterministic.
    pub(crate) order_by: String,
}

/// Every table but SQLite's own, in name order, with columns and key order;
/// `views` in place of the tables they read.
pub(crate) fn list_tables(
    conn: &Connection,
    views: &[crate::ViewSchema],
) -> Result<Vec<Table>, SnapshotError> {
    let mut stmt = conn
        .prepare(
            "SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name",
        )
        .map_err(sql("the list of tables"))?;
    let listed: Vec<(String, String)> = stmt
        .query_map([], |r| {
            Ok((
                r.get(0)?,
                r.get::<_, Option<String>>(1)?.unwrap_or_default(),
            ))
        })
        .and_then(|rows| rows.collect())
        .map_err(sql("the list of tables"))?;
    let mut tables = Vec::with_capacity(listed.len());
    for v in views {
        let mut columns = Vec::with_capacity(v.columns.len());
        for c in &v.columns {
            let kind =
                Kind::of_declared(&c.sql_type).ok_or_else(|| SnapshotError::UnsupportedType {
                    table: v.name.clone(),
                    column: c.name.clone(),
                    ty: c.sql_type.clone(),
                })?;
            columns.push(Column {
                name: c.name.clone(),
                kind,
                nullable: c.nullable,
            });
        }
        tables.push(Table {
            name: v.name.clone(),
            columns,
            order_by: v
                .key
                .iter()
                .map(|k| quote_ident(k))
                .collect::<Vec<_>>()
                .join(", "),
        });
    }
    let stored = views.iter().flat_map(|v| &v.storage);
    let stored: std::collections::HashSet<&String> = stored.collect();
    for (name, create) in listed {
        if stored.contains(&name) {
            continue;
        }
        let without_rowid = create.to_ascii_uppercase().contains("WITHOUT ROWID");
        let mut stmt = conn
            .prepare("SELECT name, type, \"notnull\", pk FROM pragma_table_info(?1) ORDER BY cid")
            .map_err(sql(&format!("the columns of {name}")))?;
        let info: Vec<(String, String, bool, i64)> = stmt
            .query_map([&name], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
            })
            .and_then(|rows| rows.collect())
            .map_err(sql(&format!("the columns of {name}")))?;
        let mut key: Vec<(i64, &str)> = info
            .iter()
            .filter(|c| c.3 > 0)
            .map(|c| (c.3, c.0.as_str()))
            .collect();
        key.sort();
        // An INTEGER PRIMARY KEY is the rowid: never NULL.
        let rowid_alias = !without_rowid
            && key.len() == 1
            && info
                .iter()
                .any(|c| c.3 == 1 && c.1.eq_ignore_ascii_case("INTEGER"));
        let mut columns = Vec::with_capacity(info.len());
        for (col, ty, notnull, pk) in &info {
            let kind = Kind::of_declared(ty).ok_or_else(|| SnapshotError::UnsupportedType {
                table: name.clone(),
                column: col.clone(),
                ty: ty.clone(),
            })?;
            let never_null = *notnull || (*pk > 0 && (without_rowid || rowid_alias));
            columns.push(Column {
                name: col.clone(),
                kind,
                nullable: !never_null,
            });
        }
        let mut order: Vec<String> = key.iter().map(|(_, c)| quote_ident(c)).collect();
        if !without_rowid && !rowid_alias {
            order.push("rowid".into());
        }
        tables.push(Table {
            name,
            columns,
            order_by: order.join(", "),
        });
    }
    tables.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(tables)
}

#[derive(Debug, Default)]
pub(crate) struct Meta {
    pub(crate) input_digest: Option<String>,
    pub(crate) data_latest_month: Option<String>,
    pub(crate) schema_version: Option<String>,
}

/// The build's identity from the `meta` table (all None without one).
pub(crate) fn read_meta(conn: &Connection) -> Result<Meta, SnapshotError> {
    let has_meta: bool = conn
        .query_row(
            "SELECT count(*) > 0 FROM sqlite_master WHERE type = 'table' AND name = 'meta'",
            [],
            |r| r.get(0),
        )
        .map_err(sql("the meta table"))?;
    if !has_meta {
        return Ok(Meta::default());
    }
    let get = |key: &str| -> Result<Option<String>, SnapshotError> {
        let mut stmt = conn
            .prepare_cached("SELECT CAST(value AS TEXT) FROM meta WHERE key = ?1")
            .map_err(sql("the meta table"))?;
        let mut rows = stmt.query([key]).map_err(sql("the meta table"))?;
        match rows.next().map_err(sql("the meta table"))? {
            Some(row) => row.get(0).map_err(sql("the meta table")),
            None => Ok(None),
        }
    };
    Ok(Meta {
        input_digest: get("input_digest")?,
        data_latest_month: get("data_latest_month")?,
        schema_version: get("schema_version")?,
    })
}

/// Runs `each` on every row of the table in key order.
pub(crate) fn for_each_row(
    conn: &Connection,
    table: &Table,
    mut each: impl FnMut(u64, &rusqlite::Row<'_>) -> Result<(), SnapshotError>,
) -> Result<u64, SnapshotError> {
    let columns: Vec<String> = table.columns.iter().map(|c| quote_ident(&c.name)).collect();
    let mut query = format!(
        "SELECT {} FROM {}",
        columns.join(", "),
        quote_ident(&table.name)
    );
    if !table.order_by.is_empty() {
        query.push_str(" ORDER BY ");
        query.push_str(&table.order_by);
    }
    let what = || format!("the rows of {}", table.name);
    let mut stmt = conn
        .prepare(&query)
        .map_err(|source| SnapshotError::Sqlite {
            what: what(),
            source,
        })?;
    let mut rows = stmt.query([]).map_err(|source| SnapshotError::Sqlite {
        what: what(),
        source,
    })?;
    let mut n = 0u64;
    while let Some(row) = rows.next().map_err(|source| SnapshotError::Sqlite {
        what: what(),
        source,
    })? {
        n += 1;
        each(n, row)?;
    }
    Ok(n)
}

/// A typed cell, checked against its column.
pub(crate) enum Cell<'a> {
    Null,
    Integer(i64),
    Real(f64),
    Text(&'a str),
}

pub(crate) fn cell<'a>(
    table: &Table,
    i: usize,
    row_no: u64,
    row: &'a rusqlite::Row<'_>,
) -> Result<Cell<'a>, SnapshotError> {
    let column = &table.columns[i];
    let value = row.get_ref(i).map_err(|source| SnapshotError::Sqlite {
        what: format!("{}.{}", table.name, column.name),
        source,
    })?;
    let bad = |found: &'static str| SnapshotError::BadValue {
        table: table.name.clone(),
        column: column.name.clone(),
        row: row_no,
        found,
        expected: match (column.kind, column.nullable) {
            (Kind::Integer, false) => "an integer",
            (Kind::Integer, true) => "an integer or NULL",
            (Kind::Real, false) => "a number",
            (Kind::Real, true) => "a number or NULL",
            (Kind::Text, false) => "UTF-8 text",
            (Kind::Text, true) => "UTF-8 text or NULL",
        },
    };
    Ok(match (column.kind, value) {
        (_, ValueRef::Null) if column.nullable => Cell::Null,
        (_, ValueRef::Null) => return Err(bad("NULL")),
        (Kind::Integer, ValueRef::Integer(v)) => Cell::Integer(v),
        (Kind::Real, ValueRef::Real(v)) => Cell::Real(v),
        (Kind::Real, ValueRef::Integer(v)) => Cell::Real(v as f64),
        (Kind::Text, ValueRef::Text(t)) => {
            Cell::Text(std::str::from_utf8(t).map_err(|_| bad("bytes that are not UTF-8"))?)
        }
        (_, ValueRef::Integer(_)) => return Err(bad("an integer")),
        (_, ValueRef::Real(_)) => return Err(bad("a real")),
        (_, ValueRef::Text(_)) => return Err(bad("text")),
        (_, ValueRef::Blob(_)) => return Err(bad("a blob")),
    })
}

#[cfg(test)]
mod tests {
    use super::Kind;

    #[test]
    fn affinity_rules() {
        assert_eq!(Kind::of_declared("INTEGER"), Some(Kind::Integer));
        assert_eq!(Kind::of_declared("bigint"), Some(Kind::Integer));
        assert_eq!(Kind::of_declared("VARCHAR(10)"), Some(Kind::Text));
        assert_eq!(Kind::of_declared("DOUBLE PRECISION"), Some(Kind::Real));
        assert_eq!(Kind::of_declared("BLOB"), None);
        assert_eq!(Kind::of_declared(""), None);
        assert_eq!(Kind::of_declared("NUMERIC"), None);
    }
}
