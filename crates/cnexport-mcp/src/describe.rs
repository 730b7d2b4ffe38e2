//! What an assistant reads: the server's instructions, each tool's
//! description (what it answers, the units, what to call next) and the
//! one-line summary of a result.

use cnexport_api::Endpoint;
use serde_json::Value;

/// The server's instructions (sent at initialize).
pub const INSTRUCTIONS: &str = "China's official export statistics (China Customs, monthly, by 8-digit HS product code and destination), pre-aggregated. \
All amounts are in yuan (人民币, CNY), exact integers; percentages have 2 decimals. \
recent12 is the 12 months up to the as-of month M (the latest month of the data unless currentMonth is given), prev12 the 12 before. \
lowBase: the growth rests on a base below the low-base threshold (meta.lowBaseThreshold, 1,000,000 yuan by default) and says little. \
Codes: 2-digit chapter, 4-digit heading, 6-digit subheading or 8-digit product; find a code with search first. \
Countries: China customs 3-digit partner codes (502 = United States) or ISO3 (USA); countries lists them. \
When you answer, name the source (China Customs export statistics), the currency (yuan) and the period (the months and the as-of month); say when a growth is lowBase; never estimate a figure the tools did not return.";

/// The description of an endpoint's tool, for an assistant.
pub fn description(endpoint: Endpoint) -> String {
    let text = match endpoint {
        Endpoint::Dashboard => "A product's (or roll-up's) 12-month export picture at an as-of month: recent12 and prev12 totals (yuan), year-on-year and month-on-month growth, active destinations, top-3 concentration, regional and trade-bloc shares, momentum, unit value, seasonality. Start here for 'is this a good product to export?'. Next: markets or growth for where it sells, trend or history for one destination, seasonality for timing.",
        Endpoint::Markets => "The destinations of a product with exports in the latest 12 months: each destination's recent12 total (yuan), share, YoY growth (lowBase flags a small base), monthly average and 3-year CAGR, sortable by amount, name or growth. Next: growth for the fastest-growing markets, trend or history for one destination, priceband for what each pays.",
        Endpoint::Trend => "The 12 latest months of a product's exports to one destination (yuan per month, oldest first). Use history for 24 months with yearly totals.",
        Endpoint::TopProducts => "A ranking of products (8-digit, or 2/4/6-digit roll-ups with level) at the latest month: by growth, amount, market breadth, chance (growing, not low-base, least dependent on a few buyers) or season (the coming month is a peak month); regionFilter ranks within a continent or bloc (asean, eu, beltRoad...). Use it for 'find me trending products'. Next: dashboard of a code.",
        Endpoint::History => "24 months of a product's exports to one destination, newest first, with yearly totals and statistics; vintages=true adds first-published values and revisions.",
        Endpoint::Search => "Find product codes by code prefix or by words of the Chinese or English name, best match first. Use it before any other tool when the user names a product rather than a code.",
        Endpoint::Meta => "What the database holds: the data months (first, latest, any missing), counts, currency, low-base threshold, input digest, schema version. Use it to state the period of the figures.",
        Endpoint::Contributions => "Which destinations drove a product's year-on-year change: each destination's change (yuan) and its contribution in percentage points, adding up to the product's YoY growth.",
        Endpoint::Countries => "Every partner with its China customs code, Chinese and English names, continent, trade blocs, ISO 3166 and UN M49 codes. Use it to turn a country name into a countryCode.",
        Endpoint::Series => "A product's monthly exports (yuan), to all destinations or to one (countryCode), oldest first: by default the 24 months up to the latest, or any range from..to (YYYYMM) of the data up to the whole history.",
        Endpoint::Growth => "A product's destinations ranked by year-on-year growth of their 12-month totals, fastest first; destinations whose prev12 is below minBase (default: the low-base threshold) are left out and counted (excludedLowBase), new markets counted apart. Use it for 'which country should I target?'. Next: priceband for the price tier there, trend for its months.",
        Endpoint::Priceband => "What each destination pays per unit over the latest 12 months (yuan per unit = value / quantity), the median, and each destination's tier: premium 高端 (> 1.2 x median), mid 中端, value 性价比 (< 0.8 x median); the monthly unit value over the whole data. A product whose destinations use several units has no band (reason says why).",
        Endpoint::Chapter => "A product's chapter (first 2 digits) broken down by 4-digit heading: each heading's 12-month total (yuan), share of the chapter, growth and active 8-digit codes, and where the product's own heading ranks. Use it for 'what else sells in this chapter?'.",
        Endpoint::Seasonality => "The months of the year a product sells in (to all destinations or one): each calendar month's share over the latest complete years (up to 3), the peak months (share >= 1.25 x an even 8.33%) and the seasonality strength. Use it for 'when are the peak months?'.",
        Endpoint::Coverage => "What the database covers, month x HS chapter: facts, value (yuan) and the source files holding them, and the flags of what looks like a hole (missing_month: no data at all in a month; chapter_gap: a chapter without data in a month between months that have it; uncovered_codes: a code range no download of a month covers though it had exports a year earlier (a missed download), with the queries to download; cut_off_file: a download of exactly 10,000 rows, the platform's cap, with the queries that would fit). Use it before trusting a figure of a month or chapter, or for 'is the data complete?'; chapter, from and to narrow it.",
    };
    text.to_string()
}

/// One line on a result, for the assistant and for people reading a log.
pub fn summary(tool: &str, target: &str, data: &Value, total: Option<u64>) -> String {
    let mut parts = vec![format!("{tool}: {target}")];
    let text = |k: &str| {
        data.get(k).and_then(|v| match v {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        })
    };
    if let Some(name) = text("productName") {
        parts.push(name);
    }
    if let Some(m) = text("currentMonth") {
        parts.push(format!("as of {m}"));
    }
    if let Some(t) = text("recent12mGlobalTotal") {
        parts.push(format!("recent12 {t} yuan"));
    }
    if let Some(n) = total {
        parts.push(format!("{n} items in all"));
    }
    parts.join("; ")
}
