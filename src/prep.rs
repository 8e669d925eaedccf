//! Data preparation, for training and evaluation alike: records → cleaned 100 Hz leads → windows of
//! 256 samples (hop 64) → quality control → x (I, II, V2 in mV), y (V1, V3–V6 in mV) and label bits,
//! with a patient-independent split. No burn here: [`model`](crate::model) consumes what this makes.
//!
//! Splits: PTB-XL records use `strat_fold` (1–8 train, 9 validation, 10 test); every other record is
//! placed by a hash of its patient id (70 / 15 / 15), so one patient never lands in two splits.
//! A cross-validation fold ([`CvFold`]) replaces that split with a salted hash of the patient id into
//! K folds, for every dataset alike.
//! Records whose limb leads disagree (the 95th percentile of |III − (II − I)| above 0.05 mV) are
//! screened out. Inputs are z-scored per lead per window at batch time ([`zscore_window`]); targets
//! stay in mV.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::dataset::labels::{Superclass, pathology_superclass};
use crate::dataset::{self, DatasetKind, RecordEntry};
use crate::dsp::clean::{CleanConfig, OutputLength, clean_leads};
use crate::dsp::segment::{QcConfig, QcThresholds, amplitude_and_rms};
use crate::progress::Progress;
use crate::wfdb::Record;

/// Leads the models rebuild, in output-channel order.
pub const TARGET_LEADS: [&str; 5] = ["V1", "V3", "V4", "V5", "V6"];
/// Leads the models read, in input-channel order.
pub const INPUT_LEADS: [&str; 3] = ["I", "II", "V2"];
/// Window length in samples at 100 Hz.
pub const WINDOW: usize = 256;

/// Why data could not be prepared. One line each, naming the file or step.
#[derive(Debug, thiserror::Error)]
pub enum PrepError {
    #[error("data: {0}")]
    Data(String),
    /// The caller asked the work to stop ([`Progress::cancelled`]).
    #[error("stopped on request")]
    Stopped,
}

/// Lead order of a loaded record: the three inputs then the five targets.
pub const ALL_LEADS: [&str; 8] = ["I", "II", "V2", "V1", "V3", "V4", "V5", "V6"];
/// Hop between training windows.
pub const HOP: usize = 64;
/// Records are trimmed to 10 s at 100 Hz.
pub const MAX_SAMPLES: usize = 1000;
/// Limb-lead consistency bound (mV).
pub const LIMB_TOLERANCE_MV: f64 = 0.05;
/// Added to the standard deviation when z-scoring.
pub const ZSCORE_EPS: f32 = 1e-6;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Split {
    Train,
    Val,
    Test,
}

impl Split {
    pub const ALL: [Self; 3] = [Self::Train, Self::Val, Self::Test];
    pub fn name(self) -> &'static str {
        match self {
            Self::Train => "train",
            Self::Val => "val",
            Self::Test => "test",
        }
    }
}

/// FNV-1a, stable across platforms and Rust versions (std's hasher is not).
pub fn stable_hash(text: &str) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in text.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash
}

/// One fold of a patient-wise K-fold cross-validation: the patients of fold `test_fold` are the
/// test split; of the others, a salted hash draw puts [`CvFold::VAL_SHARE`] of all patients in
/// validation (for model selection and calibration) and the rest in training. Every patient is in
/// exactly one test fold, whatever dataset it comes from (PTB-XL's `strat_fold` is not used).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CvFold {
    pub folds: u8,
    pub test_fold: u8,
}

impl CvFold {
    /// Validation's share of all patients, as in the default split.
    pub const VAL_SHARE: f64 = 0.15;

    pub fn validate(&self) -> Result<(), String> {
        if self.folds < 3 {
            return Err(format!(
                "cross-validation needs at least 3 folds (with 2, each run trains on under half \
                 the patients), not {}",
                self.folds
            ));
        }
        if self.test_fold >= self.folds {
            return Err(format!(
                "cross-validation fold index {} is not one of the {} folds (0 to {})",
                self.test_fold,
                self.folds,
                self.folds - 1
            ));
        }
        Ok(())
    }

    /// The fold a patient belongs to (salted, so independent of the default split's hash).
    pub fn fold_of(&self, patient_id: &str) -> u8 {
        (stable_hash(&format!("cv-fold:{patient_id}")) % u64::from(self.folds.max(1))) as u8
    }

    pub fn split_of(&self, patient_id: &str) -> Split {
        if self.fold_of(patient_id) == self.test_fold {
            return Split::Test;
        }
        let share_of_rest = Self::VAL_SHARE / (1.0 - 1.0 / f64::from(self.folds.max(2)));
        let draw = (stable_hash(&format!("cv-val:{patient_id}")) % 1_000_000) as f64 / 1e6;
        if draw < share_of_rest {
            Split::Val
        } else {
            Split::Train
        }
    }
}

/// The split of a record: PTB-XL folds where known, else a hash of the patient id (70/15/15).
pub fn split_of(patient_id: &str, fold: Option<u8>) -> Split {
    match fold {
        Some(1..=8) => Split::Train,
        Some(9) => Split::Val,
        Some(10) => Split::Test,
        _ => match stable_hash(patient_id) % 100 {
            0..70 => Split::Train,
            70..85 => Split::Val,
            _ => Split::Test,
        },
    }
}

/// Converts a lead to mV from the units its header names (mV assumed when absent).
fn to_mv(signal: &[f64], unit: Option<&str>) -> Vec<f64> {
    let scale = match unit.map(|u| u.trim().to_ascii_lowercase()) {
        Some(u) if u == "uv" || u == "µv" || u == "μv" => 1e-3,
        Some(u) if u == "v" => 1e3,
        _ => 1.0,
    };
    signal.iter().map(|v| v * scale).collect()
}

/// Cleans one lead and brings it to 100 Hz with the `dsp` module's METHOD.md pipeline (resample,
/// notch below Nyquist only, Butterworth 0.5–45 Hz `filtfilt`, 0.6 s median baseline), keeping the
/// whole record. Non-finite samples are replaced by 0 first.
pub fn clean_lead_100hz(signal: &[f64], fs_hz: f64) -> Result<Vec<f64>, PrepError> {
    let mut cleaned = clean_leads_100hz(&[signal], fs_hz)?;
    Ok(cleaned.pop().unwrap_or_default())
}

/// [`clean_lead_100hz`] for leads of one record (one length), cleaned together: the filters are
/// designed once and run over several leads at a time, with the same result.
pub fn clean_leads_100hz(signals: &[&[f64]], fs_hz: f64) -> Result<Vec<Vec<f64>>, PrepError> {
    let finite: Vec<Vec<f64>> = signals
        .iter()
        .map(|s| {
            s.iter()
                .map(|v| if v.is_finite() { *v } else { 0.0 })
                .collect()
        })
        .collect();
    let slices: Vec<&[f64]> = finite.iter().map(Vec::as_slice).collect();
    let config = CleanConfig {
        length: OutputLength::Full,
        ..CleanConfig::default()
    };
    clean_leads(&slices, fs_hz, &config).map_err(|e| PrepError::Data(format!("cleaning: {e}")))
}

/// A record's lead by name, in mV, cleaned at 100 Hz over the whole record (`None` when absent):
/// what the models take and what their reconstructions are compared with.
pub fn clean_named_lead(record: &Record, name: &str) -> Result<Option<Vec<f64>>, PrepError> {
    let Some(index) = record.signal_index(name) else {
        return Ok(None);
    };
    let unit = record.units().get(index).copied().flatten();
    let signal = record.signal(index).unwrap_or(&[]);
    clean_lead_100hz(&to_mv(signal, unit), record.fs_hz())
        .map(Some)
        .map_err(|err| PrepError::Data(format!("lead {name}: {err}")))
}

/// How the decoder's input window x̂ is normalised.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum InputNorm {
    /// z-score per lead over the window (METHOD.md; amplitude is lost).
    #[default]
    ZScore,
    /// Subtract each lead's window mean and keep mV (amplitude kept; an option, not the paper's).
    CenteredMv,
}

/// Normalises each lead of a window `[leads × time]` in place.
pub fn normalise_window(window: &mut [f32], time: usize, norm: InputNorm) {
    match norm {
        InputNorm::ZScore => zscore_window(window, time),
        InputNorm::CenteredMv => {
            for lead in window.chunks_mut(time) {
                let mean = lead.iter().sum::<f32>() / lead.len().max(1) as f32;
                for v in lead.iter_mut() {
                    *v -= mean;
                }
            }
        }
    }
}

/// z-scores each lead of a window in place: (x − μ)/(σ + ε). `window` is [leads × T].
pub fn zscore_window(window: &mut [f32], time: usize) {
    for lead in window.chunks_mut(time) {
        let n = lead.len().max(1) as f32;
        let mean = lead.iter().sum::<f32>() / n;
        let var = lead.iter().map(|v| (v - mean) * (v - mean)).sum::<f32>() / n;
        let scale = 1.0 / (var.sqrt() + ZSCORE_EPS);
        for v in lead.iter_mut() {
            *v = (*v - mean) * scale;
        }
    }
}

/// One record's cleaned 100 Hz leads, in [`ALL_LEADS`] order.
#[derive(Clone, Debug)]
pub struct LoadedRecord {
    pub record_id: String,
    pub patient_id: String,
    /// True when `patient_id` is the record id standing in for a patient the source does not name.
    pub patient_id_stand_in: bool,
    pub dataset: String,
    pub split: Split,
    /// The record's pathology class ([`pathology_superclass`]): the contrastive label in training
    /// and the class evaluation groups it by. `None` when it has no diagnostic label (rhythm,
    /// axis or Chagas statements only); such a record still trains and tests the decoders.
    pub pathology: Option<Superclass>,
    pub leads: Vec<Vec<f64>>,
}

/// Why a record was not used.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Screening {
    pub missing_leads: usize,
    pub limb_inconsistent: usize,
    pub unreadable: usize,
    pub too_short: usize,
    pub ludb_skipped: usize,
    /// PTB Diagnostic records (in any folder, e.g. a Challenge copy) left out of a training
    /// assembly: they are cross-dataset test data ([`AssembleOptions::keep_held_out_datasets`]).
    #[serde(default)]
    pub held_out_skipped: usize,
    /// A second copy of a PTB-XL recording already loaded (same `ecg_id` in another folder).
    #[serde(default)]
    pub duplicates: usize,
    /// Train-split records left out by a training subset ([`AssembleOptions::train_subset`]).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub outside_train_subset: usize,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// How [`assemble_with`] treats LUDB, whose header gains scale every lead to exactly 1 mV
/// peak-to-peak (see `shared/data/ludb/SOURCES.txt`), so its "mV" are not comparable across leads.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum LudbScaling {
    /// Leave LUDB out (training: amplitudes are wrong).
    #[default]
    Skip,
    /// One common gain of 1000 adu/mV for every lead: Einthoven's relations hold again and amplitudes
    /// are plausible (lead II median 1.4 mV peak-to-peak) but not calibrated, so RMSE on LUDB is
    /// indicative and Pearson r (shape) is the measure to trust.
    CommonGain,
}

/// The common gain of [`LudbScaling::CommonGain`], in adu per mV.
pub const LUDB_COMMON_GAIN_ADU_PER_MV: f64 = 1000.0;

/// Reads and cleans one record's eight leads. `Ok(None)` with the reason counted when it is screened.
pub fn load_record(
    entry: &RecordEntry,
    screening: &mut Screening,
) -> Result<Option<LoadedRecord>, PrepError> {
    load_record_scaled(entry, screening, LudbScaling::Skip, Screen::AllLeads)
}

/// [`load_record`], with LUDB records rescaled as `ludb` says (`Skip` reads them as their headers
/// say), and the limb-consistency check only where `screen` reads more than the input leads.
pub fn load_record_scaled(
    entry: &RecordEntry,
    screening: &mut Screening,
    ludb: LudbScaling,
    screen: Screen,
) -> Result<Option<LoadedRecord>, PrepError> {
    let record = match Record::read(&entry.header_path) {
        Ok(record) => record,
        Err(_) => {
            screening.unreadable += 1;
            return Ok(None);
        }
    };
    let units = record.units();
    let fs_hz = record.fs_hz();
    let common_gain = entry.dataset == DatasetKind::Ludb && ludb == LudbScaling::CommonGain;
    // Physical value × header gain / common gain = (adu − baseline) / common gain.
    let rescale = |index: usize, signal: Vec<f64>| -> Vec<f64> {
        match record.header.signals.get(index) {
            Some(spec) if common_gain => {
                let factor = spec.adc_gain / LUDB_COMMON_GAIN_ADU_PER_MV;
                signal.iter().map(|v| v * factor).collect()
            }
            _ => signal,
        }
    };
    let mut indices = Vec::with_capacity(ALL_LEADS.len() + 1);
    for name in ALL_LEADS {
        let Some(index) = record.signal_index(name) else {
            screening.missing_leads += 1;
            return Ok(None);
        };
        indices.push(index);
    }
    // Lead III, when recorded, only to check the limb leads against each other.
    let has_iii = record
        .signal_index("III")
        .inspect(|&i| indices.push(i))
        .is_some();
    let in_mv: Vec<Vec<f64>> = indices
        .iter()
        .map(|&index| {
            let unit = units.get(index).copied().flatten();
            rescale(index, to_mv(record.signal(index).unwrap_or(&[]), unit))
        })
        .collect();
    let slices: Vec<&[f64]> = in_mv.iter().map(Vec::as_slice).collect();
    let mut leads = clean_leads_100hz(&slices, fs_hz)?;
    for lead in &mut leads {
        lead.truncate(MAX_SAMPLES);
    }
    let iii = if has_iii { leads.pop() } else { None };
    if leads[0].len() < WINDOW {
        screening.too_short += 1;
        return Ok(None);
    }
    if let Some(iii) = iii
        && screen == Screen::AllLeads
        && limb_mismatch_mv(&leads[0], &leads[1], &iii) > LIMB_TOLERANCE_MV
    {
        screening.limb_inconsistent += 1;
        return Ok(None);
    }
    Ok(Some(LoadedRecord {
        record_id: format!("{}:{}", entry.dataset.name(), entry.record_id),
        patient_id: entry.patient_id.clone(),
        patient_id_stand_in: entry.patient_id_stand_in,
        dataset: entry.source.clone(),
        split: split_of(&entry.patient_id, entry.fold),
        pathology: pathology_superclass(&entry.labels),
        leads,
    }))
}

/// The 95th percentile of |III − (II − I)| in mV.
pub fn limb_mismatch_mv(lead_i: &[f64], lead_ii: &[f64], lead_iii: &[f64]) -> f64 {
    let mut diffs: Vec<f64> = lead_i
        .iter()
        .zip(lead_ii)
        .zip(lead_iii)
        .map(|((i, ii), iii)| (iii - (ii - i)).abs())
        .filter(|d| d.is_finite())
        .collect();
    if diffs.is_empty() {
        return 0.0;
    }
    diffs.sort_by(f64::total_cmp);
    diffs[((diffs.len() - 1) as f64 * 0.95).round() as usize]
}

/// Windows of one split, flattened: x [n, 3, 256], y [n, 5, 256] in mV.
#[derive(Clone, Debug, Default)]
pub struct WindowSet {
    pub x: Vec<f32>,
    pub y: Vec<f32>,
    pub labels: Vec<u64>,
    /// Index into the loaded records of the owning [`TrainingData`].
    pub record: Vec<usize>,
    pub starts: Vec<usize>,
}

impl WindowSet {
    pub fn len(&self) -> usize {
        self.labels.len()
    }
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }
    pub fn x_of(&self, i: usize) -> &[f32] {
        &self.x[i * 3 * WINDOW..(i + 1) * 3 * WINDOW]
    }
    pub fn y_of(&self, i: usize) -> &[f32] {
        &self.y[i * 5 * WINDOW..(i + 1) * 5 * WINDOW]
    }
    fn push(&mut self, x: &[f32], y: &[f32], labels: u64, record: usize, start: usize) {
        self.x.extend_from_slice(x);
        self.y.extend_from_slice(y);
        self.labels.push(labels);
        self.record.push(record);
        self.starts.push(start);
    }
    /// The windows of several sets, in order (e.g. every split of a dataset never trained on).
    pub fn concat<'a>(sets: impl IntoIterator<Item = &'a Self>) -> Self {
        let mut out = Self::default();
        for set in sets {
            out.x.extend_from_slice(&set.x);
            out.y.extend_from_slice(&set.y);
            out.labels.extend_from_slice(&set.labels);
            out.record.extend_from_slice(&set.record);
            out.starts.extend_from_slice(&set.starts);
        }
        out
    }
}

/// Quality-control thresholds are fitted on at most this many training windows (METHOD.md: "a
/// sample of about 12,000"), taken at a regular step.
pub const QC_FIT_WINDOWS: usize = 12_000;

/// The eight leads of a flat [8 × 256] window, as quality control takes them.
fn window_leads(window: &[f32]) -> Vec<&[f32]> {
    window.chunks(WINDOW).collect()
}

/// Fits [`QcThresholds`] (0.1th and 99.9th percentiles of every lead's amplitude and RMS, NumPy's
/// percentile) on up to [`QC_FIT_WINDOWS`] of `windows`, tolerating `max_bad_leads` when applied.
pub fn fit_qc(windows: &[&[f32]], max_bad_leads: usize) -> Result<QcThresholds, PrepError> {
    let step = (windows.len() / QC_FIT_WINDOWS).max(1);
    let sample: Vec<Vec<&[f32]>> = windows
        .iter()
        .step_by(step)
        .map(|w| window_leads(w))
        .collect();
    let config = QcConfig {
        max_bad_leads,
        ..QcConfig::default()
    };
    QcThresholds::fit(&sample, config).map_err(|e| PrepError::Data(format!("quality control: {e}")))
}

/// Everything training needs, assembled once.
#[derive(Debug, Default)]
pub struct TrainingData {
    pub records: Vec<LoadedRecord>,
    pub train: WindowSet,
    pub val: WindowSet,
    pub test: WindowSet,
    /// Label names by bit.
    pub label_names: Vec<String>,
    pub qc: Option<QcThresholds>,
    pub screening: Screening,
    pub windows_rejected_qc: usize,
    pub windows_rejected_flat: usize,
    pub index_problems: usize,
}

impl TrainingData {
    pub fn split(&self, split: Split) -> &WindowSet {
        match split {
            Split::Train => &self.train,
            Split::Val => &self.val,
            Split::Test => &self.test,
        }
    }

    /// Record ids per split, for the model card.
    pub fn split_records(&self) -> BTreeMap<String, Vec<String>> {
        let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for record in &self.records {
            out.entry(record.split.name().to_string())
                .or_default()
                .push(record.record_id.clone());
        }
        out
    }

    /// Patient ids per split.
    pub fn split_patients(&self) -> BTreeMap<Split, Vec<String>> {
        let mut out: BTreeMap<Split, Vec<String>> = BTreeMap::new();
        for record in &self.records {
            out.entry(record.split)
                .or_default()
                .push(record.patient_id.clone());
        }
        for patients in out.values_mut() {
            patients.sort();
            patients.dedup();
        }
        out
    }
}

/// Options of [`assemble_with`].
#[derive(Clone, Debug, Default)]
pub struct AssembleOptions {
    /// Bad leads a window may have before quality control rejects it.
    pub qc_max_bad_leads: usize,
    pub ludb: LudbScaling,
    /// Quality-control thresholds to apply (with `qc_max_bad_leads`); `None` fits them on the
    /// train split's windows.
    pub qc: Option<QcThresholds>,
    /// Which leads screen the windows and records.
    pub screen: Screen,
    /// Keep PTB Diagnostic records (`false` for training: PTB, like LUDB, is cross-dataset test
    /// data, and Challenge folders carry copies of it).
    pub keep_held_out_datasets: bool,
    /// Keep only this fraction of the train split's patients ([`in_train_subset`]; a learning
    /// curve's nested subsets); validation and test are untouched. `None` keeps them all.
    pub train_subset: Option<f64>,
    /// Splits by a cross-validation fold instead of the default split.
    pub cv: Option<CvFold>,
}

/// Whether a patient belongs to the training subset of `fraction`: a uniform draw from a hash of
/// the patient id (salted, so independent of the split's own hash). Subsets are nested: the
/// patients of 0.25 are among those of 0.5.
pub fn in_train_subset(patient_id: &str, fraction: f64) -> bool {
    let draw = (stable_hash(&format!("train-subset:{patient_id}")) % 1_000_000) as f64 / 1e6;
    draw < fraction
}

/// PTB Diagnostic, in its own layout or as a Challenge copy (`S0001` ..., source `ptb`).
pub fn is_held_out_dataset(entry: &RecordEntry) -> bool {
    entry.dataset == DatasetKind::Ptb
        || (entry.dataset == DatasetKind::Challenge && entry.source == "ptb")
}

/// Which leads screen a window, and whether a record's recorded lead III is checked.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Screen {
    /// As the paper and training do: quality control over all eight leads, windows with any flat
    /// lead dropped, records whose recorded III disagrees with II − I dropped. It reads the target
    /// leads, which a device reconstructing them does not have.
    #[default]
    AllLeads,
    /// What a device recording I, II and V2 can do: quality control and the flat check on those
    /// three only (the bounds fitted on them), no limb check.
    InputsOnly,
}

impl Screen {
    /// Leads of a window the screen reads (the first of the eight, inputs first).
    fn leads(self) -> usize {
        match self {
            Self::AllLeads => ALL_LEADS.len(),
            Self::InputsOnly => INPUT_LEADS.len(),
        }
    }
}

/// Indexes every folder, loads, screens, windows and quality-controls the records.
/// LUDB folders are skipped: their per-lead gains are not true mV (cross-dataset shape evaluation only).
pub fn assemble(
    folders: &[PathBuf],
    qc_max_bad_leads: usize,
    progress: &mut dyn Progress,
) -> Result<TrainingData, PrepError> {
    let options = AssembleOptions {
        qc_max_bad_leads,
        ..AssembleOptions::default()
    };
    assemble_with(folders, &options, progress)
}

/// [`assemble`] with explicit options: given QC bounds (from the models' training data) let a
/// dataset never trained on be assembled whole, e.g. LUDB with [`LudbScaling::CommonGain`].
/// The fraction advances record by record (reading and cleaning are the slow part); `progress`
/// is polled once per record and stops assembly with [`PrepError::Stopped`].
pub fn assemble_with(
    folders: &[PathBuf],
    options: &AssembleOptions,
    progress: &mut dyn Progress,
) -> Result<TrainingData, PrepError> {
    let qc_max_bad_leads = options.qc_max_bad_leads;
    let mut data = TrainingData::default();
    let mut indexes = Vec::with_capacity(folders.len());
    for folder in folders {
        let index = dataset::open_folder(folder).map_err(|e| PrepError::Data(e.to_string()))?;
        data.index_problems += index.problems.len();
        progress.message(&format!(
            "{}: {} records ({}), {} index problems",
            folder.display(),
            index.len(),
            index.kind.name(),
            index.problems.len()
        ));
        indexes.push(index);
    }
    let linked = link_to_ptbxl_tables(&mut indexes);
    if linked > 0 {
        progress.message(&format!(
            "{linked} PTB-XL recordings in other folders given their patient and fold by the PTB-XL table"
        ));
    }
    let entries = distinct_recordings(indexes, &mut data.screening);
    let mut n_done = 0;
    for entry in &entries {
        if progress.cancelled() {
            return Err(PrepError::Stopped);
        }
        progress.fraction(n_done as f32 / entries.len() as f32);
        n_done += 1;
        if entry.dataset == DatasetKind::Ludb && options.ludb == LudbScaling::Skip {
            data.screening.ludb_skipped += 1;
            continue;
        }
        if !options.keep_held_out_datasets && is_held_out_dataset(entry) {
            data.screening.held_out_skipped += 1;
            continue;
        }
        if let Some(mut record) =
            load_record_scaled(entry, &mut data.screening, options.ludb, options.screen)?
        {
            if let Some(cv) = options.cv {
                record.split = cv.split_of(&record.patient_id);
            }
            if let Some(fraction) = options.train_subset
                && record.split == Split::Train
                && !in_train_subset(&record.patient_id, fraction)
            {
                data.screening.outside_train_subset += 1;
            } else {
                data.records.push(record);
            }
        }
        if n_done % 50 == 0 {
            progress.message(&format!("loaded {n_done}/{} records", entries.len()));
        }
    }
    progress.fraction(1.0);
    // One contrastive class per record: its pathology superclass (bit = index in Superclass::ALL).
    data.label_names = Superclass::ALL
        .iter()
        .map(|class| class.code().to_string())
        .collect();

    // Candidate windows.
    let mut candidates: Vec<(usize, usize, Vec<f32>)> = Vec::new();
    for (r, record) in data.records.iter().enumerate() {
        let len = record.leads.iter().map(Vec::len).min().unwrap_or(0);
        let mut start = 0;
        while start + WINDOW <= len {
            let mut w = Vec::with_capacity(8 * WINDOW);
            for lead in &record.leads {
                w.extend(lead[start..start + WINDOW].iter().map(|&v| v as f32));
            }
            let finite = w.iter().all(|v| v.is_finite());
            let flat = w
                .chunks(WINDOW)
                .take(options.screen.leads())
                .any(|lead| amplitude_and_rms(lead).1 < 0.005);
            if finite && !flat {
                candidates.push((r, start, w));
            } else {
                data.windows_rejected_flat += 1;
            }
            start += HOP;
        }
    }
    let qc = match &options.qc {
        Some(qc) => {
            let mut qc = qc.clone();
            qc.config.max_bad_leads = qc_max_bad_leads;
            qc
        }
        None => {
            let train_windows: Vec<&[f32]> = candidates
                .iter()
                .filter(|(r, _, _)| data.records[*r].split == Split::Train)
                .map(|(_, _, w)| w.as_slice())
                .collect();
            if train_windows.is_empty() {
                return Err(PrepError::Data(
                    "no training window: no usable record with leads I, II, V1-V6 in the train split"
                        .to_string(),
                ));
            }
            fit_qc(&train_windows, qc_max_bad_leads)?
        }
    };
    // The screen's leads only, against their own bounds.
    let screened = QcThresholds {
        config: qc.config.clone(),
        leads: qc
            .leads
            .iter()
            .take(options.screen.leads())
            .cloned()
            .collect(),
    };
    for (r, start, w) in candidates {
        let leads = window_leads(&w);
        if screened
            .check(&leads[..options.screen.leads().min(leads.len())])
            .is_some()
        {
            data.windows_rejected_qc += 1;
            continue;
        }
        let record = &data.records[r];
        let bits = record.pathology.map_or(0, |class| {
            1u64 << Superclass::ALL
                .iter()
                .position(|&c| c == class)
                .unwrap_or(0)
        });
        let target = match record.split {
            Split::Train => &mut data.train,
            Split::Val => &mut data.val,
            Split::Test => &mut data.test,
        };
        target.push(&w[..3 * WINDOW], &w[3 * WINDOW..], bits, r, start);
    }
    data.qc = Some(qc);
    Ok(data)
}

/// Gives PTB-XL recordings found in other folders (Challenge `HRnnnnn` copies, waveform folders
/// without the table) the patient and fold of every PTB-XL table among `indexes`, so one patient
/// never lands in two splits. Returns how many records were linked.
fn link_to_ptbxl_tables(indexes: &mut [dataset::DatasetIndex]) -> usize {
    let tables: Vec<dataset::DatasetIndex> = indexes
        .iter()
        .filter(|index| index.records.iter().any(|record| record.fold.is_some()))
        .cloned()
        .collect();
    let mut linked = 0;
    for table in &tables {
        for index in indexes.iter_mut() {
            linked += index.link_ptbxl(table);
        }
    }
    linked
}

/// Every folder's records, each PTB-XL recording once: a later copy of an `ecg_id` already present
/// with its signal file is counted as a duplicate and dropped (it would weigh that ECG twice).
fn distinct_recordings(
    indexes: Vec<dataset::DatasetIndex>,
    screening: &mut Screening,
) -> Vec<RecordEntry> {
    let mut present = std::collections::HashSet::new();
    let mut out = Vec::new();
    for entry in indexes.into_iter().flat_map(|index| index.records) {
        if let Some(ecg_id) = entry.ptbxl_ecg_id {
            if present.contains(&ecg_id) {
                screening.duplicates += 1;
                continue;
            }
            if entry.header_path.is_file() {
                present.insert(ecg_id);
            }
        }
        out.push(entry);
    }
    out
}

/// The input leads a record lacks, by name.
pub fn missing_inputs(record: &Record) -> Vec<&'static str> {
    INPUT_LEADS
        .iter()
        .copied()
        .filter(|name| record.signal_index(name).is_none())
        .collect()
}

/// Checks the target lead order matches [`ALL_LEADS`]'s tail.
pub fn target_lead_order_ok() -> bool {
    ALL_LEADS[3..] == TARGET_LEADS && ALL_LEADS[..3] == INPUT_LEADS
}

/// Shorthand for a path in messages.
pub fn path_name(path: &Path) -> String {
    path.display().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fraction keeps about that share of patients, the smaller subset lies inside the larger,
    /// and the draw is independent of the split's own hash (the subset of train patients is not
    /// the train split's lowest hashes).
    #[test]
    fn training_subsets_are_nested_and_of_the_asked_size() {
        let patients: Vec<String> = (0..4000).map(|k| format!("patient-{k}")).collect();
        let count = |fraction: f64| {
            patients
                .iter()
                .filter(|p| in_train_subset(p, fraction))
                .count()
        };
        for fraction in [0.25, 0.5] {
            let share = count(fraction) as f64 / patients.len() as f64;
            assert!((share - fraction).abs() < 0.03, "{fraction}: {share}");
        }
        assert_eq!(count(1.0), patients.len());
        assert!(
            patients
                .iter()
                .filter(|p| in_train_subset(p, 0.25))
                .all(|p| in_train_subset(p, 0.5))
        );
        let train: Vec<&String> = patients
            .iter()
            .filter(|p| split_of(p, None) == Split::Train)
            .collect();
        let kept = train.iter().filter(|p| in_train_subset(p, 0.5)).count();
        let share = kept as f64 / train.len() as f64;
        assert!((share - 0.5).abs() < 0.04, "{share} of the train split");
    }

    /// Every patient is tested in exactly one fold; folds are of even size; validation takes its
    /// share from the other folds; and fold membership is not the default split's hash.
    #[test]
    fn cross_validation_tests_every_patient_once() {
        let patients: Vec<String> = (0..5000).map(|k| format!("patient-{k}")).collect();
        let folds: Vec<CvFold> = (0..5)
            .map(|test_fold| CvFold {
                folds: 5,
                test_fold,
            })
            .collect();
        for p in &patients {
            let tested = folds
                .iter()
                .filter(|f| f.split_of(p) == Split::Test)
                .count();
            assert_eq!(tested, 1, "{p}");
        }
        for fold in &folds {
            fold.validate().unwrap();
            let share = |split: Split| {
                patients
                    .iter()
                    .filter(|p| fold.split_of(p) == split)
                    .count() as f64
                    / patients.len() as f64
            };
            assert!((share(Split::Test) - 0.2).abs() < 0.02);
            assert!((share(Split::Val) - CvFold::VAL_SHARE).abs() < 0.02);
        }
        let default_test: Vec<&String> = patients
            .iter()
            .filter(|p| split_of(p, None) == Split::Test)
            .collect();
        let in_fold_0 = default_test
            .iter()
            .filter(|p| folds[0].split_of(p) == Split::Test)
            .count() as f64
            / default_test.len() as f64;
        assert!((in_fold_0 - 0.2).abs() < 0.05, "{in_fold_0}");
        assert!(
            CvFold {
                folds: 5,
                test_fold: 5
            }
            .validate()
            .is_err()
        );
        assert!(
            CvFold {
                folds: 2,
                test_fold: 0
            }
            .validate()
            .is_err()
        );
    }
}
