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

/// What every study takes: the data, a dataset never trained on, the output, the configuration.
#[derive(clap::Args)]
pub struct StudyArgs {
    /// The training folders; their patients are split as the study says.
    #[arg(long, required = true, num_args = 1..)]
    data: Vec<PathBuf>,
    /// A dataset never trained on (LUDB), evaluated whole by every run's models.
    #[arg(long, num_args = 1..)]
    cross_data: Vec<PathBuf>,
    /// Output folder: one folder per training run with its reports, and the study's summary.
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
pub struct CvArgs {
    #[command(flatten)]
    study: StudyArgs,
    /// Number of folds (at least 3).
    #[arg(long, default_value_t = 5)]
    folds: u8,
}

#[derive(clap::Args)]
pub struct CurveArgs {
    #[command(flatten)]
    study: StudyArgs,
    /// Fractions of the train split's patients, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "0.25,0.5,1")]
    fractions: Vec<f64>,
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
    let study = &args.study;
    let config = CvConfig {
        data: study.data.clone(),
        folds: args.folds,
        cross_data: study.cross_data.clone(),
        train: training_config(study.config.as_ref())?,
        device: study.device,
        out: study.out.clone(),
    };
    run_study("cross-validation", &study.out, |console| {
        let cv = cross_validate(&config, console)?;
        Ok(precordial::eval::cv::markdown(&cv))
    })
}

fn curve(args: &CurveArgs) -> anyhow::Result<()> {
    let study = &args.study;
    let config = CurveConfig {
        data: study.data.clone(),
        fractions: args.fractions.clone(),
        cross_data: study.cross_data.clone(),
        train: training_config(study.config.as_ref())?,
        device: study.device,
        out: study.out.clone(),
    };
    run_study("learning curve", &study.out, |console| {
        let curve = learning_curve(&config, console)?;
        Ok(markdown(&curve))
    })
}

/// Runs a study with Ctrl-C stopping it, says how long it took, and prints its tables.
fn run_study(
    name: &str,
    out: &std::path::Path,
    study: impl FnOnce(&mut Console) -> anyhow::Result<String>,
) -> anyhow::Result<()> {
    let mut console = Console::stopped_by_ctrl_c()?;
    let started = std::time::Instant::now();
    let tables = study(&mut console)?;
    eprintln!(
        "{name} in {}; written to {}",
        duration(started.elapsed().as_secs_f64()),
        out.display()
    );
    print!("{tables}");
    Ok(())
}
