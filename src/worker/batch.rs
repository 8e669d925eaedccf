//! Reconstructing every record of folders: each record's 12-lead written as WFDB under an output
//! folder (the input folders' layout kept), what was done before skipped, a bad record listed and
//! passed, and a `summary.csv` per run. The command line (`precordial reconstruct DIR... --out`)
//! and the workbench's batch job run this one implementation.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use super::reconstruct::{LeadReconstructor, LoadedModels};
use super::{Job, JobContext};
use crate::eval::conformal::{ConformalBands, reconstruct_with_bands};
use crate::model::twelve_lead::reconstruction_name;
use crate::model::{ModelVariant, Reconstructor, TARGET_LEADS};
use crate::output::csv_field;
use crate::progress::Progress;
use crate::wfdb::Record;
use crate::wfdb::write::{WriteFormat, write_record};

/// What to reconstruct, and where to.
#[derive(Clone, Debug)]
pub struct BatchRequest {
    /// Folders (every record below them) or single records.
    pub paths: Vec<PathBuf>,
    pub out: PathBuf,
    pub variant: ModelVariant,
    pub format: WriteFormat,
    /// Redo records done before (else they are skipped).
    pub overwrite: bool,
}

/// What happened to one record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RecordStatus {
    Ok,
    Skipped,
    Failed,
}

impl RecordStatus {
    fn name(self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::Skipped => "skipped",
            Self::Failed => "failed",
        }
    }
}

/// One record's line of the summary.
#[derive(Clone, Debug)]
pub struct RecordOutcome {
    pub record: String,
    pub status: RecordStatus,
    pub leads: String,
    /// Each rebuilt lead's RMSE (mV) against the recording, where the record has it.
    pub rmse_mv: [Option<f64>; 5],
    /// Each rebuilt lead's mean band half-width (mV) and how many of its stretches were flagged
    /// wide, where the models are calibrated.
    pub band_mv: [Option<(f64, usize)>; 5],
    pub detail: String,
}

/// A finished (or cancelled) run.
#[derive(Clone, Debug)]
pub struct BatchSummary {
    pub outcomes: Vec<RecordOutcome>,
    pub seconds: f64,
    pub summary_path: PathBuf,
    /// Stopped before the last record; the summary lists what was done.
    pub cancelled: bool,
}

impl BatchSummary {
    pub fn count(&self, status: RecordStatus) -> usize {
        self.outcomes.iter().filter(|o| o.status == status).count()
    }

    /// One line: how many were rebuilt, skipped and failed, how fast, where the summary is.
    pub fn describe(&self) -> String {
        let reconstructed = self.count(RecordStatus::Ok);
        format!(
            "{reconstructed} reconstructed, {} skipped, {} failed in {:.1} s ({:.1} records/s){}; summary: {}",
            self.count(RecordStatus::Skipped),
            self.count(RecordStatus::Failed),
            self.seconds,
            reconstructed as f64 / self.seconds.max(1e-9),
            if self.cancelled { ", cancelled" } else { "" },
            self.summary_path.display()
        )
    }
}

/// A batch that could not start or finish (not a bad record: those are listed and passed).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct BatchError(pub String);

/// Every record of every path: (header, folder its output goes to).
fn list_jobs(request: &BatchRequest) -> Result<Vec<(PathBuf, PathBuf)>, BatchError> {
    let mut jobs = Vec::new();
    for root in &request.paths {
        if root.is_dir() {
            let headers = crate::dataset::scan::list_header_paths(root)
                .map_err(|e| BatchError(e.to_string()))?;
            let root_name = root
                .canonicalize()
                .ok()
                .and_then(|p| p.file_name().map(|n| n.to_owned()))
                .unwrap_or_else(|| "records".into());
            for header in headers {
                let relative = header
                    .parent()
                    .and_then(|parent| parent.strip_prefix(root).ok())
                    .map(Path::to_path_buf)
                    .unwrap_or_default();
                jobs.push((header, request.out.join(&root_name).join(relative)));
            }
        } else {
            jobs.push((
                crate::wfdb::header::header_path(root),
                request.out.to_path_buf(),
            ));
        }
    }
    if jobs.is_empty() {
        let first = request.paths.first().map(|p| p.display().to_string());
        return Err(BatchError(format!(
            "no records under {}",
            first.unwrap_or_default()
        )));
    }
    Ok(jobs)
}

/// Reconstructs every record of `request` with `models`, and with their calibrated `bands` (both
/// models then run: the adaptive band needs their disagreement) states each lead's band in the
/// summary. Stops between records when `progress` is cancelled, and writes the summary of what was
/// done.
pub fn reconstruct_folders(
    request: &BatchRequest,
    models: &Reconstructor,
    bands: Option<&ConformalBands>,
    progress: &mut dyn Progress,
) -> Result<BatchSummary, BatchError> {
    let jobs = list_jobs(request)?;
    std::fs::create_dir_all(&request.out)
        .map_err(|e| BatchError(format!("creating {}: {e}", request.out.display())))?;
    let summary_path = request.out.join("summary.csv");
    if summary_path.exists() && !request.overwrite {
        // The summary is rewritten every run; keep the previous one beside it.
        let previous = request.out.join(format!(
            "summary-{}.csv",
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs())
        ));
        std::fs::rename(&summary_path, &previous)
            .map_err(|e| BatchError(format!("keeping {}: {e}", summary_path.display())))?;
    }
    let started = Instant::now();
    let mut outcomes = Vec::with_capacity(jobs.len());
    let mut cancelled = false;
    for (done, (header, dir)) in jobs.iter().enumerate() {
        if progress.cancelled() {
            cancelled = true;
            break;
        }
        progress.fraction(done as f32 / jobs.len() as f32);
        let record_label = header.display().to_string();
        progress.message(&format!("[{}/{}] {record_label}", done + 1, jobs.len()));
        let name = reconstruction_name(header, request.variant);
        if dir.join(format!("{name}.hea")).exists() && !request.overwrite {
            outcomes.push(RecordOutcome {
                record: record_label,
                status: RecordStatus::Skipped,
                leads: String::new(),
                rmse_mv: [None; 5],
                band_mv: [None; 5],
                detail: "done before (pass --overwrite to redo)".to_owned(),
            });
            continue;
        }
        let result = (|| -> Result<RecordOutcome, String> {
            let record = Record::read(header).map_err(|e| e.to_string())?;
            let ecg = reconstruct_with_bands(&record, models, request.variant, bands)
                .map_err(|e| e.to_string())?;
            std::fs::create_dir_all(dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
            write_record(
                dir,
                &ecg.to_wfdb(&name, models.card_sha256(), &record_label, request.format),
                request.overwrite,
            )
            .map_err(|e| e.to_string())?;
            Ok(RecordOutcome {
                record: record_label.clone(),
                status: RecordStatus::Ok,
                leads: ecg.record_leads.join(" "),
                rmse_mv: ecg.target_rmse_mv(),
                band_mv: std::array::from_fn(|k| {
                    let band = &ecg.bands.as_ref()?.leads[k];
                    Some((band.mean_mv(), band.wide.len()))
                }),
                detail: String::new(),
            })
        })();
        outcomes.push(result.unwrap_or_else(|err| RecordOutcome {
            record: record_label.clone(),
            status: RecordStatus::Failed,
            leads: String::new(),
            rmse_mv: [None; 5],
            band_mv: [None; 5],
            detail: err,
        }));
    }
    progress.fraction(1.0);
    let summary = BatchSummary {
        outcomes,
        seconds: started.elapsed().as_secs_f64(),
        summary_path,
        cancelled,
    };
    write_summary(
        &summary,
        request.variant,
        bands.map(ConformalBands::coverage),
    )?;
    Ok(summary)
}

/// The summary: per record its status, leads and per rebuilt lead the RMSE against the recording
/// (where recorded); then each lead's mean band half-width (mV) at the nominal `coverage` the
/// models were calibrated for, and the number of stretches flagged wide.
fn write_summary(
    summary: &BatchSummary,
    variant: ModelVariant,
    coverage: Option<f64>,
) -> Result<(), BatchError> {
    let mut text = "record,status,model,leads_in_record".to_owned();
    for lead in TARGET_LEADS {
        text.push_str(&format!(",rmse_{lead}_mv"));
    }
    let coverage = coverage.unwrap_or(0.9) * 100.0;
    for lead in TARGET_LEADS {
        text.push_str(&format!(",band{coverage:.0}_{lead}_mv"));
    }
    for lead in TARGET_LEADS {
        text.push_str(&format!(",wide_{lead}"));
    }
    text.push_str(",detail\n");
    for o in &summary.outcomes {
        text.push_str(&format!(
            "{},{},{},{}",
            csv_field(&o.record),
            o.status.name(),
            variant.name(),
            csv_field(&o.leads)
        ));
        for rmse in o.rmse_mv {
            text.push(',');
            if let Some(rmse) = rmse {
                text.push_str(&format!("{rmse:.5}"));
            }
        }
        for band in o.band_mv {
            text.push(',');
            if let Some((mean_mv, _)) = band {
                text.push_str(&format!("{mean_mv:.5}"));
            }
        }
        for band in o.band_mv {
            text.push(',');
            if let Some((_, wide)) = band {
                text.push_str(&wide.to_string());
            }
        }
        text.push_str(&format!(",{}\n", csv_field(&o.detail)));
    }
    crate::output::write_file(&summary.summary_path, true, |w| {
        w.write_all(text.as_bytes())
    })
    .map_err(|e| BatchError(e.to_string()))
}

/// The workbench's batch: [`reconstruct_folders`] in the worker, with progress and cancel. It
/// holds the models for the whole run (an interactive reconstruction waits for it).
pub struct ReconstructFolders {
    pub request: BatchRequest,
    pub models: Arc<LoadedModels>,
}

impl Job for ReconstructFolders {
    type Output = BatchSummary;
    type Update = ();

    fn describe(&self) -> String {
        format!(
            "Reconstructing every record of {}",
            self.request
                .paths
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        )
    }

    fn run(self, context: &JobContext) -> Result<Option<BatchSummary>, String> {
        let bands = self.models.conformal();
        let mut progress = context;
        self.models
            .with_models(|models| {
                reconstruct_folders(&self.request, models, bands.as_ref(), &mut progress)
            })
            .map(Some)
            .map_err(|e| e.to_string())
    }
}
