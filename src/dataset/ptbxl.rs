//! PTB-XL: the index comes from `ptbxl_database.csv` and `scp_statements.csv` alone.
//!
//! No header is opened (21,799 of them would dominate the time): sampling rate, lead names and length
//! follow from the PTB-XL layout (`records100/NNNNN/XXXXX_lr` at 100 Hz, `records500/NNNNN/XXXXX_hr` at
//! 500 Hz, 10 s, leads I II III AVR AVL AVF V1..V6). Labels are the `scp_codes` statements with their
//! likelihoods and, for diagnostic statements, the superclass and subclass from `scp_statements.csv`.
//!
//! A PTB-XL folder without the table (waveforms only, see [`open_waveforms`]) is indexed from its
//! headers instead, with stand-in patients that [`DatasetIndex::link_ptbxl`] can replace.

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};

use super::CsvTable;
use super::scan::{self, ScannedHeader};
use super::{
    DatasetError, DatasetIndex, DatasetKind, IndexProblem, Label, LabelScheme, RecordEntry, Sex,
    Superclass, folder, parse_age_years,
};

/// The metadata table's name in PTB-XL.
pub const DATABASE_CSV: &str = "ptbxl_database.csv";
/// The first rows of the real table, as shipped in Precordial's shared sample data.
pub const DATABASE_HEAD_CSV: &str = "ptbxl_database.head.csv";
pub const SCP_STATEMENTS_CSV: &str = "scp_statements.csv";

/// Lead names in every PTB-XL header, in file order.
pub const LEADS: [&str; 12] = [
    "I", "II", "III", "AVR", "AVL", "AVF", "V1", "V2", "V3", "V4", "V5", "V6",
];

/// Which of PTB-XL's two copies of each record the index points to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum Resolution {
    /// `filename_lr`: 100 Hz, 1000 samples (the method's rate).
    #[default]
    Hz100,
    /// `filename_hr`: 500 Hz, 5000 samples.
    Hz500,
}

impl Resolution {
    pub fn fs_hz(self) -> f64 {
        match self {
            Self::Hz100 => 100.0,
            Self::Hz500 => 500.0,
        }
    }

    /// Samples per lead of every PTB-XL record (10 s).
    pub fn n_samples(self) -> usize {
        match self {
            Self::Hz100 => 1000,
            Self::Hz500 => 5000,
        }
    }
}

/// The metadata table of a PTB-XL folder: `ptbxl_database.csv`, else `ptbxl_database.head.csv`.
pub fn find_database_csv(root: &Path) -> Option<PathBuf> {
    [DATABASE_CSV, DATABASE_HEAD_CSV]
        .into_iter()
        .map(|name| root.join(name))
        .find(|path| path.is_file())
}

/// Indexes a PTB-XL folder (its `ptbxl_database.csv` or `ptbxl_database.head.csv`, and
/// `scp_statements.csv`), pointing the records at the `resolution` copy of the signals.
pub fn open(root: impl AsRef<Path>, resolution: Resolution) -> Result<DatasetIndex, DatasetError> {
    let root = root.as_ref();
    let database_csv = find_database_csv(root).ok_or_else(|| DatasetError::MissingFile {
        folder: root.to_path_buf(),
        name: DATABASE_CSV,
        dataset: "PTB-XL",
    })?;
    let statements_csv = root.join(SCP_STATEMENTS_CSV);
    if !statements_csv.is_file() {
        return Err(DatasetError::MissingFile {
            folder: root.to_path_buf(),
            name: SCP_STATEMENTS_CSV,
            dataset: "PTB-XL",
        });
    }
    let statements = ScpStatements::read(&statements_csv)?;
    index_table(root, &database_csv, &statements, resolution)
}

// ---------------------------------------------------------------------------------------------------
// scp_statements.csv

/// One row of `scp_statements.csv`.
#[derive(Clone, Debug, PartialEq)]
pub struct ScpStatement {
    pub code: String,
    pub description: String,
    pub diagnostic: bool,
    pub form: bool,
    pub rhythm: bool,
    /// `diagnostic_class`, for diagnostic statements.
    pub superclass: Option<Superclass>,
    /// `diagnostic_subclass`, for diagnostic statements.
    pub subclass: Option<String>,
}

/// The SCP statements by code.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ScpStatements {
    by_code: HashMap<String, ScpStatement>,
}

impl ScpStatements {
    /// Reads `scp_statements.csv`: the first (unnamed) column is the code; `description`, `diagnostic`,
    /// `form`, `rhythm` (flags `1.0` or empty), `diagnostic_class`, `diagnostic_subclass`.
    pub fn read(path: impl AsRef<Path>) -> Result<Self, DatasetError> {
        let path = path.as_ref();
        let mut table = CsvTable::open(path)?;
        let column = |name: &'static str| table.column(name);
        let description = column("description")?;
        let diagnostic = column("diagnostic")?;
        let form = column("form")?;
        let rhythm = column("rhythm")?;
        let class = column("diagnostic_class")?;
        let subclass = column("diagnostic_subclass")?;

        let mut by_code = HashMap::new();
        let mut row = csv::StringRecord::new();
        loop {
            match table.reader.read_record(&mut row) {
                Ok(true) => {}
                Ok(false) => break,
                Err(error) => return Err(DatasetError::csv(path, &error)),
            }
            let line = row.position().map_or(0, csv::Position::line);
            let field = |index: usize| row.get(index).unwrap_or("").trim();
            let code = field(0);
            if code.is_empty() {
                continue;
            }
            let diagnostic = parse_flag(field(diagnostic));
            let superclass = if diagnostic {
                let text = field(class);
                Some(
                    Superclass::parse(text).ok_or_else(|| DatasetError::BadField {
                        path: path.to_path_buf(),
                        line,
                        column: "diagnostic_class",
                        message: format!(
                            "'{text}' is not one of NORM, MI, STTC, CD, HYP (code {code})"
                        ),
                    })?,
                )
            } else {
                None
            };
            let subclass_text = field(subclass);
            let statement = ScpStatement {
                code: code.to_owned(),
                description: field(description).to_owned(),
                diagnostic,
                form: parse_flag(field(form)),
                rhythm: parse_flag(field(rhythm)),
                superclass,
                subclass: (diagnostic && !subclass_text.is_empty())
                    .then(|| subclass_text.to_owned()),
            };
            by_code.insert(code.to_owned(), statement);
        }
        Ok(Self { by_code })
    }

    pub fn get(&self, code: &str) -> Option<&ScpStatement> {
        self.by_code.get(code)
    }

    pub fn len(&self) -> usize {
        self.by_code.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_code.is_empty()
    }

    /// The label of `code` with `likelihood`, named and classed from this table
    /// (an unknown code keeps its code as name and gets no superclass).
    pub fn label(&self, code: &str, likelihood: f32) -> Label {
        match self.get(code) {
            Some(statement) => Label {
                code: code.to_owned(),
                name: statement.description.clone(),
                scheme: LabelScheme::Scp,
                likelihood: Some(likelihood),
                superclass: statement.superclass,
                subclass: statement.subclass.clone(),
            },
            None => Label {
                code: code.to_owned(),
                name: code.to_owned(),
                scheme: LabelScheme::Scp,
                likelihood: Some(likelihood),
                superclass: None,
                subclass: None,
            },
        }
    }
}

/// `1.0`, `1`, `True` → true; empty, `0`, `0.0`, `False` → false.
fn parse_flag(text: &str) -> bool {
    match text.trim() {
        "" => false,
        text if text.eq_ignore_ascii_case("true") => true,
        text => text.parse::<f64>().is_ok_and(|value| value != 0.0),
    }
}

// ---------------------------------------------------------------------------------------------------
// The scp_codes dict literal

/// Why an `scp_codes` dict literal could not be parsed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScpCodesError {
    /// 0-based character offset in the literal.
    pub offset: usize,
    pub message: String,
}

impl fmt::Display for ScpCodesError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "at character {}: {}", self.offset + 1, self.message)
    }
}

impl std::error::Error for ScpCodesError {}

/// Parses PTB-XL's `scp_codes` column, a Python dict literal `{'NORM': 100.0, 'SR': 0.0}`, into
/// `(code, likelihood)` pairs in source order.
///
/// Accepts what Python's `ast.literal_eval` gives for such a dict: single- or double-quoted keys with
/// backslash escapes, integer or float values (sign, exponent, `nan`/`inf`), any whitespace, a trailing
/// comma, `{}`. A repeated key keeps its first position and last value, as in Python.
pub fn parse_scp_codes(text: &str) -> Result<Vec<(String, f32)>, ScpCodesError> {
    let mut parser = DictParser {
        chars: text.chars().collect(),
        pos: 0,
    };
    parser.parse()
}

struct DictParser {
    chars: Vec<char>,
    /// Index into `chars` (the error offset, in characters).
    pos: usize,
}

impl DictParser {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn error(&self, message: impl Into<String>) -> ScpCodesError {
        ScpCodesError {
            offset: self.pos,
            message: message.into(),
        }
    }

    fn skip_whitespace(&mut self) {
        while self.peek().is_some_and(char::is_whitespace) {
            self.pos += 1;
        }
    }

    fn expect(&mut self, expected: char) -> Result<(), ScpCodesError> {
        self.skip_whitespace();
        match self.peek() {
            Some(c) if c == expected => {
                self.pos += 1;
                Ok(())
            }
            Some(c) => Err(self.error(format!("expected '{expected}', found '{c}'"))),
            None => Err(self.error(format!("expected '{expected}', found the end"))),
        }
    }

    fn parse(&mut self) -> Result<Vec<(String, f32)>, ScpCodesError> {
        self.expect('{')?;
        let mut pairs: Vec<(String, f32)> = Vec::new();
        loop {
            self.skip_whitespace();
            if self.peek() == Some('}') {
                self.pos += 1;
                break;
            }
            let key = self.parse_string()?;
            self.expect(':')?;
            let value = self.parse_number()?;
            match pairs.iter_mut().find(|(code, _)| *code == key) {
                Some(pair) => pair.1 = value,
                None => pairs.push((key, value)),
            }
            self.skip_whitespace();
            match self.peek() {
                Some(',') => self.pos += 1,
                Some('}') => {
                    self.pos += 1;
                    break;
                }
                Some(c) => return Err(self.error(format!("expected ',' or '}}', found '{c}'"))),
                None => return Err(self.error("expected ',' or '}', found the end")),
            }
        }
        self.skip_whitespace();
        match self.peek() {
            None => Ok(pairs),
            Some(c) => Err(self.error(format!("unexpected '{c}' after the closing '}}'"))),
        }
    }

    fn parse_string(&mut self) -> Result<String, ScpCodesError> {
        self.skip_whitespace();
        let quote = match self.peek() {
            Some(c @ ('\'' | '"')) => c,
            Some(c) => return Err(self.error(format!("expected a quoted code, found '{c}'"))),
            None => return Err(self.error("expected a quoted code, found the end")),
        };
        self.pos += 1;
        let mut value = String::new();
        loop {
            match self.peek() {
                None => return Err(self.error("unterminated string")),
                Some('\\') => {
                    self.pos += 1;
                    let escaped = match self.peek() {
                        None => return Err(self.error("unterminated string")),
                        Some('n') => '\n',
                        Some('t') => '\t',
                        Some('r') => '\r',
                        Some('0') => '\0',
                        Some(c) => c,
                    };
                    value.push(escaped);
                    self.pos += 1;
                }
                Some(c) if c == quote => {
                    self.pos += 1;
                    return Ok(value);
                }
                Some(c) => {
                    value.push(c);
                    self.pos += 1;
                }
            }
        }
    }

    fn parse_number(&mut self) -> Result<f32, ScpCodesError> {
        self.skip_whitespace();
        let start = self.pos;
        while self
            .peek()
            .is_some_and(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '+' | '-' | '_'))
        {
            self.pos += 1;
        }
        let token: String = self
            .chars
            .get(start..self.pos)
            .unwrap_or_default()
            .iter()
            .filter(|&&c| c != '_')
            .collect();
        if token.is_empty() {
            self.pos = start;
            return match self.peek() {
                Some(c) => Err(self.error(format!("expected a number, found '{c}'"))),
                None => Err(self.error("expected a number, found the end")),
            };
        }
        token.parse::<f32>().map_err(|_| ScpCodesError {
            offset: start,
            message: format!("'{token}' is not a number"),
        })
    }
}

// ---------------------------------------------------------------------------------------------------
// ptbxl_database.csv

/// Column indexes of `ptbxl_database.csv` that the index reads.
struct Columns {
    ecg_id: usize,
    patient_id: usize,
    age: usize,
    sex: usize,
    scp_codes: usize,
    strat_fold: usize,
    filename: usize,
}

/// Indexes a PTB-XL metadata table (`ptbxl_database.csv` or a table with the same columns) whose records
/// live under `root`. Rows that cannot be read are reported in `problems`, by line. This is the function
/// a benchmark should time: on the full 21,799-row table it is the whole cost of indexing PTB-XL.
pub fn index_table(
    root: &Path,
    database_csv: &Path,
    statements: &ScpStatements,
    resolution: Resolution,
) -> Result<DatasetIndex, DatasetError> {
    let mut table = CsvTable::open(database_csv)?;
    let column = |name: &'static str| table.column(name);
    let columns = Columns {
        ecg_id: column("ecg_id")?,
        patient_id: column("patient_id")?,
        age: column("age")?,
        sex: column("sex")?,
        scp_codes: column("scp_codes")?,
        strat_fold: column("strat_fold")?,
        filename: column(match resolution {
            Resolution::Hz100 => "filename_lr",
            Resolution::Hz500 => "filename_hr",
        })?,
    };
    let leads: Vec<String> = LEADS.iter().map(|&lead| lead.to_owned()).collect();

    let mut records = Vec::new();
    let mut problems = Vec::new();
    table.for_each_row(&mut problems, |row, _| {
        records.push(parse_row(
            row, &columns, root, statements, resolution, &leads,
        )?);
        Ok(())
    });
    Ok(DatasetIndex {
        root: root.to_path_buf(),
        kind: DatasetKind::PtbXl,
        records,
        problems,
    })
}

fn parse_row(
    row: &csv::StringRecord,
    columns: &Columns,
    root: &Path,
    statements: &ScpStatements,
    resolution: Resolution,
    leads: &[String],
) -> Result<RecordEntry, String> {
    let field = |index: usize| row.get(index).unwrap_or("").trim();

    let ecg_id_text = field(columns.ecg_id);
    let ecg_id = parse_whole_number(ecg_id_text)
        .and_then(|id| u32::try_from(id).ok())
        .ok_or_else(|| format!("column 'ecg_id': '{ecg_id_text}' is not a record number"))?;
    let patient_text = field(columns.patient_id);
    let patient_id = parse_whole_number(patient_text)
        .ok_or_else(|| format!("column 'patient_id': '{patient_text}' is not a patient number"))?;
    let fold_text = field(columns.strat_fold);
    let fold = parse_whole_number(fold_text)
        .and_then(|fold| u8::try_from(fold).ok())
        .filter(|fold| (1..=10).contains(fold))
        .ok_or_else(|| format!("column 'strat_fold': '{fold_text}' is not a fold 1-10"))?;
    let filename = field(columns.filename);
    if filename.is_empty() {
        return Err(format!("ecg_id {ecg_id}: no signal file name"));
    }
    let codes = parse_scp_codes(field(columns.scp_codes))
        .map_err(|error| format!("column 'scp_codes' (ecg_id {ecg_id}): {error}"))?;
    let labels = codes
        .iter()
        .map(|(code, likelihood)| statements.label(code, *likelihood))
        .collect();
    let sex = match field(columns.sex) {
        "0" | "0.0" => Some(Sex::Male),
        "1" | "1.0" => Some(Sex::Female),
        _ => None,
    };
    Ok(RecordEntry {
        record_id: ecg_id.to_string(),
        patient_id: format!("{}:{patient_id}", DatasetKind::PtbXl.name()),
        patient_id_stand_in: false,
        dataset: DatasetKind::PtbXl,
        source: DatasetKind::PtbXl.name().to_owned(),
        fs_hz: resolution.fs_hz(),
        leads: leads.to_vec(),
        n_samples: Some(resolution.n_samples()),
        labels,
        fold: Some(fold),
        ptbxl_ecg_id: Some(ecg_id),
        age_years: parse_age_years(field(columns.age)),
        sex,
        header_path: root.join(format!("{filename}.hea")),
    })
}

/// `15709`, `15709.0` → 15709; fractions, negatives, non-numbers → `None`.
fn parse_whole_number(text: &str) -> Option<u64> {
    if let Ok(value) = text.parse::<u64>() {
        return Some(value);
    }
    let value = text.parse::<f64>().ok()?;
    (value.is_finite() && value >= 0.0 && value.fract() == 0.0 && value <= u64::MAX as f64)
        .then_some(value as u64)
}

/// Writes a synthetic PTB-XL table of `n_rows` rows to `out_csv` by repeating the rows of `source_csv`
/// (e.g. the shared head of the real table) with new `ecg_id`s 1..=n_rows and matching file names.
/// For benchmarks and tests of the full-size table when the real one is not at hand.
pub fn write_synthetic_table(
    source_csv: &Path,
    out_csv: &Path,
    n_rows: usize,
) -> Result<(), DatasetError> {
    let mut table = CsvTable::open(source_csv)?;
    let ecg_id = table.column("ecg_id")?;
    let filename_lr = table.column("filename_lr")?;
    let filename_hr = table.column("filename_hr")?;
    let rows = table
        .reader
        .records()
        .collect::<Result<Vec<_>, _>>()
        .map_err(|error| DatasetError::csv(source_csv, &error))?;
    if rows.is_empty() {
        return Err(DatasetError::Csv {
            path: source_csv.to_path_buf(),
            line: 2,
            message: "no data rows to repeat".to_owned(),
        });
    }
    let mut writer =
        csv::Writer::from_path(out_csv).map_err(|error| DatasetError::csv(out_csv, &error))?;
    let write_error = |error: csv::Error| DatasetError::csv(out_csv, &error);
    writer.write_record(&table.headers).map_err(write_error)?;
    for (new_id, row) in (1..=n_rows).zip(rows.iter().cycle()) {
        let folder = new_id / 1000 * 1000;
        let fields = row.iter().enumerate().map(|(index, field)| {
            if index == ecg_id {
                new_id.to_string()
            } else if index == filename_lr {
                format!("records100/{folder:05}/{new_id:05}_lr")
            } else if index == filename_hr {
                format!("records500/{folder:05}/{new_id:05}_hr")
            } else {
                field.to_owned()
            }
        });
        writer
            .write_record(fields.collect::<Vec<_>>())
            .map_err(write_error)?;
    }
    writer
        .flush()
        .map_err(|error| DatasetError::io(out_csv, error))
}

/// Makes `out_dir` a PTB-XL folder with a synthetic `n_rows`-row `ptbxl_database.csv` (see
/// [`write_synthetic_table`], from the table found in `ptbxl_dir`) and a copy of its
/// `scp_statements.csv`, so that [`open`] on `out_dir` indexes a full-size table. For the benchmark:
/// `write_synthetic_folder(shared/ptb-xl, tmp, 21_799)`, then time `open(tmp, Resolution::Hz100)`.
pub fn write_synthetic_folder(
    ptbxl_dir: &Path,
    out_dir: &Path,
    n_rows: usize,
) -> Result<(), DatasetError> {
    let source_csv = find_database_csv(ptbxl_dir).ok_or_else(|| DatasetError::MissingFile {
        folder: ptbxl_dir.to_path_buf(),
        name: DATABASE_CSV,
        dataset: "PTB-XL",
    })?;
    std::fs::create_dir_all(out_dir).map_err(|error| DatasetError::io(out_dir, error))?;
    write_synthetic_table(&source_csv, &out_dir.join(DATABASE_CSV), n_rows)?;
    let statements = ptbxl_dir.join(SCP_STATEMENTS_CSV);
    std::fs::copy(&statements, out_dir.join(SCP_STATEMENTS_CSV))
        .map_err(|error| DatasetError::io(&statements, error))?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------------
// Waveform folders without the table

/// The PhysioNet Challenge 2024 label table that comes with some waveform-only copies of PTB-XL.
pub const LABELS_CSV: &str = "labels.csv";

/// The signal folders of PTB-XL's PhysioNet layout.
pub const WAVEFORM_FOLDERS: [&str; 2] = ["records100", "records500"];

/// Whether `root` has PTB-XL's `records100/` or `records500/` folder (the layout [`open_waveforms`]
/// reads).
pub fn has_waveform_folders(root: &Path) -> bool {
    WAVEFORM_FOLDERS.iter().any(|name| root.join(name).is_dir())
}

/// The `ecg_id` and rate of a PTB-XL record name: `00002_lr` → (2, 100 Hz), `00002_hr` → (2, 500 Hz).
/// Anything else (`90076`, `HR00002`, `00002_lr_noisy`) is `None`.
pub fn parse_record_name(stem: &str) -> Option<(u32, Resolution)> {
    let (digits, resolution) = if let Some(digits) = stem.strip_suffix("_lr") {
        (digits, Resolution::Hz100)
    } else if let Some(digits) = stem.strip_suffix("_hr") {
        (digits, Resolution::Hz500)
    } else {
        return None;
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok().map(|ecg_id| (ecg_id, resolution))
}

/// The Challenge 2024 classes: spelling, name, and the PTB-XL superclass they were derived from.
/// The rhythm classes have no diagnostic superclass.
const CHALLENGE_2024_CLASSES: [(&str, &str, Option<Superclass>); 11] = [
    ("NORM", "normal ECG", Some(Superclass::Norm)),
    (
        "Acute MI",
        "acute myocardial infarction",
        Some(Superclass::Mi),
    ),
    ("Old MI", "old myocardial infarction", Some(Superclass::Mi)),
    ("STTC", "ST/T change", Some(Superclass::Sttc)),
    ("CD", "conduction disturbance", Some(Superclass::Cd)),
    ("HYP", "hypertrophy", Some(Superclass::Hyp)),
    ("PAC", "premature atrial contraction", None),
    ("PVC", "premature ventricular contraction", None),
    ("AFIB/AFL", "atrial fibrillation or atrial flutter", None),
    ("TACHY", "tachycardia", None),
    ("BRADY", "bradycardia", None),
];

/// The label of one Challenge 2024 class (case ignored, the Challenge's spelling kept), or `None` for
/// a name that is not one of the eleven.
pub fn challenge2024_label(class: &str) -> Option<Label> {
    let class = class.trim();
    CHALLENGE_2024_CLASSES
        .iter()
        .find(|(code, _, _)| code.eq_ignore_ascii_case(class))
        .map(|&(code, name, superclass)| Label {
            code: code.to_owned(),
            name: name.to_owned(),
            scheme: LabelScheme::Challenge2024,
            likelihood: None,
            superclass,
            subclass: None,
        })
}

/// Parses a Challenge 2024 label list (`STTC, HYP, PVC`; empty = no class) in source order, each class
/// once. One unknown class fails the whole list: a partial list would read as a complete one.
pub fn parse_challenge2024_labels(text: &str) -> Result<Vec<Label>, String> {
    let mut labels: Vec<Label> = Vec::new();
    for class in text.split(',').map(str::trim).filter(|c| !c.is_empty()) {
        let label = challenge2024_label(class)
            .ok_or_else(|| format!("'{class}' is not a PhysioNet Challenge 2024 class"))?;
        if labels.iter().all(|known| known.code != label.code) {
            labels.push(label);
        }
    }
    Ok(labels)
}

/// The labels of a waveform folder's `labels.csv` (columns `ecg_id`, `labels`, optionally `record`),
/// by record path and by `ecg_id`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Challenge2024Labels {
    by_record: HashMap<String, Vec<Label>>,
    by_ecg_id: HashMap<u32, Vec<Label>>,
}

impl Challenge2024Labels {
    /// Reads `labels.csv`. Rows that cannot be read (bad `ecg_id`, unknown class, wrong field count)
    /// are returned as problems by line and give no labels; so does a header row without `ecg_id` or
    /// `labels` (one problem, no labels at all), because the waveforms index without labels just as well.
    pub fn read(path: &Path) -> Result<(Self, Vec<IndexProblem>), DatasetError> {
        let mut table = CsvTable::open(path)?;
        let mut problems = Vec::new();
        let problem = |line: Option<u64>, message: String| IndexProblem {
            path: path.to_path_buf(),
            line,
            message,
        };
        let (Ok(ecg_id), Ok(labels)) = (table.column("ecg_id"), table.column("labels")) else {
            problems.push(problem(
                Some(1),
                "the header row lacks column 'ecg_id' or 'labels': records indexed without labels"
                    .to_owned(),
            ));
            return Ok((Self::default(), problems));
        };
        let record = table.column("record").ok();

        let mut out = Self::default();
        table.for_each_row(&mut problems, |row, _| {
            let field = |index: usize| row.get(index).unwrap_or("").trim();
            let id_text = field(ecg_id);
            let id = parse_whole_number(id_text)
                .and_then(|id| u32::try_from(id).ok())
                .ok_or_else(|| format!("column 'ecg_id': '{id_text}' is not a record number"))?;
            let parsed = parse_challenge2024_labels(field(labels))
                .map_err(|message| format!("column 'labels' (ecg_id {id}): {message}"))?;
            if let Some(record) = record.map(field).filter(|record| !record.is_empty()) {
                let record = record.strip_suffix(".hea").unwrap_or(record);
                out.by_record.insert(record.to_owned(), parsed.clone());
            }
            out.by_ecg_id.entry(id).or_insert(parsed);
            Ok(())
        });
        Ok((out, problems))
    }

    /// The labels of the record at `relative_name` (`records500/00000/00002_hr`), else of the first
    /// row with its `ecg_id`.
    pub fn get(&self, relative_name: &str, ecg_id: u32) -> Option<&[Label]> {
        self.by_record
            .get(relative_name)
            .or_else(|| self.by_ecg_id.get(&ecg_id))
            .map(Vec::as_slice)
    }

    pub fn is_empty(&self) -> bool {
        self.by_ecg_id.is_empty()
    }
}

/// Indexes a PTB-XL folder that has its waveforms (`records100/`, `records500/`) but no metadata table,
/// from its headers (RECORDS or a scan, as [`folder`] reads any folder).
///
/// Each `NNNNN_lr`/`NNNNN_hr` record becomes a PTB-XL entry: record id and `ptbxl_ecg_id` = the
/// `ecg_id`, rate, leads and length from its header, no fold, and a stand-in patient (the table is what
/// knows patients: [`DatasetIndex::link_ptbxl`] gives them). Labels come from `labels.csv` when the
/// folder has one (see [`Challenge2024Labels`]); without it the records are unlabelled.
///
/// An `ecg_id` present at both rates is one recording, so it gets one entry: the 100 Hz `_lr` copy, the
/// method's rate and the file the table index points to by default ([`Resolution::Hz100`]), so both
/// indexes name the same file. Headers with other names (a renamed copy, a stray record) are indexed
/// as a folder scan would, by what their comments say, rather than dropped unseen; the index's kind is
/// then generic, as for any mixed folder.
pub fn open_waveforms(root: &Path) -> Result<DatasetIndex, DatasetError> {
    let header_scan = scan::read_headers(root)?;
    let labels_csv = root.join(LABELS_CSV);
    let (labels, label_problems) = if labels_csv.is_file() {
        Challenge2024Labels::read(&labels_csv)?
    } else {
        (Challenge2024Labels::default(), Vec::new())
    };

    let mut records: Vec<RecordEntry> = Vec::with_capacity(header_scan.headers.len());
    // Where each ecg_id's entry is in `records`, and at which rate.
    let mut kept: HashMap<u32, (usize, Resolution)> = HashMap::new();
    for scanned in &header_scan.headers {
        let Some((ecg_id, resolution)) = parse_record_name(scanned.stem()) else {
            records.push(folder::record_entry(&header_scan.root, scanned));
            continue;
        };
        match kept.get(&ecg_id).copied() {
            None => {
                kept.insert(ecg_id, (records.len(), resolution));
                records.push(waveform_entry(scanned, ecg_id, &labels));
            }
            Some((at, Resolution::Hz500)) if resolution == Resolution::Hz100 => {
                if let Some(slot) = records.get_mut(at) {
                    *slot = waveform_entry(scanned, ecg_id, &labels);
                }
                kept.insert(ecg_id, (at, resolution));
            }
            // The other copy is kept already (or RECORDS lists this one twice).
            Some(_) => {}
        }
    }
    let kind = if records.iter().all(|r| r.dataset == DatasetKind::PtbXl) {
        DatasetKind::PtbXl
    } else {
        DatasetKind::Generic
    };
    let mut problems = header_scan.problems;
    problems.extend(label_problems);
    Ok(DatasetIndex {
        root: header_scan.root,
        kind,
        records,
        problems,
    })
}

/// The entry of one PTB-XL header of a waveform folder (see [`open_waveforms`]).
fn waveform_entry(
    scanned: &ScannedHeader,
    ecg_id: u32,
    labels: &Challenge2024Labels,
) -> RecordEntry {
    let mut entry = scanned.entry(
        DatasetKind::PtbXl,
        DatasetKind::PtbXl.name(),
        ecg_id.to_string(),
        None,
    );
    // The stand-in names the ECG, in a form no true `ptb-xl:<patient_id>` takes.
    entry.patient_id = format!("{}:ecg{ecg_id}", DatasetKind::PtbXl.name());
    entry.ptbxl_ecg_id = Some(ecg_id);
    entry.labels = labels
        .get(&scanned.relative_name, ecg_id)
        .map(<[Label]>::to_vec)
        .unwrap_or_default();
    entry
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codes(text: &str) -> Vec<(String, f32)> {
        match parse_scp_codes(text) {
            Ok(codes) => codes,
            Err(error) => panic!("{text:?}: {error}"),
        }
    }

    fn pairs(expected: &[(&str, f32)]) -> Vec<(String, f32)> {
        expected
            .iter()
            .map(|&(code, value)| (code.to_owned(), value))
            .collect()
    }

    #[test]
    fn dict_literal_typical() {
        assert_eq!(
            codes("{'NORM': 100.0, 'LVOLT': 0.0, 'SR': 0.0}"),
            pairs(&[("NORM", 100.0), ("LVOLT", 0.0), ("SR", 0.0)])
        );
        assert_eq!(codes("{'AFLT': 100.0}"), pairs(&[("AFLT", 100.0)]));
    }

    #[test]
    fn dict_literal_edge_cases() {
        assert_eq!(codes("{}"), vec![]);
        assert_eq!(codes("  { }  "), vec![]);
        // Codes with slashes, parentheses, digits first, underscores.
        assert_eq!(
            codes("{'LAO/LAE': 50.0, 'PRC(S)': 0, '1AVB': 100, 'NST_': 15.5}"),
            pairs(&[
                ("LAO/LAE", 50.0),
                ("PRC(S)", 0.0),
                ("1AVB", 100.0),
                ("NST_", 15.5)
            ])
        );
        // Double quotes, escapes, newlines, trailing comma, exponent, sign.
        assert_eq!(
            codes("{\"NORM\":1e2,\n 'it\\'s': -0.0 ,}"),
            pairs(&[("NORM", 100.0), ("it's", -0.0)])
        );
        // A repeated key keeps its first position and last value, like Python.
        assert_eq!(
            codes("{'A': 1.0, 'B': 2.0, 'A': 3.0}"),
            pairs(&[("A", 3.0), ("B", 2.0)])
        );
        assert_eq!(
            codes("{'A': 1., 'B': .5, 'C': 1_0}"),
            pairs(&[("A", 1.0), ("B", 0.5), ("C", 10.0)])
        );
        // Non-ASCII codes and spaces inside quotes survive.
        assert_eq!(codes("{'Ü X': 5}"), pairs(&[("Ü X", 5.0)]));
        let nan = codes("{'X': nan}");
        assert!(nan.first().is_some_and(|(_, v)| v.is_nan()));
    }

    #[test]
    fn dict_literal_errors_say_where() {
        for (text, offset) in [
            ("", 0),
            ("{'NORM' 100.0}", 8),
            ("{'NORM': }", 9),
            ("{'NORM': 100.0", 14),
            ("{'NORM: 100.0}", 14),
            ("{NORM: 100.0}", 1),
            ("{'NORM': abc}", 9),
            ("{'NORM': 1.0} x", 14),
            ("{'NORM': 1.0 'SR': 0.0}", 13),
        ] {
            match parse_scp_codes(text) {
                Ok(codes) => panic!("{text:?} parsed as {codes:?}"),
                Err(error) => assert_eq!(error.offset, offset, "{text:?}: {error}"),
            }
        }
    }

    #[test]
    fn whole_numbers() {
        assert_eq!(parse_whole_number("15709.0"), Some(15709));
        assert_eq!(parse_whole_number("13619"), Some(13619));
        assert_eq!(parse_whole_number("1.5"), None);
        assert_eq!(parse_whole_number("-3"), None);
        assert_eq!(parse_whole_number(""), None);
        assert_eq!(parse_whole_number("nan"), None);
    }

    #[test]
    fn flags() {
        assert!(parse_flag("1.0"));
        assert!(parse_flag("1"));
        assert!(!parse_flag(""));
        assert!(!parse_flag("0.0"));
    }

    /// A table with real quoting (commas and newlines inside quoted fields, doubled quotes) and rows that
    /// must become problems, not failures.
    #[test]
    fn table_quoting_and_bad_rows() {
        let dir =
            std::env::temp_dir().join(format!("precordial-ptbxl-unit-{}", std::process::id()));
        std::fs::create_dir_all(&dir).ok();
        let statements_csv = dir.join(SCP_STATEMENTS_CSV);
        let table_csv = dir.join(DATABASE_CSV);
        let statements = ",description,diagnostic,form,rhythm,diagnostic_class,diagnostic_subclass\n\
            NORM,normal ECG,1.0,,,NORM,NORM\n\
            IMI,inferior myocardial infarction,1.0,,,MI,IMI\n\
            SR,sinus rhythm,,,1.0,,\n\
            BIGU,\"bigeminal pattern (unknown origin, SV or Ventricular)\",,,1.0,,\n";
        let table = "ecg_id,patient_id,age,sex,report,scp_codes,strat_fold,filename_lr,filename_hr\n\
            1,15709.0,56.0,1,\"a, \"\"quoted\"\"\nreport\",\"{'NORM': 100.0, 'SR': 0.0}\",3,records100/00000/00001_lr,records500/00000/00001_hr\n\
            2,15710.0,300.0,0,x,\"{'IMI': 35.0, 'BIGU': 0.0, 'XYZ': 0.0}\",10,records100/00000/00002_lr,records500/00000/00002_hr\n\
            3,15711.0,50.0,0,x,\"{'IMI': 35.0\",10,records100/00000/00003_lr,records500/00000/00003_hr\n\
            4,15712.0,50.0,0,x,{},11,records100/00000/00004_lr,records500/00000/00004_hr\n\
            5,15713.0,50.0,0,x,{}\n\
            6,abc,50.0,0,x,{},1,records100/00000/00006_lr,records500/00000/00006_hr\n\
            7,15714.0,,,x,{},1,records100/00000/00007_lr,records500/00000/00007_hr\n";
        std::fs::write(&statements_csv, statements).ok();
        std::fs::write(&table_csv, table).ok();

        let statements = match ScpStatements::read(&statements_csv) {
            Ok(statements) => statements,
            Err(error) => panic!("{error}"),
        };
        assert_eq!(statements.len(), 4);
        assert_eq!(
            statements.get("BIGU").map(|s| s.description.as_str()),
            Some("bigeminal pattern (unknown origin, SV or Ventricular)")
        );
        let index = match index_table(&dir, &table_csv, &statements, Resolution::Hz500) {
            Ok(index) => index,
            Err(error) => panic!("{error}"),
        };
        std::fs::remove_dir_all(&dir).ok();

        let ids: Vec<&str> = index.records.iter().map(|r| r.record_id.as_str()).collect();
        assert_eq!(ids, ["1", "2", "7"]);
        let lines: Vec<Option<u64>> = index.problems.iter().map(|p| p.line).collect();
        // Row 1 spans lines 2-3, so row 2 is on line 4.
        assert_eq!(
            lines,
            [Some(5), Some(6), Some(7), Some(8)],
            "{:?}",
            index.problems
        );
        assert!(index.problems[0].message.contains("scp_codes"));
        assert!(index.problems[1].message.contains("strat_fold"));
        assert!(index.problems[2].message.contains("fields"));
        assert!(index.problems[3].message.contains("patient_id"));

        let second = &index.records[1];
        assert_eq!(second.patient_id, "ptb-xl:15710");
        assert_eq!(second.age_years, Some(crate::dataset::AGE_CAP_YEARS));
        assert_eq!(second.sex, Some(Sex::Male));
        assert_eq!(second.fs_hz, 500.0);
        assert_eq!(second.n_samples, Some(5000));
        assert!(
            second
                .header_path
                .ends_with("records500/00000/00002_hr.hea")
        );
        let xyz = &second.labels[2];
        assert_eq!((xyz.name.as_str(), xyz.superclass), ("XYZ", None));
        assert_eq!(second.dominant_superclass(0.0), Some(Superclass::Mi));
        assert_eq!(second.dominant_superclass(80.0), None);
        assert!(second.superclasses().is_empty());
        assert_eq!(index.records[2].sex, None);
        assert_eq!(index.records[2].age_years, None);
    }

    #[test]
    fn record_names() {
        assert_eq!(parse_record_name("00002_lr"), Some((2, Resolution::Hz100)));
        assert_eq!(
            parse_record_name("21544_hr"),
            Some((21544, Resolution::Hz500))
        );
        for name in [
            "90076",
            "HR00002",
            "00002_lr_noisy",
            "_lr",
            "0x2_hr",
            "00002_LR",
        ] {
            assert_eq!(parse_record_name(name), None, "{name}");
        }
    }

    #[test]
    fn challenge2024_classes_map_to_superclasses() {
        let superclass =
            |class: &str| challenge2024_label(class).and_then(|label| label.superclass);
        assert_eq!(superclass("NORM"), Some(Superclass::Norm));
        assert_eq!(superclass("Acute MI"), Some(Superclass::Mi));
        assert_eq!(superclass("Old MI"), Some(Superclass::Mi));
        assert_eq!(superclass("STTC"), Some(Superclass::Sttc));
        assert_eq!(superclass("CD"), Some(Superclass::Cd));
        assert_eq!(superclass("HYP"), Some(Superclass::Hyp));
        for rhythm in ["PAC", "PVC", "AFIB/AFL", "TACHY", "BRADY"] {
            let label = challenge2024_label(rhythm);
            assert!(label.is_some(), "{rhythm}");
            assert_eq!(superclass(rhythm), None, "{rhythm}");
        }
        assert!(challenge2024_label("MI").is_none());
        assert!(challenge2024_label("SR").is_none());

        let labels = match parse_challenge2024_labels(" old mi,STTC, HYP, PVC ,, STTC") {
            Ok(labels) => labels,
            Err(message) => panic!("{message}"),
        };
        let codes: Vec<&str> = labels.iter().map(|label| label.code.as_str()).collect();
        assert_eq!(codes, ["Old MI", "STTC", "HYP", "PVC"]);
        assert!(
            labels
                .iter()
                .all(|label| label.scheme == LabelScheme::Challenge2024
                    && label.likelihood.is_none()
                    && label.subclass.is_none())
        );
        assert_eq!(labels[0].name, "old myocardial infarction");
        let superclasses: Vec<Option<Superclass>> =
            labels.iter().map(|label| label.superclass).collect();
        assert_eq!(
            superclasses,
            [
                Some(Superclass::Mi),
                Some(Superclass::Sttc),
                Some(Superclass::Hyp),
                None
            ]
        );
        assert_eq!(parse_challenge2024_labels(""), Ok(Vec::new()));
        match parse_challenge2024_labels("NORM, Unknown") {
            Ok(labels) => panic!("parsed {labels:?}"),
            Err(message) => assert!(message.contains("'Unknown'"), "{message}"),
        }
        let json = serde_json::to_string(&LabelScheme::Challenge2024).unwrap_or_default();
        assert_eq!(json, r#""challenge2024""#);
    }

    /// Quoted lists, rows matched by record path before ecg_id, and bad rows as problems by line.
    #[test]
    fn labels_csv_rows_and_problems() {
        let dir = std::env::temp_dir().join(format!(
            "precordial-ptbxl-labels-unit-{}",
            std::process::id()
        ));
        std::fs::create_dir_all(&dir).ok();
        let path = dir.join(LABELS_CSV);
        let table = "ecg_id,record,fs_hz,label_key,labels\n\
            2,records500/00000/00002_hr,500,Dx,NORM\n\
            2,records100/00000/00002_lr,100,Labels,\"NORM, PAC\"\n\
            841,records500/00000/00841_hr,500,Labels,\"STTC, HYP, PVC\"\n\
            x,records500/00000/0000x_hr,500,Labels,NORM\n\
            5,records500/00000/00005_hr,500,Labels,\"NORM, SR\"\n\
            6,records500/00000/00006_hr,500\n\
            7,records500/00000/00007_hr,500,Labels,\n";
        std::fs::write(&path, table).ok();
        let read = Challenge2024Labels::read(&path);
        std::fs::write(&path, "id,classes\n2,NORM\n").ok();
        let without_columns = Challenge2024Labels::read(&path);
        std::fs::remove_dir_all(&dir).ok();

        let (labels, problems) = read.unwrap_or_else(|error| panic!("{error}"));
        let codes = |record: &str, ecg_id: u32| -> Option<Vec<String>> {
            labels
                .get(record, ecg_id)
                .map(|labels| labels.iter().map(|label| label.code.clone()).collect())
        };
        assert_eq!(
            codes("records100/00000/00002_lr", 2),
            Some(vec!["NORM".to_owned(), "PAC".to_owned()])
        );
        assert_eq!(
            codes("records500/00000/00002_hr", 2),
            Some(vec!["NORM".to_owned()])
        );
        // No row for this path: the first row of its ecg_id.
        assert_eq!(
            codes("elsewhere/00002_hr", 2),
            Some(vec!["NORM".to_owned()])
        );
        assert_eq!(
            codes("records500/00000/00841_hr", 841).map(|c| c.len()),
            Some(3)
        );
        assert_eq!(codes("records500/00000/00007_hr", 7), Some(Vec::new()));
        assert_eq!(codes("records500/00000/00005_hr", 5), None);
        assert_eq!(codes("records500/00000/00006_hr", 6), None);
        let lines: Vec<Option<u64>> = problems.iter().map(|p| p.line).collect();
        assert_eq!(lines, [Some(5), Some(6), Some(7)], "{problems:?}");
        assert!(problems[0].message.contains("ecg_id"), "{}", problems[0]);
        assert!(problems[1].message.contains("'SR'"), "{}", problems[1]);
        assert!(problems[2].message.contains("fields"), "{}", problems[2]);
        assert!(problems.iter().all(|p| p.path == path));

        let (labels, problems) = without_columns.unwrap_or_else(|error| panic!("{error}"));
        assert!(labels.is_empty());
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].line, Some(1));
    }
}
