//! `cnexport coverage` and `cnexport plan`: what a database covers and the
//! downloads that would fill it (docs/contract.md, Coverage and Download
//! plan). Both print from `cnexport-coverage`, as the API does.

use cnexport_core::round::group_thousands;
use cnexport_core::Month;
use cnexport_coverage::plan::{Plan, GUESS_ROWS_PER_HEADING_MONTH};
use cnexport_coverage::{CoverageAnswer, Filter};
use std::fmt::Write;
use std::path::Path;
use std::process::ExitCode;

/// Exit status of `cnexport coverage` when something is flagged.
pub const FLAGGED: u8 = 1;
/// Exit status of both commands on an error (no database, bad option).
pub const ERROR: u8 = 2;

fn fail(message: impl std::fmt::Display) -> ExitCode {
    eprintln!("error: {message}");
    ExitCode::from(ERROR)
}

fn month_arg(name: &str, v: Option<&str>) -> Result<Option<Month>, String> {
    v.map(|s| {
        Month::parse_yyyymm(s.trim())
            .ok_or_else(|| format!("--{name} {s}: a month YYYYMM, e.g. 202403"))
    })
    .transpose()
}

fn print(text: &str) -> ExitCode {
    use std::io::Write as _;
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => fail(e),
        _ => ExitCode::SUCCESS,
    }
}

/// `cnexport coverage`: 0 when nothing is flagged, 1 when something is,
/// 2 on an error.
pub fn run_coverage(
    db: &Path,
    json: bool,
    chapter: Option<&str>,
    from: Option<&str>,
    to: Option<&str>,
) -> ExitCode {
    let chapter = match chapter.map(str::trim) {
        None => None,
        Some(c) => match c.parse::<u8>() {
            Ok(n) if c.len() == 2 && (1..=99).contains(&n) => Some(n),
            _ => return fail(format!("--chapter {c}: a 2-digit HS chapter, 01 to 99")),
        },
    };
    let (from, to) = match (month_arg("from", from), month_arg("to", to)) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(e), _) | (_, Err(e)) => return fail(e),
    };
    if let (Some(a), Some(b)) = (from, to) {
        if a > b {
            return fail(format!("--from {a} is after --to {b}"));
        }
    }
    let conn = match crate::open_read_only(db) {
        Ok(c) => c,
        Err(e) => return fail(format!("{e:#}")),
    };
    let filter = Filter { chapter, from, to };
    let answer = match cnexport_coverage::coverage(&conn, &filter) {
        Ok(a) => a,
        Err(e) => return fail(format!("{}: {e}", db.display())),
    };
    let text = if json {
        match serde_json::to_string(&answer) {
            Ok(s) => s + "\n",
            Err(e) => return fail(e),
        }
    } else {
        coverage_text(db, &answer)
    };
    let printed = print(&text);
    if printed != ExitCode::SUCCESS {
        return printed;
    }
    if answer.flag_count == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(FLAGGED)
    }
}

fn thousands(n: impl ToString) -> String {
    group_thousands(&n.to_string())
}

/// The readable coverage: a row per month (totals, chapters, files), then
/// the flags with their explanations and suggested queries.
pub fn coverage_text(db: &Path, c: &CoverageAnswer) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "coverage of {}: data {}..{}; shown {}..{}{}: {} facts, total {} yuan",
        db.display(),
        c.first_month,
        c.latest_month,
        c.from,
        c.to,
        c.chapter
            .as_ref()
            .map(|ch| format!(", chapter {ch}"))
            .unwrap_or_default(),
        thousands(c.fact_count),
        thousands(c.total_value)
    );
    let _ = writeln!(
        s,
        "{:<8} {:>12} {:>24} {:>9} {:>6} {:>6}",
        "month", "facts", "value (yuan)", "chapters", "files", "flags"
    );
    for m in &c.months {
        let _ = writeln!(
            s,
            "{:<8} {:>12} {:>24} {:>9} {:>6} {:>6}",
            m.month,
            thousands(m.facts),
            thousands(m.value),
            m.chapters,
            m.files.len(),
            if m.flags == 0 {
                "-".to_string()
            } else {
                m.flags.to_string()
            }
        );
    }
    let status = if c.flag_count == 0 { 0 } else { 1 };
    let _ = writeln!(s, "\n{} (exit status {status})", c.flag_counts.summary());
    if c.flag_count == 0 {
        return s;
    }
    for f in &c.flags {
        let what = match (&f.code_from, &f.chapter, &f.path) {
            (Some(a), _, _) => format!(
                "codes {a}..{} {}",
                f.code_to.as_deref().unwrap_or(""),
                f.month.as_deref().unwrap_or("")
            ),
            (None, Some(ch), _) => format!("chapter {ch} {}", f.month.as_deref().unwrap_or("")),
            (None, None, Some(p)) => p.clone(),
            _ => f.month.clone().unwrap_or_default(),
        };
        let _ = writeln!(s, "  {} {what}: {}", f.kind, f.detail);
        for plan in &f.suggestion {
            for line in plan_text(plan).lines() {
                let _ = writeln!(s, "      {line}");
            }
        }
    }
    s
}

/// The plan as a table, with a line on what it is sized from.
pub fn plan_text(plan: &Plan) -> String {
    let mut s = String::new();
    let total: u64 = plan.queries.iter().map(|q| q.expected_rows).sum();
    let _ = writeln!(
        s,
        "plan for {}: {} quer{}, each expected at most {} rows ({} in all), {}",
        plan.year,
        plan.queries.len(),
        if plan.queries.len() == 1 { "y" } else { "ies" },
        thousands(plan.max_rows),
        thousands(total),
        match &plan.sized_from {
            Some(from) => format!("sized from {from}"),
            None => format!(
                "a GUESS without data ({GUESS_ROWS_PER_HEADING_MONTH} rows per 4-digit heading slot a month): check the downloads with `cnexport coverage`"
            ),
        }
    );
    let _ = writeln!(
        s,
        "{:>4} {:>5} {:>7} {:<17} {:<12} {:>13}",
        "id", "year", "months", "codes", "partners", "expected rows"
    );
    for q in &plan.queries {
        let _ = writeln!(
            s,
            "{:>4} {:>5} {:>7} {:<17} {:<12} {:>13}",
            q.id,
            q.year,
            format!("{:02}-{:02}", q.month_from, q.month_to),
            format!("{}-{}", q.code_from, q.code_to),
            match &q.partners {
                None => "all".to_string(),
                Some(p) if p.len() <= 2 => p.join(","),
                Some(p) => format!("{} partners", p.len()),
            },
            thousands(q.expected_rows)
        );
    }
    let _ = writeln!(
        s,
        "each query: 分月展示 (by month) ticked, grouped by {} (8-digit commodity, trading partner)",
        cnexport_coverage::plan::GROUPING.join(" + ")
    );
    s
}

/// `cnexport plan`: 0, or 2 on an error.
pub fn run_plan(
    year: u32,
    codes: &[String],
    db: Option<&Path>,
    max_rows: u64,
    format: &str,
) -> ExitCode {
    if !(1901..=2999).contains(&year) {
        return fail(format!("--year {year}: a year such as 2025"));
    }
    if max_rows == 0 {
        return fail("--max-rows must be at least 1");
    }
    let codes: Vec<String> = codes
        .iter()
        .flat_map(|c| c.split(','))
        .map(|c| c.trim().to_string())
        .filter(|c| !c.is_empty())
        .collect();
    let conn = match db.map(crate::open_read_only).transpose() {
        Ok(c) => c,
        Err(e) => return fail(format!("{e:#}")),
    };
    let label = db.map(|p| p.display().to_string()).unwrap_or_default();
    let plan = match cnexport_coverage::plan::plan_year(
        year,
        &codes,
        conn.as_ref().map(|c| (c, label.as_str())),
        max_rows,
    ) {
        Ok(p) => p,
        Err(e) => return fail(format!("plan: {e}")),
    };
    let text = match format {
        "json" => match serde_json::to_string(&plan) {
            Ok(s) => s + "\n",
            Err(e) => return fail(e),
        },
        "csv" => cnexport_coverage::plan::to_csv(&plan),
        _ => plan_text(&plan),
    };
    print(&text)
}
