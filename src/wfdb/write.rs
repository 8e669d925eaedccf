//! Writing WFDB records: one signal file in format 16 or 212 and its header, with checksums and
//! comment lines, readable by PhysioNet's WFDB tools, WFDB Python and [`super::Record::read`].
//!
//! Physical values are stored at a standard gain per format (16: 1000 adu/mV, 1 µV steps over
//! ±32.767 mV; 212: 200 adu/mV, 5 µV steps over ±10.235 mV), baseline 0, so the digital values are
//! the physical ones rounded. A signal too large for that range (an artefact of tens of mV) gets the
//! next coarser round gain that holds it, written in its header line; nothing is ever clipped. NaN
//! is written as WFDB's invalid sample. Files are written aside and renamed, and an existing record is
//! replaced only when asked.

use std::path::{Path, PathBuf};

use super::WfdbError;

/// The signal formats the writer produces.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum WriteFormat {
    /// 16-bit two's complement, little-endian.
    #[default]
    Format16,
    /// Two 12-bit samples packed in three bytes (MIT-BIH's format).
    Format212,
}

impl WriteFormat {
    pub fn code(self) -> u32 {
        match self {
            Self::Format16 => 16,
            Self::Format212 => 212,
        }
    }

    /// ADC units per mV: the standard gain.
    pub fn gain_adu_per_mv(self) -> f64 {
        self.gains()[0]
    }

    /// The gains tried in turn, finest first.
    fn gains(self) -> &'static [f64] {
        match self {
            Self::Format16 => &[1000.0, 500.0, 200.0, 100.0, 50.0, 20.0, 10.0, 1.0],
            Self::Format212 => &[200.0, 100.0, 50.0, 20.0, 10.0, 1.0],
        }
    }

    fn bits(self) -> u32 {
        match self {
            Self::Format16 => 16,
            Self::Format212 => 12,
        }
    }

    /// The invalid-sample marker (the format's most negative value).
    fn invalid(self) -> i32 {
        -(1 << (self.bits() - 1))
    }

    /// The largest magnitude a valid sample may have.
    fn max_adu(self) -> i32 {
        (1 << (self.bits() - 1)) - 1
    }
}

/// One signal to write: its name (the lead) and its samples in mV.
#[derive(Clone, Copy, Debug)]
pub struct SignalToWrite<'a> {
    pub name: &'a str,
    pub samples_mv: &'a [f64],
}

/// A record to write.
#[derive(Clone, Debug)]
pub struct RecordToWrite<'a> {
    /// Record name: letters, digits and `_` (the header and signal files are named after it).
    pub name: &'a str,
    pub fs_hz: f64,
    pub signals: Vec<SignalToWrite<'a>>,
    /// Header comment lines, without the leading `#`.
    pub comments: Vec<String>,
    pub format: WriteFormat,
}

/// Writes `record` into `dir` as `<name>.hea` and `<name>.dat`; returns the header's path.
/// Refuses to replace an existing record unless `overwrite`.
pub fn write_record(
    dir: &Path,
    record: &RecordToWrite,
    overwrite: bool,
) -> Result<PathBuf, WfdbError> {
    let header_path = dir.join(format!("{}.hea", record.name));
    let data_path = dir.join(format!("{}.dat", record.name));
    let data_error = |message: String| WfdbError::Data {
        path: header_path.clone(),
        message,
    };
    if record.name.is_empty()
        || !record
            .name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        return Err(data_error(format!(
            "record name {:?}: use letters, digits, '_' and '-' only",
            record.name
        )));
    }
    if !(record.fs_hz.is_finite() && record.fs_hz > 0.0) {
        return Err(data_error(format!(
            "sampling rate {} Hz is not positive",
            record.fs_hz
        )));
    }
    let Some(first) = record.signals.first() else {
        return Err(data_error("no signals to write".to_owned()));
    };
    let n_samples = first.samples_mv.len();
    if let Some(other) = record
        .signals
        .iter()
        .find(|s| s.samples_mv.len() != n_samples)
    {
        return Err(data_error(format!(
            "signal {} has {} samples, {} has {n_samples}",
            other.name,
            other.samples_mv.len(),
            first.name
        )));
    }
    if let Some(bad) = record
        .signals
        .iter()
        .find(|s| s.name.is_empty() || s.name.chars().any(char::is_control))
    {
        return Err(data_error(format!(
            "signal name {:?} is not printable",
            bad.name
        )));
    }
    if !overwrite {
        for path in [&header_path, &data_path] {
            if path.exists() {
                return Err(WfdbError::Data {
                    path: path.clone(),
                    message: "exists (pass --overwrite to replace it)".to_owned(),
                });
            }
        }
    }
    let format = record.format;
    let (gains, digital): (Vec<f64>, Vec<Vec<i32>>) = record
        .signals
        .iter()
        .map(|signal| to_digital(signal, format).map_err(&data_error))
        .collect::<Result<Vec<_>, _>>()?
        .into_iter()
        .unzip();
    let header = header_text(record, &digital, n_samples, &gains);
    let data = match format {
        WriteFormat::Format16 => pack_16(&digital, n_samples),
        WriteFormat::Format212 => pack_212(&digital, n_samples),
    };
    let io = |path: &Path, e: crate::output::OutputError| WfdbError::Data {
        path: path.to_path_buf(),
        message: e.message,
    };
    // The signal file first: a header never names a file that is not there.
    crate::output::write_file(&data_path, overwrite, |w| w.write_all(&data))
        .map_err(|e| io(&data_path, e))?;
    crate::output::write_file(&header_path, overwrite, |w| w.write_all(header.as_bytes()))
        .map_err(|e| io(&header_path, e))?;
    Ok(header_path)
}

/// The signal in ADC units at the finest gain that holds it, and that gain; NaN becomes the
/// invalid marker. A signal no gain holds (or with an infinite value) is an error.
fn to_digital(signal: &SignalToWrite, format: WriteFormat) -> Result<(f64, Vec<i32>), String> {
    let max = f64::from(format.max_adu());
    if let Some((t, v)) = signal
        .samples_mv
        .iter()
        .enumerate()
        .find(|(_, v)| v.is_infinite())
    {
        return Err(format!("signal {} sample {t} is {v}", signal.name));
    }
    let largest = signal
        .samples_mv
        .iter()
        .filter(|v| v.is_finite())
        .fold(0.0f64, |m, v| m.max(v.abs()));
    let Some(&gain) = format
        .gains()
        .iter()
        .find(|&&gain| (largest * gain).round() <= max)
    else {
        return Err(format!(
            "signal {} reaches {largest} mV, beyond what format {} can hold",
            signal.name,
            format.code()
        ));
    };
    let digital = signal
        .samples_mv
        .iter()
        .map(|&v| {
            if v.is_nan() {
                format.invalid()
            } else {
                (v * gain).round() as i32
            }
        })
        .collect();
    Ok((gain, digital))
}

fn header_text(
    record: &RecordToWrite,
    digital: &[Vec<i32>],
    n_samples: usize,
    gains: &[f64],
) -> String {
    let format = record.format;
    let mut text = format!(
        "{} {} {} {}\n",
        record.name,
        record.signals.len(),
        record.fs_hz,
        n_samples
    );
    for ((signal, values), gain) in record.signals.iter().zip(digital).zip(gains) {
        // The checksum is the 16-bit sum of the samples, as a signed number.
        let sum = values
            .iter()
            .fold(0i16, |acc, &v| acc.wrapping_add(v as i16));
        let initial = values.first().copied().unwrap_or(0);
        text.push_str(&format!(
            "{}.dat {} {gain}(0)/mV {} 0 {initial} {sum} 0 {}\n",
            record.name,
            format.code(),
            format.bits(),
            signal.name
        ));
    }
    for comment in &record.comments {
        for line in comment.lines() {
            text.push_str(&format!("# {line}\n"));
        }
    }
    text
}

fn pack_16(digital: &[Vec<i32>], n_samples: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(n_samples * digital.len() * 2);
    for t in 0..n_samples {
        for signal in digital {
            out.extend_from_slice(&(signal[t] as i16).to_le_bytes());
        }
    }
    out
}

/// Format 212: the frame-major sample stream in pairs, each pair in three bytes (the first sample's
/// low byte, both samples' high nibbles, the second sample's low byte); an odd last sample is
/// padded with a zero.
fn pack_212(digital: &[Vec<i32>], n_samples: usize) -> Vec<u8> {
    let stream: Vec<u16> = (0..n_samples)
        .flat_map(|t| digital.iter().map(move |signal| (signal[t] & 0xFFF) as u16))
        .collect();
    let mut out = Vec::with_capacity(stream.len().div_ceil(2) * 3);
    for pair in stream.chunks(2) {
        let a = pair[0];
        let b = pair.get(1).copied().unwrap_or(0);
        out.push((a & 0xFF) as u8);
        out.push((((a >> 8) & 0x0F) | (((b >> 8) & 0x0F) << 4)) as u8);
        out.push((b & 0xFF) as u8);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wfdb::Record;

    fn scratch(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("precordial-wfdb-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn signals() -> (Vec<f64>, Vec<f64>, Vec<f64>) {
        let a: Vec<f64> = (0..101).map(|t| (t as f64 * 0.1).sin() * 1.5).collect();
        let mut b: Vec<f64> = (0..101).map(|t| -(t as f64 * 0.05).cos() * 0.8).collect();
        b[7] = f64::NAN;
        let c: Vec<f64> = (0..101).map(|t| t as f64 * 0.001 - 0.05).collect();
        (a, b, c)
    }

    /// Both formats read back through our reader to the rounded values, NaN kept, checksums right.
    #[test]
    fn round_trip_through_the_reader() {
        let (a, b, c) = signals();
        for format in [WriteFormat::Format16, WriteFormat::Format212] {
            let dir = scratch(&format!("rt{}", format.code()));
            let record = RecordToWrite {
                name: "rt",
                fs_hz: 100.0,
                signals: vec![
                    SignalToWrite {
                        name: "I",
                        samples_mv: &a,
                    },
                    SignalToWrite {
                        name: "V2",
                        samples_mv: &b,
                    },
                    SignalToWrite {
                        name: "V4",
                        samples_mv: &c,
                    },
                ],
                comments: vec!["reconstructed: V4".to_owned()],
                format,
            };
            let header = write_record(&dir, &record, false).unwrap();
            let read = Record::read(&header).unwrap();
            assert_eq!(read.signal_names(), ["I", "V2", "V4"]);
            assert_eq!(read.fs_hz(), 100.0);
            assert_eq!(read.checksum_mismatches().count(), 0, "{:?}", format);
            assert_eq!(read.header.comments, ["reconstructed: V4"]);
            let step = 1.0 / format.gain_adu_per_mv();
            for (written, got) in [&a, &b, &c].iter().zip(read.signals()) {
                assert_eq!(got.len(), written.len());
                for (w, g) in written.iter().zip(got) {
                    if w.is_nan() {
                        assert!(g.is_nan());
                    } else {
                        assert!((w - g).abs() <= step / 2.0 + 1e-12, "{w} vs {g}");
                    }
                }
            }
            // Never over an existing record unless asked.
            let again = write_record(&dir, &record, false).unwrap_err().to_string();
            assert!(again.contains("exists"), "{again}");
            write_record(&dir, &record, true).unwrap();
            std::fs::remove_dir_all(&dir).ok();
        }
    }

    #[test]
    fn out_of_range_and_bad_input_are_errors() {
        let dir = scratch("bad");
        let big = [0.0, 12.0];
        let huge = [0.0, 1e6];
        let record = |name, format| RecordToWrite {
            name,
            fs_hz: 100.0,
            signals: vec![SignalToWrite {
                name: "V1",
                samples_mv: &big,
            }],
            comments: Vec::new(),
            format,
        };
        // 12 mV exceeds format 212 at 200 adu/mV: written at 100, and read back to its step.
        let header = write_record(&dir, &record("big", WriteFormat::Format212), false).unwrap();
        let read = Record::read(&header).unwrap();
        assert_eq!(read.header.signals[0].adc_gain, 100.0);
        assert_eq!(read.signal(0).unwrap(), [0.0, 12.0]);
        let too_big = RecordToWrite {
            signals: vec![SignalToWrite {
                name: "V1",
                samples_mv: &huge,
            }],
            ..record("huge", WriteFormat::Format16)
        };
        let err = write_record(&dir, &too_big, false).unwrap_err().to_string();
        assert!(err.contains("beyond what format 16 can hold"), "{err}");
        let err = write_record(&dir, &record("a/b", WriteFormat::Format16), false)
            .unwrap_err()
            .to_string();
        assert!(err.contains("record name"), "{err}");
        std::fs::remove_dir_all(&dir).ok();
    }

    /// Format 212's packing by hand: samples 1, -2 and 2047 of one signal.
    #[test]
    fn format_212_packs_pairs_in_three_bytes() {
        let packed = pack_212(&[vec![1, -2, 2047]], 3);
        assert_eq!(packed, [0x01, 0xF0, 0xFE, 0xFF, 0x07, 0x00]);
    }
}
