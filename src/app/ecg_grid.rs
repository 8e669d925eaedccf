//! ECG paper: the 1 mm / 5 mm grid, calibrated to physical millimetres, and traces decimated per pixel
//! column.
//!
//! Coordinate spaces, named in every variable:
//! - `samples`: sample index in a signal;
//! - `seconds`: time from the record start;
//! - `mm`: millimetres of paper, x right from the strip's left edge, y down from the strip's top;
//! - `mv`: millivolts (physical signal units);
//! - `ui`: egui points on screen.
//!
//! Transforms: `mm_from_seconds = paper speed (mm/s)`, `mm_from_mv = gain (mm/mV)`,
//! `ui_from_mm = screen_dpi / 25.4 / pixels_per_point × magnification`.

use serde::{Deserialize, Serialize};

/// How the twelve leads are arranged on the paper.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum LeadLayout {
    /// One lead per row, all over the same time span.
    #[default]
    TwelveByOne,
    /// Three rows of four columns (each column 2.5 s of consecutive time) plus a lead II rhythm strip.
    ThreeByFourRhythm,
}

impl LeadLayout {
    pub fn label(self) -> &'static str {
        match self {
            Self::TwelveByOne => "12×1",
            Self::ThreeByFourRhythm => "3×4 + rhythm",
        }
    }

    pub fn toggled(self) -> Self {
        match self {
            Self::TwelveByOne => Self::ThreeByFourRhythm,
            Self::ThreeByFourRhythm => Self::TwelveByOne,
        }
    }
}

/// Paper settings, persisted.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct GridSettings {
    /// Paper speed in mm/s (25 standard; 12.5 and 50 offered).
    pub mm_per_s: f32,
    /// Gain in mm/mV (10 standard; 5 and 20 offered).
    pub mm_per_mv: f32,
    /// Physical pixel density of the screen, so that 1 mm on the grid is 1 mm on the glass.
    pub screen_dpi: f32,
    /// Extra zoom over physical size (1 = true millimetres).
    pub magnification: f32,
    pub layout: LeadLayout,
    pub show_calibration_pulse: bool,
    /// Height of one lead row in the 12×1 layout, in mm of paper.
    pub row_height_12x1_mm: f32,
    /// Height of one row in the 3×4 layout, in mm of paper.
    pub row_height_3x4_mm: f32,
    pub trace_width_ui: f32,
    pub colours: PaperColours,
}

impl Default for GridSettings {
    fn default() -> Self {
        Self {
            mm_per_s: 25.0,
            mm_per_mv: 10.0,
            screen_dpi: 96.0,
            magnification: 1.0,
            layout: LeadLayout::default(),
            show_calibration_pulse: true,
            row_height_12x1_mm: 15.0,
            row_height_3x4_mm: 30.0,
            trace_width_ui: 1.2,
            colours: PaperColours::default(),
        }
    }
}

impl GridSettings {
    /// egui points per millimetre of paper at the given pixels-per-point.
    pub fn ui_per_mm(&self, pixels_per_point: f32) -> f32 {
        let dpi = if self.screen_dpi.is_finite() && self.screen_dpi > 10.0 {
            self.screen_dpi
        } else {
            96.0
        };
        let magnification = self.magnification.clamp(0.1, 20.0);
        dpi / 25.4 / pixels_per_point.max(0.1) * magnification
    }
}

/// Paper and trace colours for each theme, persisted.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct PaperColours {
    pub light_paper: egui::Color32,
    pub light_minor: egui::Color32,
    pub light_major: egui::Color32,
    pub light_trace: egui::Color32,
    pub dark_paper: egui::Color32,
    pub dark_minor: egui::Color32,
    pub dark_major: egui::Color32,
    pub dark_trace: egui::Color32,
    /// Second trace (cleaned signal, reconstruction) colour.
    pub overlay: egui::Color32,
}

impl Default for PaperColours {
    fn default() -> Self {
        Self {
            light_paper: egui::Color32::from_rgb(255, 248, 246),
            light_minor: egui::Color32::from_rgb(250, 205, 205),
            light_major: egui::Color32::from_rgb(235, 140, 140),
            light_trace: egui::Color32::from_rgb(20, 20, 30),
            dark_paper: egui::Color32::from_rgb(22, 20, 24),
            dark_minor: egui::Color32::from_rgb(58, 34, 38),
            dark_major: egui::Color32::from_rgb(110, 52, 58),
            dark_trace: egui::Color32::from_rgb(230, 235, 240),
            overlay: egui::Color32::from_rgb(0, 140, 220),
        }
    }
}

/// The three paper colours and the trace colour for the current theme.
pub struct Palette {
    pub paper: egui::Color32,
    pub minor: egui::Color32,
    pub major: egui::Color32,
    pub trace: egui::Color32,
    pub overlay: egui::Color32,
}

impl PaperColours {
    pub fn palette(&self, dark: bool) -> Palette {
        if dark {
            Palette {
                paper: self.dark_paper,
                minor: self.dark_minor,
                major: self.dark_major,
                trace: self.dark_trace,
                overlay: self.overlay,
            }
        } else {
            Palette {
                paper: self.light_paper,
                minor: self.light_minor,
                major: self.light_major,
                trace: self.light_trace,
                overlay: self.overlay,
            }
        }
    }
}

/// Paints ECG paper over `rect_in_ui`: a line every 1 mm, thicker every 5 mm, starting at the rect's
/// top-left corner. Minor lines are left out when they would be closer than 3 points (too dense to read).
pub fn paint_paper(
    painter: &egui::Painter,
    rect_in_ui: egui::Rect,
    ui_per_mm: f32,
    palette: &Palette,
) {
    painter.rect_filled(rect_in_ui, 0.0, palette.paper);
    if !(ui_per_mm.is_finite() && ui_per_mm > 0.0) {
        return;
    }
    let draw_minor = ui_per_mm >= 3.0;
    let width_in_mm = rect_in_ui.width() / ui_per_mm;
    let height_in_mm = rect_in_ui.height() / ui_per_mm;
    let minor = egui::Stroke::new(0.5, palette.minor);
    let major = egui::Stroke::new(1.0, palette.major);
    let n_x = width_in_mm.floor() as i64;
    let n_y = height_in_mm.floor() as i64;
    // Minor lines first so major lines draw on top.
    for pass_major in [false, true] {
        for i in 0..=n_x {
            let is_major = i % 5 == 0;
            if is_major != pass_major || (!is_major && !draw_minor) {
                continue;
            }
            let x_in_ui = rect_in_ui.left() + i as f32 * ui_per_mm;
            painter.vline(
                x_in_ui,
                rect_in_ui.y_range(),
                if is_major { major } else { minor },
            );
        }
        for j in 0..=n_y {
            let is_major = j % 5 == 0;
            if is_major != pass_major || (!is_major && !draw_minor) {
                continue;
            }
            let y_in_ui = rect_in_ui.top() + j as f32 * ui_per_mm;
            painter.hline(
                rect_in_ui.x_range(),
                y_in_ui,
                if is_major { major } else { minor },
            );
        }
    }
}

/// Reduces `signal[start..end]` to at most two points per pixel column: for each column of
/// `columns` over the range, the minimum and the maximum (in the order they occur, so the trace keeps
/// its shape). Non-finite samples are skipped. Returns `(sample_index, value)` pairs.
///
/// When the range has fewer than two samples per column, every sample is returned unchanged.
pub fn decimate_min_max(
    signal: &[f64],
    start_in_samples: usize,
    end_in_samples: usize,
    columns: usize,
) -> Vec<(usize, f64)> {
    let end_in_samples = end_in_samples.min(signal.len());
    let start_in_samples = start_in_samples.min(end_in_samples);
    let Some(range) = signal.get(start_in_samples..end_in_samples) else {
        return Vec::new();
    };
    let n = range.len();
    let columns = columns.max(1);
    if n <= 2 * columns {
        return range
            .iter()
            .enumerate()
            .filter(|(_, value)| value.is_finite())
            .map(|(i, &value)| (start_in_samples + i, value))
            .collect();
    }
    let mut points = Vec::with_capacity(2 * columns);
    for column in 0..columns {
        let lo = column * n / columns;
        let hi = ((column + 1) * n / columns).max(lo + 1).min(n);
        let mut min: Option<(usize, f64)> = None;
        let mut max: Option<(usize, f64)> = None;
        for (offset, &value) in range.get(lo..hi).unwrap_or(&[]).iter().enumerate() {
            if !value.is_finite() {
                continue;
            }
            let index = start_in_samples + lo + offset;
            if min.is_none_or(|(_, m)| value < m) {
                min = Some((index, value));
            }
            if max.is_none_or(|(_, m)| value > m) {
                max = Some((index, value));
            }
        }
        match (min, max) {
            (Some(min), Some(max)) if min.0 == max.0 => points.push(min),
            (Some(min), Some(max)) if min.0 < max.0 => {
                points.push(min);
                points.push(max);
            }
            (Some(min), Some(max)) => {
                points.push(max);
                points.push(min);
            }
            _ => {}
        }
    }
    points
}

/// One strip of paper on screen: where it is and how time and voltage map into it.
#[derive(Clone, Copy, Debug)]
pub struct Strip {
    /// Screen rect of the strip.
    pub rect_in_ui: egui::Rect,
    /// Time at the strip's left edge.
    pub start_in_seconds: f64,
    /// Time at the strip's right edge.
    pub end_in_seconds: f64,
    /// Paper y (from the strip's top) of 0 mV.
    pub baseline_in_mm: f32,
    pub ui_per_mm: f32,
    pub mm_per_s: f32,
    pub mm_per_mv: f32,
}

impl Strip {
    pub fn ui_from_seconds(&self, t_in_seconds: f64) -> f32 {
        let x_in_mm = ((t_in_seconds - self.start_in_seconds) * f64::from(self.mm_per_s)) as f32;
        self.rect_in_ui.left() + x_in_mm * self.ui_per_mm
    }

    pub fn seconds_from_ui(&self, x_in_ui: f32) -> f64 {
        let x_in_mm = (x_in_ui - self.rect_in_ui.left()) / self.ui_per_mm;
        self.start_in_seconds + f64::from(x_in_mm / self.mm_per_s)
    }

    pub fn ui_from_mv(&self, value_in_mv: f64) -> f32 {
        let y_in_mm = self.baseline_in_mm - (value_in_mv as f32) * self.mm_per_mv;
        self.rect_in_ui.top() + y_in_mm * self.ui_per_mm
    }

    pub fn mv_from_ui(&self, y_in_ui: f32) -> f64 {
        let y_in_mm = (y_in_ui - self.rect_in_ui.top()) / self.ui_per_mm;
        f64::from((self.baseline_in_mm - y_in_mm) / self.mm_per_mv)
    }

    /// Shades `signal ± half_width_mv` (per sample) over this strip's time span (an uncertainty
    /// band), decimated to the pixel grid like the trace drawn over it.
    pub fn paint_band(
        &self,
        painter: &egui::Painter,
        signal: &[f64],
        fs_hz: f64,
        half_width_mv: &[f64],
        fill: egui::Color32,
        pixels_per_point: f32,
    ) {
        if fs_hz.is_nan() || fs_hz <= 0.0 || signal.is_empty() {
            return;
        }
        let start_in_samples = (self.start_in_seconds * fs_hz).floor().max(0.0) as usize;
        let end_in_samples =
            ((self.end_in_seconds * fs_hz).ceil().max(0.0) as usize + 1).min(signal.len());
        if start_in_samples >= end_in_samples {
            return;
        }
        let columns = (self.rect_in_ui.width() * pixels_per_point).ceil().max(1.0) as usize;
        // A triangle strip between the upper and lower edges; a non-finite sample breaks it.
        let mut mesh = egui::Mesh::default();
        let mut previous_finite = false;
        for (index, value) in decimate_min_max(signal, start_in_samples, end_in_samples, columns) {
            let half_width = half_width_mv.get(index).copied().unwrap_or(f64::NAN);
            if !(value.is_finite() && half_width.is_finite()) {
                previous_finite = false;
                continue;
            }
            let x = self.ui_from_seconds(index as f64 / fs_hz);
            let top = egui::pos2(x, self.ui_from_mv(value + half_width));
            let bottom = egui::pos2(x, self.ui_from_mv(value - half_width));
            let at = mesh.vertices.len() as u32;
            mesh.colored_vertex(top, fill);
            mesh.colored_vertex(bottom, fill);
            if previous_finite {
                mesh.add_triangle(at - 2, at - 1, at);
                mesh.add_triangle(at - 1, at, at + 1);
            }
            previous_finite = true;
        }
        if !mesh.is_empty() {
            let clip_in_ui = egui::Rect::from_x_y_ranges(
                self.rect_in_ui.x_range(),
                painter.clip_rect().y_range(),
            );
            painter
                .with_clip_rect(clip_in_ui)
                .add(egui::Shape::mesh(mesh));
        }
    }

    /// Marks sample spans (`start..end` at `fs_hz`) with a bar along the strip's top edge.
    pub fn paint_spans(
        &self,
        painter: &egui::Painter,
        spans: &[(usize, usize)],
        fs_hz: f64,
        colour: egui::Color32,
    ) {
        for &(start, end) in spans {
            let (from, to) = (start as f64 / fs_hz, end as f64 / fs_hz);
            if to <= self.start_in_seconds || from >= self.end_in_seconds {
                continue;
            }
            let x0 = self.ui_from_seconds(from.max(self.start_in_seconds));
            let x1 = self.ui_from_seconds(to.min(self.end_in_seconds));
            let top = self.rect_in_ui.top() + 1.0;
            painter.rect_filled(
                egui::Rect::from_x_y_ranges(x0..=x1, top..=top + 3.0),
                0.0,
                colour,
            );
        }
    }

    /// Draws `signal` (sampled at `fs_hz`) over this strip's time span, decimated to the pixel grid.
    /// Returns the number of points handed to the painter.
    pub fn paint_trace(
        &self,
        painter: &egui::Painter,
        signal: &[f64],
        fs_hz: f64,
        stroke: egui::Stroke,
        pixels_per_point: f32,
    ) -> usize {
        if fs_hz.is_nan() || fs_hz <= 0.0 || signal.is_empty() {
            return 0;
        }
        let start_in_samples = (self.start_in_seconds * fs_hz).floor().max(0.0) as usize;
        let end_in_samples =
            ((self.end_in_seconds * fs_hz).ceil().max(0.0) as usize + 1).min(signal.len());
        if start_in_samples >= end_in_samples {
            return 0;
        }
        let columns = (self.rect_in_ui.width() * pixels_per_point).ceil().max(1.0) as usize;
        let points_in_samples = decimate_min_max(signal, start_in_samples, end_in_samples, columns);
        let points_in_ui: Vec<egui::Pos2> = points_in_samples
            .iter()
            .map(|&(index, value)| {
                egui::pos2(
                    self.ui_from_seconds(index as f64 / fs_hz),
                    self.ui_from_mv(value),
                )
            })
            .collect();
        let n_points = points_in_ui.len();
        if n_points >= 2 {
            // Clipped to the strip's time span only: large complexes may overlap the next row, as
            // on paper.
            let clip_in_ui = egui::Rect::from_x_y_ranges(
                self.rect_in_ui.x_range(),
                painter.clip_rect().y_range(),
            );
            painter
                .with_clip_rect(clip_in_ui)
                .add(egui::Shape::line(points_in_ui, stroke));
        }
        n_points
    }

    /// Draws the 1 mV calibration pulse (0.2 s wide) at the strip's left, ending `width_in_mm` in.
    pub fn paint_calibration_pulse(&self, painter: &egui::Painter, stroke: egui::Stroke) {
        let x0_in_ui = self.rect_in_ui.left() + 1.0 * self.ui_per_mm;
        let width_in_ui = 0.2 * self.mm_per_s * self.ui_per_mm;
        let base_in_ui = self.ui_from_mv(0.0);
        let top_in_ui = self.ui_from_mv(1.0);
        let points = vec![
            egui::pos2(x0_in_ui - 1.0 * self.ui_per_mm, base_in_ui),
            egui::pos2(x0_in_ui, base_in_ui),
            egui::pos2(x0_in_ui, top_in_ui),
            egui::pos2(x0_in_ui + width_in_ui, top_in_ui),
            egui::pos2(x0_in_ui + width_in_ui, base_in_ui),
            egui::pos2(x0_in_ui + width_in_ui + 1.0 * self.ui_per_mm, base_in_ui),
        ];
        painter.add(egui::Shape::line(points, stroke));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimation_keeps_extremes_and_order() {
        let signal: Vec<f64> = (0..10_000).map(|i| ((i as f64) * 0.01).sin()).collect();
        let points = decimate_min_max(&signal, 0, signal.len(), 100);
        assert!(points.len() <= 200);
        let max = points.iter().map(|p| p.1).fold(f64::MIN, f64::max);
        let min = points.iter().map(|p| p.1).fold(f64::MAX, f64::min);
        assert!((max - 1.0).abs() < 1e-3 && (min + 1.0).abs() < 1e-3);
        assert!(points.windows(2).all(|w| w[0].0 < w[1].0));
    }

    #[test]
    fn decimation_passes_short_ranges_and_survives_bad_input() {
        let signal = [0.0, f64::NAN, 2.0, f64::INFINITY, 4.0];
        assert_eq!(
            decimate_min_max(&signal, 0, 5, 100),
            vec![(0, 0.0), (2, 2.0), (4, 4.0)]
        );
        assert!(decimate_min_max(&signal, 10, 3, 100).is_empty());
        assert!(decimate_min_max(&[], 0, 10, 0).is_empty());
    }

    #[test]
    fn strip_transforms_round_trip() {
        let strip = Strip {
            rect_in_ui: egui::Rect::from_min_size(egui::pos2(10.0, 20.0), egui::vec2(500.0, 100.0)),
            start_in_seconds: 2.0,
            end_in_seconds: 7.0,
            baseline_in_mm: 10.0,
            ui_per_mm: 96.0 / 25.4,
            mm_per_s: 25.0,
            mm_per_mv: 10.0,
        };
        // 1 s at 25 mm/s is 25 mm of paper.
        let dx_in_ui = strip.ui_from_seconds(3.0) - strip.ui_from_seconds(2.0);
        assert!((dx_in_ui / strip.ui_per_mm - 25.0).abs() < 1e-4);
        // 1 mV at 10 mm/mV is 10 mm, upwards.
        let dy_in_ui = strip.ui_from_mv(0.0) - strip.ui_from_mv(1.0);
        assert!((dy_in_ui / strip.ui_per_mm - 10.0).abs() < 1e-4);
        assert!((strip.seconds_from_ui(strip.ui_from_seconds(4.2)) - 4.2).abs() < 1e-5);
        assert!((strip.mv_from_ui(strip.ui_from_mv(-0.7)) + 0.7).abs() < 1e-5);
    }
}
