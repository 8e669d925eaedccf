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
//! not assumed.
//!
//! Beside the constant band, an **adaptive** one (locally weighted split conformal, Lei et al.
//! 2018, JASA 113:1094): the score is |y − ŷ| / (d + d₀), where d is a window's difficulty, the RMS
//! difference between C's and C-h's reconstructions of the lead over the window (where two models
//! trained differently disagree, either may be wrong), and d₀ the median difficulty on the
//! calibration windows (so an easy window's band does not collapse to nothing). The band is then
//! scale · (d + d₀): as valid as the constant one under exchangeability, and narrower where the
//! models agree. A window whose adaptive band is at least [`WIDE_FACTOR`] times the constant band
//! is flagged wide.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::model::twelve_lead::{BandAlong, EcgBands, ReconstructedEcg};
use crate::model::{TARGET_LEADS, WINDOW};
use crate::physics::anatomy::TARGET_ROWS;
use crate::prep::WindowSet;

/// A beat for the simultaneous band: samples before and after the R peak, at 100 Hz.
const BEAT_BEFORE: usize = 25;
const BEAT_AFTER: usize = 45;

/// A window is flagged wide when its adaptive band is at least this many times the constant one.
pub const WIDE_FACTOR: f64 = 1.5;

/// One lead's band half-widths for one model (mV).
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct LeadBand {
    pub pointwise_mv: f64,
    pub beat_mv: f64,
    /// The band scaled by each window's difficulty (absent in bands calibrated without it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub adaptive: Option<AdaptiveBand>,
}

/// An adaptive band: half-width = scale · (d + `floor_mv`), d the window's difficulty (mV).
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct AdaptiveBand {
    /// d₀: the median difficulty of the calibration windows.
    pub floor_mv: f64,
    pub pointwise_scale: f64,
    pub beat_scale: f64,
}

impl AdaptiveBand {
    pub fn pointwise_mv(&self, difficulty_mv: f64) -> f64 {
        self.pointwise_scale * (difficulty_mv + self.floor_mv)
    }

    pub fn beat_mv(&self, difficulty_mv: f64) -> f64 {
        self.beat_scale * (difficulty_mv + self.floor_mv)
    }
}

/// Each window's difficulty per target lead: the RMS of C − C-h over the window (mV), from the two
/// models' predictions ([n, 5, 256] each).
pub fn window_difficulty(c: &[f32], ch: &[f32]) -> Vec<[f64; 5]> {
    let leads = TARGET_LEADS.len();
    c.chunks_exact(leads * WINDOW)
        .zip(ch.chunks_exact(leads * WINDOW))
        .map(|(c, ch)| {
            std::array::from_fn(|lead| {
                let at = lead * WINDOW;
                let sum: f64 = (at..at + WINDOW)
                    .map(|t| f64::from(c[t] - ch[t]).powi(2))
                    .sum();
                (sum / WINDOW as f64).sqrt()
            })
        })
        .collect()
}

/// The difficulty at every sample of a whole-record reconstruction (100 Hz): the RMS of C − C-h
/// over the model window the sample falls in (non-overlapping windows, the last flush with the
/// end, as inference reassembles them).
pub fn difficulty_along(c: &[f64], ch: &[f64]) -> Vec<f64> {
    let n = c.len().min(ch.len());
    let mut out = vec![f64::NAN; n];
    let mut start = 0;
    while start < n {
        let begin = if start + WINDOW > n {
            n.saturating_sub(WINDOW)
        } else {
            start
        };
        let end = (begin + WINDOW).min(n);
        let finite: Vec<f64> = (begin..end)
            .map(|t| c[t] - ch[t])
            .filter(|d| d.is_finite())
            .collect();
        let rms = if finite.is_empty() {
            f64::NAN
        } else {
            (finite.iter().map(|d| d * d).sum::<f64>() / finite.len() as f64).sqrt()
        };
        out[start..end].fill(rms);
        start = end;
    }
    out
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

impl ConformalBands {
    /// The nominal coverage 1 − α.
    pub fn coverage(&self) -> f64 {
        1.0 - self.alpha
    }
}

/// What the adaptive band did on held-out windows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct AdaptiveCoverage {
    pub pointwise: f64,
    pub beat: f64,
    /// The mean pointwise half-width over windows (mV), to set beside the constant band.
    pub mean_band_mv: f64,
    /// The share of windows flagged wide, and the RMSE (mV) of the flagged and the other windows:
    /// whether a flag marks windows that really are worse.
    pub flagged: f64,
    pub rmse_flagged_mv: f64,
    pub rmse_unflagged_mv: f64,
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
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub adaptive: Option<AdaptiveCoverage>,
}

/// The scores of one model on a window set: per lead, every |residual| and every beat's largest,
/// and where each score's window is (for the adaptive band's scaling).
struct Scores {
    pointwise: Vec<Vec<f64>>,
    beat: Vec<Vec<f64>>,
    /// The window of each beat score (pointwise scores come in runs of `WINDOW` per window).
    beat_window: Vec<Vec<usize>>,
    /// Per lead, each window's sum of squared residuals.
    window_sse: Vec<Vec<f64>>,
}

impl Scores {
    /// The scores divided by their window's difficulty plus `floor` (per lead).
    fn scaled(&self, difficulty: &[[f64; 5]], floors: &[f64; 5]) -> (Vec<Vec<f64>>, Vec<Vec<f64>>) {
        let scale = |lead: usize, w: usize| 1.0 / (difficulty[w][lead] + floors[lead]).max(1e-9);
        let pointwise = (0..TARGET_LEADS.len())
            .map(|lead| {
                self.pointwise[lead]
                    .iter()
                    .enumerate()
                    .map(|(k, v)| v * scale(lead, k / WINDOW))
                    .collect()
            })
            .collect();
        let beat = (0..TARGET_LEADS.len())
            .map(|lead| {
                self.beat[lead]
                    .iter()
                    .zip(&self.beat_window[lead])
                    .map(|(v, &w)| v * scale(lead, w))
                    .collect()
            })
            .collect();
        (pointwise, beat)
    }
}

/// Per lead, the median difficulty of the windows.
fn median_difficulty(difficulty: &[[f64; 5]]) -> [f64; 5] {
    std::array::from_fn(|lead| {
        let mut values: Vec<f64> = difficulty.iter().map(|d| d[lead]).collect();
        values.sort_by(f64::total_cmp);
        values.get(values.len() / 2).copied().unwrap_or(0.0)
    })
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
        beat_window: vec![Vec::new(); leads],
        window_sse: vec![Vec::new(); leads],
    };
    for w in 0..set.len() {
        let y = set.y_of(w);
        for lead in 0..leads {
            let at = lead * WINDOW;
            let p = &prediction[(w * leads + lead) * WINDOW..][..WINDOW];
            let residual: Vec<f64> = (0..WINDOW)
                .map(|t| f64::from((p[t] - y[at + t]).abs()))
                .collect();
            out.window_sse[lead].push(residual.iter().map(|r| r * r).sum());
            out.pointwise[lead].extend_from_slice(&residual);
            for &(start, end) in beats.get(w).map_or(&[][..], Vec::as_slice) {
                let largest = residual[start..end].iter().fold(0.0f64, |m, v| m.max(*v));
                out.beat[lead].push(largest);
                out.beat_window[lead].push(w);
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

/// Calibrates bands for each model's predictions ([n, 5, 256]) on the calibration windows; with
/// each window's `difficulty` ([`window_difficulty`]), the adaptive bands too.
pub fn calibrate(
    set: &WindowSet,
    predictions: &[(&str, &[f32])],
    r_peaks: &[Vec<usize>],
    difficulty: Option<&[[f64; 5]]>,
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
    let floors = difficulty.map(median_difficulty);
    for (model, prediction) in predictions {
        let mut s = scores(set, prediction, &beats);
        let mut scaled = difficulty
            .zip(floors.as_ref())
            .map(|(difficulty, floors)| s.scaled(difficulty, floors));
        for (lead, name) in TARGET_LEADS.iter().enumerate() {
            let adaptive =
                scaled
                    .as_mut()
                    .zip(floors.as_ref())
                    .map(|((pointwise, beat), floors)| AdaptiveBand {
                        floor_mv: floors[lead],
                        pointwise_scale: conformal_quantile(&mut pointwise[lead], alpha),
                        beat_scale: conformal_quantile(&mut beat[lead], alpha),
                    });
            let band = LeadBand {
                pointwise_mv: conformal_quantile(&mut s.pointwise[lead], alpha),
                beat_mv: conformal_quantile(&mut s.beat[lead], alpha),
                adaptive,
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

/// The bands' coverage on held-out windows, per lead and model; with each window's `difficulty`,
/// the adaptive bands' too.
pub fn coverage(
    bands: &ConformalBands,
    set: &WindowSet,
    predictions: &[(&str, &[f32])],
    r_peaks: &[Vec<usize>],
    difficulty: Option<&[[f64; 5]]>,
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
            let adaptive = band.adaptive.zip(difficulty).map(|(adaptive, difficulty)| {
                adaptive_coverage(&s, lead, band.pointwise_mv, &adaptive, difficulty)
            });
            out.push(Coverage {
                lead: (*name).to_owned(),
                model: (*model).to_owned(),
                band: *band,
                pointwise: inside(&s.pointwise[lead], band.pointwise_mv),
                beat: inside(&s.beat[lead], band.beat_mv),
                samples: s.pointwise[lead].len(),
                beats: s.beat[lead].len(),
                adaptive,
            });
        }
    }
    out
}

/// How the adaptive band of one lead did: coverage, width, and the flagged windows' error.
fn adaptive_coverage(
    s: &Scores,
    lead: usize,
    constant_mv: f64,
    band: &AdaptiveBand,
    difficulty: &[[f64; 5]],
) -> AdaptiveCoverage {
    let windows = s.window_sse[lead].len();
    let share = |inside: usize, n: usize| inside as f64 / n.max(1) as f64;
    let pointwise_inside = s.pointwise[lead]
        .iter()
        .enumerate()
        .filter(|(k, v)| **v <= band.pointwise_mv(difficulty[k / WINDOW][lead]))
        .count();
    let beat_inside = s.beat[lead]
        .iter()
        .zip(&s.beat_window[lead])
        .filter(|(v, w)| **v <= band.beat_mv(difficulty[**w][lead]))
        .count();
    let (mut flagged, mut sse_flagged, mut sse_other, mut width) = (0usize, 0.0, 0.0, 0.0);
    for (w, sse) in s.window_sse[lead].iter().enumerate() {
        let half_width = band.pointwise_mv(difficulty[w][lead]);
        width += half_width;
        if half_width >= WIDE_FACTOR * constant_mv {
            flagged += 1;
            sse_flagged += sse;
        } else {
            sse_other += sse;
        }
    }
    let rmse = |sse: f64, n: usize| {
        if n == 0 {
            f64::NAN
        } else {
            (sse / (n * WINDOW) as f64).sqrt()
        }
    };
    AdaptiveCoverage {
        pointwise: share(pointwise_inside, s.pointwise[lead].len()),
        beat: share(beat_inside, s.beat[lead].len()),
        mean_band_mv: width / windows.max(1) as f64,
        flagged: share(flagged, windows),
        rmse_flagged_mv: rmse(sse_flagged, flagged),
        rmse_unflagged_mv: rmse(sse_other, windows - flagged),
    }
}

/// Attaches the calibrated bands to a record's reconstructions by C and C-h (`[C, C-h]`, as
/// [`ReconstructedEcg::pair_from_record`] gives them): adaptive where calibrated so, their
/// difficulty the two models' disagreement, with the wide windows marked.
pub fn attach_bands(pair: &mut [ReconstructedEcg; 2], bands: &ConformalBands) {
    let difficulty: Vec<Vec<f64>> = TARGET_ROWS
        .iter()
        .map(|&row| difficulty_along(&pair[0].leads[row], &pair[1].leads[row]))
        .collect();
    for ecg in pair.iter_mut() {
        let key = ecg.variant.key();
        let leads: Option<Vec<BandAlong>> = TARGET_LEADS
            .iter()
            .enumerate()
            .map(|(k, lead)| {
                let band = bands.per_lead.get(*lead)?.get(key)?;
                Some(band_along(band, &difficulty[k]))
            })
            .collect();
        let adaptive = TARGET_LEADS.iter().all(|lead| {
            bands
                .per_lead
                .get(*lead)
                .and_then(|models| models.get(key))
                .is_some_and(|band| band.adaptive.is_some())
        });
        ecg.bands = leads.and_then(|leads| {
            Some(EcgBands {
                coverage: bands.coverage(),
                adaptive,
                leads: leads.try_into().ok()?,
            })
        });
    }
}

/// `record` rebuilt by `variant`, with `bands` attached where given (both models then run: the
/// adaptive band needs their disagreement).
pub fn reconstruct_with_bands(
    record: &crate::wfdb::Record,
    models: &crate::model::Reconstructor,
    variant: crate::model::ModelVariant,
    bands: Option<&ConformalBands>,
) -> Result<ReconstructedEcg, crate::model::ModelError> {
    let Some(bands) = bands else {
        return ReconstructedEcg::from_record(record, models, variant);
    };
    let mut pair = ReconstructedEcg::pair_from_record(record, models)?;
    attach_bands(&mut pair, bands);
    let [c, ch] = pair;
    Ok(match variant {
        crate::model::ModelVariant::C => c,
        crate::model::ModelVariant::CH => ch,
    })
}

/// One lead's band along a record whose windows have `difficulty` (per sample).
fn band_along(band: &LeadBand, difficulty: &[f64]) -> BandAlong {
    let half_width_mv: Vec<f64> = match band.adaptive {
        Some(adaptive) => difficulty
            .iter()
            .map(|d| adaptive.pointwise_mv(*d))
            .collect(),
        None => vec![band.pointwise_mv; difficulty.len()],
    };
    let mut wide = Vec::new();
    let mut start = None;
    for (t, width) in half_width_mv.iter().enumerate() {
        let is_wide = *width >= WIDE_FACTOR * band.pointwise_mv;
        match (is_wide, start) {
            (true, None) => start = Some(t),
            (false, Some(s)) => {
                wide.push((s, t));
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        wide.push((s, half_width_mv.len()));
    }
    BandAlong {
        half_width_mv,
        constant_mv: band.pointwise_mv,
        wide,
    }
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
    let data = config.assemble(folders, progress).map_err(model_error)?;
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
    let difficulty = window_difficulty(&c, &ch);
    let bands = calibrate(
        val,
        &[("c", &c), ("ch", &ch)],
        &window_r_peaks(val),
        Some(&difficulty),
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
        (with_targets(n, y), prediction)
    }

    /// `n` windows with these targets (inputs zero), each its own record.
    fn with_targets(n: usize, y: Vec<f32>) -> WindowSet {
        WindowSet {
            x: vec![0.0; n * 3 * WINDOW],
            y,
            labels: vec![0; n],
            record: (0..n).collect(),
            starts: vec![0; n],
        }
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
        let bands = calibrate(&cal, &[("ch", &cal_pred)], &peaks, None, 0.1, "val");
        assert_eq!(bands.beats, 200 * 2, "the beat at 220 runs past the window");
        let v1 = bands.per_lead["V1"]["ch"];
        assert!((v1.pointwise_mv - 1.645 * 0.05).abs() < 0.004, "{v1:?}");
        assert!(v1.beat_mv > v1.pointwise_mv);
        for c in coverage(&bands, &test, &[("ch", &test_pred)], &peaks, None) {
            assert!((c.pointwise - 0.9).abs() < 0.01, "{c:?}");
            assert!((c.beat - 0.9).abs() < 0.05, "{c:?}");
        }
    }

    /// Heteroscedastic windows (a fifth hard, σ 0.2 mV; the rest σ 0.02) with the difficulty
    /// known: the adaptive band covers at the nominal rate, is narrower on average than the
    /// constant band, and flags exactly the hard windows, whose error is ten times the others'.
    #[test]
    fn the_adaptive_band_follows_the_difficulty() {
        let n = 400;
        let sigma = |w: usize| if w.is_multiple_of(5) { 0.2 } else { 0.02 };
        let make = |seed: u64| {
            let mut rng = Rng::new(seed);
            let leads = TARGET_LEADS.len();
            let y = vec![0.0f32; n * leads * WINDOW];
            let prediction: Vec<f32> = (0..y.len())
                .map(|k| (rng.normal() * sigma(k / (leads * WINDOW))) as f32)
                .collect();
            (with_targets(n, y), prediction)
        };
        let difficulty: Vec<[f64; 5]> = (0..n).map(|w| [sigma(w); 5]).collect();
        let peaks = vec![vec![60, 140]; n];
        let (cal, cal_pred) = make(3);
        let (test, test_pred) = make(4);
        let bands = calibrate(
            &cal,
            &[("ch", &cal_pred)],
            &peaks,
            Some(&difficulty),
            0.1,
            "val",
        );
        let adaptive = bands.per_lead["V4"]["ch"]
            .adaptive
            .expect("an adaptive band");
        assert!((adaptive.floor_mv - 0.02).abs() < 1e-12, "{adaptive:?}");
        for c in coverage(
            &bands,
            &test,
            &[("ch", &test_pred)],
            &peaks,
            Some(&difficulty),
        ) {
            let a = c.adaptive.expect("adaptive coverage");
            assert!((a.pointwise - 0.9).abs() < 0.01, "{a:?}");
            assert!(
                a.mean_band_mv < 0.85 * c.band.pointwise_mv,
                "{a:?} vs {:?}",
                c.band
            );
            assert!((a.flagged - 0.2).abs() < 1e-9, "{a:?}");
            assert!(a.rmse_flagged_mv > 8.0 * a.rmse_unflagged_mv, "{a:?}");
        }
        // Without difficulty nothing adaptive is calibrated or reported.
        let plain = calibrate(&cal, &[("ch", &cal_pred)], &peaks, None, 0.1, "val");
        assert!(plain.per_lead["V4"]["ch"].adaptive.is_none());
    }

    /// Along a record, each sample gets its window's RMS disagreement; the last window is flush
    /// with the end.
    #[test]
    fn difficulty_along_a_record_is_per_model_window() {
        let n = WINDOW * 2 + 10;
        let c = vec![0.0; n];
        let ch: Vec<f64> = (0..n).map(|t| if t < WINDOW { 0.1 } else { 0.3 }).collect();
        let d = difficulty_along(&c, &ch);
        assert!((d[0] - 0.1).abs() < 1e-12);
        assert!((d[WINDOW] - 0.3).abs() < 1e-12);
        assert!((d[n - 1] - 0.3).abs() < 1e-12);
    }
}
