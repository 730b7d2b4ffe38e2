//! Criterion benches of parsing one bulletin (`cnexport_ingest::parse_bytes`):
//! the platform's quoted CSV (UTF-8 and GB18030) and an .xlsx of the same
//! rows made with rust_xlsxwriter (numeric cells, as the platform's Excel
//! export: HS codes lose their leading zero).
//!
//! `cargo bench -p cnexport-benches --bench parse`
//!
//! Throughput is in data rows. The CSV is one month of `CNEXPORT_BENCH_PARSE_CODES`
//! codes (default 5,000: ~90,000 rows, a fifth of a national month); the
//! .xlsx is its first 20,000 rows.

use cnexport_benches::{National, Partner, Product, Values};
use cnexport_core::Month;
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use rust_xlsxwriter::Workbook;
use std::time::Duration;

fn codes() -> usize {
    std::env::var("CNEXPORT_BENCH_PARSE_CODES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5_000)
}

fn xlsx(n: &National, t: u32, max_rows: usize) -> (Vec<u8>, u64) {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    for (i, h) in cnexport_testkit::bulletin::HEADERS.iter().enumerate() {
        ws.write_string(0, i as u16, *h).expect("xlsx");
    }
    let month = n.month(t).yyyymm() as f64;
    let mut row = 0u32;
    n.for_each_row(t, |p: &Product, c: &Partner, v: &Values| {
        if row as usize >= max_rows {
            return;
        }
        row += 1;
        ws.write_number(row, 0, month).expect("xlsx");
        ws.write_number(row, 1, c.code.0 as f64).expect("xlsx");
        ws.write_string(row, 2, &c.name).expect("xlsx");
        ws.write_number(row, 3, p.code.0 as f64).expect("xlsx");
        ws.write_string(row, 4, &p.name).expect("xlsx");
        ws.write_number(row, 5, v.q1 as f64).expect("xlsx");
        ws.write_string(row, 6, &p.unit1).expect("xlsx");
        ws.write_number(row, 7, v.q2 as f64).expect("xlsx");
        ws.write_string(row, 8, p.unit2.as_deref().unwrap_or("?"))
            .expect("xlsx");
        ws.write_number(row, 9, v.value as f64).expect("xlsx");
    });
    (wb.save_to_buffer().expect("xlsx"), row as u64)
}

fn parse_benches(c: &mut Criterion) {
    let n = National::new(20260601, codes(), Month::new(2022, 1).expect("month"), 48);
    let t = 47;
    let csv = n.month_csv(t);
    let rows = n.count_rows(t);
    let text = String::from_utf8(csv.clone()).expect("utf-8");
    let (gbk, _, _) = encoding_rs::GB18030.encode(&text);
    let gbk = gbk.into_owned();
    let (xlsx, xlsx_rows) = xlsx(&n, t, 20_000);
    eprintln!(
        "parse benches: csv {} rows ({} bytes), xlsx {} rows ({} bytes)",
        rows,
        csv.len(),
        xlsx_rows,
        xlsx.len()
    );
    // Sanity: every row parses.
    let parsed = cnexport_ingest::parse_bytes(&csv, "bench.csv").expect("csv parses");
    assert_eq!(parsed.facts.len() as u64, rows, "csv rows");
    let parsed = cnexport_ingest::parse_bytes(&xlsx, "bench.xlsx").expect("xlsx parses");
    assert_eq!(parsed.facts.len() as u64, xlsx_rows, "xlsx rows");

    let mut g = c.benchmark_group("parse");
    g.sample_size(10);
    g.measurement_time(Duration::from_secs(15));
    g.throughput(Throughput::Elements(rows));
    g.bench_function("csv_utf8", |b| {
        b.iter(|| cnexport_ingest::parse_bytes(&csv, "bench.csv").expect("parse"))
    });
    g.bench_function("csv_gb18030", |b| {
        b.iter(|| cnexport_ingest::parse_bytes(&gbk, "bench.csv").expect("parse"))
    });
    g.throughput(Throughput::Elements(xlsx_rows));
    g.bench_function("xlsx", |b| {
        b.iter(|| cnexport_ingest::parse_bytes(&xlsx, "bench.xlsx").expect("parse"))
    });
    g.finish();
}

criterion_group!(benches, parse_benches);
criterion_main!(benches);
