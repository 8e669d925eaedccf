//! The published lead-transformation matrices, each with its source. Coefficients are typed from
//! the papers' tables (not taken from any software), in the column order the papers print.
//!
//! Axes are Frank's, as Dower's coefficients use them: X to the patient's left, Y towards the feet,
//! Z towards the back (so the anterior leads V1–V3 have negative Z coefficients).

/// The eight independent leads of a 12-lead ECG, in the order the matrices below use.
pub const INDEPENDENT_LEADS: [&str; 8] = ["I", "II", "V1", "V2", "V3", "V4", "V5", "V6"];

/// Dower's transform: lead = a·X + b·Y + c·Z, one row per lead of [`INDEPENDENT_LEADS`].
///
/// Dower GE, Machado HB, Osborne JA. On deriving the electrocardiogram from vectorcardiographic
/// leads. Clin Cardiol 1980;3:87–95. Checked against the reprint in Bailón, Laguna & Sörnmo,
/// ch. 8 of Clifford, Azuaje & McSharry (eds.), Advanced Methods and Tools for ECG Data Analysis
/// (Artech House, 2006), and against [`INVERSE_DOWER`], its published pseudo-inverse.
pub const DOWER: [[f64; 3]; 8] = [
    [0.632, -0.235, 0.059],  // I
    [0.235, 1.066, -0.132],  // II
    [-0.515, 0.157, -0.917], // V1
    [0.044, 0.164, -1.387],  // V2
    [0.882, 0.098, -1.277],  // V3
    [1.213, 0.127, -0.601],  // V4
    [1.125, 0.127, -0.086],  // V5
    [0.831, 0.076, 0.230],   // V6
];

/// The inverse Dower matrix: X, Y, Z from the eight independent leads (columns as
/// [`INDEPENDENT_LEADS`]), the pseudo-inverse of [`DOWER`] as published.
///
/// Edenbrandt L, Pahlm O. Vectorcardiogram synthesized from a 12-lead ECG: superiority of the
/// inverse Dower matrix. J Electrocardiol 1988;21:361–367.
pub const INVERSE_DOWER: [[f64; 8]; 3] = [
    [0.156, -0.010, -0.172, -0.074, 0.122, 0.231, 0.239, 0.194],
    [-0.227, 0.887, 0.057, -0.019, -0.106, -0.022, 0.041, 0.048],
    [0.022, 0.102, -0.229, -0.310, -0.246, -0.063, 0.055, 0.108],
];

/// Kors' regression matrix: X, Y, Z from the eight independent leads (columns as
/// [`INDEPENDENT_LEADS`]), fitted to simultaneously recorded Frank leads.
///
/// Kors JA, van Herpen G, Sittig AC, van Bemmel JH. Reconstruction of the Frank vectorcardiogram from
/// standard electrocardiographic leads: diagnostic comparison of different methods. Eur Heart J
/// 1990;11:1083–1092.
pub const KORS: [[f64; 8]; 3] = [
    [0.38, -0.07, -0.13, 0.05, -0.01, 0.14, 0.06, 0.54],
    [-0.07, 0.93, 0.06, -0.02, -0.05, 0.06, -0.17, 0.13],
    [0.11, -0.23, -0.43, -0.06, -0.14, -0.20, -0.11, 0.31],
];

#[cfg(test)]
mod tests {
    use super::*;

    /// The inverse Dower matrix is (to its printed three decimals) a left inverse of Dower's.
    #[test]
    fn inverse_dower_inverts_dower() {
        for (row, inverse) in INVERSE_DOWER.iter().enumerate() {
            for col in 0..3 {
                let product: f64 = inverse.iter().zip(&DOWER).map(|(w, d)| w * d[col]).sum();
                let expected = if row == col { 1.0 } else { 0.0 };
                assert!(
                    (product - expected).abs() < 2e-3,
                    "(inverse Dower · Dower)[{row}][{col}] = {product}"
                );
            }
        }
    }
}
