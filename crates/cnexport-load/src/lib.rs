//! Load: writes a build's tables into SQLite, atomically.
//!
//! The database is written to a temporary file beside the target, checked
//! (`PRAGMA integrity_check` and row counts), synced, and renamed over the
//! target in one step, so a reader (or a crash) only ever sees the old file
//! or the new one. Rows go in in a fixed order with fixed settings, so the
//! same tables give a byte-identical file.

mod schema;

use cnexport_core::tables::Database;
use cnexport_core::tables::{BaseMetricsRow, CountMonthRow, WindowTotals};
use cnexport_core::MonthlyFact;
use rusqlite::{params, Connection, ToSql};
use std::fs;
use std::path::{Path, PathBuf};

pub use schema::{SCHEMA_SQL, SCHEMA_VERSION};

/// What went wrong while writing the database.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("cannot write the database {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("SQLite error while writing {path}: {source}")]
    Sqlite {
        path: PathBuf,
        source: rusqlite::Error,
    },
    #[error("the new database {path} failed its check ({what}); the previous database was left as it was")]
    Check { path: PathBuf, what: String },
}

/// Row counts of a written database.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LoadStats {
    pub facts: u64,
    pub countries: u64,
    pub products: u64,
    pub bytes: u64,
}

/// The temporary path a build of `target` writes first.
pub fn temporary_path(target: &Path) -> PathBuf {
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_else(|| "cnexport.db".into());
    target.with_file_name(format!(".{name}.tmp-{}", std::process::id()))
}

/// Writes `db` to `target` atomically (temporary file, check, rename).
pub fn write_database(target: &Path, db: &Database) -> Result<LoadStats, LoadError> {
    remove_stale_temporaries(target);
    let tmp = temporary_path(target);
    let result = write_and_check(&tmp, db).and_then(|stats| {
        publish(&tmp, target)?;
        Ok(stats)
    });
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// What an incremental build changes in the previous database: the rows
/// given are written with `INSERT OR REPLACE`, the small tables (meta,
/// countries, products, source files, quarantine) are rewritten whole.
#[derive(Debug, Default)]
pub struct Update {
    /// Facts of the cells that the new files touched, in key order.
    pub facts: Vec<MonthlyFact>,
    /// How many facts the updated database holds in all (checked).
    pub fact_count: usize,
    /// `hs_base_metrics` rows that are new or may have changed.
    pub base_metrics: Vec<BaseMetricsRow>,
    /// `None`: every `hs_count_month` row is rewritten (the as-of month
    /// moved); `Some(codes)`, sorted: only these codes' rows.
    pub count_codes: Option<Vec<std::sync::Arc<str>>>,
}

/// Updates `target` to hold `db`, given what changed since it was written:
/// a copy of `target` is updated, checked (row counts of every large table,
/// `quick_check` of the tables rewritten whole), synced and renamed over
/// `target` in one step, as [`write_database`] does with a new file. The
/// result holds the same rows as `write_database(db)` would write, not the
/// same bytes (and the planner statistics of the previous build).
pub fn update_database(
    target: &Path,
    db: &Database,
    update: &Update,
) -> Result<LoadStats, LoadError> {
    remove_stale_temporaries(target);
    let tmp = temporary_path(target);
    let copy = std::time::Instant::now();
    let copied = fs::copy(target, &tmp).map(|_| ());
    tracing::debug!(secs = copy.elapsed().as_secs_f64(), "update: copied");
    let result = copied
        .map_err(io(&tmp))
        .and_then(|()| update_copy(&tmp, db, update))
        .and_then(|stats| {
            publish(&tmp, target)?;
            Ok(stats)
        });
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

fn update_copy(tmp: &Path, db: &Database, update: &Update) -> Result<LoadStats, LoadError> {
    let step = std::time::Instant::now();
    let lap = |what: &str| tracing::debug!(secs = step.elapsed().as_secs_f64(), "update: {what}");
    let mut conn = Connection::open(tmp).map_err(sqlite(tmp))?;
    conn.execute_batch(
        // Reads through a memory map: the update touches pages all over a
        // file of gigabytes once each, and a mapped page costs no read call
        // and no copy (the copy is private to this build until renamed).
        // Inserting a national month: 2.5 s instead of 4.6-5.7 s.
        "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF;
         PRAGMA locking_mode = EXCLUSIVE; PRAGMA cache_size = -65536;
         PRAGMA mmap_size = 17179869184;",
    )
    .map_err(sqlite(tmp))?;
    apply_update(&mut conn, db, update).map_err(sqlite(tmp))?;
    lap("rows written");
    check_update(&conn, db, update, tmp)?;
    lap("checked");
    conn.close().map_err(|(_, e)| sqlite(tmp)(e))?;
    let file = fs::File::open(tmp).map_err(io(tmp))?;
    file.sync_all().map_err(io(tmp))?;
    lap("synced");
    let bytes = file.metadata().map_err(io(tmp))?.len();
    Ok(LoadStats {
        facts: update.fact_count as u64,
        countries: db.countries.len() as u64,
        products: db.products.len() as u64,
        bytes,
    })
}

fn apply_update(conn: &mut Connection, db: &Database, update: &Update) -> rusqlite::Result<()> {
    let tx = conn.transaction()?;
    tx.execute_batch(
        "DELETE FROM meta; DELETE FROM country_tags; DELETE FROM countries;
         DELETE FROM products; DELETE FROM source_files; DELETE FROM quarantine;",
    )?;
    let step = std::time::Instant::now();
    let lap = |what: &str| tracing::debug!(secs = step.elapsed().as_secs_f64(), "update: {what}");
    insert_meta(&tx, db)?;
    insert_reference(&tx, db)?;
    lap("small tables");
    insert_facts(&tx, "INSERT OR REPLACE", update.facts.iter())?;
    insert_source_files(&tx, db)?;
    lap("facts");
    insert_base_metrics(&tx, "INSERT OR REPLACE", update.base_metrics.iter())?;
    lap("base metrics");
    match &update.count_codes {
        None => {
            tx.execute("DELETE FROM hs_count_month", [])?;
            insert_count_month(&tx, db.count_month.iter())?;
        }
        Some(codes) => {
            let mut delete = tx.prepare("DELETE FROM hs_count_month WHERE hs_code = ?1")?;
            for code in codes {
                delete.execute([&**code])?;
            }
            insert_count_month(
                &tx,
                db.count_month
                    .iter()
                    .filter(|r| codes.binary_search(&r.hs_code).is_ok()),
            )?;
        }
    }
    lap("count rows");
    insert_quarantine(&tx, db)?;
    let done = tx.commit();
    lap("committed");
    done
}

fn check_update(
    conn: &Connection,
    db: &Database,
    update: &Update,
    path: &Path,
) -> Result<(), LoadError> {
    let fail = |what: String| LoadError::Check {
        path: path.to_path_buf(),
        what,
    };
    for table in [
        "meta",
        "countries",
        "country_tags",
        "products",
        "source_files",
        "quarantine",
        "hs_count_month",
    ] {
        let result: String = conn
            .query_row(&format!("PRAGMA quick_check({table})"), [], |r| r.get(0))
            .map_err(sqlite(path))?;
        if result != "ok" {
            return Err(fail(format!("quick_check({table}): {result}")));
        }
    }
    for (table, expected) in [
        ("monthly_facts", update.fact_count),
        ("hs_base_metrics", db.base_metrics.len()),
        ("hs_count_month", db.count_month.len()),
        ("source_files", db.source_files.len()),
    ] {
        let n: i64 = conn
            .query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))
            .map_err(sqlite(path))?;
        if n as usize != expected {
            return Err(fail(format!("{table}: {n} rows, {expected} expected")));
        }
    }
    Ok(())
}

/// Removes temporary files left by builds that were killed (their process
/// is gone). A temporary file of a running build is left alone.
pub fn remove_stale_temporaries(target: &Path) -> usize {
    let Some(name) = target.file_name().map(|n| n.to_string_lossy().to_string()) else {
        return 0;
    };
    let dir = match target.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    if !Path::new("/proc/self").exists() {
        // No way to tell a live build from a dead one here: keep everything.
        return 0;
    }
    let prefix = format!(".{name}.tmp-");
    let Ok(entries) = fs::read_dir(dir) else {
        return 0;
    };
    let mut removed = 0;
    for entry in entries.flatten() {
        let file = entry.file_name().to_string_lossy().to_string();
        let Some(pid) = file
            .strip_prefix(&prefix)
            .and_then(|p| p.parse::<u32>().ok())
        else {
            continue;
        };
        let alive = pid == std::process::id() || Path::new(&format!("/proc/{pid}")).exists();
        if !alive && fs::remove_file(entry.path()).is_ok() {
            removed += 1;
        }
    }
    removed
}

fn sqlite(path: &Path) -> impl Fn(rusqlite::Error) -> LoadError + '_ {
    move |source| LoadError::Sqlite {
        path: path.to_path_buf(),
        source,
    }
}

fn io(path: &Path) -> impl Fn(std::io::Error) -> LoadError + '_ {
    move |source| LoadError::Io {
        path: path.to_path_buf(),
        source,
    }
}

fn write_and_check(tmp: &Path, db: &Database) -> Result<LoadStats, LoadError> {
    if tmp.exists() {
        fs::remove_file(tmp).map_err(io(tmp))?;
    }
    let mut conn = Connection::open(tmp).map_err(sqlite(tmp))?;
    // Fixed settings: no journal (the file is private until renamed), no
    // syncs until the end, one page size whatever the platform default.
    conn.execute_batch(
        "PRAGMA page_size = 4096; PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF;
         PRAGMA locking_mode = EXCLUSIVE; PRAGMA encoding = 'UTF-8';",
    )
    .map_err(sqlite(tmp))?;
    conn.execute_batch(SCHEMA_SQL).map_err(sqlite(tmp))?;
    insert_all(&mut conn, db).map_err(sqlite(tmp))?;
    conn.execute_batch(schema::INDEX_SQL).map_err(sqlite(tmp))?;
    conn.execute_batch("ANALYZE;").map_err(sqlite(tmp))?;
    check(&conn, db, tmp)?;
    conn.close().map_err(|(_, e)| sqlite(tmp)(e))?;
    let file = fs::File::open(tmp).map_err(io(tmp))?;
    file.sync_all().map_err(io(tmp))?;
    let bytes = file.metadata().map_err(io(tmp))?.len();
    Ok(LoadStats {
        facts: db.facts.len() as u64,
        countries: db.countries.len() as u64,
        products: db.products.len() as u64,
        bytes,
    })
}

fn publish(tmp: &Path, target: &Path) -> Result<(), LoadError> {
    fs::rename(tmp, target).map_err(io(target))?;
    if let Some(dir) = target.parent() {
        let dir = if dir.as_os_str().is_empty() {
            Path::new(".")
        } else {
            dir
        };
        // Persist the rename itself; not every platform can open a directory.
        if let Ok(d) = fs::File::open(dir) {
            let _ = d.sync_all();
        }
    }
    Ok(())
}

fn insert_all(conn: &mut Connection, db: &Database) -> rusqlite::Result<()> {
    let tx = conn.transaction()?;
    insert_meta(&tx, db)?;
    insert_reference(&tx, db)?;
    insert_facts(&tx, "INSERT", db.facts.iter())?;
    insert_source_files(&tx, db)?;
    insert_base_metrics(&tx, "INSERT", db.base_metrics.iter())?;
    insert_count_month(&tx, db.count_month.iter())?;
    insert_quarantine(&tx, db)?;
    tx.commit()
}

fn insert_meta(tx: &Connection, db: &Database) -> rusqlite::Result<()> {
    let mut st = tx.prepare("INSERT INTO meta (key, value) VALUES (?1, ?2)")?;
    let mut meta = db.meta.clone();
    meta.push(("schema_version".into(), SCHEMA_VERSION.to_string()));
    meta.sort();
    for (k, v) in &meta {
        st.execute(params![k, v])?;
    }
    Ok(())
}

/// Countries, their tags and products.
fn insert_reference(tx: &Connection, db: &Database) -> rusqlite::Result<()> {
    let mut st = tx.prepare(
        "INSERT INTO countries (country_code, name_zh, name_en, name_pinyin, continent, continent_zh, iso3, iso2, m49, in_reference)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    )?;
    let mut tag =
        tx.prepare("INSERT INTO country_tags (country_code, tag, tag_zh) VALUES (?1, ?2, ?3)")?;
    for c in &db.countries {
        st.execute(params![
            c.code,
            c.name_zh,
            c.name_en,
            c.name_pinyin,
            c.continent_key,
            c.continent_zh,
            c.iso3,
            c.iso2,
            c.m49,
            c.in_reference as i64
        ])?;
        for t in &c.tags {
            tag.execute(params![c.code, t, tag_zh(t)])?;
        }
    }
    let mut st = tx.prepare(
        "INSERT INTO products (hs_code, level, name_zh, name_en, name_source) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?;
    for p in &db.products {
        st.execute(params![
            p.code,
            p.level,
            p.name_zh,
            p.name_en,
            p.name_source
        ])?;
    }
    Ok(())
}

/// `verb` is `INSERT`, or `INSERT OR REPLACE` for an incremental update.
fn insert_facts<'a>(
    tx: &Connection,
    verb: &str,
    facts: impl Iterator<Item = &'a MonthlyFact>,
) -> rusqlite::Result<()> {
    let mut st = tx.prepare(
        &format!("{verb} INTO monthly_facts (hs_code, country_code, month, value, quantity1, unit1, quantity2, unit2, first_value, source_file)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"
    ))?;
    let (mut code_buf, mut partner_buf) = ([0u8; 8], [0u8; 3]);
    for f in facts {
        st.execute(params![
            fixed_digits(f.hs_code.0, &mut code_buf),
            fixed_digits(f.partner.0 as u32, &mut partner_buf),
            f.month.yyyymm(),
            f.value,
            f.quantity1,
            f.unit1.as_deref(),
            f.quantity2,
            f.unit2.as_deref(),
            f.first_value,
            f.source_file as i64
        ])?;
    }
    Ok(())
}

fn insert_source_files(tx: &Connection, db: &Database) -> rusqlite::Result<()> {
    let mut st = tx.prepare(
        "INSERT INTO source_files (release_order, path, sha256, size, format, language, encoding, rows_read, rows_loaded,
           rows_quarantined, rows_superseded, value_loaded, value_quarantined, value_superseded, warnings)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
    )?;
    for s in &db.source_files {
        st.execute(params![
            s.release_order,
            s.path,
            s.sha256,
            s.size as i64,
            s.format,
            s.language,
            s.encoding,
            s.rows_read as i64,
            s.rows_loaded as i64,
            s.rows_quarantined as i64,
            s.rows_superseded as i64,
            s.value_loaded as i64,
            s.value_quarantined as i64,
            s.value_superseded as i64,
            s.warnings.join("\n"),
        ])?;
    }
    Ok(())
}

fn insert_base_metrics<'a>(
    tx: &Connection,
    verb: &str,
    rows: impl Iterator<Item = &'a BaseMetricsRow>,
) -> rusqlite::Result<()> {
    let mut st = tx.prepare(
        &format!("{verb} INTO hs_base_metrics (hs_code, level, as_of_month, recent12m_global_total, prev12m_global_total, yoy_growth_rate, value_month, value_prev_month, mom_growth_rate, active_countries_count, active_countries_prev, monthly_activity_count, top3_concentration_percent, avg_country_active_months, first_unit, first_quantity, second_unit, second_quantity, asia_total, asia_prev_total, europe_total, europe_prev_total, africa_total, africa_prev_total, north_america_total, north_america_prev_total, south_america_total, south_america_prev_total, oceania_total, oceania_prev_total, middle_east_total, middle_east_prev_total, belt_road_total, belt_road_prev_total, asean_total, asean_prev_total, eu_total, eu_prev_total, usmca_total, usmca_prev_total, best_region, best_region_percent, g3, g12, gb, momentum_score, value_year_ago_month, hhi, hhi_prev, effective_markets, effective_markets_prev, markets_entered, markets_exited, first_quantity_prev, unit_both_windows)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27, ?28, ?29, ?30, ?31, ?32, ?33, ?34, ?35, ?36, ?37, ?38, ?39, ?40, ?41, ?42, ?43, ?44, ?45, ?46, ?47, ?48, ?49, ?50, ?51, ?52, ?53, ?54, ?55)"
    ))?;
    for r in rows {
        // Borrowed parameters: no allocation per row.
        let code: &str = &r.hs_code;
        let (level, as_of) = (r.level as i64, r.as_of.yyyymm() as i64);
        let (active, active_prev, activity) = (
            r.active_countries as i64,
            r.active_countries_prev as i64,
            r.monthly_activity as i64,
        );
        let (entered, exited) = (r.markets_entered as i64, r.markets_exited as i64);
        let (first_unit, second_unit, both) = (
            r.first_unit.as_deref(),
            r.second_unit.as_deref(),
            r.unit_both_windows.as_deref(),
        );
        let (best, best_pct) = (r.best_region.map(|b| b.0), r.best_region.map(|b| b.1));
        let w: Vec<&WindowTotals> = r.regions.iter().chain(r.blocs.iter()).collect();
        let params: [&dyn ToSql; 55] = [
            &code,
            &level,
            &as_of,
            &r.recent12,
            &r.prev12,
            &r.yoy_growth,
            &r.value_month,
            &r.value_prev_month,
            &r.mom_growth,
            &active,
            &active_prev,
            &activity,
            &r.top3_concentration,
            &r.avg_country_active_months,
            &first_unit,
            &r.first_quantity,
            &second_unit,
            &r.second_quantity,
            &w[0].recent12,
            &w[0].prev12,
            &w[1].recent12,
            &w[1].prev12,
            &w[2].recent12,
            &w[2].prev12,
            &w[3].recent12,
            &w[3].prev12,
            &w[4].recent12,
            &w[4].prev12,
            &w[5].recent12,
            &w[5].prev12,
            &w[6].recent12,
            &w[6].prev12,
            &w[7].recent12,
            &w[7].prev12,
            &w[8].recent12,
            &w[8].prev12,
            &w[9].recent12,
            &w[9].prev12,
            &w[10].recent12,
            &w[10].prev12,
            &best,
            &best_pct,
            &r.g3,
            &r.g12,
            &r.gb,
            &r.momentum_score,
            &r.value_year_ago_month,
            &r.hhi,
            &r.hhi_prev,
            &r.effective_markets,
            &r.effective_markets_prev,
            &entered,
            &exited,
            &r.first_quantity_prev,
            &both,
        ];
        st.execute(&params[..])?;
    }
    Ok(())
}

fn insert_count_month<'a>(
    tx: &Connection,
    rows: impl Iterator<Item = &'a CountMonthRow>,
) -> rusqlite::Result<()> {
    let mut st = tx.prepare(
        "INSERT INTO hs_count_month (hs_code, level, country_code, as_of_month, recent12m_total, prev12m_total, monthly_avg, three_year_cagr, quantity1, quantity1_prev)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    )?;
    let mut partner_buf = [0u8; 3];
    for r in rows {
        st.execute(params![
            &*r.hs_code,
            r.level,
            fixed_digits(r.country_code.0 as u32, &mut partner_buf),
            r.as_of.yyyymm(),
            r.recent12,
            r.prev12,
            r.monthly_avg,
            r.three_year_cagr,
            r.quantity1,
            r.quantity1_prev
        ])?;
    }
    Ok(())
}

fn insert_quarantine(tx: &Connection, db: &Database) -> rusqlite::Result<()> {
    let mut st = tx.prepare(
        "INSERT INTO quarantine (path, line, reason, detail, raw) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?;
    for q in &db.quarantine {
        st.execute(params![q.path, q.line, q.reason, q.detail, q.raw])?;
    }
    Ok(())
}

/// `n` as exactly `N` decimal digits, zero-padded (as `HsCode` and
/// `PartnerCode` display), without allocating.
fn fixed_digits<const N: usize>(mut n: u32, buf: &mut [u8; N]) -> &str {
    for b in buf.iter_mut().rev() {
        *b = b'0' + (n % 10) as u8;
        n /= 10;
    }
    std::str::from_utf8(buf).unwrap_or_default()
}

fn tag_zh(key: &str) -> &str {
    cnexport_core::Bloc::ALL
        .iter()
        .find(|b| b.api_key() == key)
        .map(|b| b.name_zh())
        .unwrap_or(key)
}

fn check(conn: &Connection, db: &Database, path: &Path) -> Result<(), LoadError> {
    let integrity: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .map_err(sqlite(path))?;
    if integrity != "ok" {
        return Err(LoadError::Check {
            path: path.to_path_buf(),
            what: format!("integrity_check: {integrity}"),
        });
    }
    let facts: i64 = conn
        .query_row("SELECT count(*) FROM monthly_facts", [], |r| r.get(0))
        .map_err(sqlite(path))?;
    if facts as usize != db.facts.len() {
        return Err(LoadError::Check {
            path: path.to_path_buf(),
            what: format!("{} facts written, {} expected", facts, db.facts.len()),
        });
    }
    Ok(())
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
}
