//! The Teach panel: the physics of the leads, Φ(t) = A(s)·v(t), on the record on screen.
//!
//! Four modes: the vectorcardiogram's loops in three planes (P, QRS and T coloured, a time cursor
//! shared with the 12-lead view); the twelve leads re-synthesised live as the heart rotates and the
//! electrodes move; "same inputs, different chest leads" (an anatomy the three inputs cannot tell
//! apart); and "regression to the mean" (population mappings against the truth on this record).
//!
//! Everything is computed from the record by the worker ([`PrepareTeach`]); the live re-synthesis
//! is a 12×3 matrix over one beat (about a hundred samples), cheap enough for the UI thread. It needs
//! no models; C and C-h appear where a reconstruction of this record exists.

use egui_plot::{Line, Plot, PlotPoints, Points, VLine};
use serde::{Deserialize, Serialize};

use super::notices::{NoticeLevel, Notices};
use super::records::LoadedRecord;
use crate::eval::amplitude;
use crate::physics::anatomy::{INPUT_ROWS, TARGET_ROWS};
use crate::physics::loops::{Wave, axis_is_deviated};
use crate::physics::{
    Anatomy, LeadField, SameInputsSearch, TWELVE_LEADS, ThreeLeadDipole, Vcg, VcgMethod,
};
use crate::worker::reconstruct::ReconstructionResult;
use crate::worker::teach::{PrepareTeach, TeachModel};
use crate::worker::{Outcome, Task, Worker, poll_slot};

/// What the panel shows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum TeachMode {
    #[default]
    Loops,
    Anatomy,
    SameInputs,
    RegressionToMean,
}

impl TeachMode {
    pub const ALL: [Self; 4] = [
        Self::Loops,
        Self::Anatomy,
        Self::SameInputs,
        Self::RegressionToMean,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Self::Loops => "VCG loops",
            Self::Anatomy => "Heart and electrodes",
            Self::SameInputs => "Same inputs, different chest",
            Self::RegressionToMean => "Regression to the mean",
        }
    }
}

/// The Teach panel's saved choices.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct TeachSettings {
    pub mode: TeachMode,
    pub method: VcgMethod,
    /// The anatomy of the "Heart and electrodes" mode.
    pub anatomy: Anatomy,
    pub search: SameInputsSearch,
}

/// What the panel asks the app to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TeachAction {
    /// Reconstruct the record with C and C-h (for the regression-to-the-mean mode).
    Reconstruct,
}

/// The panel's runtime state: the prepared record and the job preparing it.
#[derive(Default)]
pub struct TeachPanel {
    pub model: Option<TeachModel>,
    task: Option<Task<TeachModel>>,
    /// Why the record on screen could not be prepared.
    pub error: Option<String>,
    /// What was last submitted: the record, VCG method and search (a new one replaces it).
    submitted: Option<(u64, VcgMethod, SameInputsSearch)>,
}

const COLOUR_P: egui::Color32 = egui::Color32::from_rgb(40, 150, 60);
const COLOUR_QRS: egui::Color32 = egui::Color32::from_rgb(210, 40, 40);
const COLOUR_T: egui::Color32 = egui::Color32::from_rgb(40, 90, 210);
const COLOUR_OTHER: egui::Color32 = egui::Color32::from_rgb(150, 150, 150);
const COLOUR_INPUT: egui::Color32 = egui::Color32::from_rgb(0, 140, 140);
const COLOUR_TARGET: egui::Color32 = egui::Color32::from_rgb(220, 110, 0);
const COLOUR_LIMB: egui::Color32 = egui::Color32::from_rgb(90, 90, 90);
const COLOUR_REFERENCE: egui::Color32 = egui::Color32::from_rgb(170, 170, 170);
const COLOUR_TRUTH: egui::Color32 = egui::Color32::from_rgb(30, 30, 30);
const COLOUR_DIPOLE: egui::Color32 = egui::Color32::from_rgb(140, 60, 170);
const COLOUR_C: egui::Color32 = egui::Color32::from_rgb(230, 120, 30);
const COLOUR_CH: egui::Color32 = egui::Color32::from_rgb(30, 120, 220);
const COLOUR_LEAST_SQUARES: egui::Color32 = egui::Color32::from_rgb(40, 150, 60);

fn lead_colour(row: usize) -> egui::Color32 {
    if INPUT_ROWS.contains(&row) {
        COLOUR_INPUT
    } else if TARGET_ROWS.contains(&row) {
        COLOUR_TARGET
    } else {
        COLOUR_LIMB
    }
}

fn wave_colour(wave: Option<Wave>) -> egui::Color32 {
    match wave {
        Some(Wave::P) => COLOUR_P,
        Some(Wave::Qrs) => COLOUR_QRS,
        Some(Wave::T) => COLOUR_T,
        None => COLOUR_OTHER,
    }
}

impl TeachPanel {
    pub fn on_new_record(&mut self) {
        self.model = None;
        self.error = None;
        self.task = None;
        self.submitted = None;
    }

    /// Before each frame while the panel is shown: prepare the record on screen (again when the VCG
    /// method or the search changed), and take the result.
    pub fn logic(
        &mut self,
        worker: &mut Worker,
        loaded: Option<&LoadedRecord>,
        record_key: u64,
        settings: &TeachSettings,
        notices: &mut Notices,
    ) {
        let wanted = (record_key, settings.method, settings.search);
        if let Some(loaded) = loaded
            && self.submitted != Some(wanted)
        {
            self.submitted = Some(wanted);
            self.task = Some(worker.submit(PrepareTeach {
                record_key,
                record: std::sync::Arc::clone(&loaded.record),
                method: settings.method,
                search: settings.search,
            }));
        }
        match poll_slot(&mut self.task) {
            Some(Outcome::Done(model)) if model.record_key == record_key => {
                self.error = None;
                self.model = Some(model);
            }
            Some(Outcome::Done(_)) | None => {}
            Some(Outcome::Failed(reason)) => {
                self.model = None;
                self.error = Some(reason);
            }
            Some(Outcome::Cancelled) => notices.push(NoticeLevel::Info, "preparation cancelled"),
        }
    }

    /// Draws the panel. `cursor_in_seconds` is the 12-lead view's cursor, shared with the loops;
    /// `reconstruction` is C and C-h on this record where they were run.
    pub fn ui(
        &mut self,
        ui: &mut egui::Ui,
        settings: &mut TeachSettings,
        cursor_in_seconds: &mut Option<f64>,
        reconstruction: Option<&ReconstructionResult>,
        record_name: Option<&str>,
    ) -> Option<TeachAction> {
        let mut action = None;
        ui.horizontal(|ui| {
            for mode in TeachMode::ALL {
                ui.selectable_value(&mut settings.mode, mode, mode.label());
            }
            ui.separator();
            egui::ComboBox::from_label("VCG")
                .selected_text(settings.method.name())
                .show_ui(ui, |ui| {
                    for method in [VcgMethod::Kors, VcgMethod::InverseDower] {
                        ui.selectable_value(&mut settings.method, method, method.name());
                    }
                })
                .response
                .on_hover_text(
                    "How the dipole is derived from the eight independent leads: Kors' regression \
                     (1990) or the inverse Dower matrix (Edenbrandt & Pahlm 1988).",
                );
        });
        ui.separator();
        let Some(model) = &self.model else {
            ui.centered_and_justified(|ui| match (&self.error, record_name) {
                (Some(error), Some(name)) => ui.label(format!("{name}: {error}")),
                (Some(error), None) => ui.label(error.as_str()),
                (None, Some(_)) => ui.label("Deriving the vectorcardiogram…"),
                (None, None) => ui.label("Open a 12-lead record to see its physics."),
            });
            return None;
        };
        header_ui(ui, model, record_name);
        egui::ScrollArea::vertical().show(ui, |ui| match settings.mode {
            TeachMode::Loops => loops_ui(ui, model, cursor_in_seconds),
            TeachMode::Anatomy => anatomy_ui(ui, model, &mut settings.anatomy),
            TeachMode::SameInputs => same_inputs_ui(ui, model, &mut settings.search),
            TeachMode::RegressionToMean => {
                action = regression_ui(ui, model, reconstruction);
            }
        });
        action
    }
}

fn header_ui(ui: &mut egui::Ui, model: &TeachModel, record_name: Option<&str>) {
    ui.horizontal(|ui| {
        ui.strong(record_name.unwrap_or("record"));
        ui.label(format!(
            "{} VCG · {} beats",
            model.method.name(),
            model.r_peaks.len()
        ));
        match model.qrs_axis_deg {
            Some(axis) => {
                let reading = if axis_is_deviated(axis) {
                    if (-90.0..-30.0).contains(&axis) {
                        "left axis deviation"
                    } else if axis > 90.0 && axis <= 180.0 {
                        "right axis deviation"
                    } else {
                        "extreme axis"
                    }
                } else {
                    "normal axis"
                };
                ui.label(format!("QRS axis {axis:+.0}° ({reading})"))
                    .on_hover_text(
                        "Frontal plane: 0° is lead I, +90° is aVF. Normal: −30° to +90°.",
                    );
            }
            None => {
                ui.label("QRS axis: –");
            }
        }
    });
}

/// The beat's samples of one VCG component.
fn beat_of<'a>(signal: &'a [f64], model: &TeachModel) -> &'a [f64] {
    signal.get(model.beat.clone()).unwrap_or(&[])
}

/// Loops in the frontal, horizontal and sagittal planes, with a cursor on the beat.
fn loops_ui(ui: &mut egui::Ui, model: &TeachModel, cursor_in_seconds: &mut Option<f64>) {
    let fs = model.fs_hz;
    let beat = model.beat.clone();
    // The cursor is the 12-lead view's; outside this beat it starts at the beat's R peak.
    let mut cursor = cursor_in_seconds
        .map(|s| (s * fs).round() as usize)
        .filter(|t| beat.contains(t))
        .unwrap_or(beat.start + (0.3 * fs) as usize);
    // ← and → step the cursor by one sample (10 ms), as the 12-lead view pans with them.
    if !ui.ctx().egui_wants_keyboard_input() {
        let step = |key| ui.input_mut(|input| input.consume_key(egui::Modifiers::NONE, key));
        let last = beat.end.saturating_sub(1).max(beat.start);
        let moved = if step(egui::Key::ArrowLeft) {
            Some(cursor.saturating_sub(1).max(beat.start))
        } else if step(egui::Key::ArrowRight) {
            Some((cursor + 1).min(last))
        } else {
            None
        };
        if let Some(moved) = moved {
            cursor = moved;
            *cursor_in_seconds = Some(cursor as f64 / fs);
        }
    }
    ui.horizontal(|ui| {
        ui.label("Time");
        let mut ms = (cursor as f64 - beat.start as f64) / fs * 1000.0;
        let end_ms = beat.len() as f64 / fs * 1000.0;
        if ui
            .add(egui::Slider::new(&mut ms, 0.0..=end_ms - 1000.0 / fs).suffix(" ms"))
            .on_hover_text("Shared with the 12-lead view's cursor.")
            .changed()
        {
            cursor = beat.start + (ms / 1000.0 * fs).round() as usize;
            *cursor_in_seconds = Some(cursor as f64 / fs);
        }
        for (wave, colour) in [("P", COLOUR_P), ("QRS", COLOUR_QRS), ("T", COLOUR_T)] {
            ui.colored_label(colour, format!("— {wave}"));
        }
        if let Some(t) = model.vcg.x.get(cursor).map(|_| model.vcg.at(cursor)) {
            ui.label(format!("v = ({:+.2}, {:+.2}, {:+.2}) mV", t[0], t[1], t[2]));
        }
    });
    let size = ((ui.available_width() - 30.0) / 3.0).clamp(160.0, 420.0);
    // (title, horizontal component, vertical component, their labels); Y (feet) and Z (back) are
    // drawn negated where that puts head and front upwards, as a body is seen.
    type Component = fn(&Vcg, usize) -> f64;
    let planes: [(&str, Component, Component, &str, &str); 3] = [
        (
            "Frontal",
            |v, t| v.x[t],
            |v, t| -v.y[t],
            "X (left)",
            "head (−Y)",
        ),
        (
            "Horizontal",
            |v, t| v.x[t],
            |v, t| -v.z[t],
            "X (left)",
            "front (−Z)",
        ),
        (
            "Sagittal",
            |v, t| -v.z[t],
            |v, t| -v.y[t],
            "front (−Z)",
            "head (−Y)",
        ),
    ];
    ui.horizontal(|ui| {
        for (title, horizontal, vertical, x_label, y_label) in planes {
            ui.vertical(|ui| {
                ui.strong(title);
                Plot::new(format!("teach_loop_{title}"))
                    .width(size)
                    .height(size)
                    .data_aspect(1.0)
                    .x_axis_label(x_label)
                    .y_axis_label(y_label)
                    .allow_scroll(false)
                    .show(ui, |plot_ui| {
                        for (wave, run) in wave_runs(&model.waves, beat.clone()) {
                            let points: PlotPoints<'_> = run
                                .map(|t| [horizontal(&model.vcg, t), vertical(&model.vcg, t)])
                                .collect();
                            plot_ui.line(
                                Line::new(wave.map_or("", Wave::name), points)
                                    .color(wave_colour(wave))
                                    .width(2.0),
                            );
                        }
                        if cursor < model.vcg.len() {
                            let at = [horizontal(&model.vcg, cursor), vertical(&model.vcg, cursor)];
                            plot_ui.points(
                                Points::new("cursor", vec![at])
                                    .radius(5.0)
                                    .color(egui::Color32::BLACK),
                            );
                        }
                    });
            });
        }
    });
    // Lead II of the beat with the cursor, coloured by wave.
    Plot::new("teach_loop_strip")
        .height(140.0)
        .x_axis_label("ms")
        .y_axis_label("II (mV)")
        .allow_scroll(false)
        .show(ui, |plot_ui| {
            let ms = |t: usize| (t as f64 - beat.start as f64) / fs * 1000.0;
            for (wave, run) in wave_runs(&model.waves, beat.clone()) {
                let points: PlotPoints<'_> = run
                    .filter_map(|t| Some([ms(t), *model.recorded[1].get(t)?]))
                    .collect();
                plot_ui.line(Line::new("II", points).color(wave_colour(wave)).width(2.0));
            }
            plot_ui.vline(VLine::new("cursor", ms(cursor)).color(egui::Color32::BLACK));
        });
    ui.small(
        "The dipole v(t) = (X, Y, Z) of Frank's axes, from the eight independent leads. P, QRS and \
         T are fixed intervals around each R peak, not a delineation.",
    );
}

/// Contiguous runs of one wave within `range` (each run overlaps the next by a sample, so the
/// loop is drawn without gaps).
fn wave_runs(
    waves: &[Option<Wave>],
    range: std::ops::Range<usize>,
) -> Vec<(Option<Wave>, std::ops::Range<usize>)> {
    let mut runs = Vec::new();
    let end = range.end.min(waves.len());
    let mut start = range.start;
    while start < end {
        let wave = waves[start];
        let mut stop = start + 1;
        while stop < end && waves[stop] == wave {
            stop += 1;
        }
        runs.push((wave, start..(stop + 1).min(end)));
        start = stop;
    }
    runs
}

/// The beat's dipole through a lead field: twelve leads, one beat long.
fn beat_leads(model: &TeachModel, field: &LeadField) -> [Vec<f64>; 12] {
    let beat = Vcg {
        x: beat_of(&model.vcg.x, model).to_vec(),
        y: beat_of(&model.vcg.y, model).to_vec(),
        z: beat_of(&model.vcg.z, model).to_vec(),
    };
    beat.leads(field)
}

fn rms_difference(a: &[f64], b: &[f64]) -> f64 {
    let n = a.len().min(b.len()).max(1);
    (a.iter().zip(b).map(|(x, y)| (x - y).powi(2)).sum::<f64>() / n as f64).sqrt()
}

/// Sliders for the heart and the electrodes; the twelve leads re-synthesised live.
fn anatomy_ui(ui: &mut egui::Ui, model: &TeachModel, anatomy: &mut Anatomy) {
    ui.horizontal_wrapped(|ui| {
        for (axis, name) in [
            "about X (left–right)",
            "about Y (head–feet)",
            "about Z (front–back)",
        ]
        .iter()
        .enumerate()
        {
            ui.add(
                egui::Slider::new(&mut anatomy.rotation_deg[axis], -45.0..=45.0)
                    .text(format!("rotate {name}"))
                    .suffix("°"),
            );
        }
        ui.add(egui::Slider::new(&mut anatomy.dipole_scale, 0.5..=1.5).text("dipole size"));
        if ui.button("Reset").clicked() {
            *anatomy = Anatomy::default();
        }
    });
    egui::CollapsingHeader::new("Electrode positions")
        .default_open(true)
        .show(ui, |ui| {
            egui::Grid::new("teach_electrodes").show(ui, |ui| {
                ui.label("");
                ui.label("along the chest (spacings, + towards V6)");
                ui.label("up / down (intercostal spaces)");
                ui.end_row();
                for electrode in 0..6 {
                    ui.label(format!("V{}", electrode + 1));
                    ui.add(egui::Slider::new(
                        &mut anatomy.electrode_shift[electrode],
                        -1.0..=1.0,
                    ));
                    ui.add(egui::Slider::new(
                        &mut anatomy.electrode_rise[electrode],
                        -1.5..=1.5,
                    ));
                    ui.end_row();
                }
            });
        });
    let reference = beat_leads(model, &LeadField::population());
    let moved = beat_leads(model, &anatomy.lead_field());
    let changes: [f64; 12] =
        std::array::from_fn(|row| rms_difference(&moved[row], &reference[row]));
    legend_ui(ui, "population torso");
    twelve_lead_grid_ui(
        ui,
        "teach_anatomy",
        model.fs_hz,
        |row| {
            vec![
                ("population", &reference[row][..], COLOUR_REFERENCE),
                ("this anatomy", &moved[row][..], lead_colour(row)),
            ]
        },
        |row| format!("Δ {:.2} mV", changes[row]),
    );
    let inputs = INPUT_ROWS.map(|row| changes[row]);
    let targets = TARGET_ROWS.map(|row| changes[row]);
    ui.label(format!(
        "RMS change over the beat: inputs I, II, V2 up to {:.2} mV; targets V1, V3–V6 up to {:.2} mV.",
        inputs.iter().fold(0.0f64, |m, v| m.max(*v)),
        targets.iter().fold(0.0f64, |m, v| m.max(*v)),
    ));
    ui.small(
        "The beat's own dipole, projected through Dower's lead field with the heart rotated and the \
         electrodes moved (15° of lead-vector tilt per intercostal space, a teaching approximation).",
    );
}

fn legend_ui(ui: &mut egui::Ui, reference: &str) {
    ui.horizontal(|ui| {
        ui.colored_label(COLOUR_INPUT, "— inputs I, II, V2");
        ui.colored_label(COLOUR_TARGET, "— targets V1, V3–V6");
        ui.colored_label(COLOUR_LIMB, "— derived limb leads");
        ui.colored_label(COLOUR_REFERENCE, format!("— {reference}"));
    });
}

/// Twelve small plots, 3 rows × 4 columns in the standard order; `traces(row)` gives each lead's
/// lines and `caption(row)` a note beside its name.
fn twelve_lead_grid_ui<'a>(
    ui: &mut egui::Ui,
    id: &str,
    fs_hz: f64,
    traces: impl Fn(usize) -> Vec<(&'a str, &'a [f64], egui::Color32)>,
    caption: impl Fn(usize) -> String,
) {
    let width = ((ui.available_width() - 40.0) / 4.0).max(120.0);
    egui::Grid::new(id).spacing([6.0, 6.0]).show(ui, |ui| {
        for grid_row in 0..3 {
            for column in 0..4 {
                // Columns as on paper: I II III | aVR aVL aVF | V1 V2 V3 | V4 V5 V6.
                let row = column * 3 + grid_row;
                ui.vertical(|ui| {
                    ui.horizontal(|ui| {
                        ui.colored_label(lead_colour(row), TWELVE_LEADS[row]);
                        ui.small(caption(row));
                    });
                    Plot::new(format!("{id}_{row}"))
                        .width(width)
                        .height(100.0)
                        .show_axes([false, true])
                        .allow_scroll(false)
                        .allow_drag(false)
                        .allow_zoom(false)
                        .link_axis(egui::Id::unique(format!("{id}_y")), [false, true])
                        .show(ui, |plot_ui| {
                            for (name, signal, colour) in traces(row) {
                                let points: PlotPoints<'_> = signal
                                    .iter()
                                    .enumerate()
                                    .map(|(t, v)| [t as f64 / fs_hz * 1000.0, *v])
                                    .collect();
                                plot_ui.line(Line::new(name, points).color(colour).width(1.5));
                            }
                        });
                });
            }
            ui.end_row();
        }
    });
}

/// The anatomy that keeps I, II and V2 and changes V3–V5 the most, beside the population torso.
fn same_inputs_ui(ui: &mut egui::Ui, model: &TeachModel, search: &mut SameInputsSearch) {
    ui.horizontal(|ui| {
        let mut percent = search.input_tolerance * 100.0;
        if ui
            .add(
                egui::Slider::new(&mut percent, 1.0..=20.0)
                    .text("inputs may change by")
                    .suffix(" %"),
            )
            .on_hover_text("RMS change of I, II and V2 over the beat, relative to their RMS.")
            .drag_stopped()
        {
            search.input_tolerance = percent / 100.0;
        }
        ui.add(
            egui::Slider::new(&mut search.max_shift, 0.0..=1.0)
                .text("electrode shift ≤ (spacings)"),
        );
    });
    if model.search_settings != *search {
        ui.label("Searching…");
    }
    let found = match &model.search {
        Ok(found) => found,
        Err(error) => {
            ui.colored_label(ui.visuals().error_fg_color, format!("No search: {error}"));
            return;
        }
    };
    let reference = beat_leads(model, &LeadField::population());
    let moved = beat_leads(model, &found.anatomy.lead_field());
    ui.label(format!(
        "Same heart, same three leads (I, II, V2 within {:.1} % RMS), different chest: V3–V5 differ by \
         {:.2} mV RMS (V3 {:.2}, V4 {:.2}, V5 {:.2} mV). A reconstruction from I, II and V2 cannot tell \
         these two patients apart.",
        found.input_change * 100.0,
        found.target_change_mv,
        found.lead_change_mv[8],
        found.lead_change_mv[9],
        found.lead_change_mv[10],
    ));
    let a = found.anatomy;
    ui.small(format!(
        "Anatomy found: heart rotated ({:+.0}°, {:+.0}°, {:+.0}°), dipole ×{:.2}; electrodes moved along \
         the chest [{}] spacings and up [{}] spaces (V1…V6).",
        a.rotation_deg[0],
        a.rotation_deg[1],
        a.rotation_deg[2],
        a.dipole_scale,
        a.electrode_shift.map(|v| format!("{v:+.1}")).join(", "),
        a.electrode_rise.map(|v| format!("{v:+.1}")).join(", "),
    ));
    ui.columns(2, |columns| {
        columns[0].strong("Population torso");
        twelve_lead_grid_ui(
            &mut columns[0],
            "teach_same_left",
            model.fs_hz,
            |row| vec![("population", &reference[row][..], lead_colour(row))],
            |_| String::new(),
        );
        columns[1].strong("The anatomy found");
        twelve_lead_grid_ui(
            &mut columns[1],
            "teach_same_right",
            model.fs_hz,
            |row| {
                vec![
                    ("population", &reference[row][..], COLOUR_REFERENCE),
                    ("found", &moved[row][..], lead_colour(row)),
                ]
            },
            |row| format!("Δ {:.2} mV", found.lead_change_mv[row]),
        );
    });
    ui.small(
        "Three leads fix the three components of the dipole, so rotating the heart alone changes \
         nothing a three-lead reconstruction could detect: the mapping from I, II, V2 to the chest \
         leads depends only on where the electrodes sit relative to the heart, the anatomy s of \
         Φ = A(s)·v that the inputs do not record.",
    );
}

/// Population mappings (the dipole; C and C-h where run) against the recorded chest leads, and
/// their R amplitudes beside the truth's.
fn regression_ui(
    ui: &mut egui::Ui,
    model: &TeachModel,
    reconstruction: Option<&ReconstructionResult>,
) -> Option<TeachAction> {
    let mut action = None;
    let dipole = match ThreeLeadDipole::population() {
        Ok(dipole) => dipole,
        Err(error) => {
            ui.label(error.to_string());
            return None;
        }
    };
    // The first 10 s (and the beat drawn): the span the models were trained on, and a bounded
    // amount of work per frame on a long record.
    let span = (10.0 * model.fs_hz) as usize;
    let span = span.max(model.beat.end).min(model.vcg.len());
    fn clip_to(signal: &[f64], span: usize) -> &[f64] {
        &signal[..span.min(signal.len())]
    }
    let r = &model.recorded;
    // I, II, V2 are [0], [1], [3] of the independent leads; V1, V3–V6 are [2], [4..8].
    let estimated = dipole.reconstruct([&r[0], &r[1], &r[3]].map(|lead| clip_to(lead, span)));
    let truth: [&[f64]; 5] =
        [r[2].as_slice(), &r[4], &r[5], &r[6], &r[7]].map(|lead| clip_to(lead, span));
    let reconstructed = reconstruction.filter(|result| result.record_key == model.record_key);
    ui.horizontal(|ui| {
        ui.colored_label(COLOUR_TRUTH, "— recorded");
        ui.colored_label(COLOUR_DIPOLE, "— dipole (population torso)");
        if let Some(result) = reconstructed {
            if result.leads.iter().any(|l| l.least_squares_mv.is_some()) {
                ui.colored_label(COLOUR_LEAST_SQUARES, "— least squares (training split)");
            }
            ui.colored_label(COLOUR_C, "— C");
            ui.colored_label(COLOUR_CH, "— C-h");
        } else if ui
            .button("Reconstruct with C and C-h")
            .on_hover_text("Runs the loaded models on this record (Reconstruct panel).")
            .clicked()
        {
            action = Some(TeachAction::Reconstruct);
        }
    });
    let model_lead =
        |lead: &str, pick: fn(&crate::worker::reconstruct::LeadComparison) -> Option<&Vec<f64>>| {
            reconstructed
                .and_then(|result| result.leads.iter().find(|l| l.lead == lead))
                .and_then(pick)
        };
    let beats: Vec<usize> = model
        .r_peaks
        .iter()
        .copied()
        .filter(|&r| r < span)
        .collect();
    let amplitude_of = |signal: &[f64]| {
        amplitude::record_amplitudes(clip_to(signal, span), &beats, model.fs_hz).map(|a| a.r_mv)
    };
    let cell = |value: Option<f64>| value.map_or("–".to_owned(), |v| format!("{v:+.2}"));
    egui::Grid::new("teach_rtm_amplitudes")
        .striped(true)
        .show(ui, |ui| {
            for header in [
                "R amplitude (mV, median beat of 10 s)",
                "recorded",
                "dipole",
                "least squares",
                "C",
                "C-h",
            ] {
                ui.strong(header);
            }
            ui.end_row();
            for (k, lead) in crate::physics::dipole::target_lead_names()
                .iter()
                .enumerate()
            {
                ui.label(*lead);
                ui.label(cell(amplitude_of(truth[k])));
                ui.label(cell(amplitude_of(&estimated[k])));
                ui.label(cell(
                    model_lead(lead, |l| l.least_squares_mv.as_ref()).and_then(|s| amplitude_of(s)),
                ));
                ui.label(cell(
                    model_lead(lead, |l| l.c_mv.as_ref()).and_then(|s| amplitude_of(s)),
                ));
                ui.label(cell(
                    model_lead(lead, |l| l.ch_mv.as_ref()).and_then(|s| amplitude_of(s)),
                ));
                ui.end_row();
            }
        });
    let beat = model.beat.clone();
    let width = ((ui.available_width() - 40.0) / 5.0).max(120.0);
    ui.horizontal(|ui| {
        for (k, lead) in crate::physics::dipole::target_lead_names()
            .iter()
            .enumerate()
        {
            ui.vertical(|ui| {
                ui.strong(*lead);
                Plot::new(format!("teach_rtm_{lead}"))
                    .width(width)
                    .height(180.0)
                    .x_axis_label("ms")
                    .allow_scroll(false)
                    .link_axis(egui::Id::unique("teach_rtm_y"), [false, true])
                    .show(ui, |plot_ui| {
                        let mut line = |name: &str, signal: &[f64], colour| {
                            let points: PlotPoints<'_> = signal
                                .get(beat.clone())
                                .unwrap_or(&[])
                                .iter()
                                .enumerate()
                                .map(|(t, v)| [t as f64 / model.fs_hz * 1000.0, *v])
                                .collect();
                            plot_ui
                                .line(Line::new(name.to_owned(), points).color(colour).width(1.5));
                        };
                        line("recorded", truth[k], COLOUR_TRUTH);
                        line("dipole", &estimated[k], COLOUR_DIPOLE);
                        if let Some(ls) = model_lead(lead, |l| l.least_squares_mv.as_ref()) {
                            line("least squares", ls, COLOUR_LEAST_SQUARES);
                        }
                        if let Some(c) = model_lead(lead, |l| l.c_mv.as_ref()) {
                            line("C", c, COLOUR_C);
                        }
                        if let Some(ch) = model_lead(lead, |l| l.ch_mv.as_ref()) {
                            line("C-h", ch, COLOUR_CH);
                        }
                    });
            });
        }
    });
    let axis_note = match model.qrs_axis_deg {
        Some(axis) if axis_is_deviated(axis) => format!(
            "This record's QRS axis ({axis:+.0}°) is outside the normal range, where one mapping \
             fitted to typical hearts is furthest from its own: compare the amplitudes above."
        ),
        Some(axis) => format!(
            "This record's QRS axis ({axis:+.0}°) is normal; a record with a deviated axis shows the \
             effect more (HR12083 among the samples, about −70°)."
        ),
        None => String::new(),
    };
    ui.label(axis_note);
    ui.small(
        "One mapping for everybody (the dipole through a population torso, least squares, C) gives \
         each record amplitudes pulled towards the population's: the regression to the mean that \
         C-h's embedding is meant to counter. The Study panel measures it over records.",
    );
    action
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_cover_the_range_and_join() {
        let waves = [None, Some(Wave::P), Some(Wave::P), None, Some(Wave::Qrs)];
        let runs = wave_runs(&waves, 0..5);
        assert_eq!(
            runs,
            vec![
                (None, 0..2),
                (Some(Wave::P), 1..4),
                (None, 3..5),
                (Some(Wave::Qrs), 4..5),
            ]
        );
        assert!(wave_runs(&waves, 3..3).is_empty());
    }
}
