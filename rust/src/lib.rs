//! carevis core: children's journeys through social care as animated dots.
//!
//! Data flows one way: Arrow columns ([`columns`]) -> the per-child [`index`] -> a
//! [`scene`] (layout and colour) -> a frame (x, y, rgba, state per dot). Nothing here knows
//! about Python; the bindings live in `python` behind the `python` feature.

pub mod arrow_check;
pub mod colour;
pub mod columns;
pub mod error;
pub mod index;
pub mod ingest;
pub mod mem;
pub mod occupancy;
pub mod project;
pub mod raster;
pub mod scene;
pub mod stats;
pub mod synth;
pub mod synth_table;
pub mod table;
pub mod time;

#[cfg(feature = "python")]
mod python;

pub use error::{CoreError, Result};
