//! Evidence for the shipped architecture: trains the alternatives METHOD.md and the issue name — ten
//! per-lead decoders instead of two multi-output ones, and the other input normalisation — on the
//! same windows, with the shipped encoder and the same training schedule, and scores them on the same
//! held-out windows next to the shipped decoders. Nothing here is saved as a model.
//!
//! Choosing between them is choosing the architecture, so it is done on the validation split; the
//! test split is for the one report of the chosen models (`precordial eval`), and scoring the
//! alternatives there is allowed only when asked for by name.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::backend::SelectedDevice;
use super::card::{self, ModelCard};
use super::decoder::DecoderConfig;
use super::train::{self, DecoderData, StageSummary, TrainConfig, TrainProgress};
use super::{
    ModelError, TARGET_LEADS, WINDOW, fit_least_squares, predict_least_squares, split_metrics,
};
use crate::metrics::SplitMetrics;
use crate::physics::{AnatomyAugmentation, ThreeLeadDipole};
use crate::prep::{self, AssembleOptions, InputNorm, LudbScaling, Screen, Split, WindowSet};

/// Which alternatives to train.
#[derive(Clone, Copy, Debug, Default)]
pub struct AblationChoice {
    /// Five single-output C-h decoders (the paper's layout).
    pub per_lead_ch: bool,
    /// Five single-output C decoders.
    pub per_lead_c: bool,
    /// Multi-output C and C-h with the other input normalisation than the shipped ones.
    pub other_norm: bool,
    /// Multi-output C and C-h trained on windows re-synthesised through random anatomies
    /// (`physics::augment`, its default bounds unless `training.ron` sets them).
    pub anatomy: bool,
}

/// Metrics of every model compared on one split, with the training cost of each alternative.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct AblationReport {
    pub split: String,
    pub windows: usize,
    /// Model name → metrics (the shipped decoders are `shipped_c` and `shipped_ch`).
    pub metrics: BTreeMap<String, SplitMetrics>,
    /// Each alternative against the shipped decoder it replaces, paired over records.
    #[serde(default)]
    pub paired: Vec<PairedRecords>,
    /// The same models on every window of a dataset never trained on (LUDB, PTB), where given.
    #[serde(default)]
    pub cross: Option<CrossDataset>,
    /// Model name → training seconds (summed over its decoders) and parameters.
    pub train_seconds: BTreeMap<String, f64>,
    pub parameters: BTreeMap<String, usize>,
    pub stages: Vec<StageSummary>,
    pub device: String,
}

/// Every model of the comparison on a dataset the models never saw.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct CrossDataset {
    pub datasets: Vec<String>,
    pub windows: usize,
    pub metrics: BTreeMap<String, SplitMetrics>,
    #[serde(default)]
    pub paired: Vec<PairedRecords>,
}

/// An alternative against the shipped decoder of its kind: each record's RMSE over its windows and
/// five leads under both, compared by a paired sign-flip permutation test, Holm-adjusted over the
/// comparisons of the table.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PairedRecords {
    pub model: String,
    pub against: String,
    pub records: usize,
    /// Mean over records of the alternative's RMSE minus the shipped one's (mV; negative: better).
    pub mean_difference_mv: f64,
    pub p_value: f64,
    pub p_holm: f64,
}

/// Each record's RMSE (mV) over all its windows and the five leads, in record order.
fn record_rmse(prediction: &[f32], set: &WindowSet) -> BTreeMap<usize, f64> {
    let per_window = TARGET_LEADS.len() * WINDOW;
    let mut sums: BTreeMap<usize, (f64, usize)> = BTreeMap::new();
    for (w, &record) in set.record.iter().enumerate() {
        let range = w * per_window..(w + 1) * per_window;
        let (Some(p), Some(y)) = (prediction.get(range.clone()), set.y.get(range)) else {
            continue;
        };
        let sse: f64 = p.iter().zip(y).map(|(a, b)| f64::from(a - b).powi(2)).sum();
        let entry = sums.entry(record).or_default();
        entry.0 += sse;
        entry.1 += per_window;
    }
    sums.into_iter()
        .map(|(record, (sse, n))| (record, (sse / n as f64).sqrt()))
        .collect()
}

/// The shipped decoder an alternative replaces: C-h for the C-h variants, C otherwise.
fn counterpart(model: &str) -> &'static str {
    if model.starts_with("ch") || model.starts_with("per_lead_ch") {
        "shipped_ch"
    } else {
        "shipped_c"
    }
}

/// Paired tests of every alternative in `per_record` against its shipped counterpart.
fn paired_records(
    per_record: &BTreeMap<String, BTreeMap<usize, f64>>,
    seed: u64,
) -> Vec<PairedRecords> {
    let mut out = Vec::new();
    for (model, rmse) in per_record {
        if model.starts_with("shipped") || model == "least_squares" || model == "dipole" {
            continue;
        }
        let against = counterpart(model);
        let Some(shipped) = per_record.get(against) else {
            continue;
        };
        let (a, b): (Vec<f64>, Vec<f64>) = rmse
            .iter()
            .filter_map(|(record, value)| Some((*value, *shipped.get(record)?)))
            .unzip();
        let Some(p_value) = crate::metrics::stats::paired_permutation_p(&a, &b, 10_000, seed)
        else {
            continue;
        };
        out.push(PairedRecords {
            model: model.clone(),
            against: against.to_owned(),
            records: a.len(),
            mean_difference_mv: a.iter().zip(&b).map(|(x, y)| x - y).sum::<f64>() / a.len() as f64,
            p_value,
            p_holm: f64::NAN,
        });
    }
    let holm = crate::metrics::stats::holm(&out.iter().map(|t| t.p_value).collect::<Vec<_>>());
    for (test, p) in out.iter_mut().zip(holm) {
        test.p_holm = p;
    }
    out
}

fn paired_markdown(tests: &[PairedRecords]) -> String {
    if tests.is_empty() {
        return String::new();
    }
    let mut md = "\nPaired over records (each record's RMSE over its windows and five leads; sign-flip \
                  permutation test, Holm over the rows):\n\n| model | against | records | mean Δ RMSE (mV) | p | p (Holm) |\n|---|---|---|---|---|---|\n"
        .to_owned();
    for t in tests {
        md.push_str(&format!(
            "| {} | {} | {} | {:+.4} | {:.4} | {:.4} |\n",
            t.model, t.against, t.records, t.mean_difference_mv, t.p_value, t.p_holm
        ));
    }
    md
}

impl AblationReport {
    /// The comparison as a Markdown table, best mean RMSE first.
    pub fn markdown(&self) -> String {
        let mut md = format!(
            "{} split, {} windows, device {}. RMSE mV / R² / Pearson r.\n\n",
            self.split, self.windows, self.device
        );
        md.push_str(&self.table(&self.metrics));
        md.push_str(&paired_markdown(&self.paired));
        if let Some(cross) = &self.cross {
            md.push_str(&format!(
                "\nNever trained on: {} ({} windows, every split).\n\n",
                cross.datasets.join(", "),
                cross.windows
            ));
            md.push_str(&self.table(&cross.metrics));
            md.push_str(&paired_markdown(&cross.paired));
        }
        md
    }

    fn table(&self, metrics: &BTreeMap<String, SplitMetrics>) -> String {
        let mut rows: Vec<(&String, &SplitMetrics)> = metrics.iter().collect();
        rows.sort_by(|a, b| a.1.mean.rmse_mv.total_cmp(&b.1.mean.rmse_mv));
        let mut md = "| model | parameters | train s |".to_owned();
        for lead in TARGET_LEADS {
            md.push_str(&format!(" {lead} |"));
        }
        md.push_str(" mean |\n|---|---|---|");
        md.push_str(&"---|".repeat(TARGET_LEADS.len() + 1));
        md.push('\n');
        for (name, m) in rows {
            let params = self
                .parameters
                .get(name)
                .map_or("–".to_owned(), |p| p.to_string());
            let seconds = self
                .train_seconds
                .get(name)
                .map_or("–".to_owned(), |s| format!("{s:.0}"));
            md.push_str(&format!("| {name} | {params} | {seconds} |"));
            for (_, lm) in &m.per_lead {
                md.push_str(&format!(" {lm} |"));
            }
            md.push_str(&format!(" **{}** |\n", m.mean));
        }
        md
    }
}

/// Trains the chosen alternatives on `folders` (the shipped models' training data) with the shipped
/// encoder and `training.ron`, and scores everything on `split` (validation, to choose; the train
/// split is refused: the alternatives were fitted on it) and on every window of `cross_data`
/// (datasets never trained on, screened with the training data's quality-control bounds).
pub fn compare(
    folders: &[PathBuf],
    cross_data: &[PathBuf],
    models_dir: &Path,
    choice: AblationChoice,
    split: Split,
    device: &SelectedDevice,
    progress: &mut dyn TrainProgress,
) -> Result<AblationReport, ModelError> {
    if split == Split::Train {
        return Err(ModelError::Data(
            "the alternatives are trained on the train split: compare them on val (or test)"
                .to_owned(),
        ));
    }
    let card = ModelCard::read(models_dir)?;
    let config: TrainConfig = card::load_ron(&card.verify(models_dir, card::TRAINING_CONFIG)?)?;
    let d = &device.device;
    let data = config.assemble(folders, progress)?;
    let scored = data.split(split);
    let expected = card.windows_per_split.get(split.name()).copied();
    if expected.is_some_and(|n| n != scored.len()) {
        progress.message(&format!(
            "warning: {} {} windows here, the model card says {}: not the models' training data?",
            scored.len(),
            split.name(),
            expected.unwrap_or_default()
        ));
    }
    let cross = if cross_data.is_empty() {
        None
    } else {
        let options = AssembleOptions {
            qc_max_bad_leads: config.qc_max_bad_leads,
            ludb: LudbScaling::CommonGain,
            qc: data.qc.clone(),
            screen: Screen::AllLeads,
            keep_held_out_datasets: true,
            train_subset: None,
            cv: None,
        };
        let cross = prep::assemble_with(cross_data, &options, progress)?;
        let mut datasets: Vec<String> = cross.records.iter().map(|r| r.dataset.clone()).collect();
        datasets.sort();
        datasets.dedup();
        Some((
            datasets,
            WindowSet::concat([&cross.train, &cross.val, &cross.test]),
        ))
    };

    let mut encoder = config.encoder.init(d);
    card::load_weights(
        &mut encoder,
        &card.verify(models_dir, card::ENCODER_WEIGHTS)?,
    )?;
    progress.message("embedding every window with the shipped encoder");
    let embed = |set: &WindowSet| -> Result<Vec<f32>, ModelError> {
        let mut embedded = train::embed_set(&encoder, set, d)?;
        train::normalise_embeddings(&mut embedded, &card.embedding_mean, &card.embedding_std);
        Ok(embedded)
    };
    let mut h: BTreeMap<Split, Vec<f32>> = BTreeMap::new();
    for split in Split::ALL {
        h.insert(split, embed(data.split(split))?);
    }
    let cross_h = cross.as_ref().map(|(_, set)| embed(set)).transpose()?;
    let view = |split: Split| DecoderData {
        set: data.split(split),
        h: h.get(&split).map_or(&[][..], Vec::as_slice),
    };
    let (train_data, val_data) = (view(Split::Train), view(Split::Val));
    // The sets every model is scored on: the split, then the cross dataset.
    let mut scored_sets = vec![view(split)];
    if let (Some((_, set)), Some(h)) = (&cross, &cross_h) {
        scored_sets.push(DecoderData { set, h });
    }
    let mut scores: Vec<BTreeMap<String, SplitMetrics>> = vec![BTreeMap::new(); scored_sets.len()];
    // Per scored set: model → record → RMSE, for the paired tests.
    let mut per_record: Vec<BTreeMap<String, BTreeMap<usize, f64>>> =
        vec![BTreeMap::new(); scored_sets.len()];

    let mut report = AblationReport {
        split: split.name().to_owned(),
        windows: scored.len(),
        device: device.name.clone(),
        ..AblationReport::default()
    };

    // The shipped decoders on the same windows.
    for (name, config_file, weights_file) in [
        ("shipped_c", card::DECODER_C_CONFIG, card::DECODER_C_WEIGHTS),
        (
            "shipped_ch",
            card::DECODER_CH_CONFIG,
            card::DECODER_CH_WEIGHTS,
        ),
    ] {
        let decoder_config: DecoderConfig = card::load_ron(&card.verify(models_dir, config_file)?)?;
        let mut decoder = decoder_config.init(d);
        card::load_weights(&mut decoder, &card.verify(models_dir, weights_file)?)?;
        for ((set, scores), records) in scored_sets.iter().zip(&mut scores).zip(&mut per_record) {
            let prediction = train::predict_set(&decoder, decoder_config.input_norm, set, d)?;
            scores.insert(name.to_owned(), split_metrics(&prediction, &set.set.y));
            records.insert(name.to_owned(), record_rmse(&prediction, set.set));
        }
        report
            .parameters
            .insert(name.to_owned(), burn::module::Module::num_params(&decoder));
        let stage = name.replace("shipped_", "decoder_");
        if let Some(summary) = card.stages.iter().find(|s| s.stage == stage) {
            report
                .train_seconds
                .insert(name.to_owned(), summary.train_seconds);
        }
    }
    // The baselines: fitted (least squares) and physical (the dipole).
    let least_squares = fit_least_squares(&data.train)?;
    let dipole = ThreeLeadDipole::population().map_err(|e| ModelError::Data(e.to_string()))?;
    for (set, scores) in scored_sets.iter().zip(scores.iter_mut()) {
        let set = set.set;
        scores.insert(
            "least_squares".to_owned(),
            split_metrics(&predict_least_squares(&least_squares, set)?, &set.y),
        );
        let physics = dipole
            .reconstruct_windows(&set.x, WINDOW)
            .map_err(|e| ModelError::Data(e.to_string()))?;
        scores.insert("dipole".to_owned(), split_metrics(&physics, &set.y));
    }

    // Alternatives: (name, decoder config, per lead, anatomical augmentation).
    let other = |norm: InputNorm| match norm {
        InputNorm::ZScore => InputNorm::CenteredMv,
        InputNorm::CenteredMv => InputNorm::ZScore,
    };
    let mut runs: Vec<(String, DecoderConfig, bool, Option<AnatomyAugmentation>)> = Vec::new();
    let shipped_augmentation = config.decoder_training.anatomical_augmentation;
    if choice.per_lead_ch {
        let run = ("per_lead_ch".to_owned(), config.decoder_ch.clone(), true);
        runs.push((run.0, run.1, run.2, shipped_augmentation));
    }
    if choice.per_lead_c {
        let run = ("per_lead_c".to_owned(), config.decoder_c.clone(), true);
        runs.push((run.0, run.1, run.2, shipped_augmentation));
    }
    if choice.other_norm {
        for base in [&config.decoder_c, &config.decoder_ch] {
            let norm = other(base.input_norm);
            let name = format!("{}_{norm:?}", if base.with_embedding { "ch" } else { "c" });
            let model = base.clone().with_input_norm(norm);
            runs.push((name, model, false, shipped_augmentation));
        }
    }
    if choice.anatomy {
        // The other side of the shipped choice: with augmentation if the shipped decoders have
        // none, without if they have it.
        let (suffix, augmentation) = match shipped_augmentation {
            None => ("anatomy", Some(AnatomyAugmentation::default())),
            Some(_) => ("no_anatomy", None),
        };
        for base in [&config.decoder_c, &config.decoder_ch] {
            let name = format!("{}_{suffix}", if base.with_embedding { "ch" } else { "c" });
            runs.push((name, base.clone(), false, augmentation));
        }
    }
    for (name, base, per_lead, augmentation) in runs {
        // No wall-clock budget: on a loaded machine a budget would stop the alternatives sooner
        // than the shipped decoders (which stopped on validation patience, not on time), an unfair
        // comparison.
        let mut schedule = config.decoder_training.clone();
        schedule.max_minutes = 0.0;
        schedule.anatomical_augmentation = augmentation;
        let run = train::DecoderTraining {
            train: &train_data,
            val: &val_data,
            schedule: &schedule,
            seed: config.seed,
            device: d,
        };
        let groups: Vec<Vec<usize>> = if per_lead {
            (0..TARGET_LEADS.len()).map(|lead| vec![lead]).collect()
        } else {
            vec![(0..TARGET_LEADS.len()).collect()]
        };
        let mut predictions: Vec<Vec<f32>> = scored_sets
            .iter()
            .map(|set| vec![0.0f32; set.set.len() * TARGET_LEADS.len() * WINDOW])
            .collect();
        let (mut seconds, mut parameters) = (0.0, 0);
        for outputs in groups {
            let model_config = base.clone().with_outputs(outputs.len());
            let stage = if per_lead {
                format!("{name}_{}", TARGET_LEADS[outputs[0]])
            } else {
                name.clone()
            };
            let (decoder, summary) = run.unsaved(&stage, &model_config, &outputs, progress)?;
            for (set, prediction) in scored_sets.iter().zip(predictions.iter_mut()) {
                let predicted = train::predict_set(&decoder, model_config.input_norm, set, d)?;
                scatter_leads(&predicted, &outputs, prediction);
            }
            seconds += summary.train_seconds;
            parameters += burn::module::Module::num_params(&decoder);
            report.stages.push(summary);
            if progress.cancelled() {
                return Err(ModelError::Data("stopped by the user".to_owned()));
            }
        }
        for (((set, prediction), scores), records) in scored_sets
            .iter()
            .zip(&predictions)
            .zip(&mut scores)
            .zip(&mut per_record)
        {
            scores.insert(name.clone(), split_metrics(prediction, &set.set.y));
            records.insert(name.clone(), record_rmse(prediction, set.set));
        }
        report.train_seconds.insert(name.clone(), seconds);
        report.parameters.insert(name, parameters);
    }
    let mut scores = scores.into_iter();
    let mut paired = per_record
        .iter()
        .map(|records| paired_records(records, config.seed));
    report.metrics = scores.next().unwrap_or_default();
    report.paired = paired.next().unwrap_or_default();
    if let (Some((datasets, set)), Some(metrics)) = (cross, scores.next()) {
        report.cross = Some(CrossDataset {
            datasets,
            windows: set.len(),
            metrics,
            paired: paired.next().unwrap_or_default(),
        });
    }
    Ok(report)
}

/// Scatters a decoder's predictions [n, outputs, 256] into the lead slots of [n, 5, 256].
fn scatter_leads(predicted: &[f32], outputs: &[usize], into: &mut [f32]) {
    let n = into.len() / (TARGET_LEADS.len() * WINDOW);
    for w in 0..n {
        for (k, &lead) in outputs.iter().enumerate() {
            let from = (w * outputs.len() + k) * WINDOW;
            let to = (w * TARGET_LEADS.len() + lead) * WINDOW;
            into[to..to + WINDOW].copy_from_slice(&predicted[from..from + WINDOW]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::DeviceChoice;
    use crate::model::backend::select_device;
    use crate::progress::Silent;

    /// Records are scored over all their windows; an alternative better on every record is found
    /// significant, one equal on every record is not.
    #[test]
    fn records_are_paired_with_the_shipped_counterpart() {
        let per_window = TARGET_LEADS.len() * WINDOW;
        let records = 12;
        let set = WindowSet {
            y: vec![0.0; 2 * records * per_window],
            record: (0..2 * records).map(|w| w / 2).collect(),
            ..WindowSet::default()
        };
        // Window w predicts a constant 0.1·(1 + record) (shipped) or 0.05·(1 + record) (better).
        let constant = |scale: f64| -> Vec<f32> {
            (0..2 * records)
                .flat_map(|w| std::iter::repeat_n((scale * (1 + w / 2) as f64) as f32, per_window))
                .collect()
        };
        let shipped = record_rmse(&constant(0.1), &set);
        assert_eq!(shipped.len(), records);
        assert!((shipped[&3] - 0.4).abs() < 1e-6);
        let mut per_record = BTreeMap::new();
        per_record.insert("shipped_ch".to_owned(), shipped.clone());
        per_record.insert("ch_anatomy".to_owned(), record_rmse(&constant(0.05), &set));
        per_record.insert("c_anatomy".to_owned(), shipped.clone());
        per_record.insert("shipped_c".to_owned(), shipped);
        let tests = paired_records(&per_record, 1);
        assert_eq!(tests.len(), 2);
        let better = tests.iter().find(|t| t.model == "ch_anatomy").unwrap();
        assert_eq!(better.against, "shipped_ch");
        assert!(
            better.mean_difference_mv < 0.0 && better.p_holm < 0.01,
            "{better:?}"
        );
        let same = tests.iter().find(|t| t.model == "c_anatomy").unwrap();
        assert_eq!(same.against, "shipped_c");
        assert!(same.p_value > 0.5, "{same:?}");
    }

    #[test]
    fn the_alternatives_are_not_scored_on_their_training_split() {
        let device = select_device(DeviceChoice::Cpu).unwrap();
        let refused = compare(
            &[],
            &[],
            Path::new("models"),
            AblationChoice::default(),
            Split::Train,
            &device,
            &mut Silent,
        );
        let err = refused.err().map(|e| e.to_string()).unwrap_or_default();
        assert!(err.contains("compare them on val"), "{err}");
    }
}
