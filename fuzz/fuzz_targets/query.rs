//! The query-string parser and every endpoint behind it.
//!
//! The first byte picks an endpoint; the rest is the query string. The
//! parameters are checked by every accessor, then the whole request is
//! answered against a database: the sample database when
//! `CNEXPORT_FUZZ_DB` names one (scripts/fuzz.sh builds it), else an empty
//! one with the schema. Any answer is fine except a 5xx or a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rusqlite::{Connection, OpenFlags};
use std::sync::{Mutex, OnceLock};

const PATHS: &[&str] = &[
    "/skill/dashboard",
    "/skill/markets",
    "/skill/trend",
    "/skill/topProducts",
    "/skill/history",
    "/skill/search",
    "/skill/meta",
    "/skill/contributions",
    "/skill/countries",
    "/skill/unknown",
];

fn conn() -> &'static Mutex<Connection> {
    static CONN: OnceLock<Mutex<Connection>> = OnceLock::new();
    CONN.get_or_init(|| {
        let c = match std::env::var_os("CNEXPORT_FUZZ_DB") {
            Some(path) => Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY)
                .expect("open CNEXPORT_FUZZ_DB"),
            None => {
                let c = Connection::open_in_memory().unwrap();
                c.execute_batch(&cnexport_load::schema_sql()).unwrap();
                c
            }
        };
        Mutex::new(c)
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let Ok(query) = std::str::from_utf8(rest) else {
        return;
    };
    if let Ok(p) = cnexport_api::Params::parse(query) {
        let _ = p.hs_code(&[2, 4, 6, 8]);
        let _ = p.hs_code(&[8]);
        let _ = p.country_code();
        let _ = p.month("currentMonth");
        let _ = p.get("sortBy");
        let _ = p.require("regionFilter", "a region");
        let _ = p.integer("limit", 10, 1, 100);
        let _ = p.integer("minAmount", 0, 0, i64::MAX);
        let _ = p.number("maxConcentration", 0.0, 1.0);
    }
    let path = PATHS[usize::from(pick) % PATHS.len()];
    let target = format!("{path}?{query}");
    let conn = conn().lock().unwrap();
    let r = cnexport_api::answer(&conn, &target);
    assert!(r.status < 500, "{target:?} -> {} {}", r.status, r.body);
    assert_eq!(r.body["code"], r.status);
});
