//! Precordial: a workbench for ECG lead reconstruction.
//!
//! The library holds all the logic; the binary (`src/main.rs`) is a thin command line over it.
//! One record flows through the modules in this order:
//!
//! - [`wfdb`]: reads WFDB records (every signal format, multi-segment records) into physical units.
//! - [`dataset`]: indexes whole datasets (PTB-XL, PhysioNet/CinC Challenge, LUDB, PTB, any WFDB folder)
//!   into one record model, with labels and patient-wise splits; signals load lazily.
//! - [`dsp`]: cleaning exactly as SciPy does it (filters, median baseline, polyphase resampling),
//!   windows and quality control, R-peaks, spectra.
//! - [`eval`]: the paper's metrics, k-NN class affinity, per-class errors, reports and figures.
//! - [`output`]: CSV and files written atomically, never overwriting unasked.
//! - `model`, `worker`, `app`: reconstruction models, background jobs and the workbench (added as
//!   they are built).

pub mod dataset;
pub mod dsp;
pub mod eval;
pub mod output;
pub mod wfdb;
