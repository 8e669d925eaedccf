//! Anatomy as parameters of the lead field A(s): how the heart sits in the chest and where the
//! precordial electrodes are. The twelve leads are rows of one 12×3 lead field, so Einthoven's and
//! Goldberger's relations hold for every anatomy by construction.

use serde::{Deserialize, Serialize};

use super::geometry::{Mat3, lerp};
use super::matrices::DOWER;

/// The standard twelve leads, in the order [`LeadField::rows`] holds them.
pub const TWELVE_LEADS: [&str; 12] = [
    "I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6",
];

/// Rows of the reconstruction's inputs I, II and V2 in [`TWELVE_LEADS`].
pub const INPUT_ROWS: [usize; 3] = [0, 1, 7];
/// Rows of its targets V1, V3–V6 in [`TWELVE_LEADS`], in the models' target order.
pub const TARGET_ROWS: [usize; 5] = [6, 8, 9, 10, 11];

/// Index of a lead of [`TWELVE_LEADS`] by name (case-insensitive, so PTB-XL's `AVF` is found).
pub fn twelve_lead_index(name: &str) -> Option<usize> {
    TWELVE_LEADS
        .iter()
        .position(|lead| lead.eq_ignore_ascii_case(name))
}

/// How far one intercostal space tilts a precordial lead vector: an electrode about 2 cm higher, about
/// 7.5 cm in front of the heart's centre, sees it from atan(2/7.5) ≈ 15° further up. A teaching
/// approximation of the torso, not a measured figure.
pub const DEGREES_PER_INTERCOSTAL_SPACE: f64 = 15.0;

/// The hidden anatomy `s` of Φ(t) = A(s)·v(t), relative to the population-average torso of Dower's
/// lead field (all zero, scale one).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Anatomy {
    /// The heart rotated about Frank's X (left), Y (feet) and Z (back) axes, in degrees, applied in
    /// that order. About Y is the classic clockwise / counter-clockwise rotation seen from below.
    pub rotation_deg: [f64; 3],
    /// The dipole's magnitude relative to the recording's (heart size, tissue conductivity).
    pub dipole_scale: f64,
    /// Each precordial electrode V1–V6 moved along the chest, in electrode spacings; positive towards
    /// V6. Its lead vector is interpolated between the neighbouring positions (held at V1 and V6).
    pub electrode_shift: [f64; 6],
    /// Each precordial electrode moved up (positive) or down, in intercostal spaces.
    pub electrode_rise: [f64; 6],
}

impl Default for Anatomy {
    fn default() -> Self {
        Self {
            rotation_deg: [0.0; 3],
            dipole_scale: 1.0,
            electrode_shift: [0.0; 6],
            electrode_rise: [0.0; 6],
        }
    }
}

impl Anatomy {
    /// The heart's rotation: X first, then Y, then Z.
    pub fn rotation(&self) -> Mat3 {
        let [x, y, z] = self.rotation_deg;
        Mat3::rotation_about(2, z)
            .mul(&Mat3::rotation_about(1, y))
            .mul(&Mat3::rotation_about(0, x))
    }

    /// Whether this is the population-average anatomy.
    pub fn is_population(&self) -> bool {
        *self == Self::default()
    }

    /// The lead field of this anatomy.
    pub fn lead_field(&self) -> LeadField {
        // Leads see the rotated, scaled dipole: row · (s·R·v) = (s·Rᵀ·row) · v.
        let heart = self.rotation().transpose();
        let scale = self.dipole_scale;
        let rotate = |row: [f64; 3]| heart.apply(row).map(|v| v * scale);
        let (lead_i, lead_ii) = (DOWER[0], DOWER[1]);
        let limb = |a: f64, b: f64| std::array::from_fn(|k| a * lead_i[k] + b * lead_ii[k]);
        let mut rows = [[0.0; 3]; 12];
        rows[0] = lead_i;
        rows[1] = lead_ii;
        rows[2] = limb(-1.0, 1.0); // III = II − I
        rows[3] = limb(-0.5, -0.5); // aVR = −(I + II)/2
        rows[4] = limb(1.0, -0.5); // aVL = I − II/2
        rows[5] = limb(-0.5, 1.0); // aVF = II − I/2
        for electrode in 0..6 {
            let position = (electrode as f64 + self.electrode_shift[electrode]).clamp(0.0, 5.0);
            let below = (position.floor() as usize).min(4);
            let along = lerp(DOWER[2 + below], DOWER[3 + below], position - below as f64);
            let tilt = Mat3::rotation_about(
                0,
                -self.electrode_rise[electrode] * DEGREES_PER_INTERCOSTAL_SPACE,
            );
            rows[6 + electrode] = tilt.apply(along);
        }
        LeadField {
            rows: rows.map(rotate),
        }
    }
}

/// A lead field: lead k reads `rows[k] · v(t)` of the heart's dipole v, in the order of
/// [`TWELVE_LEADS`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LeadField {
    pub rows: [[f64; 3]; 12],
}

impl LeadField {
    /// The population-average lead field (Dower's).
    pub fn population() -> Self {
        Anatomy::default().lead_field()
    }

    /// The twelve leads of one dipole sample.
    pub fn project(&self, v: [f64; 3]) -> [f64; 12] {
        self.rows.map(|row| super::geometry::dot(row, v))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample_dipoles() -> Vec<[f64; 3]> {
        vec![[1.0, 0.2, -0.3], [-0.4, 0.9, 0.1], [0.05, -0.7, 0.6]]
    }

    /// The limb leads obey Einthoven's and Goldberger's relations exactly, whatever the anatomy.
    #[test]
    fn lead_relations_hold_for_every_anatomy() {
        let anatomy = Anatomy {
            rotation_deg: [12.0, -25.0, 40.0],
            dipole_scale: 1.3,
            electrode_shift: [0.4, -0.2, 1.0, 0.0, -0.7, 0.3],
            electrode_rise: [1.0, 0.0, -1.0, 0.5, 0.0, 0.0],
        };
        let field = anatomy.lead_field();
        for v in sample_dipoles() {
            let [i, ii, iii, avr, avl, avf, ..] = field.project(v);
            assert!((iii - (ii - i)).abs() < 1e-12);
            assert!((avr + (i + ii) / 2.0).abs() < 1e-12);
            assert!((avl - (i - ii / 2.0)).abs() < 1e-12);
            assert!((avf - (ii - i / 2.0)).abs() < 1e-12);
            assert!((avr + avl + avf).abs() < 1e-12);
        }
    }

    /// At zero rotation, unit scale and no displacement the lead field is Dower's.
    #[test]
    fn population_anatomy_is_dower() {
        let field = LeadField::population();
        let rows = [0, 1, 6, 7, 8, 9, 10, 11];
        for (dower, &row) in DOWER.iter().zip(&rows) {
            assert_eq!(field.rows[row], *dower);
        }
    }

    /// An electrode moved by a whole spacing reads its neighbour's lead vector; half-way, the mean.
    #[test]
    fn electrode_shift_interpolates_neighbours() {
        let mut anatomy = Anatomy::default();
        anatomy.electrode_shift[2] = 1.0; // V3 at V4
        anatomy.electrode_shift[3] = -0.5; // V4 half-way to V3
        anatomy.electrode_shift[5] = 2.0; // V6 held at V6
        let field = anatomy.lead_field();
        assert_eq!(field.rows[8], DOWER[5]);
        for (k, value) in field.rows[9].iter().enumerate() {
            assert!((value - (DOWER[4][k] + DOWER[5][k]) / 2.0).abs() < 1e-12);
        }
        assert_eq!(field.rows[11], DOWER[7]);
    }

    /// Rotating the heart by R equals reading the dipole R·v with the population lead field.
    #[test]
    fn rotating_the_heart_rotates_the_dipole() {
        let anatomy = Anatomy {
            rotation_deg: [10.0, 30.0, -20.0],
            ..Anatomy::default()
        };
        let rotated = anatomy.lead_field();
        let population = LeadField::population();
        for v in sample_dipoles() {
            let a = rotated.project(v);
            let b = population.project(anatomy.rotation().apply(v));
            for (x, y) in a.iter().zip(&b) {
                assert!((x - y).abs() < 1e-12);
            }
        }
    }

    /// A higher electrode sees a superior (negative Y) dipole more.
    #[test]
    fn a_higher_electrode_looks_from_above() {
        let mut anatomy = Anatomy::default();
        anatomy.electrode_rise[1] = 1.0;
        let superior = [0.0, -1.0, 0.0];
        let raised = anatomy.lead_field().project(superior)[7];
        let standard = LeadField::population().project(superior)[7];
        assert!(raised > standard, "{raised} vs {standard}");
    }
}
