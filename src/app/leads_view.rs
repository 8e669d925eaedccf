//! The 12-lead view: leads on ECG paper (12×1 or 3×4 + rhythm strip), pan and zoom with every strip on
//! one linked time axis, a time cursor with the value of every lead, and calipers (Δt in ms and bpm,
//! ΔV in mV).
//!
//! State (pan position, cursor, calipers) is kept here; drawing reads it. Signals are decimated per pixel
//! column ([`super::ecg_grid::decimate_min_max`]) so hours-long records stay fluid.

use serde::{Deserialize, Serialize};

use super::ecg_grid::{GridSettings, LeadLayout, Strip, paint_paper};
use super::records::LoadedRecord;
use crate::model::twelve_lead::{LeadOrigin, ReconstructedEcg};
use crate::physics::anatomy::TARGET_ROWS;
use crate::physics::twelve_lead_index;
use crate::worker::Cleaned;

/// Which signals the paper shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum SignalDisplay {
    Raw,
    Cleaned,
    /// Cleaned drawn over raw, in the overlay colour.
    #[default]
    Overlay,
    /// Raw on the left half of each row, cleaned on the right, over the same time span (12×1).
    SideBySide,
}

impl SignalDisplay {
    pub fn label(self) -> &'static str {
        match self {
            Self::Raw => "Raw",
            Self::Cleaned => "Cleaned",
            Self::Overlay => "Overlay",
            Self::SideBySide => "Side by side",
        }
    }
}

/// Which model's reconstruction the paper shows in place of the record (the record's own leads
/// when `Off`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum ShownReconstruction {
    #[default]
    Off,
    C,
    CH,
}

impl ShownReconstruction {
    pub fn variant(self) -> Option<crate::model::ModelVariant> {
        match self {
            Self::Off => None,
            Self::C => Some(crate::model::ModelVariant::C),
            Self::CH => Some(crate::model::ModelVariant::CH),
        }
    }
}

/// What the 12-lead view's controls ask the app to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LeadsAction {
    Reconstruct,
}

/// Marks the stretches whose band is flagged wide.
const WIDE_BAND_COLOUR: egui::Color32 = egui::Color32::from_rgb(220, 120, 0);

/// The rebuilt leads' colours: C and C-h as in the Reconstruct panel.
fn reconstruction_colour(variant: crate::model::ModelVariant) -> egui::Color32 {
    match variant {
        crate::model::ModelVariant::C => egui::Color32::from_rgb(230, 120, 30),
        crate::model::ModelVariant::CH => egui::Color32::from_rgb(30, 120, 220),
    }
}

/// How one strip's lead is marked on the paper.
#[derive(Clone, Debug, PartialEq)]
pub struct LeadMarking {
    pub label: String,
    /// The model's colour where the lead is rebuilt (else the paper's trace colour).
    pub colour: Option<egui::Color32>,
    /// Which of V1, V3–V6 it is, where the lead is rebuilt (its band's index).
    pub target: Option<usize>,
}

impl LeadMarking {
    /// The marking of the lead `name` (drawn as `label`) when the paper shows the reconstruction
    /// `ecg`: rebuilt leads get the model's colour, a `V4 · C-h` label and their band; derived
    /// leads say so.
    pub fn of(ecg: Option<&ReconstructedEcg>, name: Option<&String>, label: &str) -> Self {
        let mut marking = Self {
            label: label.to_owned(),
            colour: None,
            target: None,
        };
        let Some((ecg, row)) = ecg.zip(name.and_then(|name| twelve_lead_index(name))) else {
            return marking;
        };
        match ecg.origin[row] {
            LeadOrigin::Reconstructed => {
                marking.colour = Some(reconstruction_colour(ecg.variant));
                marking.label = ecg.lead_label(row);
                marking.target = TARGET_ROWS.iter().position(|&r| r == row);
            }
            LeadOrigin::Derived => marking.label = format!("{label} (derived)"),
            LeadOrigin::Recorded => {}
        }
        marking
    }
}

/// Which version of a lead a strip draws.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Source {
    Raw,
    Cleaned,
    Both,
}

/// The standard 3×4 arrangement: four columns of three leads.
const COLUMNS_3X4: [[&str; 3]; 4] = [
    ["I", "II", "III"],
    ["aVR", "aVL", "aVF"],
    ["V1", "V2", "V3"],
    ["V4", "V5", "V6"],
];

/// Lead of the rhythm strip under the 3×4 block.
const RHYTHM_LEAD: &str = "II";

/// One caliper point: a time and a value read in one strip.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CaliperPoint {
    pub t_in_seconds: f64,
    pub value_in_mv: f64,
    /// Which strip it was placed in (ΔV is only meaningful within one strip).
    pub strip_index: usize,
}

/// View state of the 12-lead panel.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default)]
pub struct LeadsView {
    /// Time at the left edge of the strips (linked across all leads).
    pub start_in_seconds: f64,
    pub display: SignalDisplay,
    pub show_r_peaks: bool,
    /// Show the record's reconstruction (C or C-h) as a 12-lead ECG instead of the record.
    pub reconstruction: ShownReconstruction,
    #[serde(skip)]
    pub cursor_in_seconds: Option<f64>,
    #[serde(skip)]
    pub calipers: Vec<CaliperPoint>,
    /// Points handed to the painter in the last frame (after decimation).
    #[serde(skip)]
    pub last_points_drawn: usize,
}

impl Default for LeadsView {
    fn default() -> Self {
        Self {
            start_in_seconds: 0.0,
            display: SignalDisplay::default(),
            show_r_peaks: true,
            reconstruction: ShownReconstruction::Off,
            cursor_in_seconds: None,
            calipers: Vec::new(),
            last_points_drawn: 0,
        }
    }
}

impl LeadsView {
    pub fn on_new_record(&mut self) {
        self.start_in_seconds = 0.0;
        self.cursor_in_seconds = None;
        self.calipers.clear();
    }

    /// Paper speed, gain, layout and magnification controls, and which reconstruction is shown
    /// (`reconstructed`: whether the record on screen has one).
    pub fn controls_ui(
        &mut self,
        ui: &mut egui::Ui,
        grid: &mut GridSettings,
        reconstructed: bool,
    ) -> Option<LeadsAction> {
        let mut action = None;
        ui.horizontal_wrapped(|ui| {
            ui.label("Speed")
                .on_hover_text("Paper speed: how many millimetres of paper one second of signal takes (standard 25 mm/s).");
            for mm_per_s in [12.5, 25.0, 50.0] {
                ui.selectable_value(&mut grid.mm_per_s, mm_per_s, format!("{mm_per_s} mm/s"));
            }
            ui.separator();
            ui.label("Gain")
                .on_hover_text("Gain: how many millimetres one millivolt takes (standard 10 mm/mV; the calibration pulse shows 1 mV).");
            for mm_per_mv in [5.0, 10.0, 20.0] {
                ui.selectable_value(&mut grid.mm_per_mv, mm_per_mv, format!("{mm_per_mv} mm/mV"));
            }
            ui.separator();
            ui.label("Layout");
            for layout in [LeadLayout::TwelveByOne, LeadLayout::ThreeByFourRhythm] {
                ui.selectable_value(&mut grid.layout, layout, layout.label())
                    .on_hover_text("Switch layout (L). 3×4: four 2.5 s columns of three leads, with a lead II rhythm strip below.");
            }
            ui.separator();
            ui.label("Zoom");
            ui.add(
                egui::DragValue::new(&mut grid.magnification)
                    .range(0.25..=8.0)
                    .speed(0.02)
                    .suffix("×"),
            )
            .on_hover_text("Magnification over true paper size (1× = physical millimetres at the screen DPI set in Settings). Ctrl+wheel or +/- to zoom.");
            if ui.button("1:1").on_hover_text("True size").clicked() {
                grid.magnification = 1.0;
            }
            ui.separator();
            if ui
                .button("<")
                .on_hover_text("Pan back 1 s (← key, drag or wheel)")
                .clicked()
            {
                self.start_in_seconds = (self.start_in_seconds - 1.0).max(0.0);
            }
            if ui.button(">").on_hover_text("Pan forward 1 s (→ key)").clicked() {
                self.start_in_seconds += 1.0;
            }
            ui.label(format!("t0 = {:.2} s", self.start_in_seconds));
        });
        ui.horizontal_wrapped(|ui| {
            ui.label("Show");
            for display in [
                SignalDisplay::Raw,
                SignalDisplay::Cleaned,
                SignalDisplay::Overlay,
                SignalDisplay::SideBySide,
            ] {
                ui.selectable_value(&mut self.display, display, display.label());
            }
            ui.separator();
            let palette = grid.colours.palette(ui.visuals().dark_mode);
            ui.colored_label(palette.trace, "— raw");
            ui.colored_label(palette.overlay, "— cleaned");
            ui.separator();
            ui.checkbox(&mut self.show_r_peaks, "R-peaks").on_hover_text(
                "Mark the detected R-peaks (the peak of each QRS complex, one per heartbeat), found on the cleaned leads together.",
            );
        });
        ui.horizontal_wrapped(|ui| {
            ui.label("Reconstruction").on_hover_text(
                "Show the record as the models rebuild it: I, II and V2 as recorded (cleaned), V1 and V3–V6 rebuilt (labelled with the model, in its colour, inside its uncertainty band), limb leads the record lacks derived from I and II.",
            );
            for (shown, label) in [
                (ShownReconstruction::Off, "Off"),
                (ShownReconstruction::C, "C"),
                (ShownReconstruction::CH, "C-h"),
            ] {
                ui.selectable_value(&mut self.reconstruction, shown, label);
            }
            if self.reconstruction != ShownReconstruction::Off && !reconstructed {
                if ui
                    .button("Reconstruct this record")
                    .on_hover_text("Rebuild V1, V3–V6 of this record with C and C-h")
                    .clicked()
                {
                    action = Some(LeadsAction::Reconstruct);
                }
                ui.label("Not reconstructed yet: the record is shown.");
            }
            if let (Some(variant), true) = (self.reconstruction.variant(), reconstructed) {
                ui.colored_label(
                    reconstruction_colour(variant),
                    format!(
                        "V1, V3–V6 rebuilt by {} from I, II and V2: estimates, not recordings",
                        variant.name()
                    ),
                )
                .on_hover_text("Shaded: the 90 % conformal band, wider where C and C-h disagree. An orange bar over a stretch: its band is at least 1.5× the usual width (trust it less).");
            }
        });
        action
    }

    /// The side readout: values at the cursor, caliper measurements.
    pub fn readout_ui(
        &self,
        ui: &mut egui::Ui,
        loaded: Option<&LoadedRecord>,
        cleaned: Option<&Cleaned>,
        grid: &GridSettings,
    ) {
        ui.heading("Cursor");
        let Some(loaded) = loaded else {
            ui.label("No record.");
            return;
        };
        match self.cursor_in_seconds {
            Some(t_in_seconds) => {
                ui.label(format!("t = {t_in_seconds:.3} s"));
                egui::Grid::new("cursor_values")
                    .striped(true)
                    .show(ui, |ui| {
                        for (index, name) in loaded.record.signal_names().iter().enumerate() {
                            let value = loaded.record.signal(index).and_then(|signal| {
                                value_at(signal, loaded.record.fs_hz(), t_in_seconds)
                            });
                            let cleaned_value = cleaned.and_then(|cleaned| {
                                cleaned
                                    .leads
                                    .get(index)
                                    .and_then(|lead| lead.as_ref().ok())
                                    .and_then(|signal| {
                                        value_at(signal, cleaned.fs_hz, t_in_seconds)
                                    })
                            });
                            ui.label(*name);
                            ui.label(match value {
                                Some(value_in_mv) => format!("{value_in_mv:+.3} mV"),
                                None => "–".to_owned(),
                            });
                            ui.label(match cleaned_value {
                                Some(value_in_mv) => format!("{value_in_mv:+.3}"),
                                None => "–".to_owned(),
                            })
                            .on_hover_text("cleaned, mV");
                            ui.end_row();
                        }
                    });
            }
            None => {
                ui.label("Hover over the paper to read every lead at one instant.");
            }
        }
        ui.separator();
        ui.heading("Calipers").on_hover_text(
            "Click two points on the paper: Δt is the time between them (as a heart rate, 60 000 / Δt ms beats per minute — use it on an R–R interval), ΔV the voltage difference within one lead. Right-click clears.",
        );
        match self.calipers.as_slice() {
            [] => {
                ui.label("Click on the paper to place the first caliper.");
            }
            [a] => {
                ui.label(format!(
                    "A: {:.3} s, {:+.3} mV",
                    a.t_in_seconds, a.value_in_mv
                ));
                ui.label("Click a second point.");
            }
            [a, b, ..] => {
                let dt_in_ms = (b.t_in_seconds - a.t_in_seconds).abs() * 1000.0;
                ui.label(format!("Δt = {dt_in_ms:.0} ms"));
                if dt_in_ms > 0.0 {
                    ui.label(format!("   = {:.1} bpm", 60_000.0 / dt_in_ms));
                }
                if a.strip_index == b.strip_index {
                    ui.label(format!("ΔV = {:+.3} mV", b.value_in_mv - a.value_in_mv));
                } else {
                    ui.label("ΔV: points are in different leads");
                }
            }
        }
        ui.separator();
        ui.small(format!(
            "{} mm/s · {} mm/mV · {} points drawn",
            grid.mm_per_s, grid.mm_per_mv, self.last_points_drawn
        ));
    }

    /// Draws the paper and the leads of `loaded`, and handles pan, zoom, cursor and calipers. With
    /// `reconstruction`, `loaded` is that reconstruction as a record: its rebuilt leads are drawn in the model's colour,
    /// labelled `V4 · C-h`, inside their bands.
    pub fn ui(
        &mut self,
        ui: &mut egui::Ui,
        loaded: &LoadedRecord,
        cleaned: Option<&Cleaned>,
        grid: &mut GridSettings,
        reconstruction: Option<&ReconstructedEcg>,
    ) {
        let record = &loaded.record;
        let fs_hz = record.fs_hz();
        let duration_in_seconds = record.duration_s();
        let pixels_per_point = ui.ctx().pixels_per_point();
        let ui_per_mm = grid.ui_per_mm(pixels_per_point);
        let dark = ui.visuals().dark_mode;
        let palette = grid.colours.palette(dark);
        let names: Vec<String> = record
            .signal_names()
            .iter()
            .map(|s| (*s).to_owned())
            .collect();

        // Which rows and strips to draw.
        let layout = if grid.layout == LeadLayout::ThreeByFourRhythm
            && COLUMNS_3X4
                .iter()
                .flatten()
                .all(|name| record.signal_index(name).is_some())
        {
            LeadLayout::ThreeByFourRhythm
        } else {
            if grid.layout == LeadLayout::ThreeByFourRhythm {
                ui.label("3×4 needs the twelve standard leads; this record is shown 12×1.");
            }
            LeadLayout::TwelveByOne
        };
        let (n_rows, row_height_in_mm) = match layout {
            LeadLayout::TwelveByOne => (names.len().max(1), grid.row_height_12x1_mm.max(5.0)),
            LeadLayout::ThreeByFourRhythm => (4, grid.row_height_3x4_mm.max(5.0)),
        };
        // Left margin for the calibration pulse: 0.2 s of paper plus 3 mm.
        let margin_in_mm = if grid.show_calibration_pulse {
            0.2 * grid.mm_per_s + 3.0
        } else {
            0.0
        };

        // Paper as wide as the window allows, but no wider than the record at this speed.
        let record_width_in_ui =
            (margin_in_mm + duration_in_seconds.max(0.0) as f32 * grid.mm_per_s) * ui_per_mm;
        let available_width_in_ui = ui.available_width().min(record_width_in_ui.max(10.0));
        let desired_height_in_ui = n_rows as f32 * row_height_in_mm * ui_per_mm;
        let visible_in_seconds =
            f64::from((available_width_in_ui / ui_per_mm - margin_in_mm).max(1.0) / grid.mm_per_s);
        if duration_in_seconds > visible_in_seconds * 1.01 {
            self.overview_ui(ui, loaded, visible_in_seconds, &palette);
        }
        egui::ScrollArea::vertical()
            .auto_shrink([false, false])
            .show(ui, |ui| {
                let (rect_in_ui, response) = ui.allocate_exact_size(
                    egui::vec2(available_width_in_ui, desired_height_in_ui),
                    egui::Sense::click_and_drag(),
                );
                let painter = ui.painter_at(rect_in_ui);
                paint_paper(&painter, rect_in_ui, ui_per_mm, &palette);

                let paper_width_in_mm = (rect_in_ui.width() / ui_per_mm - margin_in_mm).max(1.0);
                let visible_in_seconds = f64::from(paper_width_in_mm / grid.mm_per_s);
                // Keep the view inside the record.
                let max_start = (duration_in_seconds - visible_in_seconds).max(0.0);
                self.start_in_seconds = self.start_in_seconds.clamp(0.0, max_start);

                let strips = self.layout_strips(
                    layout,
                    &names,
                    record,
                    rect_in_ui,
                    ui_per_mm,
                    margin_in_mm,
                    row_height_in_mm,
                    visible_in_seconds,
                    grid,
                );

                let trace_stroke = egui::Stroke::new(grid.trace_width_ui, palette.trace);
                let cleaned_stroke = egui::Stroke::new(grid.trace_width_ui, palette.overlay);
                let r_peaks_in_seconds: Vec<f64> = match cleaned {
                    Some(cleaned) if self.show_r_peaks && cleaned.fs_hz > 0.0 => cleaned
                        .r_peaks_in_samples
                        .as_ref()
                        .map(|peaks| peaks.iter().map(|&i| i as f64 / cleaned.fs_hz).collect())
                        .unwrap_or_default(),
                    _ => Vec::new(),
                };
                let mut points_drawn = 0;
                for (strip_index, (strip, lead_index, label, source)) in strips.iter().enumerate() {
                    let cleaned_signal = cleaned.and_then(|cleaned| {
                        cleaned
                            .leads
                            .get(*lead_index)
                            .and_then(|lead| lead.as_ref().ok())
                            .map(|signal| (signal.as_slice(), cleaned.fs_hz))
                    });
                    let (draw_raw, draw_cleaned) = match source {
                        Source::Raw => (true, false),
                        Source::Cleaned => (cleaned_signal.is_none(), true),
                        Source::Both => (true, true),
                    };
                    // Where the lead is a reconstruction's: how it is marked.
                    let marking = LeadMarking::of(reconstruction, names.get(*lead_index), label);
                    let mut lead_stroke = trace_stroke;
                    if let Some(colour) = marking.colour {
                        lead_stroke.color = colour;
                        let band = reconstruction
                            .and_then(|ecg| ecg.bands.as_ref())
                            .zip(marking.target)
                            .map(|(bands, k)| &bands.leads[k]);
                        if let (Some(band), Some(signal)) = (band, record.signal(*lead_index)) {
                            strip.paint_band(
                                &painter,
                                signal,
                                fs_hz,
                                &band.half_width_mv,
                                colour.gamma_multiply(0.22),
                                pixels_per_point,
                            );
                            strip.paint_spans(&painter, &band.wide, fs_hz, WIDE_BAND_COLOUR);
                        }
                    }
                    if draw_raw && let Some(signal) = record.signal(*lead_index) {
                        points_drawn += strip.paint_trace(
                            &painter,
                            signal,
                            fs_hz,
                            lead_stroke,
                            pixels_per_point,
                        );
                    }
                    if draw_cleaned && let Some((signal, cleaned_fs_hz)) = cleaned_signal {
                        points_drawn += strip.paint_trace(
                            &painter,
                            signal,
                            cleaned_fs_hz,
                            cleaned_stroke,
                            pixels_per_point,
                        );
                    }
                    for &t_in_seconds in &r_peaks_in_seconds {
                        if (strip.start_in_seconds..strip.end_in_seconds).contains(&t_in_seconds) {
                            let x_in_ui = strip.ui_from_seconds(t_in_seconds);
                            let top_in_ui = strip.rect_in_ui.top() + 1.0;
                            painter.add(egui::Shape::convex_polygon(
                                vec![
                                    egui::pos2(x_in_ui - 3.0, top_in_ui),
                                    egui::pos2(x_in_ui + 3.0, top_in_ui),
                                    egui::pos2(x_in_ui, top_in_ui + 5.0),
                                ],
                                egui::Color32::from_rgb(0, 150, 80),
                                egui::Stroke::NONE,
                            ));
                        }
                    }
                    painter.text(
                        strip.rect_in_ui.left_top() + egui::vec2(2.0, 1.0),
                        egui::Align2::LEFT_TOP,
                        marking.label,
                        egui::FontId::proportional(13.0),
                        marking.colour.unwrap_or(palette.trace),
                    );
                    let is_row_start = strip_index == 0
                        || strips.get(strip_index.wrapping_sub(1)).is_some_and(
                            |(previous, _, _, _)| {
                                (previous.rect_in_ui.top() - strip.rect_in_ui.top()).abs() > 0.5
                            },
                        );
                    if grid.show_calibration_pulse && is_row_start {
                        let pulse_strip = Strip {
                            rect_in_ui: egui::Rect::from_min_max(
                                egui::pos2(rect_in_ui.left(), strip.rect_in_ui.top()),
                                strip.rect_in_ui.left_bottom(),
                            ),
                            ..*strip
                        };
                        pulse_strip.paint_calibration_pulse(&painter, trace_stroke);
                    }
                }
                self.last_points_drawn = points_drawn;

                self.interact(ui, &response, &strips, duration_in_seconds, max_start, grid);
                self.paint_cursor_and_calipers(&painter, &strips, palette.overlay);
            });
    }

    /// A strip over the whole record (one lead, decimated to the pixel grid) with the window on screen
    /// marked; click or drag to move the window. Hours-long records are navigated from here.
    fn overview_ui(
        &mut self,
        ui: &mut egui::Ui,
        loaded: &LoadedRecord,
        visible_in_seconds: f64,
        palette: &super::ecg_grid::Palette,
    ) {
        let record = &loaded.record;
        let duration_in_seconds = record.duration_s();
        let fs_hz = record.fs_hz();
        let lead_index = record.signal_index(RHYTHM_LEAD).unwrap_or(0);
        let (rect_in_ui, response) = ui.allocate_exact_size(
            egui::vec2(ui.available_width(), 36.0),
            egui::Sense::click_and_drag(),
        );
        response.widget_info(|| {
            egui::WidgetInfo::labeled(
                egui::accesskit::Role::Slider,
                true,
                "Overview of the whole record",
            )
        });
        let response = response.on_hover_text(
            "The whole record: click or drag to move the paper's window (shown as the box).",
        );
        let painter = ui.painter_at(rect_in_ui);
        painter.rect_filled(rect_in_ui, 2.0, ui.visuals().extreme_bg_color);
        let ui_from_seconds = |t: f64| {
            rect_in_ui.left() + (t / duration_in_seconds.max(1e-9)) as f32 * rect_in_ui.width()
        };
        if let Some(signal) = record.signal(lead_index) {
            let columns = (rect_in_ui.width() * ui.ctx().pixels_per_point()).max(1.0) as usize;
            let points = super::ecg_grid::decimate_min_max(signal, 0, signal.len(), columns);
            let (lo, hi) = points
                .iter()
                .fold((f64::MAX, f64::MIN), |(lo, hi), &(_, v)| {
                    (lo.min(v), hi.max(v))
                });
            let span = (hi - lo).max(1e-6);
            let points_in_ui: Vec<egui::Pos2> = points
                .iter()
                .map(|&(index, value)| {
                    egui::pos2(
                        ui_from_seconds(index as f64 / fs_hz),
                        rect_in_ui.bottom()
                            - 2.0
                            - ((value - lo) / span) as f32 * (rect_in_ui.height() - 4.0),
                    )
                })
                .collect();
            painter.add(egui::Shape::line(
                points_in_ui,
                egui::Stroke::new(1.0, palette.trace.gamma_multiply(0.7)),
            ));
        }
        let window_in_ui = egui::Rect::from_x_y_ranges(
            ui_from_seconds(self.start_in_seconds)
                ..=ui_from_seconds(self.start_in_seconds + visible_in_seconds),
            rect_in_ui.y_range(),
        );
        painter.rect_stroke(
            window_in_ui,
            1.0,
            egui::Stroke::new(2.0, palette.overlay),
            egui::StrokeKind::Inside,
        );
        if let Some(pos) = response.interact_pointer_pos()
            && (response.clicked() || response.dragged())
        {
            let t_in_seconds = f64::from((pos.x - rect_in_ui.left()) / rect_in_ui.width().max(1.0))
                * duration_in_seconds;
            self.start_in_seconds = (t_in_seconds - visible_in_seconds / 2.0)
                .clamp(0.0, (duration_in_seconds - visible_in_seconds).max(0.0));
        }
        ui.small(format!(
            "{:.1} of {:.1} s shown",
            visible_in_seconds.min(duration_in_seconds),
            duration_in_seconds
        ));
    }

    /// What each strip draws in the current display mode (side by side splits strips itself).
    fn source(&self) -> Source {
        match self.display {
            SignalDisplay::Raw => Source::Raw,
            SignalDisplay::Cleaned => Source::Cleaned,
            SignalDisplay::Overlay | SignalDisplay::SideBySide => Source::Both,
        }
    }

    /// The strips of a layout: (strip, lead index, label, what to draw).
    #[expect(clippy::too_many_arguments)]
    fn layout_strips(
        &self,
        layout: LeadLayout,
        names: &[String],
        record: &crate::wfdb::Record,
        rect_in_ui: egui::Rect,
        ui_per_mm: f32,
        margin_in_mm: f32,
        row_height_in_mm: f32,
        visible_in_seconds: f64,
        grid: &GridSettings,
    ) -> Vec<(Strip, usize, String, Source)> {
        let left_in_ui = rect_in_ui.left() + margin_in_mm * ui_per_mm;
        let row_height_in_ui = row_height_in_mm * ui_per_mm;
        let make_strip = |row: usize, x0_in_ui: f32, x1_in_ui: f32, t0: f64, t1: f64| Strip {
            rect_in_ui: egui::Rect::from_min_max(
                egui::pos2(x0_in_ui, rect_in_ui.top() + row as f32 * row_height_in_ui),
                egui::pos2(
                    x1_in_ui,
                    rect_in_ui.top() + (row + 1) as f32 * row_height_in_ui,
                ),
            ),
            start_in_seconds: t0,
            end_in_seconds: t1,
            baseline_in_mm: row_height_in_mm * 0.6,
            ui_per_mm,
            mm_per_s: grid.mm_per_s,
            mm_per_mv: grid.mm_per_mv,
        };
        let t0 = self.start_in_seconds;
        let mut strips = Vec::new();
        match layout {
            LeadLayout::TwelveByOne if self.display == SignalDisplay::SideBySide => {
                // Each half shows the same span, so the halves line up beat for beat.
                let half_in_seconds = visible_in_seconds / 2.0;
                let half_width_in_ui = grid.mm_per_s * ui_per_mm * half_in_seconds as f32;
                for (row, name) in names.iter().enumerate() {
                    let t1 = t0 + half_in_seconds;
                    strips.push((
                        make_strip(row, left_in_ui, left_in_ui + half_width_in_ui, t0, t1),
                        row,
                        format!("{name} raw"),
                        Source::Raw,
                    ));
                    strips.push((
                        make_strip(
                            row,
                            left_in_ui + half_width_in_ui,
                            left_in_ui + 2.0 * half_width_in_ui,
                            t0,
                            t1,
                        ),
                        row,
                        format!("{name} cleaned"),
                        Source::Cleaned,
                    ));
                }
            }
            LeadLayout::TwelveByOne => {
                for (row, name) in names.iter().enumerate() {
                    strips.push((
                        make_strip(
                            row,
                            left_in_ui,
                            rect_in_ui.right(),
                            t0,
                            t0 + visible_in_seconds,
                        ),
                        row,
                        name.clone(),
                        self.source(),
                    ));
                }
            }
            LeadLayout::ThreeByFourRhythm => {
                let column_in_seconds = visible_in_seconds / 4.0;
                let column_width_in_ui =
                    f64::from(grid.mm_per_s * ui_per_mm) as f32 * column_in_seconds as f32;
                for (column, leads) in COLUMNS_3X4.iter().enumerate() {
                    let x0_in_ui = left_in_ui + column as f32 * column_width_in_ui;
                    let c0 = t0 + column as f64 * column_in_seconds;
                    for (row, name) in leads.iter().enumerate() {
                        if let Some(index) = record.signal_index(name) {
                            let label = names
                                .get(index)
                                .cloned()
                                .unwrap_or_else(|| (*name).to_owned());
                            strips.push((
                                make_strip(
                                    row,
                                    x0_in_ui,
                                    x0_in_ui + column_width_in_ui,
                                    c0,
                                    c0 + column_in_seconds,
                                ),
                                index,
                                label,
                                self.source(),
                            ));
                        }
                    }
                }
                if let Some(index) = record.signal_index(RHYTHM_LEAD) {
                    let label = format!(
                        "{} (rhythm)",
                        names.get(index).map_or(RHYTHM_LEAD, String::as_str)
                    );
                    strips.push((
                        make_strip(
                            3,
                            left_in_ui,
                            rect_in_ui.right(),
                            t0,
                            t0 + visible_in_seconds,
                        ),
                        index,
                        label,
                        self.source(),
                    ));
                }
            }
        }
        strips
    }

    fn interact(
        &mut self,
        ui: &egui::Ui,
        response: &egui::Response,
        strips: &[(Strip, usize, String, Source)],
        duration_in_seconds: f64,
        max_start: f64,
        grid: &mut GridSettings,
    ) {
        let strip_at = |pos: egui::Pos2| {
            strips
                .iter()
                .enumerate()
                .find(|(_, (strip, _, _, _))| strip.rect_in_ui.contains(pos))
        };
        // Cursor.
        self.cursor_in_seconds = response
            .hover_pos()
            .and_then(|pos| strip_at(pos).map(|(_, (strip, _, _, _))| strip.seconds_from_ui(pos.x)))
            .filter(|t| (0.0..=duration_in_seconds).contains(t));
        // Pan by drag.
        if response.dragged() {
            let dx_in_ui = response.drag_delta().x;
            let ui_per_mm = grid.ui_per_mm(ui.ctx().pixels_per_point());
            let dt_in_seconds = f64::from(dx_in_ui / ui_per_mm / grid.mm_per_s);
            self.start_in_seconds = (self.start_in_seconds - dt_in_seconds).clamp(0.0, max_start);
        }
        // Wheel: pan; Ctrl+wheel (egui's zoom delta): magnification.
        if response.hovered() {
            let (scroll, zoom) = ui.input(|input| (input.smooth_scroll_delta, input.zoom_delta()));
            if scroll.x != 0.0 {
                let ui_per_mm = grid.ui_per_mm(ui.ctx().pixels_per_point());
                let dt_in_seconds = f64::from(scroll.x / ui_per_mm / grid.mm_per_s);
                self.start_in_seconds =
                    (self.start_in_seconds - dt_in_seconds).clamp(0.0, max_start);
            }
            if zoom != 1.0 && zoom.is_finite() {
                grid.magnification = (grid.magnification * zoom).clamp(0.25, 8.0);
            }
        }
        // Calipers.
        if response.clicked()
            && let Some(pos) = response.interact_pointer_pos()
            && let Some((strip_index, (strip, _, _, _))) = strip_at(pos)
        {
            if self.calipers.len() >= 2 {
                self.calipers.clear();
            }
            self.calipers.push(CaliperPoint {
                t_in_seconds: strip.seconds_from_ui(pos.x),
                value_in_mv: strip.mv_from_ui(pos.y),
                strip_index,
            });
        }
        if response.secondary_clicked() {
            self.calipers.clear();
        }
        // Keys: pan.
        if !ui.ctx().egui_wants_keyboard_input() {
            let (left, right) = ui.input(|input| {
                (
                    input.key_pressed(egui::Key::ArrowLeft),
                    input.key_pressed(egui::Key::ArrowRight),
                )
            });
            if left {
                self.start_in_seconds = (self.start_in_seconds - 1.0).clamp(0.0, max_start);
            }
            if right {
                self.start_in_seconds = (self.start_in_seconds + 1.0).clamp(0.0, max_start);
            }
            let (zoom_in, zoom_out) = ui.input(|input| {
                (
                    input.key_pressed(egui::Key::Plus) || input.key_pressed(egui::Key::Equals),
                    input.key_pressed(egui::Key::Minus),
                )
            });
            if zoom_in {
                grid.magnification = (grid.magnification * 1.25).clamp(0.25, 8.0);
            }
            if zoom_out {
                grid.magnification = (grid.magnification / 1.25).clamp(0.25, 8.0);
            }
        }
    }

    fn paint_cursor_and_calipers(
        &self,
        painter: &egui::Painter,
        strips: &[(Strip, usize, String, Source)],
        colour: egui::Color32,
    ) {
        let stroke = egui::Stroke::new(1.0, colour);
        if let Some(t_in_seconds) = self.cursor_in_seconds {
            for (strip, _, _, _) in strips {
                if (strip.start_in_seconds..strip.end_in_seconds).contains(&t_in_seconds) {
                    painter.vline(
                        strip.ui_from_seconds(t_in_seconds),
                        strip.rect_in_ui.y_range(),
                        stroke,
                    );
                }
            }
        }
        let caliper_stroke = egui::Stroke::new(1.5, egui::Color32::from_rgb(0, 150, 80));
        for point in &self.calipers {
            if let Some((strip, _, _, _)) = strips.get(point.strip_index) {
                let x_in_ui = strip.ui_from_seconds(point.t_in_seconds);
                let y_in_ui = strip.ui_from_mv(point.value_in_mv);
                painter.vline(x_in_ui, strip.rect_in_ui.y_range(), caliper_stroke);
                painter.hline((x_in_ui - 6.0)..=(x_in_ui + 6.0), y_in_ui, caliper_stroke);
            }
        }
    }
}

/// The value of `signal` at time `t_in_seconds` (nearest sample); `None` outside the record or for
/// missing samples.
pub fn value_at(signal: &[f64], fs_hz: f64, t_in_seconds: f64) -> Option<f64> {
    if !(fs_hz > 0.0 && t_in_seconds >= 0.0) {
        return None;
    }
    let index_in_samples = (t_in_seconds * fs_hz).round() as usize;
    signal
        .get(index_in_samples)
        .copied()
        .filter(|v| v.is_finite())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ModelVariant;

    fn ecg(variant: ModelVariant) -> ReconstructedEcg {
        let mut origin = [LeadOrigin::Recorded; 12];
        for row in TARGET_ROWS {
            origin[row] = LeadOrigin::Reconstructed;
        }
        origin[3] = LeadOrigin::Derived;
        ReconstructedEcg {
            leads: Default::default(),
            origin,
            variant,
            recorded_targets: Default::default(),
            record_leads: vec!["I".into(), "II".into(), "V2".into()],
            bands: None,
        }
    }

    /// Rebuilt leads carry the model's name, colour and band; derived leads say so; recorded
    /// leads and the record itself (no reconstruction) are drawn as they are.
    #[test]
    fn rebuilt_leads_are_marked_with_their_model_and_band() {
        let ch = ecg(ModelVariant::CH);
        let shown = Some(&ch);
        let v4 = LeadMarking::of(shown, Some(&"V4".to_owned()), "V4");
        assert_eq!(v4.label, "V4 · C-h");
        assert_eq!(v4.colour, Some(reconstruction_colour(ModelVariant::CH)));
        assert_eq!(v4.target, Some(2));
        let avr = LeadMarking::of(shown, Some(&"aVR".to_owned()), "aVR");
        assert_eq!((avr.label.as_str(), avr.colour), ("aVR (derived)", None));
        let v2 = LeadMarking::of(shown, Some(&"V2".to_owned()), "V2");
        assert_eq!(
            (v2.label.as_str(), v2.colour, v2.target),
            ("V2", None, None)
        );
        let unmarked = LeadMarking::of(None, Some(&"V4".to_owned()), "V4");
        assert_eq!((unmarked.label.as_str(), unmarked.colour), ("V4", None));
        let c = ecg(ModelVariant::C);
        let c_v1 = LeadMarking::of(Some(&c), Some(&"V1".to_owned()), "V1");
        assert_eq!(c_v1.label, "V1 · C");
        assert_eq!(c_v1.target, Some(0));
    }
}
