//! The core error type: every failure the core can report, with where it happened.

use thiserror::Error;

/// Which kind of Python exception an error becomes at the binding layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    Schema,
    Data,
    Config,
    Export,
}

/// An error from the carevis core. Messages name the column, row and value.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum CoreError {
    #[error("column '{column}' is missing (columns present: {present})")]
    MissingColumn { column: String, present: String },
    #[error("column '{column}' has type {found}; expected {expected}")]
    ColumnType {
        column: String,
        expected: String,
        found: String,
    },
    #[error("row {row}, column '{column}': {rule} (value: {value})")]
    BadValue {
        row: u64,
        column: String,
        value: String,
        rule: String,
    },
    #[error("invalid setting '{name}': {message}")]
    Config { name: String, message: String },
    #[error("{0}")]
    Export(String),
    #[error("too much data: {0}")]
    Capacity(String),
    #[error("column '{column}' (rows {rows}) is not valid Arrow data (a corrupt file or a faulty producer): {message}")]
    InvalidArrow {
        column: String,
        rows: String,
        message: String,
    },
    #[error("column '{column}' appears {count} times; every column needs a name of its own")]
    DuplicateColumn { column: String, count: usize },
}

impl CoreError {
    pub fn kind(&self) -> ErrorKind {
        match self {
            CoreError::MissingColumn { .. }
            | CoreError::ColumnType { .. }
            | CoreError::DuplicateColumn { .. } => ErrorKind::Schema,
            CoreError::BadValue { .. }
            | CoreError::Capacity(_)
            | CoreError::InvalidArrow { .. } => ErrorKind::Data,
            CoreError::Config { .. } => ErrorKind::Config,
            CoreError::Export(_) => ErrorKind::Export,
        }
    }

    pub fn config(name: &str, message: impl Into<String>) -> Self {
        CoreError::Config {
            name: name.to_string(),
            message: message.into(),
        }
    }
}

pub type Result<T> = std::result::Result<T, CoreError>;
