//! The study panels: k-NN affinity heatmaps (x̂ and ĥ), the per-class RMSE radar (C vs C-h), and the
//! per-lead metrics table with the paper's published numbers beside ours.
//!
//! The panel (this file) owns its state and actions; [`results`] turns an evaluation report into the
//! plain structs the [`widgets`](super::widgets) draw ([`StudyResults::from_report`]); [`form`] is
//! the evaluation form. Until an evaluation has run or a report is
//! loaded, only the paper's published numbers are shown, labelled as such; nothing here is invented.
//!
//! An evaluation is run from the panel's form ([`EvalForm`]) as a worker job
//! ([`Evaluate`](crate::worker::evaluate::Evaluate)), with the same engine and defaults as
//! `precordial eval`; its report is shown exactly as a loaded one. The panel owns the tasks of the
//! evaluation, the report being read and (in [`TrainPanel`]) the training; its forms are settings
//! ([`StudySettings`]), kept apart from these.

mod curve;
mod cv;
mod form;
mod results;

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::models::{ModelsStatus, NO_MODELS};
use super::notices::{NoticeLevel, Notices};
use super::train_panel::{TrainAction, TrainForm, TrainPanel};
pub use super::widgets::{AffinityMatrix, ClassRmse, LeadRow, PairedCell, RADAR_RINGS_MV};
use super::widgets::{JobProgressView, class_picker_ui, heatmap_ui, metrics_table_ui, radar_ui};
use crate::eval::amplitude::RegressionToMean;
use crate::eval::curve::LearningCurve;
use crate::eval::cv::CrossValidation;
use crate::eval::{Neighbours, paper};
use crate::worker::evaluate::{
    Evaluate, Evaluated, LoadReport, LoadStudy, ReportRead, StudyFile, StudyRead,
};
use crate::worker::reconstruct::LoadedModels;
use crate::worker::{Outcome, Task, Worker, poll_slot};
pub use form::{EvalForm, EvalSplit};
pub use results::{AffinityReading, StudyResults};

/// Shown until an evaluation has run or a report is loaded.
pub const RUN_EVALUATION_FIRST: &str = "Run an evaluation first (above, with the loaded models), or load the report `precordial eval` wrote: there are no affinity matrices, per-class errors or metrics of ours to show yet.";

/// Shown after an evaluation was cancelled.
pub const EVALUATION_CANCELLED: &str = "Evaluation cancelled: no report.";

/// Where the last evaluation started from the panel stands.
#[derive(Clone, Debug, Default, PartialEq)]
pub enum EvalStatus {
    #[default]
    Idle,
    Running,
    /// Done; the line says where the report went.
    Finished(String),
    Cancelled,
    Failed(String),
}

/// What the user asked of the panel.
#[derive(Clone, Debug, PartialEq)]
pub enum StudyAction {
    /// Read a report (`report.json` or the folder holding it).
    LoadReport(PathBuf),
    /// Run the evaluation the form describes.
    RunEvaluation,
    CancelEvaluation,
    /// Start, cancel or use a training (the "Train models" section).
    Train(TrainAction),
    /// Read a learning curve (`curve.json` or the folder holding it).
    LoadCurve(PathBuf),
    /// Read a cross-validation (`cv.json` or the folder holding it).
    LoadCv(PathBuf),
}

/// The panel's forms and the report path: saved with the settings.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct StudySettings {
    /// Path typed for the report to load.
    pub report_path: String,
    pub eval: EvalForm,
    /// The "Train models" form.
    pub train: TrainForm,
    /// Which affinity reading the heatmaps show; other patients' (the leak-free one) by default.
    pub affinity_neighbours: Neighbours,
    /// Path typed for the learning curve to load.
    pub curve_path: String,
    /// Path typed for the cross-validation to load.
    pub cv_path: String,
}

/// A path field and its load button: the path typed, when the button is clicked with one.
fn path_to_load_ui(
    ui: &mut egui::Ui,
    path: &mut String,
    hint: &str,
    button: &str,
) -> Option<PathBuf> {
    ui.add(
        egui::TextEdit::singleline(path)
            .hint_text(hint)
            .desired_width(380.0),
    );
    (ui.button(button).clicked() && !path.trim().is_empty()).then(|| PathBuf::from(path.trim()))
}

/// A study read in the worker, once it arrives; a failure is reported.
fn poll_study<T: StudyFile>(
    task: &mut Option<Task<StudyRead<T>>>,
    notices: &mut Notices,
) -> Option<(PathBuf, T)> {
    match poll_slot(task) {
        Some(Outcome::Done(StudyRead { path, study })) => {
            notices.push(
                NoticeLevel::Info,
                format!("{} loaded from {}", T::WHAT, path.display()),
            );
            Some((path, study))
        }
        Some(Outcome::Failed(reason)) => {
            notices.push(NoticeLevel::Error, reason);
            None
        }
        Some(Outcome::Cancelled) | None => None,
    }
}

/// Least squares, C and C-h per lead, for RMSE, R² and r (no paper column: the paper's figures use
/// its own screening).
fn deployment_ui(ui: &mut egui::Ui, rows: &[LeadRow]) {
    use crate::metrics::LeadMetrics;
    type Metric = fn(&LeadMetrics) -> f64;
    let metrics: [(&str, Metric); 3] = [
        ("RMSE (mV)", |m| m.rmse_mv),
        ("R²", |m| m.r2),
        ("r", |m| m.pearson),
    ];
    egui::Grid::new("deployment_metrics")
        .striped(true)
        .show(ui, |ui| {
            ui.strong("Lead");
            for (name, _) in metrics {
                ui.strong(format!("{name} LS / dipole / C / C-h"));
            }
            ui.end_row();
            for row in rows {
                ui.label(&row.lead);
                for (_, metric) in metrics {
                    let cell = |m: Option<&LeadMetrics>| {
                        m.map_or_else(|| "–".to_owned(), |m| format!("{:.3}", metric(m)))
                    };
                    ui.label(format!(
                        "{} / {} / {} / {}",
                        cell(row.least_squares.as_ref()),
                        cell(row.dipole.as_ref()),
                        cell(row.c.as_ref()),
                        cell(row.ch.as_ref())
                    ));
                }
                ui.end_row();
            }
        });
}

/// Ratio and slope of each model per lead and wave, and C-h's slope against C's.
fn regression_ui(ui: &mut egui::Ui, rows: &[RegressionToMean]) {
    use crate::eval::report::{MODELS, model_name, regression_groups};
    egui::Grid::new("regression_to_mean")
        .striped(true)
        .show(ui, |ui| {
            for header in ["Lead", "Wave", "Records"] {
                ui.strong(header);
            }
            for model in MODELS {
                ui.strong(format!("{} ratio / slope", model_name(model)));
            }
            ui.strong("C-h − C slope (95 % CI)");
            ui.end_row();
            for group in regression_groups(rows) {
                ui.label(group.lead);
                ui.label(format!("{:?}", group.wave));
                ui.label(group.records().to_string());
                for row in group.models {
                    ui.label(row.map_or_else(
                        || "–".to_owned(),
                        |r| format!("{:.2} / {:.2}", r.fit.spread_ratio, r.fit.error_slope),
                    ));
                }
                ui.label(group.slope_minus_c_ci95().map_or_else(
                    || "–".to_owned(),
                    |(lo, hi)| format!("{lo:+.2} to {hi:+.2}"),
                ));
                ui.end_row();
            }
        });
}

/// What each affinity reading means, for its selector's hover text.
fn neighbours_help(neighbours: Neighbours) -> &'static str {
    match neighbours {
        Neighbours::OtherPatients => {
            "No window of the same patient may be a neighbour: the leak-free figure. Where a source names no patient, the record counts as its own patient."
        }
        Neighbours::OtherRecords => "No window of the same record may be a neighbour.",
        Neighbours::All => {
            "Every other window may be a neighbour (the paper's protocol): overlapping windows of the same record look alike whatever their class, so this measures record retrieval as much as class."
        }
    }
}

/// The panel's runtime state: results, the runs' status and their tasks.
#[derive(Default)]
pub struct StudyPanel {
    pub results: Option<StudyResults>,
    /// Classes shown on the radar (by name); empty = all.
    pub radar_classes: Vec<String>,
    pub eval_status: EvalStatus,
    evaluation: Option<Task<Evaluated>>,
    report: Option<Task<ReportRead>>,
    /// The "Train models" section.
    pub train: TrainPanel,
    /// The learning curve loaded, and where from.
    pub curve: Option<(PathBuf, LearningCurve)>,
    curve_task: Option<Task<StudyRead<LearningCurve>>>,
    /// The cross-validation loaded, and where from.
    pub cv: Option<(PathBuf, CrossValidation)>,
    cv_task: Option<Task<StudyRead<CrossValidation>>>,
}

impl StudyPanel {
    /// True while an evaluation started from the panel runs.
    pub fn evaluation_running(&self) -> bool {
        self.evaluation.is_some()
    }

    /// Reads a learning curve in the worker.
    pub fn load_curve(&mut self, worker: &mut Worker, path: PathBuf) {
        self.curve_task = Some(worker.submit(LoadStudy::new(path)));
    }

    /// Reads a cross-validation in the worker.
    pub fn load_cv(&mut self, worker: &mut Worker, path: PathBuf) {
        self.cv_task = Some(worker.submit(LoadStudy::new(path)));
    }

    /// Reads a report in the worker; it replaces the results shown when it arrives.
    pub fn load_report(&mut self, worker: &mut Worker, path: PathBuf) {
        self.report = Some(worker.submit(LoadReport { path }));
    }

    /// Starts the evaluation `form` describes with `models` (and the folder they came from); a
    /// form that does not describe a valid run is reported in the panel and the status bar.
    pub fn start_evaluation(
        &mut self,
        worker: &mut Worker,
        form: &EvalForm,
        models: Option<(std::sync::Arc<LoadedModels>, PathBuf)>,
        notices: &mut Notices,
    ) {
        if self.evaluation.is_some() {
            return; // one at a time: the button is disabled meanwhile
        }
        let Some((models, models_dir)) = models else {
            self.eval_status = EvalStatus::Failed(NO_MODELS.to_owned());
            notices.push(NoticeLevel::Warning, NO_MODELS);
            return;
        };
        match form.config() {
            Ok((config, out_dir)) => {
                self.evaluation = Some(worker.submit(Evaluate {
                    config,
                    models,
                    models_dir,
                    out_dir,
                }));
                self.eval_status = EvalStatus::Running;
            }
            Err(reason) => {
                notices.push(
                    NoticeLevel::Error,
                    format!("evaluation not started: {reason}"),
                );
                self.eval_status = EvalStatus::Failed(reason);
            }
        }
    }

    /// Asks the running evaluation to stop (it does at its next check).
    pub fn cancel_evaluation(&self) {
        if let Some(task) = &self.evaluation {
            task.cancel();
        }
    }

    /// Takes the outcomes of the report read, the evaluation and the training. Never blocks.
    pub fn logic(&mut self, notices: &mut Notices) {
        match poll_slot(&mut self.report) {
            Some(Outcome::Done(ReportRead { path, report })) => {
                self.show(&report);
                notices.push(
                    NoticeLevel::Info,
                    format!("evaluation report loaded from {}", path.display()),
                );
            }
            Some(Outcome::Failed(reason)) => notices.push(NoticeLevel::Error, reason),
            Some(Outcome::Cancelled) | None => {}
        }
        match poll_slot(&mut self.evaluation) {
            Some(Outcome::Done(evaluated)) => {
                self.show(&evaluated.report);
                self.finish_evaluation(evaluated.path, evaluated.write_error, notices);
            }
            Some(Outcome::Failed(reason)) => {
                // Shown in the panel too, beside the form that started it.
                notices.push(NoticeLevel::Error, reason.clone());
                self.eval_status = EvalStatus::Failed(reason);
            }
            Some(Outcome::Cancelled) => {
                self.eval_status = EvalStatus::Cancelled;
                notices.push(NoticeLevel::Info, "evaluation cancelled");
            }
            None => {}
        }
        if let Some(loaded) = poll_study(&mut self.curve_task, notices) {
            self.curve = Some(loaded);
        }
        if let Some(loaded) = poll_study(&mut self.cv_task, notices) {
            self.cv = Some(loaded);
        }
        self.train.logic(notices);
    }

    fn show(&mut self, report: &crate::eval::EvalReport) {
        self.results = Some(StudyResults::from_report(report));
        self.radar_classes.clear();
    }

    /// Records how an evaluation from the panel ended (its report is already shown).
    fn finish_evaluation(
        &mut self,
        path: Option<PathBuf>,
        write_error: Option<String>,
        notices: &mut Notices,
    ) {
        let (status, level, notice) = match (path, write_error) {
            (_, Some(error)) => (
                format!("Evaluation finished; its report was not written: {error}"),
                NoticeLevel::Error,
                format!("evaluation finished, report not written: {error}"),
            ),
            (Some(path), None) => (
                format!("Evaluation finished; report written to {}", path.display()),
                NoticeLevel::Info,
                format!("evaluation finished, report written to {}", path.display()),
            ),
            (None, None) => (
                "Evaluation finished (no output folder: the report is not saved).".to_owned(),
                NoticeLevel::Info,
                "evaluation finished".to_owned(),
            ),
        };
        self.eval_status = EvalStatus::Finished(status);
        notices.push(level, notice);
    }

    /// Draws the panel with its forms (`settings`). `models` says whether an evaluation can run;
    /// `device` is the models' device, for the "Train models" section. Returns what the user asked
    /// for.
    pub fn ui(
        &mut self,
        ui: &mut egui::Ui,
        settings: &mut StudySettings,
        models: &ModelsStatus,
        device: crate::model::DeviceChoice,
    ) -> Option<StudyAction> {
        let mut action = None;
        ui.heading("Study the models");
        egui::CollapsingHeader::new("Run an evaluation")
            .default_open(true)
            .show(ui, |ui| {
                action = self.evaluation_form_ui(ui, &mut settings.eval, models);
            });
        egui::CollapsingHeader::new("Train models")
            .default_open(false)
            .show(ui, |ui| {
                if let Some(train) = self.train.ui(ui, &mut settings.train, device) {
                    action = Some(StudyAction::Train(train));
                }
            });
        egui::CollapsingHeader::new("Learning curve")
            .default_open(self.curve.is_some())
            .show(ui, |ui| {
                ui.horizontal(|ui| {
                    if let Some(path) = path_to_load_ui(
                        ui,
                        &mut settings.curve_path,
                        "curve.json or the folder `precordial study curve` wrote",
                        "Load curve",
                    ) {
                        action = Some(StudyAction::LoadCurve(path));
                    }
                });
                match &self.curve {
                    Some((_, curve)) => curve::curve_ui(ui, curve),
                    None => {
                        ui.label("No curve loaded: `precordial study curve` trains the models on nested subsets of the train split and writes one (models/learning-curve holds the shipped configuration's).");
                    }
                }
            });
        egui::CollapsingHeader::new("Cross-validation")
            .default_open(self.cv.is_some())
            .show(ui, |ui| {
                ui.horizontal(|ui| {
                    if let Some(path) = path_to_load_ui(
                        ui,
                        &mut settings.cv_path,
                        "cv.json or the folder `precordial study cv` wrote",
                        "Load cross-validation",
                    ) {
                        action = Some(StudyAction::LoadCv(path));
                    }
                });
                match &self.cv {
                    Some((_, cv)) => cv::cv_ui(ui, cv),
                    None => {
                        ui.label("No cross-validation loaded: `precordial study cv` trains the models once per patient-wise fold and writes one (models/cross-validation holds the shipped configuration's).");
                    }
                }
            });
        ui.separator();
        ui.horizontal(|ui| {
            ui.label("Evaluation report");
            if let Some(path) = path_to_load_ui(
                ui,
                &mut settings.report_path,
                "report.json or the folder `precordial eval` wrote",
                "Load report",
            ) {
                action = Some(StudyAction::LoadReport(path));
            }
        });
        egui::ScrollArea::vertical().show(ui, |ui| {
            match &self.results {
                None => {
                    ui.colored_label(ui.visuals().warn_fg_color, RUN_EVALUATION_FIRST);
                }
                Some(results) => {
                    ui.label(&results.summary);
                }
            }
            ui.separator();
            ui.heading("k-NN affinity").on_hover_text(
                "For each test window, its k nearest neighbours by cosine similarity: A[i][j] is the mean fraction of a class-i window's neighbours that are of class j. A strong diagonal means the representation groups windows by diagnosis.",
            );
            match &self.results {
                Some(results) => {
                    ui.horizontal(|ui| {
                        ui.label("Neighbours:");
                        for neighbours in Neighbours::ALL {
                            ui.selectable_value(&mut settings.affinity_neighbours, neighbours, neighbours.label())
                                .on_hover_text(neighbours_help(neighbours));
                        }
                    });
                    match results.affinity(settings.affinity_neighbours) {
                        Some(reading) => {
                            ui.columns(2, |columns| {
                                if let Some(left) = columns.get_mut(0) {
                                    heatmap_ui(left, &reading.x);
                                }
                                if let Some(right) = columns.get_mut(1) {
                                    heatmap_ui(right, &reading.h);
                                }
                            });
                        }
                        None if results.affinity.is_empty() => {
                            ui.label("(this evaluation has no affinity: it needs the models and more than k labelled windows)");
                        }
                        None => {
                            ui.label(format!(
                                "No reading with {}: some window has fewer than k such neighbours (too few records or patients).",
                                settings.affinity_neighbours.label()
                            ));
                        }
                    }
                }
                None => {
                    let (x, h) = paper::AFFINITY_DIAGONAL;
                    ui.label(format!("(no evaluation yet) — published diagonal means (k = {}, all windows as neighbours): {x:.3} for the inputs, {h:.3} for the embeddings ĥ.", paper::AFFINITY_K));
                }
            }
            ui.separator();
            ui.heading("Per-class RMSE, C vs C-h").on_hover_text(
                "Root-mean-square error of the reconstructed leads per diagnostic class; n is the number of test windows of the class.",
            );
            match &self.results {
                Some(results) if !results.class_rmse.is_empty() => {
                    class_picker_ui(ui, &results.class_rmse, &mut self.radar_classes);
                    let shown: Vec<ClassRmse> = results
                        .class_rmse
                        .iter()
                        .filter(|c| self.radar_classes.is_empty() || self.radar_classes.contains(&c.class_name))
                        .cloned()
                        .collect();
                    radar_ui(ui, &shown);
                }
                _ => {
                    ui.label("(no evaluation yet)");
                }
            }
            ui.separator();
            ui.heading("Per-lead metrics").on_hover_text(
                "RMSE in mV (lower is better); R², the fraction of the lead's variance explained; Pearson r, the shape correlation (per window, averaged).",
            );
            let ours = self.results.as_ref().map(|r| r.lead_metrics.as_slice()).unwrap_or(&[]);
            metrics_table_ui(ui, ours);
            if let Some((windows, rows)) = self.results.as_ref().and_then(|r| r.deployment.as_ref()) {
                ui.add_space(6.0);
                ui.label(egui::RichText::new(format!("Deployment-true screening: input leads only ({windows} windows)")).strong())
                    .on_hover_text("The same records screened as a device recording I, II and V2 could: quality control and the flat check on those leads only, no limb check. The errors are against recorded chest leads this screening does not check, so part of them is bad ground truth.");
                deployment_ui(ui, rows);
            }
            ui.separator();
            ui.heading("Regression to the mean").on_hover_text(
                "Each record's median R and T amplitude per lead, recorded and reconstructed. Ratio: SD of the reconstructed amplitudes over SD of the true ones (1: as varied as the truth). Slope: of the amplitude error on the true amplitude (0: none; −1: every record given the mean). Last column: C-h's slope minus C's, 95 % CI over records; above 0, C-h keeps more of each record's amplitude.",
            );
            match &self.results {
                Some(results) if !results.regression_to_mean.is_empty() => {
                    regression_ui(ui, &results.regression_to_mean);
                }
                _ => {
                    ui.label("(no evaluation with record-level amplitudes yet)");
                }
            }
        });
        action
    }

    /// The evaluation form, its Run button (enabled with loaded models), and the progress bar with
    /// Cancel while an evaluation runs.
    fn evaluation_form_ui(
        &mut self,
        ui: &mut egui::Ui,
        form: &mut EvalForm,
        models: &ModelsStatus,
    ) -> Option<StudyAction> {
        let mut action = None;
        let running = self
            .evaluation
            .as_ref()
            .map(|task| JobProgressView::of(task.handle()));
        let running = running.as_ref();
        egui::Grid::new("evaluation_form")
            .num_columns(2)
            .show(ui, |ui| {
                ui.label("Dataset folders").on_hover_text(
                    "PTB-XL, Challenge 2021, CODE-15, PTB, LUDB or any WFDB folder; records are cleaned, screened and split exactly as the models were trained.",
                );
                ui.add(
                    egui::TextEdit::multiline(&mut form.data_folders)
                        .hint_text("one folder per line")
                        .desired_rows(2)
                        .desired_width(480.0),
                );
                ui.end_row();
                ui.label("Split");
                ui.horizontal(|ui| {
                    for split in EvalSplit::ALL {
                        ui.selectable_value(&mut form.split, split, split.label())
                            .on_hover_text(split.hint());
                    }
                });
                ui.end_row();
                if form.split == EvalSplit::All {
                    ui.label("Reference folders").on_hover_text(
                        "The models' training data: its train split fits quality control and the least-squares baseline, so the evaluated records are never fitted on.",
                    );
                    ui.add(
                        egui::TextEdit::multiline(&mut form.reference_folders)
                            .hint_text("the models' training data, one folder per line")
                            .desired_rows(2)
                            .desired_width(480.0),
                    );
                    ui.end_row();
                }
                ui.label("k")
                    .on_hover_text("Neighbours for the k-NN class-affinity matrices.");
                ui.add(egui::DragValue::new(&mut form.k).range(1..=100));
                ui.end_row();
                ui.label("Output folder").on_hover_text(
                    "Where report.json, report.md, the CSVs and figures are written, as by `precordial eval --out`. A folder that holds a report is refused: a report is never replaced.",
                );
                ui.add(
                    egui::TextEdit::singleline(&mut form.out_dir)
                        .hint_text("optional: leave empty to keep the result here only")
                        .desired_width(480.0),
                );
                ui.end_row();
            });
        ui.horizontal(|ui| {
            let button = ui.add_enabled(
                matches!(models, ModelsStatus::Loaded { .. }) && running.is_none(),
                egui::Button::new("Run evaluation"),
            );
            let button = match models {
                ModelsStatus::Loaded { device } => match running {
                    Some(_) => button.on_disabled_hover_text("An evaluation is running."),
                    None => button.on_hover_text(format!(
                        "Evaluate the loaded models (device {device}) as `precordial eval` does."
                    )),
                },
                ModelsStatus::Loading => {
                    button.on_disabled_hover_text("The models are still loading.")
                }
                ModelsStatus::Failed(reason) => {
                    button.on_disabled_hover_text(format!("Models not loaded: {reason}"))
                }
                ModelsStatus::Absent => button.on_disabled_hover_text(NO_MODELS),
            };
            if button.clicked() {
                action = Some(StudyAction::RunEvaluation);
            }
            if let Some(progress) = running
                && progress.bar_ui(ui, "Cancel evaluation")
            {
                action = Some(StudyAction::CancelEvaluation);
            }
        });
        match &self.eval_status {
            EvalStatus::Idle | EvalStatus::Running => {}
            EvalStatus::Finished(text) => {
                ui.label(text);
            }
            EvalStatus::Cancelled => {
                ui.colored_label(ui.visuals().warn_fg_color, EVALUATION_CANCELLED);
            }
            EvalStatus::Failed(reason) => {
                ui.colored_label(
                    ui.visuals().error_fg_color,
                    format!("Evaluation failed: {reason}"),
                );
            }
        }
        action
    }
}
