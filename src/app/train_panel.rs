//! The "Train models" section of the Study panel: a form for `precordial train`'s arguments, the
//! running job's progress with Cancel, live loss curves (train and validation loss per epoch, one
//! pair per stage) and, once done, a button that loads the new models.
//!
//! The training itself is a worker job ([`Train`]) whose task this panel owns; the epoch reports
//! arrive as the task's updates, and the curves are rebuilt only when one does.

use std::path::PathBuf;

use egui_plot::{Legend, Line, Plot, PlotPoints};
use serde::{Deserialize, Serialize};

use super::notices::{NoticeLevel, Notices};
use super::widgets::JobProgressView;
use crate::model::DeviceChoice;
use crate::model::train::{EpochReport, TrainConfig};
use crate::worker::train::{STAGES, Train, Trained, refuse_existing};
use crate::worker::{Outcome, Task, Worker, poll_slot};

/// Shown after Cancel: what was kept.
pub const TRAINING_CANCELLED: &str = "Training cancelled; the best state of the running stage is kept in the output folder's checkpoints/ (`precordial train --resume` continues it).";

/// The training form. Saved with the settings.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct TrainForm {
    /// Dataset folders, one per line.
    pub data_folders: String,
    /// Where the models are written: a new or empty folder.
    pub out_dir: String,
    /// A training configuration (RON, as `precordial train --print-config` writes); empty: defaults.
    pub config_path: String,
}

/// What a valid form starts.
#[derive(Clone, Debug)]
pub struct TrainRequest {
    pub data: Vec<PathBuf>,
    pub out: PathBuf,
    pub config: TrainConfig,
}

impl TrainForm {
    /// The run the form describes, or what is wrong with it, in words for the user.
    pub fn request(&self) -> Result<TrainRequest, String> {
        let data: Vec<PathBuf> = self
            .data_folders
            .lines()
            .map(str::trim)
            .filter(|line| !line.is_empty())
            .map(PathBuf::from)
            .collect();
        if data.is_empty() {
            return Err("give at least one dataset folder (one per line)".to_owned());
        }
        if let Some(missing) = data.iter().find(|folder| !folder.is_dir()) {
            return Err(format!("{}: no such folder", missing.display()));
        }
        let out = match self.out_dir.trim() {
            "" => return Err("give an output folder for the models".to_owned()),
            dir => PathBuf::from(dir),
        };
        refuse_existing(&out)?;
        let config = match self.config_path.trim() {
            "" => crate::model::train::TrainConfig::new(),
            path => crate::model::card::load_ron::<TrainConfig>(std::path::Path::new(path))
                .map_err(|err| err.to_string())?,
        };
        config.validate()?;
        Ok(TrainRequest { data, out, config })
    }
}

/// Where the last training started from the panel stands.
#[derive(Clone, Debug, Default, PartialEq)]
pub enum TrainStatus {
    #[default]
    Idle,
    Running,
    /// Done: the models folder and a summary of its card.
    Finished {
        dir: PathBuf,
        summary: String,
    },
    Cancelled,
    Failed(String),
}

/// What the user asked of the section.
#[derive(Clone, Debug, PartialEq)]
pub enum TrainAction {
    Start,
    Cancel,
    /// Load the models just trained.
    UseModels(PathBuf),
}

/// One loss curve: (epoch, loss) points.
#[derive(Clone, Debug, PartialEq)]
pub struct LossCurve {
    pub name: String,
    pub points: Vec<[f64; 2]>,
}

/// The train and validation loss curves of each stage present in `reports` (stage order), without
/// non-finite values (an empty validation split has none).
pub fn loss_curves(reports: &[EpochReport]) -> Vec<LossCurve> {
    let mut stages: Vec<&str> = STAGES.to_vec();
    for report in reports {
        if !stages.contains(&report.stage.as_str()) {
            stages.push(&report.stage);
        }
    }
    let mut curves = Vec::new();
    for stage in stages {
        let of_stage: Vec<&EpochReport> = reports.iter().filter(|r| r.stage == stage).collect();
        if of_stage.is_empty() {
            continue;
        }
        for (kind, value) in [
            (
                "train",
                (|r: &EpochReport| r.train_loss) as fn(&EpochReport) -> f64,
            ),
            ("val", |r: &EpochReport| r.val_loss),
        ] {
            curves.push(LossCurve {
                name: format!("{stage} {kind}"),
                points: of_stage
                    .iter()
                    .filter(|r| value(r).is_finite())
                    .map(|r| [r.epoch as f64, value(r)])
                    .collect(),
            });
        }
    }
    curves
}

/// The section's runtime state (its form is a setting, in the Study panel's settings).
#[derive(Default)]
pub struct TrainPanel {
    pub status: TrainStatus,
    task: Option<Task<Trained, EpochReport>>,
    /// The epoch reports of the last run started here (replaced at each start).
    reports: Vec<EpochReport>,
    /// The loss curves of `reports`, rebuilt when a report arrives.
    curves: Vec<LossCurve>,
}

impl TrainPanel {
    /// True while a training started here runs.
    pub fn is_running(&self) -> bool {
        self.task.is_some()
    }

    /// The epoch reports of the last run so far.
    pub fn reports(&self) -> &[EpochReport] {
        &self.reports
    }

    /// Starts the training `form` describes on `device`; a form that does not describe a valid run
    /// is reported in the panel and the status bar.
    pub fn start(
        &mut self,
        worker: &mut Worker,
        form: &TrainForm,
        device: DeviceChoice,
        notices: &mut Notices,
    ) {
        if self.task.is_some() {
            return; // one at a time: the button is disabled meanwhile
        }
        match form.request() {
            Ok(request) => {
                self.reports.clear();
                self.curves.clear();
                self.task = Some(worker.submit(Train {
                    data: request.data,
                    out: request.out,
                    config: request.config,
                    device,
                }));
                self.status = TrainStatus::Running;
            }
            Err(reason) => {
                notices.push(
                    NoticeLevel::Error,
                    format!("training not started: {reason}"),
                );
                self.status = TrainStatus::Failed(reason);
            }
        }
    }

    /// Asks the running training to stop (after its current step, keeping the best state).
    pub fn cancel(&self) {
        if let Some(task) = &self.task {
            task.cancel();
        }
    }

    /// Takes the training's new epoch reports and, once it ends, its outcome. Never blocks.
    pub fn logic(&mut self, notices: &mut Notices) {
        let Some(task) = &mut self.task else {
            return;
        };
        let new_reports = task.take_updates();
        if !new_reports.is_empty() {
            self.reports.extend(new_reports);
            self.curves = loss_curves(&self.reports);
        }
        match poll_slot(&mut self.task) {
            Some(Outcome::Done(Trained { dir, summary })) => {
                notices.push(
                    NoticeLevel::Info,
                    format!("training finished, models written to {}", dir.display()),
                );
                self.status = TrainStatus::Finished { dir, summary };
            }
            Some(Outcome::Failed(reason)) => {
                // Shown in the panel too, beside the form that started it.
                notices.push(NoticeLevel::Error, reason.clone());
                self.status = TrainStatus::Failed(reason);
            }
            Some(Outcome::Cancelled) => {
                self.status = TrainStatus::Cancelled;
                notices.push(NoticeLevel::Info, "training cancelled");
            }
            None => {}
        }
    }

    /// Draws the form (a setting), progress, status and loss curves. `device` is the app's model
    /// device.
    pub fn ui(
        &mut self,
        ui: &mut egui::Ui,
        form: &mut TrainForm,
        device: DeviceChoice,
    ) -> Option<TrainAction> {
        let running = self
            .task
            .as_ref()
            .map(|task| JobProgressView::of(task.handle()));
        let running = running.as_ref();
        let mut action = form_ui(ui, form, device, running);
        if let Some(progress) = running {
            ui.horizontal(|ui| {
                if progress.bar_ui(ui, "Cancel training") {
                    action = Some(TrainAction::Cancel);
                }
            });
        }
        match &self.status {
            TrainStatus::Idle | TrainStatus::Running => {}
            TrainStatus::Finished { dir, summary } => {
                ui.horizontal(|ui| {
                    ui.label(format!(
                        "Training finished; models written to {} ({summary})",
                        dir.display()
                    ));
                    if ui
                        .button("Use these models")
                        .on_hover_text("Load them for reconstruction and evaluation.")
                        .clicked()
                    {
                        action = Some(TrainAction::UseModels(dir.clone()));
                    }
                });
            }
            TrainStatus::Cancelled => {
                ui.colored_label(ui.visuals().warn_fg_color, TRAINING_CANCELLED);
            }
            TrainStatus::Failed(reason) => {
                ui.colored_label(
                    ui.visuals().error_fg_color,
                    format!("Training failed: {reason}"),
                );
            }
        }
        if !self.curves.is_empty() {
            loss_curves_ui(ui, &self.curves);
        }
        action
    }
}

/// The form's fields and its Start button (disabled while `running`).
fn form_ui(
    ui: &mut egui::Ui,
    form: &mut TrainForm,
    device: DeviceChoice,
    running: Option<&JobProgressView>,
) -> Option<TrainAction> {
    egui::Grid::new("training_form")
            .num_columns(2)
            .show(ui, |ui| {
                ui.label("Dataset folders").on_hover_text(
                    "PTB-XL, Challenge 2021, CODE-15, PTB or any WFDB folder (LUDB is skipped); split patient-wise into train, val and test as `precordial train` does.",
                );
                ui.add(
                    egui::TextEdit::multiline(&mut form.data_folders)
                        .hint_text("one folder per line")
                        .desired_rows(2)
                        .desired_width(480.0),
                );
                ui.end_row();
                ui.label("Models folder").on_hover_text(
                    "Where the weights, configurations and model card are written. It must be new or empty: a models folder is never overwritten.",
                );
                ui.add(
                    egui::TextEdit::singleline(&mut form.out_dir)
                        .hint_text("a new or empty folder")
                        .desired_width(480.0),
                );
                ui.end_row();
                ui.label("Configuration").on_hover_text(
                    "A training configuration in RON (`precordial train --print-config` prints one to edit); empty: the defaults of METHOD.md.",
                );
                ui.add(
                    egui::TextEdit::singleline(&mut form.config_path)
                        .hint_text("optional: training.ron (empty: defaults)")
                        .desired_width(480.0),
                );
                ui.end_row();
                ui.label("Device");
                ui.label(format!("{device} (set in Settings)"));
                ui.end_row();
            });
    let start = ui
        .add_enabled(running.is_none(), egui::Button::new("Start training"))
        .on_disabled_hover_text("A training is running.");
    start.clicked().then_some(TrainAction::Start)
}

/// Train and validation loss per epoch, one pair of lines per stage, with a legend.
pub fn loss_curves_ui(ui: &mut egui::Ui, curves: &[LossCurve]) {
    Plot::new("training_loss_plot")
        .legend(Legend::default())
        .height(220.0)
        .x_axis_label("epoch")
        .y_axis_label("loss")
        .show(ui, |plot_ui| {
            for curve in curves {
                plot_ui.line(Line::new(
                    curve.name.clone(),
                    PlotPoints::from(curve.points.clone()),
                ));
            }
        });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(stage: &str, epoch: usize, val_loss: f64) -> EpochReport {
        EpochReport {
            stage: stage.to_owned(),
            epoch,
            epochs: 2,
            train_loss: epoch as f64,
            val_loss,
            val_score: None,
            learning_rate: 1e-3,
            windows_per_s: 1.0,
            elapsed_s: 0.0,
            eta_s: 0.0,
            best: false,
        }
    }

    #[test]
    fn loss_curves_pair_train_and_val_per_stage_without_nan() {
        let curves = loss_curves(&[
            report("decoder_c", 1, 0.5),
            report("encoder", 1, f64::NAN),
            report("encoder", 2, 3.0),
        ]);
        let names: Vec<&str> = curves.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "encoder train",
                "encoder val",
                "decoder_c train",
                "decoder_c val"
            ]
        );
        assert_eq!(curves[0].points, vec![[1.0, 1.0], [2.0, 2.0]]);
        assert_eq!(curves[1].points, vec![[2.0, 3.0]]);
    }

    #[test]
    fn the_form_refuses_what_cannot_train() {
        let error = |form: TrainForm| form.request().err().unwrap_or_default();
        assert!(error(TrainForm::default()).contains("at least one dataset folder"));
        let samples = concat!(env!("CARGO_MANIFEST_DIR"), "/assets/samples").to_owned();
        assert!(
            error(TrainForm {
                data_folders: samples.clone(),
                ..TrainForm::default()
            })
            .contains("output folder")
        );
        assert!(
            error(TrainForm {
                data_folders: samples.clone(),
                out_dir: samples.clone(),
                ..TrainForm::default()
            })
            .contains("exists and is not empty")
        );
        let fresh = std::env::temp_dir().join("precordial-train-form-never-created");
        assert!(
            error(TrainForm {
                data_folders: samples.clone(),
                out_dir: fresh.display().to_string(),
                config_path: "/nonexistent/training.ron".to_owned(),
            })
            .contains("/nonexistent/training.ron")
        );
        let request = TrainForm {
            data_folders: samples,
            out_dir: fresh.display().to_string(),
            config_path: String::new(),
        }
        .request()
        .unwrap_or_else(|err| panic!("{err}"));
        assert_eq!(request.config.decoder_c.outputs, 5);
        assert!(!fresh.exists(), "checking the form writes nothing");
    }
}
