//! `parse-national`: times the parse alone (bulletin bytes -> facts, with
//! the quarantine checks) over the files of a folder, on one thread, with
//! the files read into memory first: no stage, no merge, no database.
//!
//! ```sh
//! cargo run --release -p cnexport-benches --bin parse-national -- /tmp/nat/raw --files 4
//! ```

use std::path::{Path, PathBuf};
use std::time::Instant;

const USAGE: &str = "usage: parse-national DIR [--files N] [--repeat N]

  DIR         a folder of bulletins (gen-national's --dir), searched recursively
  --files N   parse the first N files in path order (default: all)
  --repeat N  timed runs over them (default 1); prints each and the best";

fn files_under(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            files_under(&p, out);
        } else if cnexport_ingest::is_bulletin_path(&p) {
            out.push(p);
        }
    }
}

fn main() {
    let mut dir = None;
    let mut limit = usize::MAX;
    let mut repeat = 1usize;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let ok = match a.as_str() {
            "--files" => args.next().and_then(|v| v.parse().ok()).map(|n| limit = n),
            "--repeat" => args.next().and_then(|v| v.parse().ok()).map(|n| repeat = n),
            "-h" | "--help" => None,
            _ if dir.is_none() => {
                dir = Some(PathBuf::from(&a));
                Some(())
            }
            _ => None,
        };
        if ok.is_none() {
            eprintln!("{USAGE}");
            std::process::exit(2);
        }
    }
    let Some(dir) = dir else {
        eprintln!("{USAGE}");
        std::process::exit(2);
    };
    let mut paths = Vec::new();
    files_under(&dir, &mut paths);
    paths.sort();
    paths.truncate(limit);
    let inputs: Vec<(String, Vec<u8>)> = paths
        .iter()
        .map(|p| {
            let bytes = std::fs::read(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
            (p.display().to_string(), bytes)
        })
        .collect();
    let bytes: usize = inputs.iter().map(|(_, b)| b.len()).sum();
    let mut best = f64::MAX;
    for run in 1..=repeat {
        let t = Instant::now();
        let mut facts = 0usize;
        for (name, b) in &inputs {
            let parsed = cnexport_ingest::parse_bytes(b, name).unwrap_or_else(|e| panic!("{e}"));
            facts += parsed.facts.len();
        }
        let secs = t.elapsed().as_secs_f64();
        best = best.min(secs);
        println!(
            "run {run}: {} files, {facts} facts, {:.1} MB in {secs:.3} s = {:.1} MB/s, {:.0} ns per fact",
            inputs.len(),
            bytes as f64 / 1e6,
            bytes as f64 / 1e6 / secs,
            secs * 1e9 / facts.max(1) as f64
        );
    }
    println!("best: {best:.3} s = {:.1} MB/s", bytes as f64 / 1e6 / best);
}
