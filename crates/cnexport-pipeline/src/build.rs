//! The build: ingest every bulletin under a directory, merge, transform,
//! and write the database atomically, with a build report.

use crate::error::{BuildError, InputProblem};
use crate::progress::{NoProgress, Progress, Step};
use crate::report::{BuildReport, FileReport, NewPartner, RevisionReport, StageTimes};
use cnexport_core::tables::{Database, QuarantineRow, SourceFileRow};
use cnexport_core::{Currency, HeaderLanguage, ParsedFile, SourceFormat};
use cnexport_ingest::merge::{merge_draining, FileMergeStats, Merged, Revision};
use cnexport_ingest::stage::{content_digest, Stage};
use cnexport_ingest::{parse_bytes_with_digest, IngestError};
use cnexport_load::{BuildLock, Holder, Plan, Wait};
use rayon::prelude::*;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// What a build needs.
#[derive(Debug, Clone)]
pub struct BuildOptions {
    pub input: PathBuf,
    pub db: PathBuf,
    /// Where parsed files are staged; default `.cnexport-stage` beside the db.
    pub stage: Option<PathBuf>,
    /// The build's currency (files in another currency are an error).
    pub currency: Currency,
    /// A 12-month base below this (yuan) flags growth as low-base.
    pub low_base_threshold: i64,
    /// Update the previous database in place of writing a new one when it
    /// was built by this version from the first files of this build (see
    /// [`cnexport_load::plan`]); otherwise, or when false, write a new one.
    pub incremental: bool,
    /// When another build of the same database holds its lock: wait for it
    /// (true, the default; [`Progress::waiting`] is told) or fail at once
    /// naming the process that holds it.
    pub wait_for_lock: bool,
}

impl BuildOptions {
    pub fn new(input: impl Into<PathBuf>, db: impl Into<PathBuf>) -> BuildOptions {
        BuildOptions {
            input: input.into(),
            db: db.into(),
            stage: None,
            currency: Currency::Cny,
            low_base_threshold: 1_000_000,
            incremental: false,
            wait_for_lock: true,
        }
    }

    pub fn stage_dir(&self) -> PathBuf {
        self.stage.clone().unwrap_or_else(|| {
            let parent = self
                .db
                .parent()
                .filter(|p| !p.as_os_str().is_empty())
                .unwrap_or(Path::new("."));
            parent.join(".cnexport-stage")
        })
    }
}

/// A bulletin file: its path and its name relative to the input folder.
pub type Bulletin = (PathBuf, String);

/// Bulletin files under `dir`, recursively, in release order (path order),
/// and the other files found (ignored).
pub fn list_bulletins(dir: &Path) -> Result<(Vec<Bulletin>, Vec<String>), BuildError> {
    let mut found = Vec::new();
    let mut ignored = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let unreadable = |source| BuildError::ReadInput {
            path: d.clone(),
            source,
        };
        for entry in fs::read_dir(&d).map_err(unreadable)? {
            let entry = entry.map_err(unreadable)?;
            let path = entry.path();
            let name = entry.file_name().to_string_lossy().to_string();
            if name.starts_with('.') {
                continue;
            }
            let rel = path
                .strip_prefix(dir)
                .unwrap_or(&path)
                .to_string_lossy()
                .replace('\\', "/");
            if entry.file_type().map_err(unreadable)?.is_dir() {
                stack.push(path);
            } else if cnexport_ingest::is_bulletin_path(&path) {
                found.push((path, rel));
            } else {
                ignored.push(rel);
            }
        }
    }
    found.sort_by(|a, b| a.1.cmp(&b.1));
    ignored.sort();
    Ok((found, ignored))
}

/// Runs a build without reporting progress. On any error the database is
/// left untouched.
pub fn build(opts: &BuildOptions) -> Result<BuildReport, BuildError> {
    build_with_progress(opts, &NoProgress)
}

/// Runs a build, telling `progress` what it does. On any error the
/// database is left untouched.
pub fn build_with_progress(
    opts: &BuildOptions,
    progress: &dyn Progress,
) -> Result<BuildReport, BuildError> {
    let started = Instant::now();
    let cpu_start = crate::report::cpu_secs();
    if !opts.input.is_dir() {
        return Err(BuildError::InputNotADirectory {
            input: opts.input.clone(),
        });
    }
    let (files, ignored) = list_bulletins(&opts.input)?;
    if files.is_empty() {
        return Err(BuildError::NoBulletins {
            input: opts.input.clone(),
        });
    }
    // One build of a database at a time (they share its stage too); held
    // until the build returns, when the lock file goes.
    let _lock = lock(opts, progress)?;
    let stage = Stage::open(&opts.stage_dir()).map_err(|source| BuildError::Stage {
        path: opts.stage_dir(),
        source,
    })?;

    // Ingest: parse new or changed files, take the rest from the stage.
    let t_ingest = Instant::now();
    let (mut parsed, files_parsed) = ingest(&files, &stage, opts, progress)?;
    let ingest_secs = t_ingest.elapsed().as_secs_f64();
    let cpu_ingested = crate::report::cpu_secs();

    // Merge (overlap rule) and transform.
    tracing::info!(
        files = parsed.len(),
        parsed = files_parsed,
        secs = ingest_secs,
        "ingest done"
    );
    progress.start(Step::MergeAndTransform);
    let t_merge = Instant::now();
    // Each file's own rows are not needed once merged (the merged facts hold
    // what the rest uses): keep their counts, sums and spans for the report;
    // the merge frees them as it goes (1.2 GB at national scale).
    let loaded: Vec<(u64, i128)> = parsed
        .iter()
        .map(|p| (p.facts.len() as u64, p.value_loaded()))
        .collect();
    let spans: Vec<FileSpan> = parsed.par_iter().map(|p| FileSpan::of(&p.facts)).collect();
    let merged = merge_draining(&mut parsed);
    let digest = input_digest(&parsed);
    let new_partners = new_partners(&merged);
    let merged_stats = merged.files.clone();
    let (duplicate_keys, revised_keys) = (merged.duplicate_keys, merged.revised_keys);
    let largest_revisions = largest_revisions(&merged.revisions, &parsed);
    let input = cnexport_transform::TransformInput {
        summary: Some(merged.summary),
        low_base_threshold: opts.low_base_threshold,
        facts: merged.facts,
        product_names: merged.product_names,
        partner_names: merged.partner_names,
        meta: vec![
            ("input_digest".into(), digest.clone()),
            (
                "currency".into(),
                format!("{:?}", opts.currency).to_uppercase(),
            ),
            ("currency_unit".into(), opts.currency.name_zh().into()),
            ("source_file_count".into(), parsed.len().to_string()),
            (
                "low_base_threshold".into(),
                opts.low_base_threshold.to_string(),
            ),
            (
                "program_version".into(),
                format!("cnexport {}", env!("CARGO_PKG_VERSION")),
            ),
        ],
    };
    let merge_secs = t_merge.elapsed().as_secs_f64();
    tracing::info!(facts = input.facts.len(), secs = merge_secs, "merge done");
    let cpu_merged = crate::report::cpu_secs();
    let t_transform = Instant::now();
    // The four metric tables are computed chapter by chapter while the load
    // writes them (see `cnexport_load::write_database_streaming`).
    let (mut db, metrics) = cnexport_transform::transform_without_metrics(input);
    db.coverage = cnexport_coverage::grid_rows(&db.facts);
    let mut transform_secs = t_transform.elapsed().as_secs_f64();
    let cpu_transformed = crate::report::cpu_secs();

    let file_reports = record_files(&parsed, &merged_stats, &loaded, &spans, &mut db);

    // Load: temporary file, check, atomic rename.
    progress.finish(Step::MergeAndTransform);
    tracing::info!(
        facts = db.facts.len(),
        facts_mb = (db.facts.capacity() * std::mem::size_of::<cnexport_core::MonthlyFact>()) >> 20,
        secs = transform_secs,
        "transform done (the metric tables follow, chapter by chapter, as the load writes them)"
    );
    progress.start(Step::Load);
    let t_load = Instant::now();
    let cpu_load_start = crate::report::cpu_secs();
    let total_value: i128 = db.facts.iter().map(|f| f.value as i128).sum();
    let mut chapters = metrics.stream(&db.facts);
    let loaded_db = load(opts, &db, &mut chapters);
    progress.finish(Step::Load);
    let (stats, load_mode, load_note) = loaded_db?;
    tracing::info!(
        mode = load_mode,
        note = ?load_note,
        metric_rows = stats.metric_rows_written,
        metric_secs = chapters.secs,
        "load planned and done"
    );
    // The chapters' time is the transform's, though spent inside the load
    // (on a thread beside it: the stages still add up to the total).
    transform_secs += chapters.secs;
    let load_secs = t_load.elapsed().as_secs_f64() - chapters.secs;
    let cpu_loaded = crate::report::cpu_secs();
    tracing::info!(bytes = stats.bytes, secs = load_secs, db = %opts.db.display(), "load done");

    let keep: Vec<&str> = parsed.iter().map(|p| p.sha256.as_str()).collect();
    let _ = stage.prune(&keep);
    let _ = stage.save_digests();

    let value_effective: i128 = loaded
        .iter()
        .zip(&merged_stats)
        .map(|((_, v), s)| v - s.value_superseded)
        .sum();
    let meta = |k: &str| {
        db.meta
            .iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.clone())
    };
    Ok(BuildReport {
        database: opts.db.display().to_string(),
        input: opts.input.display().to_string(),
        input_digest: digest,
        data_first_month: meta("data_first_month"),
        data_latest_month: meta("data_latest_month"),
        files_read: parsed.len(),
        files_parsed,
        files_from_stage: parsed.len() - files_parsed,
        files_ignored: ignored,
        rows_read: parsed.iter().map(|p| p.rows_read).sum(),
        rows_loaded: loaded.iter().map(|(n, _)| n).sum(),
        rows_quarantined: parsed.iter().map(|p| p.quarantined.len() as u64).sum(),
        quarantined_by_reason: {
            let mut m: BTreeMap<String, u64> = BTreeMap::new();
            for f in &file_reports {
                for (k, v) in &f.quarantined_by_reason {
                    *m.entry(k.clone()).or_default() += v;
                }
            }
            m
        },
        duplicate_keys,
        revised_keys,
        facts: stats.facts,
        total_value: total_value.to_string(),
        reconciled: value_effective == total_value && file_reports.iter().all(|f| f.reconciled),
        new_partner_codes: new_partners,
        warnings: parsed
            .iter()
            .flat_map(|p| p.warnings.iter().cloned())
            .collect(),
        largest_revisions,
        times: StageTimes {
            ingest_secs,
            merge_secs,
            transform_secs,
            load_secs,
            total_secs: started.elapsed().as_secs_f64(),
            ingest_cpu_secs: crate::report::cpu_delta(cpu_start, cpu_ingested),
            merge_cpu_secs: crate::report::cpu_delta(cpu_ingested, cpu_merged),
            transform_cpu_secs: crate::report::cpu_delta(cpu_merged, cpu_transformed),
            load_cpu_secs: crate::report::cpu_delta(cpu_load_start, cpu_loaded),
            total_cpu_secs: crate::report::cpu_delta(cpu_start, crate::report::cpu_secs()),
        },
        peak_memory_mb: crate::report::peak_memory_mb(),
        load_mode: load_mode.to_string(),
        load_note,
        database_bytes: stats.bytes,
        coverage: crate::report::CoverageReport::of(&opts.db)
            .map_err(|e| tracing::warn!(error = %e, "coverage not read"))
            .ok(),
        files: file_reports,
    })
}

/// Creates the database's folder and takes the build lock of the
/// database, waiting for another build or not as `opts` says.
fn lock(opts: &BuildOptions, progress: &dyn Progress) -> Result<BuildLock, BuildError> {
    cnexport_load::create_folder(&opts.db)?;
    let tell = |holder: Option<&Holder>| {
        progress.waiting(&format!(
            "waiting for the build of {} held by {}",
            opts.db.display(),
            Holder::describe(holder)
        ))
    };
    let wait = if opts.wait_for_lock {
        Wait::Wait(&tell)
    } else {
        Wait::NoWait
    };
    Ok(BuildLock::acquire(&opts.db, wait)?)
}

/// The partner codes of the data that the reference table does not know.
fn new_partners(merged: &Merged) -> Vec<NewPartner> {
    let reference = cnexport_core::reference::Reference::get();
    merged
        .summary
        .partners
        .iter()
        .copied()
        .filter(|c| !reference.countries.contains_key(c))
        .map(|c| NewPartner {
            code: c.to_string(),
            name: merged.partner_names.get(&c).cloned().unwrap_or_default(),
            continent: c.continent().map(|x| x.name_zh().to_string()),
        })
        .collect()
}

/// The 20 largest restatements (by the change of value), for the report.
fn largest_revisions(revisions: &[Revision], parsed: &[ParsedFile]) -> Vec<RevisionReport> {
    let mut revisions = revisions.to_vec();
    revisions.sort_by_key(|r| {
        (
            std::cmp::Reverse((r.new_value as i128 - r.old_value as i128).abs()),
            r.month,
            r.hs_code,
            r.partner,
        )
    });
    revisions
        .iter()
        .take(20)
        .map(|r| RevisionReport {
            month: r.month.to_string(),
            hs_code: r.hs_code.to_string(),
            country_code: r.partner.to_string(),
            old_value: r.old_value,
            new_value: r.new_value,
            old_file: parsed[r.old_file].path.clone(),
            new_file: parsed[r.new_file].path.clone(),
        })
        .collect()
}

/// Reads every file (in parallel): parses new or changed ones, takes the
/// rest from the stage. Returns the files in release order and how many
/// were parsed, or every file that cannot be used (unreadable, malformed, or
/// in another currency than the build's).
fn ingest(
    files: &[Bulletin],
    stage: &Stage,
    opts: &BuildOptions,
    progress: &dyn Progress,
) -> Result<(Vec<ParsedFile>, usize), BuildError> {
    let ingest = Step::Ingest {
        files: files.len() as u64,
    };
    progress.start(ingest);
    // Read buffers, used again from file to file: a new one of a file's
    // size is pages the system must clear first (the allocator gives freed
    // memory back at once). Freed when the ingest ends.
    let buffers: std::sync::Mutex<Vec<Vec<u8>>> = Default::default();
    let results: Vec<Result<(ParsedFile, bool), IngestError>> = files
        .par_iter()
        .map(|(path, rel)| {
            let mut buffer = buffers
                .lock()
                .ok()
                .and_then(|mut b| b.pop())
                .unwrap_or_default();
            let result = ingest_one(stage, path, rel, &mut buffer);
            if let Ok(mut b) = buffers.lock() {
                b.push(buffer);
            }
            tracing::debug!(file = %rel, ok = result.is_ok(), "ingested");
            progress.file_done();
            result
        })
        .collect();
    progress.finish(ingest);
    let mut parsed = Vec::with_capacity(results.len());
    let mut errors = Vec::new();
    let mut files_parsed = 0;
    for r in results {
        match r {
            Ok((p, fresh)) => {
                files_parsed += fresh as usize;
                parsed.push(p);
            }
            Err(e) => errors.push(InputProblem::Ingest(e)),
        }
    }
    for p in &parsed {
        if p.currency != opts.currency {
            errors.push(InputProblem::Currency {
                path: p.path.clone(),
                found: p.currency,
                build: opts.currency,
            });
        }
    }
    if !errors.is_empty() {
        return Err(BuildError::UnusableInputs {
            db: opts.db.clone(),
            problems: errors,
        });
    }
    Ok((parsed, files_parsed))
}

/// Adds each file's row to `source_files` and its quarantined rows to
/// `quarantine`, and returns the files' reports. `loaded` holds each
/// file's loaded rows and value (its facts are freed by then).
fn record_files(
    parsed: &[ParsedFile],
    merged_stats: &[FileMergeStats],
    loaded: &[(u64, i128)],
    spans: &[FileSpan],
    db: &mut Database,
) -> Vec<FileReport> {
    let mut file_reports = Vec::new();
    for (i, (p, s)) in parsed.iter().zip(merged_stats).enumerate() {
        let (rows_loaded, value_loaded) = loaded[i];
        let mut reasons: BTreeMap<String, u64> = BTreeMap::new();
        for q in &p.quarantined {
            *reasons.entry(q.reason.code().to_string()).or_default() += 1;
            db.quarantine.push(QuarantineRow {
                path: p.path.clone(),
                line: q.line,
                reason: q.reason.code().to_string(),
                detail: q.detail.clone(),
                raw: q.raw.clone(),
            });
        }
        db.source_files.push(SourceFileRow {
            release_order: i as u32,
            path: p.path.clone(),
            sha256: p.sha256.clone(),
            size: p.size,
            format: format_name(p.format).into(),
            language: match p.language {
                HeaderLanguage::Chinese => "zh",
                HeaderLanguage::English => "en",
            }
            .into(),
            encoding: p.encoding.clone(),
            rows_read: p.rows_read,
            rows_loaded,
            rows_quarantined: p.quarantined.len() as u64,
            rows_superseded: s.rows_superseded,
            value_loaded,
            value_quarantined: p.value_quarantined(),
            value_superseded: s.value_superseded,
            warnings: p.warnings.clone(),
            first_month: spans[i].first_month,
            last_month: spans[i].last_month,
            min_code: spans[i].min_code,
            max_code: spans[i].max_code,
            partner_count: spans[i].partners,
        });
        file_reports.push(FileReport {
            path: p.path.clone(),
            format: format_name(p.format).into(),
            encoding: p.encoding.clone(),
            rows_read: p.rows_read,
            rows_loaded,
            rows_quarantined: p.quarantined.len() as u64,
            quarantined_by_reason: reasons,
            rows_superseded: s.rows_superseded,
            value_loaded: value_loaded.to_string(),
            value_quarantined: p.value_quarantined().to_string(),
            value_superseded: s.value_superseded.to_string(),
            value_effective: (value_loaded - s.value_superseded).to_string(),
            reconciled: p.rows_read == rows_loaded + p.quarantined.len() as u64,
            warnings: p.warnings.clone(),
        });
    }
    file_reports
}

/// What a file's loaded rows cover: months, codes, partners.
#[derive(Debug, Clone, Default)]
struct FileSpan {
    first_month: Option<u32>,
    last_month: Option<u32>,
    min_code: Option<u32>,
    max_code: Option<u32>,
    partners: u64,
}

impl FileSpan {
    fn of(facts: &[cnexport_core::Fact]) -> FileSpan {
        let mut partners = std::collections::BTreeSet::new();
        let mut span = FileSpan::default();
        for f in facts {
            let (m, c) = (f.month.yyyymm(), f.hs_code.0);
            span.first_month = Some(span.first_month.map_or(m, |x| x.min(m)));
            span.last_month = Some(span.last_month.map_or(m, |x| x.max(m)));
            span.min_code = Some(span.min_code.map_or(c, |x| x.min(c)));
            span.max_code = Some(span.max_code.map_or(c, |x| x.max(c)));
            partners.insert(f.partner.0);
        }
        span.partners = partners.len() as u64;
        span
    }
}

/// Writes `db` to `opts.db`: a new file, or (`opts.incremental`) an update
/// of the previous one where the plan allows. Returns the row counts, the
/// load mode and a note for the report.
fn load(
    opts: &BuildOptions,
    db: &Database,
    chapters: &mut cnexport_transform::metrics::ChapterStream<'_>,
) -> Result<(cnexport_load::LoadStats, &'static str, Option<String>), BuildError> {
    if let Some(parent) = opts.db.parent().filter(|p| !p.as_os_str().is_empty()) {
        fs::create_dir_all(parent).map_err(|source| BuildError::CreateDatabaseFolder {
            path: parent.to_path_buf(),
            source,
        })?;
    }
    if !opts.incremental {
        return Ok((
            cnexport_load::write_database_streaming(&opts.db, db, chapters)?,
            "full",
            None,
        ));
    }
    Ok(match cnexport_load::plan(&opts.db, db) {
        Plan::UpToDate => {
            let bytes = fs::metadata(&opts.db)
                .map_err(|source| BuildError::ReadDatabase {
                    path: opts.db.clone(),
                    source,
                })?
                .len();
            let stats = cnexport_load::LoadStats {
                facts: db.facts.len() as u64,
                countries: db.countries.len() as u64,
                products: db.products.len() as u64,
                bytes,
                metric_rows_written: 0,
            };
            let note = "the database already holds these files; left as it was";
            (stats, "up to date", Some(note.to_string()))
        }
        Plan::Update(update) => {
            // Only the `hs_base_metrics` rows the update writes are computed.
            let filter = update.base_metrics.clone();
            chapters.base_from(Box::new(move |code| filter.first_kept(code)));
            let stats = cnexport_load::update_database_streaming(&opts.db, db, &update, chapters)?;
            let note = format!(
                "{} facts and {} metric rows written into a copy of the previous database",
                update.new_facts, stats.metric_rows_written
            );
            (stats, "incremental", Some(note))
        }
        Plan::Full(reason) => (
            cnexport_load::write_database_streaming(&opts.db, db, chapters)?,
            "full",
            Some(reason),
        ),
    })
}

fn ingest_one(
    stage: &Stage,
    path: &Path,
    rel: &str,
    bytes: &mut Vec<u8>,
) -> Result<(ParsedFile, bool), IngestError> {
    let io_error = |e: std::io::Error| IngestError {
        path: rel.to_string(),
        kind: cnexport_ingest::IngestErrorKind::Io,
        message: format!("cannot read the file: {e}"),
    };
    let meta = fs::metadata(path).map_err(io_error)?;
    // Unchanged since the last run (same size and modification time): the
    // staged parse, without reading the file.
    if let Some(digest) = stage.known_digest(rel, &meta) {
        if let Some(p) = stage.get(&digest, rel) {
            return Ok((p, false));
        }
    }
    bytes.clear();
    fs::File::open(path)
        .and_then(|mut f| std::io::Read::read_to_end(&mut f, bytes))
        .map_err(io_error)?;
    let digest = content_digest(bytes);
    stage.remember_digest(rel, &meta, &digest);
    if let Some(p) = stage.get(&digest, rel) {
        return Ok((p, false));
    }
    let parsed = parse_bytes_with_digest(bytes, rel, digest)?;
    // A stage that cannot be written only costs a re-parse next time.
    let _ = stage.put(&parsed);
    Ok((parsed, true))
}

fn format_name(f: SourceFormat) -> &'static str {
    match f {
        SourceFormat::Csv => "csv",
        SourceFormat::Xlsx => "xlsx",
        SourceFormat::Xls => "xls",
        SourceFormat::Html => "html",
    }
}

/// A digest of the inputs: file paths in release order with their content
/// digests, the reference tables and the stage format.
fn input_digest(parsed: &[ParsedFile]) -> String {
    let mut h = Sha256::new();
    h.update(format!(
        "cnexport inputs v1\nreference {}\nstage {}\n",
        cnexport_core::reference::REFERENCE_VERSION,
        cnexport_ingest::stage::STAGE_FORMAT_VERSION
    ));
    for p in parsed {
        h.update(format!("{}\t{}\n", p.path, p.sha256));
    }
    hex::encode(h.finalize())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_or_empty_input_is_an_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("x.db");
        let missing = dir.path().join("missing");
        let err = build(&BuildOptions::new(&missing, &db)).unwrap_err();
        assert!(
            matches!(err, BuildError::InputNotADirectory { .. }),
            "{err}"
        );
        assert!(
            err.to_string().contains(&*missing.to_string_lossy()),
            "{err}"
        );

        let empty = dir.path().join("empty");
        fs::create_dir_all(empty.join("sub")).unwrap();
        fs::write(empty.join("sub/notes.txt"), "not a bulletin").unwrap();
        let err = build(&BuildOptions::new(&empty, &db)).unwrap_err();
        assert!(matches!(err, BuildError::NoBulletins { .. }), "{err}");
        assert!(!db.exists());
    }

    #[test]
    fn bulletins_are_listed_in_path_order_and_other_files_ignored() {
        let dir = tempfile::tempdir().unwrap();
        for f in [
            "2025/b.csv",
            "2024/z.xlsx",
            "2024/a.html",
            "readme.txt",
            ".hidden.csv",
        ] {
            let path = dir.path().join(f);
            fs::create_dir_all(path.parent().unwrap()).unwrap();
            fs::write(path, "").unwrap();
        }
        let (found, ignored) = list_bulletins(dir.path()).unwrap();
        let names: Vec<&str> = found.iter().map(|(_, rel)| rel.as_str()).collect();
        assert_eq!(names, ["2024/a.html", "2024/z.xlsx", "2025/b.csv"]);
        assert_eq!(ignored, ["readme.txt"]);
    }

    #[test]
    fn an_unreadable_file_stops_the_build_and_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let input = dir.path().join("in");
        fs::create_dir_all(&input).unwrap();
        fs::write(input.join("broken.csv"), "not,a,bulletin\n1,2,3\n").unwrap();
        let db = dir.path().join("x.db");
        let err = build(&BuildOptions::new(&input, &db)).unwrap_err();
        let BuildError::UnusableInputs { problems, .. } = &err else {
            panic!("{err}");
        };
        assert_eq!(problems.len(), 1);
        assert!(err.to_string().contains("broken.csv"), "{err}");
        assert!(!db.exists());
    }
}
