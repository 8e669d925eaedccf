//! Anatomical augmentation: a training window re-synthesised as if recorded from another chest.
//!
//! The window's eight leads give its dipole by the inverse Dower least-squares fit; what the dipole
//! does not explain (the residual) is kept as it is. A random anatomy's lead field then projects the
//! same dipole, so inputs and targets change together, as they would for that patient:
//! `leads' = A(s)·v + (leads − A₀·v)`.

use serde::{Deserialize, Serialize};

use super::anatomy::{Anatomy, LeadField};
use super::matrices::INVERSE_DOWER;
use crate::rng::Rng;

/// Rows of the eight independent leads in the lead field, in the inverse Dower's column order.
const INDEPENDENT_ROWS: [usize; 8] = [0, 1, 6, 7, 8, 9, 10, 11];

/// The bounds of the anatomies drawn, and how often a window is re-synthesised.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct AnatomyAugmentation {
    /// Probability that a training window is re-synthesised.
    pub probability: f64,
    /// Heart rotation about each axis, uniform within ± this (degrees).
    pub max_rotation_deg: f64,
    /// Dipole scale uniform within 1 ± this.
    pub max_scale_change: f64,
    /// Each precordial electrode moved along the chest within ± this many spacings.
    pub max_shift: f64,
    /// Each precordial electrode moved up or down within ± this many intercostal spaces.
    pub max_rise: f64,
}

impl Default for AnatomyAugmentation {
    /// Rotations of ± 20° span most of the normal spread of the QRS axis; shifts of half a spacing
    /// and one intercostal space are common electrode misplacements.
    fn default() -> Self {
        Self {
            probability: 0.5,
            max_rotation_deg: 20.0,
            max_scale_change: 0.15,
            max_shift: 0.5,
            max_rise: 1.0,
        }
    }
}

impl AnatomyAugmentation {
    pub fn validate(&self) -> Result<(), String> {
        let ok = (0.0..=1.0).contains(&self.probability)
            && (0.0..=90.0).contains(&self.max_rotation_deg)
            && (0.0..1.0).contains(&self.max_scale_change)
            && (0.0..=5.0).contains(&self.max_shift)
            && (0.0..=3.0).contains(&self.max_rise);
        ok.then_some(()).ok_or_else(|| {
            format!(
                "anatomical augmentation out of range: probability in [0, 1], rotation ≤ 90°, \
                 scale change < 1, shift ≤ 5 spacings, rise ≤ 3 spaces; got {self:?}"
            )
        })
    }

    /// A random anatomy within the bounds.
    pub fn draw(&self, rng: &mut Rng) -> Anatomy {
        let mut within = |bound: f64| (2.0 * rng.uniform() - 1.0) * bound;
        Anatomy {
            rotation_deg: std::array::from_fn(|_| within(self.max_rotation_deg)),
            dipole_scale: 1.0 + within(self.max_scale_change),
            electrode_shift: std::array::from_fn(|_| within(self.max_shift)),
            electrode_rise: std::array::from_fn(|_| within(self.max_rise)),
        }
    }

    /// Re-synthesises one window in place with probability [`Self::probability`]: `x` is I, II, V2
    /// and `y` V1, V3–V6, each lead `window` samples in mV. Returns whether it did.
    pub fn apply(&self, x: &mut [f32], y: &mut [f32], window: usize, rng: &mut Rng) -> bool {
        if x.len() != 3 * window || y.len() != 5 * window || rng.uniform() >= self.probability {
            return false;
        }
        resynthesise(x, y, window, &self.draw(rng).lead_field());
        true
    }
}

/// Replaces the dipole part of the window's eight leads with the same dipole through `field`.
pub fn resynthesise(x: &mut [f32], y: &mut [f32], window: usize, field: &LeadField) {
    let population = LeadField::population();
    // The eight leads of the window in the inverse Dower's order: I, II, V1, V2, V3, V4, V5, V6.
    let lead = |k: usize, t: usize| -> f64 {
        let sample = match k {
            0 => x[t],
            1 => x[window + t],
            2 => y[t],
            3 => x[2 * window + t],
            k => y[(k - 3) * window + t],
        };
        f64::from(sample)
    };
    let mut out = vec![[0.0f32; 8]; window];
    for (t, slot) in out.iter_mut().enumerate() {
        let v: [f64; 3] =
            std::array::from_fn(|axis| (0..8).map(|k| INVERSE_DOWER[axis][k] * lead(k, t)).sum());
        let before = population.project(v);
        let after = field.project(v);
        for (k, &row) in INDEPENDENT_ROWS.iter().enumerate() {
            slot[k] = (lead(k, t) + after[row] - before[row]) as f32;
        }
    }
    for (t, leads) in out.iter().enumerate() {
        x[t] = leads[0];
        x[window + t] = leads[1];
        y[t] = leads[2];
        x[2 * window + t] = leads[3];
        for k in 4..8 {
            y[(k - 3) * window + t] = leads[k];
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn window(w: usize) -> (Vec<f32>, Vec<f32>) {
        let x = (0..3 * w).map(|k| (k as f32 * 0.13).sin()).collect();
        let y = (0..5 * w).map(|k| (k as f32 * 0.07).cos() * 0.5).collect();
        (x, y)
    }

    /// The population anatomy changes nothing; the residual survives any anatomy.
    #[test]
    fn population_anatomy_is_the_identity() {
        let w = 16;
        let (mut x, mut y) = window(w);
        let (x0, y0) = (x.clone(), y.clone());
        resynthesise(&mut x, &mut y, w, &LeadField::population());
        for (a, b) in x.iter().chain(&y).zip(x0.iter().chain(&y0)) {
            assert!((a - b).abs() < 1e-6);
        }
    }

    /// A window that is a pure dipole becomes exactly that dipole through the new lead field, and
    /// the limb-lead relations of the result still hold.
    #[test]
    fn a_pure_dipole_window_moves_with_the_anatomy() {
        let w = 32;
        let population = LeadField::population();
        let dipole = |t: usize| {
            let p = t as f64 * 0.2;
            [p.sin(), 0.5 * p.cos(), -0.3 * (2.0 * p).sin()]
        };
        let (mut x, mut y) = (vec![0.0f32; 3 * w], vec![0.0f32; 5 * w]);
        for t in 0..w {
            let leads = population.project(dipole(t));
            for (k, row) in [0, 1, 7].iter().enumerate() {
                x[k * w + t] = leads[*row] as f32;
            }
            for (k, row) in [6, 8, 9, 10, 11].iter().enumerate() {
                y[k * w + t] = leads[*row] as f32;
            }
        }
        let anatomy = Anatomy {
            rotation_deg: [10.0, -15.0, 20.0],
            dipole_scale: 1.1,
            electrode_shift: [0.3; 6],
            electrode_rise: [0.0, 0.0, 1.0, 0.0, 0.0, 0.0],
        };
        let field = anatomy.lead_field();
        resynthesise(&mut x, &mut y, w, &field);
        for t in 0..w {
            let leads = field.project(dipole(t));
            // The printed decimals of the inverse Dower limit the fit to about 1e-3 of the signal.
            assert!((f64::from(x[t]) - leads[0]).abs() < 5e-3);
            assert!(
                (f64::from(y[2 * w + t]) - leads[9]).abs() < 5e-3,
                "V4 at {t}"
            );
        }
    }

    #[test]
    fn probability_and_bounds() {
        let w = 8;
        let (mut x, mut y) = window(w);
        let mut rng = Rng::new(1);
        let never = AnatomyAugmentation {
            probability: 0.0,
            ..AnatomyAugmentation::default()
        };
        assert!(!never.apply(&mut x, &mut y, w, &mut rng));
        let always = AnatomyAugmentation {
            probability: 1.0,
            ..AnatomyAugmentation::default()
        };
        assert!(always.apply(&mut x, &mut y, w, &mut rng));
        for _ in 0..100 {
            let a = always.draw(&mut rng);
            assert!(a.rotation_deg.iter().all(|r| r.abs() <= 20.0));
            assert!((a.dipole_scale - 1.0).abs() <= 0.15);
        }
        assert!(AnatomyAugmentation::default().validate().is_ok());
        let wrong = AnatomyAugmentation {
            probability: 1.5,
            ..AnatomyAugmentation::default()
        };
        assert!(wrong.validate().is_err());
    }
}
