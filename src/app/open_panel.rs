//! The "open" bar: a path typed or pasted, recent paths, the native file dialogs, the bundled samples.
//! Drag and drop of `.hea` files and folders is handled by [`super::App`] for the whole window.
//!
//! rfd's dialogs go through the XDG desktop portal; where none runs (e.g. under Xvfb) they return
//! nothing, so every other way in works without them.

use std::path::PathBuf;

/// Transient state of the open bar.
#[derive(Default)]
pub struct OpenPanel {
    pub path_text: String,
    /// Focus the path field next frame (Ctrl+O).
    pub request_focus: bool,
}

/// What the user asked the open bar for.
#[derive(Clone, Debug, PartialEq)]
pub enum OpenAction {
    /// Open these folders or records.
    Paths(Vec<PathBuf>),
    /// Open the bundled samples.
    Samples,
    /// A dialog returned nothing: say why that may be.
    NothingChosen(&'static str),
}

impl OpenPanel {
    /// Draws the bar; `recent_paths` fill the Recent menu.
    pub fn ui(&mut self, ui: &mut egui::Ui, recent_paths: &[PathBuf]) -> Option<OpenAction> {
        open_bar_ui(self, ui, recent_paths)
    }
}

fn open_bar_ui(
    panel: &mut OpenPanel,
    ui: &mut egui::Ui,
    recent_paths: &[PathBuf],
) -> Option<OpenAction> {
    let mut action = None;
    ui.horizontal(|ui| {
        ui.label("Open");
        let response = ui.add(
            egui::TextEdit::singleline(&mut panel.path_text)
                .hint_text("path to a folder or record (.hea), typed or pasted — or drop files on the window")
                .desired_width(420.0),
        );
        let response = response.on_hover_text("Ctrl+O. A PTB-XL, Challenge, LUDB, PTB or any WFDB folder, or one record (with or without .hea).");
        if panel.request_focus {
            response.request_focus();
            panel.request_focus = false;
        }
        let entered = response.lost_focus() && ui.input(|input| input.key_pressed(egui::Key::Enter));
        if (ui.button("Open").clicked() || entered) && !panel.path_text.trim().is_empty() {
            action = Some(OpenAction::Paths(vec![expand_home(panel.path_text.trim())]));
        }
        if ui
            .button("Record…")
            .on_hover_text("Choose .hea files in a dialog (needs a desktop portal; else type the path)")
            .clicked()
        {
            match rfd::FileDialog::new()
                .add_filter("WFDB header or EDF", &["hea", "edf", "EDF"])
                .pick_files()
            {
                Some(files) => action = Some(OpenAction::Paths(files)),
                None => action = Some(OpenAction::NothingChosen(
                    "no file chosen (if no dialog appeared, no desktop portal is running: type or paste the path, or drop the file)",
                )),
            }
        }
        if ui
            .button("Folder…")
            .on_hover_text("Choose a dataset folder in a dialog (needs a desktop portal; else type the path)")
            .clicked()
        {
            match rfd::FileDialog::new().pick_folder() {
                Some(folder) => action = Some(OpenAction::Paths(vec![folder])),
                None => action = Some(OpenAction::NothingChosen(
                    "no folder chosen (if no dialog appeared, no desktop portal is running: type or paste the path)",
                )),
            }
        }
        let mut recent_pick = None;
        ui.menu_button("Recent", |ui| {
            if recent_paths.is_empty() {
                ui.label("Nothing opened yet");
            }
            for path in recent_paths {
                if ui.button(path.display().to_string()).clicked() {
                    recent_pick = Some(path.clone());
                    ui.close();
                }
            }
        });
        if let Some(path) = recent_pick {
            action = Some(OpenAction::Paths(vec![path]));
        }
        if ui
            .button("Samples")
            .on_hover_text("The bundled sample records (assets/samples, PTB-XL, CC BY 4.0)")
            .clicked()
        {
            action = Some(OpenAction::Samples);
        }
    });
    action
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
