//! Evaluation: k-NN class affinity, per-class errors, regression to the mean, uncertainty over
//! records and the report, over the metrics and least-squares baseline of [`crate::metrics`].
//!
//! What it is for: numbers a researcher can compare with the paper's tables, from one evaluation
//! ([`run`]) or several training runs: a learning curve ([`curve`]) and patient-wise
//! cross-validation ([`cv`]).

pub mod amplitude;
pub mod conformal;
pub mod curve;
pub mod cv;
pub mod figures;
pub mod paper;
pub mod per_class;
pub mod raster;
pub mod report;
pub mod run;

pub use crate::metrics::affinity::{
    self, Affinity, AffinityError, AffinityInput, AffinityOptions, AffinitySet, Neighbours,
    knn_affinity,
};
pub use crate::metrics::stats;
pub use per_class::{ClassRmse, PerClassAccumulator, radar_selection};
pub use report::{
    AffinityPair, DataSummary, Deployment, EvalReport, ExampleTrace, PairedMetric, PairedTest,
    RecordLevel,
};

/// Why an evaluation could not be computed.
#[derive(Debug, thiserror::Error)]
pub enum EvalError {
    #[error("{0}")]
    Input(String),
    /// A figure could not be rasterised to PNG.
    #[error("{0}")]
    Figure(String),
    /// The caller asked the evaluation to stop ([`crate::progress::Progress::cancelled`]).
    #[error("evaluation cancelled")]
    Cancelled,
}

impl From<AffinityError> for EvalError {
    fn from(error: AffinityError) -> Self {
        Self::Input(error.0)
    }
}
