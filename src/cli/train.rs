//! `precordial train`: trains the encoder, then the decoders C and C-h, and writes the models with
//! their configurations and model card. Ctrl-C stops after saving the best state of the running stage.

use std::io::Write as _;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::Context as _;
use precordial::model::DeviceChoice;
use precordial::model::backend::select_device;
use precordial::model::card;
use precordial::model::pipeline;
use precordial::model::train::{EpochReport, TrainConfig, TrainProgress};
use precordial::progress::Progress;

#[derive(clap::Args)]
pub struct Args {
    /// Dataset folders to train on (PTB-XL, Challenge, CODE-15, PTB, any WFDB folder; LUDB is skipped).
    #[arg(long, required_unless_present = "print_config", num_args = 1..)]
    data: Vec<PathBuf>,
    /// Output folder for the models and the model card.
    #[arg(long, default_value = "models")]
    out: PathBuf,
    /// Training configuration (RON, as the `training.ron` a run writes); defaults are METHOD.md's.
    #[arg(long)]
    config: Option<PathBuf>,
    /// auto (a hardware GPU if present, else the CPU), gpu or cpu.
    #[arg(long, default_value = "auto")]
    device: DeviceChoice,
    /// Continue an interrupted run in --out: finished stages are loaded, the running one goes on
    /// after its last whole epoch (weights, optimizer, schedule and random state as they were), so
    /// the models are those of a run never stopped. Refused if the configuration changed.
    #[arg(long)]
    resume: bool,
    /// Print the configuration (defaults, or --config) as RON and exit: a starting point to edit.
    #[arg(long)]
    print_config: bool,
}

/// Training progress on stderr: a bar per step, a line per epoch; stopped by the first Ctrl-C
/// ([`Console::stopped_by_ctrl_c`]).
pub struct Console {
    stop: Arc<AtomicBool>,
}

impl Console {
    /// A console whose first Ctrl-C stops the training loops after their step, keeping the best
    /// state; a second Ctrl-C exits at once.
    pub fn stopped_by_ctrl_c() -> anyhow::Result<Self> {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&stop);
        ctrlc::set_handler(move || {
            if flag.swap(true, Ordering::SeqCst) {
                std::process::exit(130);
            }
            eprintln!(
                "\nstopping after this step; the best state is saved (Ctrl-C again to quit now)"
            );
        })
        .context("installing the Ctrl-C handler")?;
        Ok(Self { stop })
    }
}

pub fn duration(seconds: f64) -> String {
    let s = seconds.max(0.0).round() as u64;
    format!("{}:{:02}:{:02}", s / 3600, s % 3600 / 60, s % 60)
}

impl Progress for Console {
    fn message(&mut self, text: &str) {
        eprintln!("{text}");
    }
    fn cancelled(&self) -> bool {
        self.stop.load(Ordering::Relaxed)
    }
}

impl TrainProgress for Console {
    fn step(&mut self, stage: &str, step: usize, steps: usize, loss: f64) {
        let width = 30;
        let filled = (step * width / steps.max(1)).min(width);
        eprint!(
            "\r{stage} [{}{}] {step}/{steps} loss {loss:.4}   ",
            "#".repeat(filled),
            "-".repeat(width - filled)
        );
        std::io::stderr().flush().ok();
    }
    fn epoch(&mut self, r: &EpochReport) {
        eprintln!(
            "\r{} epoch {}/{}: loss {:.4}, val {:.4}{}{}, lr {:.2e}, {:.0} windows/s, elapsed {}, ETA {}",
            r.stage,
            r.epoch,
            r.epochs,
            r.train_loss,
            r.val_loss,
            r.val_score
                .map(|score| format!(", val ĥ affinity {score:.3}"))
                .unwrap_or_default(),
            if r.best { " (best)" } else { "" },
            r.learning_rate,
            r.windows_per_s,
            duration(r.elapsed_s),
            duration(r.eta_s)
        );
    }
}

pub fn run(args: &Args) -> anyhow::Result<()> {
    let config = match &args.config {
        Some(path) => card::load_ron::<TrainConfig>(path)?,
        None => TrainConfig::new(),
    };
    if args.print_config {
        let text = ron::ser::to_string_pretty(&config, ron::ser::PrettyConfig::default())
            .context("writing the configuration as RON")?;
        println!("{text}");
        return Ok(());
    }
    let device = select_device(args.device)?;
    let mut console = Console::stopped_by_ctrl_c()?;
    let started = std::time::Instant::now();
    let model_card = pipeline::train_all(
        &args.data,
        &args.out,
        &config,
        &device,
        args.resume,
        &mut console,
    )?;
    eprintln!("trained in {}", duration(started.elapsed().as_secs_f64()));
    for (split, by_model) in &model_card.metrics {
        println!("{split} split: RMSE (mV) / R² / Pearson r per lead");
        for (name, m) in by_model {
            let mut line = format!("  {name:>22}");
            for (lead, lm) in &m.per_lead {
                line.push_str(&format!("  {lead} {lm}"));
            }
            line.push_str(&format!("  mean {}", m.mean));
            println!("{line}");
        }
    }
    println!("models written to {}", args.out.display());
    Ok(())
}
