//! Scanning a CSV body: rows and fields, found 64 bytes at a time, quoted lines the
//! careful way.

use super::*;

pub(super) fn parse_body<'a>(
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
pub(super) fn specials64(p: &[u8]) -> u64 {
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
pub(super) fn specials64(p: &[u8]) -> u64 {
    specials64_scalar(p)
}

#[cfg_attr(target_arch = "x86_64", allow(dead_code))]
pub(super) fn specials64_scalar(p: &[u8]) -> u64 {
    p.iter().take(64).enumerate().fold(0u64, |m, (k, &b)| {
        m | (u64::from(matches!(b, b',' | b'\n' | b'"' | b'\r')) << k)
    })
}

/// A line with quotes: RFC 4180 fields (`""` inside quotes is one quote).
pub(super) fn quoted_line<'a>(
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
