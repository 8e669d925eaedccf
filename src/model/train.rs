//! Training: the supervised-contrastive encoder, then the decoders C and C-h on frozen, normalised
//! embeddings. Seeded and reproducible on the CPU; stops cleanly on a flag (Ctrl-C) keeping the best
//! state; each stage checkpoints its best state so `--resume` continues where it stopped.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use burn::config::Config;
use burn::grad_clipping::GradientClippingConfig;
use burn::module::Module;
use burn::optim::{AdamWConfig, GradientsParams};
use burn::tensor::{Device, Tensor, TensorData};

use super::data::{InputNorm, Split, TrainingData, WindowSet, normalise_window};
use super::decoder::{Decoder, DecoderConfig};
use super::encoder::{Encoder, EncoderConfig};
use super::loss::{reconstruction_loss, supcon_loss};
use super::rng::Rng;
use super::{EMBEDDING_DIM, ModelError, WINDOW};

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
}

impl TrainConfig {
    pub fn validate(&self) -> Result<(), String> {
        self.encoder.validate()?;
        self.decoder_c.validate()?;
        self.decoder_ch.validate()?;
        if self.decoder_c.with_embedding || !self.decoder_ch.with_embedding {
            return Err("decoder_c must have with_embedding false, decoder_ch true".to_string());
        }
        if self.decoder_c.outputs != self.decoder_ch.outputs {
            return Err(
                "decoder_c and decoder_ch must have the same number of outputs".to_string(),
            );
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
    pub learning_rate: f64,
    pub windows_per_s: f64,
    pub elapsed_s: f64,
    pub eta_s: f64,
    pub best: bool,
}

/// What a finished (or stopped) stage reports.
#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct StageSummary {
    pub stage: String,
    pub epochs_run: usize,
    pub best_epoch: usize,
    pub best_val_loss: f64,
    pub train_seconds: f64,
    pub windows_per_s: f64,
    pub stopped_by_user: bool,
    pub stopped_early: bool,
}

/// Receives progress from the training loops.
pub trait Progress {
    fn message(&mut self, text: &str);
    /// Called every few seconds within an epoch: (stage, step, steps, loss so far).
    fn step(&mut self, stage: &str, step: usize, steps: usize, loss: f64);
    fn epoch(&mut self, report: &EpochReport);
}

/// Progress that discards everything (tests).
pub struct Quiet;
impl Progress for Quiet {
    fn message(&mut self, _: &str) {}
    fn step(&mut self, _: &str, _: usize, _: usize, _: f64) {}
    fn epoch(&mut self, _: &EpochReport) {}
}

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

fn targets(set: &WindowSet, indices: &[usize], outputs: &[usize]) -> Vec<f32> {
    let mut out = Vec::with_capacity(indices.len() * outputs.len() * WINDOW);
    for &i in indices {
        let y = set.y_of(i);
        for &lead in outputs {
            out.extend_from_slice(&y[lead * WINDOW..(lead + 1) * WINDOW]);
        }
    }
    out
}

/// Rolls a normalised window so the highest lead-II sample sits at the centre (the R-peak view).
pub fn r_peak_centre(window: &mut [f32]) {
    let lead_ii = &window[WINDOW..2 * WINDOW];
    let peak = lead_ii
        .iter()
        .enumerate()
        .max_by(|a, b| a.1.total_cmp(b.1))
        .map_or(WINDOW / 2, |(i, _)| i);
    let shift = (WINDOW / 2 + WINDOW - peak) % WINDOW;
    for lead in window.chunks_mut(WINDOW) {
        lead.rotate_right(shift);
    }
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

/// Class-balanced batches: up to `classes` label bits, `per_class` windows each.
fn balanced_batch(
    by_class: &[(usize, Vec<usize>)],
    classes: usize,
    per_class: usize,
    rng: &mut Rng,
) -> Vec<usize> {
    let mut order: Vec<usize> = (0..by_class.len()).collect();
    rng.shuffle(&mut order);
    let mut batch = Vec::new();
    for &c in order.iter().take(classes) {
        let members = &by_class[c].1;
        for _ in 0..per_class {
            batch.push(members[rng.below(members.len())]);
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
    progress: &mut dyn Progress,
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

/// Trains the encoder with the supervised contrastive loss. Returns the best state (by validation
/// loss) on the inference device.
#[allow(clippy::too_many_arguments)]
pub fn train_encoder(
    data: &TrainingData,
    model_config: &EncoderConfig,
    config: &EncoderTrainingConfig,
    seed: u64,
    device: &Device,
    checkpoint_dir: Option<&Path>,
    resume: bool,
    stop: &Arc<AtomicBool>,
    progress: &mut dyn Progress,
) -> Result<(Encoder, StageSummary), ModelError> {
    let stage = "encoder";
    let ad_device = device.clone().autodiff();
    ad_device.seed(seed);
    let mut model = model_config.init(&ad_device);
    if resume {
        resume_stage(&mut model, checkpoint_dir, stage, progress)?;
    }
    let mut rng = Rng::new(seed);
    let mut optimizer = adamw(config.weight_decay, config.grad_clip_norm).init();

    let classes_of = |set: &WindowSet| -> Vec<(usize, Vec<usize>)> {
        let mut out: Vec<(usize, Vec<usize>)> = Vec::new();
        for bit in 0..64 {
            let members: Vec<usize> = (0..set.len())
                .filter(|&i| set.labels[i] & (1 << bit) != 0)
                .collect();
            if members.len() >= 2 {
                out.push((bit, members));
            }
        }
        out
    };
    let train_classes = classes_of(&data.train);
    if train_classes.len() < 2 {
        return Err(ModelError::Data(
            "the encoder needs at least two labelled classes in the training windows".to_string(),
        ));
    }
    let n_labelled = (0..data.train.len())
        .filter(|&i| data.train.labels[i] != 0)
        .count();
    let batch_size = config.batch_classes.min(train_classes.len()) * config.per_class;
    let steps = if config.steps_per_epoch > 0 {
        config.steps_per_epoch
    } else {
        n_labelled.div_ceil(batch_size).max(1)
    };
    // A fixed validation sample of labelled windows, the same views every epoch.
    let val_indices: Vec<usize> = (0..data.val.len())
        .filter(|&i| data.val.labels[i] != 0)
        .take(512)
        .collect();

    let started = Instant::now();
    let mut summary = StageSummary {
        stage: stage.to_string(),
        best_val_loss: f64::INFINITY,
        ..StageSummary::default()
    };
    let mut best = model.clone();
    let mut windows_seen = 0usize;
    for epoch in 1..=config.epochs {
        let mut loss_sum = 0.0;
        let mut loss_n = 0usize;
        let mut last_report = Instant::now();
        for step in 0..steps {
            if stop.load(Ordering::Relaxed) {
                break;
            }
            let global = (epoch - 1) * steps + step;
            let warm = config.warmup_epochs * steps;
            let total = config.epochs * steps;
            let lr = if global < warm {
                config.learning_rate * (global + 1) as f64 / warm as f64
            } else {
                let p = (global - warm) as f64 / (total - warm).max(1) as f64;
                config.learning_rate * 0.5 * (1.0 + (std::f64::consts::PI * p).cos())
            };
            let batch = balanced_batch(
                &train_classes,
                config.batch_classes,
                config.per_class,
                &mut rng,
            );
            let (x, labels) = two_views(&data.train, &batch, &mut rng);
            let n = labels.len();
            let z = model.project(model.embed(tensor3(x, [n, 3, WINDOW], &ad_device)));
            let Some(loss) = supcon_loss(z, &labels, config.temperature) else {
                continue;
            };
            let grads = GradientsParams::from_grads(loss.backward(), &model);
            loss_sum += read_scalar(loss.clone().inner())?;
            loss_n += 1;
            model = optimizer.step(lr, model, grads);
            windows_seen += batch.len();
            if last_report.elapsed().as_secs_f64() > 5.0 {
                progress.step(stage, step + 1, steps, loss_sum / loss_n.max(1) as f64);
                last_report = Instant::now();
            }
        }
        let val_loss = encoder_val_loss(&model.valid(), &data.val, &val_indices, config, device)?;
        let elapsed = started.elapsed().as_secs_f64();
        let improved = val_loss < summary.best_val_loss || !summary.best_val_loss.is_finite();
        if improved {
            summary.best_val_loss = val_loss;
            summary.best_epoch = epoch;
            best = model.clone();
            if let Some(dir) = checkpoint_dir {
                super::card::save_weights(&best.valid(), &checkpoint_path(dir, stage))?;
            }
        }
        summary.epochs_run = epoch;
        progress.epoch(&EpochReport {
            stage: stage.to_string(),
            epoch,
            epochs: config.epochs,
            train_loss: loss_sum / loss_n.max(1) as f64,
            val_loss,
            learning_rate: config.learning_rate,
            windows_per_s: windows_seen as f64 / elapsed.max(1e-9),
            elapsed_s: elapsed,
            eta_s: stage_eta(elapsed, epoch, config.epochs, config.max_minutes),
            best: improved,
        });
        if stop.load(Ordering::Relaxed) {
            summary.stopped_by_user = true;
            break;
        }
        if config.max_minutes > 0.0 && elapsed > config.max_minutes * 60.0 {
            summary.stopped_early = true;
            progress.message("encoder: time budget reached, keeping the best state");
            break;
        }
    }
    summary.train_seconds = started.elapsed().as_secs_f64();
    summary.windows_per_s = windows_seen as f64 / summary.train_seconds.max(1e-9);
    Ok((best.valid(), summary))
}

/// The two views of each window: R-peak-centred with light noise, and the augmented signal.
fn two_views(set: &WindowSet, batch: &[usize], rng: &mut Rng) -> (Vec<f32>, Vec<u64>) {
    let base = normalised_inputs(set, batch);
    let mut x = Vec::with_capacity(base.len() * 2);
    let mut labels = Vec::with_capacity(batch.len() * 2);
    for (k, &i) in batch.iter().enumerate() {
        let mut view = base[k * 3 * WINDOW..(k + 1) * 3 * WINDOW].to_vec();
        r_peak_centre(&mut view);
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

fn encoder_val_loss(
    model: &Encoder,
    set: &WindowSet,
    indices: &[usize],
    config: &EncoderTrainingConfig,
    device: &Device,
) -> Result<f64, ModelError> {
    let mut rng = Rng::new(7);
    let mut sum = 0.0;
    let mut n = 0usize;
    for chunk in indices.chunks(128) {
        let (x, labels) = two_views(set, chunk, &mut rng);
        let b = labels.len();
        let z = model.project(model.embed(tensor3(x, [b, 3, WINDOW], device)));
        if let Some(loss) = supcon_loss(z, &labels, config.temperature) {
            sum += read_scalar(loss)?;
            n += 1;
        }
    }
    Ok(if n == 0 { f64::NAN } else { sum / n as f64 })
}

/// Embeddings h [n, 128] of every window of a set (inference mode), in batches.
pub fn embed_set(
    encoder: &Encoder,
    set: &WindowSet,
    device: &Device,
) -> Result<Vec<f32>, ModelError> {
    let mut out = Vec::with_capacity(set.len() * EMBEDDING_DIM);
    let all: Vec<usize> = (0..set.len()).collect();
    for chunk in all.chunks(256) {
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
    let b = indices.len();
    let x = tensor3(inputs_with(data.set, indices, norm), [b, 3, WINDOW], device);
    let y = tensor3(
        targets(data.set, indices, outputs),
        [b, outputs.len(), WINDOW],
        device,
    );
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

/// What every decoder of one comparison shares: data, schedule, seed, device and the stop flag.
pub struct DecoderTraining<'a> {
    pub train: &'a DecoderData<'a>,
    pub val: &'a DecoderData<'a>,
    pub schedule: &'a DecoderTrainingConfig,
    pub seed: u64,
    pub device: &'a Device,
    pub stop: &'a Arc<AtomicBool>,
}

impl DecoderTraining<'_> {
    /// [`train_decoder`] without checkpoints, for decoders that are compared and not kept.
    pub fn unsaved(
        &self,
        stage: &str,
        model_config: &DecoderConfig,
        outputs: &[usize],
        progress: &mut dyn Progress,
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
            self.stop,
            progress,
        )
    }
}

/// Trains one decoder on `outputs` (target-lead indices; all five for a multi-output decoder).
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
    stop: &Arc<AtomicBool>,
    progress: &mut dyn Progress,
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
    let mut model = model_config.init(&ad_device);
    if resume {
        resume_stage(&mut model, checkpoint_dir, stage, progress)?;
    }
    let mut optimizer = adamw(config.weight_decay, config.grad_clip_norm).init();
    let mut rng = Rng::new(seed ^ stable_stage_seed(stage));
    let with_h = model_config.with_embedding;
    let norm = model_config.input_norm;
    let mut lr = config.learning_rate;
    let mut since_improvement = 0usize;
    let mut since_lr_change = 0usize;
    let started = Instant::now();
    let mut summary = StageSummary {
        stage: stage.to_string(),
        best_val_loss: f64::INFINITY,
        ..StageSummary::default()
    };
    let mut best = model.clone();
    let mut windows_seen = 0usize;
    let mut order: Vec<usize> = (0..train.set.len()).collect();
    let steps = order.len().div_ceil(config.batch_size.max(1));
    for epoch in 1..=config.epochs {
        rng.shuffle(&mut order);
        let mut loss_sum = 0.0;
        let mut loss_n = 0usize;
        let mut last_report = Instant::now();
        for (step, batch) in order.chunks(config.batch_size.max(1)).enumerate() {
            if stop.load(Ordering::Relaxed) {
                break;
            }
            let (x, h, y) = decoder_batch(train, batch, outputs, with_h, norm, &ad_device);
            let loss = reconstruction_loss(model.forward(x, h), y);
            let grads = GradientsParams::from_grads(loss.backward(), &model);
            loss_sum += read_scalar(loss.inner())?;
            loss_n += 1;
            model = optimizer.step(lr, model, grads);
            windows_seen += batch.len();
            if last_report.elapsed().as_secs_f64() > 5.0 {
                progress.step(stage, step + 1, steps, loss_sum / loss_n.max(1) as f64);
                last_report = Instant::now();
            }
        }
        let val_loss = decoder_val_loss(&model.valid(), norm, val, outputs, device)?;
        let elapsed = started.elapsed().as_secs_f64();
        let improved = val_loss < summary.best_val_loss;
        if improved {
            summary.best_val_loss = val_loss;
            summary.best_epoch = epoch;
            best = model.clone();
            since_improvement = 0;
            since_lr_change = 0;
            if let Some(dir) = checkpoint_dir {
                super::card::save_weights(&best.valid(), &checkpoint_path(dir, stage))?;
            }
        } else {
            since_improvement += 1;
            since_lr_change += 1;
            if since_lr_change >= config.plateau_patience {
                lr *= config.plateau_factor;
                since_lr_change = 0;
            }
        }
        summary.epochs_run = epoch;
        progress.epoch(&EpochReport {
            stage: stage.to_string(),
            epoch,
            epochs: config.epochs,
            train_loss: loss_sum / loss_n.max(1) as f64,
            val_loss,
            learning_rate: lr,
            windows_per_s: windows_seen as f64 / elapsed.max(1e-9),
            elapsed_s: elapsed,
            eta_s: stage_eta(elapsed, epoch, config.epochs, config.max_minutes),
            best: improved,
        });
        if stop.load(Ordering::Relaxed) {
            summary.stopped_by_user = true;
            break;
        }
        if since_improvement >= config.early_stop_patience {
            summary.stopped_early = true;
            progress.message(&format!(
                "{stage}: early stop, no improvement for {since_improvement} epochs"
            ));
            break;
        }
        if config.max_minutes > 0.0 && elapsed > config.max_minutes * 60.0 {
            summary.stopped_early = true;
            progress.message(&format!(
                "{stage}: time budget reached, keeping the best state"
            ));
            break;
        }
    }
    summary.train_seconds = started.elapsed().as_secs_f64();
    summary.windows_per_s = windows_seen as f64 / summary.train_seconds.max(1e-9);
    Ok((best.valid(), summary))
}

fn stable_stage_seed(stage: &str) -> u64 {
    super::data::stable_hash(stage)
}

/// Which of the training data's splits a stage validates on.
pub fn validation_split() -> Split {
    Split::Val
}
