//! The command line: parses arguments and hands each subcommand to the library.
//!
//! Errors are reported once, here, as one line on stderr with a non-zero exit code.

mod ablate;
mod bench;
mod bench_model;
mod calibrate;
mod clean;
mod eval;
mod export;
mod inspect;
mod reconstruct;
mod study;
mod train;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "precordial",
    version,
    about = "ECG lead reconstruction workbench: rebuild V1, V3-V6 from leads I, II and V2",
    long_about = None,
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Describe a record or every record in a folder: rate, leads, duration, formats, labels.
    Inspect(inspect::Args),
    /// Write a record's signals in physical units to CSV.
    Export(export::Args),
    /// Clean a record as the paper does (100 Hz, notch, band-pass, baseline, 10 s) and write CSV.
    Clean(clean::Args),
    /// Evaluate models on a dataset split: the paper's tables, affinity, per-class errors, figures.
    Eval(eval::Args),
    /// Train the encoder and the decoders C and C-h; write the models and their model card.
    Train(train::Args),
    /// Train the alternatives to the shipped decoders (per-lead, other input normalisation) on the
    /// same data and compare them on the held-out windows.
    Ablate(ablate::Args),
    /// Calibrate split-conformal uncertainty bands for the models on their validation split.
    Calibrate(calibrate::Args),
    /// Rebuild V1, V3-V6 of a record from I, II, V2 and write all twelve leads as CSV at 100 Hz.
    Reconstruct(reconstruct::Args),
    /// Studies of several training runs: `study curve` (a learning curve over nested subsets).
    #[command(subcommand)]
    Study(study::Command),
    /// Measure throughput against the reference Python tools, and the models per backend.
    #[command(subcommand)]
    Bench(bench::Command),
    /// Open the workbench window (also what `precordial` with no arguments does).
    Gui {
        /// Records (`.hea` or record path) or dataset folders to open; none opens the bundled samples.
        paths: Vec<std::path::PathBuf>,
    },
}

pub fn run() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Some(Command::Inspect(args)) => inspect::run(&args),
        Some(Command::Export(args)) => export::run(&args),
        Some(Command::Clean(args)) => clean::run(&args),
        Some(Command::Eval(args)) => eval::run(&args),
        Some(Command::Train(args)) => train::run(&args),
        Some(Command::Reconstruct(args)) => reconstruct::run(&args),
        Some(Command::Ablate(args)) => ablate::run(&args),
        Some(Command::Calibrate(args)) => calibrate::run(&args),
        Some(Command::Study(command)) => study::run(&command),
        Some(Command::Bench(command)) => bench::run(&command),
        Some(Command::Gui { paths }) => precordial::app::run_native(paths),
        None => precordial::app::run_native(Vec::new()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}
