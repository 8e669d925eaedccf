//! `precordial calibrate`: split-conformal uncertainty bands for the models, calibrated on the
//! validation split of their training data and stored beside them (`conformal.json`, hashed in
//! their card). `precordial eval` then reports the bands' coverage on held-out data.

use std::path::PathBuf;

use precordial::eval::conformal::calibrate_models;
use precordial::model::{DeviceChoice, Reconstructor};

use super::train::Console;

#[derive(clap::Args)]
pub struct Args {
    /// The models to calibrate (their card, weights and training.ron).
    #[arg(long, default_value = "models")]
    models: PathBuf,
    /// The folders the models were trained on (the card's data_sources): their validation split
    /// calibrates the bands.
    #[arg(long, required = true, num_args = 1..)]
    data: Vec<PathBuf>,
    /// Nominal miscoverage: the bands aim to hold the recording with probability 1 − alpha.
    #[arg(long, default_value_t = 0.1)]
    alpha: f64,
    #[arg(long, default_value = "auto")]
    device: DeviceChoice,
    /// Replace an existing calibration.
    #[arg(long)]
    overwrite: bool,
}

pub fn run(args: &Args) -> anyhow::Result<()> {
    let models = Reconstructor::load(&args.models, args.device)?;
    let mut console = Console::stopped_by_ctrl_c()?;
    let bands = calibrate_models(
        &args.data,
        &args.models,
        &models,
        args.alpha,
        args.overwrite,
        &mut console,
    )?;
    println!(
        "bands for {:.0} % coverage, calibrated on {} {} windows ({} beats); half-widths in mV:",
        (1.0 - bands.alpha) * 100.0,
        bands.windows,
        bands.calibrated_on,
        bands.beats
    );
    println!("| lead | model | pointwise | whole beat |\n|---|---|---|---|");
    for (lead, models) in &bands.per_lead {
        for (model, band) in models {
            println!(
                "| {lead} | {model} | {:.3} | {:.3} |",
                band.pointwise_mv, band.beat_mv
            );
        }
    }
    Ok(())
}
