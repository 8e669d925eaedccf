//! The study panels: k-NN affinity heatmaps (x̂ and ĥ), the per-class RMSE radar (C vs C-h), and the
//! per-lead metrics table with the paper's published numbers beside ours.
//!
//! The widgets draw plain data structs ([`AffinityMatrix`], [`ClassRmse`], [`LeadMetrics`]), made from
//! an evaluation report ([`StudyResults::from_report`]). Until an evaluation has run or a report is
//! loaded, only the paper's published numbers are shown, labelled as such; nothing here is invented.
//!
//! An evaluation is run from the panel's form ([`EvalForm`]) as a worker job (`Job::Evaluate`), with
//! the same engine and defaults as `precordial eval`; its report is shown exactly as a loaded one.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::reconstruct_panel::{ModelsStatus, NO_MODELS};
use super::widgets::JobProgressView;
use crate::eval::paper;
use crate::eval::run::EvalConfig;
use crate::metrics::LeadMetrics;

/// A k-NN affinity matrix: `values[i][j]` = mean over windows of class i of the fraction of their k
/// nearest neighbours in class j.
#[derive(Clone, Debug, PartialEq)]
pub struct AffinityMatrix {
    /// What was embedded (`x̂`, `ĥ`).
    pub title: String,
    pub class_names: Vec<String>,
    /// Test windows per class.
    pub counts: Vec<usize>,
    pub values: Vec<Vec<f64>>,
    /// Mean of the diagonal ("intra-class consistency"), as the evaluation computed it.
    pub diagonal_mean: f64,
    /// Neighbours per window.
    pub k: usize,
}

/// Per-class RMSE of the two models.
#[derive(Clone, Debug, PartialEq)]
pub struct ClassRmse {
    pub class_name: String,
    /// Test windows of this class.
    pub n_windows: usize,
    pub rmse_c_mv: f64,
    pub rmse_ch_mv: f64,
}

/// Radar rings, mV (as in the paper's figure).
pub const RADAR_RINGS_MV: [f64; 5] = [0.05, 0.075, 0.10, 0.125, 0.15];

/// One row of our per-lead metrics: each model's numbers where the evaluation has them.
#[derive(Clone, Debug, PartialEq)]
pub struct LeadRow {
    pub lead: String,
    pub least_squares: Option<LeadMetrics>,
    pub c: Option<LeadMetrics>,
    pub ch: Option<LeadMetrics>,
}

/// What an evaluation produced, in the shape the widgets draw.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct StudyResults {
    /// One line saying what was evaluated (dataset, split, records, windows, device).
    pub summary: String,
    pub affinity_x: Option<AffinityMatrix>,
    pub affinity_h: Option<AffinityMatrix>,
    pub class_rmse: Vec<ClassRmse>,
    pub lead_metrics: Vec<LeadRow>,
}

impl StudyResults {
    /// The widgets' view of a `precordial eval` report.
    pub fn from_report(report: &crate::eval::EvalReport) -> Self {
        use crate::eval::report::{LEAST_SQUARES, MODEL_C, MODEL_CH};
        let matrix = |title: &str, a: &crate::eval::Affinity| AffinityMatrix {
            title: title.to_owned(),
            class_names: a.classes.clone(),
            counts: a.counts.clone(),
            values: a.matrix.clone(),
            diagonal_mean: a.diagonal_mean,
            k: a.k,
        };
        let mut lead_metrics: Vec<LeadRow> = report
            .per_lead
            .iter()
            .map(|(lead, models)| LeadRow {
                lead: lead.clone(),
                least_squares: models.get(LEAST_SQUARES).copied(),
                c: models.get(MODEL_C).copied(),
                ch: models.get(MODEL_CH).copied(),
            })
            .collect();
        if !lead_metrics.is_empty() {
            let mean = |model: &str| {
                let of_model: Vec<&LeadMetrics> = report
                    .per_lead
                    .values()
                    .filter_map(|models| models.get(model))
                    .collect();
                (!of_model.is_empty()).then(|| LeadMetrics::mean(of_model.iter().copied()))
            };
            lead_metrics.push(LeadRow {
                lead: "Mean".to_owned(),
                least_squares: mean(LEAST_SQUARES),
                c: mean(MODEL_C),
                ch: mean(MODEL_CH),
            });
        }
        let data = &report.data;
        Self {
            summary: format!(
                "{} · split {} · {} records · {} windows · device {}",
                data.datasets.join(", "),
                data.split,
                data.records,
                data.windows,
                data.device
            ),
            affinity_x: report
                .affinity
                .as_ref()
                .map(|pair| matrix("inputs (flattened, normalised)", &pair.x)),
            affinity_h: report
                .affinity
                .as_ref()
                .map(|pair| matrix("embeddings ĥ", &pair.h)),
            class_rmse: report
                .radar
                .iter()
                .map(|row| ClassRmse {
                    class_name: row.class.clone(),
                    n_windows: row.n_windows,
                    rmse_c_mv: row.rmse_c_mv,
                    rmse_ch_mv: row.rmse_ch_mv,
                })
                .collect(),
            lead_metrics,
        }
    }
}

/// Shown until an evaluation has run or a report is loaded.
pub const RUN_EVALUATION_FIRST: &str = "Run an evaluation first (above, with the loaded models), or load the report `precordial eval` wrote: there are no affinity matrices, per-class errors or metrics of ours to show yet.";

/// Shown after an evaluation was cancelled.
pub const EVALUATION_CANCELLED: &str = "Evaluation cancelled: no report.";

/// Which records an evaluation covers: one split of the patient-wise split the models were trained
/// with, or every record (a dataset the models never saw).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum EvalSplit {
    Train,
    Val,
    #[default]
    Test,
    All,
}

impl EvalSplit {
    pub const ALL: [Self; 4] = [Self::Train, Self::Val, Self::Test, Self::All];

    pub fn label(self) -> &'static str {
        match self {
            Self::Train => "train",
            Self::Val => "val",
            Self::Test => "test",
            Self::All => "all",
        }
    }

    fn hint(self) -> &'static str {
        match self {
            Self::Train => "The records the models were trained on (not a fair test).",
            Self::Val => "The validation records (used to pick the training checkpoint).",
            Self::Test => {
                "The held-out records of the models' patient-wise split: the paper's test."
            }
            Self::All => {
                "Every record: for a dataset the models never saw. Needs the models' training data as reference folders."
            }
        }
    }

    /// The library's split (`None`: every record).
    pub fn split(self) -> Option<crate::prep::Split> {
        use crate::prep::Split;
        match self {
            Self::Train => Some(Split::Train),
            Self::Val => Some(Split::Val),
            Self::Test => Some(Split::Test),
            Self::All => None,
        }
    }
}

/// The "Run an evaluation" form. Saved with the settings.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct EvalForm {
    /// Dataset folders, one per line.
    pub data_folders: String,
    pub split: EvalSplit,
    /// For split `all`: the models' training data (its train split fits quality control and the
    /// least-squares baseline), one folder per line.
    pub reference_folders: String,
    /// Neighbours for the class-affinity matrices.
    pub k: usize,
    /// Where the report is written; empty keeps it in the workbench only.
    pub out_dir: String,
}

impl Default for EvalForm {
    fn default() -> Self {
        Self {
            data_folders: String::new(),
            split: EvalSplit::default(),
            reference_folders: String::new(),
            k: EvalConfig::default().k,
            out_dir: String::new(),
        }
    }
}

/// The non-empty lines of a folder list, as paths.
fn folder_lines(text: &str) -> Vec<PathBuf> {
    text.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .map(PathBuf::from)
        .collect()
}

fn check_folders(folders: &[PathBuf]) -> Result<(), String> {
    match folders.iter().find(|folder| !folder.is_dir()) {
        Some(missing) => Err(format!("{}: no such folder", missing.display())),
        None => Ok(()),
    }
}

impl EvalForm {
    /// The evaluation the form describes (what `precordial eval` runs with the same arguments) and
    /// the output folder, or what is wrong with the form, in words for the user.
    pub fn config(&self) -> Result<(EvalConfig, Option<PathBuf>), String> {
        let data = folder_lines(&self.data_folders);
        if data.is_empty() {
            return Err("give at least one dataset folder (one per line)".to_owned());
        }
        check_folders(&data)?;
        // The reference field is shown for split `all` only, so only then does it count.
        let reference = if self.split == EvalSplit::All {
            folder_lines(&self.reference_folders)
        } else {
            Vec::new()
        };
        if self.split == EvalSplit::All && reference.is_empty() {
            return Err("split all evaluates every record, so it needs the models' training data as reference folders (their train split fits quality control and the least-squares baseline, without evaluating on them)".to_owned());
        }
        check_folders(&reference)?;
        if self.k == 0 {
            return Err("k must be at least 1".to_owned());
        }
        let out_dir = match self.out_dir.trim() {
            "" => None,
            dir => {
                let dir = PathBuf::from(dir);
                if dir.exists() && !dir.is_dir() {
                    return Err(format!("{}: not a folder", dir.display()));
                }
                if let Some(existing) = crate::worker::evaluate::existing_report(&dir) {
                    return Err(crate::worker::evaluate::report_exists_message(&existing));
                }
                Some(dir)
            }
        };
        let config = EvalConfig {
            data,
            split: self.split.split(),
            reference,
            k: self.k,
            ..EvalConfig::default()
        };
        Ok((config, out_dir))
    }
}

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
    Train(super::train_panel::TrainAction),
}

/// The panel's state. The report path and the evaluation form are saved with the settings; results
/// and the run's status are not.
#[derive(Default, Serialize, Deserialize)]
#[serde(default)]
pub struct StudyPanel {
    #[serde(skip)]
    pub results: Option<StudyResults>,
    /// Classes shown on the radar (by name); empty = all.
    #[serde(skip)]
    pub radar_classes: Vec<String>,
    /// Path typed for the report to load.
    pub report_path: String,
    pub eval: EvalForm,
    #[serde(skip)]
    pub eval_status: EvalStatus,
    /// The "Train models" section (its form is saved with the settings).
    pub train: super::train_panel::TrainPanel,
}

impl StudyPanel {
    /// Draws the panel. `models` says whether an evaluation can run; `running` is the evaluation in
    /// progress, if any; `device` and `training` are the models' device and the training in
    /// progress, for the "Train models" section. Returns what the user asked for.
    pub fn ui(
        &mut self,
        ui: &mut egui::Ui,
        models: &ModelsStatus,
        running: Option<&JobProgressView>,
        device: crate::model::DeviceChoice,
        training: Option<&JobProgressView>,
    ) -> Option<StudyAction> {
        let mut action = None;
        ui.heading("Study the models");
        egui::CollapsingHeader::new("Run an evaluation")
            .default_open(true)
            .show(ui, |ui| {
                action = self.evaluation_form_ui(ui, models, running);
            });
        egui::CollapsingHeader::new("Train models")
            .default_open(false)
            .show(ui, |ui| {
                if let Some(train) = self.train.ui(ui, device, training) {
                    action = Some(StudyAction::Train(train));
                }
            });
        ui.separator();
        ui.horizontal(|ui| {
            ui.label("Evaluation report");
            ui.add(
                egui::TextEdit::singleline(&mut self.report_path)
                    .hint_text("report.json or the folder `precordial eval` wrote")
                    .desired_width(380.0),
            );
            if ui.button("Load report").clicked() && !self.report_path.trim().is_empty() {
                action = Some(StudyAction::LoadReport(PathBuf::from(
                    self.report_path.trim(),
                )));
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
                    ui.columns(2, |columns| {
                        if let (Some(left), Some(matrix)) = (columns.get_mut(0), &results.affinity_x) {
                            heatmap_ui(left, matrix);
                        }
                        if let (Some(right), Some(matrix)) = (columns.get_mut(1), &results.affinity_h) {
                            heatmap_ui(right, matrix);
                        }
                    });
                }
                None => {
                    let (x, h) = paper::AFFINITY_DIAGONAL;
                    ui.label(format!("(no evaluation yet) — published diagonal means (k = {}): {x:.3} for the inputs, {h:.3} for the embeddings ĥ.", paper::AFFINITY_K));
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
        });
        action
    }

    /// The evaluation form, its Run button (enabled with loaded models), and the progress bar with
    /// Cancel while an evaluation runs.
    fn evaluation_form_ui(
        &mut self,
        ui: &mut egui::Ui,
        models: &ModelsStatus,
        running: Option<&JobProgressView>,
    ) -> Option<StudyAction> {
        let mut action = None;
        egui::Grid::new("evaluation_form")
            .num_columns(2)
            .show(ui, |ui| {
                ui.label("Dataset folders").on_hover_text(
                    "PTB-XL, Challenge 2021, CODE-15, PTB, LUDB or any WFDB folder; records are cleaned, screened and split exactly as the models were trained.",
                );
                ui.add(
                    egui::TextEdit::multiline(&mut self.eval.data_folders)
                        .hint_text("one folder per line")
                        .desired_rows(2)
                        .desired_width(480.0),
                );
                ui.end_row();
                ui.label("Split");
                ui.horizontal(|ui| {
                    for split in EvalSplit::ALL {
                        ui.selectable_value(&mut self.eval.split, split, split.label())
                            .on_hover_text(split.hint());
                    }
                });
                ui.end_row();
                if self.eval.split == EvalSplit::All {
                    ui.label("Reference folders").on_hover_text(
                        "The models' training data: its train split fits quality control and the least-squares baseline, so the evaluated records are never fitted on.",
                    );
                    ui.add(
                        egui::TextEdit::multiline(&mut self.eval.reference_folders)
                            .hint_text("the models' training data, one folder per line")
                            .desired_rows(2)
                            .desired_width(480.0),
                    );
                    ui.end_row();
                }
                ui.label("k")
                    .on_hover_text("Neighbours for the k-NN class-affinity matrices.");
                ui.add(egui::DragValue::new(&mut self.eval.k).range(1..=100));
                ui.end_row();
                ui.label("Output folder").on_hover_text(
                    "Where report.json, report.md, the CSVs and figures are written, as by `precordial eval --out`. A folder that holds a report is refused: a report is never replaced.",
                );
                ui.add(
                    egui::TextEdit::singleline(&mut self.eval.out_dir)
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

/// `name` in at most `max_chars` characters (at least 3), ending in "…" when cut.
fn shorten(name: &str, max_chars: usize) -> String {
    let max_chars = max_chars.max(3);
    if name.chars().count() <= max_chars {
        name.to_owned()
    } else {
        let mut short: String = name.chars().take(max_chars - 1).collect();
        short.push('…');
        short
    }
}

/// Draws an affinity matrix as a heatmap with class names, counts and the diagonal mean; hovering a
/// cell shows its value.
pub fn heatmap_ui(ui: &mut egui::Ui, matrix: &AffinityMatrix) {
    let n = matrix.class_names.len();
    ui.label(format!(
        "{} — diagonal mean {:.3}",
        matrix.title, matrix.diagonal_mean
    ))
    .on_hover_text(format!(
        "Unweighted mean over classes of the diagonal; k = {} neighbours per window.",
        matrix.k
    ));
    if n == 0 {
        ui.label("(empty)");
        return;
    }
    let label_width_in_ui = 110.0;
    let cell_in_ui =
        ((ui.available_width() - label_width_in_ui - 10.0) / n as f32).clamp(12.0, 60.0);
    let size = egui::vec2(
        label_width_in_ui + cell_in_ui * n as f32,
        20.0 + cell_in_ui * n as f32,
    );
    let (rect, response) = ui.allocate_exact_size(size, egui::Sense::hover());
    let painter = ui.painter_at(rect);
    let text_colour = ui.visuals().text_color();
    let origin = rect.left_top() + egui::vec2(label_width_in_ui, 20.0);
    for (i, name) in matrix.class_names.iter().enumerate() {
        let count = matrix.counts.get(i).copied().unwrap_or(0);
        // Long names (SNOMED codes, Challenge labels) are shortened to their space; hovering a
        // cell shows them whole.
        let count_text = format!(" (n={count})");
        let row_chars = (label_width_in_ui / 6.2) as usize;
        painter.text(
            egui::pos2(rect.left(), origin.y + (i as f32 + 0.5) * cell_in_ui),
            egui::Align2::LEFT_CENTER,
            format!(
                "{}{count_text}",
                shorten(name, row_chars.saturating_sub(count_text.len()))
            ),
            egui::FontId::proportional(11.0),
            text_colour,
        );
        painter.text(
            egui::pos2(origin.x + (i as f32 + 0.5) * cell_in_ui, rect.top() + 10.0),
            egui::Align2::CENTER_CENTER,
            shorten(name, (cell_in_ui / 5.5) as usize),
            egui::FontId::proportional(10.0),
            text_colour,
        );
        for j in 0..n {
            let value = matrix.values.get(i).and_then(|row| row.get(j)).copied();
            let cell = egui::Rect::from_min_size(
                origin + egui::vec2(j as f32 * cell_in_ui, i as f32 * cell_in_ui),
                egui::vec2(cell_in_ui, cell_in_ui),
            );
            let colour = match value {
                Some(v) if v.is_finite() => viridis(v.clamp(0.0, 1.0) as f32),
                _ => egui::Color32::GRAY,
            };
            painter.rect_filled(cell.shrink(0.5), 0.0, colour);
        }
    }
    if let Some(pos) = response.hover_pos() {
        let offset = pos - origin;
        if offset.x >= 0.0 && offset.y >= 0.0 {
            let j = (offset.x / cell_in_ui) as usize;
            let i = (offset.y / cell_in_ui) as usize;
            if let (Some(row_name), Some(column_name)) =
                (matrix.class_names.get(i), matrix.class_names.get(j))
            {
                let value = matrix.values.get(i).and_then(|row| row.get(j)).copied();
                response.on_hover_text(format!(
                    "{row_name} → {column_name}: {}",
                    value.map_or_else(|| "–".to_owned(), |v| format!("{v:.3}"))
                ));
            }
        }
    }
}

/// A small perceptual colour map (viridis, 5 stops, linear between).
fn viridis(t: f32) -> egui::Color32 {
    const STOPS: [[f32; 3]; 5] = [
        [68.0, 1.0, 84.0],
        [59.0, 82.0, 139.0],
        [33.0, 145.0, 140.0],
        [94.0, 201.0, 98.0],
        [253.0, 231.0, 37.0],
    ];
    let scaled = t.clamp(0.0, 1.0) * 4.0;
    let i = (scaled.floor() as usize).min(3);
    let f = scaled - i as f32;
    let (a, b) = (STOPS[i], STOPS[i + 1]);
    let mix = |k: usize| (a[k] + (b[k] - a[k]) * f).round() as u8;
    egui::Color32::from_rgb(mix(0), mix(1), mix(2))
}

fn class_picker_ui(ui: &mut egui::Ui, classes: &[ClassRmse], picked: &mut Vec<String>) {
    ui.horizontal_wrapped(|ui| {
        ui.label("Classes:");
        for class in classes {
            let mut on = picked.is_empty() || picked.contains(&class.class_name);
            if ui.checkbox(&mut on, &class.class_name).changed() {
                if picked.is_empty() {
                    *picked = classes.iter().map(|c| c.class_name.clone()).collect();
                }
                if on {
                    picked.push(class.class_name.clone());
                } else {
                    picked.retain(|name| name != &class.class_name);
                }
            }
        }
    });
}

/// Radar plot of per-class RMSE, C vs C-h, with rings at [`RADAR_RINGS_MV`].
pub fn radar_ui(ui: &mut egui::Ui, classes: &[ClassRmse]) {
    let n = classes.len();
    let side = ui.available_width().clamp(200.0, 420.0);
    let (rect, _) = ui.allocate_exact_size(egui::vec2(side, side), egui::Sense::hover());
    let painter = ui.painter_at(rect);
    let center = rect.center();
    let radius_in_ui = side * 0.36;
    let max_mv = RADAR_RINGS_MV.last().copied().unwrap_or(0.15);
    let text_colour = ui.visuals().text_color();
    let weak = ui.visuals().weak_text_color();
    for ring_mv in RADAR_RINGS_MV {
        let r = radius_in_ui * (ring_mv / max_mv) as f32;
        painter.circle_stroke(center, r, egui::Stroke::new(0.5, weak));
        painter.text(
            center + egui::vec2(2.0, -r),
            egui::Align2::LEFT_BOTTOM,
            format!("{ring_mv}"),
            egui::FontId::proportional(9.0),
            weak,
        );
    }
    if n < 3 {
        ui.label("A radar needs at least three classes.");
        return;
    }
    let direction = |k: usize| {
        let angle = std::f32::consts::TAU * k as f32 / n as f32 - std::f32::consts::FRAC_PI_2;
        egui::vec2(angle.cos(), angle.sin())
    };
    for (k, class) in classes.iter().enumerate() {
        let d = direction(k);
        painter.line_segment(
            [center, center + d * radius_in_ui],
            egui::Stroke::new(0.5, weak),
        );
        painter.text(
            center + d * (radius_in_ui + 14.0),
            egui::Align2::CENTER_CENTER,
            format!("{} (n={})", class.class_name, class.n_windows),
            egui::FontId::proportional(11.0),
            text_colour,
        );
    }
    let polygon = |value_of: &dyn Fn(&ClassRmse) -> f64| -> Vec<egui::Pos2> {
        classes
            .iter()
            .enumerate()
            .map(|(k, class)| {
                let value = value_of(class);
                let fraction = if value.is_finite() {
                    (value / max_mv).clamp(0.0, 1.2)
                } else {
                    0.0
                };
                center + direction(k) * radius_in_ui * fraction as f32
            })
            .collect()
    };
    let colour_c = egui::Color32::from_rgb(230, 120, 30);
    let colour_ch = egui::Color32::from_rgb(30, 120, 220);
    painter.add(egui::Shape::closed_line(
        polygon(&|c| c.rmse_c_mv),
        egui::Stroke::new(2.0, colour_c),
    ));
    painter.add(egui::Shape::closed_line(
        polygon(&|c| c.rmse_ch_mv),
        egui::Stroke::new(2.0, colour_ch),
    ));
    ui.horizontal(|ui| {
        ui.colored_label(colour_c, "— C");
        ui.colored_label(colour_ch, "— C-h");
        ui.label("(RMSE, mV)");
    });
}

/// Per-lead metrics: ours (least squares, C, C-h, when given) beside the paper's published numbers.
pub fn metrics_table_ui(ui: &mut egui::Ui, ours: &[LeadRow]) {
    let format_ours = |lead: &str, pick: &dyn Fn(&LeadRow) -> Option<f64>| {
        ours.iter()
            .find(|row| row.lead == lead)
            .and_then(pick)
            .map_or_else(|| "–".to_owned(), |value| format!("{value:.3}"))
    };
    for (title, metric) in [
        (
            "RMSE (mV)",
            (|m: &LeadMetrics| m.rmse_mv) as fn(&LeadMetrics) -> f64,
        ),
        ("R²", |m: &LeadMetrics| m.r2),
        ("Pearson r", |m: &LeadMetrics| m.pearson),
    ] {
        ui.label(egui::RichText::new(title).strong());
        egui::Grid::new(format!("metrics_table_{title}"))
            .striped(true)
            .show(ui, |ui| {
                for header in [
                    "Lead",
                    "C (paper)",
                    "C-h (paper)",
                    "least squares (ours)",
                    "C (ours)",
                    "C-h (ours)",
                ] {
                    ui.strong(header);
                }
                ui.end_row();
                for (lead, paper_c, paper_ch) in paper::table_i_metrics() {
                    ui.label(lead);
                    ui.label(format!("{:.3}", metric(&paper_c)));
                    ui.label(format!("{:.3}", metric(&paper_ch)));
                    ui.label(format_ours(lead, &|row| {
                        row.least_squares.as_ref().map(metric)
                    }));
                    ui.label(format_ours(lead, &|row| row.c.as_ref().map(metric)));
                    ui.label(format_ours(lead, &|row| row.ch.as_ref().map(metric)));
                    ui.end_row();
                }
            });
    }
    ui.small("Paper: Youssef & Singla (2026), PTB-XL, patient-independent test fold. \"–\": not in our evaluation (or none loaded).");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn samples() -> String {
        concat!(env!("CARGO_MANIFEST_DIR"), "/assets/samples").to_owned()
    }

    #[test]
    fn long_class_names_are_shortened_with_an_ellipsis() {
        assert_eq!(shorten("NORM", 8), "NORM");
        assert_eq!(shorten("chagas_negative", 8), "chagas_…");
        assert_eq!(shorten("chagas_negative", 8).chars().count(), 8);
        assert_eq!(shorten("426177001", 0), "42…");
    }

    #[test]
    fn the_evaluation_form_builds_what_the_cli_would_run() {
        let form = EvalForm {
            data_folders: format!("  {}  \n\n", samples()),
            split: EvalSplit::Train,
            reference_folders: "/not/used/unless/split/all".to_owned(),
            k: 5,
            out_dir: String::new(),
        };
        let (config, out_dir) = form.config().expect("valid");
        assert_eq!(config.data, vec![PathBuf::from(samples())]);
        assert_eq!(config.split, Some(crate::prep::Split::Train));
        assert!(config.reference.is_empty());
        assert_eq!(config.k, 5);
        assert_eq!(out_dir, None);
        // Everything else as `precordial eval` defaults it.
        let defaults = EvalConfig::default();
        assert_eq!(config.bootstrap_resamples, defaults.bootstrap_resamples);
        assert_eq!(config.permutations, defaults.permutations);
        assert_eq!(config.seed, defaults.seed);
        assert_eq!(config.qc_max_bad_leads, None);
    }

    #[test]
    fn the_evaluation_form_explains_what_is_wrong() {
        let valid = EvalForm {
            data_folders: samples(),
            ..EvalForm::default()
        };
        let error = |form: EvalForm| form.config().err().unwrap_or_default();
        assert!(error(EvalForm::default()).contains("at least one dataset folder"));
        assert!(
            error(EvalForm {
                data_folders: "/no/such/folder".to_owned(),
                ..valid.clone()
            })
            .contains("/no/such/folder: no such folder")
        );
        assert!(
            error(EvalForm {
                split: EvalSplit::All,
                ..valid.clone()
            })
            .contains("reference")
        );
        assert!(
            error(EvalForm {
                k: 0,
                ..valid.clone()
            })
            .contains("k must be")
        );
        // A folder holding a report is refused before anything runs.
        let dir = std::env::temp_dir().join(format!("precordial-form-{}", std::process::id()));
        std::fs::create_dir_all(&dir).ok();
        std::fs::write(dir.join("report.json"), "{}").ok();
        let refused = error(EvalForm {
            out_dir: dir.display().to_string(),
            ..valid.clone()
        });
        std::fs::remove_dir_all(&dir).ok();
        assert!(refused.contains("never replaces"), "{refused}");
        let (config, _) = EvalForm {
            split: EvalSplit::All,
            reference_folders: samples(),
            ..valid
        }
        .config()
        .expect("split all with a reference");
        assert_eq!((config.split, config.reference.len()), (None, 1));
    }
}
