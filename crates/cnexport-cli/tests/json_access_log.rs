//! `cnexport serve --access-log -`: every access-log record as one JSON
//! line on standard output (for replicas behind a load balancer that ship
//! their logs), REST requests and MCP tool calls alike, and nothing else
//! on standard output.

use std::io::{BufReader, Read};
use std::process::{Command, Stdio};

use crate::common::{cnexport, sample_db};

/// One request on a fresh connection: the status, the response head and
/// the body.
use crate::common::http as request;

fn mcp(addr: &str, session: Option<&str>, body: &str) -> (u16, String) {
    let mut headers = String::from(
        "Content-Type: application/json\r\nAccept: application/json, text/event-stream\r\n",
    );
    if let Some(id) = session {
        headers.push_str(&format!("Mcp-Session-Id: {id}\r\n"));
    }
    request(addr, "POST", "/mcp", &headers, body)
}

#[test]
fn each_request_is_one_json_line_on_stdout() {
    let mut child = cnexport()
        .args([
            "serve",
            "--mcp",
            "--addr",
            "127.0.0.1:0",
            "--access-log",
            "-",
            "--db",
        ])
        .arg(sample_db())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (addr, stderr) = crate::common::listening_addr(&mut child);
    let stderr = std::thread::spawn(move || stderr.map_while(Result::ok).collect::<Vec<_>>());
    let stdout = child.stdout.take().unwrap();
    let stdout = std::thread::spawn(move || {
        let mut text = String::new();
        BufReader::new(stdout).read_to_string(&mut text).unwrap();
        text
    });

    let requests = [
        ("/skill/dashboard?hsCode=85171300", 200),
        ("/skill/trend?hsCode=85171300&countryCode=502", 200),
        ("/skill/markets?hsCode=85171300&sortby=name", 400),
        ("/skill/nothing", 404),
    ];
    for (target, status) in requests {
        assert_eq!(request(&addr, "GET", target, "", "").0, status, "{target}");
    }
    // Not endpoints: not logged.
    assert_eq!(request(&addr, "GET", "/healthz", "", "").0, 200);

    // One MCP tool call over HTTP.
    let (status, raw) = mcp(
        &addr,
        None,
        r#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-03-26","capabilities":{},"clientInfo":{"name":"test","version":"1"}}}"#,
    );
    assert_eq!(status, 200, "{raw}");
    let session = raw
        .lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case("mcp-session-id")
                .then(|| v.trim().to_string())
        })
        .expect("a session id");
    let (status, raw) = mcp(
        &addr,
        Some(&session),
        r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#,
    );
    assert!(status == 202 || status == 200, "{raw}");
    let (status, raw) = mcp(
        &addr,
        Some(&session),
        r#"{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"dashboard","arguments":{"hsCode":"85171300"}}}"#,
    );
    assert_eq!(status, 200, "{raw}");
    assert!(raw.contains("\"isError\":false"), "{raw}");

    // SIGTERM: the server drains and writes every record, then exits.
    assert!(Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap()
        .success());
    assert!(child.wait().unwrap().success());
    let stdout = stdout.join().unwrap();
    let stderr = stderr.join().unwrap();
    assert!(
        stderr
            .iter()
            .any(|l| l.contains("5 access-log rows written, 0 lost")),
        "{stderr:?}"
    );

    let lines: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    assert_eq!(lines.len(), 5, "{stdout}");
    let mut want: Vec<(String, String, u16)> = requests
        .iter()
        .map(|(target, status)| {
            let (path, par) = target.split_once('?').unwrap_or((target, ""));
            (path.to_string(), par.to_string(), *status)
        })
        .collect();
    want.push((
        "/skill/dashboard".into(),
        "hsCode=85171300&_client=mcp".into(),
        200,
    ));
    let mut got: Vec<(String, String, u16)> = Vec::new();
    for line in &lines {
        let keys: Vec<&str> = line
            .as_object()
            .unwrap()
            .keys()
            .map(|k| k.as_str())
            .collect();
        assert_eq!(
            keys,
            [
                "id",
                "ip",
                "path",
                "par",
                "create_time",
                "status",
                "latency_ms"
            ],
            "{line}"
        );
        assert_eq!(line["ip"], "127.0.0.1", "{line}");
        assert_eq!(line["id"].as_str().unwrap().len(), 36, "{line}");
        assert!(line["latency_ms"].as_f64().unwrap() >= 0.0, "{line}");
        assert_eq!(line["create_time"].as_str().unwrap().len(), 23, "{line}");
        got.push((
            line["path"].as_str().unwrap().to_string(),
            line["par"].as_str().unwrap().to_string(),
            line["status"].as_u64().unwrap() as u16,
        ));
    }
    // The writer keeps the order requests were answered in.
    assert_eq!(got, want);
}
