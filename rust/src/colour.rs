//! Colour: what a dot's colour means (a per-dot value) and the colour maps that turn it
//! into RGBA.

/// What a dot's colour shows.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ColourBy {
    /// Days since the child's first spell began, mapped over `[lo, hi]` days.
    TimeInCare { lo: f32, hi: f32 },
    /// Days since the current (latest begun) spell began.
    TimeInState { lo: f32, hi: f32 },
    /// Number of times the child has come into the system (periods begun), `[lo, hi]`.
    Entries { lo: f32, hi: f32 },
    /// A per-dot category code indexing the palette.
    Category,
}

/// Key colours of matplotlib's viridis at nine even stops (perceptually uniform).
const VIRIDIS: [[u8; 3]; 9] = [
    [68, 1, 84],
    [71, 44, 122],
    [59, 82, 139],
    [44, 113, 142],
    [33, 145, 140],
    [39, 173, 129],
    [92, 200, 99],
    [170, 220, 50],
    [253, 231, 37],
];

/// Key colours of cividis (perceptually uniform, colour-vision-deficiency friendly).
const CIVIDIS: [[u8; 3]; 9] = [
    [0, 34, 78],
    [35, 55, 107],
    [75, 78, 108],
    [104, 102, 112],
    [128, 126, 120],
    [155, 151, 118],
    [186, 177, 105],
    [219, 206, 83],
    [254, 232, 56],
];

/// White for a first time shading to deep red, as the 2018 prototype showed repeat involvement.
const REDS: [[u8; 3]; 5] = [
    [255, 245, 240],
    [252, 187, 161],
    [251, 106, 74],
    [203, 24, 29],
    [103, 0, 13],
];

/// Okabe-Ito's colour-blind-safe qualitative palette, then more distinct hues.
pub const CATEGORICAL: [[u8; 3]; 12] = [
    [230, 159, 0],
    [86, 180, 233],
    [0, 158, 115],
    [240, 228, 66],
    [0, 114, 178],
    [213, 94, 0],
    [204, 121, 167],
    [120, 120, 120],
    [153, 102, 51],
    [0, 0, 0],
    [170, 68, 153],
    [68, 170, 153],
];

/// Names of the built-in continuous colour maps.
pub const MAPS: [&str; 3] = ["viridis", "cividis", "reds"];

/// A 256-entry lookup table by linear interpolation of key colours.
fn lut_from_stops(stops: &[[u8; 3]]) -> Vec<[u8; 4]> {
    let n = stops.len() - 1;
    (0..256)
        .map(|i| {
            let u = i as f32 / 255.0 * n as f32;
            let k = (u.floor() as usize).min(n - 1);
            let f = u - k as f32;
            let mut c = [0u8; 4];
            for ch in 0..3 {
                let a = stops[k][ch] as f32;
                let b = stops[k + 1][ch] as f32;
                c[ch] = (a + (b - a) * f).round().clamp(0.0, 255.0) as u8;
            }
            c[3] = 255;
            c
        })
        .collect()
}

/// The 256-colour table of a named continuous map.
pub fn colour_map(name: &str) -> Option<Vec<[u8; 4]>> {
    match name {
        "viridis" => Some(lut_from_stops(&VIRIDIS)),
        "cividis" => Some(lut_from_stops(&CIVIDIS)),
        "reds" => Some(lut_from_stops(&REDS)),
        _ => None,
    }
}

/// A palette of `n` distinct colours for categories (repeats past 12).
pub fn palette(n: usize) -> Vec<[u8; 4]> {
    (0..n.max(1))
        .map(|i| {
            let c = CATEGORICAL[i % CATEGORICAL.len()];
            [c[0], c[1], c[2], 255]
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_have_their_ends() {
        let v = colour_map("viridis").unwrap();
        assert_eq!(v.len(), 256);
        assert_eq!(v[0], [68, 1, 84, 255]);
        assert_eq!(v[255], [253, 231, 37, 255]);
        assert!(colour_map("nope").is_none());
        // Lightness rises monotonically along viridis (a crude luma check).
        let luma: Vec<f32> = v
            .iter()
            .map(|c| 0.3 * c[0] as f32 + 0.59 * c[1] as f32 + 0.11 * c[2] as f32)
            .collect();
        assert!(luma.windows(2).all(|w| w[1] >= w[0] - 0.5));
        assert_eq!(palette(14)[12], palette(14)[0]);
    }
}
