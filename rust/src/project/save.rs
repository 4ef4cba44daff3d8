//! A fitted model to bytes and back (little-endian, versioned; every length checked on read).
//! Version 4 adds the care bands, version 5 the cells by the age band the child is in (not
//! at the spell's start), version 6 the arrivals' trends. Version 5, 4 and 3 files still load
//! and project as they did: arrivals held at the fitted level, (4 and 3) by the age band at
//! the start, and (3) with one care band.

use super::{Arrival, Cell, Model, Open};
use crate::error::{CoreError, Result};

const MAGIC: &[u8; 8] = b"CVPROJ06";
/// The format before the arrivals' trends.
const MAGIC_V5: &[u8; 8] = b"CVPROJ05";
/// The format before the cells by the age band the child is in.
const MAGIC_V4: &[u8; 8] = b"CVPROJ04";
/// The format before care bands (no care edges, no run starts).
const MAGIC_V3: &[u8; 8] = b"CVPROJ03";

struct W(Vec<u8>);

impl W {
    fn u32(&mut self, x: u32) {
        self.0.extend(x.to_le_bytes());
    }
    fn u64(&mut self, x: u64) {
        self.0.extend(x.to_le_bytes());
    }
    fn i32(&mut self, x: i32) {
        self.0.extend(x.to_le_bytes());
    }
    fn f64(&mut self, x: f64) {
        self.0.extend(x.to_le_bytes());
    }
    fn str(&mut self, s: &str) {
        self.u32(s.len() as u32);
        self.0.extend(s.as_bytes());
    }
    fn u32s(&mut self, xs: &[u32]) {
        self.u32(xs.len() as u32);
        xs.iter().for_each(|&x| self.u32(x));
    }
    fn f64s(&mut self, xs: &[f64]) {
        self.u32(xs.len() as u32);
        xs.iter().for_each(|&x| self.f64(x));
    }
}

struct R<'a>(&'a [u8]);

fn bad(what: &str) -> CoreError {
    CoreError::config("model", format!("not a carevis projection model ({what})"))
}

impl R<'_> {
    fn take(&mut self, n: usize) -> Result<&[u8]> {
        if self.0.len() < n {
            return Err(bad("truncated"));
        }
        let (a, b) = self.0.split_at(n);
        self.0 = b;
        Ok(a)
    }
    fn u32(&mut self) -> Result<u32> {
        Ok(u32::from_le_bytes(
            self.take(4)?.try_into().map_err(|_| bad("u32"))?,
        ))
    }
    fn u64(&mut self) -> Result<u64> {
        Ok(u64::from_le_bytes(
            self.take(8)?.try_into().map_err(|_| bad("u64"))?,
        ))
    }
    fn i32(&mut self) -> Result<i32> {
        Ok(self.u32()? as i32)
    }
    fn i32s(&mut self) -> Result<Vec<i32>> {
        let n = self.len(4)?;
        (0..n).map(|_| self.i32()).collect()
    }
    fn f64(&mut self) -> Result<f64> {
        Ok(f64::from_bits(self.u64()?))
    }
    fn len(&mut self, each: usize) -> Result<usize> {
        let n = self.u32()? as usize;
        if n.saturating_mul(each) > self.0.len() {
            return Err(bad("a length past the end"));
        }
        Ok(n)
    }
    fn str(&mut self) -> Result<String> {
        let n = self.len(1)?;
        String::from_utf8(self.take(n)?.to_vec()).map_err(|_| bad("text"))
    }
    fn u32s(&mut self) -> Result<Vec<u32>> {
        let n = self.len(4)?;
        (0..n).map(|_| self.u32()).collect()
    }
    fn f64s(&mut self) -> Result<Vec<f64>> {
        let n = self.len(8)?;
        (0..n).map(|_| self.f64()).collect()
    }
}

/// The model as bytes.
pub fn to_bytes(m: &Model) -> Vec<u8> {
    encode(m, 6)
}

/// The model in format 4 (cells by the age band at the spell's start) or 5 (no arrivals'
/// trends), as carevis wrote it before.
#[cfg(test)]
pub(super) fn to_bytes_old(m: &Model, version: u8) -> Vec<u8> {
    encode(m, version)
}

fn encode(m: &Model, version: u8) -> Vec<u8> {
    let v5 = version >= 5;
    let magic = match version {
        6 => MAGIC,
        5 => MAGIC_V5,
        _ => MAGIC_V4,
    };
    let mut w = W(magic.to_vec());
    w.u32(m.states.len() as u32);
    m.states.iter().for_each(|s| w.str(s));
    w.u32(m.groups.len() as u32);
    m.groups.iter().for_each(|s| w.str(s));
    w.u32(u32::from(m.by_age));
    if v5 {
        w.u32(u32::from(m.age_now));
    }
    w.u32(m.care_edges.len() as u32);
    m.care_edges.iter().for_each(|&e| w.i32(e));
    w.i32(m.as_of_day);
    w.i32(m.window_days);
    w.u32(m.cells.len() as u32);
    for c in &m.cells {
        w.u32s(&c.times);
        w.f64s(&c.surv);
        w.u32s(&c.off);
        w.u32s(&c.to);
        w.f64s(&c.n);
        w.f64(c.tail_rate);
        w.u32s(&c.tail_to);
        w.f64s(&c.tail_n);
        w.u64(c.spells);
        w.u64(c.events);
    }
    w.u32s(&m.choice);
    w.u32(m.arrivals.len() as u32);
    for a in &m.arrivals {
        w.u32(u32::from(a.state) | u32::from(a.age) << 16);
        w.u32(u32::from(a.group));
        w.f64(a.per_year);
    }
    w.u32(m.season.len() as u32);
    m.season
        .iter()
        .for_each(|s| s.iter().for_each(|&x| w.f64(x)));
    w.u32s(&m.age_out);
    w.f64s(&m.trend);
    w.f64(m.trend_lead);
    w.f64(m.damping);
    if version >= 6 {
        w.f64s(&m.arrival_trend);
        w.f64(m.arrival_lead);
    }
    w.u32(m.open.len() as u32);
    for o in &m.open {
        w.u32(o.dot);
        w.u32(u32::from(o.state) | u32::from(o.group) << 16);
        w.i32(o.start_day);
        w.i32(o.birth_day);
        w.i32(o.run_start);
    }
    w.0
}

/// A model from [`to_bytes`]' bytes, checked so that simulating it cannot index out of range.
pub fn from_bytes(b: &[u8]) -> Result<Model> {
    let mut r = R(b);
    let (v3, v4, v5) = match r.take(8)? {
        h if h == MAGIC => (false, false, false),
        h if h == MAGIC_V5 => (false, false, true),
        h if h == MAGIC_V4 => (false, true, true),
        h if h == MAGIC_V3 => (true, true, true),
        h if h.starts_with(b"CVPROJ") => {
            return Err(bad(
                "a format this version of carevis does not read: refit the model with it",
            ))
        }
        _ => return Err(bad("wrong header")),
    };
    let mut m = Model::default();
    let n = r.len(4)?;
    m.states = (0..n).map(|_| r.str()).collect::<Result<_>>()?;
    let n = r.len(4)?;
    m.groups = (0..n).map(|_| r.str()).collect::<Result<_>>()?;
    m.by_age = r.u32()? != 0;
    // Version 4 and older: cells by the age band at the spell's start.
    m.age_now = !v4 && r.u32()? != 0;
    if !v3 {
        m.care_edges = r.i32s()?;
    }
    m.as_of_day = r.i32()?;
    m.window_days = r.i32()?;
    let n = r.len(8)?;
    for _ in 0..n {
        let c = Cell {
            times: r.u32s()?,
            surv: r.f64s()?,
            off: r.u32s()?,
            to: r.u32s()?,
            n: r.f64s()?,
            tail_rate: r.f64()?,
            tail_to: r.u32s()?,
            tail_n: r.f64s()?,
            spells: r.u64()?,
            events: r.u64()?,
        };
        m.cells.push(c);
    }
    m.choice = r.u32s()?;
    let n = r.len(16)?;
    for _ in 0..n {
        let (sa, g, per_year) = (r.u32()?, r.u32()?, r.f64()?);
        m.arrivals.push(Arrival {
            state: sa as u16,
            age: (sa >> 16) as u8,
            group: g as u16,
            per_year,
        });
    }
    let n = r.len(96)?;
    for _ in 0..n {
        let mut s = [0.0; 12];
        for x in s.iter_mut() {
            *x = r.f64()?;
        }
        m.season.push(s);
    }
    m.age_out = r.u32s()?;
    m.trend = r.f64s()?;
    m.trend_lead = r.f64()?;
    m.damping = r.f64()?;
    // Version 5 and older: arrivals held at the fitted level.
    if !v5 {
        m.arrival_trend = r.f64s()?;
        m.arrival_lead = r.f64()?;
    }
    let n = r.len(if v3 { 16 } else { 20 })?;
    for _ in 0..n {
        let (dot, sg, start_day, birth_day) = (r.u32()?, r.u32()?, r.i32()?, r.i32()?);
        // Version 3 has one care band: the run's start does not matter.
        let run_start = if v3 { start_day } else { r.i32()? };
        m.open.push(Open {
            dot,
            state: sg as u16,
            group: (sg >> 16) as u16,
            start_day,
            birth_day,
            run_start,
        });
    }
    if !r.0.is_empty() {
        return Err(bad("bytes after the end"));
    }
    check(&m)?;
    Ok(m)
}

fn check(m: &Model) -> Result<()> {
    let ns = m.states.len();
    let ng = m.n_groups();
    let state_ok = |t: u32| t == super::LEFT || (t as usize) < ns;
    for c in &m.cells {
        let k = c.times.len();
        let ok = c.surv.len() == k
            && c.off.len() == k + 1
            && c.off.first() == Some(&0)
            && c.off.windows(2).all(|w| w[0] < w[1])
            && c.off.last().is_some_and(|&x| x as usize == c.to.len())
            && c.n.len() == c.to.len()
            && c.to.iter().all(|&t| state_ok(t))
            && c.tail_to.len() == c.tail_n.len()
            && c.tail_to.iter().all(|&t| state_ok(t))
            && (c.tail_rate == 0.0 || (c.tail_rate > 0.0 && !c.tail_to.is_empty()))
            && c.n
                .iter()
                .chain(&c.tail_n)
                .all(|&x| x.is_finite() && x > 0.0)
            && c.surv.iter().all(|&x| (0.0..=1.0).contains(&x))
            && c.tail_rate.is_finite();
        if !ok {
            return Err(bad("an inconsistent cell"));
        }
    }
    if m.choice.len() != ns * ng * m.n_bands() * m.n_care()
        || m.care_edges.len() > super::fit::MAX_CARE_EDGES
        || m.care_edges.first().is_some_and(|&e| e < 1)
        || m.care_edges.windows(2).any(|w| w[0] >= w[1])
        || m.choice.iter().any(|&c| c as usize >= m.cells.len())
        || m.season.len() != ns
        || m.age_out.len() != ns
        || m.age_out
            .iter()
            .any(|&t| t != super::NO_AGE_OUT && !state_ok(t))
        || m.arrivals.iter().any(|a| {
            a.state as usize >= ns
                || a.group as usize >= ng
                || a.age >= 20
                || !(a.per_year.is_finite() && (0.0..=1e9).contains(&a.per_year))
        })
        || m.season
            .iter()
            .flatten()
            .any(|x| !(x.is_finite() && *x >= 0.0))
        || m.open
            .iter()
            .any(|o| o.state as usize >= ns || o.group as usize >= ng)
        || m.open.windows(2).any(|w| w[0].dot >= w[1].dot)
        || !(m.trend.is_empty() || m.trend.len() == ns * (ns + 1))
        || m.trend.iter().any(|b| !b.is_finite())
        || !m.trend_lead.is_finite()
        || !(0.0..=1.0).contains(&m.damping)
        || !(m.arrival_trend.is_empty() || m.arrival_trend.len() == ns * super::ARRIVAL_BANDS)
        || m.arrival_trend.iter().any(|b| !b.is_finite())
        || !m.arrival_lead.is_finite()
    {
        return Err(bad("indices out of range"));
    }
    Ok(())
}
