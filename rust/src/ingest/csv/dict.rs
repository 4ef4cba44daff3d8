//! The columns' dictionaries: short values keyed as one integer, each chunk's local
//! dictionary, and the merge of the chunks' into one Arrow dictionary per column.

use super::*;

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
pub(super) struct LocalCol<'a> {
    pub(super) codes: Vec<i32>,
    /// Values of up to 15 bytes (nearly all: codes, dates, most ids), by packed key.
    short: ShortMap,
    long: Dict<'a>,
    pub(super) values: Vec<Cow<'a, [u8]>>,
    /// The previous row's value and code: runs of one value (a child's rows, a code
    /// common in a file) skip the hash map.
    last: Option<(u128, i32)>,
}

impl<'a> LocalCol<'a> {
    /// An empty column with room for `rows` codes.
    pub(super) fn with_rows(rows: usize) -> Self {
        LocalCol {
            codes: Vec::with_capacity(rows),
            ..LocalCol::default()
        }
    }

    /// Pushes the field `body[a..b]`.
    #[inline(always)]
    pub(super) fn push_at(&mut self, body: &'a [u8], a: usize, b: usize) {
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
    pub(super) fn push(&mut self, v: Cow<'a, [u8]>) {
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

/// Merges the chunks' local dictionaries into one per column (first-seen order, so the
/// result does not depend on how bodies were split into chunks) and remaps the codes.
pub(super) fn merge(chunks: Vec<Chunk<'_>>, distinct: &[bool]) -> Result<ParsedCsv, &'static str> {
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
pub(super) fn joined(
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

pub(super) fn dictionary(
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
