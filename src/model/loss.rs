//! Losses: the reconstruction loss 0.8·MSE + 0.2·MAE (in mV), and the supervised contrastive loss
//! with multi-label positives (Khosla et al. 2020, τ = 0.07).

use burn::tensor::activation::log_softmax;
use burn::tensor::{Tensor, TensorData};

/// 0.8·MSE + 0.2·MAE over all elements.
pub fn reconstruction_loss<const D: usize>(prediction: Tensor<D>, target: Tensor<D>) -> Tensor<1> {
    let diff = prediction - target;
    let mse = diff.clone().powf_scalar(2.0).mean();
    let mae = diff.abs().mean();
    mse * 0.8 + mae * 0.2
}

/// The positive-pair mask of a batch: `[i][j] = 1` when samples i ≠ j share at least one label bit.
pub fn positive_mask(labels: &[u64]) -> Vec<f32> {
    let n = labels.len();
    let mut mask = vec![0.0f32; n * n];
    for (i, &a) in labels.iter().enumerate() {
        for (j, &b) in labels.iter().enumerate() {
            if i != j && a & b != 0 {
                mask[i * n + j] = 1.0;
            }
        }
    }
    mask
}

/// Supervised contrastive loss of ℓ2-normalised projections `z` [N, K] with label bit sets `labels`
/// (multi-label: positives share at least one bit). For anchor i:
/// −1/|P(i)| Σ_{p∈P(i)} log( exp(z_i·z_p/τ) / Σ_{j≠i} exp(z_i·z_j/τ) ); anchors without a positive are
/// skipped; the mean is over the remaining anchors. Returns `None` when no anchor has a positive.
pub fn supcon_loss(z: Tensor<2>, labels: &[u64], temperature: f64) -> Option<Tensor<1>> {
    let n = labels.len();
    let mask = positive_mask(labels);
    let counts: Vec<f32> = mask.chunks(n.max(1)).map(|row| row.iter().sum()).collect();
    let n_anchors = counts.iter().filter(|&&c| c > 0.0).count();
    if n_anchors == 0 {
        return None;
    }
    let device = z.device();
    let similarity = z.clone().matmul(z.transpose()) / temperature;
    // Exclude j = i from the denominator: a large negative logit on the diagonal.
    let eye: Vec<f32> = (0..n * n)
        .map(|k| if k / n == k % n { 1.0 } else { 0.0 })
        .collect();
    let eye = Tensor::<2>::from_data(TensorData::new(eye, [n, n]), &device);
    let logits = similarity - eye * 1e4;
    let log_prob = log_softmax(logits, 1);
    let mask_t = Tensor::<2>::from_data(TensorData::new(mask, [n, n]), &device);
    let inv_counts: Vec<f32> = counts
        .iter()
        .map(|&c| if c > 0.0 { 1.0 / c } else { 0.0 })
        .collect();
    let inv_counts = Tensor::<1>::from_data(TensorData::new(inv_counts, [n]), &device);
    let per_anchor = (log_prob * mask_t).sum_dim(1).squeeze_dim::<1>(1) * inv_counts;
    Some(per_anchor.sum().neg() / n_anchors as f64)
}
