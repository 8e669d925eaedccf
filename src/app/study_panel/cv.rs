//! The cross-validation `precordial study cv` wrote: each fold's C-h − C on its own patients beside
//! the pooled test over every record, the pooled per-class table and the leak-free affinity.

use egui_plot::{HLine, Legend, LineStyle, Plot, Points};

use crate::eval::curve::{AffinityPoint, rmse_cell};
use crate::eval::cv::{CrossValidation, Pooled};
use crate::eval::report::{MODEL_C, MODEL_CH, PairedTest, mean_rmse_test};

const CH_COLOUR: egui::Color32 = egui::Color32::from_rgb(30, 120, 220);

/// The per-fold plot and tables, then the pooled ones.
pub fn cv_ui(ui: &mut egui::Ui, cv: &CrossValidation) {
    ui.label(format!(
        "{} patient-wise folds: {} records ({} patients), each scored once by the models of the \
         fold that never saw its patient.",
        cv.folds.len(),
        cv.pooled.records,
        cv.pooled.patients
    ));
    ui.strong("C-h − C, record-level mean RMSE (mV): each fold, and pooled");
    Plot::new("cv_difference")
        .height(180.0)
        .legend(Legend::default())
        .include_y(0.0)
        .x_axis_label("fold")
        .show(ui, |plot_ui| {
            let folds: Vec<[f64; 2]> = cv
                .folds
                .iter()
                .filter_map(|f| {
                    let t = f.test.paired_rmse.as_ref()?;
                    Some([f64::from(f.fold), t.ch - t.c])
                })
                .collect();
            plot_ui.points(Points::new("fold", folds).color(CH_COLOUR).radius(4.0));
            if let Some(t) = mean_rmse_test(&cv.pooled.paired_tests) {
                plot_ui.hline(
                    HLine::new("pooled", t.ch - t.c)
                        .color(CH_COLOUR)
                        .width(2.0)
                        .style(LineStyle::dashed_loose()),
                );
            }
            plot_ui.hline(HLine::new("no difference", 0.0).color(egui::Color32::GRAY));
        });
    ui.add_space(6.0);
    ui.strong("Per fold (its test split)");
    egui::Grid::new("cv_folds").striped(true).show(ui, |ui| {
        for header in [
            "fold",
            "train patients",
            "test records",
            "C",
            "C-h",
            "C-h − C (p Holm)",
            "ĥ / x̂ affinity (chance)",
        ] {
            ui.strong(header);
        }
        ui.end_row();
        for f in &cv.folds {
            ui.label(f.fold.to_string());
            ui.label(f.train.patients.to_string());
            ui.label(f.test_records.to_string());
            ui.label(rmse_cell(&f.test, MODEL_C));
            ui.label(rmse_cell(&f.test, MODEL_CH));
            ui.label(paired_text(f.test.paired_rmse.as_ref()));
            ui.label(affinity_text(f.affinity_other_patient.as_ref()));
            ui.end_row();
        }
    });
    pooled_ui(
        ui,
        "cv_pooled",
        "Pooled over every fold's records",
        &cv.pooled,
    );
    ui.label(format!(
        "Leak-free class affinity (no neighbour from the window's patient; each window read in its \
         own fold's embedding), ĥ / x̂ (chance): {}",
        affinity_text(cv.pooled.affinity_other_patient.as_ref())
    ));
    if let Some(cross) = &cv.cross {
        pooled_ui(
            ui,
            "cv_cross",
            &format!(
                "Never trained on: {} (each record averaged over the {} folds' models)",
                cv.cross_data.join(", "),
                cv.folds.len()
            ),
            cross,
        );
    }
}

fn paired_text(test: Option<&PairedTest>) -> String {
    test.map_or("–".to_owned(), |t| {
        format!("{:+.4} ({:.3}) {}", t.ch - t.c, t.p_holm, t.reading())
    })
}

fn affinity_text(point: Option<&AffinityPoint>) -> String {
    point.map_or("–".to_owned(), |a| {
        format!("{:.3} / {:.3} ({:.3})", a.h, a.x, a.chance)
    })
}

/// Record-level RMSE per model, the paired tests on the mean over leads, and the class table.
fn pooled_ui(ui: &mut egui::Ui, id: &str, title: &str, pooled: &Pooled) {
    ui.add_space(6.0);
    ui.strong(format!(
        "{title}: {} records, {} patients",
        pooled.records, pooled.patients
    ));
    egui::Grid::new(id).striped(true).show(ui, |ui| {
        for header in ["", "least squares", "C", "C-h", "C-h − C (p Holm)"] {
            ui.strong(header);
        }
        ui.end_row();
        ui.label("RMSE (mV)");
        for model in ["least_squares", MODEL_C, MODEL_CH] {
            ui.label(pooled.record_level.get(model).map_or(
                "–".to_owned(),
                |l| match l.rmse_ci95 {
                    Some((lo, hi)) => format!("{:.4} [{lo:.4}, {hi:.4}]", l.rmse_mean),
                    None => format!("{:.4}", l.rmse_mean),
                },
            ));
        }
        ui.label(paired_text(mean_rmse_test(&pooled.paired_tests)));
        ui.end_row();
        for row in &pooled.per_class {
            ui.label(format!("{} ({} records)", row.class, row.records));
            for model in ["least_squares", MODEL_C, MODEL_CH] {
                ui.label(
                    row.rmse
                        .get(model)
                        .map_or("–".to_owned(), |v| format!("{v:.4}")),
                );
            }
            ui.label(paired_text(row.paired_rmse.as_ref()));
            ui.end_row();
        }
    });
}
