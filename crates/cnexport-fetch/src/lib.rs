//! Fetch stage (docs/contract.md, section 5.1): read a listing page, download the bulletin
//! files it links into `<into>/<release date>/`, and record them in
//! `<into>/manifest.json`.
//!
//! - Links: `<a href>` to `.csv`, `.xls`, `.xlsx`, `.html`, `.htm` over http(s),
//!   resolved against the page; each target once; other links (and links to
//!   the page itself, with any query) are counted, not fetched.
//! - Each file is streamed to a hidden temporary file in the target folder
//!   (`.<name>.part-<pid>-<n>`) with a running size check, its length checked
//!   against Content-Length, then moved to its final name without ever
//!   replacing an existing file. A failed download leaves no file behind.
//! - A file already fetched is asked for conditionally (If-None-Match,
//!   If-Modified-Since); a 304 or the same SHA-256 is "unchanged". New content
//!   under a known URL is kept beside the old file (`<name>` in a new release
//!   folder, else `<stem>.<sha256 prefix>.<ext>`), and the manifest keeps both.
//! - Only bulletins are stored: before a finished download is moved to its
//!   name it is recognised with ingest's own header recognition
//!   ([`cnexport_ingest::recognise_bulletin_file`]). Anything else (an
//!   HTML page without a bulletin table, a login or error page served with
//!   200, a PDF under any name, an empty body) is deleted and reported as
//!   skipped, with the reason, in [`FetchReport::skipped`] and the
//!   manifest's `skipped` records; a URL that served a bulletin before keeps
//!   its earlier file untouched. Skipped answers are not failures.
//! - Timeouts, retries with exponential backoff and full jitter (5xx,
//!   timeouts, connection errors, short bodies; never 4xx), a size cap and a
//!   limit on parallel downloads.

mod download;
mod links;
mod manifest;

pub use download::{human_bytes, BACKOFF_CAP};
pub use links::{decode_page, extract_links, is_bulletin_url, local_name, Links};
pub use manifest::{Manifest, ManifestEntry, SkipKind, SkippedEntry, MANIFEST_FILE};

use download::{Got, Limits, Validators};
use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;
use std::fs;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use url::Url;

/// What to fetch and how.
#[derive(Debug, Clone)]
pub struct FetchOptions {
    /// URL of the listing page (http or https).
    pub source: String,
    /// Landing folder: files go to `into/<release date>/<file name>`, the
    /// manifest to `into/manifest.json`.
    pub into: PathBuf,
    /// Connect timeout, and deadline of each request (headers and body).
    pub timeout: Duration,
    /// Further attempts after a 5xx, a timeout, a connection error or a body
    /// cut short; 4xx answers are never retried.
    pub retries: u32,
    /// Base of the exponential backoff between attempts (full jitter, capped
    /// at [`BACKOFF_CAP`]).
    pub backoff_base: Duration,
    /// Files larger than this fail (nothing is written for them); also caps
    /// the listing page.
    pub max_file_bytes: u64,
    /// Downloads at once (at least 1).
    pub parallel: usize,
    /// Show a progress bar on stderr.
    pub progress: bool,
    /// Name of the release folder; default today's date (UTC), `YYYY-MM-DD`.
    pub release_date: Option<String>,
}

impl FetchOptions {
    /// Defaults: timeout 30 s, 4 retries, backoff base 500 ms, size cap
    /// 200 MiB, 4 parallel downloads, no progress bar, today's date.
    pub fn new(source: impl Into<String>, into: impl Into<PathBuf>) -> Self {
        FetchOptions {
            source: source.into(),
            into: into.into(),
            timeout: Duration::from_secs(30),
            retries: 4,
            backoff_base: Duration::from_millis(500),
            max_file_bytes: 200 * 1024 * 1024,
            parallel: 4,
            progress: false,
            release_date: None,
        }
    }

    /// The release folder's name: the override, or today's date (UTC).
    pub fn release_folder(&self) -> String {
        self.release_date.clone().unwrap_or_else(today_utc)
    }
}

/// A file stored by this fetch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FetchedFile {
    pub url: String,
    /// Where it is: `into/<release date>/<name>`.
    pub path: PathBuf,
    pub size: u64,
    pub sha256: String,
}

/// A linked file whose answer was not a bulletin: nothing was stored for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SkippedFile {
    pub url: String,
    pub kind: SkipKind,
    /// What the answer was, in plain English ("a PDF document").
    pub reason: String,
    /// For [`SkipKind::ReplacedByNonBulletin`]: the URL's earlier file,
    /// kept untouched (`into/<release date>/<name>`).
    pub kept: Option<PathBuf>,
}

/// What a fetch did. Vectors follow the order of the links on the page.
#[derive(Debug, Clone, Default, Serialize)]
pub struct FetchReport {
    /// The listing page.
    pub source: String,
    /// The release folder files went to (`into/<release date>`).
    pub folder: PathBuf,
    /// Distinct links to bulletin file types on the page (each is fetched;
    /// what is not a bulletin then lands in `skipped`).
    pub listed: usize,
    /// URLs fetched for the first time.
    pub downloaded: Vec<FetchedFile>,
    /// Known URLs whose content has not changed (304, or the same SHA-256).
    pub unchanged: Vec<String>,
    /// New content under a known URL, stored beside the old file.
    pub changed: Vec<FetchedFile>,
    /// Answers that were not bulletins (not stored; not failures).
    pub skipped: Vec<SkippedFile>,
    /// URLs that could not be fetched, with the reason.
    pub failed: Vec<(String, String)>,
    /// Distinct links that are not bulletins (other file types, other
    /// schemes, anchors, the page itself).
    pub ignored_links: usize,
}

impl FetchReport {
    /// False when any file failed. Skipped answers (not bulletins) are
    /// not failures.
    pub fn is_success(&self) -> bool {
        self.failed.is_empty()
    }

    /// A readable summary, one fact per line, ending with a newline.
    pub fn summary(&self) -> String {
        use std::fmt::Write as _;
        let mut s = String::new();
        let bytes = |files: &[FetchedFile]| human_bytes(files.iter().map(|f| f.size).sum());
        let _ = writeln!(s, "fetch {} -> {}", self.source, self.folder.display());
        let _ = writeln!(
            s,
            "  listed      {} file links (.csv .xls .xlsx .html .htm; {} other links ignored)",
            self.listed, self.ignored_links
        );
        if self.downloaded.is_empty() {
            let _ = writeln!(s, "  downloaded  0");
        } else {
            let _ = writeln!(
                s,
                "  downloaded  {} ({})",
                self.downloaded.len(),
                bytes(&self.downloaded)
            );
        }
        for f in &self.downloaded {
            let _ = writeln!(s, "    {} ({})", f.path.display(), human_bytes(f.size));
        }
        if self.changed.is_empty() {
            let _ = writeln!(s, "  changed     0");
        } else {
            let _ = writeln!(
                s,
                "  changed     {} ({}, kept beside the earlier versions)",
                self.changed.len(),
                bytes(&self.changed)
            );
        }
        for f in &self.changed {
            let _ = writeln!(
                s,
                "    {} ({}) from {}",
                f.path.display(),
                human_bytes(f.size),
                f.url
            );
        }
        let _ = writeln!(s, "  unchanged   {}", self.unchanged.len());
        if self.skipped.is_empty() {
            let _ = writeln!(s, "  skipped     0");
        } else {
            let _ = writeln!(
                s,
                "  skipped     {} (not bulletins, nothing stored)",
                self.skipped.len()
            );
        }
        for f in &self.skipped {
            match &f.kept {
                Some(kept) => {
                    let _ = writeln!(
                        s,
                        "    {}: {}; it was a bulletin before, {} kept untouched",
                        f.url,
                        f.reason,
                        kept.display()
                    );
                }
                None if f.kind == SkipKind::ReplacedByNonBulletin => {
                    let _ = writeln!(s, "    {}: {}; it was a bulletin before", f.url, f.reason);
                }
                None => {
                    let _ = writeln!(s, "    {}: {}", f.url, f.reason);
                }
            }
        }
        let _ = writeln!(s, "  failed      {}", self.failed.len());
        for (url, reason) in &self.failed {
            let _ = writeln!(s, "    {url}: {reason}");
        }
        s
    }
}

/// Why a fetch could not run at all. Single files that fail are reported in
/// [`FetchReport::failed`] instead.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error("{0}")]
    Options(String),
    #[error("the source {url} is not an http(s) URL: {reason}")]
    BadSource { url: String, reason: String },
    #[error("cannot read the listing page {url}: {reason}")]
    Listing { url: String, reason: String },
    #[error(
        "the listing page {url} links no bulletin files (.csv, .xls, .xlsx, .html, .htm); \
         {ignored} other links ignored"
    )]
    NoBulletins { url: String, ignored: usize },
    #[error("landing folder {path}: {reason}")]
    Landing { path: PathBuf, reason: String },
    #[error("cannot set up the HTTP client: {0}")]
    Client(String),
}

/// Fetches the bulletins a listing page links (blocking; runs its own async
/// runtime, so call it outside one, or use [`fetch_async`] inside one).
pub fn fetch(opts: &FetchOptions) -> Result<FetchReport, FetchError> {
    if tokio::runtime::Handle::try_current().is_ok() {
        return Err(FetchError::Options(
            "fetch() was called inside an async runtime; use fetch_async there".into(),
        ));
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(opts.parallel.clamp(1, 4))
        .enable_all()
        .build()
        .map_err(|e| FetchError::Client(format!("cannot start the async runtime: {e}")))?;
    runtime.block_on(fetch_async(opts))
}

/// [`fetch`] for callers already inside a tokio runtime (with time and IO
/// drivers enabled).
pub async fn fetch_async(opts: &FetchOptions) -> Result<FetchReport, FetchError> {
    let release = opts.release_folder();
    check_folder_name(&release)?;
    let source = Url::parse(&opts.source).map_err(|e| FetchError::BadSource {
        url: opts.source.clone(),
        reason: e.to_string(),
    })?;
    if !matches!(source.scheme(), "http" | "https") {
        return Err(FetchError::BadSource {
            url: opts.source.clone(),
            reason: format!("scheme {}: is not supported", source.scheme()),
        });
    }
    let client = build_client(opts, &source)?;
    let limits = Limits {
        timeout: opts.timeout,
        retries: opts.retries,
        backoff_base: opts.backoff_base,
        max_bytes: opts.max_file_bytes,
    };

    let landing = |reason: String| FetchError::Landing {
        path: opts.into.clone(),
        reason,
    };
    fs::create_dir_all(&opts.into).map_err(|e| landing(format!("cannot create it: {e}")))?;
    let manifest = Manifest::load(&opts.into).map_err(landing)?;

    // The listing page.
    let page = match download::get(&client, &source, &Validators::default(), &limits, || {
        Ok(Vec::new())
    })
    .await
    {
        Ok(Got::Body(body)) => body,
        Ok(Got::NotModified) => unreachable!("no conditional request was sent"),
        Err(reason) => {
            return Err(FetchError::Listing {
                url: opts.source.clone(),
                reason,
            })
        }
    };
    let html = decode_page(&page.sink, page.content_type.as_deref());
    let links = extract_links(&html, &source);
    if links.bulletins.is_empty() {
        return Err(FetchError::NoBulletins {
            url: opts.source.clone(),
            ignored: links.ignored,
        });
    }

    // The release folder is made when the first download starts, and
    // removed again if nothing was stored in it.
    let folder = opts.into.join(&release);
    remove_stale_parts(&folder);

    let bar = if opts.progress {
        let bar = ProgressBar::new(links.bulletins.len() as u64);
        if let Ok(style) =
            ProgressStyle::with_template("fetch [{bar:30}] {pos}/{len} {elapsed} {wide_msg}")
        {
            bar.set_style(style.progress_chars("=> "));
        }
        bar
    } else {
        ProgressBar::hidden()
    };

    let shared = Arc::new(Shared {
        into: opts.into.clone(),
        folder: folder.clone(),
        release,
        client,
        limits,
        state: Mutex::new(manifest),
        bar: bar.clone(),
    });
    let permits = Arc::new(tokio::sync::Semaphore::new(opts.parallel.max(1)));
    let mut tasks = tokio::task::JoinSet::new();
    for (index, url) in links.bulletins.iter().cloned().enumerate() {
        let shared = Arc::clone(&shared);
        let permits = Arc::clone(&permits);
        tasks.spawn(async move {
            let _permit = permits.acquire_owned().await;
            let outcome = fetch_one(&shared, index, &url).await;
            shared.bar.inc(1);
            (index, url, outcome)
        });
    }
    let mut outcomes: Vec<Option<(Url, Outcome)>> = vec![None; links.bulletins.len()];
    while let Some(joined) = tasks.join_next().await {
        match joined {
            Ok((index, url, outcome)) => outcomes[index] = Some((url, outcome)),
            Err(e) => std::panic::resume_unwind(e.into_panic()),
        }
    }
    bar.finish_and_clear();
    let _ = fs::remove_dir(&folder); // only when empty

    let mut report = FetchReport {
        source: opts.source.clone(),
        folder,
        listed: links.bulletins.len(),
        ignored_links: links.ignored,
        ..FetchReport::default()
    };
    for (url, outcome) in outcomes.into_iter().flatten() {
        match outcome {
            Outcome::Downloaded(f) => report.downloaded.push(f),
            Outcome::Changed(f) => report.changed.push(f),
            Outcome::Unchanged => report.unchanged.push(url.to_string()),
            Outcome::Skipped(f) => report.skipped.push(f),
            Outcome::Failed(reason) => report.failed.push((url.to_string(), reason)),
        }
    }
    Ok(report)
}

struct Shared {
    into: PathBuf,
    folder: PathBuf,
    release: String,
    client: reqwest::Client,
    limits: Limits,
    /// The manifest; also serializes the placing of finished files.
    state: Mutex<Manifest>,
    bar: ProgressBar,
}

#[derive(Debug, Clone)]
enum Outcome {
    Downloaded(FetchedFile),
    Changed(FetchedFile),
    Unchanged,
    Skipped(SkippedFile),
    Failed(String),
}

async fn fetch_one(shared: &Shared, index: usize, url: &Url) -> Outcome {
    let name = local_name(url);
    shared.bar.set_message(name.clone());
    let known = shared
        .state
        .lock()
        .expect("manifest lock")
        .latest(url.as_str())
        .cloned();
    // Ask conditionally only while the earlier file is still there.
    let intact = known
        .as_ref()
        .filter(|e| fs::metadata(e.local_path(&shared.into)).is_ok_and(|m| m.len() == e.size));
    let cond = intact
        .map(|e| Validators {
            etag: e.etag.clone(),
            last_modified: e.last_modified.clone(),
        })
        .unwrap_or_default();

    if let Err(e) = fs::create_dir_all(&shared.folder) {
        return Outcome::Failed(format!(
            "cannot create the folder {}: {e}",
            shared.folder.display()
        ));
    }
    // Removed when dropped unless `place` moved it away; the process id in
    // the name lets `remove_stale_parts` clear what a killed run left.
    let part = match tempfile::Builder::new()
        .prefix(&format!(".{name}.part-{}-{index}-", std::process::id()))
        .tempfile_in(&shared.folder)
    {
        Ok(file) => file.into_temp_path(),
        Err(e) => {
            return Outcome::Failed(format!(
                "cannot create a file in {}: {e}",
                shared.folder.display()
            ))
        }
    };
    let got = download::get(&shared.client, url, &cond, &shared.limits, || {
        fs::File::create(&part).map(io::BufWriter::new)
    })
    .await;
    let body = match got {
        Ok(Got::NotModified) => {
            let mut manifest = shared.state.lock().expect("manifest lock");
            if manifest.clear_skip(url.as_str()) {
                if let Err(e) = manifest.save(&shared.into) {
                    return Outcome::Failed(e);
                }
            }
            return Outcome::Unchanged;
        }
        Ok(Got::Body(body)) => body,
        Err(reason) => return Outcome::Failed(reason),
    };
    if let Err(e) = body
        .sink
        .into_inner()
        .map_err(|e| e.into_error())
        .and_then(|f| f.sync_all())
    {
        return Outcome::Failed(format!("cannot write {}: {e}", part.display()));
    }

    let same = intact.is_some_and(|e| e.sha256 == body.sha256);
    if !same {
        // Only bulletins are stored: the same recognition as ingest's, on
        // the finished temporary file (off the async threads: a workbook is
        // read whole).
        let check = part.to_path_buf();
        let check_name = name.clone();
        let verdict = tokio::task::spawn_blocking(move || {
            cnexport_ingest::recognise_bulletin_file(&check, &check_name)
        })
        .await;
        let not_bulletin = match verdict {
            Ok(Ok(Ok(_format))) => None,
            Ok(Ok(Err(not))) => Some(not),
            Ok(Err(e)) => {
                return Outcome::Failed(format!("cannot read back {}: {e}", part.display()))
            }
            Err(e) => std::panic::resume_unwind(e.into_panic()),
        };
        if let Some(not) = not_bulletin {
            drop(part); // deletes the temporary file
            let kept = intact.map(|e| e.path.clone());
            let kind = if known.is_some() {
                SkipKind::ReplacedByNonBulletin
            } else {
                SkipKind::NotABulletin
            };
            let mut manifest = shared.state.lock().expect("manifest lock");
            manifest.record_skip(SkippedEntry {
                url: url.to_string(),
                kind,
                reason: not.reason.clone(),
                kept: kept.clone(),
                size: body.size,
                sha256: body.sha256,
                checked_at: now_rfc3339(),
            });
            if let Err(e) = manifest.save(&shared.into) {
                return Outcome::Failed(e);
            }
            return Outcome::Skipped(SkippedFile {
                url: url.to_string(),
                kind,
                reason: not.reason,
                kept: kept.map(|k| shared.into.join(k)),
            });
        }
    }

    let mut manifest = shared.state.lock().expect("manifest lock");
    let cleared = manifest.clear_skip(url.as_str());
    if same {
        // Same content. Remember new validators so the next fetch can ask
        // conditionally.
        let mut dirty = cleared;
        if let Some(entry) = manifest.latest_mut(url.as_str()) {
            if (body.validators.etag.is_some() || body.validators.last_modified.is_some())
                && (entry.etag != body.validators.etag
                    || entry.last_modified != body.validators.last_modified)
            {
                entry.etag = body.validators.etag.clone();
                entry.last_modified = body.validators.last_modified.clone();
                dirty = true;
            }
        }
        if dirty {
            if let Err(e) = manifest.save(&shared.into) {
                return Outcome::Failed(e);
            }
        }
        return Outcome::Unchanged;
    }

    let stored = match place(&part, &shared.folder, &name, &body.sha256) {
        Ok(stored) => stored,
        Err(e) => return Outcome::Failed(format!("cannot store the file as {name}: {e}")),
    };
    let file = FetchedFile {
        url: url.to_string(),
        path: shared.folder.join(&stored),
        size: body.size,
        sha256: body.sha256.clone(),
    };
    manifest.files.push(ManifestEntry {
        url: url.to_string(),
        path: format!("{}/{stored}", shared.release),
        size: body.size,
        sha256: body.sha256,
        etag: body.validators.etag,
        last_modified: body.validators.last_modified,
        fetched_at: now_rfc3339(),
    });
    if let Err(e) = manifest.save(&shared.into) {
        return Outcome::Failed(e);
    }
    if known.is_some_and(|k| k.sha256 != file.sha256) {
        Outcome::Changed(file)
    } else {
        Outcome::Downloaded(file)
    }
}

/// Moves a finished download to `folder/name`, or when that name holds other
/// content to `folder/<stem>.<sha256 prefix>.<ext>`; never replaces a file.
/// A name that already holds the same content is reused. Returns the name.
fn place(part: &Path, folder: &Path, name: &str, sha256: &str) -> io::Result<String> {
    let (stem, ext) = match name.rfind('.') {
        Some(i) => (&name[..i], &name[i..]),
        None => (name, ""),
    };
    let candidates = [
        name.to_string(),
        format!("{stem}.{}{ext}", &sha256[..12]),
        format!("{stem}.{sha256}{ext}"),
    ];
    for candidate in candidates {
        let target = folder.join(&candidate);
        match move_no_clobber(part, &target) {
            Ok(()) => return Ok(candidate),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                if file_sha256(&target).is_ok_and(|s| s == sha256) {
                    let _ = fs::remove_file(part);
                    return Ok(candidate);
                }
            }
            Err(e) => return Err(e),
        }
    }
    Err(io::Error::new(
        io::ErrorKind::AlreadyExists,
        "every candidate name holds other content",
    ))
}

/// Renames `from` to `to` unless `to` exists (a hard link fails rather than
/// replace; where links are not supported, check then rename).
fn move_no_clobber(from: &Path, to: &Path) -> io::Result<()> {
    match fs::hard_link(from, to) {
        Ok(()) => {
            let _ = fs::remove_file(from);
            Ok(())
        }
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Err(e),
        Err(_) => {
            if fs::symlink_metadata(to).is_ok() {
                return Err(io::Error::new(io::ErrorKind::AlreadyExists, "exists"));
            }
            fs::rename(from, to)
        }
    }
}

fn file_sha256(path: &Path) -> io::Result<String> {
    use sha2::{Digest, Sha256};
    let mut file = fs::File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hex::encode(hasher.finalize()))
}

/// Removes temporary downloads that a killed run left behind (of processes
/// that no longer exist, where that can be told).
fn remove_stale_parts(folder: &Path) {
    let Ok(entries) = fs::read_dir(folder) else {
        return;
    };
    let me = std::process::id();
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if !name.starts_with('.') {
            continue;
        }
        let Some(at) = name.rfind(".part-") else {
            continue;
        };
        let pid: Option<u32> = name[at + 6..]
            .split('-')
            .next()
            .and_then(|p| p.parse().ok());
        let Some(pid) = pid else { continue };
        if pid != me && !process_alive(pid) {
            let _ = fs::remove_file(entry.path());
        }
    }
}

fn process_alive(pid: u32) -> bool {
    if cfg!(target_os = "linux") {
        Path::new(&format!("/proc/{pid}")).exists()
    } else {
        true
    }
}

fn build_client(opts: &FetchOptions, source: &Url) -> Result<reqwest::Client, FetchError> {
    // reqwest is built without a bundled crypto provider; use ring's.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let mut builder = reqwest::Client::builder()
        .user_agent(concat!("cnexport-fetch/", env!("CARGO_PKG_VERSION")))
        .connect_timeout(opts.timeout)
        .read_timeout(opts.timeout)
        .timeout(opts.timeout);
    if is_loopback(source) {
        // A local test server is never reached through a proxy.
        builder = builder.no_proxy();
    }
    builder
        .build()
        .map_err(|e| FetchError::Client(e.to_string()))
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// A release folder name must be one plain path component.
fn check_folder_name(name: &str) -> Result<(), FetchError> {
    let bad = name.is_empty()
        || name == "."
        || name == ".."
        || name.starts_with('.')
        || name.contains(['/', '\\'])
        || name.chars().any(char::is_control);
    if bad {
        return Err(FetchError::Options(format!(
            "release date {name:?}: must be a plain folder name such as 2025-07-20"
        )));
    }
    Ok(())
}

/// Today's date in UTC, `YYYY-MM-DD`.
pub fn today_utc() -> String {
    cnexport_core::time::today_utc()
}

fn now_rfc3339() -> String {
    cnexport_core::time::rfc3339(cnexport_core::time::unix_now())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn release_folder_names_are_checked() {
        assert!(check_folder_name("2025-07-20").is_ok());
        for bad in ["", ".", "..", "a/b", "a\\b", ".hidden"] {
            assert!(check_folder_name(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn placing_never_overwrites() {
        let dir = tempfile::tempdir().unwrap();
        let write = |name: &str, content: &str| {
            let p = dir.path().join(name);
            fs::write(&p, content).unwrap();
            p
        };
        let sha = |s: &str| {
            use sha2::{Digest, Sha256};
            hex::encode(Sha256::digest(s.as_bytes()))
        };
        let part = write(".a.csv.part-1", "one");
        assert_eq!(
            place(&part, dir.path(), "a.csv", &sha("one")).unwrap(),
            "a.csv"
        );
        let part = write(".a.csv.part-2", "two");
        let second = place(&part, dir.path(), "a.csv", &sha("two")).unwrap();
        assert_eq!(second, format!("a.{}.csv", &sha("two")[..12]));
        let part = write(".a.csv.part-3", "one");
        assert_eq!(
            place(&part, dir.path(), "a.csv", &sha("one")).unwrap(),
            "a.csv"
        );
        assert_eq!(fs::read_to_string(dir.path().join("a.csv")).unwrap(), "one");
        assert_eq!(fs::read_to_string(dir.path().join(second)).unwrap(), "two");
        let names: Vec<_> = fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(names.len(), 2, "temporary files are gone");
    }

    #[test]
    fn stale_parts_of_dead_processes_are_removed() {
        let dir = tempfile::tempdir().unwrap();
        // PIDs above the kernel's maximum (4194304) never exist.
        let stale = dir.path().join(".a.csv.part-4999999-0");
        let mine = dir
            .path()
            .join(format!(".b.csv.part-{}-1", std::process::id()));
        fs::write(&stale, "x").unwrap();
        fs::write(&mine, "x").unwrap();
        remove_stale_parts(dir.path());
        assert_eq!(stale.exists(), !cfg!(target_os = "linux"));
        assert!(mine.exists());
    }
}
