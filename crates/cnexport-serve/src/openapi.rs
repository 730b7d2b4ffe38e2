//! The OpenAPI 3 document served at `/openapi.json`.

use serde_json::{json, Value};

pub fn document() -> Value {
    json!({"openapi": "3.0.3", "info": {"title": "cnexport", "version": env!("CARGO_PKG_VERSION")}, "paths": {}})
}
