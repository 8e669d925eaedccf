//! The settings panel: paper calibration (screen DPI), layout, colours, theme, folders. Everything here
//! is saved between runs (eframe storage, RON).

use super::settings::{Settings, ThemeChoice};

/// What the user asked of the panel beyond editing the settings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SettingsAction {
    /// Load the models folder again (on the chosen device).
    ReloadModels,
}

/// Edits `settings`. `models_loading` disables "Reload models"; `launch_to_first_record` is shown
/// when known.
pub fn settings_ui(
    ui: &mut egui::Ui,
    settings: &mut Settings,
    models_loading: bool,
    launch_to_first_record: Option<std::time::Duration>,
) -> Option<SettingsAction> {
    let mut action = None;
    egui::ScrollArea::vertical().show(ui, |ui| {
        ui.heading("Paper");
        egui::Grid::new("paper_settings").num_columns(2).show(ui, |ui| {
            ui.label("Screen DPI").on_hover_text("Physical pixels per inch of this screen. Measure: a 5 mm large square of the grid should be 5 mm on a ruler held to the glass. Common values: 96 (desktop), 110–140 (laptop), 220+ (HiDPI).");
            ui.add(egui::DragValue::new(&mut settings.grid.screen_dpi).range(40.0..=600.0).speed(0.5));
            ui.end_row();
            ui.label("12×1 row height");
            ui.add(egui::DragValue::new(&mut settings.grid.row_height_12x1_mm).range(5.0..=60.0).suffix(" mm"));
            ui.end_row();
            ui.label("3×4 row height");
            ui.add(egui::DragValue::new(&mut settings.grid.row_height_3x4_mm).range(10.0..=80.0).suffix(" mm"));
            ui.end_row();
            ui.label("Trace width");
            ui.add(egui::DragValue::new(&mut settings.grid.trace_width_ui).range(0.5..=4.0).speed(0.05).suffix(" pt"));
            ui.end_row();
            ui.label("Calibration pulse").on_hover_text("The 1 mV, 200 ms step at the start of each row: its height shows the gain (10 mm at 10 mm/mV).");
            ui.checkbox(&mut settings.grid.show_calibration_pulse, "");
            ui.end_row();
        });
        ui.separator();
        ui.heading("Colours");
        let colours = &mut settings.grid.colours;
        egui::Grid::new("colour_settings").num_columns(3).show(ui, |ui| {
            ui.label("");
            ui.label("Light");
            ui.label("Dark");
            ui.end_row();
            for (label, light, dark) in [
                ("Paper", &mut colours.light_paper, &mut colours.dark_paper),
                ("1 mm lines", &mut colours.light_minor, &mut colours.dark_minor),
                ("5 mm lines", &mut colours.light_major, &mut colours.dark_major),
                ("Trace", &mut colours.light_trace, &mut colours.dark_trace),
            ] {
                ui.label(label);
                ui.color_edit_button_srgba(light);
                ui.color_edit_button_srgba(dark);
                ui.end_row();
            }
            ui.label("Cursor / overlay");
            ui.color_edit_button_srgba(&mut colours.overlay);
            ui.end_row();
        });
        if ui.button("Default colours").clicked() {
            settings.grid.colours = Default::default();
        }
        ui.separator();
        ui.heading("Window");
        ui.horizontal(|ui| {
            ui.label("Theme");
            ui.selectable_value(&mut settings.theme, ThemeChoice::Light, "Light");
            ui.selectable_value(&mut settings.theme, ThemeChoice::Dark, "Dark");
        });
        ui.separator();
        ui.heading("Folders");
        path_field_ui(ui, "Export folder", &mut settings.export_folder);
        path_field_ui(ui, "Models folder", &mut settings.models_dir);
        ui.horizontal(|ui| {
            use crate::model::DeviceChoice;
            ui.label("Model device");
            for (choice, label, tip) in [
                (DeviceChoice::Auto, "auto", "A hardware GPU when one exists (never a software renderer such as lavapipe), else the CPU."),
                (DeviceChoice::Gpu, "GPU", "A hardware GPU through wgpu, or an error."),
                (DeviceChoice::Cpu, "CPU", "burn's flex backend on the CPU."),
            ] {
                ui.radio_value(&mut settings.device, choice, label).on_hover_text(tip);
            }
            if ui
                .add_enabled(!models_loading, egui::Button::new("Reload models"))
                .clicked()
            {
                action = Some(SettingsAction::ReloadModels);
            }
        });
        ui.separator();
        ui.heading("Keyboard");
        for (keys, what) in [
            ("1 … 6", "switch view"),
            ("Ctrl+O", "focus the open field"),
            ("L", "toggle 12×1 / 3×4 layout"),
            ("← →", "pan 1 s"),
            ("+ −, Ctrl+wheel", "zoom the paper"),
            ("↑ ↓, Enter", "move through the record browser"),
            ("T", "dark / light theme"),
            ("Ctrl+E / Ctrl+P", "export CSV / PNG"),
            ("Esc", "cancel running jobs"),
        ] {
            ui.horizontal(|ui| {
                ui.monospace(format!("{keys:>16}"));
                ui.label(what);
            });
        }
        ui.separator();
        if let Some(elapsed) = launch_to_first_record {
            ui.small(format!(
                "Launch to first drawn record: {:.0} ms",
                elapsed.as_secs_f64() * 1000.0
            ));
        }
        if ui.button("Reset all settings").clicked() {
            settings.grid = Default::default();
            settings.cleaning = Default::default();
            settings.theme = ThemeChoice::default();
        }
    });
    action
}

fn path_field_ui(ui: &mut egui::Ui, label: &str, path: &mut std::path::PathBuf) {
    ui.horizontal(|ui| {
        ui.label(label);
        let mut text = path.display().to_string();
        if ui
            .add(egui::TextEdit::singleline(&mut text).desired_width(400.0))
            .changed()
        {
            *path = std::path::PathBuf::from(text);
        }
    });
}
