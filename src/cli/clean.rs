//! `precordial clean`: a record's signals cleaned as METHOD.md describes, written as CSV in the
//! same layout as `export` (one column per lead, physical units, now at the target rate).

use std::path::PathBuf;

use anyhow::Context as _;
use precordial::dsp::clean::{CleanConfig, OutputLength, clean_leads};
use precordial::output;
use precordial::wfdb::Record;

use crate::cli::export::select_leads;

#[derive(clap::Args)]
pub struct Args {
    /// Record header, with or without `.hea`.
    record: PathBuf,
    /// Output CSV file (`-` for standard output).
    #[arg(long)]
    csv: PathBuf,
    /// Cleaning parameters (RON); the paper's defaults otherwise.
    #[arg(long, value_name = "FILE.ron")]
    config: Option<PathBuf>,
    /// Keep the whole record instead of trimming/padding to the configured length.
    #[arg(long)]
    full: bool,
    /// Signals to write, by name (case-insensitive), e.g. `I,II,V2`. Default: all.
    #[arg(long, value_delimiter = ',')]
    leads: Vec<String>,
    /// Replace the output file if it exists.
    #[arg(long)]
    overwrite: bool,
}

pub fn run(args: &Args) -> anyhow::Result<()> {
    let mut cfg = match &args.config {
        Some(path) => {
            let text =
                std::fs::read_to_string(path).with_context(|| format!("{}", path.display()))?;
            CleanConfig::from_ron(&text).with_context(|| format!("{}", path.display()))?
        }
        None => CleanConfig::default(),
    };
    if args.full {
        cfg.length = OutputLength::Full;
    }
    let record = Record::read(&args.record)?;
    let channels = select_leads(&record, &args.leads)?;
    let names: Vec<&str> = channels.iter().map(|&c| record.signal_names()[c]).collect();
    let signals: Vec<&[f64]> = channels.iter().filter_map(|&c| record.signal(c)).collect();
    let cleaned = clean_leads(&signals, record.fs_hz(), &cfg)
        .with_context(|| format!("{}", record.header.path.display()))?;
    let cleaned: Vec<&[f64]> = cleaned.iter().map(Vec::as_slice).collect();
    output::write_file(&args.csv, args.overwrite, |out| {
        output::write_signals_csv(out, &names, &cleaned, None)
    })?;
    Ok(())
}
