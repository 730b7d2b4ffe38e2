//! Criterion benches of merge, transform and load on scaled-down national
//! data (the national generator's shape: realistic sparsity, 48 months).
//!
//! `cargo bench -p cnexport-benches --bench transform`
//!
//! Throughput is in facts (merged monthly facts). The size is set by
//! `CNEXPORT_BENCH_CODES` (default 1,000 codes x 48 months, ~0.9 million
//! facts: about 4% of national scale, so a run takes a few minutes on two
//! cores).

use cnexport_benches::{monthly_facts, partner_names, product_names, National};
use cnexport_core::reference::Reference;
use cnexport_core::{Currency, Fact, HeaderLanguage, Month, ParsedFile, SourceFormat};
use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use std::time::Duration;

fn codes() -> usize {
    std::env::var("CNEXPORT_BENCH_CODES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000)
}

fn national(codes: usize, months: u32) -> National {
    National::new(20260601, codes, Month::new(2022, 1).expect("month"), months)
}

fn input(n: &National) -> cnexport_transform::TransformInput {
    cnexport_transform::TransformInput {
        summary: None,
        facts: monthly_facts(n),
        product_names: product_names(n),
        partner_names: partner_names(n),
        meta: vec![("input_digest".into(), "bench".into())],
        low_base_threshold: 1_000_000,
    }
}

/// The parsed files a build would merge: one per month, as ingest gives them.
fn parsed_files(n: &National) -> Vec<ParsedFile> {
    (0..n.months)
        .map(|t| {
            let month = n.month(t);
            let mut facts = Vec::new();
            n.for_each_row(t, |p, c, v| {
                facts.push(Fact {
                    month,
                    hs_code: p.code,
                    partner: c.code,
                    reg_place: None,
                    trade_mode: None,
                    value: v.value,
                    quantity1: v.q1,
                    unit1: Some(cnexport_core::Sym::new(&p.unit1)),
                    quantity2: v.q2,
                    unit2: p.unit2.as_deref().map(cnexport_core::Sym::new),
                    line: facts.len() as u32 + 2,
                })
            });
            ParsedFile {
                path: n.file_name(t),
                sha256: format!("{t:064}"),
                size: 0,
                format: SourceFormat::Csv,
                language: HeaderLanguage::Chinese,
                encoding: Some("UTF-8".into()),
                currency: Currency::Cny,
                has_reg_place: false,
                has_trade_mode: false,
                rows_read: facts.len() as u64,
                facts,
                quarantined: Vec::new(),
                warnings: Vec::new(),
                product_names: Vec::new(),
                partner_names: Vec::new(),
            }
        })
        .collect()
}

fn transform_benches(c: &mut Criterion) {
    let n = national(codes(), 48);
    let input = input(&n);
    let facts = input.facts.len() as u64;
    eprintln!(
        "transform benches: {} codes x 48 months = {} facts",
        n.products.len(),
        facts
    );
    let reference = Reference::get();

    let mut g = c.benchmark_group("transform");
    g.sample_size(10);
    g.measurement_time(Duration::from_secs(20));
    g.throughput(Throughput::Elements(facts));
    // The whole transform (sort, meta, countries, products, metrics).
    g.bench_function("transform_whole", |b| {
        b.iter_batched(
            || input.clone(),
            cnexport_transform::transform,
            BatchSize::LargeInput,
        )
    });
    // The metric tables only (hs_base_metrics + hs_count_month, all levels).
    g.bench_function("metrics_compute", |b| {
        b.iter(|| {
            cnexport_transform::metrics::compute(
                &input.facts,
                &cnexport_transform::summarize(&input.facts),
                reference,
                1_000_000,
            )
        })
    });
    g.finish();

    // The metrics' cost per as-of month: 24 months give one as-of month,
    // 48 give 25; the difference isolates hs_base_metrics rows from the
    // series building and roll-ups.
    let n24 = national(codes(), 24);
    let facts24 = monthly_facts(&n24);
    let mut g = c.benchmark_group("metrics_by_window");
    g.sample_size(10);
    g.measurement_time(Duration::from_secs(15));
    g.throughput(Throughput::Elements(facts24.len() as u64));
    g.bench_function("compute_24_months_1_as_of", |b| {
        b.iter(|| {
            cnexport_transform::metrics::compute(
                &facts24,
                &cnexport_transform::summarize(&facts24),
                reference,
                1_000_000,
            )
        })
    });
    g.finish();

    // Merge (the overlap rule) of the 48 monthly files.
    let files = parsed_files(&n);
    let rows: u64 = files.iter().map(|f| f.facts.len() as u64).sum();
    let mut g = c.benchmark_group("merge");
    g.sample_size(10);
    g.measurement_time(Duration::from_secs(20));
    g.throughput(Throughput::Elements(rows));
    g.bench_function("merge_48_files", |b| {
        b.iter(|| cnexport_ingest::merge::merge(&files))
    });
    g.finish();
    drop(files);

    // Load: the database written to a temporary file and renamed.
    let db = cnexport_transform::transform(input.clone());
    let dir = std::env::temp_dir().join(format!("cnexport-bench-load-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let target = dir.join("bench.db");
    let mut g = c.benchmark_group("load");
    g.sample_size(10);
    g.measurement_time(Duration::from_secs(30));
    g.throughput(Throughput::Elements(facts));
    g.bench_function("write_database", |b| {
        b.iter(|| cnexport_load::write_database(&target, &db).expect("load"))
    });
    g.finish();
    let _ = std::fs::remove_dir_all(&dir);
}

criterion_group!(benches, transform_benches);
criterion_main!(benches);
