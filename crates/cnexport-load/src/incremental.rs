//! The incremental plan: update the previous database instead of writing a
//! new one, when it was built by this version from the first files of this
//! build (a monthly run adds the new release's files).
//!
//! The plan is exact, not a guess: a cell (month, code, country) can only
//! change when a new file has a row for it, and then the merge records that
//! file as the cell's source, so the changed facts are the ones whose source
//! file is a new one. A code's `hs_base_metrics` row at as-of month M sums
//! months up to M only, so it can change only when M is at or after the
//! earliest month a new file touched in that code (or one of the codes it
//! rolls up), or when M itself is new. `hs_count_month` holds the latest
//! as-of month only: all of it changes when the latest month moves, else
//! only the touched codes' rows. An `hs_monthly` row depends on its code's
//! facts of its month only: a touched code's rows from the earliest month a
//! new file touched in it are rewritten. A `country_series` row holds
//! every month of its roll-up and destination: the touched codes' rows are
//! rewritten. Everything else is rewritten whole (the packed facts too: see
//! `apply_update`).

use crate::Update;
use cnexport_core::tables::{BaseMetricsRow, Database};
use cnexport_core::{HsCode, Month};
use rusqlite::{Connection, OpenFlags};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;
use std::sync::Arc;

/// How the load goes.
#[derive(Debug)]
pub enum Plan {
    /// Write a new database (the reason, for the report).
    Full(String),
    /// The previous database already holds exactly this build.
    UpToDate,
    /// Update a copy of the previous database.
    Update(Update),
}

/// Which `hs_base_metrics` rows an update writes: those at an as-of month
/// after the previous latest, of a code the previous database has no rows
/// for, or at or after the earliest month a new file touched in the code.
#[derive(Debug, Default, Clone)]
pub struct BaseFilter {
    old_latest: Option<Month>,
    old_codes: HashSet<String>,
    earliest: HashMap<String, Month>,
}

impl BaseFilter {
    pub fn keeps(&self, r: &BaseMetricsRow) -> bool {
        self.first_kept(&r.hs_code)
            .is_none_or(|first| r.as_of >= first)
    }

    /// The first as-of month of `code` whose row the update writes (`None`:
    /// every one; see [`BaseFilter::keeps`]): the month after the previous
    /// latest, or the earliest month a new file touched in the code if that
    /// is earlier; every month for a code the previous database lacks.
    pub fn first_kept(&self, code: &str) -> Option<Month> {
        let latest = self.old_latest?;
        if !self.old_codes.contains(code) {
            return None;
        }
        let next = latest.plus(1);
        Some(match self.earliest.get(code) {
            Some(m) => next.min(*m),
            None => next,
        })
    }
}

/// The meta entries that must be equal for the previous database to be
/// updated rather than replaced.
const SAME_META: [&str; 6] = [
    "program_version",
    "schema_version",
    "reference_version",
    "currency",
    "low_base_threshold",
    "data_first_month",
];

/// Decides how to load `db` over the database at `target`. The files of
/// the build are `db.source_files`, in release order.
pub fn plan(target: &Path, db: &Database) -> Plan {
    match try_plan(target, db) {
        Ok(plan) => plan,
        Err(e) => Plan::Full(format!("the previous database cannot be read ({e})")),
    }
}

fn try_plan(target: &Path, db: &Database) -> rusqlite::Result<Plan> {
    let this_build = &db.source_files;
    if !target.is_file() {
        return Ok(Plan::Full("no previous database".into()));
    }
    let conn = Connection::open_with_flags(
        target,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    let previous: HashMap<String, String> = conn
        .prepare("SELECT key, value FROM meta")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    let mut current: HashMap<&str, String> = db
        .meta
        .iter()
        .map(|(k, v)| (k.as_str(), v.clone()))
        .collect();
    current.insert("schema_version", crate::SCHEMA_VERSION.to_string());
    for key in SAME_META {
        if previous.get(key) != current.get(key) {
            return Ok(Plan::Full(format!(
                "the previous database differs in {key} ({} -> {})",
                previous.get(key).map(String::as_str).unwrap_or("none"),
                current.get(key).map(String::as_str).unwrap_or("none")
            )));
        }
    }
    let files: Vec<(String, String)> = conn
        .prepare("SELECT path, sha256 FROM source_files ORDER BY release_order")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    let k = files.len();
    let prefix = k <= this_build.len()
        && files
            .iter()
            .zip(this_build)
            .all(|((path, sha), p)| *path == p.path && *sha == p.sha256);
    if !prefix {
        return Ok(Plan::Full(
            "the previous database's files are not the first files of this build (a file changed, went away or sorts before a new one)".into(),
        ));
    }
    if k == this_build.len() {
        return Ok(
            if previous.get("input_digest") == current.get("input_digest") {
                Plan::UpToDate
            } else {
                Plan::Full("the previous database's input digest differs".into())
            },
        );
    }
    let old_latest = previous
        .get("data_latest_month")
        .and_then(|m| Month::parse_yyyymm(m));
    let new_latest = current
        .get("data_latest_month")
        .and_then(|m| Month::parse_yyyymm(m));
    let (Some(old_latest), Some(new_latest)) = (old_latest, new_latest) else {
        return Ok(Plan::Full(
            "the previous database has no data months".into(),
        ));
    };
    // The codes the previous database has metric rows for.
    let old_codes: HashSet<String> = conn
        .prepare("SELECT hs_code FROM hs_base_metrics WHERE as_of_month = ?1")?
        .query_map([old_latest.yyyymm()], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    drop(conn);

    // The cells the new files touched, and per code the earliest month.
    let first_new = k as u32;
    let mut new_facts = 0;
    let mut earliest8: BTreeMap<HsCode, Month> = BTreeMap::new();
    for f in db.facts.iter().filter(|f| f.source_file >= first_new) {
        new_facts += 1;
        let e = earliest8.entry(f.hs_code).or_insert(f.month);
        *e = (*e).min(f.month);
    }
    let mut earliest: HashMap<String, Month> = HashMap::new();
    for (code, month) in &earliest8 {
        let text = code.to_string();
        for level in [2, 4, 6, 8] {
            let e = earliest.entry(text[..level].to_string()).or_insert(*month);
            *e = (*e).min(*month);
        }
    }
    let mut series_codes: Vec<(Arc<str>, Month)> = earliest
        .iter()
        .map(|(c, m)| (Arc::from(c.as_str()), *m))
        .collect();
    series_codes.sort();
    let count_codes = if new_latest != old_latest {
        None
    } else {
        let mut codes: Vec<Arc<str>> = earliest.keys().map(|c| Arc::from(c.as_str())).collect();
        codes.sort();
        Some(codes)
    };
    Ok(Plan::Update(Update {
        new_facts,
        fact_count: db.facts.len(),
        base_metrics: BaseFilter {
            old_latest: Some(old_latest),
            old_codes,
            earliest,
        },
        count_codes,
        series_codes,
    }))
}
