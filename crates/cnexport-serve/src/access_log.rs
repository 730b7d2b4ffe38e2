//! The access log: one row of `hs_skill_access_log` per request to the
//! endpoints, in its own SQLite file (it survives rebuilds of the metrics
//! database), or one JSON line per request on standard output (the path
//! `-`, for replicas that ship their logs to a pipeline). Requests only
//! push a row onto a queue; a writer thread inserts (or prints) them in
//! batches, so a slow disk never slows a request. On shutdown the writer
//! drains the queue before it exits.

use rusqlite::{params, Connection};
use std::io::Write;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::thread::JoinHandle;
use std::time::{Duration, SystemTime};

/// Why the access log cannot be started.
#[derive(Debug, thiserror::Error)]
pub enum AccessLogError {
    #[error("cannot create the folder {} of the access log", path.display())]
    Folder {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("access log {}", path.display())]
    Sqlite {
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },
    #[error("cannot start the access-log writer")]
    Thread(#[source] std::io::Error),
}

/// Rows written per transaction at most.
const BATCH: usize = 1000;
/// How long a row may wait for its batch.
const FLUSH_EVERY: Duration = Duration::from_millis(200);

pub const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS hs_skill_access_log (
  id          TEXT PRIMARY KEY,
  ip          TEXT,
  path        TEXT NOT NULL,
  par         TEXT NOT NULL,
  create_time TEXT NOT NULL,
  status      INTEGER NOT NULL,
  latency_ms  REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS hs_skill_access_log_by_time ON hs_skill_access_log (create_time);
";

/// One request. Its JSON line (the standard-output log) has the same
/// fields as the table's columns, in the same order.
#[derive(Debug, Clone, serde::Serialize)]
pub struct LogRow {
    pub id: String,
    pub ip: Option<String>,
    pub path: String,
    pub par: String,
    pub create_time: String,
    pub status: u16,
    pub latency_ms: f64,
}

enum Msg {
    Row(LogRow),
    Shutdown,
}

/// The sending side, cloned into the request handlers.
#[derive(Clone)]
pub struct AccessLog {
    tx: Sender<Msg>,
    anonymize: bool,
}

/// The writer thread; `finish` drains and joins it.
pub struct AccessLogWriter {
    tx: Sender<Msg>,
    handle: Option<JoinHandle<WriterStats>>,
}

/// What the writer did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WriterStats {
    pub written: u64,
    pub failed: u64,
}

/// The path that means "JSON lines on standard output".
pub const STDOUT_PATH: &str = "-";

/// True when `path` is [`STDOUT_PATH`].
pub fn is_stdout(path: &Path) -> bool {
    path.as_os_str() == STDOUT_PATH
}

/// Where the writer puts rows.
enum Sink {
    Sqlite(Connection),
    /// One JSON object a line, flushed after each batch.
    Stdout,
}

impl Sink {
    fn write(&mut self, rows: &[LogRow]) -> Result<(), String> {
        match self {
            Sink::Sqlite(conn) => insert(conn, rows).map_err(|e| e.to_string()),
            Sink::Stdout => {
                let mut text = String::new();
                for r in rows {
                    text.push_str(&serde_json::to_string(r).map_err(|e| e.to_string())?);
                    text.push('\n');
                }
                let mut out = std::io::stdout().lock();
                out.write_all(text.as_bytes())
                    .and_then(|()| out.flush())
                    .map_err(|e| e.to_string())
            }
        }
    }
}

impl AccessLog {
    /// Opens (creating it if needed) the log file and starts the writer;
    /// the path `-` ([`STDOUT_PATH`]) writes JSON lines to standard output.
    pub fn start(
        path: &Path,
        anonymize: bool,
    ) -> Result<(AccessLog, AccessLogWriter), AccessLogError> {
        let sink = if is_stdout(path) {
            Sink::Stdout
        } else {
            Sink::Sqlite(open_log(path)?)
        };
        let (tx, rx) = mpsc::channel();
        let path = path.to_path_buf();
        let handle = std::thread::Builder::new()
            .name("access-log".into())
            .spawn(move || writer(sink, path, rx))
            .map_err(AccessLogError::Thread)?;
        Ok((
            AccessLog {
                tx: tx.clone(),
                anonymize,
            },
            AccessLogWriter {
                tx,
                handle: Some(handle),
            },
        ))
    }

    /// Queues a row (never blocks).
    pub fn record(
        &self,
        ip: Option<IpAddr>,
        path: &str,
        par: &str,
        status: u16,
        latency: Duration,
    ) {
        let ip = ip.map(|ip| if self.anonymize { anonymize(ip) } else { ip }.to_string());
        let row = LogRow {
            id: uuid::Uuid::new_v4().to_string(),
            ip,
            path: truncate(path, 512),
            par: truncate(par, 4096),
            create_time: utc_timestamp(SystemTime::now()),
            status,
            latency_ms: latency.as_secs_f64() * 1000.0,
        };
        let _ = self.tx.send(Msg::Row(row));
    }
}

impl AccessLogWriter {
    /// Writes every queued row and stops the writer.
    pub fn finish(mut self) -> WriterStats {
        let _ = self.tx.send(Msg::Shutdown);
        self.handle
            .take()
            .and_then(|h| h.join().ok())
            .unwrap_or_default()
    }
}

fn open_log(path: &Path) -> Result<Connection, AccessLogError> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(|source| AccessLogError::Folder {
            path: parent.to_path_buf(),
            source,
        })?;
    }
    let sqlite = |source| AccessLogError::Sqlite {
        path: path.to_path_buf(),
        source,
    };
    let conn = Connection::open(path).map_err(sqlite)?;
    conn.execute_batch("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;")
        .and_then(|_| conn.execute_batch(SCHEMA))
        .map_err(sqlite)?;
    Ok(conn)
}

fn writer(mut sink: Sink, path: PathBuf, rx: Receiver<Msg>) -> WriterStats {
    let mut stats = WriterStats::default();
    let mut pending: Vec<LogRow> = Vec::new();
    let mut shutting_down = false;
    loop {
        // Collect a batch: wait for the first row, then take what is queued.
        match rx.recv_timeout(FLUSH_EVERY) {
            Ok(Msg::Row(r)) => pending.push(r),
            Ok(Msg::Shutdown) | Err(RecvTimeoutError::Disconnected) => shutting_down = true,
            Err(RecvTimeoutError::Timeout) => {}
        }
        while pending.len() < BATCH * 10 {
            match rx.try_recv() {
                Ok(Msg::Row(r)) => pending.push(r),
                Ok(Msg::Shutdown) => shutting_down = true,
                Err(_) => break,
            }
        }
        while !pending.is_empty() {
            let n = pending.len().min(BATCH);
            match sink.write(&pending[..n]) {
                Ok(()) => {
                    stats.written += n as u64;
                    pending.drain(..n);
                }
                Err(e) => {
                    // Keep the rows and try again on the next round.
                    tracing::warn!(
                        path = %path.display(),
                        error = %e,
                        rows = pending.len(),
                        "cannot write to the access log; will retry"
                    );
                    if shutting_down {
                        stats.failed += pending.len() as u64;
                        pending.clear();
                    }
                    break;
                }
            }
        }
        if shutting_down {
            // Rows sent before Shutdown are all in the channel: drain them.
            let rest: Vec<LogRow> = rx
                .try_iter()
                .filter_map(|m| match m {
                    Msg::Row(r) => Some(r),
                    Msg::Shutdown => None,
                })
                .collect();
            for chunk in rest.chunks(BATCH) {
                match sink.write(chunk) {
                    Ok(()) => stats.written += chunk.len() as u64,
                    Err(_) => stats.failed += chunk.len() as u64,
                }
            }
            return stats;
        }
    }
}

fn insert(conn: &mut Connection, rows: &[LogRow]) -> rusqlite::Result<()> {
    let tx = conn.transaction()?;
    {
        let mut st = tx.prepare_cached(
            "INSERT INTO hs_skill_access_log (id, ip, path, par, create_time, status, latency_ms)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )?;
        for r in rows {
            st.execute(params![
                r.id,
                r.ip,
                r.path,
                r.par,
                r.create_time,
                r.status,
                r.latency_ms
            ])?;
        }
    }
    tx.commit()
}

/// Zeroes the last octet of an IPv4 address, the last 80 bits of an IPv6 one.
pub fn anonymize(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, c, _] = v4.octets();
            IpAddr::from([a, b, c, 0])
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return anonymize(IpAddr::V4(v4));
            }
            let mut o = v6.octets();
            for b in &mut o[6..] {
                *b = 0;
            }
            IpAddr::from(o)
        }
    }
}

fn truncate(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_string();
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s[..end].to_string()
}

/// `YYYY-MM-DD HH:MM:SS.mmm` in UTC (milliseconds truncated); a time before
/// 1970 is written as the epoch.
pub fn utc_timestamp(t: SystemTime) -> String {
    let d = t.duration_since(SystemTime::UNIX_EPOCH).unwrap_or_default();
    let secs = i64::try_from(d.as_secs()).unwrap_or(i64::MAX);
    chrono::DateTime::from_timestamp(secs, d.subsec_nanos())
        .unwrap_or_default()
        .format("%Y-%m-%d %H:%M:%S%.3f")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_and_anonymisation() {
        let t = SystemTime::UNIX_EPOCH + Duration::from_millis(1_700_000_000_123);
        assert_eq!(utc_timestamp(t), "2023-11-14 22:13:20.123");
        assert_eq!(
            utc_timestamp(SystemTime::UNIX_EPOCH + Duration::from_secs(951_782_400)),
            "2000-02-29 00:00:00.000"
        );
        // Milliseconds are cut, never rounded up into the next second.
        let t = SystemTime::UNIX_EPOCH + Duration::from_nanos(1_700_000_000_999_999_999);
        assert_eq!(utc_timestamp(t), "2023-11-14 22:13:20.999");
        assert_eq!(
            anonymize("203.0.113.77".parse().unwrap()).to_string(),
            "203.0.113.0"
        );
        assert_eq!(
            anonymize("2001:db8:1:2:3:4:5:6".parse().unwrap()).to_string(),
            "2001:db8:1::"
        );
    }

    #[test]
    fn every_row_is_written_by_finish() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("log.db");
        let (log, writer) = AccessLog::start(&path, false).unwrap();
        for i in 0..2500 {
            log.record(
                None,
                "/skill/trend",
                &format!("i={i}"),
                200,
                Duration::from_micros(5),
            );
        }
        let stats = writer.finish();
        assert_eq!(stats.written, 2500);
        let conn = Connection::open(&path).unwrap();
        let n: i64 = conn
            .query_row("SELECT count(*) FROM hs_skill_access_log", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, 2500);
    }

    #[test]
    fn a_json_line_has_the_columns_of_the_table() {
        let row = LogRow {
            id: "x".into(),
            ip: None,
            path: "/skill/trend".into(),
            par: "hsCode=1".into(),
            create_time: "2023-11-14 22:13:20.123".into(),
            status: 200,
            latency_ms: 1.5,
        };
        let line = serde_json::to_string(&row).unwrap();
        assert_eq!(
            line,
            r#"{"id":"x","ip":null,"path":"/skill/trend","par":"hsCode=1","create_time":"2023-11-14 22:13:20.123","status":200,"latency_ms":1.5}"#
        );
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(SCHEMA).unwrap();
        let st = conn.prepare("SELECT * FROM hs_skill_access_log").unwrap();
        let value: serde_json::Value = serde_json::from_str(&line).unwrap();
        let keys: Vec<&str> = value
            .as_object()
            .unwrap()
            .keys()
            .map(|k| k.as_str())
            .collect();
        assert_eq!(keys, st.column_names().collect::<Vec<_>>());
    }
}
