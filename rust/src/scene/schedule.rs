//! The travel schedule, replayed once per scene, and the crowd spacing that keeps
//! clusters apart.

use super::*;

/// A cluster of `n` children: radius `spacing * sqrt(n)` (area proportional to `n`), at
/// least `min` (the visible minimum). The player (export/player/player.js) repeats this.
#[inline]
pub fn cluster_radius(min: f32, spacing: f32, n: f32) -> f32 {
    min.max(spacing * n.sqrt())
}

/// The crowd spacing, shrunk so that at their fullest no two clusters overlap.
pub(super) fn crowd_spacing(cfg: &SceneConfig, max: &[u32]) -> f32 {
    let mut k = cfg.dot_spacing;
    let c = &cfg.centres;
    for i in 0..c.len() {
        for j in i + 1..c.len() {
            let d = ((c[i][0] - c[j][0]).powi(2) + (c[i][1] - c[j][1]).powi(2)).sqrt();
            let room = 0.95 * d - cfg.gap;
            let (a, b) = ((max[i] as f32).sqrt(), (max[j] as f32).sqrt());
            k = k.min(pair_spacing(a, b, cfg.base_radius, room));
        }
    }
    k.max(1e-9)
}

/// The largest spacing at which clusters of `a`² and `b`² children (radii
/// [`cluster_radius`]) fit side by side in `room`.
pub(super) fn pair_spacing(a: f32, b: f32, min: f32, room: f32) -> f32 {
    let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
    if hi <= 0.0 {
        return f32::INFINITY; // two empty clusters: the spacing does not matter
    }
    if room < 2.0 * min {
        return min / hi; // even the minimum does not fit: keep both at the minimum
    }
    let both = room / (lo + hi);
    if both * lo >= min {
        both // both above the minimum
    } else {
        (room - min) / hi // the smaller one at the minimum
    }
}

/// The travel schedule, replayed once per scene: when each dot arrives in each cluster.
pub(super) struct Schedule {
    pub(super) from: Vec<Minute>,
    pub(super) until: Vec<Minute>,
    pub(super) rest: Vec<[u16; 2]>,
    pub(super) spells: Vec<Spell>,
}

fn to_minute(v: f64) -> Minute {
    if v >= (OPEN - 1) as f64 {
        OPEN - 1
    } else {
        v.ceil() as Minute
    }
}

impl Schedule {
    /// A leg sets off when its spell starts, or when the dot reaches the previous cluster if
    /// later (so a same-day step is still seen passing through its cluster), and takes the
    /// transit time. After a gap longer than the fade, the dot reappears in place instead.
    pub(super) fn replay(index: &Index, cfg: &SceneConfig) -> Schedule {
        let n = index.n_children();
        let mut from = huge_vec(n, 0);
        let mut until = huge_vec(n, 0);
        let mut rest = huge_vec(n, [0u16; 2]);
        let mut spells = huge_vec(index.n_spells(), Spell::default());
        // Children are independent: split the spell arrays at child boundaries per chunk.
        let chunk = 1 << 14;
        let mut jobs = Vec::new();
        {
            let (mut fr, mut un, mut re, mut sp) = (
                &mut from[..],
                &mut until[..],
                &mut rest[..],
                &mut spells[..],
            );
            let mut c0 = 0;
            while c0 < n {
                let c1 = (c0 + chunk).min(n);
                let count = (index.offsets[c1] - index.offsets[c0]) as usize;
                let (f1, f2) = fr.split_at_mut(c1 - c0);
                let (u1, u2) = un.split_at_mut(c1 - c0);
                let (r1, r2) = re.split_at_mut(c1 - c0);
                let (s1, s2) = sp.split_at_mut(count);
                jobs.push((c0, c1, f1, u1, r1, s1));
                (fr, un, re, sp) = (f2, u2, r2, s2);
                c0 = c1;
            }
        }
        jobs.into_par_iter().for_each(|(c0, c1, fr, un, re, sp)| {
            let base = index.offsets[c0] as usize;
            for c in c0..c1 {
                let r = index.spells(c);
                for i in r.clone() {
                    sp[i - base] = Spell {
                        start: index.start[i],
                        end: index.end[i],
                        arrive: 0,
                        state: index.state[i],
                        flags: 0,
                    };
                }
                fr[c - c0] = index.start[r.start];
                re[c - c0] = [index.state[r.start], index.state[r.end - 1]];
                let mut arrive = index.start[r.start] as f64;
                let mut prev_end = end_f(index.end[r.start]);
                let mut entries: u16 = 1;
                sp[r.start - base].arrive = index.start[r.start];
                sp[r.start - base].flags = APPEAR | 1;
                for i in r.start + 1..r.end {
                    let s = index.start[i] as f64;
                    let gap = s > prev_end;
                    if gap {
                        entries = (entries + 1).min(ENTRIES);
                    }
                    let teleport = gap && s - prev_end.max(arrive) >= cfg.fade_minutes;
                    arrive = if teleport {
                        s
                    } else {
                        s.max(arrive) + cfg.transit_minutes
                    };
                    sp[i - base].arrive = to_minute(arrive);
                    // keep the replayed times and the stored (rounded-up) ones identical
                    arrive = sp[i - base].arrive as f64;
                    sp[i - base].flags = entries | if teleport { APPEAR } else { 0 };
                    prev_end = end_f(index.end[i]);
                }
                un[c - c0] = if prev_end.is_infinite() {
                    OPEN
                } else {
                    to_minute(prev_end.max(arrive) + cfg.fade_minutes + 1.0)
                };
            }
        });
        Schedule {
            from,
            until,
            rest,
            spells,
        }
    }
}
