//! Background jobs: the workbench's heavy work (reading records, indexing folders, cleaning,
//! reconstruction, evaluation and training) runs here, never on the UI thread.
//!
//! A [`Worker`] runs each submitted [`Job`] on its own thread. Every job gets a [`JobHandle`] with a
//! shared progress value (0..=1), a stage message and a cancel flag that the job polls; results come back as
//! [`JobEvent`]s over a crossbeam channel that the UI drains once per frame with [`Worker::poll`].
//! An optional waker (the UI's "request repaint") is called whenever an event is sent.
//!
//! Not for: anything that draws. This module knows nothing of egui.

pub mod evaluate;
pub mod reconstruct;
pub mod train;

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex};

use crossbeam_channel::{Receiver, Sender};

use crate::dataset::DatasetIndex;
use crate::dsp::clean::CleanConfig;
use crate::dsp::spectrum::Psd;
use crate::progress::Progress;
use crate::wfdb::Record;

/// Identifies one submitted job.
pub type JobId = u64;

/// What a job does.
#[derive(Clone)]
pub enum Job {
    /// Read one WFDB record (path with or without `.hea`).
    LoadRecord { path: PathBuf },
    /// Index a dataset folder (PTB-XL, Challenge, LUDB, PTB or any WFDB folder).
    IndexFolder { path: PathBuf },
    /// Index a list of single records (as a "generic" dataset of loose files).
    IndexFiles { paths: Vec<PathBuf> },
    /// Clean every lead of a record, detect R-peaks on the cleaned leads, and compute raw and cleaned
    /// Welch spectra. `record_key` identifies the record the result belongs to.
    Clean {
        record_key: u64,
        record: Arc<Record>,
        config: CleanConfig,
    },
    /// Read an evaluation report (`report.json` written by `precordial eval`).
    LoadReport { path: PathBuf },
    /// Write a record's signals as CSV (a `time_s` column, then every lead in physical units) to
    /// `path`, or to the first free name beside it when `path` exists: an export never replaces a file.
    ExportCsv { record: Arc<Record>, path: PathBuf },
    /// Rebuild V1, V3–V6 from I, II, V2 with both models (see [`reconstruct`]).
    Reconstruct {
        record_key: u64,
        record: Arc<Record>,
        reconstructor: Arc<dyn reconstruct::LeadReconstructor>,
    },
    /// Load and verify the trained models of a folder (`models/`).
    LoadModels {
        dir: PathBuf,
        device: crate::model::DeviceChoice,
    },
    /// Evaluate the models on a dataset split, as `precordial eval` does (see [`evaluate`]); the
    /// report is written to `out_dir` when given (never over an existing report).
    Evaluate {
        config: crate::eval::run::EvalConfig,
        models: Arc<reconstruct::LoadedModels>,
        /// The folder the models were loaded from (their card and training configuration).
        models_dir: PathBuf,
        out_dir: Option<PathBuf>,
    },
    /// Train the encoder and decoders C and C-h, as `precordial train` does (see [`train`]), into
    /// `out`, which must be new or empty; each epoch's report is appended to `epochs`.
    Train {
        data: Vec<PathBuf>,
        out: PathBuf,
        config: Box<crate::model::train::TrainConfig>,
        device: crate::model::DeviceChoice,
        epochs: train::EpochLog,
    },
}

impl Job {
    /// A short human description, for the jobs list.
    pub fn describe(&self) -> String {
        match self {
            Self::LoadRecord { path } => format!("Reading {}", path.display()),
            Self::IndexFolder { path } => format!("Indexing {}", path.display()),
            Self::IndexFiles { paths } => format!("Indexing {} record(s)", paths.len()),
            Self::Clean { .. } => "Cleaning".to_owned(),
            Self::Reconstruct { .. } => "Reconstructing V1, V3–V6".to_owned(),
            Self::LoadReport { path } => format!("Reading {}", path.display()),
            Self::ExportCsv { path, .. } => format!("Writing {}", path.display()),
            Self::LoadModels { dir, .. } => format!("Loading models from {}", dir.display()),
            Self::Evaluate { config, .. } => match config.split {
                Some(split) => format!("Evaluating the {} split", split.name()),
                None => "Evaluating every record".to_owned(),
            },
            Self::Train { out, .. } => format!("Training models into {}", out.display()),
        }
    }
}

/// What a finished job produced.
#[derive(Debug)]
pub enum JobOutput {
    Record {
        path: PathBuf,
        record: Box<Record>,
    },
    Index {
        path: PathBuf,
        index: Box<DatasetIndex>,
    },
    Cleaned(Box<Cleaned>),
    Reconstruction(Box<reconstruct::ReconstructionResult>),
    Models {
        dir: PathBuf,
        models: Arc<reconstruct::LoadedModels>,
    },
    /// An evaluation report, read from disk or just computed.
    Report {
        /// Where the report is on disk: the file read, or the `report.json` an evaluation wrote;
        /// `None` for an evaluation kept in memory only.
        path: Option<PathBuf>,
        report: Box<crate::eval::EvalReport>,
        /// Why an evaluation's report could not be written (the report itself is still good).
        write_error: Option<String>,
    },
    /// A training run finished: the models folder it wrote and a one-line summary of its card.
    Trained {
        dir: PathBuf,
        summary: String,
    },
    /// A file was written (an export), at `path`.
    Written {
        path: PathBuf,
        what: String,
    },
}

/// A record's cleaned leads, with what the viewer derives from them.
#[derive(Debug)]
pub struct Cleaned {
    pub record_key: u64,
    pub config: CleanConfig,
    /// Rate of the cleaned leads (the config's target rate).
    pub fs_hz: f64,
    /// Per lead, in record order: the cleaned signal or why it could not be cleaned.
    pub leads: Vec<Result<Vec<f64>, String>>,
    /// R-peak sample indices at `fs_hz`, detected on all cleaned leads together.
    pub r_peaks_in_samples: Result<Vec<usize>, String>,
    /// Welch PSD of each raw lead (at the record's rate) and each cleaned lead (at `fs_hz`).
    pub raw_psd: Vec<Result<Psd, String>>,
    pub cleaned_psd: Vec<Result<Psd, String>>,
}

/// Welch segment length: 2 s of signal (0.5 Hz resolution), at least 16 samples.
fn welch_segment(fs_hz: f64) -> usize {
    ((2.0 * fs_hz).round() as usize).max(16)
}

fn clean_record(
    record_key: u64,
    record: &Record,
    config: CleanConfig,
    context: &JobContext,
) -> Result<Option<JobOutput>, String> {
    use crate::dsp::{clean, rpeaks, spectrum};
    config.validate().map_err(|err| err.to_string())?;
    let fs_in_hz = record.fs_hz();
    let n_signals = record.n_signals();
    let mut leads = Vec::with_capacity(n_signals);
    let mut raw_psd = Vec::with_capacity(n_signals);
    let mut cleaned_psd = Vec::with_capacity(n_signals);
    for (index, signal) in record.signals().enumerate() {
        if context.cancel_requested() {
            return Ok(None);
        }
        let cleaned = clean::clean_lead(signal, fs_in_hz, &config).map_err(|err| err.to_string());
        raw_psd.push(
            spectrum::welch(signal, fs_in_hz, welch_segment(fs_in_hz)).map_err(|e| e.to_string()),
        );
        cleaned_psd.push(match &cleaned {
            Ok(cleaned) => spectrum::welch(
                cleaned,
                config.target_fs_hz,
                welch_segment(config.target_fs_hz),
            )
            .map_err(|e| e.to_string()),
            Err(err) => Err(err.clone()),
        });
        leads.push(cleaned);
        context.set_progress((index + 1) as f32 / (n_signals + 1) as f32);
    }
    let good: Vec<&[f64]> = leads
        .iter()
        .filter_map(|lead| lead.as_ref().ok().map(Vec::as_slice))
        .collect();
    let r_peaks_in_samples = if good.is_empty() {
        Err("no lead could be cleaned".to_owned())
    } else {
        rpeaks::detect(&good, config.target_fs_hz, &rpeaks::RPeakConfig::default())
            .map_err(|err| err.to_string())
    };
    context.set_progress(1.0);
    Ok(Some(JobOutput::Cleaned(Box::new(Cleaned {
        record_key,
        fs_hz: config.target_fs_hz,
        config,
        leads,
        r_peaks_in_samples,
        raw_psd,
        cleaned_psd,
    }))))
}

/// Events sent from jobs to the UI.
#[derive(Debug)]
pub enum JobEvent {
    /// The job finished (successfully or not). Errors are human-readable, with context.
    Finished {
        job_id: JobId,
        result: Result<JobOutput, String>,
    },
    /// The job saw its cancel flag and stopped.
    Cancelled { job_id: JobId },
}

/// Shared between the UI and one running job.
#[derive(Debug, Default)]
pub struct JobShared {
    /// Progress in [0, 1], stored as `f32` bits.
    progress_bits: AtomicU32,
    cancel_requested: AtomicBool,
    /// What the job is doing now (empty until it says).
    message: Mutex<String>,
}

/// The UI's view of one running job.
#[derive(Clone, Debug)]
pub struct JobHandle {
    pub job_id: JobId,
    pub description: String,
    shared: Arc<JobShared>,
}

impl JobHandle {
    pub fn progress(&self) -> f32 {
        f32::from_bits(self.shared.progress_bits.load(Ordering::Relaxed))
    }

    /// The job's latest stage message (empty when it reports none).
    pub fn message(&self) -> String {
        self.shared
            .message
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    pub fn cancel(&self) {
        self.shared.cancel_requested.store(true, Ordering::Relaxed);
    }

    pub fn cancel_requested(&self) -> bool {
        self.shared.cancel_requested.load(Ordering::Relaxed)
    }
}

/// What a job's code sees: report progress, check for cancel.
pub struct JobContext {
    shared: Arc<JobShared>,
    waker: Option<Arc<dyn Fn() + Send + Sync>>,
}

impl JobContext {
    pub fn set_progress(&self, fraction: f32) {
        let fraction = if fraction.is_finite() {
            fraction.clamp(0.0, 1.0)
        } else {
            0.0
        };
        self.shared
            .progress_bits
            .store(fraction.to_bits(), Ordering::Relaxed);
        if let Some(waker) = &self.waker {
            waker();
        }
    }

    /// Says what the job is doing now (shown beside its progress).
    pub fn set_message(&self, message: &str) {
        {
            let mut current = self
                .shared
                .message
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            current.clear();
            current.push_str(message);
        }
        if let Some(waker) = &self.waker {
            waker();
        }
    }

    pub fn cancel_requested(&self) -> bool {
        self.shared.cancel_requested.load(Ordering::Relaxed)
    }
}

/// A job's context is the [`Progress`] of the library work it runs: messages and fractions go to the
/// job's shared state, and its cancel flag stops the work.
impl Progress for &JobContext {
    fn message(&mut self, text: &str) {
        self.set_message(text);
    }

    fn fraction(&mut self, done: f32) {
        self.set_progress(done);
    }

    fn cancelled(&self) -> bool {
        self.cancel_requested()
    }
}

/// Runs jobs on background threads and collects their events.
pub struct Worker {
    next_job_id: JobId,
    sender: Sender<JobEvent>,
    receiver: Receiver<JobEvent>,
    running: Vec<JobHandle>,
    waker: Option<Arc<dyn Fn() + Send + Sync>>,
}

impl Default for Worker {
    fn default() -> Self {
        Self::new()
    }
}

impl Worker {
    pub fn new() -> Self {
        let (sender, receiver) = crossbeam_channel::unbounded();
        Self {
            next_job_id: 1,
            sender,
            receiver,
            running: Vec::new(),
            waker: None,
        }
    }

    /// Called after each event and progress update (the UI passes its repaint request).
    pub fn set_waker(&mut self, waker: impl Fn() + Send + Sync + 'static) {
        self.waker = Some(Arc::new(waker));
    }

    /// Jobs submitted and not yet reported by [`Self::poll`].
    pub fn running(&self) -> &[JobHandle] {
        &self.running
    }

    pub fn is_busy(&self) -> bool {
        !self.running.is_empty()
    }

    /// Starts `job` on its own thread and returns its id.
    pub fn submit(&mut self, job: Job) -> JobId {
        self.submit_with(job.describe(), move |context| run_job(job, context))
    }

    /// Starts a closure as a job. The closure returns `Ok(None)` when it stopped on cancel.
    pub fn submit_with(
        &mut self,
        description: String,
        work: impl FnOnce(&JobContext) -> Result<Option<JobOutput>, String> + Send + 'static,
    ) -> JobId {
        let job_id = self.next_job_id;
        self.next_job_id += 1;
        let shared = Arc::new(JobShared::default());
        self.running.push(JobHandle {
            job_id,
            description: description.clone(),
            shared: Arc::clone(&shared),
        });
        let sender = self.sender.clone();
        let waker = self.waker.clone();
        let spawned = std::thread::Builder::new()
            .name(format!("job-{job_id}"))
            .spawn(move || {
                let context = JobContext {
                    shared,
                    waker: waker.clone(),
                };
                // A panic in a job is a bug; it must still not take the UI down or leave the job
                // spinning forever.
                let outcome =
                    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| work(&context)));
                let event = match outcome {
                    Ok(Ok(Some(output))) => JobEvent::Finished {
                        job_id,
                        result: Ok(output),
                    },
                    Ok(Ok(None)) => JobEvent::Cancelled { job_id },
                    Ok(Err(message)) => JobEvent::Finished {
                        job_id,
                        result: Err(message),
                    },
                    Err(_) => JobEvent::Finished {
                        job_id,
                        result: Err(format!("{description}: internal error (job panicked)")),
                    },
                };
                sender.send(event).ok();
                if let Some(waker) = &waker {
                    waker();
                }
            });
        if let Err(err) = spawned {
            self.sender
                .send(JobEvent::Finished {
                    job_id,
                    result: Err(format!("could not start a worker thread: {err}")),
                })
                .ok();
        }
        job_id
    }

    /// The handle of a job still running.
    pub fn handle(&self, job_id: JobId) -> Option<&JobHandle> {
        self.running.iter().find(|h| h.job_id == job_id)
    }

    /// Asks one running job to stop; false when it is no longer running.
    pub fn cancel(&self, job_id: JobId) -> bool {
        self.handle(job_id).map(JobHandle::cancel).is_some()
    }

    /// Cancels every running job (each stops at its next check).
    pub fn cancel_all(&self) {
        for handle in &self.running {
            handle.cancel();
        }
    }

    /// Drains the events that arrived since the last call (never blocks).
    pub fn poll(&mut self) -> Vec<JobEvent> {
        let events: Vec<JobEvent> = self.receiver.try_iter().collect();
        for event in &events {
            let job_id = match event {
                JobEvent::Finished { job_id, .. } | JobEvent::Cancelled { job_id } => *job_id,
            };
            self.running.retain(|handle| handle.job_id != job_id);
        }
        events
    }

    /// Blocks until every running job has reported (for tests and command-line use, never the UI).
    pub fn wait_all(&mut self, timeout: std::time::Duration) -> Vec<JobEvent> {
        let deadline = std::time::Instant::now() + timeout;
        let mut events = Vec::new();
        while self.is_busy() {
            let remaining = deadline.saturating_duration_since(std::time::Instant::now());
            if remaining.is_zero() {
                break;
            }
            if let Ok(event) = self.receiver.recv_timeout(remaining) {
                let job_id = match &event {
                    JobEvent::Finished { job_id, .. } | JobEvent::Cancelled { job_id } => *job_id,
                };
                self.running.retain(|handle| handle.job_id != job_id);
                events.push(event);
            }
        }
        events
    }
}

fn run_job(job: Job, context: &JobContext) -> Result<Option<JobOutput>, String> {
    match job {
        Job::Clean {
            record_key,
            record,
            config,
        } => clean_record(record_key, &record, config, context),
        Job::ExportCsv { record, path } => {
            let path = crate::output::unused_path(&path);
            let names = record.signal_names();
            let signals: Vec<&[f64]> = record.signals().collect();
            crate::output::write_file(&path, false, |out| {
                crate::output::write_signals_csv(out, &names, &signals, Some(record.fs_hz()))
            })
            .map_err(|err| format!("could not export the signals: {err}"))?;
            Ok(Some(JobOutput::Written {
                path,
                what: "signals".to_owned(),
            }))
        }
        Job::LoadReport { path } => {
            // A folder means the report folder `precordial eval` wrote.
            let file = if path.is_dir() {
                path.join("report.json")
            } else {
                path
            };
            let text = std::fs::read_to_string(&file)
                .map_err(|err| format!("{}: {err}", file.display()))?;
            let report: crate::eval::EvalReport = serde_json::from_str(&text)
                .map_err(|err| format!("{}: not an evaluation report: {err}", file.display()))?;
            Ok(Some(JobOutput::Report {
                path: Some(file),
                report: Box::new(report),
                write_error: None,
            }))
        }
        Job::Reconstruct {
            record_key,
            record,
            reconstructor,
        } => reconstruct::run(record_key, &record, &reconstructor, context),
        Job::Evaluate {
            config,
            models,
            models_dir,
            out_dir,
        } => evaluate::run(&config, &models, &models_dir, out_dir.as_deref(), context),
        Job::Train {
            data,
            out,
            config,
            device,
            epochs,
        } => train::run(&data, &out, &config, device, &epochs, context),
        Job::LoadModels { dir, device } => {
            context.set_progress(0.1);
            let models = reconstruct::LoadedModels::load(&dir, device)?;
            context.set_progress(1.0);
            Ok(Some(JobOutput::Models {
                dir,
                models: Arc::new(models),
            }))
        }
        Job::LoadRecord { path } => {
            context.set_progress(0.1);
            let record = Record::read(&path).map_err(|err| format!("{}: {err}", path.display()))?;
            context.set_progress(1.0);
            Ok(Some(JobOutput::Record {
                path,
                record: Box::new(record),
            }))
        }
        Job::IndexFolder { path } => {
            context.set_progress(0.05);
            let index = crate::dataset::open_folder(&path)
                .map_err(|err| format!("{}: {err}", path.display()))?;
            if context.cancel_requested() {
                return Ok(None);
            }
            context.set_progress(1.0);
            Ok(Some(JobOutput::Index {
                path,
                index: Box::new(index),
            }))
        }
        Job::IndexFiles { paths } => {
            context.set_progress(0.05);
            let header_paths: Vec<PathBuf> = paths
                .iter()
                .map(|path| crate::wfdb::header::header_path(path))
                .collect();
            let root = common_folder(&header_paths);
            let scan = crate::dataset::folder::read_header_files(&root, &header_paths);
            if context.cancel_requested() {
                return Ok(None);
            }
            let index = crate::dataset::folder::index_scan(scan);
            context.set_progress(1.0);
            Ok(Some(JobOutput::Index {
                path: root,
                index: Box::new(index),
            }))
        }
    }
}

/// The deepest folder holding every path (empty when there is none in common).
fn common_folder(paths: &[PathBuf]) -> PathBuf {
    let mut common: Option<PathBuf> = None;
    for path in paths {
        let folder = path.parent().map(PathBuf::from).unwrap_or_default();
        common = Some(match common {
            None => folder,
            Some(current) => {
                let mut shared = PathBuf::new();
                for (a, b) in current.components().zip(folder.components()) {
                    if a != b {
                        break;
                    }
                    shared.push(a);
                }
                shared
            }
        });
    }
    common.unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn jobs_report_results_progress_and_cancel() {
        let mut worker = Worker::new();
        let ok_id = worker.submit_with("ok".into(), |context| {
            context.set_progress(0.5);
            Ok(Some(JobOutput::Index {
                path: PathBuf::new(),
                index: Box::new(DatasetIndex {
                    root: PathBuf::new(),
                    kind: crate::dataset::DatasetKind::Generic,
                    records: Vec::new(),
                    problems: Vec::new(),
                }),
            }))
        });
        let cancel_id = worker.submit_with("spin".into(), |context| {
            while !context.cancel_requested() {
                std::thread::sleep(Duration::from_millis(1));
            }
            Ok(None)
        });
        let panic_id = worker.submit_with("boom".into(), |_| panic!("bug"));
        assert_eq!(worker.running().len(), 3);
        worker.running()[1].cancel();
        let events = worker.wait_all(Duration::from_secs(10));
        assert_eq!(events.len(), 3);
        assert!(!worker.is_busy());
        for event in events {
            match event {
                JobEvent::Finished { job_id, result } if job_id == ok_id => assert!(result.is_ok()),
                JobEvent::Finished { job_id, result } if job_id == panic_id => {
                    assert!(result.is_err())
                }
                JobEvent::Cancelled { job_id } => assert_eq!(job_id, cancel_id),
                other => panic!("unexpected {other:?}"),
            }
        }
    }

    #[test]
    fn a_missing_record_is_an_error_not_a_panic() {
        let mut worker = Worker::new();
        worker.submit(Job::LoadRecord {
            path: PathBuf::from("/nonexistent/record"),
        });
        let events = worker.wait_all(Duration::from_secs(10));
        assert!(matches!(
            events.as_slice(),
            [JobEvent::Finished { result: Err(_), .. }]
        ));
    }
}
