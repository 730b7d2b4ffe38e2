//! `cnexport-samplegen [--out DIR] [--check] [--seed N]`
//!
//! Writes the synthetic bulletins of `GenConfig::sample()` (or another seed)
//! into DIR (default `sample_data`) with a generated README.md, or with
//! `--check` compares DIR with a fresh generation byte for byte and exits 1
//! listing the differences.

use cnexport_samplegen::{generate, readme, GenConfig};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

const USAGE: &str = "usage: cnexport-samplegen [--out DIR] [--check] [--seed N]

Writes the synthetic customs export bulletins of the committed sample
(GenConfig::sample()) into DIR (default: sample_data), one release folder
per release date, plus a generated README.md. Bulletin files it wrote
before (export_*) that are no longer generated are removed; nothing
outside DIR is touched.

  --out DIR   target directory (default: sample_data)
  --check     compare DIR with a fresh generation, byte for byte; exit 1
              listing missing, different and stale files
  --seed N    generate with another seed (same shape, different data)
  -h, --help  this text";

struct Args {
    out: PathBuf,
    check: bool,
    seed: Option<u64>,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        out: PathBuf::from("sample_data"),
        check: false,
        seed: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        match a.as_str() {
            "--out" => args.out = it.next().ok_or("--out needs a directory")?.into(),
            "--check" => args.check = true,
            "--seed" => {
                let v = it.next().ok_or("--seed needs a number")?;
                args.seed = Some(
                    v.parse()
                        .map_err(|_| format!("--seed: not a number: {v}"))?,
                );
            }
            "-h" | "--help" => return Err(String::new()),
            other => {
                if let Some(v) = other.strip_prefix("--out=") {
                    args.out = v.into();
                } else if let Some(v) = other.strip_prefix("--seed=") {
                    args.seed = Some(
                        v.parse()
                            .map_err(|_| format!("--seed: not a number: {v}"))?,
                    );
                } else {
                    return Err(format!("unknown argument: {other}"));
                }
            }
        }
    }
    Ok(args)
}

/// A release folder name: `YYYY-MM-DD`.
fn is_release_dir(name: &str) -> bool {
    let b = name.as_bytes();
    b.len() == 10
        && b.iter().enumerate().all(|(i, c)| match i {
            4 | 7 => *c == b'-',
            _ => c.is_ascii_digit(),
        })
}

fn is_bulletin(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    [".csv", ".xlsx", ".xls", ".html", ".htm"]
        .iter()
        .any(|e| lower.ends_with(e))
}

/// Bulletin files in the release folders of `dir` (relative paths).
fn existing_bulletins(dir: &Path) -> std::io::Result<BTreeSet<String>> {
    let mut out = BTreeSet::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Ok(out);
    };
    for e in entries {
        let e = e?;
        let name = e.file_name().to_string_lossy().into_owned();
        if !e.file_type()?.is_dir() || !is_release_dir(&name) {
            continue;
        }
        for f in std::fs::read_dir(e.path())? {
            let f = f?;
            let fname = f.file_name().to_string_lossy().into_owned();
            if f.file_type()?.is_file() && is_bulletin(&fname) {
                out.insert(format!("{name}/{fname}"));
            }
        }
    }
    Ok(out)
}

fn run() -> Result<bool, String> {
    let args = parse_args()?;
    let mut cfg = GenConfig::sample();
    if let Some(seed) = args.seed {
        cfg.seed = seed;
    }
    let generated = generate(&cfg);
    let mut wanted: Vec<(String, Vec<u8>)> = generated.files.clone();
    wanted.push((
        "README.md".to_string(),
        readme(&cfg, &generated).into_bytes(),
    ));
    let wanted_paths: BTreeSet<String> = wanted.iter().map(|(p, _)| p.clone()).collect();
    let existing =
        existing_bulletins(&args.out).map_err(|e| format!("{}: {e}", args.out.display()))?;
    let stale: Vec<&String> = existing.difference(&wanted_paths).collect();

    if args.check {
        let mut problems = Vec::new();
        for (rel, bytes) in &wanted {
            let path = args.out.join(rel);
            match std::fs::read(&path) {
                Ok(b) if &b == bytes => {}
                Ok(b) => problems.push(format!(
                    "differs: {rel} ({} bytes on disk, {} generated)",
                    b.len(),
                    bytes.len()
                )),
                Err(_) => problems.push(format!("missing: {rel}")),
            }
        }
        for rel in &stale {
            problems.push(format!("stale (not generated): {rel}"));
        }
        if problems.is_empty() {
            println!(
                "{}: {} files match the generator (seed {})",
                args.out.display(),
                wanted.len(),
                cfg.seed
            );
            return Ok(true);
        }
        for p in &problems {
            println!("{p}");
        }
        println!(
            "{}: {} difference(s); regenerate with `cargo run -p cnexport-samplegen`",
            args.out.display(),
            problems.len()
        );
        return Ok(false);
    }

    let mut removed = 0usize;
    for rel in &stale {
        // Only files this generator names (`export_*`) are removed; anything
        // else a user put there is left alone.
        if !rel
            .split('/')
            .nth(1)
            .is_some_and(|n| n.starts_with("export_"))
        {
            continue;
        }
        let path = args.out.join(rel);
        std::fs::remove_file(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        removed += 1;
        if let Some(parent) = path.parent() {
            // Removes the release folder only when it is now empty.
            let _ = std::fs::remove_dir(parent);
        }
    }
    let mut written = 0usize;
    let mut total = 0usize;
    for (rel, bytes) in &wanted {
        let path = args.out.join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| format!("{}: {e}", parent.display()))?;
        }
        total += bytes.len();
        if std::fs::read(&path).is_ok_and(|b| &b == bytes) {
            continue;
        }
        std::fs::write(&path, bytes).map_err(|e| format!("{}: {e}", path.display()))?;
        written += 1;
    }
    println!(
        "{}: {} files ({} written, {} unchanged, {} stale removed), {:.2} MiB, {} facts, seed {}",
        args.out.display(),
        wanted.len(),
        written,
        wanted.len() - written,
        removed,
        total as f64 / (1 << 20) as f64,
        generated.truth.len(),
        cfg.seed
    );
    Ok(true)
}

fn main() -> ExitCode {
    match run() {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) if e.is_empty() => {
            println!("{USAGE}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("cnexport-samplegen: {e}\n\n{USAGE}");
            ExitCode::from(2)
        }
    }
}
