//! The eval module against NumPy, SciPy and scikit-learn (`tests/fixtures/gen_eval_fixtures.py`).

#![allow(clippy::unwrap_used, clippy::expect_used)] // In tests a failed unwrap is a failed test.

use precordial::eval::{AffinityInput, AffinityOptions, knn_affinity};
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
    records: Vec<u32>,
    patients: Vec<u32>,
    other_record: Excluded,
    other_patient: Excluded,
}

/// One reading with some neighbours left out, computed in NumPy.
#[derive(Deserialize)]
struct Excluded {
    matrix: Vec<Vec<f64>>,
    diagonal_mean: f64,
    diagonal_weighted: f64,
    chance: Vec<f64>,
}

/// Asserts two matrices (or rows) agree to 1e-9.
fn assert_close(got: &[Vec<f64>], want: &[Vec<f64>]) {
    for (row, want_row) in got.iter().zip(want) {
        assert_eq!(row.len(), want_row.len());
        for (x, y) in row.iter().zip(want_row) {
            assert!((x - y).abs() < 1e-9, "{got:?}\nvs\n{want:?}");
        }
    }
    assert_eq!(got.len(), want.len());
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

/// All neighbours (the paper's protocol), and with the same record's or patient's windows left out:
/// each against scikit-learn's ranking filtered in NumPy, with its chance levels.
#[test]
fn affinity_matches_sklearn_nearest_neighbors() {
    let r = reference();
    let a = &r.affinity;
    let dim = a.features[0].len();
    let flat: Vec<f32> = a.features.iter().flatten().copied().collect();
    let names: Vec<String> = (0..4).map(|c| format!("c{c}")).collect();
    let input = AffinityInput {
        features: &flat,
        dim,
        labels: &a.labels,
        class_names: &names,
        records: &a.records,
        patients: &a.patients,
    };
    let options = AffinityOptions {
        k: a.k,
        bootstrap_resamples: 100,
        seed: 1,
    };
    let got = knn_affinity(&input, &options).unwrap();
    assert_eq!(got.all.counts, a.counts);
    assert_close(&got.all.matrix, &a.matrix);
    assert!((got.all.diagonal_mean - a.diagonal_mean).abs() < 1e-9);
    for (reading, want) in [
        (got.other_record.as_ref(), &a.other_record),
        (got.other_patient.as_ref(), &a.other_patient),
    ] {
        let reading = reading.expect("every window has k neighbours outside its group");
        assert_close(&reading.matrix, &want.matrix);
        assert_close(
            std::slice::from_ref(&reading.chance),
            std::slice::from_ref(&want.chance),
        );
        assert!((reading.diagonal_mean - want.diagonal_mean).abs() < 1e-9);
        assert!((reading.diagonal_weighted - want.diagonal_weighted).abs() < 1e-9);
    }
    // The exclusions change the neighbours here, so a reading that ignored them would fail above.
    assert_ne!(a.other_record.matrix, a.matrix);
    assert_ne!(a.other_patient.matrix, a.other_record.matrix);
}
