//! `gen-national`: writes a national-scale set of bulletins (one UTF-8 CSV
//! per month, in release folders) for the benchmarks. Deterministic: the
//! same arguments give byte-identical files.
//!
//! ```sh
//! cargo run --release -p cnexport-benches --bin gen-national -- --dir /tmp/cnexport-national/raw
//! cargo run --release -p cnexport-benches --bin gen-national -- --dir DIR --scale 0.1
//! cargo run --release -p cnexport-benches --bin gen-national -- --dir DIR --count-only
//! ```

use cnexport_benches::{National, NATIONAL_CODES, NATIONAL_MONTHS};
use cnexport_core::Month;
use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::time::Instant;

const USAGE: &str = "usage: gen-national [--dir DIR] [--codes N | --scale F] [--months N] [--first YYYYMM] [--seed N] [--only-month I] [--count-only] [--threads N]

  --dir DIR       output folder (default /tmp/cnexport-national/raw); one file per month
                  is written as DIR/<release date>/export_<YYYYMM>.csv
  --codes N       number of 8-digit HS codes (default 25000)
  --scale F       fraction of the national code count (overrides --codes)
  --months N      number of months (default 48)
  --first YYYYMM  first month (default 202201)
  --seed N        seed (default 20260601)
  --only-month I  write only month index I (0-based)
  --count-only    print the fact count per month, write nothing
  --threads N     writer threads (default: the number of CPUs)";

fn main() {
    if let Err(e) = run() {
        eprintln!("gen-national: {e}\n\n{USAGE}");
        std::process::exit(2);
    }
}

fn run() -> Result<(), String> {
    let mut dir = PathBuf::from("/tmp/cnexport-national/raw");
    let mut codes = NATIONAL_CODES;
    let mut months = NATIONAL_MONTHS;
    let mut first = Month::new(2022, 1).expect("month");
    let mut seed: u64 = 20260601;
    let mut only: Option<u32> = None;
    let mut count_only = false;
    let mut threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2);
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut value = |name: &str| args.next().ok_or(format!("{name} needs a value"));
        match a.as_str() {
            "--dir" => dir = PathBuf::from(value("--dir")?),
            "--codes" => {
                codes = value("--codes")?
                    .parse()
                    .map_err(|e| format!("--codes: {e}"))?
            }
            "--scale" => {
                let f: f64 = value("--scale")?
                    .parse()
                    .map_err(|e| format!("--scale: {e}"))?;
                if !(f > 0.0 && f <= 4.0) {
                    return Err("--scale: give a fraction in (0, 4]".into());
                }
                codes = ((NATIONAL_CODES as f64 * f).round() as usize).max(1);
            }
            "--months" => {
                months = value("--months")?
                    .parse()
                    .map_err(|e| format!("--months: {e}"))?
            }
            "--first" => first = Month::parse(&value("--first")?).ok_or("--first: give YYYYMM")?,
            "--seed" => {
                seed = value("--seed")?
                    .parse()
                    .map_err(|e| format!("--seed: {e}"))?
            }
            "--only-month" => {
                only = Some(
                    value("--only-month")?
                        .parse()
                        .map_err(|e| format!("--only-month: {e}"))?,
                )
            }
            "--threads" => {
                threads = value("--threads")?
                    .parse()
                    .map_err(|e| format!("--threads: {e}"))?
            }
            "--count-only" => count_only = true,
            "-h" | "--help" => {
                println!("{USAGE}");
                return Ok(());
            }
            other => return Err(format!("unknown argument {other}")),
        }
    }
    if months == 0 {
        return Err("--months: at least 1".into());
    }
    let started = Instant::now();
    let national = National::new(seed, codes, first, months);
    let todo: Vec<u32> = match only {
        Some(i) if i < months => vec![i],
        Some(i) => return Err(format!("--only-month {i}: there are {months} months")),
        None => (0..months).collect(),
    };
    let next = std::sync::atomic::AtomicUsize::new(0);
    let results = std::sync::Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..threads.max(1) {
            s.spawn(|| loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Some(&t) = todo.get(i) else { break };
                let r = if count_only {
                    Ok((t, national.count_rows(t), 0u64))
                } else {
                    write_month(&national, &dir, t).map(|(rows, bytes)| (t, rows, bytes))
                };
                results.lock().expect("lock").push(r);
            });
        }
    });
    let mut results = results.into_inner().expect("lock");
    results.sort_by_key(|r| r.as_ref().map(|x| x.0).unwrap_or(0));
    let (mut rows, mut bytes) = (0u64, 0u64);
    for r in results {
        let (_, n, b) = r?;
        rows += n;
        bytes += b;
    }
    let per_month = rows as f64 / todo.len() as f64;
    println!(
        "{{\"codes\": {}, \"months\": {}, \"files\": {}, \"facts\": {}, \"facts_per_month\": {:.0}, \"bytes\": {}, \"seconds\": {:.2}, \"first_month\": \"{}\", \"latest_month\": \"{}\", \"seed\": {}}}",
        codes,
        months,
        if count_only { 0 } else { todo.len() },
        rows,
        per_month,
        bytes,
        started.elapsed().as_secs_f64(),
        national.month(0),
        national.month(months - 1),
        seed
    );
    Ok(())
}

fn write_month(national: &National, dir: &std::path::Path, t: u32) -> Result<(u64, u64), String> {
    let path = dir.join(national.file_name(t));
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(|e| format!("{}: {e}", parent.display()))?;
    }
    let tmp = path.with_extension("csv.part");
    let file = std::fs::File::create(&tmp).map_err(|e| format!("{}: {e}", tmp.display()))?;
    let mut w = BufWriter::with_capacity(1 << 20, file);
    let rows = national
        .write_month_csv(t, &mut w)
        .map_err(|e| format!("{}: {e}", tmp.display()))?;
    w.flush().map_err(|e| format!("{}: {e}", tmp.display()))?;
    drop(w);
    std::fs::rename(&tmp, &path).map_err(|e| format!("{}: {e}", path.display()))?;
    let bytes = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    Ok((rows, bytes))
}
