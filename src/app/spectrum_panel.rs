//! The spectrum panel: Welch power spectral density of one lead, raw vs cleaned, in dB.
//!
//! The spectra are computed in the cleaning job (worker); this panel only plots them.

use egui_plot::{Legend, Line, Plot, PlotPoints};

use super::records::LoadedRecord;
use crate::dsp::spectrum::Psd;
use crate::worker::Cleaned;

#[derive(Default)]
pub struct SpectrumPanel {
    /// Lead shown (index into the record's signals).
    pub lead_index: usize,
}

/// Points of a PSD in dB (10·log10 of mV²/Hz); zero and non-finite powers are left out.
fn psd_points(psd: &Psd) -> PlotPoints<'static> {
    psd.freqs_hz
        .iter()
        .zip(&psd.power)
        .filter(|(f, p)| f.is_finite() && p.is_finite() && **p > 0.0)
        .map(|(&f, &p)| [f, 10.0 * p.log10()])
        .collect()
}

impl SpectrumPanel {
    pub fn on_new_record(&mut self) {}

    pub fn ui(
        &mut self,
        ui: &mut egui::Ui,
        loaded: Option<&LoadedRecord>,
        cleaned: Option<&Cleaned>,
    ) {
        ui.heading("Spectrum: raw vs cleaned").on_hover_text(
            "Power spectral density (Welch, 2 s Hann segments, 50 % overlap): how the signal's power spreads over frequency. Mains hum shows as a spike at 50/60 Hz, baseline wander below 0.5 Hz, muscle noise above 40 Hz.",
        );
        let Some(loaded) = loaded else {
            ui.label("No record loaded.");
            return;
        };
        let names = loaded.record.signal_names();
        if self.lead_index >= names.len() {
            self.lead_index = 0;
        }
        ui.horizontal(|ui| {
            ui.label("Lead");
            egui::ComboBox::from_id_salt("spectrum_lead")
                .selected_text(names.get(self.lead_index).copied().unwrap_or("–"))
                .show_ui(ui, |ui| {
                    for (index, name) in names.iter().enumerate() {
                        ui.selectable_value(&mut self.lead_index, index, *name);
                    }
                });
        });
        let Some(cleaned) = cleaned else {
            ui.label("Cleaning… (the spectra are computed with it)");
            return;
        };
        let raw = cleaned.raw_psd.get(self.lead_index);
        let clean = cleaned.cleaned_psd.get(self.lead_index);
        for (what, psd) in [("raw", raw), ("cleaned", clean)] {
            if let Some(Err(err)) = psd {
                ui.colored_label(
                    ui.visuals().error_fg_color,
                    format!("{what} spectrum: {err}"),
                );
            }
        }
        ui.label(format!(
            "raw at {} Hz, cleaned at {} Hz (Nyquist {} Hz)",
            loaded.record.fs_hz(),
            cleaned.fs_hz,
            cleaned.fs_hz / 2.0
        ));
        Plot::new("spectrum_plot")
            .legend(Legend::default())
            .x_axis_label("frequency (Hz)")
            .y_axis_label("power (dB re 1 mV²/Hz)")
            .show(ui, |plot_ui| {
                if let Some(Ok(psd)) = raw {
                    plot_ui.line(Line::new("raw", psd_points(psd)));
                }
                if let Some(Ok(psd)) = clean {
                    plot_ui.line(Line::new("cleaned", psd_points(psd)));
                }
            });
    }
}
