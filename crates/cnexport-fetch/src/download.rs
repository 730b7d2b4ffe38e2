//! One HTTP GET with retries, exponential backoff with full jitter, a size
//! cap and a length check, streaming the body into a sink while hashing it.

use reqwest::header::{
    HeaderMap, CONTENT_LENGTH, CONTENT_TYPE, ETAG, IF_MODIFIED_SINCE, IF_NONE_MATCH, LAST_MODIFIED,
};
use reqwest::{Client, StatusCode};
use sha2::{Digest, Sha256};
use std::io::Write;
use std::time::Duration;
use url::Url;

/// The longest wait between two attempts.
pub const BACKOFF_CAP: Duration = Duration::from_secs(30);

/// Retry and size settings of one request.
#[derive(Debug, Clone)]
pub struct Limits {
    pub timeout: Duration,
    pub retries: u32,
    pub backoff_base: Duration,
    pub max_bytes: u64,
}

/// The validators a server sent with a file, sent back on the next fetch.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Validators {
    pub etag: Option<String>,
    pub last_modified: Option<String>,
}

impl Validators {
    fn is_empty(&self) -> bool {
        self.etag.is_none() && self.last_modified.is_none()
    }
}

/// A complete body, already written to its sink.
pub struct Body<W> {
    pub sink: W,
    pub size: u64,
    pub sha256: String,
    pub validators: Validators,
    pub content_type: Option<String>,
}

pub enum Got<W> {
    /// 304 to a conditional request.
    NotModified,
    Body(Body<W>),
}

struct Failure {
    reason: String,
    retry: bool,
}

/// GETs `url`, conditionally when `cond` has validators. `new_sink` gives a
/// fresh sink for each attempt (a file it creates is truncated each time).
/// Retries 5xx answers, timeouts, connection errors and bodies cut short;
/// never 4xx answers or a body over the size cap. The error is a reason
/// for people ("HTTP 404 Not Found", "timed out after 30s (gave up after 5
/// attempts)").
pub async fn get<W: Write>(
    client: &Client,
    url: &Url,
    cond: &Validators,
    limits: &Limits,
    mut new_sink: impl FnMut() -> std::io::Result<W>,
) -> Result<Got<W>, String> {
    let attempts = limits.retries.saturating_add(1);
    let mut n: u32 = 0;
    loop {
        n += 1;
        match attempt(client, url, cond, limits, &mut new_sink).await {
            Ok(got) => return Ok(got),
            Err(f) if f.retry && n < attempts => {
                tokio::time::sleep(backoff_delay(limits.backoff_base, n - 1)).await;
            }
            Err(f) if n > 1 => return Err(format!("{} (gave up after {n} attempts)", f.reason)),
            Err(f) => return Err(f.reason),
        }
    }
}

async fn attempt<W: Write>(
    client: &Client,
    url: &Url,
    cond: &Validators,
    limits: &Limits,
    new_sink: &mut impl FnMut() -> std::io::Result<W>,
) -> Result<Got<W>, Failure> {
    let mut request = client.get(url.clone());
    if let Some(etag) = &cond.etag {
        request = request.header(IF_NONE_MATCH, etag.as_str());
    }
    if let Some(lm) = &cond.last_modified {
        request = request.header(IF_MODIFIED_SINCE, lm.as_str());
    }
    let mut response = request
        .send()
        .await
        .map_err(|e| transport_failure(&e, limits.timeout))?;
    let status = response.status();
    if status == StatusCode::NOT_MODIFIED && !cond.is_empty() {
        return Ok(Got::NotModified);
    }
    if !status.is_success() {
        return Err(Failure {
            reason: http_reason(status),
            retry: status.is_server_error(),
        });
    }
    let headers = response.headers();
    let declared = header(headers, CONTENT_LENGTH).and_then(|v| v.trim().parse::<u64>().ok());
    if let Some(n) = declared {
        if n > limits.max_bytes {
            return Err(Failure {
                reason: format!(
                    "{} is over the size cap of {}",
                    human_bytes(n),
                    human_bytes(limits.max_bytes)
                ),
                retry: false,
            });
        }
    }
    let validators = Validators {
        etag: header(headers, ETAG),
        last_modified: header(headers, LAST_MODIFIED),
    };
    let content_type = header(headers, CONTENT_TYPE);

    let mut sink = new_sink().map_err(|e| Failure {
        reason: format!("cannot create the temporary file: {e}"),
        retry: false,
    })?;
    let mut hasher = Sha256::new();
    let mut size: u64 = 0;
    loop {
        let chunk = match response.chunk().await {
            Ok(Some(chunk)) => chunk,
            Ok(None) => break,
            Err(e) => {
                let mut f = transport_failure(&e, limits.timeout);
                if !e.is_timeout() {
                    f.reason = match declared {
                        Some(n) => format!("body cut short at {size} of {n} bytes: {}", f.reason),
                        None => format!("body cut short after {size} bytes: {}", f.reason),
                    };
                }
                return Err(f);
            }
        };
        size += chunk.len() as u64;
        if size > limits.max_bytes {
            return Err(Failure {
                reason: format!(
                    "over the size cap of {} (stopped after {})",
                    human_bytes(limits.max_bytes),
                    human_bytes(size)
                ),
                retry: false,
            });
        }
        hasher.update(&chunk);
        sink.write_all(&chunk).map_err(|e| Failure {
            reason: format!("cannot write the temporary file: {e}"),
            retry: false,
        })?;
    }
    if let Some(n) = declared {
        if size != n {
            return Err(Failure {
                reason: format!("body cut short at {size} of {n} bytes"),
                retry: true,
            });
        }
    }
    sink.flush().map_err(|e| Failure {
        reason: format!("cannot write the temporary file: {e}"),
        retry: false,
    })?;
    Ok(Got::Body(Body {
        sink,
        size,
        sha256: hex::encode(hasher.finalize()),
        validators,
        content_type,
    }))
}

fn header(headers: &HeaderMap, name: reqwest::header::HeaderName) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// "HTTP 404 Not Found".
fn http_reason(status: StatusCode) -> String {
    match status.canonical_reason() {
        Some(text) => format!("HTTP {} {text}", status.as_u16()),
        None => format!("HTTP {}", status.as_u16()),
    }
}

fn transport_failure(e: &reqwest::Error, timeout: Duration) -> Failure {
    let cause = root_cause(e);
    if e.is_timeout() {
        Failure {
            reason: format!("timed out after {}", human_duration(timeout)),
            retry: true,
        }
    } else if e.is_connect() {
        Failure {
            reason: format!("cannot connect: {cause}"),
            retry: true,
        }
    } else if e.is_redirect() {
        Failure {
            reason: format!("bad redirect: {cause}"),
            retry: false,
        }
    } else if e.is_builder() {
        Failure {
            reason: format!("bad request: {cause}"),
            retry: false,
        }
    } else {
        // Connection reset or closed mid-message, and the like.
        Failure {
            reason: cause,
            retry: true,
        }
    }
}

/// The innermost error's text (reqwest's outer text repeats the URL).
fn root_cause(e: &(dyn std::error::Error + 'static)) -> String {
    let mut inner = e;
    while let Some(next) = inner.source() {
        inner = next;
    }
    inner.to_string()
}

/// Full jitter: a uniform wait in [0, min(cap, base * 2^retry)].
pub fn backoff_delay(base: Duration, retry: u32) -> Duration {
    let ceiling = base
        .saturating_mul(2u32.saturating_pow(retry.min(31)))
        .min(BACKOFF_CAP);
    let nanos = ceiling.as_nanos() as u64;
    Duration::from_nanos(random_u64() % nanos.saturating_add(1))
}

/// A random number from the standard library's randomly keyed hasher.
fn random_u64() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    h.write_u128(now.as_nanos());
    h.finish()
}

/// "1.5 MiB", "512 B".
pub fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if n < 1024 {
        return format!("{n} B");
    }
    let mut value = n as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

/// "30s", "500ms", "1.5s".
pub fn human_duration(d: Duration) -> String {
    if d.as_millis() < 1000 {
        format!("{}ms", d.as_millis())
    } else if d.subsec_millis() == 0 {
        format!("{}s", d.as_secs())
    } else {
        format!("{:.1}s", d.as_secs_f64())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_stays_within_its_ceiling() {
        let base = Duration::from_millis(100);
        for retry in 0..40 {
            let ceiling = base
                .saturating_mul(2u32.saturating_pow(retry.min(31)))
                .min(BACKOFF_CAP);
            for _ in 0..20 {
                assert!(backoff_delay(base, retry) <= ceiling);
            }
        }
        // Full jitter: the waits are spread, not all at the ceiling.
        let waits: std::collections::HashSet<_> = (0..50).map(|_| backoff_delay(base, 3)).collect();
        assert!(waits.len() > 10);
    }

    #[test]
    fn sizes_and_durations_read_well() {
        assert_eq!(human_bytes(512), "512 B");
        assert_eq!(human_bytes(200 * 1024 * 1024), "200.0 MiB");
        assert_eq!(human_duration(Duration::from_millis(500)), "500ms");
        assert_eq!(human_duration(Duration::from_secs(30)), "30s");
        assert_eq!(
            http_reason(StatusCode::NOT_FOUND),
            "HTTP 404 Not Found".to_string()
        );
    }
}
