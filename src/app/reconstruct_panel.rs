//! The reconstruct panel: rebuild V1, V3–V6 from I, II, V2 with the C and C-h models and compare them
//! with the recorded leads (overlay, residual, RMSE / R² / Pearson per lead, beat overlay).
//!
//! The `model` module (burn) is not part of this build yet. The panel checks what it can check now —
//! whether the record holds the input and target leads, whether a models folder holds anything — shows
//! the recorded target leads, and states plainly that no reconstruction can run. It never draws a
//! stand-in reconstruction.

use std::path::Path;

use egui_plot::{Legend, Line, Plot, PlotPoints};

use super::LoadedRecord;
use super::ecg_grid::decimate_min_max;

/// Leads the models take, in order.
pub const INPUT_LEADS: [&str; 3] = ["I", "II", "V2"];
/// Leads the models rebuild.
pub const TARGET_LEADS: [&str; 5] = ["V1", "V3", "V4", "V5", "V6"];

/// Shown while the model module is missing.
pub const NO_MODELS: &str = "No models loaded: the reconstruction models (C and C-h, module `model`) are not in this build yet.";

#[derive(Default)]
pub struct ReconstructPanel {
    /// Cached answer for the current record: which input leads are missing.
    missing_inputs: Option<Vec<&'static str>>,
}

impl ReconstructPanel {
    pub fn on_new_record(&mut self) {
        self.missing_inputs = None;
    }

    pub fn ui(&mut self, ui: &mut egui::Ui, loaded: Option<&LoadedRecord>, models_dir: &Path) {
        ui.heading("Reconstruct V1, V3–V6 from I, II, V2").on_hover_text(
            "C: a convolutional decoder from the three input leads alone. C-h: the same decoder conditioned on a pathology-aware embedding h learned by supervised contrastive training (Youssef & Singla, 2026).",
        );
        let model_files = count_model_files(models_dir);
        ui.horizontal(|ui| {
            ui.label("Models folder:");
            ui.monospace(models_dir.display().to_string());
            ui.label(match model_files {
                Some(0) | None => "(empty or missing)".to_owned(),
                Some(n) => format!("({n} file(s))"),
            });
        });
        ui.label("Device: none (no model loaded)");
        ui.colored_label(ui.visuals().warn_fg_color, NO_MODELS);
        ui.add_enabled(false, egui::Button::new("Reconstruct"))
            .on_disabled_hover_text(NO_MODELS);

        let Some(loaded) = loaded else {
            ui.label("No record loaded.");
            return;
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
    }
}

/// Number of files in the models folder (`None` when it does not exist).
fn count_model_files(models_dir: &Path) -> Option<usize> {
    let entries = std::fs::read_dir(models_dir).ok()?;
    Some(
        entries
            .filter_map(Result::ok)
            .filter(|entry| entry.path().is_file())
            .count(),
    )
}
