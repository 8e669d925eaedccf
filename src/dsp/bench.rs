//! Throughput of the cleaning pipeline, for `precordial bench clean` (a benchmark, not a test).
//!
//! Only the cleaning is timed: records are read beforehand, exactly as `benches/clean_scipy.py`
//! does on the SciPy side, so the ratio compares the two signal-processing stacks alone.

use super::DspError;
use super::clean::{CleanConfig, clean_leads};
use std::time::Instant;

/// One record already in memory: its leads (physical units) and sampling rate.
pub struct LoadedRecord {
    pub leads: Vec<Vec<f64>>,
    pub fs_hz: f64,
}

/// What one timing run measured.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CleanTiming {
    /// Records cleaned (records × passes).
    pub records: usize,
    /// Leads cleaned.
    pub leads: usize,
    pub seconds: f64,
}

impl CleanTiming {
    pub fn records_per_s(&self) -> f64 {
        self.records as f64 / self.seconds
    }
}

/// Cleans every record `repeat` times on this thread and times it. Fails on the first record the
/// config cannot clean (e.g. one shorter than the baseline window), naming its index.
pub fn clean_timing(
    records: &[LoadedRecord],
    cfg: &CleanConfig,
    repeat: usize,
) -> Result<CleanTiming, (usize, DspError)> {
    let mut leads = 0;
    let mut checksum = 0.0;
    let start = Instant::now();
    for _ in 0..repeat.max(1) {
        for (index, record) in records.iter().enumerate() {
            let slices: Vec<&[f64]> = record.leads.iter().map(Vec::as_slice).collect();
            let cleaned = clean_leads(&slices, record.fs_hz, cfg).map_err(|e| (index, e))?;
            leads += cleaned.len();
            // Keeps the optimiser from discarding the work.
            checksum += cleaned
                .first()
                .and_then(|l| l.first())
                .copied()
                .unwrap_or(0.0);
        }
    }
    let seconds = start.elapsed().as_secs_f64();
    std::hint::black_box(checksum);
    Ok(CleanTiming {
        records: records.len() * repeat.max(1),
        leads,
        seconds,
    })
}
