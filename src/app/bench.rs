//! Frame-time benchmark of the workbench: runs the app headless in an egui context (no window, no GPU)
//! and measures what the app itself costs per frame — UI code plus tessellation, as egui measures it —
//! for a given record and view. `precordial bench gui` prints the figures.

use std::path::Path;
use std::time::{Duration, Instant};

use super::{App, LeadLayout, View};

/// Per-frame CPU times of one scenario.
#[derive(Clone, Debug)]
pub struct FrameTimes {
    pub scenario: String,
    /// UI code + tessellation, per frame.
    pub frames: Vec<Duration>,
    /// Points handed to the painter in the last frame.
    pub points_drawn: usize,
    /// Time from `App::new` to the first frame that drew the record.
    pub launch_to_first_record: Option<Duration>,
}

impl FrameTimes {
    pub fn median(&self) -> Duration {
        let mut sorted = self.frames.clone();
        sorted.sort();
        sorted.get(sorted.len() / 2).copied().unwrap_or_default()
    }

    pub fn percentile(&self, p: f64) -> Duration {
        let mut sorted = self.frames.clone();
        sorted.sort();
        let index = ((sorted.len() as f64 - 1.0) * p.clamp(0.0, 1.0)).round() as usize;
        sorted.get(index).copied().unwrap_or_default()
    }
}

/// Opens `record` in a fresh app (no stored settings), waits for it, then runs `n_frames` frames of
/// the 12-lead view at `size` points (pixels per point 1) with the pointer moving over the paper (so
/// the cursor readout updates every frame), panning by `pan_per_frame_s`.
pub fn run_scenario(
    record: &Path,
    layout: LeadLayout,
    magnification: f32,
    n_frames: usize,
    size: egui::Vec2,
) -> Result<FrameTimes, String> {
    let ctx = egui::Context::default();
    let mut app = App::new(None, vec![record.to_path_buf()]);
    app.settings.view = View::Leads;
    app.settings.grid.layout = layout;
    app.settings.grid.magnification = magnification;
    let started = Instant::now();
    let mut launch_to_first_record = None;
    let screen = egui::Rect::from_min_size(egui::Pos2::ZERO, size);
    let mut frames = Vec::with_capacity(n_frames);
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut frame_index = 0usize;
    while frames.len() < n_frames {
        if Instant::now() > deadline {
            return Err("record did not load within 120 s".to_owned());
        }
        let x = 300.0 + (frame_index % 100) as f32 * 8.0;
        let input = egui::RawInput {
            screen_rect: Some(screen),
            time: Some(frame_index as f64 / 60.0),
            events: vec![egui::Event::PointerMoved(egui::pos2(x, 400.0))],
            ..Default::default()
        };
        frame_index += 1;
        let start = Instant::now();
        let output = ctx.run_ui(input, |ui| app.frame_ui(ui));
        let primitives = ctx.tessellate(output.shapes, output.pixels_per_point);
        let elapsed = start.elapsed();
        std::hint::black_box(primitives);
        if app.records.loaded.is_none() {
            if let Some(err) = app
                .notices
                .iter()
                .find(|n| n.level == super::NoticeLevel::Error)
            {
                return Err(err.text.clone());
            }
            std::thread::sleep(Duration::from_millis(2));
            continue;
        }
        if launch_to_first_record.is_none() {
            launch_to_first_record = Some(started.elapsed());
            continue; // the first drawn frame includes font atlas work
        }
        frames.push(elapsed);
    }
    Ok(FrameTimes {
        scenario: format!(
            "{} {} ×{magnification} {}×{}",
            record
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
            layout.label(),
            size.x,
            size.y
        ),
        frames,
        points_drawn: app.settings.leads_view.last_points_drawn,
        launch_to_first_record,
    })
}
