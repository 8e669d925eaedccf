//! Windows and window quality control (METHOD.md "Segmentation and quality control").
//!
//! Training uses windows of 256 samples with hop 64; record-level evaluation uses non-overlapping
//! windows plus a tail window ending at the last sample, reassembled into the full signal. Quality
//! control rejects windows whose per-lead amplitude (max |x|) or RMS falls outside the 0.1–99.9th
//! percentiles fitted on training windows, tolerating a configurable number of bad leads. The one
//! implementation: model training and evaluation screen their windows with it.

use super::DspError;
use super::linalg::pairwise_sum;
use serde::{Deserialize, Serialize};

/// Window length of the models (samples at 100 Hz).
pub const WINDOW_LEN: usize = 256;
/// Hop between training windows.
pub const TRAIN_HOP: usize = 64;

/// Starts of windows of `window` samples every `hop` samples that fit entirely in `len` samples
/// (0, 64, …, 704 for 1000 samples).
pub fn sliding_starts(len: usize, window: usize, hop: usize) -> Result<Vec<usize>, DspError> {
    if window == 0 || hop == 0 {
        return Err(DspError::InvalidArgument(format!(
            "window ({window}) and hop ({hop}) must be at least one sample"
        )));
    }
    if len < window {
        return Ok(Vec::new());
    }
    Ok((0..=len - window).step_by(hop).collect())
}

/// Starts of non-overlapping windows plus, when they do not reach the end, a tail window ending at
/// the last sample (0, 256, 512, 744 for 1000 samples).
pub fn evaluation_starts(len: usize, window: usize) -> Result<Vec<usize>, DspError> {
    let mut starts = sliding_starts(len, window, window)?;
    if let Some(&last) = starts.last()
        && last + window < len
    {
        starts.push(len - window);
    }
    Ok(starts)
}

/// Rebuilds a `len`-sample signal from per-window outputs at `starts`. Windows are written in order,
/// so where the tail overlaps the previous window the tail's samples win (as `out[s:s+T] = y`).
pub fn reassemble(
    len: usize,
    starts: &[usize],
    windows: &[Vec<f64>],
) -> Result<Vec<f64>, DspError> {
    if starts.len() != windows.len() {
        return Err(DspError::InvalidArgument(format!(
            "{} window starts but {} window outputs",
            starts.len(),
            windows.len()
        )));
    }
    let mut out = vec![0.0; len];
    for (&start, window) in starts.iter().zip(windows) {
        let end = start + window.len();
        let Some(dst) = out.get_mut(start..end) else {
            return Err(DspError::InvalidArgument(format!(
                "window {start}..{end} does not fit in {len} samples"
            )));
        };
        dst.copy_from_slice(window);
    }
    Ok(out)
}

/// Amplitude (max |x|) and RMS of one lead of one window, in f64 whatever the samples' type.
pub fn amplitude_and_rms<T: Copy + Into<f64>>(x: &[T]) -> (f64, f64) {
    let amplitude = x.iter().fold(0.0_f64, |m, &v| m.max(v.into().abs()));
    let squares: Vec<f64> = x.iter().map(|&v| v.into() * v.into()).collect();
    let rms = if x.is_empty() {
        0.0
    } else {
        (pairwise_sum(&squares) / x.len() as f64).sqrt()
    };
    (amplitude, rms)
}

/// `numpy.percentile(values, q)` with the default linear method; `None` for empty input.
pub fn percentile(values: &[f64], q: f64) -> Option<f64> {
    if values.is_empty() || !(0.0..=100.0).contains(&q) {
        return None;
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(|a, b| a.total_cmp(b));
    let q = q / 100.0;
    let virtual_index = (sorted.len() - 1) as f64 * q;
    let below = virtual_index.floor();
    let gamma = virtual_index - below;
    let lo = (below as usize).min(sorted.len() - 1);
    let hi = (lo + 1).min(sorted.len() - 1);
    let (a, b) = (sorted[lo], sorted[hi]);
    let diff = b - a;
    // NumPy's _lerp: from the nearer end, for monotonicity.
    Some(if gamma >= 0.5 {
        b - diff * (1.0 - gamma)
    } else {
        a + diff * gamma
    })
}

/// How quality-control thresholds are fitted and applied.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct QcConfig {
    pub low_percentile: f64,
    pub high_percentile: f64,
    /// A window is kept while at most this many leads are out of bounds (the reference uses 3).
    pub max_bad_leads: usize,
}

impl Default for QcConfig {
    fn default() -> Self {
        Self {
            low_percentile: 0.1,
            high_percentile: 99.9,
            max_bad_leads: 3,
        }
    }
}

/// Bounds of one lead.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LeadBounds {
    pub amplitude_low: f64,
    pub amplitude_high: f64,
    pub rms_low: f64,
    pub rms_high: f64,
}

/// Fitted thresholds, one entry per lead; save them beside the model (serde).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QcThresholds {
    pub config: QcConfig,
    pub leads: Vec<LeadBounds>,
}

/// Why a lead is out of bounds.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum LeadFault {
    AmplitudeLow,
    AmplitudeHigh,
    RmsLow,
    RmsHigh,
}

/// Why a window was rejected.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Rejection {
    /// A lead holds NaN or infinite samples.
    NonFinite { lead: usize },
    /// More leads than tolerated are out of bounds; lists every faulty lead.
    BadLeads { faults: Vec<(usize, LeadFault)> },
    /// The window has a different number of leads than the thresholds.
    LeadCount { expected: usize, got: usize },
}

impl std::fmt::Display for Rejection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::NonFinite { lead } => write!(f, "lead {lead} has non-finite samples"),
            Self::BadLeads { faults } => {
                write!(f, "{} leads out of bounds:", faults.len())?;
                for (lead, fault) in faults {
                    write!(f, " lead {lead} {fault:?};")?;
                }
                Ok(())
            }
            Self::LeadCount { expected, got } => {
                write!(f, "window has {got} leads, thresholds have {expected}")
            }
        }
    }
}

impl QcThresholds {
    /// Fits per-lead percentiles on training windows (`windows[w][lead]` = samples).
    pub fn fit<T: Copy + Into<f64>>(
        windows: &[Vec<&[T]>],
        config: QcConfig,
    ) -> Result<Self, DspError> {
        if !(0.0..=100.0).contains(&config.low_percentile)
            || !(0.0..=100.0).contains(&config.high_percentile)
            || config.low_percentile >= config.high_percentile
        {
            return Err(DspError::InvalidConfig(format!(
                "percentiles must satisfy 0 ≤ low ({}) < high ({}) ≤ 100",
                config.low_percentile, config.high_percentile
            )));
        }
        let n_leads = windows.first().map_or(0, Vec::len);
        if n_leads == 0 {
            return Err(DspError::InvalidArgument(
                "no training windows to fit thresholds on".to_owned(),
            ));
        }
        let mut amplitudes = vec![Vec::with_capacity(windows.len()); n_leads];
        let mut rms = vec![Vec::with_capacity(windows.len()); n_leads];
        for window in windows {
            if window.len() != n_leads {
                return Err(DspError::InvalidArgument(format!(
                    "training windows have {} and {} leads",
                    n_leads,
                    window.len()
                )));
            }
            // Windows with non-finite samples would poison the percentiles: skip them.
            if window
                .iter()
                .any(|lead| lead.iter().any(|&v| !v.into().is_finite()))
            {
                continue;
            }
            for (lead, samples) in window.iter().enumerate() {
                let (a, r) = amplitude_and_rms(samples);
                amplitudes[lead].push(a);
                rms[lead].push(r);
            }
        }
        let pct = |v: &[f64], q: f64| {
            percentile(v, q).ok_or_else(|| {
                DspError::InvalidArgument("no finite training windows to fit thresholds".to_owned())
            })
        };
        let leads = (0..n_leads)
            .map(|lead| {
                Ok(LeadBounds {
                    amplitude_low: pct(&amplitudes[lead], config.low_percentile)?,
                    amplitude_high: pct(&amplitudes[lead], config.high_percentile)?,
                    rms_low: pct(&rms[lead], config.low_percentile)?,
                    rms_high: pct(&rms[lead], config.high_percentile)?,
                })
            })
            .collect::<Result<Vec<_>, DspError>>()?;
        Ok(Self { config, leads })
    }

    /// `None` when the window is accepted, else why it is rejected.
    pub fn check<T: Copy + Into<f64>>(&self, window: &[&[T]]) -> Option<Rejection> {
        if window.len() != self.leads.len() {
            return Some(Rejection::LeadCount {
                expected: self.leads.len(),
                got: window.len(),
            });
        }
        if let Some(lead) = window
            .iter()
            .position(|l| l.iter().any(|&v| !v.into().is_finite()))
        {
            return Some(Rejection::NonFinite { lead });
        }
        let mut faults = Vec::new();
        for (lead, (samples, bounds)) in window.iter().zip(&self.leads).enumerate() {
            let (a, r) = amplitude_and_rms(samples);
            let fault = if a < bounds.amplitude_low {
                Some(LeadFault::AmplitudeLow)
            } else if a > bounds.amplitude_high {
                Some(LeadFault::AmplitudeHigh)
            } else if r < bounds.rms_low {
                Some(LeadFault::RmsLow)
            } else if r > bounds.rms_high {
                Some(LeadFault::RmsHigh)
            } else {
                None
            };
            if let Some(fault) = fault {
                faults.push((lead, fault));
            }
        }
        (faults.len() > self.config.max_bad_leads).then_some(Rejection::BadLeads { faults })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn starts_match_method() {
        let train = sliding_starts(1000, WINDOW_LEN, TRAIN_HOP).unwrap_or_default();
        assert_eq!(train, (0..=704).step_by(64).collect::<Vec<_>>());
        assert_eq!(train.len(), 12);
        assert_eq!(evaluation_starts(1000, 256), Ok(vec![0, 256, 512, 744]));
        assert_eq!(evaluation_starts(768, 256), Ok(vec![0, 256, 512]));
        assert_eq!(evaluation_starts(100, 256), Ok(vec![]));
    }

    #[test]
    fn reassembly_rebuilds_the_signal() {
        let x: Vec<f64> = (0..1000).map(|i| i as f64).collect();
        let starts = evaluation_starts(1000, 256).unwrap_or_default();
        let windows: Vec<Vec<f64>> = starts.iter().map(|&s| x[s..s + 256].to_vec()).collect();
        assert_eq!(reassemble(1000, &starts, &windows), Ok(x));
        assert!(reassemble(100, &starts, &windows).is_err());
    }

    #[test]
    fn percentile_matches_numpy() {
        // np.percentile([1, 2, 3, 4, 10], [0.1, 50, 99.9]) = [1.004, 3.0, 9.976]
        let v = [10.0, 1.0, 3.0, 2.0, 4.0];
        assert!((percentile(&v, 0.1).unwrap_or(0.0) - 1.004).abs() < 1e-12);
        assert_eq!(percentile(&v, 50.0), Some(3.0));
        assert!((percentile(&v, 99.9).unwrap_or(0.0) - 9.976).abs() < 1e-12);
        assert_eq!(percentile(&[], 50.0), None);
    }

    #[test]
    fn qc_rejects_with_reasons() {
        let lead: Vec<f64> = (0..256).map(|i| (i as f64 * 0.1).sin()).collect();
        let quiet: Vec<f64> = lead.iter().map(|v| v * 0.5).collect();
        let big: Vec<f64> = lead.iter().map(|v| v * 2.0).collect();
        let train: Vec<Vec<&[f64]>> = vec![
            vec![&lead[..], &lead[..]],
            vec![&quiet[..], &quiet[..]],
            vec![&big[..], &big[..]],
        ];
        let config = QcConfig {
            max_bad_leads: 1,
            ..QcConfig::default()
        };
        let qc = QcThresholds::fit(&train, config);
        let Ok(qc) = qc else {
            panic!("fit failed: {qc:?}");
        };
        assert_eq!(qc.check(&[&lead, &lead]), None);
        let loud: Vec<f64> = lead.iter().map(|v| v * 10.0).collect();
        assert_eq!(qc.check(&[&loud, &lead]), None, "one bad lead is tolerated");
        assert_eq!(
            qc.check(&[&loud, &loud]),
            Some(Rejection::BadLeads {
                faults: vec![(0, LeadFault::AmplitudeHigh), (1, LeadFault::AmplitudeHigh)]
            })
        );
        let mut nan = lead.clone();
        nan[3] = f64::NAN;
        assert_eq!(
            qc.check(&[&lead, &nan]),
            Some(Rejection::NonFinite { lead: 1 })
        );
        assert!(matches!(
            qc.check(&[&lead]),
            Some(Rejection::LeadCount { .. })
        ));
        let text = ron::to_string(&qc).unwrap_or_default();
        assert_eq!(ron::from_str::<QcThresholds>(&text).ok(), Some(qc));
    }
}
