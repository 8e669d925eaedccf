//! Dataset indexes on every shared dataset folder: counts, labels of known records checked against the
//! files, and the full-size PTB-XL table (synthetic 21,799 rows).
//!
//! The shared data is found at `$PRECORDIAL_DATA` or `<CARGO_MANIFEST_DIR>/../shared/data`. When it is
//! missing the tests print a SKIP line and pass, except with `CI=true`, where they fail.

#![allow(clippy::unwrap_used, clippy::expect_used)] // In tests a failed unwrap is a failed test.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::time::Instant;

use precordial::dataset::{
    self, DatasetIndex, DatasetKind, LabelScheme, RecordEntry, Sex, Superclass, ptbxl,
};

mod common;

fn data_dir() -> Option<PathBuf> {
    common::shared_data()
}

fn open(path: &Path) -> DatasetIndex {
    match dataset::open_folder(path) {
        Ok(index) => index,
        Err(error) => panic!("{error}"),
    }
}

fn record<'a>(index: &'a DatasetIndex, record_id: &str) -> &'a RecordEntry {
    match index.record(record_id) {
        Some(record) => record,
        None => panic!(
            "record {record_id} not in the index of {}",
            index.root.display()
        ),
    }
}

fn codes(record: &RecordEntry) -> Vec<&str> {
    record
        .labels
        .iter()
        .map(|label| label.code.as_str())
        .collect()
}

/// Rows of a MANIFEST.tsv as column → value maps.
fn manifest(path: &Path) -> Vec<HashMap<String, String>> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(error) => panic!("{}: {error}", path.display()),
    };
    let mut lines = text.lines();
    let columns: Vec<&str> = lines.next().unwrap_or_default().split('\t').collect();
    lines
        .filter(|line| !line.trim().is_empty())
        .map(|line| {
            columns
                .iter()
                .zip(line.split('\t'))
                .map(|(column, value)| ((*column).to_owned(), value.to_owned()))
                .collect()
        })
        .collect()
}

/// Sampling rate, length and signal descriptions straight from a header's text.
fn header_facts(path: &Path) -> (f64, Option<usize>, Vec<String>) {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(error) => panic!("{}: {error}", path.display()),
    };
    let mut lines = text
        .lines()
        .filter(|line| !line.trim().is_empty() && !line.starts_with('#'));
    let record_line: Vec<&str> = lines
        .next()
        .unwrap_or_default()
        .split_whitespace()
        .collect();
    let fs_hz = record_line
        .get(2)
        .and_then(|fs| fs.parse().ok())
        .unwrap_or(f64::NAN);
    let n_samples = record_line.get(3).and_then(|n| n.parse().ok());
    let leads = lines
        .filter_map(|line| line.split_whitespace().nth(8).map(str::to_owned))
        .collect();
    (fs_hz, n_samples, leads)
}

#[test]
fn ptbxl_head_table() {
    let Some(data) = data_dir() else { return };
    let root = data.join("ptb-xl");
    let index = open(&root);
    assert_eq!(index.kind, DatasetKind::PtbXl);
    assert!(index.problems.is_empty(), "{:?}", index.problems);
    assert_eq!(index.len(), 12);
    let ids: Vec<&str> = index.records.iter().map(|r| r.record_id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "17", "18"
        ]
    );
    assert_eq!(index.n_patients(), 11);

    let first = record(&index, "1");
    assert_eq!(first.patient_id, "ptb-xl:15709");
    assert!(!first.patient_id_stand_in);
    assert_eq!(first.fold, Some(3));
    assert_eq!(first.ptbxl_ecg_id, Some(1));
    assert_eq!(first.age_years, Some(56.0));
    assert_eq!(first.sex, Some(Sex::Female));
    assert_eq!(codes(first), ["NORM", "LVOLT", "SR"]);
    let norm = &first.labels[0];
    assert_eq!(norm.name, "normal ECG");
    assert_eq!(norm.scheme, LabelScheme::Scp);
    assert_eq!(norm.likelihood, Some(100.0));
    assert_eq!(norm.superclass, Some(Superclass::Norm));
    assert_eq!(norm.subclass.as_deref(), Some("NORM"));
    assert_eq!(first.labels[1].superclass, None);
    assert_eq!(first.superclasses(), [Superclass::Norm]);
    assert_eq!(first.dominant_superclass(80.0), Some(Superclass::Norm));

    // The one PTB-XL header present agrees with what the index derives from the layout.
    assert!(
        first.header_path.is_file(),
        "{}",
        first.header_path.display()
    );
    let (fs_hz, n_samples, leads) = header_facts(&first.header_path);
    assert_eq!(fs_hz, first.fs_hz);
    assert_eq!(n_samples, first.n_samples);
    assert_eq!(leads, first.leads);
    assert_eq!(first.duration_s(), Some(10.0));

    // NORM at 80 is still high-confidence.
    assert_eq!(record(&index, "2").superclasses(), [Superclass::Norm]);
    // IMI at 35: diagnostic but not high-confidence.
    let eighth = record(&index, "8");
    assert_eq!(eighth.labels[0].subclass.as_deref(), Some("IMI"));
    assert!(eighth.superclasses().is_empty());
    assert_eq!(eighth.dominant_superclass(0.0), Some(Superclass::Mi));
    assert_eq!(eighth.dominant_superclass(80.0), None);
    // Rows 17 and 18: one patient, rhythm statements only, and a quoted report with commas.
    let (r17, r18) = (record(&index, "17"), record(&index, "18"));
    assert_eq!(r17.patient_id, "ptb-xl:13619");
    assert_eq!(r18.patient_id, r17.patient_id);
    assert_eq!(codes(r18), ["AFLT"]);
    assert_eq!(r18.labels[0].name, "atrial flutter");
    assert!(r18.superclasses().is_empty());
    assert_eq!(r18.fold, Some(9));

    let folds: BTreeMap<u8, usize> = index.records.iter().fold(BTreeMap::new(), |mut n, r| {
        *n.entry(r.fold.unwrap_or(0)).or_default() += 1;
        n
    });
    assert_eq!(
        folds,
        BTreeMap::from([(2, 1), (3, 2), (4, 2), (5, 1), (7, 1), (9, 4), (10, 1)])
    );
    assert_eq!(index.records_in_folds(1..=8).count(), 7);
    assert_eq!(index.records_in_folds(10..=10).count(), 1);

    // 500 Hz copies.
    let high = match ptbxl::open(&root, ptbxl::Resolution::Hz500) {
        Ok(index) => index,
        Err(error) => panic!("{error}"),
    };
    let first_high = record(&high, "1");
    assert_eq!(first_high.fs_hz, 500.0);
    assert_eq!(first_high.n_samples, Some(5000));
    assert!(
        first_high
            .header_path
            .ends_with("records500/00000/00001_hr.hea")
    );

    // JSON for the CLI.
    let json = match serde_json::to_string(first) {
        Ok(json) => json,
        Err(error) => panic!("{error}"),
    };
    assert!(json.contains(r#""dataset":"ptb-xl""#), "{json}");
    assert!(json.contains(r#""superclass":"NORM""#), "{json}");
}

/// The full-size table: 21,799 rows made by repeating the real head with new ecg_ids.
#[test]
fn ptbxl_full_size_table() {
    let Some(data) = data_dir() else { return };
    let source = data.join("ptb-xl");
    let dir = std::env::temp_dir().join(format!("precordial-ptbxl-full-{}", std::process::id()));
    std::fs::create_dir_all(&dir).ok();
    if let Err(error) = ptbxl::write_synthetic_folder(&source, &dir, 21_799) {
        panic!("{error}");
    }
    let started = Instant::now();
    let result = dataset::open_folder(&dir);
    let elapsed = started.elapsed();
    std::fs::remove_dir_all(&dir).ok();
    let index = match result {
        Ok(index) => index,
        Err(error) => panic!("{error}"),
    };
    // Informational only; the time is not asserted.
    eprintln!(
        "indexed the 21,799-row PTB-XL table in {:.1} ms",
        elapsed.as_secs_f64() * 1e3
    );
    assert!(index.problems.is_empty(), "{:?}", index.problems);
    assert_eq!(index.len(), 21_799);
    assert_eq!(index.n_patients(), 11);
    let last = record(&index, "21799");
    assert!(last.header_path.ends_with("records100/21000/21799_lr.hea"));
    // 21,799 = 1816 * 12 + 7: the head's rows repeat in order, the 7th row (ecg_id 7) ends the table.
    assert_eq!(last.patient_id, "ptb-xl:16193");
    let norm = index
        .records
        .iter()
        .filter(|r| r.superclasses() == [Superclass::Norm])
        .count();
    // 9 of the head's 12 rows are NORM (all but ecg_id 8, 17, 18); the 7 rows after the last full
    // cycle are ecg_id 1-7, all NORM.
    let norm_per_cycle = 9;
    assert_eq!(norm, 1816 * norm_per_cycle + 7);
}

#[test]
fn challenge_2021() {
    let Some(data) = data_dir() else { return };
    let root = data.join("challenge-2021");
    let index = open(&root);
    assert_eq!(index.kind, DatasetKind::Challenge);
    assert!(index.problems.is_empty(), "{:?}", index.problems);
    assert_eq!(index.len(), 158);

    let mut per_source: BTreeMap<&str, usize> = BTreeMap::new();
    for record in &index.records {
        *per_source.entry(record.source.as_str()).or_default() += 1;
        assert!(record.patient_id_stand_in);
        assert_eq!(record.dataset, DatasetKind::Challenge);
        assert_eq!(
            record.leads,
            [
                "I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6"
            ]
        );
    }
    assert_eq!(
        per_source,
        BTreeMap::from([
            ("chapman_shaoxing", 10),
            ("cpsc_2018", 4),
            ("georgia", 61),
            ("ningbo", 56),
            ("ptb-xl", 27)
        ])
    );

    // Every record against the MANIFEST: rate, length, Dx codes.
    let rows = manifest(&root.join("MANIFEST.tsv"));
    assert_eq!(rows.len(), 158);
    for row in &rows {
        let entry = record(&index, &row["record"]);
        assert_eq!(entry.source, row["source"]);
        assert_eq!(entry.fs_hz.to_string(), row["fs_hz"]);
        assert_eq!(
            entry.n_samples.map(|n| n.to_string()),
            Some(row["n_samples"].clone())
        );
        // JS20005's header really says `#Dx: 284470004,89792004,427084000,,427172004`.
        let expected: Vec<&str> = row["Dx_snomed"]
            .split(',')
            .filter(|c| !c.is_empty())
            .collect();
        assert_eq!(codes(entry), expected, "{}", row["record"]);
    }

    // Georgia header naming the record with its extension.
    let georgia = record(&index, "E07500");
    assert_eq!(georgia.patient_id, "georgia:E07500");
    assert_eq!(codes(georgia), ["67741000119109", "426177001"]);
    assert_eq!(georgia.labels[0].name, "left atrial enlargement");
    assert_eq!(georgia.labels[0].scheme, LabelScheme::SnomedCt);
    assert_eq!(georgia.labels[0].superclass, Some(Superclass::Hyp));
    assert_eq!(georgia.labels[1].name, "sinus bradycardia");
    assert_eq!(georgia.labels[1].superclass, None);
    assert_eq!(georgia.age_years, Some(78.0));
    assert_eq!(georgia.sex, Some(Sex::Male));
    assert_eq!(georgia.n_samples, Some(5000));

    // HRxxxxx is PTB-XL ecg_id xxxxx; sinus rhythm maps to NORM.
    let hr = record(&index, "HR03961");
    assert_eq!(hr.ptbxl_ecg_id, Some(3961));
    assert_eq!(hr.superclasses(), [Superclass::Norm]);
    assert_eq!(hr.sex, Some(Sex::Female));
    assert_eq!(hr.age_years, Some(9.0));

    // A code missing from the Challenge table keeps its code as name.
    let unknown = record(&index, "JS20006");
    assert!(
        unknown
            .labels
            .iter()
            .any(|label| label.code == "251238007" && label.name == "251238007")
    );
    // Variable-length CPSC record.
    let cpsc = record(&index, "A1041");
    assert_eq!(cpsc.n_samples, Some(8500));
    assert_eq!(cpsc.duration_s(), Some(17.0));
    assert_eq!(
        cpsc.labels.iter().map(|l| l.superclass).collect::<Vec<_>>(),
        [None, Some(Superclass::Cd)]
    );

    // One source folder on its own keeps its source name.
    let georgia_only = open(&root.join("georgia"));
    assert_eq!(georgia_only.len(), 61);
    assert!(georgia_only.records.iter().all(|r| r.source == "georgia"));
}

#[test]
fn challenge_ptbxl_records_link_to_ptbxl_patients() {
    let Some(data) = data_dir() else { return };
    let mut challenge = open(&data.join("challenge-2021/ptb-xl"));
    let ptbxl = open(&data.join("ptb-xl"));
    // None of the 27 HR records is in the 12-row head (ids 1-10, 17, 18): nothing links.
    assert_eq!(challenge.link_ptbxl(&ptbxl), 0);
    // A PTB-XL index that holds HR03961's ecg_id links it.
    let mut with_3961 = ptbxl.clone();
    let mut row = record(&ptbxl, "1").clone();
    row.ptbxl_ecg_id = Some(3961);
    row.record_id = "3961".to_owned();
    with_3961.records.push(row);
    assert_eq!(challenge.link_ptbxl(&with_3961), 1);
    let linked = record(&challenge, "HR03961");
    assert_eq!(linked.patient_id, "ptb-xl:15709");
    assert!(!linked.patient_id_stand_in);
    assert_eq!(linked.fold, Some(3));
    // A record with its true patient is left alone.
    assert_eq!(challenge.link_ptbxl(&with_3961), 0);
}

/// The rows of a CSV file as column → value maps (the `csv` crate, not the index's reader).
fn csv_rows(path: &Path) -> Vec<HashMap<String, String>> {
    let mut reader = match csv::Reader::from_path(path) {
        Ok(reader) => reader,
        Err(error) => panic!("{}: {error}", path.display()),
    };
    let columns: Vec<String> = match reader.headers() {
        Ok(headers) => headers.iter().map(str::to_owned).collect(),
        Err(error) => panic!("{}: {error}", path.display()),
    };
    reader
        .records()
        .map(|row| match row {
            Ok(row) => columns
                .iter()
                .cloned()
                .zip(row.iter().map(str::to_owned))
                .collect(),
            Err(error) => panic!("{}: {error}", path.display()),
        })
        .collect()
}

/// PTB-XL waveforms without the table (records500/ and labels.csv): one PTB-XL entry per ecg_id with
/// its Challenge 2024 classes, and the head table gives the shared ecg_ids their patient and fold.
#[test]
fn ptbxl_waveforms_without_table() {
    let Some(data) = data_dir() else { return };
    let root = data.join("ptb-xl-extra");
    let mut extra = open(&root);
    assert_eq!(extra.kind, DatasetKind::PtbXl);
    assert!(extra.problems.is_empty(), "{:?}", extra.problems);
    assert_eq!(extra.len(), 62);
    let mut seen = HashSet::new();
    for entry in &extra.records {
        assert_eq!(entry.dataset, DatasetKind::PtbXl);
        assert_eq!(entry.source, "ptb-xl");
        let Some(ecg_id) = entry.ptbxl_ecg_id else {
            panic!("{}: no ecg_id", entry.record_id)
        };
        assert_eq!(entry.record_id, ecg_id.to_string());
        assert!(seen.insert(ecg_id), "ecg_id {ecg_id} twice");
        assert!(entry.patient_id_stand_in);
        assert_eq!(entry.patient_id, format!("ptb-xl:ecg{ecg_id}"));
        assert_eq!(entry.fold, None);
        let (fs_hz, n_samples, leads) = header_facts(&entry.header_path);
        assert_eq!((entry.fs_hz, entry.n_samples), (fs_hz, n_samples));
        assert_eq!(entry.leads, leads);
    }
    // labels.csv, read here with the csv crate: every row's classes, in order, on its record.
    let rows = csv_rows(&root.join("labels.csv"));
    assert_eq!(rows.len(), 62);
    for row in &rows {
        let entry = record(&extra, &row["ecg_id"]);
        assert!(
            entry
                .header_path
                .ends_with(format!("{}.hea", row["record"])),
            "{}",
            entry.header_path.display()
        );
        let expected: Vec<&str> = row["labels"].split(", ").collect();
        assert_eq!(codes(entry), expected, "ecg_id {}", row["ecg_id"]);
    }
    let second = record(&extra, "2");
    assert_eq!(codes(second), ["NORM"]);
    assert_eq!(second.labels[0].scheme, LabelScheme::Challenge2024);
    assert_eq!(second.labels[0].likelihood, None);
    assert_eq!(second.superclasses(), [Superclass::Norm]);
    // 841: STTC, HYP, PVC; the rhythm class has no superclass.
    let r841 = record(&extra, "841");
    assert_eq!(r841.superclasses(), [Superclass::Sttc, Superclass::Hyp]);
    assert_eq!(r841.labels[2].superclass, None);
    assert!(
        extra
            .records
            .iter()
            .any(|r| codes(r).contains(&"Old MI") && r.superclasses().contains(&Superclass::Mi))
    );
    assert_eq!(open(&root), {
        let direct = ptbxl::open_waveforms(&root);
        direct.unwrap_or_else(|error| panic!("{error}"))
    });

    // The head table (ecg_id 1-10, 17, 18) holds ecg_ids 2-7 of this folder.
    let table_dir = data.join("ptb-xl");
    let table = match ptbxl::open(&table_dir, ptbxl::Resolution::Hz100) {
        Ok(index) => index,
        Err(error) => panic!("{error}"),
    };
    assert_eq!(extra.link_ptbxl(&table), 6);
    let table_rows = csv_rows(&table_dir.join("ptbxl_database.head.csv"));
    let whole = |text: &str| text.trim_end_matches(".0").to_owned();
    for ecg_id in 2..=7 {
        let row = table_rows
            .iter()
            .find(|row| row["ecg_id"] == ecg_id.to_string())
            .unwrap_or_else(|| panic!("ecg_id {ecg_id} not in the head table"));
        let linked = record(&extra, &ecg_id.to_string());
        assert_eq!(
            linked.patient_id,
            format!("ptb-xl:{}", whole(&row["patient_id"]))
        );
        assert!(!linked.patient_id_stand_in);
        assert_eq!(
            linked.fold.map(|fold| fold.to_string()),
            Some(whole(&row["strat_fold"]))
        );
    }
    // Checked by hand in the CSV: ecg_id 2 is patient 13243.0, strat_fold 2.
    assert_eq!(record(&extra, "2").patient_id, "ptb-xl:13243");
    assert_eq!(record(&extra, "2").fold, Some(2));
    let unlinked = record(&extra, "16");
    assert!(unlinked.patient_id_stand_in);
    assert_eq!(unlinked.fold, None);
    assert_eq!(extra.link_ptbxl(&table), 0);

    // Challenge copies of ecg_ids 8-10 link to the same table.
    let mut challenge = open(&data.join("challenge-2021-extra/ptb-xl"));
    assert_eq!(challenge.kind, DatasetKind::Challenge);
    assert_eq!(challenge.link_ptbxl(&table), 3);
    for (record_id, ecg_id) in [("HR00008", "8"), ("HR00009", "9"), ("HR00010", "10")] {
        let copy = record(&challenge, record_id);
        let original = record(&table, ecg_id);
        assert_eq!(copy.patient_id, original.patient_id, "{record_id}");
        assert!(!copy.patient_id_stand_in);
        assert_eq!(copy.fold, original.fold, "{record_id}");
    }
    assert_eq!(record(&challenge, "HR00008").patient_id, "ptb-xl:11275");
    assert_eq!(record(&challenge, "HR00008").fold, Some(9));
}

/// An ecg_id at both rates is one entry (the 100 Hz copy), whichever copy is listed first; a header
/// with another name is indexed as a scan would, and makes the folder's kind generic.
#[test]
fn ptbxl_waveforms_keep_one_copy_per_ecg_id() {
    let header = |name: &str, fs: u32, n: u32| {
        format!(
            "{name} 2 {fs} {n}\n{name}.dat 16 1000 16 0 0 0 0 I\n{name}.dat 16 1000 16 0 0 0 0 II\n"
        )
    };
    let build = |name: &str, records: Option<&str>, stray: bool| {
        let dir = common::scratch("ptbxl-waveforms", name);
        for (folder, stem, fs, n) in [
            ("records100/00000", "00009_lr", 100, 1000),
            ("records500/00000", "00009_hr", 500, 5000),
            ("records500/00000", "00011_hr", 500, 5000),
        ] {
            std::fs::create_dir_all(dir.join(folder)).ok();
            std::fs::write(
                dir.join(folder).join(format!("{stem}.hea")),
                header(stem, fs, n),
            )
            .ok();
        }
        if stray {
            std::fs::write(
                dir.join("records500/00000/90076.hea"),
                header("90076", 500, 5000),
            )
            .ok();
        }
        if let Some(records) = records {
            std::fs::write(dir.join("RECORDS"), records).ok();
        }
        std::fs::write(
            dir.join("labels.csv"),
            "ecg_id,record,labels\n\
             9,records500/00000/00009_hr,\"STTC, CD\"\n\
             9,records100/00000/00009_lr,STTC\n\
             11,records500/00000/00011_hr,BRADY\n",
        )
        .ok();
        let result = dataset::open_folder(&dir);
        std::fs::remove_dir_all(&dir).ok();
        result.unwrap_or_else(|error| panic!("{error}"))
    };
    // A scan lists records100 first; this RECORDS lists the 500 Hz copy first.
    for index in [
        build("scan", None, false),
        build(
            "records",
            Some(
                "records500/00000/00009_hr\nrecords500/00000/00011_hr\nrecords100/00000/00009_lr\n",
            ),
            false,
        ),
    ] {
        assert_eq!(index.kind, DatasetKind::PtbXl);
        assert!(index.problems.is_empty(), "{:?}", index.problems);
        let ids: Vec<Option<u32>> = index.records.iter().map(|r| r.ptbxl_ecg_id).collect();
        assert_eq!(ids, [Some(9), Some(11)]);
        let nine = record(&index, "9");
        assert_eq!((nine.fs_hz, nine.n_samples), (100.0, Some(1000)));
        assert!(nine.header_path.ends_with("records100/00000/00009_lr.hea"));
        assert_eq!(
            codes(nine),
            ["STTC"],
            "the labels of the kept copy's own row"
        );
        let eleven = record(&index, "11");
        assert_eq!(eleven.fs_hz, 500.0);
        assert_eq!(codes(eleven), ["BRADY"]);
        assert_eq!(eleven.superclasses(), []);
    }
    let mixed = build("stray", None, true);
    assert_eq!(mixed.kind, DatasetKind::Generic);
    assert_eq!(mixed.len(), 3);
    let stray = record(&mixed, "records500/00000/90076");
    assert_eq!(stray.dataset, DatasetKind::Generic);
    assert_eq!(stray.ptbxl_ecg_id, None);
}

#[test]
fn ludb() {
    let Some(data) = data_dir() else { return };
    let index = open(&data.join("ludb"));
    assert_eq!(index.kind, DatasetKind::Ludb);
    assert!(index.problems.is_empty(), "{:?}", index.problems);
    assert_eq!(index.len(), 200);
    let first = record(&index, "1");
    assert_eq!(first.patient_id, "ludb:1");
    assert_eq!(first.age_years, Some(51.0));
    assert_eq!(first.sex, Some(Sex::Female));
    assert_eq!(first.fs_hz, 500.0);
    assert_eq!(first.n_samples, Some(5000));
    assert_eq!(first.leads.first().map(String::as_str), Some("i"));
    assert_eq!(first.leads.len(), 12);
    assert!(first.header_path.ends_with("data/1.hea"));
    assert_eq!(
        codes(first),
        [
            "Sinus bradycardia",
            "Electric axis of the heart: left axis deviation",
            "Left ventricular overload",
            "Left ventricular hypertrophy",
            "Non-specific repolarization abnormalities: posterior wall"
        ]
    );
    assert!(
        first
            .labels
            .iter()
            .all(|l| l.scheme == LabelScheme::LudbText)
    );
    assert_eq!(first.superclasses(), [Superclass::Sttc, Superclass::Hyp]);
    // Record 4: conduction and ischemia columns, multi-line cells.
    let fourth = record(&index, "4");
    assert!(codes(fourth).contains(&"Incomplete right bundle branch block"));
    assert!(codes(fourth).contains(&"Scar formation: inferior wall"));
    assert_eq!(
        fourth.superclasses(),
        [
            Superclass::Mi,
            Superclass::Sttc,
            Superclass::Cd,
            Superclass::Hyp
        ]
    );
    // '>89' in ludb.csv.
    assert!(
        index
            .records
            .iter()
            .any(|r| r.age_years == Some(dataset::AGE_CAP_YEARS))
    );

    // Without ludb.csv the header comments give the labels. They say what ludb.csv says (case and full
    // stops aside), except that ludb.csv has a few more (record 8: "Pacemaker presence, undefined").
    let data_only = open(&data.join("ludb/data"));
    assert_eq!(data_only.kind, DatasetKind::Ludb);
    assert_eq!(data_only.len(), 200);
    let mut n_differing = 0;
    for from_csv in &index.records {
        let from_comments = record(&data_only, &from_csv.record_id);
        let set = |record: &RecordEntry| -> HashSet<String> {
            record
                .labels
                .iter()
                .map(|l| l.code.to_lowercase())
                .collect()
        };
        let (csv_set, comment_set) = (set(from_csv), set(from_comments));
        assert!(
            comment_set.is_subset(&csv_set),
            "record {}: {:?} not in ludb.csv",
            from_csv.record_id,
            comment_set.difference(&csv_set).collect::<Vec<_>>()
        );
        n_differing += usize::from(comment_set != csv_set);
        assert_eq!(
            from_csv.sex, from_comments.sex,
            "record {}",
            from_csv.record_id
        );
    }
    eprintln!(
        "LUDB: {n_differing} of 200 records have more labels in ludb.csv than in their header"
    );
    assert!(n_differing <= 20, "{n_differing}");
}

#[test]
fn code15() {
    let Some(data) = data_dir() else { return };
    let root = data.join("code15");
    let index = open(&root);
    assert_eq!(index.kind, DatasetKind::Code15);
    assert!(index.problems.is_empty(), "{:?}", index.problems);
    assert_eq!(index.len(), 308);
    let rows = manifest(&root.join("MANIFEST.tsv"));
    assert_eq!(rows.len(), 308);
    for row in &rows {
        let entry = record(&index, &row["record"]);
        assert_eq!(entry.source, row["subset"]);
        assert_eq!(entry.patient_id, format!("code15:{}", row["patient_id"]));
        assert_eq!(entry.fs_hz.to_string(), row["fs_hz"]);
        assert_eq!(
            entry.n_samples.map(|n| n.to_string()),
            Some(row["n_samples"].clone())
        );
        let expected = if row["chagas_label"] == "True" {
            "chagas_positive"
        } else {
            "chagas_negative"
        };
        assert_eq!(codes(entry), [expected]);
    }
    let positives = index
        .records
        .iter()
        .filter(|r| codes(r) == ["chagas_positive"])
        .count();
    assert_eq!(positives, 13);
    assert!(index.n_patients() < 308, "some patients have several exams");
}

#[test]
fn ptb_diagnostic() {
    let Some(data) = data_dir() else { return };
    let index = open(&data.join("ptbdb"));
    assert_eq!(index.kind, DatasetKind::Ptb);
    assert!(index.problems.is_empty(), "{:?}", index.problems);
    assert_eq!(index.len(), 1);
    let entry = record(&index, "patient001/s0010_re");
    assert_eq!(entry.patient_id, "ptbdb:patient001");
    assert!(!entry.patient_id_stand_in);
    assert_eq!(entry.fs_hz, 1000.0);
    assert_eq!(entry.n_samples, Some(38400));
    assert_eq!(entry.leads.len(), 15);
    assert_eq!(entry.leads.get(12).map(String::as_str), Some("vx"));
    assert_eq!(entry.age_years, Some(81.0));
    assert_eq!(entry.sex, Some(Sex::Female));
    assert_eq!(codes(entry), ["Myocardial infarction"]);
    assert_eq!(entry.labels[0].scheme, LabelScheme::PtbReason);
    assert_eq!(entry.superclasses(), [Superclass::Mi]);
}

#[test]
fn ecg_arrhythmia() {
    let Some(data) = data_dir() else { return };
    // From the top (a scan) and from the folder with the RECORDS file (no trailing newline).
    for root in [
        data.join("ecg-arrhythmia"),
        data.join("ecg-arrhythmia/WFDBRecords/01/010"),
    ] {
        let index = open(&root);
        assert_eq!(index.kind, DatasetKind::Challenge);
        assert!(index.problems.is_empty(), "{:?}", index.problems);
        let ids: Vec<&str> = index.records.iter().map(|r| r.record_id.as_str()).collect();
        assert_eq!(ids, ["JS00001", "JS00002", "JS00004", "JS00005"]);
        let first = record(&index, "JS00001");
        assert_eq!(codes(first), ["164889003", "59118001", "164934002"]);
        assert_eq!(first.superclasses(), [Superclass::Sttc, Superclass::Cd]);
        assert_eq!(first.source, "chapman_shaoxing");
        assert_eq!(first.age_years, Some(85.0));
    }
}

#[test]
fn wfdb_samples_and_multi_segment_records() {
    let Some(data) = data_dir() else { return };
    let index = open(&data.join("wfdb-samples/multi-segment"));
    assert_eq!(index.kind, DatasetKind::Generic);
    let ids: Vec<&str> = index.records.iter().map(|r| r.record_id.as_str()).collect();
    // Segment and layout headers are parts of their multi-segment record, not records.
    assert!(ids.contains(&"041s/041s"), "{ids:?}");
    assert!(
        !ids.iter()
            .any(|id| id.ends_with("041s01") || id.contains("_layout")),
        "{ids:?}"
    );
    let multi = record(&index, "041s/041s");
    assert_eq!(multi.n_samples, Some(2000));
    assert_eq!(
        multi.leads,
        ["III", "I", "V", "ABP", "PAP", "PLETH", "RESP"]
    );
    assert!(multi.patient_id_stand_in);

    // The whole sample folder indexes; whatever the reader refuses is a per-file problem.
    let samples = open(&data.join("wfdb-samples"));
    assert!(samples.len() > 20, "{}", samples.len());
    for problem in &samples.problems {
        eprintln!("wfdb-samples problem: {problem}");
    }
}

#[test]
fn every_shared_folder_at_once() {
    let Some(data) = data_dir() else { return };
    let started = Instant::now();
    let index = open(&data);
    eprintln!(
        "indexed every shared folder ({} records, {} problems) in {:.1} ms",
        index.len(),
        index.problems.len(),
        started.elapsed().as_secs_f64() * 1e3
    );
    // PTB-XL's table is only read when its folder is indexed; here its one header is a generic record.
    assert_eq!(index.kind, DatasetKind::Generic);
    let mut per_kind: BTreeMap<String, usize> = BTreeMap::new();
    for record in &index.records {
        *per_kind.entry(record.dataset.to_string()).or_default() += 1;
    }
    // challenge-2021 (158), the Challenge copies in ecg-arrhythmia (4) and challenge-2021-extra (50,
    // its ptb/ copies of PTB Diagnostic included: they carry `#Dx`).
    assert_eq!(per_kind.get("challenge"), Some(&(158 + 4 + 50)));
    assert_eq!(per_kind.get("code15"), Some(&308));
    assert_eq!(per_kind.get("ludb"), Some(&200));
    // s0010_re is both in ptbdb/patient001 and in wfdb-samples.
    assert_eq!(per_kind.get("ptbdb"), Some(&2));
}

#[test]
fn single_records() {
    let Some(data) = data_dir() else { return };
    let index_record = |path: PathBuf| match dataset::index_record(&path) {
        Ok(entry) => entry,
        Err(error) => panic!("{error}"),
    };
    for path in [
        data.join("challenge-2021/georgia/E07500"),
        data.join("challenge-2021/georgia/E07500.hea"),
    ] {
        let entry = index_record(path);
        assert_eq!(entry.dataset, DatasetKind::Challenge);
        assert_eq!(entry.record_id, "E07500");
        assert_eq!(entry.source, "georgia");
        assert_eq!(codes(&entry), ["67741000119109", "426177001"]);
    }
    let ptb = index_record(data.join("ptbdb/patient001/s0010_re"));
    assert_eq!(ptb.dataset, DatasetKind::Ptb);
    assert_eq!(ptb.record_id, "patient001/s0010_re");
    assert_eq!(ptb.patient_id, "ptbdb:patient001");
    let lr = index_record(data.join("ptb-xl/records100/00000/00001_lr.hea"));
    assert_eq!(lr.dataset, DatasetKind::Generic);
    assert_eq!(lr.record_id, "00001_lr");
    assert_eq!(lr.fs_hz, 100.0);
    assert_eq!(lr.leads.len(), 12);
    let code15 = index_record(data.join("code15/training_data/1111"));
    assert_eq!(code15.patient_id, "code15:48705");
    assert_eq!(code15.source, "training_data");

    match dataset::index_record(data.join("challenge-2021/georgia/NOPE")) {
        Ok(entry) => panic!("indexed a missing record: {entry:?}"),
        Err(error) => assert!(error.to_string().contains("NOPE.hea"), "{error}"),
    }
}

/// RECORDS without a trailing newline, a nested RECORDS folder, a missing and a malformed header.
#[test]
fn records_file_and_problems() {
    let dir = std::env::temp_dir().join(format!("precordial-records-{}", std::process::id()));
    let sub = dir.join("sub");
    std::fs::create_dir_all(&sub).ok();
    let header = "rec 2 250 1000\nrec.dat 16 200 12 0 0 0 0 I\nrec.dat 16 200 12 0 0 0 0 II\n";
    std::fs::write(dir.join("a.hea"), header.replace("rec", "a")).ok();
    std::fs::write(sub.join("b.hea"), header.replace("rec", "b")).ok();
    std::fs::write(dir.join("bad.hea"), "bad two 250\n").ok();
    std::fs::write(dir.join("unlisted.hea"), header.replace("rec", "unlisted")).ok();
    std::fs::write(sub.join("RECORDS"), "b").ok();
    std::fs::write(dir.join("RECORDS"), "a\nsub/\nmissing\nbad").ok();
    let result = dataset::open_folder(&dir);
    std::fs::remove_dir_all(&dir).ok();
    let index = match result {
        Ok(index) => index,
        Err(error) => panic!("{error}"),
    };
    let ids: Vec<&str> = index.records.iter().map(|r| r.record_id.as_str()).collect();
    assert_eq!(ids, ["a", "sub/b"]);
    assert_eq!(index.records[0].fs_hz, 250.0);
    assert_eq!(index.records[0].leads, ["I", "II"]);
    let problem_files: Vec<String> = index
        .problems
        .iter()
        .filter_map(|p| p.path.file_name().map(|n| n.to_string_lossy().into_owned()))
        .collect();
    assert_eq!(
        problem_files,
        ["missing.hea", "bad.hea"],
        "{:?}",
        index.problems
    );
    assert!(index.problems.iter().all(|p| !p.message.is_empty()));

    // An empty RECORDS file falls back to a scan.
    let empty =
        std::env::temp_dir().join(format!("precordial-empty-records-{}", std::process::id()));
    std::fs::create_dir_all(&empty).ok();
    std::fs::write(empty.join("a.hea"), header.replace("rec", "a")).ok();
    std::fs::write(empty.join("RECORDS"), "\n").ok();
    let result = dataset::open_folder(&empty);
    std::fs::remove_dir_all(&empty).ok();
    assert_eq!(result.map(|index| index.len()).ok(), Some(1));

    // Not a folder / missing folder: errors naming the path.
    let missing = std::env::temp_dir().join("precordial-no-such-folder");
    match dataset::open_folder(&missing) {
        Ok(_) => panic!("indexed a missing folder"),
        Err(error) => assert!(error.to_string().contains("precordial-no-such-folder")),
    }
}

/// Errors that stop a PTB-XL index name the file and the problem.
#[test]
fn ptbxl_errors_name_the_file() {
    let dir = std::env::temp_dir().join(format!("precordial-ptbxl-errors-{}", std::process::id()));
    std::fs::create_dir_all(&dir).ok();
    let table = "ecg_id,patient_id,age,sex,scp_codes,filename_lr,filename_hr\n\
        1,1.0,50,0,{},records100/00000/00001_lr,records500/00000/00001_hr\n";
    std::fs::write(dir.join(ptbxl::DATABASE_CSV), table).ok();
    let without_statements = dataset::open_folder(&dir).map(|index| index.len());
    std::fs::write(
        dir.join(ptbxl::SCP_STATEMENTS_CSV),
        ",description,diagnostic,form,rhythm,diagnostic_class,diagnostic_subclass\n\
         NORM,normal ECG,1.0,,,NORM,NORM\n",
    )
    .ok();
    let without_fold = dataset::open_folder(&dir).map(|index| index.len());
    std::fs::write(
        dir.join(ptbxl::SCP_STATEMENTS_CSV),
        ",description,diagnostic,form,rhythm,diagnostic_class,diagnostic_subclass\n\
         NORM,normal ECG,1.0,,,NORM,NORM\n\
         XX,weird,1.0,,,ABC,XX\n",
    )
    .ok();
    let bad_class = dataset::open_folder(&dir).map(|index| index.len());
    std::fs::remove_dir_all(&dir).ok();

    let message = |result: Result<usize, dataset::DatasetError>| match result {
        Ok(n) => panic!("indexed {n} records"),
        Err(error) => error.to_string(),
    };
    let text = message(without_statements);
    assert!(text.contains("scp_statements.csv"), "{text}");
    let text = message(without_fold);
    assert!(
        text.contains("ptbxl_database.csv") && text.contains("strat_fold"),
        "{text}"
    );
    let text = message(bad_class);
    assert!(
        text.contains("scp_statements.csv:3") && text.contains("ABC"),
        "{text}"
    );
}
