//! Where a training step's time goes (`precordial bench train`): batch assembly, forward, backward
//! and the optimizer step, timed apart on the stage's own code paths, so a speed-up can be aimed at
//! what dominates.

use std::time::Instant;

use burn::optim::GradientsParams;
use burn::tensor::Device;

use super::{
    DecoderData, DecoderTrainingConfig, EncoderTrainingConfig, ModelError, TrainingData, adamw,
    balanced_batch, class_pools, decoder_batch, read_scalar, tensor3, two_views, window_r_peaks,
};
use crate::model::WINDOW;
use crate::model::decoder::DecoderConfig;
use crate::model::encoder::EncoderConfig;
use crate::model::loss::{reconstruction_loss, supcon_loss};
use crate::rng::Rng;

/// Seconds spent in each part of `steps` training steps of one stage.
#[derive(Clone, Debug, Default)]
pub struct StepProfile {
    pub stage: String,
    pub steps: usize,
    /// Windows per step (the encoder sees two views of each).
    pub batch_windows: usize,
    /// Drawing the batch, views and augmentation, tensors built.
    pub batch_s: f64,
    /// Forward pass and loss, read back (which waits for it).
    pub forward_s: f64,
    pub backward_s: f64,
    pub optimizer_s: f64,
}

impl StepProfile {
    pub fn total_s(&self) -> f64 {
        self.batch_s + self.forward_s + self.backward_s + self.optimizer_s
    }

    pub fn windows_per_s(&self) -> f64 {
        (self.steps * self.batch_windows) as f64 / self.total_s().max(1e-12)
    }
}

/// Times `steps` encoder steps on `data`'s training windows (one warm-up step first, not timed).
pub fn profile_encoder(
    data: &TrainingData,
    model_config: &EncoderConfig,
    config: &EncoderTrainingConfig,
    steps: usize,
    device: &Device,
) -> Result<StepProfile, ModelError> {
    let ad_device = device.clone().autodiff();
    let mut model = model_config.init(&ad_device);
    let pools = class_pools(data, &data.train, 2);
    if pools.len() < 2 {
        return Err(ModelError::Data(
            "profiling the encoder needs two classes with two patients each".to_string(),
        ));
    }
    let peaks = window_r_peaks(&data.train);
    let mut optimizer = adamw(config.weight_decay, config.grad_clip_norm).init();
    let mut rng = Rng::new(1);
    let mut profile = StepProfile {
        stage: "encoder".to_string(),
        ..StepProfile::default()
    };
    for step in 0..=steps {
        let started = Instant::now();
        let batch = balanced_batch(&pools, config.batch_classes, config.per_class, &mut rng);
        let (x, labels) = two_views(&data.train, &peaks, &batch, &mut rng);
        let n = labels.len();
        let x = tensor3(x, [n, 3, WINDOW], &ad_device);
        let assembled = Instant::now();
        let z = model.project(model.embed(x));
        let Some(loss) = supcon_loss(z, &labels, config.temperature) else {
            continue;
        };
        read_scalar(loss.clone().inner())?;
        let forward = Instant::now();
        let grads = GradientsParams::from_grads(loss.backward(), &model);
        let backward = Instant::now();
        model = optimizer.step(config.learning_rate, model, grads);
        let stepped = Instant::now();
        if step > 0 {
            profile.steps += 1;
            profile.batch_windows = batch.len();
            profile.batch_s += (assembled - started).as_secs_f64();
            profile.forward_s += (forward - assembled).as_secs_f64();
            profile.backward_s += (backward - forward).as_secs_f64();
            profile.optimizer_s += (stepped - backward).as_secs_f64();
        }
    }
    Ok(profile)
}

/// Times `steps` decoder steps of batch `config.batch_size` on `train` (one warm-up step first).
pub fn profile_decoder(
    stage: &str,
    train: &DecoderData,
    model_config: &DecoderConfig,
    config: &DecoderTrainingConfig,
    steps: usize,
    device: &Device,
) -> Result<StepProfile, ModelError> {
    let ad_device = device.clone().autodiff();
    let mut model = model_config.init(&ad_device);
    let mut optimizer = adamw(config.weight_decay, config.grad_clip_norm).init();
    let outputs: Vec<usize> = (0..model_config.outputs).collect();
    let mut order: Vec<usize> = (0..train.set.len()).collect();
    let mut rng = Rng::new(2);
    let mut profile = StepProfile {
        stage: stage.to_string(),
        ..StepProfile::default()
    };
    let batch_size = config.batch_size.clamp(1, order.len().max(1));
    for step in 0..=steps {
        rng.shuffle(&mut order);
        let batch = &order[..batch_size.min(order.len())];
        let started = Instant::now();
        let (x, h, y) = decoder_batch(
            train,
            batch,
            &outputs,
            model_config.with_embedding,
            model_config.input_norm,
            &ad_device,
        );
        let assembled = Instant::now();
        let loss = reconstruction_loss(model.forward(x, h), y);
        read_scalar(loss.clone().inner())?;
        let forward = Instant::now();
        let grads = GradientsParams::from_grads(loss.backward(), &model);
        let backward = Instant::now();
        model = optimizer.step(config.learning_rate, model, grads);
        let stepped = Instant::now();
        if step > 0 {
            profile.steps += 1;
            profile.batch_windows = batch.len();
            profile.batch_s += (assembled - started).as_secs_f64();
            profile.forward_s += (forward - assembled).as_secs_f64();
            profile.backward_s += (backward - forward).as_secs_f64();
            profile.optimizer_s += (stepped - backward).as_secs_f64();
        }
    }
    Ok(profile)
}
