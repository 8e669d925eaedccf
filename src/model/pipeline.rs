//! The whole training run behind `precordial train`: assemble the data, train the encoder, embed every
//! window, train C and C-h, evaluate against the least-squares baseline, and write the models, their
//! configurations and the model card into one folder.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use burn::module::Module as _;

use super::backend::SelectedDevice;
use super::card::{self, ModelCard};
use super::data::{self, InputNorm, Split, TrainingData};
use super::decoder::Decoder;
use super::encoder::Encoder;
use super::metrics::{self, LeastSquares, Metrics};
use super::train::{self, DecoderData, Progress, TrainConfig};
use super::{INPUT_LEADS, ModelError, TARGET_LEADS};

/// Marker file: a stage finished and its final weights are in the output folder.
fn done_marker(out: &Path, stage: &str) -> PathBuf {
    out.join("checkpoints").join(format!("{stage}.done"))
}

/// Trains everything and writes `out`. Returns the model card.
pub fn train_all(
    folders: &[PathBuf],
    out: &Path,
    config: &TrainConfig,
    device: &SelectedDevice,
    resume: bool,
    stop: &Arc<AtomicBool>,
    progress: &mut dyn Progress,
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

    let data = data::assemble(folders, config.qc_max_bad_leads, &mut |m| {
        progress.message(m)
    })?;
    for split in Split::ALL {
        progress.message(&format!(
            "{}: {} windows from {} records",
            split.name(),
            data.split(split).len(),
            data.records.iter().filter(|r| r.split == split).count()
        ));
    }

    // Stage 1: the encoder.
    let encoder_path = out.join(card::ENCODER_WEIGHTS);
    let (encoder, encoder_summary) = if resume && done_marker(out, "encoder").is_file() {
        let mut encoder = config.encoder.init(d);
        card::load_weights(&mut encoder, &encoder_path)?;
        progress.message("encoder: finished in an earlier run, loaded");
        (encoder, read_summary(out, "encoder"))
    } else {
        let (encoder, summary) = train::train_encoder(
            &data,
            &config.encoder,
            &config.encoder_training,
            config.seed,
            d,
            Some(out),
            resume,
            stop,
            progress,
        )?;
        card::save_weights(&encoder, &encoder_path)?;
        finish_stage(out, &summary)?;
        (encoder, summary)
    };
    card::save_ron(&config.encoder, &out.join(card::ENCODER_CONFIG))?;
    stop_check(stop)?;

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
        let weights_path = out.join(weights);
        let (decoder, summary) = if resume && done_marker(out, stage).is_file() {
            let mut decoder = model_config.init(d);
            card::load_weights(&mut decoder, &weights_path)?;
            progress.message(&format!("{stage}: finished in an earlier run, loaded"));
            (decoder, read_summary(out, stage))
        } else {
            let (decoder, summary) = train::train_decoder(
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
                stop,
                progress,
            )?;
            card::save_weights(&decoder, &weights_path)?;
            finish_stage(out, &summary)?;
            (decoder, summary)
        };
        card::save_ron(model_config, &out.join(config_file))?;
        stages.push(summary);
        decoders.push(decoder);
        stop_check(stop)?;
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
            stop,
        };
        let (decoder, summary) = run.unsaved("ablation_c", &ablation_config, &outputs, progress)?;
        stages.push(summary);
        Some((decoder, other))
    } else {
        None
    };

    // Evaluation.
    progress.message("evaluating on the validation and test splits");
    let least_squares = LeastSquares::fit(&data.train.x, &data.train.y);
    let mut all_metrics: BTreeMap<String, BTreeMap<String, Metrics>> = BTreeMap::new();
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
                metrics::evaluate(&prediction, &split_data.set.y),
            );
        }
        if let Some((decoder, norm)) = &ablation {
            let prediction = train::predict_set(decoder, *norm, split_data, d)?;
            by_model.insert(
                format!("ablation_c_{norm:?}"),
                metrics::evaluate(&prediction, &split_data.set.y),
            );
        }
        by_model.insert(
            "least_squares".to_string(),
            metrics::evaluate(&least_squares.predict(&split_data.set.x), &split_data.set.y),
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

fn stop_check(stop: &Arc<AtomicBool>) -> Result<(), ModelError> {
    if stop.load(std::sync::atomic::Ordering::Relaxed) {
        return Err(ModelError::Data(
            "stopped by the user; the best state of the running stage is saved in checkpoints/ (use --resume)"
                .to_string(),
        ));
    }
    Ok(())
}

fn finish_stage(out: &Path, summary: &train::StageSummary) -> Result<(), ModelError> {
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

fn read_summary(out: &Path, stage: &str) -> train::StageSummary {
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
        data_sources: folders
            .iter()
            .map(|f| f.display().to_string())
            .chain(sources.iter().map(|(s, n)| format!("{s}: {n} records used")))
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
