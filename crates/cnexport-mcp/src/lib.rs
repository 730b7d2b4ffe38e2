//! The cnexport API for AI assistants, as a Model Context Protocol server
//! (the official Rust SDK, `rmcp`).
//!
//! One tool per endpoint of `cnexport_api::Endpoint::ALL`, named as the
//! endpoint (`dashboard`, `topProducts`, ...), whose input schema is the
//! endpoint's parameter type as JSON Schema (`Endpoint::parameters_json_schema`,
//! the same types the OpenAPI document is generated from). A call is
//! answered by `cnexport_api::answer`, the function `cnexport query` and
//! `cnexport serve` answer with, so the three cannot disagree:
//!
//! - a 200 answer is a result whose structured content is the answer's
//!   `data` (an object; a list is wrapped as `{"items": [...],
//!   "totalCount": n}`), with a one-line summary and the JSON as text;
//! - any other answer is a tool error carrying the API's message (which
//!   names the parameter and what is wrong), so the assistant can correct
//!   its call.
//!
//! `cnexport://meta` is a resource: what the database holds (`/skill/meta`).

mod describe;

use cnexport_api::Endpoint;
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use rmcp::model::Extensions;
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, ContentBlock, Implementation,
    ListResourcesResult, ListToolsResult, PaginatedRequestParams, ReadResourceRequestParams,
    ReadResourceResponse, ReadResourceResult, Resource, ResourceContents, ServerCapabilities,
    ServerConfig, Tool,
};
use rmcp::service::{RequestContext, RoleServer};
use rmcp::{ErrorData, ServerHandler, ServiceExt};
use rusqlite::{Connection, OpenFlags};
use serde_json::{Map, Value};
use std::path::Path;
use std::sync::{Arc, Mutex};

pub use describe::description;

/// The URI of the build-info resource.
pub const META_URI: &str = "cnexport://meta";

/// Characters left as they are in a query value (the rest is escaped).
const QUERY_VALUE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// The tool of each endpoint, in `Endpoint::ALL` order.
pub fn tools() -> Vec<Tool> {
    Endpoint::ALL
        .iter()
        .map(|e| {
            Tool::new(
                e.name(),
                description(*e),
                Arc::new(e.parameters_json_schema()),
            )
        })
        .collect()
}

/// The API request of a tool call: `/skill/<tool>?<arguments>`, each
/// argument's value as its text (a number or a boolean as JSON writes it).
/// `Err`: the message of a tool error (an unknown tool, an argument that is
/// an object, a list or null).
pub fn target(tool: &str, arguments: Option<&Map<String, Value>>) -> Result<String, String> {
    let endpoint = Endpoint::ALL
        .into_iter()
        .find(|e| e.name() == tool)
        .ok_or_else(|| {
            let names: Vec<&str> = Endpoint::ALL.iter().map(|e| e.name()).collect();
            format!("unknown tool {tool}; the tools are {}", names.join(", "))
        })?;
    let mut pairs = Vec::new();
    for (name, value) in arguments.into_iter().flatten() {
        let text = match value {
            Value::String(s) => s.clone(),
            Value::Number(n) => n.to_string(),
            Value::Bool(b) => b.to_string(),
            other => {
                return Err(format!(
                    "参数 {name} 无效 (argument {name} must be a string, a number or a boolean, not {})",
                    match other {
                        Value::Null => "null",
                        Value::Array(_) => "a list",
                        _ => "an object",
                    }
                ))
            }
        };
        pairs.push(format!(
            "{}={}",
            utf8_percent_encode(name, QUERY_VALUE),
            utf8_percent_encode(&text, QUERY_VALUE)
        ));
    }
    Ok(if pairs.is_empty() {
        endpoint.path().to_string()
    } else {
        format!("{}?{}", endpoint.path(), pairs.join("&"))
    })
}

/// Answers one tool call on a database connection.
pub fn call(
    conn: &Connection,
    tool: &str,
    arguments: Option<&Map<String, Value>>,
) -> CallToolResult {
    let target = match target(tool, arguments) {
        Ok(t) => t,
        Err(message) => return error(message),
    };
    result_of(tool, &target, &cnexport_api::answer(conn, &target))
}

/// A tool error with a message.
pub fn error(message: impl Into<String>) -> CallToolResult {
    CallToolResult::error(vec![ContentBlock::text(message.into())])
}

/// The tool result of an API answer to `target`.
pub fn result_of(tool: &str, target: &str, response: &cnexport_api::ApiResponse) -> CallToolResult {
    if response.status != 200 {
        let message = response
            .body
            .get("message")
            .and_then(Value::as_str)
            .unwrap_or("error")
            .to_string();
        return CallToolResult::error(vec![ContentBlock::text(format!(
            "{} {message}",
            response.status
        ))]);
    }
    let data = response.body.get("data").cloned().unwrap_or(Value::Null);
    let structured = match data {
        Value::Object(_) => data,
        other => {
            let count = other.as_array().map_or(0, Vec::len);
            let mut wrapped = Map::new();
            wrapped.insert("items".into(), other);
            wrapped.insert(
                "totalCount".into(),
                response.total_count.unwrap_or(count as u64).into(),
            );
            Value::Object(wrapped)
        }
    };
    let summary = describe::summary(tool, target, &structured, response.total_count);
    let mut result = CallToolResult::structured(structured);
    result.content.insert(0, ContentBlock::text(summary));
    result
}

/// What answers the tool calls: one database file (stdio), or the HTTP
/// server's served database with its access log and rate limit.
pub trait Backend: Send + Sync + 'static {
    /// Answers one tool call; called on a blocking thread. `context` holds
    /// the HTTP request's parts when the call came over HTTP.
    fn call(
        &self,
        tool: &str,
        arguments: Option<&Map<String, Value>>,
        context: &Extensions,
    ) -> CallToolResult;
}

/// One database file, one connection.
struct FileBackend {
    conn: Mutex<Connection>,
}

impl Backend for FileBackend {
    fn call(
        &self,
        tool: &str,
        arguments: Option<&Map<String, Value>>,
        _context: &Extensions,
    ) -> CallToolResult {
        let conn = self
            .conn
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        call(&conn, tool, arguments)
    }
}

/// The MCP server.
#[derive(Clone)]
pub struct CnexportMcp {
    backend: Arc<dyn Backend>,
    /// What it serves, for the resource's description.
    source: String,
}

impl CnexportMcp {
    /// A server over another backend (the HTTP server's).
    pub fn with_backend(backend: Arc<dyn Backend>, source: impl Into<String>) -> CnexportMcp {
        CnexportMcp {
            backend,
            source: source.into(),
        }
    }

    /// Opens `db` read-only; the error says which file and why.
    pub fn open(db: &Path) -> Result<CnexportMcp, String> {
        if !db.is_file() {
            return Err(format!(
                "{}: no such database (build one with `cnexport build`)",
                db.display()
            ));
        }
        let conn = Connection::open_with_flags(
            db,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|e| format!("{}: cannot open the database: {e}", db.display()))?;
        Ok(CnexportMcp::with_backend(
            Arc::new(FileBackend {
                conn: Mutex::new(conn),
            }),
            db.display().to_string(),
        ))
    }

    async fn answer(
        &self,
        tool: String,
        arguments: Option<Map<String, Value>>,
        context: Extensions,
    ) -> CallToolResult {
        let backend = self.backend.clone();
        let done =
            tokio::task::spawn_blocking(move || backend.call(&tool, arguments.as_ref(), &context))
                .await;
        done.unwrap_or_else(|e| error(format!("500 internal error: {e}")))
    }
}

impl ServerHandler for CnexportMcp {
    fn get_info(&self) -> ServerConfig {
        let mut info = ServerConfig::new(
            ServerCapabilities::builder()
                .enable_tools()
                .enable_resources()
                .build(),
        );
        info.server_info = Implementation::new("cnexport", env!("CARGO_PKG_VERSION"));
        info.instructions = Some(describe::INSTRUCTIONS.to_string());
        info
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        Ok(ListToolsResult {
            tools: tools(),
            ..Default::default()
        })
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        tracing::debug!(tool = %request.name, "tool call");
        Ok(self
            .answer(
                request.name.to_string(),
                request.arguments,
                context.extensions,
            )
            .await
            .into())
    }

    async fn list_resources(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListResourcesResult, ErrorData> {
        let meta = Resource::new(META_URI, "meta")
            .with_title("What the database holds")
            .with_description(format!(
                "/skill/meta of {}: data months, counts, currency, input digest, schema version",
                self.source
            ));
        Ok(ListResourcesResult {
            resources: vec![meta],
            ..Default::default()
        })
    }

    async fn read_resource(
        &self,
        request: ReadResourceRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<ReadResourceResponse, ErrorData> {
        if request.uri != META_URI {
            return Err(ErrorData::resource_not_found(
                format!(
                    "unknown resource {}; the resource is {META_URI}",
                    request.uri
                ),
                None,
            ));
        }
        let result = self.answer("meta".into(), None, context.extensions).await;
        let text = result
            .structured_content
            .map(|v| v.to_string())
            .unwrap_or_default();
        Ok(ReadResourceResult::new(vec![ResourceContents::text(text, META_URI)]).into())
    }
}

/// Serves MCP over stdin and stdout until the client closes them. Nothing
/// but protocol messages is written to stdout (logs go to stderr).
pub async fn serve_stdio(db: &Path) -> Result<(), String> {
    let server = CnexportMcp::open(db)?;
    let running = server
        .serve(rmcp::transport::stdio())
        .await
        .map_err(|e| format!("MCP session failed to start: {e}"))?;
    running
        .waiting()
        .await
        .map_err(|e| format!("MCP session ended with an error: {e}"))?;
    Ok(())
}

/// The MCP Streamable HTTP transport of `server` (to nest at `/mcp`):
/// JSON responses (no event streams), Host headers checked against
/// `allowed_hosts` (DNS rebinding protection).
#[cfg(feature = "http")]
pub fn http_service(
    server: CnexportMcp,
    allowed_hosts: Vec<String>,
) -> rmcp::transport::streamable_http_server::StreamableHttpService<
    CnexportMcp,
    rmcp::transport::streamable_http_server::session::local::LocalSessionManager,
> {
    use rmcp::transport::streamable_http_server::{
        session::local::LocalSessionManager, StreamableHttpServerConfig, StreamableHttpService,
    };
    let mut config = StreamableHttpServerConfig::default().with_allowed_hosts(allowed_hosts);
    config.json_response = true;
    config.sse_keep_alive = None;
    StreamableHttpService::new(
        move || Ok(server.clone()),
        Arc::new(LocalSessionManager::default()),
        config,
    )
}

pub use rmcp;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tool_per_endpoint_with_its_parameter_schema() {
        let tools = tools();
        assert_eq!(tools.len(), Endpoint::ALL.len());
        for (tool, e) in tools.iter().zip(Endpoint::ALL) {
            assert_eq!(tool.name, e.name());
            let schema = Value::Object(tool.input_schema.as_ref().clone());
            assert_eq!(schema, Value::Object(e.parameters_json_schema()));
            let described: Vec<String> = schema["properties"]
                .as_object()
                .map(|p| p.keys().cloned().collect())
                .unwrap_or_default();
            assert_eq!(described, e.parameter_names(), "{}", e.name());
        }
    }

    #[test]
    fn arguments_become_the_query() {
        let mut args = Map::new();
        args.insert("hsCode".into(), "8517.13".into());
        args.insert("limit".into(), 5.into());
        args.insert("vintages".into(), true.into());
        assert_eq!(
            target("history", Some(&args)).unwrap(),
            "/skill/history?hsCode=8517.13&limit=5&vintages=true"
        );
        args.insert("q".into(), "电池 锂".into());
        assert!(target("search", Some(&args))
            .unwrap()
            .ends_with("q=%E7%94%B5%E6%B1%A0%20%E9%94%82"));
        assert!(target("nothing", None)
            .unwrap_err()
            .contains("unknown tool"));
        args.insert("bad".into(), Value::Array(vec![]));
        assert!(target("search", Some(&args))
            .unwrap_err()
            .contains("a list"));
    }
}
