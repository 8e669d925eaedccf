//! The reconstruction metrics and the least-squares baseline, below every layer that reports them:
//! the model card (`model`), the evaluation (`eval`) and the workbench panels all compute their
//! numbers here, so the same predictions give the same figures everywhere. The k-NN class affinity
//! and the statistics it needs live here too, so training can select an encoder on it.
//!
//! Not for: running models or reading data; callers bring truths and predictions.

pub mod accumulator;
pub mod affinity;
pub mod least_squares;
pub mod stats;
pub mod windows;

pub use accumulator::{
    LeadMetrics, MetricsAccumulator, delta_percent, lead_metrics, mean_std, nan_mean, pearson,
    record_metrics,
};
pub use least_squares::{
    LeastSquaresError, LinearLead, LinearLeadFit, fit_windows, predict_windows,
};
pub use windows::{SplitMetrics, evaluate_windows};
