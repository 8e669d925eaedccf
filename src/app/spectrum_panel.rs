//! The spectrum panel: power spectral density (Welch) of a lead, raw vs cleaned.
//!
//! Welch's PSD comes from the `dsp` module, which is not part of this build yet; the panel shows what
//! it will compare and says why it is empty, rather than computing a stand-in.

use super::LoadedRecord;

#[derive(Default)]
pub struct SpectrumPanel {
    pub lead: String,
}

/// Shown while the dsp module is missing.
pub const SPECTRUM_UNAVAILABLE: &str =
    "Spectrum unavailable: Welch's PSD comes from the dsp module, which is not in this build yet.";

impl SpectrumPanel {
    pub fn on_new_record(&mut self) {}

    pub fn ui(&mut self, ui: &mut egui::Ui, loaded: Option<&LoadedRecord>) {
        ui.heading("Spectrum (raw vs cleaned PSD)").on_hover_text(
            "Power spectral density: how the signal's power spreads over frequency. Mains hum shows as a spike at 50/60 Hz, baseline wander below 0.5 Hz.",
        );
        let Some(loaded) = loaded else {
            ui.label("No record loaded.");
            return;
        };
        ui.horizontal(|ui| {
            ui.label("Lead");
            egui::ComboBox::from_id_salt("spectrum_lead")
                .selected_text(if self.lead.is_empty() {
                    "II"
                } else {
                    &self.lead
                })
                .show_ui(ui, |ui| {
                    for name in loaded.record.signal_names() {
                        ui.selectable_value(&mut self.lead, name.to_owned(), name);
                    }
                });
        });
        ui.colored_label(ui.visuals().warn_fg_color, SPECTRUM_UNAVAILABLE);
    }
}
