//! The query-string parser and every endpoint behind it.
//!
//! The first byte picks an endpoint (`Endpoint::ALL`, or a path that is
//! none); the rest is the query string. It is parsed with the endpoint's
//! parameter type, then the whole request is answered against a database: the sample database when
//! `CNEXPORT_FUZZ_DB` names one (scripts/fuzz.sh builds it), else an empty
//! one with the schema. Any answer is fine except a 5xx or a panic.
#![no_main]

use cnexport_api::{Endpoint, Query};
use libfuzzer_sys::fuzz_target;
use rusqlite::{Connection, OpenFlags};
use std::sync::{Mutex, OnceLock};

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
    let endpoint = Endpoint::ALL.get(usize::from(pick) % (Endpoint::ALL.len() + 1));
    if let (Some(e), Ok(q)) = (endpoint, Query::parse(query)) {
        // Parameter errors are 400s with a message naming the parameter.
        if let Err(err) = e.parse(&q) {
            assert_eq!(err.status, 400, "{query:?}: {err}");
        }
    }
    let path = endpoint.map_or("/skill/unknown", |e| e.path());
    let target = format!("{path}?{query}");
    let conn = conn().lock().unwrap();
    let r = cnexport_api::answer(&conn, &target);
    assert!(r.status < 500, "{target:?} -> {} {}", r.status, r.body);
    assert_eq!(r.body["code"], r.status);
});
