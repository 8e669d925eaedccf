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
