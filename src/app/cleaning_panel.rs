//! Cleaning parameters (notch, band-pass, baseline window), persisted and edited live.
//!
//! The parameters are the `dsp` module's [`CleanConfig`] (METHOD.md's reference cleaning by default).
//! Every edit triggers a new cleaning job in the worker (the previous one is cancelled); the view keeps
//! showing the last result until the new one arrives.

use crate::dsp::clean::{CleanConfig, FilterForm, OutputLength};

/// What the panel knows about the cleaning of the record on screen.
pub enum CleaningStatus {
    NoRecord,
    Running,
    Done {
        r_peaks: Result<usize, String>,
    },
    Failed(String),
    /// Stopped with Esc; the view shows the previous parameters' result, if there is one.
    Cancelled {
        showing_earlier: bool,
    },
}

/// The config the viewer cleans with: the user's, over the whole record (no trim to 10 s).
pub fn viewer_config(config: &CleanConfig) -> CleanConfig {
    CleanConfig {
        length: OutputLength::Full,
        ..config.clone()
    }
}

pub fn cleaning_ui(config: &mut CleanConfig, ui: &mut egui::Ui, status: &CleaningStatus) {
    ui.heading("Cleaning").on_hover_text(
        "The reference cleaning of the method: resample to 100 Hz, powerline notch, band-pass, running-median baseline removal. Edits apply live.",
    );
    match status {
        CleaningStatus::NoRecord => {}
        CleaningStatus::Running => {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.label("cleaning…");
            });
        }
        CleaningStatus::Done { r_peaks } => {
            match r_peaks {
                Ok(n) => ui.label(format!("cleaned · {n} R-peaks detected")),
                Err(err) => ui.label(format!("cleaned · R-peaks: {err}")),
            };
        }
        CleaningStatus::Cancelled { showing_earlier } => {
            ui.label(if *showing_earlier {
                "cleaning cancelled: the view shows the previous parameters' result; change a parameter to clean again"
            } else {
                "cleaning cancelled: change a parameter (or open the record again) to clean"
            });
        }
        CleaningStatus::Failed(err) => {
            ui.colored_label(
                ui.visuals().error_fg_color,
                format!("cleaning failed: {err}"),
            );
        }
    }
    if let Err(err) = config.validate() {
        ui.colored_label(ui.visuals().error_fg_color, err.to_string());
    }
    egui::Grid::new("cleaning_grid").num_columns(2).show(ui, |ui| {
        ui.label("Rate").on_hover_text("Every record is resampled to this rate first (the models work at 100 Hz).");
        ui.add(egui::DragValue::new(&mut config.target_fs_hz).range(50.0..=1000.0).speed(1.0).suffix(" Hz"));
        ui.end_row();
        ui.checkbox(&mut config.notch_enabled, "Notch")
            .on_hover_text("Removes mains interference at the powerline frequency (zero-phase). Skipped when the frequency is at or above Nyquist: at 100 Hz, 50 Hz sits exactly at Nyquist, as in the reference scripts.");
        ui.horizontal(|ui| {
            ui.selectable_value(&mut config.notch_hz, 50.0, "50 Hz");
            ui.selectable_value(&mut config.notch_hz, 60.0, "60 Hz");
            ui.add(egui::DragValue::new(&mut config.notch_quality).range(1.0..=100.0).prefix("Q "));
        });
        ui.end_row();
        ui.checkbox(&mut config.bandpass_enabled, "Band-pass")
            .on_hover_text("Butterworth, zero-phase: the high-pass edge removes baseline wander, the low-pass edge muscle noise. Edges at or above Nyquist are clipped just below it.");
        ui.horizontal(|ui| {
            ui.add(egui::DragValue::new(&mut config.bandpass_low_hz).range(0.01..=10.0).speed(0.01).suffix(" Hz"));
            ui.label("–");
            ui.add(egui::DragValue::new(&mut config.bandpass_high_hz).range(1.0..=500.0).speed(0.5).suffix(" Hz"));
        });
        ui.end_row();
        ui.label("   filter");
        ui.horizontal(|ui| {
            ui.add(egui::DragValue::new(&mut config.bandpass_order).range(1..=8).prefix("order "));
            ui.selectable_value(&mut config.bandpass_form, FilterForm::Ba, "(b, a)")
                .on_hover_text("filtfilt on the transfer-function polynomials, as the reference scripts do");
            ui.selectable_value(&mut config.bandpass_form, FilterForm::Sos, "SOS")
                .on_hover_text("sosfiltfilt on second-order sections: numerically safer at high rates or orders");
        });
        ui.end_row();
        ui.checkbox(&mut config.baseline_enabled, "Baseline")
            .on_hover_text("A running median over this window is subtracted: it follows the slow baseline (respiration, electrode drift) but not the QRS complex.");
        ui.add(egui::DragValue::new(&mut config.baseline_window_s).range(0.1..=3.0).speed(0.01).suffix(" s"));
        ui.end_row();
        ui.label("Filter at native rate");
        ui.checkbox(&mut config.filter_at_native_rate, "")
            .on_hover_text("Notch and band-pass before resampling (the reference resamples first).");
        ui.end_row();
    });
    if ui
        .button("Reference values")
        .on_hover_text("METHOD.md's cleaning")
        .clicked()
    {
        *config = CleanConfig::default();
    }
}
