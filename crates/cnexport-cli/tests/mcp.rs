//! The MCP tools (`cnexport mcp`) against the OpenAPI document and the
//! API: both come from `Endpoint::ALL` and the endpoints' parameter types,
//! so an endpoint cannot be in one and not the other, and a tool call
//! answers what `cnexport query` answers. (`scripts/mcp-check.sh` runs a
//! real client over stdio.)

use serde_json::{Map, Value};

#[test]
fn every_endpoint_is_a_tool_with_the_openapi_parameters() {
    let doc = cnexport_serve::openapi::document();
    let paths: Vec<String> = doc["paths"]
        .as_object()
        .expect("paths")
        .keys()
        .filter(|p| p.starts_with("/skill/"))
        .cloned()
        .collect();
    let tools = cnexport_mcp::tools();
    let names: Vec<String> = tools.iter().map(|t| format!("/skill/{}", t.name)).collect();
    assert_eq!(names, paths, "the tools and the OpenAPI paths differ");
    for tool in &tools {
        let path = format!("/skill/{}", tool.name);
        let documented: Vec<&str> = doc["paths"][&path]["get"]["parameters"]
            .as_array()
            .map(|ps| ps.iter().filter_map(|p| p["name"].as_str()).collect())
            .unwrap_or_default();
        let schema = Value::Object(tool.input_schema.as_ref().clone());
        let properties: Vec<&str> = schema["properties"]
            .as_object()
            .map(|p| p.keys().map(String::as_str).collect())
            .unwrap_or_default();
        assert_eq!(properties, documented, "{path}");
        let required: Vec<&str> = doc["paths"][&path]["get"]["parameters"]
            .as_array()
            .map(|ps| {
                ps.iter()
                    .filter(|p| p["required"] == true)
                    .filter_map(|p| p["name"].as_str())
                    .collect()
            })
            .unwrap_or_default();
        let tool_required: Vec<&str> = schema["required"]
            .as_array()
            .map(|r| r.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        assert_eq!(tool_required, required, "{path}: required parameters");
        assert!(
            tool.description.as_ref().is_some_and(|d| d.len() > 80),
            "{path}: the description is too thin for an assistant"
        );
    }
}

#[test]
fn a_tool_call_answers_what_the_api_answers() {
    let conn = rusqlite::Connection::open_with_flags(
        super::common::sample_db(),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .expect("open");
    let args = |pairs: &[(&str, Value)]| -> Map<String, Value> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect()
    };
    // An object answer: the structured content is `data`.
    let a = args(&[("hsCode", "85171300".into())]);
    let r = cnexport_mcp::call(&conn, "dashboard", Some(&a));
    let api = cnexport_api::answer(&conn, "/skill/dashboard?hsCode=85171300");
    assert_eq!(r.is_error, Some(false));
    assert_eq!(r.structured_content.as_ref(), Some(&api.body["data"]));
    // A list: wrapped with its total.
    let a = args(&[
        ("level", 4.into()),
        ("minAmount", 0.into()),
        ("limit", 3.into()),
    ]);
    let r = cnexport_mcp::call(&conn, "topProducts", Some(&a));
    let api = cnexport_api::answer(&conn, "/skill/topProducts?level=4&minAmount=0&limit=3");
    let s = r.structured_content.expect("structured");
    assert_eq!(s["items"], api.body["data"]);
    assert_eq!(s["totalCount"].as_u64(), api.total_count);
    // A bad argument: a tool error with the API's message.
    let a = args(&[("hsCode", "85171300".into()), ("sortby", "name".into())]);
    let r = cnexport_mcp::call(&conn, "markets", Some(&a));
    assert_eq!(r.is_error, Some(true));
    let text = serde_json::to_string(&r.content).unwrap_or_default();
    assert!(text.contains("未知参数 sortby"), "{text}");
    let r = cnexport_mcp::call(&conn, "nothing", None);
    assert_eq!(r.is_error, Some(true));
}
