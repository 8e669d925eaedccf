//! `precordial reconstruct`: rebuild V1, V3–V6 of a record, or of every record of folders, and write
//! the twelve leads as CSV or as a WFDB record a clinician can keep.

use std::io::IsTerminal as _;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context as _, bail};
use precordial::model::twelve_lead::ReconstructedEcg;
use precordial::model::{DeviceChoice, ModelVariant, Reconstructor, TARGET_LEADS};
use precordial::output::csv_field;
use precordial::physics::TWELVE_LEADS;
use precordial::wfdb::Record;
use precordial::wfdb::write::{WriteFormat, write_record};

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
        if args.csv.is_some() || args.wfdb.is_some() || args.edf.is_some() {
            bail!("--csv, --wfdb and --edf are for one record; with --out every record goes there");
        }
        return run_batch(args, out, variant, format);
    }
    if args.csv.is_none() && args.wfdb.is_none() && args.edf.is_none() {
        bail!(
            "say where to write: --csv FILE, --wfdb DIR or --edf FILE (or --out DIR for folders)"
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
    let ecg = ReconstructedEcg::from_record(&record, &models, variant)
        .with_context(|| path.display().to_string())?;
    if let Some(csv) = &args.csv {
        let signals: Vec<&[f64]> = ecg.leads.iter().map(Vec::as_slice).collect();
        precordial::output::write_file(csv, args.overwrite, |out| {
            precordial::output::write_signals_csv(out, &TWELVE_LEADS, &signals, None)
        })?;
    }
    if let Some(edf) = &args.edf {
        let transducers: Vec<String> = (0..12)
            .map(|row| match ecg.origin[row] {
                precordial::model::twelve_lead::LeadOrigin::Reconstructed => {
                    format!("estimate: Precordial {}", variant.name())
                }
                precordial::model::twelve_lead::LeadOrigin::Derived => {
                    "derived from I and II".to_owned()
                }
                precordial::model::twelve_lead::LeadOrigin::Recorded => "recorded".to_owned(),
            })
            .collect();
        let labels: Vec<String> = TWELVE_LEADS.iter().map(|l| format!("ECG {l}")).collect();
        let signals: Vec<precordial::wfdb::edf::EdfSignalToWrite> = (0..12)
            .map(|row| precordial::wfdb::edf::EdfSignalToWrite {
                label: &labels[row],
                transducer: &transducers[row],
                samples_mv: &ecg.leads[row],
            })
            .collect();
        let note = format!(
            "V1,V3-V6 reconstructed by {} (card {})",
            variant.name(),
            &models.card_sha256()[..12]
        );
        precordial::wfdb::edf::write(
            edf,
            ReconstructedEcg::FS_HZ,
            &signals,
            &note,
            args.overwrite,
        )?;
        eprintln!("wrote {}", edf.display());
    }
    if let Some(dir) = &args.wfdb {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        let name = output_name(path, variant);
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

/// The written record's name: the input's, with the model (`HR09739_C-h` → `HR09739_ch`).
fn output_name(path: &Path, variant: ModelVariant) -> String {
    let stem = path
        .file_stem()
        .map_or_else(|| "record".to_owned(), |s| s.to_string_lossy().into_owned());
    let stem = stem.strip_suffix(".hea").unwrap_or(&stem).to_owned();
    let model = match variant {
        ModelVariant::C => "c",
        ModelVariant::CH => "ch",
    };
    format!("{stem}_{model}")
}

/// One record's line of the summary.
struct Outcome {
    record: String,
    status: &'static str,
    leads: String,
    rmse_mv: [Option<f64>; 5],
    detail: String,
}

fn run_batch(
    args: &Args,
    out: &Path,
    variant: ModelVariant,
    format: WriteFormat,
) -> anyhow::Result<()> {
    // Every record of every path: (input root's name, header, where its output goes).
    let mut jobs: Vec<(PathBuf, PathBuf)> = Vec::new();
    for root in &args.paths {
        if root.is_dir() {
            let headers = precordial::dataset::scan::list_header_paths(root)?;
            let root_name = root
                .canonicalize()
                .ok()
                .and_then(|p| p.file_name().map(|n| n.to_owned()))
                .unwrap_or_else(|| "records".into());
            for header in headers {
                let relative = header
                    .parent()
                    .and_then(|parent| parent.strip_prefix(root).ok())
                    .map(Path::to_path_buf)
                    .unwrap_or_default();
                jobs.push((header, out.join(&root_name).join(relative)));
            }
        } else {
            jobs.push((
                precordial::wfdb::header::header_path(root),
                out.to_path_buf(),
            ));
        }
    }
    if jobs.is_empty() {
        bail!("no records under {}", args.paths[0].display());
    }
    let summary_path = out.join("summary.csv");
    if summary_path.exists() && !args.overwrite {
        // The summary is rewritten every run; keep the previous one beside it.
        let previous = out.join(format!(
            "summary-{}.csv",
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs())
        ));
        std::fs::rename(&summary_path, &previous)
            .with_context(|| format!("keeping {}", summary_path.display()))?;
    }
    let models = Reconstructor::load(&args.models, args.device)?;
    eprintln!("device: {}; {} records", models.device_name(), jobs.len());
    let started = Instant::now();
    let bar = std::io::stderr().is_terminal();
    let mut outcomes = Vec::with_capacity(jobs.len());
    let mut reconstructed = 0usize;
    for (done, (header, dir)) in jobs.iter().enumerate() {
        let name = output_name(header, variant);
        let record_label = header.display().to_string();
        if bar {
            eprint!("\r[{}/{}] {:60}", done + 1, jobs.len(), record_label);
        }
        if dir.join(format!("{name}.hea")).exists() && !args.overwrite {
            outcomes.push(Outcome {
                record: record_label,
                status: "skipped",
                leads: String::new(),
                rmse_mv: [None; 5],
                detail: "done before (pass --overwrite to redo)".to_owned(),
            });
            continue;
        }
        let result = (|| -> anyhow::Result<Outcome> {
            let record = Record::read(header)?;
            let ecg = ReconstructedEcg::from_record(&record, &models, variant)?;
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
            write_record(
                dir,
                &ecg.to_wfdb(&name, models.card_sha256(), &record_label, format),
                args.overwrite,
            )?;
            Ok(Outcome {
                record: record_label.clone(),
                status: "ok",
                leads: ecg.record_leads.join(" "),
                rmse_mv: ecg.target_rmse_mv(),
                detail: String::new(),
            })
        })();
        match result {
            Ok(outcome) => {
                reconstructed += 1;
                outcomes.push(outcome);
            }
            Err(err) => outcomes.push(Outcome {
                record: record_label.clone(),
                status: "failed",
                leads: String::new(),
                rmse_mv: [None; 5],
                detail: format!("{err:#}"),
            }),
        }
    }
    let seconds = started.elapsed().as_secs_f64();
    if bar {
        eprintln!();
    }
    write_summary(&summary_path, &outcomes, variant)?;
    let failed: Vec<&Outcome> = outcomes.iter().filter(|o| o.status == "failed").collect();
    let skipped = outcomes.iter().filter(|o| o.status == "skipped").count();
    eprintln!(
        "{reconstructed} reconstructed, {skipped} skipped, {} failed in {seconds:.1} s ({:.1} records/s); summary: {}",
        failed.len(),
        reconstructed as f64 / seconds.max(1e-9),
        summary_path.display()
    );
    for outcome in &failed {
        eprintln!("failed: {}: {}", outcome.record, outcome.detail);
    }
    Ok(())
}

fn write_summary(path: &Path, outcomes: &[Outcome], variant: ModelVariant) -> anyhow::Result<()> {
    let mut text = "record,status,model,leads_in_record".to_owned();
    for lead in TARGET_LEADS {
        text.push_str(&format!(",rmse_{lead}_mv"));
    }
    text.push_str(",detail\n");
    for o in outcomes {
        text.push_str(&format!(
            "{},{},{},{}",
            csv_field(&o.record),
            o.status,
            variant.name(),
            csv_field(&o.leads)
        ));
        for rmse in o.rmse_mv {
            text.push(',');
            if let Some(rmse) = rmse {
                text.push_str(&format!("{rmse:.5}"));
            }
        }
        text.push_str(&format!(",{}\n", csv_field(&o.detail)));
    }
    precordial::output::write_file(path, true, |w| w.write_all(text.as_bytes()))?;
    Ok(())
}
