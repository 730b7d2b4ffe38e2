//! GET /skill/search: find products by code prefix or by words of their
//! Chinese or English name, ranked.

use crate::{ApiError, Params};
use rusqlite::Connection;
use serde_json::{json, Value};

/// Longest query text accepted.
const MAX_QUERY_CHARS: usize = 64;

struct Candidate {
    code: String,
    level: u8,
    name_zh: Option<String>,
    name_en: Option<String>,
    total: Option<i64>,
    /// Lower is better.
    rank: (u8, usize, usize),
}

pub fn search(conn: &Connection, params: &Params) -> Result<Value, ApiError> {
    let q = params.require(
        "q",
        "a product code prefix (e.g. 8517) or words of its name (e.g. 手机, phone)",
    )?;
    if q.chars().count() > MAX_QUERY_CHARS {
        return Err(ApiError::bad_request(format!(
            "参数 q 过长 (q must be at most {MAX_QUERY_CHARS} characters)"
        )));
    }
    let limit = params.integer("limit", 20, 1, 100)? as usize;
    let digits: String = q
        .chars()
        .filter(|c| *c != '.' && !c.is_whitespace())
        .collect();
    let by_code = !digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit());
    let words: Vec<String> = q.split_whitespace().map(|w| w.to_lowercase()).collect();

    // The latest as-of month's totals rank equally good matches.
    let latest: Option<u32> = conn
        .query_row("SELECT max(as_of_month) FROM hs_base_metrics", [], |r| {
            r.get(0)
        })
        .unwrap_or(None);
    let mut st = conn.prepare_cached(
        "SELECT p.hs_code, p.level, p.name_zh, p.name_en, m.recent12m_global_total
         FROM products p LEFT JOIN hs_base_metrics m ON m.hs_code = p.hs_code AND m.as_of_month = ?1",
    )?;
    let rows = st.query_map([latest.unwrap_or(0)], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, u8>(1)?,
            r.get::<_, Option<String>>(2)?,
            r.get::<_, Option<String>>(3)?,
            r.get::<_, Option<i64>>(4)?,
        ))
    })?;
    let mut found: Vec<Candidate> = Vec::new();
    for row in rows {
        let (code, level, name_zh, name_en, total) = row?;
        let rank = if by_code {
            if code == digits {
                Some((0, 0, 0))
            } else if code.starts_with(&digits) {
                Some((1, code.len(), 0))
            } else {
                None
            }
        } else {
            name_rank(&words, name_zh.as_deref(), name_en.as_deref())
        };
        if let Some(rank) = rank {
            found.push(Candidate {
                code,
                level,
                name_zh,
                name_en,
                total,
                rank,
            });
        }
    }
    // Best class of match first; within it products with exports before
    // those without; then where the match is, shorter names, larger totals,
    // and the code.
    found.sort_by(|a, b| {
        (a.rank.0)
            .cmp(&b.rank.0)
            .then_with(|| b.total.is_some().cmp(&a.total.is_some()))
            .then_with(|| (a.rank.1, a.rank.2).cmp(&(b.rank.1, b.rank.2)))
            .then_with(|| b.total.unwrap_or(0).cmp(&a.total.unwrap_or(0)))
            .then_with(|| a.code.cmp(&b.code))
    });
    params.set_total(found.len());
    Ok(Value::Array(
        found
            .into_iter()
            .take(limit)
            .map(|c| {
                json!({
                    "hsCode": c.code,
                    "level": c.level,
                    "productName": c.name_zh,
                    "productNameEn": c.name_en,
                    "recent12mGlobalTotal": c.total,
                })
            })
            .collect(),
    ))
}

/// Every word must occur in the Chinese or the English name. Class 2: the
/// name starts with the first word; 3: it starts an English word; 4: it
/// occurs inside a word. Then where it occurs, then shorter names.
fn name_rank(words: &[String], zh: Option<&str>, en: Option<&str>) -> Option<(u8, usize, usize)> {
    let zh = zh.unwrap_or("");
    let en = en.unwrap_or("").to_lowercase();
    let mut first = (4u8, usize::MAX);
    for (i, w) in words.iter().enumerate() {
        let found = match zh.find(w.as_str()) {
            Some(pos) => (if pos == 0 { 2 } else { 3 }, pos),
            None => {
                let pos = en.find(w.as_str())?;
                let at_word_start = pos == 0 || !en[..pos].ends_with(|c: char| c.is_alphanumeric());
                // Prefer a later occurrence at a word start over an infix one.
                let word_start = en
                    .match_indices(w.as_str())
                    .find(|(p, _)| *p == 0 || !en[..*p].ends_with(|c: char| c.is_alphanumeric()));
                match (at_word_start, word_start) {
                    (true, _) => (if pos == 0 { 2 } else { 3 }, pos),
                    (false, Some((p, _))) => (3, p),
                    (false, None) => (4, pos),
                }
            }
        };
        if i == 0 {
            first = found;
        }
    }
    Some((first.0, first.1, zh.chars().count().max(1)))
}
