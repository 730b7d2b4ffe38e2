//! The API's query layer: `answer` turns a request target
//! (`/skill/trend?hsCode=..&countryCode=..`) into the status and the exact
//! JSON body of docs/contract.md, section 4. `cnexport query` prints it; `cnexport serve`
//! sends it over HTTP; both call this one function, so they cannot disagree.
//!
//! Every body is the envelope `{"code": <status>, "message": <text>, "data": ...}`.

mod analytics;
mod endpoints;
mod meta;
mod metrics;
mod params;
mod search;
mod series;

use rusqlite::Connection;
use serde_json::{json, Value};

pub use params::{CountryParam, Params};

/// Message of a 200 answer.
pub const OK_MESSAGE: &str = "success";
/// Message of trend/history for a product-country pair with no record at all.
pub const NO_RECORD_MESSAGE: &str = "该商品对此国家暂无出口记录";

/// A status and a JSON body.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiResponse {
    pub status: u16,
    pub body: Value,
    /// For list endpoints: the number of items before `limit`/`offset`
    /// (the HTTP server sends it as `X-Total-Count`).
    pub total_count: Option<u64>,
}

impl ApiResponse {
    pub fn ok(data: Value) -> ApiResponse {
        ApiResponse::envelope(200, OK_MESSAGE, data)
    }

    pub fn error(status: u16, message: impl Into<String>) -> ApiResponse {
        ApiResponse::envelope(status, &message.into(), Value::Null)
    }

    fn envelope(status: u16, message: &str, data: Value) -> ApiResponse {
        ApiResponse {
            status,
            body: json!({"code": status, "message": message, "data": data}),
            total_count: None,
        }
    }

    /// The body as sent: compact JSON.
    pub fn body_string(&self) -> String {
        self.body.to_string()
    }
}

/// An error answer: status and message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{status}: {message}")]
pub struct ApiError {
    pub status: u16,
    pub message: String,
}

impl ApiError {
    pub fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError {
            status: 400,
            message: message.into(),
        }
    }
    pub fn not_found(message: impl Into<String>) -> ApiError {
        ApiError {
            status: 404,
            message: message.into(),
        }
    }
    pub fn internal(err: impl std::fmt::Display) -> ApiError {
        // Internal details go to the log, never to the client.
        eprintln!("cnexport-api: internal error: {err}");
        ApiError {
            status: 500,
            message: "内部错误 (internal error)".into(),
        }
    }
}

impl From<rusqlite::Error> for ApiError {
    fn from(e: rusqlite::Error) -> ApiError {
        ApiError::internal(e)
    }
}

/// The endpoints, by path.
pub const ENDPOINTS: &[&str] = &[
    "/skill/dashboard",
    "/skill/markets",
    "/skill/trend",
    "/skill/topProducts",
    "/skill/history",
    "/skill/search",
    "/skill/meta",
    "/skill/contributions",
    "/skill/countries",
    "/skill/series",
];

/// Answers one request target (path and optional query string).
pub fn answer(conn: &Connection, target: &str) -> ApiResponse {
    let (path, query) = match target.split_once('?') {
        Some((p, q)) => (p, q),
        None => (target, ""),
    };
    let result = Params::parse(query).and_then(|params| {
        endpoints::dispatch(conn, path, &params).map(|data| (data, params.total()))
    });
    match result {
        Ok((data, total)) => ApiResponse {
            total_count: total,
            ..ApiResponse::ok(data)
        },
        Err(e) => ApiResponse::error(e.status, e.message),
    }
}
