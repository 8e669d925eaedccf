//! The per-class RMSE radar of C vs C-h, and the picker of the classes it shows.

/// Per-class RMSE of the two models.
#[derive(Clone, Debug, PartialEq)]
pub struct ClassRmse {
    pub class_name: String,
    /// Test windows of this class.
    pub n_windows: usize,
    pub rmse_c_mv: f64,
    pub rmse_ch_mv: f64,
}

/// Radar rings, mV (as in the paper's figure).
pub const RADAR_RINGS_MV: [f64; 5] = [0.05, 0.075, 0.10, 0.125, 0.15];

/// Which classes the radar shows (none picked: all).
pub fn class_picker_ui(ui: &mut egui::Ui, classes: &[ClassRmse], picked: &mut Vec<String>) {
    ui.horizontal_wrapped(|ui| {
        ui.label("Classes:");
        for class in classes {
            let mut on = picked.is_empty() || picked.contains(&class.class_name);
            if ui.checkbox(&mut on, &class.class_name).changed() {
                if picked.is_empty() {
                    *picked = classes.iter().map(|c| c.class_name.clone()).collect();
                }
                if on {
                    picked.push(class.class_name.clone());
                } else {
                    picked.retain(|name| name != &class.class_name);
                }
            }
        }
    });
}

/// Radar plot of per-class RMSE, C vs C-h, with rings at [`RADAR_RINGS_MV`].
pub fn radar_ui(ui: &mut egui::Ui, classes: &[ClassRmse]) -> egui::Response {
    ui.vertical(|ui| radar_contents_ui(ui, classes)).response
}

fn radar_contents_ui(ui: &mut egui::Ui, classes: &[ClassRmse]) {
    let n = classes.len();
    let side = ui.available_width().clamp(200.0, 420.0);
    let (rect, _) = ui.allocate_exact_size(egui::vec2(side, side), egui::Sense::hover());
    let painter = ui.painter_at(rect);
    let center = rect.center();
    let radius_in_ui = side * 0.36;
    let max_mv = RADAR_RINGS_MV.last().copied().unwrap_or(0.15);
    let text_colour = ui.visuals().text_color();
    let weak = ui.visuals().weak_text_color();
    for ring_mv in RADAR_RINGS_MV {
        let r = radius_in_ui * (ring_mv / max_mv) as f32;
        painter.circle_stroke(center, r, egui::Stroke::new(0.5, weak));
        painter.text(
            center + egui::vec2(2.0, -r),
            egui::Align2::LEFT_BOTTOM,
            format!("{ring_mv}"),
            egui::FontId::proportional(9.0),
            weak,
        );
    }
    if n < 3 {
        ui.label("A radar needs at least three classes.");
        return;
    }
    let direction = |k: usize| {
        let angle = std::f32::consts::TAU * k as f32 / n as f32 - std::f32::consts::FRAC_PI_2;
        egui::vec2(angle.cos(), angle.sin())
    };
    for (k, class) in classes.iter().enumerate() {
        let d = direction(k);
        painter.line_segment(
            [center, center + d * radius_in_ui],
            egui::Stroke::new(0.5, weak),
        );
        painter.text(
            center + d * (radius_in_ui + 14.0),
            egui::Align2::CENTER_CENTER,
            format!("{} (n={})", class.class_name, class.n_windows),
            egui::FontId::proportional(11.0),
            text_colour,
        );
    }
    let polygon = |value_of: &dyn Fn(&ClassRmse) -> f64| -> Vec<egui::Pos2> {
        classes
            .iter()
            .enumerate()
            .map(|(k, class)| {
                let value = value_of(class);
                let fraction = if value.is_finite() {
                    (value / max_mv).clamp(0.0, 1.2)
                } else {
                    0.0
                };
                center + direction(k) * radius_in_ui * fraction as f32
            })
            .collect()
    };
    let colour_c = egui::Color32::from_rgb(230, 120, 30);
    let colour_ch = egui::Color32::from_rgb(30, 120, 220);
    painter.add(egui::Shape::closed_line(
        polygon(&|c| c.rmse_c_mv),
        egui::Stroke::new(2.0, colour_c),
    ));
    painter.add(egui::Shape::closed_line(
        polygon(&|c| c.rmse_ch_mv),
        egui::Stroke::new(2.0, colour_ch),
    ));
    ui.horizontal(|ui| {
        ui.colored_label(colour_c, "— C");
        ui.colored_label(colour_ch, "— C-h");
        ui.label("(RMSE, mV)");
    });
}
