//! What the workbench saves between runs (eframe's storage, RON), apart from its runtime state, as
//! egui_demo_app keeps `WrapApp { state, .. }`: views, paper and cleaning settings, folders, the
//! panels' forms and filters. The browser and the 12-lead view are kept here whole, as egui_demo_app
//! keeps its panels, with their few runtime fields (selection, cursor, caches) `#[serde(skip)]`.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::browser::Browser;
use super::ecg_grid::GridSettings;
use super::leads_view::LeadsView;
use super::study_panel::StudySettings;

/// The main views, one tab each.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum View {
    Browser,
    #[default]
    Leads,
    Spectrum,
    Reconstruct,
    Study,
    Teach,
    Settings,
}

impl View {
    pub const ALL: [Self; 7] = [
        Self::Browser,
        Self::Leads,
        Self::Spectrum,
        Self::Reconstruct,
        Self::Study,
        Self::Teach,
        Self::Settings,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Self::Browser => "Records",
            Self::Leads => "12-lead",
            Self::Spectrum => "Spectrum",
            Self::Reconstruct => "Reconstruct",
            Self::Study => "Study",
            Self::Teach => "Teach",
            Self::Settings => "Settings",
        }
    }

    pub fn shortcut_key(self) -> egui::Key {
        match self {
            Self::Browser => egui::Key::Num1,
            Self::Leads => egui::Key::Num2,
            Self::Spectrum => egui::Key::Num3,
            Self::Reconstruct => egui::Key::Num4,
            Self::Study => egui::Key::Num5,
            Self::Teach => egui::Key::Num6,
            Self::Settings => egui::Key::Num7,
        }
    }
}

/// Dark or light window theme.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum ThemeChoice {
    #[default]
    Light,
    Dark,
}

impl ThemeChoice {
    pub fn toggled(self) -> Self {
        match self {
            Self::Light => Self::Dark,
            Self::Dark => Self::Light,
        }
    }
}

/// How many recent paths are remembered.
const MAX_RECENT: usize = 12;

/// Everything saved between runs. Older or partial settings load, missing fields taking defaults.
#[derive(Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    pub view: View,
    pub theme: ThemeChoice,
    pub grid: GridSettings,
    pub cleaning: crate::dsp::clean::CleanConfig,
    /// Folders and records opened before, newest first.
    pub recent_paths: Vec<PathBuf>,
    /// Where exports (CSV, PNG) are written.
    pub export_folder: PathBuf,
    /// Folder holding trained models (`models/`).
    pub models_dir: PathBuf,
    /// Where the models run: a hardware GPU when present (auto), or the CPU.
    pub device: crate::model::DeviceChoice,
    /// The browser's search, filters and sort.
    pub browser: Browser,
    /// The 12-lead view's position and display choices.
    pub leads_view: LeadsView,
    /// The Study panel's forms (evaluation, training, report path).
    pub study: StudySettings,
    /// The Teach panel's mode, VCG method, anatomy and search.
    pub teach: super::teach_panel::TeachSettings,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            view: View::default(),
            theme: ThemeChoice::default(),
            grid: GridSettings::default(),
            cleaning: crate::dsp::clean::CleanConfig::default(),
            recent_paths: Vec::new(),
            export_folder: std::env::temp_dir(),
            models_dir: default_models_dir(),
            device: crate::model::DeviceChoice::default(),
            browser: Browser::default(),
            leads_view: LeadsView::default(),
            study: StudySettings::default(),
            teach: super::teach_panel::TeachSettings::default(),
        }
    }
}

impl Settings {
    /// Puts `path` first in the recent paths (once).
    pub fn remember(&mut self, path: PathBuf) {
        self.recent_paths.retain(|recent| recent != &path);
        self.recent_paths.insert(0, path);
        self.recent_paths.truncate(MAX_RECENT);
    }
}

fn default_models_dir() -> PathBuf {
    let source_tree = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/models"));
    if source_tree.is_dir() {
        source_tree
    } else {
        PathBuf::from("models")
    }
}
