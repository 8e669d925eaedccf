//! `precordial ablate`: the evidence behind the shipped decoders. Trains per-lead decoders and/or the
//! other input normalisation on the models' own training data and compares them with the shipped
//! decoders on the same held-out windows: the validation split by default, where choices are made.

use std::path::PathBuf;

use anyhow::Context as _;
use precordial::model::DeviceChoice;
use precordial::model::ablation::{self, AblationChoice};
use precordial::model::backend::select_device;
use precordial::prep::Split;

use super::train::{Console, duration};

#[derive(clap::Args)]
pub struct Args {
    /// The shipped models (encoder, decoders, card, training.ron).
    #[arg(long, default_value = "models")]
    models: PathBuf,
    /// The dataset folders the models were trained on (see the card's data_sources).
    #[arg(long, required = true, num_args = 1..)]
    data: Vec<PathBuf>,
    /// Train five single-output C-h decoders.
    #[arg(long)]
    per_lead_ch: bool,
    /// Train five single-output C decoders.
    #[arg(long)]
    per_lead_c: bool,
    /// Train C and C-h with the other input normalisation (z-score vs centred mV).
    #[arg(long)]
    other_norm: bool,
    /// Train C and C-h with the other choice of anatomical augmentation (windows re-synthesised
    /// through random heart rotations and electrode positions) than the shipped decoders.
    #[arg(long)]
    anatomy: bool,
    /// Also score every model on all windows of these folders (datasets never trained on: LUDB,
    /// PTB), screened with the training data's quality-control bounds.
    #[arg(long, num_args = 1..)]
    cross_data: Vec<PathBuf>,
    /// The split the models are compared on: val (default) to choose between them; test only to
    /// report on a choice already made.
    #[arg(long, value_enum, default_value_t = SplitArg::Val)]
    split: SplitArg,
    /// Write the comparison here (Markdown and JSON); never overwritten.
    #[arg(long)]
    out: Option<PathBuf>,
    #[arg(long, default_value = "auto")]
    device: DeviceChoice,
}

/// The held-out splits (the alternatives are trained on the train split).
#[derive(Clone, Copy, Debug, clap::ValueEnum)]
enum SplitArg {
    Val,
    Test,
}

pub fn run(args: &Args) -> anyhow::Result<()> {
    let choice = AblationChoice {
        per_lead_ch: args.per_lead_ch,
        per_lead_c: args.per_lead_c,
        other_norm: args.other_norm,
        anatomy: args.anatomy,
    };
    if let Some(out) = &args.out
        && out.exists()
    {
        anyhow::bail!("{}: exists; choose a new folder", out.display());
    }
    let device = select_device(args.device)?;
    let mut console = Console::stopped_by_ctrl_c()?;
    let started = std::time::Instant::now();
    let split = match args.split {
        SplitArg::Val => Split::Val,
        SplitArg::Test => Split::Test,
    };
    let report = ablation::compare(
        &args.data,
        &args.cross_data,
        &args.models,
        choice,
        split,
        &device,
        &mut console,
    )?;
    eprintln!("compared in {}", duration(started.elapsed().as_secs_f64()));
    let markdown = report.markdown();
    print!("{markdown}");
    if let Some(out) = &args.out {
        std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
        let json = serde_json::to_string_pretty(&report).context("writing the comparison")?;
        for (name, text) in [("ablation.md", markdown), ("ablation.json", json)] {
            let path = out.join(name);
            precordial::output::write_file(&path, false, |w| w.write_all(text.as_bytes()))?;
        }
    }
    Ok(())
}
