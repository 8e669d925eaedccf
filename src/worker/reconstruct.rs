//! The reconstruction job: clean a record with the reference cleaning, run the C and C-h models on
//! leads I, II, V2, and pair each rebuilt lead with the recorded one.
//!
//! The models are reached through [`LeadReconstructor`]: the trained [`Reconstructor`] implements it
//! (behind a mutex, as burn modules are used from one thread at a time), and a test double can drive
//! the job in tests that are about the UI rather than the models.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use super::{Job, JobContext};
use crate::dsp::rpeaks;
use crate::metrics::{self, LeadMetrics, LinearLead};
use crate::model::{DeviceChoice, Reconstructor};
pub use crate::model::{INPUT_LEADS, ModelVariant, TARGET_LEADS};
pub use crate::prep::missing_inputs;
use crate::wfdb::Record;

/// What the job needs from a set of trained models.
pub trait LeadReconstructor: Send + Sync {
    /// Where the models run (`wgpu: <adapter>`, `cpu (flex)`).
    fn device_name(&self) -> String;
    /// Rebuilds V1, V3–V6 from cleaned 100 Hz I, II, V2 (same length in and out).
    fn reconstruct(
        &self,
        inputs: [&[f64]; 3],
        variant: ModelVariant,
    ) -> Result<[Vec<f64>; 5], String>;
    /// The least-squares baseline the models were compared with (their card's), if stored.
    fn least_squares(&self) -> Option<[LinearLead; 5]> {
        None
    }
    /// Pointwise conformal band half-widths (mV) per target lead, (C, C-h), if calibrated.
    fn bands(&self) -> Option<[(f64, f64); 5]> {
        None
    }
}

/// The trained models, shareable between the UI thread (which holds them) and the jobs (which run
/// them one at a time).
pub struct LoadedModels {
    models: Mutex<Reconstructor>,
    device: String,
    /// The models' calibrated bands (`precordial calibrate`), when they have them.
    bands: Option<crate::eval::conformal::ConformalBands>,
}

impl LoadedModels {
    /// Loads and verifies the models in `dir` (see [`Reconstructor::load`]).
    pub fn load(dir: &Path, device: DeviceChoice) -> Result<Self, String> {
        let models = Reconstructor::load(dir, device).map_err(|err| err.to_string())?;
        let bands =
            crate::eval::conformal::load_bands(&models, dir).map_err(|err| err.to_string())?;
        Ok(Self {
            device: models.device_name(),
            models: Mutex::new(models),
            bands,
        })
    }

    /// Runs `f` with the models, holding them for its duration (other jobs using them wait): for
    /// work that needs the [`Reconstructor`] itself, such as an evaluation.
    pub fn with_models<R>(&self, f: impl FnOnce(&Reconstructor) -> R) -> R {
        // A panic in another job poisons the lock but leaves the weights intact: keep going.
        let models = self
            .models
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        f(&models)
    }
}

impl std::fmt::Debug for LoadedModels {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoadedModels")
            .field("device", &self.device)
            .finish_non_exhaustive()
    }
}

impl LeadReconstructor for LoadedModels {
    fn device_name(&self) -> String {
        self.device.clone()
    }

    fn least_squares(&self) -> Option<[LinearLead; 5]> {
        self.with_models(|models| models.least_squares())
    }

    fn bands(&self) -> Option<[(f64, f64); 5]> {
        let bands = self.bands.as_ref()?;
        let mut out = [(0.0, 0.0); 5];
        for (slot, lead) in out.iter_mut().zip(TARGET_LEADS) {
            let per_model = bands.per_lead.get(lead)?;
            *slot = (
                per_model.get("c")?.pointwise_mv,
                per_model.get("ch")?.pointwise_mv,
            );
        }
        Some(out)
    }

    fn reconstruct(
        &self,
        inputs: [&[f64]; 3],
        variant: ModelVariant,
    ) -> Result<[Vec<f64>; 5], String> {
        self.with_models(|models| {
            models
                .reconstruct(inputs, variant)
                .map_err(|err| err.to_string())
        })
    }
}

/// One target lead: the recorded signal and the two reconstructions, all at `fs_hz` and aligned,
/// with their metrics and residuals against the recording (computed once, here, not by the panel
/// each frame).
#[derive(Clone, Debug, PartialEq)]
pub struct LeadComparison {
    pub lead: String,
    pub truth_mv: Vec<f64>,
    pub c_mv: Option<Vec<f64>>,
    pub ch_mv: Option<Vec<f64>>,
    /// C and C-h against the recording over the whole record; `None` without a recording.
    pub metrics_c: Option<LeadMetrics>,
    pub metrics_ch: Option<LeadMetrics>,
    /// C and C-h minus the recording (what the model missed), sample by sample.
    pub residual_c_mv: Option<Vec<f64>>,
    pub residual_ch_mv: Option<Vec<f64>>,
    /// The least-squares baseline's reconstruction, where the models' card holds its weights.
    pub least_squares_mv: Option<Vec<f64>>,
    /// Pointwise conformal band half-widths (mV) of C and C-h, where the models are calibrated.
    pub band_mv: Option<(f64, f64)>,
}

impl LeadComparison {
    pub fn new(
        lead: String,
        truth_mv: Vec<f64>,
        c_mv: Option<Vec<f64>>,
        ch_mv: Option<Vec<f64>>,
    ) -> Self {
        let against_truth = |estimate: &Option<Vec<f64>>| {
            estimate
                .as_deref()
                .and_then(|e| metrics::record_metrics(&truth_mv, e))
        };
        let residual = |estimate: &Option<Vec<f64>>| {
            estimate
                .as_deref()
                .filter(|_| !truth_mv.is_empty())
                .map(|e| e.iter().zip(&truth_mv).map(|(e, t)| e - t).collect())
        };
        Self {
            metrics_c: against_truth(&c_mv),
            metrics_ch: against_truth(&ch_mv),
            residual_c_mv: residual(&c_mv),
            residual_ch_mv: residual(&ch_mv),
            lead,
            truth_mv,
            c_mv,
            ch_mv,
            least_squares_mv: None,
            band_mv: None,
        }
    }
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

/// Rebuild V1, V3–V6 from I, II, V2 with both models, against the recorded leads.
pub struct Reconstruct {
    /// Identifies the record (see the app's record key).
    pub record_key: u64,
    pub record: Arc<Record>,
    pub reconstructor: Arc<dyn LeadReconstructor>,
}

impl Job for Reconstruct {
    type Output = ReconstructionResult;
    type Update = ();

    fn describe(&self) -> String {
        "Reconstructing V1, V3–V6".to_owned()
    }

    fn run(self, context: &JobContext) -> Result<Option<ReconstructionResult>, String> {
        reconstruct(self.record_key, &self.record, &self.reconstructor, context)
    }
}

fn reconstruct(
    record_key: u64,
    record: &Record,
    reconstructor: &Arc<dyn LeadReconstructor>,
    context: &JobContext,
) -> Result<Option<ReconstructionResult>, String> {
    let missing = missing_inputs(record);
    if !missing.is_empty() {
        return Err(format!(
            "the record lacks lead(s) {}: the models need I, II and V2",
            missing.join(", ")
        ));
    }
    // The models were trained on the reference cleaning: use it, whatever the viewer shows.
    let clean_named = |name: &str| -> Result<Option<Vec<f64>>, String> {
        crate::prep::clean_named_lead(record, name).map_err(|err| err.to_string())
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
    let c = reconstructor.reconstruct(input_refs, ModelVariant::C)?;
    context.set_progress(0.55);
    if context.cancel_requested() {
        return Ok(None);
    }
    let ch = reconstructor.reconstruct(input_refs, ModelVariant::CH)?;
    context.set_progress(0.9);
    let least_squares = reconstructor.least_squares();
    let bands = reconstructor.bands();
    let mut leads = Vec::with_capacity(TARGET_LEADS.len());
    for (k, ((name, c_lead), ch_lead)) in TARGET_LEADS.iter().zip(c).zip(ch).enumerate() {
        // A record may lack a target lead (no ground truth): the reconstruction is still shown.
        let truth_mv = clean_named(name)?.unwrap_or_default();
        let mut lead =
            LeadComparison::new((*name).to_owned(), truth_mv, Some(c_lead), Some(ch_lead));
        lead.least_squares_mv = least_squares.map(|fits| fits[k].predict(input_refs));
        lead.band_mv = bands.map(|bands| bands[k]);
        leads.push(lead);
    }
    let r_peaks_in_samples = rpeaks::detect(
        &input_refs,
        crate::model::FS_HZ,
        &rpeaks::RPeakConfig::default(),
    )
    .unwrap_or_default();
    context.set_progress(1.0);
    Ok(Some(ReconstructionResult {
        record_key,
        fs_hz: crate::model::FS_HZ,
        device: reconstructor.device_name(),
        leads,
        r_peaks_in_samples,
    }))
}

/// Load and verify the trained models of a folder (`models/`).
pub struct LoadModels {
    pub dir: PathBuf,
    pub device: DeviceChoice,
}

/// Models loaded from a folder.
#[derive(Debug)]
pub struct ModelsLoaded {
    pub dir: PathBuf,
    pub models: Arc<LoadedModels>,
}

impl Job for LoadModels {
    type Output = ModelsLoaded;
    type Update = ();

    fn describe(&self) -> String {
        format!("Loading models from {}", self.dir.display())
    }

    fn run(self, context: &JobContext) -> Result<Option<ModelsLoaded>, String> {
        context.set_progress(0.1);
        let models = LoadedModels::load(&self.dir, self.device)?;
        context.set_progress(1.0);
        Ok(Some(ModelsLoaded {
            dir: self.dir,
            models: Arc::new(models),
        }))
    }
}
