//! The evaluation job: `precordial eval`'s engine ([`crate::eval::run::evaluate`]) over a dataset
//! split with the loaded models, reporting to the job's progress and stopped by its cancel flag
//! (the job context is the evaluation's [`Progress`](crate::progress::Progress)), and the report
//! optionally written to a folder (never over an existing one).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::reconstruct::LoadedModels;
use super::{Job, JobContext};
use crate::eval::run::{EvalConfig, evaluate};
use crate::eval::{EvalError, EvalReport};

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

/// Evaluate the models on a dataset split, as `precordial eval` does; the report is written to
/// `out_dir` when given (never over an existing report).
pub struct Evaluate {
    pub config: EvalConfig,
    pub models: Arc<LoadedModels>,
    /// The folder the models were loaded from (their card and training configuration).
    pub models_dir: PathBuf,
    pub out_dir: Option<PathBuf>,
}

/// An evaluation's report, and where it went.
#[derive(Debug)]
pub struct Evaluated {
    pub report: EvalReport,
    /// The `report.json` written; `None` when the report is kept in memory only.
    pub path: Option<PathBuf>,
    /// Why the report could not be written (the report itself is still good).
    pub write_error: Option<String>,
}

impl Job for Evaluate {
    type Output = Evaluated;
    type Update = ();

    fn describe(&self) -> String {
        match self.config.split {
            Some(split) => format!("Evaluating the {} split", split.name()),
            None => "Evaluating every record".to_owned(),
        }
    }

    fn run(self, context: &JobContext) -> Result<Option<Evaluated>, String> {
        run(
            &self.config,
            &self.models,
            &self.models_dir,
            self.out_dir.as_deref(),
            context,
        )
    }
}

fn run(
    config: &EvalConfig,
    models: &Arc<LoadedModels>,
    models_dir: &Path,
    out_dir: Option<&Path>,
    context: &JobContext,
) -> Result<Option<Evaluated>, String> {
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
    Ok(Some(Evaluated {
        report,
        path,
        write_error,
    }))
}

/// Read an evaluation report (`report.json` written by `precordial eval`, or the folder holding it).
pub struct LoadReport {
    pub path: PathBuf,
}

/// A report read from disk.
#[derive(Debug)]
pub struct ReportRead {
    /// The file read.
    pub path: PathBuf,
    pub report: EvalReport,
}

impl Job for LoadReport {
    type Output = ReportRead;
    type Update = ();

    fn describe(&self) -> String {
        format!("Reading {}", self.path.display())
    }

    fn run(self, _context: &JobContext) -> Result<Option<ReportRead>, String> {
        let (path, report) = read_json(self.path, "report.json", "an evaluation report")?;
        Ok(Some(ReportRead { path, report }))
    }
}

/// What a study command writes as JSON: `curve.json` of `study curve`, `cv.json` of `study cv`.
pub trait StudyFile: serde::de::DeserializeOwned + Send + 'static {
    /// The file the command writes into its output folder.
    const FILE: &'static str;
    /// What it is, for errors.
    const WHAT: &'static str;
}

impl StudyFile for crate::eval::curve::LearningCurve {
    const FILE: &'static str = "curve.json";
    const WHAT: &'static str = "a learning curve";
}

impl StudyFile for crate::eval::cv::CrossValidation {
    const FILE: &'static str = "cv.json";
    const WHAT: &'static str = "a cross-validation";
}

/// Read what a study command wrote (its JSON file or the folder holding it).
pub struct LoadStudy<T> {
    pub path: PathBuf,
    kind: std::marker::PhantomData<fn() -> T>,
}

impl<T> LoadStudy<T> {
    pub fn new(path: PathBuf) -> Self {
        Self {
            path,
            kind: std::marker::PhantomData,
        }
    }
}

/// A study read from disk, and the file it came from.
#[derive(Debug)]
pub struct StudyRead<T> {
    pub path: PathBuf,
    pub study: T,
}

impl<T: StudyFile> Job for LoadStudy<T> {
    type Output = StudyRead<T>;
    type Update = ();

    fn describe(&self) -> String {
        format!("Reading {}", self.path.display())
    }

    fn run(self, _context: &JobContext) -> Result<Option<StudyRead<T>>, String> {
        let (path, study) = read_json(self.path, T::FILE, T::WHAT)?;
        Ok(Some(StudyRead { path, study }))
    }
}

/// Reads `path` as JSON of type `T`, or `path/default_file` when `path` is the folder a command
/// wrote; a file that is not `what` is an error naming it.
fn read_json<T: serde::de::DeserializeOwned>(
    path: PathBuf,
    default_file: &str,
    what: &str,
) -> Result<(PathBuf, T), String> {
    let file = if path.is_dir() {
        path.join(default_file)
    } else {
        path
    };
    let text =
        std::fs::read_to_string(&file).map_err(|err| format!("{}: {err}", file.display()))?;
    let value = serde_json::from_str(&text)
        .map_err(|err| format!("{}: not {what}: {err}", file.display()))?;
    Ok((file, value))
}
