//! Precordial: a workbench for ECG lead reconstruction.
//!
//! The library holds all the logic; the binary (`src/main.rs`) is a thin command line over it.
//! One record flows through the modules in this order:
//!
//! - [`wfdb`]: reads WFDB records (every signal format, multi-segment records) into physical units.
//! - [`dataset`]: indexes whole datasets (PTB-XL, PhysioNet/CinC Challenge, LUDB, PTB, any WFDB folder)
//!   into one record model, with labels and patient-wise splits; signals load lazily.
//! - `dsp`, `model`, `eval`, `worker`, `app`: cleaning, reconstruction models, evaluation, background
//!   jobs and the workbench (added as they are built).

pub mod dataset;
pub mod dsp;
pub mod eval;
pub mod output;
pub mod wfdb;
