//! Dataset indexes: one record model for every dataset Precordial reads.
//!
//! An index lists the records of a dataset folder with what training and evaluation need to pick them:
//! record id, patient id (for patient-wise splits), sampling rate, lead names, length, diagnostic labels
//! and the PTB-XL fold. It never loads signals: a [`RecordEntry`] only holds the header path, and the
//! [`wfdb`](crate::wfdb) reader loads the samples when they are needed.
//!
//! Supported layouts, detected by [`open_folder`]:
//! - PTB-XL (`ptbxl_database.csv` + `scp_statements.csv`; no header is opened, see [`ptbxl`]);
//! - PTB-XL waveforms without the table (`records100/`, `records500/`; see [`ptbxl::open_waveforms`]);
//! - PhysioNet/CinC Challenge 2020/2021 folders (`#Dx:` SNOMED CT codes, see [`challenge`]);
//! - LUDB (`ludb.csv` and `#<diagnoses>:` header comments, see [`ludb`]);
//! - PTB Diagnostic ECG Database (`patientNNN/` folders, `#Reason for admission:`, see [`ptbdb`]);
//! - CODE-15% as converted for the PhysioNet Challenge 2025 (`# Exam ID`, `# Patient ID`, `# Chagas label`);
//! - any other folder of WFDB records (RECORDS file or a scan for `.hea` files, see [`folder`]).
//!
//! Not for: reading samples (that is [`wfdb`](crate::wfdb)), cleaning or windowing (that is `dsp`).

pub mod challenge;
pub mod folder;
pub mod labels;
pub mod ludb;
pub mod ptbdb;
pub mod ptbxl;
pub mod scan;

mod error;

use std::fmt;
use std::path::{Path, PathBuf};

use serde::Serialize;

pub use error::DatasetError;
pub use labels::{Label, LabelScheme, Superclass};

/// Which dataset (or family of datasets) a record comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum DatasetKind {
    /// PTB-XL, indexed from `ptbxl_database.csv` or, without it, from its `records100/`/`records500/`
    /// headers.
    #[serde(rename = "ptb-xl")]
    PtbXl,
    /// A PhysioNet/CinC Challenge 2020/2021 folder (headers with `#Dx:` SNOMED CT codes).
    #[serde(rename = "challenge")]
    Challenge,
    /// Lobachevsky University Electrocardiography Database.
    #[serde(rename = "ludb")]
    Ludb,
    /// PTB Diagnostic ECG Database.
    #[serde(rename = "ptbdb")]
    Ptb,
    /// CODE-15% in the WFDB form of the PhysioNet Challenge 2025 (Chagas labels only).
    #[serde(rename = "code15")]
    Code15,
    /// Any folder of WFDB records without known labels.
    #[serde(rename = "generic")]
    Generic,
}

impl DatasetKind {
    /// Short lower-case name, as used in patient-id prefixes and in JSON (keep the serde names equal).
    pub fn name(self) -> &'static str {
        match self {
            Self::PtbXl => "ptb-xl",
            Self::Challenge => "challenge",
            Self::Ludb => "ludb",
            Self::Ptb => "ptbdb",
            Self::Code15 => "code15",
            Self::Generic => "generic",
        }
    }
}

impl fmt::Display for DatasetKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Sex as written in the sources (`Male`/`Female`, `M`/`F`, PTB-XL `0`/`1`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Sex {
    Male,
    Female,
}

impl Sex {
    /// Parses `Male`, `M`, `male`, `Female`, `F`, `female` (surrounding whitespace ignored).
    /// Anything else (`Unknown`, `NaN`, empty) is `None`.
    pub fn parse(text: &str) -> Option<Self> {
        match text.trim().to_ascii_lowercase().as_str() {
            "m" | "male" => Some(Self::Male),
            "f" | "female" => Some(Self::Female),
            _ => None,
        }
    }
}

/// Ages above 89 are hidden by the sources (PTB-XL writes 300, LUDB `>89`); they are stored as this value.
pub const AGE_CAP_YEARS: f32 = 90.0;

/// Parses an age in years: `56`, `56.0`, `>89`; `Unknown`, `NaN`, empty or negative give `None`.
/// Ages above 89 become [`AGE_CAP_YEARS`].
pub fn parse_age_years(text: &str) -> Option<f32> {
    let text = text.trim();
    if let Some(rest) = text.strip_prefix('>') {
        return rest.trim().parse::<f32>().ok().map(|_| AGE_CAP_YEARS);
    }
    let age = text.parse::<f32>().ok()?;
    if !age.is_finite() || age < 0.0 {
        return None;
    }
    Some(if age > 89.0 { AGE_CAP_YEARS } else { age })
}

/// One record of a dataset, as the index knows it. Signals are not loaded: read them from `header_path`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RecordEntry {
    /// Record id, unique within the dataset: the PTB-XL `ecg_id`, the Challenge/LUDB record name, or for
    /// PTB and generic folders the WFDB record name relative to the folder (`patient001/s0010_re`).
    pub record_id: String,
    /// Patient id, prefixed with the dataset (`ptb-xl:13619`, `ptbdb:patient001`, `code15:48705`).
    /// Where the source has no patient ids it is a stand-in built from the record id
    /// (`georgia:E07500`), and `patient_id_stand_in` is true.
    pub patient_id: String,
    /// True when `patient_id` is the record id stand-in (one patient per record assumed).
    pub patient_id_stand_in: bool,
    pub dataset: DatasetKind,
    /// Sub-source within the dataset: the Challenge source (`georgia`, `ningbo`, `ptb-xl`, ...), the
    /// CODE-15 subset folder, else the dataset name.
    pub source: String,
    pub fs_hz: f64,
    /// Lead names as written in the header (`I`, `aVR`, `AVR`, `avr`, `v1` ...).
    pub leads: Vec<String>,
    /// Samples per signal, when the header gives it.
    pub n_samples: Option<usize>,
    pub labels: Vec<Label>,
    /// PTB-XL `strat_fold` (1-10, patient-wise; 1-8 train, 9 validation, 10 test).
    pub fold: Option<u8>,
    /// PTB-XL `ecg_id` of the record: set for PTB-XL and for Challenge `HRxxxxx` records.
    pub ptbxl_ecg_id: Option<u32>,
    pub age_years: Option<f32>,
    pub sex: Option<Sex>,
    /// Path of the `.hea` file (for PTB-XL: where it is expected; the index does not check it exists).
    pub header_path: PathBuf,
}

impl RecordEntry {
    /// Duration in seconds, when the length is known.
    pub fn duration_s(&self) -> Option<f64> {
        let n_samples = self.n_samples?;
        (self.fs_hz > 0.0).then(|| n_samples as f64 / self.fs_hz)
    }

    /// The diagnostic labels (those with a superclass) that are high-confidence
    /// (likelihood >= 80, or no likelihood given by the source).
    pub fn high_confidence_diagnostic_labels(&self) -> impl Iterator<Item = &Label> {
        self.labels
            .iter()
            .filter(|label| label.superclass.is_some() && label.is_high_confidence())
    }

    /// The paper's multi-label target: the distinct superclasses of the high-confidence diagnostic
    /// labels, in the order NORM, MI, STTC, CD, HYP.
    pub fn superclasses(&self) -> Vec<Superclass> {
        let mut superclasses: Vec<Superclass> = self
            .high_confidence_diagnostic_labels()
            .filter_map(|label| label.superclass)
            .collect();
        superclasses.sort();
        superclasses.dedup();
        superclasses
    }

    /// The reference scripts' single label: the superclass of the diagnostic code with the highest
    /// likelihood, among diagnostic labels with likelihood >= `min_likelihood` (labels without a
    /// likelihood count as 100). Ties go to the code listed first in the source.
    pub fn dominant_superclass(&self, min_likelihood: f32) -> Option<Superclass> {
        labels::dominant_superclass(&self.labels, min_likelihood)
    }
}

/// A file that could not be indexed: reported, not fatal for the folder.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct IndexProblem {
    pub path: PathBuf,
    /// 1-based line in `path`, where it applies (a CSV row).
    pub line: Option<u64>,
    pub message: String,
}

impl fmt::Display for IndexProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{line}: {}", self.path.display(), self.message),
            None => write!(f, "{}: {}", self.path.display(), self.message),
        }
    }
}

/// The records of one dataset folder.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DatasetIndex {
    pub root: PathBuf,
    pub kind: DatasetKind,
    pub records: Vec<RecordEntry>,
    /// Files or rows that could not be indexed (path, line, problem).
    pub problems: Vec<IndexProblem>,
}

impl DatasetIndex {
    pub fn len(&self) -> usize {
        self.records.len()
    }

    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    /// The record with this id, if any.
    pub fn record(&self, record_id: &str) -> Option<&RecordEntry> {
        self.records
            .iter()
            .find(|record| record.record_id == record_id)
    }

    /// The records whose fold is in `folds` (PTB-XL: `1..=8` train, `9..=9` validation, `10..=10` test).
    pub fn records_in_folds(
        &self,
        folds: std::ops::RangeInclusive<u8>,
    ) -> impl Iterator<Item = &RecordEntry> {
        self.records
            .iter()
            .filter(move |record| record.fold.is_some_and(|fold| folds.contains(&fold)))
    }

    /// Number of distinct patient ids.
    pub fn n_patients(&self) -> usize {
        let mut patients: Vec<&str> = self
            .records
            .iter()
            .map(|record| record.patient_id.as_str())
            .collect();
        patients.sort_unstable();
        patients.dedup();
        patients.len()
    }

    /// Gives every record that is a PTB-XL ECG (`ptbxl_ecg_id`) but has a stand-in patient the patient
    /// id and fold of the same `ecg_id` in a PTB-XL table index, whatever the record's kind: Challenge
    /// `HRxxxxx` copies and PTB-XL waveform folders without the table alike, so that patient-wise splits
    /// hold across folders. Only table entries with a true patient are linked to, and records that have
    /// one already are left alone, so linking again changes nothing. Returns how many records were linked.
    pub fn link_ptbxl(&mut self, ptbxl: &DatasetIndex) -> usize {
        let by_ecg_id: std::collections::HashMap<u32, &RecordEntry> = ptbxl
            .records
            .iter()
            .filter(|record| !record.patient_id_stand_in)
            .filter_map(|record| Some((record.ptbxl_ecg_id?, record)))
            .collect();
        let mut n_linked = 0;
        for record in &mut self.records {
            if !record.patient_id_stand_in {
                continue;
            }
            let Some(ptbxl_record) = record.ptbxl_ecg_id.and_then(|id| by_ecg_id.get(&id)) else {
                continue;
            };
            record.patient_id.clone_from(&ptbxl_record.patient_id);
            record.patient_id_stand_in = ptbxl_record.patient_id_stand_in;
            record.fold = ptbxl_record.fold;
            n_linked += 1;
        }
        n_linked
    }
}

/// Indexes a dataset folder, detecting its kind:
/// `ptbxl_database.csv` (or `ptbxl_database.head.csv`) → PTB-XL at 100 Hz; `ludb.csv` → LUDB;
/// a `records100/` or `records500/` folder → PTB-XL waveforms without the table (one entry per
/// `ecg_id`, stand-in patients, `labels.csv` classes; see [`ptbxl::open_waveforms`]);
/// else the headers are listed (RECORDS or a scan) and read, and each record is indexed by what its
/// header says: `#Dx:` → Challenge, `# Chagas label` / `# Exam ID` → CODE-15, `#<diagnoses>` → LUDB,
/// `#Reason for admission` or a `patientNNN/` folder → PTB, otherwise generic. The index's kind is the
/// kind all its records share (generic for a mix).
pub fn open_folder(path: impl AsRef<Path>) -> Result<DatasetIndex, DatasetError> {
    let root = path.as_ref();
    let metadata = std::fs::metadata(root).map_err(|error| DatasetError::io(root, error))?;
    if !metadata.is_dir() {
        return Err(DatasetError::NotAFolder {
            path: root.to_path_buf(),
        });
    }
    if ptbxl::find_database_csv(root).is_some() {
        return ptbxl::open(root, ptbxl::Resolution::Hz100);
    }
    if root.join(ludb::LUDB_CSV).is_file() {
        return ludb::open(root);
    }
    if ptbxl::has_waveform_folders(root) {
        return ptbxl::open_waveforms(root);
    }
    Ok(folder::index_scan(folder::read_headers(root)?))
}

/// Indexes one record from its header path (with or without `.hea`), classed like a record of a folder
/// scan (Challenge, CODE-15, LUDB comments, PTB, else generic), with ids relative to its own folder.
/// PTB-XL and LUDB table labels need the dataset folder: use [`open_folder`] for those.
pub fn index_record(header_path: impl AsRef<Path>) -> Result<RecordEntry, DatasetError> {
    let path = crate::wfdb::header::header_path(header_path.as_ref());
    let header = crate::wfdb::Header::read(&path)?;
    let folder = path.parent().map(Path::to_path_buf).unwrap_or_default();
    // Keep the patient folder (PTB's `patientNNN/`) in view by indexing relative to the grandparent.
    let root = folder.parent().map(Path::to_path_buf).unwrap_or_default();
    let scanned = folder::ScannedHeader {
        relative_name: scan::relative_name(&root, &path),
        path,
        header,
    };
    let mut entry = folder::record_entry(&root, &scanned);
    if entry.dataset == DatasetKind::Generic {
        // A lone record's id is its name, not `folder/name`.
        if let Some(stem) = entry.header_path.file_stem().and_then(|stem| stem.to_str()) {
            entry.patient_id = format!("{}:{stem}", entry.source);
            entry.record_id = stem.to_owned();
        }
    }
    Ok(entry)
}

/// A CSV table opened with its header row, and a lookup of columns by name: the one way the
/// dataset tables (PTB-XL's, LUDB's) are read, so every missing file or column is reported alike.
pub(crate) struct CsvTable {
    pub reader: csv::Reader<std::fs::File>,
    pub headers: csv::StringRecord,
    path: PathBuf,
}

impl CsvTable {
    pub fn open(path: &Path) -> Result<Self, DatasetError> {
        let mut reader = csv::ReaderBuilder::new()
            .from_path(path)
            .map_err(|error| DatasetError::csv(path, &error))?;
        let headers = reader
            .headers()
            .map_err(|error| DatasetError::csv(path, &error))?
            .clone();
        Ok(Self {
            reader,
            headers,
            path: path.to_path_buf(),
        })
    }

    /// Index of the column named `name` (surrounding spaces ignored).
    pub fn column(&self, name: &'static str) -> Result<usize, DatasetError> {
        self.headers
            .iter()
            .position(|header| header.trim() == name)
            .ok_or_else(|| DatasetError::MissingColumn {
                path: self.path.clone(),
                column: name,
            })
    }

    /// Calls `row` with every data row and its 1-based line; a row the reader cannot read, or one
    /// `row` rejects with a message, becomes a problem at its line and the rest are still read.
    /// The csv reader resynchronises on the next record after a field-count error, but not after an
    /// I/O or UTF-8 failure of the stream itself, which ends the table.
    pub fn for_each_row(
        &mut self,
        problems: &mut Vec<IndexProblem>,
        mut row: impl FnMut(&csv::StringRecord, Option<u64>) -> Result<(), String>,
    ) {
        let mut record = csv::StringRecord::new();
        loop {
            match self.reader.read_record(&mut record) {
                Ok(true) => {}
                Ok(false) => break,
                Err(error) => {
                    problems.push(IndexProblem {
                        path: self.path.clone(),
                        line: error.position().map(csv::Position::line),
                        message: error::csv_message(&error),
                    });
                    if matches!(error.kind(), csv::ErrorKind::Io(_)) {
                        break;
                    }
                    continue;
                }
            }
            let line = record.position().map(csv::Position::line);
            if let Err(message) = row(&record, line) {
                problems.push(IndexProblem {
                    path: self.path.clone(),
                    line,
                    message,
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_and_sexes() {
        assert_eq!(parse_age_years("56.0"), Some(56.0));
        assert_eq!(parse_age_years(" 51\n"), Some(51.0));
        assert_eq!(parse_age_years(">89"), Some(AGE_CAP_YEARS));
        assert_eq!(parse_age_years("300.0"), Some(AGE_CAP_YEARS));
        assert_eq!(parse_age_years("NaN"), None);
        assert_eq!(parse_age_years("Unknown"), None);
        assert_eq!(parse_age_years("-1"), None);
        assert_eq!(Sex::parse("Male"), Some(Sex::Male));
        assert_eq!(Sex::parse("F\n"), Some(Sex::Female));
        assert_eq!(Sex::parse("female"), Some(Sex::Female));
        assert_eq!(Sex::parse("Unknown"), None);
    }

    fn entry(dataset: DatasetKind, record_id: &str, ecg_id: Option<u32>) -> RecordEntry {
        RecordEntry {
            record_id: record_id.to_owned(),
            patient_id: format!("{}:{record_id}", dataset.name()),
            patient_id_stand_in: true,
            dataset,
            source: dataset.name().to_owned(),
            fs_hz: 500.0,
            leads: Vec::new(),
            n_samples: None,
            labels: Vec::new(),
            fold: None,
            ptbxl_ecg_id: ecg_id,
            age_years: None,
            sex: None,
            header_path: PathBuf::new(),
        }
    }

    fn index(records: Vec<RecordEntry>) -> DatasetIndex {
        DatasetIndex {
            root: PathBuf::new(),
            kind: DatasetKind::Generic,
            records,
            problems: Vec::new(),
        }
    }

    /// Stand-in patients of any kind are linked; true patients and stand-in table entries are not.
    #[test]
    fn link_ptbxl_replaces_stand_in_patients_only() {
        let table_row = |ecg_id: u32, patient: &str, fold: u8| RecordEntry {
            patient_id: format!("ptb-xl:{patient}"),
            patient_id_stand_in: false,
            fold: Some(fold),
            ..entry(DatasetKind::PtbXl, &ecg_id.to_string(), Some(ecg_id))
        };
        let mut stand_in_row = entry(DatasetKind::PtbXl, "4", Some(4));
        stand_in_row.fold = Some(1);
        let table = index(vec![
            table_row(2, "13243", 2),
            table_row(3, "20372", 5),
            stand_in_row,
        ]);
        let mut true_patient = entry(DatasetKind::Challenge, "HR00003", Some(3));
        true_patient.patient_id = "elsewhere:7".to_owned();
        true_patient.patient_id_stand_in = false;
        let mut folder = index(vec![
            entry(DatasetKind::PtbXl, "2", Some(2)),
            entry(DatasetKind::Challenge, "HR00002", Some(2)),
            true_patient.clone(),
            entry(DatasetKind::PtbXl, "4", Some(4)),
            entry(DatasetKind::Generic, "x", None),
        ]);
        assert_eq!(folder.link_ptbxl(&table), 2);
        for linked in &folder.records[..2] {
            assert_eq!(linked.patient_id, "ptb-xl:13243");
            assert!(!linked.patient_id_stand_in);
            assert_eq!(linked.fold, Some(2));
        }
        assert_eq!(folder.records[2], true_patient);
        assert_eq!(folder.records[3].patient_id, "ptb-xl:4");
        assert_eq!(folder.records[3].fold, None);
        assert!(folder.records[4].patient_id_stand_in);
        assert_eq!(
            folder.link_ptbxl(&table),
            0,
            "linking again changes nothing"
        );
    }
}
