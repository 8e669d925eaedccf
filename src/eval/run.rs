//! `precordial eval`'s engine: assemble a dataset split, run the least-squares baseline and (when
//! present) the models C and C-h over it, and fill an [`EvalReport`].
//!
//! Data assembly is the training pipeline's own (`prep::assemble`), so evaluated windows are
//! cleaned, screened and split exactly as the models were trained.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use super::amplitude::{self, Amplitudes, RegressionToMean, Wave};
use super::report::{
    DIPOLE, LEAST_SQUARES, LeadScores, MEAN_OF_LEADS, MODEL_C, MODEL_CH, MODELS, RecordScores,
    RoundTrip, adjust_holm, mean_rmse_test,
};
use super::{
    AffinityInput, AffinityOptions, AffinityPair, DataSummary, Deployment, EvalError, EvalReport,
    ExampleTrace, PairedMetric, PairedTest, PerClassAccumulator, RecordLevel, knn_affinity,
    radar_selection, stats,
};
use crate::dataset::labels::Superclass;
use crate::dsp::rpeaks::{self, RPeakConfig};
use crate::metrics::{self, LinearLead, MetricsAccumulator, mean_std};
use crate::model::card;
use crate::model::inference::evaluation_starts;
use crate::model::train::TrainConfig;
use crate::model::{FS_HZ, ModelVariant, Reconstructor, TARGET_LEADS, WINDOW};
use crate::physics::{self, ThreeLeadDipole, VcgMethod};
use crate::prep::{
    self, AssembleOptions, CvFold, LudbScaling, Screen, Split, TrainingData, WindowSet,
};
use crate::progress::{Progress, Span};

/// What to evaluate and how.
#[derive(Clone, Debug)]
pub struct EvalConfig {
    pub data: Vec<PathBuf>,
    /// The split to evaluate; `None` evaluates every record (a dataset the models never saw).
    pub split: Option<Split>,
    /// Folders whose train split fits the quality-control bounds and the least-squares baseline
    /// (the models' training data); empty means `data` itself.
    pub reference: Vec<PathBuf>,
    /// LUDB's per-lead gains are not mV: skipped, or read with one common gain (shape evaluation).
    pub ludb: LudbScaling,
    /// Neighbours for the class-affinity matrices.
    pub k: usize,
    /// Classes with fewer windows are left out of the per-class table.
    pub min_class_windows: usize,
    pub bootstrap_resamples: usize,
    pub permutations: usize,
    pub seed: u64,
    /// Bad leads a window may have before quality control rejects it; `None` takes the models'
    /// training value (`training.ron`), so the evaluated windows are screened as the trained ones.
    pub qc_max_bad_leads: Option<usize>,
}

impl Default for EvalConfig {
    fn default() -> Self {
        Self {
            data: Vec::new(),
            split: Some(Split::Test),
            reference: Vec::new(),
            ludb: LudbScaling::CommonGain,
            k: 10,
            min_class_windows: 20,
            bootstrap_resamples: 2000,
            permutations: 10_000,
            seed: 20_260_324,
            qc_max_bad_leads: None,
        }
    }
}

/// Data loading stopped on cancel is the evaluation cancelled; anything else is bad input.
fn assembly_error(err: crate::prep::PrepError) -> EvalError {
    match err {
        crate::prep::PrepError::Stopped => EvalError::Cancelled,
        other => EvalError::Input(other.to_string()),
    }
}

/// Where each stage starts, as a fraction of the whole run (see [`Progress::fraction`]).
mod at {
    pub const REFERENCE: f32 = 0.0;
    pub const DATA: f32 = 0.05;
    pub const DATA_AFTER_REFERENCE: f32 = 0.2;
    pub const BASELINE: f32 = 0.4;
    pub const RECONSTRUCT: f32 = 0.45;
    pub const WINDOWS: f32 = 0.55;
    pub const DEPLOYMENT: f32 = 0.6;
    pub const DEPLOYMENT_WINDOWS: f32 = 0.63;
    pub const RECORDS: f32 = 0.65;
    pub const AFFINITY: f32 = 0.85;
}

/// Stops with [`EvalError::Cancelled`] when the caller asked.
fn check_cancel(progress: &dyn Progress) -> Result<(), EvalError> {
    if progress.cancelled() {
        Err(EvalError::Cancelled)
    } else {
        Ok(())
    }
}

/// Starts a stage: checks for cancel, then reports the fraction and the message.
fn begin_stage(progress: &mut dyn Progress, fraction: f32, message: &str) -> Result<(), EvalError> {
    check_cancel(progress)?;
    progress.fraction(fraction);
    progress.message(message);
    Ok(())
}

/// Runs the evaluation. `models` is `None` when no trained models are available: the report
/// then holds the least-squares baseline and the input-space affinity only. Stops with
/// [`EvalError::Cancelled`] when `progress` says so.
pub fn evaluate(
    config: &EvalConfig,
    models: Option<(&Reconstructor, &Path)>,
    progress: &mut dyn Progress,
) -> Result<EvalReport, EvalError> {
    if config.split.is_none() && config.reference.is_empty() {
        return Err(EvalError::Input(
            "evaluating every record (split all) needs the models' training data as reference, \
             to fit quality control and the least-squares baseline without evaluating on them"
                .to_owned(),
        ));
    }
    let trained = trained_assembly(config, models)?;
    let (reference, mut data) = assemble(config, trained, progress)?;
    // Owned, so every split's windows can be dropped once the baseline is fitted: at PTB-XL's size
    // the train split's are gigabytes, and the deployment pass assembles the records again.
    let windows = evaluated_windows(&data, config.split).into_owned();
    let set = &windows;
    if set.is_empty() {
        return Err(EvalError::Input(format!(
            "no {} windows in {}",
            split_name(config.split),
            display_paths(&config.data)
        )));
    }
    let mut report = EvalReport {
        data: summary(&data, config, set, models),
        ..EvalReport::default()
    };
    if let Some(cv) = trained.cv {
        report.data.notes.push(format!(
            "The models were trained on cross-validation fold {} of {} (their training.ron): the \
             splits here are that fold's, its test split the patients of fold {}.",
            cv.test_fold + 1,
            cv.folds,
            cv.test_fold + 1
        ));
    }
    // Classes are pathology only: each record's diagnostic superclass (its sources' statements
    // mapped to PTB-XL's five), one per record; records without one stay out of the class tables.
    let class_names: Vec<String> = Superclass::ALL
        .iter()
        .map(|class| class.code().to_owned())
        .collect();
    let window_class: Vec<Option<usize>> = (0..set.len())
        .map(|w| {
            let pathology = data.records.get(set.record[w])?.pathology?;
            Superclass::ALL.iter().position(|&class| class == pathology)
        })
        .collect();
    let evaluated: Vec<&prep::LoadedRecord> = evaluated_records(&data, config.split).collect();
    let unclassed = evaluated.iter().filter(|r| r.pathology.is_none()).count();
    report.data.notes.push(format!(
        "Classes (per-class errors, affinity): PTB-XL's diagnostic superclasses, each record's most \
         likely high-confidence one, NORM only when no other is present; {unclassed} of {} records \
         have no diagnostic label (CODE-15's Chagas labels, rhythm or axis statements only) and are \
         left out of the class tables.",
        evaluated.len()
    ));
    if let Some(reference) = &reference {
        report.data.notes.push(format!(
            "Quality control and the least-squares baseline were fitted on the train split of {} ({} windows), not on the evaluated data.",
            display_paths(&config.reference),
            reference.train.len()
        ));
    }
    if config.ludb == LudbScaling::CommonGain
        && data
            .records
            .iter()
            .any(|r| r.record_id.starts_with("ludb:"))
    {
        report.data.notes.push(format!(
            "LUDB was read with one common gain of {} adu/mV (its header gains scale each lead to 1 mV peak-to-peak): amplitudes are plausible but not calibrated, so RMSE and R² on LUDB are indicative; Pearson r measures shape and is the figure to compare.",
            prep::LUDB_COMMON_GAIN_ADU_PER_MV
        ));
    }

    begin_stage(
        progress,
        at::BASELINE,
        "least squares: fitting on the training split",
    )?;
    let baseline = Baselines {
        least_squares: fit_baseline(reference.as_ref().map_or(&data.train, |r| &r.train))?,
        dipole: ThreeLeadDipole::population().map_err(|e| EvalError::Input(e.to_string()))?,
    };
    drop(reference);
    for split in [&mut data.train, &mut data.val, &mut data.test] {
        *split = WindowSet::default();
    }
    for (lead, fit) in TARGET_LEADS.iter().zip(&baseline.least_squares) {
        report.baseline.insert((*lead).to_owned(), *fit);
    }

    // Window level (Table I), per class and examples.
    begin_stage(
        progress,
        at::RECONSTRUCT,
        &format!("{} windows: reconstructing", set.len()),
    )?;
    let predictions_c = predict(models.map(|(m, _)| m), set, ModelVariant::C)?;
    let predictions_ch = predict(models.map(|(m, _)| m), set, ModelVariant::CH)?;
    check_cancel(progress)?;
    progress.fraction(at::WINDOWS);
    let predictions = Predictions {
        c: predictions_c.as_deref(),
        ch: predictions_ch.as_deref(),
    };
    let (per_lead, per_class) = window_metrics(
        set,
        &baseline,
        predictions,
        &class_names,
        &window_class,
        (at::WINDOWS, at::DEPLOYMENT),
        progress,
    )?;
    report.per_lead = per_lead;
    report.per_class = per_class.finish(config.min_class_windows);
    report.radar = radar_selection(&report.per_class, 4);
    if let (Some(c), Some(ch)) = (&predictions_c, &predictions_ch) {
        report.examples = examples(set, &data, &class_names, &window_class, c, ch);
        if let Some((m, dir)) = models
            && let Some(bands) = super::conformal::load_bands(m, dir)?
        {
            let peaks = crate::model::train::window_r_peaks(set);
            report.conformal = Some(super::report::ConformalReport {
                alpha: bands.alpha,
                calibrated_on: bands.calibrated_on.clone(),
                calibration_windows: bands.windows,
                coverage: super::conformal::coverage(
                    &bands,
                    set,
                    &[(MODEL_C, c), (MODEL_CH, ch)],
                    &peaks,
                    Some(&super::conformal::window_difficulty(c, ch)),
                ),
            });
        }
    }

    // The same metrics on windows screened by the input leads only.
    begin_stage(
        progress,
        at::DEPLOYMENT,
        "deployment-true screening: the records screened by I, II and V2 only",
    )?;
    report.deployment = Some(deployment(
        config,
        trained,
        &data,
        &baseline,
        models.map(|(m, _)| m),
        progress,
    )?);

    // Record level (Table II): non-overlapping windows reassembled into whole records.
    begin_stage(
        progress,
        at::RECORDS,
        "record level: reassembling whole records",
    )?;
    let record_level = record_level(&data, config, &baseline, models.map(|(m, _)| m), progress)?;
    report.record_level = record_level.summary.table;
    report.record_level_p_value = record_level.summary.p_value;
    report.paired_tests = record_level.summary.paired;
    report.regression_to_mean = record_level.regression_to_mean;
    report.round_trip = record_level.round_trip;
    report.records = record_level.scores;

    // Class affinity of the normalised inputs x̂ and of the embeddings ĥ.
    begin_stage(
        progress,
        at::AFFINITY,
        &format!(
            "class affinity over {} windows (k = {})",
            set.len(),
            config.k
        ),
    )?;
    report.affinity = affinity(
        set,
        &data,
        &class_names,
        &window_class,
        config,
        models.map(|(m, _)| m),
    )?;
    check_cancel(progress)?;
    progress.fraction(1.0);
    Ok(report)
}

/// How the models' training data was assembled, which evaluation repeats so the evaluated windows
/// are screened and split as the trained ones were.
#[derive(Clone, Copy, Debug)]
struct TrainedAssembly {
    /// Bad leads a window may have: the caller's choice, else the models' own `training.ron`,
    /// else training's default.
    qc_max_bad_leads: usize,
    /// The cross-validation fold the models were trained on (their `training.ron`): its test
    /// split is theirs to be scored on, not the default one.
    cv: Option<CvFold>,
}

fn trained_assembly(
    config: &EvalConfig,
    models: Option<(&Reconstructor, &Path)>,
) -> Result<TrainedAssembly, EvalError> {
    let trained = match models {
        Some((m, dir)) => {
            let path = m
                .card()
                .verify(dir, card::TRAINING_CONFIG)
                .map_err(|e| EvalError::Input(e.to_string()))?;
            card::load_ron::<TrainConfig>(&path).map_err(|e| EvalError::Input(e.to_string()))?
        }
        None => TrainConfig::new(),
    };
    Ok(TrainedAssembly {
        qc_max_bad_leads: config.qc_max_bad_leads.unwrap_or(trained.qc_max_bad_leads),
        cv: trained.cv,
    })
}

/// The assembly stage: the reference data when given (its train split fits quality control and
/// the baseline), then the evaluated data, screened with the reference's thresholds if any.
fn assemble(
    config: &EvalConfig,
    trained: TrainedAssembly,
    progress: &mut dyn Progress,
) -> Result<(Option<TrainingData>, TrainingData), EvalError> {
    let reference = if config.reference.is_empty() {
        None
    } else {
        begin_stage(
            progress,
            at::REFERENCE,
            "reference data: fitting quality control and the least-squares baseline",
        )?;
        let options = AssembleOptions {
            qc_max_bad_leads: trained.qc_max_bad_leads,
            cv: trained.cv,
            ..AssembleOptions::default()
        };
        let mut loading = Span::new(&mut *progress, at::REFERENCE, at::DATA_AFTER_REFERENCE);
        let reference = prep::assemble_with(&config.reference, &options, &mut loading)
            .map_err(assembly_error)?;
        Some(reference)
    };
    check_cancel(progress)?;
    let from = if reference.is_some() {
        at::DATA_AFTER_REFERENCE
    } else {
        at::DATA
    };
    progress.fraction(from);
    // Data never trained on (a reference is given) is evaluated whole, PTB Diagnostic included;
    // otherwise the splits are the training assembly's.
    let options = AssembleOptions {
        qc_max_bad_leads: trained.qc_max_bad_leads,
        ludb: config.ludb,
        qc: reference.as_ref().and_then(|r| r.qc.clone()),
        screen: Screen::AllLeads,
        keep_held_out_datasets: reference.is_some(),
        // The full train split: the same evaluated windows whatever subset trained the models.
        train_subset: None,
        cv: trained.cv,
    };
    let mut loading = Span::new(&mut *progress, from, at::BASELINE);
    let data = prep::assemble_with(&config.data, &options, &mut loading).map_err(assembly_error)?;
    Ok((reference, data))
}

/// The windows evaluated: one split's, or every split's for a dataset never trained on.
fn evaluated_windows(data: &TrainingData, split: Option<Split>) -> Cow<'_, WindowSet> {
    match split {
        Some(split) => Cow::Borrowed(data.split(split)),
        None => Cow::Owned(WindowSet::concat([&data.train, &data.val, &data.test])),
    }
}

/// The records evaluated, as [`evaluated_windows`] takes their windows.
fn evaluated_records(
    data: &TrainingData,
    split: Option<Split>,
) -> impl Iterator<Item = &prep::LoadedRecord> {
    data.records
        .iter()
        .filter(move |r| split.is_none_or(|split| r.split == split))
}

/// Records and windows the assembly left out, by reason (every split).
fn left_out(data: &TrainingData) -> BTreeMap<String, usize> {
    let s = &data.screening;
    let mut skipped = BTreeMap::new();
    for (reason, n) in [
        ("missing input or target leads", s.missing_leads),
        (
            "limb leads inconsistent (III != II - I)",
            s.limb_inconsistent,
        ),
        ("unreadable", s.unreadable),
        ("shorter than one window", s.too_short),
        ("LUDB (gains are not mV)", s.ludb_skipped),
        (
            "windows rejected by quality control",
            data.windows_rejected_qc,
        ),
        (
            "windows with a flat lead among those screened",
            data.windows_rejected_flat,
        ),
    ] {
        if n > 0 {
            skipped.insert(reason.to_owned(), n);
        }
    }
    skipped
}

/// The same records screened as a device could (input leads only, the same QC bounds), and the
/// window-level metrics there: what a user of a three-electrode recording can expect.
fn deployment(
    config: &EvalConfig,
    trained: TrainedAssembly,
    data: &TrainingData,
    baseline: &Baselines,
    models: Option<&Reconstructor>,
    progress: &mut dyn Progress,
) -> Result<Deployment, EvalError> {
    let options = AssembleOptions {
        qc_max_bad_leads: trained.qc_max_bad_leads,
        ludb: config.ludb,
        qc: data.qc.clone(),
        screen: Screen::InputsOnly,
        keep_held_out_datasets: !config.reference.is_empty(),
        train_subset: None,
        cv: trained.cv,
    };
    let deployed = {
        let mut loading = Span::new(&mut *progress, at::DEPLOYMENT, at::DEPLOYMENT_WINDOWS);
        prep::assemble_with(&config.data, &options, &mut loading).map_err(assembly_error)?
    };
    let windows = evaluated_windows(&deployed, config.split);
    let set = &*windows;
    let predictions_c = predict(models, set, ModelVariant::C)?;
    let predictions_ch = predict(models, set, ModelVariant::CH)?;
    check_cancel(progress)?;
    let predictions = Predictions {
        c: predictions_c.as_deref(),
        ch: predictions_ch.as_deref(),
    };
    let no_classes = vec![None; set.len()];
    let (per_lead, _) = window_metrics(
        set,
        baseline,
        predictions,
        &[],
        &no_classes,
        (at::DEPLOYMENT_WINDOWS, at::RECORDS),
        progress,
    )?;
    Ok(Deployment {
        windows: set.len(),
        left_out: left_out(&deployed),
        per_lead,
    })
}

/// One model's predictions [n, 5, 256] over a window set; `None` without models.
fn predict(
    models: Option<&Reconstructor>,
    set: &WindowSet,
    variant: ModelVariant,
) -> Result<Option<Vec<f32>>, EvalError> {
    models
        .map(|m| m.reconstruct_windows(&set.x, variant))
        .transpose()
        .map_err(|e| EvalError::Input(e.to_string()))
}

/// The models' predictions over a window set, [n, 5, 256] each, where the models ran.
#[derive(Clone, Copy)]
struct Predictions<'a> {
    c: Option<&'a [f32]>,
    ch: Option<&'a [f32]>,
}

/// Per lead and model: window-level metrics (Table I); and per class, C and C-h's squared errors.
fn window_metrics(
    set: &WindowSet,
    baseline: &Baselines,
    predictions: Predictions,
    class_names: &[String],
    window_class: &[Option<usize>],
    (from, to): (f32, f32),
    progress: &mut dyn Progress,
) -> Result<(PerLeadMetrics, PerClassAccumulator), EvalError> {
    let mut per_lead: BTreeMap<(usize, &str), MetricsAccumulator> = BTreeMap::new();
    let mut per_class = PerClassAccumulator::default();
    for w in 0..set.len() {
        if w % 256 == 255 {
            check_cancel(progress)?;
            progress.fraction(from + (to - from) * w as f32 / set.len() as f32);
        }
        let x = set.x_of(w);
        let y = set.y_of(w);
        let inputs: [Vec<f64>; 3] =
            std::array::from_fn(|l| to_f64(&x[l * WINDOW..(l + 1) * WINDOW]));
        let (mut sse_c, mut sse_ch) = (0.0, 0.0);
        let dipole = baseline
            .dipole
            .reconstruct([&inputs[0], &inputs[1], &inputs[2]]);
        for (lead, fit) in baseline.least_squares.iter().enumerate() {
            let truth = to_f64(&y[lead * WINDOW..(lead + 1) * WINDOW]);
            let ls = fit.predict([&inputs[0], &inputs[1], &inputs[2]]);
            per_lead
                .entry((lead, LEAST_SQUARES))
                .or_default()
                .push(&truth, &ls);
            per_lead
                .entry((lead, DIPOLE))
                .or_default()
                .push(&truth, &dipole[lead]);
            for (model, prediction, sse) in [
                (MODEL_C, predictions.c, &mut sse_c),
                (MODEL_CH, predictions.ch, &mut sse_ch),
            ] {
                if let Some(p) = prediction {
                    let at = (w * 5 + lead) * WINDOW;
                    let p = to_f64(&p[at..at + WINDOW]);
                    *sse += p
                        .iter()
                        .zip(&truth)
                        .map(|(a, b)| (a - b).powi(2))
                        .sum::<f64>();
                    per_lead.entry((lead, model)).or_default().push(&truth, &p);
                }
            }
        }
        if predictions.c.is_some() && predictions.ch.is_some() {
            let class = window_class
                .get(w)
                .copied()
                .flatten()
                .and_then(|c| class_names.get(c));
            per_class.push(
                class.map(String::as_str),
                (5 * WINDOW) as u64,
                sse_c,
                sse_ch,
            );
        }
    }
    let mut out = PerLeadMetrics::new();
    for ((lead, model), acc) in per_lead {
        out.entry(TARGET_LEADS[lead].to_owned())
            .or_default()
            .insert(model.to_owned(), acc.finish());
    }
    Ok((out, per_class))
}

/// Lead → model → metrics, as the report holds them.
type PerLeadMetrics = BTreeMap<String, BTreeMap<String, metrics::LeadMetrics>>;

fn summary(
    data: &TrainingData,
    config: &EvalConfig,
    set: &WindowSet,
    models: Option<(&Reconstructor, &Path)>,
) -> DataSummary {
    let records: Vec<&prep::LoadedRecord> = evaluated_records(data, config.split).collect();
    let mut datasets: Vec<String> = records.iter().map(|r| r.dataset.clone()).collect();
    datasets.sort();
    datasets.dedup();
    DataSummary {
        datasets,
        split: split_name(config.split).to_owned(),
        records: records.len(),
        windows: set.len(),
        skipped: left_out(data),
        models_dir: models.map(|(_, p)| p.to_path_buf()).unwrap_or_default(),
        device: models.map_or("no models".to_owned(), |(m, _)| m.device_name()),
        notes: Vec::new(),
    }
}

/// The baselines every model is compared with: fitted (least squares) and physical (the dipole).
struct Baselines {
    least_squares: [LinearLead; 5],
    dipole: ThreeLeadDipole,
}

fn fit_baseline(train: &WindowSet) -> Result<[LinearLead; 5], EvalError> {
    let leads =
        crate::model::fit_least_squares(train).map_err(|e| EvalError::Input(e.to_string()))?;
    leads
        .try_into()
        .map_err(|_| EvalError::Input("least squares: not one fit per target lead".to_owned()))
}

/// What the record-level stage measures.
struct RecordLevelResult {
    /// Table II and the paired tests of C-h against C.
    summary: RecordSummary,
    /// Each model's R and T amplitudes against the recording's, per lead.
    regression_to_mean: Vec<RegressionToMean>,
    /// The VCG round trip of each lead, per VCG method.
    round_trip: Vec<RoundTrip>,
    /// Every record's row.
    scores: Vec<RecordScores>,
}

/// Each record's amplitudes per target lead (`None` where no beat could be measured).
type RecordAmplitudes = [Option<Amplitudes>; 5];

fn record_level(
    data: &TrainingData,
    config: &EvalConfig,
    baseline: &Baselines,
    models: Option<&Reconstructor>,
    progress: &mut dyn Progress,
) -> Result<RecordLevelResult, EvalError> {
    let mut round_trip = RoundTripAccumulator::default();
    // Per record: (rmse, r2, pearson) of each of the five leads, per model.
    let mut scores: Vec<RecordScores> = Vec::new();
    // Per model and for the recording ("truth"): per record, the R and T amplitudes of each lead.
    let mut amplitudes: BTreeMap<&str, Vec<RecordAmplitudes>> = BTreeMap::new();
    let records: Vec<&prep::LoadedRecord> = evaluated_records(data, config.split).collect();
    for (done, record) in records.iter().enumerate() {
        // Each record runs both models: the costly loop of this stage.
        check_cancel(progress)?;
        progress.fraction(
            at::RECORDS + (at::AFFINITY - at::RECORDS) * done as f32 / records.len() as f32,
        );
        let len = record.leads[0].len();
        if evaluation_starts(len).is_empty() {
            continue;
        }
        let inputs = [
            &record.leads[0][..],
            &record.leads[1][..],
            &record.leads[2][..],
        ];
        // Beats found on the input leads, as a device would: every amplitude is measured at them.
        let beats = rpeaks::detect(&inputs, FS_HZ, &RPeakConfig::default()).unwrap_or_default();
        let measure = |leads: &[Vec<f64>]| -> RecordAmplitudes {
            std::array::from_fn(|lead| {
                leads
                    .get(lead)
                    .and_then(|signal| amplitude::record_amplitudes(signal, &beats, FS_HZ))
            })
        };
        amplitudes
            .entry(TRUTH)
            .or_default()
            .push(measure(&record.leads[3..]));
        round_trip.push(&record.leads)?;
        let mut outputs: Vec<(&str, [Vec<f64>; 5])> = vec![
            (
                LEAST_SQUARES,
                std::array::from_fn(|lead| baseline.least_squares[lead].predict(inputs)),
            ),
            (DIPOLE, baseline.dipole.reconstruct(inputs)),
        ];
        if let Some(m) = models {
            for (key, variant) in [(MODEL_C, ModelVariant::C), (MODEL_CH, ModelVariant::CH)] {
                let y = m
                    .reconstruct(inputs, variant)
                    .map_err(|e| EvalError::Input(e.to_string()))?;
                outputs.push((key, y));
            }
        }
        let mut row = RecordScores {
            record_id: record.record_id.clone(),
            patient_id: record.patient_id.clone(),
            class: record.pathology.map(|class| class.code().to_owned()),
            models: BTreeMap::new(),
        };
        for (key, predicted) in outputs {
            amplitudes.entry(key).or_default().push(measure(&predicted));
            // R² and r are undefined for a flat lead (no variance): averaged over the leads where
            // they are defined, and the record left out where none is.
            let mut per_lead: LeadScores = [[None; 5]; 3];
            for (lead, prediction) in predicted.iter().enumerate() {
                let truth = &record.leads[3 + lead];
                let m = metrics::lead_metrics([(&truth[..], &prediction[..])]);
                for (metric, value) in [m.rmse_mv, m.r2, m.pearson].into_iter().enumerate() {
                    per_lead[metric][lead] = value.is_finite().then_some(value);
                }
            }
            row.models.insert(key.to_owned(), per_lead);
        }
        scores.push(row);
    }
    Ok(RecordLevelResult {
        summary: summarise_records(&scores, config),
        regression_to_mean: regression_to_mean(&amplitudes, config),
        round_trip: round_trip.finish(),
        scores,
    })
}

/// Table II and the paired tests of C-h against C, from record-level rows.
pub struct RecordSummary {
    pub table: BTreeMap<String, RecordLevel>,
    /// The paired test on the per-record mean RMSE.
    pub p_value: Option<f64>,
    pub paired: Vec<PairedTest>,
}

/// Summarises record-level rows: one evaluation's, or several cross-validation folds' pooled
/// (each record scored by the models that did not train on it).
pub fn summarise_records(scores: &[RecordScores], config: &EvalConfig) -> RecordSummary {
    let metrics_of =
        |scores: &LeadScores| -> PerLead { scores.map(|row| row.map(|v| v.unwrap_or(f64::NAN))) };
    let mut rows: BTreeMap<&str, Vec<PerLead>> = BTreeMap::new();
    for record in scores {
        for (key, values) in &record.models {
            rows.entry(key.as_str())
                .or_default()
                .push(metrics_of(values));
        }
    }
    // C and C-h paired over the records both scored.
    let (c, ch): (Vec<PerLead>, Vec<PerLead>) = scores
        .iter()
        .filter_map(|record| {
            Some((
                metrics_of(record.models.get(MODEL_C)?),
                metrics_of(record.models.get(MODEL_CH)?),
            ))
        })
        .unzip();
    let paired = if c.is_empty() {
        Vec::new()
    } else {
        paired_tests(&c, &ch, config)
    };
    let mut table = BTreeMap::new();
    for (key, per_lead) in &rows {
        // Each record's metrics averaged over the five leads.
        let values: Vec<[f64; 3]> = per_lead
            .iter()
            .map(|record| record.map(|values| finite_mean(&values)))
            .collect();
        let column = |i: usize| {
            values
                .iter()
                .map(|v| v[i])
                .filter(|v| v.is_finite())
                .collect::<Vec<f64>>()
        };
        let (rmse_mean, rmse_std) = mean_std(&column(0));
        let (r2_mean, r2_std) = mean_std(&column(1));
        let (pearson_mean, pearson_std) = mean_std(&column(2));
        table.insert(
            (*key).to_owned(),
            RecordLevel {
                records: values.len(),
                rmse_mean,
                rmse_std,
                rmse_ci95: stats::bootstrap_mean_ci(
                    &column(0),
                    config.bootstrap_resamples,
                    config.seed,
                ),
                r2_mean,
                r2_std,
                pearson_mean,
                pearson_std,
            },
        );
    }
    // The mean RMSE row of the paired tests is the same test.
    let p_value = mean_rmse_test(&paired).map(|test| test.p_value);
    RecordSummary {
        table,
        p_value,
        paired,
    }
}

/// Per VCG method and lead, each record's r and RMSE after the 12-lead → VCG → 12-lead round trip.
#[derive(Default)]
struct RoundTripAccumulator {
    /// (method, lead) → per record (r, RMSE in mV).
    rows: BTreeMap<(usize, usize), Vec<(f64, f64)>>,
}

/// The VCG methods of the round trip, in report order.
const ROUND_TRIP_METHODS: [VcgMethod; 2] = [VcgMethod::Kors, VcgMethod::InverseDower];

impl RoundTripAccumulator {
    /// `leads` as [`prep::LoadedRecord`] holds them: I, II, V2, then V1, V3–V6.
    fn push(&mut self, leads: &[Vec<f64>]) -> Result<(), EvalError> {
        let [i, ii, v2, v1, v3, v4, v5, v6] = leads else {
            return Err(EvalError::Input(format!(
                "a record has {} leads, the round trip needs eight",
                leads.len()
            )));
        };
        let independent: [&[f64]; 8] = [i, ii, v1, v2, v3, v4, v5, v6];
        let field = physics::LeadField::population();
        for (m, method) in ROUND_TRIP_METHODS.into_iter().enumerate() {
            let vcg = physics::vcg_from_leads(independent, method)
                .map_err(|e| EvalError::Input(e.to_string()))?;
            let synthesised = vcg.leads(&field);
            for (lead, &name) in physics::matrices::INDEPENDENT_LEADS.iter().enumerate() {
                let Some(row) = physics::twelve_lead_index(name) else {
                    continue;
                };
                let m_ = metrics::lead_metrics([(independent[lead], &synthesised[row][..])]);
                if m_.pearson.is_finite() {
                    self.rows
                        .entry((m, lead))
                        .or_default()
                        .push((m_.pearson, m_.rmse_mv));
                }
            }
        }
        Ok(())
    }

    fn finish(self) -> Vec<RoundTrip> {
        self.rows
            .into_iter()
            .map(|((m, lead), values)| {
                let mut r: Vec<f64> = values.iter().map(|v| v.0).collect();
                r.sort_by(f64::total_cmp);
                let n = values.len() as f64;
                RoundTrip {
                    method: ROUND_TRIP_METHODS[m].name().to_owned(),
                    lead: physics::matrices::INDEPENDENT_LEADS[lead].to_owned(),
                    records: values.len(),
                    pearson_mean: r.iter().sum::<f64>() / n,
                    pearson_median: stats::quantile(&r, 0.5),
                    rmse_mean_mv: values.iter().map(|v| v.1).sum::<f64>() / n,
                }
            })
            .collect()
    }
}

/// What the amplitude table calls the recording.
const TRUTH: &str = "truth";

/// Each model's fit of its amplitudes to the recording's, per lead and wave, over the records where
/// both were measured, with bootstrap CIs; for C-h also the CI of its slope minus C's.
fn regression_to_mean(
    amplitudes: &BTreeMap<&str, Vec<RecordAmplitudes>>,
    config: &EvalConfig,
) -> Vec<RegressionToMean> {
    let Some(truth) = amplitudes.get(TRUTH) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (lead, &name) in TARGET_LEADS.iter().enumerate() {
        for wave in [Wave::R, Wave::T] {
            let value = |a: &RecordAmplitudes| {
                a[lead].map(|a| match wave {
                    Wave::R => a.r_mv,
                    Wave::T => a.t_mv,
                })
            };
            // (truth, reconstructed) over the records where both were measured.
            let paired = |model: &str| -> Option<(Vec<f64>, Vec<f64>)> {
                let reconstructed = amplitudes.get(model)?;
                Some(
                    truth
                        .iter()
                        .zip(reconstructed)
                        .filter_map(|(t, r)| Some((value(t)?, value(r)?)))
                        .unzip(),
                )
            };
            for model in MODELS {
                let Some((t, r)) = paired(model) else {
                    continue;
                };
                let Some(fit) = amplitude::amplitude_fit_with_ci(
                    &t,
                    &r,
                    config.bootstrap_resamples,
                    config.seed,
                ) else {
                    continue;
                };
                let slope_minus_c_ci95 = if model == MODEL_CH {
                    slope_minus_c(truth, amplitudes, &value, config)
                } else {
                    None
                };
                out.push(RegressionToMean {
                    lead: name.to_owned(),
                    wave,
                    model: model.to_owned(),
                    fit,
                    slope_minus_c_ci95,
                });
            }
        }
    }
    out
}

/// The CI of C-h's error slope minus C's on the records where the truth and both were measured.
fn slope_minus_c(
    truth: &[RecordAmplitudes],
    amplitudes: &BTreeMap<&str, Vec<RecordAmplitudes>>,
    value: &dyn Fn(&RecordAmplitudes) -> Option<f64>,
    config: &EvalConfig,
) -> Option<(f64, f64)> {
    let (c, ch) = (amplitudes.get(MODEL_C)?, amplitudes.get(MODEL_CH)?);
    let mut columns: [Vec<f64>; 3] = Default::default();
    for ((t, c), ch) in truth.iter().zip(c).zip(ch) {
        if let (Some(t), Some(c), Some(ch)) = (value(t), value(c), value(ch)) {
            columns[0].push(t);
            columns[1].push(c);
            columns[2].push(ch);
        }
    }
    let [t, c, ch] = columns;
    amplitude::slope_difference_ci(&t, &c, &ch, config.bootstrap_resamples, config.seed)
}

/// (rmse, r2, pearson) × the five target leads, of one record and one model.
type PerLead = [[f64; 5]; 3];

/// C-h against C on the same records, per lead and on the mean over leads, for RMSE, R² and r: a
/// paired sign-flip permutation test each, and Holm's step-down adjustment over all of them (a
/// reader scanning 18 p-values is making 18 comparisons). A record whose metric is undefined for
/// either model (a flat lead) is left out of that comparison.
fn paired_tests(c: &[PerLead], ch: &[PerLead], config: &EvalConfig) -> Vec<PairedTest> {
    let mut tests = Vec::new();
    for (m, metric) in PairedMetric::ALL.into_iter().enumerate() {
        let leads = TARGET_LEADS
            .iter()
            .enumerate()
            .map(|(lead, &name)| (name, Some(lead)))
            .chain([(MEAN_OF_LEADS, None)]);
        for (name, lead) in leads {
            let value = |record: &PerLead| match lead {
                Some(lead) => record[m][lead],
                None => finite_mean(&record[m]),
            };
            let (a, b): (Vec<f64>, Vec<f64>) = c
                .iter()
                .zip(ch)
                .map(|(c, ch)| (value(c), value(ch)))
                .filter(|(a, b)| a.is_finite() && b.is_finite())
                .unzip();
            tests.extend(PairedTest::compute(
                name,
                metric,
                &a,
                &b,
                config.permutations,
                config.seed,
            ));
        }
    }
    adjust_holm(&mut tests);
    tests
}

/// The class affinity of x̂ and ĥ, with all neighbours, other records' and other patients'.
fn affinity(
    set: &WindowSet,
    data: &TrainingData,
    label_names: &[String],
    window_class: &[Option<usize>],
    config: &EvalConfig,
    models: Option<&Reconstructor>,
) -> Result<Option<AffinityPair>, EvalError> {
    // One class per window, its record's pathology class; windows without one are left out.
    let labelled: Vec<(usize, usize)> = (0..set.len())
        .filter_map(|w| {
            window_class
                .get(w)
                .copied()
                .flatten()
                .map(|class| (w, class))
        })
        .filter(|&(_, class)| class < label_names.len())
        .collect();
    let Some(models) = models else {
        return Ok(None);
    };
    if labelled.len() <= config.k {
        return Ok(None);
    }
    let labels: Vec<usize> = labelled.iter().map(|&(_, c)| c).collect();
    // Records and patients as small ids, so neighbours of either can be left out.
    let mut patient_ids: HashMap<&str, u32> = HashMap::new();
    let mut records = Vec::with_capacity(labelled.len());
    let mut patients = Vec::with_capacity(labelled.len());
    let mut placed_records: BTreeMap<usize, bool> = BTreeMap::new();
    for &(w, _) in &labelled {
        let record = set.record[w];
        let loaded = data.records.get(record).ok_or_else(|| {
            EvalError::Input(format!(
                "affinity: window {w} names record {record}, not loaded"
            ))
        })?;
        let next = patient_ids.len() as u32;
        records.push(record as u32);
        patients.push(
            *patient_ids
                .entry(loaded.patient_id.as_str())
                .or_insert(next),
        );
        placed_records.insert(record, !loaded.patient_id_stand_in);
    }
    let mut x_hat = Vec::with_capacity(labelled.len() * 3 * WINDOW);
    let mut x_raw = Vec::with_capacity(labelled.len() * 3 * WINDOW);
    for &(w, _) in &labelled {
        let mut window = set.x_of(w).to_vec();
        x_raw.extend_from_slice(&window);
        prep::zscore_window(&mut window, WINDOW);
        x_hat.extend_from_slice(&window);
    }
    let h = models
        .embed_windows(&x_raw)
        .map_err(|e| EvalError::Input(e.to_string()))?;
    let options = AffinityOptions {
        k: config.k,
        bootstrap_resamples: config.bootstrap_resamples,
        seed: config.seed,
    };
    let of = |features: &[f32]| {
        let input = AffinityInput {
            features,
            dim: features.len() / labels.len(),
            labels: &labels,
            class_names: label_names,
            records: &records,
            patients: &patients,
        };
        knn_affinity(&input, &options)
    };
    Ok(Some(AffinityPair {
        x: of(&x_hat)?,
        h: of(&h)?,
        records: placed_records.len(),
        records_with_patient_id: placed_records.values().filter(|&&named| named).count(),
    }))
}

/// One window for each of the three most common classes, leads V1, V3 and V5.
fn examples(
    set: &WindowSet,
    data: &TrainingData,
    class_names: &[String],
    window_class: &[Option<usize>],
    c: &[f32],
    ch: &[f32],
) -> Vec<ExampleTrace> {
    let mut counts: BTreeMap<usize, usize> = BTreeMap::new();
    for class in window_class.iter().flatten() {
        *counts.entry(*class).or_default() += 1;
    }
    let mut classes: Vec<(usize, usize)> = counts.into_iter().collect();
    classes.sort_by_key(|&(_, n)| std::cmp::Reverse(n));
    let mut out = Vec::new();
    for &(class, _) in classes.iter().take(3) {
        let Some(w) = window_class.iter().position(|&c| c == Some(class)) else {
            continue;
        };
        let record_id = data
            .records
            .get(set.record[w])
            .map_or(String::new(), |r| r.record_id.clone());
        for lead in [0, 1, 3] {
            let at = (w * 5 + lead) * WINDOW;
            out.push(ExampleTrace {
                class: class_names.get(class).cloned().unwrap_or_default(),
                record_id: record_id.clone(),
                lead: TARGET_LEADS[lead].to_owned(),
                truth: to_f64(&set.y_of(w)[lead * WINDOW..(lead + 1) * WINDOW]),
                c: to_f64(&c[at..at + WINDOW]),
                ch: to_f64(&ch[at..at + WINDOW]),
            });
        }
    }
    out
}

fn to_f64(values: &[f32]) -> Vec<f64> {
    values.iter().map(|&v| f64::from(v)).collect()
}

/// Mean of the finite values; NaN when there is none.
fn finite_mean(values: &[f64]) -> f64 {
    let finite: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
    if finite.is_empty() {
        f64::NAN
    } else {
        finite.iter().sum::<f64>() / finite.len() as f64
    }
}

fn split_name(split: Option<Split>) -> &'static str {
    split.map_or("all", Split::name)
}

fn display_paths(paths: &[PathBuf]) -> String {
    paths
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::LeadMetrics;

    /// Records the stages and fractions; asks to stop once `cancel_after` stages were reported.
    #[derive(Default)]
    struct Recorder {
        stages: Vec<String>,
        fractions: Vec<f32>,
        cancel_after: Option<usize>,
    }

    impl Progress for Recorder {
        fn message(&mut self, message: &str) {
            self.stages.push(message.to_owned());
        }
        fn fraction(&mut self, done: f32) {
            self.fractions.push(done);
        }
        fn cancelled(&self) -> bool {
            self.cancel_after.is_some_and(|n| self.stages.len() >= n)
        }
    }

    /// C-h a little better than C on V1 for every record, the same elsewhere; R² undefined on V6 for
    /// one record. Only the V1 (and mean) RMSE comparisons may read "C-h better".
    #[test]
    fn paired_tests_follow_the_records_and_adjust_for_their_number() {
        let mut rng = crate::rng::Rng::new(9);
        let records = 40;
        let mut c = Vec::new();
        let mut ch = Vec::new();
        for record in 0..records {
            let mut a: PerLead = [[0.0; 5]; 3];
            for (m, metric) in a.iter_mut().enumerate() {
                for value in metric.iter_mut() {
                    *value = 0.1 + 0.05 * m as f64 + 0.02 * rng.normal();
                }
            }
            let mut b = a;
            b[0][0] -= 0.01 + 0.001 * rng.uniform();
            if record == 3 {
                a[1][4] = f64::NAN;
            }
            c.push(a);
            ch.push(b);
        }
        let config = EvalConfig {
            permutations: 2000,
            ..EvalConfig::default()
        };
        let tests = paired_tests(&c, &ch, &config);
        assert_eq!(tests.len(), 18);
        let find = |lead: &str, metric| {
            tests
                .iter()
                .find(|t| t.lead == lead && t.metric == metric)
                .unwrap()
        };
        let v1 = find("V1", PairedMetric::Rmse);
        assert_eq!(v1.reading(), "C-h better");
        assert!(v1.p_holm >= v1.p_value && v1.p_holm < 0.05);
        assert_eq!(
            find(MEAN_OF_LEADS, PairedMetric::Rmse).reading(),
            "C-h better"
        );
        assert_eq!(
            find("V3", PairedMetric::Rmse).reading(),
            "no significant difference"
        );
        assert_eq!(find("V3", PairedMetric::Rmse).p_value, 1.0);
        assert_eq!(find("V6", PairedMetric::R2).records, records - 1);
        // Worse on the metric where higher is better reads as C better.
        let flipped = paired_tests(&ch, &c, &config);
        let v1 = flipped
            .iter()
            .find(|t| t.lead == "V1" && t.metric == PairedMetric::Rmse)
            .unwrap();
        assert_eq!(v1.reading(), "C better");
    }

    /// Windows with a constant truth in one lead everywhere (V6: R² undefined) and a constant C-h
    /// prediction in one window, to exercise every rule the card and the report must share.
    fn awkward_windows() -> (WindowSet, Vec<f32>, Vec<f32>) {
        let mut rng = crate::rng::Rng::new(5);
        let n = 7;
        let mut set = WindowSet::default();
        for w in 0..n {
            set.x
                .extend((0..3 * WINDOW).map(|_| rng.normal() as f32 * 0.2));
            for lead in 0..5 {
                set.y.extend((0..WINDOW).map(|_| {
                    if lead == 4 {
                        0.25
                    } else {
                        rng.normal() as f32 * 0.3
                    }
                }));
            }
            set.labels.push(1);
            set.record.push(w);
            set.starts.push(0);
        }
        let c: Vec<f32> = set
            .y
            .iter()
            .map(|&v| 0.8 * v + rng.normal() as f32 * 0.05)
            .collect();
        let mut ch: Vec<f32> = set.y.iter().map(|&v| 0.9 * v).collect();
        ch[..5 * WINDOW].fill(0.3);
        (set, c, ch)
    }

    #[test]
    fn the_model_card_and_the_report_agree_on_the_same_predictions() {
        let (set, c, ch) = awkward_windows();
        let baseline = Baselines {
            least_squares: fit_baseline(&set).expect("baseline"),
            dipole: ThreeLeadDipole::population().unwrap(),
        };
        let predictions = Predictions {
            c: Some(&c),
            ch: Some(&ch),
        };
        let names = vec!["NORM".to_owned()];
        let classes = vec![Some(0); set.len()];
        let (per_lead, _) = window_metrics(
            &set,
            &baseline,
            predictions,
            &names,
            &classes,
            (0.0, 1.0),
            &mut |_: &str| {},
        )
        .unwrap();
        let report = EvalReport {
            per_lead,
            ..EvalReport::default()
        };
        let dipole = baseline.dipole.reconstruct_windows(&set.x, WINDOW).unwrap();
        let card_ls = crate::model::predict_least_squares(
            &crate::model::fit_least_squares(&set).unwrap(),
            &set,
        )
        .unwrap();
        for (model, prediction, exact) in [
            (MODEL_C, &c, true),
            (MODEL_CH, &ch, true),
            (LEAST_SQUARES, &card_ls, false),
            (DIPOLE, &dipole, false),
        ] {
            let card = crate::model::split_metrics(prediction, &set.y);
            for (lead, on_card) in &card.per_lead {
                let in_report = &report.per_lead[lead][model];
                if exact {
                    // Same samples, same order, same accumulator: bit for bit.
                    assert_eq!(on_card.rmse_mv, in_report.rmse_mv, "{model} {lead}");
                    assert_eq!(on_card.pearson.to_bits(), in_report.pearson.to_bits());
                    assert_eq!(on_card.r2.to_bits(), in_report.r2.to_bits());
                } else {
                    // The card's baseline predictions are stored as f32; undefined in both is
                    // agreement (V6's Pearson r).
                    let close = |a: f64, b: f64| (a - b).abs() < 1e-6 || (a.is_nan() && b.is_nan());
                    assert!(close(on_card.rmse_mv, in_report.rmse_mv), "{model} {lead}");
                    assert!(close(on_card.pearson, in_report.pearson), "{model} {lead}");
                    assert!(close(on_card.r2, in_report.r2), "{model} {lead}");
                }
            }
            for (pick, name) in [
                (
                    (|m: &LeadMetrics| m.rmse_mv) as fn(&LeadMetrics) -> f64,
                    "rmse",
                ),
                (|m| m.r2, "r2"),
                (|m| m.pearson, "pearson"),
            ] {
                let from_report = report.mean_over_leads(model, pick).unwrap();
                assert!(from_report.is_finite(), "{model} {name}");
                assert!(
                    (pick(&card.mean) - from_report).abs() < 1e-6,
                    "{model} {name}"
                );
            }
        }
        // V6's truth is constant: R² undefined there, and left out of both means.
        assert!(report.per_lead["V6"][MODEL_C].r2.is_nan());
        // C-h's first window is a constant prediction: r = 0 for it, not skipped.
        assert_eq!(report.per_lead["V1"][MODEL_CH].n_windows, 7);
    }

    /// The bundled samples' train split (three PTB-XL records), without models: the baseline only.
    fn samples_config() -> EvalConfig {
        EvalConfig {
            data: vec![PathBuf::from(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/assets/samples"
            ))],
            split: Some(Split::Train),
            bootstrap_resamples: 50,
            permutations: 50,
            ..EvalConfig::default()
        }
    }

    #[test]
    fn progress_rises_to_one_through_the_stages() {
        let mut progress = Recorder::default();
        let report = evaluate(&samples_config(), None, &mut progress).expect("evaluates");
        assert!(report.per_lead.contains_key("V4"));
        assert!(
            progress
                .stages
                .iter()
                .any(|s| s.starts_with("least squares"))
        );
        assert!(
            progress.fractions.windows(2).all(|w| w[0] <= w[1]),
            "{:?}",
            progress.fractions
        );
        assert_eq!(progress.fractions.last(), Some(&1.0));
        // Screening by fewer leads with the same bounds keeps every window the paper's screening
        // keeps, and may keep more.
        let deployment = report.deployment.expect("deployment-true figures");
        assert!(deployment.windows >= report.data.windows);
        // Here the targets fail quality control in windows whose inputs pass it.
        assert!(
            deployment.windows > report.data.windows,
            "{}",
            deployment.windows
        );
        assert!(deployment.per_lead.contains_key("V4"));
    }

    #[test]
    fn a_cancel_stops_the_evaluation() {
        for cancel_after in [0, 1, 2, 3] {
            let mut progress = Recorder {
                cancel_after: Some(cancel_after),
                ..Recorder::default()
            };
            let outcome = evaluate(&samples_config(), None, &mut progress);
            assert!(
                matches!(outcome, Err(EvalError::Cancelled)),
                "cancel after {cancel_after} stages: {outcome:?}"
            );
            assert!(progress.fractions.last().is_none_or(|&f| f < 1.0));
        }
    }

    #[test]
    fn a_cancel_stops_data_loading_at_the_next_record() {
        // The first message comes from indexing the folder; the cancel is seen before any record
        // is read.
        let mut progress = Recorder {
            cancel_after: Some(1),
            ..Recorder::default()
        };
        let outcome = evaluate(&samples_config(), None, &mut progress);
        assert!(matches!(outcome, Err(EvalError::Cancelled)), "{outcome:?}");
        assert_eq!(progress.stages.len(), 1, "{:?}", progress.stages);
        assert!(
            progress.stages[0].contains("records"),
            "{:?}",
            progress.stages
        );
    }
}
