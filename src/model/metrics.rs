//! Metrics of METHOD.md and the least-squares baseline.
//!
//! RMSE (mV) and R² over all samples of a lead flattened together; Pearson r per window, averaged,
//! skipping windows whose ground truth is constant.

use serde::{Deserialize, Serialize};

use super::{TARGET_LEADS, WINDOW};

/// Metrics of one lead.
#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct LeadMetrics {
    pub rmse_mv: f64,
    pub r2: f64,
    pub pearson: f64,
}

/// `RMSE / R² / r` as the tables print it.
impl std::fmt::Display for LeadMetrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:.4}/{:.3}/{:.3}", self.rmse_mv, self.r2, self.pearson)
    }
}

/// Metrics per target lead plus their mean.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct Metrics {
    pub windows: usize,
    pub per_lead: Vec<(String, LeadMetrics)>,
    pub mean: LeadMetrics,
}

/// Pearson r of two equal-length series; `None` when either is constant.
pub fn pearson(a: &[f32], b: &[f32]) -> Option<f64> {
    let n = a.len().min(b.len());
    if n < 2 {
        return None;
    }
    let ma = a.iter().map(|&v| f64::from(v)).sum::<f64>() / n as f64;
    let mb = b.iter().map(|&v| f64::from(v)).sum::<f64>() / n as f64;
    let (mut sab, mut saa, mut sbb) = (0.0, 0.0, 0.0);
    for (&x, &y) in a.iter().zip(b) {
        let (dx, dy) = (f64::from(x) - ma, f64::from(y) - mb);
        sab += dx * dy;
        saa += dx * dx;
        sbb += dy * dy;
    }
    (saa > 1e-12 && sbb > 1e-12).then(|| sab / (saa * sbb).sqrt())
}

/// Metrics of predictions against targets, both [n, 5, 256] flattened.
pub fn evaluate(prediction: &[f32], target: &[f32]) -> Metrics {
    let n = target.len() / (5 * WINDOW);
    let mut per_lead = Vec::new();
    for (lead, name) in TARGET_LEADS.iter().enumerate() {
        let (mut sse, mut sum, mut sum2, mut count) = (0.0f64, 0.0f64, 0.0f64, 0usize);
        let (mut r_sum, mut r_n) = (0.0f64, 0usize);
        for w in 0..n {
            let offset = (w * 5 + lead) * WINDOW;
            let t = &target[offset..offset + WINDOW];
            let p = &prediction[offset..offset + WINDOW];
            for (&tv, &pv) in t.iter().zip(p) {
                let (tv, pv) = (f64::from(tv), f64::from(pv));
                sse += (tv - pv) * (tv - pv);
                sum += tv;
                sum2 += tv * tv;
                count += 1;
            }
            // Ground truth constant: skipped.
            if let Some(r) = pearson(t, p).or_else(|| pearson(t, t).map(|_| 0.0)) {
                r_sum += r;
                r_n += 1;
            }
        }
        let count_f = count.max(1) as f64;
        let sst = sum2 - sum * sum / count_f;
        per_lead.push((
            (*name).to_string(),
            LeadMetrics {
                rmse_mv: (sse / count_f).sqrt(),
                r2: if sst > 0.0 { 1.0 - sse / sst } else { f64::NAN },
                pearson: if r_n > 0 {
                    r_sum / r_n as f64
                } else {
                    f64::NAN
                },
            },
        ));
    }
    let k = per_lead.len().max(1) as f64;
    let mean = LeadMetrics {
        rmse_mv: per_lead.iter().map(|(_, m)| m.rmse_mv).sum::<f64>() / k,
        r2: per_lead.iter().map(|(_, m)| m.r2).sum::<f64>() / k,
        pearson: per_lead.iter().map(|(_, m)| m.pearson).sum::<f64>() / k,
    };
    Metrics {
        windows: n,
        per_lead,
        mean,
    }
}

/// Per-lead least squares y ≈ a·I + b·II + c·V2 + d on raw mV samples, fitted on training windows.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct LeastSquares {
    /// For each target lead: [a, b, c, d].
    pub coefficients: Vec<[f64; 4]>,
}

impl LeastSquares {
    /// Fits on x [n, 3, 256] and y [n, 5, 256] in mV.
    #[allow(clippy::needless_range_loop)]
    pub fn fit(x: &[f32], y: &[f32]) -> Self {
        let n = x.len() / (3 * WINDOW);
        let mut coefficients = Vec::new();
        for lead in 0..5 {
            let mut ata = [[0.0f64; 4]; 4];
            let mut atb = [0.0f64; 4];
            for w in 0..n {
                for t in 0..WINDOW {
                    let row = [
                        f64::from(x[(w * 3) * WINDOW + t]),
                        f64::from(x[(w * 3 + 1) * WINDOW + t]),
                        f64::from(x[(w * 3 + 2) * WINDOW + t]),
                        1.0,
                    ];
                    let target = f64::from(y[(w * 5 + lead) * WINDOW + t]);
                    for i in 0..4 {
                        atb[i] += row[i] * target;
                        for j in 0..4 {
                            ata[i][j] += row[i] * row[j];
                        }
                    }
                }
            }
            coefficients.push(solve4(ata, atb).unwrap_or([0.0; 4]));
        }
        Self { coefficients }
    }

    /// Predictions [n, 5, 256] for x [n, 3, 256].
    pub fn predict(&self, x: &[f32]) -> Vec<f32> {
        let n = x.len() / (3 * WINDOW);
        let mut out = vec![0.0f32; n * 5 * WINDOW];
        for w in 0..n {
            for (lead, c) in self.coefficients.iter().enumerate() {
                for t in 0..WINDOW {
                    let v = c[0] * f64::from(x[(w * 3) * WINDOW + t])
                        + c[1] * f64::from(x[(w * 3 + 1) * WINDOW + t])
                        + c[2] * f64::from(x[(w * 3 + 2) * WINDOW + t])
                        + c[3];
                    out[(w * 5 + lead) * WINDOW + t] = v as f32;
                }
            }
        }
        out
    }
}

/// Gaussian elimination with partial pivoting for a 4×4 system.
#[allow(clippy::needless_range_loop)] // index arithmetic over rows and columns reads best as loops
fn solve4(mut a: [[f64; 4]; 4], mut b: [f64; 4]) -> Option<[f64; 4]> {
    for col in 0..4 {
        let pivot = (col..4).max_by(|&i, &j| a[i][col].abs().total_cmp(&a[j][col].abs()))?;
        if a[pivot][col].abs() < 1e-12 {
            return None;
        }
        a.swap(col, pivot);
        b.swap(col, pivot);
        for row in col + 1..4 {
            let f = a[row][col] / a[col][col];
            for k in col..4 {
                a[row][k] -= f * a[col][k];
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
