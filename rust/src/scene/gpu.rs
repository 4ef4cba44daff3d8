//! What the GPU frame reads: its uniforms and its per-dot and per-spell tables.

use super::*;

impl Scene {
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
    /// `dots` (`3 * (n_dots + 1)` words), `spells` (`4 * n_spells` words) and `places`
    /// (`2 * n_spells` floats). Per dot: its first spell, the time it is gone (`OPEN` if
    /// never), and `rest[0] | rest[1] << 7 | category << 16` (its waiting states, 7 bits
    /// each; bit 14 is left clear for a filter); a last record holds the spell count. The
    /// time a dot appears is its first spell's start, so it is not stored. Per spell:
    /// start, end, arrival and `state | flags << 16`, and the dot's place in that state's
    /// cluster as a point of the unit disk (what [`Scene::place`] scales by the radius).
    /// 12 bytes per dot, 24 per spell (the 4 bytes a dot left of a 16-byte budget hold the
    /// compaction pass's list of the dots on screen).
    pub fn gpu_tables(
        &self,
        dots: &mut [u32],
        spells: &mut [u32],
        places: &mut [f32],
    ) -> Result<()> {
        let n = self.n_dots();
        let m = self.spells.len();
        if dots.len() != 3 * (n + 1) || spells.len() != 4 * m || places.len() != 2 * m {
            return Err(CoreError::config(
                "buffers",
                format!(
                    "need {} dot words, {} spell words and {} places",
                    3 * (n + 1),
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
        dots.par_chunks_mut(3 * FRAME_CHUNK)
            .enumerate()
            .for_each(|(k, out)| {
                for (j, d) in out.chunks_exact_mut(3).enumerate() {
                    let c = k * FRAME_CHUNK + j;
                    if c == n {
                        d.copy_from_slice(&[offsets[n], 0, 0]);
                        continue;
                    }
                    let cat = cats.get(c).copied().unwrap_or(0) as u32;
                    let [r0, r1] = self.rest[c];
                    debug_assert_eq!(self.from[c], self.spells[offsets[c] as usize].start);
                    d.copy_from_slice(&[
                        offsets[c],
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
}
