//! `precordial inspect`: what a record, or every record in a folder, holds.

use std::path::PathBuf;

use precordial::dataset::{self, RecordEntry};
use precordial::wfdb::{Checksum, Header, Record};
use serde::Serialize;

#[derive(clap::Args)]
pub struct Args {
    /// A record header (with or without `.hea`) or a folder of records.
    path: PathBuf,
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
    /// For folders: also read every record's samples and verify checksums (slower).
    #[arg(long)]
    verify: bool,
}

/// What `inspect` reports of one record.
#[derive(Serialize)]
struct RecordSummary {
    path: PathBuf,
    record_name: String,
    fs_hz: f64,
    n_samples: Option<usize>,
    duration_s: Option<f64>,
    n_segments: usize,
    formats: Vec<u32>,
    signals: Vec<SignalSummary>,
    comments: Vec<String>,
    /// `None` when samples were not read.
    checksums_ok: Option<bool>,
    /// The dataset's view of the record: ids, labels with names, fold.
    entry: RecordEntry,
}

#[derive(Serialize)]
struct SignalSummary {
    name: String,
    format: u32,
    samples_per_frame: usize,
    gain_adu_per_unit: f64,
    baseline_adu: i64,
    units: String,
    /// "match", "mismatch (header X, data Y)", "not given", or "not read".
    checksum: String,
}

pub fn run(args: &Args) -> anyhow::Result<()> {
    if args.path.is_dir() {
        inspect_folder(args)
    } else {
        let entry = dataset::index_record(&args.path)?;
        let summary = summarise(entry, true)?;
        if args.json {
            println!("{}", serde_json::to_string_pretty(&summary)?);
        } else {
            print_record(&summary);
        }
        Ok(())
    }
}

/// A folder is indexed as its dataset (PTB-XL, LUDB, Challenge, ...), so labels and folds come
/// from the dataset's own tables; samples are read only with `--verify`.
fn inspect_folder(args: &Args) -> anyhow::Result<()> {
    let index = dataset::open_folder(&args.path)?;
    if index.is_empty() && index.problems.is_empty() {
        anyhow::bail!("{}: no WFDB records found", args.path.display());
    }
    let verification: Option<Vec<Verification>> = args
        .verify
        .then(|| index.records.iter().map(verify).collect());
    if args.json {
        #[derive(Serialize)]
        struct FolderReport<'a> {
            #[serde(flatten)]
            index: &'a dataset::DatasetIndex,
            #[serde(skip_serializing_if = "Option::is_none")]
            verification: Option<Vec<Verification>>,
        }
        let report = FolderReport {
            index: &index,
            verification,
        };
        println!("{}", serde_json::to_string_pretty(&report)?);
        return Ok(());
    }
    // One unreadable record does not hide the rest of the folder; each is reported in place.
    for problem in &index.problems {
        eprintln!("warning: {problem}");
    }
    match &verification {
        Some(verification) => {
            for v in verification.iter().filter(|v| v.error.is_some()) {
                eprintln!("warning: {}", v.error.as_deref().unwrap_or_default());
            }
            print_table(
                index.kind,
                index
                    .records
                    .iter()
                    .zip(verification)
                    .map(|(e, v)| (e, v.checksums_ok)),
            );
        }
        None => print_table(index.kind, index.records.iter().map(|e| (e, None))),
    }
    Ok(())
}

/// What `--verify` found reading one record's samples.
#[derive(Serialize)]
struct Verification {
    record_id: String,
    formats: Vec<u32>,
    checksums_ok: Option<bool>,
    error: Option<String>,
}

fn verify(entry: &RecordEntry) -> Verification {
    match Record::read(&entry.header_path) {
        Ok(record) => Verification {
            record_id: entry.record_id.clone(),
            formats: record.formats.iter().map(|f| f.code()).collect(),
            checksums_ok: Some(record.checksum_mismatches().next().is_none()),
            error: None,
        },
        Err(err) => Verification {
            record_id: entry.record_id.clone(),
            formats: Vec::new(),
            checksums_ok: None,
            error: Some(err.to_string()),
        },
    }
}

fn summarise(entry: RecordEntry, read_samples: bool) -> anyhow::Result<RecordSummary> {
    let header = Header::read(&entry.header_path)?;
    let record = if read_samples {
        Some(Record::from_header(header.clone())?)
    } else {
        None
    };
    let checksum_text = |index: usize| match record.as_ref().and_then(|r| r.checksums.get(index)) {
        None => "not read".to_owned(),
        Some(Checksum::Match) => "match".to_owned(),
        Some(Checksum::NotGiven) => "not given".to_owned(),
        Some(Checksum::Mismatch { expected, computed }) => {
            format!("mismatch (header {expected}, data {computed})")
        }
    };
    let mut formats: Vec<u32> = match &record {
        Some(r) => r.formats.iter().map(|f| f.code()).collect(),
        None => header.signals.iter().map(|s| s.format.code()).collect(),
    };
    formats.sort_unstable();
    formats.dedup();
    let n_samples = record.as_ref().map(Record::n_samples).or(header.n_samples);
    let signals = match &record {
        // Multi-segment records: the joined signals, described by name and units only.
        Some(r) if header.is_multi_segment() => r
            .signal_names()
            .iter()
            .zip(r.units())
            .map(|(name, units)| SignalSummary {
                name: (*name).to_owned(),
                format: 0,
                samples_per_frame: 1,
                gain_adu_per_unit: f64::NAN,
                baseline_adu: 0,
                units: units.unwrap_or("?").to_owned(),
                checksum: "per segment".to_owned(),
            })
            .collect(),
        _ => header
            .signals
            .iter()
            .enumerate()
            .map(|(i, s)| SignalSummary {
                name: s.description.clone(),
                format: s.format.code(),
                samples_per_frame: s.samples_per_frame,
                gain_adu_per_unit: s.adc_gain,
                baseline_adu: s.baseline,
                units: s.units.clone(),
                checksum: checksum_text(i),
            })
            .collect(),
    };
    Ok(RecordSummary {
        path: header.path.clone(),
        record_name: header.record_name.clone(),
        fs_hz: header.fs_hz,
        n_samples,
        duration_s: n_samples.map(|n| n as f64 / header.fs_hz),
        n_segments: header.segments.len(),
        formats,
        checksums_ok: record
            .as_ref()
            .map(|r| r.checksum_mismatches().next().is_none()),
        signals,
        comments: header.comments,
        entry,
    })
}

fn print_record(s: &RecordSummary) {
    println!("record     {} ({})", s.record_name, s.path.display());
    let e = &s.entry;
    println!(
        "dataset    {} ({}), patient {}{}",
        e.dataset,
        e.source,
        e.patient_id,
        e.fold.map_or(String::new(), |f| format!(", fold {f}"))
    );
    for label in &e.labels {
        let class = label
            .superclass
            .map_or(String::new(), |c| format!(" [{c}]"));
        let likelihood = label
            .likelihood
            .map_or(String::new(), |l| format!(" ({l}%)"));
        println!(
            "label      {} {}{likelihood}{class}",
            label.code, label.name
        );
    }
    let duration = s
        .duration_s
        .map_or("unknown length".to_owned(), |d| format!("{d:.3} s"));
    println!(
        "sampling   {} Hz, {} samples, {duration}",
        s.fs_hz,
        s.n_samples.map_or("?".to_owned(), |n| n.to_string())
    );
    if s.n_segments > 0 {
        println!("segments   {}", s.n_segments);
    }
    println!("formats    {}", join(&s.formats));
    match s.checksums_ok {
        Some(true) => println!("checksums  all match"),
        Some(false) => println!("checksums  MISMATCH (see signals)"),
        None => {}
    }
    println!(
        "\n  {:<3} {:<12} {:>6} {:>12} {:>9} {:<8} checksum",
        "#", "signal", "format", "gain/unit", "baseline", "units"
    );
    for (i, sig) in s.signals.iter().enumerate() {
        let format = if sig.samples_per_frame > 1 {
            format!("{}x{}", sig.format, sig.samples_per_frame)
        } else {
            sig.format.to_string()
        };
        println!(
            "  {i:<3} {:<12} {format:>6} {:>12} {:>9} {:<8} {}",
            sig.name, sig.gain_adu_per_unit, sig.baseline_adu, sig.units, sig.checksum
        );
    }
    if !s.comments.is_empty() {
        println!();
        for c in &s.comments {
            println!("  # {c}");
        }
    }
}

fn print_table<'a>(
    kind: dataset::DatasetKind,
    rows: impl Iterator<Item = (&'a RecordEntry, Option<bool>)>,
) {
    println!(
        "{:<24} {:<14} {:>7} {:>8} {:>5} {:>4} {:<9} labels",
        "record", "dataset", "fs (Hz)", "secs", "leads", "fold", "checksums"
    );
    let mut n = 0;
    for (e, checksums_ok) in rows {
        n += 1;
        let labels: Vec<String> = e
            .labels
            .iter()
            .map(|l| match l.superclass {
                Some(c) => format!("{}[{c}]", l.code),
                None => l.code.clone(),
            })
            .collect();
        println!(
            "{:<24} {:<14} {:>7} {:>8} {:>5} {:>4} {:<9} {}",
            e.record_id,
            e.source,
            e.fs_hz,
            e.duration_s().map_or("?".into(), |d| format!("{d:.2}")),
            e.leads.len(),
            e.fold.map_or("-".into(), |f| f.to_string()),
            match checksums_ok {
                Some(true) => "ok",
                Some(false) => "MISMATCH",
                None => "-",
            },
            labels.join(" ")
        );
    }
    println!("{n} records ({kind})");
}

fn join(values: &[u32]) -> String {
    values
        .iter()
        .map(u32::to_string)
        .collect::<Vec<_>>()
        .join(",")
}
