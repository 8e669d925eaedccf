//! LUDB (Lobachevsky University Electrocardiography Database): `ludb.csv` (one row per record, multi-line
//! quoted cells, one diagnosis per line) and the header comments (`#<age>: 51`, `#<sex>: F`,
//! `#<diagnoses>:` then one diagnosis per comment line). No patient ids: the record id stands in.
//!
//! Beware (see the data's SOURCES.txt): LUDB header gains scale every lead to 1 mV peak-to-peak; the
//! index does not care, but amplitude-calibrated evaluation should not use LUDB physical values.

use std::collections::HashMap;
use std::path::Path;

use super::CsvTable;
use super::scan::{self, ScannedHeader};
use super::{
    DatasetError, DatasetIndex, DatasetKind, Label, LabelScheme, RecordEntry, Sex, Superclass,
    parse_age_years,
};

pub const LUDB_CSV: &str = "ludb.csv";

/// `ludb.csv` columns holding diagnoses (every column after ID, Sex, Age).
const DIAGNOSIS_COLUMNS: [&str; 9] = [
    "Rhythms",
    "Electric axis of the heart",
    "Conduction abnormalities",
    "Extrasystolies",
    "Hypertrophies",
    "Cardiac pacing",
    "Ischemia",
    "Non-specific repolarization abnormalities",
    "Other states",
];

/// One row of `ludb.csv`.
#[derive(Clone, Debug, PartialEq)]
pub struct LudbRow {
    pub record_id: String,
    pub sex: Option<Sex>,
    pub age_years: Option<f32>,
    /// Diagnosis texts in column order, one per line of each cell.
    pub diagnoses: Vec<String>,
}

/// Reads `ludb.csv` into rows by record id.
pub fn read_csv(path: &Path) -> Result<HashMap<String, LudbRow>, DatasetError> {
    let mut table = CsvTable::open(path)?;
    let column = |name: &'static str| table.column(name);
    let id_column = column("ID")?;
    let sex_column = column("Sex")?;
    let age_column = column("Age")?;
    let diagnosis_columns = DIAGNOSIS_COLUMNS
        .iter()
        .map(|&name| column(name))
        .collect::<Result<Vec<_>, _>>()?;

    let mut rows = HashMap::new();
    for row in table.reader.records() {
        let row = row.map_err(|error| DatasetError::csv(path, &error))?;
        let field = |index: usize| row.get(index).unwrap_or("").trim();
        let record_id = field(id_column);
        if record_id.is_empty() {
            continue;
        }
        let diagnoses = diagnosis_columns
            .iter()
            .flat_map(|&index| field(index).lines())
            .map(clean_diagnosis)
            .filter(|text| !text.is_empty())
            .map(str::to_owned)
            .collect();
        rows.insert(
            record_id.to_owned(),
            LudbRow {
                record_id: record_id.to_owned(),
                sex: Sex::parse(field(sex_column)),
                age_years: parse_age_years(field(age_column)),
                diagnoses,
            },
        );
    }
    Ok(rows)
}

/// Trims whitespace and the trailing full stop of header comments.
fn clean_diagnosis(text: &str) -> &str {
    text.trim().trim_end_matches('.').trim_end()
}

/// Indexes a LUDB folder: its records (RECORDS or a scan), with `ludb.csv` labels and demographics where
/// the csv has the record, else those of the header comments.
pub fn open(root: impl AsRef<Path>) -> Result<DatasetIndex, DatasetError> {
    let root = root.as_ref();
    let rows = read_csv(&root.join(LUDB_CSV))?;
    let scan = scan::read_headers(root)?;
    let records = scan
        .headers
        .iter()
        .map(|scanned| {
            let mut entry = entry_from_comments(scanned);
            if let Some(row) = rows.get(&entry.record_id) {
                entry.labels = row.diagnoses.iter().map(|text| ludb_label(text)).collect();
                entry.age_years = row.age_years.or(entry.age_years);
                entry.sex = row.sex.or(entry.sex);
            }
            entry
        })
        .collect();
    Ok(DatasetIndex {
        root: scan.root,
        kind: DatasetKind::Ludb,
        records,
        problems: scan.problems,
    })
}

/// The entry of one LUDB header, from its comments alone.
pub fn entry_from_comments(scanned: &ScannedHeader) -> RecordEntry {
    let header = &scanned.header;
    let record_id = scanned.stem().to_owned();
    let mut entry = scanned.entry(DatasetKind::Ludb, DatasetKind::Ludb.name(), record_id, None);
    entry.age_years = header.comment_value("<age>").and_then(parse_age_years);
    entry.sex = header.comment_value("<sex>").and_then(Sex::parse);
    entry.labels = header
        .comments
        .iter()
        .skip_while(|comment| !comment.to_ascii_lowercase().starts_with("<diagnoses>"))
        .skip(1)
        .map(|comment| {
            // `Rhythm: Sinus rhythm.` is `Sinus rhythm` in ludb.csv; other prefixes are kept there too.
            let text = comment.strip_prefix("Rhythm:").unwrap_or(comment);
            clean_diagnosis(text)
        })
        .filter(|text| !text.is_empty())
        .map(ludb_label)
        .collect();
    entry
}

/// A LUDB diagnosis as a label: the text is the code and the name. The clear diagnoses get a PTB-XL
/// superclass (our mapping): bundle-branch, fascicular, AV blocks and conduction delay → CD;
/// ventricular hypertrophy and atrial hypertrophy/overload → HYP; `Ischemia:` and non-specific
/// repolarization abnormalities → STTC; `Stemi:` and `Scar formation:` → MI. Rhythms, axis, ectopy,
/// pacing and the undefined ischemia/scar class stay unmapped.
pub fn ludb_label(text: &str) -> Label {
    let mapped = superclass_of(text);
    Label {
        code: text.to_owned(),
        name: text.to_owned(),
        scheme: LabelScheme::LudbText,
        likelihood: None,
        superclass: mapped.map(|(superclass, _)| superclass),
        subclass: mapped.and_then(|(_, subclass)| subclass.map(str::to_owned)),
    }
}

fn superclass_of(text: &str) -> Option<(Superclass, Option<&'static str>)> {
    let text = text.trim().to_ascii_lowercase();
    let exact: &[(&str, Superclass, Option<&str>)] = &[
        (
            "complete right bundle branch block",
            Superclass::Cd,
            Some("CRBBB"),
        ),
        (
            "complete left bundle branch block",
            Superclass::Cd,
            Some("CLBBB"),
        ),
        (
            "incomplete right bundle branch block",
            Superclass::Cd,
            Some("IRBBB"),
        ),
        (
            "incomplete left bundle branch block",
            Superclass::Cd,
            Some("ILBBB"),
        ),
        ("left anterior hemiblock", Superclass::Cd, Some("LAFB/LPFB")),
        (
            "left posterior hemiblock",
            Superclass::Cd,
            Some("LAFB/LPFB"),
        ),
        ("i degree av block", Superclass::Cd, Some("_AVB")),
        ("ii degree av block", Superclass::Cd, Some("_AVB")),
        ("iii degree av block", Superclass::Cd, Some("_AVB")),
        (
            "non-specific intravintricular conduction delay",
            Superclass::Cd,
            Some("IVCD"),
        ),
        ("left ventricular hypertrophy", Superclass::Hyp, Some("LVH")),
        (
            "right ventricular hypertrophy",
            Superclass::Hyp,
            Some("RVH"),
        ),
        ("left atrial hypertrophy", Superclass::Hyp, Some("LAO/LAE")),
        ("left atrial overload", Superclass::Hyp, Some("LAO/LAE")),
        ("right atrial hypertrophy", Superclass::Hyp, Some("RAO/RAE")),
        ("right atrial overload", Superclass::Hyp, Some("RAO/RAE")),
    ];
    if let Some(&(_, superclass, subclass)) = exact.iter().find(|(name, _, _)| *name == text) {
        return Some((superclass, subclass));
    }
    if text.starts_with("ischemia:") {
        Some((Superclass::Sttc, Some("ISC_")))
    } else if text.starts_with("non-specific repolarization abnormalities") {
        Some((Superclass::Sttc, Some("NST_")))
    } else if text.starts_with("stemi:") || text.starts_with("scar formation:") {
        Some((Superclass::Mi, None))
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_map_clear_diagnoses_only() {
        let cd = ludb_label("Incomplete right bundle branch block");
        assert_eq!(cd.superclass, Some(Superclass::Cd));
        assert_eq!(cd.subclass.as_deref(), Some("IRBBB"));
        assert_eq!(
            ludb_label("Ischemia: inferior wall").superclass,
            Some(Superclass::Sttc)
        );
        assert_eq!(
            ludb_label("Scar formation: septal").superclass,
            Some(Superclass::Mi)
        );
        assert_eq!(ludb_label("Sinus rhythm").superclass, None);
        assert_eq!(
            ludb_label("Undefined ischemia/scar/supp.nstemi: apical").superclass,
            None
        );
        assert_eq!(ludb_label("Left ventricular overload").superclass, None);
    }

    #[test]
    fn diagnoses_are_cleaned() {
        assert_eq!(
            clean_diagnosis("Electric axis of the heart: normal. "),
            "Electric axis of the heart: normal"
        );
        assert_eq!(clean_diagnosis("  \n"), "");
    }
}
