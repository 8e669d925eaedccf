//! Metrics of a whole split of windows held as flat buffers ([n, leads, window], as the models
//! take and give them): what the model card and the ablation record.

use serde::{Deserialize, Serialize};

use super::{LeadMetrics, MetricsAccumulator};

/// Metrics per target lead plus their mean over leads (NaN-skipping, as [`LeadMetrics::mean`]).
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct SplitMetrics {
    pub windows: usize,
    pub per_lead: Vec<(String, LeadMetrics)>,
    pub mean: LeadMetrics,
}

/// Metrics of `prediction` against `target`, both [n, lead_names.len(), window] flattened; each
/// window of each lead is one Pearson window. Samples past the last whole window are ignored.
pub fn evaluate_windows(
    prediction: &[f32],
    target: &[f32],
    lead_names: &[&str],
    window: usize,
) -> SplitMetrics {
    let stride = lead_names.len() * window;
    let n = target
        .len()
        .min(prediction.len())
        .checked_div(stride)
        .unwrap_or(0);
    let mut accumulators = vec![MetricsAccumulator::default(); lead_names.len()];
    let (mut truth, mut estimate) = (vec![0.0; window], vec![0.0; window]);
    for w in 0..n {
        for (lead, acc) in accumulators.iter_mut().enumerate() {
            let offset = (w * lead_names.len() + lead) * window;
            for (t, &v) in truth.iter_mut().zip(&target[offset..offset + window]) {
                *t = f64::from(v);
            }
            for (e, &v) in estimate
                .iter_mut()
                .zip(&prediction[offset..offset + window])
            {
                *e = f64::from(v);
            }
            acc.push(&truth, &estimate);
        }
    }
    let per_lead: Vec<(String, LeadMetrics)> = lead_names
        .iter()
        .zip(&accumulators)
        .map(|(name, acc)| ((*name).to_owned(), acc.finish()))
        .collect();
    let mean = LeadMetrics::mean(per_lead.iter().map(|(_, m)| m));
    SplitMetrics {
        windows: n,
        per_lead,
        mean,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::lead_metrics;

    #[test]
    fn each_lead_of_each_window_is_one_pearson_window() {
        // Two windows, two leads, four samples.
        let target = [
            0.0, 1.0, 2.0, 3.0, 1.0, 1.0, 1.0, 1.0, 3.0, 2.0, 1.0, 0.0, 0.0, 2.0, 0.0, 2.0,
        ];
        let prediction = [
            0.0, 1.0, 2.0, 4.0, 0.0, 1.0, 2.0, 3.0, 3.0, 2.0, 0.0, 0.0, 0.5, 0.5, 0.5, 0.5,
        ];
        let m = evaluate_windows(&prediction, &target, &["A", "B"], 4);
        assert_eq!(m.windows, 2);
        let (a, b) = (&m.per_lead[0].1, &m.per_lead[1].1);
        let want_a = lead_metrics([
            (&[0.0, 1.0, 2.0, 3.0][..], &[0.0, 1.0, 2.0, 4.0][..]),
            (&[3.0, 2.0, 1.0, 0.0][..], &[3.0, 2.0, 0.0, 0.0][..]),
        ]);
        assert_eq!(*a, want_a);
        // Lead B: the first window's truth is constant (skipped), the second's prediction is (r = 0).
        assert_eq!((b.n_windows, b.pearson), (1, 0.0));
        assert_eq!(m.mean, LeadMetrics::mean([a, b]));
    }
}
