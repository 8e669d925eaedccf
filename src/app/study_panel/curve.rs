//! The learning curve `precordial study curve` wrote: held-out RMSE of least squares, C and C-h
//! (bootstrap 95 % CIs as whiskers, record-level) and the leak-free affinity against the number of training
//! patients, with the table behind them.

use egui_plot::{Legend, Line, Plot, PlotPoints, Points};

use crate::eval::curve::{AffinityPoint, CurveScores, LearningCurve, rmse_cell};
use crate::eval::report::{MODEL_C, MODEL_CH};

const MODELS: [(&str, &str, egui::Color32); 3] = [
    (
        "least_squares",
        "least squares",
        egui::Color32::from_rgb(127, 127, 127),
    ),
    (MODEL_C, "C", egui::Color32::from_rgb(230, 120, 30)),
    (MODEL_CH, "C-h", egui::Color32::from_rgb(30, 120, 220)),
];

/// The two plots and the table.
pub fn curve_ui(ui: &mut egui::Ui, curve: &LearningCurve) {
    ui.label(format!(
        "{} training subsets, each evaluated on the same {} test records.",
        curve.points.len(),
        curve.test_records
    ));
    let patients = |k: usize| curve.points[k].train.patients as f64;
    ui.columns(2, |columns| {
        if let Some(ui) = columns.get_mut(0) {
            ui.strong("Held-out RMSE (mV) by training patients");
            Plot::new("curve_rmse")
                .height(220.0)
                .legend(Legend::default())
                .show(ui, |plot_ui| {
                    for (model, name, colour) in MODELS {
                        let mut line = Vec::new();
                        for (k, point) in curve.points.iter().enumerate() {
                            let Some(level) = point.test.rmse.get(model) else {
                                continue;
                            };
                            line.push([patients(k), level.rmse_mean]);
                            if let Some((lo, hi)) = level.rmse_ci95 {
                                plot_ui.line(
                                    // Named as its model, so the legend shows one entry for both.
                                    Line::new(
                                        name,
                                        PlotPoints::new(vec![[patients(k), lo], [patients(k), hi]]),
                                    )
                                    .color(colour.gamma_multiply(0.6)),
                                );
                            }
                        }
                        plot_ui.points(Points::new(name, line.clone()).color(colour).radius(3.5));
                        plot_ui.line(Line::new(name, PlotPoints::new(line)).color(colour));
                    }
                });
        }
        if let Some(ui) = columns.get_mut(1) {
            ui.strong("Leak-free class affinity (diagonal mean)");
            Plot::new("curve_affinity")
                .height(220.0)
                .legend(Legend::default())
                .include_y(0.0)
                .include_y(1.0)
                .show(ui, |plot_ui| {
                    type Pick = fn(&AffinityPoint) -> f64;
                    let lines: [(Pick, &str, egui::Color32); 3] = [
                        (
                            |a| a.h,
                            "ĥ (embedding)",
                            egui::Color32::from_rgb(30, 120, 220),
                        ),
                        (|a| a.x, "inputs", egui::Color32::from_rgb(230, 120, 30)),
                        (
                            |a| a.chance,
                            "chance",
                            egui::Color32::from_rgb(127, 127, 127),
                        ),
                    ];
                    for (pick, name, colour) in lines {
                        let values: Vec<[f64; 2]> = curve
                            .points
                            .iter()
                            .enumerate()
                            .filter_map(|(k, p)| {
                                let a = p.affinity_other_patient.as_ref()?;
                                Some([patients(k), pick(a)])
                            })
                            .collect();
                        plot_ui.points(Points::new(name, values.clone()).color(colour).radius(3.5));
                        plot_ui.line(Line::new(name, PlotPoints::new(values)).color(colour));
                    }
                });
        }
    });
    table_ui(
        ui,
        "curve_test",
        "Test split",
        curve
            .points
            .iter()
            .map(|p| (p.train.patients, p.train.records, Some(&p.test))),
    );
    if curve.points.iter().any(|p| p.cross.is_some()) {
        table_ui(
            ui,
            "curve_cross",
            &format!("Never trained on: {}", curve.cross_data.join(", ")),
            curve
                .points
                .iter()
                .map(|p| (p.train.patients, p.train.records, p.cross.as_ref())),
        );
    }
}

fn table_ui<'a>(
    ui: &mut egui::Ui,
    id: &str,
    title: &str,
    rows: impl Iterator<Item = (usize, usize, Option<&'a CurveScores>)>,
) {
    ui.add_space(6.0);
    ui.strong(title);
    egui::Grid::new(id).striped(true).show(ui, |ui| {
        for header in [
            "patients (records)",
            "least squares",
            "C",
            "C-h",
            "C-h − C (p Holm)",
        ] {
            ui.strong(header);
        }
        ui.end_row();
        for (patients, records, scores) in rows {
            let Some(scores) = scores else {
                continue;
            };
            ui.label(format!("{patients} ({records})"));
            for (model, _, _) in MODELS {
                ui.label(rmse_cell(scores, model));
            }
            ui.label(scores.paired_rmse.as_ref().map_or("–".to_owned(), |t| {
                format!("{:+.4} ({:.3})", t.ch - t.c, t.p_holm)
            }));
            ui.end_row();
        }
    });
}
