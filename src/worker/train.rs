//! The training job: `precordial train`'s engine ([`crate::model::pipeline::train_all`]) run in the
//! worker. Its steps drive the job's progress and stage message, each epoch's report is sent to the
//! task as an update (the live loss curves), and the job's cancel flag stops the training after the
//! current step (the loop polls it every step), keeping the best state of the running stage.
//!
//! A training run never writes into a folder that already holds something: a models folder is never
//! overwritten.

use std::path::{Path, PathBuf};

use super::{Job, JobContext};
use crate::model::DeviceChoice;
use crate::model::backend::select_device;
use crate::model::card::ModelCard;
use crate::model::pipeline::train_all;
use crate::model::train::{EpochReport, TrainConfig, TrainProgress};
use crate::progress::Progress;

/// The stages of a training run, in order (as the reports name them).
pub const STAGES: [&str; 3] = ["encoder", "decoder_c", "decoder_ch"];

/// Why `out` cannot receive a training run: it exists and is not an empty folder.
pub fn refuse_existing(out: &Path) -> Result<(), String> {
    if !out.exists() {
        return Ok(());
    }
    if !out.is_dir() {
        return Err(format!(
            "{}: exists and is not a folder; choose a new or empty output folder",
            out.display()
        ));
    }
    let mut entries = std::fs::read_dir(out).map_err(|err| format!("{}: {err}", out.display()))?;
    if entries.next().is_some() {
        return Err(format!(
            "{} exists and is not empty: training never writes over a models folder; choose a new or empty output folder",
            out.display()
        ));
    }
    Ok(())
}

/// Forwards training progress into the job's shared state, and each epoch's report to the task.
struct JobProgress<'a> {
    context: &'a JobContext<EpochReport>,
    /// Epochs per stage (encoder, decoders), for the overall fraction.
    encoder_epochs: usize,
    decoder_epochs: usize,
    /// The running stage and the last epoch it finished.
    stage: String,
    epoch_done: usize,
}

impl JobProgress<'_> {
    /// Restarts the epoch count when a new stage begins (stages may stop early).
    fn enter(&mut self, stage: &str) {
        if self.stage != stage {
            stage.clone_into(&mut self.stage);
            self.epoch_done = 0;
        }
    }

    /// Overall progress: each of the three stages is a third.
    fn overall_fraction(&self, stage: &str, within_epoch: f64) -> f32 {
        let Some(index) = STAGES.iter().position(|s| *s == stage) else {
            return 1.0; // an extra (ablation) stage after the three
        };
        let epochs = if index == 0 {
            self.encoder_epochs
        } else {
            self.decoder_epochs
        }
        .max(1);
        let within = ((self.epoch_done as f64 + within_epoch) / epochs as f64).clamp(0.0, 1.0);
        ((index as f64 + within) / STAGES.len() as f64) as f32
    }
}

impl Progress for JobProgress<'_> {
    fn message(&mut self, text: &str) {
        self.context.set_message(text);
    }

    fn cancelled(&self) -> bool {
        self.context.cancel_requested()
    }
}

impl TrainProgress for JobProgress<'_> {
    fn step(&mut self, stage: &str, step: usize, steps: usize, loss: f64) {
        self.enter(stage);
        let within = step as f64 / steps.max(1) as f64;
        self.context
            .set_progress(self.overall_fraction(stage, within));
        self.context.set_message(&format!(
            "{stage}: epoch {}, step {step}/{steps}, loss {loss:.4}",
            self.epoch_done + 1
        ));
    }

    fn epoch(&mut self, report: &EpochReport) {
        self.enter(&report.stage);
        self.epoch_done = report.epoch;
        self.context.send_update(report.clone());
        self.context
            .set_progress(self.overall_fraction(&report.stage, 0.0));
        self.context.set_message(&format!(
            "{}: epoch {}/{}, loss {:.4}, val {:.4}{}",
            report.stage,
            report.epoch,
            report.epochs,
            report.train_loss,
            report.val_loss,
            report
                .val_score
                .map(|score| format!(", val ĥ affinity {score:.3}"))
                .unwrap_or_default()
        ));
    }
}

/// One line for the user: the test split's mean metrics of each model, from the card.
pub fn card_summary(card: &ModelCard) -> String {
    match card.metrics.get("test") {
        Some(by_model) if !by_model.is_empty() => {
            let models: Vec<String> = by_model
                .iter()
                .map(|(name, m)| format!("{name} {:.4} mV", m.mean.rmse_mv))
                .collect();
            format!("test split mean RMSE: {}", models.join(", "))
        }
        _ => "no test metrics (the test split is empty)".to_owned(),
    }
}

/// Train the encoder and decoders C and C-h, as `precordial train` does, into `out`, which must be
/// new or empty; each epoch's report is sent to the task as it is made (the live loss curves).
pub struct Train {
    pub data: Vec<PathBuf>,
    pub out: PathBuf,
    pub config: TrainConfig,
    pub device: DeviceChoice,
}

/// A finished training: the models folder it wrote and a one-line summary of its card.
#[derive(Clone, Debug, PartialEq)]
pub struct Trained {
    pub dir: PathBuf,
    pub summary: String,
}

impl Job for Train {
    type Output = Trained;
    type Update = EpochReport;

    fn describe(&self) -> String {
        format!("Training models into {}", self.out.display())
    }

    fn run(self, context: &JobContext<EpochReport>) -> Result<Option<Trained>, String> {
        run(&self.data, &self.out, &self.config, self.device, context)
    }
}

fn run(
    data: &[PathBuf],
    out: &Path,
    config: &TrainConfig,
    device: DeviceChoice,
    context: &JobContext<EpochReport>,
) -> Result<Option<Trained>, String> {
    refuse_existing(out)?;
    if context.cancel_requested() {
        return Ok(None);
    }
    context.set_message("choosing the device");
    let device = select_device(device).map_err(|err| format!("training: {err}"))?;
    let mut progress = JobProgress {
        context,
        encoder_epochs: config.encoder_training.epochs,
        decoder_epochs: config.decoder_training.epochs,
        stage: String::new(),
        epoch_done: 0,
    };
    let outcome = train_all(data, out, config, &device, false, &mut progress);
    let card = match outcome {
        Ok(card) => card,
        // Stopped on cancel: the best state of the running stage is in `out/checkpoints`.
        Err(_) if context.cancel_requested() => return Ok(None),
        Err(err) => return Err(format!("training: {err}")),
    };
    context.set_progress(1.0);
    Ok(Some(Trained {
        dir: out.to_path_buf(),
        summary: card_summary(&card),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_new_or_empty_folder_receives_a_training_run() {
        let dir = std::env::temp_dir().join(format!("precordial-train-out-{}", std::process::id()));
        std::fs::remove_dir_all(&dir).ok();
        assert!(refuse_existing(&dir).is_ok(), "missing: created by the run");
        std::fs::create_dir_all(&dir).unwrap();
        assert!(refuse_existing(&dir).is_ok(), "empty");
        std::fs::write(dir.join("card.json"), "{}").unwrap();
        let err = refuse_existing(&dir).unwrap_err();
        assert!(err.contains("exists and is not empty"), "{err}");
        assert!(refuse_existing(&dir.join("card.json")).is_err(), "a file");
        std::fs::remove_dir_all(&dir).ok();
        assert!(TrainConfig::new().validate().is_ok());
        assert_eq!(TrainConfig::new().decoder_ch.outputs, 5);
    }
}
