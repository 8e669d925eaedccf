//! The vectorcardiogram's loops: which samples belong to the P, QRS and T waves, and the QRS axis.
//!
//! Waves are fixed intervals around each R peak (not a delineation): enough to colour the loops and
//! find the electrical axis, as a teaching view does.

use super::dipole::Vcg;

/// A wave of the cardiac cycle.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Wave {
    P,
    Qrs,
    T,
}

impl Wave {
    pub fn name(self) -> &'static str {
        match self {
            Self::P => "P",
            Self::Qrs => "QRS",
            Self::T => "T",
        }
    }
}

/// Each sample's wave, from R peaks at sampling rate `fs_hz`: QRS from 50 ms before the peak to 60 ms
/// after, P from 250 ms to 90 ms before, T from 100 ms after to 450 ms (or 60 % of the next RR
/// interval, whichever is shorter).
pub fn waves(len: usize, r_peaks: &[usize], fs_hz: f64) -> Vec<Option<Wave>> {
    let samples = |seconds: f64| (seconds * fs_hz).round() as isize;
    let mut out = vec![None; len];
    let mut mark = |from: isize, to: isize, wave: Wave| {
        let from = from.clamp(0, len as isize) as usize;
        let to = to.clamp(0, len as isize) as usize;
        for slot in out.iter_mut().take(to).skip(from) {
            // The QRS wins where intervals of neighbouring beats overlap.
            if *slot != Some(Wave::Qrs) {
                *slot = Some(wave);
            }
        }
    };
    for (k, &peak) in r_peaks.iter().enumerate() {
        let r = peak as isize;
        let t_end = match r_peaks.get(k + 1) {
            Some(&next) => samples(0.45).min((0.6 * (next as isize - r) as f64) as isize),
            None => samples(0.45),
        };
        mark(r - samples(0.25), r - samples(0.09), Wave::P);
        mark(r + samples(0.10), r + t_end, Wave::T);
    }
    for &peak in r_peaks {
        let r = peak as isize;
        mark(r - samples(0.05), r + samples(0.06), Wave::Qrs);
    }
    out
}

/// The frontal-plane axis of a wave in degrees (0° = lead I, +90° = aVF): the direction of the
/// wave's mean vector in X and Y. `None` where the wave has no samples or no net area.
pub fn frontal_axis_deg(vcg: &Vcg, waves: &[Option<Wave>], wave: Wave) -> Option<f64> {
    let (mut x, mut y) = (0.0, 0.0);
    for (t, _) in waves.iter().enumerate().filter(|(_, w)| **w == Some(wave)) {
        x += vcg.x.get(t)?;
        y += vcg.y.get(t)?;
    }
    (x.hypot(y) > 0.0).then(|| y.atan2(x).to_degrees())
}

/// Whether a frontal QRS axis lies outside the normal range of −30° to +90°.
pub fn axis_is_deviated(axis_deg: f64) -> bool {
    !(-30.0..=90.0).contains(&axis_deg)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waves_around_each_peak() {
        let waves = waves(300, &[100, 170], 100.0);
        assert_eq!(waves[100], Some(Wave::Qrs));
        assert_eq!(waves[95], Some(Wave::Qrs));
        assert_eq!(waves[94], None);
        assert_eq!(waves[80], Some(Wave::P));
        assert_eq!(waves[115], Some(Wave::T));
        // T of the first beat ends at 60 % of its RR interval, before the next P.
        assert_eq!(waves[141], Some(Wave::T));
        assert_eq!(waves[142], None);
        assert_eq!(waves[150], Some(Wave::P));
        // The last beat's T runs 450 ms.
        assert_eq!(waves[214], Some(Wave::T));
        assert_eq!(waves[215], None);
        assert_eq!(waves[0], None);
    }

    #[test]
    fn axis_of_a_wave() {
        let vcg = Vcg {
            x: vec![0.0, 1.0, 1.0, 0.0],
            y: vec![0.0, 1.0, 1.0, 5.0],
            z: vec![0.0; 4],
        };
        let waves = [None, Some(Wave::Qrs), Some(Wave::Qrs), Some(Wave::T)];
        let axis = frontal_axis_deg(&vcg, &waves, Wave::Qrs).unwrap();
        assert!((axis - 45.0).abs() < 1e-12);
        assert!((frontal_axis_deg(&vcg, &waves, Wave::T).unwrap() - 90.0).abs() < 1e-12);
        assert!(frontal_axis_deg(&vcg, &waves, Wave::P).is_none());
        assert!(axis_is_deviated(-45.0) && axis_is_deviated(120.0) && !axis_is_deviated(60.0));
    }
}
