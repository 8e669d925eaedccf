//! Which headers a folder holds (its RECORDS file or a scan) and reading them in parallel, into
//! [`ScannedHeader`]s that each dataset kind turns into entries. Knows no dataset kind: the kinds and
//! [`folder`](super::folder) build on it.
//!
//! A header that cannot be read is reported in the scan's `problems` (path and problem), never fatal.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use super::{DatasetError, DatasetKind, IndexProblem, RecordEntry};
use crate::wfdb::{Header, WfdbError};

/// The RECORDS file of a PhysioNet database: one record path per line, relative to the folder.
pub const RECORDS_FILE: &str = "RECORDS";

/// Header-reading threads (the machines this runs on have 2-8 cores; header reading is I/O-bound).
const MAX_THREADS: usize = 4;

/// A header read from a folder.
#[derive(Clone, Debug)]
pub struct ScannedHeader {
    /// The `.hea` file.
    pub path: PathBuf,
    /// Record path relative to the scanned folder, `/`-separated, without `.hea` (`data/1`,
    /// `patient001/s0010_re`).
    pub relative_name: String,
    pub header: Header,
}

impl ScannedHeader {
    /// The file name without `.hea` (`E07500` even when the header's record line says `E07500.mat`).
    pub fn stem(&self) -> &str {
        self.relative_name
            .rsplit('/')
            .next()
            .unwrap_or(&self.relative_name)
    }

    /// Name of the folder holding the header (empty at the top of the scanned folder).
    pub fn parent_folder(&self) -> &str {
        let mut parts = self.relative_name.rsplit('/');
        parts.next();
        parts.next().unwrap_or("")
    }

    fn lead_names(&self) -> Vec<String> {
        self.header
            .signals
            .iter()
            .map(|signal| signal.description.clone())
            .collect()
    }

    /// The common part of every entry: ids, rate, leads, length, path. Labels and demographics empty.
    pub fn entry(
        &self,
        dataset: DatasetKind,
        source: &str,
        record_id: String,
        patient_id: Option<String>,
    ) -> RecordEntry {
        let (patient_id, patient_id_stand_in) = match patient_id {
            Some(patient_id) => (format!("{}:{patient_id}", dataset.name()), false),
            None => (format!("{source}:{record_id}"), true),
        };
        RecordEntry {
            record_id,
            patient_id,
            patient_id_stand_in,
            dataset,
            source: source.to_owned(),
            fs_hz: self.header.fs_hz,
            leads: self.lead_names(),
            n_samples: self.header.n_samples,
            labels: Vec::new(),
            fold: None,
            ptbxl_ecg_id: None,
            age_years: None,
            sex: None,
            header_path: self.path.clone(),
        }
    }
}

/// The headers of a folder, read.
#[derive(Clone, Debug)]
pub struct HeaderScan {
    pub root: PathBuf,
    pub headers: Vec<ScannedHeader>,
    pub problems: Vec<IndexProblem>,
}

/// The `.hea` files of a folder's records: those its RECORDS file lists (a line ending in `/` names a
/// sub-folder, listed the same way), else (no RECORDS, or an empty one) every `.hea` file below it,
/// sorted; symbolic links to folders are not followed. Missing listed headers show
/// up later as read problems.
pub fn list_header_paths(root: &Path) -> Result<Vec<PathBuf>, DatasetError> {
    let mut paths = Vec::new();
    list_into(root, &mut paths, 0)?;
    Ok(paths)
}

fn list_into(folder: &Path, paths: &mut Vec<PathBuf>, depth: usize) -> Result<(), DatasetError> {
    let records_file = folder.join(RECORDS_FILE);
    let text = if records_file.is_file() {
        let bytes =
            std::fs::read(&records_file).map_err(|error| DatasetError::io(&records_file, error))?;
        String::from_utf8_lossy(&bytes).into_owned()
    } else {
        String::new()
    };
    let listed: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .collect();
    if listed.is_empty() {
        // No RECORDS file, or one that lists nothing: scan.
        let start = paths.len();
        scan_into(folder, paths)?;
        if let Some(found) = paths.get_mut(start..) {
            found.sort();
        }
        return Ok(());
    }
    for line in listed {
        if let Some(subfolder) = line.strip_suffix('/') {
            // Nested RECORDS files, as in PhysioNet's larger databases; bounded against cycles.
            if depth < 8 {
                list_into(&folder.join(subfolder), paths, depth + 1)?;
            }
            continue;
        }
        let name = line.strip_suffix(".hea").unwrap_or(line);
        paths.push(folder.join(format!("{name}.hea")));
    }
    Ok(())
}

fn scan_into(folder: &Path, paths: &mut Vec<PathBuf>) -> Result<(), DatasetError> {
    let entries = std::fs::read_dir(folder).map_err(|error| DatasetError::io(folder, error))?;
    for entry in entries {
        let entry = entry.map_err(|error| DatasetError::io(folder, error))?;
        let path = entry.path();
        // `DirEntry::file_type` does not follow symbolic links, so a link cycle cannot trap the scan.
        let file_type = entry
            .file_type()
            .map_err(|error| DatasetError::io(&path, error))?;
        if file_type.is_dir() {
            scan_into(&path, paths)?;
        } else if path.extension().is_some_and(|extension| extension == "hea") {
            paths.push(path);
        }
    }
    Ok(())
}

/// Lists a folder's headers ([`list_header_paths`]) and reads them ([`read_header_files`]).
pub fn read_headers(root: &Path) -> Result<HeaderScan, DatasetError> {
    let paths = list_header_paths(root)?;
    Ok(read_header_files(root, &paths))
}

/// Reads headers in parallel (scoped threads, order kept). Unreadable headers become problems. Segment
/// headers of multi-segment records are dropped when their top-level header is among `paths`.
pub fn read_header_files(root: &Path, paths: &[PathBuf]) -> HeaderScan {
    let n_threads = std::thread::available_parallelism()
        .map_or(1, usize::from)
        .clamp(1, MAX_THREADS);
    let chunk_len = paths.len().div_ceil(n_threads).max(1);
    let results: Vec<Result<Header, WfdbError>> = std::thread::scope(|scope| {
        let workers: Vec<_> = paths
            .chunks(chunk_len)
            .map(|chunk| scope.spawn(move || chunk.iter().map(Header::read).collect::<Vec<_>>()))
            .collect();
        workers
            .into_iter()
            .flat_map(|worker| match worker.join() {
                Ok(results) => results,
                // A panic in the header parser is a bug; re-raise it rather than lose records silently.
                Err(panic) => std::panic::resume_unwind(panic),
            })
            .collect()
    });

    let mut headers = Vec::new();
    let mut problems = Vec::new();
    for (path, result) in paths.iter().zip(results) {
        match result {
            Ok(header) => headers.push(ScannedHeader {
                path: path.clone(),
                relative_name: relative_name(root, path),
                header,
            }),
            Err(error) => problems.push(IndexProblem {
                path: path.clone(),
                line: None,
                message: strip_path_prefix(&error.to_string(), path),
            }),
        }
    }
    drop_segment_headers(&mut headers);
    fill_multi_segment_leads(&mut headers);
    HeaderScan {
        root: root.to_path_buf(),
        headers,
        problems,
    }
}

/// The reader's messages start with the path; the problem list already has it.
fn strip_path_prefix(message: &str, path: &Path) -> String {
    let shown = path.display().to_string();
    message
        .strip_prefix(&shown)
        .map_or(message, |rest| rest.trim_start_matches(':').trim_start())
        .to_owned()
}

pub(crate) fn relative_name(root: &Path, path: &Path) -> String {
    let relative = path.strip_prefix(root).unwrap_or(path);
    let relative = relative.with_extension("");
    relative
        .components()
        .map(|component| component.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

/// Segment (and layout) headers of a multi-segment record live next to it and are part of it, not records.
fn drop_segment_headers(headers: &mut Vec<ScannedHeader>) {
    let segment_paths: HashSet<PathBuf> = headers
        .iter()
        .flat_map(|scanned| {
            let folder = scanned
                .path
                .parent()
                .map(Path::to_path_buf)
                .unwrap_or_default();
            scanned
                .header
                .segments
                .iter()
                .filter(|segment| segment.name != "~")
                .map(move |segment| folder.join(format!("{}.hea", segment.name)))
        })
        .collect();
    if !segment_paths.is_empty() {
        headers.retain(|scanned| !segment_paths.contains(&scanned.path));
    }
}

/// A multi-segment header has no signal lines: take the lead names from its first segment (the layout
/// segment of a variable-layout record) that has them.
fn fill_multi_segment_leads(headers: &mut [ScannedHeader]) {
    for scanned in headers.iter_mut() {
        if !scanned.header.signals.is_empty() || scanned.header.segments.is_empty() {
            continue;
        }
        let folder = scanned
            .path
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default();
        let first_with_signals = scanned
            .header
            .segments
            .iter()
            .filter(|segment| segment.name != "~")
            .find_map(|segment| {
                Header::read(folder.join(&segment.name))
                    .ok()
                    .filter(|segment_header| !segment_header.signals.is_empty())
            });
        if let Some(segment_header) = first_with_signals {
            scanned.header.signals = segment_header.signals;
        }
    }
}
