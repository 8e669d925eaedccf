//! Signal conditioning: the cleaning, resampling, windowing, R-peak detection and spectra that the
//! method (METHOD.md) relies on, written to reproduce SciPy's reference numbers exactly.
//!
//! Everything here is a pure function on `&[f64]` that returns a [`DspError`] instead of panicking.
//! It knows nothing of files, datasets or models: callers hand it samples and a sampling rate.

pub mod bench;
pub mod clean;
pub mod filter;
pub mod medfilt;
pub mod resample;
pub mod rpeaks;
pub mod segment;
pub mod spectrum;

mod complex;
mod linalg;

/// Everything that can go wrong in signal conditioning; each message is one line a user can act on.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DspError {
    /// A filter could not be designed from the given parameters.
    #[error("invalid filter design: {0}")]
    FilterDesign(String),
    /// A signal is too short for the requested operation.
    #[error("signal of {len} samples is too short: {what} needs more than {needed} samples")]
    TooShort {
        len: usize,
        needed: usize,
        what: &'static str,
    },
    /// A parameter is out of its valid range.
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
    /// A cleaning or quality-control configuration value is out of range.
    #[error("invalid config: {0}")]
    InvalidConfig(String),
    /// Leads passed together have different lengths.
    #[error("leads have different lengths ({first} and {other} samples)")]
    LengthMismatch { first: usize, other: usize },
}

#[cfg(test)]
mod hostile_input_tests {
    //! Every public entry point on inputs a file or a user could produce: no panics, only errors.
    use super::clean::{CleanConfig, OutputLength, clean_lead};
    use super::filter::{self, BandType};
    use super::{medfilt, resample, rpeaks, segment, spectrum};

    fn signals() -> Vec<Vec<f64>> {
        let mut out = vec![
            vec![],
            vec![1.0],
            vec![0.0; 2],
            vec![f64::NAN; 50],
            vec![f64::INFINITY, -1.0, 2.0, f64::NEG_INFINITY, 0.0],
            (0..3000)
                .map(|i| {
                    if i % 7 == 0 {
                        f64::NAN
                    } else {
                        (i as f64).sin()
                    }
                })
                .collect(),
            vec![1e300; 400],
            vec![-0.0; 120],
        ];
        out.push(
            (0..5000)
                .map(|i| (i as f64 * 0.37).cos() * 1e-300)
                .collect(),
        );
        out
    }

    #[test]
    fn no_panics_anywhere() {
        let rates = [
            0.0,
            -1.0,
            f64::NAN,
            f64::INFINITY,
            1e-300,
            1.0,
            100.0,
            257.0,
            500.0,
            1e12,
        ];
        let cutoffs = [f64::NAN, -1.0, 0.0, 0.5, 45.0, 1e9];
        for x in signals() {
            for &fs in &rates {
                for &f in &cutoffs {
                    for band in [BandType::LowPass, BandType::HighPass] {
                        for order in [0, 1, 4, 65] {
                            if let Ok(ba) = filter::butter_ba(order, band, &[f], fs) {
                                filter::filtfilt(&ba.b, &ba.a, &x).ok();
                                filter::lfilter(&ba.b, &ba.a, &x, None).ok();
                            }
                            if let Ok(sos) = filter::butter_sos(order, band, &[f], fs) {
                                filter::sosfiltfilt(&sos, &x).ok();
                            }
                        }
                    }
                    filter::butter_ba(4, BandType::BandPass, &[f, 45.0], fs).ok();
                    filter::butter_sos(3, BandType::BandStop, &[0.5, f], fs).ok();
                    filter::iirnotch(f, 30.0, fs).ok();
                    filter::iirnotch(50.0, f, fs).ok();
                }
                resample::rational_factors(fs, 100.0).ok();
                resample::rational_factors(100.0, fs).ok();
                rpeaks::detect(&[&x], fs, &rpeaks::RPeakConfig::default()).ok();
                rpeaks::reference_peaks(&x, fs).ok();
                spectrum::welch(&x, fs, 256).ok();
                spectrum::welch(&x, fs, 1).ok();
                medfilt::remove_baseline(&x, fs, 0.6).ok();
                let cfg = CleanConfig {
                    length: OutputLength::Full,
                    ..CleanConfig::default()
                };
                clean_lead(&x, fs, &cfg).ok();
                clean_lead(&x, fs, &CleanConfig::default()).ok();
            }
            for w in [0, 1, 2, 3, 61, 1001, usize::MAX] {
                medfilt::medfilt(&x, w).ok();
            }
            for (up, down) in [(0, 1), (1, 0), (1, 5), (100, 257), (7, 3), (usize::MAX, 1)] {
                resample::resample_poly(&x, up, down).ok();
            }
            filter::lfilter(&[1.0], &[0.0], &x, None).ok();
            filter::lfilter(&[f64::NAN, 1.0], &[1.0, f64::NAN], &x, Some(&[0.0])).ok();
            filter::filtfilt(&[], &[], &x).ok();
            filter::sosfiltfilt(&[[1.0, 0.0, 0.0, 1.0, 2.0, 1.0]], &x).ok();
            filter::sosfiltfilt(&[], &x).ok();
            segment::percentile(&x, 50.0);
            segment::percentile(&x, f64::NAN);
            segment::sliding_starts(x.len(), 256, 0).ok();
            segment::evaluation_starts(x.len(), 0).ok();
            segment::amplitude_and_rms(&x);
            rpeaks::find_peaks(&x, Some(f64::NAN), Some(f64::INFINITY));
            rpeaks::find_peaks(&x, Some(f64::INFINITY), None);
            super::super::wfdb::annotation::parse(
                &x.iter().flat_map(|v| v.to_le_bytes()).collect::<Vec<u8>>(),
            )
            .ok();
        }
        let huge = CleanConfig {
            length: OutputLength::Fixed(usize::MAX),
            ..CleanConfig::default()
        };
        assert!(huge.validate().is_err());
    }
}
