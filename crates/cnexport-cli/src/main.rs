//! `cnexport`: China customs export statistics, from bulletin files to a
//! queryable database and API. This binary only wires the stage crates
//! together and decides exit codes.

mod build;
mod coverage;

use anyhow::{Context, Result};
use build::run_build;
use clap::{Parser, Subcommand};
use cnexport_pipeline::{BuildOptions, Pipeline};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// mimalloc, giving freed memory back at once (see the cnexport-alloc crate
/// and docs/decisions.md, "Memory").
#[global_allocator]
static GLOBAL: cnexport_alloc::MiMalloc = cnexport_alloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "cnexport",
    version,
    about = "Turn China customs export bulletins into a queryable SQLite database and API",
    long_about = "cnexport reads the export bulletins downloaded from the customs statistics platform \
(stats.customs.gov.cn: CSV, Excel or saved HTML, Chinese or English headers), checks and merges them \
(later releases replace earlier ones, bad rows are quarantined and reported), computes the metrics, \
and writes one SQLite database that `cnexport query` answers from.\n\n\
Quick start:\n  cnexport run pipelines/sample.toml\n  cnexport query --db out/sample.db '/skill/trend?hsCode=85171200&countryCode=502'"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Ingest every bulletin under a folder and write the database atomically.
    ///
    /// Files are read recursively; their release order is the sort order of their paths
    /// (so a layout of raw/<release date>/... works): when the same month, product and
    /// country appear in two files, the later one wins. If any file cannot be read the
    /// command names it, exits 1 and leaves the database as it was.
    Build {
        /// Folder holding the bulletins (.csv, .xlsx, .xls, .html), searched recursively.
        #[arg(long)]
        input: PathBuf,
        /// SQLite database to write (replaced in one step when the build succeeds).
        #[arg(long)]
        db: PathBuf,
        /// Where to write the JSON build report [default: <db>.report.json].
        #[arg(long)]
        report: Option<PathBuf>,
        /// Staging folder for parsed files, so unchanged files are not parsed again
        /// [default: .cnexport-stage beside the database].
        #[arg(long)]
        stage: Option<PathBuf>,
        /// Currency of the build: files in another currency are rejected.
        #[arg(long, default_value = "CNY", value_parser = ["CNY", "USD"])]
        currency: String,
        /// Update the existing database instead of writing a new one, when it was built
        /// by this cnexport version from the first files of this build (the monthly case:
        /// new release files added). Only the rows that can have changed are written,
        /// into a checked copy swapped in atomically; the tables hold the same rows as a
        /// full build, but the file is not byte-identical to one. Otherwise (and without
        /// this flag) a new database is written, byte-identical for the same inputs.
        #[arg(long)]
        incremental: bool,
        /// When another build of the same database is running, fail at once naming its
        /// process instead of waiting for it (builds of one database take turns through a
        /// lock file, .<db name>.lock, beside it).
        #[arg(long)]
        no_wait: bool,
    },
    /// Download the bulletin files a listing page links into a landing folder.
    ///
    /// Files go to INTO/<release date>/ with a manifest (INTO/manifest.json: URL, ETag,
    /// Last-Modified, size, sha256, time). A file fetched before is asked for again only
    /// conditionally and not downloaded if unchanged; new content under a known URL is
    /// kept beside the old file, never written over. Downloads go to a temporary name and
    /// are renamed only when complete. Only bulletins are stored: a linked file that
    /// ingest does not recognise as one (an HTML page without a bulletin table, a
    /// login or error page, a PDF, an empty body) is deleted and listed as skipped with
    /// the reason, which is not an error. Exits 1, naming each URL and the reason, when
    /// something could not be fetched; what was fetched stays.
    Fetch {
        /// URL of the listing page.
        #[arg(long)]
        source: String,
        /// Landing folder (then `cnexport build --input INTO`).
        #[arg(long)]
        into: PathBuf,
        /// Seconds per request.
        #[arg(long, default_value_t = 30)]
        timeout_secs: u64,
        /// Retries on 5xx, timeouts and broken transfers (never on 4xx).
        #[arg(long, default_value_t = 4)]
        retries: u32,
        /// Parallel downloads.
        #[arg(long, default_value_t = 4)]
        parallel: usize,
        /// Largest file accepted, in MiB.
        #[arg(long, default_value_t = 200)]
        max_file_mb: u64,
    },
    /// Run a pipeline file (see pipelines/*.toml): fetch if it says so, then build.
    Run {
        /// The pipeline TOML file; relative paths in it are taken from its folder.
        pipeline: PathBuf,
        /// Use this listing page instead of the pipeline's fetch.source.
        #[arg(long)]
        source: Option<String>,
        /// Use this landing folder (fetch.into and build.input) instead of the pipeline's.
        #[arg(long)]
        into: Option<PathBuf>,
        /// Write this database instead of the pipeline's build.db.
        #[arg(long)]
        db: Option<PathBuf>,
        /// When another build of the same database is running, fail at once instead of
        /// waiting for it.
        #[arg(long)]
        no_wait: bool,
    },
    /// Serve the API over HTTP.
    ///
    /// Endpoints: the /skill/ endpoints (dashboard, markets, trend, topProducts, history,
    /// search, meta, contributions, countries, series, growth: the same answers as
    /// `cnexport query`), /healthz, /openapi.json, and the web page at /.
    /// When a build replaces the database file the server switches to it without a
    /// restart (it checks the file twice a second; SIGHUP switches at once). SIGTERM or
    /// Ctrl-C: stop accepting, finish requests in flight, write every access-log row, exit.
    /// Events (database switches, access-log write failures) go to stderr; RUST_LOG
    /// filters them (RUST_LOG=cnexport_serve=warn hides the switches).
    Serve {
        /// The database written by `cnexport build`.
        #[arg(long)]
        db: PathBuf,
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:8080")]
        addr: String,
        /// SQLite file of the access log (table hs_skill_access_log); kept across rebuilds.
        /// `-` writes each record as one JSON line to standard output instead (the table's
        /// columns as fields: id, ip, path, par, create_time, status, latency_ms), for
        /// replicas that ship their logs; logs stay on stderr.
        #[arg(long, value_name = "FILE|-")]
        access_log: Option<PathBuf>,
        /// Store client IPs anonymised (IPv4 last octet, IPv6 last 80 bits zeroed).
        #[arg(long)]
        anonymize_ip: bool,
        /// Seconds before a request is cut off with 408.
        #[arg(long, default_value_t = 10)]
        request_timeout: u64,
        /// Requests per second allowed per client IP (bursts of twice that); over it: 429.
        #[arg(long)]
        rate_limit: Option<u32>,
        /// MiB of answers kept in memory per database build (answers of a build never change;
        /// a new build starts a new cache). 0 turns the cache off.
        #[arg(long, default_value_t = 64)]
        cache_mb: usize,
        /// Milliseconds between checks of the database file for a new build (SIGHUP checks at once).
        #[arg(long, default_value_t = 500)]
        watch_interval_ms: u64,
        /// Also serve the MCP tools of `cnexport mcp` over Streamable HTTP at /mcp, with the
        /// same answers, access log, rate limit and timeout (Host headers: localhost,
        /// 127.0.0.1, ::1 and the --addr host).
        #[arg(long)]
        mcp: bool,
    },
    /// Answer one API request from a database.
    ///
    /// On a terminal it prints a readable table; with --json, or when the output is piped
    /// or redirected, it prints exactly the JSON body the server sends. Exit status 0
    /// when the answer's code is 200, 2 otherwise. Endpoints: /skill/dashboard, markets,
    /// trend, topProducts, history, search, meta, contributions, countries, series, growth.
    Query {
        /// The database written by `cnexport build`.
        #[arg(long)]
        db: PathBuf,
        /// Print the JSON body even on a terminal.
        #[arg(long)]
        json: bool,
        /// The request, e.g. '/skill/history?hsCode=12019020&countryCode=502'.
        target: String,
    },
    /// Write one API answer as a file, or every table as a bulk snapshot (--all).
    ///
    /// One answer: csv is UTF-8 with a BOM (Excel shows the Chinese), one row per entry;
    /// xlsx has a bold frozen header and number formats; json is the body as the API
    /// sends it.
    ///
    /// Bulk snapshot (--all --format parquet|csv --out DIR): every table of the database
    /// (monthly_facts, hs_base_metrics, hs_count_month, countries, products, ...) as
    /// DIR/<table>.parquet or DIR/<table>.csv in primary-key order, and DIR/manifest.json
    /// with the build's input_digest and data_latest_month and, per table, the row count,
    /// columns, byte size and sha256 of the file. Summing the files gives the API's
    /// numbers. The same database gives byte-identical files. The folder appears only
    /// when complete; an earlier snapshot there is replaced, any other non-empty folder
    /// is refused. Parquet: INTEGER -> INT64, REAL -> DOUBLE, TEXT -> UTF-8 string,
    /// nullable columns OPTIONAL, Snappy. CSV: UTF-8 (no BOM unless --bom), CRLF,
    /// RFC 4180 quoting, NULL as an empty field, reals in shortest round-trip form.
    #[command(after_help = "Examples:\n  \
cnexport export --db out/sample.db --out markets.csv '/skill/markets?hsCode=85171300'\n  \
cnexport export --db out/sample.db --all --format parquet --out out/snapshot",
        group(clap::ArgGroup::new("what").required(true).args(["all", "target"])))]
    Export {
        /// The database written by `cnexport build`.
        #[arg(long)]
        db: PathBuf,
        /// Write every table of the database into the folder --out (a bulk snapshot)
        /// instead of one answer; needs --format parquet or csv.
        #[arg(long, requires = "format")]
        all: bool,
        /// File format: csv, xlsx or json for one answer [default: from the extension of
        /// --out]; parquet or csv for --all.
        #[arg(long, value_parser = ["csv", "xlsx", "json", "parquet"])]
        format: Option<String>,
        /// Start each CSV file of a snapshot with a UTF-8 byte-order mark (for Excel).
        #[arg(long, requires = "all")]
        bom: bool,
        /// The file to write; with --all, the snapshot folder.
        #[arg(long)]
        out: PathBuf,
        /// The request, e.g. '/skill/markets?hsCode=85171300' (not with --all).
        target: Option<String>,
    },
    /// Draw a chart of one API answer as PNG or SVG.
    ///
    /// trend (12 months) and history (24 months) as amounts by month; dashboard as bars of
    /// region and trade-bloc shares; priceband as each destination's unit price against the
    /// median and its 0.8x-1.2x band; seasonality as the 12 months' shares with the peak
    /// months marked; chapter as its headings' shares with the product's heading marked.
    /// SVG keeps Chinese names; PNG labels are in English.
    Plot {
        /// The database written by `cnexport build`.
        #[arg(long)]
        db: PathBuf,
        /// The image to write; .png or .svg.
        #[arg(long)]
        out: PathBuf,
        /// The request, e.g. '/skill/trend?hsCode=85171300&countryCode=502'.
        target: String,
    },
    /// Serve the API to an AI assistant as a Model Context Protocol server over stdio.
    ///
    /// One tool per endpoint (dashboard, markets, growth, priceband, chapter, seasonality,
    /// trend, history, series, topProducts, contributions, search, countries, meta) with the
    /// endpoint's parameters as its input schema; a result's structured content is the
    /// answer's data, a bad argument is a tool error with the API's message. The client starts
    /// it: e.g. {"command": "cnexport", "args": ["mcp", "--db", "out/sample.db"]}. Only
    /// protocol messages go to stdout; logs go to stderr.
    Mcp {
        /// The database written by `cnexport build` (opened read-only).
        #[arg(long)]
        db: PathBuf,
    },
    /// Show what a database covers, month x HS chapter, and flag what looks like a hole.
    ///
    /// Per month: facts, value (yuan), chapters with facts and the source files holding
    /// them; then the flags, each explained: missing_month (a month between the first and
    /// the latest with no facts at all), chapter_gap (a chapter with no facts in a month
    /// between months that have it, with at least 5 facts a month around the gap),
    /// uncovered_codes (a code range between two downloads' ranges that no download of
    /// the month covers, though it had exports a year earlier: a missed download),
    /// cut_off_file (a file of exactly 10,000 rows, the platform's cap: rows were cut off)
    /// with the queries that would fit under the cap, sized from the same months a year
    /// earlier. --json prints the whole grid (every month x chapter cell) as
    /// /skill/coverage answers it.
    ///
    /// Exit status: 0 when nothing is flagged, 1 when something is (for a monthly cron job
    /// to alert on), 2 on an error (no database, a bad option).
    #[command(after_help = "Examples:\n  \
cnexport coverage --db out/sample.db\n  \
cnexport coverage --db out/sample.db --chapter 85 --from 202401 --json")]
    Coverage {
        /// The database written by `cnexport build`.
        #[arg(long)]
        db: PathBuf,
        /// Print the JSON of /skill/coverage's data (the full grid) instead of the table.
        #[arg(long)]
        json: bool,
        /// Only this 2-digit HS chapter (its cells and flags; the rules still look at the
        /// months around).
        #[arg(long)]
        chapter: Option<String>,
        /// First month shown, YYYYMM [default: the data's first].
        #[arg(long)]
        from: Option<String>,
        /// Last month shown, YYYYMM [default: the data's latest].
        #[arg(long)]
        to: Option<String>,
    },
    /// Print the platform queries that download a year in files under the 10,000-row cap.
    ///
    /// The queries (year, months, 8-digit code range, partners, grouped by commodity and
    /// trading partner, 分月展示 ticked) cover the chosen codes with no gap and no overlap
    /// (codes not seen a year earlier included), each expected to give at most --max-rows
    /// rows. Expected rows are the facts the same query gave a year earlier, counted in
    /// --db. The planner starts from the whole year per contiguous code range and splits
    /// by code range (codes packed in order), then a code alone by month ranges, then a
    /// code-month alone by partner groups. Without --db (or without data a year earlier)
    /// the sizes are a stated guess: 50 rows per 4-digit heading slot a month.
    ///
    /// Exit status: 0, or 2 on an error.
    #[command(after_help = "Examples:\n  \
cnexport plan --year 2025 --db out/national.db\n  \
cnexport plan --year 2025 --codes 85,8471 --db out/national.db --format json")]
    Plan {
        /// The year to download.
        #[arg(long)]
        year: u32,
        /// Code prefixes of 2, 4, 6 or 8 digits, comma-separated [default: every chapter
        /// of --db, or 01-98 without one].
        #[arg(long, value_delimiter = ',')]
        codes: Vec<String>,
        /// The database to size the queries from (its facts of the year before).
        #[arg(long)]
        db: Option<PathBuf>,
        /// Most rows a query is expected to give (the platform cuts a download at 10,000).
        #[arg(long, default_value_t = 9000)]
        max_rows: u64,
        /// table (readable), csv or json (for a download helper).
        #[arg(long, default_value = "table", value_parser = ["table", "csv", "json"])]
        format: String,
    },
}

fn main() -> ExitCode {
    cnexport_alloc::return_freed_memory_promptly();
    let cli = Cli::parse();
    // Logs go to stderr, filtered by RUST_LOG (e.g. RUST_LOG=info or
    // RUST_LOG=cnexport_serve=warn). By default only warnings, plus the
    // server's own events (database switches), which scripts watch for.
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn,cnexport_serve=info")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {}", error_sentence(&e));
            ExitCode::from(1)
        }
    }
}

/// An error and its causes as one line, each cause once: a cause whose
/// text the line already holds (an error that prints its source, a
/// wrapper around an SQLite error that prints the same words) is not
/// repeated.
fn error_sentence(e: &anyhow::Error) -> String {
    let mut line = String::new();
    for cause in e.chain() {
        let text = cause.to_string();
        let text = text.trim();
        if text.is_empty() || line.contains(text) {
            continue;
        }
        if !line.is_empty() {
            line.push_str(": ");
        }
        line.push_str(text);
    }
    line
}

fn run(cli: Cli) -> Result<ExitCode> {
    match cli.command {
        Command::Build {
            input,
            db,
            report,
            stage,
            currency,
            incremental,
            no_wait,
        } => {
            let mut opts = BuildOptions::new(input, db);
            opts.stage = stage;
            opts.currency = parse_currency(&currency);
            opts.incremental = incremental;
            opts.wait_for_lock = !no_wait;
            run_build(&opts, report.as_deref())
        }
        Command::Fetch {
            source,
            into,
            timeout_secs,
            retries,
            parallel,
            max_file_mb,
        } => {
            let mut opts = cnexport_fetch::FetchOptions::new(source, into);
            opts.timeout = std::time::Duration::from_secs(timeout_secs.max(1));
            opts.retries = retries;
            opts.parallel = parallel.max(1);
            opts.max_file_bytes = max_file_mb.saturating_mul(1024 * 1024);
            Ok(if run_fetch(&opts)? {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
        Command::Run {
            pipeline,
            source,
            into,
            db,
            no_wait,
        } => {
            let mut p = Pipeline::load(&pipeline)?;
            if let Some(name) = &p.name {
                eprintln!("pipeline {name} ({})", pipeline.display());
            }
            if let Some(into) = into {
                if let Some(f) = p.fetch.as_mut() {
                    f.into = into.clone();
                }
                p.build.input = into;
            }
            if let Some(db) = db {
                // The report goes beside a database given on the command line.
                if p.build.report.is_some() {
                    p.build.report = Some(PathBuf::from(format!("{}.report.json", db.display())));
                }
                p.build.db = db;
            }
            let mut fetched_ok = true;
            match (&p.fetch, source) {
                (Some(f), source) => {
                    let mut opts = cnexport_fetch::FetchOptions::new(
                        source.unwrap_or_else(|| f.source.clone()),
                        f.into.clone(),
                    );
                    if let Some(t) = f.timeout_secs {
                        opts.timeout = std::time::Duration::from_secs(t.max(1));
                    }
                    if let Some(r) = f.retries {
                        opts.retries = r;
                    }
                    if let Some(n) = f.parallel {
                        opts.parallel = n.max(1);
                    }
                    if let Some(mb) = f.max_file_mb {
                        opts.max_file_bytes = mb.saturating_mul(1024 * 1024);
                    }
                    // A failed fetch does not stop the build: what is in the landing
                    // folder is built, and the run exits 1 to say what was missed.
                    fetched_ok = match run_fetch(&opts) {
                        Ok(ok) => ok,
                        Err(e) => {
                            eprintln!("error: {}", error_sentence(&e));
                            false
                        }
                    };
                }
                (None, Some(_)) => {
                    anyhow::bail!("--source: {} has no [fetch] section", pipeline.display())
                }
                (None, None) => {}
            }
            let mut opts = BuildOptions::new(p.build.input, p.build.db);
            opts.stage = p.build.stage;
            opts.currency = parse_currency(p.build.currency.as_deref().unwrap_or("CNY"));
            opts.incremental = p.build.incremental.unwrap_or(false);
            opts.wait_for_lock = !no_wait;
            if let Some(t) = p.metrics.as_ref().and_then(|m| m.low_base_threshold) {
                opts.low_base_threshold = t;
            }
            let built = run_build(&opts, p.build.report.as_deref())?;
            Ok(if fetched_ok { built } else { ExitCode::from(1) })
        }
        Command::Serve {
            db,
            addr,
            access_log,
            anonymize_ip,
            request_timeout,
            watch_interval_ms,
            rate_limit,
            cache_mb,
            mcp,
        } => {
            if !db.is_file() {
                anyhow::bail!(
                    "--db {}: no such database; build one first with `cnexport build --input DIR --db FILE`",
                    db.display()
                );
            }
            let mut opts = cnexport_serve::ServeOptions::new(db);
            opts.access_log = access_log;
            opts.anonymize_ip = anonymize_ip;
            opts.request_timeout = std::time::Duration::from_secs(request_timeout.max(1));
            opts.reload_poll = std::time::Duration::from_millis(watch_interval_ms.max(10));
            opts.rate_limit = rate_limit;
            opts.cache_bytes = cache_mb.saturating_mul(1 << 20);
            if mcp {
                let mut hosts: Vec<String> =
                    ["localhost", "127.0.0.1", "::1"].map(String::from).to_vec();
                if let Some((host, _port)) = addr.rsplit_once(':') {
                    let host = host.trim_start_matches('[').trim_end_matches(']');
                    if !host.is_empty() && !hosts.iter().any(|h| h == host) {
                        hosts.push(host.to_string());
                    }
                }
                opts.mcp_hosts = Some(hosts);
            }
            let runtime =
                tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
            let stats = runtime.block_on(async move {
                let listener = tokio::net::TcpListener::bind(&addr)
                    .await
                    .with_context(|| format!("--addr {addr}: cannot listen there"))?;
                eprintln!(
                    "cnexport serve: listening on http://{}",
                    listener.local_addr()?
                );
                anyhow::Ok(
                    cnexport_serve::serve(opts, listener, cnexport_serve::shutdown_signal())
                        .await?,
                )
            })?;
            eprintln!(
                "cnexport serve: stopped; {} access-log rows written, {} lost, {} database switches",
                stats.log.written, stats.log.failed, stats.reloads
            );
            Ok(if stats.log.failed == 0 {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
        Command::Query { db, json, target } => {
            let conn = open_read_only(&db)?;
            let response = cnexport_api::answer(&conn, &target);
            let text = if !json && std::io::IsTerminal::is_terminal(&std::io::stdout()) {
                cnexport_report::render_table(&target, &response.body)
            } else {
                format!("{}\n", response.body_string())
            };
            // A reader that stops early (`| head`) is not an error.
            use std::io::Write;
            let mut out = std::io::stdout().lock();
            if let Err(e) = out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
                if e.kind() != std::io::ErrorKind::BrokenPipe {
                    return Err(e.into());
                }
            }
            Ok(if response.status == 200 {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(2)
            })
        }
        Command::Export {
            db,
            all,
            format,
            bom,
            out,
            target,
        } => {
            if all {
                return run_snapshot(&db, &out, format.as_deref(), bom);
            }
            let Some(target) = target else {
                usage_error("give the request to export, e.g. '/skill/markets?hsCode=85171300', or --all for every table");
            };
            if format.as_deref() == Some("parquet") {
                usage_error("--format parquet writes a bulk snapshot of every table: add --all and give a folder as --out");
            }
            let format = match format.as_deref() {
                Some(f) => f.parse::<cnexport_report::ExportFormat>()?,
                None => cnexport_report::ExportFormat::from_path(&out).ok_or_else(|| {
                    anyhow::anyhow!("--out {}: give --format csv|xlsx|json, or a file ending in .csv, .xlsx or .json", out.display())
                })?,
            };
            let conn = open_read_only(&db)?;
            let response = cnexport_api::answer(&conn, &target);
            if response.status != 200 {
                eprintln!("{}", response.body_string());
                return Ok(ExitCode::from(2));
            }
            cnexport_report::export_answer(&target, &response.body, format, &out)?;
            eprintln!("wrote {}", out.display());
            Ok(ExitCode::SUCCESS)
        }
        Command::Coverage {
            db,
            json,
            chapter,
            from,
            to,
        } => Ok(coverage::run_coverage(
            &db,
            json,
            chapter.as_deref(),
            from.as_deref(),
            to.as_deref(),
        )),
        Command::Plan {
            year,
            codes,
            db,
            max_rows,
            format,
        } => Ok(coverage::run_plan(
            year,
            &codes,
            db.as_deref(),
            max_rows,
            &format,
        )),
        Command::Mcp { db } => {
            let runtime =
                tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
            runtime
                .block_on(cnexport_mcp::serve_stdio(&db))
                .map_err(|e| anyhow::anyhow!(e))?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Plot { db, out, target } => {
            let format = cnexport_report::ChartFormat::from_path(&out).ok_or_else(|| {
                anyhow::anyhow!("--out {}: the file must end in .png or .svg", out.display())
            })?;
            let conn = open_read_only(&db)?;
            let response = cnexport_api::answer(&conn, &target);
            if response.status != 200 {
                eprintln!("{}", response.body_string());
                return Ok(ExitCode::from(2));
            }
            cnexport_report::plot_answer(&target, &response.body, format, &out)?;
            eprintln!("wrote {}", out.display());
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Exits with a clap usage error (status 2) for options that do not go together.
fn usage_error(message: &str) -> ! {
    use clap::CommandFactory;
    Cli::command()
        .error(clap::error::ErrorKind::ArgumentConflict, message)
        .exit()
}

/// `cnexport export --all`: a bulk snapshot with a progress bar on a terminal.
fn run_snapshot(db: &Path, out: &Path, format: Option<&str>, bom: bool) -> Result<ExitCode> {
    let format = match format {
        Some("parquet") => cnexport_snapshot::SnapshotFormat::Parquet,
        Some("csv") => cnexport_snapshot::SnapshotFormat::Csv,
        Some(other) => usage_error(&format!(
            "--all writes parquet or csv files, not {other}: use --format parquet or --format csv"
        )),
        None => usage_error("--all needs --format parquet or --format csv"),
    };
    if bom && format != cnexport_snapshot::SnapshotFormat::Csv {
        usage_error("--bom is for CSV files: use it with --format csv");
    }
    if !db.is_file() {
        anyhow::bail!("--db {}: no such database; build one first with `cnexport build --input DIR --db FILE`", db.display());
    }
    let mut options = cnexport_snapshot::SnapshotOptions::new(format);
    options.csv_bom = bom;
    options.views = snapshot_views();
    let bar = if std::io::IsTerminal::is_terminal(&std::io::stderr()) {
        let bar = indicatif::ProgressBar::new(0);
        if let Ok(style) = indicatif::ProgressStyle::with_template(
            "{msg:>16} [{bar:30}] {human_pos}/{human_len} rows ({elapsed})",
        ) {
            bar.set_style(style.progress_chars("=> "));
        }
        bar
    } else {
        indicatif::ProgressBar::hidden()
    };
    let started = std::time::Instant::now();
    let manifest = cnexport_snapshot::export_all_with(db, out, &options, &mut |p| {
        bar.set_length(p.rows_total);
        bar.set_position(p.rows_done);
        if bar.message() != p.table {
            bar.set_message(p.table.to_string());
        }
    });
    bar.finish_and_clear();
    let manifest = manifest?;
    eprintln!(
        "wrote {} tables, {} rows, {} bytes of {format} to {} in {:.1}s (manifest.json: row counts and sha256)",
        manifest.tables.len(),
        manifest.total_rows(),
        manifest.total_bytes(),
        out.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(ExitCode::SUCCESS)
}

/// Runs a fetch and prints its summary; true when everything was fetched.
fn run_fetch(opts: &cnexport_fetch::FetchOptions) -> Result<bool> {
    let mut opts = opts.clone();
    opts.progress = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let report = cnexport_fetch::fetch(&opts)?;
    eprint!("{}", report.summary());
    if !report.is_success() {
        for (url, reason) in &report.failed {
            eprintln!("error: {url}: {reason}");
        }
    }
    Ok(report.is_success())
}

fn parse_currency(s: &str) -> cnexport_core::Currency {
    if s == "USD" {
        cnexport_core::Currency::Usd
    } else {
        cnexport_core::Currency::Cny
    }
}

fn open_read_only(db: &Path) -> Result<rusqlite::Connection> {
    if !db.is_file() {
        anyhow::bail!("--db {}: no such database; build one first with `cnexport build --input DIR --db FILE`", db.display());
    }
    rusqlite::Connection::open_with_flags(
        db,
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .with_context(|| format!("cannot open the database {}", db.display()))
}

/// The database's views as the snapshot carries them: each as the table it
/// stands for, in place of its storage tables.
fn snapshot_views() -> Vec<cnexport_snapshot::ViewSchema> {
    cnexport_load::views()
        .into_iter()
        .map(|v| cnexport_snapshot::ViewSchema {
            name: v.name.to_string(),
            columns: v
                .columns
                .iter()
                .map(|c| cnexport_snapshot::ViewColumn {
                    name: c.name.to_string(),
                    sql_type: c.sql_type.sql().to_string(),
                    nullable: !c.not_null,
                })
                .collect(),
            key: v.key.iter().map(|k| k.to_string()).collect(),
            storage: v.storage.iter().map(|s| s.to_string()).collect(),
        })
        .collect()
}
