//! R-peak detection on 12-lead (or fewer) ECGs at any sampling rate: used to centre the contrastive
//! view on a beat and to mark beats in the viewer. Not a rhythm classifier.
//!
//! The detector is an energy detector in the Pan–Tompkins family made multi-lead: each lead is
//! band-passed to the QRS band (zero-phase), differentiated and squared; the energies are normalised
//! per lead (so one noisy lead cannot dominate) and summed; a 120 ms moving average gives one bump
//! per QRS. Bumps above a fraction of the typical beat's height are beats; long gaps are searched
//! again at a lower threshold. Each beat is then placed on the largest deflection of the QRS.

use super::DspError;
use super::filter::{self, BandType};
use super::segment::percentile;

/// Tunables of [`detect`]; the defaults were chosen on LUDB (see `tests/rpeaks_ludb.rs`).
#[derive(Debug, Clone, PartialEq)]
pub struct RPeakConfig {
    /// QRS band (Hz); the upper edge is clipped below Nyquist.
    pub band_hz: (f64, f64),
    /// Moving-average length (s).
    pub integration_s: f64,
    /// Minimum distance between beats (s).
    pub refractory_s: f64,
    /// Threshold as a fraction of the typical beat's energy.
    pub threshold: f64,
    /// Lower threshold used in search-back over long gaps.
    pub search_back_threshold: f64,
    /// A gap longer than this multiple of the median RR interval is searched again.
    pub search_back_gap: f64,
}

impl Default for RPeakConfig {
    fn default() -> Self {
        Self {
            band_hz: (8.0, 30.0),
            integration_s: 0.12,
            refractory_s: 0.25,
            threshold: 0.25,
            search_back_threshold: 0.1,
            search_back_gap: 1.5,
        }
    }
}

/// R-peak sample indices for the given leads (all sampled at `fs_hz`, same length).
pub fn detect(leads: &[&[f64]], fs_hz: f64, cfg: &RPeakConfig) -> Result<Vec<usize>, DspError> {
    if !(20.0..=1e6).contains(&fs_hz) {
        return Err(DspError::InvalidArgument(format!(
            "R-peak detection needs a sampling rate between 20 Hz and 1 MHz, got {fs_hz}"
        )));
    }
    let Some(first) = leads.first() else {
        return Ok(Vec::new());
    };
    let n = first.len();
    if let Some(other) = leads.iter().find(|l| l.len() != n) {
        return Err(DspError::LengthMismatch {
            first: n,
            other: other.len(),
        });
    }
    let refractory = ((cfg.refractory_s * fs_hz).round() as usize).max(1);
    let integration = ((cfg.integration_s * fs_hz).round() as usize).max(1);
    if n <= 2 * refractory {
        return Ok(Vec::new());
    }
    let high = filter::clip_below_nyquist(cfg.band_hz.1, fs_hz);
    let low = cfg.band_hz.0.min(high / 2.0);
    let sos = filter::butter_sos(2, BandType::BandPass, &[low, high], fs_hz)?;

    // Per-lead normalised energy of the derivative, summed over leads.
    let mut energy = vec![0.0; n];
    let mut bandpassed: Vec<Vec<f64>> = Vec::with_capacity(leads.len());
    for lead in leads {
        // Non-finite samples (gaps) are treated as zeros so one bad lead cannot poison the sum.
        let clean: Vec<f64> = lead
            .iter()
            .map(|v| if v.is_finite() { *v } else { 0.0 })
            .collect();
        let y = match filter::sosfiltfilt(&sos, &clean) {
            Ok(y) => y,
            Err(DspError::TooShort { .. }) => return Ok(Vec::new()),
            Err(e) => return Err(e),
        };
        let mut e: Vec<f64> = (0..n)
            .map(|i| {
                let d = y[(i + 1).min(n - 1)] - y[i.saturating_sub(1)];
                d * d
            })
            .collect();
        let scale = percentile(&e, 99.0).unwrap_or(0.0);
        if scale > 0.0 && scale.is_finite() {
            for v in &mut e {
                *v = (*v / scale).min(4.0);
            }
            for (acc, v) in energy.iter_mut().zip(&e) {
                *acc += v;
            }
        }
        bandpassed.push(y);
    }
    let envelope = moving_average(&energy, integration);

    // Candidate bumps: local maxima, at least one refractory period apart (highest first).
    let mut candidates: Vec<usize> = (1..n - 1)
        .filter(|&i| envelope[i] > envelope[i - 1] && envelope[i] >= envelope[i + 1])
        .collect();
    candidates = keep_distant(&candidates, &envelope, refractory);
    if candidates.is_empty() {
        return Ok(Vec::new());
    }
    // The typical beat: the median of the tallest bumps, one per ~1.2 s (heart rate ≥ 50/min).
    let mut heights: Vec<f64> = candidates.iter().map(|&i| envelope[i]).collect();
    heights.sort_by(|a, b| b.total_cmp(a));
    let expected_beats = ((n as f64 / fs_hz) / 1.2).floor().max(1.0) as usize;
    let top = &heights[..expected_beats.min(heights.len())];
    let typical = top[top.len() / 2];
    let mut beats: Vec<usize> = candidates
        .iter()
        .copied()
        .filter(|&i| envelope[i] >= cfg.threshold * typical)
        .collect();

    // Search back over gaps much longer than the median RR interval.
    if beats.len() >= 3 {
        let mut rr: Vec<f64> = beats.windows(2).map(|w| (w[1] - w[0]) as f64).collect();
        rr.sort_by(|a, b| a.total_cmp(b));
        let median_rr = rr[rr.len() / 2];
        let mut added = Vec::new();
        let bounds: Vec<(usize, usize)> = std::iter::once(0)
            .chain(beats.iter().copied())
            .zip(beats.iter().copied().chain(std::iter::once(n - 1)))
            .collect();
        for (a, b) in bounds {
            if ((b - a) as f64) < cfg.search_back_gap * median_rr {
                continue;
            }
            let best = candidates
                .iter()
                .copied()
                .filter(|&i| i > a + refractory && i + refractory < b)
                .filter(|&i| envelope[i] >= cfg.search_back_threshold * typical)
                .max_by(|&x, &y| envelope[x].total_cmp(&envelope[y]));
            added.extend(best);
        }
        beats.extend(added);
        beats.sort_unstable();
    }

    // Place each beat on the largest band-passed deflection within ±half the integration window.
    let radius = integration / 2 + 1;
    Ok(beats
        .into_iter()
        .map(|i| {
            let lo = i.saturating_sub(radius);
            let hi = (i + radius).min(n - 1);
            (lo..=hi)
                .max_by(|&x, &y| {
                    let fx: f64 = bandpassed.iter().map(|l| l[x].abs()).sum();
                    let fy: f64 = bandpassed.iter().map(|l| l[y].abs()).sum();
                    fx.total_cmp(&fy)
                })
                .unwrap_or(i)
        })
        .collect())
}

/// The reference scripts' R peaks for the R-peak-centred view: `scipy.signal.find_peaks` on lead II
/// with peaks at least 0.2 s apart and prominence at least `max(0.1, 0.4 · std(x))` (METHOD.md).
/// Kept separate from [`detect`] so the contrastive view matches the paper exactly.
pub fn reference_peaks(lead_ii: &[f64], fs_hz: f64) -> Result<Vec<usize>, DspError> {
    if !(fs_hz.is_finite() && fs_hz > 0.0) {
        return Err(DspError::InvalidArgument(format!(
            "sampling rate must be positive, got {fs_hz} Hz"
        )));
    }
    if lead_ii.is_empty() {
        return Ok(Vec::new());
    }
    let n = lead_ii.len() as f64;
    let mean = super::linalg::pairwise_sum(lead_ii) / n;
    let deviations: Vec<f64> = lead_ii.iter().map(|v| (v - mean).abs().powi(2)).collect();
    let std = (super::linalg::pairwise_sum(&deviations) / n).sqrt();
    let prominence = (0.4 * std).max(0.1);
    Ok(find_peaks(lead_ii, Some(0.2 * fs_hz), Some(prominence)))
}

/// `scipy.signal.find_peaks(x, distance=distance, prominence=min_prominence)`: local maxima (the
/// middle of flat tops), thinned by distance (highest first), then kept by prominence.
pub fn find_peaks(x: &[f64], distance: Option<f64>, min_prominence: Option<f64>) -> Vec<usize> {
    let mut peaks = local_maxima(x);
    if let Some(distance) = distance {
        let distance = distance.ceil().max(1.0) as usize;
        let heights: Vec<f64> = peaks.iter().map(|&p| x[p]).collect();
        let mut order: Vec<usize> = (0..peaks.len()).collect();
        order.sort_by(|&a, &b| heights[a].total_cmp(&heights[b]));
        let mut keep = vec![true; peaks.len()];
        for &j in order.iter().rev() {
            if !keep[j] {
                continue;
            }
            let mut k = j;
            while k > 0 && peaks[j] - peaks[k - 1] < distance {
                keep[k - 1] = false;
                k -= 1;
            }
            let mut k = j + 1;
            while k < peaks.len() && peaks[k] - peaks[j] < distance {
                keep[k] = false;
                k += 1;
            }
        }
        peaks = peaks
            .iter()
            .zip(&keep)
            .filter(|(_, k)| **k)
            .map(|(p, _)| *p)
            .collect();
    }
    if let Some(min_prominence) = min_prominence {
        peaks.retain(|&p| prominence(x, p) >= min_prominence);
    }
    peaks
}

/// Local maxima as SciPy's `_local_maxima_1d`: strictly higher than the left neighbour and than
/// the first different sample to the right; a flat top reports its middle (rounded down).
fn local_maxima(x: &[f64]) -> Vec<usize> {
    let mut peaks = Vec::new();
    if x.len() < 3 {
        return peaks;
    }
    let i_max = x.len() - 1;
    let mut i = 1;
    while i < i_max {
        if x[i - 1] < x[i] {
            let mut ahead = i + 1;
            while ahead < i_max && x[ahead] == x[i] {
                ahead += 1;
            }
            if x[ahead] < x[i] {
                peaks.push((i + ahead - 1) / 2);
                i = ahead;
            }
        }
        i += 1;
    }
    peaks
}

/// Prominence of the peak at `p` (`scipy.signal.peak_prominences` without `wlen`).
fn prominence(x: &[f64], p: usize) -> f64 {
    let top = x[p];
    let mut left_min = top;
    let mut i = p;
    loop {
        if x[i] > top {
            break;
        }
        left_min = left_min.min(x[i]);
        if i == 0 {
            break;
        }
        i -= 1;
    }
    let mut right_min = top;
    for &v in &x[p..] {
        if v > top {
            break;
        }
        right_min = right_min.min(v);
    }
    top - left_min.max(right_min)
}

/// Centred moving average of odd length around `len` samples (shorter at the edges).
fn moving_average(x: &[f64], len: usize) -> Vec<f64> {
    let half = len / 2;
    let mut prefix = Vec::with_capacity(x.len() + 1);
    prefix.push(0.0);
    for v in x {
        let last = prefix.last().copied().unwrap_or(0.0);
        prefix.push(last + v);
    }
    (0..x.len())
        .map(|i| {
            let lo = i.saturating_sub(half);
            let hi = (i + half + 1).min(x.len());
            (prefix[hi] - prefix[lo]) / (hi - lo) as f64
        })
        .collect()
}

/// Keeps the highest peaks so that no two are closer than `distance` (as `find_peaks(distance=)`).
fn keep_distant(peaks: &[usize], height: &[f64], distance: usize) -> Vec<usize> {
    let mut order: Vec<usize> = (0..peaks.len()).collect();
    order.sort_by(|&a, &b| height[peaks[b]].total_cmp(&height[peaks[a]]));
    let mut keep = vec![true; peaks.len()];
    for &k in &order {
        if !keep[k] {
            continue;
        }
        let p = peaks[k];
        let mut j = k;
        while j > 0 && p - peaks[j - 1] < distance {
            j -= 1;
            keep[j] = false;
        }
        let mut j = k + 1;
        while j < peaks.len() && peaks[j] - p < distance {
            keep[j] = false;
            j += 1;
        }
    }
    peaks
        .iter()
        .zip(&keep)
        .filter(|(_, k)| **k)
        .map(|(p, _)| *p)
        .collect()
}

/// Sensitivity and positive predictive value of detections against reference beats.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct BeatMatch {
    pub true_positives: usize,
    pub false_negatives: usize,
    pub false_positives: usize,
}

impl BeatMatch {
    pub fn sensitivity(&self) -> f64 {
        self.true_positives as f64 / (self.true_positives + self.false_negatives).max(1) as f64
    }

    pub fn ppv(&self) -> f64 {
        self.true_positives as f64 / (self.true_positives + self.false_positives).max(1) as f64
    }

    pub fn add(&mut self, other: BeatMatch) {
        self.true_positives += other.true_positives;
        self.false_negatives += other.false_negatives;
        self.false_positives += other.false_positives;
    }
}

/// Matches detections to reference beats one-to-one within `tolerance` samples. Detections outside
/// `[first reference − tolerance, last reference + tolerance]` are ignored (annotated databases such
/// as LUDB only annotate the middle of each record).
pub fn match_beats(reference: &[usize], detected: &[usize], tolerance: usize) -> BeatMatch {
    let (Some(&first), Some(&last)) = (reference.first(), reference.last()) else {
        return BeatMatch::default();
    };
    let lo = first.saturating_sub(tolerance);
    let hi = last + tolerance;
    let detected: Vec<usize> = detected
        .iter()
        .copied()
        .filter(|&d| d >= lo && d <= hi)
        .collect();
    let mut used = vec![false; detected.len()];
    let mut tp = 0;
    for &r in reference {
        let best = detected
            .iter()
            .enumerate()
            .filter(|(k, d)| !used[*k] && d.abs_diff(r) <= tolerance)
            .min_by_key(|(_, d)| d.abs_diff(r))
            .map(|(k, _)| k);
        if let Some(k) = best {
            used[k] = true;
            tp += 1;
        }
    }
    BeatMatch {
        true_positives: tp,
        false_negatives: reference.len() - tp,
        false_positives: detected.len() - tp,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A crude synthetic ECG: narrow Gaussian R waves every `rr` seconds plus a slow T wave.
    fn synthetic(fs: f64, seconds: f64, rr: f64) -> (Vec<f64>, Vec<usize>) {
        let n = (fs * seconds) as usize;
        let beats: Vec<f64> = (0..)
            .map(|k| 0.4 + k as f64 * rr)
            .take_while(|t| *t < seconds - 0.3)
            .collect();
        let x = (0..n)
            .map(|i| {
                let t = i as f64 / fs;
                beats
                    .iter()
                    .map(|b| {
                        let r = (-((t - b) / 0.012).powi(2)).exp();
                        let tw = 0.3 * (-((t - b - 0.3) / 0.06).powi(2)).exp();
                        r + tw
                    })
                    .sum::<f64>()
                    + 0.2 * (t * 0.5).sin()
            })
            .collect();
        (x, beats.iter().map(|b| (b * fs).round() as usize).collect())
    }

    #[test]
    fn finds_synthetic_beats_at_several_rates() {
        for fs in [100.0, 257.0, 500.0, 1000.0] {
            let (x, truth) = synthetic(fs, 10.0, 0.8);
            let found = detect(&[&x], fs, &RPeakConfig::default()).unwrap_or_default();
            let m = match_beats(&truth, &found, (0.05 * fs) as usize);
            assert_eq!(
                (m.false_negatives, m.false_positives),
                (0, 0),
                "fs {fs}: {found:?}"
            );
        }
    }

    #[test]
    fn degenerate_input_gives_no_beats_not_a_panic() {
        let cfg = RPeakConfig::default();
        assert_eq!(detect(&[], 100.0, &cfg), Ok(vec![]));
        assert_eq!(detect(&[&[0.0; 10]], 100.0, &cfg), Ok(vec![]));
        assert_eq!(detect(&[&[0.0; 1000]], 100.0, &cfg), Ok(vec![]));
        assert_eq!(detect(&[&[f64::NAN; 1000]], 100.0, &cfg), Ok(vec![]));
        assert!(detect(&[&[0.0; 1000]], 0.0, &cfg).is_err());
        assert!(detect(&[&[0.0; 100], &[0.0; 90]], 100.0, &cfg).is_err());
    }

    #[test]
    fn find_peaks_handles_plateaus_distance_and_prominence() {
        let x = [0.0, 1.0, 1.0, 1.0, 0.0, 0.5, 0.4, 3.0, 0.0, 2.9, 0.0];
        assert_eq!(find_peaks(&x, None, None), vec![2, 5, 7, 9]);
        assert_eq!(find_peaks(&x, Some(3.0), None), vec![2, 7]);
        assert_eq!(find_peaks(&x, None, Some(0.9)), vec![2, 7, 9]);
        assert!(find_peaks(&[], Some(2.0), Some(1.0)).is_empty());
        assert_eq!(reference_peaks(&[], 100.0), Ok(vec![]));
    }

    #[test]
    fn matching_counts() {
        let m = match_beats(&[100, 200, 300], &[10, 102, 250, 305, 900], 10);
        assert_eq!(
            m,
            BeatMatch {
                true_positives: 2,
                false_negatives: 1,
                false_positives: 1
            }
        );
    }
}
