//! An optional per-IP rate limit: a token bucket per client address.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::Instant;

/// Most addresses tracked; the oldest are forgotten beyond this.
const MAX_TRACKED: usize = 100_000;

pub struct RateLimiter {
    per_second: f64,
    burst: f64,
    buckets: Mutex<HashMap<IpAddr, (f64, Instant)>>,
}

impl RateLimiter {
    /// `per_second` requests a second per address, bursts of twice that.
    pub fn new(per_second: u32) -> RateLimiter {
        let per_second = per_second.max(1) as f64;
        RateLimiter {
            per_second,
            burst: per_second * 2.0,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// The sustained rate, requests a second per address.
    pub fn per_second(&self) -> f64 {
        self.per_second
    }

    /// Takes a token for `ip`; false when its bucket is empty.
    pub fn allow(&self, ip: IpAddr) -> bool {
        let now = Instant::now();
        let Ok(mut buckets) = self.buckets.lock() else {
            return true;
        };
        if buckets.len() >= MAX_TRACKED && !buckets.contains_key(&ip) {
            // Forget addresses whose bucket has refilled: they lose nothing.
            let full_after = self.burst / self.per_second;
            buckets.retain(|_, (_, t)| now.duration_since(*t).as_secs_f64() < full_after);
        }
        let (tokens, last) = buckets.entry(ip).or_insert((self.burst, now));
        *tokens =
            (*tokens + now.duration_since(*last).as_secs_f64() * self.per_second).min(self.burst);
        *last = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_then_refusals_per_address() {
        let l = RateLimiter::new(5);
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        let b: IpAddr = "10.0.0.2".parse().unwrap();
        let allowed = (0..20).filter(|_| l.allow(a)).count();
        assert!((10..=11).contains(&allowed), "{allowed}");
        assert!(l.allow(b), "another address has its own bucket");
    }
}
