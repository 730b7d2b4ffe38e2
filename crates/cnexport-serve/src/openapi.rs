//! The OpenAPI document served at `/openapi.json`, generated from the
//! API's types: each endpoint's parameters from its parameter type and its
//! answer from its answer type (`cnexport_api::Endpoint`). What is written
//! here is only what HTTP adds: the envelope, headers and error statuses.
//! `tests/http.rs` checks the document against real answers.

use cnexport_api::Endpoint;
use serde_json::Value;
use utoipa::openapi::content::ContentBuilder;
use utoipa::openapi::header::HeaderBuilder;
use utoipa::openapi::path::{HttpMethod, OperationBuilder, PathItem, PathsBuilder};
use utoipa::openapi::schema::{ComponentsBuilder, ObjectBuilder, Schema, SchemaType, Type};
use utoipa::openapi::{InfoBuilder, OpenApiBuilder, Ref, RefOr, ResponseBuilder, ResponsesBuilder};

const JSON: &str = "application/json";

fn string() -> ObjectBuilder {
    ObjectBuilder::new().schema_type(Type::String)
}

fn integer() -> ObjectBuilder {
    ObjectBuilder::new().schema_type(Type::Integer)
}

fn nullable(t: Type) -> ObjectBuilder {
    ObjectBuilder::new().schema_type(SchemaType::from_iter([t, Type::Null]))
}

/// `{code: 200, message, data}` around an endpoint's `data`.
fn envelope(data: RefOr<Schema>) -> Schema {
    ObjectBuilder::new()
        .schema_type(Type::Object)
        .property("code", integer().enum_values(Some([200])))
        .property("message", string())
        .property("data", data)
        .required("code")
        .required("message")
        .required("data")
        .into()
}

/// The body of every error: `data` is null.
fn error_schema() -> Schema {
    ObjectBuilder::new()
        .schema_type(Type::Object)
        .description(Some(
            "an error answer; code mirrors the HTTP status and message says what to change",
        ))
        .property("code", integer())
        .property("message", string())
        .property("data", ObjectBuilder::new().schema_type(Type::Null))
        .required("code")
        .required("message")
        .required("data")
        .into()
}

fn operation(endpoint: Endpoint) -> utoipa::openapi::path::Operation {
    let mut ok = ResponseBuilder::new()
        .description("success")
        .content(
            JSON,
            ContentBuilder::new()
                .schema(Some(envelope(endpoint.data_schema())))
                .build(),
        )
        .header(
            "ETag",
            HeaderBuilder::new()
                .schema(Some(string()))
                .description(Some(
                    "weak validator: the build's input digest and a hash of the request; send it back in If-None-Match",
                ))
                .build(),
        );
    if endpoint.has_total_count() {
        ok = ok.header(
            "X-Total-Count",
            HeaderBuilder::new()
                .schema(Some(integer().minimum(Some(0))))
                .description(Some("the number of items before limit and offset"))
                .build(),
        );
    }
    let error = |description: &str| {
        ResponseBuilder::new()
            .description(description)
            .content(
                JSON,
                ContentBuilder::new()
                    .schema(Some(Ref::from_schema_name("Error")))
                    .build(),
            )
            .build()
    };
    let responses = ResponsesBuilder::new()
        .response("200", ok.build())
        .response(
            "304",
            ResponseBuilder::new()
                .description("If-None-Match named the current ETag: the answer has not changed")
                .build(),
        )
        .response(
            "400",
            error("a parameter is missing, invalid or unknown; the message names it and what is allowed"),
        )
        .response(
            "404",
            error("unknown product code, month, or product-country pair"),
        )
        .response(
            "408",
            error("the request took longer than the server's timeout"),
        )
        .response(
            "429",
            error("the server runs with a per-address rate limit (--rate-limit) and this address is over it; retry after the Retry-After seconds"),
        );
    OperationBuilder::new()
        .summary(Some(endpoint.summary()))
        .operation_id(Some(endpoint.name()))
        .parameters(Some(endpoint.parameters()))
        .responses(responses.build())
        .build()
}

fn healthz() -> utoipa::openapi::path::Operation {
    let body = ObjectBuilder::new()
        .schema_type(Type::Object)
        .property("status", string())
        .property(
            "dataMonth",
            nullable(Type::String)
                .description(Some("YYYYMM: the latest month of the served build")),
        )
        .property("inputDigest", nullable(Type::String))
        .property(
            "generation",
            integer().description(Some("how many builds the server has loaded")),
        );
    OperationBuilder::new()
        .summary(Some(
            "Liveness and the data month and input digest of the served build",
        ))
        .operation_id(Some("healthz"))
        .response(
            "200",
            ResponseBuilder::new()
                .description("ok")
                .content(JSON, ContentBuilder::new().schema(Some(body)).build())
                .build(),
        )
        .build()
}

/// The document.
pub fn document() -> Value {
    let mut paths = PathsBuilder::new();
    let mut schemas = Vec::new();
    for endpoint in Endpoint::ALL {
        paths = paths.path(
            endpoint.path(),
            PathItem::new(HttpMethod::Get, operation(endpoint)),
        );
        endpoint.schemas(&mut schemas);
    }
    paths = paths.path("/healthz", PathItem::new(HttpMethod::Get, healthz()));
    let mut components = ComponentsBuilder::new().schema("Error", error_schema());
    for (name, schema) in schemas {
        components = components.schema(name, schema);
    }
    let doc = OpenApiBuilder::new()
        .info(
            InfoBuilder::new()
                .title("cnexport API")
                .version(env!("CARGO_PKG_VERSION"))
                .description(Some(
                    "China customs export statistics by HS code and destination. Amounts in yuan (人民币). \
                     Every answer is {code, message, data}; code mirrors the HTTP status. \
                     A number's `format` says what it is: yuan, quantity (in the product's unit), \
                     percent, or decimal (scores, averages, percentage points).",
                )),
        )
        .paths(paths.build())
        .components(Some(components.build()))
        .build();
    // The document is plain data: serializing it cannot fail.
    serde_json::to_value(doc).unwrap_or(Value::Null)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_endpoint_and_its_parameters_are_described() {
        let doc = document();
        assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
        for e in Endpoint::ALL {
            let op = &doc["paths"][e.path()]["get"];
            let names: Vec<&str> = op["parameters"]
                .as_array()
                .map(|p| p.iter().filter_map(|p| p["name"].as_str()).collect())
                .unwrap_or_default();
            assert_eq!(names, e.parameter_names(), "{}", e.path());
            assert!(
                op["responses"]["200"]["content"][JSON]["schema"]["properties"]["data"].is_object()
            );
        }
        let text = doc.to_string();
        // Every $ref points at a component.
        for part in text.split("\"$ref\":\"#/components/schemas/").skip(1) {
            let name = &part[..part.find('"').unwrap()];
            assert!(doc["components"]["schemas"][name].is_object(), "{name}");
        }
    }
}
