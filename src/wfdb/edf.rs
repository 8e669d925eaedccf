//! EDF and EDF+ files (what wearables, Holters and EDFbrowser write), read into the same
//! [`Record`] as a WFDB record, so every command and panel takes them.
//!
//! The 256-byte header and one 256-byte block per signal (ASCII fields), then data records of
//! 16-bit little-endian samples; physical = (digital − dmin)·(pmax − pmin)/(dmax − dmin) + pmin, as
//! EDFlib computes it. EDF+ annotation signals are read as timed text into the record's comments.
//! Tolerant where a viewer should be: a channel with equal physical or digital limits, or at a rate
//! other than the ECG leads', is left out and said so in the comments, not a refusal of the file.
//! Labels are mapped to lead names ("ECG I", "Lead II", "EKG V2" → I, II, V2), and each mapping is
//! said. EDF+D (discontinuous) records are joined end to end, and said so. [`write`] writes EDF+C.

use std::path::Path;

use super::{Record, WfdbError};

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
    let signals = names
        .into_iter()
        .zip(units)
        .zip(values)
        .map(|((name, unit), samples)| (name, unit, samples))
        .collect();
    let base = (
        field(168, 8).ok(),
        field(176, 8).ok().map(|t| t.replace('.', ":")),
    );
    Ok(Record::from_signals(path, fs_hz, signals, base, comments))
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

/// One signal to write as EDF: its label, transducer note and samples in mV.
#[derive(Clone, Copy, Debug)]
pub struct EdfSignalToWrite<'a> {
    pub label: &'a str,
    /// EDF's transducer field: where the signal came from ("estimate: Precordial C-h").
    pub transducer: &'a str,
    pub samples_mv: &'a [f64],
}

/// An EDF header field: ASCII, left-aligned, space-padded (or cut) to `width`.
fn edf_field(text: &str, width: usize) -> String {
    let ascii: String = text
        .chars()
        .map(|c| {
            if c.is_ascii() && !c.is_ascii_control() {
                c
            } else {
                '_'
            }
        })
        .take(width)
        .collect();
    format!("{ascii:<width$}")
}

/// Writes an EDF+C file of signals at `fs_hz` (1-s data records, 16-bit samples, each signal's
/// physical range its own largest magnitude, rounded up to 1 µV), with the annotation channel EDF+
/// requires and `annotation` as the recording's first annotation. NaN is written as 0 mV. Never
/// over an existing file unless `overwrite`.
pub fn write(
    path: &Path,
    fs_hz: f64,
    signals: &[EdfSignalToWrite],
    annotation: &str,
    overwrite: bool,
) -> Result<(), WfdbError> {
    let fail = |message: String| WfdbError::Data {
        path: path.to_path_buf(),
        message,
    };
    let per_record = fs_hz.round() as usize;
    if per_record == 0 || (fs_hz - per_record as f64).abs() > 1e-9 {
        return Err(fail(format!(
            "{fs_hz} Hz: the writer takes whole-number rates (1-s data records)"
        )));
    }
    let Some(first) = signals.first() else {
        return Err(fail("no signals to write".to_owned()));
    };
    let n = first.samples_mv.len();
    if signals.iter().any(|s| s.samples_mv.len() != n) {
        return Err(fail("signals of different lengths".to_owned()));
    }
    let n_records = n.div_ceil(per_record).max(1);
    // The annotation channel: 2 bytes per "sample", room for the timekeeping TAL and the note.
    let note: String = annotation
        .chars()
        .filter(char::is_ascii)
        .take(100)
        .collect();
    let annotation_samples = (note.len() + 32).div_ceil(2);
    let ns = signals.len() + 1;
    let mut header = String::new();
    header.push_str(&edf_field("0", 8));
    header.push_str(&edf_field("X X X X", 80));
    header.push_str(&edf_field("Startdate X X X X", 80));
    header.push_str(&edf_field("01.01.85", 8));
    header.push_str(&edf_field("00.00.00", 8));
    header.push_str(&edf_field(&(256 * (ns + 1)).to_string(), 8));
    header.push_str(&edf_field("EDF+C", 44));
    header.push_str(&edf_field(&n_records.to_string(), 8));
    header.push_str(&edf_field("1", 8));
    header.push_str(&edf_field(&ns.to_string(), 4));
    // Physical limits: ± the largest magnitude in µV steps, written with three decimals (mV).
    let limits: Vec<f64> = signals
        .iter()
        .map(|s| {
            let largest = s
                .samples_mv
                .iter()
                .filter(|v| v.is_finite())
                .fold(0.0f64, |m, v| m.max(v.abs()));
            ((largest * 1000.0).ceil() + 1.0) / 1000.0
        })
        .collect();
    if let Some(limit) = limits.iter().find(|l| format!("{:.3}", -**l).len() > 8) {
        return Err(fail(format!(
            "a signal reaches {limit} mV, beyond the 8 characters of EDF's limits"
        )));
    }
    let labels: Vec<&str> = signals
        .iter()
        .map(|s| s.label)
        .chain(["EDF Annotations"])
        .collect();
    // Each per-signal header column: its width and its value for signal k.
    type Column<'a> = (usize, Box<dyn Fn(usize) -> String + 'a>);
    let columns: [Column; 10] = [
        (16, Box::new(|k| labels[k].to_owned())),
        (
            80,
            Box::new(|k| {
                signals
                    .get(k)
                    .map_or(String::new(), |s| s.transducer.to_owned())
            }),
        ),
        (
            8,
            Box::new(|k| {
                if k < signals.len() {
                    "mV".to_owned()
                } else {
                    String::new()
                }
            }),
        ),
        (
            8,
            Box::new(|k| {
                limits
                    .get(k)
                    .map_or("-1".to_owned(), |l| format!("{:.3}", -l))
            }),
        ),
        (
            8,
            Box::new(|k| limits.get(k).map_or("1".to_owned(), |l| format!("{l:.3}"))),
        ),
        (8, Box::new(|_| "-32768".to_owned())),
        (8, Box::new(|_| "32767".to_owned())),
        (
            80,
            Box::new(|k| {
                if k < signals.len() {
                    "HP:0.5Hz LP:45Hz".to_owned()
                } else {
                    String::new()
                }
            }),
        ),
        (
            8,
            Box::new(|k| {
                if k < signals.len() {
                    per_record.to_string()
                } else {
                    annotation_samples.to_string()
                }
            }),
        ),
        (32, Box::new(|_| String::new())),
    ];
    for (width, value) in &columns {
        for k in 0..ns {
            header.push_str(&edf_field(&value(k), *width));
        }
    }
    let mut bytes = header.into_bytes();
    for r in 0..n_records {
        for (s, limit) in signals.iter().zip(&limits) {
            for t in r * per_record..(r + 1) * per_record {
                let v = s
                    .samples_mv
                    .get(t)
                    .copied()
                    .filter(|v| v.is_finite())
                    .unwrap_or(0.0);
                // digital = (physical − pmin)·(dmax − dmin)/(pmax − pmin) + dmin, with pmin = −limit.
                let digital = ((v + limit) * 65535.0 / (2.0 * limit) - 32768.0).round();
                let digital = digital.clamp(-32768.0, 32767.0) as i16;
                bytes.extend_from_slice(&digital.to_le_bytes());
            }
        }
        let mut tal = format!("+{r}\u{14}\u{14}\u{0}").into_bytes();
        if r == 0 && !note.is_empty() {
            tal.extend_from_slice(format!("+0\u{14}{note}\u{14}\u{0}").as_bytes());
        }
        tal.resize(2 * annotation_samples, 0);
        bytes.extend_from_slice(&tal);
    }
    crate::output::write_file(path, overwrite, |w| w.write_all(&bytes)).map_err(|e| {
        WfdbError::Data {
            path: path.to_path_buf(),
            message: e.message,
        }
    })
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

    /// What the writer writes, the reader reads back to within one digital step.
    #[test]
    fn written_files_read_back() {
        let dir = std::env::temp_dir().join(format!("precordial-edf-rt-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("rt.edf");
        let a: Vec<f64> = (0..250).map(|t| (t as f64 * 0.1).sin() * 1.2).collect();
        let b: Vec<f64> = (0..250).map(|t| -(t as f64 * 0.05).cos() * 0.4).collect();
        let signals = [
            EdfSignalToWrite {
                label: "ECG I",
                transducer: "recorded",
                samples_mv: &a,
            },
            EdfSignalToWrite {
                label: "ECG V4",
                transducer: "estimate: C-h",
                samples_mv: &b,
            },
        ];
        write(&path, 100.0, &signals, "reconstructed: V4", false).unwrap();
        let record = read(&path).unwrap();
        assert_eq!(record.signal_names(), ["I", "V4"]);
        assert_eq!(record.fs_hz(), 100.0);
        // Three 1-s records: the last padded.
        assert_eq!(record.n_samples(), 300);
        assert!(
            record
                .header
                .comments
                .iter()
                .any(|c| c.contains("reconstructed: V4"))
        );
        for (written, read) in [&a, &b].iter().zip(record.signals()) {
            let step = 2.0 * written.iter().fold(0.0f64, |m, v| m.max(v.abs())) / 65535.0 + 1e-5;
            for (w, r) in written.iter().zip(read) {
                assert!((w - r).abs() <= step, "{w} vs {r}");
            }
        }
        assert!(
            write(&path, 100.0, &signals, "", false).is_err(),
            "never over a file"
        );
        std::fs::remove_dir_all(&dir).ok();
    }
}
