//! Cleaning parameters (notch, band-pass, baseline window), persisted and edited live.
//!
//! The values mirror METHOD.md's reference cleaning. The `dsp` module that applies them is not part of
//! this build yet, so the panel says so plainly and nothing pretends to be cleaned.

use serde::{Deserialize, Serialize};

/// The cleaning parameters the user edits (reference defaults from METHOD.md).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct CleaningSettings {
    pub notch_enabled: bool,
    pub notch_hz: f64,
    pub highpass_hz: f64,
    pub lowpass_hz: f64,
    pub baseline_window_s: f64,
}

impl Default for CleaningSettings {
    fn default() -> Self {
        Self {
            notch_enabled: true,
            notch_hz: 50.0,
            highpass_hz: 0.5,
            lowpass_hz: 45.0,
            baseline_window_s: 0.6,
        }
    }
}

/// Why cleaned signals are not shown in this build.
pub const CLEANING_UNAVAILABLE: &str =
    "Cleaning unavailable: the dsp module is not in this build yet. Only raw signals are shown.";

impl CleaningSettings {
    pub fn ui(&mut self, ui: &mut egui::Ui) {
        ui.heading("Cleaning");
        ui.colored_label(ui.visuals().warn_fg_color, CLEANING_UNAVAILABLE);
        ui.add_enabled_ui(true, |ui| {
            ui.checkbox(&mut self.notch_enabled, "Notch filter")
                .on_hover_text("Removes mains interference at the powerline frequency (Q = 30, zero-phase). Skipped when the frequency is at or above Nyquist (e.g. 50 Hz at fs = 100 Hz).");
            ui.horizontal(|ui| {
                ui.selectable_value(&mut self.notch_hz, 50.0, "50 Hz");
                ui.selectable_value(&mut self.notch_hz, 60.0, "60 Hz");
            });
            ui.horizontal(|ui| {
                ui.label("Band-pass").on_hover_text("Butterworth order 4, zero-phase: the high-pass edge removes baseline wander, the low-pass edge muscle noise.");
                ui.add(egui::DragValue::new(&mut self.highpass_hz).range(0.01..=5.0).speed(0.01).suffix(" Hz"));
                ui.label("–");
                ui.add(egui::DragValue::new(&mut self.lowpass_hz).range(5.0..=250.0).speed(0.5).suffix(" Hz"));
            });
            ui.horizontal(|ui| {
                ui.label("Baseline window").on_hover_text("A running median over this window is subtracted: it follows the slow baseline (respiration, electrode drift) but not the QRS complex.");
                ui.add(egui::DragValue::new(&mut self.baseline_window_s).range(0.1..=2.0).speed(0.01).suffix(" s"));
            });
            if ui.button("Reference values").clicked() {
                *self = Self::default();
            }
        });
    }
}
