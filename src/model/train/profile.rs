//! Where a training step's time goes (`precordial bench train`): batch assembly, forward, backward
//! and the optimizer step, timed apart on the stages' own batch and loss functions, so a speed-up
//! can be aimed at what dominates.

use std::time::Instant;

use burn::module::Module;
use burn::optim::GradientsParams;
use burn::tensor::{Device, Tensor};

use super::{
    DecoderData, DecoderTrainingConfig, EncoderTrainingConfig, ModelError, TrainingData, adamw,
    class_pools, decoder_batch, encoder_batch, encoder_loss, read_scalar, window_r_peaks,
};
use crate::model::decoder::DecoderConfig;
use crate::model::encoder::EncoderConfig;
use crate::model::loss::reconstruction_loss;
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

/// What one stage's step is made of, for [`profile_steps`].
struct StageStep<'a> {
    stage: &'a str,
    weight_decay: f64,
    grad_clip_norm: f64,
    learning_rate: f64,
}

/// Times `steps` optimizer steps (after one untimed warm-up step): `batch` draws a batch and says
/// how many windows it holds, `loss` scores it with the model.
fn profile_steps<M: Module, B>(
    step: &StageStep,
    mut model: M,
    steps: usize,
    mut batch: impl FnMut() -> (B, usize),
    loss: impl Fn(&M, B) -> Option<Tensor<1>>,
) -> Result<StepProfile, ModelError> {
    let mut optimizer = adamw(step.weight_decay, step.grad_clip_norm).init();
    let mut profile = StepProfile {
        stage: step.stage.to_string(),
        ..StepProfile::default()
    };
    for n in 0..=steps {
        let started = Instant::now();
        let (drawn, windows) = batch();
        let assembled = Instant::now();
        let Some(loss) = loss(&model, drawn) else {
            continue;
        };
        read_scalar(loss.clone().inner())?;
        let forward = Instant::now();
        let grads = GradientsParams::from_grads(loss.backward(), &model);
        let backward = Instant::now();
        model = optimizer.step(step.learning_rate, model, grads);
        let stepped = Instant::now();
        if n > 0 {
            profile.steps += 1;
            profile.batch_windows = windows;
            profile.batch_s += (assembled - started).as_secs_f64();
            profile.forward_s += (forward - assembled).as_secs_f64();
            profile.backward_s += (backward - forward).as_secs_f64();
            profile.optimizer_s += (stepped - backward).as_secs_f64();
        }
    }
    Ok(profile)
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
    let pools = class_pools(data, &data.train, 2);
    if pools.len() < 2 {
        return Err(ModelError::Data(
            "profiling the encoder needs two classes with two patients each".to_string(),
        ));
    }
    let peaks = window_r_peaks(&data.train);
    let mut rng = Rng::new(1);
    let step = StageStep {
        stage: "encoder",
        weight_decay: config.weight_decay,
        grad_clip_norm: config.grad_clip_norm,
        learning_rate: config.learning_rate,
    };
    profile_steps(
        &step,
        model_config.init(&ad_device),
        steps,
        || {
            let batch = encoder_batch(&data.train, &peaks, &pools, config, &mut rng, &ad_device);
            let windows = batch.windows;
            (batch, windows)
        },
        |model, batch| encoder_loss(model, batch, config.temperature),
    )
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
    let outputs: Vec<usize> = (0..model_config.outputs).collect();
    let mut order: Vec<usize> = (0..train.set.len()).collect();
    let batch_size = config.batch_size.clamp(1, order.len().max(1));
    let mut rng = Rng::new(2);
    let step = StageStep {
        stage,
        weight_decay: config.weight_decay,
        grad_clip_norm: config.grad_clip_norm,
        learning_rate: config.learning_rate,
    };
    profile_steps(
        &step,
        model_config.init(&ad_device),
        steps,
        || {
            rng.shuffle(&mut order);
            let batch = &order[..batch_size.min(order.len())];
            let tensors = decoder_batch(
                train,
                batch,
                &outputs,
                model_config.with_embedding,
                model_config.input_norm,
                &ad_device,
            );
            (tensors, batch.len())
        },
        |model, (x, h, y)| Some(reconstruction_loss(model.forward(x, h), y)),
    )
}
