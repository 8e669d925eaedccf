//! The jobs behind the viewer: read a record, index a folder or loose records, clean a record (with
//! its R-peaks and spectra), export its signals as CSV.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::{Job, JobContext};
use crate::dataset::DatasetIndex;
use crate::dsp::clean::CleanConfig;
use crate::dsp::spectrum::Psd;
use crate::wfdb::Record;

/// Read one WFDB record (path with or without `.hea`).
pub struct LoadRecord {
    pub path: PathBuf,
}

/// A record read from disk.
#[derive(Debug)]
pub struct RecordRead {
    pub path: PathBuf,
    pub record: Record,
}

impl Job for LoadRecord {
    type Output = RecordRead;
    type Update = ();

    fn describe(&self) -> String {
        format!("Reading {}", self.path.display())
    }

    fn run(self, context: &JobContext) -> Result<Option<RecordRead>, String> {
        context.set_progress(0.1);
        let record =
            Record::read(&self.path).map_err(|err| format!("{}: {err}", self.path.display()))?;
        context.set_progress(1.0);
        Ok(Some(RecordRead {
            path: self.path,
            record,
        }))
    }
}

/// An index of records for the browser, and the folder it covers.
#[derive(Debug)]
pub struct Indexed {
    pub path: PathBuf,
    pub index: DatasetIndex,
}

/// Index a dataset folder (PTB-XL, Challenge, LUDB, PTB or any WFDB folder).
pub struct IndexFolder {
    pub path: PathBuf,
}

impl Job for IndexFolder {
    type Output = Indexed;
    type Update = ();

    fn describe(&self) -> String {
        format!("Indexing {}", self.path.display())
    }

    fn run(self, context: &JobContext) -> Result<Option<Indexed>, String> {
        context.set_progress(0.05);
        let index = crate::dataset::open_folder(&self.path)
            .map_err(|err| format!("{}: {err}", self.path.display()))?;
        if context.cancel_requested() {
            return Ok(None);
        }
        context.set_progress(1.0);
        Ok(Some(Indexed {
            path: self.path,
            index,
        }))
    }
}

/// Index a list of single records (as a "generic" dataset of loose files).
pub struct IndexFiles {
    pub paths: Vec<PathBuf>,
}

impl Job for IndexFiles {
    type Output = Indexed;
    type Update = ();

    fn describe(&self) -> String {
        format!("Indexing {} record(s)", self.paths.len())
    }

    fn run(self, context: &JobContext) -> Result<Option<Indexed>, String> {
        context.set_progress(0.05);
        let header_paths: Vec<PathBuf> = self
            .paths
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
        Ok(Some(Indexed { path: root, index }))
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

/// Clean every lead of a record, detect R-peaks on the cleaned leads, and compute raw and cleaned
/// Welch spectra. `record_key` identifies the record the result belongs to.
pub struct Clean {
    pub record_key: u64,
    pub record: Arc<Record>,
    pub config: CleanConfig,
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

impl Job for Clean {
    type Output = Cleaned;
    type Update = ();

    fn describe(&self) -> String {
        "Cleaning".to_owned()
    }

    fn run(self, context: &JobContext) -> Result<Option<Cleaned>, String> {
        use crate::dsp::{clean, rpeaks, spectrum};
        let Self {
            record_key,
            record,
            config,
        } = self;
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
            let cleaned =
                clean::clean_lead(signal, fs_in_hz, &config).map_err(|err| err.to_string());
            raw_psd.push(
                spectrum::welch(signal, fs_in_hz, welch_segment(fs_in_hz))
                    .map_err(|e| e.to_string()),
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
        Ok(Some(Cleaned {
            record_key,
            fs_hz: config.target_fs_hz,
            config,
            leads,
            r_peaks_in_samples,
            raw_psd,
            cleaned_psd,
        }))
    }
}

/// A file an export wrote, and what it holds ("signals", "view").
#[derive(Clone, Debug, PartialEq)]
pub struct Written {
    pub path: PathBuf,
    pub what: String,
}

/// Write a record's signals as CSV (a `time_s` column, then every lead in physical units) to `path`,
/// or to the first free name beside it when `path` exists: an export never replaces a file.
pub struct ExportCsv {
    pub record: Arc<Record>,
    pub path: PathBuf,
}

impl Job for ExportCsv {
    type Output = Written;
    type Update = ();

    fn describe(&self) -> String {
        format!("Writing {}", self.path.display())
    }

    fn run(self, _context: &JobContext) -> Result<Option<Written>, String> {
        let names = self.record.signal_names();
        let signals: Vec<&[f64]> = self.record.signals().collect();
        write_export(&self.path, "signals", |out| {
            crate::output::write_signals_csv(out, &names, &signals, Some(self.record.fs_hz()))
        })
        .map(Some)
    }
}

/// Writes an export (`what`: "signals", "view") at `path`, or at the first free name beside it,
/// through [`crate::output::write_file`]: never half-written, never over an existing file.
pub fn write_export(
    path: &Path,
    what: &str,
    write: impl FnOnce(&mut dyn std::io::Write) -> std::io::Result<()>,
) -> Result<Written, String> {
    let path = crate::output::unused_path(path);
    crate::output::write_file(&path, false, write)
        .map_err(|err| format!("could not export the {what}: {err}"))?;
    Ok(Written {
        path,
        what: what.to_owned(),
    })
}
