//! The frame engine: where every dot is, what colour, and which state it is in, at any
//! moment. Layout (cluster centres) and colour settings come in a [`SceneConfig`]; the
//! per-child index is shared, never copied.

use std::sync::Arc;

use rayon::prelude::*;

use crate::colour::ColourBy;
use crate::columns::mix64;
use crate::error::{CoreError, Result};
use crate::index::Index;
use crate::occupancy::Occupancy;
use crate::time::{Minute, MINUTES_PER_DAY, OPEN};

/// Dots computed per parallel task: fixed, so results never depend on the thread count.
pub const FRAME_CHUNK: usize = 16_384;

/// How a scene is drawn.
#[derive(Debug, Clone)]
pub struct SceneConfig {
    /// Cluster centre of each state, in world units (x right, y down).
    pub centres: Vec<[f32; 2]>,
    /// Radius of an empty cluster.
    pub base_radius: f32,
    /// Spacing of dots in a crowd: a cluster of `n` dots has radius about `base + spacing * sqrt(n)`,
    /// shrunk as needed so that no two clusters ever overlap.
    pub dot_spacing: f32,
    /// Time a dot takes to travel between clusters, minutes of data time.
    pub transit_minutes: f64,
    /// Time a dot takes to fade in on entering and out after leaving, minutes.
    pub fade_minutes: f64,
    pub colour: ColourBy,
    /// Colour table: 256 entries for continuous values, one per category otherwise.
    pub lut: Vec<[u8; 4]>,
    /// Category code per dot (with [`ColourBy::Category`]).
    pub categories: Vec<u16>,
    /// Opacity of a fully visible dot.
    pub alpha: u8,
    /// Seed of the dots' places inside their clusters.
    pub seed: u64,
    /// Room kept free between neighbouring clusters at their fullest (for labels).
    pub gap: f32,
}

impl Default for SceneConfig {
    fn default() -> Self {
        SceneConfig {
            centres: Vec::new(),
            base_radius: 0.01,
            dot_spacing: 0.002,
            transit_minutes: 7.0 * MINUTES_PER_DAY as f64,
            fade_minutes: 14.0 * MINUTES_PER_DAY as f64,
            colour: ColourBy::TimeInCare {
                lo: 0.0,
                hi: 5.0 * 365.25,
            },
            lut: crate::colour::colour_map("viridis").unwrap_or_default(),
            categories: Vec::new(),
            alpha: 255,
            seed: 0x00C0_FFEE,
            gap: 0.0,
        }
    }
}

/// Which dots are drawn, and which stand out.
#[derive(Debug, Clone, Default)]
pub struct Emphasis {
    /// Per dot: drawn (true) or filtered out. Empty = all drawn.
    pub visible: Vec<bool>,
    /// Dots in this state keep full colour; the others are dimmed.
    pub highlight: Option<u16>,
    /// Opacity factor of dimmed dots.
    pub dim: f32,
}

/// Output buffers for one frame: one entry per dot (`rgba` has 4 bytes per dot).
pub struct FrameBuffers<'a> {
    pub x: &'a mut [f32],
    pub y: &'a mut [f32],
    pub rgba: &'a mut [u8],
    pub state: &'a mut [i32],
}

/// An immutable scene: the index, its layout and colour, and what was precomputed from them.
#[derive(Debug, Clone)]
pub struct Scene {
    index: Arc<Index>,
    cfg: SceneConfig,
    occupancy: Occupancy,
    spacing: f32,
    /// Per dot: first time visible, and the time it is fully gone (`OPEN` if never).
    from: Vec<Minute>,
    until: Vec<Minute>,
    /// Per spell: when the dot arrives in its cluster, and [`APPEAR`] | entries so far.
    arrive: Vec<Minute>,
    flags: Vec<u16>,
    inv_fade: f64,
    circle: Vec<[f32; 2]>,
    emphasis: Emphasis,
}

#[inline]
fn ease(u: f32) -> f32 {
    u * u * (3.0 - 2.0 * u)
}

/// Flag on a spell whose leg is an appearance (first spell, or back after a long gap).
const APPEAR: u16 = 1 << 15;
/// Entries (times through the system so far) in the low bits of a spell's flags.
const ENTRIES: u16 = APPEAR - 1;

/// Angles around the circle, for places in a cluster without trigonometry per dot.
const ANGLES: usize = 4096;

fn unit_circle() -> Vec<[f32; 2]> {
    (0..ANGLES)
        .map(|i| {
            let a = (i as f64 + 0.5) * std::f64::consts::TAU / ANGLES as f64;
            [a.cos() as f32, a.sin() as f32]
        })
        .collect()
}

/// A point uniformly distributed in the unit disk, fixed for (dot, state, seed).
#[inline]
fn disk(dot: usize, state: u16, seed: u64, circle: &[[f32; 2]]) -> (f32, f32) {
    let h = mix64(seed ^ (dot as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ ((state as u64) << 48));
    let r = (((h >> 40) as f32 + 0.5) * (1.0 / 16_777_216.0)).sqrt();
    let c = circle[(h as usize) & (ANGLES - 1)];
    (r * c[0], r * c[1])
}

#[inline]
fn end_f(e: Minute) -> f64 {
    if e == OPEN {
        f64::INFINITY
    } else {
        e as f64
    }
}

impl Scene {
    pub fn new(index: Arc<Index>, cfg: SceneConfig) -> Result<Scene> {
        let n_states = index.labels.len();
        if cfg.centres.len() != n_states {
            return Err(CoreError::config(
                "layout",
                format!("{} centres for {} states", cfg.centres.len(), n_states),
            ));
        }
        if cfg
            .centres
            .iter()
            .any(|c| !c[0].is_finite() || !c[1].is_finite())
        {
            return Err(CoreError::config(
                "layout",
                "a centre is not a finite number",
            ));
        }
        if !(cfg.transit_minutes >= 0.0 && cfg.transit_minutes.is_finite()) {
            return Err(CoreError::config("transit", "must be a finite number >= 0"));
        }
        if !(cfg.fade_minutes >= 0.0 && cfg.fade_minutes.is_finite()) {
            return Err(CoreError::config("fade", "must be a finite number >= 0"));
        }
        if !(cfg.base_radius >= 0.0 && cfg.dot_spacing > 0.0) {
            return Err(CoreError::config(
                "radius",
                "base radius must be >= 0 and dot spacing > 0",
            ));
        }
        if cfg.lut.is_empty() {
            return Err(CoreError::config("colour", "empty colour table"));
        }
        if cfg.colour == ColourBy::Category && cfg.categories.len() != index.n_children() {
            return Err(CoreError::config(
                "colour",
                format!(
                    "{} category codes for {} dots",
                    cfg.categories.len(),
                    index.n_children()
                ),
            ));
        }
        let (lo, hi) = index.time_range().unwrap_or((0, 0));
        let occupancy = Occupancy::count(&index, lo, hi, MINUTES_PER_DAY);
        let spacing = crowd_spacing(&cfg, &occupancy.max_per_state());
        let schedule = Schedule::replay(&index, &cfg);
        let inv_fade = if cfg.fade_minutes > 0.0 {
            1.0 / cfg.fade_minutes
        } else {
            0.0
        };
        Ok(Scene {
            index,
            cfg,
            occupancy,
            spacing,
            from: schedule.from,
            until: schedule.until,
            arrive: schedule.arrive,
            flags: schedule.flags,
            inv_fade,
            circle: unit_circle(),
            emphasis: Emphasis {
                dim: 0.2,
                ..Emphasis::default()
            },
        })
    }

    pub fn index(&self) -> &Arc<Index> {
        &self.index
    }

    pub fn config(&self) -> &SceneConfig {
        &self.cfg
    }

    pub fn occupancy(&self) -> &Occupancy {
        &self.occupancy
    }

    pub fn n_dots(&self) -> usize {
        self.index.n_children()
    }

    /// The crowd spacing used (the configured one, shrunk so clusters never overlap).
    pub fn spacing(&self) -> f32 {
        self.spacing
    }

    pub fn emphasis(&self) -> &Emphasis {
        &self.emphasis
    }

    pub fn set_emphasis(&mut self, e: Emphasis) -> Result<()> {
        if !e.visible.is_empty() && e.visible.len() != self.n_dots() {
            return Err(CoreError::config(
                "filter",
                format!("{} flags for {} dots", e.visible.len(), self.n_dots()),
            ));
        }
        if let Some(h) = e.highlight {
            if h as usize >= self.index.labels.len() {
                return Err(CoreError::config(
                    "highlight",
                    format!("no state number {h}"),
                ));
            }
        }
        self.emphasis = e;
        Ok(())
    }

    /// Each cluster's radius at time `t` (minutes).
    pub fn radii(&self, t: f64) -> Vec<f32> {
        (0..self.index.labels.len())
            .map(|s| self.cfg.base_radius + self.spacing * self.occupancy.at(s, t).sqrt())
            .collect()
    }

    /// The resting place of `dot` in `state`'s cluster at the given radii.
    #[inline(always)]
    pub fn place(&self, dot: usize, state: u16, radii: &[f32]) -> (f32, f32) {
        let (u, v) = disk(dot, state, self.cfg.seed, &self.circle);
        let c = self.cfg.centres[state as usize];
        let r = radii[state as usize];
        (c[0] + r * u, c[1] + r * v)
    }

    /// Computes the frame at `t` (minutes since the epoch) into `out`, in parallel.
    pub fn frame_into(&self, t: f64, out: FrameBuffers<'_>) -> Result<()> {
        let n = self.n_dots();
        if out.x.len() != n || out.y.len() != n || out.state.len() != n || out.rgba.len() != 4 * n {
            return Err(CoreError::config(
                "buffers",
                format!(
                    "need {n} dots (rgba {}), got x {}, y {}, rgba {}, state {}",
                    4 * n,
                    out.x.len(),
                    out.y.len(),
                    out.rgba.len(),
                    out.state.len()
                ),
            ));
        }
        if !t.is_finite() {
            return Err(CoreError::config("t", "time is not a finite number"));
        }
        let radii = self.radii(t);
        let ti = t.floor().clamp(i32::MIN as f64, i32::MAX as f64) as i32;
        out.x
            .par_chunks_mut(FRAME_CHUNK)
            .zip(out.y.par_chunks_mut(FRAME_CHUNK))
            .zip(out.rgba.par_chunks_mut(4 * FRAME_CHUNK))
            .zip(out.state.par_chunks_mut(FRAME_CHUNK))
            .enumerate()
            .for_each(|(k, (((xs, ys), cs), ss))| {
                let base = k * FRAME_CHUNK;
                let from = &self.from[base..base + xs.len()];
                let until = &self.until[base..base + xs.len()];
                let offsets = &self.index.offsets[base..base + xs.len() + 1];
                let state = &self.index.state[..];
                let centres = &self.cfg.centres[..];
                for j in 0..xs.len() {
                    // Most dots are not on screen at any moment: settle them with integer
                    // compares and two loads (t < from <=> floor(t) < from for whole minutes).
                    let (f, u) = (from[j], until[j]);
                    if ti < f || ti >= u {
                        let s = if ti < f {
                            state[offsets[j] as usize]
                        } else {
                            state[offsets[j + 1] as usize - 1]
                        };
                        let p = centres[s as usize];
                        xs[j] = p[0];
                        ys[j] = p[1];
                        cs[4 * j..4 * j + 4].copy_from_slice(&[0; 4]);
                        ss[j] = -1;
                        continue;
                    }
                    let (x, y, c, s) = self.dot(base + j, t, &radii);
                    xs[j] = x;
                    ys[j] = y;
                    cs[4 * j..4 * j + 4].copy_from_slice(&c);
                    ss[j] = s;
                }
            });
        Ok(())
    }

    /// One dot at time `t`: position, colour and current state (-1 for none).
    #[inline(always)]
    pub fn dot(&self, c: usize, t: f64, radii: &[f32]) -> (f32, f32, [u8; 4], i32) {
        let idx = &*self.index;
        let a = idx.offsets[c] as usize;
        let b = idx.offsets[c + 1] as usize;
        if t < self.from[c] as f64 {
            let p = self.cfg.centres[idx.state[a] as usize];
            return (p[0], p[1], [0; 4], -1);
        }
        if self.until[c] != OPEN && t >= self.until[c] as f64 {
            let p = self.cfg.centres[idx.state[b - 1] as usize];
            return (p[0], p[1], [0; 4], -1);
        }
        // The last spell begun by `t`: the only one that can hold `t` (spells never overlap).
        let mut i = a;
        while i + 1 < b && idx.start[i + 1] as f64 <= t {
            i += 1;
        }
        let e_i = end_f(idx.end[i]);
        let cur: i32 = if t < e_i { idx.state[i] as i32 } else { -1 };
        // The leg the dot is on: it can lag behind rapid steps, so step back to the latest
        // leg that has set off.
        let mut k = i;
        while k > a && self.depart(k) > t {
            k -= 1;
        }
        let arrive = self.arrive[k] as f64;
        let (tx, ty) = self.place(c, idx.state[k], radii);
        let (x, y) = if t >= arrive {
            (tx, ty)
        } else {
            let depart = self.depart(k);
            let u = ease((((t - depart) / (arrive - depart)) as f32).clamp(0.0, 1.0));
            let (fx, fy) = self.place(c, idx.state[k - 1], radii);
            (fx + (tx - fx) * u, fy + (ty - fy) * u)
        };
        // Opacity: fade in after (re)appearing, fade out after leaving.
        let mut fade_k = 1.0f64;
        if self.inv_fade > 0.0 {
            // The dot appeared at or before its current leg began; only look back for the
            // appearance when that leg began less than a fade ago.
            if (t - idx.start[k] as f64) * self.inv_fade < 1.0 {
                let mut p = k;
                while p > a && self.flags[p] & APPEAR == 0 {
                    p -= 1;
                }
                fade_k = (t - idx.start[p] as f64) * self.inv_fade;
            }
            if cur < 0 {
                let leave = e_i.max(self.arrive[i] as f64);
                if t > leave {
                    fade_k = fade_k.min(1.0 - (t - leave) * self.inv_fade);
                }
            }
        } else if cur < 0 && t > e_i.max(self.arrive[i] as f64) {
            fade_k = 0.0;
        }
        let fade_k = fade_k.clamp(0.0, 1.0) as f32;
        // Colour.
        let lut = &self.cfg.lut;
        const PER_DAY: f64 = 1.0 / MINUTES_PER_DAY as f64;
        let entry = match self.cfg.colour {
            ColourBy::TimeInCare { lo, hi } => lut_index(
                ((t - idx.start[a] as f64) * PER_DAY) as f32,
                lo,
                hi,
                lut.len(),
            ),
            ColourBy::TimeInState { lo, hi } => lut_index(
                ((t - idx.start[i] as f64) * PER_DAY) as f32,
                lo,
                hi,
                lut.len(),
            ),
            ColourBy::Entries { lo, hi } => {
                lut_index((self.flags[i] & ENTRIES) as f32, lo, hi, lut.len())
            }
            ColourBy::Category => self.cfg.categories[c] as usize % lut.len(),
        };
        let mut rgba = lut[entry];
        let mut k_alpha = fade_k * self.cfg.alpha as f32 * (1.0 / 255.0);
        let em = &self.emphasis;
        if !em.visible.is_empty() && !em.visible[c] {
            k_alpha = 0.0;
        }
        if let Some(h) = em.highlight {
            if cur != h as i32 {
                k_alpha *= em.dim;
            }
        }
        rgba[3] = (rgba[3] as f32 * k_alpha + 0.5) as u8;
        (x, y, rgba, cur)
    }

    /// When the leg into spell `k` sets off (the spell's start, or later if the dot is
    /// still travelling the previous leg).
    #[inline]
    fn depart(&self, k: usize) -> f64 {
        let s = self.index.start[k] as f64;
        if self.flags[k] & APPEAR != 0 {
            s
        } else {
            s.max(self.arrive[k - 1] as f64)
        }
    }

    /// Bytes a frame reads and writes (for the bandwidth bound): the index parts it touches
    /// plus its output.
    pub fn frame_bytes(&self, t: f64) -> u64 {
        let idx = &*self.index;
        let active: u64 = (0..self.n_dots())
            .into_par_iter()
            .map(|c| {
                let visible =
                    t >= self.from[c] as f64 && (self.until[c] == OPEN || t < self.until[c] as f64);
                if visible {
                    // start, end, state, arrive, flags of the child's spells
                    (idx.offsets[c + 1] - idx.offsets[c]) as u64 * 16
                } else {
                    2
                }
            })
            .sum();
        let n = self.n_dots() as u64;
        n * (4 + 8 + 16) + active
    }
}

#[inline]
fn lut_index(v: f32, lo: f32, hi: f32, n: usize) -> usize {
    let u = if hi > lo {
        ((v - lo) / (hi - lo)).clamp(0.0, 1.0)
    } else {
        0.0
    };
    ((u * (n - 1) as f32 + 0.5) as usize).min(n - 1)
}

/// The crowd spacing, shrunk so that at their fullest no two clusters overlap.
fn crowd_spacing(cfg: &SceneConfig, max: &[u32]) -> f32 {
    let mut k = cfg.dot_spacing;
    let c = &cfg.centres;
    for i in 0..c.len() {
        for j in i + 1..c.len() {
            let d = ((c[i][0] - c[j][0]).powi(2) + (c[i][1] - c[j][1]).powi(2)).sqrt();
            let room = 0.95 * d - 2.0 * cfg.base_radius - cfg.gap;
            let need = (max[i] as f32).sqrt() + (max[j] as f32).sqrt();
            if need > 0.0 {
                k = k.min((room / need).max(0.0));
            }
        }
    }
    k.max(1e-9)
}

/// The travel schedule, replayed once per scene: when each dot arrives in each cluster.
struct Schedule {
    from: Vec<Minute>,
    until: Vec<Minute>,
    arrive: Vec<Minute>,
    flags: Vec<u16>,
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
    fn replay(index: &Index, cfg: &SceneConfig) -> Schedule {
        let n = index.n_children();
        let mut from = vec![0; n];
        let mut until = vec![0; n];
        let mut arrive = vec![0; index.n_spells()];
        let mut flags = vec![0u16; index.n_spells()];
        // Children are independent: split the spell arrays at child boundaries per chunk.
        let chunk = 1 << 14;
        let mut jobs = Vec::new();
        {
            let (mut fr, mut un, mut ar, mut fl) = (
                &mut from[..],
                &mut until[..],
                &mut arrive[..],
                &mut flags[..],
            );
            let mut c0 = 0;
            while c0 < n {
                let c1 = (c0 + chunk).min(n);
                let spells = (index.offsets[c1] - index.offsets[c0]) as usize;
                let (f1, f2) = fr.split_at_mut(c1 - c0);
                let (u1, u2) = un.split_at_mut(c1 - c0);
                let (a1, a2) = ar.split_at_mut(spells);
                let (g1, g2) = fl.split_at_mut(spells);
                jobs.push((c0, c1, f1, u1, a1, g1));
                (fr, un, ar, fl) = (f2, u2, a2, g2);
                c0 = c1;
            }
        }
        jobs.into_par_iter().for_each(|(c0, c1, fr, un, ar, fl)| {
            let base = index.offsets[c0] as usize;
            for c in c0..c1 {
                let r = index.spells(c);
                fr[c - c0] = index.start[r.start];
                let mut arrive = index.start[r.start] as f64;
                let mut prev_end = end_f(index.end[r.start]);
                let mut entries: u16 = 1;
                ar[r.start - base] = index.start[r.start];
                fl[r.start - base] = APPEAR | 1;
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
                    ar[i - base] = to_minute(arrive);
                    // keep the replayed times and the stored (rounded-up) ones identical
                    arrive = ar[i - base] as f64;
                    fl[i - base] = entries | if teleport { APPEAR } else { 0 };
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
            arrive,
            flags,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::index::OnError;

    const D: i32 = MINUTES_PER_DAY;

    fn scene(key: Vec<u64>, state: Vec<u16>, start: Vec<i32>, end: Vec<i32>) -> Scene {
        let idx = Index::from_rows(
            key,
            state,
            start,
            end,
            vec!["A".into(), "B".into(), "C".into()],
            OnError::Raise,
        )
        .unwrap();
        let cfg = SceneConfig {
            centres: vec![[0.2, 0.5], [0.5, 0.5], [0.8, 0.5]],
            ..SceneConfig::default()
        };
        Scene::new(Arc::new(idx), cfg).unwrap()
    }

    fn frame(s: &Scene, t: f64) -> (Vec<f32>, Vec<f32>, Vec<u8>, Vec<i32>) {
        let n = s.n_dots();
        let (mut x, mut y, mut c, mut st) =
            (vec![0.0; n], vec![0.0; n], vec![0; 4 * n], vec![0; n]);
        s.frame_into(
            t,
            FrameBuffers {
                x: &mut x,
                y: &mut y,
                rgba: &mut c,
                state: &mut st,
            },
        )
        .unwrap();
        (x, y, c, st)
    }

    #[test]
    fn states_follow_spells() {
        let s = scene(
            vec![1, 1, 2],
            vec![0, 1, 2],
            vec![0, 10 * D, 5 * D],
            vec![10 * D, 30 * D, OPEN],
        );
        let at = |d: i32| frame(&s, (d * D) as f64).3;
        assert_eq!(at(-1), vec![-1, -1]);
        assert_eq!(at(0), vec![0, -1]);
        assert_eq!(at(6), vec![0, 2]);
        assert_eq!(at(10), vec![1, 2]);
        assert_eq!(at(30), vec![-1, 2]);
        assert_eq!(at(10_000), vec![-1, 2]);
    }

    #[test]
    fn same_day_step_is_seen_passing() {
        // A -> B (same day, zero length) -> C: the dot must pass through B's cluster.
        let s = scene(
            vec![1, 1, 1],
            vec![0, 1, 2],
            vec![0, 10 * D, 10 * D],
            vec![10 * D, 10 * D, 100 * D],
        );
        let transit = s.config().transit_minutes;
        let (x, _, _, st) = frame(&s, 10.0 * D as f64 + transit);
        assert_eq!(st[0], 2);
        let radii = s.radii(10.0 * D as f64 + transit);
        let (bx, _) = s.place(0, 1, &radii);
        assert!(
            (x[0] - bx).abs() < 1e-6,
            "at the end of the first leg the dot rests in B"
        );
    }

    #[test]
    fn fades_in_and_out() {
        let s = scene(vec![1], vec![0], vec![100 * D], vec![200 * D]);
        let alpha = |d: f64| frame(&s, d * D as f64).2[3];
        assert_eq!(alpha(99.0), 0);
        assert!(alpha(101.0) > 0 && alpha(101.0) < 255);
        assert_eq!(alpha(150.0), 255);
        assert!(alpha(205.0) > 0 && alpha(205.0) < 255);
        assert_eq!(alpha(300.0), 0);
    }

    #[test]
    fn rest_positions_stay_in_cluster() {
        let keys: Vec<u64> = (0..500).collect();
        let s = scene(keys.clone(), vec![1; 500], vec![0; 500], vec![OPEN; 500]);
        let t = 100.0 * D as f64;
        let (x, y, _, _) = frame(&s, t);
        let r = s.radii(t)[1];
        for i in 0..500 {
            let d = ((x[i] - 0.5).powi(2) + (y[i] - 0.5).powi(2)).sqrt();
            assert!(d <= r * 1.0001, "dot {i} at {d} outside radius {r}");
        }
    }

    #[test]
    fn identical_across_thread_counts() {
        let n = 40_000u64;
        let keys: Vec<u64> = (0..n).collect();
        let st: Vec<u16> = (0..n).map(|i| (i % 3) as u16).collect();
        let start: Vec<i32> = (0..n).map(|i| (i % 97) as i32 * D).collect();
        let end: Vec<i32> = (0..n)
            .map(|i| {
                if i % 5 == 0 {
                    OPEN
                } else {
                    (i % 97) as i32 * D + 50 * D
                }
            })
            .collect();
        let s = scene(keys, st, start, end);
        let one = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .unwrap()
            .install(|| frame(&s, 60.0 * D as f64));
        let two = rayon::ThreadPoolBuilder::new()
            .num_threads(2)
            .build()
            .unwrap()
            .install(|| frame(&s, 60.0 * D as f64));
        assert_eq!(
            one.0.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
            two.0.iter().map(|v| v.to_bits()).collect::<Vec<_>>()
        );
        assert_eq!(one.2, two.2);
        assert_eq!(one.3, two.3);
    }
}
