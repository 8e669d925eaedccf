//! Split-conformal uncertainty bands for the reconstructed leads.
//!
//! Calibrated on the validation split (patients are never split across splits, so calibration and
//! held-out data share no patient): per target lead and model, the absolute residual |y − ŷ| of
//! every sample, and the largest residual over each beat. The band for a nominal coverage 1 − α is
//! the ⌈(n + 1)(1 − α)⌉-th smallest score, split-conformal's finite-sample quantile:
//!
//! - **pointwise**: ŷ(t) ± q holds y(t) at a sample with probability ≥ 1 − α;
//! - **beat**: ŷ ± q_beat holds the whole beat (250 ms before the R peak to 450 ms after) at once.
//!
//! The guarantee assumes held-out units exchangeable with the calibration units; samples and beats
//! of one record are not independent, so the coverage is measured (on the test split and on LUDB),
//! not assumed. Bands are constant per lead: a band that adapts to a window's difficulty is not
//! built yet.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::model::{TARGET_LEADS, WINDOW};
use crate::prep::WindowSet;

/// A beat for the simultaneous band: samples before and after the R peak, at 100 Hz.
const BEAT_BEFORE: usize = 25;
const BEAT_AFTER: usize = 45;

/// One lead's band half-widths for one model (mV).
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct LeadBand {
    pub pointwise_mv: f64,
    pub beat_mv: f64,
}

/// The calibrated bands: `per_lead[lead][model]`, model "c" or "ch".
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ConformalBands {
    /// Nominal miscoverage: the bands aim to hold the recording with probability 1 − α.
    pub alpha: f64,
    /// Where they were calibrated ("val") and on how much.
    pub calibrated_on: String,
    pub windows: usize,
    pub beats: usize,
    pub per_lead: BTreeMap<String, BTreeMap<String, LeadBand>>,
}

/// Measured coverage of the bands on held-out windows.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Coverage {
    pub lead: String,
    pub model: String,
    pub band: LeadBand,
    /// Fraction of samples inside the pointwise band.
    pub pointwise: f64,
    /// Fraction of beats wholly inside the beat band.
    pub beat: f64,
    pub samples: usize,
    pub beats: usize,
}

/// The scores of one model on a window set: per lead, every |residual| and every beat's largest.
struct Scores {
    pointwise: Vec<Vec<f64>>,
    beat: Vec<Vec<f64>>,
}

/// Beat spans (start, end) within each window, from its R peaks (whole beats only).
fn beat_spans(r_peaks: &[Vec<usize>]) -> Vec<Vec<(usize, usize)>> {
    r_peaks
        .iter()
        .map(|peaks| {
            peaks
                .iter()
                .filter(|&&r| r >= BEAT_BEFORE && r + BEAT_AFTER <= WINDOW)
                .map(|&r| (r - BEAT_BEFORE, r + BEAT_AFTER))
                .collect()
        })
        .collect()
}

fn scores(set: &WindowSet, prediction: &[f32], beats: &[Vec<(usize, usize)>]) -> Scores {
    let leads = TARGET_LEADS.len();
    let mut out = Scores {
        pointwise: vec![Vec::new(); leads],
        beat: vec![Vec::new(); leads],
    };
    for w in 0..set.len() {
        let y = set.y_of(w);
        for lead in 0..leads {
            let at = lead * WINDOW;
            let p = &prediction[(w * leads + lead) * WINDOW..][..WINDOW];
            let residual: Vec<f64> = (0..WINDOW)
                .map(|t| f64::from((p[t] - y[at + t]).abs()))
                .collect();
            out.pointwise[lead].extend_from_slice(&residual);
            for &(start, end) in beats.get(w).map_or(&[][..], Vec::as_slice) {
                let largest = residual[start..end].iter().fold(0.0f64, |m, v| m.max(*v));
                out.beat[lead].push(largest);
            }
        }
    }
    out
}

/// Split-conformal quantile: the ⌈(n + 1)(1 − α)⌉-th smallest score (infinite when n is too small
/// for that rank).
pub fn conformal_quantile(scores: &mut [f64], alpha: f64) -> f64 {
    let n = scores.len();
    let rank = ((n as f64 + 1.0) * (1.0 - alpha)).ceil() as usize;
    if rank == 0 || rank > n {
        return f64::INFINITY;
    }
    scores.sort_by(f64::total_cmp);
    scores[rank - 1]
}

/// Calibrates bands for each model's predictions ([n, 5, 256]) on the calibration windows.
pub fn calibrate(
    set: &WindowSet,
    predictions: &[(&str, &[f32])],
    r_peaks: &[Vec<usize>],
    alpha: f64,
    calibrated_on: &str,
) -> ConformalBands {
    let beats = beat_spans(r_peaks);
    let mut bands = ConformalBands {
        alpha,
        calibrated_on: calibrated_on.to_owned(),
        windows: set.len(),
        beats: beats.iter().map(Vec::len).sum(),
        per_lead: BTreeMap::new(),
    };
    for (model, prediction) in predictions {
        let mut s = scores(set, prediction, &beats);
        for (lead, name) in TARGET_LEADS.iter().enumerate() {
            let band = LeadBand {
                pointwise_mv: conformal_quantile(&mut s.pointwise[lead], alpha),
                beat_mv: conformal_quantile(&mut s.beat[lead], alpha),
            };
            bands
                .per_lead
                .entry((*name).to_owned())
                .or_default()
                .insert((*model).to_owned(), band);
        }
    }
    bands
}

/// The bands' coverage on held-out windows, per lead and model.
pub fn coverage(
    bands: &ConformalBands,
    set: &WindowSet,
    predictions: &[(&str, &[f32])],
    r_peaks: &[Vec<usize>],
) -> Vec<Coverage> {
    let beats = beat_spans(r_peaks);
    let mut out = Vec::new();
    for (model, prediction) in predictions {
        let s = scores(set, prediction, &beats);
        for (lead, name) in TARGET_LEADS.iter().enumerate() {
            let Some(band) = bands.per_lead.get(*name).and_then(|m| m.get(*model)) else {
                continue;
            };
            let inside = |values: &[f64], q: f64| {
                values.iter().filter(|v| **v <= q).count() as f64 / values.len().max(1) as f64
            };
            out.push(Coverage {
                lead: (*name).to_owned(),
                model: (*model).to_owned(),
                band: *band,
                pointwise: inside(&s.pointwise[lead], band.pointwise_mv),
                beat: inside(&s.beat[lead], band.beat_mv),
                samples: s.pointwise[lead].len(),
                beats: s.beat[lead].len(),
            });
        }
    }
    out
}

/// The bands' file beside the models (its SHA-256 goes into the card).
pub const CONFORMAL_FILE: &str = "conformal.json";

/// Why calibration could not be done.
fn model_error(e: impl std::fmt::Display) -> super::EvalError {
    super::EvalError::Input(e.to_string())
}

/// Calibrates the models in `models_dir` on the validation split of their training data
/// (`folders`, assembled as training did), writes [`CONFORMAL_FILE`] beside them and its hash into
/// their card. An existing calibration is replaced only when `overwrite`.
pub fn calibrate_models(
    folders: &[std::path::PathBuf],
    models_dir: &std::path::Path,
    models: &crate::model::Reconstructor,
    alpha: f64,
    overwrite: bool,
    progress: &mut dyn crate::progress::Progress,
) -> Result<ConformalBands, super::EvalError> {
    use crate::model::card::{self, ModelCard};
    use crate::model::train::{TrainConfig, window_r_peaks};
    if !(alpha > 0.0 && alpha < 1.0) {
        return Err(model_error(format!("alpha {alpha} must lie in (0, 1)")));
    }
    let path = models_dir.join(CONFORMAL_FILE);
    if path.exists() && !overwrite {
        return Err(model_error(format!(
            "{}: exists (pass --overwrite to recalibrate)",
            path.display()
        )));
    }
    let mut model_card = ModelCard::read(models_dir).map_err(model_error)?;
    let config: TrainConfig = card::load_ron(
        &model_card
            .verify(models_dir, card::TRAINING_CONFIG)
            .map_err(model_error)?,
    )
    .map_err(model_error)?;
    let data =
        crate::prep::assemble(folders, config.qc_max_bad_leads, progress).map_err(model_error)?;
    let val = &data.val;
    if let Some(&expected) = model_card.windows_per_split.get("val")
        && expected != val.len()
    {
        return Err(model_error(format!(
            "{} validation windows here, the model card says {expected}: not the models' training data",
            val.len()
        )));
    }
    progress.message(&format!("calibrating on {} validation windows", val.len()));
    let c = models
        .reconstruct_windows(&val.x, crate::model::ModelVariant::C)
        .map_err(model_error)?;
    let ch = models
        .reconstruct_windows(&val.x, crate::model::ModelVariant::CH)
        .map_err(model_error)?;
    let bands = calibrate(
        val,
        &[("c", &c), ("ch", &ch)],
        &window_r_peaks(val),
        alpha,
        "val",
    );
    let text = serde_json::to_string_pretty(&bands).map_err(model_error)?;
    crate::output::write_file(&path, overwrite, |w| w.write_all(text.as_bytes()))
        .map_err(model_error)?;
    model_card
        .sha256
        .insert(CONFORMAL_FILE.to_owned(), card::sha256_hex(text.as_bytes()));
    model_card.write(models_dir).map_err(model_error)?;
    Ok(bands)
}

/// The calibrated bands of a models folder, verified against its card; `None` when it has none.
pub fn load_bands(
    models: &crate::model::Reconstructor,
    models_dir: &std::path::Path,
) -> Result<Option<ConformalBands>, super::EvalError> {
    if !models.card().sha256.contains_key(CONFORMAL_FILE) {
        return Ok(None);
    }
    let path = models
        .card()
        .verify(models_dir, CONFORMAL_FILE)
        .map_err(model_error)?;
    let text = std::fs::read_to_string(&path)
        .map_err(|e| model_error(format!("{}: {e}", path.display())))?;
    serde_json::from_str(&text)
        .map(Some)
        .map_err(|e| model_error(format!("{}: {e}", path.display())))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Rng;

    /// Windows whose residuals are Gaussian with a known σ per lead.
    fn noisy(n: usize, seed: u64) -> (WindowSet, Vec<f32>) {
        let mut rng = Rng::new(seed);
        let leads = TARGET_LEADS.len();
        let y: Vec<f32> = (0..n * leads * WINDOW)
            .map(|k| (k as f32 * 0.01).sin())
            .collect();
        let prediction = y
            .iter()
            .enumerate()
            .map(|(k, v)| {
                let lead = (k / WINDOW) % leads;
                v + (rng.normal() * 0.05 * (lead + 1) as f64) as f32
            })
            .collect();
        let set = WindowSet {
            x: vec![0.0; n * 3 * WINDOW],
            y,
            labels: vec![0; n],
            record: (0..n).collect(),
            starts: vec![0; n],
        };
        (set, prediction)
    }

    #[test]
    fn quantile_is_the_finite_sample_rank() {
        let mut scores: Vec<f64> = (1..=9).map(f64::from).collect();
        // ⌈10 · 0.9⌉ = 9th smallest.
        assert_eq!(conformal_quantile(&mut scores, 0.1), 9.0);
        let mut few = vec![1.0, 2.0];
        assert!(conformal_quantile(&mut few, 0.1).is_infinite());
    }

    /// Calibrated on one set, the bands cover 90 % of an exchangeable other set, pointwise and per
    /// beat, and the pointwise band is about 1.645 σ.
    #[test]
    fn bands_cover_exchangeable_data_at_the_nominal_rate() {
        let (cal, cal_pred) = noisy(200, 1);
        let (test, test_pred) = noisy(200, 2);
        let peaks = vec![vec![60, 140, 220]; 200];
        let bands = calibrate(&cal, &[("ch", &cal_pred)], &peaks, 0.1, "val");
        assert_eq!(bands.beats, 200 * 2, "the beat at 220 runs past the window");
        let v1 = bands.per_lead["V1"]["ch"];
        assert!((v1.pointwise_mv - 1.645 * 0.05).abs() < 0.004, "{v1:?}");
        assert!(v1.beat_mv > v1.pointwise_mv);
        for c in coverage(&bands, &test, &[("ch", &test_pred)], &peaks) {
            assert!((c.pointwise - 0.9).abs() < 0.01, "{c:?}");
            assert!((c.beat - 0.9).abs() < 0.05, "{c:?}");
        }
    }
}
