//! Per-lead RMSE, R² and Pearson r of ours (least squares, dipole, C, C-h) beside the paper's.

use crate::eval::paper;
use crate::metrics::LeadMetrics;

/// One row of our per-lead metrics: each model's numbers where the evaluation has them.
#[derive(Clone, Debug, PartialEq)]
pub struct LeadRow {
    pub lead: String,
    pub least_squares: Option<LeadMetrics>,
    /// The physics baseline (the dipole through Dower's lead field).
    pub dipole: Option<LeadMetrics>,
    pub c: Option<LeadMetrics>,
    pub ch: Option<LeadMetrics>,
    /// C-h against C paired over records, for RMSE, R² and r in that order, where tested.
    pub paired: [Option<PairedCell>; 3],
}

/// What a paired test of C-h against C lets a reader say, for one lead and metric.
#[derive(Clone, Debug, PartialEq)]
pub struct PairedCell {
    /// "C-h better", "C better" or "no significant difference".
    pub reading: String,
    /// The p-value after Holm's adjustment over all the report's tests.
    pub p_holm: f64,
}

/// Per-lead metrics: ours (least squares, C, C-h, when given) beside the paper's published numbers.
pub fn metrics_table_ui(ui: &mut egui::Ui, ours: &[LeadRow]) -> egui::Response {
    ui.vertical(|ui| metrics_table_contents_ui(ui, ours))
        .response
}

fn metrics_table_contents_ui(ui: &mut egui::Ui, ours: &[LeadRow]) {
    let format_ours = |lead: &str, pick: &dyn Fn(&LeadRow) -> Option<f64>| {
        ours.iter()
            .find(|row| row.lead == lead)
            .and_then(pick)
            .map_or_else(|| "–".to_owned(), |value| format!("{value:.3}"))
    };
    let paired_text = |lead: &str, index: usize| {
        ours.iter()
            .find(|row| row.lead == lead)
            .and_then(|row| row.paired[index].as_ref())
            .map_or_else(
                || "–".to_owned(),
                |cell| format!("{} (p {:.3})", cell.reading, cell.p_holm),
            )
    };
    for (index, (title, metric)) in [
        (
            "RMSE (mV)",
            (|m: &LeadMetrics| m.rmse_mv) as fn(&LeadMetrics) -> f64,
        ),
        ("R²", |m: &LeadMetrics| m.r2),
        ("Pearson r", |m: &LeadMetrics| m.pearson),
    ]
    .into_iter()
    .enumerate()
    {
        ui.label(egui::RichText::new(title).strong());
        egui::Grid::new(format!("metrics_table_{title}"))
            .striped(true)
            .show(ui, |ui| {
                for header in [
                    "Lead",
                    "C (paper)",
                    "C-h (paper)",
                    "least squares (ours)",
                    "dipole (ours)",
                    "C (ours)",
                    "C-h (ours)",
                ] {
                    ui.strong(header);
                }
                ui.strong("C-h vs C").on_hover_text(
                    "Paired over records (each record's metric under both models), a sign-flip \
                     permutation test; p adjusted (Holm) over every lead and metric tested.",
                );
                ui.end_row();
                for (lead, paper_c, paper_ch) in paper::table_i_metrics() {
                    ui.label(lead);
                    ui.label(format!("{:.3}", metric(&paper_c)));
                    ui.label(format!("{:.3}", metric(&paper_ch)));
                    ui.label(format_ours(lead, &|row| {
                        row.least_squares.as_ref().map(metric)
                    }));
                    ui.label(format_ours(lead, &|row| row.dipole.as_ref().map(metric)));
                    ui.label(format_ours(lead, &|row| row.c.as_ref().map(metric)));
                    ui.label(format_ours(lead, &|row| row.ch.as_ref().map(metric)));
                    ui.label(paired_text(lead, index));
                    ui.end_row();
                }
            });
    }
    ui.small("Paper: Youssef & Singla (2026), PTB-XL, patient-independent test fold. \"–\": not in our evaluation (or none loaded).");
}
