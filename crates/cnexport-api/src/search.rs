//! GET /skill/search: find products by code prefix or by words of their
//! Chinese or English name, ranked.

use crate::handler::{Answered, Handler};
use crate::params::SearchParams;
use crate::ApiError;
use rusqlite::Connection;
use serde::Serialize;
use utoipa::ToSchema;

/// One product found.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SearchHit {
    pub hs_code: String,
    /// digits of the code: 2, 4, 6 or 8
    #[schema(minimum = 2, maximum = 8)]
    pub level: u8,
    pub product_name: Option<String>,
    pub product_name_en: Option<String>,
    /// yuan, the recent 12 months at the latest as-of month (null: no metrics)
    #[schema(format = "yuan")]
    pub recent12m_global_total: Option<i64>,
}

struct Candidate {
    code: String,
    level: u8,
    name_zh: Option<String>,
    name_en: Option<String>,
    total: Option<i64>,
    /// Lower is better.
    rank: (u8, usize, usize),
}

pub struct Search;

impl Handler for Search {
    type Params = SearchParams;
    type Data = Vec<SearchHit>;

    fn answer(
        &self,
        conn: &Connection,
        p: &SearchParams,
    ) -> Result<Answered<Vec<SearchHit>>, ApiError> {
        search(conn, &p.q, p.limit.0)
    }
}

fn search(conn: &Connection, q: &str, limit: usize) -> Result<Answered<Vec<SearchHit>>, ApiError> {
    let digits: String = q
        .chars()
        .filter(|c| *c != '.' && !c.is_whitespace())
        .collect();
    let by_code = !digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit());
    let words: Vec<String> = q.split_whitespace().map(|w| w.to_lowercase()).collect();

    // The latest as-of month's totals rank equally good matches.
    let latest: Option<u32> = conn
        .query_row(
            "SELECT max(as_of_month) AS latest FROM hs_base_metrics",
            [],
            |r| r.get("latest"),
        )
        .unwrap_or(None);
    let mut st = conn.prepare_cached(
        "SELECT p.hs_code, p.level, p.name_zh, p.name_en, m.recent12m_global_total
         FROM products p LEFT JOIN hs_base_metrics m ON m.hs_code = p.hs_code AND m.as_of_month = ?1",
    )?;
    let rows = st.query_map([latest.unwrap_or(0)], |r| {
        Ok((
            r.get::<_, String>("hs_code")?,
            r.get::<_, u8>("level")?,
            r.get::<_, Option<String>>("name_zh")?,
            r.get::<_, Option<String>>("name_en")?,
            r.get::<_, Option<i64>>("recent12m_global_total")?,
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
    let total = found.len();
    let hits = found
        .into_iter()
        .take(limit)
        .map(|c| SearchHit {
            hs_code: c.code,
            level: c.level,
            product_name: c.name_zh,
            product_name_en: c.name_en,
            recent12m_global_total: c.total,
        })
        .collect();
    Ok(Answered::list(hits, total))
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
