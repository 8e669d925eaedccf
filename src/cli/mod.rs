//! The command line: parses arguments and hands each subcommand to the library.
//!
//! Errors are reported once, here, as one line on stderr with a non-zero exit code.

mod bench;
mod clean;
mod export;
mod inspect;

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
    /// Measure throughput against the reference Python tools.
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
