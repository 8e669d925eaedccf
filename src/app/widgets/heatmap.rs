//! The k-NN affinity matrix as a heatmap: class names, counts, the diagonal mean, values on hover.

use crate::eval::figures::viridis_rgb;

/// A k-NN affinity matrix: `values[i][j]` = mean over windows of class i of the fraction of their k
/// nearest neighbours in class j.
#[derive(Clone, Debug, PartialEq)]
pub struct AffinityMatrix {
    /// What was embedded (`x̂`, `ĥ`).
    pub title: String,
    pub class_names: Vec<String>,
    /// Test windows per class.
    pub counts: Vec<usize>,
    pub values: Vec<Vec<f64>>,
    /// Mean of the diagonal over classes ("intra-class consistency"), as the evaluation computed it.
    pub diagonal_mean: f64,
    /// What neighbours drawn at random from those allowed would give: the diagonal's floor.
    pub chance_mean: Option<f64>,
    /// The same per class, in `class_names` order (empty when unknown).
    pub chance: Vec<f64>,
    /// 95 % confidence interval of `diagonal_mean`.
    pub diagonal_ci95: Option<(f64, f64)>,
    /// Which windows could be neighbours ("other patients", …).
    pub neighbours: String,
    /// Neighbours per window.
    pub k: usize,
}

/// Draws an affinity matrix as a heatmap with class names, counts and the diagonal mean; hovering a
/// cell shows its value.
pub fn heatmap_ui(ui: &mut egui::Ui, matrix: &AffinityMatrix) -> egui::Response {
    ui.vertical(|ui| heatmap_contents_ui(ui, matrix)).response
}

fn heatmap_contents_ui(ui: &mut egui::Ui, matrix: &AffinityMatrix) {
    let n = matrix.class_names.len();
    let mut heading = format!(
        "{} — diagonal mean {:.3}",
        matrix.title, matrix.diagonal_mean
    );
    if let Some(chance) = matrix.chance_mean {
        heading.push_str(&format!(" (chance {chance:.3}"));
        if let Some((lo, hi)) = matrix.diagonal_ci95 {
            heading.push_str(&format!("; 95 % CI {lo:.3}–{hi:.3}"));
        }
        heading.push(')');
    }
    ui.label(heading).on_hover_text(format!(
        "Unweighted mean over classes of the diagonal; k = {} neighbours per window, from {}. \
         Chance: what neighbours drawn at random from those allowed would give.",
        matrix.k, matrix.neighbours
    ));
    if n == 0 {
        ui.label("(empty)");
        return;
    }
    let label_width_in_ui = 110.0;
    let cell_in_ui =
        ((ui.available_width() - label_width_in_ui - 10.0) / n as f32).clamp(12.0, 60.0);
    let size = egui::vec2(
        label_width_in_ui + cell_in_ui * n as f32,
        20.0 + cell_in_ui * n as f32,
    );
    let (rect, response) = ui.allocate_exact_size(size, egui::Sense::hover());
    let painter = ui.painter_at(rect);
    let text_colour = ui.visuals().text_color();
    let origin = rect.left_top() + egui::vec2(label_width_in_ui, 20.0);
    for (i, name) in matrix.class_names.iter().enumerate() {
        let count = matrix.counts.get(i).copied().unwrap_or(0);
        // Long names (SNOMED codes, Challenge labels) are shortened to their space; hovering a
        // cell shows them whole.
        let count_text = format!(" (n={count})");
        let row_chars = (label_width_in_ui / 6.2) as usize;
        painter.text(
            egui::pos2(rect.left(), origin.y + (i as f32 + 0.5) * cell_in_ui),
            egui::Align2::LEFT_CENTER,
            format!(
                "{}{count_text}",
                shorten(name, row_chars.saturating_sub(count_text.len()))
            ),
            egui::FontId::proportional(11.0),
            text_colour,
        );
        painter.text(
            egui::pos2(origin.x + (i as f32 + 0.5) * cell_in_ui, rect.top() + 10.0),
            egui::Align2::CENTER_CENTER,
            shorten(name, (cell_in_ui / 5.5) as usize),
            egui::FontId::proportional(10.0),
            text_colour,
        );
        for j in 0..n {
            let value = matrix.values.get(i).and_then(|row| row.get(j)).copied();
            let cell = egui::Rect::from_min_size(
                origin + egui::vec2(j as f32 * cell_in_ui, i as f32 * cell_in_ui),
                egui::vec2(cell_in_ui, cell_in_ui),
            );
            let colour = match value {
                Some(v) if v.is_finite() => {
                    let [r, g, b] = viridis_rgb(v);
                    egui::Color32::from_rgb(r, g, b)
                }
                _ => egui::Color32::GRAY,
            };
            painter.rect_filled(cell.shrink(0.5), 0.0, colour);
        }
    }
    if let Some(pos) = response.hover_pos() {
        let offset = pos - origin;
        if offset.x >= 0.0 && offset.y >= 0.0 {
            let j = (offset.x / cell_in_ui) as usize;
            let i = (offset.y / cell_in_ui) as usize;
            if let (Some(row_name), Some(column_name)) =
                (matrix.class_names.get(i), matrix.class_names.get(j))
            {
                let value = matrix.values.get(i).and_then(|row| row.get(j)).copied();
                let chance = matrix
                    .chance
                    .get(i)
                    .filter(|_| i == j)
                    .map_or_else(String::new, |c| format!(" (chance {c:.3})"));
                response.on_hover_text(format!(
                    "{row_name} → {column_name}: {}{chance}",
                    value.map_or_else(|| "–".to_owned(), |v| format!("{v:.3}"))
                ));
            }
        }
    }
}

/// `name` in at most `max_chars` characters (at least 3), ending in "…" when cut.
fn shorten(name: &str, max_chars: usize) -> String {
    let max_chars = max_chars.max(3);
    if name.chars().count() <= max_chars {
        name.to_owned()
    } else {
        let mut short: String = name.chars().take(max_chars - 1).collect();
        short.push('…');
        short
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_class_names_are_shortened_with_an_ellipsis() {
        assert_eq!(shorten("NORM", 8), "NORM");
        assert_eq!(shorten("chagas_negative", 8), "chagas_…");
        assert_eq!(shorten("chagas_negative", 8).chars().count(), 8);
        assert_eq!(shorten("426177001", 0), "42…");
    }
}
