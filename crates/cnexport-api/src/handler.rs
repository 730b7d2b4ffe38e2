//! What every endpoint's handler is: typed parameters in, a typed answer
//! out. The handlers (one module per group of endpoints) implement it; the
//! endpoint list (`endpoint.rs`) picks one per path.

use crate::params::FromQuery;
use crate::ApiError;
use rusqlite::Connection;
use serde::Serialize;
use utoipa::{IntoParams, ToSchema};

/// What an endpoint's handler answers: the typed `data`, and for list
/// endpoints the number of items before `limit`/`offset`.
#[derive(Debug, Clone)]
pub struct Answered<T> {
    pub data: T,
    pub total_count: Option<u64>,
}

impl<T> Answered<T> {
    pub fn data(data: T) -> Answered<T> {
        Answered {
            data,
            total_count: None,
        }
    }

    pub fn list(data: T, total: usize) -> Answered<T> {
        Answered {
            data,
            total_count: Some(total as u64),
        }
    }
}

/// One endpoint's handler: typed parameters in, typed answer out.
pub trait Handler: Sync + 'static {
    type Params: FromQuery + IntoParams;
    type Data: Serialize + ToSchema;
    fn answer(
        &self,
        conn: &Connection,
        params: &Self::Params,
    ) -> Result<Answered<Self::Data>, ApiError>;
}
