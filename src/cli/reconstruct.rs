//! `precordial reconstruct`: rebuild V1, V3–V6 of a record, or of every record of folders, and write
//! the twelve leads as CSV or as a WFDB record a clinician can keep.

use std::io::IsTerminal as _;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};
use precordial::model::{DeviceChoice, ModelVariant, Reconstructor};
use precordial::physics::TWELVE_LEADS;
use precordial::printout::ecg::{EcgReport, Layout, ReportOptions, twelve_lead_page};
use precordial::printout::{Paper, write_page};
use precordial::wfdb::Record;
use precordial::wfdb::write::{WriteFormat, write_record};
use precordial::worker::batch::{BatchRequest, RecordStatus, reconstruct_folders};

#[derive(Clone, Copy, clap::ValueEnum)]
pub enum Variant {
    /// Decoder C (input window only).
    C,
    /// Decoder C-h (input window and pathology embedding).
    Ch,
}

#[derive(Clone, Copy, clap::ValueEnum)]
pub enum FormatArg {
    /// 16-bit samples, 1 µV steps (±32.8 mV).
    #[value(name = "16")]
    F16,
    /// 12-bit samples packed in pairs, 5 µV steps (±10.2 mV).
    #[value(name = "212")]
    F212,
}

#[derive(Clone, Copy, clap::ValueEnum)]
pub enum PaperArg {
    A4,
    Letter,
}

#[derive(Clone, Copy, clap::ValueEnum)]
pub enum LayoutArg {
    #[value(name = "3x4")]
    ThreeByFour,
    #[value(name = "12x1")]
    TwelveByOne,
}

#[derive(clap::Args)]
pub struct Args {
    /// A record (WFDB header, with or without `.hea`; an EDF file; or a CSV of lead columns with
    /// --fs), or folders whose every record is reconstructed (then give --out).
    #[arg(required = true, num_args = 1..)]
    paths: Vec<PathBuf>,
    /// Folder with the trained models and their model card.
    #[arg(long, default_value = "models")]
    models: PathBuf,
    /// One record: write I, II, III, aVR, aVL, aVF, V1..V6 at 100 Hz as CSV (`-`: standard output).
    #[arg(long)]
    csv: Option<PathBuf>,
    /// One record: write the 12 leads as a WFDB record `<record>_<model>` into this folder.
    #[arg(long)]
    wfdb: Option<PathBuf>,
    /// One record: write the 12 leads as an EDF+ file (rebuilt leads marked in their transducer
    /// field and an annotation).
    #[arg(long)]
    edf: Option<PathBuf>,
    /// One record: write the 12-lead report on ECG paper (25 mm/s, 10 mm/mV) as PDF or PNG, by the
    /// file's extension.
    #[arg(long)]
    report: Option<PathBuf>,
    /// The report's paper size (landscape).
    #[arg(long, value_enum, default_value = "a4")]
    paper: PaperArg,
    /// The report's layout: 3x4 with a lead II rhythm strip, or 12x1.
    #[arg(long, value_enum, default_value = "3x4")]
    layout: LayoutArg,
    /// Where the report's 10 s start in the record (s).
    #[arg(long, default_value_t = 0.0)]
    start: f64,
    /// Folders: write each record's reconstruction as WFDB under this folder (the input folders'
    /// layout kept) and a summary.csv; records already done are skipped unless --overwrite.
    #[arg(long)]
    out: Option<PathBuf>,
    /// WFDB signal format.
    #[arg(long, value_enum, default_value = "16")]
    format: FormatArg,
    /// Which decoder rebuilds the leads.
    #[arg(long = "model", value_enum, default_value = "ch")]
    variant: Variant,
    /// auto, gpu or cpu.
    #[arg(long, default_value = "auto")]
    device: DeviceChoice,
    /// A CSV input's sampling rate (Hz): CSV carries none.
    #[arg(long)]
    fs: Option<f64>,
    /// A CSV input's units (mV or uV).
    #[arg(long, default_value = "mV")]
    units: String,
    /// Replace outputs that exist.
    #[arg(long)]
    overwrite: bool,
}

pub fn run(args: &Args) -> anyhow::Result<()> {
    let variant = match args.variant {
        Variant::C => ModelVariant::C,
        Variant::Ch => ModelVariant::CH,
    };
    let format = match args.format {
        FormatArg::F16 => WriteFormat::Format16,
        FormatArg::F212 => WriteFormat::Format212,
    };
    let batch = args.out.is_some() || args.paths.len() > 1 || args.paths.iter().any(|p| p.is_dir());
    if batch {
        let Some(out) = &args.out else {
            bail!("reconstructing folders or several records needs --out DIR");
        };
        if args.csv.is_some() || args.wfdb.is_some() || args.edf.is_some() || args.report.is_some()
        {
            bail!(
                "--csv, --wfdb, --edf and --report are for one record; with --out every record goes there"
            );
        }
        return run_batch(args, out, variant, format);
    }
    if args.csv.is_none() && args.wfdb.is_none() && args.edf.is_none() && args.report.is_none() {
        bail!(
            "say where to write: --csv FILE, --wfdb DIR, --edf FILE or --report FILE.pdf|.png (or --out DIR for folders)"
        );
    }
    if let Some(report) = &args.report
        && report.exists()
        && !args.overwrite
    {
        // Before the models load and the record is rebuilt.
        bail!(
            "{}: file exists (pass --overwrite to replace it)",
            report.display()
        );
    }
    if let Some(csv) = &args.csv
        && csv.exists()
        && !args.overwrite
        && csv != Path::new("-")
    {
        bail!(
            "{}: file exists (pass --overwrite to replace it)",
            csv.display()
        );
    }
    let path = &args.paths[0];
    let is_csv = path
        .extension()
        .is_some_and(|extension| extension.eq_ignore_ascii_case("csv"));
    let record = if is_csv {
        let Some(fs_hz) = args.fs else {
            bail!(
                "{}: a CSV carries no sampling rate: give the device's with --fs HZ",
                path.display()
            );
        };
        precordial::wfdb::csv_input::read(path, fs_hz, &args.units)?
    } else {
        Record::read(path)?
    };
    if args.report.is_some() && !(args.start >= 0.0 && args.start < record.duration_s()) {
        bail!(
            "{}: --start {} s is outside the record ({:.1} s long)",
            path.display(),
            args.start,
            record.duration_s()
        );
    }
    if !precordial::prep::missing_inputs(&record).is_empty() {
        // The models are not needed to refuse this: say it before loading them.
        let missing = precordial::prep::missing_inputs(&record);
        bail!(
            "{}: lacks input lead{} {} (needs I, II and V2; has {})",
            path.display(),
            if missing.len() > 1 { "s" } else { "" },
            missing.join(", "),
            record.signal_names().join(", ")
        );
    }
    let models = Reconstructor::load(&args.models, args.device)?;
    eprintln!("device: {}", models.device_name());
    // The bands are verified whatever is written, but only the report draws them: attaching them
    // runs the other model too, for nothing when no report is asked for.
    let bands = precordial::eval::conformal::load_bands(&models, &args.models)?;
    let ecg = precordial::eval::conformal::reconstruct_with_bands(
        &record,
        &models,
        variant,
        bands.as_ref().filter(|_| args.report.is_some()),
    )
    .with_context(|| path.display().to_string())?;
    if let Some(csv) = &args.csv {
        let signals: Vec<&[f64]> = ecg.leads.iter().map(Vec::as_slice).collect();
        precordial::output::write_file(csv, args.overwrite, |out| {
            precordial::output::write_signals_csv(out, &TWELVE_LEADS, &signals, None)
        })?;
    }
    if let Some(edf) = &args.edf {
        ecg.write_edf(edf, models.card_sha256(), args.overwrite)?;
        eprintln!("wrote {}", edf.display());
    }
    if let Some(path) = &args.report {
        let report = EcgReport::new(&ecg, &record, models.card(), models.card_sha256());
        let options = ReportOptions {
            paper: match args.paper {
                PaperArg::A4 => Paper::A4,
                PaperArg::Letter => Paper::Letter,
            },
            layout: match args.layout {
                LayoutArg::ThreeByFour => Layout::ThreeByFour,
                LayoutArg::TwelveByOne => Layout::TwelveByOne,
            },
            start_s: args.start,
        };
        write_page(path, &twelve_lead_page(&report, &options), args.overwrite)?;
        eprintln!("wrote {}", path.display());
    }
    if let Some(dir) = &args.wfdb {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        let name = precordial::model::twelve_lead::reconstruction_name(path, variant);
        let header = write_record(
            dir,
            &ecg.to_wfdb(
                &name,
                models.card_sha256(),
                &path.display().to_string(),
                format,
            ),
            args.overwrite,
        )?;
        eprintln!("wrote {}", header.display());
    }
    Ok(())
}

fn run_batch(
    args: &Args,
    out: &Path,
    variant: ModelVariant,
    format: WriteFormat,
) -> anyhow::Result<()> {
    let models = Reconstructor::load(&args.models, args.device)?;
    let bands = precordial::eval::conformal::load_bands(&models, &args.models)?;
    eprintln!("device: {}", models.device_name());
    let request = BatchRequest {
        paths: args.paths.clone(),
        out: out.to_path_buf(),
        variant,
        format,
        overwrite: args.overwrite,
    };
    // A progress line on a terminal, nothing in a log.
    let bar = std::io::stderr().is_terminal();
    let mut progress = |text: &str| {
        if bar {
            eprint!("\r{text:80.80}");
        }
    };
    let summary = reconstruct_folders(&request, &models, bands.as_ref(), &mut progress)?;
    if bar {
        eprintln!();
    }
    eprintln!("{}", summary.describe());
    for outcome in summary
        .outcomes
        .iter()
        .filter(|o| o.status == RecordStatus::Failed)
    {
        eprintln!("failed: {}: {}", outcome.record, outcome.detail);
    }
    Ok(())
}
