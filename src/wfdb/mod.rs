//! WFDB records: headers, every signal format, multi-segment records.
//!
//! What it is for: reading a record from disk into physical units, exactly as PhysioNet's WFDB
//! tools (and WFDB Python's `rdrecord`) do, fast enough to scan a 21,799-record dataset.
//! Also writes records (formats 16 and 212, [`write`]) for reconstructions a clinician keeps.
//! EDF and EDF+ files read into the same [`Record`] ([`edf`]).
//! What it is not for: annotations beyond what R-peak evaluation needs, writing EDF.

pub mod annotation;
pub mod csv_input;
pub mod edf;
mod flac;
pub mod format;
pub mod header;
pub mod record;
pub mod write;

use std::path::PathBuf;

pub use format::SignalFormat;
pub use header::{Header, SegmentSpec, SignalSpec};
pub use record::{Checksum, Record};

/// Why a record could not be read. Each message names the file and, for headers, the line.
#[derive(Debug, thiserror::Error)]
pub enum WfdbError {
    /// The I/O error is part of the message (not a `source`), so it is reported exactly once.
    #[error("{}: {error}", path.display())]
    Io {
        path: PathBuf,
        error: std::io::Error,
    },
    #[error("{}:{line}: {message}", path.display())]
    Header {
        path: PathBuf,
        line: usize,
        message: String,
    },
    #[error("{}: {message}", path.display())]
    Data { path: PathBuf, message: String },
}
