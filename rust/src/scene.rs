//! The frame engine: where every dot is, what colour, and which state it is in, at any
//! moment. Layout (cluster centres) and colour settings come in a [`SceneConfig`]; the
//! per-child index is shared, never copied.

use std::sync::Arc;

use rayon::prelude::*;

use crate::colour::ColourBy;
use crate::columns::mix64;
use crate::error::{CoreError, Result};
use crate::index::Index;
use crate::mem::{huge_vec, prefetch};
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

/// Which dots are drawn, and which stand out: an argument of each frame (the scene itself
/// never changes).
#[derive(Debug, Clone, Copy)]
pub struct Emphasis<'a> {
    /// Per dot: drawn (true) or filtered out. None = all drawn.
    pub visible: Option<&'a [bool]>,
    /// Dots in this state keep full colour; the others are dimmed.
    pub highlight: Option<u16>,
    /// Opacity factor of dimmed dots.
    pub dim: f32,
}

impl Emphasis<'_> {
    /// Every dot drawn, none dimmed.
    pub const NONE: Emphasis<'static> = Emphasis {
        visible: None,
        highlight: None,
        dim: 0.2,
    };
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
    /// Per dot: the state of its first and of its last spell (where it waits off screen).
    rest: Vec<[u16; 2]>,
    /// Per spell, in index order: everything a frame reads of it, in one 16-byte record so
    /// that a dot on screen reads its spells from one or two cache lines.
    spells: Vec<Spell>,
    inv_fade: f64,
    circle: Box<[[f32; 2]; ANGLES]>,
    /// The colour table with the opacity of a fully faded-in dot applied.
    settled_lut: Vec<[u8; 4]>,
}

#[inline]
fn ease(u: f32) -> f32 {
    u * u * (3.0 - 2.0 * u)
}

/// What a frame reads of one spell.
#[derive(Debug, Clone, Copy, Default)]
#[repr(C)]
struct Spell {
    start: Minute,
    end: Minute,
    /// When the dot arrives in this spell's cluster.
    arrive: Minute,
    state: u16,
    /// [`APPEAR`] | entries so far.
    flags: u16,
}

/// Flag on a spell whose leg is an appearance (first spell, or back after a long gap).
const APPEAR: u16 = 1 << 15;
/// Entries (times through the system so far) in the low bits of a spell's flags.
const ENTRIES: u16 = APPEAR - 1;

/// Angles around the circle, for places in a cluster without trigonometry per dot.
const ANGLES: usize = 4096;

fn unit_circle() -> Box<[[f32; 2]; ANGLES]> {
    let mut c = Box::new([[0f32; 2]; ANGLES]);
    for (i, p) in c.iter_mut().enumerate() {
        let a = (i as f64 + 0.5) * std::f64::consts::TAU / ANGLES as f64;
        *p = [a.cos() as f32, a.sin() as f32];
    }
    c
}

/// A point uniformly distributed in the unit disk, fixed for (dot, state, seed).
#[inline]
fn disk(dot: usize, state: u16, seed: u64, circle: &[[f32; 2]; ANGLES]) -> (f32, f32) {
    let h = mix64(seed ^ (dot as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ ((state as u64) << 48));
    let r = (((h >> 40) as f32 + 0.5) * (1.0 / 16_777_216.0)).sqrt();
    let c = circle[(h as usize) & (ANGLES - 1)];
    (r * c[0], r * c[1])
}

/// How many dots on screen ahead a frame asks for their spells.
const PREFETCH: usize = 32;

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
        if let Some(&s) = index
            .state
            .par_iter()
            .find_any(|&&s| s as usize >= n_states)
        {
            return Err(CoreError::config(
                "state",
                format!("state number {s} with only {n_states} labels"),
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
        let k_alpha = cfg.alpha as f32 * (1.0 / 255.0);
        let settled_lut = cfg
            .lut
            .iter()
            .map(|&[r, g, b, a]| [r, g, b, scale_alpha(a, k_alpha)])
            .collect();
        Ok(Scene {
            index,
            settled_lut,
            cfg,
            occupancy,
            spacing,
            from: schedule.from,
            until: schedule.until,
            rest: schedule.rest,
            spells: schedule.spells,
            inv_fade,
            circle: unit_circle(),
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

    /// Checks an emphasis against this scene: one flag per dot, a state that exists, a
    /// dimming within 0..=1.
    pub fn check_emphasis(&self, e: &Emphasis<'_>) -> Result<()> {
        if let Some(v) = e.visible {
            if v.len() != self.n_dots() {
                return Err(CoreError::config(
                    "filter",
                    format!("{} flags for {} dots", v.len(), self.n_dots()),
                ));
            }
        }
        if !(0.0..=1.0).contains(&e.dim) {
            return Err(CoreError::config(
                "dim",
                format!("{} is not within 0..1", e.dim),
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

    /// [`Scene::place`] without bounds checks, for the frame's loop.
    ///
    /// # Safety
    /// `state < labels.len()` and `radii.len() == labels.len()`.
    #[inline(always)]
    unsafe fn place_in(&self, dot: usize, state: u16, radii: &[f32]) -> (f32, f32) {
        let (u, v) = disk(dot, state, self.cfg.seed, &self.circle);
        debug_assert!((state as usize) < radii.len() && radii.len() == self.cfg.centres.len());
        // SAFETY: as the caller promises; Scene::new checked one centre per label.
        let (c, r) = unsafe {
            (
                *self.cfg.centres.get_unchecked(state as usize),
                *radii.get_unchecked(state as usize),
            )
        };
        (c[0] + r * u, c[1] + r * v)
    }

    /// Computes the frame at `t` (minutes since the epoch) into `out`, in parallel.
    pub fn frame_into(&self, t: f64, out: FrameBuffers<'_>, em: &Emphasis<'_>) -> Result<()> {
        self.check_emphasis(em)?;
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
        // Whole minutes after which a spell's dot has surely faded in.
        let fade_settled = self.cfg.fade_minutes.ceil() as i64;
        let paint = self.paint(em);
        let plain = paint.visible.is_none() && paint.highlight == i32::MIN;
        let f = Frame {
            t,
            ti,
            fade_settled,
            radii: &radii,
            paint: &paint,
        };
        // One copy of the loop per colour mode, with and without emphasis, so that the
        // loop over the dots on screen carries no test of either.
        match (paint.mode, plain) {
            (PaintBy::Care, true) => self.run::<CARE, true>(&f, out),
            (PaintBy::Care, false) => self.run::<CARE, false>(&f, out),
            (PaintBy::State, true) => self.run::<STATE, true>(&f, out),
            (PaintBy::State, false) => self.run::<STATE, false>(&f, out),
            (PaintBy::Entries, true) => self.run::<ENTRIES_MODE, true>(&f, out),
            (PaintBy::Entries, false) => self.run::<ENTRIES_MODE, false>(&f, out),
            (PaintBy::Category, true) => self.run::<CATEGORY, true>(&f, out),
            (PaintBy::Category, false) => self.run::<CATEGORY, false>(&f, out),
        }
        Ok(())
    }

    /// The frame, in parallel chunks of dots, for colour mode `M`; `PLAIN`: no emphasis.
    fn run<const M: u8, const PLAIN: bool>(&self, f: &Frame<'_>, out: FrameBuffers<'_>) {
        out.x
            .par_chunks_mut(FRAME_CHUNK)
            .zip(out.y.par_chunks_mut(FRAME_CHUNK))
            .zip(out.rgba.par_chunks_mut(4 * FRAME_CHUNK))
            .zip(out.state.par_chunks_mut(FRAME_CHUNK))
            .enumerate()
            .for_each(|(k, (((xs, ys), cs), ss))| {
                self.chunk::<M, PLAIN>(f, k * FRAME_CHUNK, xs, ys, cs, ss);
            });
    }

    /// One chunk of dots, from dot `base` on, in two passes (a function of its own, so that
    /// profiles show it).
    #[inline(never)]
    fn chunk<const M: u8, const PLAIN: bool>(
        &self,
        f: &Frame<'_>,
        base: usize,
        xs: &mut [f32],
        ys: &mut [f32],
        cs: &mut [u8],
        ss: &mut [i32],
    ) {
        let m = xs.len();
        let offsets = &self.index.offsets[base..base + m + 1];
        let starts = &self.index.start[..];
        let sp = &self.spells[..];
        let centres = &self.cfg.centres[..];
        // a copy in a register, not a read through the capture
        let ti: Minute = f.ti;
        // Pass 1, over every dot: most are not on screen at any moment; write them as
        // waiting in their first or last cluster, invisible, without a branch (t < from
        // <=> floor(t) < from for whole minutes), and list the others.
        let mut on: Vec<u32> = Vec::with_capacity(m);
        let slots = &mut on.spare_capacity_mut()[..m];
        let mut n_on = 0;
        let each = self.from[base..base + m]
            .iter()
            .zip(&self.until[base..base + m])
            .zip(&self.rest[base..base + m])
            .zip(xs.iter_mut().zip(ys.iter_mut()))
            .zip(cs.chunks_exact_mut(4).zip(ss.iter_mut()));
        for (j, ((((&fr, &u), rest), (x, y)), (c, s))) in each.enumerate() {
            let gone = ti >= u;
            let w = rest[gone as usize] as usize;
            debug_assert!(w < centres.len());
            // SAFETY: `rest` holds states of the index, each < labels.len(), and
            // Scene::new checked there is one centre per label.
            let p = unsafe { *centres.get_unchecked(w) };
            *x = p[0];
            *y = p[1];
            c.copy_from_slice(&[0; 4]);
            *s = -1;
            // SAFETY: n_on <= j < m = slots.len(): it grows by at most one per dot.
            unsafe { slots.get_unchecked_mut(n_on).write(j as u32) };
            n_on += (ti >= fr && !gone) as usize;
        }
        // SAFETY: the first n_on slots were written above.
        unsafe { on.set_len(n_on) };
        // Pass 2, over the dots on screen. Their spells may lie scattered: ask for them a
        // few dots ahead, so the waits overlap.
        let settled_lut = &self.settled_lut[..];
        for (v, &j) in on.iter().enumerate() {
            if let Some(&q) = on.get(v + PREFETCH) {
                let q = q as usize;
                // SAFETY: q < m, and offsets has m + 1 entries.
                let (qa, qb) =
                    unsafe { (*offsets.get_unchecked(q), *offsets.get_unchecked(q + 1)) };
                prefetch(starts.as_ptr().wrapping_add(qa as usize));
                prefetch(sp.as_ptr().wrapping_add(qa as usize));
                prefetch(sp.as_ptr().wrapping_add(qb as usize - 1));
            }
            let j = j as usize;
            // SAFETY: j < m, and offsets has m + 1 entries.
            let (a, b) = unsafe {
                (
                    *offsets.get_unchecked(j) as usize,
                    *offsets.get_unchecked(j + 1) as usize,
                )
            };
            // Most are at rest in a spell they entered more than a fade ago: settle them
            // without the general walk (same result).
            let (i, first) = last_begun(starts, a, b, ti);
            let r = sp[i];
            let (x, y, c, st) =
                if ti < r.end && ti >= r.arrive && ti as i64 - r.start as i64 > f.fade_settled {
                    // SAFETY: spell states are < labels.len() (checked in Scene::new), and
                    // radii has one entry per label.
                    let (x, y) = unsafe { self.place_in(base + j, r.state, f.radii) };
                    let c = if PLAIN {
                        let e = f.paint.entry::<M>(base + j, f.t, first, r);
                        // SAFETY: entry() is < lut.len() = settled_lut.len().
                        unsafe { *settled_lut.get_unchecked(e) }
                    } else {
                        f.paint
                            .colour_as::<M>(base + j, f.t, first, r, r.state as i32, 1.0)
                    };
                    (x, y, c, r.state as i32)
                } else {
                    self.dot_with(base + j, f.t, f.radii, f.paint)
                };
            debug_assert!(j < m && cs.len() == 4 * m && ys.len() == m && ss.len() == m);
            // SAFETY: j < m, the length of xs, ys and ss (rgba: 4 m).
            unsafe {
                *xs.get_unchecked_mut(j) = x;
                *ys.get_unchecked_mut(j) = y;
                *cs.as_mut_ptr().add(4 * j).cast::<[u8; 4]>() = c;
                *ss.get_unchecked_mut(j) = st;
            }
        }
    }

    /// What colours dots in this scene, resolved once per frame.
    fn paint<'a>(&'a self, em: &Emphasis<'a>) -> Paint<'a> {
        let lut = &self.cfg.lut[..];
        let top = (lut.len() - 1) as f32;
        let (mode, lo, hi) = match self.cfg.colour {
            ColourBy::TimeInCare { lo, hi } => (PaintBy::Care, lo, hi),
            ColourBy::TimeInState { lo, hi } => (PaintBy::State, lo, hi),
            ColourBy::Entries { lo, hi } => (PaintBy::Entries, lo, hi),
            ColourBy::Category => (PaintBy::Category, 0.0, 0.0),
        };
        Paint {
            lut,
            mode,
            lo,
            scale: if hi > lo { top / (hi - lo) } else { 0.0 },
            top,
            alpha: self.cfg.alpha as f32 * (1.0 / 255.0),
            categories: &self.cfg.categories,
            visible: em.visible,
            highlight: em.highlight.map_or(i32::MIN, |h| h as i32),
            dim: em.dim,
        }
    }

    /// One dot at time `t`: position, colour and current state (-1 for none).
    pub fn dot(
        &self,
        c: usize,
        t: f64,
        radii: &[f32],
        em: &Emphasis<'_>,
    ) -> (f32, f32, [u8; 4], i32) {
        self.dot_with(c, t, radii, &self.paint(em))
    }

    /// The general walk for one dot (see [`Scene::dot`]), with the frame's paint.
    #[inline(never)]
    fn dot_with(
        &self,
        c: usize,
        t: f64,
        radii: &[f32],
        paint: &Paint<'_>,
    ) -> (f32, f32, [u8; 4], i32) {
        let sp = &self.spells[..];
        let a = self.index.offsets[c] as usize;
        let b = self.index.offsets[c + 1] as usize;
        if t < self.from[c] as f64 {
            let p = self.cfg.centres[self.rest[c][0] as usize];
            return (p[0], p[1], [0; 4], -1);
        }
        if self.until[c] != OPEN && t >= self.until[c] as f64 {
            let p = self.cfg.centres[self.rest[c][1] as usize];
            return (p[0], p[1], [0; 4], -1);
        }
        // The last spell begun by `t`: the only one that can hold `t` (spells never overlap).
        let mut i = a;
        while i + 1 < b && sp[i + 1].start as f64 <= t {
            i += 1;
        }
        let e_i = end_f(sp[i].end);
        let cur: i32 = if t < e_i { sp[i].state as i32 } else { -1 };
        // The leg the dot is on: it can lag behind rapid steps, so step back to the latest
        // leg that has set off.
        let mut k = i;
        while k > a && self.depart(k) > t {
            k -= 1;
        }
        let arrive = sp[k].arrive as f64;
        let (tx, ty) = self.place(c, sp[k].state, radii);
        let (x, y) = if t >= arrive {
            (tx, ty)
        } else {
            let depart = self.depart(k);
            let u = ease((((t - depart) / (arrive - depart)) as f32).clamp(0.0, 1.0));
            let (fx, fy) = self.place(c, sp[k - 1].state, radii);
            (fx + (tx - fx) * u, fy + (ty - fy) * u)
        };
        // Opacity: fade in after (re)appearing, fade out after leaving.
        let mut fade_k = 1.0f64;
        if self.inv_fade > 0.0 {
            // The dot appeared at or before its current leg began; only look back for the
            // appearance when that leg began less than a fade ago.
            if (t - sp[k].start as f64) * self.inv_fade < 1.0 {
                let mut p = k;
                while p > a && sp[p].flags & APPEAR == 0 {
                    p -= 1;
                }
                fade_k = (t - sp[p].start as f64) * self.inv_fade;
            }
            if cur < 0 {
                let leave = e_i.max(sp[i].arrive as f64);
                if t > leave {
                    fade_k = fade_k.min(1.0 - (t - leave) * self.inv_fade);
                }
            }
        } else if cur < 0 && t > e_i.max(sp[i].arrive as f64) {
            fade_k = 0.0;
        }
        let fade_k = fade_k.clamp(0.0, 1.0) as f32;
        (
            x,
            y,
            paint.colour(c, t, sp[a].start, sp[i], cur, fade_k),
            cur,
        )
    }

    /// When the leg into spell `k` sets off (the spell's start, or later if the dot is
    /// still travelling the previous leg).
    #[inline]
    fn depart(&self, k: usize) -> f64 {
        let r = self.spells[k];
        let s = r.start as f64;
        if r.flags & APPEAR != 0 {
            s
        } else {
            s.max(self.spells[k - 1].arrive as f64)
        }
    }

    /// What the GPU frame takes as uniforms beyond the time: the colour mode (0 time in
    /// care, 1 time in state, 2 entries, 3 category), the value's low end, table entries
    /// per unit, the last entry, the opacity factor, one over the fade (0: none), the
    /// highlighted state (-1: none) and the dimming, exactly as a frame resolves them.
    pub fn gpu_uniforms(&self, em: &Emphasis<'_>) -> ([f32; 8], &[[u8; 4]]) {
        let p = self.paint(em);
        let mode = match p.mode {
            PaintBy::Care => 0.0,
            PaintBy::State => 1.0,
            PaintBy::Entries => 2.0,
            PaintBy::Category => 3.0,
        };
        let highlight = if p.highlight == i32::MIN {
            -1.0
        } else {
            p.highlight as f32
        };
        (
            [
                mode,
                p.lo,
                p.scale,
                p.top,
                p.alpha,
                self.inv_fade as f32,
                highlight,
                p.dim,
            ],
            &self.cfg.lut,
        )
    }

    /// The tables the GPU frame (`carevis.gl_frame`) keeps on the GPU, written into
    /// `dots` (`4 * (n_dots + 1)` words), `spells` (`4 * n_spells` words) and `places`
    /// (`2 * n_spells` floats). Per dot: its first spell, the time it appears, the time it
    /// is gone (`OPEN` if never), and `rest[0] | rest[1] << 7 | category << 16` (its
    /// waiting states, 7 bits each; bit 14 is left clear for a filter); a last record holds
    /// the spell count. Per spell: start, end, arrival and `state | flags << 16`, and the
    /// dot's place in that state's cluster as a point of the unit disk (what
    /// [`Scene::place`] scales by the radius). 16 bytes per dot, 24 per spell.
    pub fn gpu_tables(
        &self,
        dots: &mut [u32],
        spells: &mut [u32],
        places: &mut [f32],
    ) -> Result<()> {
        let n = self.n_dots();
        let m = self.spells.len();
        if dots.len() != 4 * (n + 1) || spells.len() != 4 * m || places.len() != 2 * m {
            return Err(CoreError::config(
                "buffers",
                format!(
                    "need {} dot words, {} spell words and {} places",
                    4 * (n + 1),
                    4 * m,
                    2 * m
                ),
            ));
        }
        if self.index.labels.len() > 128 {
            return Err(CoreError::config(
                "states",
                format!(
                    "{} states; the GPU frame keeps at most 128",
                    self.index.labels.len()
                ),
            ));
        }
        let cats = &self.cfg.categories;
        let offsets = &self.index.offsets;
        dots.par_chunks_mut(4 * FRAME_CHUNK)
            .enumerate()
            .for_each(|(k, out)| {
                for (j, d) in out.chunks_exact_mut(4).enumerate() {
                    let c = k * FRAME_CHUNK + j;
                    if c == n {
                        d.copy_from_slice(&[offsets[n], 0, 0, 0]);
                        continue;
                    }
                    let cat = cats.get(c).copied().unwrap_or(0) as u32;
                    let [r0, r1] = self.rest[c];
                    d.copy_from_slice(&[
                        offsets[c],
                        self.from[c] as u32,
                        self.until[c] as u32,
                        r0 as u32 | (r1 as u32) << 7 | cat << 16,
                    ]);
                }
            });
        spells
            .par_chunks_mut(4 * FRAME_CHUNK)
            .zip(self.spells.par_chunks(FRAME_CHUNK))
            .for_each(|(out, sp)| {
                for (d, r) in out.chunks_exact_mut(4).zip(sp) {
                    d.copy_from_slice(&[
                        r.start as u32,
                        r.end as u32,
                        r.arrive as u32,
                        r.state as u32 | (r.flags as u32) << 16,
                    ]);
                }
            });
        // The dot that owns each spell, chunk by chunk of dots.
        let mut jobs = Vec::new();
        let mut rest = &mut places[..];
        let mut c0 = 0;
        while c0 < n {
            let c1 = (c0 + FRAME_CHUNK).min(n);
            let count = 2 * (offsets[c1] - offsets[c0]) as usize;
            let (a, b) = rest.split_at_mut(count);
            jobs.push((c0, c1, a));
            rest = b;
            c0 = c1;
        }
        jobs.into_par_iter().for_each(|(c0, c1, out)| {
            let base = offsets[c0] as usize;
            for c in c0..c1 {
                for i in self.index.spells(c) {
                    let (u, v) = disk(c, self.spells[i].state, self.cfg.seed, &self.circle);
                    out[2 * (i - base)] = u;
                    out[2 * (i - base) + 1] = v;
                }
            }
        });
        Ok(())
    }

    /// Whether dot `c` is on screen at `t` (what the frame's first pass decides).
    fn on_screen(&self, c: usize, t: f64) -> bool {
        t >= self.from[c] as f64 && (self.until[c] == OPEN || t < self.until[c] as f64)
    }

    /// Bytes a frame moves to and from memory, counted in whole 64-byte cache lines: the
    /// per-dot arrays are read and written in full; the dots on screen read the lines their
    /// spell records span and the lines of the eight spell starts each search reads, each
    /// line counted once. (A second view of [`Scene::frame_bytes`], which counts the bytes
    /// used.)
    pub fn frame_line_bytes(&self, t: f64) -> u64 {
        const LINE: u64 = 64;
        let idx = &*self.index;
        let n_spells = idx.n_spells() as u64;
        // (address of the first byte, of the byte after) of what dot c reads in each array
        let records = |c: usize| {
            let base = self.spells.as_ptr() as u64;
            let rec = std::mem::size_of::<Spell>() as u64;
            (
                base + idx.offsets[c] as u64 * rec,
                base + idx.offsets[c + 1] as u64 * rec,
            )
        };
        let starts = |c: usize| {
            let base = idx.start.as_ptr() as u64;
            let a = idx.offsets[c] as u64;
            (base + a * 4, base + (a + 8).min(n_spells) * 4)
        };
        // Dots read their ranges in increasing order: a line shared with the previous dot
        // on screen is not counted again.
        let mut lines = 0;
        let mut last: [Option<u64>; 2] = [None; 2];
        for c in (0..self.n_dots()).filter(|&c| self.on_screen(c, t)) {
            for (k, (lo, hi)) in [records(c), starts(c)].into_iter().enumerate() {
                let (first, end) = (lo / LINE, (hi - 1) / LINE);
                let first = last[k].map_or(first, |l| first.max(l + 1));
                lines += (end + 1).saturating_sub(first);
                last[k] = Some(last[k].map_or(end, |l| l.max(end)));
            }
        }
        let n = self.n_dots() as u64;
        // per dot: offsets 4, from and until 8, rest 4 read; x, y, rgba, state 16 written
        n * (4 + 8 + 4 + 16) + lines * LINE
    }

    /// Bytes a frame reads and writes (for the bandwidth bound), counting the bytes it uses:
    /// per dot its offsets, times and output; per dot on screen its spell records and
    /// starts, per dot off screen its waiting state.
    pub fn frame_bytes(&self, t: f64) -> u64 {
        let idx = &*self.index;
        let active: u64 = (0..self.n_dots())
            .into_par_iter()
            .map(|c| {
                if self.on_screen(c, t) {
                    // the child's 16-byte spell records and 4-byte starts
                    (idx.offsets[c + 1] - idx.offsets[c]) as u64 * (16 + 4)
                } else {
                    // its waiting state
                    4
                }
            })
            .sum();
        let n = self.n_dots() as u64;
        // per dot: offsets 4, from and until 8; written: x, y, rgba, state 16
        n * (4 + 8 + 16) + active
    }
}

/// The last of spells `a..b` (sorted by start, `start[a] <= ti`) begun by `ti`, and the
/// first spell's start. Up to eight spells are counted at once without a jump, so that how
/// many a child has, which varies from dot to dot, costs no mispredicted branch.
#[inline(always)]
fn last_begun(start: &[Minute], a: usize, b: usize, ti: Minute) -> (usize, Minute) {
    debug_assert!(a < b && b <= start.len());
    #[cfg(target_arch = "x86_64")]
    if a + 8 <= start.len() {
        use std::arch::x86_64::*;
        // SAFETY: a + 8 <= start.len(), so the two loads read start[a..a + 8]; SSE2 is part
        // of x86-64.
        let (after, first) = unsafe {
            let p = start.as_ptr().add(a).cast::<__m128i>();
            let lo = _mm_loadu_si128(p);
            let hi = _mm_loadu_si128(p.add(1));
            let t = _mm_set1_epi32(ti);
            let after = _mm_movemask_ps(_mm_castsi128_ps(_mm_cmpgt_epi32(lo, t)))
                | (_mm_movemask_ps(_mm_castsi128_ps(_mm_cmpgt_epi32(hi, t))) << 4);
            (after as u32, _mm_cvtsi128_si32(lo))
        };
        // Begun: the run of spells up to the first that starts after ti or is another
        // child's.
        let n = b - a;
        let k = (after | (!0u32).checked_shl(n as u32).unwrap_or(0)).trailing_zeros() as usize;
        if k < 8 {
            return (a + k.max(1) - 1, first);
        }
        let mut i = a + 7;
        while i + 1 < b && start[i + 1] <= ti {
            i += 1;
        }
        return (i, first);
    }
    let mut i = a;
    while i + 1 < b && start[i + 1] <= ti {
        i += 1;
    }
    (i, start[a])
}

/// What a frame computes once and its chunks share.
struct Frame<'a> {
    t: f64,
    /// `t` in whole minutes.
    ti: Minute,
    /// Whole minutes after which a spell's dot has surely faded in.
    fade_settled: i64,
    radii: &'a [f32],
    paint: &'a Paint<'a>,
}

/// Colour modes as numbers, for the frame's copies of its loop.
const CARE: u8 = 0;
const STATE: u8 = 1;
const ENTRIES_MODE: u8 = 2;
const CATEGORY: u8 = 3;

#[derive(Clone, Copy)]
enum PaintBy {
    Care,
    State,
    Entries,
    Category,
}

/// A scene's colour settings resolved for a frame: the table, the scale onto it, opacity
/// and emphasis.
struct Paint<'a> {
    lut: &'a [[u8; 4]],
    mode: PaintBy,
    lo: f32,
    /// Table entries per unit of the coloured value.
    scale: f32,
    /// The last table entry, as a number.
    top: f32,
    /// Opacity of a fully faded-in dot, as a factor.
    alpha: f32,
    categories: &'a [u16],
    visible: Option<&'a [bool]>,
    /// The highlighted state, or `i32::MIN` for none.
    highlight: i32,
    dim: f32,
}

impl Paint<'_> {
    /// The colour of dot `c` at `t`, whose first spell began at `first`, whose latest begun
    /// spell is `r`, whose state now is `cur` (-1 for none) and fade factor `fade_k`.
    #[inline(always)]
    fn colour(&self, c: usize, t: f64, first: Minute, r: Spell, cur: i32, fade_k: f32) -> [u8; 4] {
        match self.mode {
            PaintBy::Care => self.colour_as::<CARE>(c, t, first, r, cur, fade_k),
            PaintBy::State => self.colour_as::<STATE>(c, t, first, r, cur, fade_k),
            PaintBy::Entries => self.colour_as::<ENTRIES_MODE>(c, t, first, r, cur, fade_k),
            PaintBy::Category => self.colour_as::<CATEGORY>(c, t, first, r, cur, fade_k),
        }
    }

    /// The entry of the colour table for dot `c` (see [`Paint::colour`]), in mode `M`.
    #[inline(always)]
    #[allow(clippy::manual_clamp)] // max/min, unlike clamp, turn a NaN into a number
    fn entry<const M: u8>(&self, c: usize, t: f64, first: Minute, r: Spell) -> usize {
        const PER_DAY: f64 = 1.0 / MINUTES_PER_DAY as f64;
        let v = match M {
            CARE => ((t - first as f64) * PER_DAY) as f32,
            STATE => ((t - r.start as f64) * PER_DAY) as f32,
            ENTRIES_MODE => (r.flags & ENTRIES) as f32,
            _ => return self.categories[c] as usize % self.lut.len(),
        };
        // max/min also turn a NaN into 0
        let e = ((v - self.lo) * self.scale + 0.5).max(0.0).min(self.top);
        // SAFETY: e is a number in [0, top], top < lut.len() <= u32::MAX.
        unsafe { e.to_int_unchecked::<u32>() as usize }
    }

    /// [`Paint::colour`] in mode `M`.
    #[inline(always)]
    #[allow(clippy::manual_clamp)]
    fn colour_as<const M: u8>(
        &self,
        c: usize,
        t: f64,
        first: Minute,
        r: Spell,
        cur: i32,
        fade_k: f32,
    ) -> [u8; 4] {
        let mut rgba = self.lut[self.entry::<M>(c, t, first, r)];
        let mut k_alpha = fade_k * self.alpha;
        if let Some(vis) = self.visible {
            if !vis[c] {
                k_alpha = 0.0;
            }
        }
        if cur != self.highlight && self.highlight != i32::MIN {
            k_alpha *= self.dim;
        }
        rgba[3] = scale_alpha(rgba[3], k_alpha);
        rgba
    }
}

/// An opacity scaled by `k` and rounded.
#[inline(always)]
#[allow(clippy::manual_clamp)] // max/min, unlike clamp, turn a NaN into a number
fn scale_alpha(a: u8, k: f32) -> u8 {
    let a = (a as f32 * k + 0.5).max(0.0).min(255.0);
    // SAFETY: a is a number in [0, 255].
    unsafe { a.to_int_unchecked::<u8>() }
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
    rest: Vec<[u16; 2]>,
    spells: Vec<Spell>,
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
        frame_with(s, t, &Emphasis::NONE)
    }

    fn frame_with(s: &Scene, t: f64, em: &Emphasis<'_>) -> (Vec<f32>, Vec<f32>, Vec<u8>, Vec<i32>) {
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
            em,
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
    fn frame_line_bytes_counts_whole_lines() {
        let s = scene(
            vec![1, 1, 2],
            vec![0, 1, 2],
            vec![0, 10 * D, 500 * D],
            vec![10 * D, 30 * D, 600 * D],
        );
        let per_dot = 2 * 32;
        // nobody on screen: the per-dot arrays alone
        assert_eq!(s.frame_line_bytes(-(D as f64)), per_dot);
        // the first child on screen: its two 16-byte records span one or two lines, and
        // the three starts (all there are) one or two
        let one = s.frame_line_bytes(5.0 * D as f64) - per_dot;
        assert!([128, 192, 256].contains(&one), "{one}");
        // two children of one spell each: lines they share count once
        let s2 = scene(vec![1, 2], vec![0, 1], vec![0, 0], vec![10 * D, 10 * D]);
        let two = s2.frame_line_bytes(5.0 * D as f64) - per_dot;
        assert!([128, 192, 256].contains(&two), "{two}");
        assert!(s.frame_line_bytes(5.0 * D as f64) >= s.frame_bytes(5.0 * D as f64) - 8);
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

    /// Random journeys: per child a handful of touching or gapped spells, some same-day,
    /// some open, over a few hundred days.
    fn random_journeys(n: u64, seed: u64) -> (Vec<u64>, Vec<u16>, Vec<i32>, Vec<i32>) {
        let mut h = seed;
        let mut rnd = |m: u64| {
            h = mix64(h.wrapping_add(0x9E37_79B9_7F4A_7C15));
            h % m
        };
        let (mut key, mut st, mut start, mut end) = (vec![], vec![], vec![], vec![]);
        for c in 0..n {
            let k = 1 + rnd(12); // up to 12: more than the frame counts at once
            let mut t = rnd(300) as i32 * D + rnd(3) as i32 * 600;
            for i in 0..k {
                t += [0, 0, D, 20 * D][rnd(4) as usize];
                let len = [0, D / 2, 3 * D, 10 * D, 40 * D][rnd(5) as usize];
                key.push(c);
                st.push(rnd(3) as u16);
                start.push(t);
                end.push(if i == k - 1 && rnd(4) == 0 {
                    OPEN
                } else {
                    t + len
                });
                t += len;
            }
        }
        (key, st, start, end)
    }

    #[test]
    fn gpu_tables_hold_what_a_frame_reads() {
        let (key, st, start, end) = random_journeys(500, 3);
        let s = scene(key, st, start, end);
        let (n, m) = (s.n_dots(), s.index().n_spells());
        let (mut d, mut sp, mut pl) = (
            vec![0u32; 4 * (n + 1)],
            vec![0u32; 4 * m],
            vec![0f32; 2 * m],
        );
        s.gpu_tables(&mut d, &mut sp, &mut pl).unwrap();
        assert_eq!(d[4 * n], m as u32);
        let unit = vec![1.0f32; 3];
        for c in 0..n {
            let rest = s.rest[c];
            assert_eq!(
                (
                    d[4 * c],
                    d[4 * c + 1] as i32,
                    d[4 * c + 2] as i32,
                    d[4 * c + 3]
                ),
                (
                    s.index().offsets[c],
                    s.from[c],
                    s.until[c],
                    rest[0] as u32 | (rest[1] as u32) << 7
                )
            );
            for i in s.index().spells(c) {
                let r = s.spells[i];
                assert_eq!(
                    &sp[4 * i..4 * i + 4],
                    &[
                        r.start as u32,
                        r.end as u32,
                        r.arrive as u32,
                        r.state as u32 | (r.flags as u32) << 16
                    ]
                );
                // the place, scaled by a unit radius about the centre, is the engine's
                let centre = s.config().centres[r.state as usize];
                let (x, y) = s.place(c, r.state, &unit);
                assert_eq!((centre[0] + pl[2 * i], centre[1] + pl[2 * i + 1]), (x, y));
            }
        }
        let err = s.gpu_tables(&mut d[..4], &mut sp, &mut pl).unwrap_err();
        assert!(err.to_string().contains("dot words"), "{err}");
    }

    #[test]
    fn a_state_without_a_label_is_an_error() {
        let idx = Index::from_rows(
            vec![1, 2],
            vec![0, 3],
            vec![0, 0],
            vec![10, 10],
            vec!["A".into(), "B".into()],
            OnError::Raise,
        )
        .unwrap();
        let cfg = SceneConfig {
            centres: vec![[0.2, 0.5], [0.8, 0.5]],
            ..SceneConfig::default()
        };
        let err = Scene::new(Arc::new(idx), cfg).unwrap_err().to_string();
        assert!(err.contains("state number 3"), "{err}");
    }

    #[test]
    fn frame_matches_the_general_walk_for_every_dot() {
        // The frame settles most dots by shortcuts; each must give exactly what the general
        // walk (`Scene::dot`) gives, in every colour mode, with and without emphasis.
        let (key, st, start, end) = random_journeys(3_000, 7);
        let base = scene(key, st, start, end);
        let n = base.n_dots();
        let mut modes = vec![
            ColourBy::TimeInCare { lo: 0.0, hi: 100.0 },
            ColourBy::TimeInState { lo: 2.0, hi: 30.0 },
            ColourBy::Entries { lo: 1.0, hi: 4.0 },
        ];
        modes.push(ColourBy::Category);
        for (m, colour) in modes.into_iter().enumerate() {
            let cfg = SceneConfig {
                colour,
                categories: (0..n).map(|c| (c % 5) as u16).collect(),
                fade_minutes: [14.0, 0.0, 2.5, 14.0][m] * D as f64,
                transit_minutes: [7.0, 1.0, 0.0, 3.5][m] * D as f64,
                ..base.config().clone()
            };
            let s = Scene::new(base.index().clone(), cfg).unwrap();
            let visible: Vec<bool> = (0..n).map(|c| c % 3 != 0).collect();
            let em = if m == 3 {
                Emphasis {
                    visible: Some(&visible),
                    highlight: Some(1),
                    dim: 0.3,
                }
            } else {
                Emphasis::NONE
            };
            for step in 0..160 {
                let t = -2.0 * D as f64 + step as f64 * 2.37 * D as f64 + (step % 7) as f64 * 97.3;
                let (x, y, c, st) = frame_with(&s, t, &em);
                let radii = s.radii(t);
                for d in 0..n {
                    let (wx, wy, wc, ws) = s.dot(d, t, &radii, &em);
                    assert_eq!(
                        (x[d].to_bits(), y[d].to_bits(), &c[4 * d..4 * d + 4], st[d]),
                        (wx.to_bits(), wy.to_bits(), &wc[..], ws),
                        "mode {m}, dot {d}, t {t}"
                    );
                }
            }
        }
    }
}
