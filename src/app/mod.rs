//! The workbench window (eframe/egui): a thin shell over the library.
//!
//! [`App`] keeps what is saved between runs ([`Settings`], serde + RON through eframe's storage)
//! apart from its runtime state: the records ([`Records`]), the models ([`Models`]), the panels and
//! the worker. Heavy work (reading, indexing, cleaning, reconstruction, evaluation, training, exports)
//! runs in the [`worker`](crate::worker); whoever needs a result owns its typed
//! [`Task`](crate::worker::Task) and polls it in [`App::logic`] (eframe's `App::logic`) before each
//! frame is drawn. The panels draw from that state and return actions, which the app carries out.
//!
//! Not for: signal processing or model code (those are library modules the panels call through jobs).

pub mod bench;
mod browser;
mod chrome;
mod cleaning_panel;
pub mod ecg_grid;
pub mod export;
mod frame_stats;
mod leads_view;
pub mod models;
pub mod notices;
mod open_panel;
pub mod reconstruct_panel;
pub mod records;
pub mod settings;
mod settings_panel;
mod spectrum_panel;
pub mod study_panel;
pub mod teach_panel;
pub mod train_panel;
pub mod widgets;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::model::ModelVariant;
use crate::worker::Worker;

pub use browser::Browser;
pub use ecg_grid::{GridSettings, LeadLayout};
use frame_stats::FrameStats;
pub use leads_view::{LeadsAction, LeadsView, ShownReconstruction};
pub use models::Models;
pub use notices::{Notice, NoticeLevel, Notices};
pub use records::{LoadedRecord, Records};
pub use settings::{Settings, ThemeChoice, View};

/// Key of the settings in eframe's storage.
const STORAGE_KEY: &str = "precordial-workbench";

/// The sample shown on first start: a 500 Hz record with a myocardial infarction (Q waves, ST
/// depression), so the first screen shows pathology, not only a normal ECG.
const FIRST_SAMPLE: &str = "HR09739";

/// When the workbench started and first drew a record (launch-to-first-record timing).
#[derive(Clone, Copy, Debug)]
pub struct LaunchTiming {
    pub started_at: Instant,
    pub first_record_drawn_at: Option<Instant>,
}

impl LaunchTiming {
    pub fn to_first_record(&self) -> Option<Duration> {
        Some(self.first_record_drawn_at?.duration_since(self.started_at))
    }
}

/// The workbench: its settings, and the runtime state built from them.
pub struct App {
    /// Saved between runs.
    pub settings: Settings,
    pub worker: Worker,
    pub notices: Notices,
    pub records: Records,
    pub models: Models,
    pub open_panel: open_panel::OpenPanel,
    pub spectrum: spectrum_panel::SpectrumPanel,
    pub reconstruct: reconstruct_panel::ReconstructPanel,
    pub study: study_panel::StudyPanel,
    pub teach: teach_panel::TeachPanel,
    pub exports: export::Exports,
    pub launch: LaunchTiming,
    frame_stats: Option<FrameStats>,
    /// A benchmark run neither reads nor saves the user's settings.
    benchmark_run: bool,
}

/// The bundled sample records (`assets/samples`), found next to the executable's source tree or the
/// working directory.
pub fn bundled_samples_dir() -> Option<PathBuf> {
    let candidates = [
        PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/assets/samples")),
        PathBuf::from("assets/samples"),
    ];
    candidates.into_iter().find(|dir| dir.is_dir())
}

impl App {
    /// Restores settings from eframe's storage (if any), then opens `paths` or, when none are given and
    /// nothing was opened before, the bundled samples.
    pub fn new(storage: Option<&dyn eframe::Storage>, paths: Vec<PathBuf>) -> Self {
        let settings: Settings = storage
            .and_then(|storage| eframe::get_value(storage, STORAGE_KEY))
            .unwrap_or_default();
        let mut app = Self {
            settings,
            worker: Worker::new(),
            notices: Notices::default(),
            records: Records::default(),
            models: Models::default(),
            open_panel: open_panel::OpenPanel::default(),
            spectrum: spectrum_panel::SpectrumPanel::default(),
            reconstruct: reconstruct_panel::ReconstructPanel::default(),
            study: study_panel::StudyPanel::default(),
            teach: teach_panel::TeachPanel::default(),
            exports: export::Exports::default(),
            launch: LaunchTiming {
                started_at: Instant::now(),
                first_record_drawn_at: None,
            },
            frame_stats: None,
            benchmark_run: false,
        };
        app.load_models();
        if paths.is_empty() {
            app.open_samples();
        } else {
            for path in paths {
                app.open_path(&path);
            }
        }
        app
    }

    /// Opens the bundled samples: lists them in the browser and shows the first.
    pub fn open_samples(&mut self) {
        let Some(dir) = bundled_samples_dir() else {
            self.notify(
                NoticeLevel::Warning,
                "the bundled samples (assets/samples) were not found next to this build".to_owned(),
            );
            return;
        };
        let mut headers: Vec<PathBuf> = std::fs::read_dir(&dir)
            .map(|entries| {
                entries
                    .filter_map(Result::ok)
                    .map(|entry| entry.path())
                    .filter(|path| path.extension().is_some_and(|ext| ext == "hea"))
                    .collect()
            })
            .unwrap_or_default();
        headers.sort();
        let shown = headers
            .iter()
            .find(|path| path.file_stem().is_some_and(|stem| stem == FIRST_SAMPLE))
            .or(headers.first());
        if let Some(shown) = shown {
            self.records.load(&mut self.worker, shown);
        }
        self.records.index_files(&mut self.worker, headers);
    }

    /// Opens a folder (indexed into the browser) or one record (listed and shown).
    pub fn open_path(&mut self, path: &Path) {
        let path = path.to_path_buf();
        let is_edf = path
            .extension()
            .is_some_and(|extension| extension.eq_ignore_ascii_case("edf"));
        if path.is_dir() {
            self.records.index_folder(&mut self.worker, path.clone());
            self.settings.view = View::Browser;
        } else if is_edf && path.is_file() {
            // An EDF file is one record with no WFDB header: shown, not indexed into the browser.
            self.records.load(&mut self.worker, &path);
        } else {
            let header = crate::wfdb::header::header_path(&path);
            if !header.is_file() {
                self.notify(
                    NoticeLevel::Error,
                    format!(
                        "{}: no such record (expected a folder or a WFDB header {})",
                        path.display(),
                        header.display()
                    ),
                );
                return;
            }
            self.records
                .index_files(&mut self.worker, vec![header.clone()]);
            self.records.load(&mut self.worker, &header);
        }
        self.settings
            .remember(std::fs::canonicalize(&path).unwrap_or(path));
    }

    /// Reads a record in the worker; it is shown when it arrives.
    pub fn load_record(&mut self, path: &Path) {
        self.records.load(&mut self.worker, path);
    }

    /// Starts the evaluation the Study panel's form describes, with the loaded models.
    pub fn run_evaluation(&mut self) {
        self.study.start_evaluation(
            &mut self.worker,
            &self.settings.study.eval,
            self.models.with_dir(),
            &mut self.notices,
        );
    }

    /// Loads (or reloads) the models of the models folder on the chosen device, in the worker.
    pub fn load_models(&mut self) {
        self.models.load(
            &mut self.worker,
            self.settings.models_dir.clone(),
            self.settings.device,
        );
    }

    pub fn notify(&mut self, level: NoticeLevel, text: String) {
        self.notices.push(level, text);
    }

    /// Every frame before drawing (eframe's `App::logic`): take the finished tasks' results, start
    /// the re-cleaning an edit asked for, apply the theme, handle dropped files and shortcuts.
    /// Nothing here draws; [`Self::ui_root`] then only lays the panels out.
    pub fn logic(&mut self, ctx: &egui::Context) {
        let changed =
            self.records
                .logic(&mut self.worker, &self.settings.cleaning, &mut self.notices);
        if changed.record {
            self.settings.browser.selected_header = self
                .records
                .loaded
                .as_ref()
                .map(|loaded| crate::wfdb::header::header_path(&loaded.path));
            self.settings.leads_view.on_new_record();
            self.spectrum.on_new_record();
            self.reconstruct.on_new_record();
            self.teach.on_new_record();
        }
        if changed.entries {
            self.settings.browser.invalidate();
        }
        if self.models.logic(&mut self.notices) {
            self.reconstruct.on_new_models();
        }
        self.reconstruct
            .logic(self.records.record_key, &mut self.notices);
        self.study.logic(&mut self.notices);
        if self.settings.view == View::Teach {
            // Prepared only while shown: the search is the one costly part.
            self.teach.logic(
                &mut self.worker,
                self.records.loaded.as_ref(),
                self.records.record_key,
                &self.settings.teach,
                &mut self.notices,
            );
        }
        self.exports.logic(&mut self.notices);
        self.apply_theme(ctx);
        self.handle_dropped_files(ctx);
        self.handle_shortcuts(ctx);
        if self.worker.is_busy() {
            ctx.request_repaint_after(Duration::from_millis(100));
        }
    }

    /// [`Self::logic`] then [`Self::ui_root`]: one whole frame, for hosts that only give a `Ui`
    /// (the headless tests and benchmark).
    pub fn frame_ui(&mut self, ui: &mut egui::Ui) {
        let ctx = ui.ctx().clone();
        self.logic(&ctx);
        self.ui_root(ui);
    }

    /// Every frame, after [`Self::logic`]: lay the panels out.
    pub fn ui_root(&mut self, ui: &mut egui::Ui) {
        egui::Panel::top("top_bar").show(ui, |ui| self.top_bar_ui(ui));
        egui::Panel::bottom("status_bar").show(ui, |ui| self.status_bar_ui(ui));
        egui::CentralPanel::default().show(ui, |ui| match self.settings.view {
            View::Browser => self.browser_view_ui(ui),
            View::Leads => self.leads_view_ui(ui),
            View::Spectrum => self.spectrum_view_ui(ui),
            View::Reconstruct => self.reconstruct_view_ui(ui),
            View::Study => self.study_view_ui(ui),
            View::Teach => self.teach_view_ui(ui),
            View::Settings => self.settings_view_ui(ui),
        });
    }

    fn apply_theme(&self, ctx: &egui::Context) {
        let theme = match self.settings.theme {
            ThemeChoice::Light => egui::Theme::Light,
            ThemeChoice::Dark => egui::Theme::Dark,
        };
        if ctx.theme() != theme {
            ctx.set_theme(theme);
        }
    }

    fn handle_dropped_files(&mut self, ctx: &egui::Context) {
        let dropped: Vec<PathBuf> = ctx.input(|input| {
            input
                .raw
                .dropped_files
                .iter()
                .map(|file| file.path().to_path_buf())
                .collect()
        });
        for path in dropped {
            self.open_path(&path);
        }
    }

    fn handle_shortcuts(&mut self, ctx: &egui::Context) {
        if ctx.egui_wants_keyboard_input() {
            return;
        }
        let pressed = |modifiers, key| ctx.input_mut(|input| input.consume_key(modifiers, key));
        for view in View::ALL {
            if pressed(egui::Modifiers::NONE, view.shortcut_key()) {
                self.settings.view = view;
            }
        }
        if pressed(egui::Modifiers::COMMAND, egui::Key::O) {
            self.open_panel.request_focus = true;
        }
        if pressed(egui::Modifiers::NONE, egui::Key::L) {
            self.settings.grid.layout = self.settings.grid.layout.toggled();
        }
        if pressed(egui::Modifiers::NONE, egui::Key::T) {
            self.settings.theme = self.settings.theme.toggled();
        }
        if pressed(egui::Modifiers::COMMAND, egui::Key::E) {
            self.export_csv();
        }
        if pressed(egui::Modifiers::COMMAND, egui::Key::P) {
            self.export_png(ctx);
        }
        if pressed(egui::Modifiers::NONE, egui::Key::Escape) {
            self.worker.cancel_all();
        }
    }

    fn browser_view_ui(&mut self, ui: &mut egui::Ui) {
        if let Some(header) = self.settings.browser.ui(ui, &self.records.entries) {
            self.load_record(&header);
        }
    }

    fn leads_view_ui(&mut self, ui: &mut egui::Ui) {
        let Self {
            settings,
            records,
            launch,
            reconstruct,
            ..
        } = self;
        // The reconstruction chosen, when this record has one: shown as a record of its own.
        let shown = settings
            .leads_view
            .reconstruction
            .variant()
            .zip(reconstruct.result.as_ref())
            .zip(records.loaded.as_ref())
            .map(|((variant, result), loaded)| {
                let twelve_lead = result.twelve_lead(variant);
                (
                    LoadedRecord {
                        path: loaded.path.clone(),
                        name: format!("{} · {}", loaded.name, variant.name()),
                        record: std::sync::Arc::clone(&twelve_lead.record),
                    },
                    std::sync::Arc::clone(&twelve_lead.ecg),
                )
            });
        let cleaned = if shown.is_some() {
            // A reconstruction is already cleaned as the models take it.
            None
        } else {
            records.cleaned.as_ref()
        };
        let on_screen = shown
            .as_ref()
            .map(|(loaded, ..)| loaded)
            .or(records.loaded.as_ref());
        egui::Panel::right("cleaning_side")
            .default_size(260.0)
            .resizable(true)
            .show(ui, |ui| {
                egui::ScrollArea::vertical().show(ui, |ui| {
                    let status = records.cleaning_status();
                    cleaning_panel::cleaning_ui(&mut settings.cleaning, ui, &status);
                    ui.separator();
                    settings
                        .leads_view
                        .readout_ui(ui, on_screen, cleaned, &settings.grid);
                });
            });
        let mut action = None;
        egui::CentralPanel::default().show(ui, |ui| {
            action = settings.leads_view.controls_ui(
                ui,
                &mut settings.grid,
                reconstruct.result.is_some(),
            );
            match on_screen {
                Some(loaded) => {
                    let reconstruction = shown.as_ref().map(|(_, ecg)| &**ecg);
                    settings
                        .leads_view
                        .ui(ui, loaded, cleaned, &mut settings.grid, reconstruction);
                    if launch.first_record_drawn_at.is_none() {
                        launch.first_record_drawn_at = Some(Instant::now());
                    }
                }
                None => {
                    ui.centered_and_justified(|ui| {
                        if records.is_loading() {
                            ui.label("Reading record…");
                        } else {
                            ui.label("No record loaded. Open a record or folder above, or drop a .hea file here.");
                        }
                    });
                }
            }
        });
        if action == Some(LeadsAction::Reconstruct) {
            self.run_reconstruction();
        }
    }

    fn spectrum_view_ui(&mut self, ui: &mut egui::Ui) {
        self.spectrum.ui(
            ui,
            self.records.loaded.as_ref(),
            self.records.cleaned.as_ref(),
        );
    }

    fn study_view_ui(&mut self, ui: &mut egui::Ui) {
        use study_panel::StudyAction;
        use train_panel::TrainAction;
        let models = self.models.status();
        let action = self
            .study
            .ui(ui, &mut self.settings.study, &models, self.settings.device);
        match action {
            Some(StudyAction::LoadReport(path)) => self.study.load_report(&mut self.worker, path),
            Some(StudyAction::LoadCurve(path)) => self.study.load_curve(&mut self.worker, path),
            Some(StudyAction::LoadCv(path)) => self.study.load_cv(&mut self.worker, path),
            Some(StudyAction::RunEvaluation) => self.run_evaluation(),
            Some(StudyAction::CancelEvaluation) => self.study.cancel_evaluation(),
            Some(StudyAction::Train(TrainAction::Start)) => self.study.train.start(
                &mut self.worker,
                &self.settings.study.train,
                self.settings.device,
                &mut self.notices,
            ),
            Some(StudyAction::Train(TrainAction::Cancel)) => self.study.train.cancel(),
            Some(StudyAction::Train(TrainAction::UseModels(dir))) => {
                self.settings.models_dir = dir;
                self.load_models();
            }
            None => {}
        }
    }

    fn teach_view_ui(&mut self, ui: &mut egui::Ui) {
        let action = self.teach.ui(
            ui,
            &mut self.settings.teach,
            &mut self.settings.leads_view.cursor_in_seconds,
            self.reconstruct.result.as_ref(),
            self.records
                .loaded
                .as_ref()
                .map(|loaded| loaded.name.as_str()),
        );
        if action == Some(teach_panel::TeachAction::Reconstruct) {
            self.run_reconstruction();
        }
    }

    fn reconstruct_view_ui(&mut self, ui: &mut egui::Ui) {
        use reconstruct_panel::ReconstructAction;
        let models = self.models.status();
        let action = self.reconstruct.ui(
            ui,
            self.records.loaded.as_ref(),
            &self.settings.models_dir,
            &models,
        );
        match action {
            Some(ReconstructAction::Run) => self.run_reconstruction(),
            Some(ReconstructAction::ReloadModels) => self.load_models(),
            Some(ReconstructAction::Batch(folder)) => self.run_batch(folder),
            None => {}
        }
    }

    fn settings_view_ui(&mut self, ui: &mut egui::Ui) {
        let action = settings_panel::settings_ui(
            ui,
            &mut self.settings,
            self.models.is_loading(),
            self.launch.to_first_record(),
        );
        if action == Some(settings_panel::SettingsAction::ReloadModels) {
            self.load_models();
        }
    }

    /// Carries out what the open bar asked for.
    fn open_ui_action(&mut self, action: open_panel::OpenAction) {
        match action {
            open_panel::OpenAction::Paths(paths) => {
                for path in paths {
                    self.open_path(&path);
                }
            }
            open_panel::OpenAction::Samples => self.open_samples(),
            open_panel::OpenAction::NothingChosen(why) => {
                self.notify(NoticeLevel::Info, why.to_owned());
            }
        }
    }

    /// Starts a reconstruction of the record on screen (needs loaded models).
    pub fn run_reconstruction(&mut self) {
        let (Some(loaded), Some(reconstructor)) =
            (&self.records.loaded, self.models.reconstructor())
        else {
            self.notices.push(NoticeLevel::Warning, models::NO_MODELS);
            return;
        };
        self.reconstruct.start(
            &mut self.worker,
            loaded,
            self.records.record_key,
            reconstructor,
        );
    }

    /// Exports the record's signals as CSV in a worker job (never over an existing file).
    /// With the 12-lead view showing a reconstruction, that reconstruction's twelve leads.
    pub fn export_csv(&mut self) {
        let shown = self
            .settings
            .leads_view
            .reconstruction
            .variant()
            .filter(|_| self.settings.view == View::Leads)
            .zip(self.reconstruct.result.as_ref());
        let Some(loaded) = &self.records.loaded else {
            self.notify(NoticeLevel::Warning, "no record to export".to_owned());
            return;
        };
        let (name, record) = match shown {
            Some((variant, result)) => (
                format!("{}_{}", loaded.name, variant.key()),
                std::sync::Arc::clone(&result.twelve_lead(variant).record),
            ),
            None => (loaded.name.clone(), std::sync::Arc::clone(&loaded.record)),
        };
        let path = self
            .settings
            .export_folder
            .join(format!("{name}_signals.csv"));
        self.exports.csv(&mut self.worker, record, path);
    }

    /// Reconstructs every record below `folder` with C-h into `<export folder>/reconstructed`.
    pub fn run_batch(&mut self, folder: PathBuf) {
        let Some(models) = self.models.current.as_ref() else {
            self.notices.push(NoticeLevel::Warning, models::NO_MODELS);
            return;
        };
        if !folder.is_dir() {
            self.notify(
                NoticeLevel::Error,
                format!("{}: not a folder", folder.display()),
            );
            return;
        }
        let job = crate::worker::batch::ReconstructFolders {
            request: crate::worker::batch::BatchRequest {
                paths: vec![folder],
                out: self.settings.export_folder.join("reconstructed"),
                variant: ModelVariant::CH,
                format: crate::wfdb::write::WriteFormat::Format16,
                overwrite: false,
            },
            models: std::sync::Arc::clone(models),
        };
        self.reconstruct.start_batch(&mut self.worker, job);
    }

    /// Writes the record's reconstruction by `variant` into the export folder in a worker job.
    pub fn export_reconstruction(
        &mut self,
        variant: ModelVariant,
        export: crate::worker::reconstruct::ReconstructionExport,
    ) {
        let (Some(result), Some(loaded), Some(models)) = (
            &self.reconstruct.result,
            &self.records.loaded,
            self.models.current.as_ref(),
        ) else {
            self.notify(
                NoticeLevel::Warning,
                "reconstruct the record before exporting its reconstruction".to_owned(),
            );
            return;
        };
        let job = crate::worker::reconstruct::ExportReconstruction {
            twelve_lead: result.twelve_lead(variant).clone(),
            source: std::sync::Arc::clone(&loaded.record),
            models: std::sync::Arc::clone(models),
            export,
            folder: self.settings.export_folder.clone(),
        };
        self.exports.reconstruction(&mut self.worker, job);
    }

    /// Saves the window as PNG in a worker job (never over an existing file).
    pub fn export_png(&mut self, ctx: &egui::Context) {
        let name = self
            .records
            .loaded
            .as_ref()
            .map_or_else(|| "workbench".to_owned(), |loaded| loaded.name.clone());
        let path = self.settings.export_folder.join(format!(
            "{name}_{}.png",
            self.settings.view.label().to_lowercase()
        ));
        self.exports.png(&mut self.worker, ctx, path);
    }
}

impl eframe::App for App {
    fn logic(&mut self, ctx: &egui::Context, _frame: &mut eframe::Frame) {
        App::logic(self, ctx);
    }

    fn ui(&mut self, ui: &mut egui::Ui, frame: &mut eframe::Frame) {
        self.ui_root(ui);
        if let Some(stats) = &mut self.frame_stats {
            let drawing = self.records.loaded.is_some() && self.records.cleaned.is_some();
            if stats.record(frame.info().cpu_usage, drawing) {
                ui.ctx().send_viewport_cmd(egui::ViewportCommand::Close);
                self.frame_stats = None;
            } else {
                ui.ctx().request_repaint();
            }
        }
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        if self.benchmark_run {
            return;
        }
        eframe::set_value(storage, STORAGE_KEY, &self.settings);
    }
}

/// Opens the workbench window (blocks until it is closed). `paths` are opened at start; with none, the
/// bundled samples are.
pub fn run_native(paths: Vec<PathBuf>) -> anyhow::Result<()> {
    let options = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default()
            .with_title("Precordial")
            .with_inner_size([1500.0, 950.0])
            .with_drag_and_drop(true),
        ..Default::default()
    };
    eframe::run_native(
        "Precordial",
        options,
        Box::new(move |creation| {
            // A benchmark run starts from default settings, not the user's.
            let benchmark_run = std::env::var_os("PRECORDIAL_FRAME_STATS").is_some();
            let storage = if benchmark_run {
                None
            } else {
                creation.storage
            };
            let mut app = App::new(storage, paths);
            app.benchmark_run = benchmark_run;
            app.frame_stats = FrameStats::from_env();
            let ctx = creation.egui_ctx.clone();
            app.worker.set_waker(move || ctx.request_repaint());
            Ok(Box::new(app))
        }),
    )
    .map_err(|err| anyhow::anyhow!("could not open the workbench window: {err}"))
}
