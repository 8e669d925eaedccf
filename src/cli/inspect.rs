//! `precordial inspect`: what a record, or every record in a folder, holds.

use std::path::{Path, PathBuf};

use anyhow::bail;
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
    let summaries = if args.path.is_dir() {
        let headers = record_headers_in(&args.path)?;
        if headers.is_empty() {
            bail!(
                "{}: no WFDB records (.hea files) found",
                args.path.display()
            );
        }
        let mut summaries = Vec::with_capacity(headers.len());
        for path in headers {
            // One unreadable record does not hide the rest of the folder; it is reported in place.
            match summarise(&path, args.verify) {
                Ok(summary) => summaries.push(summary),
                Err(err) => eprintln!("warning: {err:#}"),
            }
        }
        summaries
    } else {
        vec![summarise(&args.path, true)?]
    };

    if args.json {
        let json = if summaries.len() == 1 && !args.path.is_dir() {
            serde_json::to_string_pretty(&summaries[0])?
        } else {
            serde_json::to_string_pretty(&summaries)?
        };
        println!("{json}");
    } else if summaries.len() == 1 && !args.path.is_dir() {
        print_record(&summaries[0]);
    } else {
        print_table(&summaries);
    }
    Ok(())
}

fn summarise(path: &Path, read_samples: bool) -> anyhow::Result<RecordSummary> {
    let header = Header::read(path)?;
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
    })
}

fn print_record(s: &RecordSummary) {
    println!("record     {} ({})", s.record_name, s.path.display());
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

fn print_table(summaries: &[RecordSummary]) {
    println!(
        "{:<28} {:>8} {:>9} {:>8}  {:<8} signals",
        "record", "fs (Hz)", "samples", "secs", "formats"
    );
    for s in summaries {
        let names: Vec<&str> = s.signals.iter().map(|x| x.name.as_str()).collect();
        println!(
            "{:<28} {:>8} {:>9} {:>8}  {:<8} {}",
            s.record_name,
            s.fs_hz,
            s.n_samples.map_or("?".into(), |n| n.to_string()),
            s.duration_s.map_or("?".into(), |d| format!("{d:.2}")),
            join(&s.formats),
            names.join(" ")
        );
    }
    println!("{} records", summaries.len());
}

fn join(values: &[u32]) -> String {
    values
        .iter()
        .map(u32::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

/// Headers of the records in a folder, recursively, leaving out the segments of multi-segment
/// records (they are read through their parent).
pub fn record_headers_in(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut headers = Vec::new();
    let mut segment_headers = std::collections::HashSet::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let entries =
            std::fs::read_dir(&dir).map_err(|e| anyhow::anyhow!("{}: {e}", dir.display()))?;
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "hea") {
                if let Ok(header) = Header::read(&path) {
                    for segment in &header.segments {
                        segment_headers.insert(dir.join(format!("{}.hea", segment.name)));
                    }
                }
                headers.push(path);
            }
        }
    }
    headers.retain(|h| !segment_headers.contains(h));
    headers.sort();
    Ok(headers)
}
