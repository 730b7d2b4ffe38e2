//! GET /skill/coverage: what the database covers, month x HS chapter, and
//! what looks like a hole (docs/contract.md, Coverage). The grid is the
//! small `coverage` table the build writes; the flags and the download
//! plan for a cut-off file come from `cnexport-coverage`, as for `cnexport
//! coverage` and the build report.

use crate::handler::{Answered, Handler};
use crate::params::CoverageParams;
use crate::ApiError;
use cnexport_coverage::{CoverageAnswer, CoverageError, Filter};
use rusqlite::Connection;

pub struct Coverage;

impl Handler for Coverage {
    type Params = CoverageParams;
    type Data = CoverageAnswer;

    fn answer(
        &self,
        conn: &Connection,
        p: &CoverageParams,
    ) -> Result<Answered<CoverageAnswer>, ApiError> {
        let filter = Filter {
            chapter: p.chapter,
            from: p.from,
            to: p.to,
        };
        match cnexport_coverage::coverage(conn, &filter) {
            Ok(answer) => Ok(Answered::data(answer)),
            Err(CoverageError::NoData) => Err(ApiError::not_found(
                "数据库中没有数据 (the database holds no data)",
            )),
            Err(CoverageError::NoTable) => Err(ApiError::not_found(
                "数据库无覆盖表 (the database has no coverage table: it was built before schema version 4; build it again)",
            )),
            Err(CoverageError::Sqlite(e)) => Err(e.into()),
        }
    }
}
