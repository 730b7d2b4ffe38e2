//! `transform-national`: times the transform alone (merged facts -> every
//! aggregate table) at national scale, in memory: no files, no database.
//! The facts are generated as `gen-national` writes them; the time is
//! `cnexport_transform::transform`, the same call `cnexport build` times as
//! its transform stage.
//!
//! ```sh
//! cargo run --release -p cnexport-benches --bin transform-national -- --scale 1 --repeat 3
//! ```

use cnexport_benches::{monthly_facts, product_names, National, NATIONAL_CODES, NATIONAL_MONTHS};
use cnexport_core::Month;
use std::time::Instant;

const USAGE: &str = "usage: transform-national [--scale F] [--repeat N] [--seed N]

  --scale F   fraction of the national code count (default 1: 25,000 codes x 48 months)
  --repeat N  timed runs (default 3); prints each and the best
  --seed N    seed (default 20260601, as gen-national)
  --load DB   also write the last run's tables into the SQLite file DB
              (`cnexport_load::write_database`: the load with every table
              computed before it, timed apart)";

fn cpu_secs() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    let rest = &stat[stat.rfind(')')? + 2..];
    let f: Vec<&str> = rest.split(' ').collect();
    let user: f64 = f.get(11)?.parse().ok()?;
    let system: f64 = f.get(12)?.parse().ok()?;
    Some((user + system) / 100.0)
}

fn main() {
    // RUST_LOG=cnexport_load=debug shows the load's steps.
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    let mut scale = 1.0f64;
    let mut repeat = 3usize;
    let mut seed: u64 = 20260601;
    let mut load: Option<std::path::PathBuf> = None;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let value = args.next();
        let parsed = match (a.as_str(), value.as_deref()) {
            ("--scale", Some(v)) => v.parse().map(|x| scale = x).is_ok(),
            ("--repeat", Some(v)) => v.parse().map(|x| repeat = x).is_ok(),
            ("--seed", Some(v)) => v.parse().map(|x| seed = x).is_ok(),
            ("--load", Some(v)) => {
                load = Some(v.into());
                true
            }
            _ => false,
        };
        if !parsed {
            eprintln!("transform-national: bad argument {a}\n\n{USAGE}");
            std::process::exit(2);
        }
    }
    let codes = ((NATIONAL_CODES as f64 * scale).round() as usize).max(1);
    let t = Instant::now();
    let n = National::new(
        seed,
        codes,
        Month::new(2022, 1).expect("month"),
        NATIONAL_MONTHS,
    );
    let facts = monthly_facts(&n);
    let names = product_names(&n);
    let summary = cnexport_transform::summarize(&facts);
    eprintln!(
        "generated {} facts of {codes} codes in {:.1} s",
        facts.len(),
        t.elapsed().as_secs_f64()
    );
    let mut best = f64::INFINITY;
    for run in 1..=repeat.max(1) {
        let input = cnexport_transform::TransformInput {
            // As in `cnexport build`, where the merge gathers it while
            // writing the facts.
            summary: Some(summary.clone()),
            facts: facts.clone(),
            product_names: names.clone(),
            partner_names: Default::default(),
            meta: Vec::new(),
            low_base_threshold: 1_000_000,
        };
        let cpu0 = cpu_secs();
        let t = Instant::now();
        let db = cnexport_transform::transform(input);
        let secs = t.elapsed().as_secs_f64();
        let cpu = cpu_secs().zip(cpu0).map(|(b, a)| b - a);
        best = best.min(secs);
        println!(
            "run {run}: {} facts in {secs:.3} s = {:.2} M facts/s (CPU {} s); {} base rows, {} count rows, {} monthly rows, {} country-monthly rows",
            facts.len(),
            facts.len() as f64 / secs / 1e6,
            cpu.map(|c| format!("{c:.2}")).unwrap_or_else(|| "?".into()),
            db.base_metrics.len(),
            db.count_month.len(),
            db.monthly.len(),
            db.country_monthly.len()
        );
        if run == repeat.max(1) {
            if let Some(path) = &load {
                let t = Instant::now();
                let stats = cnexport_load::write_database(path, &db).expect("load");
                println!(
                    "load: {:.3} s, {} bytes ({})",
                    t.elapsed().as_secs_f64(),
                    stats.bytes,
                    path.display()
                );
            }
        }
        drop(db);
    }
    println!(
        "best: {:.3} s = {:.2} M facts/s on {} threads",
        best,
        facts.len() as f64 / best / 1e6,
        rayon_threads()
    );
}

fn rayon_threads() -> usize {
    std::env::var("RAYON_NUM_THREADS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| {
            std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(1)
        })
}
