//! Widgets the panels share (so that no panel imports another for them): each draws a plain data
//! struct and returns its `Response`.

mod heatmap;
mod metric_table;
mod radar;

pub use heatmap::{AffinityMatrix, heatmap_ui};
pub use metric_table::{LeadRow, PairedCell, metrics_table_ui};
pub use radar::{ClassRmse, RADAR_RINGS_MV, class_picker_ui, radar_ui};

/// A running job (an evaluation or a training), for its progress bar.
#[derive(Clone, Debug, PartialEq)]
pub struct JobProgressView {
    pub fraction: f32,
    pub message: String,
}

impl JobProgressView {
    /// The job's progress and stage message now.
    pub fn of(handle: &crate::worker::JobHandle) -> Self {
        Self {
            fraction: handle.progress(),
            message: handle.message(),
        }
    }

    /// The job's progress bar with its stage, and a Cancel button labelled `cancel`; true when
    /// clicked.
    pub fn bar_ui(&self, ui: &mut egui::Ui, cancel: &str) -> bool {
        ui.add(
            egui::ProgressBar::new(self.fraction)
                .desired_width(420.0)
                .text(format!("{:.0} % · {}", self.fraction * 100.0, self.message)),
        );
        ui.button(cancel).clicked()
    }
}
