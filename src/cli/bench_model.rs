//! `precordial bench model`: model speed on each available backend (the CPU, and a hardware GPU when
//! one exists; software adapters such as lavapipe are never timed).

use std::path::Path;
use std::time::Instant;

use burn::module::Module as _;
use burn::optim::{AdamWConfig, GradientsParams};
use precordial::model::backend::{self, SelectedDevice};
use precordial::model::decoder::DecoderConfig;
use precordial::model::encoder::EncoderConfig;
use precordial::model::loss::reconstruction_loss;
use precordial::model::train::{tensor2, tensor3};
use precordial::model::{DeviceChoice, ModelVariant, Reconstructor, WINDOW};
use precordial::prep::TrainingData;

fn noise(n: usize, seed: u32) -> Vec<f32> {
    let mut state = seed.wrapping_mul(2_654_435_761).max(1);
    (0..n)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            (state as f32 / u32::MAX as f32) * 2.0 - 1.0
        })
        .collect()
}

pub fn run(models: &Path, steps: usize) -> anyhow::Result<()> {
    let mut devices = vec![backend::cpu_device()];
    match backend::select_device(DeviceChoice::Gpu) {
        Ok(gpu) => devices.push(gpu),
        Err(err) => println!("gpu: not timed ({err})"),
    }
    let shipped =
        precordial::model::card::load_ron::<DecoderConfig>(&models.join("decoder_ch.ron")).ok();
    for device in &devices {
        println!("== {}", device.name);
        let mut configs = vec![("C-h paper (D=128, 1 output)", DecoderConfig::new())];
        if let Some(config) = &shipped {
            configs.push(("C-h shipped", config.clone()));
        }
        for (name, config) in configs {
            bench_decoder(device, name, &config, steps)?;
        }
        bench_encoder(device, steps)?;
        if models.join("card.json").is_file() {
            let choice = if device.is_gpu {
                DeviceChoice::Gpu
            } else {
                DeviceChoice::Cpu
            };
            let started = Instant::now();
            let reconstructor = Reconstructor::load(models, choice)?;
            println!(
                "load {}: {:.1} ms",
                models.display(),
                started.elapsed().as_secs_f64() * 1e3
            );
            for variant in [ModelVariant::C, ModelVariant::CH] {
                for batch in [1usize, 256] {
                    let x = noise(batch * 3 * WINDOW, 3);
                    reconstructor.reconstruct_windows(&x, variant)?;
                    let started = Instant::now();
                    let repeats = if batch == 1 { 20 } else { 2 };
                    for _ in 0..repeats {
                        reconstructor.reconstruct_windows(&x, variant)?;
                    }
                    let ms = started.elapsed().as_secs_f64() * 1e3 / (repeats * batch) as f64;
                    println!(
                        "shipped {variant:?} end to end (encoder included for C-h): batch {batch}: {ms:.3} ms/window"
                    );
                }
            }
        }
    }
    Ok(())
}

fn bench_decoder(
    device: &SelectedDevice,
    name: &str,
    config: &DecoderConfig,
    steps: usize,
) -> anyhow::Result<()> {
    let d = &device.device;
    let model = config.init(d);
    println!("{name}: {} parameters", model.num_params());
    for batch in [1usize, 256] {
        let x = tensor3(noise(batch * 3 * WINDOW, 1), [batch, 3, WINDOW], d);
        let h = tensor2(noise(batch * 128, 2), [batch, 128], d);
        let run = || model.forward(x.clone(), Some(h.clone())).into_data();
        run();
        let repeats = if batch == 1 { 20 } else { 3 };
        let started = Instant::now();
        for _ in 0..repeats {
            run();
        }
        let ms = started.elapsed().as_secs_f64() * 1e3 / (repeats * batch) as f64;
        println!("  inference batch {batch}: {ms:.3} ms/window");
    }
    let ad = d.clone().autodiff();
    let mut model = config.init(&ad);
    let mut optimizer = AdamWConfig::new().init();
    let batch = 256;
    let x = tensor3(noise(batch * 3 * WINDOW, 4), [batch, 3, WINDOW], &ad);
    let h = tensor2(noise(batch * 128, 5), [batch, 128], &ad);
    let y = tensor3(
        noise(batch * config.outputs * WINDOW, 6),
        [batch, config.outputs, WINDOW],
        &ad,
    );
    let mut timed = 0.0;
    for i in 0..=steps {
        let started = Instant::now();
        let loss = reconstruction_loss(model.forward(x.clone(), Some(h.clone())), y.clone());
        let grads = GradientsParams::from_grads(loss.backward(), &model);
        model = optimizer.step(1e-4, model, grads);
        d.sync().ok();
        if i > 0 {
            timed += started.elapsed().as_secs_f64();
        }
    }
    println!(
        "  training batch {batch}: {:.2} s/step, {:.0} windows/s",
        timed / steps as f64,
        (steps * batch) as f64 / timed
    );
    Ok(())
}

fn bench_encoder(device: &SelectedDevice, steps: usize) -> anyhow::Result<()> {
    let d = &device.device;
    let model = EncoderConfig::new().init(d);
    println!("encoder: {} parameters", model.num_params());
    let batch = 256;
    let x = tensor3(noise(batch * 3 * WINDOW, 7), [batch, 3, WINDOW], d);
    model.embed(x.clone()).into_data();
    let started = Instant::now();
    for _ in 0..steps {
        model.embed(x.clone()).into_data();
    }
    println!(
        "  embedding batch {batch}: {:.3} ms/window",
        started.elapsed().as_secs_f64() * 1e3 / (steps * batch) as f64
    );
    Ok(())
}

/// Synthetic training windows with the shape of the real ones: `classes` pathology classes of
/// `patients` patients, `windows` windows each; beats of lead II every 0.8 s on noise, so the
/// R-peak view finds peaks as in real data. Step cost does not depend on what the windows show.
fn synthetic_training_data(classes: usize, patients: usize, windows: usize) -> TrainingData {
    use precordial::dataset::labels::Superclass;
    use precordial::prep::{LoadedRecord, Split};
    let mut data = TrainingData::default();
    let mut seed = 11u32;
    for class in 0..classes.min(Superclass::ALL.len()) {
        for patient in 0..patients {
            let record = data.records.len();
            data.records.push(LoadedRecord {
                record_id: format!("synthetic:{record}"),
                patient_id: format!("synthetic:{class}-{patient}"),
                patient_id_stand_in: false,
                dataset: "synthetic".to_string(),
                split: Split::Train,
                pathology: Some(Superclass::ALL[class]),
                leads: Vec::new(),
            });
            for w in 0..windows {
                seed += 1;
                let mut x = noise(3 * WINDOW, seed);
                for (t, v) in x.iter_mut().enumerate() {
                    let phase = (t + 17 * w) % 80;
                    if phase < 4 {
                        *v += 10.0 - 2.5 * phase as f32;
                    }
                    *v *= 0.1;
                }
                data.train.x.extend_from_slice(&x);
                data.train
                    .y
                    .extend(noise(5 * WINDOW, seed ^ 0x55).iter().map(|v| v * 0.1));
                data.train.labels.push(1 << class);
                data.train.record.push(record);
                data.train.starts.push(w * 64);
            }
        }
    }
    data.label_names = Superclass::ALL
        .iter()
        .map(|c| c.code().to_string())
        .collect();
    data
}

/// `precordial bench train`: windows/s of each training stage on `choice`'s device, and the split
/// of a step's time, on synthetic windows (5 classes × 20 patients × 10 windows).
pub fn run_train(config: Option<&Path>, steps: usize, choice: DeviceChoice) -> anyhow::Result<()> {
    use precordial::model::train::profile::{StepProfile, profile_decoder, profile_encoder};
    use precordial::model::train::{DecoderData, TrainConfig};
    let config = match config {
        Some(path) => precordial::model::card::load_ron::<TrainConfig>(path)?,
        None => TrainConfig::new(),
    };
    let device = backend::select_device(choice)?;
    println!(
        "== {} ({} steps per stage, one warm-up step first)",
        device.name, steps
    );
    let data = synthetic_training_data(5, 20, 10);
    let print = |profile: &StepProfile| {
        let total = profile.total_s().max(1e-12);
        let share = |s: f64| 100.0 * s / total;
        println!(
            "{:<10} batch {:>3}: {:>7.1} windows/s, {:.3} s/step | assembly {:.0} %, forward {:.0} %, backward {:.0} %, optimizer {:.0} %",
            profile.stage,
            profile.batch_windows,
            profile.windows_per_s(),
            total / profile.steps.max(1) as f64,
            share(profile.batch_s),
            share(profile.forward_s),
            share(profile.backward_s),
            share(profile.optimizer_s),
        );
    };
    let encoder = profile_encoder(
        &data,
        &config.encoder,
        &config.encoder_training,
        steps,
        &device.device,
    )?;
    print(&encoder);
    let h = noise(data.train.len() * precordial::model::EMBEDDING_DIM, 5);
    let train = DecoderData {
        set: &data.train,
        h: &h,
    };
    for (stage, decoder) in [
        ("decoder_c", &config.decoder_c),
        ("decoder_ch", &config.decoder_ch),
    ] {
        let profile = profile_decoder(
            stage,
            &train,
            decoder,
            &config.decoder_training,
            steps,
            &device.device,
        )?;
        print(&profile);
    }
    Ok(())
}
