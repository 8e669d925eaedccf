//! Uncertainty over records: bootstrap confidence intervals and a paired permutation test.
//!
//! Both resample records, not windows: windows of one record are not independent.

use crate::rng::Rng;

/// Percentile bootstrap 95 % confidence interval of the mean; `None` for fewer than 2 values.
pub fn bootstrap_mean_ci(values: &[f64], resamples: usize, seed: u64) -> Option<(f64, f64)> {
    let n = values.len();
    if n < 2 || resamples == 0 {
        return None;
    }
    let mut rng = Rng::new(seed);
    let mut means: Vec<f64> = (0..resamples)
        .map(|_| (0..n).map(|_| values[rng.below(n)]).sum::<f64>() / n as f64)
        .collect();
    means.sort_by(f64::total_cmp);
    Some((quantile(&means, 0.025), quantile(&means, 0.975)))
}

/// Two-sided paired sign-flip permutation test of mean(a − b) = 0. Exact in expectation, free of
/// normality assumptions; returns the p-value with the +1 correction (never exactly 0).
pub fn paired_permutation_p(a: &[f64], b: &[f64], permutations: usize, seed: u64) -> Option<f64> {
    if a.len() != b.len() || a.is_empty() || permutations == 0 {
        return None;
    }
    let diffs: Vec<f64> = a.iter().zip(b).map(|(x, y)| x - y).collect();
    let observed = diffs.iter().sum::<f64>().abs();
    let mut rng = Rng::new(seed);
    let mut extreme = 0usize;
    for _ in 0..permutations {
        let mut sum = 0.0;
        let mut bits = 0u64;
        for (i, d) in diffs.iter().enumerate() {
            if i % 64 == 0 {
                bits = rng.next_u64();
            }
            sum += if bits & 1 == 1 { *d } else { -*d };
            bits >>= 1;
        }
        if sum.abs() >= observed - 1e-12 * observed.max(1.0) {
            extreme += 1;
        }
    }
    Some((extreme + 1) as f64 / (permutations + 1) as f64)
}

/// Holm's step-down adjustment of `p_values` (a family of tests), in their order: the i-th smallest
/// is multiplied by (m − i), kept monotone and capped at 1. Controls the family-wise error rate
/// without assuming the tests independent.
pub fn holm(p_values: &[f64]) -> Vec<f64> {
    let m = p_values.len();
    let mut order: Vec<usize> = (0..m).collect();
    order.sort_by(|&a, &b| p_values[a].total_cmp(&p_values[b]));
    let mut adjusted = vec![0.0; m];
    let mut running = 0.0f64;
    for (rank, &i) in order.iter().enumerate() {
        running = running.max(((m - rank) as f64 * p_values[i]).min(1.0));
        adjusted[i] = running;
    }
    adjusted
}

/// Linear-interpolated quantile of sorted values (NumPy's default method).
pub fn quantile(sorted: &[f64], q: f64) -> f64 {
    let pos = q * (sorted.len() - 1) as f64;
    let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
    sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn holm_matches_statsmodels() {
        // statsmodels.stats.multitest.multipletests([0.01, 0.04, 0.03, 0.005], method="holm")
        let adjusted = holm(&[0.01, 0.04, 0.03, 0.005]);
        let want = [0.03, 0.06, 0.06, 0.02];
        for (got, want) in adjusted.iter().zip(want) {
            assert!((got - want).abs() < 1e-12, "{adjusted:?}");
        }
        assert_eq!(holm(&[0.6, 0.9]), [1.0, 1.0]);
        assert!(holm(&[]).is_empty());
    }

    #[test]
    fn ci_covers_the_mean_and_shrinks_with_n() {
        let small: Vec<f64> = (0..20).map(|i| (i % 5) as f64).collect();
        let large: Vec<f64> = (0..2000).map(|i| (i % 5) as f64).collect();
        let (lo, hi) = bootstrap_mean_ci(&small, 2000, 1).unwrap();
        assert!(lo < 2.0 && 2.0 < hi);
        let (lo2, hi2) = bootstrap_mean_ci(&large, 2000, 1).unwrap();
        assert!(lo2 < 2.0 && 2.0 < hi2 && hi2 - lo2 < (hi - lo) / 5.0);
        assert_eq!(
            bootstrap_mean_ci(&small, 2000, 1),
            bootstrap_mean_ci(&small, 2000, 1)
        );
    }

    #[test]
    fn permutation_test_separates_real_from_null_differences() {
        let a: Vec<f64> = (0..40).map(|i| 0.1 + 0.01 * (i % 7) as f64).collect();
        let better: Vec<f64> = a.iter().map(|v| v - 0.01).collect();
        let p = paired_permutation_p(&a, &better, 5000, 7).unwrap();
        assert!(p < 0.001, "{p}");
        let noise: Vec<f64> = a
            .iter()
            .enumerate()
            .map(|(i, v)| v + if i % 2 == 0 { 0.01 } else { -0.01 })
            .collect();
        let p = paired_permutation_p(&a, &noise, 5000, 7).unwrap();
        assert!(p > 0.5, "{p}");
    }

    #[test]
    fn quantile_matches_numpy() {
        // np.quantile([1, 2, 3, 4], [0.25, 0.5, 0.9]) = [1.75, 2.5, 3.7]
        let v = [1.0, 2.0, 3.0, 4.0];
        assert!((quantile(&v, 0.25) - 1.75).abs() < 1e-12);
        assert!((quantile(&v, 0.5) - 2.5).abs() < 1e-12);
        assert!((quantile(&v, 0.9) - 3.7).abs() < 1e-12);
    }
}
