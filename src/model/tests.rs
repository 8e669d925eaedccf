//! Tests on the CPU path (flex) with tiny shapes, and one wgpu-on-lavapipe agreement test.

use burn::module::Module as _;
use burn::optim::{AdamWConfig, GradientsParams};
use burn::tensor::Device;

use super::card::{self, ModelCard};
use super::decoder::DecoderConfig;
use super::encoder::EncoderConfig;
use super::inference::evaluation_starts;
use super::loss::{reconstruction_loss, supcon_loss};
use super::split_metrics;
use super::train::{self, read_f32, tensor2, tensor3};
use super::{DeviceChoice, EMBEDDING_DIM, ModelError, ModelVariant, Reconstructor, WINDOW};
use crate::metrics::{fit_windows, predict_windows};
use crate::prep::{self, Split, WindowSet};
use crate::progress::Silent;
use crate::rng::Rng;

fn cpu() -> Device {
    Device::flex()
}

fn random(n: usize, seed: u64) -> Vec<f32> {
    let mut rng = Rng::new(seed);
    (0..n).map(|_| rng.normal() as f32).collect()
}

fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("precordial-model-{name}-{}", std::process::id()));
    std::fs::remove_dir_all(&dir).ok();
    std::fs::create_dir_all(&dir).ok();
    dir
}

#[test]
fn parameter_counts_match_the_paper() {
    let d = cpu();
    let ch = DecoderConfig::new().init(&d);
    let c = DecoderConfig::new().with_with_embedding(false).init(&d);
    // burn counts batch-norm running means and variances too (2 × 128 per batch norm): the
    // trainable counts, as PyTorch reports them, are 238,593 (C-h, paper "about 239K") and 123,649
    // (C, paper "about 124K").
    assert_eq!(ch.num_params(), 238_593 + 2 * 2 * 128, "C-h at D = 128");
    assert_eq!(c.num_params(), 123_649 + 2 * 128, "C at D = 128");
    let multi = DecoderConfig::new()
        .with_d_model(64)
        .with_outputs(5)
        .init(&d);
    assert!(multi.num_params() < 100_000);
    let encoder = EncoderConfig::new().init(&d);
    assert!(encoder.num_params() > 100_000 && encoder.num_params() < 400_000);
}

#[test]
fn fast_embedding_branch_equals_the_broadcast_layout() {
    let d = cpu();
    let model = DecoderConfig::new()
        .with_d_model(8)
        .with_hidden(4)
        .with_outputs(5)
        .init(&d);
    let (b, t) = (3, 16);
    let x = tensor3(random(b * 3 * t, 1), [b, 3, t], &d);
    let h = tensor2(random(b * 128, 2), [b, 128], &d);
    let fast = read_f32(model.forward(x.clone(), Some(h.clone()))).unwrap();
    let slow = read_f32(model.forward_broadcast(x, Some(h))).unwrap();
    assert_eq!(fast.len(), b * 5 * t);
    assert_eq!(slow.len(), fast.len());
    for (a, s) in fast.iter().zip(&slow) {
        assert!((a - s).abs() < 1e-5, "{a} vs {s}");
    }
    // Also in training mode (batch statistics), on the autodiff device.
    let ad = d.autodiff();
    let model = DecoderConfig::new()
        .with_d_model(8)
        .with_hidden(4)
        .init(&ad);
    let x = tensor3(random(b * 3 * t, 3), [b, 3, t], &ad);
    let h = tensor2(random(b * 128, 4), [b, 128], &ad);
    let fast = read_f32(model.forward(x.clone(), Some(h.clone())).inner()).unwrap();
    let slow = read_f32(model.forward_broadcast(x, Some(h)).inner()).unwrap();
    assert_eq!(fast.len(), b * t, "the default decoder has one output lead");
    assert_eq!(slow.len(), fast.len());
    for (a, s) in fast.iter().zip(&slow) {
        assert!((a - s).abs() < 1e-4, "{a} vs {s}");
    }
}

#[test]
fn reconstruction_loss_on_hand_made_values() {
    let d = cpu();
    let prediction = tensor2(vec![0.0, 0.0, 0.0, 0.0], [1, 4], &d);
    let target = tensor2(vec![1.0, -1.0, 2.0, 0.0], [1, 4], &d);
    // MSE = 6/4 = 1.5, MAE = 4/4 = 1: 0.8·1.5 + 0.2·1 = 1.4.
    let loss = read_f32(reconstruction_loss(prediction, target)).unwrap();
    assert!((loss[0] - 1.4).abs() < 1e-6, "{loss:?}");
}

#[test]
fn supcon_on_a_known_configuration() {
    let d = cpu();
    // Two pairs of identical unit vectors, labels {a, a, b, b}, τ = 1: every anchor has one positive at
    // similarity 1 and two negatives at 0: loss = ln(e + 2) − 1.
    let z = tensor2(
        vec![1.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 1.0, 0.0],
        [4, 3],
        &d,
    );
    let loss = supcon_loss(z, &[1, 1, 2, 2], 1.0).map(read_f32);
    let expected = (std::f64::consts::E + 2.0).ln() - 1.0;
    let value = loss.unwrap().unwrap();
    assert!(
        (f64::from(value[0]) - expected).abs() < 1e-5,
        "{value:?} vs {expected}"
    );

    // A fifth sample with its own label: skipped as an anchor, but a negative for the others.
    let z = tensor2(
        vec![
            1.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0,
        ],
        [5, 3],
        &d,
    );
    let value = supcon_loss(z, &[1, 1, 2, 2, 4], 1.0)
        .map(read_f32)
        .unwrap()
        .unwrap();
    let expected = (std::f64::consts::E + 3.0).ln() - 1.0;
    assert!((f64::from(value[0]) - expected).abs() < 1e-5);

    // Multi-label: {a,b} is a positive of both {a} and {b}.
    assert_eq!(
        super::loss::positive_mask(&[0b01, 0b11, 0b10]),
        vec![0.0, 1.0, 0.0, 1.0, 0.0, 1.0, 0.0, 1.0, 0.0]
    );
    // No positive at all: no loss.
    let z = tensor2(vec![1.0, 0.0, 0.0, 1.0], [2, 2], &d);
    assert!(supcon_loss(z, &[1, 2], 0.07).is_none());
}

#[test]
fn splits_never_share_a_patient() {
    let mut by_patient = std::collections::HashMap::new();
    for record in 0..5000 {
        let patient = format!("code15:{}", record / 3);
        let split = prep::split_of(&patient, None);
        let previous = by_patient.insert(patient.clone(), split);
        assert!(
            previous.is_none_or(|p| p == split),
            "{patient} in two splits"
        );
    }
    let counts = |s: Split| by_patient.values().filter(|&&v| v == s).count();
    let n = by_patient.len() as f64;
    assert!((counts(Split::Train) as f64 / n - 0.70).abs() < 0.05);
    assert!((counts(Split::Test) as f64 / n - 0.15).abs() < 0.05);
    // PTB-XL folds win over the hash.
    assert_eq!(prep::split_of("ptb-xl:1", Some(3)), Split::Train);
    assert_eq!(prep::split_of("ptb-xl:1", Some(9)), Split::Val);
    assert_eq!(prep::split_of("ptb-xl:1", Some(10)), Split::Test);
}

#[test]
fn evaluation_windows_cover_the_record() {
    assert_eq!(evaluation_starts(1000), vec![0, 256, 512, 744]);
    assert_eq!(evaluation_starts(768), vec![0, 256, 512]);
    assert_eq!(evaluation_starts(256), vec![0]);
    assert!(evaluation_starts(255).is_empty());
}

#[test]
fn least_squares_recovers_a_linear_mixture() {
    let n = 3;
    let x = random(n * 3 * WINDOW, 9);
    let mut y = vec![0.0f32; n * 5 * WINDOW];
    for w in 0..n {
        for lead in 0..5 {
            for t in 0..WINDOW {
                let xi = |c: usize| x[(w * 3 + c) * WINDOW + t];
                y[(w * 5 + lead) * WINDOW + t] =
                    0.5 * xi(0) - (lead as f32) * xi(1) + 0.25 * xi(2) + 0.1;
            }
        }
    }
    let ls = fit_windows(&x, &y, 5, WINDOW).unwrap();
    let m = split_metrics(&predict_windows(&ls, &x, WINDOW).unwrap(), &y);
    assert!(m.mean.rmse_mv < 1e-4, "{m:?}");
    assert!((m.mean.r2 - 1.0).abs() < 1e-6 && (m.mean.pearson - 1.0).abs() < 1e-6);
}

#[test]
fn limb_screen_detects_inconsistent_leads() {
    let i: Vec<f64> = (0..500).map(|t| (t as f64 * 0.1).sin()).collect();
    let ii: Vec<f64> = (0..500).map(|t| (t as f64 * 0.07).cos()).collect();
    let iii: Vec<f64> = ii.iter().zip(&i).map(|(b, a)| b - a).collect();
    assert!(prep::limb_mismatch_mv(&i, &ii, &iii) < 1e-12);
    let wrong: Vec<f64> = iii.iter().map(|v| v * 1.5).collect();
    assert!(prep::limb_mismatch_mv(&i, &ii, &wrong) > prep::LIMB_TOLERANCE_MV);
}

#[test]
fn cleaning_resamples_to_100_hz_and_removes_baseline() {
    let fs = 500.0;
    let x: Vec<f64> = (0..5000)
        .map(|t| {
            let s = t as f64 / fs;
            (2.0 * std::f64::consts::PI * 5.0 * s).sin() + 2.0
        })
        .collect();
    let y = prep::clean_lead_100hz(&x, fs).unwrap();
    assert_eq!(y.len(), 1000);
    let mean = y[100..900].iter().sum::<f64>() / 800.0;
    assert!(mean.abs() < 0.1, "baseline left: {mean}");
}

/// A synthetic set: targets are a fixed linear mixture of the inputs (so a decoder can learn them).
fn synthetic_set(n: usize, seed: u64) -> WindowSet {
    let mut set = WindowSet::default();
    let mut rng = Rng::new(seed);
    for w in 0..n {
        let phase = rng.uniform() * 6.0;
        let mut x = vec![0.0f32; 3 * WINDOW];
        for c in 0..3 {
            for t in 0..WINDOW {
                x[c * WINDOW + t] =
                    ((t as f64 * 0.15 + phase + c as f64).sin() + 0.05 * rng.normal()) as f32;
            }
        }
        let mut y = vec![0.0f32; 5 * WINDOW];
        for lead in 0..5 {
            for t in 0..WINDOW {
                y[lead * WINDOW + t] = 0.3 * x[t] - 0.2 * x[WINDOW + t] * (lead as f32 - 2.0)
                    + 0.4 * x[2 * WINDOW + t];
            }
        }
        set.x.extend(x);
        set.y.extend(y);
        set.labels.push(1 << (w % 2));
        set.record.push(w);
        set.starts.push(0);
    }
    set
}

#[test]
fn a_decoder_overfits_a_few_windows() {
    let d = cpu().autodiff();
    d.seed(1);
    let set = synthetic_set(4, 5);
    let h = random(4 * EMBEDDING_DIM, 6);
    let model_config = DecoderConfig::new()
        .with_d_model(16)
        .with_hidden(16)
        .with_outputs(5);
    let mut model = model_config.init(&d);
    let mut optimizer = AdamWConfig::new().init();
    let batch: Vec<usize> = (0..4).collect();
    let data = train::DecoderData { set: &set, h: &h };
    let loss_at = |model: &super::decoder::Decoder| {
        let all = train::predict_set(
            &model.valid(),
            prep::InputNorm::ZScore,
            &data,
            &Device::flex(),
        )
        .unwrap();
        split_metrics(&all, &set.y).mean.rmse_mv
    };
    let before = loss_at(&model);
    for _ in 0..150 {
        let x = tensor3(train::normalised_inputs(&set, &batch), [4, 3, WINDOW], &d);
        let y = tensor3(set.y.clone(), [4, 5, WINDOW], &d);
        let hh = tensor2(h.clone(), [4, EMBEDDING_DIM], &d);
        let loss = reconstruction_loss(model.forward(x, Some(hh)), y);
        let grads = GradientsParams::from_grads(loss.backward(), &model);
        model = optimizer.step(3e-3, model, grads);
    }
    let after = loss_at(&model);
    assert!(after < 0.5 * before, "RMSE {before} → {after}");
}

#[test]
fn training_loops_run_and_keep_the_best_state() {
    let d = cpu();
    // One patient per record; the sets' windows point at records 0..16.
    let records = (0..16)
        .map(|r| prep::LoadedRecord {
            record_id: format!("synthetic:{r}"),
            patient_id: format!("synthetic:p{r}"),
            patient_id_stand_in: false,
            dataset: "synthetic".to_string(),
            split: Split::Train,
            pathology: None,
            leads: Vec::new(),
        })
        .collect();
    let mut data = prep::TrainingData {
        records,
        train: synthetic_set(16, 1),
        val: synthetic_set(4, 2),
        ..Default::default()
    };
    data.test = synthetic_set(4, 3);
    let encoder_config = EncoderConfig::new()
        .with_stem_channels(4)
        .with_block_channels(vec![8, 128]);
    let (encoder, summary) = train::train_encoder(
        &data,
        &encoder_config,
        &train::EncoderTrainingConfig::new()
            .with_epochs(2)
            .with_per_class(2)
            .with_warmup_epochs(1)
            .with_steps_per_epoch(2),
        3,
        &d,
        None,
        false,
        &mut Silent,
    )
    .map_err(|e| e.to_string())
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(summary.epochs_run, 2);
    assert!(summary.best_val_loss.is_finite());
    let h = train::embed_set(&encoder, &data.train, &d).unwrap();
    assert_eq!(h.len(), 16 * EMBEDDING_DIM);
    let hv = train::embed_set(&encoder, &data.val, &d).unwrap();
    let (_, summary) = train::train_decoder(
        "decoder_ch",
        &train::DecoderData {
            set: &data.train,
            h: &h,
        },
        &train::DecoderData {
            set: &data.val,
            h: &hv,
        },
        &DecoderConfig::new()
            .with_d_model(8)
            .with_hidden(8)
            .with_outputs(5),
        &train::DecoderTrainingConfig::new()
            .with_epochs(3)
            .with_batch_size(8),
        &[0, 1, 2, 3, 4],
        3,
        &d,
        None,
        false,
        &mut Silent,
    )
    .map_err(|e| e.to_string())
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(summary.epochs_run, 3);
    assert!(summary.best_epoch >= 1);
}

/// Writes tiny models with a valid card into `dir`.
fn write_tiny_models(dir: &std::path::Path) -> Result<(), ModelError> {
    let d = cpu();
    d.seed(11);
    let encoder_config = EncoderConfig::new()
        .with_stem_channels(4)
        .with_block_channels(vec![8, 128]);
    let c_config = DecoderConfig::new()
        .with_d_model(8)
        .with_hidden(8)
        .with_outputs(5)
        .with_with_embedding(false);
    let ch_config = c_config.clone().with_with_embedding(true);
    let encoder = encoder_config.init(&d);
    let c = c_config.init(&d);
    let ch = ch_config.init(&d);
    card::save_weights(&encoder, &dir.join(card::ENCODER_WEIGHTS))?;
    card::save_weights(&c, &dir.join(card::DECODER_C_WEIGHTS))?;
    card::save_weights(&ch, &dir.join(card::DECODER_CH_WEIGHTS))?;
    card::save_ron(&encoder_config, &dir.join(card::ENCODER_CONFIG))?;
    card::save_ron(&c_config, &dir.join(card::DECODER_C_CONFIG))?;
    card::save_ron(&ch_config, &dir.join(card::DECODER_CH_CONFIG))?;
    let mut model_card = ModelCard {
        card_version: card::CARD_VERSION,
        embedding_mean: vec![0.0; EMBEDDING_DIM],
        embedding_std: vec![1.0; EMBEDDING_DIM],
        ..ModelCard::default()
    };
    model_card
        .parameters
        .insert("decoder_ch".to_string(), ch.num_params());
    model_card.hash_files(
        dir,
        &[
            card::ENCODER_WEIGHTS,
            card::ENCODER_CONFIG,
            card::DECODER_C_WEIGHTS,
            card::DECODER_C_CONFIG,
            card::DECODER_CH_WEIGHTS,
            card::DECODER_CH_CONFIG,
        ],
    )?;
    model_card.write(dir)
}

#[test]
fn saved_models_reload_exactly_and_a_changed_file_is_refused() {
    let dir = temp_dir("roundtrip");
    write_tiny_models(&dir).unwrap_or_else(|e| panic!("{e}"));
    let models = Reconstructor::load(&dir, DeviceChoice::Cpu).unwrap_or_else(|e| panic!("{e}"));
    assert!(models.device_name().starts_with("cpu"));

    // Same outputs as the module that was saved.
    let d = cpu();
    let c_config: DecoderConfig =
        card::load_ron(&dir.join(card::DECODER_C_CONFIG)).unwrap_or_else(|e| panic!("{e}"));
    let mut reloaded = c_config.init(&d);
    card::load_weights(&mut reloaded, &dir.join(card::DECODER_C_WEIGHTS))
        .unwrap_or_else(|e| panic!("{e}"));
    let x = random(2 * 3 * WINDOW, 12);
    let mut xz = x.clone();
    for window in xz.chunks_mut(3 * WINDOW) {
        prep::zscore_window(window, WINDOW);
    }
    let direct = read_f32(reloaded.forward(tensor3(xz, [2, 3, WINDOW], &d), None)).unwrap();
    let via_api = models.reconstruct_windows(&x, ModelVariant::C).unwrap();
    assert_eq!(direct, via_api);

    // The public API: any length >= 256, same length out, embeddings per non-overlapping window.
    let lead: Vec<f64> = (0..1000).map(|t| (t as f64 * 0.1).sin()).collect();
    let out = models
        .reconstruct([&lead, &lead, &lead], ModelVariant::CH)
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        out.iter()
            .all(|l| l.len() == 1000 && l.iter().all(|v| v.is_finite()))
    );
    assert_eq!(
        models.embed([&lead, &lead, &lead]).map(|h| h.len()).ok(),
        Some(4)
    );
    let short = vec![0.0; 100];
    assert!(matches!(
        models.reconstruct([&short, &short, &short], ModelVariant::C),
        Err(ModelError::Input(_))
    ));

    // Flip one byte of a weight file: refused, naming the file.
    let path = dir.join(card::DECODER_CH_WEIGHTS);
    let mut bytes = std::fs::read(&path).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    std::fs::write(&path, bytes).ok();
    match Reconstructor::load(&dir, DeviceChoice::Cpu) {
        Err(err @ ModelError::HashMismatch { .. }) => {
            assert!(err.to_string().contains("decoder_ch.safetensors"), "{err}");
        }
        Err(other) => panic!("wrong error: {other}"),
        Ok(_) => panic!("a changed weight file was accepted"),
    }
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn reconstructor_is_send() {
    fn assert_send<T: Send>() {}
    assert_send::<Reconstructor>();
}

#[test]
fn wgpu_on_a_software_adapter_agrees_with_the_cpu() {
    // Keep autotuning to its minimum on lavapipe: the shapes are tiny and only agreement is checked.
    // SAFETY: set before any wgpu runtime starts; no other test reads this variable.
    unsafe { std::env::set_var("CUBECL_AUTOTUNE_LEVEL", "minimal") };
    let Some(software) = super::backend::software_wgpu_device() else {
        println!(
            "SKIP wgpu_on_a_software_adapter_agrees_with_the_cpu: no Vulkan (software) adapter"
        );
        return;
    };
    let dir = temp_dir("wgpu");
    let d = cpu();
    d.seed(5);
    let config = DecoderConfig::new()
        .with_d_model(8)
        .with_hidden(4)
        .with_outputs(5);
    let model = config.init(&d);
    let path = dir.join("tiny.safetensors");
    card::save_weights(&model, &path).unwrap_or_else(|e| panic!("{e}"));
    let mut on_gpu = config.init(&software.device);
    card::load_weights(&mut on_gpu, &path).unwrap_or_else(|e| panic!("{e}"));
    let (b, t) = (2, 32);
    let x = random(b * 3 * t, 1);
    let h = random(b * 128, 2);
    let cpu_out = read_f32(model.forward(
        tensor3(x.clone(), [b, 3, t], &d),
        Some(tensor2(h.clone(), [b, 128], &d)),
    ))
    .unwrap();
    let gpu_out = read_f32(on_gpu.forward(
        tensor3(x, [b, 3, t], &software.device),
        Some(tensor2(h, [b, 128], &software.device)),
    ))
    .unwrap();
    assert_eq!(cpu_out.len(), gpu_out.len());
    let worst = cpu_out
        .iter()
        .zip(&gpu_out)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0f32, f32::max);
    println!(
        "wgpu ({}) vs cpu: max |difference| {worst:e}",
        software.name
    );
    assert!(worst < 1e-4, "{worst}");
    std::fs::remove_dir_all(&dir).ok();
}
