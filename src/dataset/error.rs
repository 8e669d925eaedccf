//! Errors of the dataset indexes. Each message names the file, the line where it applies, and the problem.

use std::path::PathBuf;

/// Why a dataset folder or table could not be indexed at all. Problems with single records or rows are
/// not errors: they go to [`DatasetIndex::problems`](super::DatasetIndex::problems).
#[derive(Debug, thiserror::Error)]
pub enum DatasetError {
    /// The I/O error is part of the message, not a `source`, so a CLI prints it exactly once
    /// (the same rule as `wfdb::WfdbError`).
    #[error("{}: {error}", path.display())]
    Io {
        path: PathBuf,
        error: std::io::Error,
    },

    #[error("{}: not a folder", path.display())]
    NotAFolder { path: PathBuf },

    /// A single record's header could not be read (in a folder this is a problem, not an error).
    /// The reader's message already names the file and line.
    #[error(transparent)]
    Header(#[from] crate::wfdb::WfdbError),

    #[error("{}: missing file {name} (needed to index {dataset})", folder.display())]
    MissingFile {
        folder: PathBuf,
        name: &'static str,
        dataset: &'static str,
    },

    #[error("{}: no column '{column}' in the header row", path.display())]
    MissingColumn { path: PathBuf, column: &'static str },

    #[error("{}:{line}: {message}", path.display())]
    Csv {
        path: PathBuf,
        line: u64,
        message: String,
    },

    #[error("{}:{line}: column '{column}': {message}", path.display())]
    BadField {
        path: PathBuf,
        line: u64,
        column: &'static str,
        message: String,
    },
}

impl DatasetError {
    pub(crate) fn io(path: impl Into<PathBuf>, error: std::io::Error) -> Self {
        Self::Io {
            path: path.into(),
            error,
        }
    }

    /// Converts a csv crate error, keeping its line number when it has one.
    pub(crate) fn csv(path: impl Into<PathBuf>, error: &csv::Error) -> Self {
        let path = path.into();
        let line = error.position().map_or(0, csv::Position::line);
        match error.kind() {
            csv::ErrorKind::Io(io_error) => Self::Io {
                path,
                error: std::io::Error::new(io_error.kind(), io_error.to_string()),
            },
            _ => Self::Csv {
                path,
                line,
                message: csv_message(error),
            },
        }
    }
}

/// The csv crate's message without its own position prefix (the caller names file and line).
pub(crate) fn csv_message(error: &csv::Error) -> String {
    match error.kind() {
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => format!("{len} fields where the header row has {expected_len}"),
        csv::ErrorKind::Utf8 { err, .. } => {
            format!("field {} is not valid UTF-8", err.field() + 1)
        }
        _ => error.to_string(),
    }
}
