//! A small deterministic PRNG (splitmix64) and `exp`/`ln` written with basic
//! IEEE operations only, so the generated files are byte-identical on every
//! platform (the platform `libm` may differ in the last bit).

use cnexport_testkit::rng::{mix, SplitMix64};

/// Draws on the shared splitmix64 stream.
#[derive(Debug, Clone)]
pub struct Rng(SplitMix64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(SplitMix64::new(seed))
    }

    /// An independent stream for one part of the generation, so that a change
    /// in one part does not shift the numbers of the others.
    pub fn derive(seed: u64, label: &str, index: u64) -> Rng {
        let mut h = seed ^ 0xC2B2_AE3D_27D4_EB4F;
        for b in label.bytes() {
            h = mix(h ^ b as u64);
        }
        h = mix(h ^ index);
        Rng::new(mix(h))
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0.next_u64()
    }

    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        self.0.unit()
    }

    /// Uniform integer in [0, n) (n > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        debug_assert!(n > 0);
        // 128-bit multiply: unbiased enough and branch-free.
        ((self.next_u64() as u128 * n as u128) >> 64) as u64
    }

    pub fn range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.unit()
    }

    pub fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    /// Log-uniform in [lo, hi) (both > 0).
    pub fn log_uniform(&mut self, lo: f64, hi: f64) -> f64 {
        lo * exp(self.unit() * ln(hi / lo))
    }

    /// Approximately standard normal (Irwin-Hall sum of 12 uniforms).
    pub fn normal(&mut self) -> f64 {
        let mut s = 0.0;
        for _ in 0..12 {
            s += self.unit();
        }
        s - 6.0
    }

    /// Lognormal multiplicative noise with median 1.
    pub fn noise(&mut self, sigma: f64) -> f64 {
        exp(sigma * self.normal())
    }

    /// Index drawn with probability proportional to `weights`.
    pub fn weighted(&mut self, weights: &[f64]) -> usize {
        let total: f64 = weights.iter().sum();
        let mut x = self.unit() * total;
        for (i, w) in weights.iter().enumerate() {
            if x < *w {
                return i;
            }
            x -= w;
        }
        weights.len() - 1
    }

    /// `k` distinct indices drawn with probability proportional to `weights`
    /// (without replacement), in draw order.
    pub fn weighted_distinct(&mut self, weights: &[f64], k: usize) -> Vec<usize> {
        let mut w = weights.to_vec();
        let mut out = Vec::with_capacity(k);
        for _ in 0..k.min(w.iter().filter(|x| **x > 0.0).count()) {
            let i = self.weighted(&w);
            out.push(i);
            w[i] = 0.0;
        }
        out
    }
}

const LN2: f64 = std::f64::consts::LN_2;

/// e^x with basic operations only (relative error ~1e-15).
pub fn exp(x: f64) -> f64 {
    let x = x.clamp(-700.0, 700.0);
    let k = (x / LN2).round();
    let r = x - k * LN2;
    let mut term = 1.0;
    let mut sum = 1.0;
    for i in 1..=20 {
        term *= r / i as f64;
        sum += term;
    }
    sum * pow2(k as i64)
}

/// Natural logarithm (x > 0) with basic operations only.
pub fn ln(x: f64) -> f64 {
    assert!(x > 0.0 && x.is_finite(), "ln of {x}");
    let bits = x.to_bits();
    let mut e = ((bits >> 52) & 0x7ff) as i64 - 1023;
    let mut m = f64::from_bits((bits & ((1u64 << 52) - 1)) | (1023u64 << 52));
    if e == -1023 {
        // Subnormal: never happens with the magnitudes used here.
        return ln(x * pow2(60)) - 60.0 * LN2;
    }
    if m > std::f64::consts::SQRT_2 {
        m /= 2.0;
        e += 1;
    }
    // ln(m) = 2 atanh(s), s = (m-1)/(m+1), |s| < 0.172
    let s = (m - 1.0) / (m + 1.0);
    let s2 = s * s;
    let mut term = s;
    let mut sum = 0.0;
    let mut n = 1.0;
    for _ in 0..20 {
        sum += term / n;
        term *= s2;
        n += 2.0;
    }
    e as f64 * LN2 + 2.0 * sum
}

/// 2^k exactly.
fn pow2(k: i64) -> f64 {
    let k = k.clamp(-1022, 1023);
    f64::from_bits(((k + 1023) as u64) << 52)
}

/// base^p for base > 0.
pub fn powf(base: f64, p: f64) -> f64 {
    exp(p * ln(base))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exp_and_ln_match_std() {
        for &x in &[-20.0, -3.3, -1.0, -0.1, 0.0, 0.5, 1.0, 2.7, 10.0, 30.0] {
            let a = exp(x);
            let b = x.exp();
            assert!(((a - b) / b).abs() < 1e-13, "exp({x}) = {a} vs {b}");
        }
        for &x in &[1e-9, 0.01, 0.5, 1.0, 1.5, 2.0, 10.0, 12345.678, 1e12] {
            let a = ln(x);
            let b = x.ln();
            assert!((a - b).abs() < 1e-12, "ln({x}) = {a} vs {b}");
        }
    }

    #[test]
    fn stream_is_stable() {
        let mut r = Rng::new(1);
        // splitmix64 reference values for seed 1.
        assert_eq!(r.next_u64(), 0x910A_2DEC_8902_5CC1);
        assert_eq!(r.next_u64(), 0xBEEB_8DA1_658E_EC67);
        let u = Rng::new(7).unit();
        assert!((0.0..1.0).contains(&u));
    }
}
