//! Signal conditioning: the cleaning, resampling, windowing, R-peak detection and spectra that the
//! method (METHOD.md) relies on, written to reproduce SciPy's reference numbers exactly.
//!
//! Everything here is a pure function on `&[f64]` that returns a [`DspError`] instead of panicking.
//! It knows nothing of files, datasets or models: callers hand it samples and a sampling rate.

pub mod bench;
pub mod clean;
pub mod filter;
pub mod medfilt;
pub mod resample;
pub mod rpeaks;
pub mod segment;
pub mod spectrum;

mod complex;
mod linalg;

/// Everything that can go wrong in signal conditioning; each message is one line a user can act on.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DspError {
    /// A filter could not be designed from the given parameters.
    #[error("invalid filter design: {0}")]
    FilterDesign(String),
    /// A signal is too short for the requested operation.
    #[error("signal of {len} samples is too short: {what} needs more than {needed} samples")]
    TooShort {
        len: usize,
        needed: usize,
        what: &'static str,
    },
    /// A parameter is out of its valid range.
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
    /// A cleaning or quality-control configuration value is out of range.
    #[error("invalid config: {0}")]
    InvalidConfig(String),
    /// Leads passed together have different lengths.
    #[error("leads have different lengths ({first} and {other} samples)")]
    LengthMismatch { first: usize, other: usize },
}
