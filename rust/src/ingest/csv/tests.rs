//! The fast CSV path's tests: fields, nulls, quotes, chunking, the block scanner.

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
                    let want: Vec<Option<Vec<u8>>> = rows.iter().map(|r| r[c].clone()).collect();
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
