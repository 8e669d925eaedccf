//! A reconstruction as a 12-lead ECG a clinician can keep: the measured leads as recorded (cleaned
//! as the models take them), V1 and V3–V6 rebuilt by C or C-h, and limb leads that the record lacks
//! derived from I and II; each lead says where it came from, and the record as written says which
//! model, whose card, rebuilt which leads.

use crate::physics::TWELVE_LEADS;
use crate::physics::anatomy::TARGET_ROWS;
use crate::prep::{clean_named_lead, missing_inputs};
use crate::wfdb::Record;
use crate::wfdb::write::{RecordToWrite, SignalToWrite, WriteFormat};

use super::{FS_HZ, ModelError, ModelVariant, Reconstructor, TARGET_LEADS};

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
        let rebuilt = models.reconstruct([&lead_i, &lead_ii, &lead_v2], variant)?;
        let n = lead_i.len();
        let mut leads: [Vec<f64>; 12] = Default::default();
        let mut origin = [LeadOrigin::Recorded; 12];
        for (row, name) in TWELVE_LEADS.iter().enumerate().take(6).skip(2) {
            // III, aVR, aVL, aVF: recorded where present, else from I and II.
            let derive = |i: f64, ii: f64| match row {
                2 => ii - i,
                3 => -(i + ii) / 2.0,
                4 => i - ii / 2.0,
                _ => ii - i / 2.0,
            };
            leads[row] = match clean(name)? {
                Some(mut lead) => {
                    lead.resize(n, f64::NAN);
                    lead
                }
                None => {
                    origin[row] = LeadOrigin::Derived;
                    lead_i
                        .iter()
                        .zip(&lead_ii)
                        .map(|(&i, &ii)| derive(i, ii))
                        .collect()
                }
            };
        }
        let mut recorded_targets: [Option<Vec<f64>>; 5] = Default::default();
        for (k, (row, prediction)) in TARGET_ROWS.iter().zip(rebuilt).enumerate() {
            recorded_targets[k] = clean(TARGET_LEADS[k])?;
            leads[*row] = prediction;
            origin[*row] = LeadOrigin::Reconstructed;
        }
        leads[0] = lead_i;
        leads[1] = lead_ii;
        leads[7] = lead_v2;
        Ok(Self {
            leads,
            origin,
            variant,
            recorded_targets,
            record_leads: record
                .signal_names()
                .iter()
                .map(|s| (*s).to_owned())
                .collect(),
        })
    }

    /// Each reconstructed lead's RMSE (mV) against the recording, where the record has it.
    pub fn target_rmse_mv(&self) -> [Option<f64>; 5] {
        std::array::from_fn(|k| {
            let truth = self.recorded_targets[k].as_deref()?;
            let metrics = crate::metrics::record_metrics(truth, &self.leads[TARGET_ROWS[k]])?;
            metrics.rmse_mv.is_finite().then_some(metrics.rmse_mv)
        })
    }

    /// Display name of a lead, marked where it is an estimate (`V4 · C-h`).
    pub fn lead_label(&self, row: usize) -> String {
        let name = TWELVE_LEADS.get(row).copied().unwrap_or("?");
        match self.origin.get(row) {
            Some(LeadOrigin::Reconstructed) => format!("{name} · {}", self.variant.name()),
            _ => name.to_owned(),
        }
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
        let derived: Vec<&str> = (0..12)
            .filter(|&row| self.origin[row] == LeadOrigin::Derived)
            .map(|row| TWELVE_LEADS[row])
            .collect();
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
