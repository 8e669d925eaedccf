//! The reconstruction job: clean a record with the reference cleaning, run the C and C-h models on
//! leads I, II, V2, and pair each rebuilt lead with the recorded one.
//!
//! The models are reached through [`LeadReconstructor`], so this job does not depend on how they are
//! implemented (the `model` module's `Reconstructor` implements it in a few lines once merged); a test
//! double drives the job in the UI tests.

use std::sync::Arc;

use super::{JobContext, JobOutput};
use crate::dsp::clean::{self, CleanConfig, OutputLength};
use crate::dsp::rpeaks;
use crate::wfdb::Record;

/// Leads the models take, in order.
pub const INPUT_LEADS: [&str; 3] = ["I", "II", "V2"];
/// Leads the models rebuild, in order.
pub const TARGET_LEADS: [&str; 5] = ["V1", "V3", "V4", "V5", "V6"];

/// The two models of the method.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Variant {
    /// Decoder from the three input leads alone.
    C,
    /// Decoder conditioned on the pathology-aware embedding h.
    Ch,
}

/// What the job needs from a set of trained models.
pub trait LeadReconstructor: Send + Sync {
    /// Where the models run (`wgpu: <adapter>`, `cpu (flex)`).
    fn device_name(&self) -> String;
    /// Rebuilds V1, V3–V6 from cleaned 100 Hz I, II, V2 (same length in and out).
    fn reconstruct(&self, inputs: [&[f64]; 3], variant: Variant) -> Result<[Vec<f64>; 5], String>;
}

/// One target lead: the recorded signal and the two reconstructions, all at `fs_hz` and aligned.
#[derive(Clone, Debug, PartialEq)]
pub struct LeadComparison {
    pub lead: String,
    pub truth_mv: Vec<f64>,
    pub c_mv: Option<Vec<f64>>,
    pub ch_mv: Option<Vec<f64>>,
}

/// What a reconstruction of one record produced.
#[derive(Clone, Debug, PartialEq)]
pub struct ReconstructionResult {
    /// Identifies the record (see the app's record key).
    pub record_key: u64,
    /// Rate of every trace (100 Hz for the models).
    pub fs_hz: f64,
    /// Device the models ran on.
    pub device: String,
    pub leads: Vec<LeadComparison>,
    /// R-peaks at `fs_hz`, for the beat view.
    pub r_peaks_in_samples: Vec<usize>,
}

/// The input leads a record lacks (empty when it can be reconstructed).
pub fn missing_inputs(record: &Record) -> Vec<&'static str> {
    INPUT_LEADS
        .iter()
        .copied()
        .filter(|name| record.signal_index(name).is_none())
        .collect()
}

pub(super) fn run(
    record_key: u64,
    record: &Record,
    reconstructor: &Arc<dyn LeadReconstructor>,
    context: &JobContext,
) -> Result<Option<JobOutput>, String> {
    let missing = missing_inputs(record);
    if !missing.is_empty() {
        return Err(format!(
            "the record lacks lead(s) {}: the models need I, II and V2",
            missing.join(", ")
        ));
    }
    // The models were trained on the reference cleaning: use it, whatever the viewer shows.
    let config = CleanConfig {
        length: OutputLength::Full,
        ..CleanConfig::default()
    };
    let fs_in_hz = record.fs_hz();
    let clean_named = |name: &str| -> Result<Option<Vec<f64>>, String> {
        match record.signal_by_name(name) {
            Some(signal) => clean::clean_lead(signal, fs_in_hz, &config)
                .map(Some)
                .map_err(|err| format!("{name}: {err}")),
            None => Ok(None),
        }
    };
    let mut inputs = Vec::with_capacity(3);
    for name in INPUT_LEADS {
        inputs.push(clean_named(name)?.ok_or_else(|| format!("{name} missing"))?);
    }
    context.set_progress(0.2);
    if context.cancel_requested() {
        return Ok(None);
    }
    let input_refs: [&[f64]; 3] = [&inputs[0], &inputs[1], &inputs[2]];
    let c = reconstructor.reconstruct(input_refs, Variant::C)?;
    context.set_progress(0.55);
    if context.cancel_requested() {
        return Ok(None);
    }
    let ch = reconstructor.reconstruct(input_refs, Variant::Ch)?;
    context.set_progress(0.9);
    let mut leads = Vec::with_capacity(TARGET_LEADS.len());
    for ((name, c_lead), ch_lead) in TARGET_LEADS.iter().zip(c).zip(ch) {
        // A record may lack a target lead (no ground truth): the reconstruction is still shown.
        let truth_mv = clean_named(name)?.unwrap_or_default();
        leads.push(LeadComparison {
            lead: (*name).to_owned(),
            truth_mv,
            c_mv: Some(c_lead),
            ch_mv: Some(ch_lead),
        });
    }
    let r_peaks_in_samples = rpeaks::detect(
        &input_refs,
        config.target_fs_hz,
        &rpeaks::RPeakConfig::default(),
    )
    .unwrap_or_default();
    context.set_progress(1.0);
    Ok(Some(JobOutput::Reconstruction(Box::new(
        ReconstructionResult {
            record_key,
            fs_hz: config.target_fs_hz,
            device: reconstructor.device_name(),
            leads,
            r_peaks_in_samples,
        },
    ))))
}
