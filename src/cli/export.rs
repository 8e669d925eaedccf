//! `precordial export`: a record's physical signals as CSV.

use std::path::PathBuf;

use anyhow::bail;
use precordial::output;
use precordial::wfdb::Record;

#[derive(clap::Args)]
pub struct Args {
    /// Record header, with or without `.hea`.
    record: PathBuf,
    /// Output CSV file (`-` for standard output).
    #[arg(long)]
    csv: PathBuf,
    /// Signals to write, by name (case-insensitive), e.g. `I,II,V2`. Default: all.
    #[arg(long, value_delimiter = ',')]
    leads: Vec<String>,
    /// Start time in seconds.
    #[arg(long, value_name = "SECONDS")]
    from: Option<f64>,
    /// End time in seconds (exclusive).
    #[arg(long, value_name = "SECONDS")]
    to: Option<f64>,
    /// Replace the output file if it exists.
    #[arg(long)]
    overwrite: bool,
}

pub fn run(args: &Args) -> anyhow::Result<()> {
    let record = Record::read(&args.record)?;
    // A checksum mismatch is worth knowing but not worth refusing the data for.
    for (index, checksum) in record.checksum_mismatches() {
        eprintln!(
            "warning: {}: signal {index} ({}) does not match its header checksum ({checksum:?})",
            record.header.path.display(),
            record.signal_names()[index]
        );
    }
    let channels = select_leads(&record, &args.leads)?;
    let range = sample_range(&record, args.from, args.to)?;
    let all_names = record.signal_names();
    let names: Vec<&str> = channels.iter().map(|&c| all_names[c]).collect();
    let signals: Vec<&[f64]> = channels
        .iter()
        .filter_map(|&c| record.signal(c))
        .map(|s| &s[range.clone()])
        .collect();
    output::write_file(&args.csv, args.overwrite, |out| {
        output::write_signals_csv(out, &names, &signals, None)
    })?;
    Ok(())
}

/// Indices of the requested signals; all when none are named.
pub fn select_leads(record: &Record, leads: &[String]) -> anyhow::Result<Vec<usize>> {
    if leads.is_empty() {
        return Ok((0..record.n_signals()).collect());
    }
    let missing: Vec<&str> = leads
        .iter()
        .filter(|l| record.signal_index(l).is_none())
        .map(String::as_str)
        .collect();
    if !missing.is_empty() {
        bail!(
            "{}: no signal named {} (the record has {})",
            record.header.path.display(),
            missing.join(", "),
            record.signal_names().join(", ")
        );
    }
    Ok(leads
        .iter()
        .filter_map(|l| record.signal_index(l))
        .collect())
}

/// Samples from `from_s` (inclusive) to `to_s` (exclusive).
pub fn sample_range(
    record: &Record,
    from_s: Option<f64>,
    to_s: Option<f64>,
) -> anyhow::Result<std::ops::Range<usize>> {
    let n = record.n_samples();
    let duration_s = record.duration_s();
    let to_index = |t: f64, what: &str| -> anyhow::Result<usize> {
        if !t.is_finite() || t < 0.0 || t > duration_s + 1e-9 {
            bail!(
                "{}: --{what} {t} s lies outside the record (0 to {duration_s} s)",
                record.header.path.display()
            );
        }
        Ok(((t * record.fs_hz()).round() as usize).min(n))
    };
    let start = from_s
        .map(|t| to_index(t, "from"))
        .transpose()?
        .unwrap_or(0);
    let end = to_s.map(|t| to_index(t, "to")).transpose()?.unwrap_or(n);
    if start >= end {
        bail!(
            "{}: --from must come before --to (samples {start} to {end})",
            record.header.path.display()
        );
    }
    Ok(start..end)
}
