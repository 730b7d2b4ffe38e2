//! The OpenAPI 3 document served at `/openapi.json`. It describes exactly
//! what the server sends; `tests/http.rs` checks it against real answers.

use serde_json::{json, Map, Value};

const REGIONS: [&str; 11] = [
    "asia",
    "europe",
    "africa",
    "northAmerica",
    "southAmerica",
    "oceania",
    "middleEast",
    "beltRoad",
    "asean",
    "eu",
    "usmca",
];

fn param(name: &str, required: bool, description: &str, schema: Value, example: Value) -> Value {
    json!({
        "name": name, "in": "query", "required": required,
        "description": description, "schema": schema, "example": example
    })
}

fn hs_code(lengths: &str) -> Value {
    param(
        "hsCode",
        true,
        &format!("HS product code of {lengths} digits (dots allowed: 8517.13.00)"),
        // 2, 4, 6 or 8 digits; dots anywhere are dropped.
        json!({"type": "string", "pattern": "^[.]*([0-9][.]*[0-9][.]*){1,4}$"}),
        json!("85171300"),
    )
}

fn country_code() -> Value {
    param(
        "countryCode",
        true,
        "China customs 3-digit trading-partner code (502 = United States), or an ISO 3166 alpha-3 code (USA); /skill/countries lists both",
        json!({"type": "string", "pattern": "^([0-9]{3}|[A-Za-z]{3})$"}),
        json!("502"),
    )
}

fn nullable(t: &str) -> Value {
    json!({"type": t, "nullable": true})
}

fn month_amount() -> Value {
    json!({"type": "object", "required": ["month", "amount"], "properties": {
        "month": {"type": "string", "pattern": "^[0-9]{6}$", "example": "202401"},
        "amount": {"type": "integer", "description": "yuan"}
    }})
}

/// The codes every country carries beside its customs code and Chinese name.
fn add_country_codes(schema: &mut Value) {
    if let Some(props) = schema["properties"].as_object_mut() {
        props.insert("countryNameEn".into(), nullable("string"));
        props.insert(
            "iso3".into(),
            json!({"type": "string", "nullable": true, "description": "ISO 3166-1 alpha-3"}),
        );
        props.insert(
            "iso2".into(),
            json!({"type": "string", "nullable": true, "description": "ISO 3166-1 alpha-2"}),
        );
        props.insert(
            "m49".into(),
            json!({"type": "string", "nullable": true, "description": "UN M49 numeric code"}),
        );
    }
}

fn momentum_components() -> Value {
    json!({"type": "object", "properties": {
        "g3": {"type": "number"}, "g12": {"type": "number"}, "gb": {"type": "number"},
        "weights": {"type": "object", "properties": {
            "g3": {"type": "number"}, "g12": {"type": "number"}, "gb": {"type": "number"}}}}})
}

fn unit_value() -> Value {
    json!({"type": "object", "nullable": true, "description": "yuan per first unit, when both windows use one and the same unit",
        "properties": {"unit": {"type": "string"}, "recent12": nullable("number"), "prev12": nullable("number")}})
}

fn price_volume() -> Value {
    json!({"type": "object", "nullable": true,
        "description": "100 * ln(V1/V0) split into price (unit value) and volume (quantity) parts, which add up",
        "properties": {"valueChange": {"type": "number"}, "priceEffect": {"type": "number"}, "volumeEffect": {"type": "number"}}})
}

fn best_region() -> Value {
    json!({"type": "object", "nullable": true, "properties": {
        "regionName": {"type": "string", "enum": &REGIONS[..6]},
        "percent": {"type": "number"}
    }})
}

fn breakdown(keys: &[&str]) -> Value {
    let mut props = Map::new();
    for k in keys {
        props.insert(format!("{k}Total"), json!({"type": "integer"}));
        props.insert(format!("{k}Percent"), nullable("number"));
    }
    json!({"type": "object", "properties": props})
}

fn envelope(data: Value, example: Value) -> Value {
    json!({
        "description": "success",
        "content": {"application/json": {
            "schema": {"type": "object", "required": ["code", "message", "data"], "properties": {
                "code": {"type": "integer", "enum": [200]},
                "message": {"type": "string"},
                "data": data
            }},
            "example": example
        }}
    })
}

fn errors() -> Value {
    let error = json!({"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}});
    let mut e400 = error.clone();
    e400["description"] =
        json!("a parameter is missing or invalid; the message names it and what is allowed");
    let mut e404 = error.clone();
    e404["description"] = json!("unknown product code, month, or product-country pair");
    let mut e408 = error.clone();
    e408["description"] = json!("the request took longer than the server's timeout");
    let mut e429 = error;
    e429["description"] = json!("the server runs with a per-address rate limit (--rate-limit) and this address is over it; retry after the Retry-After seconds");
    json!({"400": e400, "404": e404, "408": e408, "429": e429})
}

fn operation(summary: &str, params: Vec<Value>, data: Value, example: Value) -> Value {
    let mut responses = Map::new();
    let mut ok = envelope(data, example);
    ok["headers"] = json!({
        "ETag": {"description": "weak validator: the build's input digest and a hash of the request; send it back in If-None-Match", "schema": {"type": "string"}},
        "X-Total-Count": {"description": "list endpoints: the number of items before limit and offset", "schema": {"type": "integer"}}
    });
    responses.insert("200".into(), ok);
    responses.insert(
        "304".into(),
        json!({"description": "If-None-Match named the current ETag: the answer has not changed"}),
    );
    if let Value::Object(e) = errors() {
        responses.extend(e);
    }
    json!({"get": {"summary": summary, "parameters": params, "responses": responses}})
}

/// The document.
pub fn document() -> Value {
    let dashboard_data = json!({"type": "object", "properties": {
        "hsCode": {"type": "string"}, "productName": nullable("string"), "currentMonth": {"type": "string"},
        "recent12mGlobalTotal": {"type": "integer"}, "prev12mGlobalTotal": {"type": "integer"},
        "yoyGrowthRate": nullable("number"), "momGrowthRate": nullable("number"),
        "activeCountriesCount": {"type": "integer"}, "monthlyActivityCount": {"type": "integer"},
        "top3ConcentrationPercent": nullable("number"), "avgCountryActiveMonths": nullable("number"),
        "firstUnit": nullable("string"), "firstQuantity": nullable("integer"),
        "secondUnit": nullable("string"), "secondQuantity": nullable("integer"),
        "regionBreakdown": breakdown(&REGIONS[..6]), "tradeBlocBreakdown": breakdown(&REGIONS[6..]),
        "bestRegion": best_region(), "momentumScore": {"type": "number", "minimum": -100, "maximum": 100},
        "lowBase": {"type": "boolean", "description": "prev12mGlobalTotal is below the low-base threshold (default 1,000,000 yuan): read yoyGrowthRate with care"},
        "momLowBase": {"type": "boolean", "description": "value(M-1) is below a twelfth of the threshold"},
        "monthYoyGrowthRate": nullable("number"),
        "monthYoyLowBase": {"type": "boolean"},
        "momentumComponents": momentum_components(),
        "concentration": {"type": "object", "properties": {
            "hhi": nullable("number"), "hhiPrev": nullable("number"),
            "effectiveMarkets": nullable("number"), "effectiveMarketsPrev": nullable("number"),
            "marketsEntered": {"type": "integer"}, "marketsExited": {"type": "integer"}}},
        "unitValue": unit_value(),
        "priceVolume": price_volume()
    }});
    let mut market = json!({"type": "object", "properties": {
        "countryName": {"type": "string"}, "countryCode": {"type": "string"},
        "continent": {"type": "string", "nullable": true, "enum": ["亚洲", "非洲", "欧洲", "拉丁美洲", "北美洲", "大洋洲", null]},
        "tradeTags": {"type": "array", "items": {"type": "string", "enum": ["一带一路", "东盟", "欧盟", "美墨加", "中东"]}},
        "recent12mTotal": {"type": "integer"}, "monthlyAvg": {"type": "number"}, "threeYearCAGR": nullable("number"),
        "prev12mTotal": {"type": "integer", "description": "the 12 months before the recent 12"},
        "unitValue": unit_value(), "priceVolume": price_volume()
    }});
    add_country_codes(&mut market);
    let top = json!({"type": "object", "properties": {
        "rank": {"type": "integer"}, "hsCode": {"type": "string"}, "productName": nullable("string"),
        "recent12mGlobalTotal": {"type": "integer"}, "yoyGrowthRate": nullable("number"),
        "activeCountriesCount": {"type": "integer"}, "top3ConcentrationPercent": nullable("number"),
        "bestRegion": best_region(), "momentumScore": {"type": "number"},
        "lowBase": {"type": "boolean", "description": "the base of the ranked growth is below the low-base threshold"},
        "momentumComponents": momentum_components(),
        "regionTotal": {"type": "integer", "description": "with regionFilter only"},
        "regionPercent": {"type": "number", "nullable": true, "description": "with regionFilter only"},
        "regionYoyGrowthRate": {"type": "number", "nullable": true, "description": "with regionFilter only"}
    }});
    let mut trend = json!({"type": "object", "properties": {
        "hsCode": {"type": "string"}, "countryName": {"type": "string"}, "countryCode": {"type": "string"},
        "currencyUnit": {"type": "string", "enum": ["人民币"]},
        "monthlyData": {"type": "array", "minItems": 12, "maxItems": 12, "items": month_amount()}
    }});
    add_country_codes(&mut trend);
    let mut vintage = month_amount();
    vintage["properties"]["firstPublished"] = json!({"type": "integer", "description": "with vintages=true: the value first published for the month"});
    vintage["properties"]["revision"] =
        json!({"type": "integer", "description": "with vintages=true: amount - firstPublished"});
    let mut history = json!({"type": "object", "properties": {
        "hsCode": {"type": "string"}, "countryCode": {"type": "string"}, "countryName": {"type": "string"},
        "currentDataMonth": {"type": "string"},
        "yearlySummary": {"type": "array", "items": {"type": "object", "properties": {
            "year": {"type": "integer"}, "totalAmount": {"type": "integer"}}}},
        "monthlyDetail": {"type": "array", "minItems": 24, "maxItems": 24, "items": vintage},
        "summaryStats": {"type": "object", "properties": {
            "total24MonthAmount": {"type": "integer"}, "monthlyAvg": {"type": "number"},
            "maxMonth": month_amount(), "minMonth": month_amount(), "activeMonthsCount": {"type": "integer"}}}
    }});
    add_country_codes(&mut history);
    let mut contribution = json!({"type": "object", "properties": {
        "countryCode": {"type": "string"}, "countryName": {"type": "string"},
        "recent12mTotal": {"type": "integer"}, "prev12mTotal": {"type": "integer"},
        "change": {"type": "integer", "description": "recent12mTotal - prev12mTotal"},
        "contributionPp": {"type": "number", "nullable": true, "description": "change / the product's prev12mGlobalTotal * 100, in percentage points"},
        "yoyGrowthRate": nullable("number")
    }});
    add_country_codes(&mut contribution);
    let contributions = json!({"type": "object", "properties": {
        "hsCode": {"type": "string"}, "currentMonth": {"type": "string"},
        "recent12mGlobalTotal": {"type": "integer"}, "prev12mGlobalTotal": {"type": "integer"},
        "change": {"type": "integer"}, "yoyGrowthRate": nullable("number"),
        "marketCount": {"type": "integer"},
        "markets": {"type": "array", "items": contribution}
    }});
    let mut country = json!({"type": "object", "properties": {
        "countryCode": {"type": "string"}, "countryName": {"type": "string"},
        "continent": {"type": "string", "nullable": true},
        "tradeTags": {"type": "array", "items": {"type": "string", "enum": ["一带一路", "东盟", "欧盟", "美墨加", "中东"]}},
        "inReference": {"type": "boolean", "description": "false for a partner code met in the data but not in the reference table"}
    }});
    add_country_codes(&mut country);
    let strings = json!({"type": "array", "items": {"type": "string"}});
    let meta = json!({"type": "object", "properties": {
        "latestMonth": {"type": "string"}, "firstMonth": {"type": "string"},
        "months": strings, "monthCount": {"type": "integer"}, "missingMonths": strings,
        "codeCount": {"type": "integer"}, "countryCount": {"type": "integer"}, "factCount": {"type": "integer"},
        "currency": {"type": "string", "enum": ["CNY", "USD"]}, "currencyName": nullable("string"),
        "unit": {"type": "string", "enum": ["元", "美元"]},
        "inputDigest": nullable("string"), "buildTime": {"type": "string", "nullable": true, "format": "date-time"},
        "referenceVersion": nullable("string"), "schemaVersion": nullable("string"),
        "sourceFileCount": nullable("integer"), "lowBaseThreshold": {"type": "integer"},
        "month": {"type": "string", "description": "with month= only"},
        "monthPresent": {"type": "boolean", "description": "with month= only: the month is in the data"},
        "monthStatus": {"type": "string", "enum": ["present", "missing", "beforeFirst", "afterLatest"], "description": "with month= only"}
    }});
    let limit = |default: i64, max: i64| {
        param(
            "limit",
            false,
            &format!("rows to return (1-{max})"),
            json!({"type": "integer", "minimum": 1, "maximum": max, "default": default}),
            json!(default),
        )
    };
    let offset = param(
        "offset",
        false,
        "rows to skip",
        json!({"type": "integer", "minimum": 0, "maximum": 100000, "default": 0}),
        json!(0),
    );
    let min_amount = |default: i64| {
        param(
            "minAmount",
            false,
            "least recent-12-month total (yuan)",
            json!({"type": "integer", "format": "int64", "minimum": 0, "maximum": i64::MAX, "default": default}),
            json!(default),
        )
    };
    json!({
        "openapi": "3.0.3",
        "info": {
            "title": "cnexport API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "China customs export statistics by HS code and destination. Amounts in yuan (人民币). Every answer is {code, message, data}; code mirrors the HTTP status."
        },
        "paths": {
            "/skill/dashboard": operation(
                "A product's (or roll-up's) 12-month figures at an as-of month",
                vec![
                    hs_code("2, 4, 6 or 8"),
                    param("currentMonth", false, "as-of month YYYYMM (default: the latest)",
                        json!({"type": "string", "pattern": "^(19|2[0-9])[0-9]{2}(0[1-9]|1[0-2])$"}), json!("202412")),
                ],
                dashboard_data,
                json!({"code": 200, "message": "success", "data": {"hsCode": "85171300", "productName": "智能手机", "currentMonth": "202506", "recent12mGlobalTotal": 279462943768i64, "prev12mGlobalTotal": 308115902508i64, "yoyGrowthRate": -9.3, "momGrowthRate": -18.8}})
            ),
            "/skill/markets": operation(
                "The destinations of a product in the latest 12 months",
                vec![
                    hs_code("2, 4, 6 or 8"),
                    param("sortBy", false, "amount, or name in pinyin order",
                        json!({"type": "string", "enum": ["amount", "name"], "default": "amount"}), json!("amount")),
                    param("order", false, "sort order",
                        json!({"type": "string", "enum": ["desc", "asc"], "default": "desc"}), json!("desc")),
                    min_amount(0),
                    limit(50, 1000),
                    offset.clone(),
                ],
                json!({"type": "array", "items": market}),
                json!({"code": 200, "message": "success", "data": [{"countryName": "美国", "countryCode": "502", "continent": "北美洲", "tradeTags": ["美墨加"], "recent12mTotal": 107972989953i64, "monthlyAvg": 8997749162.75, "threeYearCAGR": -7.5}]})
            ),
            "/skill/trend": operation(
                "The 12 latest months of a product to one destination, oldest first",
                vec![hs_code("2, 4, 6 or 8"), country_code()],
                trend,
                json!({"code": 200, "message": "success", "data": {"hsCode": "12019020", "countryName": "美国", "countryCode": "502", "currencyUnit": "人民币", "monthlyData": [{"month": "202411", "amount": 385071}]}})
            ),
            "/skill/topProducts": operation(
                "A ranking of products at the latest month",
                vec![
                    param("sortBy", false, "growth (codes without growth are left out), amount or marketBreadth",
                        json!({"type": "string", "enum": ["growth", "amount", "marketBreadth"], "default": "growth"}), json!("growth")),
                    param("level", false, "rank 8-digit codes or the roll-ups of one level",
                        json!({"type": "integer", "enum": [2, 4, 6, 8], "default": 8}), json!(8)),
                    param("regionFilter", false, "rank by one region's or bloc's total and growth (Chinese names accepted too)",
                        json!({"type": "string", "enum": REGIONS}), json!("asean")),
                    min_amount(10_000_000),
                    param("minBase", false, "growth rankings leave out codes whose base (prev12, or the region's) is below this; default: the low-base threshold",
                        json!({"type": "integer", "format": "int64", "minimum": 0, "maximum": i64::MAX, "default": 1_000_000}), json!(1_000_000)),
                    param("maxConcentration", false, "largest top3ConcentrationPercent",
                        json!({"type": "number", "minimum": 0, "maximum": 100}), json!(80)),
                    limit(30, 100),
                    offset.clone(),
                ],
                json!({"type": "array", "items": top}),
                json!({"code": 200, "message": "success", "data": [{"rank": 1, "hsCode": "85076000", "productName": "锂离子蓄电池", "recent12mGlobalTotal": 745235761798i64, "yoyGrowthRate": 35.65, "activeCountriesCount": 19, "top3ConcentrationPercent": 52.94, "bestRegion": {"regionName": "asia", "percent": 58.73}, "momentumScore": 30.67}]})
            ),
            "/skill/history": operation(
                "24 months of a product to one destination, newest first, with yearly totals and statistics",
                vec![hs_code("2, 4, 6 or 8"), country_code(),
                    param("vintages", false, "true: each month also carries the value first published and the revision since",
                        json!({"type": "boolean", "default": false}), json!(false))],
                history,
                json!({"code": 200, "message": "success", "data": {"hsCode": "12019020", "countryCode": "502", "countryName": "美国", "currentDataMonth": "202510"}})
            ),
            "/skill/search": operation(
                "Find products by code prefix or by words of the Chinese or English name, best match first",
                vec![
                    param("q", true, "a code prefix (8517) or words of the name (手机, phone)",
                        json!({"type": "string", "maxLength": 64, "pattern": "\\S"}), json!("8517")),
                    limit(20, 100),
                ],
                json!({"type": "array", "items": {"type": "object", "properties": {
                    "hsCode": {"type": "string"}, "level": {"type": "integer", "enum": [2, 4, 6, 8]},
                    "productName": nullable("string"), "productNameEn": nullable("string"),
                    "recent12mGlobalTotal": nullable("integer")
                }}}),
                json!({"code": 200, "message": "success", "data": [{"hsCode": "85171300", "level": 8, "productName": "智能手机", "productNameEn": "Smartphones", "recent12mGlobalTotal": 279462943768i64}]})
            ),
            "/skill/meta": operation(
                "What the build holds: months (and whether a month is in), counts, currency, digest, build time",
                vec![param("month", false, "a month YYYYMM to ask about: is it in the data?",
                    json!({"type": "string", "pattern": "^[0-9]{6}$"}), json!("202401"))],
                meta,
                json!({"code": 200, "message": "success", "data": {"latestMonth": "202510", "firstMonth": "202111", "monthCount": 48, "missingMonths": [], "currency": "CNY", "unit": "元"}})
            ),
            "/skill/contributions": operation(
                "Which markets drove a product's year-on-year change: each market's change and its contribution in percentage points",
                vec![hs_code("2, 4, 6 or 8"), limit(50, 1000), offset.clone()],
                contributions,
                json!({"code": 200, "message": "success", "data": {"hsCode": "85171300", "yoyGrowthRate": -9.3, "markets": [{"countryCode": "502", "countryName": "美国", "change": -5200000000i64, "contributionPp": -1.69}]}})
            ),
            "/skill/countries": operation(
                "Every partner with its Chinese and English names, continent, blocs, ISO 3166 and UN M49 codes",
                vec![],
                json!({"type": "array", "items": country}),
                json!({"code": 200, "message": "success", "data": [{"countryCode": "502", "countryName": "美国", "countryNameEn": "United States", "iso3": "USA", "iso2": "US", "m49": "840"}]})
            ),
            "/skill/series": operation(
                "A product's (or roll-up's) exports to all destinations in each of the 24 months M-23..M, oldest first; the last 12 add up to recent12mGlobalTotal, the first 12 to prev12mGlobalTotal",
                vec![hs_code("2, 4, 6 or 8")],
                json!({"type": "object", "properties": {
                    "hsCode": {"type": "string"}, "productName": nullable("string"), "currentMonth": {"type": "string"},
                    "currencyUnit": {"type": "string", "enum": ["人民币"]},
                    "monthlyData": {"type": "array", "minItems": 24, "maxItems": 24, "items": month_amount()}
                }}),
                json!({"code": 200, "message": "success", "data": {"hsCode": "85171300", "productName": "智能手机", "currentMonth": "202506", "currencyUnit": "人民币", "monthlyData": [{"month": "202307", "amount": 28812637400i64}]}})
            ),
            "/healthz": {"get": {"summary": "Liveness and the data month and input digest of the served build",
                "responses": {"200": {"description": "ok", "content": {"application/json": {"schema": {"type": "object", "properties": {
                    "status": {"type": "string"}, "dataMonth": nullable("string"), "inputDigest": nullable("string"), "generation": {"type": "integer"}}}}}}}}}
        },
        "components": {"schemas": {"Error": {"type": "object", "required": ["code", "message", "data"], "properties": {
            "code": {"type": "integer"}, "message": {"type": "string"}, "data": {"type": "object", "nullable": true}
        }}}}
    })
}
