//! MCP over HTTP (`--mcp`): the tools of `cnexport mcp` at `/mcp` (the
//! Streamable HTTP transport), answered from the served database like the
//! REST endpoints: the same answers, the same access log (a tool call is a
//! row with the tool's endpoint as `path` and `_client=mcp` in `par`), the
//! same rate limit, and the router's request timeout.

use crate::{AppState, PendingLog};
use axum::extract::ConnectInfo;
use cnexport_mcp::rmcp::model::{CallToolResult, Extensions};
use serde_json::{Map, Value};
use std::net::SocketAddr;
use std::time::Instant;

/// The `par` marker of a tool call in the access log.
pub const CLIENT_MARKER: &str = "_client=mcp";

pub(crate) struct ServeBackend {
    pub state: AppState,
}

impl cnexport_mcp::Backend for ServeBackend {
    fn call(
        &self,
        tool: &str,
        arguments: Option<&Map<String, Value>>,
        context: &Extensions,
    ) -> CallToolResult {
        let started = Instant::now();
        let ip = context
            .get::<axum::http::request::Parts>()
            .and_then(|p| p.extensions.get::<ConnectInfo<SocketAddr>>())
            .map(|c| c.0.ip());
        let target = match cnexport_mcp::target(tool, arguments) {
            Ok(t) => t,
            Err(message) => return cnexport_mcp::error(message),
        };
        let (path, query) = target.split_once('?').unwrap_or((&target, ""));
        let pending = PendingLog {
            log: self.state.log.clone(),
            ip,
            path: path.to_string(),
            query: if query.is_empty() {
                CLIENT_MARKER.to_string()
            } else {
                format!("{query}&{CLIENT_MARKER}")
            },
            started,
        };
        if let (Some(limiter), Some(ip)) = (&self.state.limiter, ip) {
            if !limiter.allow(ip) {
                pending.finish(429);
                return cnexport_mcp::error(format!(
                    "429 请求过于频繁 (rate limit: {} requests a second per address; try again shortly)",
                    limiter.per_second()
                ));
            }
        }
        let generation = self.state.db.current();
        match generation.with_connection(|conn| cnexport_api::answer(conn, &target)) {
            Ok(response) => {
                pending.finish(response.status);
                cnexport_mcp::result_of(tool, &target, &response)
            }
            Err(e) => {
                pending.finish(500);
                cnexport_mcp::error(format!("500 {e}"))
            }
        }
    }
}
