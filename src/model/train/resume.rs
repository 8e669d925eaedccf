//! Epoch-level resume. After every whole epoch a stage with a checkpoint folder saves what it needs
//! to go on exactly where it was: the current weights, AdamW's moments, the best state so far, the
//! learning-rate schedule's position, the stage's random generator (and shuffle order), and its
//! curve, patience and clock. `--resume` then continues with the next epoch and ends with the same
//! weights an uninterrupted run reaches (a test checks it); an epoch stopped half-way is run again
//! from its start.
//!
//! Layout, in `checkpoints/<stage>-resume/`: `state.ron` names the epoch its weight files belong
//! to (`model-e<N>.safetensors`, `optimizer-e<N>.bpk`, `best-e<B>.safetensors`). The weight files
//! are written first and `state.ron` is replaced by a rename, so a run killed at any point leaves
//! either the old state or the new one, never a mix.

use std::path::{Path, PathBuf};

use burn::module::{Module, ModuleMapper, Param, ParamId};
use burn::optim::ModuleOptimizer;
use burn::optim::OptimizerRecord;
use burn::tensor::Tensor;
use serde::{Deserialize, Serialize};

use super::StageSummary;
use crate::model::ModelError;
use crate::model::card;
use crate::rng::Rng;

/// Where a stage keeps its resume state.
pub(super) fn dir(checkpoint_dir: &Path, stage: &str) -> PathBuf {
    checkpoint_dir
        .join("checkpoints")
        .join(format!("{stage}-resume"))
}

const STATE_FILE: &str = "state.ron";

fn model_file(epoch: usize) -> String {
    format!("model-e{epoch}.safetensors")
}

fn optimizer_file(epoch: usize) -> String {
    format!("optimizer-e{epoch}.bpk")
}

fn best_file(epoch: usize) -> String {
    format!("best-e{epoch}.safetensors")
}

/// Where a learning-rate schedule stands.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(super) enum ScheduleState {
    /// Warm-up then cosine: its length (a time budget may have shortened it) and the steps taken.
    WarmupCosine {
        total_steps: usize,
        steps_done: usize,
        last: f64,
    },
    /// Reduce-on-plateau: the current rate and the epochs since it last changed.
    Plateau { lr: f64, since_change: usize },
}

/// What a stage's batches depend on beyond the data: its random generator and, for stages that
/// reshuffle one order every epoch, that order.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub(super) struct StepsState {
    pub rng: Option<Rng>,
    #[serde(default)]
    pub order: Vec<usize>,
}

/// Everything but the weights, after epoch `epoch`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(super) struct EpochState {
    /// The stage's configuration and data size, as [`super::StageRun::fingerprint`]: a resume
    /// with another configuration is refused rather than mixed.
    pub fingerprint: String,
    pub epoch: usize,
    pub since_improvement: usize,
    pub windows_seen: usize,
    /// Training time before this process, added to its own.
    pub elapsed_s: f64,
    pub summary: StageSummary,
    pub schedule: ScheduleState,
    pub steps: StepsState,
}

/// A saved state with its weights read back.
pub(super) struct Resumed<M> {
    pub state: EpochState,
    pub model: M,
    pub best: M,
    pub optimizer: OptimizerRecord,
}

/// Numbers a module's parameters 1, 2, 3… in traversal order. burn draws parameter ids at random,
/// and AdamW's saved moments are keyed by them: with the same ids in every process, the moments
/// saved by one run find their parameters in the next.
#[derive(Default)]
struct SequentialIds {
    next: u64,
}

impl ModuleMapper for SequentialIds {
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        let (_, value, mapper) = param.consume();
        self.next += 1;
        Param::from_mapped_value(ParamId::from(self.next), value, mapper)
    }
}

/// `model` with its parameters numbered in traversal order (see [`SequentialIds`]).
pub(super) fn with_sequential_ids<M: Module>(model: M) -> M {
    model.map(&mut SequentialIds::default())
}

/// Saves the state after a whole epoch. `best` is given when this epoch is the new best.
pub(super) fn save<M: Module>(
    dir: &Path,
    state: &EpochState,
    model: &M,
    optimizer: &ModuleOptimizer,
    best: Option<&M>,
) -> Result<(), ModelError> {
    std::fs::create_dir_all(dir).map_err(|e| ModelError::io(dir, e))?;
    card::save_weights(model, &dir.join(model_file(state.epoch)))?;
    let optimizer_path = dir.join(optimizer_file(state.epoch));
    optimizer
        .to_record()
        .save(&optimizer_path)
        .map_err(|e| ModelError::Weights {
            path: optimizer_path.clone(),
            message: e.to_string(),
        })?;
    if let Some(best) = best {
        card::save_weights(best, &dir.join(best_file(state.epoch)))?;
    }
    let text =
        ron::ser::to_string_pretty(state, ron::ser::PrettyConfig::default()).map_err(|e| {
            ModelError::Format {
                path: dir.join(STATE_FILE),
                message: e.to_string(),
            }
        })?;
    let tmp = dir.join(format!("{STATE_FILE}.tmp"));
    std::fs::write(&tmp, text).map_err(|e| ModelError::io(&tmp, e))?;
    let path = dir.join(STATE_FILE);
    std::fs::rename(&tmp, &path).map_err(|e| ModelError::io(&path, e))?;
    // Only now are the previous epoch's files unreferenced.
    let keep = [
        STATE_FILE.to_string(),
        model_file(state.epoch),
        optimizer_file(state.epoch),
        best_file(state.summary.best_epoch),
    ];
    let entries = std::fs::read_dir(dir).map_err(|e| ModelError::io(dir, e))?;
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if !keep.contains(&name) {
            let path = entry.path();
            std::fs::remove_file(&path).map_err(|e| ModelError::io(&path, e))?;
        }
    }
    Ok(())
}

/// Reads the state in `dir` back, its weights loaded into copies of `fresh` (which must have
/// sequential ids; `best` comes back in inference mode); `None` when there is none. A state
/// written with another configuration is an error naming the file.
pub(super) fn load<M: Module>(
    dir: &Path,
    fingerprint: &str,
    fresh: &M,
) -> Result<Option<Resumed<M>>, ModelError> {
    let path = dir.join(STATE_FILE);
    if !path.is_file() {
        return Ok(None);
    }
    let text = std::fs::read_to_string(&path).map_err(|e| ModelError::io(&path, e))?;
    let state: EpochState = ron::from_str(&text).map_err(|e| ModelError::Format {
        path: path.clone(),
        message: e.to_string(),
    })?;
    if state.fingerprint != fingerprint {
        return Err(ModelError::Format {
            path,
            message: "written by a run with another configuration or other data; run again \
                      without --resume, or with the configuration and data of that run"
                .to_string(),
        });
    }
    // The best state as an inference-mode copy, so it owns its batch-norm statistics (a clone
    // would share them with the model).
    let mut best = fresh.valid();
    card::load_weights(&mut best, &dir.join(best_file(state.summary.best_epoch)))?;
    let mut model = fresh.clone();
    card::load_weights(&mut model, &dir.join(model_file(state.epoch)))?;
    let optimizer_path = dir.join(optimizer_file(state.epoch));
    let optimizer = OptimizerRecord::load(&optimizer_path).map_err(|e| ModelError::Weights {
        path: optimizer_path.clone(),
        message: e.to_string(),
    })?;
    Ok(Some(Resumed {
        state,
        model,
        best,
        optimizer,
    }))
}

/// Removes a stage's resume state: a run that does not resume must never continue another's.
pub(super) fn clear(dir: &Path) -> Result<(), ModelError> {
    match std::fs::remove_dir_all(dir) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(ModelError::io(dir, e)),
    }
}
