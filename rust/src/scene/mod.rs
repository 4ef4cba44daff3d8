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

mod frame;
mod gpu;
mod paint;
mod schedule;
#[cfg(test)]
mod tests;

use paint::*;
use schedule::*;

/// Dots computed per parallel task: fixed, so results never depend on the thread count.
pub const FRAME_CHUNK: usize = 16_384;

/// How a scene is drawn.
#[derive(Debug, Clone)]
pub struct SceneConfig {
    /// Cluster centre of each state, in world units (x right, y down).
    pub centres: Vec<[f32; 2]>,
    /// The smallest radius a cluster is drawn at (its visible minimum, also when empty).
    pub base_radius: f32,
    /// Spacing of dots in a crowd: a cluster of `n` dots has radius
    /// `max(base_radius, spacing * sqrt(n))`, so that its area is proportional to `n` (the same
    /// packing of dots in every cluster above the minimum). The spacing is shrunk as needed
    /// so that no two clusters ever overlap.
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
    /// From this time on every dot is projected (a `carevis.project` table): drawn at
    /// `projected_alpha` of its opacity. `OPEN`: never.
    pub projected_from: Minute,
    pub projected_alpha: f32,
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
            projected_from: OPEN,
            projected_alpha: 1.0,
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

    /// Each cluster's radius at time `t` (minutes): area proportional to its children,
    /// never below `base_radius` (see [`cluster_radius`]).
    pub fn radii(&self, t: f64) -> Vec<f32> {
        (0..self.index.labels.len())
            .map(|s| cluster_radius(self.cfg.base_radius, self.spacing, self.occupancy.at(s, t)))
            .collect()
    }

    /// The fewest children whose cluster is drawn above the minimum radius: smaller
    /// clusters are drawn at this many children's size.
    pub fn min_cluster_children(&self) -> f64 {
        let k = self.cfg.base_radius as f64 / self.spacing as f64;
        (k * k).ceil()
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
}
