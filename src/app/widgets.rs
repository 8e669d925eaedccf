//! Small widgets shared by several panels (so that no panel imports another for them).

/// A running job (an evaluation or a training), for its progress bar.
#[derive(Clone, Debug, PartialEq)]
pub struct JobProgressView {
    pub fraction: f32,
    pub message: String,
}

impl JobProgressView {
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
