//! Welch power spectral density, matching `scipy.signal.welch(x, fs)` defaults: periodic Hann
//! window, `nperseg = 256` (or the whole signal when shorter), 50 % overlap, constant detrend,
//! density scaling, one-sided. Used to compare raw and cleaned spectra (powerline, baseline wander).

use super::DspError;
use super::linalg::pairwise_sum;
use rustfft::FftPlanner;
use rustfft::num_complex::Complex;

/// A one-sided power spectral density.
#[derive(Debug, Clone, PartialEq)]
pub struct Psd {
    /// Frequencies of the bins (Hz).
    pub freqs_hz: Vec<f64>,
    /// Power per Hz (signal units² / Hz).
    pub power: Vec<f64>,
}

/// Periodic Hann window of length `m` computed as SciPy's `general_cosine` does.
fn hann_periodic(m: usize) -> Vec<f64> {
    let big_m = m + 1;
    if big_m == 1 {
        return vec![1.0];
    }
    let start = -std::f64::consts::PI;
    let step = (std::f64::consts::PI - start) / (big_m - 1) as f64;
    (0..m)
        .map(|n| {
            let fac = if n == big_m - 1 {
                std::f64::consts::PI
            } else {
                n as f64 * step + start
            };
            0.5 + 0.5 * fac.cos()
        })
        .collect()
}

/// Welch PSD with SciPy's defaults and a segment length of `nperseg` (SciPy's default is 256).
pub fn welch(x: &[f64], fs_hz: f64, nperseg: usize) -> Result<Psd, DspError> {
    if !(fs_hz.is_finite() && fs_hz > 0.0) {
        return Err(DspError::InvalidArgument(format!(
            "sampling rate must be positive, got {fs_hz} Hz"
        )));
    }
    if x.is_empty() || nperseg == 0 {
        return Err(DspError::TooShort {
            len: x.len(),
            needed: 0,
            what: "Welch PSD",
        });
    }
    let nperseg = nperseg.min(x.len());
    let noverlap = nperseg / 2;
    let step = nperseg - noverlap;
    let n_segments = (x.len() - nperseg) / step + 1;
    let win = hann_periodic(nperseg);
    let win_sq: Vec<f64> = win.iter().map(|w| w * w).collect();
    let scale = 1.0 / (fs_hz * pairwise_sum(&win_sq));
    let nfft = nperseg;
    let n_bins = nfft / 2 + 1;
    let fft = FftPlanner::<f64>::new().plan_fft_forward(nfft);
    let mut buffer = vec![Complex::new(0.0, 0.0); nfft];
    let mut per_bin: Vec<Vec<f64>> = vec![Vec::with_capacity(n_segments); n_bins];
    for seg in 0..n_segments {
        let segment = &x[seg * step..seg * step + nperseg];
        let mean = pairwise_sum(segment) / nperseg as f64;
        for ((b, v), w) in buffer.iter_mut().zip(segment).zip(&win) {
            *b = Complex::new(w * (v - mean), 0.0);
        }
        fft.process(&mut buffer);
        for (k, bin) in per_bin.iter_mut().enumerate() {
            let c = buffer[k];
            let mut p = (c.re * c.re + c.im * c.im) * scale;
            let is_nyquist = nfft.is_multiple_of(2) && k == nfft / 2;
            if k != 0 && !is_nyquist {
                p *= 2.0;
            }
            bin.push(p);
        }
    }
    let power = per_bin
        .iter()
        .map(|bin| pairwise_sum(bin) / n_segments as f64)
        .collect();
    let freqs_hz = (0..n_bins)
        .map(|k| k as f64 * fs_hz / nfft as f64)
        .collect();
    Ok(Psd { freqs_hz, power })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sine_peaks_at_its_frequency() {
        let fs = 100.0;
        let x: Vec<f64> = (0..1000)
            .map(|i| (2.0 * std::f64::consts::PI * 10.0 * i as f64 / fs).sin())
            .collect();
        let psd = welch(&x, fs, 256);
        let Ok(psd) = psd else {
            panic!("{psd:?}");
        };
        let peak = psd
            .power
            .iter()
            .enumerate()
            .max_by(|a, b| a.1.total_cmp(b.1))
            .map(|(i, _)| psd.freqs_hz[i]);
        assert!(peak.is_some_and(|f| (f - 10.0).abs() < 0.5), "{peak:?}");
        assert!(welch(&[], fs, 256).is_err());
    }
}
