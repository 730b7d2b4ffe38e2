//! Load: writes a build's tables into SQLite, atomically.
//!
//! The database is written to a temporary file beside the target, checked
//! (`PRAGMA quick_check`, row counts, index entry counts), synced, and
//! renamed over the target in one step, so a reader (or a crash) only ever
//! sees the old file or the new one. Rows go in in a fixed order with fixed
//! settings, so the same tables give a byte-identical file.

mod incremental;
mod lock;
mod schema;

use cnexport_core::series::{self, CountrySeries, FactSeries};
use cnexport_core::tables::{
    BaseMetricsRow, ChapterRows, CountMonthRow, CountryMonthlyRow, Database, MonthlyRow,
};
use cnexport_core::{Month, MonthlyFact};
use rusqlite::Connection;
use std::fs;
use std::path::{Path, PathBuf};

pub use incremental::{plan, Plan};
pub use lock::{lock_path, BuildLock, Holder, Wait};
pub use schema::{
    schema_sql, tables, views, Column, SqlType, Table, View, INDEX_SQL, SCHEMA_VERSION,
};

/// What went wrong while writing the database. Each message is one
/// sentence: the file, the cause, and what to do.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("cannot write {}: {source}; check that its folder accepts new files, or choose another --db path; {}", .path.display(), previous(.target))]
    Io {
        path: PathBuf,
        /// The database the build was for.
        target: PathBuf,
        source: std::io::Error,
    },
    #[error("SQLite error while writing {}: {source}; {}", .path.display(), previous(.target))]
    Sqlite {
        path: PathBuf,
        target: PathBuf,
        source: rusqlite::Error,
    },
    #[error("the new database {} failed its check ({what}); {}", .path.display(), previous(.target))]
    Check {
        path: PathBuf,
        target: PathBuf,
        what: String,
    },
    /// The folder refuses new files (permissions, a read-only file system).
    #[error("cannot write the database folder {}: {reason}; choose a writable --db path or fix the folder's permissions; {}", .folder.display(), previous(.target))]
    FolderNotWritable {
        folder: PathBuf,
        target: PathBuf,
        /// `permission denied (or read-only)`, or the system's words.
        reason: String,
    },
    /// No space left (or the quota is used up) while writing `path`.
    #[error("the disk holding {} is full while writing {} (at least {needed_mb} MB needed, {free_mb} MB free); free space or choose another --db folder; {}", .target.display(), .path.display(), previous(.target))]
    DiskFull {
        path: PathBuf,
        target: PathBuf,
        needed_mb: u64,
        free_mb: u64,
    },
    /// The folder of the database cannot be made.
    #[error("cannot create the database folder {}: {reason}; choose a writable --db path", .folder.display())]
    CreateFolder { folder: PathBuf, reason: String },
    /// Another build of the same database holds its lock (`--no-wait`).
    #[error("another build of {} is running, held by {holder} (lock file {}); wait for it to finish, or run without --no-wait to wait for it; the database was left as it was", .db.display(), .lock.display())]
    Locked {
        db: PathBuf,
        lock: PathBuf,
        holder: String,
    },
}

/// Creates the folder of the database `target` if it is missing.
pub fn create_folder(target: &Path) -> Result<(), LoadError> {
    let folder = folder_of(target);
    if folder.is_dir() {
        return Ok(());
    }
    fs::create_dir_all(&folder).map_err(|e| {
        // The nearest folder that exists is the one that refused.
        let existing = folder.ancestors().find(|a| a.exists());
        match (e.kind(), existing) {
            (
                std::io::ErrorKind::PermissionDenied | std::io::ErrorKind::ReadOnlyFilesystem,
                Some(a),
            ) => LoadError::FolderNotWritable {
                folder: a.to_path_buf(),
                target: target.to_path_buf(),
                reason: "permission denied (or read-only)".into(),
            },
            (_, Some(a)) if !a.is_dir() => LoadError::CreateFolder {
                folder: folder.clone(),
                reason: format!("{} is a file, not a folder", a.display()),
            },
            _ => LoadError::CreateFolder {
                folder: folder.clone(),
                reason: e.to_string(),
            },
        }
    })
}

/// The end of a load error's sentence: what became of the database.
fn previous(target: &Path) -> String {
    if target.exists() {
        format!("the previous database {} is unchanged", target.display())
    } else {
        "no database was written".to_string()
    }
}

/// The folder of `path` (`.` for a bare file name).
fn folder_of(path: &Path) -> PathBuf {
    match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// Free bytes for an unprivileged user on the file system of `path`'s
/// folder, when known.
fn free_bytes(path: &Path) -> Option<u64> {
    #[cfg(unix)]
    {
        let st = rustix::fs::statvfs(folder_of(path)).ok()?;
        Some(st.f_bavail.saturating_mul(st.f_frsize))
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        None
    }
}

fn disk_full(target: &Path, path: &Path) -> LoadError {
    let mb = |b: u64| b.div_ceil(1 << 20);
    // The new database is at least what was written before the disk
    // filled up, and about the size of the previous one.
    let written = fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    let before = fs::metadata(target).map(|m| m.len()).unwrap_or(0);
    LoadError::DiskFull {
        path: path.to_path_buf(),
        target: target.to_path_buf(),
        needed_mb: mb(written.max(before)).max(1),
        free_mb: free_bytes(path).map(|b| b >> 20).unwrap_or(0),
    }
}

/// An I/O error writing `path` (for the database `target`), classified:
/// a folder that refuses files, a full disk, or the error as it is.
pub(crate) fn classify_io(target: &Path, path: &Path, e: std::io::Error) -> LoadError {
    use std::io::ErrorKind;
    match e.kind() {
        ErrorKind::PermissionDenied | ErrorKind::ReadOnlyFilesystem => {
            LoadError::FolderNotWritable {
                folder: folder_of(path),
                target: target.to_path_buf(),
                reason: "permission denied (or read-only)".into(),
            }
        }
        ErrorKind::StorageFull | ErrorKind::QuotaExceeded => disk_full(target, path),
        _ => LoadError::Io {
            path: path.to_path_buf(),
            target: target.to_path_buf(),
            source: e,
        },
    }
}

/// An SQLite error writing `path`, classified as [`classify_io`] does.
fn classify_sqlite(target: &Path, path: &Path, e: rusqlite::Error) -> LoadError {
    use rusqlite::ErrorCode;
    match e.sqlite_error_code() {
        Some(ErrorCode::CannotOpen | ErrorCode::ReadOnly | ErrorCode::PermissionDenied) => {
            LoadError::FolderNotWritable {
                folder: folder_of(path),
                target: target.to_path_buf(),
                reason: "permission denied (or read-only)".into(),
            }
        }
        Some(ErrorCode::DiskFull) => disk_full(target, path),
        _ => LoadError::Sqlite {
            path: path.to_path_buf(),
            target: target.to_path_buf(),
            source: e,
        },
    }
}

/// Turns the plain errors of a load (named by the temporary file) into
/// their classified form, while the temporary file is still there to be
/// measured.
fn classify(target: &Path, e: LoadError) -> LoadError {
    match e {
        LoadError::Io { path, source, .. } => classify_io(target, &path, source),
        LoadError::Sqlite { path, source, .. } => classify_sqlite(target, &path, source),
        LoadError::Check { path, what, .. } => LoadError::Check {
            path,
            target: target.to_path_buf(),
            what,
        },
        other => other,
    }
}

/// The test hook for a full disk: `CNEXPORT_TEST_MAX_PAGE_COUNT=N` caps the
/// database being written at N pages (`PRAGMA max_page_count`), so SQLite
/// fails with SQLITE_FULL, the error a full disk gives.
fn apply_test_page_cap(conn: &Connection) -> rusqlite::Result<()> {
    if let Some(n) = std::env::var("CNEXPORT_TEST_MAX_PAGE_COUNT")
        .ok()
        .and_then(|v| v.parse::<i64>().ok())
    {
        conn.pragma_update(None, "max_page_count", n)?;
    }
    Ok(())
}

/// Row counts of a written database.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LoadStats {
    pub facts: u64,
    pub countries: u64,
    pub products: u64,
    pub bytes: u64,
    /// `hs_base_metrics` rows written (all of them, or an update's).
    pub metric_rows_written: u64,
}

/// One chapter's rows of the four metric tables, borrowed.
#[derive(Clone, Copy)]
pub struct ChapterSlices<'a> {
    pub base: &'a [BaseMetricsRow],
    pub counts: &'a [CountMonthRow],
    pub monthly: &'a [MonthlyRow],
    pub country_monthly: &'a [CountryMonthlyRow],
    /// `hs_base_metrics` rows of the chapter not computed
    /// ([`ChapterRows::base_skipped`]).
    pub base_skipped: usize,
}

impl<'a> ChapterSlices<'a> {
    pub fn of(rows: &'a ChapterRows) -> ChapterSlices<'a> {
        ChapterSlices {
            base: &rows.base,
            counts: &rows.counts,
            monthly: &rows.monthly,
            country_monthly: &rows.country_monthly,
            base_skipped: rows.base_skipped,
        }
    }
}

/// Rows of the four metric tables, counted as they are written (the check
/// compares the file with them).
#[derive(Debug, Clone, Copy, Default)]
struct MetricCounts {
    base: usize,
    counts: usize,
    monthly: usize,
    country_monthly: usize,
    /// The packed facts' rows: `fact_series` (pairs) and
    /// `fact_month_sources` (months).
    pairs: usize,
    months: usize,
    /// `country_series` rows (`hs_country_monthly`'s code and destination
    /// pairs).
    country_pairs: usize,
}

impl MetricCounts {
    fn add(&mut self, c: &ChapterSlices<'_>) {
        self.base += c.base.len() + c.base_skipped;
        self.counts += c.counts.len();
        self.monthly += c.monthly.len();
        self.country_monthly += c.country_monthly.len();
        self.country_pairs += series::country_runs(c.country_monthly).count();
    }
}

/// Where the load takes the four metric tables from: chapter by chapter,
/// in key order, each handed to `sink` (which writes it).
trait ChapterSource {
    fn each(
        &mut self,
        sink: &mut dyn FnMut(ChapterSlices<'_>) -> rusqlite::Result<()>,
    ) -> rusqlite::Result<()>;
}

/// The four metric tables held in a [`Database`], chunk by chunk (a chunk
/// is a chapter when the transform made them).
struct FromDatabase<'a>(&'a Database);

impl ChapterSource for FromDatabase<'_> {
    fn each(
        &mut self,
        sink: &mut dyn FnMut(ChapterSlices<'_>) -> rusqlite::Result<()>,
    ) -> rusqlite::Result<()> {
        let db = self.0;
        let n = [
            db.base_metrics.0.len(),
            db.count_month.0.len(),
            db.monthly.0.len(),
            db.country_monthly.0.len(),
        ]
        .into_iter()
        .max()
        .unwrap_or(0);
        fn chunk<T>(c: &cnexport_core::tables::Chunks<T>, i: usize) -> &[T] {
            c.0.get(i).map(Vec::as_slice).unwrap_or(&[])
        }
        for i in 0..n {
            sink(ChapterSlices {
                base: chunk(&db.base_metrics, i),
                counts: chunk(&db.count_month, i),
                monthly: chunk(&db.monthly, i),
                country_monthly: chunk(&db.country_monthly, i),
                base_skipped: 0,
            })?;
        }
        Ok(())
    }
}

/// Chapters as an iterator gives them: each is written, then dropped.
struct FromStream<I>(I);

impl<I: Iterator<Item = ChapterRows> + Send> ChapterSource for FromStream<I> {
    /// The next chapters are computed on another thread while `sink`
    /// writes these (one batch ahead, so one more batch is held).
    fn each(
        &mut self,
        sink: &mut dyn FnMut(ChapterSlices<'_>) -> rusqlite::Result<()>,
    ) -> rusqlite::Result<()> {
        let chapters = &mut self.0;
        std::thread::scope(|scope| {
            let (send, receive) = std::sync::mpsc::sync_channel::<ChapterRows>(1);
            scope.spawn(move || {
                for rows in chapters.by_ref() {
                    if send.send(rows).is_err() {
                        break; // the write failed
                    }
                }
            });
            for rows in receive {
                sink(ChapterSlices::of(&rows))?;
            }
            Ok(())
        })
    }
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
    write_database_from(target, db, &mut FromDatabase(db))
}

/// [`write_database`] with the four metric tables taken from `chapters`
/// (in code order) instead of `db` (whose four tables are not read): each
/// chapter is written and dropped as it comes, so they are never all held.
pub fn write_database_streaming(
    target: &Path,
    db: &Database,
    chapters: impl Iterator<Item = ChapterRows> + Send,
) -> Result<LoadStats, LoadError> {
    write_database_from(target, db, &mut FromStream(chapters))
}

fn write_database_from(
    target: &Path,
    db: &Database,
    chapters: &mut dyn ChapterSource,
) -> Result<LoadStats, LoadError> {
    remove_stale_temporaries(target);
    let tmp = temporary_path(target);
    let result = write_and_check(&tmp, db, chapters)
        .and_then(|stats| {
            publish(&tmp, target)?;
            Ok(stats)
        })
        .map_err(|e| classify(target, e));
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// What an incremental build changes in the previous database: the metric
/// rows named here are written with `INSERT OR REPLACE` (or after their
/// old rows are deleted); the packed facts and the small tables (meta,
/// countries, products, source files, quarantine) are rewritten whole.
#[derive(Debug, Default)]
pub struct Update {
    /// How many facts the new files touched (their cells' source is a new
    /// file), for the report.
    pub new_facts: usize,
    /// How many facts the updated database holds in all (checked).
    pub fact_count: usize,
    /// Which `hs_base_metrics` rows are new or may have changed.
    pub base_metrics: incremental::BaseFilter,
    /// `None`: every `hs_count_month` row is rewritten (the as-of month
    /// moved); `Some(codes)`, sorted: only these codes' rows.
    pub count_codes: Option<Vec<std::sync::Arc<str>>>,
    /// The codes (all levels, sorted) whose `hs_monthly` and
    /// `hs_country_monthly` rows are rewritten: those the new files touched,
    /// each with the earliest month touched (`hs_monthly` rows from it on
    /// are rewritten).
    pub series_codes: Vec<(std::sync::Arc<str>, Month)>,
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
    update_database_from(target, db, update, &mut FromDatabase(db))
}

/// [`update_database`] with the four metric tables taken from `chapters`
/// (in code order), as [`write_database_streaming`] does.
pub fn update_database_streaming(
    target: &Path,
    db: &Database,
    update: &Update,
    chapters: impl Iterator<Item = ChapterRows> + Send,
) -> Result<LoadStats, LoadError> {
    update_database_from(target, db, update, &mut FromStream(chapters))
}

fn update_database_from(
    target: &Path,
    db: &Database,
    update: &Update,
    chapters: &mut dyn ChapterSource,
) -> Result<LoadStats, LoadError> {
    remove_stale_temporaries(target);
    let tmp = temporary_path(target);
    let copy = std::time::Instant::now();
    let copied = fs::copy(target, &tmp).map(|_| ());
    tracing::debug!(secs = copy.elapsed().as_secs_f64(), "update: copied");
    let result = copied
        .map_err(io(&tmp))
        .and_then(|()| update_copy(&tmp, db, update, chapters))
        .and_then(|stats| {
            publish(&tmp, target)?;
            Ok(stats)
        })
        .map_err(|e| classify(target, e));
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

fn update_copy(
    tmp: &Path,
    db: &Database,
    update: &Update,
    chapters: &mut dyn ChapterSource,
) -> Result<LoadStats, LoadError> {
    let step = std::time::Instant::now();
    let lap = |what: &str| tracing::debug!(secs = step.elapsed().as_secs_f64(), "update: {what}");
    let mut conn = Connection::open(tmp).map_err(sqlite(tmp))?;
    conn.execute_batch(
        // No memory map: the update and its row counts touch pages all
        // over a file of gigabytes, and every mapped page counts in the
        // build's resident set (3.6 GB at national scale instead of 1.8 GB).
        // Measured at national scale, the load takes as long either way
        // (docs/performance.md).
        "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF;
         PRAGMA locking_mode = EXCLUSIVE; PRAGMA cache_size = -65536;
         PRAGMA mmap_size = 0;",
    )
    .and_then(|()| apply_test_page_cap(&conn))
    .map_err(sqlite(tmp))?;
    let (counts, written) = apply_update(&mut conn, db, update, chapters).map_err(sqlite(tmp))?;
    lap("rows written");
    check_update(&conn, db, update, &counts, tmp)?;
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
        metric_rows_written: written,
    })
}

/// Writes the update; returns the metric tables' row counts (of the whole
/// build) and the `hs_base_metrics` rows written.
fn apply_update(
    conn: &mut Connection,
    db: &Database,
    update: &Update,
    chapters: &mut dyn ChapterSource,
) -> rusqlite::Result<(MetricCounts, u64)> {
    let tx = conn.transaction()?;
    tx.execute_batch(
        "DELETE FROM meta; DELETE FROM country_tags; DELETE FROM countries;
         DELETE FROM products; DELETE FROM source_files; DELETE FROM quarantine;
         DELETE FROM coverage;",
    )?;
    let step = std::time::Instant::now();
    let lap = |what: &str| tracing::debug!(secs = step.elapsed().as_secs_f64(), "update: {what}");
    insert_meta(&tx, db)?;
    insert_reference(&tx, db)?;
    lap("small tables");
    // The packed facts are rewritten whole: a new month adds to about half
    // the pairs' rows, spread over every page, and updating those rows in
    // place took as long (3.4 s against 3.7 s at national scale) and left
    // the file 20 MB larger (docs/performance.md).
    // Without its index meanwhile: made again after the rows are in, as a
    // new database's is, instead of kept up row by row in another order.
    tx.execute_batch(
        "DROP INDEX fact_series_by_country;
         DELETE FROM fact_series; DELETE FROM fact_month_sources;",
    )?;
    let pairs = insert_facts(&tx, &db.facts)?;
    tx.execute_batch(schema::fact_series_index_sql())?;
    schema::SOURCE_FILES.insert(&tx, "INSERT", &db.source_files)?;
    schema::COVERAGE.insert(&tx, "INSERT", &db.coverage)?;
    lap("facts");
    // The rows the new tables replace: every count row when the as-of month
    // moved, else the touched codes'; the touched codes' series.
    match &update.count_codes {
        None => {
            tx.execute("DELETE FROM hs_count_month", [])?;
        }
        Some(codes) => {
            let mut delete = tx.prepare("DELETE FROM hs_count_month WHERE hs_code = ?1")?;
            for code in codes {
                delete.execute([&**code])?;
            }
        }
    }
    {
        let mut delete = tx.prepare("DELETE FROM hs_monthly WHERE hs_code = ?1 AND month >= ?2")?;
        for (code, from) in &update.series_codes {
            delete.execute(rusqlite::params![&**code, from.yyyymm()])?;
        }
        let mut delete = tx.prepare("DELETE FROM country_series WHERE hs_code = ?1")?;
        for (code, _) in &update.series_codes {
            delete.execute([&**code])?;
        }
    }
    lap("old rows deleted");
    let touched_from = |code: &std::sync::Arc<str>| {
        update
            .series_codes
            .binary_search_by(|(c, _)| c.cmp(code))
            .ok()
            .map(|i| update.series_codes[i].1)
    };
    let touched = |code: &std::sync::Arc<str>| touched_from(code).is_some();
    let counted = |code: &std::sync::Arc<str>| match &update.count_codes {
        None => true,
        Some(codes) => codes.binary_search(code).is_ok(),
    };
    let mut counts = MetricCounts {
        pairs: pairs.pairs,
        months: pairs.months,
        ..MetricCounts::default()
    };
    let mut written = 0u64;
    chapters.each(&mut |c| {
        counts.add(&c);
        let base: Vec<&BaseMetricsRow> = c
            .base
            .iter()
            .filter(|r| update.base_metrics.keeps(r))
            .collect();
        written += base.len() as u64;
        schema::HS_BASE_METRICS.insert(&tx, "INSERT OR REPLACE", base)?;
        schema::HS_COUNT_MONTH.insert(
            &tx,
            "INSERT",
            c.counts.iter().filter(|r| counted(&r.hs_code)),
        )?;
        schema::HS_MONTHLY.insert(
            &tx,
            "INSERT",
            c.monthly
                .iter()
                .filter(|r| touched_from(&r.hs_code).is_some_and(|from| r.month >= from)),
        )?;
        schema::COUNTRY_SERIES.insert(
            &tx,
            "INSERT",
            series::country_runs(c.country_monthly)
                .filter(|run| touched(&run[0].hs_code))
                .map(CountrySeries::encode),
        )
    })?;
    lap("monthly series");
    schema::QUARANTINE.insert(&tx, "INSERT", &db.quarantine)?;
    let done = tx.commit();
    lap("committed");
    done.map(|()| (counts, written))
}

fn check_update(
    conn: &Connection,
    db: &Database,
    update: &Update,
    counts: &MetricCounts,
    path: &Path,
) -> Result<(), LoadError> {
    let fail = |what: String| LoadError::Check {
        path: path.to_path_buf(),
        target: PathBuf::new(),
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
        "fact_series",
        "fact_month_sources",
    ] {
        let result: String = conn
            .query_row(&format!("PRAGMA quick_check({table})"), [], |r| r.get(0))
            .map_err(sqlite(path))?;
        if result != "ok" {
            return Err(fail(format!("quick_check({table}): {result}")));
        }
    }
    if let Some(what) = packed_rows(conn, update.fact_count, counts).map_err(sqlite(path))? {
        return Err(fail(what));
    }
    for (table, expected) in [
        ("fact_series", counts.pairs),
        ("fact_month_sources", counts.months),
        ("hs_base_metrics", counts.base),
        ("hs_count_month", counts.counts),
        ("hs_monthly", counts.monthly),
        ("country_series", counts.country_pairs),
        ("source_files", db.source_files.len()),
        ("coverage", db.coverage.len()),
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

/// The rows the views give back, counted on the packed rows (every
/// series' length): `facts` for `monthly_facts`, the build's for
/// `hs_country_monthly`. `Some(what)` when a count differs.
fn packed_rows(
    conn: &Connection,
    facts: usize,
    counts: &MetricCounts,
) -> rusqlite::Result<Option<String>> {
    for (view, storage, want) in [
        ("monthly_facts", "fact_series", facts),
        (
            "hs_country_monthly",
            "country_series",
            counts.country_monthly,
        ),
    ] {
        let n: i64 = conn.query_row(
            &format!("SELECT coalesce(sum(json_array_length(value)), 0) FROM {storage}"),
            [],
            |r| r.get(0),
        )?;
        if n as usize != want {
            return Ok(Some(format!("{view}: {n} rows written, {want} expected")));
        }
    }
    Ok(None)
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

/// An SQLite error on `path`; [`classify`] fills in the target.
fn sqlite(path: &Path) -> impl Fn(rusqlite::Error) -> LoadError + '_ {
    move |source| LoadError::Sqlite {
        path: path.to_path_buf(),
        target: PathBuf::new(),
        source,
    }
}

/// An I/O error on `path`; [`classify`] fills in the target.
fn io(path: &Path) -> impl Fn(std::io::Error) -> LoadError + '_ {
    move |source| LoadError::Io {
        path: path.to_path_buf(),
        target: PathBuf::new(),
        source,
    }
}

fn write_and_check(
    tmp: &Path,
    db: &Database,
    chapters: &mut dyn ChapterSource,
) -> Result<LoadStats, LoadError> {
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
    .and_then(|()| apply_test_page_cap(&conn))
    .map_err(sqlite(tmp))?;
    conn.execute_batch(&schema_sql()).map_err(sqlite(tmp))?;
    let step = std::time::Instant::now();
    let lap = |what: &str| tracing::debug!(secs = step.elapsed().as_secs_f64(), "load: {what}");
    let counts = insert_all(&mut conn, db, chapters).map_err(sqlite(tmp))?;
    lap("rows inserted");
    // The secondary indexes sort every fact: SQLite's sorter may use a
    // helper thread per core for it (the index is the same either way).
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    conn.pragma_update(None, "threads", threads as i64)
        .map_err(sqlite(tmp))?;
    conn.execute_batch(INDEX_SQL).map_err(sqlite(tmp))?;
    lap("indexes");
    conn.execute_batch("ANALYZE;").map_err(sqlite(tmp))?;
    conn.close().map_err(|(_, e)| sqlite(tmp)(e))?;
    lap("analyzed");
    apply_test_damage(tmp).map_err(io(tmp))?;
    let checked = std::time::Instant::now();
    check(tmp, db, &counts)?;
    tracing::debug!(secs = checked.elapsed().as_secs_f64(), "load: checked");
    let file = fs::File::open(tmp).map_err(io(tmp))?;
    file.sync_all().map_err(io(tmp))?;
    let bytes = file.metadata().map_err(io(tmp))?.len();
    Ok(LoadStats {
        facts: db.facts.len() as u64,
        countries: db.countries.len() as u64,
        products: db.products.len() as u64,
        bytes,
        metric_rows_written: counts.base as u64,
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

/// Inserts every row in one transaction; the metric tables chapter by
/// chapter (so their pages interleave by chapter). Returns their counts.
fn insert_all(
    conn: &mut Connection,
    db: &Database,
    chapters: &mut dyn ChapterSource,
) -> rusqlite::Result<MetricCounts> {
    let tx = conn.transaction()?;
    insert_meta(&tx, db)?;
    insert_reference(&tx, db)?;
    let facts = std::time::Instant::now();
    let pairs = insert_facts(&tx, &db.facts)?;
    tracing::debug!(
        secs = facts.elapsed().as_secs_f64(),
        "load: packed facts inserted"
    );
    schema::SOURCE_FILES.insert(&tx, "INSERT", &db.source_files)?;
    schema::COVERAGE.insert(&tx, "INSERT", &db.coverage)?;
    let mut counts = MetricCounts::default();
    chapters.each(&mut |c| {
        counts.add(&c);
        schema::HS_BASE_METRICS.insert(&tx, "INSERT", c.base)?;
        schema::HS_COUNT_MONTH.insert(&tx, "INSERT", c.counts)?;
        schema::HS_MONTHLY.insert(&tx, "INSERT", c.monthly)?;
        schema::COUNTRY_SERIES.insert(
            &tx,
            "INSERT",
            series::country_runs(c.country_monthly).map(CountrySeries::encode),
        )
    })?;
    schema::QUARANTINE.insert(&tx, "INSERT", &db.quarantine)?;
    tx.commit()?;
    counts.pairs = pairs.pairs;
    counts.months = pairs.months;
    Ok(counts)
}

/// How many rows the packed facts took.
struct FactRows {
    /// `fact_series` rows: code and destination pairs.
    pairs: usize,
    /// `fact_month_sources` rows: months.
    months: usize,
}

/// Writes the facts (in key order) packed: a `fact_series` row per code
/// and destination, a `fact_month_sources` row per month.
fn insert_facts(tx: &Connection, facts: &[MonthlyFact]) -> rusqlite::Result<FactRows> {
    let sources = series::month_sources(facts);
    let months: Vec<schema::MonthSourceRow> =
        sources.iter().map(|(m, f)| (m.yyyymm(), *f)).collect();
    schema::FACT_MONTH_SOURCES.insert(tx, "INSERT", &months)?;
    // The pairs are packed on the other cores a batch ahead of the insert
    // (SQLite inserts on one), in key order.
    use rayon::prelude::*;
    const BATCH: usize = 16_384;
    let runs: Vec<&[MonthlyFact]> = series::pairs(facts).collect();
    std::thread::scope(|scope| {
        let (send, receive) = std::sync::mpsc::sync_channel::<Vec<FactSeries>>(2);
        let (runs, sources) = (&runs, &sources);
        scope.spawn(move || {
            for batch in runs.chunks(BATCH) {
                let packed: Vec<FactSeries> = batch
                    .par_iter()
                    .map(|p| FactSeries::encode(p, sources))
                    .collect();
                if send.send(packed).is_err() {
                    break; // the insert failed
                }
            }
        });
        for packed in receive {
            schema::FACT_SERIES.insert(tx, "INSERT", &packed)?;
        }
        Ok::<(), rusqlite::Error>(())
    })?;
    Ok(FactRows {
        pairs: runs.len(),
        months: months.len(),
    })
}

fn insert_meta(tx: &Connection, db: &Database) -> rusqlite::Result<()> {
    let mut meta = db.meta.clone();
    meta.push(("schema_version".into(), SCHEMA_VERSION.to_string()));
    meta.sort();
    schema::META.insert(tx, "INSERT", &meta)
}

/// Countries, their tags and products.
fn insert_reference(tx: &Connection, db: &Database) -> rusqlite::Result<()> {
    schema::COUNTRIES.insert(tx, "INSERT", &db.countries)?;
    let tags: Vec<schema::TagRow> = db
        .countries
        .iter()
        .flat_map(|c| {
            c.tags
                .iter()
                .map(|t| (c.code.clone(), t.clone(), tag_zh(t)))
        })
        .collect();
    schema::COUNTRY_TAGS.insert(tx, "INSERT", &tags)?;
    schema::PRODUCTS.insert(tx, "INSERT", &db.products)
}

/// The Chinese name of a bloc key (the key itself for an unknown one).
fn tag_zh(key: &str) -> String {
    cnexport_core::Bloc::ALL
        .iter()
        .find(|b| b.api_key() == key)
        .map(|b| b.name_zh())
        .unwrap_or(key)
        .to_string()
}

/// The check before the rename, on a new read-only connection (so every
/// page is read back from the file, not from the writer's page cache):
///
/// - `PRAGMA quick_check`: every page of every b-tree (tables and indexes)
///   is read and parsed, every record is well-formed, pages are neither
///   missing, shared nor unused, rows are in key order, NOT NULL holds;
/// - every table holds as many rows as the build inserted, counted on the
///   table's own b-tree (`NOT INDEXED`);
/// - every index holds as many entries as its table has rows (`INDEXED BY`).
///
/// What it leaves out of `PRAGMA integrity_check`: that each index entry
/// points at the row with the same values (a lookup per row, most of the
/// cost of `integrity_check` on this index-heavy file), and UNIQUE, which
/// the primary keys enforced while the rows went in. See docs/decisions.md.
fn check(path: &Path, db: &Database, counts: &MetricCounts) -> Result<(), LoadError> {
    let fail = |what: String| LoadError::Check {
        path: path.to_path_buf(),
        target: PathBuf::new(),
        what,
    };
    // A page SQLite cannot read or parse is a failed check too, not an
    // error of the write.
    let failed = |e: rusqlite::Error| fail(e.to_string());
    let conn = Connection::open_with_flags(
        path,
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(failed)?;
    // The first problem found is enough to refuse the file; SQLite puts a
    // "*** in database main ***" line before it.
    let quick: String = conn
        .query_row("PRAGMA quick_check(1)", [], |r| r.get(0))
        .map_err(failed)?;
    if quick != "ok" {
        let problem: Vec<&str> = quick
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with("*** in database"))
            .collect();
        return Err(fail(format!("quick_check: {}", problem.join(" "))));
    }
    let tags: usize = db.countries.iter().map(|c| c.tags.len()).sum();
    let expected = [
        ("meta", db.meta.len() + 1),
        ("countries", db.countries.len()),
        ("country_tags", tags),
        ("products", db.products.len()),
        ("fact_series", counts.pairs),
        ("fact_month_sources", counts.months),
        ("source_files", db.source_files.len()),
        ("coverage", db.coverage.len()),
        ("hs_base_metrics", counts.base),
        ("hs_count_month", counts.counts),
        ("hs_monthly", counts.monthly),
        ("country_series", counts.country_pairs),
        ("quarantine", db.quarantine.len()),
    ];
    let count = |sql: &str| -> Result<usize, LoadError> {
        conn.query_row(sql, [], |r| r.get::<_, i64>(0))
            .map(|n| n as usize)
            .map_err(failed)
    };
    for (table, want) in expected {
        let n = count(&format!("SELECT count(*) FROM {table} NOT INDEXED"))?;
        if n != want {
            return Err(fail(format!("{table}: {n} rows written, {want} expected")));
        }
    }
    if let Some(what) = packed_rows(&conn, db.facts.len(), counts).map_err(failed)? {
        return Err(fail(what));
    }
    let indexes: Vec<(String, String)> = conn
        .prepare("SELECT name, tbl_name FROM sqlite_schema WHERE type = 'index' ORDER BY name")
        .and_then(|mut s| {
            s.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<rusqlite::Result<_>>()
        })
        .map_err(failed)?;
    for (index, table) in indexes {
        let Some(&(_, want)) = expected.iter().find(|(t, _)| *t == table) else {
            continue;
        };
        let n = count(&format!("SELECT count(*) FROM {table} INDEXED BY {index}"))?;
        if n != want {
            return Err(fail(format!(
                "index {index}: {n} entries, {want} rows in {table}"
            )));
        }
    }
    conn.close().map_err(|(_, e)| failed(e))
}

/// The test hook for a damaged file: `CNEXPORT_TEST_DAMAGE_PAGE=N`
/// overwrites page N (1-based, 4,096 bytes) of the new file with a
/// pattern between the write and the check, as an I/O error that tore or
/// garbled a page would leave it.
fn apply_test_damage(path: &Path) -> std::io::Result<()> {
    use std::io::{Seek, SeekFrom, Write};
    let Some(page) = std::env::var("CNEXPORT_TEST_DAMAGE_PAGE")
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
        .filter(|&p| p > 0)
    else {
        return Ok(());
    };
    let mut f = fs::OpenOptions::new().write(true).open(path)?;
    f.seek(SeekFrom::Start((page - 1) * 4096))?;
    f.write_all(&[0xA5; 4096])?;
    f.sync_all()
}
