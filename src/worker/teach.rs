//! The Teach panel's job: a record's eight independent leads cleaned as the models take them (mV,
//! 100 Hz), its vectorcardiogram, waves and QRS axis, one beat to draw, and the search for an anatomy
//! that keeps I, II and V2 but changes V3–V5.

use std::ops::Range;
use std::sync::Arc;

use super::{Job, JobContext};
use crate::dsp::rpeaks;
use crate::model::FS_HZ;
use crate::physics::loops::{self, Wave};
use crate::physics::matrices::INDEPENDENT_LEADS;
use crate::physics::{SameInputsResult, SameInputsSearch, Vcg, VcgMethod, vcg_from_leads};
use crate::wfdb::Record;

/// Samples of the beat the search and the 12-lead grids use, at most.
const SEARCH_SAMPLES: usize = 200;

/// What the Teach panel draws from one record.
#[derive(Debug)]
pub struct TeachModel {
    pub record_key: u64,
    pub method: VcgMethod,
    pub search_settings: SameInputsSearch,
    /// Rate of every trace (the models' 100 Hz).
    pub fs_hz: f64,
    /// I, II, V1–V6 as recorded (cleaned), in mV.
    pub recorded: [Vec<f64>; 8],
    pub vcg: Vcg,
    pub waves: Vec<Option<Wave>>,
    pub r_peaks: Vec<usize>,
    /// Frontal axis of the QRS, degrees.
    pub qrs_axis_deg: Option<f64>,
    /// The beat drawn: 300 ms before an R peak to 600 ms after (the second beat when there is one).
    pub beat: Range<usize>,
    /// The anatomy found for the beat's dipole, or why there is none.
    pub search: Result<SameInputsResult, String>,
}

/// Prepares a [`TeachModel`] for a record.
pub struct PrepareTeach {
    pub record_key: u64,
    pub record: Arc<Record>,
    pub method: VcgMethod,
    pub search: SameInputsSearch,
}

impl Job for PrepareTeach {
    type Output = TeachModel;
    type Update = ();

    fn describe(&self) -> String {
        "Vectorcardiogram and anatomy search".to_owned()
    }

    fn run(self, context: &JobContext) -> Result<Option<TeachModel>, String> {
        let record = &*self.record;
        let mut recorded: [Vec<f64>; 8] = Default::default();
        for (slot, name) in recorded.iter_mut().zip(INDEPENDENT_LEADS) {
            *slot = crate::prep::clean_named_lead(record, name)
                .map_err(|err| err.to_string())?
                .ok_or_else(|| {
                    format!(
                        "the record has no lead {name}: the vectorcardiogram needs I, II and V1–V6"
                    )
                })?;
            if context.cancel_requested() {
                return Ok(None);
            }
        }
        context.set_progress(0.5);
        let view: [&[f64]; 8] = std::array::from_fn(|k| recorded[k].as_slice());
        let vcg = vcg_from_leads(view, self.method).map_err(|err| err.to_string())?;
        let r_peaks = rpeaks::detect(&view, FS_HZ, &rpeaks::RPeakConfig::default())
            .map_err(|err| format!("R peaks: {err}"))?;
        let waves = loops::waves(vcg.len(), &r_peaks, FS_HZ);
        let qrs_axis_deg = loops::frontal_axis_deg(&vcg, &waves, Wave::Qrs);
        let beat = beat_window(&r_peaks, vcg.len());
        let beat_vcg = Vcg {
            x: vcg.x[beat.clone()].to_vec(),
            y: vcg.y[beat.clone()].to_vec(),
            z: vcg.z[beat.clone()].to_vec(),
        };
        let search = self
            .search
            .run(&beat_vcg, SEARCH_SAMPLES)
            .map_err(|err| err.to_string());
        context.set_progress(1.0);
        Ok(Some(TeachModel {
            record_key: self.record_key,
            method: self.method,
            search_settings: self.search,
            fs_hz: FS_HZ,
            recorded,
            vcg,
            waves,
            r_peaks,
            qrs_axis_deg,
            beat,
            search,
        }))
    }
}

/// 300 ms before an R peak to 600 ms after: the second detected beat (the first may be cut by the
/// filters' edges), else the first, else the first 0.9 s.
fn beat_window(r_peaks: &[usize], len: usize) -> Range<usize> {
    let before = (0.3 * FS_HZ) as usize;
    let after = (0.6 * FS_HZ) as usize;
    let fits = |&&r: &&usize| r >= before && r + after <= len;
    let peak = r_peaks
        .iter()
        .filter(fits)
        .nth(1)
        .or_else(|| r_peaks.iter().find(fits));
    match peak {
        Some(&r) => r - before..r + after,
        None => 0..len.min(before + after),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_beat_is_the_second_whole_one() {
        assert_eq!(beat_window(&[10, 100, 200, 300], 1000), 170..260);
        assert_eq!(beat_window(&[10, 100], 1000), 70..160);
        assert_eq!(beat_window(&[], 50), 0..50);
    }
}
