//! `precordial export`: a record's physical signals as CSV.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};
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
    write_csv_file(&args.csv, args.overwrite, |out| {
        write_csv(out, &names, &signals)
    })
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

/// Writes rows of `signals` under a header row of `names`. Values use Rust's shortest exact
/// representation (17 significant digits at most, never fewer than needed to read back the same
/// number), and `NaN` for invalid samples.
pub fn write_csv(
    out: &mut dyn std::io::Write,
    names: &[&str],
    signals: &[&[f64]],
) -> std::io::Result<()> {
    let header: Vec<String> = names.iter().map(|n| csv_field(n)).collect();
    writeln!(out, "{}", header.join(","))?;
    let n = signals.first().map_or(0, |s| s.len());
    let mut line = String::new();
    for t in 0..n {
        line.clear();
        for (k, signal) in signals.iter().enumerate() {
            if k > 0 {
                line.push(',');
            }
            let v = signal[t];
            if v.is_nan() {
                line.push_str("NaN");
            } else {
                use std::fmt::Write as _;
                write!(line, "{v}").ok();
            }
        }
        line.push('\n');
        out.write_all(line.as_bytes())?;
    }
    Ok(())
}

/// Quotes a header field when it holds a comma, quote or line break (RFC 4180).
fn csv_field(name: &str) -> String {
    if name.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", name.replace('"', "\"\""))
    } else {
        name.to_owned()
    }
}

/// Writes to `path` through a temporary file renamed into place, so an interrupted export never
/// leaves a half-written file, and an existing file is only replaced when asked.
pub fn write_csv_file(
    path: &Path,
    overwrite: bool,
    write: impl FnOnce(&mut dyn std::io::Write) -> std::io::Result<()>,
) -> anyhow::Result<()> {
    if path == Path::new("-") {
        let stdout = std::io::stdout();
        let mut out = std::io::BufWriter::new(stdout.lock());
        write(&mut out)
            .and_then(|()| out.flush())
            .context("writing to standard output")?;
        return Ok(());
    }
    if path.exists() && !overwrite {
        bail!(
            "{}: file exists (pass --overwrite to replace it)",
            path.display()
        );
    }
    let file_name = path
        .file_name()
        .with_context(|| format!("{}: not a file path", path.display()))?;
    let mut tmp_name = std::ffi::OsString::from(".");
    tmp_name.push(file_name);
    tmp_name.push(format!(".{}.tmp", std::process::id()));
    let tmp = path.with_file_name(tmp_name);
    let result = (|| {
        let file = std::fs::File::create(&tmp)?;
        let mut out = std::io::BufWriter::new(file);
        write(&mut out)?;
        out.into_inner().map_err(|e| e.into_error())?.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if let Err(err) = result {
        std::fs::remove_file(&tmp).ok();
        bail!("{}: {err}", path.display());
    }
    Ok(())
}
