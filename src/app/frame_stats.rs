//! Whole-frame timing in the real window (`PRECORDIAL_FRAME_STATS=N`): repaint continuously, record
//! the interval between frames (UI, tessellation, rendering and presentation together) and eframe's
//! CPU time of the app, print medians after N frames once a record is drawn, then close.

use std::time::Instant;

#[derive(Default)]
pub struct FrameStats {
    target_frames: usize,
    last_frame: Option<Instant>,
    intervals_ms: Vec<f64>,
    cpu_ms: Vec<f64>,
}

impl FrameStats {
    pub fn from_env() -> Option<Self> {
        let target_frames = std::env::var("PRECORDIAL_FRAME_STATS").ok()?.parse().ok()?;
        Some(Self {
            target_frames,
            ..Self::default()
        })
    }

    /// Returns true when done (the window should close).
    pub fn record(&mut self, cpu_usage_s: Option<f32>, drawing: bool) -> bool {
        let now = Instant::now();
        if drawing {
            if let Some(last) = self.last_frame {
                self.intervals_ms
                    .push(now.duration_since(last).as_secs_f64() * 1e3);
                if let Some(cpu) = cpu_usage_s {
                    self.cpu_ms.push(f64::from(cpu) * 1e3);
                }
            }
            self.last_frame = Some(now);
        }
        if self.intervals_ms.len() < self.target_frames {
            return false;
        }
        let median = |values: &mut Vec<f64>| {
            values.sort_by(f64::total_cmp);
            values.get(values.len() / 2).copied().unwrap_or(f64::NAN)
        };
        println!(
            "frames {} · whole frame median {:.1} ms · app CPU (eframe cpu_usage) median {:.2} ms",
            self.intervals_ms.len(),
            median(&mut self.intervals_ms),
            median(&mut self.cpu_ms)
        );
        true
    }
}
