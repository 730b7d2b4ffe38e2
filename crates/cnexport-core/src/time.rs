//! Dates in UTC: build and fetch times as RFC 3339.

use chrono::{DateTime, Utc};

/// Seconds since 1970-01-01T00:00:00Z.
pub fn unix_now() -> i64 {
    Utc::now().timestamp()
}

/// Today's date in UTC, `YYYY-MM-DD`.
pub fn today_utc() -> String {
    Utc::now().format("%Y-%m-%d").to_string()
}

/// Seconds since the epoch as RFC 3339 in UTC, to the second
/// (`2025-07-20T08:30:00Z`). A time beyond chrono's range (hundreds of
/// thousands of years away) is written as the epoch.
pub fn rfc3339(secs: i64) -> String {
    DateTime::from_timestamp(secs, 0)
        .unwrap_or_default()
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_civil_utc() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(1_753_000_245), "2025-07-20T08:30:45Z");
        assert_eq!(rfc3339(-1), "1969-12-31T23:59:59Z");
        let today = today_utc();
        assert_eq!(today.len(), 10);
        assert_eq!(today, rfc3339(unix_now())[..10]);
    }
}
