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
        });
        if let Some(action) = self.open_panel.ui(ui, &self.settings.recent_paths) {
            self.open_ui_action(action);
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
