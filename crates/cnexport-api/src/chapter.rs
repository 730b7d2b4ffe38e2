//! GET /skill/chapter: a product's chapter (its first 2 digits) broken down
//! by 4-digit heading at an as-of month (docs/metrics.md, Chapter
//! structure): one indexed read of the chapter's heading rows of
//! `hs_base_metrics`, whose `active_codes` the transform counted.

use crate::handler::{Answered, Handler};
use crate::lookup::{latest_month, no_metrics};
use crate::metrics::{metric_months, product_name};
use crate::params::ChapterParams;
use crate::ApiError;
use cnexport_core::round::{growth_pct, percent};
use cnexport_core::Month;
use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;
use utoipa::ToSchema;

/// One heading of a chapter.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Heading {
    /// 1-based, largest recent12mTotal first (ties: hsCode), before limit and offset
    pub rank: usize,
    /// the 4-digit heading
    pub hs_code: String,
    pub product_name: Option<String>,
    /// yuan, months M-11..M
    #[schema(format = "yuan")]
    pub recent12m_total: i64,
    /// yuan, months M-23..M-12
    #[schema(format = "yuan")]
    pub prev12m_total: i64,
    /// share of chapterTotal, in percent
    #[schema(format = "percent")]
    pub share: Option<f64>,
    /// in percent (null on a zero base)
    #[schema(format = "percent")]
    pub yoy_growth_rate: Option<f64>,
    /// 8-digit codes of the heading with exports in the recent 12 months
    pub active_codes: i64,
    /// the heading of the queried code
    pub is_self: bool,
}

/// GET /skill/chapter
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ChapterAnswer {
    pub hs_code: String,
    /// YYYYMM: the as-of month M
    pub current_month: String,
    /// the 2-digit chapter
    pub chapter: String,
    pub chapter_name: Option<String>,
    /// yuan, the chapter's months M-11..M
    #[schema(format = "yuan")]
    pub chapter_total: i64,
    /// yuan, the chapter's months M-23..M-12
    #[schema(format = "yuan")]
    pub chapter_prev_total: i64,
    /// in percent (null on a zero base)
    #[schema(format = "percent")]
    pub chapter_yoy_growth_rate: Option<f64>,
    /// the queried code's heading (null for a 2-digit code)
    pub self_heading: Option<String>,
    /// its rank among the headings (null for a 2-digit code)
    pub self_rank: Option<usize>,
    /// headings listed (before limit and offset)
    pub heading_count: usize,
    pub headings: Vec<Heading>,
}

pub struct Chapter;

impl Handler for Chapter {
    type Params = ChapterParams;
    type Data = ChapterAnswer;

    fn answer(
        &self,
        conn: &Connection,
        p: &ChapterParams,
    ) -> Result<Answered<ChapterAnswer>, ApiError> {
        let hs = &p.hs_code.0;
        let (first, last) = metric_months(conn, hs)?.ok_or_else(|| no_metrics(conn, hs))?;
        let month: Month = p.current_month.unwrap_or(latest_month(conn)?);
        if month.yyyymm() < first || month.yyyymm() > last {
            return Err(ApiError::not_found(format!(
                "currentMonth {month} 无数据 (no metrics for {month}: months with a full 24-month window are {first}..{last})"
            )));
        }
        let chapter = &hs[..2];
        let (chapter_total, chapter_prev_total): (i64, i64) = conn
            .prepare_cached(
                "SELECT recent12m_global_total, prev12m_global_total FROM hs_base_metrics
                 WHERE hs_code = ?1 AND as_of_month = ?2",
            )?
            .query_row(params![chapter, month.yyyymm()], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .optional()?
            .unwrap_or((0, 0));
        let mut st = conn.prepare_cached(
            "SELECT hs_code, recent12m_global_total, prev12m_global_total, yoy_growth_rate, active_codes
             FROM hs_base_metrics
             WHERE as_of_month = ?1 AND level = 4 AND hs_code BETWEEN ?2 AND ?3
               AND (recent12m_global_total > 0 OR prev12m_global_total > 0)",
        )?;
        let mut rows: Vec<(String, i64, i64, Option<f64>, i64)> = st
            .query_map(
                params![
                    month.yyyymm(),
                    format!("{chapter}00"),
                    format!("{chapter}99")
                ],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
            )?
            .collect::<Result<_, _>>()?;
        rows.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        let self_heading = (hs.len() >= 4).then(|| hs[..4].to_string());
        let self_rank = self_heading
            .as_ref()
            .and_then(|h| rows.iter().position(|r| &r.0 == h))
            .map(|i| i + 1);
        let mut headings = Vec::new();
        for (i, (code, recent, prev, yoy, active)) in
            rows.iter().enumerate().skip(p.offset.0).take(p.limit.0)
        {
            headings.push(Heading {
                rank: i + 1,
                hs_code: code.clone(),
                product_name: product_name(conn, code)?,
                recent12m_total: *recent,
                prev12m_total: *prev,
                share: percent(*recent as i128, chapter_total as i128),
                yoy_growth_rate: *yoy,
                active_codes: *active,
                is_self: self_heading.as_deref() == Some(code.as_str()),
            });
        }
        Ok(Answered::list(
            ChapterAnswer {
                hs_code: hs.clone(),
                current_month: month.to_string(),
                chapter: chapter.to_string(),
                chapter_name: product_name(conn, chapter)?,
                chapter_total,
                chapter_prev_total,
                chapter_yoy_growth_rate: growth_pct(
                    chapter_total as i128,
                    chapter_prev_total as i128,
                ),
                self_heading,
                self_rank,
                heading_count: rows.len(),
                headings,
            },
            rows.len(),
        ))
    }
}
