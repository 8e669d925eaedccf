//! The published numbers of Youssef & Singla (2026), PTB-XL patient-independent (METHOD.md), for
//! side-by-side comparison. Nothing here is measured by Precordial.

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

/// k-NN (k = 10) affinity diagonal means for x̂ and ĥ.
pub const AFFINITY_DIAGONAL: (f64, f64) = (0.083, 0.837);

/// Cross-dataset on PTB (trained on PTB-XL only): RMSE (mV), Pearson.
pub const CROSS_DATASET_PTB: (f64, f64) = (0.095, 0.887);
