//! The window's frame around the views: the top bar (views, theme, exports, the open bar) and the
//! status bar (the record, the running jobs with Cancel, the latest notice).

use super::{App, View};

impl App {
    pub(super) fn top_bar_ui(&mut self, ui: &mut egui::Ui) {
        ui.horizontal_wrapped(|ui| {
            ui.strong("Precordial");
            ui.separator();
            for view in View::ALL {
                let shortcut = format!("{:?}", view.shortcut_key()).replace("Num", "");
                ui.selectable_value(&mut self.settings.view, view, view.label())
                    .on_hover_text(format!("Shortcut: {shortcut}"));
            }
            ui.separator();
            let theme_label = match self.settings.theme {
                super::ThemeChoice::Light => "Dark theme",
                super::ThemeChoice::Dark => "Light theme",
            };
            if ui
                .button(theme_label)
                .on_hover_text("Switch theme (T)")
                .clicked()
            {
                self.settings.theme = self.settings.theme.toggled();
            }
            if ui
                .button("Export CSV")
                .on_hover_text("Write the current record's signals (mV) as CSV (Ctrl+E)")
                .clicked()
            {
                self.export_csv();
            }
            if ui
                .button("Export PNG")
                .on_hover_text("Save the current window as a PNG image (Ctrl+P)")
                .clicked()
            {
                self.export_png(ui.ctx());
            }
            self.export_reconstruction_menu_ui(ui);
        });
        if let Some(action) = self.open_panel.ui(ui, &self.settings.recent_paths) {
            self.open_ui_action(action);
        }
    }

    /// The reconstruction's exports: as the 12-lead view shows it (C-h when it shows the record).
    fn export_reconstruction_menu_ui(&mut self, ui: &mut egui::Ui) {
        use crate::printout::Paper;
        use crate::printout::ecg::{Layout, ReportOptions};
        use crate::worker::reconstruct::ReconstructionExport;
        let variant = self
            .settings
            .leads_view
            .reconstruction
            .variant()
            .unwrap_or_default();
        let enabled = self.reconstruct.result.is_some();
        let layout = match self.settings.grid.layout {
            super::LeadLayout::TwelveByOne => Layout::TwelveByOne,
            super::LeadLayout::ThreeByFourRhythm => Layout::ThreeByFour,
        };
        let report = |paper, extension| ReconstructionExport::Report {
            options: ReportOptions {
                paper,
                layout,
                start_s: self.settings.leads_view.start_in_seconds,
            },
            extension,
        };
        let mut chosen = None;
        ui.add_enabled_ui(enabled, |ui| {
            ui.menu_button(format!("Export {}", variant.name()), |ui| {
                for (label, export) in [
                    ("12-lead report, PDF (A4)", report(Paper::A4, "pdf")),
                    ("12-lead report, PDF (Letter)", report(Paper::Letter, "pdf")),
                    ("12-lead report, PNG (A4)", report(Paper::A4, "png")),
                    ("WFDB record (format 16)", ReconstructionExport::Wfdb),
                    ("EDF+ file", ReconstructionExport::Edf),
                ] {
                    if ui.button(label).clicked() {
                        chosen = Some(export);
                        ui.close();
                    }
                }
            })
            .response
            .on_hover_text(
                "Write the reconstruction (the model chosen in the 12-lead view, C-h by default) into the export folder: the report starts where the 12-lead view does and takes its layout. Nothing is overwritten.",
            )
            .on_disabled_hover_text("Reconstruct the record first (12-lead view or Reconstruct panel).");
        });
        if let Some(export) = chosen {
            self.export_reconstruction(variant, export);
        }
    }

    pub(super) fn status_bar_ui(&mut self, ui: &mut egui::Ui) {
        ui.horizontal(|ui| {
            match &self.records.loaded {
                Some(loaded) => {
                    ui.label(format!(
                        "{} · {} leads · {} Hz · {:.1} s",
                        loaded.name,
                        loaded.record.n_signals(),
                        loaded.record.fs_hz(),
                        loaded.record.duration_s()
                    ));
                }
                None => {
                    ui.label("No record loaded");
                }
            }
            ui.separator();
            ui.label(format!("{} records listed", self.records.entries.len()));
            for handle in self.worker.running() {
                ui.separator();
                ui.add(egui::Spinner::new());
                ui.label(&handle.description);
                ui.add(egui::ProgressBar::new(handle.progress()).desired_width(80.0));
                if ui.small_button("Cancel").on_hover_text("Esc").clicked() {
                    handle.cancel();
                }
            }
        });
        if let Some(notice) = self.notices.last().cloned() {
            ui.horizontal(|ui| {
                let colour = match notice.level {
                    super::NoticeLevel::Info => ui.visuals().text_color(),
                    super::NoticeLevel::Warning => ui.visuals().warn_fg_color,
                    super::NoticeLevel::Error => ui.visuals().error_fg_color,
                };
                let prefix = match notice.level {
                    super::NoticeLevel::Info => "",
                    super::NoticeLevel::Warning => "Warning: ",
                    super::NoticeLevel::Error => "Error: ",
                };
                ui.colored_label(colour, format!("{prefix}{}", notice.text));
                if ui.small_button("x").on_hover_text("Dismiss").clicked() {
                    self.notices.dismiss_last();
                }
            });
        }
    }
}
