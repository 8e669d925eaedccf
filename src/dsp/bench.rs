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

/// What a timing run measured.
#[derive(Debug, Clone, PartialEq)]
pub struct CleanTiming {
    /// Records cleaned in each pass.
    pub records_per_pass: usize,
    /// Leads cleaned in each pass.
    pub leads_per_pass: usize,
    /// Wall time of each pass (s).
    pub pass_seconds: Vec<f64>,
}

impl CleanTiming {
    /// The fastest pass: on a shared machine the best pass is the least disturbed one.
    pub fn best_seconds(&self) -> f64 {
        self.pass_seconds
            .iter()
            .copied()
            .fold(f64::INFINITY, f64::min)
    }

    /// Records per second in the fastest pass.
    pub fn records_per_s(&self) -> f64 {
        self.records_per_pass as f64 / self.best_seconds()
    }
}

/// Cleans every record `passes` times on this thread, timing each pass. Fails on the first record
/// the config cannot clean (e.g. one shorter than the baseline window), naming its index.
pub fn clean_timing(
    records: &[LoadedRecord],
    cfg: &CleanConfig,
    passes: usize,
) -> Result<CleanTiming, (usize, DspError)> {
    let mut leads = 0;
    let mut checksum = 0.0;
    let mut pass_seconds = Vec::with_capacity(passes.max(1));
    for _ in 0..passes.max(1) {
        leads = 0;
        let start = Instant::now();
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
        pass_seconds.push(start.elapsed().as_secs_f64());
    }
    std::hint::black_box(checksum);
    Ok(CleanTiming {
        records_per_pass: records.len(),
        leads_per_pass: leads,
        pass_seconds,
    })
}
