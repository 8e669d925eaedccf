//! Regression to the mean, measured: does a reconstruction keep each record's R and T amplitudes, or
//! pull them towards the population mean?
//!
//! The paper's thesis is that C loses amplitude detail to the mean and C-h recovers it. For each
//! record and target lead, the median R and T amplitude over its beats is measured in the recording
//! and in each reconstruction, at the same beats (found on the input leads, as a device would).
//! Across records, two figures per lead, wave and model (Presacan et al., Communications Medicine
//! 2025): the spread ratio SD(reconstructed) / SD(true) (1: amplitudes as varied as the truth; 0:
//! one amplitude for everyone), and the slope of the amplitude error (reconstructed − true) on the
//! true amplitude (0: no bias with amplitude; −1: pure regression to the mean).

use serde::{Deserialize, Serialize};

use super::stats;
use crate::dsp::segment::percentile;
use crate::rng::Rng;

/// One record's amplitudes in one lead, medians over its beats, in mV from the local isoelectric
/// level (the median of the PR segment before each beat).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Amplitudes {
    /// The largest deflection within 50 ms of the R peak.
    pub r_mv: f64,
    /// The largest deflection (signed) 150–400 ms after the R peak, before the next beat.
    pub t_mv: f64,
}

/// Where the isoelectric level and the waves are looked for, relative to the R peak (s).
const PR_SEGMENT_S: (f64, f64) = (-0.20, -0.08);
const R_WINDOW_S: f64 = 0.05;
const T_WINDOW_S: (f64, f64) = (0.15, 0.40);
/// The T window stops this long before the next beat's R peak.
const NEXT_BEAT_MARGIN_S: f64 = 0.10;

/// Median R and T amplitudes of `lead` over the `beats` (R-peak sample indices) with room for their
/// windows; `None` when no beat has.
pub fn record_amplitudes(lead: &[f64], beats: &[usize], fs_hz: f64) -> Option<Amplitudes> {
    let at = |seconds: f64| (seconds * fs_hz).round() as isize;
    let (mut r, mut t) = (Vec::new(), Vec::new());
    for (i, &beat) in beats.iter().enumerate() {
        let beat = beat as isize;
        let pr = (beat + at(PR_SEGMENT_S.0), beat + at(PR_SEGMENT_S.1));
        let r_window = (beat - at(R_WINDOW_S), beat + at(R_WINDOW_S));
        let next = beats
            .get(i + 1)
            .map_or(isize::MAX, |&n| n as isize - at(NEXT_BEAT_MARGIN_S));
        let t_window = (beat + at(T_WINDOW_S.0), (beat + at(T_WINDOW_S.1)).min(next));
        if pr.0 < 0 || t_window.1 >= lead.len() as isize || t_window.1 <= t_window.0 {
            continue;
        }
        let slice = |(from, to): (isize, isize)| &lead[from as usize..=to as usize];
        let Some(baseline) = percentile(slice(pr), 50.0) else {
            continue;
        };
        let r_peak = slice(r_window)
            .iter()
            .fold(f64::NEG_INFINITY, |a, &b| a.max(b));
        let t_peak = slice(t_window)
            .iter()
            .map(|&v| v - baseline)
            .fold(0.0f64, |a, b| if b.abs() > a.abs() { b } else { a });
        r.push(r_peak - baseline);
        t.push(t_peak);
    }
    Some(Amplitudes {
        r_mv: percentile(&r, 50.0)?,
        t_mv: percentile(&t, 50.0)?,
    })
}

/// How the reconstructed amplitudes of many records relate to the true ones.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct AmplitudeFit {
    pub records: usize,
    /// SD of the reconstructed amplitudes over SD of the true ones.
    pub spread_ratio: f64,
    /// Least-squares slope of (reconstructed − true) on true.
    pub error_slope: f64,
    /// Percentile bootstrap 95 % CI of `error_slope`, records resampled.
    #[serde(default)]
    pub error_slope_ci95: Option<(f64, f64)>,
}

/// The fit over paired amplitudes; `None` with fewer than three records or no spread in the truth.
pub fn amplitude_fit(truth: &[f64], reconstructed: &[f64]) -> Option<AmplitudeFit> {
    let n = truth.len();
    if n < 3 || reconstructed.len() != n {
        return None;
    }
    let mean = |values: &[f64]| values.iter().sum::<f64>() / n as f64;
    let (mean_true, mean_rec) = (mean(truth), mean(reconstructed));
    let (mut var_true, mut var_rec, mut cov) = (0.0, 0.0, 0.0);
    for (&t, &r) in truth.iter().zip(reconstructed) {
        var_true += (t - mean_true) * (t - mean_true);
        var_rec += (r - mean_rec) * (r - mean_rec);
        cov += (t - mean_true) * (r - mean_rec);
    }
    if var_true <= 0.0 {
        return None;
    }
    Some(AmplitudeFit {
        records: n,
        spread_ratio: (var_rec / var_true).sqrt(),
        // cov(r − t, t) / var(t) = cov(r, t) / var(t) − 1.
        error_slope: cov / var_true - 1.0,
        error_slope_ci95: None,
    })
}

/// The error slope of the records at `picked` (indices, repeats allowed).
fn slope_of(truth: &[f64], reconstructed: &[f64], picked: &[usize]) -> Option<f64> {
    let t: Vec<f64> = picked.iter().map(|&i| truth[i]).collect();
    let r: Vec<f64> = picked.iter().map(|&i| reconstructed[i]).collect();
    Some(amplitude_fit(&t, &r)?.error_slope)
}

/// Percentile bootstrap 95 % CI of `statistic` over `n` records resampled with replacement;
/// resamples where it is undefined are skipped. `None` with fewer than three records.
fn bootstrap_ci(
    n: usize,
    resamples: usize,
    seed: u64,
    statistic: impl Fn(&[usize]) -> Option<f64>,
) -> Option<(f64, f64)> {
    if n < 3 || resamples == 0 {
        return None;
    }
    let mut rng = Rng::new(seed);
    let mut picked = vec![0; n];
    let mut values: Vec<f64> = (0..resamples)
        .filter_map(|_| {
            picked.iter_mut().for_each(|i| *i = rng.below(n));
            statistic(&picked)
        })
        .collect();
    if values.len() < 2 {
        return None;
    }
    values.sort_by(f64::total_cmp);
    Some((
        stats::quantile(&values, 0.025),
        stats::quantile(&values, 0.975),
    ))
}

/// [`amplitude_fit`] with the bootstrap CI of its slope.
pub fn amplitude_fit_with_ci(
    truth: &[f64],
    reconstructed: &[f64],
    resamples: usize,
    seed: u64,
) -> Option<AmplitudeFit> {
    let mut fit = amplitude_fit(truth, reconstructed)?;
    fit.error_slope_ci95 = bootstrap_ci(truth.len(), resamples, seed, |picked| {
        slope_of(truth, reconstructed, picked)
    });
    Some(fit)
}

/// Bootstrap 95 % CI of slope(b) − slope(a) on the same records (paired: each resample draws the
/// records once for both): above 0, `b` regresses less to the mean than `a`.
pub fn slope_difference_ci(
    truth: &[f64],
    a: &[f64],
    b: &[f64],
    resamples: usize,
    seed: u64,
) -> Option<(f64, f64)> {
    if a.len() != truth.len() || b.len() != truth.len() {
        return None;
    }
    bootstrap_ci(truth.len(), resamples, seed, |picked| {
        Some(slope_of(truth, b, picked)? - slope_of(truth, a, picked)?)
    })
}

/// The R or the T wave.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Wave {
    R,
    T,
}

/// One row of the report: a lead, a wave and a model's fit.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RegressionToMean {
    pub lead: String,
    pub wave: Wave,
    /// A model key of the report (`least_squares`, `c`, `ch`).
    pub model: String,
    pub fit: AmplitudeFit,
    /// For C-h: the 95 % CI of its error slope minus C's, on the records both were measured on
    /// (above 0: C-h keeps more of the amplitude than C).
    #[serde(default)]
    pub slope_minus_c_ci95: Option<(f64, f64)>,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Beats every second at 100 Hz: baseline `offset`, an R spike of `r` and a T hump of `t` 250 ms
    /// after it.
    fn beats(r: f64, t: f64, offset: f64) -> (Vec<f64>, Vec<usize>) {
        let mut lead = vec![offset; 1000];
        let mut peaks = Vec::new();
        for beat in (50..950).step_by(100) {
            peaks.push(beat);
            lead[beat] += r;
            lead[beat - 1] += 0.4 * r;
            for k in 15..35 {
                let phase = (k - 15) as f64 / 20.0 * std::f64::consts::PI;
                lead[beat + k] += t * phase.sin();
            }
        }
        (lead, peaks)
    }

    #[test]
    fn amplitudes_are_measured_from_the_isoelectric_level() {
        let (lead, peaks) = beats(1.2, 0.3, 0.5);
        let a = record_amplitudes(&lead, &peaks, 100.0).unwrap();
        assert!((a.r_mv - 1.2).abs() < 1e-12, "{a:?}");
        assert!((a.t_mv - 0.3).abs() < 0.01, "{a:?}");
        // An inverted T keeps its sign.
        let (lead, peaks) = beats(0.8, -0.2, 0.0);
        let a = record_amplitudes(&lead, &peaks, 100.0).unwrap();
        assert!((a.t_mv + 0.2).abs() < 0.01, "{a:?}");
        // No beat with room for its windows.
        assert_eq!(record_amplitudes(&lead[..40], &[10], 100.0), None);
    }

    #[test]
    fn the_fit_tells_kept_amplitudes_from_regression_to_the_mean() {
        let truth = [0.4, 0.9, 1.3, 0.7, 2.0];
        let kept = amplitude_fit(&truth, &truth).unwrap();
        assert!((kept.spread_ratio - 1.0).abs() < 1e-12 && kept.error_slope.abs() < 1e-12);
        let mean = truth.iter().sum::<f64>() / 5.0;
        let flat = amplitude_fit(&truth, &[mean; 5]).unwrap();
        assert!(flat.spread_ratio.abs() < 1e-12 && (flat.error_slope + 1.0).abs() < 1e-12);
        let halfway: Vec<f64> = truth.iter().map(|t| 0.5 * t + 0.5 * mean).collect();
        let half = amplitude_fit(&truth, &halfway).unwrap();
        assert!((half.spread_ratio - 0.5).abs() < 1e-12);
        assert!((half.error_slope + 0.5).abs() < 1e-12);
        assert_eq!(amplitude_fit(&truth[..2], &truth[..2]), None);
        // The CI of an exact fit is a point; the difference between kept and flat amplitudes is 1.
        let (lo, hi) = amplitude_fit_with_ci(&truth, &truth, 200, 1)
            .unwrap()
            .error_slope_ci95
            .unwrap();
        assert!(lo.abs() < 1e-12 && hi.abs() < 1e-12);
        let (lo, hi) = slope_difference_ci(&truth, &[mean; 5], &truth, 200, 1).unwrap();
        assert!((lo - 1.0).abs() < 1e-12 && (hi - 1.0).abs() < 1e-12);
        assert_eq!(amplitude_fit(&[1.0; 4], &[0.5, 1.0, 1.5, 2.0]), None);
    }
}
