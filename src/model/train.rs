//! Training: the supervised-contrastive encoder, then the decoders C and C-h on frozen, normalised
//! embeddings. Seeded and reproducible on the CPU.
//!
//! Every stage runs through one loop, [`run_stage`], which owns what all stages share: the
//! optimizer steps, the learning-rate schedule, best-state tracking and its checkpoint, the state
//! after each epoch (so `--resume` continues with the next one, [`resume`]), the epoch reports,
//! the caller's stop (after the current step, keeping the best state), patience and the
//! wall-clock budget. A stage only says how its batches are drawn and scored ([`StageSteps`]).

pub mod profile;
mod resume;

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Instant;

use burn::config::Config;
use burn::grad_clipping::GradientClippingConfig;
use burn::lr_scheduler::LrSchedulerConfig;
use burn::lr_scheduler::cosine::CosineAnnealingLrSchedulerConfig;
use burn::lr_scheduler::linear::LinearLrSchedulerConfig;
use burn::lr_scheduler::module_lr_scheduler::ModuleLrScheduler;
use burn::lr_scheduler::sequential::SequentialLrSchedulerConfig;
use burn::module::Module;
use burn::optim::{AdamWConfig, GradientsParams};
use burn::tensor::{Device, Tensor, TensorData};

pub use super::card::{CurvePoint, StageSummary};
use super::decoder::{Decoder, DecoderConfig};
use super::encoder::{Encoder, EncoderConfig};
use super::loss::{reconstruction_loss, supcon_loss};
use super::{EMBEDDING_DIM, FS_HZ, ModelError, TARGET_LEADS, WINDOW};
use crate::dsp::rpeaks::reference_peaks;
use crate::metrics::affinity::{AffinityInput, AffinityOptions, knn_affinity};
use crate::physics::AnatomyAugmentation;
use crate::prep::{InputNorm, Split, TrainingData, WindowSet, normalise_window};
use crate::progress::{Progress, Silent};
use crate::rng::Rng;
use resume::{EpochState, ScheduleState, StepsState};

/// Encoder training hyper-parameters (METHOD.md defaults).
#[derive(Config, Debug)]
pub struct EncoderTrainingConfig {
    #[config(default = 60)]
    pub epochs: usize,
    /// Classes per balanced batch.
    #[config(default = 16)]
    pub batch_classes: usize,
    /// Windows per class in a batch.
    #[config(default = 4)]
    pub per_class: usize,
    /// Batches per epoch; 0 = as many as cover the labelled training windows once.
    #[config(default = 0)]
    pub steps_per_epoch: usize,
    #[config(default = 1e-3)]
    pub learning_rate: f64,
    #[config(default = 1e-5)]
    pub weight_decay: f64,
    #[config(default = 5)]
    pub warmup_epochs: usize,
    #[config(default = 0.07)]
    pub temperature: f64,
    #[config(default = 1.0)]
    pub grad_clip_norm: f64,
    /// Wall-clock budget of the stage in minutes; 0 = none.
    #[config(default = 0.0)]
    pub max_minutes: f64,
    /// Epochs without a lower validation loss before the stage stops; `None` runs every epoch
    /// (optional, so configurations written before it still load).
    #[config(default = "None")]
    pub early_stop_patience: Option<usize>,
}

/// Decoder training hyper-parameters (METHOD.md defaults).
#[derive(Config, Debug)]
pub struct DecoderTrainingConfig {
    #[config(default = 60)]
    pub epochs: usize,
    #[config(default = 64)]
    pub batch_size: usize,
    #[config(default = 1e-4)]
    pub learning_rate: f64,
    #[config(default = 1e-4)]
    pub weight_decay: f64,
    #[config(default = 0.5)]
    pub plateau_factor: f64,
    #[config(default = 5)]
    pub plateau_patience: usize,
    #[config(default = 12)]
    pub early_stop_patience: usize,
    #[config(default = 1.0)]
    pub grad_clip_norm: f64,
    /// Wall-clock budget of each decoder stage in minutes; 0 = none.
    #[config(default = 0.0)]
    pub max_minutes: f64,
    /// Re-synthesise training windows through random anatomies (heart rotation, dipole size,
    /// electrode positions), inputs and targets from the same dipole; `None` trains on the windows
    /// as recorded. Validation windows are never re-synthesised.
    #[config(default = "None")]
    pub anatomical_augmentation: Option<AnatomyAugmentation>,
}

/// Everything a training run is configured by; saved as `training.ron` beside the models.
#[derive(Config, Debug)]
pub struct TrainConfig {
    #[config(default = "EncoderConfig::new()")]
    pub encoder: EncoderConfig,
    /// Decoder C (x̂ only), all five target leads (the layout this version saves).
    #[config(default = "DecoderConfig::new().with_with_embedding(false).with_outputs(5)")]
    pub decoder_c: DecoderConfig,
    /// Decoder C-h (x̂ and ĥ), all five target leads.
    #[config(default = "DecoderConfig::new().with_outputs(5)")]
    pub decoder_ch: DecoderConfig,
    #[config(default = "EncoderTrainingConfig::new()")]
    pub encoder_training: EncoderTrainingConfig,
    #[config(default = "DecoderTrainingConfig::new()")]
    pub decoder_training: DecoderTrainingConfig,
    /// Also train a C decoder with the other input normalisation than `decoder_c`'s, and report its
    /// metrics in the card (not saved): the evidence for the choice of normalisation.
    #[config(default = false)]
    pub ablation_other_norm: bool,
    /// Windows with more leads than this outside the QC bounds are rejected.
    #[config(default = 0)]
    pub qc_max_bad_leads: usize,
    #[config(default = 42)]
    pub seed: u64,
    /// Train on this fraction of the train split's patients (nested subsets, for a learning
    /// curve: `precordial study curve`); validation and test are the full splits. `None`: all.
    pub train_fraction: Option<f64>,
    /// Split by this cross-validation fold instead of the default split (`precordial study cv`);
    /// evaluation reads it back from `training.ron`, so the fold's test split is what it scores.
    pub cv: Option<crate::prep::CvFold>,
}

impl TrainConfig {
    /// The training data as this configuration assembles it: its quality-control tolerance and
    /// training subset.
    pub fn assemble(
        &self,
        folders: &[std::path::PathBuf],
        progress: &mut dyn crate::progress::Progress,
    ) -> Result<TrainingData, crate::prep::PrepError> {
        let options = crate::prep::AssembleOptions {
            qc_max_bad_leads: self.qc_max_bad_leads,
            train_subset: self.train_fraction.filter(|fraction| *fraction < 1.0),
            cv: self.cv,
            ..crate::prep::AssembleOptions::default()
        };
        crate::prep::assemble_with(folders, &options, progress)
    }

    pub fn validate(&self) -> Result<(), String> {
        self.encoder.validate()?;
        self.decoder_c.validate()?;
        self.decoder_ch.validate()?;
        if self.decoder_c.with_embedding || !self.decoder_ch.with_embedding {
            return Err("decoder_c must have with_embedding false, decoder_ch true".to_string());
        }
        if let Some(augmentation) = &self.decoder_training.anatomical_augmentation {
            augmentation.validate()?;
        }
        if self.decoder_c.outputs != self.decoder_ch.outputs {
            return Err(
                "decoder_c and decoder_ch must have the same number of outputs".to_string(),
            );
        }
        if let Some(fraction) = self.train_fraction
            && !(fraction > 0.0 && fraction <= 1.0)
        {
            return Err(format!("train_fraction {fraction} must lie in (0, 1]"));
        }
        if let Some(cv) = &self.cv {
            cv.validate()?;
        }
        Ok(())
    }
}

/// One epoch's figures, for progress display and the model card.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct EpochReport {
    pub stage: String,
    pub epoch: usize,
    pub epochs: usize,
    pub train_loss: f64,
    pub val_loss: f64,
    /// The stage's validation score where it has one (the encoder: leak-free ĥ affinity).
    #[serde(default)]
    pub val_score: Option<f64>,
    pub learning_rate: f64,
    pub windows_per_s: f64,
    pub elapsed_s: f64,
    pub eta_s: f64,
    pub best: bool,
}

/// What the training loops report beyond [`Progress`] (which also stops them, after the current
/// step): a step's running loss every few seconds, and each epoch's figures (the live loss curves).
pub trait TrainProgress: Progress {
    /// (stage, step, steps, mean loss of the epoch so far).
    fn step(&mut self, _stage: &str, _step: usize, _steps: usize, _loss: f64) {}
    fn epoch(&mut self, _report: &EpochReport) {}
}

impl TrainProgress for Silent {}

/// Builds a [B, C, T] tensor from flat f32 values.
pub fn tensor3(values: Vec<f32>, shape: [usize; 3], device: &Device) -> Tensor<3> {
    Tensor::from_data(TensorData::new(values, shape), device)
}

/// Builds a [B, K] tensor from flat f32 values.
pub fn tensor2(values: Vec<f32>, shape: [usize; 2], device: &Device) -> Tensor<2> {
    Tensor::from_data(TensorData::new(values, shape), device)
}

/// Reads a tensor back to f32 values.
pub fn read_f32<const D: usize>(tensor: Tensor<D>) -> Result<Vec<f32>, ModelError> {
    tensor
        .into_data()
        .try_to_vec::<f32>()
        .map_err(|e| ModelError::Tensor(format!("{e:?}")))
}

fn read_scalar(tensor: Tensor<1>) -> Result<f64, ModelError> {
    read_f32(tensor).map(|v| v.first().copied().map_or(f64::NAN, f64::from))
}

/// z-scored input windows of `indices` as one flat [n, 3, 256] buffer.
pub fn normalised_inputs(set: &WindowSet, indices: &[usize]) -> Vec<f32> {
    inputs_with(set, indices, InputNorm::ZScore)
}

/// Input windows of `indices`, normalised by `norm`, as one flat [n, 3, 256] buffer.
pub fn inputs_with(set: &WindowSet, indices: &[usize], norm: InputNorm) -> Vec<f32> {
    let mut out = Vec::with_capacity(indices.len() * 3 * WINDOW);
    for &i in indices {
        let start = out.len();
        out.extend_from_slice(set.x_of(i));
        normalise_window(&mut out[start..], WINDOW, norm);
    }
    out
}

/// Rolls every lead of a window so sample `peak` sits at the centre (the R-peak-centred view).
pub fn centre_on(window: &mut [f32], peak: usize) {
    let shift = (WINDOW / 2 + WINDOW - peak % WINDOW) % WINDOW;
    for lead in window.chunks_mut(WINDOW) {
        lead.rotate_right(shift);
    }
}

/// The R peaks of each window's lead II (mV), as METHOD.md detects them for the R-peak view:
/// peaks at least 0.2 s apart with prominence max(0.1, 0.4·std). A window without one is centred
/// on its largest lead-II sample.
pub fn window_r_peaks(set: &WindowSet) -> Vec<Vec<usize>> {
    (0..set.len())
        .map(|i| {
            let lead_ii: Vec<f64> = set.x_of(i)[WINDOW..2 * WINDOW]
                .iter()
                .map(|&v| f64::from(v))
                .collect();
            let peaks = reference_peaks(&lead_ii, FS_HZ).unwrap_or_default();
            if peaks.is_empty() {
                let largest = lead_ii
                    .iter()
                    .enumerate()
                    .max_by(|a, b| a.1.total_cmp(b.1))
                    .map_or(WINDOW / 2, |(k, _)| k);
                vec![largest]
            } else {
                peaks
            }
        })
        .collect()
}

/// Signal augmentation: Gaussian noise σ, per-lead scale N(1, 0.08), circular shift ±8, lead dropout.
pub fn augment(window: &mut [f32], rng: &mut Rng, noise: f64, strong: bool) {
    let shift = if strong {
        rng.below(17) as isize - 8
    } else {
        0
    };
    let drop = if strong && rng.uniform() < 0.1 {
        Some(rng.below(3))
    } else {
        None
    };
    for (lead, values) in window.chunks_mut(WINDOW).enumerate() {
        let scale = if strong {
            1.0 + 0.08 * rng.normal()
        } else {
            1.0
        };
        if shift > 0 {
            values.rotate_right(shift as usize);
        } else if shift < 0 {
            values.rotate_left((-shift) as usize);
        }
        for v in values.iter_mut() {
            *v = (f64::from(*v) * scale + noise * rng.normal()) as f32;
        }
        if drop == Some(lead) {
            values.fill(0.0);
        }
    }
}

/// The windows of one contrastive class, grouped by patient.
struct ClassPool {
    patients: Vec<Vec<usize>>,
}

/// The classes a set can be balanced over: those with windows of at least `min_patients` patients.
/// Training asks for two: a class seen in one patient only would make its positives windows of the
/// same recording, and the loss would reward recognising the recording rather than the disease.
fn class_pools(data: &TrainingData, set: &WindowSet, min_patients: usize) -> Vec<ClassPool> {
    let mut by_class: BTreeMap<u32, BTreeMap<&str, Vec<usize>>> = BTreeMap::new();
    for (i, &bits) in set.labels.iter().enumerate() {
        let Some(record) = data.records.get(set.record[i]) else {
            continue;
        };
        for bit in (0..64).filter(|bit| bits & (1 << bit) != 0) {
            by_class
                .entry(bit)
                .or_default()
                .entry(record.patient_id.as_str())
                .or_default()
                .push(i);
        }
    }
    by_class
        .into_values()
        .filter(|patients| patients.len() >= min_patients.max(1))
        .map(|patients| ClassPool {
            patients: patients.into_values().collect(),
        })
        .collect()
}

/// A class-balanced batch: up to `classes` classes, `per_class` windows each, each from a
/// different patient while the class has patients left (then patients repeat), so every anchor's
/// positives include other patients' windows.
fn balanced_batch(
    pools: &[ClassPool],
    classes: usize,
    per_class: usize,
    rng: &mut Rng,
) -> Vec<usize> {
    let mut order: Vec<usize> = (0..pools.len()).collect();
    rng.shuffle(&mut order);
    let mut batch = Vec::with_capacity(classes * per_class);
    for &c in order.iter().take(classes) {
        let patients = &pools[c].patients;
        let mut who: Vec<usize> = (0..patients.len()).collect();
        rng.shuffle(&mut who);
        for k in 0..per_class {
            let windows = &patients[who[k % who.len()]];
            batch.push(windows[rng.below(windows.len())]);
        }
    }
    batch
}

fn stage_eta(elapsed_s: f64, epoch: usize, epochs: usize, max_minutes: f64) -> f64 {
    let per_epoch = elapsed_s / epoch.max(1) as f64;
    let by_epochs = per_epoch * epochs.saturating_sub(epoch) as f64;
    if max_minutes > 0.0 {
        by_epochs.min((max_minutes * 60.0 - elapsed_s).max(0.0))
    } else {
        by_epochs
    }
}

/// Where a stage keeps its best state while training.
fn checkpoint_path(dir: &Path, stage: &str) -> std::path::PathBuf {
    dir.join("checkpoints").join(format!("{stage}.safetensors"))
}

/// Loads a stage's last checkpoint into `model`, when one exists (`--resume`).
fn resume_stage<M: burn::module::Module>(
    model: &mut M,
    checkpoint_dir: Option<&Path>,
    stage: &str,
    progress: &mut dyn TrainProgress,
) -> Result<(), ModelError> {
    if let Some(dir) = checkpoint_dir {
        let path = checkpoint_path(dir, stage);
        if path.is_file() {
            super::card::load_weights(model, &path)?;
            progress.message(&format!("resumed {stage} from {}", path.display()));
        }
    }
    Ok(())
}

/// AdamW with decoupled weight decay and gradient-norm clipping, as every stage trains.
fn adamw(weight_decay: f64, grad_clip_norm: f64) -> AdamWConfig {
    AdamWConfig::new()
        .with_weight_decay(weight_decay as f32)
        .with_grad_clipping(Some(GradientClippingConfig::Norm(grad_clip_norm as f32)))
}

/// How a stage's learning rate moves.
enum Schedule {
    /// Per step: a linear warm-up to the base rate, then a cosine decay to zero over the remaining
    /// steps (burn's schedulers, in sequence). Past the last step the final rate holds (burn's
    /// cosine would start a new cycle).
    WarmupCosine {
        scheduler: ModuleLrScheduler,
        base: f64,
        warmup_steps: usize,
        total_steps: usize,
        steps_done: usize,
        last: f64,
    },
    /// Per epoch: the base rate, multiplied by `factor` after `patience` epochs without
    /// improvement (ReduceLROnPlateau).
    Plateau {
        lr: f64,
        factor: f64,
        patience: usize,
        since_change: usize,
    },
}

impl Schedule {
    /// Warm-up over `warmup_steps` (the first step at `base / warmup_steps`, reaching `base` at the
    /// last warm-up step), then cosine over the rest of `total_steps`.
    fn warmup_cosine(
        base: f64,
        warmup_steps: usize,
        total_steps: usize,
    ) -> Result<Self, ModelError> {
        Ok(Self::WarmupCosine {
            scheduler: Self::warmup_cosine_scheduler(base, warmup_steps, total_steps)?,
            base,
            warmup_steps,
            total_steps,
            steps_done: 0,
            last: 0.0,
        })
    }

    fn warmup_cosine_scheduler(
        base: f64,
        warmup_steps: usize,
        total_steps: usize,
    ) -> Result<ModuleLrScheduler, ModelError> {
        let decay_steps = total_steps.saturating_sub(warmup_steps).max(1);
        let cosine = CosineAnnealingLrSchedulerConfig::new(base, decay_steps);
        let warmup = match warmup_steps {
            0 => None,
            1 => Some(LrSchedulerConfig::Constant(base)),
            n => Some(LrSchedulerConfig::Linear(LinearLrSchedulerConfig::new(
                base / n as f64,
                base,
                n - 1,
            ))),
        };
        let scheduler = match warmup {
            None => cosine.init(),
            Some(warmup) => SequentialLrSchedulerConfig::new(
                vec![warmup, LrSchedulerConfig::Cosine(cosine)],
                vec![warmup_steps],
            )
            .init(),
        }
        .map_err(|message| ModelError::Input(format!("learning-rate schedule: {message}")))?;
        Ok(scheduler)
    }

    /// Makes the warm-up-then-cosine schedule end after `total_steps` steps in all (a time budget
    /// that fits fewer epochs than configured), so the rate still decays to zero within the budget;
    /// the steps already taken keep their rates. A plateau schedule is left as it is.
    fn end_within(&mut self, total_steps: usize) -> Result<(), ModelError> {
        if let Self::WarmupCosine {
            scheduler,
            base,
            warmup_steps,
            total_steps: total,
            steps_done,
            ..
        } = self
        {
            *total = total_steps.max(*steps_done + 1);
            *scheduler = Self::scheduler_after(*base, *warmup_steps, *total, *steps_done)?;
        }
        Ok(())
    }

    /// burn's warm-up-then-cosine scheduler of `total_steps`, advanced past `steps_done` steps.
    fn scheduler_after(
        base: f64,
        warmup_steps: usize,
        total_steps: usize,
        steps_done: usize,
    ) -> Result<ModuleLrScheduler, ModelError> {
        let mut scheduler = Self::warmup_cosine_scheduler(base, warmup_steps, total_steps)?;
        for _ in 0..steps_done {
            scheduler.step();
        }
        Ok(scheduler)
    }

    /// Where the schedule stands, for the epoch's resume state.
    fn state(&self) -> ScheduleState {
        match self {
            Self::WarmupCosine {
                total_steps,
                steps_done,
                last,
                ..
            } => ScheduleState::WarmupCosine {
                total_steps: *total_steps,
                steps_done: *steps_done,
                last: *last,
            },
            Self::Plateau {
                lr, since_change, ..
            } => ScheduleState::Plateau {
                lr: *lr,
                since_change: *since_change,
            },
        }
    }

    /// Puts the schedule where `state` says (a resumed run); a state of the other kind is an
    /// error.
    fn restore(&mut self, state: &ScheduleState) -> Result<(), ModelError> {
        match (self, state) {
            (
                Self::WarmupCosine {
                    scheduler,
                    base,
                    warmup_steps,
                    total_steps,
                    steps_done,
                    last,
                },
                ScheduleState::WarmupCosine {
                    total_steps: saved_total,
                    steps_done: saved_done,
                    last: saved_last,
                },
            ) => {
                *scheduler =
                    Self::scheduler_after(*base, *warmup_steps, *saved_total, *saved_done)?;
                (*total_steps, *steps_done, *last) = (*saved_total, *saved_done, *saved_last);
                Ok(())
            }
            (
                Self::Plateau {
                    lr, since_change, ..
                },
                ScheduleState::Plateau {
                    lr: saved_lr,
                    since_change: saved_since,
                },
            ) => {
                (*lr, *since_change) = (*saved_lr, *saved_since);
                Ok(())
            }
            _ => Err(ModelError::Input(
                "the saved learning-rate schedule is of another kind than this stage's".to_string(),
            )),
        }
    }

    fn plateau(base: f64, factor: f64, patience: usize) -> Self {
        Self::Plateau {
            lr: base,
            factor,
            patience,
            since_change: 0,
        }
    }

    /// The rate of the next optimizer step.
    fn next_step(&mut self) -> f64 {
        match self {
            Self::WarmupCosine {
                scheduler,
                total_steps,
                steps_done,
                last,
                ..
            } => {
                if *steps_done < *total_steps {
                    *steps_done += 1;
                    *last = scheduler.step().base();
                }
                *last
            }
            Self::Plateau { lr, .. } => *lr,
        }
    }

    fn end_epoch(&mut self, improved: bool) {
        if let Self::Plateau {
            lr,
            factor,
            patience,
            since_change,
        } = self
        {
            *since_change = if improved { 0 } else { *since_change + 1 };
            if *since_change >= *patience {
                *lr *= *factor;
                *since_change = 0;
            }
        }
    }
}

/// What one stage trains: how an epoch's batches are drawn and scored, and its validation loss.
/// Everything around that is [`run_stage`]'s.
trait StageSteps<M: Module> {
    /// Prepares an epoch (a shuffle, say) and returns its number of steps.
    fn begin_epoch(&mut self) -> usize;
    /// The training loss of step `step` for `model` (on the autodiff device) and the windows it
    /// used; `None` skips the step (a batch with nothing to learn from).
    fn loss(&mut self, model: &M, step: usize) -> Option<(Tensor<1>, usize)>;
    /// The validation loss of `model` in inference mode; NaN when there is nothing to validate on.
    fn val_loss(&mut self, model: &M) -> Result<f64, ModelError>;
    /// A validation score, higher is better, that chooses the best state instead of the loss
    /// (the loss is still reported); `None` when the stage has none or it cannot be computed.
    fn val_score(&mut self, _model: &M) -> Result<Option<f64>, ModelError> {
        Ok(None)
    }
    /// What the next epochs' batches depend on (random generator, shuffle order), saved after
    /// every epoch for `--resume`.
    fn state(&self) -> StepsState;
    /// Puts back what [`Self::state`] saved.
    fn restore(&mut self, state: StepsState);
}

/// The limits and optimizer of one stage.
struct StageRun<'a> {
    stage: &'a str,
    epochs: usize,
    /// Epochs without improvement before stopping; `None` runs every epoch.
    early_stop_patience: Option<usize>,
    /// Wall-clock budget in minutes, checked after every step; 0 = none.
    max_minutes: f64,
    weight_decay: f64,
    grad_clip_norm: f64,
    /// Where the best state is checkpointed (`None`: not kept).
    checkpoint_dir: Option<&'a Path>,
    /// Continue from the state the stage saved after its last whole epoch in `checkpoint_dir`
    /// (`--resume`); without one, from the best checkpoint an older version left there.
    resume: bool,
    /// The stage's configuration, seed and data size: a saved state is only resumed by the same.
    fingerprint: String,
}

/// The one training loop. Returns the best state by validation score where the stage has one, else
/// by validation loss (the latest while there is neither), in inference mode, and the stage's
/// summary.
fn run_stage<M: Module>(
    run: &StageRun,
    model: M,
    steps: &mut dyn StageSteps<M>,
    mut schedule: Schedule,
    progress: &mut dyn TrainProgress,
) -> Result<(M, StageSummary), ModelError> {
    let stage = run.stage;
    let mut model = resume::with_sequential_ids(model);
    let mut optimizer = adamw(run.weight_decay, run.grad_clip_norm).init();
    let budget_s = (run.max_minutes > 0.0).then_some(run.max_minutes * 60.0);
    let started = Instant::now();
    let mut summary = StageSummary {
        stage: stage.to_string(),
        best_val_loss: f64::INFINITY,
        ..StageSummary::default()
    };
    // The best state is kept as an inference-mode copy: `clone` would share the batch-norm running
    // statistics (burn keeps them behind an `Arc`), so later epochs would overwrite the best
    // epoch's statistics while its weights stayed.
    let mut best = model.valid();
    let mut windows_seen = 0usize;
    let mut since_improvement = 0usize;
    let mut first_epoch = 1;
    // Training time of earlier processes (a resumed run).
    let mut before_s = 0.0;
    let resume_dir = run.checkpoint_dir.map(|dir| resume::dir(dir, stage));
    match &resume_dir {
        Some(dir) if run.resume => match resume::load(dir, &run.fingerprint, &model)? {
            Some(resumed) => {
                let state = resumed.state;
                model = resumed.model;
                best = resumed.best;
                optimizer = optimizer.load_record(resumed.optimizer);
                schedule.restore(&state.schedule)?;
                steps.restore(state.steps);
                (summary, since_improvement, windows_seen, before_s) = (
                    state.summary,
                    state.since_improvement,
                    state.windows_seen,
                    state.elapsed_s,
                );
                first_epoch = state.epoch + 1;
                progress.message(&format!(
                    "{stage}: resumed after epoch {} of {} (best epoch {})",
                    state.epoch, run.epochs, summary.best_epoch
                ));
            }
            None => resume_stage(&mut model, run.checkpoint_dir, stage, progress)?,
        },
        Some(dir) => resume::clear(dir)?,
        None => {}
    }
    let patience_spent = |since: usize| {
        run.early_stop_patience
            .is_some_and(|patience| since >= patience)
    };
    if first_epoch > 1 && patience_spent(since_improvement) {
        // Killed after the epoch that spent the patience, before the stage was marked done.
        summary.stopped_early = true;
        first_epoch = run.epochs + 1;
    }
    for epoch in first_epoch..=run.epochs {
        let n_steps = steps.begin_epoch();
        let (mut loss_sum, mut loss_n, mut lr) = (0.0, 0usize, f64::NAN);
        let mut last_report = Instant::now();
        let mut out_of_time = false;
        let mut whole_epoch = true;
        for step in 0..n_steps {
            if progress.cancelled() {
                whole_epoch = false;
                break;
            }
            lr = schedule.next_step();
            let Some((loss, windows)) = steps.loss(&model, step) else {
                continue;
            };
            let grads = GradientsParams::from_grads(loss.backward(), &model);
            loss_sum += read_scalar(loss.inner())?;
            loss_n += 1;
            model = optimizer.step(lr, model, grads);
            windows_seen += windows;
            if last_report.elapsed().as_secs_f64() > 5.0 {
                progress.step(stage, step + 1, n_steps, loss_sum / loss_n.max(1) as f64);
                last_report = Instant::now();
            }
            if budget_s.is_some_and(|budget| before_s + started.elapsed().as_secs_f64() > budget) {
                out_of_time = true;
                whole_epoch = step + 1 == n_steps;
                break;
            }
        }
        let inference = model.valid();
        let val_loss = steps.val_loss(&inference)?;
        let val_score = steps
            .val_score(&inference)?
            .filter(|score| score.is_finite());
        let elapsed = before_s + started.elapsed().as_secs_f64();
        // The first epoch always counts as the best so far; so does each epoch while there is
        // nothing to validate on (NaN), which keeps the latest state.
        let improved = match (val_score, summary.best_val_score) {
            (Some(score), Some(best)) => score > best,
            (Some(_), None) => true,
            (None, _) => val_loss < summary.best_val_loss || !summary.best_val_loss.is_finite(),
        };
        if improved {
            summary.best_val_loss = val_loss;
            summary.best_val_score = val_score;
            summary.best_epoch = epoch;
            best = model.valid();
            since_improvement = 0;
            if let Some(dir) = run.checkpoint_dir {
                super::card::save_weights(&best, &checkpoint_path(dir, stage))?;
            }
        } else {
            since_improvement += 1;
        }
        schedule.end_epoch(improved);
        // A budget that fits fewer epochs than configured also shortens the schedule, judged
        // from the first epoch's time.
        if epoch == 1
            && let Some(budget) = budget_s
        {
            let fits = ((budget / elapsed.max(1e-9)).floor() as usize).max(1);
            if fits < run.epochs {
                schedule.end_within(fits * n_steps)?;
                progress.message(&format!(
                    "{stage}: the time budget fits about {fits} of {} epochs; the learning-rate \
                     schedule now ends there",
                    run.epochs
                ));
            }
        }
        summary.epochs_run = epoch;
        let train_loss = loss_sum / loss_n.max(1) as f64;
        summary.curve.push(CurvePoint {
            epoch,
            train_loss,
            val_loss,
            val_score,
            learning_rate: lr,
            elapsed_s: elapsed,
        });
        progress.epoch(&EpochReport {
            stage: stage.to_string(),
            epoch,
            epochs: run.epochs,
            train_loss,
            val_loss,
            val_score,
            learning_rate: lr,
            windows_per_s: windows_seen as f64 / elapsed.max(1e-9),
            elapsed_s: elapsed,
            eta_s: stage_eta(elapsed, epoch, run.epochs, run.max_minutes),
            best: improved,
        });
        if whole_epoch && let Some(dir) = &resume_dir {
            let state = EpochState {
                fingerprint: run.fingerprint.clone(),
                epoch,
                since_improvement,
                windows_seen,
                elapsed_s: elapsed,
                summary: summary.clone(),
                schedule: schedule.state(),
                steps: steps.state(),
            };
            resume::save(
                dir,
                &state,
                &model.valid(),
                &optimizer,
                improved.then_some(&best),
            )?;
        }
        if progress.cancelled() {
            summary.stopped_by_user = true;
            break;
        }
        if patience_spent(since_improvement) {
            summary.stopped_early = true;
            progress.message(&format!(
                "{stage}: early stop, no improvement for {since_improvement} epochs"
            ));
            break;
        }
        if out_of_time || budget_s.is_some_and(|budget| elapsed > budget) {
            summary.stopped_early = true;
            progress.message(&format!(
                "{stage}: time budget reached, keeping the best state"
            ));
            break;
        }
    }
    summary.train_seconds = before_s + started.elapsed().as_secs_f64();
    summary.windows_per_s = windows_seen as f64 / summary.train_seconds.max(1e-9);
    Ok((best, summary))
}

/// The encoder's steps: class-balanced batches of two views each, scored by SupCon.
struct EncoderSteps<'a> {
    data: &'a TrainingData,
    config: &'a EncoderTrainingConfig,
    train_pools: Vec<ClassPool>,
    train_peaks: Vec<Vec<usize>>,
    steps: usize,
    /// Fixed validation batches, balanced as the training batches are and scored with the same
    /// views every epoch.
    val_batches: Vec<Vec<usize>>,
    val_peaks: Vec<Vec<usize>>,
    /// The labelled validation windows whose leak-free ĥ affinity selects the encoder.
    val_affinity: ValAffinity,
    rng: Rng,
    ad_device: Device,
    device: &'a Device,
}

impl StageSteps<Encoder> for EncoderSteps<'_> {
    fn begin_epoch(&mut self) -> usize {
        self.steps
    }

    fn loss(&mut self, model: &Encoder, _step: usize) -> Option<(Tensor<1>, usize)> {
        let batch = encoder_batch(
            &self.data.train,
            &self.train_peaks,
            &self.train_pools,
            self.config,
            &mut self.rng,
            &self.ad_device,
        );
        let windows = batch.windows;
        encoder_loss(model, batch, self.config.temperature).map(|loss| (loss, windows))
    }

    fn val_loss(&mut self, model: &Encoder) -> Result<f64, ModelError> {
        let mut rng = Rng::new(7);
        let mut sum = 0.0;
        let mut n = 0usize;
        for batch in &self.val_batches {
            let views = view_batch(
                &self.data.val,
                &self.val_peaks,
                batch,
                &mut rng,
                self.device,
            );
            if let Some(loss) = encoder_loss(model, views, self.config.temperature) {
                sum += read_scalar(loss)?;
                n += 1;
            }
        }
        Ok(if n == 0 { f64::NAN } else { sum / n as f64 })
    }

    fn val_score(&mut self, model: &Encoder) -> Result<Option<f64>, ModelError> {
        self.val_affinity.diagonal(model, self.data, self.device)
    }

    fn state(&self) -> StepsState {
        StepsState {
            rng: Some(self.rng.clone()),
            order: Vec::new(),
        }
    }

    fn restore(&mut self, state: StepsState) {
        if let Some(rng) = state.rng {
            self.rng = rng;
        }
    }
}

/// One encoder training batch: both views of each window as one tensor, their labels, and the
/// number of windows.
struct EncoderBatch {
    x: Tensor<3>,
    labels: Vec<u64>,
    windows: usize,
}

/// Draws a class-balanced batch from `pools` and builds its two views.
fn encoder_batch(
    set: &WindowSet,
    peaks: &[Vec<usize>],
    pools: &[ClassPool],
    config: &EncoderTrainingConfig,
    rng: &mut Rng,
    device: &Device,
) -> EncoderBatch {
    let batch = balanced_batch(pools, config.batch_classes, config.per_class, rng);
    view_batch(set, peaks, &batch, rng, device)
}

/// The two views of the windows `batch`, as one tensor with their labels.
fn view_batch(
    set: &WindowSet,
    peaks: &[Vec<usize>],
    batch: &[usize],
    rng: &mut Rng,
    device: &Device,
) -> EncoderBatch {
    let (x, labels) = two_views(set, peaks, batch, rng);
    let n = labels.len();
    EncoderBatch {
        x: tensor3(x, [n, 3, WINDOW], device),
        labels,
        windows: batch.len(),
    }
}

/// The SupCon loss of a batch's projections; `None` when no anchor has a positive.
fn encoder_loss(model: &Encoder, batch: EncoderBatch, temperature: f64) -> Option<Tensor<1>> {
    let z = model.project(model.embed(batch.x));
    supcon_loss(z, &batch.labels, temperature)
}

/// The labelled validation windows, with their class, record and patient, for the encoder's
/// selection score: the class-mean diagonal of ĥ's k-NN affinity with neighbours from other
/// patients only (METHOD.md's affinity without the same-record leak), the figure the study reports.
/// ĥ is h normalised with the training windows' statistics, as the decoders and `eval` read it:
/// cosine neighbours of raw h can differ (raw h is non-negative and shares a large mean).
struct ValAffinity {
    windows: Vec<usize>,
    classes: Vec<usize>,
    class_names: Vec<String>,
    records: Vec<u32>,
    patients: Vec<u32>,
}

/// Neighbours of the selection score, as the study's affinity.
const AFFINITY_K: usize = 10;

impl ValAffinity {
    fn new(data: &TrainingData) -> Self {
        let set = &data.val;
        let mut patient_ids: BTreeMap<&str, u32> = BTreeMap::new();
        let mut out = Self {
            windows: Vec::new(),
            classes: Vec::new(),
            class_names: data.label_names.clone(),
            records: Vec::new(),
            patients: Vec::new(),
        };
        for (i, &bits) in set.labels.iter().enumerate() {
            let Some(record) = data.records.get(set.record[i]) else {
                continue;
            };
            let class = bits.trailing_zeros() as usize;
            if bits == 0 || class >= out.class_names.len() {
                continue;
            }
            let next = patient_ids.len() as u32;
            out.windows.push(i);
            out.classes.push(class);
            out.records.push(set.record[i] as u32);
            out.patients.push(
                *patient_ids
                    .entry(record.patient_id.as_str())
                    .or_insert(next),
            );
        }
        out
    }

    /// The leak-free diagonal for `encoder`; `None` with too few windows or neighbours.
    fn diagonal(
        &self,
        encoder: &Encoder,
        data: &TrainingData,
        device: &Device,
    ) -> Result<Option<f64>, ModelError> {
        if self.windows.len() <= AFFINITY_K {
            return Ok(None);
        }
        let (mean, std) = embedding_stats(&embed_set(encoder, &data.train, device)?);
        let mut h = embed_windows(encoder, &data.val, &self.windows, device)?;
        normalise_embeddings(&mut h, &mean, &std);
        let input = AffinityInput {
            features: &h,
            dim: EMBEDDING_DIM,
            labels: &self.classes,
            class_names: &self.class_names,
            records: &self.records,
            patients: &self.patients,
        };
        let options = AffinityOptions {
            k: AFFINITY_K,
            bootstrap_resamples: 0,
            seed: 0,
        };
        let affinity = knn_affinity(&input, &options).map_err(|e| ModelError::Data(e.0))?;
        Ok(affinity.other_patient.map(|reading| reading.diagonal_mean))
    }
}

/// Validation batches of the encoder: at most this many, covering the labelled validation windows
/// about once.
const MAX_VAL_BATCHES: usize = 16;

/// Trains the encoder with the supervised contrastive loss on each record's pathology class.
/// Returns the best state on the inference device: by the leak-free ĥ affinity of the validation
/// windows ([`ValAffinity`]), else (too few labelled validation windows) by the validation loss. `progress` stops it after
/// the current step.
#[allow(clippy::too_many_arguments)]
pub fn train_encoder(
    data: &TrainingData,
    model_config: &EncoderConfig,
    config: &EncoderTrainingConfig,
    seed: u64,
    device: &Device,
    checkpoint_dir: Option<&Path>,
    resume: bool,
    progress: &mut dyn TrainProgress,
) -> Result<(Encoder, StageSummary), ModelError> {
    let stage = "encoder";
    let ad_device = device.clone().autodiff();
    ad_device.seed(seed);
    let model = model_config.init(&ad_device);
    let train_pools = class_pools(data, &data.train, 2);
    if train_pools.len() < 2 {
        return Err(ModelError::Data(
            "the encoder needs at least two pathology classes, each with windows of two patients, \
             in the training windows"
                .to_string(),
        ));
    }
    let labelled = |set: &WindowSet| set.labels.iter().filter(|&&bits| bits != 0).count();
    let batch_size = config.batch_classes.min(train_pools.len()) * config.per_class;
    let steps = if config.steps_per_epoch > 0 {
        config.steps_per_epoch
    } else {
        labelled(&data.train).div_ceil(batch_size).max(1)
    };
    // A small validation split may not have two classes seen in two patients each; its loss then
    // takes classes of one patient too (positives from one recording), and says so.
    let mut val_pools = class_pools(data, &data.val, 2);
    if val_pools.len() < 2 {
        val_pools = class_pools(data, &data.val, 1);
        if val_pools.len() >= 2 {
            progress.message(
                "encoder: the validation split has fewer than two classes seen in two patients; \
                 its loss also counts classes of one patient (positives from one recording)",
            );
        }
    }
    let mut val_rng = Rng::new(seed ^ 0x5eed_f7a1);
    let val_batches: Vec<Vec<usize>> = if val_pools.len() < 2 {
        Vec::new()
    } else {
        let per_batch = config.batch_classes.min(val_pools.len()) * config.per_class;
        let n = labelled(&data.val)
            .div_ceil(per_batch)
            .clamp(1, MAX_VAL_BATCHES);
        (0..n)
            .map(|_| {
                balanced_batch(
                    &val_pools,
                    config.batch_classes,
                    config.per_class,
                    &mut val_rng,
                )
            })
            .collect()
    };
    progress.message(&format!(
        "encoder: {} classes with two or more training patients, {} validation batches",
        train_pools.len(),
        val_batches.len()
    ));
    let schedule = Schedule::warmup_cosine(
        config.learning_rate,
        config.warmup_epochs * steps,
        config.epochs * steps,
    )?;
    let run = StageRun {
        stage,
        epochs: config.epochs,
        early_stop_patience: config.early_stop_patience.filter(|&patience| patience > 0),
        max_minutes: config.max_minutes,
        weight_decay: config.weight_decay,
        grad_clip_norm: config.grad_clip_norm,
        checkpoint_dir,
        resume,
        fingerprint: format!(
            "{model_config:?} {config:?} seed {seed}, {} training windows",
            data.train.len()
        ),
    };
    let mut encoder_steps = EncoderSteps {
        data,
        config,
        train_pools,
        train_peaks: window_r_peaks(&data.train),
        steps,
        val_batches,
        val_peaks: window_r_peaks(&data.val),
        val_affinity: ValAffinity::new(data),
        rng: Rng::new(seed),
        ad_device,
        device,
    };
    run_stage(&run, model, &mut encoder_steps, schedule, progress)
}

/// The two views of each window (METHOD.md): centred on one of its R peaks, drawn at random, with
/// light noise; and the signal-augmented view (noise σ 0.01, per-lead scale, shift, lead dropout).
fn two_views(
    set: &WindowSet,
    peaks: &[Vec<usize>],
    batch: &[usize],
    rng: &mut Rng,
) -> (Vec<f32>, Vec<u64>) {
    let base = normalised_inputs(set, batch);
    let mut x = Vec::with_capacity(base.len() * 2);
    let mut labels = Vec::with_capacity(batch.len() * 2);
    for (k, &i) in batch.iter().enumerate() {
        let mut view = base[k * 3 * WINDOW..(k + 1) * 3 * WINDOW].to_vec();
        if let Some(window_peaks) = peaks.get(i).filter(|p| !p.is_empty()) {
            centre_on(&mut view, window_peaks[rng.below(window_peaks.len())]);
        }
        augment(&mut view, rng, 0.005, false);
        x.extend_from_slice(&view);
        labels.push(set.labels[i]);
    }
    for (k, &i) in batch.iter().enumerate() {
        let mut view = base[k * 3 * WINDOW..(k + 1) * 3 * WINDOW].to_vec();
        augment(&mut view, rng, 0.01, true);
        x.extend_from_slice(&view);
        labels.push(set.labels[i]);
    }
    (x, labels)
}

/// Embeddings h [n, 128] of every window of a set (inference mode), in batches.
pub fn embed_set(
    encoder: &Encoder,
    set: &WindowSet,
    device: &Device,
) -> Result<Vec<f32>, ModelError> {
    let all: Vec<usize> = (0..set.len()).collect();
    embed_windows(encoder, set, &all, device)
}

/// Embeddings h [n, 128] of the windows `indices` of a set (inference mode), in batches.
fn embed_windows(
    encoder: &Encoder,
    set: &WindowSet,
    indices: &[usize],
    device: &Device,
) -> Result<Vec<f32>, ModelError> {
    let mut out = Vec::with_capacity(indices.len() * EMBEDDING_DIM);
    for chunk in indices.chunks(256) {
        let x = normalised_inputs(set, chunk);
        let h = encoder.embed(tensor3(x, [chunk.len(), 3, WINDOW], device));
        out.extend(read_f32(h)?);
    }
    Ok(out)
}

/// Per-dimension mean and standard deviation of h over the training windows.
pub fn embedding_stats(h: &[f32]) -> (Vec<f32>, Vec<f32>) {
    let n = (h.len() / EMBEDDING_DIM).max(1);
    let mut mean = vec![0.0f64; EMBEDDING_DIM];
    let mut sq = vec![0.0f64; EMBEDDING_DIM];
    for row in h.chunks(EMBEDDING_DIM) {
        for (k, &v) in row.iter().enumerate() {
            mean[k] += f64::from(v);
            sq[k] += f64::from(v) * f64::from(v);
        }
    }
    let mean: Vec<f64> = mean.iter().map(|s| s / n as f64).collect();
    let std: Vec<f32> = sq
        .iter()
        .zip(&mean)
        .map(|(s, m)| ((s / n as f64 - m * m).max(0.0).sqrt() + 1e-6) as f32)
        .collect();
    (mean.iter().map(|&m| m as f32).collect(), std)
}

/// ĥ = (h − mean)/std, in place.
pub fn normalise_embeddings(h: &mut [f32], mean: &[f32], std: &[f32]) {
    for row in h.chunks_mut(EMBEDDING_DIM) {
        for ((v, m), s) in row.iter_mut().zip(mean).zip(std) {
            *v = (*v - m) / s;
        }
    }
}

/// A window set with its normalised embeddings, as the decoders consume it.
pub struct DecoderData<'a> {
    pub set: &'a WindowSet,
    /// ĥ [n, 128], normalised.
    pub h: &'a [f32],
}

fn decoder_batch(
    data: &DecoderData,
    indices: &[usize],
    outputs: &[usize],
    with_h: bool,
    norm: InputNorm,
    device: &Device,
) -> (Tensor<3>, Option<Tensor<2>>, Tensor<3>) {
    decoder_batch_with(data, indices, outputs, with_h, norm, device, None)
}

/// [`decoder_batch`], each window first re-synthesised through a random anatomy where `augment`
/// says so (before the inputs are normalised, so both stay in mV until then). ĥ stays the
/// recorded window's embedding.
fn decoder_batch_with(
    data: &DecoderData,
    indices: &[usize],
    outputs: &[usize],
    with_h: bool,
    norm: InputNorm,
    device: &Device,
    mut augment: Option<(&AnatomyAugmentation, &mut Rng)>,
) -> (Tensor<3>, Option<Tensor<2>>, Tensor<3>) {
    let b = indices.len();
    let mut x = Vec::with_capacity(b * 3 * WINDOW);
    let mut y = Vec::with_capacity(b * outputs.len() * WINDOW);
    let mut window_y = vec![0.0f32; TARGET_LEADS.len() * WINDOW];
    for &i in indices {
        let start = x.len();
        x.extend_from_slice(data.set.x_of(i));
        window_y.copy_from_slice(data.set.y_of(i));
        if let Some((augmentation, rng)) = augment.as_mut() {
            augmentation.apply(&mut x[start..], &mut window_y, WINDOW, rng);
        }
        normalise_window(&mut x[start..], WINDOW, norm);
        for &lead in outputs {
            y.extend_from_slice(&window_y[lead * WINDOW..(lead + 1) * WINDOW]);
        }
    }
    let x = tensor3(x, [b, 3, WINDOW], device);
    let y = tensor3(y, [b, outputs.len(), WINDOW], device);
    let h = with_h.then(|| {
        let mut values = Vec::with_capacity(b * EMBEDDING_DIM);
        for &i in indices {
            values.extend_from_slice(&data.h[i * EMBEDDING_DIM..(i + 1) * EMBEDDING_DIM]);
        }
        tensor2(values, [b, EMBEDDING_DIM], device)
    });
    (x, h, y)
}

/// Predictions [n, outputs, 256] of a decoder over a whole set.
pub fn predict_set(
    decoder: &Decoder,
    norm: InputNorm,
    data: &DecoderData,
    device: &Device,
) -> Result<Vec<f32>, ModelError> {
    let all: Vec<usize> = (0..data.set.len()).collect();
    let mut out = Vec::new();
    for chunk in all.chunks(256) {
        let (x, h, _) = decoder_batch(data, chunk, &[], decoder.uses_embedding(), norm, device);
        out.extend(read_f32(decoder.forward(x, h))?);
    }
    Ok(out)
}

fn decoder_val_loss(
    decoder: &Decoder,
    norm: InputNorm,
    data: &DecoderData,
    outputs: &[usize],
    device: &Device,
) -> Result<f64, ModelError> {
    let all: Vec<usize> = (0..data.set.len()).collect();
    let (mut sum, mut n) = (0.0, 0usize);
    for chunk in all.chunks(256) {
        let (x, h, y) = decoder_batch(data, chunk, outputs, decoder.uses_embedding(), norm, device);
        let loss = reconstruction_loss(decoder.forward(x, h), y);
        sum += read_scalar(loss)? * chunk.len() as f64;
        n += chunk.len();
    }
    Ok(if n == 0 { f64::NAN } else { sum / n as f64 })
}

/// What every decoder of one comparison shares: data, schedule, seed and device.
pub struct DecoderTraining<'a> {
    pub train: &'a DecoderData<'a>,
    pub val: &'a DecoderData<'a>,
    pub schedule: &'a DecoderTrainingConfig,
    pub seed: u64,
    pub device: &'a Device,
}

impl DecoderTraining<'_> {
    /// [`train_decoder`] without checkpoints, for decoders that are compared and not kept.
    pub fn unsaved(
        &self,
        stage: &str,
        model_config: &DecoderConfig,
        outputs: &[usize],
        progress: &mut dyn TrainProgress,
    ) -> Result<(Decoder, StageSummary), ModelError> {
        train_decoder(
            stage,
            self.train,
            self.val,
            model_config,
            self.schedule,
            outputs,
            self.seed,
            self.device,
            None,
            false,
            progress,
        )
    }
}

/// A decoder's steps: the training windows shuffled each epoch in batches, scored by
/// 0.8·MSE + 0.2·MAE on the target leads `outputs`.
struct DecoderSteps<'a> {
    train: &'a DecoderData<'a>,
    val: &'a DecoderData<'a>,
    outputs: &'a [usize],
    with_h: bool,
    norm: InputNorm,
    batch_size: usize,
    augmentation: Option<AnatomyAugmentation>,
    order: Vec<usize>,
    rng: Rng,
    ad_device: Device,
    device: &'a Device,
}

impl StageSteps<Decoder> for DecoderSteps<'_> {
    fn begin_epoch(&mut self) -> usize {
        self.rng.shuffle(&mut self.order);
        self.order.len().div_ceil(self.batch_size)
    }

    fn loss(&mut self, model: &Decoder, step: usize) -> Option<(Tensor<1>, usize)> {
        let batch = self.order.chunks(self.batch_size).nth(step)?;
        let augment = self
            .augmentation
            .as_ref()
            .map(|augmentation| (augmentation, &mut self.rng));
        let (x, h, y) = decoder_batch_with(
            self.train,
            batch,
            self.outputs,
            self.with_h,
            self.norm,
            &self.ad_device,
            augment,
        );
        Some((reconstruction_loss(model.forward(x, h), y), batch.len()))
    }

    fn val_loss(&mut self, model: &Decoder) -> Result<f64, ModelError> {
        decoder_val_loss(model, self.norm, self.val, self.outputs, self.device)
    }

    /// The order is reshuffled in place every epoch, so it is state as much as the generator.
    fn state(&self) -> StepsState {
        StepsState {
            rng: Some(self.rng.clone()),
            order: self.order.clone(),
        }
    }

    fn restore(&mut self, state: StepsState) {
        if let Some(rng) = state.rng {
            self.rng = rng;
        }
        if state.order.len() == self.order.len() {
            self.order = state.order;
        }
    }
}

/// Trains one decoder on `outputs` (target-lead indices; all five for a multi-output decoder).
/// `progress` stops it after the current step.
#[allow(clippy::too_many_arguments)]
pub fn train_decoder(
    stage: &str,
    train: &DecoderData,
    val: &DecoderData,
    model_config: &DecoderConfig,
    config: &DecoderTrainingConfig,
    outputs: &[usize],
    seed: u64,
    device: &Device,
    checkpoint_dir: Option<&Path>,
    resume: bool,
    progress: &mut dyn TrainProgress,
) -> Result<(Decoder, StageSummary), ModelError> {
    if outputs.len() != model_config.outputs {
        return Err(ModelError::Data(format!(
            "{stage}: {} target leads for a decoder with {} outputs",
            outputs.len(),
            model_config.outputs
        )));
    }
    let ad_device = device.clone().autodiff();
    ad_device.seed(seed);
    let model = model_config.init(&ad_device);
    let run = StageRun {
        stage,
        epochs: config.epochs,
        early_stop_patience: Some(config.early_stop_patience),
        max_minutes: config.max_minutes,
        weight_decay: config.weight_decay,
        grad_clip_norm: config.grad_clip_norm,
        checkpoint_dir,
        resume,
        fingerprint: format!(
            "{model_config:?} {config:?} outputs {outputs:?} seed {seed}, {} training windows",
            train.set.len()
        ),
    };
    let mut decoder_steps = DecoderSteps {
        train,
        val,
        outputs,
        with_h: model_config.with_embedding,
        norm: model_config.input_norm,
        batch_size: config.batch_size.max(1),
        augmentation: config.anatomical_augmentation,
        order: (0..train.set.len()).collect(),
        rng: Rng::new(seed ^ stable_stage_seed(stage)),
        ad_device,
        device,
    };
    let schedule = Schedule::plateau(
        config.learning_rate,
        config.plateau_factor,
        config.plateau_patience,
    );
    run_stage(&run, model, &mut decoder_steps, schedule, progress)
}

fn stable_stage_seed(stage: &str) -> u64 {
    crate::prep::stable_hash(stage)
}

/// Which of the training data's splits a stage validates on.
pub fn validation_split() -> Split {
    Split::Val
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;

    use burn::nn::{BatchNorm, BatchNormConfig, Linear, LinearConfig};

    use super::*;

    /// A linear model whose validation losses are scripted, recording its weights at each
    /// validation, so the test can tell which epoch's state came back.
    struct Scripted {
        val_losses: Vec<f64>,
        /// Validation scores per epoch (empty: the stage has none).
        val_scores: Vec<f64>,
        weights_at_validation: Vec<Vec<f32>>,
        ad_device: Device,
    }

    impl StageSteps<Linear> for Scripted {
        fn begin_epoch(&mut self) -> usize {
            3
        }

        fn loss(&mut self, model: &Linear, _step: usize) -> Option<(Tensor<1>, usize)> {
            let x = tensor2(vec![1.0; 8], [2, 4], &self.ad_device);
            Some((model.forward(x).powf_scalar(2.0).mean(), 2))
        }

        fn val_loss(&mut self, model: &Linear) -> Result<f64, ModelError> {
            self.weights_at_validation
                .push(read_f32(model.weight.val())?);
            let epoch = self.weights_at_validation.len() - 1;
            Ok(self.val_losses.get(epoch).copied().unwrap_or(f64::NAN))
        }

        fn val_score(&mut self, _model: &Linear) -> Result<Option<f64>, ModelError> {
            let epoch = self.weights_at_validation.len().saturating_sub(1);
            Ok(self.val_scores.get(epoch).copied())
        }

        fn state(&self) -> StepsState {
            StepsState::default()
        }

        fn restore(&mut self, _state: StepsState) {}
    }

    /// Asks to stop once it has been polled `after` times.
    struct StopAfter {
        polls: Cell<usize>,
        after: usize,
    }

    impl Progress for StopAfter {
        fn message(&mut self, _: &str) {}
        fn cancelled(&self) -> bool {
            self.polls.set(self.polls.get() + 1);
            self.polls.get() > self.after
        }
    }

    impl TrainProgress for StopAfter {}

    fn stage_run(epochs: usize, patience: Option<usize>) -> StageRun<'static> {
        StageRun {
            stage: "test",
            epochs,
            early_stop_patience: patience,
            max_minutes: 0.0,
            weight_decay: 0.0,
            grad_clip_norm: 1.0,
            checkpoint_dir: None,
            resume: false,
            fingerprint: String::new(),
        }
    }

    fn scripted(val_losses: &[f64]) -> (Linear, Scripted) {
        let ad_device = Device::flex().autodiff();
        let mut model = LinearConfig::new(4, 1).with_bias(false).init(&ad_device);
        // Fixed weights: tests run in parallel and share the device's random generator.
        model.weight = burn::module::Param::from_tensor(Tensor::from_data(
            TensorData::new(vec![0.4f32, -0.3, 0.2, -0.1], [4, 1]),
            &ad_device,
        ));
        let steps = Scripted {
            val_losses: val_losses.to_vec(),
            val_scores: Vec::new(),
            weights_at_validation: Vec::new(),
            ad_device,
        };
        (model, steps)
    }

    #[test]
    fn the_state_returned_is_the_best_epochs_not_the_last() {
        let (model, mut steps) = scripted(&[3.0, 1.0, 2.0, 2.5]);
        let schedule = Schedule::plateau(0.1, 0.5, 5);
        let (best, summary) = run_stage(
            &stage_run(4, None),
            model,
            &mut steps,
            schedule,
            &mut Silent,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((summary.epochs_run, summary.best_epoch), (4, 2));
        assert_eq!(summary.best_val_loss, 1.0);
        let returned = read_f32(best.weight.val()).unwrap_or_default();
        let at = &steps.weights_at_validation;
        assert_eq!(returned, at[1], "epoch 2's weights");
        assert_ne!(at[1], at[3], "training moved the weights after epoch 2");
    }

    #[test]
    fn a_validation_score_chooses_the_state_over_the_loss() {
        // The loss is best at epoch 1, the score (higher is better) at epoch 3.
        let (model, mut steps) = scripted(&[1.0, 2.0, 3.0, 4.0]);
        steps.val_scores = vec![0.2, 0.3, 0.5, 0.4];
        let schedule = Schedule::plateau(0.1, 0.5, 5);
        let (best, summary) = run_stage(
            &stage_run(4, None),
            model,
            &mut steps,
            schedule,
            &mut Silent,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(summary.best_epoch, 3);
        assert_eq!(summary.best_val_score, Some(0.5));
        assert_eq!(summary.best_val_loss, 3.0, "the loss at the chosen epoch");
        let returned = read_f32(best.weight.val()).unwrap_or_default();
        assert_eq!(
            returned, steps.weights_at_validation[2],
            "epoch 3's weights"
        );
        assert_eq!(summary.curve.len(), 4);
        assert_eq!(summary.curve[1].val_score, Some(0.3));
    }

    /// A batch norm fed a different constant each epoch, so its running mean moves; validation
    /// losses scripted, the running mean recorded at each validation.
    struct ScriptedNorm {
        val_losses: Vec<f64>,
        epoch: usize,
        running_means: Vec<Vec<f32>>,
        ad_device: Device,
    }

    impl StageSteps<BatchNorm> for ScriptedNorm {
        fn begin_epoch(&mut self) -> usize {
            self.epoch += 1;
            2
        }

        fn loss(&mut self, model: &BatchNorm, _step: usize) -> Option<(Tensor<1>, usize)> {
            let x = tensor3(vec![self.epoch as f32; 16], [2, 2, 4], &self.ad_device);
            Some((model.forward(x).powf_scalar(2.0).mean(), 2))
        }

        fn val_loss(&mut self, model: &BatchNorm) -> Result<f64, ModelError> {
            self.running_means
                .push(read_f32(model.running_mean.value())?);
            Ok(self.val_losses[self.running_means.len() - 1])
        }

        fn state(&self) -> StepsState {
            StepsState::default()
        }

        fn restore(&mut self, _state: StepsState) {}
    }

    /// The state returned carries the best epoch's batch-norm statistics, not the last epoch's:
    /// burn's module `clone` shares running statistics, so a cloned "best" would drift with
    /// training.
    #[test]
    fn the_best_state_keeps_its_own_batch_norm_statistics() {
        let ad_device = Device::flex().autodiff();
        let model = BatchNormConfig::new(2).init(&ad_device);
        let mut steps = ScriptedNorm {
            val_losses: vec![1.0, 2.0, 3.0],
            epoch: 0,
            running_means: Vec::new(),
            ad_device,
        };
        let (best, summary) = run_stage(
            &stage_run(3, None),
            model,
            &mut steps,
            Schedule::plateau(0.1, 0.5, 5),
            &mut Silent,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(summary.best_epoch, 1);
        let returned = read_f32(best.running_mean.value()).unwrap_or_default();
        assert_ne!(
            steps.running_means[0], steps.running_means[2],
            "the statistics moved"
        );
        assert_eq!(returned, steps.running_means[0], "epoch 1's statistics");
    }

    fn resume_dir_for(name: &str) -> std::path::PathBuf {
        let dir =
            std::env::temp_dir().join(format!("precordial-resume-{name}-{}", std::process::id()));
        std::fs::remove_dir_all(&dir).ok();
        dir
    }

    /// A stage killed after epoch 2, and one stopped half-way through epoch 3, each resumed, end
    /// with the weights and curve of a run never interrupted: AdamW's moments, the schedule's
    /// position and the best state come back, and the half epoch is run again from its start.
    #[test]
    fn a_resumed_stage_ends_where_an_uninterrupted_one_does() {
        let losses = [4.0, 3.0, 3.5, 2.0, 2.5];
        let schedule = || Schedule::warmup_cosine(0.05, 3, 15).unwrap_or_else(|e| panic!("{e}"));
        fn run_in(dir: &Path, epochs: usize, resume: bool) -> StageRun<'_> {
            StageRun {
                checkpoint_dir: Some(dir),
                resume,
                fingerprint: "linear 4→1".to_string(),
                ..stage_run(epochs, None)
            }
        }
        // Everything but the clock.
        let curve = |summary: &StageSummary| {
            summary
                .curve
                .iter()
                .map(|point| CurvePoint {
                    elapsed_s: 0.0,
                    ..point.clone()
                })
                .collect::<Vec<_>>()
        };
        let weights = |model: &Linear| read_f32(model.weight.val()).unwrap_or_default();

        let straight_dir = resume_dir_for("straight");
        let (model, mut steps) = scripted(&losses);
        let (straight, straight_summary) = run_stage(
            &run_in(&straight_dir, 5, false),
            model,
            &mut steps,
            schedule(),
            &mut Silent,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(straight_summary.best_epoch, 4);

        // Killed after epoch 2: the state on disk is what a 5-epoch run leaves there.
        let killed_dir = resume_dir_for("killed");
        let (model, mut steps) = scripted(&losses);
        run_stage(
            &run_in(&killed_dir, 2, false),
            model,
            &mut steps,
            schedule(),
            &mut Silent,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        // Stopped in the middle of epoch 3 (3 steps an epoch, one poll each, one after each
        // epoch): its partial epoch is validated and reported but not saved.
        let (model, mut steps) = scripted(&losses);
        let mut stop = StopAfter {
            polls: Cell::new(0),
            after: 4 + 4 + 1,
        };
        let stopped_dir = resume_dir_for("stopped");
        let (_, summary) = run_stage(
            &run_in(&stopped_dir, 5, false),
            model,
            &mut steps,
            schedule(),
            &mut stop,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert!(summary.stopped_by_user);
        assert_eq!(summary.epochs_run, 3, "the partial third epoch is reported");

        for dir in [&killed_dir, &stopped_dir] {
            let (model, mut steps) = scripted(&losses[2..]);
            let (resumed, summary) = run_stage(
                &run_in(dir, 5, true),
                model,
                &mut steps,
                schedule(),
                &mut Silent,
            )
            .unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(weights(&resumed), weights(&straight), "{}", dir.display());
            assert_eq!(curve(&summary), curve(&straight_summary));
            assert_eq!(summary.best_epoch, 4);
            assert_eq!(summary.epochs_run, 5);
        }

        // Another configuration never continues this state.
        let (model, mut steps) = scripted(&losses);
        let other = StageRun {
            fingerprint: "linear 4→2".to_string(),
            ..run_in(&killed_dir, 5, true)
        };
        let refused = run_stage(&other, model, &mut steps, schedule(), &mut Silent)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            refused.contains("state.ron") && refused.contains("another configuration"),
            "{refused}"
        );
        for dir in [straight_dir, killed_dir, stopped_dir] {
            std::fs::remove_dir_all(dir).ok();
        }
    }

    #[test]
    fn patience_and_stop_end_a_stage() {
        let (model, mut steps) = scripted(&[1.0, 2.0, 2.0, 2.0, 2.0]);
        let (_, summary) = run_stage(
            &stage_run(5, Some(2)),
            model,
            &mut steps,
            Schedule::plateau(0.1, 0.5, 5),
            &mut Silent,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(summary.epochs_run, 3);
        assert!(summary.stopped_early && !summary.stopped_by_user);

        let (model, mut steps) = scripted(&[1.0, 0.5]);
        let mut stop = StopAfter {
            polls: Cell::new(0),
            after: 1,
        };
        let (_, summary) = run_stage(
            &stage_run(2, None),
            model,
            &mut steps,
            Schedule::plateau(0.1, 0.5, 5),
            &mut stop,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(summary.epochs_run, 1, "stopped in the first epoch");
        assert!(summary.stopped_by_user);
    }

    #[test]
    fn warmup_then_cosine_follows_the_formula() {
        let (base, warm, total) = (1e-3, 4, 10);
        let Ok(mut schedule) = Schedule::warmup_cosine(base, warm, total) else {
            panic!("valid schedule");
        };
        for global in 0..total {
            let want = if global < warm {
                base * (global + 1) as f64 / warm as f64
            } else {
                let p = (global - warm) as f64 / (total - warm) as f64;
                base * 0.5 * (1.0 + (std::f64::consts::PI * p).cos())
            };
            let got = schedule.next_step();
            assert!((got - want).abs() < 1e-12, "step {global}: {got} vs {want}");
        }
        let Ok(mut no_warmup) = Schedule::warmup_cosine(base, 0, 4) else {
            panic!("valid schedule");
        };
        assert_eq!(no_warmup.next_step(), base);
    }

    #[test]
    fn a_budget_shortens_the_cosine_to_end_within_it() {
        let (base, warm) = (1e-3, 2);
        let Ok(mut schedule) = Schedule::warmup_cosine(base, warm, 40) else {
            panic!("valid schedule");
        };
        let Ok(mut reference) = Schedule::warmup_cosine(base, warm, 40) else {
            panic!("valid schedule");
        };
        for _ in 0..5 {
            assert_eq!(schedule.next_step(), reference.next_step());
        }
        // Ten steps in all now: steps 6-10 follow the cosine of a 10-step schedule.
        schedule.end_within(10).unwrap_or_else(|e| panic!("{e}"));
        let mut got = 0.0;
        for global in 5..10 {
            let p = (global - warm) as f64 / (10 - warm) as f64;
            let want = base * 0.5 * (1.0 + (std::f64::consts::PI * p).cos());
            got = schedule.next_step();
            assert!((got - want).abs() < 1e-12, "step {global}: {got} vs {want}");
        }
        // Past its end the last rate holds; it does not climb into a new cosine cycle.
        for _ in 0..20 {
            assert_eq!(schedule.next_step(), got);
        }
        // A plateau schedule has nothing to shorten.
        let mut plateau = Schedule::plateau(0.1, 0.5, 2);
        plateau.end_within(3).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(plateau.next_step(), 0.1);
    }

    fn record(patient: &str) -> crate::prep::LoadedRecord {
        crate::prep::LoadedRecord {
            record_id: patient.to_string(),
            patient_id: patient.to_string(),
            patient_id_stand_in: false,
            dataset: "test".to_string(),
            split: Split::Train,
            pathology: None,
            leads: Vec::new(),
        }
    }

    #[test]
    fn batches_draw_each_class_from_distinct_patients() {
        // Class 0: patients a (3 windows), b (2), c (1); class 1: patient d only (4 windows).
        let mut data = TrainingData {
            records: ["a", "b", "c", "d"].into_iter().map(record).collect(),
            ..TrainingData::default()
        };
        for (record, bits, n) in [(0, 1u64, 3), (1, 1, 2), (2, 1, 1), (3, 2, 4)] {
            for _ in 0..n {
                data.train.labels.push(bits);
                data.train.record.push(record);
            }
        }
        let pools = class_pools(&data, &data.train, 2);
        // A class seen in one patient only is no class to contrast: its positives would be
        // windows of one recording.
        assert_eq!(pools.len(), 1);
        assert_eq!(pools[0].patients.len(), 3);
        let mut rng = Rng::new(3);
        for _ in 0..50 {
            let batch = balanced_batch(&pools, 4, 3, &mut rng);
            assert_eq!(batch.len(), 3);
            let mut patients: Vec<usize> = batch.iter().map(|&w| data.train.record[w]).collect();
            patients.sort_unstable();
            patients.dedup();
            assert_eq!(patients.len(), 3, "a batch repeated a patient: {batch:?}");
        }
    }

    #[test]
    fn the_r_peak_view_centres_a_detected_peak() {
        let mut set = WindowSet::default();
        let mut x = vec![0.0f32; 3 * WINDOW];
        // Lead II: two beats, at 40 and 140 (1 s apart at 100 Hz), the second one the taller.
        for (peak, height) in [(40, 1.0), (140, 1.5)] {
            for k in 0..5 {
                let v = height * (1.0 - 0.2 * k as f32);
                x[WINDOW + peak + k] = v;
                x[WINDOW + peak - k] = v;
            }
        }
        set.x = x.clone();
        set.labels.push(1);
        let peaks = window_r_peaks(&set);
        assert_eq!(peaks, vec![vec![40, 140]]);
        let mut view = x;
        centre_on(&mut view, 40);
        assert_eq!(view[WINDOW + WINDOW / 2], 1.0);
        assert_eq!(view[WINDOW + WINDOW / 2 + 100], 1.5);
    }

    #[test]
    fn the_plateau_schedule_halves_after_patience() {
        let mut schedule = Schedule::plateau(0.1, 0.5, 2);
        schedule.end_epoch(false);
        assert_eq!(schedule.next_step(), 0.1);
        schedule.end_epoch(false);
        assert_eq!(schedule.next_step(), 0.05);
        schedule.end_epoch(true);
        schedule.end_epoch(false);
        assert_eq!(schedule.next_step(), 0.05);
    }
}
