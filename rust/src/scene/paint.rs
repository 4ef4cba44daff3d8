//! What colours a dot: the colour mode resolved once per frame, and one dot's place,
//! colour and state at any moment (the general walk the frame loop must match).

use super::*;

impl Scene {
    /// [`Scene::paint`] at `t`: projected dots (at or after `projected_from`) lighter.
    pub(super) fn paint_at<'a>(&'a self, em: &Emphasis<'a>, t: f64) -> Paint<'a> {
        let mut p = self.paint(em);
        if t >= self.cfg.projected_from as f64 {
            p.alpha *= self.cfg.projected_alpha;
            p.projected = true;
        }
        p
    }

    /// What colours dots in this scene, resolved once per frame.
    pub(super) fn paint<'a>(&'a self, em: &Emphasis<'a>) -> Paint<'a> {
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
            projected: false,
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
        self.dot_with(c, t, radii, &self.paint_at(em, t))
    }

    /// The general walk for one dot (see [`Scene::dot`]), with the frame's paint.
    #[inline(never)]
    pub(super) fn dot_with(
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
}

/// Colour modes as numbers, for the frame's copies of its loop.
pub(super) const CARE: u8 = 0;
pub(super) const STATE: u8 = 1;
pub(super) const ENTRIES_MODE: u8 = 2;
pub(super) const CATEGORY: u8 = 3;

#[derive(Clone, Copy)]
pub(super) enum PaintBy {
    Care,
    State,
    Entries,
    Category,
}

/// A scene's colour settings resolved for a frame: the table, the scale onto it, opacity
/// and emphasis.
pub(super) struct Paint<'a> {
    pub(super) lut: &'a [[u8; 4]],
    pub(super) mode: PaintBy,
    pub(super) lo: f32,
    /// Table entries per unit of the coloured value.
    pub(super) scale: f32,
    /// The last table entry, as a number.
    pub(super) top: f32,
    /// Opacity of a fully faded-in dot, as a factor.
    pub(super) alpha: f32,
    pub(super) categories: &'a [u16],
    pub(super) visible: Option<&'a [bool]>,
    /// The highlighted state, or `i32::MIN` for none.
    pub(super) highlight: i32,
    pub(super) dim: f32,
    /// The frame is past the projection's date (its opacity already scaled).
    pub(super) projected: bool,
}

impl Paint<'_> {
    /// The colour of dot `c` at `t`, whose first spell began at `first`, whose latest begun
    /// spell is `r`, whose state now is `cur` (-1 for none) and fade factor `fade_k`.
    #[inline(always)]
    pub(super) fn colour(
        &self,
        c: usize,
        t: f64,
        first: Minute,
        r: Spell,
        cur: i32,
        fade_k: f32,
    ) -> [u8; 4] {
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
    pub(super) fn entry<const M: u8>(&self, c: usize, t: f64, first: Minute, r: Spell) -> usize {
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
    pub(super) fn colour_as<const M: u8>(
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
pub(super) fn scale_alpha(a: u8, k: f32) -> u8 {
    let a = (a as f32 * k + 0.5).max(0.0).min(255.0);
    // SAFETY: a is a number in [0, 255].
    unsafe { a.to_int_unchecked::<u8>() }
}
