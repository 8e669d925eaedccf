//! Evaluation: the paper's metrics, k-NN class affinity, per-class errors, the least-squares
//! baseline and uncertainty over records.
//!
//! What it is for: numbers a researcher can compare with the paper's tables. What it is not for:
//! running models or reading data (the caller brings truths, predictions and embeddings).

pub mod affinity;
pub mod baseline;
pub mod figures;
pub mod metrics;
pub mod paper;
pub mod per_class;
pub mod raster;
pub mod report;
pub mod run;
pub mod stats;

pub use affinity::{Affinity, knn_affinity};
pub use baseline::{LinearLead, LinearLeadFit};
pub use metrics::{LeadMetrics, MetricsAccumulator, delta_percent, lead_metrics, pearson};
pub use per_class::{ClassRmse, PerClassAccumulator, radar_selection};
pub use report::{AffinityPair, DataSummary, EvalReport, ExampleTrace, RecordLevel};

/// Why an evaluation could not be computed.
#[derive(Debug, thiserror::Error)]
pub enum EvalError {
    #[error("{0}")]
    Input(String),
    /// A figure could not be rasterised to PNG.
    #[error("{0}")]
    Figure(String),
    /// The caller asked the evaluation to stop ([`run::EvalProgress::cancelled`]).
    #[error("evaluation cancelled")]
    Cancelled,
}
