//! The invented England: 153 councils with plausible codes, names, child populations and
//! propensities (children looked after per 10,000 spread like the published 27..184).
//!
//! The geography is fixed (it does not depend on the seed) so that two runs with different seeds
//! describe the same councils.

use super::rng::{mix64, Rng};
use super::Council;

/// Number of councils with children's services in England.
pub(crate) const N_COUNCILS: usize = 153;
/// Children (0-17) in England, the sum of the councils' populations at scale 1.
pub(crate) const ENGLAND_CHILDREN: f64 = 12_200_000.0;
/// Published spread of the looked-after rate per 10,000 (lowest, national, highest).
pub(crate) const RATE_LOW: f64 = 27.0;
pub(crate) const RATE_NATIONAL: f64 = 67.0;
pub(crate) const RATE_HIGH: f64 = 184.0;

const FIRST: &[&str] = &[
    "Ash", "Bram", "Carl", "Dun", "Elm", "Fen", "Gold", "Hart", "Ivel", "Kings", "Lang", "Mar",
    "Nor", "Oak", "Pen", "Rother", "Stan", "Thorn", "Up", "Wal", "Wey", "Bex", "Crow", "Ather",
];
const SECOND: &[&str] = &[
    "ford", "ley", "ton", "bury", "field", "wick", "mouth", "ham", "stead", "worth", "bridge",
    "dale", "combe", "hurst",
];
const KIND: &[&str] = &["", " and District", " Borough", "shire"];

/// One council as the generator uses it.
#[derive(Clone, Debug)]
pub(crate) struct CouncilSpec {
    pub council: Council,
    /// Child population at scale 1.
    pub population: f64,
    /// Multiplier on referrals (the care propensity to the power 0.7).
    pub referral_mult: f64,
    /// Multiplier on entering care from the front door (the propensity to the power 0.3).
    pub care_mult: f64,
    /// Share of the national unaccompanied asylum-seeking arrivals.
    pub uasc_share: f64,
}

/// Inverse standard normal CDF (Acklam's rational approximation, ample for spreading councils).
fn probit(p: f64) -> f64 {
    const A: [f64; 6] = [
        -39.696_830_286_653_76,
        220.946_098_424_520_5,
        -275.928_510_446_968_7,
        138.357_751_867_269,
        -30.664_798_066_147_16,
        2.506_628_277_459_239,
    ];
    const B: [f64; 5] = [
        -54.476_098_798_224_06,
        161.585_836_858_040_9,
        -155.698_979_859_886_6,
        66.801_311_887_719_72,
        -13.280_681_552_885_72,
    ];
    const C: [f64; 6] = [
        -0.007_784_894_002_430_293,
        -0.322_396_458_041_136_4,
        -2.400_758_277_161_838,
        -2.549_732_539_343_734,
        4.374_664_141_464_968,
        2.938_163_982_698_783,
    ];
    const D: [f64; 4] = [
        0.007_784_695_709_041_462,
        0.322_467_129_070_039_8,
        2.445_134_137_142_996,
        3.754_408_661_907_416,
    ];
    let tail = |q: f64| {
        (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    };
    if p < 0.02425 {
        tail((-2.0 * p.ln()).sqrt())
    } else if p > 1.0 - 0.02425 {
        -tail((-2.0 * (1.0 - p).ln()).sqrt())
    } else {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    }
}

/// A deterministic permutation of 0..n.
fn permutation(n: usize, key: u64) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..n).collect();
    let mut rng = Rng::keyed(key, 99, 0, 0);
    for i in (1..n).rev() {
        let j = rng.range_i32(0, i as i32) as usize;
        idx.swap(i, j);
    }
    idx
}

/// Builds the 153 councils. Populations in `Council` are scaled by `scale`.
pub(crate) fn councils(scale: f64) -> Vec<CouncilSpec> {
    let n = N_COUNCILS;
    // Sizes: log-normal quantiles (median ~60k children), clamped, rescaled to England.
    let order = permutation(n, 0x5EED_C0DE);
    let mut pop: Vec<f64> = (0..n)
        .map(|i| {
            let q = (order[i] as f64 + 0.5) / n as f64;
            (60_000.0 * (0.62 * probit(q)).exp()).clamp(9_000.0, 330_000.0)
        })
        .collect();
    let total: f64 = pop.iter().sum();
    for p in &mut pop {
        *p *= ENGLAND_CHILDREN / total;
    }
    // Care propensity: log-normal quantiles in a second order; the extremes are pinned to the
    // published lowest and highest rates and given to mid-sized councils (steadier rates).
    let order2 = permutation(n, 0xCA2E_0001);
    let mut prop: Vec<f64> = (0..n)
        .map(|i| {
            let q = (order2[i] as f64 + 0.5) / n as f64;
            (0.36 * probit(q)).exp()
        })
        .collect();
    let mid: Vec<usize> = (0..n)
        .filter(|&i| (35_000.0..90_000.0).contains(&pop[i]))
        .collect();
    let (lo_i, hi_i) = match (mid.first(), mid.last()) {
        (Some(&a), Some(&b)) if a != b => (a, b),
        _ => (0, n - 1),
    };
    for _ in 0..4 {
        let wmean: f64 =
            prop.iter().zip(&pop).map(|(m, p)| m * p).sum::<f64>() / pop.iter().sum::<f64>();
        for m in &mut prop {
            *m /= wmean;
        }
        // The realised rate saturates a little at the top (care entry competes with other
        // outcomes), so the pinned propensities sit slightly beyond the published ratios.
        prop[lo_i] = 1.07 * RATE_LOW / RATE_NATIONAL;
        prop[hi_i] = 1.10 * RATE_HIGH / RATE_NATIONAL;
    }
    // Asylum-seeking children: spread by population with a few port / gateway councils.
    let mut uasc_w: Vec<f64> = (0..n)
        .map(|i| {
            let h = mix64(0xA5C0 ^ i as u64) as f64 / u64::MAX as f64;
            let port = if h > 0.96 { 4.0 } else { 1.0 };
            pop[i] * port * (0.6 + 0.8 * h)
        })
        .collect();
    uasc_w[lo_i] = pop[lo_i] * 0.3;
    let uw: f64 = uasc_w.iter().sum();
    let mut names = Vec::with_capacity(n);
    let mut k = 0u64;
    while names.len() < n {
        let h = mix64(0x4E41_4D45 + k);
        k += 1;
        let a = FIRST[(h % FIRST.len() as u64) as usize];
        let b = SECOND[((h >> 16) % SECOND.len() as u64) as usize];
        let c = KIND[((h >> 32) % KIND.len() as u64) as usize];
        let base = format!("{a}{b}");
        if names.iter().any(|(s, _): &(String, String)| *s == base) {
            continue;
        }
        let full = if c == "shire" {
            format!("{a}{b}shire").replace("shireshire", "shire")
        } else {
            format!("{base}{c}")
        };
        names.push((base, full));
    }
    (0..n)
        .map(|i| {
            let m = prop[i];
            CouncilSpec {
                council: Council {
                    code: format!("E{:02}{:06}", 6 + (i % 4), 1 + i),
                    name: names[i].1.clone(),
                    child_population: (pop[i] * scale).round().max(1.0) as u32,
                },
                population: pop[i],
                referral_mult: m.powf(0.7),
                care_mult: m.powf(0.3),
                uasc_share: uasc_w[i] / uw,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn councils_are_plausible() {
        let cs = councils(1.0);
        assert_eq!(cs.len(), N_COUNCILS);
        let total: f64 = cs.iter().map(|c| c.population).sum();
        assert!((total - ENGLAND_CHILDREN).abs() < 1.0);
        let wmean: f64 = cs
            .iter()
            .map(|c| c.referral_mult * c.care_mult * c.population)
            .sum::<f64>()
            / total;
        assert!((wmean - 1.0).abs() < 0.02, "{wmean}");
        let max = cs
            .iter()
            .map(|c| c.referral_mult * c.care_mult)
            .fold(0.0, f64::max);
        let min = cs
            .iter()
            .map(|c| c.referral_mult * c.care_mult)
            .fold(9.0, f64::min);
        assert!(
            max * RATE_NATIONAL > 170.0 && min * RATE_NATIONAL < 30.0,
            "{min} {max}"
        );
        let mut codes: Vec<&str> = cs.iter().map(|c| c.council.code.as_str()).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), N_COUNCILS);
        let us: f64 = cs.iter().map(|c| c.uasc_share).sum();
        assert!((us - 1.0).abs() < 1e-9);
    }

    #[test]
    fn probit_is_monotone_and_centred() {
        assert!(probit(0.5).abs() < 1e-9);
        assert!((probit(0.975) - 1.959_964).abs() < 1e-3);
        assert!(probit(0.01) < probit(0.02));
    }
}
