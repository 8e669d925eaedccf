//! Per-class reconstruction error, and the classes the paper's radar plot shows.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// RMSE of C and C-h over the windows of one diagnostic class.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ClassRmse {
    pub class: String,
    pub n_windows: usize,
    pub rmse_c_mv: f64,
    pub rmse_ch_mv: f64,
}

/// Squared errors per class; a window with several labels counts for each of them.
#[derive(Clone, Debug, Default)]
pub struct PerClassAccumulator {
    classes: BTreeMap<String, ClassSums>,
}

#[derive(Clone, Debug, Default)]
struct ClassSums {
    windows: usize,
    samples: u64,
    sse_c: f64,
    sse_ch: f64,
}

impl PerClassAccumulator {
    /// Adds one window's summed squared errors of C and C-h over `n_samples` samples.
    pub fn push<'a>(
        &mut self,
        classes: impl IntoIterator<Item = &'a str>,
        n_samples: u64,
        sse_c: f64,
        sse_ch: f64,
    ) {
        for class in classes {
            let sums = self.classes.entry(class.to_owned()).or_default();
            sums.windows += 1;
            sums.samples += n_samples;
            sums.sse_c += sse_c;
            sums.sse_ch += sse_ch;
        }
    }

    /// Every class with at least `min_windows` windows, most abundant first.
    pub fn finish(&self, min_windows: usize) -> Vec<ClassRmse> {
        let mut rows: Vec<ClassRmse> = self
            .classes
            .iter()
            .filter(|(_, s)| s.windows >= min_windows.max(1))
            .map(|(class, s)| ClassRmse {
                class: class.clone(),
                n_windows: s.windows,
                rmse_c_mv: (s.sse_c / s.samples as f64).sqrt(),
                rmse_ch_mv: (s.sse_ch / s.samples as f64).sqrt(),
            })
            .collect();
        rows.sort_by(|a, b| b.n_windows.cmp(&a.n_windows).then(a.class.cmp(&b.class)));
        rows
    }
}

/// The radar's classes as in the paper: the `n_each` most and `n_each` least abundant (rows
/// sorted most abundant first, as [`PerClassAccumulator::finish`] returns them).
pub fn radar_selection(rows: &[ClassRmse], n_each: usize) -> Vec<ClassRmse> {
    if rows.len() <= 2 * n_each {
        return rows.to_vec();
    }
    rows[..n_each]
        .iter()
        .chain(&rows[rows.len() - n_each..])
        .cloned()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rmse_per_class_and_selection() {
        let mut acc = PerClassAccumulator::default();
        // Two NORM windows of 4 samples: SSE 0.04 and 0.12 for C → RMSE sqrt(0.16 / 8).
        acc.push(["NORM"], 4, 0.04, 0.01);
        acc.push(["NORM", "MI"], 4, 0.12, 0.03);
        acc.push(["CD"], 4, 0.0, 0.0);
        let rows = acc.finish(1);
        assert_eq!(rows[0].class, "NORM");
        assert_eq!(rows[0].n_windows, 2);
        assert!((rows[0].rmse_c_mv - (0.16f64 / 8.0).sqrt()).abs() < 1e-15);
        assert!((rows[0].rmse_ch_mv - (0.04f64 / 8.0).sqrt()).abs() < 1e-15);
        assert_eq!(acc.finish(2).len(), 1);

        let many: Vec<ClassRmse> = (0..10)
            .map(|i| ClassRmse {
                class: format!("c{i}"),
                n_windows: 100 - i,
                rmse_c_mv: 0.1,
                rmse_ch_mv: 0.09,
            })
            .collect();
        let picked: Vec<String> = radar_selection(&many, 4)
            .into_iter()
            .map(|r| r.class)
            .collect();
        assert_eq!(picked, ["c0", "c1", "c2", "c3", "c6", "c7", "c8", "c9"]);
    }
}
