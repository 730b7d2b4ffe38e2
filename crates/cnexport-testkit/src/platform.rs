//! A simulated customs statistics platform for tests: generated export
//! facts (the ground truth), the downloads the real platform would give for
//! a query, and a small HTTP server that serves them beside a listing page
//! with the strays a real site links too (an about page, a help page with a
//! table, a login page with a CAPTCHA, an error page served with 200, a PDF,
//! and a PDF under a `.csv` name).
//!
//! Everything is deterministic: the same seed and [`PlatformSpec`] give the
//! same facts and the same bytes.
//!
//! ```text
//! let platform = Platform::generate(7, &PlatformSpec::default());
//! let q = Query::new(2024, 1, 12, "85000000", "85999999", None);
//! let server = platform.start();
//! server.set_listing(vec![q.path()]);
//! // fetch server.listing_url() ...
//! ```
//!
//! # Downloads
//!
//! `GET /data/{year}_{mm}-{mm}_{codeFrom}-{codeTo}_{partners}.csv` is one
//! platform download with 分月展示 (by month) ticked, grouped by commodity
//! and partner: every fact of that year with its month in the range, its
//! 8-digit code in `[codeFrom, codeTo]` (inclusive) and its partner in the
//! group (`all`, or partner codes joined by `_`: `110_502_116`), sorted by
//! (month, code, partner), cut off after the first [`ROW_CAP`] rows as the
//! real platform does. The bytes are those the platform writes: GBK (GB18030
//! for the rare character outside GBK), no BOM, line feeds, every field
//! double-quoted (numbers too), a trailing comma on every line, the header
//! [`crate::bulletin::CSV_HEADER`], values in yuan with thousands
//! separators (`"16,536,067,327"`), quantities without, a missing second
//! unit as `?` with quantity `0`, and only non-zero rows.
//!
//! # Other paths
//!
//! - `GET /listing.html`: links the paths given to
//!   [`RunningPlatform::set_listing`], then [`CHANGING`] and every path of
//!   [`STRAYS`];
//! - [`STRAYS`]: `/about.html` (a page about the platform, no table),
//!   `/help.htm` (a help page whose table lists keyboard shortcuts),
//!   `/login.html` (a login form with a CAPTCHA image, status 200),
//!   `/error.html` (系统繁忙，请稍后再试, status 200, GBK, no title),
//!   `/report.pdf` (a tiny PDF) and `/notice.csv` (a PDF body under a
//!   `.csv` name);
//! - [`CHANGING`] (`/changing.csv`): a real download (January of the first
//!   year, the first code, all partners) on the first request and the login
//!   page on every later one, unless [`RunningPlatform::set_changing`] says
//!   otherwise;
//! - anything else: 404.
//!
//! [`RunningPlatform::hits`] counts the requests per path.

use crate::rng::{mix, SplitMix64};
use cnexport_core::reference::Reference;
use std::collections::HashMap;
use std::fmt::Write as _;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The most rows one download holds; a query matching more is cut off.
pub const ROW_CAP: usize = 10_000;

/// The stray pages every listing links besides the downloads.
pub const STRAYS: [&str; 6] = [
    "/about.html",
    "/help.htm",
    "/login.html",
    "/error.html",
    "/report.pdf",
    "/notice.csv",
];

/// The path that serves a bulletin first and a login page later.
pub const CHANGING: &str = "/changing.csv";

/// The listing page's path.
pub const LISTING: &str = "/listing.html";

/// The trading partners, most important first: real customs partner codes
/// (names from the reference table of `cnexport-core`).
const PARTNERS: [&str; 52] = [
    "110", "502", "116", "133", "304", "141", "143", "136", "122", "132", "111", "112", "129",
    "303", "305", "307", "312", "309", "344", "410", "501", "601", "138", "131", "137", "127",
    "106", "107", "103", "429", "330", "609", "301", "306", "310", "315", "326", "327", "413",
    "412", "117", "118", "130", "201", "202", "224", "234", "244", "347", "352", "121", "119",
];

/// One chapter of the generated data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChapterSpec {
    /// Two-digit HS chapter (85).
    pub chapter: u8,
    /// How many 8-digit codes of the chapter have trade: real codes of the
    /// reference table, spread evenly over the chapter (so over its 4-digit
    /// headings); at most the chapter's number of codes.
    pub codes: usize,
}

/// The size and shape of the generated data.
#[derive(Debug, Clone, PartialEq)]
pub struct PlatformSpec {
    /// Calendar years, each with 12 months of data.
    pub years: Vec<u16>,
    pub chapters: Vec<ChapterSpec>,
    /// How many partners (the most important first; at most the reference
    /// table's).
    pub partners: usize,
    /// The share of (code, partner, month) cells with trade, on average
    /// (codes and partners differ: large partners and popular codes trade
    /// more often).
    pub density: f64,
}

impl Default for PlatformSpec {
    /// 2024 and 2025; chapter 85 with 300 codes (about 31,000 rows a year:
    /// several downloads under the 10,000-row cap), 84 with 120 and 90 with
    /// 60; 40 partners; density 0.22: about 100,000 rows in all.
    fn default() -> Self {
        PlatformSpec {
            years: vec![2024, 2025],
            chapters: vec![
                ChapterSpec {
                    chapter: 84,
                    codes: 120,
                },
                ChapterSpec {
                    chapter: 85,
                    codes: 300,
                },
                ChapterSpec {
                    chapter: 90,
                    codes: 60,
                },
            ],
            partners: 40,
            density: 0.22,
        }
    }
}

/// One export fact: a row of a platform download.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Row {
    /// `YYYYMM`.
    pub month: u32,
    /// 3-digit partner code (`502`).
    pub partner: String,
    /// The partner's Chinese name (`美国`).
    pub partner_name: String,
    /// 8-digit HS code.
    pub hs: String,
    pub product_name: String,
    pub quantity1: u64,
    /// The first unit (`千克`, `台`).
    pub unit1: String,
    /// 0 when there is no second unit.
    pub quantity2: u64,
    /// `None` is written `?`.
    pub unit2: Option<String>,
    /// Value in yuan, at least 1.
    pub value: u64,
}

/// One download: a year, a month range, an 8-digit code range and a
/// partner group.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Query {
    pub year: u16,
    /// 1..=12, `month_from <= month_to`.
    pub month_from: u8,
    pub month_to: u8,
    /// 8-digit codes, inclusive.
    pub code_from: String,
    pub code_to: String,
    /// `None`: all partners.
    pub partners: Option<Vec<String>>,
}

impl Query {
    pub fn new(
        year: u16,
        month_from: u8,
        month_to: u8,
        code_from: &str,
        code_to: &str,
        partners: Option<Vec<String>>,
    ) -> Query {
        Query {
            year,
            month_from,
            month_to,
            code_from: code_from.to_string(),
            code_to: code_to.to_string(),
            partners,
        }
    }

    /// A whole year, every code, every partner.
    pub fn year(year: u16) -> Query {
        Query::new(year, 1, 12, "00000000", "99999999", None)
    }

    /// `/data/2024_01-12_85000000-85999999_all.csv`,
    /// `/data/2024_03-03_85010000-85049999_110_502.csv`.
    pub fn path(&self) -> String {
        let partners = match &self.partners {
            None => "all".to_string(),
            Some(p) => p.join("_"),
        };
        format!(
            "/data/{}_{:02}-{:02}_{}-{}_{partners}.csv",
            self.year, self.month_from, self.month_to, self.code_from, self.code_to
        )
    }

    /// The query of a download path (the inverse of [`Query::path`]); `None`
    /// for any other path or a malformed one.
    pub fn from_path(path: &str) -> Option<Query> {
        let rest = path.strip_prefix("/data/")?;
        if rest.contains('/') {
            return None;
        }
        let mut parts = rest.splitn(4, '_');
        let (year, months, codes, group) =
            (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
        if parts.next().is_some() {
            return None;
        }
        let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
        if !digits(year, 4) {
            return None;
        }
        let (mf, mt) = months.split_once('-')?;
        if !digits(mf, 2) || !digits(mt, 2) {
            return None;
        }
        let (month_from, month_to): (u8, u8) = (mf.parse().ok()?, mt.parse().ok()?);
        if !(1..=12).contains(&month_from) || !(month_from..=12).contains(&month_to) {
            return None;
        }
        let (code_from, code_to) = codes.split_once('-')?;
        if !digits(code_from, 8) || !digits(code_to, 8) || code_from > code_to {
            return None;
        }
        let group = group.strip_suffix(".csv")?;
        let partners = if group == "all" {
            None
        } else {
            let list: Vec<String> = group.split('_').map(str::to_string).collect();
            if list.iter().any(|p| !digits(p, 3)) {
                return None;
            }
            Some(list)
        };
        Some(Query {
            year: year.parse().ok()?,
            month_from,
            month_to,
            code_from: code_from.to_string(),
            code_to: code_to.to_string(),
            partners,
        })
    }

    /// Whether a fact belongs to the query.
    pub fn matches(&self, row: &Row) -> bool {
        let year = row.month / 100;
        let month = row.month % 100;
        year == u32::from(self.year)
            && (u32::from(self.month_from)..=u32::from(self.month_to)).contains(&month)
            && row.hs.as_str() >= self.code_from.as_str()
            && row.hs.as_str() <= self.code_to.as_str()
            && self
                .partners
                .as_ref()
                .is_none_or(|p| p.contains(&row.partner))
    }
}

/// The generated facts of a simulated platform.
#[derive(Debug, Clone)]
pub struct Platform {
    seed: u64,
    spec: PlatformSpec,
    /// Sorted by (month, code, partner).
    facts: Vec<Row>,
    codes: Vec<String>,
    partners: Vec<(String, String)>,
}

struct Product {
    code: String,
    name: String,
    unit1: String,
    unit2: Option<String>,
    /// Typical monthly value to one partner, yuan.
    scale: f64,
    /// How often it trades, relative (mean 1).
    popularity: f64,
    /// Yuan per first unit and per second unit.
    price1: f64,
    price2: f64,
}

impl Platform {
    /// Generates the facts: for each year, month, code (ascending) and
    /// partner (ascending code), a fact with probability
    /// `density * popularity(code) * weight(partner)` (both average 1).
    pub fn generate(seed: u64, spec: &PlatformSpec) -> Platform {
        let reference = Reference::get();
        let mut rng = SplitMix64::new(mix(seed ^ 0x706c_6174_666f_726d));

        let mut products = Vec::new();
        let mut chapters = spec.chapters.clone();
        chapters.sort_by_key(|c| c.chapter);
        chapters.dedup_by_key(|c| c.chapter);
        for ch in &chapters {
            let prefix = format!("{:02}", ch.chapter);
            let all: Vec<_> = reference
                .products
                .values()
                .filter(|p| p.code.to_string().starts_with(&prefix))
                .collect();
            let n = ch.codes.min(all.len());
            for i in 0..n {
                let p = all[i * all.len() / n];
                let price1 = 10f64.powf(0.5 + 3.0 * rng.unit());
                products.push(Product {
                    code: p.code.to_string(),
                    name: p.name_zh.clone(),
                    unit1: p.unit1.clone().unwrap_or_else(|| "千克".to_string()),
                    unit2: p.unit2.clone(),
                    scale: 10f64.powf(4.0 + 4.0 * rng.unit()),
                    popularity: 0.25 + 1.5 * rng.unit(),
                    price1,
                    price2: price1 * (5.0 + 200.0 * rng.unit()),
                });
            }
        }

        let mut partners: Vec<(String, String)> = PARTNERS
            .iter()
            .filter_map(|c| {
                let code = cnexport_core::PartnerCode::parse(c)?;
                let country = reference.countries.get(&code)?;
                Some((c.to_string(), country.name_zh.clone()))
            })
            .collect();
        for (code, country) in &reference.countries {
            let code = code.to_string();
            if !partners.iter().any(|(c, _)| *c == code) {
                partners.push((code, country.name_zh.clone()));
            }
        }
        partners.truncate(spec.partners.max(1));
        // Weight by importance: 1.8 for the first, 0.2 for the last.
        let count = partners.len();
        let mut weighted: Vec<(String, String, f64)> = partners
            .iter()
            .enumerate()
            .map(|(i, (c, n))| {
                let w = if count == 1 {
                    1.0
                } else {
                    1.8 - 1.6 * i as f64 / (count - 1) as f64
                };
                (c.clone(), n.clone(), w)
            })
            .collect();
        weighted.sort_by(|a, b| a.0.cmp(&b.0));

        let mut years = spec.years.clone();
        years.sort_unstable();
        years.dedup();
        let mut facts = Vec::new();
        for &year in &years {
            for month in 1..=12u32 {
                let season = 0.8 + 0.4 * rng.unit();
                for p in &products {
                    for (code, name, weight) in &weighted {
                        let chance = spec.density * p.popularity * weight;
                        if rng.unit() >= chance {
                            continue;
                        }
                        let noise = 0.2 + 1.6 * rng.unit();
                        let value = (p.scale * weight * season * noise).round().max(1.0);
                        let quantity1 = (value / p.price1).round().max(1.0) as u64;
                        let quantity2 = match p.unit2 {
                            Some(_) => (value / p.price2).round().max(1.0) as u64,
                            None => 0,
                        };
                        facts.push(Row {
                            month: u32::from(year) * 100 + month,
                            partner: code.clone(),
                            partner_name: name.clone(),
                            hs: p.code.clone(),
                            product_name: p.name.clone(),
                            quantity1,
                            unit1: p.unit1.clone(),
                            quantity2,
                            unit2: p.unit2.clone(),
                            value: value as u64,
                        });
                    }
                }
            }
        }
        Platform {
            seed,
            spec: spec.clone(),
            facts,
            codes: products.into_iter().map(|p| p.code).collect(),
            partners,
        }
    }

    pub fn seed(&self) -> u64 {
        self.seed
    }

    pub fn spec(&self) -> &PlatformSpec {
        &self.spec
    }

    /// The ground truth: every fact, sorted by (month, code, partner).
    pub fn facts(&self) -> &[Row] {
        &self.facts
    }

    /// The 8-digit codes that can trade, ascending.
    pub fn codes(&self) -> &[String] {
        &self.codes
    }

    /// The partners, (code, Chinese name), most important first.
    pub fn partners(&self) -> &[(String, String)] {
        &self.partners
    }

    /// Every fact a query matches, sorted by (month, code, partner), not
    /// cut off (a download holds the first [`ROW_CAP`] of them:
    /// [`Platform::download`]).
    pub fn rows(&self, query: &Query) -> Vec<Row> {
        self.facts
            .iter()
            .filter(|r| query.matches(r))
            .cloned()
            .collect()
    }

    /// What a download of the query holds: [`Platform::rows`] cut off after
    /// [`ROW_CAP`] rows.
    pub fn download(&self, query: &Query) -> Vec<Row> {
        self.facts
            .iter()
            .filter(|r| query.matches(r))
            .take(ROW_CAP)
            .cloned()
            .collect()
    }

    /// The bytes of a download, exactly as the platform writes them.
    pub fn csv(&self, query: &Query) -> Vec<u8> {
        csv_bytes(&self.download(query))
    }

    /// Starts the HTTP server on 127.0.0.1 (a free port) in background
    /// threads; it stops when the [`RunningPlatform`] is dropped.
    pub fn start(self) -> RunningPlatform {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().expect("local address");
        let shared = Arc::new(Shared {
            platform: self,
            listing: Mutex::new(Vec::new()),
            changing: Mutex::new(Changing::BulletinOnce),
            hits: Mutex::new(HashMap::new()),
            stop: AtomicBool::new(false),
        });
        let inner = Arc::clone(&shared);
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                if inner.stop.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                let inner = Arc::clone(&inner);
                std::thread::spawn(move || handle(stream, &inner));
            }
        });
        RunningPlatform { addr, shared }
    }
}

/// Writes rows as a platform CSV (see the module documentation).
pub fn csv_bytes(rows: &[Row]) -> Vec<u8> {
    let mut text = String::with_capacity(64 + rows.len() * 110);
    text.push_str(crate::bulletin::CSV_HEADER);
    for r in rows {
        let _ = writeln!(
            text,
            "\"{}\",\"{}\",\"{}\",\"{}\",\"{}\",\"{}\",\"{}\",\"{}\",\"{}\",\"{}\",",
            r.month,
            quote(&r.partner),
            quote(&r.partner_name),
            quote(&r.hs),
            quote(&r.product_name),
            r.quantity1,
            quote(&r.unit1),
            r.quantity2,
            quote(r.unit2.as_deref().unwrap_or("?")),
            thousands(r.value)
        );
    }
    gbk(&text)
}

/// A field's text inside its quotes (a quote doubled).
fn quote(s: &str) -> std::borrow::Cow<'_, str> {
    if s.contains('"') {
        std::borrow::Cow::Owned(s.replace('"', "\"\""))
    } else {
        std::borrow::Cow::Borrowed(s)
    }
}

/// `16536067327` -> `16,536,067,327`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn gbk(text: &str) -> Vec<u8> {
    encoding_rs::GB18030.encode(text).0.into_owned()
}

/// What [`CHANGING`] serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Changing {
    /// The bulletin on the first request, the login page after (the
    /// default).
    BulletinOnce,
    /// Always the bulletin.
    Bulletin,
    /// Always the login page.
    LoginPage,
}

struct Shared {
    platform: Platform,
    listing: Mutex<Vec<String>>,
    changing: Mutex<Changing>,
    hits: Mutex<HashMap<String, u32>>,
    stop: AtomicBool,
}

/// The simulated platform's HTTP server (stopped when dropped).
pub struct RunningPlatform {
    addr: SocketAddr,
    shared: Arc<Shared>,
}

impl RunningPlatform {
    /// `http://127.0.0.1:PORT`
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// `http://127.0.0.1:PORT/path`
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// The listing page's URL.
    pub fn listing_url(&self) -> String {
        self.url(LISTING)
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn platform(&self) -> &Platform {
        &self.shared.platform
    }

    /// The download paths the listing links ([`Query::path`]s, or any path),
    /// in this order, before [`CHANGING`] and the [`STRAYS`].
    pub fn set_listing(&self, paths: Vec<String>) {
        *self.shared.listing.lock().expect("listing lock") = paths;
    }

    /// What [`CHANGING`] serves from now on.
    pub fn set_changing(&self, changing: Changing) {
        *self.shared.changing.lock().expect("changing lock") = changing;
    }

    /// Requests so far to a path (the query string aside).
    pub fn hits(&self, path: &str) -> u32 {
        let hits = self.shared.hits.lock().expect("hits lock");
        hits.get(path).copied().unwrap_or(0)
    }

    /// Requests so far to every path.
    pub fn all_hits(&self) -> HashMap<String, u32> {
        self.shared.hits.lock().expect("hits lock").clone()
    }

    /// Forgets the request counts.
    pub fn reset_hits(&self) {
        self.shared.hits.lock().expect("hits lock").clear();
    }

    /// The query [`CHANGING`] answers while it serves a bulletin.
    pub fn changing_query(&self) -> Query {
        changing_query(&self.shared.platform)
    }
}

impl Drop for RunningPlatform {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so that it sees the flag.
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_millis(200));
    }
}

fn changing_query(platform: &Platform) -> Query {
    let year = platform.spec.years.iter().min().copied().unwrap_or(2024);
    let code = platform
        .codes
        .first()
        .cloned()
        .unwrap_or_else(|| "85010000".into());
    Query::new(year, 1, 1, &code, &code, None)
}

struct Reply {
    status: u16,
    content_type: &'static str,
    body: Vec<u8>,
}

fn ok(content_type: &'static str, body: Vec<u8>) -> Reply {
    Reply {
        status: 200,
        content_type,
        body,
    }
}

const HTML: &str = "text/html; charset=utf-8";

fn route(path: &str, shared: &Shared, hit: u32) -> Reply {
    if let Some(q) = Query::from_path(path) {
        return ok("application/octet-stream", shared.platform.csv(&q));
    }
    match path {
        LISTING => ok(HTML, listing_page(shared).into_bytes()),
        "/about.html" => ok(HTML, ABOUT.as_bytes().to_vec()),
        "/help.htm" => ok(HTML, HELP.as_bytes().to_vec()),
        "/login.html" => ok(HTML, LOGIN.as_bytes().to_vec()),
        "/error.html" => ok("text/html; charset=GBK", gbk(ERROR)),
        "/report.pdf" => ok("application/pdf", PDF.to_vec()),
        "/notice.csv" => ok("application/octet-stream", PDF.to_vec()),
        CHANGING => {
            let mode = *shared.changing.lock().expect("changing lock");
            let bulletin = match mode {
                Changing::BulletinOnce => hit == 1,
                Changing::Bulletin => true,
                Changing::LoginPage => false,
            };
            if bulletin {
                let q = changing_query(&shared.platform);
                ok("application/octet-stream", shared.platform.csv(&q))
            } else {
                ok(HTML, LOGIN.as_bytes().to_vec())
            }
        }
        _ => Reply {
            status: 404,
            content_type: "text/plain; charset=utf-8",
            body: b"not found".to_vec(),
        },
    }
}

fn listing_page(shared: &Shared) -> String {
    let mut page = String::from(
        "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>海关统计数据在线查询平台 - 下载</title></head>\n<body><h1>数据下载</h1>\n<ul>\n",
    );
    let listing = shared.listing.lock().expect("listing lock").clone();
    for path in &listing {
        let _ = writeln!(page, "<li><a href=\"{path}\">{path}</a></li>");
    }
    let _ = writeln!(page, "<li><a href=\"{CHANGING}\">最新数据</a></li>");
    page.push_str("</ul>\n<p>");
    for (path, text) in STRAYS.iter().zip([
        "关于平台",
        "使用帮助",
        "用户登录",
        "系统状态",
        "统计报告 (PDF)",
        "公告",
    ]) {
        let _ = write!(page, "<a href=\"{path}\">{text}</a> ");
    }
    page.push_str("</p>\n</body></html>\n");
    page
}

const ABOUT: &str = "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>关于海关统计数据在线查询平台</title></head>\n<body><h1>关于本平台</h1>\n<p>海关统计数据在线查询平台提供进出口商品贸易方式、国别、注册地等统计数据的在线查询和下载。</p>\n<p>数据每月更新，一般在次月20日左右发布。</p>\n</body></html>\n";

const HELP: &str = "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>使用帮助</title></head>\n<body><h1>快捷键</h1>\n<table>\n<tr><th>按键</th><th>作用</th></tr>\n<tr><td>Enter</td><td>查询</td></tr>\n<tr><td>Ctrl+S</td><td>下载结果</td></tr>\n<tr><td>Esc</td><td>清空条件</td></tr>\n</table>\n</body></html>\n";

const LOGIN: &str = "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>用户登录</title></head>\n<body><form method=\"post\" action=\"/login\">\n<p>用户名 <input name=\"user\"></p>\n<p>密码 <input type=\"password\" name=\"password\"></p>\n<p>验证码 <input name=\"captcha\"> <img src=\"/captcha.jpg\" alt=\"验证码\"></p>\n<p><button type=\"submit\">登录</button></p>\n</form></body></html>\n";

const ERROR: &str = "<html><head><meta http-equiv=\"Content-Type\" content=\"text/html; charset=gbk\"></head>\n<body><div class=\"error\">系统繁忙，请稍后再试</div></body></html>\n";

/// A minimal one-page PDF.
const PDF: &[u8] = b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj\n3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n";

/// Reads a request's head (up to the blank line, at most 64 KiB, 5 s) from
/// a test server's connection; `None` when the client went away first.
pub fn read_request_head(stream: &mut TcpStream) -> Option<String> {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
        match stream.read(&mut chunk) {
            Ok(0) | Err(_) => return None,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
        if buf.len() > 64 * 1024 {
            return None;
        }
    }
    Some(String::from_utf8_lossy(&buf).into_owned())
}

fn handle(mut stream: TcpStream, shared: &Shared) {
    let Some(head) = read_request_head(&mut stream) else {
        return;
    };
    let mut request = head.split("\r\n").next().unwrap_or("").split(' ');
    let method = request.next().unwrap_or("").to_string();
    let target = request.next().unwrap_or("/");
    let path = target.split(['?', '#']).next().unwrap_or("/").to_string();
    let hit = {
        let mut hits = shared.hits.lock().expect("hits lock");
        let h = hits.entry(path.clone()).or_insert(0);
        *h += 1;
        *h
    };
    let reply = if method == "GET" || method == "HEAD" {
        route(&path, shared, hit)
    } else {
        Reply {
            status: 405,
            content_type: "text/plain; charset=utf-8",
            body: b"method not allowed".to_vec(),
        }
    };
    let reason = match reply.status {
        200 => "OK",
        404 => "Not Found",
        _ => "Method Not Allowed",
    };
    let _ = write!(
        stream,
        "HTTP/1.1 {} {reason}\r\nContent-Type: {}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        reply.status,
        reply.content_type,
        reply.body.len()
    );
    if method != "HEAD" {
        let _ = stream.write_all(&reply.body);
    }
    let _ = stream.flush();
    let _ = stream.shutdown(std::net::Shutdown::Both);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_round_trip_through_their_paths() {
        let q = Query::new(
            2024,
            3,
            3,
            "85010000",
            "85049999",
            Some(vec!["110".into(), "502".into()]),
        );
        assert_eq!(q.path(), "/data/2024_03-03_85010000-85049999_110_502.csv");
        assert_eq!(Query::from_path(&q.path()), Some(q));
        let all = Query::year(2025);
        assert_eq!(all.path(), "/data/2025_01-12_00000000-99999999_all.csv");
        assert_eq!(Query::from_path(&all.path()), Some(all));
        for bad in [
            "/data/2024_03-02_85010000-85049999_all.csv",
            "/data/2024_00-02_85010000-85049999_all.csv",
            "/data/2024_01-02_8501000-85049999_all.csv",
            "/data/2024_01-02_85049999-85010000_all.csv",
            "/data/2024_01-02_85010000-85049999_11_502.csv",
            "/data/2024_01-02_85010000-85049999_all.txt",
            "/data/2024_01-02_85010000-85049999_all.csv/x",
            "/listing.html",
        ] {
            assert_eq!(Query::from_path(bad), None, "{bad}");
        }
    }

    #[test]
    fn the_default_platform_is_realistic_and_deterministic() {
        let spec = PlatformSpec::default();
        let p = Platform::generate(7, &spec);
        let total = p.facts().len();
        assert!((80_000..=120_000).contains(&total), "{total} rows");
        eprintln!("{total} rows in all");
        let ch85 = p.rows(&Query::new(2024, 1, 12, "85000000", "85999999", None));
        assert!((25_000..=40_000).contains(&ch85.len()), "{}", ch85.len());
        eprintln!("{} rows in chapter 85 of 2024", ch85.len());
        assert_eq!(
            p.download(&Query::new(2024, 1, 12, "85000000", "85999999", None))
                .len(),
            ROW_CAP
        );
        // Sorted by (month, code, partner), no duplicates, all non-zero.
        for w in p.facts().windows(2) {
            assert!((w[0].month, &w[0].hs, &w[0].partner) < (w[1].month, &w[1].hs, &w[1].partner));
        }
        assert!(p.facts().iter().all(|r| r.value > 0 && r.quantity1 > 0));
        // Codes spread over the chapter's headings.
        let headings: std::collections::BTreeSet<&str> = p
            .codes()
            .iter()
            .filter(|c| c.starts_with("85"))
            .map(|c| &c[..4])
            .collect();
        assert!(headings.len() >= 30, "{headings:?}");
        assert_eq!(p.partners()[0], ("110".to_string(), "中国香港".to_string()));
        assert_eq!(p.partners()[1], ("502".to_string(), "美国".to_string()));
        let again = Platform::generate(7, &spec);
        assert_eq!(again.facts(), p.facts());
        assert_ne!(Platform::generate(8, &spec).facts(), p.facts());
    }

    #[test]
    fn downloads_are_written_as_the_platform_writes_them() {
        let row = Row {
            month: 202401,
            partner: "502".into(),
            partner_name: "美国".into(),
            hs: "12019020".into(),
            product_name: "黑大豆，种用除外".into(),
            quantity1: 38483,
            unit1: "千克".into(),
            quantity2: 0,
            unit2: None,
            value: 16_536_067_327,
        };
        let bytes = csv_bytes(&[row]);
        let (text, _, bad) = encoding_rs::GBK.decode(&bytes);
        assert!(!bad);
        assert_eq!(
            text,
            format!(
                "{}\"202401\",\"502\",\"美国\",\"12019020\",\"黑大豆，种用除外\",\"38483\",\"千克\",\"0\",\"?\",\"16,536,067,327\",\n",
                crate::bulletin::CSV_HEADER
            )
        );
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
    }
}
