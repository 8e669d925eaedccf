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
//! - [`worker`]: background jobs (crossbeam channels, progress, cancel) so the UI thread never blocks.
//! - [`app`]: the workbench window (eframe/egui), a thin shell over the modules above.
//! - `model`: reconstruction models (added when built).

pub mod app;
pub mod dataset;
pub mod dsp;
pub mod eval;
pub mod model;
pub mod output;
pub mod wfdb;
pub mod worker;
