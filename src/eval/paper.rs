//! The published numbers of Youssef & Singla (2026), PTB-XL patient-independent (METHOD.md), for
//! side-by-side comparison. Nothing here is measured by Precordial. The only copy: the report and the
//! Study panel both read it.

use crate::metrics::LeadMetrics;

/// Target leads in the paper's order.
pub const LEADS: [&str; 5] = ["V1", "V3", "V4", "V5", "V6"];

/// Per lead: (RMSE C, RMSE C-h, R² C, R² C-h, Pearson C, Pearson C-h).
pub const TABLE_I: [(&str, [f64; 6]); 5] = [
    ("V1", [0.063, 0.052, 0.754, 0.839, 0.940, 0.951]),
    ("V3", [0.115, 0.101, 0.670, 0.744, 0.913, 0.926]),
    ("V4", [0.118, 0.108, 0.605, 0.687, 0.893, 0.906]),
    ("V5", [0.094, 0.084, 0.684, 0.717, 0.922, 0.931]),
    ("V6", [0.071, 0.063, 0.699, 0.760, 0.935, 0.944]),
];

/// Mean over the five leads, same column order as [`TABLE_I`].
pub const TABLE_I_MEAN: [f64; 6] = [0.092, 0.082, 0.683, 0.749, 0.921, 0.932];

/// Record-level (full 10 s) C-h mean RMSE (mV) and R².
pub const RECORD_LEVEL_CH: (f64, f64) = (0.084, 0.752);

/// Neighbours per window of the published affinity.
pub const AFFINITY_K: usize = 10;

/// k-NN (k = [`AFFINITY_K`]) affinity diagonal means for x̂ and ĥ.
pub const AFFINITY_DIAGONAL: (f64, f64) = (0.083, 0.837);

/// Cross-dataset on PTB (trained on PTB-XL only): RMSE (mV), Pearson.
pub const CROSS_DATASET_PTB: (f64, f64) = (0.095, 0.887);

/// Table I as metrics, per lead then the mean row ("Mean"): (lead, C, C-h). Sample counts are 0:
/// the paper does not give them.
pub fn table_i_metrics() -> Vec<(&'static str, LeadMetrics, LeadMetrics)> {
    let metrics = |rmse_mv: f64, r2: f64, pearson: f64| LeadMetrics {
        rmse_mv,
        r2,
        pearson,
        n_samples: 0,
        n_windows: 0,
    };
    TABLE_I
        .iter()
        .copied()
        .chain(std::iter::once(("Mean", TABLE_I_MEAN)))
        .map(|(lead, v)| (lead, metrics(v[0], v[2], v[4]), metrics(v[1], v[3], v[5])))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_mean_row_is_the_mean_of_the_leads_to_the_published_rounding() {
        let rows = table_i_metrics();
        let (leads, mean) = rows.split_at(TABLE_I.len());
        assert_eq!(mean[0].0, "Mean");
        let c: Vec<&LeadMetrics> = leads.iter().map(|(_, c, _)| c).collect();
        let averaged = LeadMetrics::mean(c.iter().copied());
        assert!((averaged.rmse_mv - mean[0].1.rmse_mv).abs() < 1e-3);
        assert!((averaged.pearson - mean[0].1.pearson).abs() < 1e-3);
        assert_eq!(rows[1].2.r2, 0.744);
    }
}
