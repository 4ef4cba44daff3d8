//! Ingest of the statutory returns: the parts that run over every row.

pub mod csv;
pub mod dfe;
pub mod keys;
pub mod years;
