//! Clients that misbehave at the connection level against a real
//! `cnexport serve`: one that sends its request a byte at a time, one that
//! connects and says nothing, and one that sends faster than the per-IP
//! rate limit allows. The server cuts the first two off, answers others
//! meanwhile, and answers the third 429 with Retry-After; nothing gets a 5xx.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::common;
use crate::common::{cnexport, realdata_dir};

fn build(input: &Path, db: &Path, stage: &Path) {
    common::build(input, db, Some(stage));
}

/// A server on 127.0.0.1 and its address; killed when dropped.
struct Server {
    child: Option<Child>,
    addr: String,
}

impl Server {
    /// SIGTERM, then the exit status (the server drains first).
    fn terminate(mut self) -> std::process::ExitStatus {
        let mut child = self.child.take().unwrap();
        let ok = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()
            .unwrap()
            .success();
        assert!(ok);
        child.wait().unwrap()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn start(db: &Path, extra: &[&str]) -> Server {
    let mut child = cnexport()
        .args(["serve", "--addr", "127.0.0.1:0", "--db"])
        .arg(db)
        .args(extra)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (addr, lines) = crate::common::listening_addr(&mut child);
    std::thread::spawn(move || for _ in lines {});
    Server {
        child: Some(child),
        addr,
    }
}

/// One request on a fresh connection: status, headers and body text.
fn get(addr: &str, target: &str) -> (u16, String) {
    crate::common::http(addr, "GET", target, "", "")
}

/// Reads until the server closes the connection (or 60 s pass, which
/// fails the test: the server should have cut the client off long before).
fn closed_by_server(s: &mut TcpStream) -> Vec<u8> {
    s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match s.read(&mut buf) {
            Ok(0) => return got,
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => return got,
            Err(e) => panic!("the server never closed the connection: {e}"),
        }
    }
}

#[test]
fn slow_and_silent_clients_are_cut_off_while_others_are_answered() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("x.db");
    build(&realdata_dir(), &db, &dir.path().join("stage"));
    let server = start(&db, &["--request-timeout", "1"]);

    // Silent: connects, sends nothing.
    let mut silent = TcpStream::connect(&server.addr).unwrap();
    // Slow: dribbles a request head, one byte at a time, from a thread,
    // until the server stops taking them.
    let addr = server.addr.clone();
    let slow = std::thread::spawn(move || {
        let mut s = TcpStream::connect(&addr).unwrap();
        let head = b"GET /skill/topProducts HTTP/1.1\r\nHost: x\r\nX-Pad: ";
        let mut sent = 0usize;
        let mut cut_off = false;
        for i in 0..600 {
            let byte = head.get(i).copied().unwrap_or(b'a');
            if s.write_all(&[byte]).is_err() {
                cut_off = true;
                break;
            }
            sent += 1;
            std::thread::sleep(Duration::from_millis(100));
        }
        let answer = if cut_off {
            Vec::new()
        } else {
            closed_by_server(&mut s)
        };
        (sent, cut_off, answer)
    });

    // Meanwhile others are answered.
    for _ in 0..5 {
        let (status, raw) = get(&server.addr, "/skill/topProducts");
        assert_eq!(status, 200, "{raw}");
        std::thread::sleep(Duration::from_millis(200));
    }

    let silent_got = closed_by_server(&mut silent);
    let silent_text = String::from_utf8_lossy(&silent_got);
    assert!(
        !silent_text.contains(" 200 ") && !silent_text.contains(" 5"),
        "{silent_text}"
    );
    let (sent, cut_off, answer) = slow.join().unwrap();
    let answer = String::from_utf8_lossy(&answer);
    assert!(
        cut_off || !answer.contains(" 200 "),
        "the slow client was served after {sent} bytes: {answer}"
    );
    assert!(sent < 600, "the slow client was never cut off");

    // And the server still answers.
    assert_eq!(get(&server.addr, "/healthz").0, 200);
}

#[test]
fn over_the_rate_limit_is_429_with_retry_after() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("x.db");
    build(&realdata_dir(), &db, &dir.path().join("stage"));
    let log = dir.path().join("access.db");
    let server = start(
        &db,
        &["--rate-limit", "1", "--access-log", log.to_str().unwrap()],
    );
    let mut statuses = Vec::new();
    let mut retry_after = false;
    for _ in 0..30 {
        let (status, raw) = get(&server.addr, "/skill/topProducts");
        if status == 429 {
            retry_after |= raw.to_ascii_lowercase().contains("retry-after: 1\r\n");
            assert!(raw.contains("\"code\":429"), "{raw}");
        }
        statuses.push(status);
    }
    let ok = statuses.iter().filter(|s| **s == 200).count();
    let limited = statuses.iter().filter(|s| **s == 429).count();
    assert_eq!(ok + limited, 30, "{statuses:?}");
    assert!(ok >= 2, "the burst of 2 was not allowed: {statuses:?}");
    assert!(limited >= 1, "no request was limited: {statuses:?}");
    assert!(retry_after, "429 without Retry-After: 1");
    // Health checks are not limited.
    assert_eq!(get(&server.addr, "/healthz").0, 200);

    // Every request, limited or not, is in the access log.
    assert!(server.terminate().success());
    let conn = rusqlite::Connection::open(&log).unwrap();
    let (rows, limited_rows): (i64, i64) = conn
        .query_row(
            "SELECT count(*), sum(status = 429) FROM hs_skill_access_log",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(rows, 30);
    assert_eq!(limited_rows as usize, limited);
}
