//! The workbench window (eframe/egui): a thin shell over the library.
//!
//! [`App`] holds the state: persisted settings (serde + RON through eframe's storage) and transient
//! fields (`#[serde(skip)]`: the loaded record, the dataset list, the worker). Each panel lives in its
//! own file and draws from prepared state; heavy work (reading, indexing, cleaning, reconstruction,
//! evaluation, training, exports) is submitted to the [`worker`](crate::worker) and its results are
//! picked up in [`App::logic`] (eframe's `App::logic`) before each frame is drawn.
//!
//! Not for: signal processing or model code (those are library modules the panels call through jobs).

pub mod bench;
mod browser;
mod cleaning_panel;
pub mod ecg_grid;
pub mod export;
mod leads_view;
mod open_panel;
pub mod reconstruct_panel;
mod settings_panel;
mod spectrum_panel;
pub mod study_panel;
pub mod train_panel;
pub mod widgets;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::dataset::{DatasetIndex, RecordEntry};
use crate::wfdb::Record;
use crate::worker::{Cleaned, Job, JobEvent, JobId, JobOutput, Worker};

pub use browser::Browser;
pub use ecg_grid::{GridSettings, LeadLayout};
pub use leads_view::LeadsView;

/// Key of the app state in eframe's storage.
const STORAGE_KEY: &str = "precordial-workbench";

/// The sample shown on first start: a 500 Hz record with a myocardial infarction (Q waves, ST
/// depression), so the first screen shows pathology, not only a normal ECG.
const FIRST_SAMPLE: &str = "HR09739";

/// How many recent paths are remembered.
const MAX_RECENT: usize = 12;

/// The main views, one tab each.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum View {
    Browser,
    #[default]
    Leads,
    Spectrum,
    Reconstruct,
    Study,
    Settings,
}

impl View {
    pub const ALL: [Self; 6] = [
        Self::Browser,
        Self::Leads,
        Self::Spectrum,
        Self::Reconstruct,
        Self::Study,
        Self::Settings,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Self::Browser => "Records",
            Self::Leads => "12-lead",
            Self::Spectrum => "Spectrum",
            Self::Reconstruct => "Reconstruct",
            Self::Study => "Study",
            Self::Settings => "Settings",
        }
    }

    fn shortcut_key(self) -> egui::Key {
        match self {
            Self::Browser => egui::Key::Num1,
            Self::Leads => egui::Key::Num2,
            Self::Spectrum => egui::Key::Num3,
            Self::Reconstruct => egui::Key::Num4,
            Self::Study => egui::Key::Num5,
            Self::Settings => egui::Key::Num6,
        }
    }
}

/// Dark or light window theme.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum ThemeChoice {
    #[default]
    Light,
    Dark,
}

/// A message shown in the status area (errors are never only on stderr).
#[derive(Clone, Debug)]
pub struct Notice {
    pub level: NoticeLevel,
    pub text: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NoticeLevel {
    Info,
    Warning,
    Error,
}

/// The record on screen, with what was derived from it.
pub struct LoadedRecord {
    pub path: PathBuf,
    /// Name shown in titles (`HR06000`).
    pub name: String,
    pub record: Arc<Record>,
}

impl LoadedRecord {
    /// Index of a lead by name, case-insensitive (`V2`, `v2`).
    pub fn lead_index(&self, name: &str) -> Option<usize> {
        self.record.signal_index(name)
    }
}

/// The workbench state. Fields without `#[serde(skip)]` are settings, saved between runs.
#[derive(Serialize, Deserialize)]
#[serde(default)]
pub struct App {
    pub view: View,
    pub theme: ThemeChoice,
    pub grid: GridSettings,
    pub cleaning: crate::dsp::clean::CleanConfig,
    /// Folders and records opened before, newest first.
    pub recent_paths: Vec<PathBuf>,
    /// Where exports (CSV, PNG) are written.
    pub export_folder: PathBuf,
    /// Folder holding trained models (`models/`).
    pub models_dir: PathBuf,
    /// Where the models run: a hardware GPU when present (auto), or the CPU.
    pub device: crate::model::DeviceChoice,
    pub browser: Browser,
    pub leads_view: LeadsView,

    #[serde(skip)]
    pub worker: Worker,
    #[serde(skip)]
    pub open_panel: open_panel::OpenPanel,
    /// All records listed in the browser (from every opened folder or file).
    #[serde(skip)]
    pub entries: Vec<RecordEntry>,
    #[serde(skip)]
    pub loaded: Option<LoadedRecord>,
    /// The load job whose result should become `loaded` (older ones are ignored).
    #[serde(skip)]
    pending_load: Option<JobId>,
    #[serde(skip)]
    pub notices: Vec<Notice>,
    #[serde(skip)]
    pub export: export::ExportState,
    #[serde(skip)]
    pub spectrum: spectrum_panel::SpectrumPanel,
    #[serde(skip)]
    pub reconstruct: reconstruct_panel::ReconstructPanel,
    /// The study panel: its evaluation form and report path are settings, its results are not.
    pub study: study_panel::StudyPanel,
    /// Set once the first record is drawn (launch-to-first-record timing).
    #[serde(skip)]
    pub first_record_drawn_at: Option<std::time::Instant>,
    #[serde(skip)]
    pub started_at: Option<std::time::Instant>,
    /// Identifies the record on screen (bumped on every load), so late results are not misapplied.
    #[serde(skip)]
    pub record_key: u64,
    /// The cleaning of the record on screen, when done.
    #[serde(skip)]
    pub cleaned: Option<Cleaned>,
    /// The running cleaning job and what it cleans.
    #[serde(skip)]
    pending_clean: Option<(JobId, u64, crate::dsp::clean::CleanConfig)>,
    #[serde(skip)]
    clean_error: Option<String>,
    /// The last (record, config) submitted: a failure is not retried until one of them changes.
    #[serde(skip)]
    last_submitted_clean: Option<(u64, crate::dsp::clean::CleanConfig)>,
    /// Jobs cancelled because newer ones replaced them (their cancellation is not news).
    #[serde(skip)]
    superseded_jobs: std::collections::HashSet<JobId>,
    /// The trained models, once loaded (a job started at launch and by "Reload models"); the
    /// reconstruction job sees them as a [`LeadReconstructor`](crate::worker::reconstruct::LeadReconstructor)
    /// ([`Self::reconstructor`]), the evaluation job as the models themselves.
    #[serde(skip)]
    pub models: Option<Arc<crate::worker::reconstruct::LoadedModels>>,
    /// The model-loading job in flight, and what it loads.
    #[serde(skip)]
    pending_models: Option<JobId>,
    /// The folder the loaded models came from.
    #[serde(skip)]
    pub models_dir_loaded: Option<PathBuf>,
    /// Why the models could not be loaded (shown in the Reconstruct panel).
    #[serde(skip)]
    pub models_error: Option<String>,
    #[serde(skip)]
    pending_reconstruct: Option<JobId>,
    /// The evaluation started from the Study panel.
    #[serde(skip)]
    pending_eval: Option<JobId>,
    /// The training started from the Study panel.
    #[serde(skip)]
    pending_train: Option<JobId>,
    #[serde(skip)]
    frame_stats: Option<FrameStats>,
    /// A benchmark run neither reads nor saves the user's settings.
    #[serde(skip)]
    benchmark_run: bool,
}

impl Default for App {
    fn default() -> Self {
        Self {
            view: View::default(),
            theme: ThemeChoice::default(),
            grid: GridSettings::default(),
            cleaning: crate::dsp::clean::CleanConfig::default(),
            recent_paths: Vec::new(),
            export_folder: std::env::temp_dir(),
            models_dir: default_models_dir(),
            device: crate::model::DeviceChoice::default(),
            browser: Browser::default(),
            leads_view: LeadsView::default(),
            worker: Worker::new(),
            open_panel: open_panel::OpenPanel::default(),
            entries: Vec::new(),
            loaded: None,
            pending_load: None,
            notices: Vec::new(),
            export: export::ExportState::default(),
            spectrum: spectrum_panel::SpectrumPanel::default(),
            reconstruct: reconstruct_panel::ReconstructPanel::default(),
            study: study_panel::StudyPanel::default(),
            first_record_drawn_at: None,
            started_at: None,
            record_key: 0,
            cleaned: None,
            pending_clean: None,
            clean_error: None,
            last_submitted_clean: None,
            superseded_jobs: Default::default(),
            models: None,
            pending_models: None,
            models_dir_loaded: None,
            models_error: None,
            pending_reconstruct: None,
            pending_eval: None,
            pending_train: None,
            frame_stats: None,
            benchmark_run: false,
        }
    }
}

/// The bundled sample records (`assets/samples`), found next to the executable's source tree or the
/// working directory.
pub fn bundled_samples_dir() -> Option<PathBuf> {
    let candidates = [
        PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/assets/samples")),
        PathBuf::from("assets/samples"),
    ];
    candidates.into_iter().find(|dir| dir.is_dir())
}

fn default_models_dir() -> PathBuf {
    let source_tree = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/models"));
    if source_tree.is_dir() {
        source_tree
    } else {
        PathBuf::from("models")
    }
}

impl App {
    /// Restores settings from eframe's storage (if any), then opens `paths` or, when none are given and
    /// nothing was opened before, the bundled samples.
    pub fn new(storage: Option<&dyn eframe::Storage>, paths: Vec<PathBuf>) -> Self {
        let mut app: Self = storage
            .and_then(|storage| eframe::get_value(storage, STORAGE_KEY))
            .unwrap_or_default();
        app.started_at = Some(std::time::Instant::now());
        app.load_models();
        if paths.is_empty() {
            app.open_samples();
        } else {
            for path in paths {
                app.open_path(&path);
            }
        }
        app
    }

    /// Opens the bundled samples: lists them in the browser and shows the first.
    pub fn open_samples(&mut self) {
        let Some(dir) = bundled_samples_dir() else {
            self.notify(
                NoticeLevel::Warning,
                "the bundled samples (assets/samples) were not found next to this build".to_owned(),
            );
            return;
        };
        let mut headers: Vec<PathBuf> = std::fs::read_dir(&dir)
            .map(|entries| {
                entries
                    .filter_map(Result::ok)
                    .map(|entry| entry.path())
                    .filter(|path| path.extension().is_some_and(|ext| ext == "hea"))
                    .collect()
            })
            .unwrap_or_default();
        headers.sort();
        let shown = headers
            .iter()
            .find(|path| path.file_stem().is_some_and(|stem| stem == FIRST_SAMPLE))
            .or(headers.first());
        if let Some(shown) = shown {
            self.load_record(&shown.clone());
        }
        self.worker.submit(Job::IndexFiles { paths: headers });
    }

    /// Opens a folder (indexed into the browser) or one record (listed and shown).
    pub fn open_path(&mut self, path: &Path) {
        let path = path.to_path_buf();
        if path.is_dir() {
            self.worker.submit(Job::IndexFolder { path: path.clone() });
            self.view = View::Browser;
        } else {
            let header = crate::wfdb::header::header_path(&path);
            if !header.is_file() {
                self.notify(
                    NoticeLevel::Error,
                    format!(
                        "{}: no such record (expected a folder or a WFDB header {})",
                        path.display(),
                        header.display()
                    ),
                );
                return;
            }
            self.worker.submit(Job::IndexFiles {
                paths: vec![header.clone()],
            });
            self.load_record(&header);
        }
        self.remember(path);
    }

    /// Loads (or reloads) the models of `models_dir` in the worker; they replace the current ones
    /// when they arrive, and a failure is shown in the Reconstruct panel.
    pub fn load_models(&mut self) {
        if let Some(old) = self.pending_models.take() {
            // Loading cannot be interrupted; its result (or error) is simply ignored.
            self.superseded_jobs.insert(old);
        }
        self.models_error = None;
        let job_id = self.worker.submit(Job::LoadModels {
            dir: self.models_dir.clone(),
            device: self.device,
        });
        self.pending_models = Some(job_id);
    }

    /// True while the model-loading job runs.
    pub fn models_loading(&self) -> bool {
        self.pending_models.is_some()
    }

    /// The loaded models, as the reconstruction job uses them.
    pub fn reconstructor(&self) -> Option<Arc<dyn crate::worker::reconstruct::LeadReconstructor>> {
        self.models.as_ref().map(|models| {
            Arc::clone(models) as Arc<dyn crate::worker::reconstruct::LeadReconstructor>
        })
    }

    /// Where the models stand, for the panels that need them.
    fn models_status(&self) -> reconstruct_panel::ModelsStatus {
        use crate::worker::reconstruct::LeadReconstructor as _;
        match (&self.models, &self.models_error) {
            _ if self.pending_models.is_some() => reconstruct_panel::ModelsStatus::Loading,
            (Some(models), _) => reconstruct_panel::ModelsStatus::Loaded {
                device: models.device_name(),
            },
            (None, Some(reason)) => reconstruct_panel::ModelsStatus::Failed(reason.clone()),
            (None, None) => reconstruct_panel::ModelsStatus::Absent,
        }
    }

    /// True while an evaluation started from the Study panel runs.
    pub fn evaluation_running(&self) -> bool {
        self.pending_eval.is_some()
    }

    /// Starts the evaluation the Study panel's form describes, with the loaded models; a form that
    /// does not describe a valid run is reported in the panel and the status bar.
    pub fn run_evaluation(&mut self) {
        if self.pending_eval.is_some() {
            return; // one at a time: the button is disabled meanwhile
        }
        let (Some(models), Some(models_dir)) = (&self.models, &self.models_dir_loaded) else {
            let reason = reconstruct_panel::NO_MODELS.to_owned();
            self.study.eval_status = study_panel::EvalStatus::Failed(reason.clone());
            self.notify(NoticeLevel::Warning, reason);
            return;
        };
        match self.study.eval.config() {
            Ok((config, out_dir)) => {
                let job_id = self.worker.submit(Job::Evaluate {
                    config,
                    models: Arc::clone(models),
                    models_dir: models_dir.clone(),
                    out_dir,
                });
                self.pending_eval = Some(job_id);
                self.study.eval_status = study_panel::EvalStatus::Running;
            }
            Err(reason) => {
                self.study.eval_status = study_panel::EvalStatus::Failed(reason.clone());
                self.notify(
                    NoticeLevel::Error,
                    format!("evaluation not started: {reason}"),
                );
            }
        }
    }

    /// Asks the running evaluation to stop (it does at its next check).
    pub fn cancel_evaluation(&mut self) {
        if let Some(job_id) = self.pending_eval {
            self.worker.cancel(job_id);
        }
    }

    /// True while a training started from the Study panel runs.
    pub fn training_running(&self) -> bool {
        self.pending_train.is_some()
    }

    /// Starts the training the Study panel's "Train models" form describes, on the app's model
    /// device; a form that does not describe a valid run is reported in the panel and the status bar.
    pub fn start_training(&mut self) {
        if self.pending_train.is_some() {
            return; // one at a time: the button is disabled meanwhile
        }
        match self.study.train.form.request() {
            Ok(request) => {
                let epochs = self.study.train.new_log();
                let job_id = self.worker.submit(Job::Train {
                    data: request.data,
                    out: request.out,
                    config: Box::new(request.config),
                    device: self.device,
                    epochs,
                });
                self.pending_train = Some(job_id);
                self.study.train.status = train_panel::TrainStatus::Running;
            }
            Err(reason) => {
                self.study.train.status = train_panel::TrainStatus::Failed(reason.clone());
                self.notify(
                    NoticeLevel::Error,
                    format!("training not started: {reason}"),
                );
            }
        }
    }

    /// Asks the running training to stop (after its current step, keeping the best state).
    pub fn cancel_training(&mut self) {
        if let Some(job_id) = self.pending_train {
            self.worker.cancel(job_id);
        }
    }

    /// Makes `dir` (a folder just trained) the models folder and loads it.
    pub fn use_trained_models(&mut self, dir: PathBuf) {
        self.models_dir = dir;
        self.load_models();
    }

    /// Reads a record in the worker; it is shown when it arrives.
    pub fn load_record(&mut self, path: &Path) {
        let job_id = self.worker.submit(Job::LoadRecord {
            path: path.to_path_buf(),
        });
        self.pending_load = Some(job_id);
    }

    fn remember(&mut self, path: PathBuf) {
        let path = std::fs::canonicalize(&path).unwrap_or(path);
        self.recent_paths.retain(|recent| recent != &path);
        self.recent_paths.insert(0, path);
        self.recent_paths.truncate(MAX_RECENT);
    }

    pub fn notify(&mut self, level: NoticeLevel, text: String) {
        match level {
            NoticeLevel::Error => log_line("error", &text),
            NoticeLevel::Warning => log_line("warning", &text),
            NoticeLevel::Info => {}
        }
        self.notices.push(Notice { level, text });
        if self.notices.len() > 50 {
            self.notices.remove(0);
        }
    }

    /// Applies the results of finished jobs. Never blocks.
    pub fn poll_worker(&mut self) {
        for event in self.worker.poll() {
            match event {
                JobEvent::Finished { job_id, result } => match result {
                    Ok(JobOutput::Record { path, record }) => {
                        if self.pending_load == Some(job_id) {
                            self.pending_load = None;
                            self.show_record(path, *record);
                        }
                    }
                    Ok(JobOutput::Index { path, index }) => self.add_index(&path, *index),
                    Ok(JobOutput::Report {
                        path,
                        report,
                        write_error,
                    }) => {
                        self.study.results = Some(study_panel::StudyResults::from_report(&report));
                        self.study.radar_classes.clear();
                        if self.pending_eval == Some(job_id) {
                            self.pending_eval = None;
                            self.finish_evaluation(path, write_error);
                        } else if let Some(path) = path {
                            self.notify(
                                NoticeLevel::Info,
                                format!("evaluation report loaded from {}", path.display()),
                            );
                        }
                    }
                    Ok(JobOutput::Models { dir, models }) => {
                        if self.pending_models == Some(job_id) {
                            // No notice: the Reconstruct panel shows the models and their device.
                            self.pending_models = None;
                            self.models_dir_loaded = Some(dir);
                            self.models = Some(models);
                            self.reconstruct.result = None;
                        } else {
                            self.superseded_jobs.remove(&job_id);
                        }
                    }
                    Ok(JobOutput::Trained { dir, summary }) => {
                        if self.pending_train == Some(job_id) {
                            self.pending_train = None;
                        }
                        self.notify(
                            NoticeLevel::Info,
                            format!("training finished, models written to {}", dir.display()),
                        );
                        self.study.train.status =
                            train_panel::TrainStatus::Finished { dir, summary };
                    }
                    Ok(JobOutput::Written { path, what }) => self.notify(
                        NoticeLevel::Info,
                        format!("{what} written to {}", path.display()),
                    ),
                    Ok(JobOutput::Reconstruction(result)) => {
                        if self.pending_reconstruct == Some(job_id) {
                            self.pending_reconstruct = None;
                        }
                        if result.record_key == self.record_key {
                            self.reconstruct.result = Some(*result);
                        }
                    }
                    Ok(JobOutput::Cleaned(cleaned)) => {
                        if self
                            .pending_clean
                            .as_ref()
                            .is_some_and(|(id, _, _)| *id == job_id)
                        {
                            self.pending_clean = None;
                        }
                        if cleaned.record_key == self.record_key {
                            self.clean_error = None;
                            self.cleaned = Some(*cleaned);
                        }
                    }
                    Err(message) => {
                        if self.pending_load == Some(job_id) {
                            self.pending_load = None;
                        }
                        if self.pending_reconstruct == Some(job_id) {
                            self.pending_reconstruct = None;
                        }
                        if self.pending_eval == Some(job_id) {
                            // Shown in the Study panel too, beside the form that started it.
                            self.pending_eval = None;
                            self.study.eval_status =
                                study_panel::EvalStatus::Failed(message.clone());
                        }
                        if self.pending_train == Some(job_id) {
                            // Shown in the Study panel too, beside the form that started it.
                            self.pending_train = None;
                            self.study.train.status =
                                train_panel::TrainStatus::Failed(message.clone());
                        }
                        if self.pending_models == Some(job_id) {
                            // Shown in the Reconstruct panel. Models from another folder would
                            // mislead: what was asked for is not loaded, so nothing is.
                            self.pending_models = None;
                            self.models_error = Some(message.clone());
                            self.models = None;
                            self.reconstruct.result = None;
                        }
                        if self
                            .pending_clean
                            .as_ref()
                            .is_some_and(|(id, _, _)| *id == job_id)
                        {
                            // Shown in the cleaning panel, next to the parameters that caused it.
                            self.pending_clean = None;
                            self.clean_error = Some(message);
                        } else if !self.superseded_jobs.remove(&job_id) {
                            self.notify(NoticeLevel::Error, message);
                        }
                    }
                },
                JobEvent::Cancelled { job_id } => {
                    let was_clean = self
                        .pending_clean
                        .as_ref()
                        .is_some_and(|(id, _, _)| *id == job_id);
                    if was_clean {
                        self.pending_clean = None;
                    } else if self.pending_reconstruct == Some(job_id) {
                        self.pending_reconstruct = None;
                        self.notify(NoticeLevel::Info, "reconstruction cancelled".to_owned());
                    } else if self.pending_eval == Some(job_id) {
                        self.pending_eval = None;
                        self.study.eval_status = study_panel::EvalStatus::Cancelled;
                        self.notify(NoticeLevel::Info, "evaluation cancelled".to_owned());
                    } else if self.pending_train == Some(job_id) {
                        self.pending_train = None;
                        self.study.train.status = train_panel::TrainStatus::Cancelled;
                        self.notify(NoticeLevel::Info, "training cancelled".to_owned());
                    } else if !self.superseded_jobs.remove(&job_id) {
                        self.notify(NoticeLevel::Info, "job cancelled".to_owned());
                    }
                }
            }
        }
    }

    /// Records how an evaluation from the Study panel ended (its report is already shown).
    fn finish_evaluation(&mut self, path: Option<PathBuf>, write_error: Option<String>) {
        let (status, level, notice) = match (path, write_error) {
            (_, Some(error)) => (
                format!("Evaluation finished; its report was not written: {error}"),
                NoticeLevel::Error,
                format!("evaluation finished, report not written: {error}"),
            ),
            (Some(path), None) => (
                format!("Evaluation finished; report written to {}", path.display()),
                NoticeLevel::Info,
                format!("evaluation finished, report written to {}", path.display()),
            ),
            (None, None) => (
                "Evaluation finished (no output folder: the report is not saved).".to_owned(),
                NoticeLevel::Info,
                "evaluation finished".to_owned(),
            ),
        };
        self.study.eval_status = study_panel::EvalStatus::Finished(status);
        self.notify(level, notice);
    }

    /// Starts a cleaning job when the record or the parameters changed (cancelling a stale one).
    fn update_cleaning(&mut self) {
        let Some(loaded) = &self.loaded else {
            return;
        };
        let wanted = cleaning_panel::viewer_config(&self.cleaning);
        if wanted.validate().is_err() {
            return; // the panel shows why
        }
        let key_and_config = (self.record_key, wanted.clone());
        if self.last_submitted_clean.as_ref() == Some(&key_and_config) {
            return; // running, done, or failed with exactly these parameters
        }
        if let Some((job_id, _, _)) = self.pending_clean.take()
            && self.worker.cancel(job_id)
        {
            self.superseded_jobs.insert(job_id);
        }
        let job_id = self.worker.submit(Job::Clean {
            record_key: self.record_key,
            record: Arc::clone(&loaded.record),
            config: wanted.clone(),
        });
        self.last_submitted_clean = Some(key_and_config);
        self.pending_clean = Some((job_id, self.record_key, wanted));
    }

    fn cleaning_status(&self) -> cleaning_panel::CleaningStatus {
        use cleaning_panel::CleaningStatus;
        if self.loaded.is_none() {
            return CleaningStatus::NoRecord;
        }
        if self.pending_clean.is_some() {
            return CleaningStatus::Running;
        }
        if let Some(err) = &self.clean_error {
            return CleaningStatus::Failed(err.clone());
        }
        match &self.cleaned {
            Some(cleaned) => CleaningStatus::Done {
                r_peaks: cleaned
                    .r_peaks_in_samples
                    .as_ref()
                    .map(Vec::len)
                    .map_err(Clone::clone),
            },
            None => CleaningStatus::Running,
        }
    }

    fn show_record(&mut self, path: PathBuf, record: Record) {
        let name = path
            .file_stem()
            .map(|stem| stem.to_string_lossy().into_owned())
            .unwrap_or_else(|| path.display().to_string());
        for (signal, checksum) in record.checksum_mismatches() {
            let text = format!("{name}: signal {signal}: checksum mismatch ({checksum:?})");
            self.notify(NoticeLevel::Warning, text);
        }
        self.browser.selected_header = Some(crate::wfdb::header::header_path(&path));
        self.loaded = Some(LoadedRecord {
            path,
            name,
            record: Arc::new(record),
        });
        self.record_key += 1;
        self.cleaned = None;
        self.clean_error = None;
        self.leads_view.on_new_record();
        self.spectrum.on_new_record();
        self.reconstruct.on_new_record();
    }

    fn add_index(&mut self, path: &Path, index: DatasetIndex) {
        let n_problems = index.problems.len();
        if let Some(problem) = index.problems.first() {
            self.notify(
                NoticeLevel::Warning,
                format!(
                    "{}: {n_problems} file(s) could not be indexed, first: {problem}",
                    path.display()
                ),
            );
        }
        if index.records.is_empty() && n_problems == 0 {
            self.notify(
                NoticeLevel::Warning,
                format!("{}: no WFDB records found", path.display()),
            );
        }
        // A record opened twice is listed once.
        let known: std::collections::HashSet<PathBuf> = self
            .entries
            .iter()
            .map(|entry| entry.header_path.clone())
            .collect();
        self.entries.extend(
            index
                .records
                .into_iter()
                .filter(|entry| !known.contains(&entry.header_path)),
        );
        self.browser.invalidate();
    }

    /// Every frame before drawing (eframe's `App::logic`): take the worker's results, start the
    /// re-cleaning an edit asked for, apply the theme, handle dropped files and shortcuts. Nothing
    /// here draws; [`Self::ui_root`] then only lays the panels out.
    pub fn logic(&mut self, ctx: &egui::Context) {
        self.poll_worker();
        self.update_cleaning();
        self.apply_theme(ctx);
        self.handle_dropped_files(ctx);
        self.handle_shortcuts(ctx);
        self.export.poll(&mut self.notices);
        if self.worker.is_busy() {
            ctx.request_repaint_after(std::time::Duration::from_millis(100));
        }
    }

    /// [`Self::logic`] then [`Self::ui_root`]: one whole frame, for hosts that only give a `Ui`
    /// (the headless tests and benchmark).
    pub fn frame_ui(&mut self, ui: &mut egui::Ui) {
        let ctx = ui.ctx().clone();
        self.logic(&ctx);
        self.ui_root(ui);
    }

    /// Every frame, after [`Self::logic`]: lay the panels out.
    pub fn ui_root(&mut self, ui: &mut egui::Ui) {
        egui::Panel::top("top_bar").show(ui, |ui| self.top_bar_ui(ui));
        egui::Panel::bottom("status_bar").show(ui, |ui| self.status_bar_ui(ui));
        egui::CentralPanel::default().show(ui, |ui| match self.view {
            View::Browser => self.browser_view_ui(ui),
            View::Leads => self.leads_view_ui(ui),
            View::Spectrum => self.spectrum_view_ui(ui),
            View::Reconstruct => self.reconstruct_view_ui(ui),
            View::Study => self.study_view_ui(ui),
            View::Settings => settings_panel::settings_ui(self, ui),
        });
    }

    fn apply_theme(&self, ctx: &egui::Context) {
        let theme = match self.theme {
            ThemeChoice::Light => egui::Theme::Light,
            ThemeChoice::Dark => egui::Theme::Dark,
        };
        if ctx.theme() != theme {
            ctx.set_theme(theme);
        }
    }

    fn handle_dropped_files(&mut self, ctx: &egui::Context) {
        let dropped: Vec<PathBuf> = ctx.input(|input| {
            input
                .raw
                .dropped_files
                .iter()
                .map(|file| file.path().to_path_buf())
                .collect()
        });
        for path in dropped {
            self.open_path(&path);
        }
    }

    fn handle_shortcuts(&mut self, ctx: &egui::Context) {
        if ctx.egui_wants_keyboard_input() {
            return;
        }
        for view in View::ALL {
            if ctx.input_mut(|input| input.consume_key(egui::Modifiers::NONE, view.shortcut_key()))
            {
                self.view = view;
            }
        }
        if ctx.input_mut(|input| input.consume_key(egui::Modifiers::COMMAND, egui::Key::O)) {
            self.open_panel.request_focus = true;
        }
        if ctx.input_mut(|input| input.consume_key(egui::Modifiers::NONE, egui::Key::L)) {
            self.grid.layout = self.grid.layout.toggled();
        }
        if ctx.input_mut(|input| input.consume_key(egui::Modifiers::NONE, egui::Key::T)) {
            self.theme = match self.theme {
                ThemeChoice::Light => ThemeChoice::Dark,
                ThemeChoice::Dark => ThemeChoice::Light,
            };
        }
        if ctx.input_mut(|input| input.consume_key(egui::Modifiers::COMMAND, egui::Key::E)) {
            self.export_csv();
        }
        if ctx.input_mut(|input| input.consume_key(egui::Modifiers::COMMAND, egui::Key::P)) {
            self.export_png(ctx);
        }
        if ctx.input_mut(|input| input.consume_key(egui::Modifiers::NONE, egui::Key::Escape)) {
            self.worker.cancel_all();
        }
    }

    fn top_bar_ui(&mut self, ui: &mut egui::Ui) {
        ui.horizontal_wrapped(|ui| {
            ui.strong("Precordial");
            ui.separator();
            for view in View::ALL {
                let shortcut = format!("{:?}", view.shortcut_key()).replace("Num", "");
                ui.selectable_value(&mut self.view, view, view.label())
                    .on_hover_text(format!("Shortcut: {shortcut}"));
            }
            ui.separator();
            let theme_label = match self.theme {
                ThemeChoice::Light => "Dark theme",
                ThemeChoice::Dark => "Light theme",
            };
            if ui
                .button(theme_label)
                .on_hover_text("Switch theme (T)")
                .clicked()
            {
                self.theme = match self.theme {
                    ThemeChoice::Light => ThemeChoice::Dark,
                    ThemeChoice::Dark => ThemeChoice::Light,
                };
            }
            if ui
                .button("Export CSV")
                .on_hover_text("Write the current record's signals (mV) as CSV (Ctrl+E)")
                .clicked()
            {
                self.export_csv();
            }
            if ui
                .button("Export PNG")
                .on_hover_text("Save the current window as a PNG image (Ctrl+P)")
                .clicked()
            {
                self.export_png(ui.ctx());
            }
        });
        open_panel::open_bar_ui(self, ui);
    }

    fn status_bar_ui(&mut self, ui: &mut egui::Ui) {
        ui.horizontal(|ui| {
            match &self.loaded {
                Some(loaded) => {
                    ui.label(format!(
                        "{} · {} leads · {} Hz · {:.1} s",
                        loaded.name,
                        loaded.record.n_signals(),
                        loaded.record.fs_hz(),
                        loaded.record.duration_s()
                    ));
                }
                None => {
                    ui.label("No record loaded");
                }
            }
            ui.separator();
            ui.label(format!("{} records listed", self.entries.len()));
            let mut cancel = None;
            for handle in self.worker.running() {
                ui.separator();
                ui.add(egui::Spinner::new());
                ui.label(&handle.description);
                ui.add(egui::ProgressBar::new(handle.progress()).desired_width(80.0));
                if ui.small_button("Cancel").on_hover_text("Esc").clicked() {
                    cancel = Some(handle.clone());
                }
            }
            if let Some(handle) = cancel {
                handle.cancel();
            }
        });
        if let Some(notice) = self.notices.last().cloned() {
            ui.horizontal(|ui| {
                let colour = match notice.level {
                    NoticeLevel::Info => ui.visuals().text_color(),
                    NoticeLevel::Warning => ui.visuals().warn_fg_color,
                    NoticeLevel::Error => ui.visuals().error_fg_color,
                };
                let prefix = match notice.level {
                    NoticeLevel::Info => "",
                    NoticeLevel::Warning => "Warning: ",
                    NoticeLevel::Error => "Error: ",
                };
                ui.colored_label(colour, format!("{prefix}{}", notice.text));
                if ui.small_button("x").on_hover_text("Dismiss").clicked() {
                    self.notices.pop();
                }
            });
        }
    }

    fn browser_view_ui(&mut self, ui: &mut egui::Ui) {
        if let Some(header) = self.browser.ui(ui, &self.entries) {
            self.load_record(&header);
        }
    }

    fn leads_view_ui(&mut self, ui: &mut egui::Ui) {
        egui::Panel::right("cleaning_side")
            .default_size(260.0)
            .resizable(true)
            .show(ui, |ui| {
                egui::ScrollArea::vertical().show(ui, |ui| {
                    let status = self.cleaning_status();
                    cleaning_panel::cleaning_ui(&mut self.cleaning, ui, &status);
                    ui.separator();
                    self.leads_view.readout_ui(
                        ui,
                        self.loaded.as_ref(),
                        self.cleaned.as_ref(),
                        &self.grid,
                    );
                });
            });
        egui::CentralPanel::default().show(ui, |ui| {
            self.leads_view.controls_ui(ui, &mut self.grid);
            match &self.loaded {
                Some(loaded) => {
                    self.leads_view.ui(ui, loaded, self.cleaned.as_ref(), &mut self.grid);
                    if self.first_record_drawn_at.is_none() {
                        self.first_record_drawn_at = Some(std::time::Instant::now());
                    }
                }
                None => {
                    ui.centered_and_justified(|ui| {
                        if self.pending_load.is_some() {
                            ui.label("Reading record…");
                        } else {
                            ui.label("No record loaded. Open a record or folder above, or drop a .hea file here.");
                        }
                    });
                }
            }
        });
    }

    fn spectrum_view_ui(&mut self, ui: &mut egui::Ui) {
        self.spectrum
            .ui(ui, self.loaded.as_ref(), self.cleaned.as_ref());
    }

    fn study_view_ui(&mut self, ui: &mut egui::Ui) {
        let models = self.models_status();
        let progress_of = |job: Option<JobId>| {
            job.and_then(|job_id| self.worker.handle(job_id))
                .map(|h| widgets::JobProgressView {
                    fraction: h.progress(),
                    message: h.message(),
                })
        };
        let running = progress_of(self.pending_eval);
        let training = progress_of(self.pending_train);
        match self.study.ui(
            ui,
            &models,
            running.as_ref(),
            self.device,
            training.as_ref(),
        ) {
            Some(study_panel::StudyAction::LoadReport(path)) => {
                self.worker.submit(Job::LoadReport { path });
            }
            Some(study_panel::StudyAction::RunEvaluation) => self.run_evaluation(),
            Some(study_panel::StudyAction::CancelEvaluation) => self.cancel_evaluation(),
            Some(study_panel::StudyAction::Train(action)) => match action {
                train_panel::TrainAction::Start => self.start_training(),
                train_panel::TrainAction::Cancel => self.cancel_training(),
                train_panel::TrainAction::UseModels(dir) => self.use_trained_models(dir),
            },
            None => {}
        }
    }

    fn reconstruct_view_ui(&mut self, ui: &mut egui::Ui) {
        let models = self.models_status();
        let running = self
            .pending_reconstruct
            .and_then(|job_id| self.worker.handle(job_id))
            .map(|h| h.progress());
        let action =
            self.reconstruct
                .ui(ui, self.loaded.as_ref(), &self.models_dir, &models, running);
        match action {
            Some(reconstruct_panel::ReconstructAction::Run) => self.run_reconstruction(),
            Some(reconstruct_panel::ReconstructAction::ReloadModels) => self.load_models(),
            Some(reconstruct_panel::ReconstructAction::Cancel) => {
                if let Some(job_id) = self.pending_reconstruct {
                    self.worker.cancel(job_id);
                }
            }
            None => {}
        }
    }

    /// Starts a reconstruction of the record on screen (needs loaded models).
    pub fn run_reconstruction(&mut self) {
        let (Some(loaded), Some(reconstructor)) = (&self.loaded, self.reconstructor()) else {
            self.notify(
                NoticeLevel::Warning,
                reconstruct_panel::NO_MODELS.to_owned(),
            );
            return;
        };
        let job_id = self.worker.submit(Job::Reconstruct {
            record_key: self.record_key,
            record: Arc::clone(&loaded.record),
            reconstructor,
        });
        self.pending_reconstruct = Some(job_id);
    }

    /// Exports the record's signals as CSV in a worker job (never over an existing file).
    pub fn export_csv(&mut self) {
        match &self.loaded {
            Some(loaded) => {
                let path = self
                    .export_folder
                    .join(format!("{}_signals.csv", loaded.name));
                self.worker.submit(Job::ExportCsv {
                    record: Arc::clone(&loaded.record),
                    path,
                });
            }
            None => self.notify(NoticeLevel::Warning, "no record to export".to_owned()),
        }
    }

    pub fn export_png(&mut self, ctx: &egui::Context) {
        let name = self
            .loaded
            .as_ref()
            .map_or_else(|| "workbench".to_owned(), |loaded| loaded.name.clone());
        let path = self
            .export_folder
            .join(format!("{name}_{}.png", self.view.label().to_lowercase()));
        self.export.request_png(ctx, path);
    }
}

fn log_line(level: &str, text: &str) {
    eprintln!("[precordial {level}] {text}");
}

/// Whole-frame timing in the real window (`PRECORDIAL_FRAME_STATS=N`): repaint continuously, record
/// the interval between frames (UI, tessellation, rendering and presentation together) and eframe's
/// CPU time of the app, print medians after N frames once a record is drawn, then close.
#[derive(Default)]
pub struct FrameStats {
    target_frames: usize,
    last_frame: Option<std::time::Instant>,
    intervals_ms: Vec<f64>,
    cpu_ms: Vec<f64>,
}

impl FrameStats {
    fn from_env() -> Option<Self> {
        let target_frames = std::env::var("PRECORDIAL_FRAME_STATS").ok()?.parse().ok()?;
        Some(Self {
            target_frames,
            ..Self::default()
        })
    }

    /// Returns true when done (the window should close).
    fn record(&mut self, cpu_usage_s: Option<f32>, drawing: bool) -> bool {
        let now = std::time::Instant::now();
        if drawing {
            if let Some(last) = self.last_frame {
                self.intervals_ms
                    .push(now.duration_since(last).as_secs_f64() * 1e3);
                if let Some(cpu) = cpu_usage_s {
                    self.cpu_ms.push(f64::from(cpu) * 1e3);
                }
            }
            self.last_frame = Some(now);
        }
        if self.intervals_ms.len() < self.target_frames {
            return false;
        }
        let median = |values: &mut Vec<f64>| {
            values.sort_by(f64::total_cmp);
            values.get(values.len() / 2).copied().unwrap_or(f64::NAN)
        };
        println!(
            "frames {} · whole frame median {:.1} ms · app CPU (eframe cpu_usage) median {:.2} ms",
            self.intervals_ms.len(),
            median(&mut self.intervals_ms),
            median(&mut self.cpu_ms)
        );
        true
    }
}

impl eframe::App for App {
    fn logic(&mut self, ctx: &egui::Context, _frame: &mut eframe::Frame) {
        App::logic(self, ctx);
    }

    fn ui(&mut self, ui: &mut egui::Ui, frame: &mut eframe::Frame) {
        self.ui_root(ui);
        if let Some(stats) = &mut self.frame_stats {
            let drawing = self.loaded.is_some() && self.cleaned.is_some();
            if stats.record(frame.info().cpu_usage, drawing) {
                ui.ctx().send_viewport_cmd(egui::ViewportCommand::Close);
                self.frame_stats = None;
            } else {
                ui.ctx().request_repaint();
            }
        }
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        if self.benchmark_run {
            return;
        }
        eframe::set_value(storage, STORAGE_KEY, self);
    }
}

/// Opens the workbench window (blocks until it is closed). `paths` are opened at start; with none, the
/// bundled samples are.
pub fn run_native(paths: Vec<PathBuf>) -> anyhow::Result<()> {
    let options = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default()
            .with_title("Precordial")
            .with_inner_size([1500.0, 950.0])
            .with_drag_and_drop(true),
        ..Default::default()
    };
    eframe::run_native(
        "Precordial",
        options,
        Box::new(move |creation| {
            // A benchmark run starts from default settings, not the user's.
            let storage = if std::env::var_os("PRECORDIAL_FRAME_STATS").is_some() {
                None
            } else {
                creation.storage
            };
            let mut app = App::new(storage, paths);
            app.frame_stats = FrameStats::from_env();
            app.benchmark_run = app.frame_stats.is_some();
            let ctx = creation.egui_ctx.clone();
            app.worker.set_waker(move || ctx.request_repaint());
            Ok(Box::new(app))
        }),
    )
    .map_err(|err| anyhow::anyhow!("could not open the workbench window: {err}"))
}
