//! The records the workbench knows: those listed in the browser, the one on screen, and its cleaning,
//! with the worker tasks that read, index and clean them.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::cleaning_panel::{self, CleaningStatus};
use super::notices::{NoticeLevel, Notices};
use crate::dataset::{DatasetIndex, RecordEntry};
use crate::dsp::clean::CleanConfig;
use crate::wfdb::Record;
use crate::worker::{
    Clean, Cleaned, IndexFiles, IndexFolder, Indexed, LoadRecord, Outcome, RecordRead, Task,
    Worker, poll_slot,
};

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

/// What a frame's [`Records::logic`] changed, for the panels that depend on it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RecordsChanged {
    /// Another record is on screen.
    pub record: bool,
    /// Records were added to the list.
    pub entries: bool,
}

/// Listed records, the record on screen and its cleaning, and the jobs that produce them.
#[derive(Default)]
pub struct Records {
    /// All records listed in the browser (from every opened folder or file).
    pub entries: Vec<RecordEntry>,
    pub loaded: Option<LoadedRecord>,
    /// Identifies the record on screen (bumped on every load), so results computed for an earlier
    /// record are never shown with this one.
    pub record_key: u64,
    /// The cleaning of the record on screen, when done.
    pub cleaned: Option<Cleaned>,
    /// The read whose record is shown next (a newer one replaces it).
    loading: Option<Task<RecordRead>>,
    indexing: Vec<Task<Indexed>>,
    cleaning: Option<Task<Cleaned>>,
    clean_error: Option<String>,
    /// The last cleaning was cancelled (Esc): said in the panel until the next one starts.
    clean_cancelled: bool,
    /// The last (record, config) submitted: a failure is not retried until one of them changes.
    last_submitted_clean: Option<(u64, CleanConfig)>,
}

impl Records {
    /// Reads a record in the worker; it is shown when it arrives (unless another is asked for first).
    pub fn load(&mut self, worker: &mut Worker, path: &Path) {
        self.loading = Some(worker.submit(LoadRecord {
            path: path.to_path_buf(),
        }));
    }

    /// Lists a dataset folder in the browser (indexed in the worker).
    pub fn index_folder(&mut self, worker: &mut Worker, path: PathBuf) {
        self.indexing.push(worker.submit(IndexFolder { path }));
    }

    /// Lists loose records in the browser (indexed in the worker).
    pub fn index_files(&mut self, worker: &mut Worker, paths: Vec<PathBuf>) {
        self.indexing.push(worker.submit(IndexFiles { paths }));
    }

    /// True while a record is being read.
    pub fn is_loading(&self) -> bool {
        self.loading.is_some()
    }

    /// Takes finished reads, indexes and cleanings, then starts the cleaning the record on screen
    /// needs with `cleaning` (the user's parameters), cancelling a stale one. Never blocks.
    pub fn logic(
        &mut self,
        worker: &mut Worker,
        cleaning: &CleanConfig,
        notices: &mut Notices,
    ) -> RecordsChanged {
        let mut changed = RecordsChanged::default();
        match poll_slot(&mut self.loading) {
            Some(Outcome::Done(RecordRead { path, record })) => {
                self.show(path, record, notices);
                changed.record = true;
            }
            Some(Outcome::Failed(reason)) => notices.push(NoticeLevel::Error, reason),
            Some(Outcome::Cancelled) => notices.push(NoticeLevel::Info, "reading cancelled"),
            None => {}
        }
        let mut indexed = Vec::new();
        self.indexing.retain_mut(|task| match task.poll() {
            None => true,
            Some(outcome) => {
                indexed.push(outcome);
                false
            }
        });
        for outcome in indexed {
            match outcome {
                Outcome::Done(Indexed { path, index }) => {
                    self.add_index(&path, index, notices);
                    changed.entries = true;
                }
                Outcome::Failed(reason) => notices.push(NoticeLevel::Error, reason),
                Outcome::Cancelled => notices.push(NoticeLevel::Info, "indexing cancelled"),
            }
        }
        match poll_slot(&mut self.cleaning) {
            // Shown in the cleaning panel, next to the parameters that caused it.
            Some(Outcome::Failed(reason)) => self.clean_error = Some(reason),
            Some(Outcome::Cancelled) => self.clean_cancelled = true,
            Some(Outcome::Done(cleaned)) if cleaned.record_key == self.record_key => {
                self.clean_error = None;
                self.cleaned = Some(cleaned);
            }
            Some(Outcome::Done(_)) | None => {}
        }
        self.update_cleaning(worker, cleaning);
        changed
    }

    /// Starts a cleaning job when the record or the parameters changed; the job it replaces is
    /// cancelled by dropping its task.
    fn update_cleaning(&mut self, worker: &mut Worker, config: &CleanConfig) {
        let Some(loaded) = &self.loaded else {
            return;
        };
        let wanted = cleaning_panel::viewer_config(config);
        if wanted.validate().is_err() {
            return; // the panel shows why
        }
        let key_and_config = (self.record_key, wanted.clone());
        if self.last_submitted_clean.as_ref() == Some(&key_and_config) {
            return; // running, done, or failed with exactly these parameters
        }
        self.clean_cancelled = false;
        self.cleaning = Some(worker.submit(Clean {
            record_key: self.record_key,
            record: Arc::clone(&loaded.record),
            config: wanted,
        }));
        self.last_submitted_clean = Some(key_and_config);
    }

    pub fn cleaning_status(&self) -> CleaningStatus {
        if self.loaded.is_none() {
            return CleaningStatus::NoRecord;
        }
        if self.cleaning.is_some() {
            return CleaningStatus::Running;
        }
        if self.clean_cancelled {
            return CleaningStatus::Cancelled {
                showing_earlier: self.cleaned.is_some(),
            };
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

    fn show(&mut self, path: PathBuf, record: Record, notices: &mut Notices) {
        let name = path
            .file_stem()
            .map(|stem| stem.to_string_lossy().into_owned())
            .unwrap_or_else(|| path.display().to_string());
        for (signal, checksum) in record.checksum_mismatches() {
            notices.push(
                NoticeLevel::Warning,
                format!("{name}: signal {signal}: checksum mismatch ({checksum:?})"),
            );
        }
        self.loaded = Some(LoadedRecord {
            path,
            name,
            record: Arc::new(record),
        });
        self.record_key += 1;
        self.cleaned = None;
        self.clean_error = None;
        self.clean_cancelled = false;
    }

    fn add_index(&mut self, path: &Path, index: DatasetIndex, notices: &mut Notices) {
        let n_problems = index.problems.len();
        if let Some(problem) = index.problems.first() {
            notices.push(
                NoticeLevel::Warning,
                format!(
                    "{}: {n_problems} file(s) could not be indexed, first: {problem}",
                    path.display()
                ),
            );
        }
        if index.records.is_empty() && n_problems == 0 {
            notices.push(
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
    }
}
