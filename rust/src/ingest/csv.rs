//! The fast path for return files: many CSV bodies that share one header, parsed in
//! parallel straight into dictionary-coded columns.
//!
//! Return files are large (millions of rows) but their columns hold few distinct values
//! (codes, dates, a child id per child), so each kept column comes back as a
//! `DictionaryArray<Int32>` of the raw field text: the rules that follow clean and look up
//! the dictionary, not every row.
//!
//! The reading matches pyarrow's CSV reader as ingest configures it (comma-separated,
//! double-quote quoting with `""` escapes, empty lines skipped, pyarrow's default null
//! spellings read as null, quoted or not). Anything this path does not handle exactly
//! (a row with the wrong number of fields, a lone carriage return, a quoted newline, a
//! stray quote, text that is not UTF-8) is returned as [`Trouble`] so the caller can read
//! those files the careful way, one by one, and report each bad row.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::Arc;

use arrow_array::types::Int32Type;
use arrow_array::{DictionaryArray, Int32Array, StringArray};
use arrow_buffer::{NullBuffer, OffsetBuffer, ScalarBuffer};
use rayon::prelude::*;
use rustc_hash::FxBuildHasher;

/// pyarrow's default null spellings (`pyarrow.csv.ConvertOptions().null_values`).
const NULLS: [&[u8]; 17] = [
    b"",
    b"#N/A",
    b"#N/A N/A",
    b"#NA",
    b"-1.#IND",
    b"-1.#QNAN",
    b"-NaN",
    b"-nan",
    b"1.#IND",
    b"1.#QNAN",
    b"N/A",
    b"NA",
    b"NULL",
    b"NaN",
    b"n/a",
    b"nan",
    b"null",
];

#[inline(always)]
fn is_null(v: &[u8]) -> bool {
    // By length first: dates, ids and most codes are settled by one compare.
    match v.len() {
        0 => true,
        2 => v == b"NA",
        3 | 4 | 6 | 7 | 8 => matches!(v[0], b'#' | b'-' | b'1' | b'N' | b'n') && NULLS.contains(&v),
        _ => false,
    }
}

/// Why a group of bodies was not parsed here: the first thing the fast path does not
/// handle, by body (file) index and 1-based line number within the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trouble {
    pub body: usize,
    pub line: i64,
    pub what: &'static str,
}

/// The parsed group: one dictionary column per kept column, the source line of every
/// row, and the number of rows of each body.
#[derive(Debug)]
pub struct ParsedCsv {
    pub columns: Vec<DictionaryArray<Int32Type>>,
    pub lines: Vec<i64>,
    pub counts: Vec<usize>,
}

type Dict<'a> = HashMap<Cow<'a, [u8]>, i32, FxBuildHasher>;

/// A value of at most 15 bytes as one integer key: its bytes, then its length in the top
/// byte (so "A" and "A\0" differ).
#[inline(always)]
fn short_key(v: &[u8]) -> Option<u128> {
    if v.len() > 15 {
        return None;
    }
    let mut b = [0u8; 16];
    b[..v.len()].copy_from_slice(v);
    b[15] = v.len() as u8;
    Some(u128::from_le_bytes(b))
}

/// `KEEP[n]`: the low `n` bytes of a u128 (n < 16).
const KEEP: [u128; 16] = {
    let mut t = [0u128; 16];
    let mut n = 1;
    while n < 16 {
        t[n] = (1u128 << (8 * n)) - 1;
        n += 1;
    }
    t
};

/// [`short_key`] of `body[a..b]` (`b - a <= 15`), read as one 16-byte load where the
/// body has 16 bytes from `a`.
#[inline(always)]
fn short_key_at(body: &[u8], a: usize, b: usize) -> u128 {
    let len = b - a;
    match body.get(a..a + 16) {
        Some(w) => {
            let mut x = [0u8; 16];
            x.copy_from_slice(w);
            // Zero the bytes past the value and put its length in the top byte.
            let v = u128::from_le_bytes(x) & KEEP[len];
            v | ((len as u128) << 120)
        }
        None => short_key(&body[a..b]).unwrap_or(0),
    }
}

/// An open-addressing map from short keys (never 0: the length byte of a non-empty
/// value is set) to codes, with linear probing: the one hot loop of the reader. Key and
/// code share a slot, so a look-up costs one cache miss, not two.
#[derive(Default)]
struct ShortMap {
    slots: Vec<Slot>,
    len: usize,
}

#[derive(Clone, Copy, Default)]
struct Slot {
    lo: u64,
    /// The key's high half; 0 = empty (a key's top byte is its non-zero length).
    hi: u64,
    code: i32,
}

impl ShortMap {
    /// A map that holds `n` keys without growing.
    fn with_capacity(n: usize) -> Self {
        ShortMap {
            slots: vec![Slot::default(); (2 * n + 2).next_power_of_two().max(64)],
            len: 0,
        }
    }

    #[inline(always)]
    fn slot(lo: u64, hi: u64, mask: usize) -> usize {
        // A folded multiply of the two halves (as in wyhash / foldhash): every key byte
        // reaches every bit, so ids that differ only in their last characters spread.
        let m = u128::from(lo ^ 0x243F_6A88_85A3_08D3) * u128::from(hi ^ 0x1319_8A2E_0370_7344);
        ((m as u64) ^ ((m >> 64) as u64)) as usize & mask
    }

    /// The code of `k`, inserting `code` if `k` is new.
    #[inline(always)]
    fn get_or_insert(&mut self, k: u128, code: i32) -> i32 {
        if 2 * (self.len + 1) > self.slots.len() {
            self.grow();
        }
        let (lo, hi) = (k as u64, (k >> 64) as u64);
        let mask = self.slots.len() - 1;
        let mut i = Self::slot(lo, hi, mask);
        loop {
            let s = &mut self.slots[i];
            if s.hi == 0 {
                *s = Slot { lo, hi, code };
                self.len += 1;
                return code;
            }
            if s.lo == lo && s.hi == hi {
                return s.code;
            }
            i = (i + 1) & mask;
        }
    }

    #[cold]
    fn grow(&mut self) {
        let cap = (self.slots.len() * 2).max(64);
        let old = std::mem::replace(&mut self.slots, vec![Slot::default(); cap]);
        let mask = cap - 1;
        for s in old.into_iter().filter(|s| s.hi != 0) {
            let mut i = Self::slot(s.lo, s.hi, mask);
            while self.slots[i].hi != 0 {
                i = (i + 1) & mask;
            }
            self.slots[i] = s;
        }
    }
}

/// One kept column of one chunk of bodies: codes into a local dictionary.
#[derive(Default)]
struct LocalCol<'a> {
    codes: Vec<i32>,
    /// Values of up to 15 bytes (nearly all: codes, dates, most ids), by packed key.
    short: ShortMap,
    long: Dict<'a>,
    values: Vec<Cow<'a, [u8]>>,
    /// The previous row's value and code: runs of one value (a child's rows, a code
    /// common in a file) skip the hash map.
    last: Option<(u128, i32)>,
}

impl<'a> LocalCol<'a> {
    /// Pushes the field `body[a..b]`.
    #[inline(always)]
    fn push_at(&mut self, body: &'a [u8], a: usize, b: usize) {
        let v = &body[a..b];
        if b - a > 15 {
            return self.push(Cow::Borrowed(v));
        }
        if is_null(v) {
            self.codes.push(-1);
            return;
        }
        let code = self.short_code(short_key_at(body, a, b), Cow::Borrowed(v));
        self.codes.push(code);
    }

    #[inline(always)]
    fn push(&mut self, v: Cow<'a, [u8]>) {
        if is_null(&v) {
            self.codes.push(-1);
            return;
        }
        let code = match short_key(&v) {
            Some(k) => self.short_code(k, v),
            None => match self.long.get(v.as_ref()) {
                Some(&c) => c,
                None => {
                    let c = self.values.len() as i32;
                    self.values.push(v.clone());
                    self.long.insert(v, c);
                    c
                }
            },
        };
        self.codes.push(code);
    }

    /// The code of the short value `v` (key `k`), added to the dictionary if new.
    #[inline(always)]
    fn short_code(&mut self, k: u128, v: Cow<'a, [u8]>) -> i32 {
        if let Some((lk, lc)) = self.last {
            if lk == k {
                return lc;
            }
        }
        let n = self.values.len() as i32;
        let c = self.short.get_or_insert(k, n);
        if c == n {
            self.values.push(v);
        }
        self.last = Some((k, c));
        c
    }
}

struct Chunk<'a> {
    cols: Vec<LocalCol<'a>>,
    lines: Vec<i64>,
    counts: Vec<usize>,
}

/// Parses `bodies` (the text after each file's header line; header = line 1, so the
/// first body line is line 2) of `ncols` fields per row, keeping the columns `keep`
/// (field positions, distinct, each < `ncols`), in that order.
pub fn parse_bodies(bodies: &[&[u8]], ncols: usize, keep: &[usize]) -> Result<ParsedCsv, Trouble> {
    parse_bodies_with(bodies, ncols, keep, &vec![true; keep.len()])
}

/// [`parse_bodies`], with `distinct[k]` false for a kept column whose dictionary may
/// repeat a value (once per chunk of bodies that saw it): the chunks' dictionaries are
/// then joined, not merged. For id columns with many values that are keyed by text
/// afterwards, this skips the one costly hash pass of the merge.
pub fn parse_bodies_with(
    bodies: &[&[u8]],
    ncols: usize,
    keep: &[usize],
    distinct: &[bool],
) -> Result<ParsedCsv, Trouble> {
    let mut slot = vec![usize::MAX; ncols];
    for (s, &c) in keep.iter().enumerate() {
        if c < ncols {
            slot[c] = s;
        }
    }
    // Chunks of whole bodies with roughly equal bytes, a few per thread.
    let total: usize = bodies.iter().map(|b| b.len()).sum();
    let want = (rayon::current_num_threads() * 4).max(1);
    let target = total.div_ceil(want).max(1);
    let mut bounds = vec![0usize];
    let mut acc = 0usize;
    for (i, b) in bodies.iter().enumerate() {
        acc += b.len();
        if acc >= target && i + 1 < bodies.len() {
            bounds.push(i + 1);
            acc = 0;
        }
    }
    bounds.push(bodies.len());
    let ranges: Vec<(usize, usize)> = bounds.windows(2).map(|w| (w[0], w[1])).collect();
    let chunks: Vec<Chunk<'_>> = ranges
        .par_iter()
        .map(|&(lo, hi)| {
            let mut ch = Chunk {
                cols: (0..keep.len()).map(|_| LocalCol::default()).collect(),
                lines: Vec::new(),
                counts: Vec::with_capacity(hi - lo),
            };
            for (i, body) in bodies[lo..hi].iter().enumerate() {
                let n = parse_body(body, lo + i, ncols, &slot, &mut ch)?;
                ch.counts.push(n);
            }
            Ok(ch)
        })
        .collect::<Result<_, Trouble>>()?;
    merge(chunks, distinct).map_err(|what| Trouble {
        body: 0,
        line: 0,
        what,
    })
}

fn parse_body<'a>(
    body: &'a [u8],
    body_idx: usize,
    ncols: usize,
    slot: &[usize],
    ch: &mut Chunk<'a>,
) -> Result<usize, Trouble> {
    let n = body.len();
    let cols = &mut ch.cols;
    let at = |line: i64, what: &'static str| Trouble {
        body: body_idx,
        line,
        what,
    };
    let mut rows = 0usize;
    let mut line_no: i64 = 2;
    // The row being read: where it starts, its field count so far, where its current
    // field starts.
    let mut row_start = 0usize;
    let mut c = 0usize;
    let mut fs = 0usize;
    let mut pos = 0usize;
    'blocks: while pos < n {
        let mut m = specials(&body[pos..]);
        while m != 0 {
            let e = pos + m.trailing_zeros() as usize;
            m &= m - 1;
            match body[e] {
                b',' => {
                    push_field(cols, slot, body, c, fs, e);
                    c += 1;
                    fs = e + 1;
                }
                b'\n' => {
                    if end_row(cols, slot, body, ncols, c, fs, e).map_err(|w| at(line_no, w))? {
                        ch.lines.push(line_no);
                        rows += 1;
                    }
                    line_no += 1;
                    c = 0;
                    row_start = e + 1;
                    fs = row_start;
                }
                b'\r' if body.get(e + 1) == Some(&b'\n') => {}
                _ => {
                    // A quote or a lone carriage return: read this line the careful way,
                    // then go on from the next one.
                    let eol = memchr::memchr(b'\n', &body[e..]).map_or(n, |k| e + k);
                    let mut line = &body[row_start..eol];
                    if let [rest @ .., b'\r'] = line {
                        line = rest;
                    }
                    // Fields of this row already pushed are pushed again by the careful
                    // reader: drop them first.
                    for (k, &s) in slot.iter().enumerate().take(c.min(ncols)) {
                        if s != usize::MAX {
                            debug_assert!(k < c);
                            cols[s].codes.pop();
                        }
                    }
                    if !line.is_empty() {
                        let got =
                            quoted_line(line, ncols, slot, cols).map_err(|w| at(line_no, w))?;
                        if got != ncols {
                            return Err(at(line_no, "wrong number of fields"));
                        }
                        ch.lines.push(line_no);
                        rows += 1;
                    }
                    line_no += 1;
                    c = 0;
                    row_start = eol + 1;
                    fs = row_start;
                    pos = row_start;
                    continue 'blocks;
                }
            }
        }
        pos += 64;
    }
    if fs < n || c > 0 {
        // A last line without a line break.
        if end_row(cols, slot, body, ncols, c, fs, n).map_err(|w| at(line_no, w))? {
            ch.lines.push(line_no);
            rows += 1;
        }
    }
    Ok(rows)
}

/// Ends the row whose last field starts at `fs` and whose line ends at `eol` (a line feed
/// or the body's end; a carriage return before it is dropped): pushes that field unless
/// the line is blank, and checks the field count. Whether a row was read.
#[inline(always)]
fn end_row<'a>(
    cols: &mut [LocalCol<'a>],
    slot: &[usize],
    body: &'a [u8],
    ncols: usize,
    c: usize,
    fs: usize,
    eol: usize,
) -> Result<bool, &'static str> {
    let end = if eol > fs && body[eol - 1] == b'\r' {
        eol - 1
    } else {
        eol
    };
    if c == 0 && end == fs {
        return Ok(false); // a blank line
    }
    push_field(cols, slot, body, c, fs, end);
    if c + 1 != ncols {
        return Err("wrong number of fields");
    }
    Ok(true)
}

/// Pushes field `c` of a row, `body[a..b]`, to its column if it is kept.
#[inline(always)]
fn push_field<'a>(
    cols: &mut [LocalCol<'a>],
    slot: &[usize],
    body: &'a [u8],
    c: usize,
    a: usize,
    b: usize,
) {
    if let Some(&s) = slot.get(c) {
        if let Some(col) = cols.get_mut(s) {
            col.push_at(body, a, b);
        }
    }
}

/// Bit k set where `p[k]` (k < 64) is a comma, line feed, quote or carriage return; bytes
/// past the end of `p` count as none.
#[inline(always)]
fn specials(p: &[u8]) -> u64 {
    if p.len() >= 64 {
        specials64(&p[..64])
    } else {
        let mut b = [0u8; 64];
        b[..p.len()].copy_from_slice(p);
        specials64(&b)
    }
}

#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn specials64(p: &[u8]) -> u64 {
    use std::arch::x86_64::{
        __m128i, _mm_cmpeq_epi8, _mm_loadu_si128, _mm_movemask_epi8, _mm_or_si128, _mm_set1_epi8,
    };
    assert!(p.len() >= 64);
    let mut m = 0u64;
    // SAFETY: SSE2 is part of the x86_64 baseline, so these intrinsics are always
    // available; each unaligned 16-byte load reads p[16k..16k + 16], within p (asserted).
    unsafe {
        let comma = _mm_set1_epi8(b',' as i8);
        let lf = _mm_set1_epi8(b'\n' as i8);
        let quote = _mm_set1_epi8(b'"' as i8);
        let cr = _mm_set1_epi8(b'\r' as i8);
        for k in 0..4 {
            let v = _mm_loadu_si128(p.as_ptr().add(16 * k).cast::<__m128i>());
            let e = _mm_or_si128(
                _mm_or_si128(_mm_cmpeq_epi8(v, comma), _mm_cmpeq_epi8(v, lf)),
                _mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, cr)),
            );
            m |= u64::from(_mm_movemask_epi8(e) as u16) << (16 * k);
        }
    }
    m
}

#[cfg(not(target_arch = "x86_64"))]
#[inline(always)]
fn specials64(p: &[u8]) -> u64 {
    specials64_scalar(p)
}

#[cfg_attr(target_arch = "x86_64", allow(dead_code))]
fn specials64_scalar(p: &[u8]) -> u64 {
    p.iter().take(64).enumerate().fold(0u64, |m, (k, &b)| {
        m | (u64::from(matches!(b, b',' | b'\n' | b'"' | b'\r')) << k)
    })
}

/// A line with quotes: RFC 4180 fields (`""` inside quotes is one quote).
fn quoted_line<'a>(
    line: &'a [u8],
    ncols: usize,
    slot: &[usize],
    cols: &mut [LocalCol<'a>],
) -> Result<usize, &'static str> {
    if memchr::memchr(b'\r', line).is_some() {
        return Err("carriage return inside a line");
    }
    let len = line.len();
    let mut c = 0usize;
    let mut i = 0usize;
    loop {
        let (value, next) = if i < len && line[i] == b'"' {
            let start = i + 1;
            let mut j = start;
            let mut owned: Option<Vec<u8>> = None;
            loop {
                let Some(q) = memchr::memchr(b'"', &line[j..]).map(|k| j + k) else {
                    return Err("unterminated quote (a quoted line break?)");
                };
                if line.get(q + 1) == Some(&b'"') {
                    owned
                        .get_or_insert_with(Vec::new)
                        .extend_from_slice(&line[j..=q]);
                    j = q + 2;
                } else {
                    let v = match owned {
                        Some(mut o) => {
                            o.extend_from_slice(&line[j..q]);
                            Cow::Owned(o)
                        }
                        None => Cow::Borrowed(&line[start..q]),
                    };
                    match line.get(q + 1) {
                        None => break (v, None),
                        Some(b',') => break (v, Some(q + 2)),
                        Some(_) => return Err("text after a closing quote"),
                    }
                }
            }
        } else {
            let end = memchr::memchr(b',', &line[i..]).map_or(len, |k| i + k);
            let v = &line[i..end];
            if memchr::memchr(b'"', v).is_some() {
                return Err("a quote inside an unquoted field");
            }
            (Cow::Borrowed(v), (end < len).then_some(end + 1))
        };
        if c < ncols && slot[c] != usize::MAX {
            cols[slot[c]].push(value);
        }
        c += 1;
        match next {
            Some(n) => i = n,
            None => return Ok(c),
        }
    }
}

/// Merges the chunks' local dictionaries into one per column (first-seen order, so the
/// result does not depend on how bodies were split into chunks) and remaps the codes.
fn merge(chunks: Vec<Chunk<'_>>, distinct: &[bool]) -> Result<ParsedCsv, &'static str> {
    let rows: usize = chunks.iter().map(|c| c.lines.len()).sum();
    let mut lines = Vec::with_capacity(rows);
    let mut counts = Vec::new();
    for ch in &chunks {
        lines.extend_from_slice(&ch.lines);
        counts.extend_from_slice(&ch.counts);
    }
    let columns = (0..distinct.len())
        .into_par_iter()
        .map(|k| {
            if !distinct[k] {
                return joined(&chunks, k, rows);
            }
            let mut short =
                ShortMap::with_capacity(chunks.iter().map(|c| c.cols[k].values.len()).sum());
            let mut long: Dict<'_> = HashMap::default();
            let mut values: Vec<&[u8]> = Vec::new();
            let remaps: Vec<Vec<i32>> = chunks
                .iter()
                .map(|ch| {
                    ch.cols[k]
                        .values
                        .iter()
                        .map(|v| {
                            let n = values.len() as i32;
                            let c = match short_key(v) {
                                Some(key) => short.get_or_insert(key, n),
                                None => *long.entry(Cow::Borrowed(v.as_ref())).or_insert(n),
                            };
                            if c == n {
                                values.push(v.as_ref());
                            }
                            c
                        })
                        .collect()
                })
                .collect();
            let mut codes = Vec::with_capacity(rows);
            for (ch, remap) in chunks.iter().zip(&remaps) {
                codes.extend(ch.cols[k].codes.iter().map(|&c| {
                    if c < 0 {
                        -1
                    } else {
                        remap[c as usize]
                    }
                }));
            }
            dictionary(codes, &values)
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(ParsedCsv {
        columns,
        lines,
        counts,
    })
}

/// Column `k` with the chunks' dictionaries one after another (values may repeat).
fn joined(
    chunks: &[Chunk<'_>],
    k: usize,
    rows: usize,
) -> Result<DictionaryArray<Int32Type>, &'static str> {
    let mut values: Vec<&[u8]> = Vec::new();
    let mut codes = Vec::with_capacity(rows);
    for ch in chunks {
        let base = values.len() as i32;
        let col = &ch.cols[k];
        values.extend(col.values.iter().map(|v| v.as_ref()));
        codes.extend(col.codes.iter().map(|&c| if c < 0 { -1 } else { c + base }));
    }
    dictionary(codes, &values)
}

fn dictionary(
    codes: Vec<i32>,
    values: &[&[u8]],
) -> Result<DictionaryArray<Int32Type>, &'static str> {
    let bytes: usize = values.iter().map(|v| v.len()).sum();
    if bytes > i32::MAX as usize {
        return Err("column text over 2 GiB");
    }
    let mut data = Vec::with_capacity(bytes);
    let mut offsets = Vec::with_capacity(values.len() + 1);
    offsets.push(0i32);
    for v in values {
        if std::str::from_utf8(v).is_err() {
            return Err("text that is not UTF-8");
        }
        data.extend_from_slice(v);
        offsets.push(data.len() as i32);
    }
    let dict = StringArray::try_new(
        OffsetBuffer::new(ScalarBuffer::from(offsets)),
        data.into(),
        None,
    )
    .map_err(|_| "text that is not UTF-8")?;
    let nulls = codes
        .iter()
        .any(|&c| c < 0)
        .then(|| NullBuffer::from_iter(codes.iter().map(|&c| c >= 0)));
    let keys = Int32Array::new(
        ScalarBuffer::from(codes.into_iter().map(|c| c.max(0)).collect::<Vec<_>>()),
        nulls,
    );
    debug_assert!(keys
        .values()
        .iter()
        .all(|&k| (k as usize) < values.len().max(1)));
    // SAFETY: every key is a code handed out for an entry of `values` (0 for nulls,
    // which the null buffer masks), so all keys index the dictionary.
    Ok(unsafe { DictionaryArray::new_unchecked(keys, Arc::new(dict)) })
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_array::Array;

    fn texts(col: &DictionaryArray<Int32Type>) -> Vec<Option<String>> {
        let d = col
            .values()
            .as_any()
            .downcast_ref::<StringArray>()
            .expect("string dictionary");
        (0..col.len())
            .map(|i| {
                col.is_valid(i)
                    .then(|| d.value(col.keys().value(i) as usize).to_string())
            })
            .collect()
    }

    fn s(v: &str) -> Option<String> {
        Some(v.to_string())
    }

    #[test]
    fn reads_fields_nulls_quotes_and_line_numbers() {
        let a = b"1,x,01/04/2020\r\n2,,NA\n\n3,\"a,\"\"b\"\"\",\"\"\n";
        let b = b"4,x, 02/04/2020 \n5,\"y\",null";
        let p = parse_bodies(&[a, b], 3, &[0, 1, 2]).expect("parses");
        assert_eq!(p.counts, vec![3, 2]);
        assert_eq!(p.lines, vec![2, 3, 5, 2, 3]);
        assert_eq!(
            texts(&p.columns[0]),
            vec![s("1"), s("2"), s("3"), s("4"), s("5")]
        );
        assert_eq!(
            texts(&p.columns[1]),
            vec![s("x"), None, s("a,\"b\""), s("x"), s("y")]
        );
        assert_eq!(
            texts(&p.columns[2]),
            vec![s("01/04/2020"), None, None, s(" 02/04/2020 "), None]
        );
        // Equal text, equal code; dictionary in first-seen order.
        let k = p.columns[1].keys();
        assert_eq!(k.value(0), k.value(3));
        assert_eq!(p.columns[1].values().len(), 3);
    }

    #[test]
    fn keeps_only_asked_columns_in_the_asked_order() {
        let a = b"a,b,c\nd,e,f\n";
        let p = parse_bodies(&[a], 3, &[2, 0]).expect("parses");
        assert_eq!(texts(&p.columns[0]), vec![s("c"), s("f")]);
        assert_eq!(texts(&p.columns[1]), vec![s("a"), s("d")]);
    }

    #[test]
    fn hands_back_what_it_does_not_handle() {
        let cases: [(&[u8], &str); 6] = [
            (b"1,2\n1,2,3\n", "wrong number of fields"),
            (b"1,2,3\n1,2\n", "wrong number of fields"),
            (
                b"1,\"2\n3\",4\n",
                "unterminated quote (a quoted line break?)",
            ),
            (b"1,2\r3,4\n", "carriage return inside a line"),
            (b"1,a\"b,3\n", "a quote inside an unquoted field"),
            (b"1,\"a\"b,3\n", "text after a closing quote"),
        ];
        for (body, what) in cases {
            let e = parse_bodies(&[b"1,2,3\n", body], 3, &[0, 1, 2]).expect_err("trouble");
            assert_eq!(e.body, 1, "{what}");
            assert_eq!(e.what, what);
        }
        let e = parse_bodies(&[b"1,2\n1,2,3\n"], 2, &[0]).expect_err("trouble");
        assert_eq!((e.body, e.line), (0, 3));
        let bad: &[u8] = b"1,\xff\xfe,3\n";
        assert!(parse_bodies(&[bad], 3, &[1]).is_err());
    }

    #[test]
    fn same_result_whatever_the_chunking() {
        let mut bodies: Vec<Vec<u8>> = Vec::new();
        let mut h = 3u64;
        for f in 0..40 {
            let mut b = Vec::new();
            for r in 0..(f * 7 % 50) {
                h = crate::columns::mix64(h);
                b.extend_from_slice(format!("c{},{},{}\n", h % 97, r % 5, f).as_bytes());
            }
            bodies.push(b);
        }
        let refs: Vec<&[u8]> = bodies.iter().map(|b| b.as_slice()).collect();
        let all = parse_bodies(&refs, 3, &[0, 1, 2]).expect("parses");
        // Sequentially, one body at a time, the first-seen dictionary order is the same.
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .expect("pool");
        let one = pool.install(|| parse_bodies(&refs, 3, &[0, 1, 2]).expect("parses"));
        for (a, b) in all.columns.iter().zip(&one.columns) {
            assert_eq!(a, b);
        }
        assert_eq!(all.lines, one.lines);
        assert_eq!(all.counts, one.counts);
    }

    /// The plain definition: lines split at line feeds, a trailing carriage return
    /// dropped, blank lines skipped, every line read by the careful reader.
    /// Per row, each field's text (None = null).
    type Fields = Vec<Vec<Option<Vec<u8>>>>;

    fn reference(body: &[u8], ncols: usize) -> Option<(Fields, Vec<i64>)> {
        let slot: Vec<usize> = (0..ncols).collect();
        let mut rows = Vec::new();
        let mut lines = Vec::new();
        for (k, mut line) in body.split(|&b| b == b'\n').enumerate() {
            if let [rest @ .., b'\r'] = line {
                line = rest;
            }
            if line.is_empty() {
                continue;
            }
            let mut cols: Vec<LocalCol<'_>> = (0..ncols).map(|_| LocalCol::default()).collect();
            if quoted_line(line, ncols, &slot, &mut cols).ok()? != ncols {
                return None;
            }
            rows.push(
                cols.iter()
                    .map(|c| (c.codes[0] >= 0).then(|| c.values[c.codes[0] as usize].to_vec()))
                    .collect(),
            );
            lines.push(k as i64 + 2);
        }
        Some((rows, lines))
    }

    #[test]
    fn block_scanner_matches_the_line_by_line_definition() {
        let pieces: [&[u8]; 12] = [
            b"a",
            b"bb",
            b"",
            b"NA",
            b"\"q,\"",
            b"\"x\"\"y\"",
            b"01/04/2020",
            b" s ",
            b"\r",
            b"\"",
            b"a\"b",
            b"0123456789abcdefghij",
        ];
        let mut h = 11u64;
        let mut checked = 0;
        for _ in 0..3000 {
            let mut body = Vec::new();
            h = crate::columns::mix64(h);
            let nrows = (h % 12) as usize;
            for _ in 0..nrows {
                h = crate::columns::mix64(h);
                let blank = h % 9 == 0;
                if !blank {
                    // Mostly 3 fields, now and then another count.
                    let nf = if h % 13 == 0 {
                        2 + (h >> 8) as usize % 3
                    } else {
                        3
                    };
                    for f in 0..nf {
                        h = crate::columns::mix64(h);
                        // Special pieces rarely, so many bodies parse.
                        let k = if h % 5 == 0 {
                            (h >> 5) as usize % 12
                        } else {
                            (h >> 5) as usize % 4
                        };
                        body.extend_from_slice(pieces[if k == 2 && f == 0 { 0 } else { k }]);
                        if f + 1 < nf {
                            body.push(b',');
                        }
                    }
                }
                body.extend_from_slice(if h % 3 == 0 { b"\r\n" } else { b"\n" });
            }
            if h % 4 == 0 {
                body.pop(); // no final line break
            }
            let want = reference(&body, 3);
            let got = parse_bodies(&[&body], 3, &[0, 1, 2]);
            match (want, got) {
                (None, Err(_)) => {}
                (Some((rows, lines)), Ok(p)) => {
                    checked += 1;
                    assert_eq!(p.lines, lines, "{:?}", String::from_utf8_lossy(&body));
                    for (c, col) in p.columns.iter().enumerate() {
                        let got: Vec<Option<Vec<u8>>> = texts(col)
                            .into_iter()
                            .map(|v| v.map(String::into_bytes))
                            .collect();
                        let want: Vec<Option<Vec<u8>>> =
                            rows.iter().map(|r| r[c].clone()).collect();
                        assert_eq!(got, want, "{:?}", String::from_utf8_lossy(&body));
                    }
                }
                (w, g) => panic!(
                    "{:?}: reference {:?}, scanner {:?}",
                    String::from_utf8_lossy(&body),
                    w.is_some(),
                    g.map(|_| ())
                ),
            }
        }
        assert!(checked > 500, "only {checked} bodies parsed");
    }

    #[test]
    fn simd_and_scalar_masks_agree() {
        let mut h = 5u64;
        for _ in 0..200 {
            let mut b = [0u8; 64];
            for x in b.iter_mut() {
                h = crate::columns::mix64(h);
                *x = b",\n\"\rab0"[(h % 7) as usize];
            }
            assert_eq!(specials64(&b), specials64_scalar(&b));
        }
    }

    #[test]
    fn joined_dictionaries_read_the_same_text() {
        let bodies: Vec<Vec<u8>> = (0..30)
            .map(|f| format!("c{},x\nc{},y\n", f % 4, (f + 1) % 4).into_bytes())
            .collect();
        let refs: Vec<&[u8]> = bodies.iter().map(|b| b.as_slice()).collect();
        let merged = parse_bodies(&refs, 2, &[0, 1]).expect("parses");
        let joined = parse_bodies_with(&refs, 2, &[0, 1], &[false, true]).expect("parses");
        assert_eq!(texts(&merged.columns[0]), texts(&joined.columns[0]));
        assert_eq!(merged.columns[1], joined.columns[1]);
        assert_eq!(merged.columns[0].values().len(), 4);
        assert!(joined.columns[0].values().len() >= 4);
    }
}
