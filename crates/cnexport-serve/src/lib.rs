//! `cnexport serve`: the API over HTTP (axum).
//!
//! The endpoints (`cnexport_api::Endpoint::ALL`) answer through `cnexport_api::answer`, the same
//! function `cnexport query` calls, so the bodies are identical byte for
//! byte. Around it: an access log written off the request path, hot reload
//! of the database when a build replaces it (file polling and SIGHUP),
//! `/healthz`, `/openapi.json`, CORS and gzip.

pub mod access_log;
pub mod db;
pub mod mcp;
pub mod openapi;
pub mod rate_limit;
pub mod web;

use access_log::{AccessLog, AccessLogError, AccessLogWriter, WriterStats};
use axum::body::Body;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderName, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use db::{CachedAnswer, DbError, Reload, ServedDb};
use serde_json::json;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tower_http::compression::CompressionLayer;
use tower_http::cors::{Any, CorsLayer};
use tower_http::timeout::TimeoutLayer;

/// Why the server cannot start.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("cannot serve the database")]
    Db(#[from] DbError),
    #[error("cannot start the access log")]
    AccessLog(#[from] AccessLogError),
}

/// How `serve` runs.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    pub db: PathBuf,
    /// The access log's SQLite file, or `-` for JSON lines on standard output.
    pub access_log: Option<PathBuf>,
    /// Store IPs with the last octet (IPv4) / last 80 bits (IPv6) zeroed.
    pub anonymize_ip: bool,
    /// How often the database file is checked for a replacement.
    pub reload_poll: Duration,
    /// Longest a request may take before it is answered 408.
    pub request_timeout: Duration,
    /// Requests per second allowed per client IP (burst: twice that); `None` = no limit.
    pub rate_limit: Option<u32>,
    /// Bytes of answers cached per database generation (0: none).
    pub cache_bytes: usize,
    /// Serve MCP (Streamable HTTP) at `/mcp`; the Host headers it accepts
    /// (DNS rebinding protection). `None`: off.
    pub mcp_hosts: Option<Vec<String>>,
}

impl ServeOptions {
    pub fn new(db: impl Into<PathBuf>) -> ServeOptions {
        ServeOptions {
            db: db.into(),
            access_log: None,
            anonymize_ip: false,
            reload_poll: Duration::from_millis(500),
            request_timeout: Duration::from_secs(10),
            rate_limit: None,
            cache_bytes: db::DEFAULT_CACHE_BYTES,
            mcp_hosts: None,
        }
    }
}

/// Shared state of the handlers.
#[derive(Clone)]
pub struct AppState {
    pub db: Arc<ServedDb>,
    pub log: Option<AccessLog>,
    pub limiter: Option<Arc<rate_limit::RateLimiter>>,
}

/// The router, without a listener (tests call it with `oneshot`).
pub fn app(state: AppState, request_timeout: Duration) -> Router {
    app_with_mcp(state, request_timeout, None)
}

/// The router, with MCP at `/mcp` when `mcp_hosts` is given (the Host
/// headers it accepts).
pub fn app_with_mcp(
    state: AppState,
    request_timeout: Duration,
    mcp_hosts: Option<Vec<String>>,
) -> Router {
    let mut router = Router::new();
    if let Some(hosts) = mcp_hosts {
        let server = cnexport_mcp::CnexportMcp::with_backend(
            Arc::new(mcp::ServeBackend {
                state: state.clone(),
            }),
            "the served database",
        );
        router = router.nest_service("/mcp", cnexport_mcp::http_service(server, hosts));
    }
    router
        .route("/skill/{*endpoint}", get(skill))
        .route("/healthz", get(healthz))
        .route("/openapi.json", get(openapi_json))
        .merge(web::router())
        .fallback(not_found)
        .with_state(state)
        .layer(CompressionLayer::new().gzip(true))
        .layer(
            CorsLayer::new()
                .allow_origin(Any)
                .allow_methods([Method::GET, Method::HEAD, Method::OPTIONS])
                .allow_headers(Any)
                .expose_headers([header::ETAG, HeaderName::from_static("x-total-count")]),
        )
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            request_timeout,
        ))
}

fn json_response(status: u16, body: impl Into<Body>) -> Response {
    let mut resp = Response::new(body.into());
    *resp.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    resp
}

async fn skill(State(state): State<AppState>, req: Request) -> Response {
    let started = Instant::now();
    let ip = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip());
    let path = req.uri().path().to_string();
    let query = req.uri().query().unwrap_or("").to_string();
    let target = if query.is_empty() {
        path.clone()
    } else {
        format!("{path}?{query}")
    };
    let pending = PendingLog {
        log: state.log.clone(),
        ip,
        path,
        query,
        started,
    };
    if let (Some(limiter), Some(ip)) = (&state.limiter, ip) {
        if !limiter.allow(ip) {
            pending.finish(429);
            let message = format!(
                "请求过于频繁 (rate limit: {} requests a second per address; try again shortly)",
                limiter.per_second()
            );
            let mut resp = json_response(
                429,
                cnexport_api::ApiResponse::error(429, message).body_string(),
            );
            resp.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
            return resp;
        }
    }
    let generation = state.db.current();
    // Answers are a function of the build, the program and the request
    // target, so the ETag is the build's input digest and a hash of the
    // program version and the target.
    let etag = generation.input_digest.as_deref().map(|d| {
        // The program's version is hashed in too: an upgrade may change answers.
        let key = format!("{}\n{target}", env!("CARGO_PKG_VERSION"));
        format!(
            "W/\"{}-{:016x}\"",
            d.get(..16).unwrap_or(d),
            web::fnv64(&[&key])
        )
    });
    if let Some(tag) = &etag {
        if if_none_match(req.headers(), tag) {
            pending.finish(304);
            let mut resp = Response::new(Body::empty());
            *resp.status_mut() = StatusCode::NOT_MODIFIED;
            set_cache_headers(&mut resp, tag);
            return resp;
        }
    }
    let answer = match generation.cache.get(&target) {
        Some(hit) => hit,
        None => answer_from_db(generation, target).await,
    };
    let (status, total) = (answer.status, answer.total);
    pending.finish(status);
    let mut resp = json_response(status, answer.body.clone());
    if status == 200 {
        if let Some(tag) = &etag {
            set_cache_headers(&mut resp, tag);
        }
        if let Some(n) = total {
            resp.headers_mut().insert(
                HeaderName::from_static("x-total-count"),
                HeaderValue::from(n),
            );
        }
    }
    resp
}

/// Computes an answer on a pooled connection, off the async threads, and
/// keeps it in the generation's cache.
async fn answer_from_db(generation: Arc<db::DbGeneration>, target: String) -> Arc<CachedAnswer> {
    let for_cache = generation.clone();
    let key = target.clone();
    let answered = tokio::task::spawn_blocking(move || {
        generation.with_connection(|conn| {
            let r = cnexport_api::answer(conn, &target);
            CachedAnswer {
                status: r.status,
                body: Bytes::from(r.body_string()),
                total: r.total_count,
            }
        })
    })
    .await;
    let unavailable = |message: &str| CachedAnswer {
        status: 503,
        body: Bytes::from(cnexport_api::ApiResponse::error(503, message).body_string()),
        total: None,
    };
    let answer = Arc::new(match answered {
        Ok(Ok(answer)) => answer,
        Ok(Err(e)) => {
            tracing::error!(error = %error_chain(&e), "cannot answer a request from the database");
            unavailable("数据库暂不可用 (database unavailable, try again)")
        }
        Err(e) => {
            tracing::error!(error = %e, "request failed");
            unavailable("服务暂不可用 (try again)")
        }
    });
    for_cache.cache.put(&key, answer.clone());
    answer
}

/// `ETag` and `Cache-Control: no-cache` (clients may keep answers but must
/// revalidate them: a new build changes every ETag).
fn set_cache_headers(resp: &mut Response, etag: &str) {
    if let Ok(v) = HeaderValue::from_str(etag) {
        resp.headers_mut().insert(header::ETAG, v);
    }
    resp.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
}

/// Whether `If-None-Match` lists this ETag (weak comparison) or is `*`.
fn if_none_match(headers: &axum::http::HeaderMap, etag: &str) -> bool {
    let bare = |t: &str| t.trim().trim_start_matches("W/").to_string();
    let ours = bare(etag);
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|t| t.trim() == "*" || bare(t) == ours)
}

/// The access-log row of one request, written exactly once: with the
/// answer's status, or with 499 when the request is dropped before it is
/// answered (the client hung up while its answer was being computed, or the
/// request timeout cut it off), so that every request the server read is
/// in the log.
pub(crate) struct PendingLog {
    pub(crate) log: Option<AccessLog>,
    pub(crate) ip: Option<std::net::IpAddr>,
    pub(crate) path: String,
    pub(crate) query: String,
    pub(crate) started: Instant,
}

/// Status logged for a request dropped before its answer (as nginx does).
pub const CLIENT_CLOSED: u16 = 499;

impl PendingLog {
    pub(crate) fn finish(mut self, status: u16) {
        self.write(status);
    }

    fn write(&mut self, status: u16) {
        if let Some(log) = self.log.take() {
            log.record(
                self.ip,
                &self.path,
                &self.query,
                status,
                self.started.elapsed(),
            );
        }
    }
}

impl Drop for PendingLog {
    fn drop(&mut self) {
        self.write(CLIENT_CLOSED);
    }
}

async fn healthz(State(state): State<AppState>) -> Response {
    let g = state.db.current();
    let body = json!({
        "status": "ok",
        "dataMonth": g.data_month,
        "inputDigest": g.input_digest,
        "generation": g.generation,
    });
    json_response(200, body.to_string())
}

async fn openapi_json() -> Response {
    json_response(200, openapi::document().to_string())
}

async fn not_found(req: Request) -> Response {
    let path = req.uri().path().chars().take(80).collect::<String>();
    let body = cnexport_api::ApiResponse::error(
        404,
        format!("未知路径 {path} (unknown path; see /openapi.json)"),
    );
    (
        StatusCode::NOT_FOUND,
        [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
        body.body_string(),
    )
        .into_response()
}

/// What a server run did, for the shutdown message.
#[derive(Debug, Clone, Default)]
pub struct ServeStats {
    pub log: WriterStats,
    pub reloads: u64,
}

/// Serves until `shutdown` resolves, then drains: in-flight requests
/// finish, and every access-log row is written.
pub async fn serve(
    opts: ServeOptions,
    listener: tokio::net::TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<ServeStats, ServeError> {
    let db = Arc::new(ServedDb::open_with_cache(&opts.db, opts.cache_bytes)?);
    let (log, writer): (Option<AccessLog>, Option<AccessLogWriter>) = match &opts.access_log {
        Some(path) => {
            let (l, w) = AccessLog::start(path, opts.anonymize_ip)?;
            (Some(l), Some(w))
        }
        None => (None, None),
    };
    let reloads = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let watcher = tokio::spawn(watch(db.clone(), opts.reload_poll, reloads.clone()));
    let limiter = opts
        .rate_limit
        .map(|n| Arc::new(rate_limit::RateLimiter::new(n)));
    let state = AppState { db, log, limiter };
    let router = app_with_mcp(state, opts.request_timeout, opts.mcp_hosts.clone());
    accept_loop(listener, router, opts.request_timeout, shutdown).await;
    watcher.abort();
    let log = tokio::task::spawn_blocking(move || {
        writer.map(AccessLogWriter::finish).unwrap_or_default()
    })
    .await
    .unwrap_or_default();
    Ok(ServeStats {
        log,
        reloads: reloads.load(std::sync::atomic::Ordering::Relaxed),
    })
}

/// Accepts connections until `shutdown` resolves, then lets every open
/// connection finish its request in flight (idle ones are closed).
///
/// Not `axum::serve`: that sets no timer, so a client that sends its request
/// head a byte at a time (or opens a connection and sends nothing) holds
/// the connection forever. Here a connection has `head_timeout` to deliver
/// each request head, idle keep-alive time included; the handler then has
/// the request timeout (408) to answer.
async fn accept_loop(
    listener: tokio::net::TcpListener,
    router: Router,
    head_timeout: Duration,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) {
    use hyper_util::rt::{TokioIo, TokioTimer};
    use tower::ServiceExt;
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (stream, remote) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of file descriptors and the like: wait, keep serving.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let service = router
            .clone()
            .map_request(move |mut req: Request<hyper::body::Incoming>| {
                req.extensions_mut().insert(ConnectInfo(remote));
                req.map(Body::new)
            });
        let mut builder = hyper::server::conn::http1::Builder::new();
        builder
            .timer(TokioTimer::new())
            .header_read_timeout(head_timeout);
        let conn = builder.serve_connection(
            TokioIo::new(stream),
            hyper_util::service::TowerToHyperService::new(service),
        );
        let conn = graceful.watch(conn);
        tokio::spawn(async move {
            let _ = conn.await;
        });
    }
    drop(listener);
    graceful.shutdown().await;
}

/// Polls the database file, and reloads at once on SIGHUP.
async fn watch(db: Arc<ServedDb>, poll: Duration, reloads: Arc<std::sync::atomic::AtomicU64>) {
    #[cfg(unix)]
    let mut hup = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()).ok();
    let mut tick = tokio::time::interval(poll);
    loop {
        #[cfg(unix)]
        let forced = match hup.as_mut() {
            Some(h) => tokio::select! {
                _ = tick.tick() => false,
                _ = h.recv() => true,
            },
            None => {
                tick.tick().await;
                false
            }
        };
        #[cfg(not(unix))]
        let forced = {
            tick.tick().await;
            false
        };
        let db2 = db.clone();
        let outcome = tokio::task::spawn_blocking(move || db2.reload(forced)).await;
        match outcome {
            Ok(Reload::Switched { generation }) => {
                reloads.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let g = db.current();
                // scripts/load.sh counts the "switched to generation" lines.
                tracing::info!(
                    data_month = %g.data_month.as_deref().unwrap_or("-"),
                    digest = %g.input_digest.as_deref().map(|d| &d[..d.len().min(12)]).unwrap_or("-"),
                    "switched to generation {generation}"
                );
            }
            Ok(Reload::Failed(e)) => tracing::warn!(
                error = %error_chain(&e),
                "keeping the current database"
            ),
            _ => {}
        }
    }
}

/// An error and its sources, `outer: inner: innermost`, for a log field.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

/// Resolves on SIGTERM or Ctrl-C.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}
