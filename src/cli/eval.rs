//! `precordial eval`: the paper's evaluation of the shipped (or any) models on a dataset split.

use std::io::{IsTerminal as _, Write as _};
use std::path::PathBuf;

use precordial::eval::run::{EvalConfig, evaluate};
use precordial::model::{DeviceChoice, Reconstructor};
use precordial::prep::Split;
use precordial::progress::Progress;

#[derive(clap::Args)]
pub struct Args {
    /// Folder of trained models (with `card.json`).
    #[arg(long, default_value = "models")]
    models: PathBuf,
    /// Dataset folders (PTB-XL, Challenge, CODE-15, PTB, any WFDB folder).
    #[arg(long, required = true, num_args = 1..)]
    data: Vec<PathBuf>,
    /// Which split to evaluate: the patient-wise split the models were trained with, or `all` for a
    /// dataset the models never saw (then give `--reference`).
    #[arg(long, value_enum, default_value_t = SplitArg::Test)]
    split: SplitArg,
    /// The models' training data: its train split fits quality control and the least-squares
    /// baseline (default: the `--data` folders themselves).
    #[arg(long, num_args = 1..)]
    reference: Vec<PathBuf>,
    /// Folder for report.md, report.json, CSVs and figures.
    #[arg(long)]
    out: PathBuf,
    /// Bad leads a window may have before quality control rejects it (default: as the models were
    /// trained, from their `training.ron`).
    #[arg(long)]
    qc_max_bad_leads: Option<usize>,
    /// Neighbours for the class-affinity matrices.
    #[arg(long, default_value_t = 10)]
    k: usize,
    /// auto (a hardware GPU if present, else the CPU), gpu or cpu.
    #[arg(long, default_value = "auto")]
    device: DeviceChoice,
    /// Replace an existing report in `--out`.
    #[arg(long)]
    overwrite: bool,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum SplitArg {
    Train,
    Val,
    Test,
    All,
}

/// Stage lines with the elapsed time on stderr; on a terminal, also a progress bar redrawn in place.
struct Console {
    started: std::time::Instant,
    bar: bool,
    stage: String,
}

impl Console {
    fn clear_bar(&self) {
        if self.bar {
            eprint!("\r{:80}\r", "");
        }
    }
}

impl Progress for Console {
    fn message(&mut self, message: &str) {
        self.clear_bar();
        eprintln!(
            "[{:>6.1} s] {message}",
            self.started.elapsed().as_secs_f64()
        );
        self.stage = message.chars().take(40).collect();
    }

    fn fraction(&mut self, done: f32) {
        if !self.bar {
            return;
        }
        let width = 30;
        let filled = ((done.clamp(0.0, 1.0) * width as f32) as usize).min(width);
        eprint!(
            "\r[{}{}] {:>3.0} % {:<40}",
            "#".repeat(filled),
            "-".repeat(width - filled),
            done * 100.0,
            self.stage
        );
        std::io::stderr().flush().ok();
    }
}

pub fn run(args: &Args) -> anyhow::Result<()> {
    let models = Reconstructor::load(&args.models, args.device)?;
    eprintln!(
        "models: {} on {}",
        args.models.display(),
        models.device_name()
    );
    let config = EvalConfig {
        data: args.data.clone(),
        split: match args.split {
            SplitArg::Train => Some(Split::Train),
            SplitArg::Val => Some(Split::Val),
            SplitArg::Test => Some(Split::Test),
            SplitArg::All => None,
        },
        reference: args.reference.clone(),
        k: args.k,
        qc_max_bad_leads: args.qc_max_bad_leads,
        ..EvalConfig::default()
    };
    let started = std::time::Instant::now();
    let mut progress = Console {
        started,
        bar: std::io::stderr().is_terminal(),
        stage: String::new(),
    };
    let report = evaluate(&config, Some((&models, &args.models)), &mut progress)?;
    progress.clear_bar();
    let written = report.write(&args.out, args.overwrite)?;
    eprintln!(
        "[{:>6.1} s] wrote {} files to {}",
        started.elapsed().as_secs_f64(),
        written.len(),
        args.out.display()
    );
    print!("{}", report.markdown());
    Ok(())
}
