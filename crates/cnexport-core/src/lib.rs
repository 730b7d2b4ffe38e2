//! Shared types of cnexport that every stage depends on: the normalized fact
//! schema, months, rounding, and the reference tables (partners, continents,
//! trade blocs, HS names) compiled into the binary.
//!
//! ```
//! use cnexport_core::month::Month;
//! let m = Month::parse("2024年03月").unwrap();
//! assert_eq!(m.to_string(), "202403");
//! assert_eq!(m.minus(3).to_string(), "202312");
//! ```

pub mod compact;
pub mod model;
pub mod month;
pub mod reference;
pub mod round;
pub mod season;
pub mod series;
pub mod sym;
pub mod tables;
pub mod time;

pub use model::*;
pub use month::Month;
pub use sym::Sym;
