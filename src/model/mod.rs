//! Reconstruction models: the supervised-contrastive encoder f_φ, the decoders C (x̂ only) and C-h
//! (x̂ and the pathology embedding ĥ), their losses, training, saving with a model card, and the
//! [`Reconstructor`] the workbench and the command line call.
//!
//! The method is `shared/METHOD.md` (Youssef & Singla 2026). Everything runs on 100 Hz windows of
//! 256 samples: inputs are leads I, II, V2 (z-scored per lead per window), targets V1, V3–V6 in mV.
//!
//! Not for: reading records (that is [`wfdb`](crate::wfdb)), indexing datasets
//! ([`dataset`](crate::dataset)) or signal cleaning (`dsp`); this module only calls them.

pub mod ablation;
pub mod backend;
pub mod card;
pub mod decoder;
pub mod encoder;
pub mod inference;
pub mod layers;
pub mod loss;
pub mod pipeline;
pub mod train;
pub mod twelve_lead;

mod error;

pub use backend::{DeviceChoice, SelectedDevice};
pub use error::ModelError;
pub use inference::{ModelVariant, Reconstructor};

pub use crate::prep::{INPUT_LEADS, TARGET_LEADS, WINDOW};
/// Sampling rate every model works at.
pub const FS_HZ: f64 = 100.0;
/// Size of the embedding h.
pub const EMBEDDING_DIM: usize = 128;

/// The model card's metrics of predictions [n, 5, 256] against targets [n, 5, 256] (mV).
pub fn split_metrics(prediction: &[f32], target: &[f32]) -> crate::metrics::SplitMetrics {
    crate::metrics::evaluate_windows(prediction, target, &TARGET_LEADS, WINDOW)
}

/// The least-squares baseline fitted on a split's windows, one per target lead.
pub fn fit_least_squares(
    set: &crate::prep::WindowSet,
) -> Result<Vec<crate::metrics::LinearLead>, ModelError> {
    crate::metrics::fit_windows(&set.x, &set.y, TARGET_LEADS.len(), WINDOW)
        .map_err(|e| ModelError::Data(e.to_string()))
}

/// Predictions [n, 5, 256] of a fitted baseline for a split's inputs.
pub fn predict_least_squares(
    leads: &[crate::metrics::LinearLead],
    set: &crate::prep::WindowSet,
) -> Result<Vec<f32>, ModelError> {
    crate::metrics::predict_windows(leads, &set.x, WINDOW)
        .map_err(|e| ModelError::Data(e.to_string()))
}

#[cfg(test)]
mod tests;
