//! The trained models the workbench runs: loaded by a worker job at launch and on "Reload models",
//! shared with the reconstruction and evaluation jobs, and what the panels say about them.

use std::path::PathBuf;
use std::sync::Arc;

use super::notices::{NoticeLevel, Notices};
use crate::model::DeviceChoice;
use crate::worker::reconstruct::{LeadReconstructor, LoadModels, LoadedModels, ModelsLoaded};
use crate::worker::{Outcome, Task, Worker, poll_slot};

/// Shown while no models are loaded.
pub const NO_MODELS: &str =
    "No models loaded: set the models folder in Settings and press Reload models.";

/// Where the models stand, for the panels.
#[derive(Clone, Debug, PartialEq)]
pub enum ModelsStatus {
    /// Loaded; runs on this device.
    Loaded { device: String },
    /// The loading job is running.
    Loading,
    /// Loading failed, with the reason.
    Failed(String),
    /// Nothing loaded and nothing loading.
    Absent,
}

/// The loaded models, the folder they came from, and the loading job.
#[derive(Default)]
pub struct Models {
    /// The models, once loaded.
    pub current: Option<Arc<LoadedModels>>,
    /// The folder `current` came from (its card and training configuration).
    pub dir_loaded: Option<PathBuf>,
    /// Why the last load failed (shown in the Reconstruct panel).
    pub error: Option<String>,
    loading: Option<Task<ModelsLoaded>>,
}

impl Models {
    /// Loads (or reloads) the models of `dir` in the worker; they replace the current ones when they
    /// arrive. A load already running is superseded: its result is dropped.
    pub fn load(&mut self, worker: &mut Worker, dir: PathBuf, device: DeviceChoice) {
        self.error = None;
        self.loading = Some(worker.submit(LoadModels { dir, device }));
    }

    pub fn is_loading(&self) -> bool {
        self.loading.is_some()
    }

    pub fn status(&self) -> ModelsStatus {
        match (&self.current, &self.error) {
            _ if self.loading.is_some() => ModelsStatus::Loading,
            (Some(models), _) => ModelsStatus::Loaded {
                device: models.device_name(),
            },
            (None, Some(reason)) => ModelsStatus::Failed(reason.clone()),
            (None, None) => ModelsStatus::Absent,
        }
    }

    /// The loaded models, as the reconstruction job uses them.
    pub fn reconstructor(&self) -> Option<Arc<dyn LeadReconstructor>> {
        self.current
            .as_ref()
            .map(|models| Arc::clone(models) as Arc<dyn LeadReconstructor>)
    }

    /// The loaded models and their folder, as the evaluation job uses them.
    pub fn with_dir(&self) -> Option<(Arc<LoadedModels>, PathBuf)> {
        Some((Arc::clone(self.current.as_ref()?), self.dir_loaded.clone()?))
    }

    /// Takes the loading job's outcome; true when the models changed (a reconstruction made with
    /// the old ones no longer describes them). Never blocks.
    pub fn logic(&mut self, notices: &mut Notices) -> bool {
        match poll_slot(&mut self.loading) {
            None => false,
            // No notice: the Reconstruct panel shows the models and their device.
            Some(Outcome::Done(ModelsLoaded { dir, models })) => {
                self.dir_loaded = Some(dir);
                self.current = Some(models);
                true
            }
            Some(Outcome::Failed(reason)) => {
                // Models from another folder would mislead: what was asked for is not loaded, so
                // nothing is.
                self.error = Some(reason.clone());
                self.current = None;
                self.dir_loaded = None;
                notices.push(NoticeLevel::Error, reason);
                true
            }
            Some(Outcome::Cancelled) => false,
        }
    }
}
