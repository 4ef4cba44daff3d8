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
//!
//! [`scan`] reads a body into per-chunk columns; [`dict`] holds the columns' dictionaries
//! and merges the chunks' into one.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::Arc;

use arrow_array::types::Int32Type;
use arrow_array::{DictionaryArray, Int32Array, StringArray};
use arrow_buffer::{NullBuffer, OffsetBuffer, ScalarBuffer};
use rayon::prelude::*;
use rustc_hash::FxBuildHasher;

mod dict;
mod scan;
#[cfg(test)]
mod tests;

use dict::*;
use scan::*;

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

/// About how many rows `bodies` hold (a little over, from the line length of the
/// first 4 KiB), never more than a row of `ncols` empty fields per `ncols` bytes could
/// give: only a capacity, so a poor guess costs time, never correctness.
fn estimate_rows(bodies: &[&[u8]], ncols: usize) -> usize {
    let bytes: usize = bodies.iter().map(|b| b.len()).sum();
    let cap = bytes / ncols.max(1) + 1;
    let Some(first) = bodies.iter().find(|b| !b.is_empty()) else {
        return 0;
    };
    let head = &first[..first.len().min(4096)];
    let lines = memchr::memchr_iter(b'\n', head).count().max(1);
    (bytes / (head.len() / lines).max(1) + bytes / (8 * (head.len() / lines).max(1)) + 16).min(cap)
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
            // Room for every row up front: growing the code vectors row by row copies
            // them again and again.
            let rows = estimate_rows(&bodies[lo..hi], ncols);
            let mut ch = Chunk {
                cols: (0..keep.len()).map(|_| LocalCol::with_rows(rows)).collect(),
                lines: Vec::with_capacity(rows),
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
