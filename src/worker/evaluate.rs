//! The evaluation job: `precordial eval`'s engine ([`crate::eval::run::evaluate`]) over a dataset
//! split with the loaded models, reporting to the job's progress and stopped by its cancel flag
//! (the job context is the evaluation's [`Progress`](crate::progress::Progress)), and the report
//! optionally written to a folder (never over an existing one).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::reconstruct::LoadedModels;
use super::{JobContext, JobOutput};
use crate::eval::EvalError;
use crate::eval::run::{EvalConfig, evaluate};

/// The files whose presence marks a folder as holding a report (`report.json` and `report.md` are
/// written first and always).
const REPORT_FILES: [&str; 2] = ["report.json", "report.md"];

/// The report file already in `dir`, if any: an evaluation never replaces a user's report.
pub fn existing_report(dir: &Path) -> Option<PathBuf> {
    REPORT_FILES
        .iter()
        .map(|name| dir.join(name))
        .find(|path| path.exists())
}

/// The message for a folder that already holds a report.
pub fn report_exists_message(existing: &Path) -> String {
    format!(
        "{} exists: an evaluation never replaces a report; choose another output folder (or leave it empty to keep the result in the workbench only)",
        existing.display()
    )
}

pub(super) fn run(
    config: &EvalConfig,
    models: &Arc<LoadedModels>,
    models_dir: &Path,
    out_dir: Option<&Path>,
    context: &JobContext,
) -> Result<Option<JobOutput>, String> {
    // Checked before the run as well as by the write, so a long evaluation is not wasted.
    if let Some(existing) = out_dir.and_then(existing_report) {
        return Err(report_exists_message(&existing));
    }
    if context.cancel_requested() {
        return Ok(None);
    }
    context.set_message("waiting for the models");
    let mut progress = context;
    let outcome = models.with_models(|reconstructor| {
        evaluate(config, Some((reconstructor, models_dir)), &mut progress)
    });
    let report = match outcome {
        Ok(report) => report,
        Err(EvalError::Cancelled) => return Ok(None),
        Err(err) => return Err(format!("evaluation: {err}")),
    };
    // A report that cannot be written is still shown: the evaluation is not thrown away.
    let (path, write_error) = match out_dir {
        None => (None, None),
        Some(dir) => {
            context.set_message(&format!("writing the report to {}", dir.display()));
            match report.write(dir, false) {
                Ok(_) => (Some(dir.join("report.json")), None),
                Err(err) => (
                    None,
                    Some(match existing_report(dir) {
                        Some(existing) => report_exists_message(&existing),
                        None => format!("the report was not written: {err}"),
                    }),
                ),
            }
        }
    };
    context.set_progress(1.0);
    Ok(Some(JobOutput::Report {
        path,
        report: Box::new(report),
        write_error,
    }))
}
