//! `precordial study`: studies made of several training runs. `study curve` trains on nested
//! subsets of the train split and evaluates each on the same held-out records; `study cv` trains
//! once per patient-wise fold and pools the held-out records of all folds.

use std::path::PathBuf;

use precordial::eval::curve::{CurveConfig, learning_curve, markdown};
use precordial::eval::cv::{CvConfig, cross_validate};
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
    /// Patient-wise K-fold cross-validation: train the encoder, C and C-h once per fold, evaluate
    /// each fold's models on its patients (and on --cross-data), and pool: Table II, the paired
    /// tests of C-h against C, the per-class table and the leak-free affinity over every record,
    /// beside each fold's own figures. Each fold's run is resumed where it stopped.
    Cv(CvArgs),
}

#[derive(clap::Args)]
pub struct CvArgs {
    /// The training folders: all their patients are divided into folds.
    #[arg(long, required = true, num_args = 1..)]
    data: Vec<PathBuf>,
    /// Number of folds (at least 3).
    #[arg(long, default_value_t = 5)]
    folds: u8,
    /// A dataset never trained on (LUDB), evaluated whole by every fold's models.
    #[arg(long, num_args = 1..)]
    cross_data: Vec<PathBuf>,
    /// Output folder: a run per fold, their reports, and cv.{md,json}.
    #[arg(long)]
    out: PathBuf,
    /// Training configuration (RON); defaults are METHOD.md's.
    #[arg(long)]
    config: Option<PathBuf>,
    /// auto, gpu or cpu.
    #[arg(long, default_value = "auto")]
    device: DeviceChoice,
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
        Command::Cv(args) => cv(args),
    }
}

fn training_config(path: Option<&PathBuf>) -> anyhow::Result<TrainConfig> {
    Ok(match path {
        Some(path) => card::load_ron::<TrainConfig>(path)?,
        None => TrainConfig::new(),
    })
}

fn cv(args: &CvArgs) -> anyhow::Result<()> {
    let config = CvConfig {
        data: args.data.clone(),
        folds: args.folds,
        cross_data: args.cross_data.clone(),
        train: training_config(args.config.as_ref())?,
        device: args.device,
        out: args.out.clone(),
    };
    let mut console = Console::stopped_by_ctrl_c()?;
    let started = std::time::Instant::now();
    let cv = cross_validate(&config, &mut console)?;
    eprintln!(
        "cross-validation in {}; written to {}",
        duration(started.elapsed().as_secs_f64()),
        args.out.display()
    );
    print!("{}", precordial::eval::cv::markdown(&cv));
    Ok(())
}

fn curve(args: &CurveArgs) -> anyhow::Result<()> {
    let train = training_config(args.config.as_ref())?;
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
