//! The per-lead least-squares baseline: each target lead as a fixed linear combination of the
//! three measured leads, fitted on the training split. Every learned model must beat it.
//!
//! This is the classic population-mean lead transformation (one A for everybody): exactly the
//! "regression to the mean" the pathology-aware model is meant to overcome. The model card, the
//! ablation and the evaluation all fit it here.

use serde::{Deserialize, Serialize};

/// Why the least-squares weights could not be determined.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum LeastSquaresError {
    #[error("least squares: {0} samples cannot determine 4 weights")]
    TooFewSamples(u64),
    #[error("least squares: the input leads are linearly dependent")]
    Singular,
    #[error("least squares: {0}")]
    Shape(String),
}

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

    pub fn solve(&self) -> Result<LinearLead, LeastSquaresError> {
        if self.n < 4 {
            return Err(LeastSquaresError::TooFewSamples(self.n));
        }
        solve4(self.xtx, self.xty)
            .map(|weights| LinearLead { weights })
            .ok_or(LeastSquaresError::Singular)
    }
}

/// Fits one [`LinearLead`] per target lead on flattened windows: `x` is [n, 3, window] and `y`
/// [n, leads, window], both in mV.
pub fn fit_windows(
    x: &[f32],
    y: &[f32],
    leads: usize,
    window: usize,
) -> Result<Vec<LinearLead>, LeastSquaresError> {
    let n = check_shapes(x, Some((y, leads)), window)?;
    let mut fits = vec![LinearLeadFit::default(); leads];
    let mut inputs = [vec![0.0; window], vec![0.0; window], vec![0.0; window]];
    let mut target = vec![0.0; window];
    for w in 0..n {
        for (l, input) in inputs.iter_mut().enumerate() {
            widen(&x[(w * 3 + l) * window..][..window], input);
        }
        for (lead, fit) in fits.iter_mut().enumerate() {
            widen(&y[(w * leads + lead) * window..][..window], &mut target);
            fit.push([&inputs[0], &inputs[1], &inputs[2]], &target);
        }
    }
    fits.iter().map(LinearLeadFit::solve).collect()
}

/// Predictions [n, leads.len(), window] of fitted leads for `x` [n, 3, window].
pub fn predict_windows(
    leads: &[LinearLead],
    x: &[f32],
    window: usize,
) -> Result<Vec<f32>, LeastSquaresError> {
    let n = check_shapes(x, None, window)?;
    let mut out = Vec::with_capacity(n * leads.len() * window);
    let mut inputs = [vec![0.0; window], vec![0.0; window], vec![0.0; window]];
    for w in 0..n {
        for (l, input) in inputs.iter_mut().enumerate() {
            widen(&x[(w * 3 + l) * window..][..window], input);
        }
        for lead in leads {
            let prediction = lead.predict([&inputs[0], &inputs[1], &inputs[2]]);
            out.extend(prediction.iter().map(|&v| v as f32));
        }
    }
    Ok(out)
}

fn widen(from: &[f32], to: &mut [f64]) {
    for (t, &f) in to.iter_mut().zip(from) {
        *t = f64::from(f);
    }
}

/// The number of windows of `x` (and `y`), or why the buffers do not hold whole windows.
fn check_shapes(
    x: &[f32],
    y: Option<(&[f32], usize)>,
    window: usize,
) -> Result<usize, LeastSquaresError> {
    if window == 0 || !x.len().is_multiple_of(3 * window) {
        return Err(LeastSquaresError::Shape(format!(
            "{} input samples are not whole windows of 3 × {window}",
            x.len()
        )));
    }
    let n = x.len() / (3 * window);
    if let Some((y, leads)) = y
        && y.len() != n * leads * window
    {
        return Err(LeastSquaresError::Shape(format!(
            "{} target samples for {n} windows of {leads} × {window}",
            y.len()
        )));
    }
    Ok(n)
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
    fn windows_fit_and_predict_in_their_layout() {
        // Two windows of 8 samples: targets 2·I − II and V2 + 0.5.
        let window = 8;
        let mut x = Vec::new();
        let mut y = Vec::new();
        for w in 0..2 {
            let lead = |k: usize| -> Vec<f32> {
                (0..window)
                    .map(|t| ((t * (k + 2) + w * 5) as f32 * 0.37).sin())
                    .collect()
            };
            let (i, ii, v2) = (lead(0), lead(1), lead(2));
            x.extend(i.iter().chain(&ii).chain(&v2));
            y.extend(i.iter().zip(&ii).map(|(a, b)| 2.0 * a - b));
            y.extend(v2.iter().map(|v| v + 0.5));
        }
        let leads = fit_windows(&x, &y, 2, window).unwrap();
        let p = predict_windows(&leads, &x, window).unwrap();
        assert_eq!(p.len(), y.len());
        assert!(p.iter().zip(&y).all(|(a, b)| (a - b).abs() < 1e-5));
        assert!(matches!(
            fit_windows(&x[1..], &y, 2, window),
            Err(LeastSquaresError::Shape(_))
        ));
    }

    #[test]
    fn singular_inputs_are_an_error() {
        let x = vec![1.0, 2.0, 3.0, 4.0, 5.0];
        let mut fit = LinearLeadFit::default();
        fit.push([&x, &x, &x], &x);
        assert_eq!(fit.solve(), Err(LeastSquaresError::Singular));
        assert_eq!(
            LinearLeadFit::default().solve(),
            Err(LeastSquaresError::TooFewSamples(0))
        );
    }
}
