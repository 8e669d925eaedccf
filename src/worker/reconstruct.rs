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
use crate::eval::conformal::ConformalBands;
use crate::metrics::{self, LeadMetrics, LinearLead};
use crate::model::twelve_lead::{CleanedRecord, ReconstructedEcg};
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
    /// The models' calibrated conformal bands, if any.
    fn conformal(&self) -> Option<ConformalBands> {
        None
    }
}

/// The trained models, shareable between the UI thread (which holds them) and the jobs (which run
/// them one at a time).
pub struct LoadedModels {
    models: Mutex<Reconstructor>,
    device: String,
    /// The models' calibrated bands (`precordial calibrate`), when they have them.
    bands: Option<ConformalBands>,
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

    fn conformal(&self) -> Option<ConformalBands> {
        self.bands.clone()
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
        }
    }
}

/// A record's reconstruction by one model as a 12-lead ECG.
#[derive(Clone, Debug)]
pub struct TwelveLead {
    pub ecg: Arc<ReconstructedEcg>,
    /// The same leads as a record (100 Hz, standard names), named after the source.
    pub record: Arc<Record>,
}

impl TwelveLead {
    pub fn new(ecg: ReconstructedEcg, source: &Record) -> Self {
        let record = Arc::new(ecg.to_record(&source.header.path));
        Self {
            ecg: Arc::new(ecg),
            record,
        }
    }
}

impl PartialEq for TwelveLead {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.ecg, &other.ecg)
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
    /// The reconstruction as a 12-lead ECG by C and by C-h, and each as a record that the 12-lead
    /// view and the exports take like any other.
    pub twelve_lead: [TwelveLead; 2],
    /// R-peaks at `fs_hz`, for the beat view.
    pub r_peaks_in_samples: Vec<usize>,
}

impl ReconstructionResult {
    /// The 12-lead by `variant`.
    pub fn twelve_lead(&self, variant: ModelVariant) -> &TwelveLead {
        &self.twelve_lead[usize::from(variant == ModelVariant::CH)]
    }
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
    let cleaned = CleanedRecord::from_record(record).map_err(|err| err.to_string())?;
    context.set_progress(0.2);
    if context.cancel_requested() {
        return Ok(None);
    }
    let input_refs = cleaned.input_refs();
    let c = reconstructor.reconstruct(input_refs, ModelVariant::C)?;
    context.set_progress(0.55);
    if context.cancel_requested() {
        return Ok(None);
    }
    let ch = reconstructor.reconstruct(input_refs, ModelVariant::CH)?;
    context.set_progress(0.9);
    let least_squares = reconstructor.least_squares();
    let mut pair = [
        ReconstructedEcg::assemble(&cleaned, ModelVariant::C, c.clone()),
        ReconstructedEcg::assemble(&cleaned, ModelVariant::CH, ch.clone()),
    ];
    if let Some(bands) = reconstructor.conformal() {
        crate::eval::conformal::attach_bands(&mut pair, &bands);
    }
    let [ecg_c, ecg_ch] = pair;
    let twelve_lead = [
        TwelveLead::new(ecg_c, record),
        TwelveLead::new(ecg_ch, record),
    ];
    let mut leads = Vec::with_capacity(TARGET_LEADS.len());
    for (k, ((name, c_lead), ch_lead)) in TARGET_LEADS.iter().zip(c).zip(ch).enumerate() {
        // A record may lack a target lead (no ground truth): the reconstruction is still shown.
        let truth_mv = cleaned.targets[k].clone().unwrap_or_default();
        let mut lead =
            LeadComparison::new((*name).to_owned(), truth_mv, Some(c_lead), Some(ch_lead));
        lead.least_squares_mv = least_squares.map(|fits| fits[k].predict(input_refs));
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
        twelve_lead,
        r_peaks_in_samples,
    }))
}

/// What a reconstruction is exported as.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ReconstructionExport {
    /// A WFDB record (format 16) whose header names the model and marks the estimates.
    Wfdb,
    /// EDF+C with each lead's origin in its transducer field.
    Edf,
    /// The 12-lead report on ECG paper, as PDF or PNG (`extension`: `pdf` or `png`).
    Report {
        options: crate::printout::ecg::ReportOptions,
        extension: &'static str,
    },
}

/// Write a reconstruction into `folder`, under a name of its own (`<record>_<model>`, then `-2`,
/// `-3`, …): an export never replaces a file.
pub struct ExportReconstruction {
    pub twelve_lead: TwelveLead,
    /// The record it was rebuilt from (details and source for the report and headers).
    pub source: Arc<Record>,
    pub models: Arc<LoadedModels>,
    pub export: ReconstructionExport,
    pub folder: PathBuf,
}

impl Job for ExportReconstruction {
    type Output = super::Written;
    type Update = ();

    fn describe(&self) -> String {
        format!(
            "Exporting the {} reconstruction",
            self.twelve_lead.ecg.variant.name()
        )
    }

    fn run(self, _context: &JobContext) -> Result<Option<super::Written>, String> {
        let ecg = &self.twelve_lead.ecg;
        let stem =
            crate::model::twelve_lead::reconstruction_name(&self.source.header.path, ecg.variant);
        let (card, card_sha256) = self
            .models
            .with_models(|m| (m.card().clone(), m.card_sha256().to_owned()));
        std::fs::create_dir_all(&self.folder)
            .map_err(|e| format!("{}: {e}", self.folder.display()))?;
        let source = self.source.header.path.display().to_string();
        let (path, what) = match self.export {
            ReconstructionExport::Wfdb => {
                // A record is several files: the first name none of them takes.
                let name = (1..)
                    .map(|k| {
                        if k == 1 {
                            stem.clone()
                        } else {
                            format!("{stem}-{k}")
                        }
                    })
                    .find(|name| {
                        !self.folder.join(format!("{name}.hea")).exists()
                            && !self.folder.join(format!("{name}.dat")).exists()
                    })
                    .unwrap_or(stem);
                let header = crate::wfdb::write::write_record(
                    &self.folder,
                    &ecg.to_wfdb(
                        &name,
                        &card_sha256,
                        &source,
                        crate::wfdb::write::WriteFormat::Format16,
                    ),
                    false,
                )
                .map_err(|e| e.to_string())?;
                (header, "WFDB record")
            }
            ReconstructionExport::Edf => {
                let path = crate::output::unused_path(&self.folder.join(format!("{stem}.edf")));
                ecg.write_edf(&path, &card_sha256, false)
                    .map_err(|e| e.to_string())?;
                (path, "EDF+ file")
            }
            ReconstructionExport::Report { options, extension } => {
                let path = crate::output::unused_path(
                    &self.folder.join(format!("{stem}_report.{extension}")),
                );
                let report =
                    crate::printout::ecg::EcgReport::new(ecg, &self.source, &card, &card_sha256);
                let page = crate::printout::ecg::twelve_lead_page(&report, &options);
                crate::printout::write_page(&path, &page, false).map_err(|e| e.to_string())?;
                (path, "12-lead report")
            }
        };
        Ok(Some(super::Written {
            path,
            what: what.to_owned(),
        }))
    }
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
