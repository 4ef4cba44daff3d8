//! A small counter-seeded random stream (SplitMix64) and the distributions the journeys draw from.
//!
//! Every child gets its own stream seeded from (seed, stream kind, council, child number), so the
//! output does not depend on how the work is split across threads.

const GOLDEN: u64 = 0x9E37_79B9_7F4A_7C15;

/// The SplitMix64 finaliser: a bijective 64-bit mix.
pub(crate) fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A SplitMix64 generator.
#[derive(Clone, Debug)]
pub(crate) struct Rng {
    state: u64,
}

impl Rng {
    /// A stream for one unit of work: `kind` names the stream, `a` and `b` the unit.
    pub(crate) fn keyed(seed: u64, kind: u64, a: u64, b: u64) -> Self {
        let s = mix64(seed.wrapping_add(GOLDEN));
        let s = mix64(s ^ kind.wrapping_mul(GOLDEN).rotate_left(17));
        let s = mix64(s ^ a.wrapping_mul(0xD6E8_FEB8_6659_FD93));
        let s = mix64(s ^ b.wrapping_mul(0xA076_1D64_78BD_642F));
        Rng { state: s }
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(GOLDEN);
        mix64(self.state)
    }

    /// Uniform in [0, 1).
    pub(crate) fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    pub(crate) fn chance(&mut self, p: f64) -> bool {
        self.uniform() < p
    }

    /// Uniform integer in [lo, hi] (hi >= lo).
    pub(crate) fn range_i32(&mut self, lo: i32, hi: i32) -> i32 {
        let span = (i64::from(hi) - i64::from(lo) + 1).max(1) as u64;
        lo + ((self.next_u64() >> 32).wrapping_mul(span) >> 32) as i32
    }

    /// Standard normal (Box-Muller, one value per call).
    pub(crate) fn normal(&mut self) -> f64 {
        let u1 = 1.0 - self.uniform();
        let u2 = self.uniform();
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }

    /// Log-normal by its median and log-scale sigma, in whole days (at least `min`).
    pub(crate) fn lognormal_days(&mut self, median: f64, sigma: f64, min: i32) -> i32 {
        let x = median * (sigma * self.normal()).exp();
        (x.round().min(40_000.0) as i32).max(min)
    }

    /// Exponential by its mean, in whole days (rounded up, so at least 1 when mean > 0).
    pub(crate) fn exp_days(&mut self, mean: f64) -> i32 {
        let x = -mean * (1.0 - self.uniform()).ln();
        x.ceil().min(40_000.0) as i32
    }

    /// An index drawn with probability proportional to `weights` (all >= 0, not all 0).
    pub(crate) fn pick(&mut self, weights: &[f64]) -> usize {
        let total: f64 = weights.iter().sum();
        let mut u = self.uniform() * total;
        for (i, w) in weights.iter().enumerate() {
            if u < *w {
                return i;
            }
            u -= w;
        }
        weights.iter().rposition(|w| *w > 0.0).unwrap_or(0)
    }

    /// Rounds `x` up or down at random so that the expectation is `x`.
    pub(crate) fn round_stochastic(&mut self, x: f64) -> u64 {
        let x = x.max(0.0);
        let f = x.floor();
        f as u64 + u64::from(self.chance(x - f))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_are_distinct_and_repeatable() {
        let mut a = Rng::keyed(1, 0, 3, 4);
        let mut b = Rng::keyed(1, 0, 3, 4);
        let mut c = Rng::keyed(1, 0, 4, 3);
        let xa: Vec<u64> = (0..4).map(|_| a.next_u64()).collect();
        let xb: Vec<u64> = (0..4).map(|_| b.next_u64()).collect();
        let xc: Vec<u64> = (0..4).map(|_| c.next_u64()).collect();
        assert_eq!(xa, xb);
        assert_ne!(xa, xc);
    }

    #[test]
    fn distributions_have_sane_moments() {
        let mut r = Rng::keyed(7, 1, 0, 0);
        let n = 100_000;
        let mean_u: f64 = (0..n).map(|_| r.uniform()).sum::<f64>() / n as f64;
        assert!((mean_u - 0.5).abs() < 0.01);
        let mean_z: f64 = (0..n).map(|_| r.normal()).sum::<f64>() / n as f64;
        assert!(mean_z.abs() < 0.02);
        let mut counts = [0usize; 3];
        for _ in 0..n {
            counts[r.pick(&[1.0, 2.0, 1.0])] += 1;
        }
        assert!((counts[1] as f64 / n as f64 - 0.5).abs() < 0.01);
        for _ in 0..1000 {
            let x = r.range_i32(-3, 5);
            assert!((-3..=5).contains(&x));
        }
    }
}
