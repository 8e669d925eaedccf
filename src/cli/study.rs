//! `precordial study`: studies made of several training runs. `study curve` trains on nested
//! subsets of the train split and evaluates each on the same held-out records.

use std::path::PathBuf;

use precordial::eval::curve::{CurveConfig, learning_curve, markdown};
use precordial::model::DeviceChoice;
use precordial::model::card;
use precordial::model::train::TrainConfig;

use super::train::{Console, duration};

#[derive(clap::Subcommand)]
pub enum Command {
    /// A learning curve: train the encoder, C and C-h on nested fractions of the train split's
    /// patients, evaluate each on the test split (and on --cross-data), and tabulate and plot
    /// held-out RMSE, the paired test of C-h against C, and the leak-free affinity against the
    /// number of training patients. Each fraction's run is resumed where it stopped.
    Curve(CurveArgs),
}

#[derive(clap::Args)]
pub struct CurveArgs {
    /// The training folders (their test split is the held-out set).
    #[arg(long, required = true, num_args = 1..)]
    data: Vec<PathBuf>,
    /// Fractions of the train split's patients, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "0.25,0.5,1")]
    fractions: Vec<f64>,
    /// A dataset never trained on (LUDB), evaluated whole at every point.
    #[arg(long, num_args = 1..)]
    cross_data: Vec<PathBuf>,
    /// Output folder: a run per fraction, their reports, and curve.{md,json,svg,png}.
    #[arg(long)]
    out: PathBuf,
    /// Training configuration (RON); defaults are METHOD.md's.
    #[arg(long)]
    config: Option<PathBuf>,
    /// auto, gpu or cpu.
    #[arg(long, default_value = "auto")]
    device: DeviceChoice,
}

pub fn run(command: &Command) -> anyhow::Result<()> {
    match command {
        Command::Curve(args) => curve(args),
    }
}

fn curve(args: &CurveArgs) -> anyhow::Result<()> {
    let train = match &args.config {
        Some(path) => card::load_ron::<TrainConfig>(path)?,
        None => TrainConfig::new(),
    };
    let config = CurveConfig {
        data: args.data.clone(),
        fractions: args.fractions.clone(),
        cross_data: args.cross_data.clone(),
        train,
        device: args.device,
        out: args.out.clone(),
    };
    let mut console = Console::stopped_by_ctrl_c()?;
    let started = std::time::Instant::now();
    let curve = learning_curve(&config, &mut console)?;
    eprintln!(
        "learning curve in {}; written to {}",
        duration(started.elapsed().as_secs_f64()),
        args.out.display()
    );
    print!("{}", markdown(&curve));
    Ok(())
}
