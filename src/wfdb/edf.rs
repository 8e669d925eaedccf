//! EDF and EDF+ files (what wearables, Holters and EDFbrowser write), read into the same
//! [`Record`] as a WFDB record, so every command and panel takes them.
//!
//! The 256-byte header and one 256-byte block per signal (ASCII fields), then data records of
//! 16-bit little-endian samples; physical = (digital − dmin)·(pmax − pmin)/(dmax − dmin) + pmin, as
//! EDFlib computes it. EDF+ annotation signals are read as timed text into the record's comments.
//! Tolerant where a viewer should be: a channel with equal physical or digital limits, or at a rate
//! other than the ECG leads', is left out and said so in the comments, not a refusal of the file.
//! Labels are mapped to lead names ("ECG I", "Lead II", "EKG V2" → I, II, V2), and each mapping is
//! said. EDF+D (discontinuous) records are joined end to end, and said so.

use std::path::Path;

use super::header::{Header, SignalSpec};
use super::record::Checksum;
use super::{Record, SignalFormat, WfdbError};

/// The lead names a label may map to, with the prefixes devices put before them.
const LEADS: [&str; 12] = [
    "I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6",
];
const PREFIXES: [&str; 4] = ["ECG", "EKG", "LEAD", "EEG"];

/// The lead name an EDF label stands for, if any: prefixes and a reference suffix ("-REF") dropped,
/// case ignored.
pub fn lead_for_label(label: &str) -> Option<&'static str> {
    let mut text = label.trim().to_ascii_uppercase();
    for prefix in PREFIXES {
        if let Some(rest) = text.strip_prefix(prefix) {
            text = rest.trim_start_matches([' ', '_', '-', ':']).to_owned();
        }
    }
    for suffix in ["-REF", "-RE", "_REF"] {
        if let Some(rest) = text.strip_suffix(suffix) {
            text = rest.to_owned();
        }
    }
    LEADS
        .iter()
        .find(|lead| lead.eq_ignore_ascii_case(text.trim()))
        .copied()
}

/// One signal's header fields.
struct EdfSignal {
    label: String,
    dimension: String,
    physical: (f64, f64),
    digital: (f64, f64),
    samples_per_record: usize,
}

/// Reads an EDF or EDF+ file.
pub fn read(path: &Path) -> Result<Record, WfdbError> {
    let bytes = std::fs::read(path).map_err(|error| WfdbError::Io {
        path: path.to_path_buf(),
        error,
    })?;
    parse(&bytes, path)
}

/// Parses the bytes of an EDF or EDF+ file read from `path` (named in errors).
pub fn parse(bytes: &[u8], path: &Path) -> Result<Record, WfdbError> {
    let fail = |message: String| WfdbError::Data {
        path: path.to_path_buf(),
        message,
    };
    let field = |from: usize, len: usize| -> Result<String, WfdbError> {
        let raw = bytes
            .get(from..from + len)
            .ok_or_else(|| fail(format!("header ends before byte {}", from + len)))?;
        Ok(String::from_utf8_lossy(raw).trim().to_owned())
    };
    let number = |from: usize, len: usize, what: &str| -> Result<f64, WfdbError> {
        let text = field(from, len)?;
        text.parse::<f64>()
            .map_err(|_| fail(format!("{what} {text:?} is not a number")))
    };
    if field(0, 8)? != "0" {
        return Err(fail("not an EDF file (version field is not 0)".to_owned()));
    }
    let header_bytes = number(184, 8, "header size")? as usize;
    let reserved = field(192, 44)?;
    let n_records = number(236, 8, "number of data records")?;
    let record_seconds = number(244, 8, "data record duration")?;
    let n_signals = number(252, 4, "number of signals")? as usize;
    if n_signals == 0 || header_bytes != 256 * (n_signals + 1) {
        return Err(fail(format!(
            "{n_signals} signals and a {header_bytes}-byte header do not agree"
        )));
    }
    if record_seconds.is_nan() || record_seconds <= 0.0 {
        return Err(fail(format!(
            "data record duration {record_seconds} s: not a signal file this reader takes"
        )));
    }
    let column = |k: usize, offset: usize, len: usize| 256 + offset * n_signals + k * len;
    let mut signals = Vec::with_capacity(n_signals);
    for k in 0..n_signals {
        signals.push(EdfSignal {
            label: field(column(k, 0, 16), 16)?,
            dimension: field(column(k, 96, 8), 8)?,
            physical: (
                number(column(k, 104, 8), 8, "physical minimum")?,
                number(column(k, 112, 8), 8, "physical maximum")?,
            ),
            digital: (
                number(column(k, 120, 8), 8, "digital minimum")?,
                number(column(k, 128, 8), 8, "digital maximum")?,
            ),
            samples_per_record: number(column(k, 216, 8), 8, "samples per record")? as usize,
        });
    }
    let record_samples: usize = signals.iter().map(|s| s.samples_per_record).sum();
    let data = &bytes[header_bytes.min(bytes.len())..];
    let available = data.len() / (2 * record_samples.max(1));
    // -1 means "unknown" (a recording still being written): take what the file holds.
    let n_records = if n_records < 0.0 {
        available
    } else {
        (n_records as usize).min(available)
    };

    let mut comments = Vec::new();
    if reserved.starts_with("EDF+D") {
        comments.push(
            "EDF+D (discontinuous): data records joined end to end, gaps not filled".to_owned(),
        );
    }
    // The rate of the ECG channels: the most common rate among channels that map to a lead (or
    // among all channels when none does).
    let rate = |s: &EdfSignal| s.samples_per_record as f64 / record_seconds;
    let is_annotation = |s: &EdfSignal| s.label == "EDF Annotations";
    let mut rates: Vec<(f64, usize)> = Vec::new();
    let mapped_any = signals
        .iter()
        .any(|s| !is_annotation(s) && lead_for_label(&s.label).is_some());
    for s in signals.iter().filter(|s| {
        !is_annotation(s)
            && s.samples_per_record > 0
            && (!mapped_any || lead_for_label(&s.label).is_some())
    }) {
        match rates.iter_mut().find(|(r, _)| (*r - rate(s)).abs() < 1e-9) {
            Some(entry) => entry.1 += 1,
            None => rates.push((rate(s), 1)),
        }
    }
    let Some(&(fs_hz, _)) = rates.iter().max_by_key(|(_, n)| *n) else {
        return Err(fail("no signal channels (annotations only)".to_owned()));
    };

    let mut names = Vec::new();
    let mut units = Vec::new();
    let mut values: Vec<Vec<f64>> = Vec::new();
    let mut offset = 0usize;
    for s in &signals {
        let at = offset;
        offset += s.samples_per_record;
        let samples = |r: usize| -> &[u8] {
            let start = 2 * (r * record_samples + at);
            &data[start..start + 2 * s.samples_per_record]
        };
        if is_annotation(s) {
            let text: Vec<u8> = (0..n_records).flat_map(|r| samples(r).to_vec()).collect();
            comments.extend(annotations(&text));
            continue;
        }
        if s.physical.0 == s.physical.1 || s.digital.0 == s.digital.1 || s.samples_per_record == 0 {
            comments.push(format!(
                "channel {:?} left out: its physical or digital minimum equals its maximum, or it \
                 has no samples",
                s.label
            ));
            continue;
        }
        if (rate(s) - fs_hz).abs() > 1e-9 {
            comments.push(format!(
                "channel {:?} left out: {} Hz, not the ECG leads' {fs_hz} Hz",
                s.label,
                rate(s)
            ));
            continue;
        }
        let scale = (s.physical.1 - s.physical.0) / (s.digital.1 - s.digital.0);
        let mut signal = Vec::with_capacity(n_records * s.samples_per_record);
        for r in 0..n_records {
            for pair in samples(r).chunks_exact(2) {
                let digital = f64::from(i16::from_le_bytes([pair[0], pair[1]]));
                signal.push((digital - s.digital.0) * scale + s.physical.0);
            }
        }
        let name = match lead_for_label(&s.label) {
            Some(lead) => {
                if lead != s.label {
                    comments.push(format!("label {:?} read as lead {lead}", s.label));
                }
                lead.to_owned()
            }
            None => s.label.clone(),
        };
        names.push(name);
        units.push(Some(s.dimension.clone()).filter(|u| !u.is_empty()));
        values.push(signal);
    }
    if values.is_empty() {
        return Err(fail("no readable signal channel".to_owned()));
    }
    let n_samples = values[0].len();
    let n_read = values.len();
    let header = Header {
        path: path.to_path_buf(),
        record_name: path
            .file_stem()
            .map_or_else(String::new, |s| s.to_string_lossy().into_owned()),
        n_signals: values.len(),
        fs_hz,
        counter_freq_hz: None,
        base_counter: None,
        n_samples: Some(n_samples),
        base_time: field(176, 8).ok().map(|t| t.replace('.', ":")),
        base_date: field(168, 8).ok(),
        signals: names
            .iter()
            .zip(&units)
            .map(|(name, unit)| SignalSpec {
                file_name: path
                    .file_name()
                    .map_or_else(String::new, |n| n.to_string_lossy().into_owned()),
                format: SignalFormat::F16,
                samples_per_frame: 1,
                skew: 0,
                byte_offset: header_bytes as u64,
                adc_gain: 1.0,
                baseline: 0,
                units: unit.clone().unwrap_or_default(),
                adc_resolution_bits: Some(16),
                adc_zero: 0,
                initial_value: None,
                checksum: None,
                block_size: 0,
                description: name.clone(),
            })
            .collect(),
        segments: Vec::new(),
        comments,
    };
    Ok(Record::from_parts(
        header,
        names,
        units,
        values,
        vec![Checksum::NotGiven; n_read],
        vec![SignalFormat::F16],
    ))
}

/// EDF+ time-stamped annotation lists as comment lines: `annotation +12.5 s: text`.
fn annotations(bytes: &[u8]) -> Vec<String> {
    let mut out = Vec::new();
    for tal in bytes.split(|&b| b == 0).filter(|t| !t.is_empty()) {
        let text = String::from_utf8_lossy(tal);
        let mut parts = text.split('\u{14}');
        let Some(onset) = parts.next() else {
            continue;
        };
        let onset = onset.split('\u{15}').next().unwrap_or_default();
        for note in parts.filter(|p| !p.trim().is_empty()) {
            out.push(format!("annotation {onset} s: {}", note.trim()));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every cut of a real file, and every byte of its header flipped, parses or fails; no panic.
    #[test]
    fn damaged_files_never_panic() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/edf/patch3.edf");
        let Ok(bytes) = std::fs::read(&path) else {
            return;
        };
        for cut in (0..bytes.len()).step_by(97) {
            let _ = parse(&bytes[..cut], &path);
        }
        for at in 0..1280.min(bytes.len()) {
            let mut damaged = bytes.clone();
            damaged[at] = damaged[at].wrapping_add(7);
            let _ = parse(&damaged, &path);
        }
    }

    #[test]
    fn labels_map_to_leads() {
        for (label, lead) in [
            ("ECG I", Some("I")),
            ("Lead II", Some("II")),
            ("EKG V2", Some("V2")),
            ("ECG V2-REF", Some("V2")),
            ("avf", Some("aVF")),
            ("ECG", None),
            ("Resp", None),
            ("V7", None),
        ] {
            assert_eq!(lead_for_label(label), lead, "{label}");
        }
    }

    #[test]
    fn annotations_are_timed_text() {
        let tal = b"+0\x14\x14\x00+12.5\x151\x14Arrhythmia\x14\x00";
        assert_eq!(annotations(tal), ["annotation +12.5 s: Arrhythmia"]);
    }
}
