//! Precordial: a workbench for ECG lead reconstruction.
//!
//! The library holds all the logic; the binary (`src/main.rs`) is a thin command line over it.
//! One record flows through the modules in this order:
//!
//! - [`wfdb`]: reads WFDB records (every signal format, multi-segment records) into physical units.
//! - [`dataset`]: indexes whole datasets (PTB-XL, PhysioNet/CinC Challenge, LUDB, PTB, any WFDB folder)
//!   into one record model, with labels and patient-wise splits; signals load lazily.
//! - [`worker`]: background jobs (crossbeam channels, progress, cancel) so the UI thread never blocks.
//! - [`app`]: the workbench window (eframe/egui), a thin shell over the modules above.
//! - `dsp`, `model`, `eval`: cleaning, reconstruction models, evaluation (added as they are built).

pub mod app;
pub mod dataset;
pub mod dsp;
pub mod wfdb;
pub mod worker;
