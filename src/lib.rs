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
//! - [`physics`]: Φ = A(s)·v(t): the Dower and Kors lead fields, anatomy as parameters, the
//!   vectorcardiogram, the dipole baseline and the search that shows reconstruction is ill-posed.
//! - [`metrics`]: the paper's metrics and the least-squares baseline, one implementation for the
//!   model card, the evaluation and the workbench.
//! - [`prep`]: records → cleaned 100 Hz leads → windows → quality control → patient-wise splits.
//! - [`model`]: the encoder and decoders (burn), their training, model cards and inference.
//! - [`eval`]: k-NN class affinity, per-class errors, uncertainty, reports and figures.
//! - [`printout`]: the reconstructed 12-lead on ECG paper, as vector PDF and PNG.
//! - [`output`]: CSV and files written atomically, never overwriting unasked.
//! - [`progress`]: how long work reports progress and is stopped, for the CLI and the worker alike.
//! - [`worker`]: background jobs (crossbeam channels, progress, cancel) so the UI thread never blocks.
//! - [`app`]: the workbench window (eframe/egui), a thin shell over the modules above.
//! - [`rng`]: the seeded generator behind training's randomness and evaluation's resampling.

pub mod app;
pub mod dataset;
pub mod dsp;
pub mod eval;
pub mod metrics;
pub mod model;
pub mod output;
pub mod physics;
pub mod prep;
pub mod printout;
pub mod progress;
pub mod rng;
pub mod wfdb;
pub mod worker;
