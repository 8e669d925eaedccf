//! Any folder of WFDB records: each header of a [`scan`](super::scan) turned into a [`RecordEntry`]
//! by what its comments say (Challenge `#Dx`, LUDB `#<diagnoses>`, PTB `#Reason for admission`,
//! CODE-15 `# Chagas label`, else generic).

use std::path::Path;

pub use super::scan::{
    HeaderScan, RECORDS_FILE, ScannedHeader, list_header_paths, read_header_files, read_headers,
};
use super::{
    DatasetIndex, DatasetKind, Label, LabelScheme, RecordEntry, Sex, challenge, ludb,
    parse_age_years, ptbdb,
};

/// What a header's comments (and, for PTB, its `patientNNN` folder) say about its dataset.
pub fn detect_record_kind(scanned: &ScannedHeader) -> DatasetKind {
    let header = &scanned.header;
    if header.comment_value("Dx").is_some() {
        DatasetKind::Challenge
    } else if header.comment_value("Chagas label").is_some()
        || header.comment_value("Exam ID").is_some()
    {
        DatasetKind::Code15
    } else if header.comment_value("<diagnoses>").is_some() {
        DatasetKind::Ludb
    } else if header.comment_value("Reason for admission").is_some()
        || ptbdb::is_patient_folder(scanned.parent_folder())
    {
        DatasetKind::Ptb
    } else {
        DatasetKind::Generic
    }
}

/// The kind of a whole scan: the kind all records share, else generic (a folder of mixed datasets).
pub fn detect_kind(scan: &HeaderScan) -> DatasetKind {
    let mut kinds = scan.headers.iter().map(detect_record_kind);
    match kinds.next() {
        Some(first) if kinds.all(|kind| kind == first) => first,
        _ => DatasetKind::Generic,
    }
}

/// Indexes a scan record by record, each by what its own header says (see [`detect_record_kind`]).
pub fn index_scan(scan: HeaderScan) -> DatasetIndex {
    let kind = detect_kind(&scan);
    let records = scan
        .headers
        .iter()
        .map(|scanned| record_entry(&scan.root, scanned))
        .collect();
    DatasetIndex {
        root: scan.root,
        kind,
        records,
        problems: scan.problems,
    }
}

/// The entry of one header of a folder scanned from `root`, by what the header says
/// (see [`detect_record_kind`]).
pub fn record_entry(root: &Path, scanned: &ScannedHeader) -> RecordEntry {
    match detect_record_kind(scanned) {
        DatasetKind::Challenge => challenge::entry(root, scanned),
        DatasetKind::Code15 => code15_entry(scanned),
        DatasetKind::Ludb => ludb::entry_from_comments(scanned),
        DatasetKind::Ptb => ptbdb::entry(scanned),
        DatasetKind::PtbXl | DatasetKind::Generic => generic_entry(scanned),
    }
}

/// A record without known labels: id = record path relative to the folder, patient = stand-in.
pub fn generic_entry(scanned: &ScannedHeader) -> RecordEntry {
    let mut entry = scanned.entry(
        DatasetKind::Generic,
        DatasetKind::Generic.name(),
        scanned.relative_name.clone(),
        None,
    );
    entry.age_years = scanned
        .header
        .comment_value("age")
        .and_then(parse_age_years);
    entry.sex = scanned.header.comment_value("sex").and_then(Sex::parse);
    entry
}

/// CODE-15% (PhysioNet Challenge 2025 form): `# Exam ID`, `# Patient ID`, `# Age`, `# Sex`,
/// `# Chagas label: True/False`. Source = the subset folder (`training_data`, `holdout_data`).
pub fn code15_entry(scanned: &ScannedHeader) -> RecordEntry {
    let header = &scanned.header;
    let source = match scanned.parent_folder() {
        "" => DatasetKind::Code15.name(),
        folder => folder,
    };
    let patient_id = header
        .comment_value("Patient ID")
        .filter(|id| !id.is_empty())
        .map(str::to_owned);
    let mut entry = scanned.entry(
        DatasetKind::Code15,
        source,
        scanned.stem().to_owned(),
        patient_id,
    );
    entry.age_years = header.comment_value("Age").and_then(parse_age_years);
    entry.sex = header.comment_value("Sex").and_then(Sex::parse);
    let chagas = header.comment_value("Chagas label").and_then(|value| {
        match value.to_ascii_lowercase().as_str() {
            "true" | "1" => Some(true),
            "false" | "0" => Some(false),
            _ => None,
        }
    });
    if let Some(chagas) = chagas {
        let (code, name) = if chagas {
            ("chagas_positive", "Chagas disease")
        } else {
            ("chagas_negative", "no Chagas disease")
        };
        entry.labels.push(Label {
            code: code.to_owned(),
            name: name.to_owned(),
            scheme: LabelScheme::Chagas,
            likelihood: None,
            superclass: None,
            subclass: None,
        });
    }
    entry
}
