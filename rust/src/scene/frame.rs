//! A frame: every dot's place, colour and state at one moment, computed in parallel over
//! fixed-size chunks; and the bytes a frame moves.

use super::*;

impl Scene {
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
        let paint = self.paint_at(em, t);
        let plain = paint.visible.is_none() && paint.highlight == i32::MIN && !paint.projected;
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
