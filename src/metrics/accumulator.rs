//! The one accumulator of the paper's metrics (METHOD.md, "Metrics").
//!
//! RMSE (mV) and R² are computed over all samples of a lead flattened together; Pearson's r is
//! computed per pushed window and averaged, skipping windows whose ground truth is constant (a
//! constant prediction of a varying truth scores r = 0: it explains nothing, and skipping it would
//! flatter a degenerate model). Everything accumulates in one pass, so a whole test fold never has
//! to sit in memory. Push a whole record as one window for a record's Pearson r.

use serde::{Deserialize, Serialize};

/// RMSE, R² and mean per-window Pearson r of one lead (or one record).
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct LeadMetrics {
    /// RMSE in mV (`rmse` in reports; model cards before the metrics were folded said `rmse_mv`).
    #[serde(rename = "rmse", alias = "rmse_mv")]
    pub rmse_mv: f64,
    pub r2: f64,
    pub pearson: f64,
    /// Samples behind RMSE and R².
    #[serde(default)]
    pub n_samples: u64,
    /// Windows behind the mean Pearson r (constant ground truth skipped).
    #[serde(default)]
    pub n_windows: u64,
}

impl LeadMetrics {
    /// The mean of each metric over several leads (or models), skipping the leads where it is
    /// undefined (NaN); NaN only where no lead has it. Counts are summed.
    pub fn mean<'a>(items: impl IntoIterator<Item = &'a Self> + Clone) -> Self {
        let field = |pick: fn(&Self) -> f64| nan_mean(items.clone().into_iter().map(pick));
        Self {
            rmse_mv: field(|m| m.rmse_mv).unwrap_or(f64::NAN),
            r2: field(|m| m.r2).unwrap_or(f64::NAN),
            pearson: field(|m| m.pearson).unwrap_or(f64::NAN),
            n_samples: items.clone().into_iter().map(|m| m.n_samples).sum(),
            n_windows: items.into_iter().map(|m| m.n_windows).sum(),
        }
    }
}

/// `RMSE / R² / r` as the tables print it.
impl std::fmt::Display for LeadMetrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:.4}/{:.3}/{:.3}", self.rmse_mv, self.r2, self.pearson)
    }
}

/// Mean of the finite values; `None` when there are none.
pub fn nan_mean(values: impl IntoIterator<Item = f64>) -> Option<f64> {
    let (sum, n) = values
        .into_iter()
        .filter(|v| v.is_finite())
        .fold((0.0, 0usize), |(s, n), v| (s + v, n + 1));
    (n > 0).then(|| sum / n as f64)
}

/// One-pass accumulator of [`LeadMetrics`] over windows of (truth, prediction).
#[derive(Clone, Debug, Default)]
pub struct MetricsAccumulator {
    n: u64,
    sum_sq_error: f64,
    /// Welford running mean and sum of squared deviations of the truth, for R²'s denominator.
    mean_truth: f64,
    m2_truth: f64,
    pearson_sum: f64,
    pearson_windows: u64,
}

impl MetricsAccumulator {
    /// Adds one window. `truth` and `prediction` must have the same length; extra samples of
    /// the longer one are ignored. Non-finite pairs are skipped.
    pub fn push(&mut self, truth: &[f64], prediction: &[f64]) {
        let mut window = PearsonSums::default();
        for (&y, &p) in truth.iter().zip(prediction) {
            if !(y.is_finite() && p.is_finite()) {
                continue;
            }
            self.n += 1;
            let e = p - y;
            self.sum_sq_error += e * e;
            let delta = y - self.mean_truth;
            self.mean_truth += delta / self.n as f64;
            self.m2_truth += delta * (y - self.mean_truth);
            window.push(y, p);
        }
        if let Some(r) = window.r() {
            self.pearson_sum += r;
            self.pearson_windows += 1;
        }
    }

    /// Merges another accumulator (e.g. from another thread).
    pub fn merge(&mut self, other: &Self) {
        if other.n == 0 {
            return;
        }
        let n = self.n + other.n;
        let delta = other.mean_truth - self.mean_truth;
        self.m2_truth +=
            other.m2_truth + delta * delta * (self.n as f64 * other.n as f64) / n as f64;
        self.mean_truth += delta * other.n as f64 / n as f64;
        self.n = n;
        self.sum_sq_error += other.sum_sq_error;
        self.pearson_sum += other.pearson_sum;
        self.pearson_windows += other.pearson_windows;
    }

    pub fn finish(&self) -> LeadMetrics {
        let n = self.n as f64;
        LeadMetrics {
            rmse_mv: (self.sum_sq_error / n).sqrt(),
            // sklearn's r2_score on the flattened arrays: 1 - SS_res / SS_tot; undefined (NaN, not
            // sklearn's 0 or -inf) for a constant truth, so averages can leave it out.
            r2: if self.m2_truth > 0.0 {
                1.0 - self.sum_sq_error / self.m2_truth
            } else {
                f64::NAN
            },
            pearson: self.pearson_sum / self.pearson_windows as f64,
            n_samples: self.n,
            n_windows: self.pearson_windows,
        }
    }
}

/// Sums for Pearson's r of one window, centred on the first pair for numerical stability.
#[derive(Default)]
struct PearsonSums {
    origin: Option<(f64, f64)>,
    n: f64,
    sy: f64,
    sp: f64,
    syy: f64,
    spp: f64,
    syp: f64,
}

impl PearsonSums {
    fn push(&mut self, y: f64, p: f64) {
        let (y0, p0) = *self.origin.get_or_insert((y, p));
        let (y, p) = (y - y0, p - p0);
        self.n += 1.0;
        self.sy += y;
        self.sp += p;
        self.syy += y * y;
        self.spp += p * p;
        self.syp += y * p;
    }

    /// `None` for a constant ground truth (or fewer than two samples); 0 for a constant prediction.
    fn r(&self) -> Option<f64> {
        if self.n < 2.0 {
            return None;
        }
        let var_y = self.syy - self.sy * self.sy / self.n;
        let var_p = self.spp - self.sp * self.sp / self.n;
        let cov = self.syp - self.sy * self.sp / self.n;
        // Relative threshold: a window is constant when its spread is rounding noise.
        if var_y <= 1e-24 * self.syy.max(f64::MIN_POSITIVE) || var_y <= 0.0 {
            return None;
        }
        if var_p <= 0.0 {
            return Some(0.0);
        }
        Some((cov / (var_y * var_p).sqrt()).clamp(-1.0, 1.0))
    }
}

/// Pearson's r of two equal-length series; `None` when the truth is constant.
pub fn pearson(truth: &[f64], prediction: &[f64]) -> Option<f64> {
    let mut sums = PearsonSums::default();
    for (&y, &p) in truth.iter().zip(prediction) {
        if y.is_finite() && p.is_finite() {
            sums.push(y, p);
        }
    }
    sums.r()
}

/// Metrics of whole windows at once (one window per slice pair).
pub fn lead_metrics<'a>(windows: impl IntoIterator<Item = (&'a [f64], &'a [f64])>) -> LeadMetrics {
    let mut acc = MetricsAccumulator::default();
    for (truth, prediction) in windows {
        acc.push(truth, prediction);
    }
    acc.finish()
}

/// Metrics of one whole lead of one record, its Pearson r over the whole record (what the
/// Reconstruct panel shows beside each lead); `None` with fewer than two finite pairs.
pub fn record_metrics(truth: &[f64], prediction: &[f64]) -> Option<LeadMetrics> {
    let metrics = lead_metrics([(truth, prediction)]);
    (metrics.n_samples >= 2).then_some(metrics)
}

/// Relative change of C-h against C in percent, as the paper's Table I: for RMSE a negative value
/// is an improvement, for R² and Pearson a positive one.
pub fn delta_percent(c: f64, c_h: f64) -> f64 {
    100.0 * (c_h - c) / c.abs()
}

/// Mean and sample standard deviation (n − 1), NaN-free input assumed.
pub fn mean_std(values: &[f64]) -> (f64, f64) {
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0);
    (mean, var.sqrt())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_computed() {
        // truth [1, 2, 3], prediction [1, 2, 4]: SS_res = 1, SS_tot = 2.
        let m = lead_metrics([(&[1.0, 2.0, 3.0][..], &[1.0, 2.0, 4.0][..])]);
        assert!((m.rmse_mv - (1.0f64 / 3.0).sqrt()).abs() < 1e-15);
        assert!((m.r2 - 0.5).abs() < 1e-15);
        // r = cov / (sd_y sd_p) = 1.5 / sqrt(1 * 2.333..)
        let r = 1.5 / (1.0f64 * (7.0 / 3.0)).sqrt();
        assert!((m.pearson - r).abs() < 1e-12, "{}", m.pearson);
    }

    #[test]
    fn constant_truth_windows_are_skipped_for_pearson_only() {
        let m = lead_metrics([
            (&[0.5, 0.5, 0.5][..], &[0.4, 0.6, 0.5][..]),
            (&[0.0, 1.0, 2.0][..], &[0.0, 1.0, 2.0][..]),
        ]);
        assert_eq!(m.n_windows, 1);
        assert_eq!(m.pearson, 1.0);
        assert_eq!(m.n_samples, 6);
    }

    #[test]
    fn merge_equals_one_pass() {
        let a: Vec<f64> = (0..100).map(|i| (i as f64 * 0.37).sin()).collect();
        let b: Vec<f64> = (0..100).map(|i| (i as f64 * 0.41).cos() * 0.3).collect();
        let mut whole = MetricsAccumulator::default();
        whole.push(&a[..50], &b[..50]);
        whole.push(&a[50..], &b[50..]);
        let mut left = MetricsAccumulator::default();
        left.push(&a[..50], &b[..50]);
        let mut right = MetricsAccumulator::default();
        right.push(&a[50..], &b[50..]);
        left.merge(&right);
        let (x, y) = (whole.finish(), left.finish());
        assert!((x.r2 - y.r2).abs() < 1e-12 && (x.rmse_mv - y.rmse_mv).abs() < 1e-15);
    }

    #[test]
    fn a_constant_prediction_scores_zero_and_a_constant_truth_is_skipped() {
        let m = lead_metrics([(&[0.0, 1.0, 2.0][..], &[0.7, 0.7, 0.7][..])]);
        assert_eq!((m.pearson, m.n_windows), (0.0, 1));
        assert_eq!(pearson(&[1.0, 1.0, 1.0], &[0.0, 1.0, 2.0]), None);
        assert!(
            lead_metrics([(&[1.0, 1.0][..], &[0.0, 1.0][..])])
                .r2
                .is_nan()
        );
    }

    #[test]
    fn record_metrics_of_a_perfect_and_a_shifted_estimate() {
        let truth: Vec<f64> = (0..100).map(|i| (i as f64 * 0.1).sin()).collect();
        let perfect = record_metrics(&truth, &truth).unwrap();
        assert!(perfect.rmse_mv < 1e-12 && (perfect.r2 - 1.0).abs() < 1e-12);
        assert!((perfect.pearson - 1.0).abs() < 1e-12);
        let shifted: Vec<f64> = truth.iter().map(|v| v + 0.1).collect();
        let m = record_metrics(&truth, &shifted).unwrap();
        assert!((m.rmse_mv - 0.1).abs() < 1e-12);
        assert!((m.pearson - 1.0).abs() < 1e-9 && m.r2 < 1.0);
        assert!(record_metrics(&[1.0], &[1.0]).is_none());
        let flat = record_metrics(&[1.0, 1.0], &[1.0, 2.0]).unwrap();
        assert!(flat.r2.is_nan() && flat.pearson.is_nan());
    }

    #[test]
    fn the_mean_over_leads_skips_undefined_values() {
        let a = LeadMetrics {
            rmse_mv: 0.1,
            r2: f64::NAN,
            pearson: 0.8,
            n_samples: 10,
            n_windows: 1,
        };
        let b = LeadMetrics {
            rmse_mv: 0.3,
            r2: 0.5,
            pearson: f64::NAN,
            n_samples: 30,
            n_windows: 0,
        };
        let m = LeadMetrics::mean([&a, &b]);
        assert!((m.rmse_mv - 0.2).abs() < 1e-15);
        assert_eq!((m.r2, m.pearson, m.n_samples), (0.5, 0.8, 40));
        assert_eq!(nan_mean([f64::NAN]), None);
    }

    #[test]
    fn delta_and_spread() {
        assert!((delta_percent(0.092, 0.082) + 10.869565217391305).abs() < 1e-9);
        let (m, s) = mean_std(&[1.0, 2.0, 3.0, 4.0]);
        assert_eq!(m, 2.5);
        assert!((s - 1.2909944487358056).abs() < 1e-15);
    }
}
