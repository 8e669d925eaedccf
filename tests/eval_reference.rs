//! The eval module against NumPy, SciPy and scikit-learn (`tests/fixtures/gen_eval_fixtures.py`).

#![allow(clippy::unwrap_used, clippy::expect_used)] // In tests a failed unwrap is a failed test.

use precordial::eval::knn_affinity;
use precordial::metrics::lead_metrics;
use serde::Deserialize;

#[derive(Deserialize)]
struct Reference {
    generator: String,
    metrics: Metrics,
    affinity: Affinity,
}

#[derive(Deserialize)]
struct Metrics {
    truth: Vec<Vec<f64>>,
    prediction: Vec<Vec<f64>>,
    rmse: f64,
    r2: f64,
    pearson: f64,
    n_pearson_windows: u64,
}

#[derive(Deserialize)]
struct Affinity {
    features: Vec<Vec<f32>>,
    labels: Vec<usize>,
    k: usize,
    matrix: Vec<Vec<f64>>,
    counts: Vec<usize>,
    diagonal_mean: f64,
}

fn reference() -> Reference {
    serde_json::from_str(include_str!("fixtures/eval_reference.json")).expect("fixture parses")
}

#[test]
fn metrics_match_sklearn_and_scipy() {
    let r = reference();
    let m = &r.metrics;
    let got = lead_metrics(
        m.truth
            .iter()
            .zip(&m.prediction)
            .map(|(t, p)| (&t[..], &p[..])),
    );
    assert!(
        (got.rmse_mv - m.rmse).abs() < 1e-12 * m.rmse,
        "{} vs {} ({})",
        got.rmse_mv,
        m.rmse,
        r.generator
    );
    assert!((got.r2 - m.r2).abs() < 1e-12, "{} vs {}", got.r2, m.r2);
    assert!(
        (got.pearson - m.pearson).abs() < 1e-12,
        "{} vs {}",
        got.pearson,
        m.pearson
    );
    assert_eq!(got.n_windows, m.n_pearson_windows);
}

#[test]
fn affinity_matches_sklearn_nearest_neighbors() {
    let r = reference();
    let a = &r.affinity;
    let dim = a.features[0].len();
    let flat: Vec<f32> = a.features.iter().flatten().copied().collect();
    let names: Vec<String> = (0..4).map(|c| format!("c{c}")).collect();
    let got = knn_affinity(&flat, dim, &a.labels, &names, a.k).unwrap();
    assert_eq!(got.counts, a.counts);
    for (row, want) in got.matrix.iter().zip(&a.matrix) {
        for (x, y) in row.iter().zip(want) {
            assert!((x - y).abs() < 1e-9, "{:?}\nvs\n{:?}", got.matrix, a.matrix);
        }
    }
    assert!((got.diagonal_mean - a.diagonal_mean).abs() < 1e-9);
}
