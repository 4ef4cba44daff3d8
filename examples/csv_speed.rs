//! Times the CSV fast path over a folder of return files (the episodes tables).
//! Usage: cargo run --release --example csv_speed -- DIR
use std::time::Instant;

fn main() {
    let dir = std::env::args().nth(1).expect("DIR");
    let mut files = Vec::new();
    for la in std::fs::read_dir(&dir).expect("dir") {
        for f in std::fs::read_dir(la.expect("entry").path()).expect("dir") {
            let p = f.expect("entry").path();
            if p.to_string_lossy().ends_with("episodes.csv") {
                files.push(std::fs::read(&p).expect("read"));
            }
        }
    }
    let bodies: Vec<&[u8]> = files
        .iter()
        .map(|d| {
            &d[d.iter()
                .position(|&b| b == b'\n')
                .map_or(d.len(), |i| i + 1)..]
        })
        .collect();
    let reps: usize = std::env::args()
        .nth(2)
        .map_or(5, |s| s.parse().expect("reps"));
    for _ in 0..reps {
        let t = Instant::now();
        let p = carevis::ingest::csv::parse_bodies(&bodies, 13, &[0, 1, 2, 3, 4, 5, 6, 7, 8])
            .expect("parses");
        println!(
            "{} rows in {:.1} ms",
            p.lines.len(),
            t.elapsed().as_secs_f64() * 1e3
        );
    }
}
