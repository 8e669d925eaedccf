//! The reconstruct panel: rebuild V1, V3–V6 from I, II, V2 with the C and C-h models and compare them
//! with the recorded leads (overlay, residual, RMSE / R² / Pearson per lead, beat overlay).
//!
//! The models are loaded by a worker job at launch (or "Reload models"); until they are, or when they
//! cannot be, the panel says why and shows the recorded target leads only. It never draws a stand-in
//! reconstruction. The comparison drawing ([`comparison_ui`]) takes a plain [`ReconstructionResult`].

use std::path::Path;

use egui_plot::{Legend, Line, Plot, PlotPoints};

use super::ecg_grid::decimate_min_max;
use super::models::{ModelsStatus, NO_MODELS};
use super::notices::{NoticeLevel, Notices};
use super::records::LoadedRecord;
use crate::metrics::LeadMetrics;
use crate::worker::batch::{BatchSummary, ReconstructFolders};
use crate::worker::reconstruct::Reconstruct;
pub use crate::worker::reconstruct::{
    INPUT_LEADS, LeadComparison, LeadReconstructor, ReconstructionResult, TARGET_LEADS,
};
use crate::worker::{Outcome, Task, Worker, poll_slot};

/// Which traces the comparison shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TraceToggles {
    pub truth: bool,
    pub c: bool,
    pub ch: bool,
    pub residual: bool,
    /// The least-squares baseline of the models' card (the population linear mapping).
    pub least_squares: bool,
}

impl Default for TraceToggles {
    fn default() -> Self {
        Self {
            truth: true,
            c: true,
            ch: true,
            residual: false,
            least_squares: false,
        }
    }
}

const COLOUR_TRUTH: egui::Color32 = egui::Color32::from_rgb(40, 40, 40);
const COLOUR_C: egui::Color32 = egui::Color32::from_rgb(230, 120, 30);
const COLOUR_CH: egui::Color32 = egui::Color32::from_rgb(30, 120, 220);
const COLOUR_LEAST_SQUARES: egui::Color32 = egui::Color32::from_rgb(120, 120, 120);
const WIDE_COLOUR: egui::Color32 = egui::Color32::from_rgb(220, 120, 0);

fn format_metrics(metrics: Option<&LeadMetrics>) -> String {
    match metrics {
        Some(m) => format!(
            "RMSE {:.3} mV · R² {:.3} · r {:.3}",
            m.rmse_mv, m.r2, m.pearson
        ),
        None => "–".to_owned(),
    }
}

/// Draws a reconstruction: per target lead the recorded trace, C and C-h (toggles, legend, optional
/// residuals) with RMSE / R² / Pearson beside it, then one chosen beat of every lead superimposed.
pub fn comparison_ui(
    ui: &mut egui::Ui,
    result: &ReconstructionResult,
    toggles: &mut TraceToggles,
    beat_index: &mut usize,
) {
    ui.horizontal(|ui| {
        ui.label(format!("Device: {}", result.device));
        ui.separator();
        ui.checkbox(&mut toggles.truth, "recorded");
        ui.checkbox(&mut toggles.c, "C");
        ui.checkbox(&mut toggles.ch, "C-h");
        ui.checkbox(&mut toggles.residual, "residuals")
            .on_hover_text("Reconstruction minus recording: what the model missed.");
        if result.leads.iter().any(|l| l.least_squares_mv.is_some()) {
            ui.checkbox(&mut toggles.least_squares, "least squares").on_hover_text(
                "The population linear mapping from I, II and V2 (fitted on the models' train split, stored in their card): the baseline the models are compared with.",
            );
        }
    });
    let fs_hz = result.fs_hz.max(1e-9);
    let series = |signal: &[f64]| -> PlotPoints<'static> {
        decimate_min_max(signal, 0, signal.len(), 1200)
            .into_iter()
            .map(|(index, value)| [index as f64 / fs_hz, value])
            .collect()
    };
    let plot_height = ((ui.available_height() * 0.6) / result.leads.len().max(1) as f32).max(60.0);
    let band_of = |variant: usize, k: usize| {
        result.twelve_lead[variant]
            .ecg
            .bands
            .as_ref()
            .map(|bands| &bands.leads[k])
    };
    for (k, lead) in result.leads.iter().enumerate() {
        let (band_c, band_ch) = (band_of(0, k), band_of(1, k));
        ui.horizontal(|ui| {
            ui.strong(&lead.lead);
            let (c, ch) = (lead.metrics_c.as_ref(), lead.metrics_ch.as_ref());
            ui.colored_label(COLOUR_C, format!("C: {}", format_metrics(c)));
            ui.colored_label(COLOUR_CH, format!("C-h: {}", format_metrics(ch)));
            if let (Some(band_c), Some(band_ch)) = (band_c, band_ch) {
                let wide = band_ch.wide.len();
                ui.label(format!(
                    "90 % band: C ±{:.3}, C-h ±{:.3} mV{}",
                    band_c.mean_mv(),
                    band_ch.mean_mv(),
                    if wide > 0 {
                        format!(" · {wide} wide stretch{}", if wide > 1 { "es" } else { "" })
                    } else {
                        String::new()
                    }
                ))
                .on_hover_text(
                    "Split-conformal band calibrated on the validation split \
                     (precordial calibrate): where the recording lies, sample by sample, \
                     with the stated probability (mean half-width shown; it widens where C and \
                     C-h disagree). A stretch is wide when its band is at least 1.5× the usual: \
                     shaded orange in the plot. Measured coverage is in the eval report.",
                );
            }
        });
        Plot::new(format!("comparison_{}", lead.lead))
            .height(plot_height)
            .legend(Legend::default())
            .link_axis(egui::Id::unique("comparison_time"), [true, false])
            .link_cursor(egui::Id::unique("comparison_time"), [true, false])
            .show(ui, |plot_ui| {
                if toggles.truth {
                    plot_ui.line(Line::new("recorded", series(&lead.truth_mv)).color(COLOUR_TRUTH));
                }
                if let (true, Some(ls)) = (toggles.least_squares, &lead.least_squares_mv) {
                    plot_ui.line(
                        Line::new("least squares", series(ls))
                            .color(COLOUR_LEAST_SQUARES)
                            .style(egui_plot::LineStyle::dashed_loose()),
                    );
                }
                if let (true, Some(c)) = (toggles.c, &lead.c_mv) {
                    plot_ui.line(Line::new("C", series(c)).color(COLOUR_C));
                }
                if let (true, Some(ch)) = (toggles.ch, &lead.ch_mv) {
                    if let Some(band) = band_ch {
                        // The band as its two edges (egui_plot fills convex polygons only).
                        for sign in [1.0, -1.0] {
                            let edge: Vec<f64> = ch
                                .iter()
                                .zip(&band.half_width_mv)
                                .map(|(v, h)| v + sign * h)
                                .collect();
                            plot_ui.line(
                                Line::new("C-h band", series(&edge))
                                    .color(COLOUR_CH.gamma_multiply(0.35)),
                            );
                        }
                        for &(start, end) in &band.wide {
                            let (x0, x1) = (start as f64 / fs_hz, end as f64 / fs_hz);
                            let (lo, hi) = (-1e3, 1e3);
                            plot_ui.polygon(
                                egui_plot::Polygon::new(
                                    "wide band",
                                    PlotPoints::new(vec![[x0, lo], [x1, lo], [x1, hi], [x0, hi]]),
                                )
                                .fill_color(WIDE_COLOUR.gamma_multiply(0.12))
                                .stroke(egui::Stroke::NONE),
                            );
                        }
                    }
                    plot_ui.line(Line::new("C-h", series(ch)).color(COLOUR_CH));
                }
                if toggles.residual {
                    if let Some(residual) = &lead.residual_c_mv {
                        plot_ui.line(
                            Line::new("C − recorded", series(residual))
                                .color(COLOUR_C.gamma_multiply(0.5)),
                        );
                    }
                    if let Some(residual) = &lead.residual_ch_mv {
                        plot_ui.line(
                            Line::new("C-h − recorded", series(residual))
                                .color(COLOUR_CH.gamma_multiply(0.5)),
                        );
                    }
                }
            });
    }
    ui.separator();
    beat_view_ui(ui, result, beat_index);
}

/// One beat (0.25 s before to 0.45 s after its R-peak) of every target lead, three traces superimposed.
fn beat_view_ui(ui: &mut egui::Ui, result: &ReconstructionResult, beat_index: &mut usize) {
    let n_beats = result.r_peaks_in_samples.len();
    if n_beats == 0 {
        ui.label("Beat view: no R-peaks detected in this record.");
        return;
    }
    *beat_index = (*beat_index).min(n_beats - 1);
    ui.horizontal(|ui| {
        ui.label("Beat").on_hover_text("Choose a heartbeat (by its detected R-peak) to see the recorded and reconstructed complexes superimposed.");
        ui.add(egui::Slider::new(beat_index, 0..=n_beats - 1).text(format!("of {n_beats}")));
    });
    let Some(&peak) = result.r_peaks_in_samples.get(*beat_index) else {
        return;
    };
    let fs_hz = result.fs_hz;
    let before = (0.25 * fs_hz).round() as usize;
    let after = (0.45 * fs_hz).round() as usize;
    let start = peak.saturating_sub(before);
    let window = |signal: &[f64]| -> PlotPoints<'static> {
        let end = (peak + after).min(signal.len());
        signal
            .get(start..end)
            .unwrap_or(&[])
            .iter()
            .enumerate()
            .map(|(i, &v)| [((start + i) as f64 - peak as f64) / fs_hz * 1000.0, v])
            .collect()
    };
    ui.columns(result.leads.len().max(1), |columns| {
        for (lead, column) in result.leads.iter().zip(columns.iter_mut()) {
            column.label(&lead.lead);
            Plot::new(format!("beat_{}", lead.lead))
                .height(180.0)
                .x_axis_label("ms from R")
                .show(column, |plot_ui| {
                    plot_ui.line(Line::new("recorded", window(&lead.truth_mv)).color(COLOUR_TRUTH));
                    if let Some(c) = &lead.c_mv {
                        plot_ui.line(Line::new("C", window(c)).color(COLOUR_C));
                    }
                    if let Some(ch) = &lead.ch_mv {
                        plot_ui.line(Line::new("C-h", window(ch)).color(COLOUR_CH));
                    }
                });
        }
    });
}

/// What the user asked the panel to do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReconstructAction {
    Run,
    ReloadModels,
    /// Reconstruct every record below this folder.
    Batch(std::path::PathBuf),
}

#[derive(Default)]
pub struct ReconstructPanel {
    /// Cached answer for the current record: which input leads are missing.
    missing_inputs: Option<Vec<&'static str>>,
    /// The reconstruction of the current record, once a model has produced one.
    pub result: Option<ReconstructionResult>,
    /// The reconstruction job in flight, for the current record.
    task: Option<Task<ReconstructionResult>>,
    pub toggles: TraceToggles,
    pub beat_index: usize,
    /// The folder typed or chosen for a batch run.
    pub batch_folder: String,
    /// The batch run in flight.
    batch_task: Option<Task<BatchSummary>>,
}

impl ReconstructPanel {
    /// Forgets the previous record's reconstruction; one still running is cancelled.
    pub fn on_new_record(&mut self) {
        self.missing_inputs = None;
        self.result = None;
        self.task = None;
        self.beat_index = 0;
    }

    /// Forgets a reconstruction made with models that are no longer loaded.
    pub fn on_new_models(&mut self) {
        self.result = None;
    }

    /// Starts a batch run in the worker.
    pub fn start_batch(&mut self, worker: &mut Worker, job: ReconstructFolders) {
        self.batch_task = Some(worker.submit(job));
    }

    /// Starts a reconstruction of `loaded` (record `record_key`) in the worker.
    pub fn start(
        &mut self,
        worker: &mut Worker,
        loaded: &LoadedRecord,
        record_key: u64,
        reconstructor: std::sync::Arc<dyn LeadReconstructor>,
    ) {
        self.task = Some(worker.submit(Reconstruct {
            record_key,
            record: std::sync::Arc::clone(&loaded.record),
            reconstructor,
        }));
    }

    /// Takes the reconstruction job's outcome. Never blocks.
    pub fn logic(&mut self, record_key: u64, notices: &mut Notices) {
        match poll_slot(&mut self.task) {
            Some(Outcome::Done(result)) if result.record_key == record_key => {
                self.result = Some(result);
            }
            Some(Outcome::Done(_)) | None => {}
            Some(Outcome::Failed(reason)) => notices.push(NoticeLevel::Error, reason),
            Some(Outcome::Cancelled) => notices.push(NoticeLevel::Info, "reconstruction cancelled"),
        }
        match poll_slot(&mut self.batch_task) {
            Some(Outcome::Done(summary)) => {
                let failed = summary.count(crate::worker::batch::RecordStatus::Failed);
                let level = if failed > 0 || summary.cancelled {
                    NoticeLevel::Warning
                } else {
                    NoticeLevel::Info
                };
                notices.push(level, summary.describe());
            }
            Some(Outcome::Failed(reason)) => notices.push(NoticeLevel::Error, reason),
            Some(Outcome::Cancelled) => notices.push(NoticeLevel::Info, "batch cancelled"),
            None => {}
        }
    }

    /// Reconstructing every record of a folder, written as WFDB under the export folder.
    fn batch_ui(&mut self, ui: &mut egui::Ui, models_ready: bool) -> Option<ReconstructAction> {
        let mut action = None;
        ui.collapsing("Every record of a folder", |ui| {
            ui.horizontal(|ui| {
                ui.add(
                    egui::TextEdit::singleline(&mut self.batch_folder)
                        .hint_text("folder of records")
                        .desired_width(320.0),
                );
                if ui
                    .button("Folder…")
                    .on_hover_text("Choose the folder in a dialog (needs a desktop portal; else type the path)")
                    .clicked()
                    && let Some(folder) = rfd::FileDialog::new().pick_folder()
                {
                    self.batch_folder = folder.display().to_string();
                }
                match &self.batch_task {
                    Some(task) => {
                        if ui.button("Cancel batch").clicked() {
                            task.cancel();
                        }
                    }
                    None => {
                        let folder = self.batch_folder.trim();
                        let button = ui
                            .add_enabled(
                                models_ready && !folder.is_empty(),
                                egui::Button::new("Reconstruct all (C-h)"),
                            )
                            .on_hover_text(
                                "Rebuild every record below the folder with C-h and write each as a WFDB record, with a summary.csv (per-lead RMSE where recorded, band widths), under <export folder>/reconstructed. Records done before are skipped; failures are listed.",
                            );
                        if button.clicked() {
                            action = Some(ReconstructAction::Batch(folder.into()));
                        }
                    }
                }
            });
        });
        action
    }

    /// `models`: where the models stand.
    pub fn ui(
        &mut self,
        ui: &mut egui::Ui,
        loaded: Option<&LoadedRecord>,
        models_dir: &Path,
        models: &ModelsStatus,
    ) -> Option<ReconstructAction> {
        let mut action = None;
        let running = self.task.as_ref().map(|task| task.handle().progress());
        ui.heading("Reconstruct V1, V3–V6 from I, II, V2").on_hover_text(
            "C: a convolutional decoder from the three input leads alone. C-h: the same decoder conditioned on a pathology-aware embedding h learned by supervised contrastive training (Youssef & Singla, 2026).",
        );
        // What the folder holds is the loading job's finding (below), not a directory listing
        // redone every frame on the UI thread.
        ui.horizontal(|ui| {
            ui.label("Models folder:");
            ui.monospace(models_dir.display().to_string());
        });
        let models_ready = matches!(models, ModelsStatus::Loaded { .. });
        let can_run = models_ready
            && loaded
                .is_some_and(|l| crate::worker::reconstruct::missing_inputs(&l.record).is_empty());
        ui.horizontal(|ui| {
            match models {
                ModelsStatus::Loaded { device } => {
                    ui.label(format!("Models loaded · device: {device}"))
                }
                ModelsStatus::Loading => ui.label("Loading models…"),
                ModelsStatus::Failed(reason) => ui.colored_label(
                    ui.visuals().error_fg_color,
                    format!("Models not loaded: {reason}"),
                ),
                ModelsStatus::Absent => ui.colored_label(ui.visuals().warn_fg_color, NO_MODELS),
            };
            if !matches!(models, ModelsStatus::Loading) && ui.button("Reload models").clicked() {
                action = Some(ReconstructAction::ReloadModels);
            }
            match running {
                Some(progress) => {
                    ui.add(
                        egui::ProgressBar::new(progress)
                            .desired_width(120.0)
                            .show_percentage(),
                    );
                    if ui.button("Cancel").clicked()
                        && let Some(task) = &self.task
                    {
                        task.cancel();
                    }
                }
                None => {
                    let button = ui.add_enabled(can_run, egui::Button::new("Run reconstruction"));
                    let button = if !models_ready {
                        button.on_disabled_hover_text(NO_MODELS)
                    } else {
                        button.on_disabled_hover_text("This record lacks I, II or V2.")
                    };
                    if button.clicked() {
                        action = Some(ReconstructAction::Run);
                    }
                }
            }
        });
        if let Some(batch) = self.batch_ui(ui, models_ready) {
            action = Some(batch);
        }
        if let Some(result) = &self.result {
            egui::ScrollArea::vertical().show(ui, |ui| {
                comparison_ui(ui, result, &mut self.toggles, &mut self.beat_index);
            });
            return action;
        }

        let Some(loaded) = loaded else {
            ui.label("No record loaded.");
            return action;
        };
        let missing = self
            .missing_inputs
            .get_or_insert_with(|| {
                INPUT_LEADS
                    .iter()
                    .copied()
                    .filter(|name| loaded.lead_index(name).is_none())
                    .collect()
            })
            .clone();
        if missing.is_empty() {
            ui.label(format!(
                "{}: has the input leads I, II and V2.",
                loaded.name
            ));
        } else {
            ui.colored_label(
                ui.visuals().error_fg_color,
                format!(
                    "{} lacks lead(s) {}: the models need I, II and V2, so this record cannot be reconstructed.",
                    loaded.name,
                    missing.join(", ")
                ),
            );
        }
        ui.separator();
        ui.label("Recorded target leads (ground truth). C and C-h, their residuals and RMSE / R² / Pearson r appear here after a reconstruction.");
        let fs_hz = loaded.record.fs_hz();
        let n_targets = TARGET_LEADS.len() as f32;
        let plot_height = ((ui.available_height() - 10.0) / n_targets).max(60.0);
        egui::ScrollArea::vertical().show(ui, |ui| {
            for name in TARGET_LEADS {
                let Some(signal) = loaded
                    .lead_index(name)
                    .and_then(|i| loaded.record.signal(i))
                else {
                    ui.label(format!("{name}: not in this record (no ground truth)"));
                    continue;
                };
                let points: PlotPoints = decimate_min_max(signal, 0, signal.len(), 1200)
                    .into_iter()
                    .map(|(index, value)| [index as f64 / fs_hz, value])
                    .collect();
                Plot::new(format!("target_{name}"))
                    .height(plot_height)
                    .legend(Legend::default())
                    .link_axis(egui::Id::unique("reconstruct_time"), [true, false])
                    .link_cursor(egui::Id::unique("reconstruct_time"), [true, false])
                    .x_axis_label("s")
                    .y_axis_label("mV")
                    .show(ui, |plot_ui| {
                        plot_ui.line(Line::new(format!("{name} recorded"), points));
                    });
            }
        });
        action
    }
}
