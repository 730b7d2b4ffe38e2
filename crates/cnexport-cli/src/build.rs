//! `cnexport build` and the build of `cnexport run`: runs the pipeline
//! library with progress bars on a terminal, writes the JSON report and
//! prints the summary.

use anyhow::{Context, Result};
use cnexport_pipeline::{BuildOptions, Progress, Step};
use indicatif::{ProgressBar, ProgressStyle};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Mutex;

/// Builds, writes the report (default `<db>.report.json`) and prints the
/// summary on stderr.
pub fn run_build(opts: &BuildOptions, report_path: Option<&Path>) -> Result<ExitCode> {
    let report = if std::io::stderr().is_terminal() {
        cnexport_pipeline::build_with_progress(opts, &Bars::default())?
    } else {
        cnexport_pipeline::build_with_progress(opts, &Quiet)?
    };
    let report_path = report_path
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from(format!("{}.report.json", opts.db.display())));
    let json = serde_json::to_string_pretty(&report)?;
    std::fs::write(&report_path, json)
        .with_context(|| format!("cannot write the report {}", report_path.display()))?;
    eprint!("{}", report.summary());
    eprintln!("  report      {}", report_path.display());
    Ok(ExitCode::SUCCESS)
}

/// No progress drawn (stderr is not a terminal), but a build that waits
/// for another one says so.
struct Quiet;

impl Progress for Quiet {
    fn start(&self, _: Step) {}
    fn file_done(&self) {}
    fn finish(&self, _: Step) {}
    fn waiting(&self, message: &str) {
        eprintln!("{message}");
    }
}

/// Terminal progress: a bar of files for the ingest, a spinner for the
/// other steps.
#[derive(Default)]
struct Bars {
    current: Mutex<Option<ProgressBar>>,
}

impl Bars {
    fn set(&self, bar: Option<ProgressBar>) {
        let mut current = self.current.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(old) = std::mem::replace(&mut *current, bar) {
            old.finish_and_clear();
        }
    }
}

impl Progress for Bars {
    fn start(&self, step: Step) {
        let bar = match step {
            Step::Ingest { files } => files_bar(files, "ingest"),
            Step::MergeAndTransform => spinner("merge and transform"),
            Step::Load => spinner("load"),
        };
        self.set(Some(bar));
    }

    fn file_done(&self) {
        if let Some(bar) = &*self.current.lock().unwrap_or_else(|e| e.into_inner()) {
            bar.inc(1);
        }
    }

    fn finish(&self, _: Step) {
        self.set(None);
    }

    fn waiting(&self, message: &str) {
        self.set(None);
        eprintln!("{message}");
    }
}

/// A spinner for a step without a count.
fn spinner(what: &str) -> ProgressBar {
    let bar = ProgressBar::new_spinner();
    if let Ok(style) = ProgressStyle::with_template("{spinner} {msg} ({elapsed})") {
        bar.set_style(style);
    }
    bar.set_message(what.to_string());
    bar.enable_steady_tick(std::time::Duration::from_millis(120));
    bar
}

fn files_bar(len: u64, what: &str) -> ProgressBar {
    let bar = ProgressBar::new(len);
    if let Ok(style) =
        ProgressStyle::with_template("{msg:>10} [{bar:30}] {pos}/{len} files ({elapsed})")
    {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_message(what.to_string());
    bar
}
