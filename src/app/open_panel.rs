//! The "open" bar: a path typed or pasted, recent paths, the native file dialogs, the bundled samples.
//! Drag and drop of `.hea` files and folders is handled by [`super::App`] for the whole window.
//!
//! rfd's dialogs go through the XDG desktop portal; where none runs (e.g. under Xvfb) they return
//! nothing, so every other way in works without them.

use std::path::PathBuf;

use super::{App, NoticeLevel};

/// Transient state of the open bar.
#[derive(Default)]
pub struct OpenPanel {
    pub path_text: String,
    /// Focus the path field next frame (Ctrl+O).
    pub request_focus: bool,
}

pub fn open_bar_ui(app: &mut App, ui: &mut egui::Ui) {
    let mut to_open: Option<PathBuf> = None;
    ui.horizontal(|ui| {
        ui.label("Open");
        let response = ui.add(
            egui::TextEdit::singleline(&mut app.open_panel.path_text)
                .hint_text("path to a folder or record (.hea), typed or pasted — or drop files on the window")
                .desired_width(420.0),
        );
        let response = response.on_hover_text("Ctrl+O. A PTB-XL, Challenge, LUDB, PTB or any WFDB folder, or one record (with or without .hea).");
        if app.open_panel.request_focus {
            response.request_focus();
            app.open_panel.request_focus = false;
        }
        let entered = response.lost_focus() && ui.input(|input| input.key_pressed(egui::Key::Enter));
        if (ui.button("Open").clicked() || entered) && !app.open_panel.path_text.trim().is_empty() {
            to_open = Some(expand_home(app.open_panel.path_text.trim()));
        }
        if ui
            .button("Record…")
            .on_hover_text("Choose .hea files in a dialog (needs a desktop portal; else type the path)")
            .clicked()
        {
            match rfd::FileDialog::new()
                .add_filter("WFDB header", &["hea"])
                .pick_files()
            {
                Some(files) => {
                    for file in files {
                        app.open_path(&file);
                    }
                }
                None => app.notify(
                    NoticeLevel::Info,
                    "no file chosen (if no dialog appeared, no desktop portal is running: type or paste the path, or drop the file)".to_owned(),
                ),
            }
        }
        if ui
            .button("Folder…")
            .on_hover_text("Choose a dataset folder in a dialog (needs a desktop portal; else type the path)")
            .clicked()
        {
            match rfd::FileDialog::new().pick_folder() {
                Some(folder) => app.open_path(&folder),
                None => app.notify(
                    NoticeLevel::Info,
                    "no folder chosen (if no dialog appeared, no desktop portal is running: type or paste the path)".to_owned(),
                ),
            }
        }
        let mut recent_pick = None;
        ui.menu_button("Recent", |ui| {
            if app.recent_paths.is_empty() {
                ui.label("Nothing opened yet");
            }
            for path in &app.recent_paths {
                if ui.button(path.display().to_string()).clicked() {
                    recent_pick = Some(path.clone());
                    ui.close();
                }
            }
        });
        if let Some(path) = recent_pick {
            to_open = Some(path);
        }
        if ui
            .button("Samples")
            .on_hover_text("The bundled sample records (assets/samples, PTB-XL, CC BY 4.0)")
            .clicked()
        {
            app.open_samples();
        }
    });
    if let Some(path) = to_open {
        app.open_path(&path);
    }
}

/// `~/x` → `$HOME/x`.
fn expand_home(text: &str) -> PathBuf {
    let text = text.trim_matches(|c| c == '"' || c == '\'');
    if let Some(rest) = text.strip_prefix("~/")
        && let Some(home) = std::env::var_os("HOME")
    {
        return PathBuf::from(home).join(rest);
    }
    PathBuf::from(text)
}
