//! The record browser: every record of the opened folders in one searchable, sortable, filterable table.
//!
//! Filtering and sorting run only when the search text, a filter, the sort or the list changes; each
//! frame draws only the visible rows (egui_extras virtual rows), so PTB-XL's 21,799 records scroll
//! smoothly.

use std::path::PathBuf;

use egui_extras::{Column, TableBuilder};
use serde::{Deserialize, Serialize};

use crate::dataset::{RecordEntry, Superclass};

/// Sortable columns.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum SortColumn {
    #[default]
    Record,
    Patient,
    Dataset,
    Labels,
    Fold,
    Fs,
    Duration,
}

/// Browser state: search, filters, sort, selection.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default)]
pub struct Browser {
    pub search: String,
    /// Superclass filter (PTB-XL classes: NORM, MI, STTC, CD, HYP).
    pub class_filter: Option<String>,
    pub fold_filter: Option<u8>,
    pub dataset_filter: Option<String>,
    pub sort_column: SortColumn,
    pub sort_ascending: bool,
    /// Header path of the selected record.
    #[serde(skip)]
    pub selected_header: Option<PathBuf>,
    /// Indices into the entries, filtered and sorted; `None` when it must be recomputed.
    #[serde(skip)]
    visible_rows: Option<Vec<usize>>,
    #[serde(skip)]
    scroll_to_selected: bool,
    /// Dataset names present in the entries (for the filter), refreshed with the rows.
    #[serde(skip)]
    dataset_names: Vec<String>,
}

impl Default for Browser {
    fn default() -> Self {
        Self {
            search: String::new(),
            class_filter: None,
            fold_filter: None,
            dataset_filter: None,
            sort_column: SortColumn::Record,
            sort_ascending: true,
            selected_header: None,
            visible_rows: None,
            scroll_to_selected: false,
            dataset_names: Vec::new(),
        }
    }
}

/// The labels of an entry, as shown: names, with the superclasses first.
fn labels_text(entry: &RecordEntry) -> String {
    let mut parts: Vec<String> = entry
        .superclasses()
        .iter()
        .map(|class| class.code().to_owned())
        .collect();
    parts.extend(entry.labels.iter().map(|label| label.name.clone()));
    parts.dedup();
    parts.join(", ")
}

impl Browser {
    /// The entries changed: recompute the visible rows next frame.
    pub fn invalidate(&mut self) {
        self.visible_rows = None;
    }

    fn matches(&self, entry: &RecordEntry, search_lower: &str) -> bool {
        if let Some(class) = &self.class_filter
            && !entry.superclasses().iter().any(|c| c.code() == class)
        {
            return false;
        }
        if let Some(fold) = self.fold_filter
            && entry.fold != Some(fold)
        {
            return false;
        }
        if let Some(dataset) = &self.dataset_filter
            && entry.dataset.name() != dataset
        {
            return false;
        }
        if search_lower.is_empty() {
            return true;
        }
        entry.record_id.to_lowercase().contains(search_lower)
            || entry.patient_id.to_lowercase().contains(search_lower)
            || entry.source.to_lowercase().contains(search_lower)
            || entry.labels.iter().any(|label| {
                label.name.to_lowercase().contains(search_lower)
                    || label.code.to_lowercase().contains(search_lower)
            })
    }

    fn compute_rows(&self, entries: &[RecordEntry]) -> Vec<usize> {
        let search_lower = self.search.trim().to_lowercase();
        let mut rows: Vec<usize> = entries
            .iter()
            .enumerate()
            .filter(|(_, entry)| self.matches(entry, &search_lower))
            .map(|(index, _)| index)
            .collect();
        let key_cmp = |a: &RecordEntry, b: &RecordEntry| -> std::cmp::Ordering {
            match self.sort_column {
                SortColumn::Record => natural_cmp(&a.record_id, &b.record_id),
                SortColumn::Patient => natural_cmp(&a.patient_id, &b.patient_id),
                SortColumn::Dataset => a.dataset.name().cmp(b.dataset.name()),
                SortColumn::Labels => labels_text(a).cmp(&labels_text(b)),
                SortColumn::Fold => a.fold.cmp(&b.fold),
                SortColumn::Fs => a.fs_hz.total_cmp(&b.fs_hz),
                SortColumn::Duration => a
                    .duration_s()
                    .unwrap_or(-1.0)
                    .total_cmp(&b.duration_s().unwrap_or(-1.0)),
            }
        };
        rows.sort_by(|&a, &b| match (entries.get(a), entries.get(b)) {
            (Some(a), Some(b)) => {
                let ordering = key_cmp(a, b);
                if self.sort_ascending {
                    ordering
                } else {
                    ordering.reverse()
                }
            }
            _ => std::cmp::Ordering::Equal,
        });
        rows
    }

    /// Draws the browser. Returns the header path of a record the user asked to open.
    pub fn ui(&mut self, ui: &mut egui::Ui, entries: &[RecordEntry]) -> Option<PathBuf> {
        let mut open = None;
        let mut changed = false;
        ui.horizontal_wrapped(|ui| {
            ui.label("Search");
            changed |= ui
                .add(
                    egui::TextEdit::singleline(&mut self.search)
                        .hint_text("record, patient, label…")
                        .desired_width(220.0),
                )
                .changed();
            ui.separator();
            changed |= filter_combo(
                ui,
                "Class",
                &mut self.class_filter,
                Superclass::ALL.iter().map(|c| c.code().to_owned()).collect(),
            )
            .on_hover_text("PTB-XL diagnostic superclass (high-confidence labels): NORM normal, MI myocardial infarction, STTC ST/T change, CD conduction disturbance, HYP hypertrophy.")
            .changed();
            let mut fold_text = self.fold_filter.map(|fold| fold.to_string());
            let fold_changed = filter_combo(ui, "Fold", &mut fold_text, (1..=10).map(|f| f.to_string()).collect())
                .on_hover_text("PTB-XL strat_fold, patient-wise: 1–8 train, 9 validation, 10 test.")
                .changed();
            if fold_changed {
                self.fold_filter = fold_text.and_then(|text| text.parse().ok());
                changed = true;
            }
            let datasets = self.dataset_names.clone();
            changed |= filter_combo(ui, "Dataset", &mut self.dataset_filter, datasets).changed();
        });
        if changed {
            self.invalidate();
        }
        let rows = match self.visible_rows.take() {
            Some(rows) => rows,
            None => {
                let mut names: Vec<String> = entries
                    .iter()
                    .map(|e| e.dataset.name().to_owned())
                    .collect();
                names.sort();
                names.dedup();
                self.dataset_names = names;
                self.compute_rows(entries)
            }
        };
        ui.label(format!("{} of {} records", rows.len(), entries.len()));

        // Keyboard navigation: ↑/↓ move the selection, Enter opens it.
        let selected_row = || {
            self.selected_header.as_ref().and_then(|selected| {
                rows.iter()
                    .position(|&i| entries.get(i).is_some_and(|e| &e.header_path == selected))
            })
        };
        if !ui.ctx().egui_wants_keyboard_input() {
            let (up, down, enter) = ui.input(|input| {
                (
                    input.key_pressed(egui::Key::ArrowUp),
                    input.key_pressed(egui::Key::ArrowDown),
                    input.key_pressed(egui::Key::Enter),
                )
            });
            let target = match (up, down, if up || down { selected_row() } else { None }) {
                (true, _, Some(row)) => Some(row.saturating_sub(1)),
                (_, true, Some(row)) => Some((row + 1).min(rows.len().saturating_sub(1))),
                (true, _, None) | (_, true, None) => Some(0),
                _ => None,
            };
            if let Some(target) = target
                && let Some(entry) = rows.get(target).and_then(|&i| entries.get(i))
            {
                self.selected_header = Some(entry.header_path.clone());
                self.scroll_to_selected = true;
                open = Some(entry.header_path.clone());
            }
            if enter && let Some(selected) = &self.selected_header {
                open = Some(selected.clone());
            }
        }

        if entries.is_empty() {
            ui.label("No records yet: open a folder (PTB-XL, Challenge, LUDB, PTB or any WFDB folder) or records above.");
            self.visible_rows = Some(rows);
            return open;
        }

        let text_height = egui::TextStyle::Body.resolve(ui.style()).size + 6.0;
        let mut table = TableBuilder::new(ui)
            .id_salt("record_browser")
            .striped(true)
            .resizable(true)
            .sense(egui::Sense::click())
            .cell_layout(egui::Layout::left_to_right(egui::Align::Center))
            .column(Column::initial(110.0).at_least(60.0))
            .column(Column::initial(130.0).at_least(60.0))
            .column(Column::initial(90.0).at_least(50.0))
            .column(Column::initial(420.0).at_least(80.0).clip(true))
            .column(Column::initial(45.0).at_least(35.0))
            .column(Column::initial(60.0).at_least(40.0))
            .column(Column::remainder().at_least(60.0))
            .auto_shrink([false, false]);
        if self.scroll_to_selected {
            if let Some(row) = self.selected_header.as_ref().and_then(|selected| {
                rows.iter()
                    .position(|&i| entries.get(i).is_some_and(|e| &e.header_path == selected))
            }) {
                table = table.scroll_to_row(row, None);
            }
            self.scroll_to_selected = false;
        }
        let mut sort_clicked = None;
        table
            .header(text_height + 4.0, |mut header| {
                for (column, title, tip) in [
                    (SortColumn::Record, "Record", "Record id within its dataset"),
                    (SortColumn::Patient, "Patient", "Patient id (prefixed with the dataset); a stand-in where the source has none"),
                    (SortColumn::Dataset, "Dataset", "Dataset the record comes from"),
                    (SortColumn::Labels, "Labels", "Diagnostic superclasses, then every statement with its name"),
                    (SortColumn::Fold, "Fold", "PTB-XL strat_fold: 1–8 train, 9 validation, 10 test"),
                    (SortColumn::Fs, "fs (Hz)", "Sampling rate"),
                    (SortColumn::Duration, "Duration (s)", "Record length"),
                ] {
                    header.col(|ui| {
                        let arrow = match (self.sort_column == column, self.sort_ascending) {
                            (true, true) => " ^",
                            (true, false) => " v",
                            _ => "",
                        };
                        if ui
                            .add(egui::Button::new(egui::RichText::new(format!("{title}{arrow}")).strong()).frame(false))
                            .on_hover_text(format!("{tip}. Click to sort."))
                            .clicked()
                        {
                            sort_clicked = Some(column);
                        }
                    });
                }
            })
            .body(|body| {
                body.rows(text_height, rows.len(), |mut row| {
                    let Some(entry) = rows.get(row.index()).and_then(|&i| entries.get(i)) else {
                        return;
                    };
                    let selected = self.selected_header.as_ref() == Some(&entry.header_path);
                    row.set_selected(selected);
                    row.col(|ui| {
                        ui.label(&entry.record_id);
                    });
                    row.col(|ui| {
                        ui.label(&entry.patient_id);
                    });
                    row.col(|ui| {
                        ui.label(entry.dataset.name());
                    });
                    row.col(|ui| {
                        ui.label(labels_text(entry));
                    });
                    row.col(|ui| {
                        ui.label(entry.fold.map(|f| f.to_string()).unwrap_or_default());
                    });
                    row.col(|ui| {
                        ui.label(format!("{}", entry.fs_hz));
                    });
                    row.col(|ui| {
                        ui.label(entry.duration_s().map(|d| format!("{d:.1}")).unwrap_or_default());
                    });
                    if row.response().clicked() {
                        self.selected_header = Some(entry.header_path.clone());
                        open = Some(entry.header_path.clone());
                    }
                });
            });
        if let Some(column) = sort_clicked {
            if self.sort_column == column {
                self.sort_ascending = !self.sort_ascending;
            } else {
                self.sort_column = column;
                self.sort_ascending = true;
            }
            self.invalidate();
        } else {
            self.visible_rows = Some(rows);
        }
        open
    }
}

/// A combo box with "all" plus `options`. Returns the combo's response (changed when picked).
fn filter_combo(
    ui: &mut egui::Ui,
    label: &str,
    value: &mut Option<String>,
    options: Vec<String>,
) -> egui::Response {
    let mut changed = false;
    ui.label(label);
    let mut response = egui::ComboBox::from_id_salt(label)
        .selected_text(value.clone().unwrap_or_else(|| "all".to_owned()))
        .show_ui(ui, |ui| {
            changed |= ui.selectable_value(value, None, "all").clicked();
            for option in options {
                changed |= ui
                    .selectable_value(value, Some(option.clone()), option)
                    .clicked();
            }
        })
        .response;
    if changed {
        response.mark_changed();
    }
    response
}

/// Orders `"9"` before `"10"` and `"HR9"` before `"HR10"`: digit runs compare by value.
fn natural_cmp(a: &str, b: &str) -> std::cmp::Ordering {
    let mut a_chars = a.chars().peekable();
    let mut b_chars = b.chars().peekable();
    loop {
        match (a_chars.peek().copied(), b_chars.peek().copied()) {
            (None, None) => return std::cmp::Ordering::Equal,
            (None, Some(_)) => return std::cmp::Ordering::Less,
            (Some(_), None) => return std::cmp::Ordering::Greater,
            (Some(x), Some(y)) if x.is_ascii_digit() && y.is_ascii_digit() => {
                let mut number_a = String::new();
                while let Some(c) = a_chars.peek().copied().filter(char::is_ascii_digit) {
                    number_a.push(c);
                    a_chars.next();
                }
                let mut number_b = String::new();
                while let Some(c) = b_chars.peek().copied().filter(char::is_ascii_digit) {
                    number_b.push(c);
                    b_chars.next();
                }
                let trimmed_a = number_a.trim_start_matches('0');
                let trimmed_b = number_b.trim_start_matches('0');
                let ordering = trimmed_a
                    .len()
                    .cmp(&trimmed_b.len())
                    .then_with(|| trimmed_a.cmp(trimmed_b));
                if ordering != std::cmp::Ordering::Equal {
                    return ordering;
                }
            }
            (Some(x), Some(y)) => {
                if x != y {
                    return x.cmp(&y);
                }
                a_chars.next();
                b_chars.next();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::natural_cmp;
    use std::cmp::Ordering;

    #[test]
    fn natural_order() {
        assert_eq!(natural_cmp("HR9", "HR10"), Ordering::Less);
        assert_eq!(natural_cmp("10", "9"), Ordering::Greater);
        assert_eq!(natural_cmp("a01", "a1"), Ordering::Equal);
        assert_eq!(natural_cmp("", "x"), Ordering::Less);
    }
}
