//! `polars-build`: the ingest and aggregation of `benches/duckdb_build.py`,
//! in polars' lazy API, for the benchmark's third column (cnexport, DuckDB,
//! polars). Compiled only with the benches crate's `polars` feature:
//!
//! ```sh
//! cargo build --release -p cnexport-benches --features polars --bin polars-build
//! polars-build --input DIR --out DIR [--threads 2]
//! ```
//!
//! It reads every CSV under `--input` as text (the platform's quoted layout,
//! thousands separators, trailing comma), drops bad rows, applies the
//! overlap rule (the later release, by path, wins per month, code and
//! partner), and computes the tables the DuckDB script computes (`facts`,
//! `products`, `hs_base_metrics`, `hs_count_month`, for 8-digit codes and
//! the 2/4/6-digit roll-ups, at every as-of month whose 24-month window lies
//! in the data), written as Parquet files into `--out`;
//! `benches/polars_check.py` compares them with the DuckDB database.
//!
//! The formulation is polars' own, not a copy of the SQL: long frames, a
//! dense month grid per code and partner made by a cross join, the 12-month
//! windows as fixed-window rolling sums over the grid sorted by code,
//! partner and month (a window that starts at month index 11 or later stays
//! inside its group), one `group_by` per code and month.
//!
//! Prints one JSON line: stage times (wall seconds) and row counts.

use polars::prelude::*;
use std::path::{Path, PathBuf};
use std::time::Instant;

const USAGE: &str = "usage: polars-build --input DIR --out DIR [--threads N] [--slice-rows N]

  --threads N     polars' threads (POLARS_MAX_THREADS; default 2)
  --slice-rows N  code-partner-month rows per slice of the partner grid (default 2000000)";

const CONTINENTS: [&str; 6] = [
    "asia",
    "europe",
    "africa",
    "north_america",
    "south_america",
    "oceania",
];
const BLOCS: [&str; 5] = ["middle_east", "belt_road", "asean", "eu", "usmca"];

type Res<T> = Result<T, Box<dyn std::error::Error>>;

fn main() {
    if let Err(e) = run() {
        eprintln!("polars-build: {e}\n{USAGE}");
        std::process::exit(2);
    }
}

fn csv_files(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            csv_files(&path, out)?;
        } else if path.extension().is_some_and(|e| e == "csv") {
            out.push(path);
        }
    }
    Ok(())
}

/// partner code -> continent key, by the first digit (docs/contract.md, section 2).
fn continent_of(code: &str) -> Option<&'static str> {
    match code.as_bytes()[0] {
        b'1' => Some("asia"),
        b'2' => Some("africa"),
        b'3' => Some("europe"),
        b'4' => Some("south_america"),
        b'5' => Some("north_america"),
        b'6' => Some("oceania"),
        _ => None,
    }
}

/// (partner, tag) rows: each partner's continent and blocs, from the
/// repository's reference CSVs (as duckdb_build.py reads them).
fn tag_map(all_tags: &[&str]) -> Res<DataFrame> {
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("../crates/cnexport-core/data");
    let read = |name: &str| -> Res<Vec<std::collections::HashMap<String, String>>> {
        let text = std::fs::read_to_string(data.join(name))?;
        let lines: Vec<&str> = text.lines().filter(|l| !l.starts_with('#')).collect();
        let header: Vec<&str> = lines[0].split(',').collect();
        Ok(lines[1..]
            .iter()
            .map(|l| {
                header
                    .iter()
                    .zip(l.split(','))
                    .map(|(h, v)| (h.to_string(), v.to_string()))
                    .collect()
            })
            .collect())
    };
    let mut pairs: std::collections::BTreeSet<(i16, String)> = Default::default();
    for code in 100..800 {
        if let Some(c) = continent_of(&code.to_string()) {
            pairs.insert((code as i16, c.to_string()));
        }
    }
    for r in read("trade-blocs.csv")? {
        let bloc = match r.get("bloc").map(String::as_str) {
            Some("ASEAN10") => "asean",
            Some("EU27") => "eu",
            Some("USMCA") => "usmca",
            Some("MiddleEast17_convention") => "middle_east",
            _ => continue,
        };
        if let Ok(code) = r["customs_code"].trim().parse::<i16>() {
            pairs.insert((code, bloc.to_string()));
        }
    }
    for r in read("belt-and-road.csv")? {
        let code = r
            .iter()
            .find(|(k, _)| k.contains("code"))
            .map(|(_, v)| v.trim().to_string())
            .unwrap_or_default();
        if !code.is_empty() && code.bytes().all(|b| b.is_ascii_digit()) {
            pairs.insert((code.parse()?, "belt_road".to_string()));
        }
    }
    let (p, t): (Vec<i16>, Vec<i16>) = pairs
        .into_iter()
        .map(|(p, t)| {
            (
                p,
                all_tags.iter().position(|k| *k == t).expect("a tag") as i16,
            )
        })
        .unzip();
    Ok(df!("p" => p, "t" => t)?)
}

fn num(name: &str) -> Expr {
    col(name)
        .str()
        .replace_all(lit(","), lit(""), true)
        .str()
        .replace_all(lit(" "), lit(""), true)
        .cast(DataType::Int64)
}

fn run() -> Res<()> {
    let mut input = None;
    let mut out = None;
    let mut threads = 2usize;
    let mut slice_rows = 2_000_000usize;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut value = || args.next().ok_or(format!("{a} needs a value"));
        match a.as_str() {
            "--input" => input = Some(PathBuf::from(value()?)),
            "--out" => out = Some(PathBuf::from(value()?)),
            "--threads" => threads = value()?.parse()?,
            "--slice-rows" => slice_rows = value()?.parse::<usize>()?.max(1),
            _ => return Err(format!("unknown argument {a}").into()),
        }
    }
    let (input, out) = (
        input.ok_or("--input is needed")?,
        out.ok_or("--out is needed")?,
    );
    // polars reads this when its thread pool starts, at the first query.
    if std::env::var_os("POLARS_MAX_THREADS").is_none() {
        std::env::set_var("POLARS_MAX_THREADS", threads.to_string());
    }
    std::fs::create_dir_all(&out)?;
    let mut times: Vec<(&str, f64)> = Vec::new();
    let t_all = Instant::now();
    let mut t = Instant::now();
    // The process's peak resident memory (VmHWM) after each stage.
    let mut peaks: Vec<(&str, u64)> = Vec::new();
    let mut lap = |name: &'static str, times: &mut Vec<(&str, f64)>| {
        times.push((name, t.elapsed().as_secs_f64()));
        peaks.push((name, peak_rss_mb()));
        t = Instant::now();
    };

    // 1. Ingest: every file as text, the path kept for the overlap rule.
    let mut files = Vec::new();
    csv_files(&input, &mut files)?;
    files.sort();
    if files.is_empty() {
        return Err(format!("no .csv file under {}", input.display()).into());
    }
    // The platform's columns (the testkit's list) and the empty one after
    // the trailing comma.
    let schema: Schema = cnexport_testkit::bulletin::HEADERS
        .iter()
        .chain(&["trailing"])
        .map(|c| Field::new((*c).into(), DataType::String))
        .collect();
    let schema = Arc::new(schema);
    let scans = files
        .iter()
        .map(|f| {
            LazyCsvReader::new(PlRefPath::new(f.to_string_lossy().as_ref()))
                .with_has_header(true)
                .with_schema(Some(schema.clone()))
                .with_quote_char(Some(b'"'))
                .with_missing_is_null(true)
                .with_include_file_paths(Some("filename".into()))
                .finish()
        })
        .collect::<PolarsResult<Vec<_>>>()?;
    let raw = concat(scans, UnionArgs::default())?
        .select([
            col("数据年月").cast(DataType::Int64).alias("month"),
            col("商品编码").alias("hs"),
            col("贸易伙伴编码").alias("partner"),
            col("商品名称").alias("name"),
            num("人民币").alias("value"),
            num("第一数量").fill_null(lit(0i64)).alias("q1"),
            col("第一计量单位").alias("unit1"),
            num("第二数量").fill_null(lit(0i64)).alias("q2"),
            col("第二计量单位").alias("unit2"),
            col("filename"),
        ])
        .filter(
            col("month")
                .gt_eq(lit(190001i64))
                .and(col("month").lt_eq(lit(299912i64)))
                .and((col("month") % lit(100i64)).gt_eq(lit(1i64)))
                .and((col("month") % lit(100i64)).lt_eq(lit(12i64)))
                .and(col("hs").str().contains(lit("^[0-9]{8}$"), true))
                .and(col("partner").str().contains(lit("^[0-9]{3}$"), true))
                .and(col("value").gt_eq(lit(0i64))),
        )
        .with_columns([
            when(col("unit1").eq(lit("?")).or(col("unit1").eq(lit(""))))
                .then(lit(NULL).cast(DataType::String))
                .otherwise(col("unit1"))
                .alias("unit1"),
            when(col("unit2").eq(lit("?")).or(col("unit2").eq(lit(""))))
                .then(lit(NULL).cast(DataType::String))
                .otherwise(col("unit2"))
                .alias("unit2"),
            (col("month") * lit(100_000_000_000i64)
                + col("hs").cast(DataType::Int64) * lit(1000i64)
                + col("partner").cast(DataType::Int64))
            .alias("k"),
        ])
        .collect_with_engine(Engine::Streaming)?
        .unwrap_single();
    lap("ingest_parse", &mut times);

    // The overlap rule: keys seen once are kept as they are; the others
    // take the row of the last file by path, and the first file's value.
    let raw = raw.lazy();
    let dup = raw
        .clone()
        .group_by([col("k")])
        .agg([len().alias("n")])
        .filter(col("n").gt(lit(1)))
        .select([col("k")]);
    let once = raw
        .clone()
        .join(
            dup.clone(),
            [col("k")],
            [col("k")],
            JoinArgs::new(JoinType::Anti),
        )
        .select([
            col("k"),
            col("value"),
            col("q1"),
            col("unit1"),
            col("q2"),
            col("unit2"),
            col("value").alias("first_value"),
            col("name"),
        ]);
    let by_file = |c: &str| col(c).sort_by([col("filename")], SortMultipleOptions::default());
    let twice = raw
        .join(dup, [col("k")], [col("k")], JoinArgs::new(JoinType::Semi))
        .group_by([col("k")])
        .agg([
            by_file("value").last().alias("value"),
            by_file("q1").last().alias("q1"),
            by_file("unit1").last().alias("unit1"),
            by_file("q2").last().alias("q2"),
            by_file("unit2").last().alias("unit2"),
            by_file("value").first().alias("first_value"),
            by_file("name").last().alias("name"),
        ]);
    let facts = concat([once, twice], UnionArgs::default())?
        .select([
            col("k")
                .floor_div(lit(100_000_000_000i64))
                .cast(DataType::Int32)
                .alias("month"),
            (col("k").floor_div(lit(1000i64)) % lit(100_000_000i64))
                .cast(DataType::String)
                .str()
                .zfill(lit(8))
                .alias("hs"),
            (col("k") % lit(1000i64))
                .cast(DataType::String)
                .str()
                .zfill(lit(3))
                .alias("partner"),
            col("value"),
            col("q1").alias("quantity1"),
            col("unit1"),
            col("q2").alias("quantity2"),
            col("unit2"),
            col("first_value"),
            col("name"),
        ])
        .collect_with_engine(Engine::Streaming)?
        .unwrap_single();
    lap("ingest_merge", &mut times);

    // 2. Transform.
    let month = facts.column("month")?.i32()?;
    let (first, latest) = (
        month.min().ok_or("no valid row")?,
        month.max().ok_or("no valid row")?,
    );
    let n = (latest / 100 - first / 100) * 12 + latest % 100 - first % 100 + 1;
    let mi = ((col("month").floor_div(lit(100)) - lit(first / 100)) * lit(12)
        + col("month") % lit(100)
        - lit(first % 100))
    .cast(DataType::Int32)
    .alias("mi");
    let facts = facts.lazy();
    let products = facts
        .clone()
        .group_by([col("hs")])
        .agg([col("name")
            .sort_by([col("month")], SortMultipleOptions::default())
            .last()
            .alias("name_zh")])
        .select([
            col("hs").alias("hs_code"),
            lit(8i32).alias("level"),
            col("name_zh"),
        ]);

    // Sparse values per level, code, partner and month index: the 8-digit
    // rows and their roll-ups (a code's prefix is the integer divided by 100).
    let g8 = facts.clone().select([
        lit(8i32).alias("level"),
        col("hs").cast(DataType::Int32).alias("c"),
        col("partner").cast(DataType::Int16).alias("p"),
        mi.clone(),
        col("value"),
    ]);
    let sparse = with_roll_ups(g8.clone(), &["p", "mi"], &[("value", col("value").sum())])?
        .collect_with_engine(Engine::Streaming)?
        .unwrap_single();
    let sparse_rows = sparse.height();
    let sparse = sparse.lazy();
    lap("series", &mut times);

    let months = df!("mi" => (0..n).collect::<Vec<i32>>())?.lazy();
    let lo = 23; // the first as-of month index with a full 24-month window
    let fixed = |w: usize| RollingOptionsFixedWindow {
        window_size: w,
        min_periods: w,
        ..Default::default()
    };
    // Dense grid of the series of `keys` (whose one integer key is `g`),
    // in key then month order: the sorted distinct keys crossed with the
    // months and left-joined to the sparse rows, both joins keeping the
    // left side's order (so no sort of the grid); `cols` are filled with 0
    // where a month has no row.
    let dense = |sparse: LazyFrame, keys: &[&str], g: Expr, cols: &[&str]| -> LazyFrame {
        let sparse = sparse.with_columns([g.alias("g")]);
        // Only the one key goes into the grid (a third of its bytes).
        let key_cols = [col("g")];
        let gm = || col("g") * lit(64i64) + col("mi").cast(DataType::Int64);
        let mut value_cols: Vec<Expr> = vec![gm().alias("gm")];
        let mut probe = sparse.clone();
        value_cols.extend(
            probe
                .collect_schema()
                .expect("a schema")
                .iter_names()
                .filter(|n| !keys.contains(&n.as_str()) && !["g", "mi"].contains(&n.as_str()))
                .map(|n| col(n.clone())),
        );
        let keep = |how: JoinType, order: MaintainOrderJoin| JoinArgs {
            maintain_order: order,
            ..JoinArgs::new(how)
        };
        sparse
            .clone()
            .select(key_cols)
            .unique(Some(polars::prelude::cols(["g"])), UniqueKeepStrategy::Any)
            .sort(["g"], SortMultipleOptions::default())
            .join(
                months.clone(),
                vec![],
                vec![],
                keep(JoinType::Cross, MaintainOrderJoin::LeftRight),
            )
            .with_columns([gm().alias("gm")])
            .join(
                sparse.select(value_cols),
                [col("gm")],
                [col("gm")],
                keep(JoinType::Left, MaintainOrderJoin::Left),
            )
            .with_columns(
                cols.iter()
                    .map(|c| col(*c).fill_null(lit(0i64)))
                    .collect::<Vec<_>>(),
            )
    };
    // One integer per level and code; a partner's series is that times
    // 1000 plus the partner, a region's times 100 plus the region's index.
    let code_key = || {
        col("level").cast(DataType::Int64) * lit(1_000_000_000i64) + col("c").cast(DataType::Int64)
    };

    // Per code, partner and month: the 12-month sums ending at the month
    // and a year earlier, and the active months in the 12; the grid is
    // made and aggregated in slices of whole codes (code modulo `slices`),
    // about `--slice-rows` sparse rows each, so that its memory does not grow with
    // the input (at national scale the whole grid is 120 million rows).
    let slices = (sparse_rows / slice_rows).max(1) as i32;
    let partner_slice = |i: i32| sparse.clone().filter((col("c") % lit(slices)).eq(lit(i)));
    let partner_rows = |i: i32| {
        dense(
            partner_slice(i),
            &["level", "c", "p"],
            code_key() * lit(1000i64) + col("p").cast(DataType::Int64),
            &["value"],
        )
        .with_columns([
            col("value").rolling_sum(fixed(12)).alias("r12"),
            col("value")
                .gt(lit(0i64))
                .cast(DataType::Int64)
                .rolling_sum(fixed(12))
                .alias("a12"),
        ])
        .with_columns([col("r12").shift(lit(12)).alias("rp12")])
        .filter(col("mi").gt_eq(lit(lo)))
    };
    let per_partner_slice = |i: i32| {
        partner_rows(i)
            .group_by([col("g").floor_div(lit(1000i64)).alias("K"), col("mi")])
            .agg([
                col("r12")
                    .gt(lit(0i64))
                    .sum()
                    .cast(DataType::Int64)
                    .alias("active_countries_count"),
                col("rp12")
                    .gt(lit(0i64))
                    .sum()
                    .cast(DataType::Int64)
                    .alias("active_countries_prev"),
                // The average rounded half up from its exact value (sum * 200 + n) // 2n,
                // as cnexport and the DuckDB script do.
                ((when(col("r12").gt(lit(0i64)))
                    .then(col("a12"))
                    .otherwise(lit(0i64))
                    .sum()
                    * lit(200i64)
                    + col("r12").gt(lit(0i64)).sum().cast(DataType::Int64))
                .floor_div(col("r12").gt(lit(0i64)).sum().cast(DataType::Int64) * lit(2i64))
                .cast(DataType::Float64)
                    / lit(100.0))
                .round(2, RoundMode::HalfAwayFromZero)
                .alias("avg_country_active_months"),
                col("r12").top_k(lit(3)).sum().alias("top3"),
            ])
    };
    let per_partner = collect_slices(slices, per_partner_slice)?;
    lap("partner_windows", &mut times);

    // Regions and blocs: the 8-digit rows summed per code and region (a
    // partner in several blocs counts in each), then rolled up.
    let all_tags: Vec<&str> = CONTINENTS.iter().chain(BLOCS.iter()).copied().collect();
    let tag_index = |k: &str| all_tags.iter().position(|t| *t == k).expect("a tag") as i16;
    let tags = tag_map(&all_tags)?.lazy();
    let r8 = g8
        .join(tags, [col("p")], [col("p")], JoinArgs::new(JoinType::Inner))
        .group_by([col("level"), col("c"), col("t"), col("mi")])
        .agg([col("value").sum()]);
    // In slices of whole codes too; the per-region sums are masked sums
    // (when/then/otherwise), which group_by computes on whole columns,
    // where a filter inside the aggregation runs group by group.
    let region_sparse = with_roll_ups(r8, &["t", "mi"], &[("value", col("value").sum())])?
        .collect_with_engine(Engine::Streaming)?
        .unwrap_single();
    let region_slices = (region_sparse.height() / slice_rows).max(1) as i32;
    let region_sparse = region_sparse.lazy();
    let per_region_slice = |i: i32| {
        dense(
            region_sparse
                .clone()
                .filter((col("c") % lit(region_slices)).eq(lit(i))),
            &["level", "c", "t"],
            code_key() * lit(100i64) + col("t").cast(DataType::Int64),
            &["value"],
        )
        .with_columns([col("value").rolling_sum(fixed(12)).alias("r12")])
        .with_columns([col("r12").shift(lit(12)).alias("rp12")])
        .filter(col("mi").gt_eq(lit(lo)))
        .group_by([col("g").floor_div(lit(100i64)).alias("K"), col("mi")])
        .agg(
            all_tags
                .iter()
                .flat_map(|k| {
                    [
                        when((col("g") % lit(100i64)).eq(lit(tag_index(k) as i64)))
                            .then(col("r12"))
                            .otherwise(lit(0i64))
                            .sum()
                            .alias(format!("{k}_total")),
                        when((col("g") % lit(100i64)).eq(lit(tag_index(k) as i64)))
                            .then(col("rp12"))
                            .otherwise(lit(0i64))
                            .sum()
                            .alias(format!("{k}_prev_total")),
                    ]
                })
                .collect::<Vec<_>>(),
        )
    };
    let per_region = collect_slices(region_slices, per_region_slice)?;
    lap("regions", &mut times);

    // Global per code and month: value, quantities and the units (as their
    // rank among every unit, so that the window's least and greatest unit
    // are rolling minima and maxima of integers).
    let units = concat(
        [
            facts.clone().select([col("unit1").alias("u")]),
            facts.clone().select([col("unit2").alias("u")]),
        ],
        UnionArgs::default(),
    )?
    .drop_nulls(None)
    .unique(None, UniqueKeepStrategy::Any)
    .sort(["u"], SortMultipleOptions::default())
    .with_row_index("rank", None)
    .select([col("u"), col("rank").cast(DataType::Int64)])
    .collect_with_engine(Engine::Streaming)?
    .unwrap_single();
    let unit_rank = |c: &str| -> LazyFrame {
        units
            .clone()
            .lazy()
            .select([col("u").alias(c), col("rank").alias(format!("{c}_rank"))])
    };
    const NONE_LO: i64 = i64::MAX;
    const NONE_HI: i64 = -1;
    let q8 = facts
        .clone()
        .join(
            unit_rank("unit1"),
            [col("unit1")],
            [col("unit1")],
            JoinArgs::new(JoinType::Left),
        )
        .join(
            unit_rank("unit2"),
            [col("unit2")],
            [col("unit2")],
            JoinArgs::new(JoinType::Left),
        )
        .group_by([
            lit(8i32).alias("level"),
            col("hs").cast(DataType::Int32).alias("c"),
            mi,
        ])
        .agg([
            col("value").sum().alias("v"),
            col("quantity1").sum().alias("q1"),
            col("quantity2").sum().alias("q2"),
            col("unit1_rank").min().alias("u1lo"),
            col("unit1_rank").max().alias("u1hi"),
            col("unit2_rank").min().alias("u2lo"),
            col("unit2_rank").max().alias("u2hi"),
        ]);
    let q_sparse = with_roll_ups(
        q8,
        &["mi"],
        &[
            ("v", col("v").sum()),
            ("q1", col("q1").sum()),
            ("q2", col("q2").sum()),
            ("u1lo", col("u1lo").min()),
            ("u1hi", col("u1hi").max()),
            ("u2lo", col("u2lo").min()),
            ("u2hi", col("u2hi").max()),
        ],
    )?;
    let back = |c: &str, rank: &str| -> LazyFrame {
        units
            .clone()
            .lazy()
            .select([col("u").alias(c), col("rank").alias(rank)])
    };
    let global = dense(q_sparse, &["level", "c"], code_key(), &["v", "q1", "q2"])
        .rename(["g"], ["K"], true)
        .with_columns([
            col("u1lo").fill_null(lit(NONE_LO)),
            col("u2lo").fill_null(lit(NONE_LO)),
            col("u1hi").fill_null(lit(NONE_HI)),
            col("u2hi").fill_null(lit(NONE_HI)),
        ])
        .with_columns([
            col("v").alias("value_month"),
            col("v").shift(lit(1)).alias("value_prev_month"),
            col("v").rolling_sum(fixed(12)).alias("recent12"),
            col("v")
                .gt(lit(0i64))
                .cast(DataType::Int64)
                .rolling_sum(fixed(12))
                .alias("monthly_activity"),
            col("v").rolling_sum(fixed(3)).alias("s3"),
            col("q1").rolling_sum(fixed(12)).alias("first_quantity"),
            col("q2").rolling_sum(fixed(12)).alias("second_quantity"),
            col("u1lo").rolling_min(fixed(12)).alias("u1lo"),
            col("u1hi").rolling_max(fixed(12)).alias("u1hi"),
            col("u2lo").rolling_min(fixed(12)).alias("u2lo"),
            col("u2hi").rolling_max(fixed(12)).alias("u2hi"),
        ])
        .with_columns([
            col("recent12").shift(lit(12)).alias("prev12"),
            col("s3").shift(lit(12)).alias("s3_prev"),
        ])
        .filter(col("mi").gt_eq(lit(lo)))
        .with_columns(
            ["u1lo", "u1hi", "u2lo", "u2hi"]
                .iter()
                .map(|u| {
                    when(col(*u).eq(lit(NONE_LO)).or(col(*u).eq(lit(NONE_HI))))
                        .then(lit(NULL).cast(DataType::Int64))
                        .otherwise(col(*u))
                        .alias(*u)
                })
                .collect::<Vec<_>>(),
        )
        .join(
            back("u1lo_s", "u1lo"),
            [col("u1lo")],
            [col("u1lo")],
            JoinArgs::new(JoinType::Left),
        )
        .join(
            back("u1hi_s", "u1hi"),
            [col("u1hi")],
            [col("u1hi")],
            JoinArgs::new(JoinType::Left),
        )
        .join(
            back("u2lo_s", "u2lo"),
            [col("u2lo")],
            [col("u2lo")],
            JoinArgs::new(JoinType::Left),
        )
        .join(
            back("u2hi_s", "u2hi"),
            [col("u2hi")],
            [col("u2hi")],
            JoinArgs::new(JoinType::Left),
        );

    // hs_base_metrics: one row per code and as-of month.
    let f64c = |c: &str| col(c).cast(DataType::Float64);
    let ratio = |num: &str, base: &str| -> Expr {
        when(col(base).eq(lit(0i64)))
            .then(
                when(col(num).gt(lit(0i64)))
                    .then(lit(1.0))
                    .otherwise(lit(0.0)),
            )
            .otherwise(f64c(num) / f64c(base) - lit(1.0))
    };
    let growth_b = (f64c("active_countries_count") - f64c("active_countries_prev"))
        / when(col("active_countries_prev").gt(lit(1i64)))
            .then(f64c("active_countries_prev"))
            .otherwise(lit(1.0));
    let best_value = polars::lazy::dsl::max_horizontal(
        CONTINENTS
            .iter()
            .map(|c| col(format!("{c}_total")))
            .collect::<Vec<_>>(),
    )?;
    // The first continent (in the list's order) whose total is the largest.
    let mut best_name = lit(NULL).cast(DataType::String);
    for c in CONTINENTS.iter().rev() {
        best_name = when(col(format!("{c}_total")).eq(col("best_value")))
            .then(lit(*c))
            .otherwise(best_name);
    }
    let has_best = col("recent12")
        .gt(lit(0i64))
        .and(col("best_value").gt(lit(0i64)));
    let mut metric_cols = vec![
        col("c")
            .cast(DataType::String)
            .str()
            .zfill(col("level"))
            .alias("hs_code"),
        col("level"),
        (((col("mi") + lit(first % 100 - 1)).floor_div(lit(12)) + lit(first / 100)) * lit(100)
            + (col("mi") + lit(first % 100 - 1)) % lit(12)
            + lit(1))
        .alias("as_of_month"),
        col("recent12").alias("recent12m_global_total"),
        col("prev12").alias("prev12m_global_total"),
        when(col("prev12").eq(lit(0i64)))
            .then(lit(NULL).cast(DataType::Float64))
            .otherwise(hundredths(
                (col("recent12") - col("prev12")) * lit(10_000i64),
                col("prev12"),
            ))
            .alias("yoy_growth_rate"),
        col("value_month"),
        col("value_prev_month"),
        when(col("value_prev_month").eq(lit(0i64)))
            .then(lit(NULL).cast(DataType::Float64))
            .otherwise(hundredths(
                (col("value_month") - col("value_prev_month")) * lit(10_000i64),
                col("value_prev_month"),
            ))
            .alias("mom_growth_rate"),
        col("active_countries_count"),
        col("active_countries_prev"),
        col("monthly_activity").alias("monthly_activity_count"),
        when(col("recent12").eq(lit(0i64)))
            .then(lit(NULL).cast(DataType::Float64))
            .otherwise(hundredths(col("top3") * lit(10_000i64), col("recent12")))
            .alias("top3_concentration_percent"),
        col("avg_country_active_months"),
        when(col("u1lo").eq(col("u1hi")))
            .then(col("u1lo_s"))
            .otherwise(lit(NULL).cast(DataType::String))
            .alias("first_unit"),
        when(col("u1lo").neq(col("u1hi")))
            .then(lit(NULL).cast(DataType::Int64))
            .otherwise(col("first_quantity"))
            .alias("first_quantity"),
        when(col("u2lo").eq(col("u2hi")))
            .then(col("u2lo_s"))
            .otherwise(lit(NULL).cast(DataType::String))
            .alias("second_unit"),
        when(col("u2lo").neq(col("u2hi")))
            .then(lit(NULL).cast(DataType::Int64))
            .otherwise(col("second_quantity"))
            .alias("second_quantity"),
    ];
    for k in &all_tags {
        metric_cols.push(col(format!("{k}_total")).fill_null(lit(0i64)));
        metric_cols.push(col(format!("{k}_prev_total")).fill_null(lit(0i64)));
    }
    metric_cols.extend([
        when(has_best.clone())
            .then(best_name)
            .otherwise(lit(NULL).cast(DataType::String))
            .alias("best_region"),
        when(has_best)
            .then(hundredths(
                col("best_value") * lit(10_000i64),
                col("recent12"),
            ))
            .otherwise(lit(NULL).cast(DataType::Float64))
            .alias("best_region_percent"),
        ratio("s3", "s3_prev").alias("g3"),
        ratio("recent12", "prev12").alias("g12"),
        growth_b.clone().alias("gb"),
        round2(
            lit(100.0)
                * (lit(0.5) * ratio("s3", "s3_prev").tanh()
                    + lit(0.3) * ratio("recent12", "prev12").tanh()
                    + lit(0.2) * growth_b.tanh()),
        )
        .alias("momentum_score"),
    ]);
    let global = global
        .collect_with_engine(Engine::Streaming)?
        .unwrap_single()
        .lazy();
    lap("global_windows", &mut times);
    let base_metrics = global
        .join(
            per_partner,
            [col("K"), col("mi")],
            [col("K"), col("mi")],
            JoinArgs::new(JoinType::Inner),
        )
        .join(
            per_region,
            [col("K"), col("mi")],
            [col("K"), col("mi")],
            JoinArgs::new(JoinType::Left),
        )
        .with_columns(
            CONTINENTS
                .iter()
                .map(|c| col(format!("{c}_total")).fill_null(lit(0i64)))
                .collect::<Vec<_>>(),
        )
        .with_columns([
            best_value.alias("best_value"),
            col("K")
                .floor_div(lit(1_000_000_000i64))
                .cast(DataType::Int32)
                .alias("level"),
            (col("K") % lit(1_000_000_000i64))
                .cast(DataType::Int32)
                .alias("c"),
        ])
        .select(metric_cols);

    // hs_count_month: per code and partner at the latest month.
    let window = |lo_: i32, hi_: i32| -> Expr {
        col("value")
            .filter(col("mi").gt_eq(lit(lo_)).and(col("mi").lt_eq(lit(hi_))))
            .sum()
    };
    let count_month = sparse
        .group_by([col("level"), col("c"), col("p")])
        .agg([
            window(n - 12, n - 1).alias("r12"),
            if n > 23 {
                window(n - 24, n - 13)
            } else {
                lit(0i64)
            }
            .alias("p12"),
            window(n - 48, n - 37).alias("base36"),
        ])
        .select([
            col("c")
                .cast(DataType::String)
                .str()
                .zfill(col("level"))
                .alias("hs_code"),
            col("level"),
            col("p")
                .cast(DataType::String)
                .str()
                .zfill(lit(3))
                .alias("country_code"),
            lit(latest).alias("as_of_month"),
            col("r12").alias("recent12m_total"),
            col("p12").alias("prev12m_total"),
            hundredths(col("r12") * lit(100i64), lit(12i64)).alias("monthly_avg"),
            when(lit(n > 47).and(col("base36").gt(lit(0i64))))
                .then(round2(
                    ((f64c("r12") / f64c("base36")).pow(lit(1.0 / 3.0)) - lit(1.0)) * lit(100.0),
                ))
                .otherwise(lit(NULL).cast(DataType::Float64))
                .alias("three_year_cagr"),
        ]);

    let mut counts = Vec::new();
    for (name, frame) in [
        ("products", products),
        ("hs_base_metrics", base_metrics),
        ("hs_count_month", count_month),
    ] {
        let mut df = frame
            .collect_with_engine(Engine::Streaming)?
            .unwrap_single();
        counts.push((name, df.height()));
        lap(name, &mut times);
        write_parquet(&mut df, &out.join(format!("{name}.parquet")))?;
        lap("write", &mut times);
    }
    let mut facts = facts
        .collect_with_engine(Engine::Streaming)?
        .unwrap_single();
    counts.insert(0, ("facts", facts.height()));
    write_parquet(&mut facts, &out.join("facts.parquet"))?;
    lap("write", &mut times);
    times.push(("total", t_all.elapsed().as_secs_f64()));

    let mut merged: Vec<(&str, f64)> = Vec::new();
    for (k, v) in times {
        match merged.iter_mut().find(|(m, _)| *m == k) {
            Some(e) => e.1 += v,
            None => merged.push((k, v)),
        }
    }
    let times_json: Vec<String> = merged
        .iter()
        .map(|(k, v)| format!("\"{k}\": {v:.3}"))
        .collect();
    let mut peak_after: Vec<String> = Vec::new();
    for (k, v) in &peaks {
        if !peak_after
            .iter()
            .any(|e| e.starts_with(&format!("\"{k}\"")))
        {
            peak_after.push(format!("\"{k}\": {v}"));
        }
    }
    let rows_json: Vec<String> = counts
        .iter()
        .map(|(k, v)| format!("\"{k}\": {v}"))
        .collect();
    let mut bytes = 0;
    for entry in std::fs::read_dir(&out)? {
        bytes += entry?.metadata()?.len();
    }
    println!(
        "{{\"polars_version\": \"{}\", \"threads\": \"{}\", \"times\": {{{}}}, \"rows\": {{{}}}, \"parquet_bytes\": {bytes}, \"peak_rss_mb_after\": {{{}}}}}",
        polars::VERSION,
        std::env::var("POLARS_MAX_THREADS").unwrap_or_default(),
        times_json.join(", "),
        rows_json.join(", "),
        peak_after.join(", ")
    );
    Ok(())
}

/// Two decimals as DuckDB's `round(x, 2)` gives them: `x * 100` rounded
/// half away from zero, divided by 100. polars' own `round(2)` rounds the
/// decimal it prints, so 7.725, a double just below it, goes up there and
/// down in DuckDB; and polars divides by a literal as a multiplication by
/// its inverse (-2683 * 0.01 = -26.830000000000002), so the quotient is
/// rounded once more to two decimals, which gives the double nearest to
/// k / 100, as DuckDB's division does.
/// `num / den / 100` (integers, `den > 0`) rounded half away from zero
/// from the exact quotient, as a double: cnexport's rounding, and the
/// DuckDB script's (a double quotient rounded with `round(x, 2)` differs at
/// exact halves: 13,429 / 4,000 - 1 = 235.725% comes out as 235.72).
fn hundredths(num: Expr, den: Expr) -> Expr {
    let up = |n: Expr| (n * lit(2i64) + den.clone()).floor_div(den.clone() * lit(2i64));
    let k = when(num.clone().lt(lit(0i64)))
        .then(lit(0i64) - up(lit(0i64) - num.clone()))
        .otherwise(up(num));
    (k.cast(DataType::Float64) / lit(100.0)).round(2, RoundMode::HalfAwayFromZero)
}

fn round2(e: Expr) -> Expr {
    ((e * lit(100.0)).round(0, RoundMode::HalfAwayFromZero) / lit(100.0))
        .round(2, RoundMode::HalfAwayFromZero)
}

/// Slices `0..n` of a query, each collected (streaming engine) before the
/// next starts, so that one slice's frames are in memory at a time; their
/// rows concatenated.
fn collect_slices(n: i32, slice: impl Fn(i32) -> LazyFrame) -> PolarsResult<LazyFrame> {
    let mut parts = Vec::new();
    for i in 0..n {
        parts.push(
            slice(i)
                .collect_with_engine(Engine::Streaming)?
                .unwrap_single()
                .lazy(),
        );
    }
    concat(parts, UnionArgs::default())
}

/// The 8-digit rows `g8` (columns level, c, then `keys`, then the
/// aggregated columns) and their 6, 4 and 2-digit roll-ups: each level is
/// the one below grouped by its code's prefix (the integer divided by 100)
/// and `keys`, with `aggs`, in the same column order.
fn with_roll_ups(g8: LazyFrame, keys: &[&str], aggs: &[(&str, Expr)]) -> PolarsResult<LazyFrame> {
    let mut by: Vec<Expr> = vec![col("c").floor_div(lit(100)).alias("c")];
    by.extend(keys.iter().map(|k| col(*k)));
    let mut levels = vec![g8];
    for lvl in [6i32, 4, 2] {
        let prev = levels.last().expect("one level").clone();
        let mut columns = vec![lit(lvl).alias("level"), col("c")];
        columns.extend(keys.iter().map(|k| col(*k)));
        columns.extend(aggs.iter().map(|(name, _)| col(*name)));
        let exprs: Vec<Expr> = aggs
            .iter()
            .map(|(name, e)| e.clone().alias(*name))
            .collect();
        levels.push(prev.group_by(by.clone()).agg(exprs).select(columns));
    }
    concat(levels, UnionArgs::default())
}

/// VmHWM of /proc/self/status in MB (0 where there is none).
fn peak_rss_mb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<u64>().ok())
        })
        .map_or(0, |kb| kb / 1024)
}

fn write_parquet(df: &mut DataFrame, path: &Path) -> Res<()> {
    let file = std::fs::File::create(path)?;
    ParquetWriter::new(file).finish(df)?;
    Ok(())
}
