//! The command line: parses arguments and hands each subcommand to the library.

use std::process::ExitCode;

pub fn run() -> ExitCode {
    ExitCode::SUCCESS
}
