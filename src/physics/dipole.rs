//! The heart as one dipole v(t): its vectorcardiogram from a 12-lead record, the twelve leads it
//! projects to, and the dipole solved from whichever leads were recorded.

use super::PhysicsError;
use super::anatomy::{Anatomy, INPUT_ROWS, LeadField, TARGET_ROWS, TWELVE_LEADS};
use super::geometry::Mat3;
use super::matrices::{INVERSE_DOWER, KORS};

/// Frank's X, Y and Z over time, in mV.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Vcg {
    pub x: Vec<f64>,
    pub y: Vec<f64>,
    pub z: Vec<f64>,
}

impl Vcg {
    pub fn len(&self) -> usize {
        self.x.len()
    }

    pub fn is_empty(&self) -> bool {
        self.x.is_empty()
    }

    pub fn at(&self, t: usize) -> [f64; 3] {
        [self.x[t], self.y[t], self.z[t]]
    }

    fn from_samples(samples: impl Iterator<Item = [f64; 3]>) -> Self {
        let mut vcg = Self::default();
        for [x, y, z] in samples {
            vcg.x.push(x);
            vcg.y.push(y);
            vcg.z.push(z);
        }
        vcg
    }

    /// The twelve leads this dipole produces through `field`, in the order of [`TWELVE_LEADS`].
    pub fn leads(&self, field: &LeadField) -> [Vec<f64>; 12] {
        let mut leads: [Vec<f64>; 12] = std::array::from_fn(|_| Vec::with_capacity(self.len()));
        for t in 0..self.len() {
            for (lead, value) in leads.iter_mut().zip(field.project(self.at(t))) {
                lead.push(value);
            }
        }
        leads
    }
}

/// How a vectorcardiogram is derived from the eight independent leads.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum VcgMethod {
    /// Kors' regression (1990): fitted to recorded Frank leads, the better VCG in diagnostic studies.
    #[default]
    Kors,
    /// Edenbrandt & Pahlm's inverse Dower matrix (1988): the pseudo-inverse of Dower's lead field, so
    /// Dower's transform of it is the least-squares dipole fit of the eight leads.
    InverseDower,
}

impl VcgMethod {
    pub fn name(self) -> &'static str {
        match self {
            Self::Kors => "Kors",
            Self::InverseDower => "inverse Dower",
        }
    }
}

/// The vectorcardiogram of a 12-lead record. `leads` are I, II, V1–V6 (the order of
/// [`INDEPENDENT_LEADS`](super::matrices::INDEPENDENT_LEADS)) of equal length, in mV.
pub fn vcg_from_leads(leads: [&[f64]; 8], method: VcgMethod) -> Result<Vcg, PhysicsError> {
    let len = equal_length(&leads)?;
    let matrix = match method {
        VcgMethod::Kors => &KORS,
        VcgMethod::InverseDower => &INVERSE_DOWER,
    };
    Ok(Vcg::from_samples((0..len).map(|t| {
        std::array::from_fn(|axis| (0..8).map(|k| matrix[axis][k] * leads[k][t]).sum())
    })))
}

fn equal_length(leads: &[&[f64]]) -> Result<usize, PhysicsError> {
    let len = leads.first().map_or(0, |lead| lead.len());
    if let Some(other) = leads.iter().find(|lead| lead.len() != len) {
        return Err(PhysicsError::LengthMismatch {
            first: len,
            other: other.len(),
        });
    }
    Ok(len)
}

/// The largest condition number a dipole fit accepts: beyond it, noise in the leads would dominate
/// the solved dipole.
pub const MAX_CONDITION: f64 = 1e3;

/// The dipole solved from a set of recorded leads: least squares `v = (AᵀA)⁻¹Aᵀ·Φ` over the leads'
/// rows of a lead field (exact for three independent leads).
#[derive(Clone, Debug, PartialEq)]
pub struct DipoleFit {
    /// The pseudo-inverse, 3 × leads.
    pseudo_inverse: [Vec<f64>; 3],
    /// An upper bound of the lead rows' 2-norm condition number.
    pub condition: f64,
}

impl DipoleFit {
    /// The fit from the rows of the recorded leads (at least three, spanning all three axes).
    pub fn new(rows: &[[f64; 3]]) -> Result<Self, PhysicsError> {
        if rows.len() < 3 {
            return Err(PhysicsError::TooFewLeads(rows.len()));
        }
        let normal = Mat3(std::array::from_fn(|r| {
            std::array::from_fn(|c| rows.iter().map(|row| row[r] * row[c]).sum())
        }));
        // κ₂(A)² = κ₂(AᵀA) ≤ κ_F(AᵀA).
        let condition = normal.condition().sqrt();
        let inverse = match normal.inverse() {
            Some(inverse) if condition <= MAX_CONDITION => inverse,
            _ => return Err(PhysicsError::IllConditioned { condition }),
        };
        let pseudo_inverse = std::array::from_fn(|axis| {
            rows.iter()
                .map(|row| (0..3).map(|k| inverse.0[axis][k] * row[k]).sum())
                .collect()
        });
        Ok(Self {
            pseudo_inverse,
            condition,
        })
    }

    /// The dipole over time from the leads, given in the order of the rows the fit was built from.
    pub fn solve(&self, leads: &[&[f64]]) -> Result<Vcg, PhysicsError> {
        if leads.len() != self.pseudo_inverse[0].len() {
            return Err(PhysicsError::TooFewLeads(leads.len()));
        }
        let len = equal_length(leads)?;
        Ok(Vcg::from_samples((0..len).map(|t| {
            std::array::from_fn(|axis| {
                self.pseudo_inverse[axis]
                    .iter()
                    .zip(leads)
                    .map(|(w, lead)| w * lead[t])
                    .sum()
            })
        })))
    }
}

/// The physics baseline of reconstruction: solve the dipole from I, II and V2 through a lead field,
/// then project it onto V1, V3–V6. With the population lead field it needs no training data and no
/// patient: the patient-independent floor every learned model should clear.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ThreeLeadDipole {
    /// Target lead = `map[target] · [I, II, V2]`.
    pub map: [[f64; 3]; 5],
    pub condition: f64,
}

impl ThreeLeadDipole {
    /// The mapping through the lead field of `anatomy`.
    pub fn new(anatomy: &Anatomy) -> Result<Self, PhysicsError> {
        let field = anatomy.lead_field();
        let fit = DipoleFit::new(&INPUT_ROWS.map(|row| field.rows[row]))?;
        let map = TARGET_ROWS.map(|target| {
            std::array::from_fn(|input| {
                (0..3)
                    .map(|axis| field.rows[target][axis] * fit.pseudo_inverse[axis][input])
                    .sum()
            })
        });
        Ok(Self {
            map,
            condition: fit.condition,
        })
    }

    /// The population-average mapping (Dower's lead field).
    pub fn population() -> Result<Self, PhysicsError> {
        Self::new(&Anatomy::default())
    }

    /// V1, V3–V6 from I, II and V2 (the shortest input sets the length).
    pub fn reconstruct(&self, inputs: [&[f64]; 3]) -> [Vec<f64>; 5] {
        let len = inputs.iter().map(|lead| lead.len()).min().unwrap_or(0);
        self.map.map(|w| {
            (0..len)
                .map(|t| w[0] * inputs[0][t] + w[1] * inputs[1][t] + w[2] * inputs[2][t])
                .collect()
        })
    }

    /// Predictions [n, 5, window] for windows `x` [n, 3, window], as the models take them.
    pub fn reconstruct_windows(&self, x: &[f32], window: usize) -> Result<Vec<f32>, PhysicsError> {
        if window == 0 || !x.len().is_multiple_of(3 * window) {
            return Err(PhysicsError::Shape(format!(
                "{} input samples are not whole windows of 3 × {window}",
                x.len()
            )));
        }
        let mut out = Vec::with_capacity(x.len() / 3 * 5);
        for inputs in x.chunks_exact(3 * window) {
            let (i, rest) = inputs.split_at(window);
            let (ii, v2) = rest.split_at(window);
            for w in &self.map {
                out.extend((0..window).map(|t| {
                    (w[0] * f64::from(i[t]) + w[1] * f64::from(ii[t]) + w[2] * f64::from(v2[t]))
                        as f32
                }));
            }
        }
        Ok(out)
    }
}

/// Names of the leads a [`ThreeLeadDipole`] reconstructs, as [`TWELVE_LEADS`] spells them.
pub fn target_lead_names() -> [&'static str; 5] {
    TARGET_ROWS.map(|row| TWELVE_LEADS[row])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::physics::matrices::DOWER;

    fn dipole(len: usize) -> Vcg {
        Vcg::from_samples((0..len).map(|t| {
            let phase = t as f64 * 0.1;
            [
                phase.sin(),
                0.6 * (1.3 * phase).cos(),
                -0.4 * (0.7 * phase).sin(),
            ]
        }))
    }

    /// Inverse Dower then Dower recovers a dipole exactly (to the printed decimals).
    #[test]
    fn inverse_dower_round_trip_of_a_pure_dipole() {
        let truth = dipole(200);
        let leads = truth.leads(&LeadField::population());
        let independent: [&[f64]; 8] = [0, 1, 6, 7, 8, 9, 10, 11].map(|row| leads[row].as_slice());
        let vcg = vcg_from_leads(independent, VcgMethod::InverseDower).unwrap();
        for t in 0..truth.len() {
            for (a, b) in vcg.at(t).iter().zip(truth.at(t)) {
                assert!((a - b).abs() < 2e-3, "t = {t}: {a} vs {b}");
            }
        }
    }

    /// Three leads of a pure dipole determine it: the targets come back exactly.
    #[test]
    fn three_leads_of_a_dipole_give_the_targets() {
        let truth = dipole(300);
        let leads = truth.leads(&LeadField::population());
        let dipole = ThreeLeadDipole::population().unwrap();
        let targets = dipole.reconstruct([&leads[0], &leads[1], &leads[7]]);
        for (predicted, row) in targets.iter().zip(TARGET_ROWS) {
            for (a, b) in predicted.iter().zip(&leads[row]) {
                assert!((a - b).abs() < 1e-9);
            }
        }
        assert!(dipole.condition < 10.0, "{}", dipole.condition);
    }

    /// The windowed path agrees with the signal path.
    #[test]
    fn windows_match_signals() {
        let dipole = ThreeLeadDipole::population().unwrap();
        let window = 4;
        let x: Vec<f32> = (0..2 * 3 * window)
            .map(|k| (k as f32 * 0.37).sin())
            .collect();
        let y = dipole.reconstruct_windows(&x, window).unwrap();
        assert_eq!(y.len(), 2 * 5 * window);
        let signal = |w: usize, l: usize| -> Vec<f64> {
            x[(w * 3 + l) * window..][..window]
                .iter()
                .map(|&v| f64::from(v))
                .collect()
        };
        for w in 0..2 {
            let expected = dipole.reconstruct([&signal(w, 0), &signal(w, 1), &signal(w, 2)]);
            for (lead, e) in expected.iter().enumerate() {
                for t in 0..window {
                    assert!((f64::from(y[(w * 5 + lead) * window + t]) - e[t]).abs() < 1e-5);
                }
            }
        }
        assert!(dipole.reconstruct_windows(&x[1..], window).is_err());
    }

    /// A rotated heart leaves the three-lead mapping unchanged: the three leads cannot tell a rotated
    /// heart from a different dipole. Moving a target electrode does change it.
    #[test]
    fn the_mapping_sees_electrodes_not_heart_rotation() {
        let population = ThreeLeadDipole::population().unwrap();
        let rotated = ThreeLeadDipole::new(&Anatomy {
            rotation_deg: [15.0, -30.0, 25.0],
            dipole_scale: 1.4,
            ..Anatomy::default()
        })
        .unwrap();
        for (a, b) in population
            .map
            .iter()
            .flatten()
            .zip(rotated.map.iter().flatten())
        {
            assert!((a - b).abs() < 1e-12);
        }
        let mut moved = Anatomy::default();
        moved.electrode_shift[3] = 1.0; // V4 at V5
        let moved = ThreeLeadDipole::new(&moved).unwrap();
        assert!((moved.map[2][0] - population.map[3][0]).abs() < 1e-12);
    }

    #[test]
    fn degenerate_rows_are_refused() {
        let rows = [
            DOWER[0],
            DOWER[1],
            [
                DOWER[0][0] + DOWER[1][0],
                DOWER[0][1] + DOWER[1][1],
                DOWER[0][2] + DOWER[1][2],
            ],
        ];
        assert!(matches!(
            DipoleFit::new(&rows),
            Err(PhysicsError::IllConditioned { .. })
        ));
        assert!(matches!(
            DipoleFit::new(&rows[..2]),
            Err(PhysicsError::TooFewLeads(2))
        ));
    }
}
