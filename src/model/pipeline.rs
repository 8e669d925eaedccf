//! The whole training run behind `precordial train`: assemble the data, train the encoder, embed every
//! window, train C and C-h, evaluate against the least-squares baseline, and write the models, their
//! configurations and the model card into one folder.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use burn::module::Module as _;

use super::backend::SelectedDevice;
use super::card::{self, ModelCard};
use super::decoder::Decoder;
use super::encoder::Encoder;
use super::train::{self, DecoderData, StageSummary, TrainConfig, TrainProgress};
use super::{
    INPUT_LEADS, ModelError, TARGET_LEADS, fit_least_squares, predict_least_squares, split_metrics,
};
use crate::metrics::SplitMetrics;
use crate::prep::{InputNorm, Split, TrainingData};

/// Marker file: a stage finished and its final weights are in the output folder.
fn done_marker(out: &Path, stage: &str) -> PathBuf {
    out.join("checkpoints").join(format!("{stage}.done"))
}

/// Whether the run in `out` finished: its last stage done and its card written.
pub fn is_finished(out: &Path) -> bool {
    done_marker(out, "decoder_ch").is_file() && out.join(card::CARD_FILE).is_file()
}

/// Trains everything and writes `out`. Returns the model card.
pub fn train_all(
    folders: &[PathBuf],
    out: &Path,
    config: &TrainConfig,
    device: &SelectedDevice,
    resume: bool,
    progress: &mut dyn TrainProgress,
) -> Result<ModelCard, ModelError> {
    config.validate().map_err(|message| ModelError::Config {
        path: out.join(card::TRAINING_CONFIG),
        message,
    })?;
    if config.decoder_ch.outputs != 5 {
        return Err(ModelError::Config {
            path: out.join(card::TRAINING_CONFIG),
            message: "only multi-output decoders (outputs: 5) are saved by this version"
                .to_string(),
        });
    }
    std::fs::create_dir_all(out.join("checkpoints")).map_err(|e| ModelError::io(out, e))?;
    let d = &device.device;
    progress.message(&format!("device: {}", device.name));

    let data = config.assemble(folders, progress)?;
    for split in Split::ALL {
        progress.message(&format!(
            "{}: {} windows from {} records",
            split.name(),
            data.split(split).len(),
            data.records.iter().filter(|r| r.split == split).count()
        ));
    }

    // Stage 1: the encoder.
    let encoder_stage = SavedStage {
        out,
        stage: "encoder",
        weights: card::ENCODER_WEIGHTS,
        resume,
    };
    let (encoder, encoder_summary) =
        encoder_stage.load_or_train(config.encoder.init(d), progress, |progress| {
            train::train_encoder(
                &data,
                &config.encoder,
                &config.encoder_training,
                config.seed,
                d,
                Some(out),
                resume,
                progress,
            )
        })?;
    card::save_ron(&config.encoder, &out.join(card::ENCODER_CONFIG))?;
    stop_check(progress)?;

    // Embeddings, normalised with the training statistics.
    progress.message("embedding every window");
    let mut h_train = train::embed_set(&encoder, &data.train, d)?;
    let mut h_val = train::embed_set(&encoder, &data.val, d)?;
    let mut h_test = train::embed_set(&encoder, &data.test, d)?;
    let (mean, std) = train::embedding_stats(&h_train);
    for h in [&mut h_train, &mut h_val, &mut h_test] {
        train::normalise_embeddings(h, &mean, &std);
    }
    let train_data = DecoderData {
        set: &data.train,
        h: &h_train,
    };
    let val_data = DecoderData {
        set: &data.val,
        h: &h_val,
    };
    let test_data = DecoderData {
        set: &data.test,
        h: &h_test,
    };
    let outputs: Vec<usize> = (0..5).collect();

    let mut stages = vec![encoder_summary];
    let mut decoders: Vec<Decoder> = Vec::new();
    for (stage, model_config, weights, config_file) in [
        (
            "decoder_c",
            &config.decoder_c,
            card::DECODER_C_WEIGHTS,
            card::DECODER_C_CONFIG,
        ),
        (
            "decoder_ch",
            &config.decoder_ch,
            card::DECODER_CH_WEIGHTS,
            card::DECODER_CH_CONFIG,
        ),
    ] {
        let decoder_stage = SavedStage {
            out,
            stage,
            weights,
            resume,
        };
        let (decoder, summary) =
            decoder_stage.load_or_train(model_config.init(d), progress, |progress| {
                train::train_decoder(
                    stage,
                    &train_data,
                    &val_data,
                    model_config,
                    &config.decoder_training,
                    &outputs,
                    config.seed,
                    d,
                    Some(out),
                    resume,
                    progress,
                )
            })?;
        card::save_ron(model_config, &out.join(config_file))?;
        stages.push(summary);
        decoders.push(decoder);
        stop_check(progress)?;
    }

    // Optional ablation: C with the other input normalisation (evaluated, not saved).
    let ablation = if config.ablation_other_norm {
        let other = match config.decoder_c.input_norm {
            InputNorm::ZScore => InputNorm::CenteredMv,
            InputNorm::CenteredMv => InputNorm::ZScore,
        };
        let ablation_config = config.decoder_c.clone().with_input_norm(other);
        let run = train::DecoderTraining {
            train: &train_data,
            val: &val_data,
            schedule: &config.decoder_training,
            seed: config.seed,
            device: d,
        };
        let (decoder, summary) = run.unsaved("ablation_c", &ablation_config, &outputs, progress)?;
        stages.push(summary);
        Some((decoder, other))
    } else {
        None
    };

    // Evaluation.
    progress.message("evaluating on the validation and test splits");
    let least_squares = fit_least_squares(&data.train)?;
    let mut all_metrics: BTreeMap<String, BTreeMap<String, SplitMetrics>> = BTreeMap::new();
    for (split_name, split_data) in [("val", &val_data), ("test", &test_data)] {
        let mut by_model = BTreeMap::new();
        if split_data.set.is_empty() {
            continue;
        }
        for (name, decoder, norm) in [
            ("c", &decoders[0], config.decoder_c.input_norm),
            ("ch", &decoders[1], config.decoder_ch.input_norm),
        ] {
            let prediction = train::predict_set(decoder, norm, split_data, d)?;
            by_model.insert(
                name.to_string(),
                split_metrics(&prediction, &split_data.set.y),
            );
        }
        if let Some((decoder, norm)) = &ablation {
            let prediction = train::predict_set(decoder, *norm, split_data, d)?;
            by_model.insert(
                format!("ablation_c_{norm:?}"),
                split_metrics(&prediction, &split_data.set.y),
            );
        }
        by_model.insert(
            "least_squares".to_string(),
            split_metrics(
                &predict_least_squares(&least_squares, split_data.set)?,
                &split_data.set.y,
            ),
        );
        all_metrics.insert(split_name.to_string(), by_model);
    }

    card::save_ron(config, &out.join(card::TRAINING_CONFIG))?;
    let split_path = out.join(card::SPLIT_FILE);
    let split_text =
        serde_json::to_string_pretty(&data.split_records()).map_err(|e| ModelError::Format {
            path: split_path.clone(),
            message: e.to_string(),
        })?;
    std::fs::write(&split_path, split_text + "\n").map_err(|e| ModelError::io(&split_path, e))?;

    let mut model_card = build_card(&data, folders, device, &encoder, &decoders, config);
    model_card.stages = stages;
    model_card.embedding_mean = mean;
    model_card.embedding_std = std;
    model_card.metrics = all_metrics;
    model_card.least_squares = TARGET_LEADS
        .iter()
        .map(|lead| (*lead).to_owned())
        .zip(least_squares)
        .collect();
    model_card.hash_files(
        out,
        &[
            card::ENCODER_WEIGHTS,
            card::ENCODER_CONFIG,
            card::DECODER_C_WEIGHTS,
            card::DECODER_C_CONFIG,
            card::DECODER_CH_WEIGHTS,
            card::DECODER_CH_CONFIG,
            card::TRAINING_CONFIG,
            card::SPLIT_FILE,
        ],
    )?;
    model_card.write(out)?;
    Ok(model_card)
}

/// One saved stage of a run in `out`: its weights file and its done marker.
struct SavedStage<'a> {
    out: &'a Path,
    stage: &'a str,
    weights: &'a str,
    resume: bool,
}

impl SavedStage<'_> {
    /// With `resume` and the stage done in an earlier run, its saved weights loaded into `fresh`;
    /// else `train` run, and its result saved with the done marker (unless stopped).
    fn load_or_train<M: burn::module::Module>(
        &self,
        mut fresh: M,
        progress: &mut dyn TrainProgress,
        train: impl FnOnce(&mut dyn TrainProgress) -> Result<(M, StageSummary), ModelError>,
    ) -> Result<(M, StageSummary), ModelError> {
        let weights = self.out.join(self.weights);
        if self.resume && done_marker(self.out, self.stage).is_file() {
            card::load_weights(&mut fresh, &weights)?;
            progress.message(&format!(
                "{}: finished in an earlier run, loaded",
                self.stage
            ));
            return Ok((fresh, read_summary(self.out, self.stage)));
        }
        let (model, summary) = train(progress)?;
        card::save_weights(&model, &weights)?;
        finish_stage(self.out, &summary)?;
        Ok((model, summary))
    }
}

fn stop_check(progress: &dyn TrainProgress) -> Result<(), ModelError> {
    if progress.cancelled() {
        return Err(ModelError::Data(
            "stopped by the user; the best state of the running stage is saved in checkpoints/ (use --resume)"
                .to_string(),
        ));
    }
    Ok(())
}

fn finish_stage(out: &Path, summary: &StageSummary) -> Result<(), ModelError> {
    if summary.stopped_by_user {
        return Ok(());
    }
    let path = done_marker(out, &summary.stage);
    let text = serde_json::to_string_pretty(summary).map_err(|e| ModelError::Format {
        path: path.clone(),
        message: e.to_string(),
    })?;
    std::fs::write(&path, text).map_err(|e| ModelError::io(&path, e))
}

fn read_summary(out: &Path, stage: &str) -> StageSummary {
    std::fs::read_to_string(done_marker(out, stage))
        .ok()
        .and_then(|text| serde_json::from_str(&text).ok())
        .unwrap_or_default()
}

fn build_card(
    data: &TrainingData,
    folders: &[PathBuf],
    device: &SelectedDevice,
    encoder: &Encoder,
    decoders: &[Decoder],
    config: &TrainConfig,
) -> ModelCard {
    let mut records_per_split = BTreeMap::new();
    let mut windows_per_split = BTreeMap::new();
    let mut patients_per_split = BTreeMap::new();
    let patients = data.split_patients();
    for split in Split::ALL {
        records_per_split.insert(
            split.name().to_string(),
            data.records.iter().filter(|r| r.split == split).count(),
        );
        windows_per_split.insert(split.name().to_string(), data.split(split).len());
        patients_per_split.insert(
            split.name().to_string(),
            patients.get(&split).map_or(0, Vec::len),
        );
    }
    let mut parameters = BTreeMap::new();
    parameters.insert("encoder".to_string(), encoder.num_params());
    if let [c, ch] = decoders {
        parameters.insert("decoder_c".to_string(), c.num_params());
        parameters.insert("decoder_ch".to_string(), ch.num_params());
    }
    let mut sources: BTreeMap<String, usize> = BTreeMap::new();
    for record in &data.records {
        *sources.entry(record.dataset.clone()).or_default() += 1;
    }
    ModelCard {
        card_version: card::CARD_VERSION,
        created_utc: card::now_utc(),
        method: "Youssef & Singla 2026, pathology-aware multi-view contrastive learning (shared/METHOD.md); \
                 decoders are multi-output (all five target leads at once)"
            .to_string(),
        input_leads: INPUT_LEADS.iter().map(|s| s.to_string()).collect(),
        target_leads: TARGET_LEADS.iter().map(|s| s.to_string()).collect(),
        fs_hz: super::FS_HZ,
        window: super::WINDOW,
        cleaning: "precordial::dsp::clean::clean_lead with CleanConfig::default() (resample_poly to \
                   100 Hz, notch skipped at 100 Hz, Butterworth 0.5-45 Hz order 4 filtfilt, 0.6 s median \
                   baseline), whole record, then trimmed to 10 s for training"
            .to_string(),
        // Folder names, not this machine's paths: the card travels with the models.
        data_sources: folders
            .iter()
            .map(|f| {
                f.file_name()
                    .map_or_else(|| f.display().to_string(), |n| n.to_string_lossy().into_owned())
            })
            .chain(sources.iter().map(|(s, n)| format!("{s}: {n} records used")))
            .collect(),
        split_record_sha256: data
            .split_records()
            .into_iter()
            .map(|(split, mut ids)| {
                ids.sort();
                (split, card::sha256_hex(ids.join("\n").as_bytes()))
            })
            .collect(),
        split_rule: "PTB-XL strat_fold 1-8/9/10; otherwise FNV-1a hash of the patient id mod 100: \
                     <70 train, <85 val, else test"
            .to_string(),
        records_per_split,
        patients_per_split,
        windows_per_split,
        screening: data.screening.clone(),
        windows_rejected_qc: data.windows_rejected_qc,
        windows_rejected_flat: data.windows_rejected_flat,
        label_names: data.label_names.clone(),
        parameters,
        device: device.name.clone(),
        notes: vec![format!("seed {}", config.seed)],
        ..ModelCard::default()
    }
}
