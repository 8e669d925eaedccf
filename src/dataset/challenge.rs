//! PhysioNet/Computing in Cardiology Challenge 2020/2021 folders: headers with `#Dx:` SNOMED CT codes,
//! `#Age:` and `#Sex:`. No patient ids: the record id stands in. Record name prefixes tell the source
//! (`HR` PTB-XL, `E` Georgia, `A` CPSC 2018, `Q` CPSC 2018 extra, `I` St Petersburg INCART, `S` PTB,
//! `JS` Chapman-Shaoxing up to JS10646, Ningbo after); a folder with a source's name wins.
//!
//! Codes are named from the Challenge's diagnosis table, embedded in the binary, and the clear ones are
//! mapped to PTB-XL diagnostic superclasses (see [`superclass_of`]).

use std::collections::HashMap;
use std::path::Path;
use std::sync::OnceLock;

use super::scan::ScannedHeader;
use super::{DatasetKind, Label, LabelScheme, RecordEntry, Sex, Superclass, parse_age_years};

/// The PhysioNet/CinC Challenge 2021 diagnosis table (SNOMED CT code, name, abbreviation, scored flag;
/// 133 rows). Public data of the Challenge (https://physionet.org/content/challenge-2021/, CC BY 4.0;
/// Reyna MA et al., Computing in Cardiology 48, 2021), as redistributed in the PyPI package ecgbench
/// 1.0.0 (`ecgbench/data/challenge2021_dx_mapping.csv`); copied unchanged from
/// `shared/data/challenge-2021/dx_mapping.csv`.
const DX_MAPPING_CSV: &str = include_str!("dx_mapping.csv");

/// One row of the Challenge diagnosis table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DxInfo {
    pub name: String,
    pub abbreviation: String,
    /// Scored in the Challenge 2021.
    pub scored: bool,
}

/// The Challenge diagnosis table by SNOMED CT code.
pub fn dx_table() -> &'static HashMap<String, DxInfo> {
    static TABLE: OnceLock<HashMap<String, DxInfo>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut reader = csv::Reader::from_reader(DX_MAPPING_CSV.as_bytes());
        reader
            .records()
            .filter_map(Result::ok)
            .filter_map(|row| {
                let code = row.get(0)?.trim().to_owned();
                let info = DxInfo {
                    name: row.get(1)?.trim().to_owned(),
                    abbreviation: row.get(2).unwrap_or("").trim().to_owned(),
                    scored: row.get(3).is_some_and(|flag| flag.trim() == "1"),
                };
                Some((code, info))
            })
            .collect()
    })
}

/// PTB-XL superclass (and subclass, where one fits) of the SNOMED CT codes whose meaning is clear.
/// Ours, not the Challenge's: rhythm statements, axis deviations, ectopic beats, QT/PR findings without
/// a PTB-XL diagnostic counterpart and vague codes (`cardiac dysrhythmia`, `left ventricular strain`)
/// stay unmapped.
const SUPERCLASS_MAP: &[(&str, Superclass, Option<&str>)] = &[
    // NORM: the Challenge's "sinus rhythm" is its normal-ECG label (NSR).
    ("426783006", Superclass::Norm, Some("NORM")),
    // MI
    ("164865005", Superclass::Mi, None), // myocardial infarction
    ("57054005", Superclass::Mi, None),  // acute myocardial infarction
    ("164867002", Superclass::Mi, None), // old myocardial infarction
    ("54329005", Superclass::Mi, Some("AMI")), // anterior myocardial infarction
    // STTC
    ("164934002", Superclass::Sttc, None), // t wave abnormal
    ("59931005", Superclass::Sttc, None),  // t wave inversion
    ("428750005", Superclass::Sttc, Some("NST_")), // nonspecific st t abnormality
    ("55930002", Superclass::Sttc, None),  // s t changes
    ("429622005", Superclass::Sttc, None), // st depression
    ("164931005", Superclass::Sttc, None), // st elevation
    ("164930006", Superclass::Sttc, None), // st interval abnormal
    ("704997005", Superclass::Sttc, None), // inferior ST segment depression
    ("164861001", Superclass::Sttc, Some("ISC_")), // myocardial ischemia
    ("413444003", Superclass::Sttc, Some("ISC_")), // acute myocardial ischemia
    ("413844008", Superclass::Sttc, Some("ISC_")), // chronic myocardial ischemia
    ("426434006", Superclass::Sttc, Some("ISCA")), // anterior ischemia
    ("425623009", Superclass::Sttc, Some("ISCA")), // lateral ischaemia
    ("425419005", Superclass::Sttc, Some("ISCI")), // inferior ischaemia
    ("111975006", Superclass::Sttc, None), // prolonged qt interval (PTB-XL LNGQT)
    // CD
    ("6374002", Superclass::Cd, None), // bundle branch block
    ("733534002", Superclass::Cd, Some("CLBBB")), // complete left bundle branch block
    ("164909002", Superclass::Cd, Some("CLBBB")), // left bundle branch block
    ("713427006", Superclass::Cd, Some("CRBBB")), // complete right bundle branch block
    ("59118001", Superclass::Cd, Some("CRBBB")), // right bundle branch block
    ("713426002", Superclass::Cd, Some("IRBBB")), // incomplete right bundle branch block
    ("251120003", Superclass::Cd, Some("ILBBB")), // incomplete left bundle branch block
    ("445118002", Superclass::Cd, Some("LAFB/LPFB")), // left anterior fascicular block
    ("445211001", Superclass::Cd, Some("LAFB/LPFB")), // left posterior fascicular block
    ("698252002", Superclass::Cd, Some("IVCD")), // nonspecific intraventricular conduction disorder
    ("82226007", Superclass::Cd, Some("IVCD")), // diffuse intraventricular block
    ("270492004", Superclass::Cd, Some("_AVB")), // 1st degree av block
    ("195042002", Superclass::Cd, Some("_AVB")), // 2nd degree av block
    ("54016002", Superclass::Cd, Some("_AVB")), // mobitz type i wenckebach av block
    ("426183003", Superclass::Cd, Some("_AVB")), // mobitz type II av block
    ("27885002", Superclass::Cd, Some("_AVB")), // complete heart block
    ("233917008", Superclass::Cd, Some("_AVB")), // av block
    ("204384007", Superclass::Cd, Some("_AVB")), // congenital incomplete av heart block
    ("74390002", Superclass::Cd, Some("WPW")), // wolff parkinson white pattern
    ("195060002", Superclass::Cd, Some("WPW")), // ventricular pre excitation
    // HYP
    ("164873001", Superclass::Hyp, Some("LVH")), // left ventricular hypertrophy
    ("89792004", Superclass::Hyp, Some("RVH")),  // right ventricular hypertrophy
    ("266249003", Superclass::Hyp, None),        // ventricular hypertrophy
    ("67741000119109", Superclass::Hyp, Some("LAO/LAE")), // left atrial enlargement
    ("446813000", Superclass::Hyp, Some("LAO/LAE")), // left atrial hypertrophy
    ("253352002", Superclass::Hyp, Some("LAO/LAE")), // left atrial abnormality
    ("446358003", Superclass::Hyp, Some("RAO/RAE")), // right atrial hypertrophy
    ("253339007", Superclass::Hyp, Some("RAO/RAE")), // right atrial abnormality
    ("195126007", Superclass::Hyp, None),        // atrial hypertrophy
];

/// PTB-XL superclass and subclass of a SNOMED CT code, where the mapping is clear.
pub fn superclass_of(snomed_code: &str) -> Option<(Superclass, Option<&'static str>)> {
    SUPERCLASS_MAP
        .iter()
        .find(|(code, _, _)| *code == snomed_code)
        .map(|&(_, superclass, subclass)| (superclass, subclass))
}

/// The label of one SNOMED CT code: named from the Challenge table (the code itself when absent),
/// classed by [`superclass_of`].
pub fn snomed_label(code: &str) -> Label {
    let code = code.trim();
    let mapped = superclass_of(code);
    Label {
        code: code.to_owned(),
        name: dx_table()
            .get(code)
            .map_or_else(|| code.to_owned(), |info| info.name.clone()),
        scheme: LabelScheme::SnomedCt,
        likelihood: None,
        superclass: mapped.map(|(superclass, _)| superclass),
        subclass: mapped.and_then(|(_, subclass)| subclass.map(str::to_owned)),
    }
}

/// Parses a `#Dx:` value (`164889003,59118001`, spaces allowed) into labels, skipping empty items.
pub fn parse_dx(value: &str) -> Vec<Label> {
    value
        .split(',')
        .map(str::trim)
        .filter(|code| !code.is_empty())
        .map(snomed_label)
        .collect()
}

/// Challenge sources by folder name.
const SOURCES: &[&str] = &[
    "ptb-xl",
    "ptb_xl",
    "georgia",
    "chapman_shaoxing",
    "ningbo",
    "cpsc_2018",
    "cpsc_2018_extra",
    "st_petersburg_incart",
    "ptb",
];

/// The Challenge source of a record: the nearest enclosing folder (up to and including the indexed
/// folder itself) named like a source, else the record-name prefix, else the enclosing folder's name.
pub fn source_of(root: &Path, scanned: &ScannedHeader) -> String {
    let mut folders: Vec<&str> = scanned.relative_name.split('/').collect();
    folders.pop();
    let root_name = root.file_name().and_then(|name| name.to_str());
    let named = folders
        .iter()
        .rev()
        .copied()
        .chain(root_name)
        .find(|folder| SOURCES.contains(&folder.to_ascii_lowercase().as_str()));
    if let Some(folder) = named {
        return folder.to_ascii_lowercase();
    }
    if let Some(source) = source_from_record_name(scanned.stem()) {
        return source.to_owned();
    }
    folders
        .last()
        .copied()
        .or(root_name)
        .unwrap_or(DatasetKind::Challenge.name())
        .to_owned()
}

/// The Challenge 2021 source by record-name prefix.
pub fn source_from_record_name(record_name: &str) -> Option<&'static str> {
    let digits_after = |prefix: &str| {
        record_name
            .strip_prefix(prefix)
            .filter(|rest| !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|rest| rest.parse::<u32>().ok())
    };
    if let Some(number) = digits_after("JS") {
        return Some(if number <= 10646 {
            "chapman_shaoxing"
        } else {
            "ningbo"
        });
    }
    [
        ("HR", "ptb-xl"),
        ("E", "georgia"),
        ("A", "cpsc_2018"),
        ("Q", "cpsc_2018_extra"),
        ("I", "st_petersburg_incart"),
        ("S", "ptb"),
    ]
    .into_iter()
    .find(|(prefix, _)| digits_after(prefix).is_some())
    .map(|(_, source)| source)
}

/// The entry of one Challenge header.
pub fn entry(root: &Path, scanned: &ScannedHeader) -> RecordEntry {
    let header = &scanned.header;
    let source = source_of(root, scanned);
    let record_id = scanned.stem().to_owned();
    let ptbxl_ecg_id = record_id
        .strip_prefix("HR")
        .filter(|digits| !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|digits| digits.parse::<u32>().ok());
    let mut entry = scanned.entry(DatasetKind::Challenge, &source, record_id, None);
    entry.ptbxl_ecg_id = ptbxl_ecg_id;
    entry.labels = header.comment_value("Dx").map(parse_dx).unwrap_or_default();
    entry.age_years = header.comment_value("Age").and_then(parse_age_years);
    entry.sex = header.comment_value("Sex").and_then(Sex::parse);
    entry
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dx_table_is_complete() {
        let table = dx_table();
        assert_eq!(table.len(), 133);
        let af = table.get("164889003");
        assert_eq!(af.map(|info| info.abbreviation.as_str()), Some("AF"));
        assert!(af.is_some_and(|info| info.scored));
        // Every mapped code is in the table, with no duplicates.
        for (i, (code, _, _)) in SUPERCLASS_MAP.iter().enumerate() {
            assert!(
                table.contains_key(*code),
                "{code} not in the Challenge table"
            );
            assert!(
                SUPERCLASS_MAP
                    .get(..i)
                    .is_some_and(|before| before.iter().all(|(c, _, _)| c != code)),
                "{code} mapped twice"
            );
        }
    }

    #[test]
    fn dx_values() {
        let labels = parse_dx(" 164889003, 59118001 ,,251238007");
        let codes: Vec<&str> = labels.iter().map(|label| label.code.as_str()).collect();
        assert_eq!(codes, ["164889003", "59118001", "251238007"]);
        assert_eq!(labels[0].name, "atrial fibrillation");
        assert_eq!(labels[0].superclass, None);
        assert_eq!(labels[1].superclass, Some(Superclass::Cd));
        assert_eq!(labels[1].subclass.as_deref(), Some("CRBBB"));
        // Not in the Challenge table: named by its code, unmapped.
        assert_eq!(labels[2].name, "251238007");
        assert_eq!(labels[2].superclass, None);
        assert!(parse_dx("").is_empty());
    }

    #[test]
    fn sources_from_names() {
        assert_eq!(source_from_record_name("HR03961"), Some("ptb-xl"));
        assert_eq!(source_from_record_name("E07500"), Some("georgia"));
        assert_eq!(source_from_record_name("JS00001"), Some("chapman_shaoxing"));
        assert_eq!(source_from_record_name("JS10647"), Some("ningbo"));
        assert_eq!(source_from_record_name("A0689"), Some("cpsc_2018"));
        assert_eq!(source_from_record_name("Q0001"), Some("cpsc_2018_extra"));
        assert_eq!(source_from_record_name("E"), None);
        assert_eq!(source_from_record_name("record7"), None);
    }
}
