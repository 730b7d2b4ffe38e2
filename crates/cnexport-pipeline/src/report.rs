//! The build report: a JSON file and a readable summary on the terminal.

use cnexport_core::round::group_thousands;
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt::Write;

#[derive(Debug, Clone, Serialize)]
pub struct BuildReport {
    pub database: String,
    pub input: String,
    pub input_digest: String,
    pub data_first_month: Option<String>,
    pub data_latest_month: Option<String>,
    pub files_read: usize,
    /// Files parsed in this run (the rest came from the stage unchanged).
    pub files_parsed: usize,
    pub files_from_stage: usize,
    /// Files under the input folder that are not bulletins.
    pub files_ignored: Vec<String>,
    pub rows_read: u64,
    pub rows_loaded: u64,
    pub rows_quarantined: u64,
    pub quarantined_by_reason: BTreeMap<String, u64>,
    /// Keys that arrived again in a later file (the later release won).
    pub duplicate_keys: u64,
    /// Duplicates whose value changed (restatements).
    pub revised_keys: u64,
    pub facts: u64,
    /// Sum of all values in the database (yuan), as a string (exact).
    pub total_value: String,
    /// Every file: rows read = loaded + quarantined, and the values of
    /// all files (loaded - superseded) add up to the database total.
    pub reconciled: bool,
    pub new_partner_codes: Vec<NewPartner>,
    pub warnings: Vec<String>,
    pub largest_revisions: Vec<RevisionReport>,
    pub times: StageTimes,
    pub peak_memory_mb: Option<f64>,
    /// `full` (a new database file), `incremental` (the previous one
    /// updated, `--incremental`) or `up to date` (nothing to write).
    pub load_mode: String,
    /// Why a build asked to be incremental was not, or what it wrote.
    pub load_note: Option<String>,
    pub database_bytes: u64,
    /// What the database covers and what looks like a hole (docs/contract.md,
    /// Coverage); `None` when it could not be read.
    pub coverage: Option<CoverageReport>,
    pub files: Vec<FileReport>,
}

/// The coverage section of the report: the flags of `cnexport coverage`.
#[derive(Debug, Clone, Serialize)]
pub struct CoverageReport {
    pub first_month: String,
    pub latest_month: String,
    pub flag_count: usize,
    pub flag_counts: cnexport_coverage::FlagCounts,
    pub flags: Vec<cnexport_coverage::CoverageFlag>,
}

impl CoverageReport {
    /// The coverage of the database at `db`, or why not.
    pub fn of(db: &std::path::Path) -> Result<CoverageReport, String> {
        let conn =
            rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
                .map_err(|e| e.to_string())?;
        let c = cnexport_coverage::coverage(&conn, &cnexport_coverage::Filter::default())
            .map_err(|e| e.to_string())?;
        Ok(CoverageReport {
            first_month: c.first_month,
            latest_month: c.latest_month,
            flag_count: c.flag_count,
            flag_counts: c.flag_counts,
            flags: c.flags,
        })
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct FileReport {
    pub path: String,
    pub format: String,
    pub encoding: Option<String>,
    pub rows_read: u64,
    pub rows_loaded: u64,
    pub rows_quarantined: u64,
    pub quarantined_by_reason: BTreeMap<String, u64>,
    pub rows_superseded: u64,
    pub value_loaded: String,
    pub value_quarantined: String,
    pub value_superseded: String,
    pub value_effective: String,
    pub reconciled: bool,
    pub warnings: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct NewPartner {
    pub code: String,
    pub name: String,
    pub continent: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct RevisionReport {
    pub month: String,
    pub hs_code: String,
    pub country_code: String,
    pub old_value: i64,
    pub new_value: i64,
    pub old_file: String,
    pub new_file: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct StageTimes {
    /// Reading the files: parsing new ones, taking the rest from the stage.
    pub ingest_secs: f64,
    /// The overlap rule (the last step of ingest: one fact per cell, the
    /// later release winning), reported apart from parsing.
    pub merge_secs: f64,
    /// The metrics (docs/contract.md, section 3) from the merged facts.
    /// The metric tables are computed chapter by chapter on a thread of
    /// their own while the load writes them: their computing time is
    /// counted here and taken off `load_secs`, so that the stages add up to
    /// the total.
    pub transform_secs: f64,
    pub load_secs: f64,
    pub total_secs: f64,
    /// CPU seconds (user + system, all threads) per stage: on a busy
    /// machine they say what the stage cost when wall times do not.
    pub ingest_cpu_secs: Option<f64>,
    pub merge_cpu_secs: Option<f64>,
    pub transform_cpu_secs: Option<f64>,
    pub load_cpu_secs: Option<f64>,
    pub total_cpu_secs: Option<f64>,
}

/// CPU seconds this process has used so far (user + system, every thread),
/// from /proc (Linux; USER_HZ is 100 there).
pub fn cpu_secs() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name (which is in parentheses): utime and
    // stime are the 12th and 13th.
    let rest = stat.get(stat.rfind(')')? + 2..)?;
    let mut fields = rest.split_whitespace().skip(11);
    let utime: f64 = fields.next()?.parse().ok()?;
    let stime: f64 = fields.next()?.parse().ok()?;
    Some((utime + stime) / 100.0)
}

/// `after - before`, when both are known.
pub fn cpu_delta(before: Option<f64>, after: Option<f64>) -> Option<f64> {
    Some(((after? - before?) * 100.0).round() / 100.0)
}

/// Peak resident memory of this process, from /proc (Linux).
pub fn peak_memory_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some((kb / 1024.0 * 10.0).round() / 10.0)
}

impl BuildReport {
    /// A readable summary for the terminal.
    pub fn summary(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(s, "cnexport build: {}", self.database);
        let _ = writeln!(
            s,
            "  data        {} .. {}, {} facts, total {} yuan",
            self.data_first_month.as_deref().unwrap_or("-"),
            self.data_latest_month.as_deref().unwrap_or("-"),
            self.facts,
            group_thousands(&self.total_value)
        );
        let _ = writeln!(
            s,
            "  files       {} read ({} parsed, {} unchanged from the stage), {} other files ignored",
            self.files_read,
            self.files_parsed,
            self.files_from_stage,
            self.files_ignored.len()
        );
        let _ = writeln!(
            s,
            "  rows        {} read = {} loaded + {} quarantined",
            self.rows_read, self.rows_loaded, self.rows_quarantined
        );
        for (reason, n) in &self.quarantined_by_reason {
            let _ = writeln!(s, "    quarantined {reason}: {n}");
        }
        let _ = writeln!(
            s,
            "  overlap     {} duplicate keys (later release won), {} revised",
            self.duplicate_keys, self.revised_keys
        );
        if !self.new_partner_codes.is_empty() {
            let list: Vec<String> = self
                .new_partner_codes
                .iter()
                .map(|p| format!("{} {}", p.code, p.name))
                .collect();
            let _ = writeln!(
                s,
                "  new partner codes (not in the reference table, kept): {}",
                list.join(", ")
            );
        }
        let _ = writeln!(
            s,
            "  reconciled  {}",
            if self.reconciled { "yes" } else { "NO" }
        );
        let _ = writeln!(
            s,
            "  time        ingest {:.2}s, merge {:.2}s, transform {:.2}s, load {:.2}s, total {:.2}s; peak memory {} MB",
            self.times.ingest_secs,
            self.times.merge_secs,
            self.times.transform_secs,
            self.times.load_secs,
            self.times.total_secs,
            self.peak_memory_mb.map(|m| m.to_string()).unwrap_or_else(|| "?".into())
        );
        let _ = writeln!(
            s,
            "  load        {}{}",
            self.load_mode,
            self.load_note
                .as_ref()
                .map(|n| format!(": {n}"))
                .unwrap_or_default()
        );
        match &self.coverage {
            Some(c) if c.flag_count == 0 => {
                let _ = writeln!(s, "  coverage    {}", c.flag_counts.summary());
            }
            Some(c) => {
                let _ = writeln!(
                    s,
                    "  coverage    {} — run `cnexport coverage --db {}`",
                    c.flag_counts.summary(),
                    self.database
                );
            }
            None => {}
        }
        for w in &self.warnings {
            let _ = writeln!(s, "  warning: {w}");
        }
        s
    }
}
