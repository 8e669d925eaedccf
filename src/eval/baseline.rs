//! The per-lead least-squares baseline: each target lead as a fixed linear combination of the
//! three measured leads, fitted on the training split. Every learned model must beat it.
//!
//! This is the classic population-mean lead transformation (one A for everybody): exactly the
//! "regression to the mean" the pathology-aware model is meant to overcome.

use serde::{Deserialize, Serialize};

use super::EvalError;

/// `target(t) ≈ w[0]·I(t) + w[1]·II(t) + w[2]·V2(t) + w[3]`, in mV.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct LinearLead {
    pub weights: [f64; 4],
}

impl LinearLead {
    pub fn predict(&self, inputs: [&[f64]; 3]) -> Vec<f64> {
        let w = self.weights;
        let n = inputs.iter().map(|s| s.len()).min().unwrap_or(0);
        (0..n)
            .map(|t| w[0] * inputs[0][t] + w[1] * inputs[1][t] + w[2] * inputs[2][t] + w[3])
            .collect()
    }
}

/// Normal equations of one lead's fit, accumulated sample by sample.
#[derive(Clone, Debug, Default)]
pub struct LinearLeadFit {
    xtx: [[f64; 4]; 4],
    xty: [f64; 4],
    n: u64,
}

impl LinearLeadFit {
    /// Adds samples; non-finite samples are skipped.
    pub fn push(&mut self, inputs: [&[f64]; 3], target: &[f64]) {
        for (t, &y) in target.iter().enumerate() {
            let (Some(&a), Some(&b), Some(&c)) =
                (inputs[0].get(t), inputs[1].get(t), inputs[2].get(t))
            else {
                break;
            };
            let x = [a, b, c, 1.0];
            if !(y.is_finite() && x.iter().all(|v| v.is_finite())) {
                continue;
            }
            for i in 0..4 {
                for j in 0..4 {
                    self.xtx[i][j] += x[i] * x[j];
                }
                self.xty[i] += x[i] * y;
            }
            self.n += 1;
        }
    }

    pub fn solve(&self) -> Result<LinearLead, EvalError> {
        if self.n < 4 {
            return Err(EvalError::Input(format!(
                "least squares: {} samples cannot determine 4 weights",
                self.n
            )));
        }
        solve4(self.xtx, self.xty)
            .map(|weights| LinearLead { weights })
            .ok_or_else(|| {
                EvalError::Input("least squares: the input leads are linearly dependent".into())
            })
    }
}

/// Gaussian elimination with partial pivoting; `None` for a singular system.
fn solve4(mut a: [[f64; 4]; 4], mut b: [f64; 4]) -> Option<[f64; 4]> {
    let scale = a.iter().flatten().fold(0.0f64, |m, v| m.max(v.abs()));
    for col in 0..4 {
        let pivot = (col..4).max_by(|&i, &j| a[i][col].abs().total_cmp(&a[j][col].abs()))?;
        if a[pivot][col].abs() <= 1e-12 * scale {
            return None;
        }
        a.swap(col, pivot);
        b.swap(col, pivot);
        let pivot_row = a[col];
        for row in col + 1..4 {
            let f = a[row][col] / pivot_row[col];
            for (x, p) in a[row][col..].iter_mut().zip(&pivot_row[col..]) {
                *x -= f * p;
            }
            b[row] -= f * b[col];
        }
    }
    let mut x = [0.0; 4];
    for row in (0..4).rev() {
        let s: f64 = (row + 1..4).map(|k| a[row][k] * x[k]).sum();
        x[row] = (b[row] - s) / a[row][row];
    }
    Some(x)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recovers_an_exact_linear_map() {
        let i: Vec<f64> = (0..200).map(|t| (t as f64 * 0.1).sin()).collect();
        let ii: Vec<f64> = (0..200).map(|t| (t as f64 * 0.23).cos()).collect();
        let v2: Vec<f64> = (0..200).map(|t| ((t * t) as f64 * 0.001).sin()).collect();
        let y: Vec<f64> = (0..200)
            .map(|t| 0.5 * i[t] - 1.25 * ii[t] + 2.0 * v2[t] + 0.1)
            .collect();
        let mut fit = LinearLeadFit::default();
        fit.push([&i, &ii, &v2], &y);
        let lead = fit.solve().unwrap();
        for (w, want) in lead.weights.iter().zip([0.5, -1.25, 2.0, 0.1]) {
            assert!((w - want).abs() < 1e-10, "{:?}", lead.weights);
        }
        let p = lead.predict([&i, &ii, &v2]);
        assert!(p.iter().zip(&y).all(|(a, b)| (a - b).abs() < 1e-10));
    }

    #[test]
    fn singular_inputs_are_an_error() {
        let x = vec![1.0, 2.0, 3.0, 4.0, 5.0];
        let mut fit = LinearLeadFit::default();
        fit.push([&x, &x, &x], &x);
        assert!(fit.solve().is_err());
    }
}
