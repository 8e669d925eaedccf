//! `precordial reconstruct`: rebuild V1, V3–V6 of a record and write all twelve leads as CSV.

use std::path::PathBuf;

use anyhow::bail;
use precordial::model::{DeviceChoice, ModelVariant, Reconstructor};
use precordial::prep::{clean_named_lead, missing_inputs};
use precordial::wfdb::Record;

#[derive(Clone, Copy, clap::ValueEnum)]
pub enum Variant {
    /// Decoder C (input window only).
    C,
    /// Decoder C-h (input window and pathology embedding).
    Ch,
}

#[derive(clap::Args)]
pub struct Args {
    /// Record header, with or without `.hea`.
    record: PathBuf,
    /// Folder with the trained models and their model card.
    #[arg(long, default_value = "models")]
    models: PathBuf,
    /// Output CSV file (`-` for standard output): I, II, III, aVR, aVL, aVF, V1..V6 at 100 Hz.
    #[arg(long)]
    csv: PathBuf,
    /// Which decoder rebuilds the leads.
    #[arg(long = "model", value_enum, default_value = "ch")]
    variant: Variant,
    /// auto, gpu or cpu.
    #[arg(long, default_value = "auto")]
    device: DeviceChoice,
    /// Replace the output file if it exists.
    #[arg(long)]
    overwrite: bool,
}

pub const COLUMNS: [&str; 12] = [
    "I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6",
];

pub fn run(args: &Args) -> anyhow::Result<()> {
    if args.csv.exists() && !args.overwrite && args.csv != std::path::Path::new("-") {
        bail!(
            "{}: file exists (pass --overwrite to replace it)",
            args.csv.display()
        );
    }
    let record = Record::read(&args.record)?;
    let missing = missing_inputs(&record);
    if !missing.is_empty() {
        bail!(
            "{}: lacks input lead{} {} (needs I, II and V2; has {})",
            args.record.display(),
            if missing.len() > 1 { "s" } else { "" },
            missing.join(", "),
            record.signal_names().join(", ")
        );
    }
    let clean = |name: &str| clean_named_lead(&record, name);
    let (Some(lead_i), Some(lead_ii), Some(lead_v2)) = (clean("I")?, clean("II")?, clean("V2")?)
    else {
        bail!("{}: could not read leads I, II, V2", args.record.display());
    };
    let models = Reconstructor::load(&args.models, args.device)?;
    eprintln!("device: {}", models.device_name());
    let variant = match args.variant {
        Variant::C => ModelVariant::C,
        Variant::Ch => ModelVariant::CH,
    };
    let rebuilt = models.reconstruct([&lead_i, &lead_ii, &lead_v2], variant)?;
    let n = lead_i.len();
    let derived = |f: &dyn Fn(f64, f64) -> f64| -> Vec<f64> {
        lead_i
            .iter()
            .zip(&lead_ii)
            .map(|(&a, &b)| f(a, b))
            .collect()
    };
    // Limb leads: measured (cleaned) where the record has them, else derived from I and II.
    let mut limb = Vec::new();
    for (name, f) in [
        (
            "III",
            &(|i: f64, ii: f64| ii - i) as &dyn Fn(f64, f64) -> f64,
        ),
        ("aVR", &|i: f64, ii: f64| -(i + ii) / 2.0),
        ("aVL", &|i: f64, ii: f64| i - ii / 2.0),
        ("aVF", &|i: f64, ii: f64| ii - i / 2.0),
    ] {
        let mut lead = clean(name)?.unwrap_or_else(|| derived(f));
        lead.resize(n, f64::NAN);
        limb.push(lead);
    }
    let signals: Vec<&[f64]> = vec![
        &lead_i,
        &lead_ii,
        &limb[0],
        &limb[1],
        &limb[2],
        &limb[3],
        &rebuilt[0],
        &lead_v2,
        &rebuilt[1],
        &rebuilt[2],
        &rebuilt[3],
        &rebuilt[4],
    ];
    precordial::output::write_file(&args.csv, args.overwrite, |out| {
        precordial::output::write_signals_csv(out, &COLUMNS, &signals, None)
    })?;
    Ok(())
}
