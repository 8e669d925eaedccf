//! A reconstruction as a 12-lead ECG a clinician can keep: the measured leads as recorded (cleaned
//! as the models take them), V1 and V3–V6 rebuilt by C or C-h, and limb leads that the record lacks
//! derived from I and II; each lead says where it came from, and the record as written says which
//! model, whose card, rebuilt which leads.

use crate::physics::TWELVE_LEADS;
use crate::physics::anatomy::TARGET_ROWS;
use crate::prep::{clean_named_lead, missing_inputs};
use crate::wfdb::Record;
use crate::wfdb::edf::EdfSignalToWrite;
use crate::wfdb::write::{RecordToWrite, SignalToWrite, WriteFormat};

use super::{FS_HZ, ModelError, ModelVariant, Reconstructor, TARGET_LEADS};

/// The name of a record's reconstruction by `variant`, wherever it is written: the record's, with
/// the model (`HR09739.hea` → `HR09739_ch`).
pub fn reconstruction_name(record: &std::path::Path, variant: ModelVariant) -> String {
    let stem = record
        .file_stem()
        .map_or_else(|| "record".to_owned(), |s| s.to_string_lossy().into_owned());
    let stem = stem.strip_suffix(".hea").unwrap_or(&stem).to_owned();
    format!("{stem}_{}", variant.key())
}

/// Where a lead of a [`ReconstructedEcg`] came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LeadOrigin {
    /// Recorded (cleaned at 100 Hz).
    Recorded,
    /// Derived from I and II by Einthoven's and Goldberger's relations (the record lacks it).
    Derived,
    /// Rebuilt by the model from I, II and V2.
    Reconstructed,
}

/// A rebuilt lead's uncertainty band along the record.
#[derive(Clone, Debug, PartialEq)]
pub struct BandAlong {
    /// Half-width (mV) at every sample: the recorded lead lies within ± this of the estimate with
    /// the bands' nominal probability.
    pub half_width_mv: Vec<f64>,
    /// The constant (non-adaptive) band's half-width, for comparison.
    pub constant_mv: f64,
    /// Sample spans `start..end` whose band is flagged wide (much wider than the constant band).
    pub wide: Vec<(usize, usize)>,
}

impl BandAlong {
    /// The mean half-width over the record (mV).
    pub fn mean_mv(&self) -> f64 {
        let finite: Vec<f64> = self
            .half_width_mv
            .iter()
            .copied()
            .filter(|v| v.is_finite())
            .collect();
        finite.iter().sum::<f64>() / finite.len().max(1) as f64
    }
}

/// The bands of the five rebuilt leads.
#[derive(Clone, Debug, PartialEq)]
pub struct EcgBands {
    /// Nominal coverage (0.9).
    pub coverage: f64,
    /// Whether they scale with each window's difficulty (else constant per lead).
    pub adaptive: bool,
    /// V1, V3–V6.
    pub leads: [BandAlong; 5],
}

/// A record's 12 leads with V1, V3–V6 reconstructed, at 100 Hz in mV.
#[derive(Clone, Debug)]
pub struct ReconstructedEcg {
    /// In [`TWELVE_LEADS`] order.
    pub leads: [Vec<f64>; 12],
    pub origin: [LeadOrigin; 12],
    pub variant: ModelVariant,
    /// The recorded V1, V3–V6 (cleaned), where the record has them: the truth to score against.
    pub recorded_targets: [Option<Vec<f64>>; 5],
    /// The names of the record's own leads.
    pub record_leads: Vec<String>,
    /// The rebuilt leads' uncertainty bands, where the models are calibrated
    /// (`eval::conformal::attach_bands`).
    pub bands: Option<EcgBands>,
}

/// A record's leads cleaned as the models take them (100 Hz, mV): the inputs, the limb leads it
/// has, and the recorded V1, V3–V6 to score against. Cleaned once, rebuilt by either model.
#[derive(Clone, Debug)]
pub struct CleanedRecord {
    /// I, II, V2.
    pub inputs: [Vec<f64>; 3],
    /// III, aVR, aVL, aVF where recorded.
    pub limb: [Option<Vec<f64>>; 4],
    /// V1, V3–V6 where recorded.
    pub targets: [Option<Vec<f64>>; 5],
    /// The names of the record's own leads.
    pub record_leads: Vec<String>,
}

impl CleanedRecord {
    /// Cleans `record`'s leads. A record without I, II or V2 is an error naming what it lacks and
    /// what it has.
    pub fn from_record(record: &Record) -> Result<Self, ModelError> {
        let missing = missing_inputs(record);
        if !missing.is_empty() {
            return Err(ModelError::Data(format!(
                "lacks input lead{} {} (needs I, II and V2; has {})",
                if missing.len() > 1 { "s" } else { "" },
                missing.join(", "),
                record.signal_names().join(", ")
            )));
        }
        let clean = |name: &str| -> Result<Option<Vec<f64>>, ModelError> {
            clean_named_lead(record, name).map_err(|e| ModelError::Data(e.to_string()))
        };
        let (Some(lead_i), Some(lead_ii), Some(lead_v2)) =
            (clean("I")?, clean("II")?, clean("V2")?)
        else {
            return Err(ModelError::Data(
                "could not read leads I, II and V2".to_owned(),
            ));
        };
        let mut limb: [Option<Vec<f64>>; 4] = Default::default();
        for (slot, name) in limb.iter_mut().zip(&TWELVE_LEADS[2..6]) {
            *slot = clean(name)?;
        }
        let mut targets: [Option<Vec<f64>>; 5] = Default::default();
        for (slot, name) in targets.iter_mut().zip(TARGET_LEADS) {
            *slot = clean(name)?;
        }
        Ok(Self {
            inputs: [lead_i, lead_ii, lead_v2],
            limb,
            targets,
            record_leads: record
                .signal_names()
                .iter()
                .map(|s| (*s).to_owned())
                .collect(),
        })
    }

    /// I, II, V2 as the models take them.
    pub fn input_refs(&self) -> [&[f64]; 3] {
        [&self.inputs[0], &self.inputs[1], &self.inputs[2]]
    }
}

impl ReconstructedEcg {
    pub const FS_HZ: f64 = FS_HZ;

    /// Reconstructs `record` with `models`. A record without I, II or V2 is an error naming what
    /// it lacks and what it has.
    pub fn from_record(
        record: &Record,
        models: &Reconstructor,
        variant: ModelVariant,
    ) -> Result<Self, ModelError> {
        let cleaned = CleanedRecord::from_record(record)?;
        let rebuilt = models.reconstruct(cleaned.input_refs(), variant)?;
        Ok(Self::assemble(&cleaned, variant, rebuilt))
    }

    /// Reconstructs `record` with both models, cleaning it once: `[C, C-h]` (the adaptive bands
    /// need both).
    pub fn pair_from_record(
        record: &Record,
        models: &Reconstructor,
    ) -> Result<[Self; 2], ModelError> {
        let cleaned = CleanedRecord::from_record(record)?;
        let c = models.reconstruct(cleaned.input_refs(), ModelVariant::C)?;
        let ch = models.reconstruct(cleaned.input_refs(), ModelVariant::CH)?;
        Ok([
            Self::assemble(&cleaned, ModelVariant::C, c),
            Self::assemble(&cleaned, ModelVariant::CH, ch),
        ])
    }

    /// The 12-lead of a cleaned record whose V1, V3–V6 `variant` rebuilt as `rebuilt`: limb leads
    /// the record lacks derived from I and II (Einthoven, Goldberger).
    pub fn assemble(
        cleaned: &CleanedRecord,
        variant: ModelVariant,
        rebuilt: [Vec<f64>; 5],
    ) -> Self {
        let [lead_i, lead_ii, lead_v2] = &cleaned.inputs;
        let n = lead_i.len();
        let mut leads: [Vec<f64>; 12] = Default::default();
        let mut origin = [LeadOrigin::Recorded; 12];
        for (k, recorded) in cleaned.limb.iter().enumerate() {
            let row = k + 2;
            let derive = |i: f64, ii: f64| match row {
                2 => ii - i,
                3 => -(i + ii) / 2.0,
                4 => i - ii / 2.0,
                _ => ii - i / 2.0,
            };
            leads[row] = match recorded {
                Some(lead) => {
                    let mut lead = lead.clone();
                    lead.resize(n, f64::NAN);
                    lead
                }
                None => {
                    origin[row] = LeadOrigin::Derived;
                    lead_i
                        .iter()
                        .zip(lead_ii)
                        .map(|(&i, &ii)| derive(i, ii))
                        .collect()
                }
            };
        }
        for (row, prediction) in TARGET_ROWS.iter().zip(rebuilt) {
            leads[*row] = prediction;
            origin[*row] = LeadOrigin::Reconstructed;
        }
        leads[0] = lead_i.clone();
        leads[1] = lead_ii.clone();
        leads[7] = lead_v2.clone();
        Self {
            leads,
            origin,
            variant,
            recorded_targets: cleaned.targets.clone(),
            record_leads: cleaned.record_leads.clone(),
            bands: None,
        }
    }

    /// The 12 leads as a record (100 Hz, mV, the standard lead names) that views and exports
    /// take like any other; named as [`reconstruction_name`] says, beside `source`, never written
    /// there.
    pub fn to_record(&self, source: &std::path::Path) -> Record {
        let path = source.with_file_name(reconstruction_name(source, self.variant));
        Record::from_signals(
            &path,
            FS_HZ,
            TWELVE_LEADS
                .iter()
                .zip(&self.leads)
                .map(|(name, lead)| ((*name).to_owned(), Some("mV".to_owned()), lead.clone()))
                .collect(),
            (None, None),
            vec![format!(
                "V1,V3-V6 reconstructed by {} from I,II,V2 of {}: estimates, not recordings",
                self.variant.name(),
                source.display()
            )],
        )
    }

    /// Each reconstructed lead's RMSE (mV) against the recording, where the record has it.
    pub fn target_rmse_mv(&self) -> [Option<f64>; 5] {
        std::array::from_fn(|k| {
            let truth = self.recorded_targets[k].as_deref()?;
            let metrics = crate::metrics::record_metrics(truth, &self.leads[TARGET_ROWS[k]])?;
            metrics.rmse_mv.is_finite().then_some(metrics.rmse_mv)
        })
    }

    /// The limb leads the record lacked, derived from I and II.
    pub fn derived_leads(&self) -> Vec<&'static str> {
        (0..12)
            .filter(|&row| self.origin[row] == LeadOrigin::Derived)
            .map(|row| TWELVE_LEADS[row])
            .collect()
    }

    /// Display name of a lead, marked where it is an estimate (`V4 · C-h`).
    pub fn lead_label(&self, row: usize) -> String {
        let name = TWELVE_LEADS.get(row).copied().unwrap_or("?");
        match self.origin.get(row) {
            Some(LeadOrigin::Reconstructed) => format!("{name} · {}", self.variant.name()),
            _ => name.to_owned(),
        }
    }

    /// Writes the 12 leads as EDF+C at `path`: `ECG <lead>` labels, each lead's origin in its
    /// transducer field ("estimate: Precordial C-h", "derived from I and II", "recorded"), and an
    /// annotation naming the model and its card.
    pub fn write_edf(
        &self,
        path: &std::path::Path,
        card_sha256: &str,
        overwrite: bool,
    ) -> Result<(), crate::wfdb::WfdbError> {
        let transducers: Vec<String> = self
            .origin
            .iter()
            .map(|origin| match origin {
                LeadOrigin::Reconstructed => {
                    format!("estimate: Precordial {}", self.variant.name())
                }
                LeadOrigin::Derived => "derived from I and II".to_owned(),
                LeadOrigin::Recorded => "recorded".to_owned(),
            })
            .collect();
        let labels: Vec<String> = TWELVE_LEADS.iter().map(|l| format!("ECG {l}")).collect();
        let signals: Vec<EdfSignalToWrite> = (0..12)
            .map(|row| EdfSignalToWrite {
                label: &labels[row],
                transducer: &transducers[row],
                samples_mv: &self.leads[row],
            })
            .collect();
        let note = format!(
            "V1,V3-V6 reconstructed by {} (card {})",
            self.variant.name(),
            &card_sha256[..card_sha256.len().min(12)]
        );
        crate::wfdb::edf::write(path, FS_HZ, &signals, &note, overwrite)
    }

    /// The record as written: the standard lead names (so every tool finds its leads), and header
    /// comments that name the model, its card's SHA-256, the inputs and which leads are estimates.
    pub fn to_wfdb<'a>(
        &'a self,
        name: &'a str,
        card_sha256: &str,
        source: &str,
        format: WriteFormat,
    ) -> RecordToWrite<'a> {
        let rebuilt: Vec<&str> = TARGET_ROWS.iter().map(|&row| TWELVE_LEADS[row]).collect();
        let derived = self.derived_leads();
        let mut comments = vec![
            format!(
                "reconstructed: {} by {} (precordial {}), estimates not recordings",
                rebuilt.join(","),
                self.variant.name(),
                env!("CARGO_PKG_VERSION")
            ),
            "inputs: I,II,V2 (cleaned, 100 Hz)".to_owned(),
            format!("model_card_sha256: {card_sha256}"),
            format!("source: {source}"),
        ];
        if !derived.is_empty() {
            comments.push(format!("derived from I and II: {}", derived.join(",")));
        }
        RecordToWrite {
            name,
            fs_hz: FS_HZ,
            signals: TWELVE_LEADS
                .iter()
                .zip(&self.leads)
                .map(|(label, samples)| SignalToWrite {
                    name: label,
                    samples_mv: samples,
                })
                .collect(),
            comments,
            format,
        }
    }
}
