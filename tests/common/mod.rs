//! Helpers shared by the integration tests: locating the shared data and a minimal private reader of
//! WFDB format-16 records (until the crate's own WFDB reader lands on main).
#![allow(dead_code)]

use std::path::{Path, PathBuf};

/// The shared data folder: `$PRECORDIAL_DATA` or `<manifest>/../shared/data`. When it is missing the
/// caller should skip, with a loud line, except under `CI=true` where this panics.
pub fn data_dir(test: &str) -> Option<PathBuf> {
    let dir = std::env::var_os("PRECORDIAL_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data"));
    if dir.is_dir() {
        return Some(dir);
    }
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!(
            "{test}: shared data not found at {} (CI=true: failing)",
            dir.display()
        );
    }
    eprintln!(
        "SKIP {test}: shared data not found at {} (set PRECORDIAL_DATA)",
        dir.display()
    );
    None
}

/// A record read by [`read_format16`].
pub struct Format16 {
    pub fs_hz: f64,
    pub names: Vec<String>,
    /// Physical units, one vector per signal.
    pub signals: Vec<Vec<f64>>,
}

impl Format16 {
    pub fn signal(&self, name: &str) -> Option<&[f64]> {
        self.names
            .iter()
            .position(|n| n.eq_ignore_ascii_case(name))
            .map(|i| self.signals[i].as_slice())
    }
}

/// Reads a single-file WFDB record in format 16 (optionally with a byte offset, as the Challenge's
/// `.mat` files): physical = (adu − baseline) / gain, as wfdb-python computes `p_signal`.
pub fn read_format16(record: &Path) -> Result<Format16, String> {
    let hea_path = record.with_extension("hea");
    let hea =
        std::fs::read_to_string(&hea_path).map_err(|e| format!("{}: {e}", hea_path.display()))?;
    let mut lines = hea
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty());
    let head: Vec<&str> = lines
        .next()
        .ok_or("empty header")?
        .split_whitespace()
        .collect();
    let n_sig: usize = head
        .get(1)
        .and_then(|v| v.parse().ok())
        .ok_or("bad signal count")?;
    let fs_hz: f64 = head
        .get(2)
        .and_then(|v| v.split('/').next())
        .and_then(|v| v.parse().ok())
        .ok_or("bad fs")?;
    let mut names = Vec::new();
    let mut gains = Vec::new();
    let mut baselines = Vec::new();
    let mut file = String::new();
    let mut offset = 0usize;
    for line in lines.take(n_sig) {
        let f: Vec<&str> = line.split_whitespace().collect();
        file = f[0].to_owned();
        let mut fmt = f[1].split('+');
        if fmt.next() != Some("16") {
            return Err(format!("format {} is not 16", f[1]));
        }
        offset = fmt
            .next()
            .map_or(Ok(0), |o| o.parse().map_err(|_| "bad offset"))?;
        let gain_field = f[2].split('/').next().ok_or("bad gain")?;
        let (gain, baseline) = match gain_field.split_once('(') {
            Some((g, b)) => (
                g.parse::<f64>().ok(),
                b.trim_end_matches(')').parse::<f64>().ok(),
            ),
            None => (gain_field.parse::<f64>().ok(), None),
        };
        let adc_zero: f64 = f.get(4).and_then(|v| v.parse().ok()).unwrap_or(0.0);
        gains.push(gain.ok_or("bad gain")?);
        baselines.push(baseline.unwrap_or(adc_zero));
        names.push(f.get(8).copied().unwrap_or("").to_owned());
    }
    let dat_path = record.parent().ok_or("no parent")?.join(&file);
    let bytes = std::fs::read(&dat_path).map_err(|e| format!("{}: {e}", dat_path.display()))?;
    let data = &bytes[offset..];
    let n_samples = data.len() / 2 / n_sig;
    let mut signals = vec![Vec::with_capacity(n_samples); n_sig];
    for (i, pair) in data.chunks_exact(2).take(n_samples * n_sig).enumerate() {
        let adu = i16::from_le_bytes([pair[0], pair[1]]) as f64;
        let s = i % n_sig;
        signals[s].push((adu - baselines[s]) / gains[s]);
    }
    Ok(Format16 {
        fs_hz,
        names,
        signals,
    })
}
