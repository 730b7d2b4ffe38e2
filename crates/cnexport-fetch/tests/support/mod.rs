//! A tiny HTTP/1.1 server on 127.0.0.1 for the fetch tests, written on raw
//! sockets so it can misbehave on purpose: fail, stall, send a body shorter
//! than its Content-Length, or send no length at all.

#![allow(dead_code)]

use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::io::Write;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// What the server answers for one path. `times` counts the requests to the
/// path (1-based); `u32::MAX` means always.
#[derive(Clone, Debug)]
pub enum Res {
    /// 200 with the body; 304 when the request's If-None-Match or
    /// If-Modified-Since matches the validators given.
    Ok {
        body: Vec<u8>,
        etag: Option<String>,
        last_modified: Option<String>,
        content_type: String,
    },
    /// Always this status.
    Status(u16),
    /// This status for the first `times` requests, then `then`.
    FailFirst {
        times: u32,
        status: u16,
        then: Box<Res>,
    },
    /// Waits `delay` before answering the first `times` requests (the
    /// waits at once are counted: [`Server::max_in_flight`]).
    Slow {
        times: u32,
        delay: Duration,
        then: Box<Res>,
    },
    /// For the first `times` requests: the headers of `then` (an `Ok`) with
    /// its full Content-Length, half the body, then the connection closes.
    ShortFirst { times: u32, then: Box<Res> },
    /// 200 without Content-Length: the body ends when the connection closes.
    NoLength(Vec<u8>),
}

impl Res {
    pub fn file(body: impl Into<Vec<u8>>) -> Res {
        Res::Ok {
            body: body.into(),
            etag: None,
            last_modified: None,
            content_type: "application/octet-stream".into(),
        }
    }
    pub fn with_etag(body: impl Into<Vec<u8>>, etag: &str) -> Res {
        Res::Ok {
            body: body.into(),
            etag: Some(etag.into()),
            last_modified: None,
            content_type: "application/octet-stream".into(),
        }
    }
    pub fn with_last_modified(body: impl Into<Vec<u8>>, lm: &str) -> Res {
        Res::Ok {
            body: body.into(),
            etag: None,
            last_modified: Some(lm.into()),
            content_type: "application/octet-stream".into(),
        }
    }
    pub fn html(page: &str) -> Res {
        Res::Ok {
            body: page.as_bytes().to_vec(),
            etag: None,
            last_modified: None,
            content_type: "text/html; charset=utf-8".into(),
        }
    }
}

/// One request the server saw.
#[derive(Clone, Debug)]
pub struct Seen {
    pub path: String,
    pub if_none_match: Option<String>,
    pub if_modified_since: Option<String>,
}

#[derive(Default)]
struct Inner {
    routes: Mutex<HashMap<String, Res>>,
    hits: Mutex<HashMap<String, u32>>,
    seen: Mutex<Vec<Seen>>,
    in_flight: AtomicUsize,
    max_in_flight: AtomicUsize,
}

pub struct Server {
    pub addr: SocketAddr,
    inner: Arc<Inner>,
}

impl Server {
    pub fn start() -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let inner = Arc::new(Inner::default());
        let shared = Arc::clone(&inner);
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                let shared = Arc::clone(&shared);
                std::thread::spawn(move || handle(stream, &shared));
            }
        });
        Server { addr, inner }
    }

    /// `http://127.0.0.1:PORT/path`
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub fn set(&self, path: &str, res: Res) {
        self.inner
            .routes
            .lock()
            .unwrap()
            .insert(path.to_string(), res);
    }

    pub fn hits(&self, path: &str) -> u32 {
        self.inner
            .hits
            .lock()
            .unwrap()
            .get(path)
            .copied()
            .unwrap_or(0)
    }

    pub fn seen(&self, path: &str) -> Vec<Seen> {
        let seen = self.inner.seen.lock().unwrap();
        seen.iter().filter(|s| s.path == path).cloned().collect()
    }

    pub fn reset_counts(&self) {
        self.inner.hits.lock().unwrap().clear();
        self.inner.seen.lock().unwrap().clear();
        self.inner.max_in_flight.store(0, Ordering::SeqCst);
    }

    pub fn max_in_flight(&self) -> usize {
        self.inner.max_in_flight.load(Ordering::SeqCst)
    }
}

fn handle(mut stream: TcpStream, inner: &Inner) {
    let Some(head) = cnexport_testkit::platform::read_request_head(&mut stream) else {
        return;
    };
    let mut lines = head.split("\r\n");
    let target = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .unwrap_or("/")
        .to_string();
    let path = target.split('?').next().unwrap_or("/").to_string();
    let mut headers = HashMap::new();
    for line in lines {
        if let Some((k, v)) = line.split_once(':') {
            headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
        }
    }
    let seen = Seen {
        path: path.clone(),
        if_none_match: headers.get("if-none-match").cloned(),
        if_modified_since: headers.get("if-modified-since").cloned(),
    };
    inner.seen.lock().unwrap().push(seen.clone());
    let hit = {
        let mut hits = inner.hits.lock().unwrap();
        let h = hits.entry(path.clone()).or_insert(0);
        *h += 1;
        *h
    };
    let res = inner.routes.lock().unwrap().get(&path).cloned();
    match res {
        Some(res) => respond(&mut stream, &res, hit, &seen, inner),
        None => status(&mut stream, 404),
    }
    let _ = stream.flush();
    let _ = stream.shutdown(std::net::Shutdown::Both);
}

fn respond(stream: &mut TcpStream, res: &Res, hit: u32, seen: &Seen, inner: &Inner) {
    match res {
        Res::Ok {
            body,
            etag,
            last_modified,
            content_type,
        } => {
            let etag_match = etag.is_some() && seen.if_none_match == *etag;
            let lm_match = last_modified.is_some() && seen.if_modified_since == *last_modified;
            let mut extra = String::new();
            if let Some(e) = etag {
                extra += &format!("ETag: {e}\r\n");
            }
            if let Some(lm) = last_modified {
                extra += &format!("Last-Modified: {lm}\r\n");
            }
            if etag_match || lm_match {
                let _ = write!(
                    stream,
                    "HTTP/1.1 304 Not Modified\r\n{extra}Connection: close\r\n\r\n"
                );
                return;
            }
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n{extra}Connection: close\r\n\r\n",
                body.len()
            );
            let _ = stream.write_all(body);
        }
        Res::Status(code) => status(stream, *code),
        Res::FailFirst {
            times,
            status: code,
            then,
        } => {
            if hit <= *times {
                status(stream, *code)
            } else {
                respond(stream, then, hit, seen, inner)
            }
        }
        Res::Slow { times, delay, then } => {
            if hit <= *times {
                // Counted only while waiting: the answer is not sent yet, so
                // the client is certainly still holding its request open.
                let now = inner.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
                inner.max_in_flight.fetch_max(now, Ordering::SeqCst);
                std::thread::sleep(*delay);
                inner.in_flight.fetch_sub(1, Ordering::SeqCst);
            }
            respond(stream, then, hit, seen, inner)
        }
        Res::ShortFirst { times, then } => {
            if hit > *times {
                return respond(stream, then, hit, seen, inner);
            }
            let Res::Ok { body, .. } = &**then else {
                panic!("ShortFirst wraps an Ok")
            };
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            let _ = stream.write_all(&body[..body.len() / 2]);
        }
        Res::NoLength(body) => {
            let _ = write!(stream, "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n");
            let _ = stream.write_all(body);
        }
    }
}

fn status(stream: &mut TcpStream, code: u16) {
    let body = format!("status {code}");
    let _ = write!(
        stream,
        "HTTP/1.1 {code} Whatever\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
}

pub fn sha256(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Every file under the landing folder, relative, with `/` separators.
pub fn files_under(root: &Path) -> Vec<String> {
    fn walk(dir: &Path, root: &Path, out: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, root, out);
            } else {
                let rel = path.strip_prefix(root).unwrap().to_string_lossy();
                out.push(rel.replace('\\', "/"));
            }
        }
    }
    let mut out = Vec::new();
    if root.exists() {
        walk(root, root, &mut out);
    }
    out.sort();
    out
}

/// No temporary or partial file anywhere, every stored file is in the
/// manifest with its size and SHA-256, and every manifest entry's file is
/// there and whole.
pub fn check_landing(into: &Path) -> cnexport_fetch::Manifest {
    let manifest = cnexport_fetch::Manifest::load(into).unwrap();
    for rel in files_under(into) {
        assert!(
            !rel.contains(".part") && !rel.contains(".tmp"),
            "temporary file left behind: {rel}"
        );
        if rel == "manifest.json" {
            continue;
        }
        let bytes = std::fs::read(into.join(&rel)).unwrap();
        let entry = manifest
            .files
            .iter()
            .find(|e| e.path == rel)
            .unwrap_or_else(|| panic!("{rel} is not in the manifest"));
        assert_eq!(entry.sha256, sha256(&bytes), "{rel}: content != manifest");
        assert_eq!(entry.size, bytes.len() as u64, "{rel}: size != manifest");
    }
    for e in &manifest.files {
        let bytes = std::fs::read(into.join(&e.path))
            .unwrap_or_else(|err| panic!("manifest entry {} missing: {err}", e.path));
        assert_eq!(e.sha256, sha256(&bytes), "{}", e.path);
        assert!(e.fetched_at.ends_with('Z') && e.fetched_at.len() == 20);
    }
    manifest
}

/// Options for tests: short timeout and backoff.
pub fn options(source: String, into: &Path, release: &str) -> cnexport_fetch::FetchOptions {
    let mut opts = cnexport_fetch::FetchOptions::new(source, into);
    opts.timeout = Duration::from_millis(500);
    opts.backoff_base = Duration::from_millis(10);
    opts.retries = 3;
    opts.release_date = Some(release.to_string());
    opts
}

pub fn names(files: &[cnexport_fetch::FetchedFile], into: &Path) -> Vec<String> {
    let mut v: Vec<String> = files
        .iter()
        .map(|f| {
            PathBuf::from(&f.path)
                .strip_prefix(into)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/")
        })
        .collect();
    v.sort();
    v
}
