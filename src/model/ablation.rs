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
use crate::prep::{self, InputNorm, Split};

/// Which alternatives to train.
#[derive(Clone, Copy, Debug, Default)]
pub struct AblationChoice {
    /// Five single-output C-h decoders (the paper's layout).
    pub per_lead_ch: bool,
    /// Five single-output C decoders.
    pub per_lead_c: bool,
    /// Multi-output C and C-h with the other input normalisation than the shipped ones.
    pub other_norm: bool,
}

/// Metrics of every model compared on one split, with the training cost of each alternative.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct AblationReport {
    pub split: String,
    pub windows: usize,
    /// Model name → metrics (the shipped decoders are `shipped_c` and `shipped_ch`).
    pub metrics: BTreeMap<String, SplitMetrics>,
    /// Model name → training seconds (summed over its decoders) and parameters.
    pub train_seconds: BTreeMap<String, f64>,
    pub parameters: BTreeMap<String, usize>,
    pub stages: Vec<StageSummary>,
    pub device: String,
}

impl AblationReport {
    /// The comparison as a Markdown table, best mean RMSE first.
    pub fn markdown(&self) -> String {
        let mut rows: Vec<(&String, &SplitMetrics)> = self.metrics.iter().collect();
        rows.sort_by(|a, b| a.1.mean.rmse_mv.total_cmp(&b.1.mean.rmse_mv));
        let mut md = format!(
            "{} split, {} windows, device {}. RMSE mV / R² / Pearson r.\n\n| model | parameters | train s |",
            self.split, self.windows, self.device
        );
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
/// split is refused: the alternatives were fitted on it).
pub fn compare(
    folders: &[PathBuf],
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
    let data = prep::assemble(folders, config.qc_max_bad_leads, progress)?;
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

    let mut encoder = config.encoder.init(d);
    card::load_weights(
        &mut encoder,
        &card.verify(models_dir, card::ENCODER_WEIGHTS)?,
    )?;
    progress.message("embedding every window with the shipped encoder");
    let mut h: BTreeMap<Split, Vec<f32>> = BTreeMap::new();
    for split in Split::ALL {
        let mut embedded = train::embed_set(&encoder, data.split(split), d)?;
        train::normalise_embeddings(&mut embedded, &card.embedding_mean, &card.embedding_std);
        h.insert(split, embedded);
    }
    let view = |split: Split| DecoderData {
        set: data.split(split),
        h: h.get(&split).map_or(&[][..], Vec::as_slice),
    };
    let (train_data, val_data, scored_data) = (view(Split::Train), view(Split::Val), view(split));

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
        let prediction = train::predict_set(&decoder, decoder_config.input_norm, &scored_data, d)?;
        report
            .metrics
            .insert(name.to_owned(), split_metrics(&prediction, &scored.y));
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
    let least_squares = fit_least_squares(&data.train)?;
    report.metrics.insert(
        "least_squares".to_owned(),
        split_metrics(&predict_least_squares(&least_squares, scored)?, &scored.y),
    );

    // Alternatives: (name, base decoder config, input norm, per lead).
    let other = |norm: InputNorm| match norm {
        InputNorm::ZScore => InputNorm::CenteredMv,
        InputNorm::CenteredMv => InputNorm::ZScore,
    };
    let mut runs: Vec<(String, DecoderConfig, bool)> = Vec::new();
    if choice.per_lead_ch {
        runs.push(("per_lead_ch".to_owned(), config.decoder_ch.clone(), true));
    }
    if choice.per_lead_c {
        runs.push(("per_lead_c".to_owned(), config.decoder_c.clone(), true));
    }
    if choice.other_norm {
        for base in [&config.decoder_c, &config.decoder_ch] {
            let norm = other(base.input_norm);
            let name = format!("{}_{norm:?}", if base.with_embedding { "ch" } else { "c" });
            runs.push((name, base.clone().with_input_norm(norm), false));
        }
    }
    // No wall-clock budget: on a loaded machine a budget would stop the alternatives sooner than the
    // shipped decoders (which stopped on validation patience, not on time), an unfair comparison.
    let mut schedule = config.decoder_training.clone();
    schedule.max_minutes = 0.0;
    let run = train::DecoderTraining {
        train: &train_data,
        val: &val_data,
        schedule: &schedule,
        seed: config.seed,
        device: d,
    };
    let n = scored.len();
    for (name, base, per_lead) in runs {
        let groups: Vec<Vec<usize>> = if per_lead {
            (0..TARGET_LEADS.len()).map(|lead| vec![lead]).collect()
        } else {
            vec![(0..TARGET_LEADS.len()).collect()]
        };
        let mut prediction = vec![0.0f32; n * TARGET_LEADS.len() * WINDOW];
        let (mut seconds, mut parameters) = (0.0, 0);
        for outputs in groups {
            let model_config = base.clone().with_outputs(outputs.len());
            let stage = if per_lead {
                format!("{name}_{}", TARGET_LEADS[outputs[0]])
            } else {
                name.clone()
            };
            let (decoder, summary) = run.unsaved(&stage, &model_config, &outputs, progress)?;
            let predicted = train::predict_set(&decoder, model_config.input_norm, &scored_data, d)?;
            // Scatter [n, outputs, 256] into [n, 5, 256].
            for w in 0..n {
                for (k, &lead) in outputs.iter().enumerate() {
                    let from = (w * outputs.len() + k) * WINDOW;
                    let to = (w * TARGET_LEADS.len() + lead) * WINDOW;
                    prediction[to..to + WINDOW].copy_from_slice(&predicted[from..from + WINDOW]);
                }
            }
            seconds += summary.train_seconds;
            parameters += burn::module::Module::num_params(&decoder);
            report.stages.push(summary);
            if progress.cancelled() {
                return Err(ModelError::Data("stopped by the user".to_owned()));
            }
        }
        report
            .metrics
            .insert(name.clone(), split_metrics(&prediction, &scored.y));
        report.train_seconds.insert(name.clone(), seconds);
        report.parameters.insert(name, parameters);
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::DeviceChoice;
    use crate::model::backend::select_device;
    use crate::progress::Silent;

    #[test]
    fn the_alternatives_are_not_scored_on_their_training_split() {
        let device = select_device(DeviceChoice::Cpu).unwrap();
        let refused = compare(
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
