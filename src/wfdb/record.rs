//! Reading a whole record into physical units, exactly as WFDB Python's `rdrecord` does.
//!
//! Signals are returned one vector per signal (column-major), which is what filtering and
//! windowing want. Frames with several samples per signal are averaged to one sample per frame
//! (`smooth_frames`), invalid samples become NaN, and multi-segment records are joined into one.

use std::path::Path;

use super::format::{self, SignalFormat};
use super::header::{Header, SignalSpec, header_path};
use super::{WfdbError, flac};

/// A record's signals in physical units, with the header they were read through.
#[derive(Clone, Debug)]
pub struct Record {
    pub header: Header,
    /// Signal names; for multi-segment records, the names of the layout.
    names: Vec<String>,
    /// Units per signal (`None` where a variable-layout record's segments disagree).
    units: Vec<Option<String>>,
    /// One vector of physical values per signal, all of the same length; NaN marks invalid samples.
    signals: Vec<Vec<f64>>,
    /// Per signal: how the data compared with the header's checksum.
    pub checksums: Vec<Checksum>,
    /// The formats of the files read (for reports; several for multi-segment records).
    pub formats: Vec<SignalFormat>,
}

/// Outcome of checking a signal against the 16-bit checksum in its header line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Checksum {
    Match,
    Mismatch {
        expected: i64,
        computed: i64,
    },
    /// The header gives no checksum (or the signal is joined from segments, each checked alone).
    NotGiven,
}

impl Record {
    /// Reads a record; `path` names the header with or without `.hea`, or an EDF/EDF+ file
    /// (`.edf`).
    pub fn read(path: impl AsRef<Path>) -> Result<Self, WfdbError> {
        let path = path.as_ref();
        if path
            .extension()
            .is_some_and(|extension| extension.eq_ignore_ascii_case("edf"))
        {
            return super::edf::read(path);
        }
        let header = Header::read(path)?;
        Self::from_header(header)
    }

    /// A record from signals read from another format (EDF, CSV): one header line per signal
    /// (format 16, unit gain, the file at `path`), base date and time where the format gives them.
    pub(crate) fn from_signals(
        path: &Path,
        fs_hz: f64,
        signals: Vec<(String, Option<String>, Vec<f64>)>,
        base: (Option<String>, Option<String>),
        comments: Vec<String>,
    ) -> Self {
        let file_name = path
            .file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
        let specs = signals
            .iter()
            .map(|(name, unit, _)| SignalSpec {
                file_name: file_name.clone(),
                format: SignalFormat::F16,
                samples_per_frame: 1,
                skew: 0,
                byte_offset: 0,
                adc_gain: 1.0,
                baseline: 0,
                units: unit.clone().unwrap_or_default(),
                adc_resolution_bits: None,
                adc_zero: 0,
                initial_value: None,
                checksum: None,
                block_size: 0,
                description: name.clone(),
            })
            .collect();
        let n_signals = signals.len();
        let header = Header {
            path: path.to_path_buf(),
            record_name: path
                .file_stem()
                .map_or_else(String::new, |s| s.to_string_lossy().into_owned()),
            n_signals,
            fs_hz,
            counter_freq_hz: None,
            base_counter: None,
            n_samples: Some(signals.first().map_or(0, |s| s.2.len())),
            base_date: base.0,
            base_time: base.1,
            signals: specs,
            segments: Vec::new(),
            comments,
        };
        let mut names = Vec::with_capacity(n_signals);
        let mut units = Vec::with_capacity(n_signals);
        let mut values = Vec::with_capacity(n_signals);
        for (name, unit, samples) in signals {
            names.push(name);
            units.push(unit);
            values.push(samples);
        }
        Self {
            header,
            names,
            units,
            signals: values,
            checksums: vec![Checksum::NotGiven; n_signals],
            formats: vec![SignalFormat::F16],
        }
    }

    /// Reads the signals a parsed header describes.
    pub fn from_header(header: Header) -> Result<Self, WfdbError> {
        if header.is_multi_segment() {
            read_multi_segment(header)
        } else {
            read_single_segment(header)
        }
    }

    pub fn fs_hz(&self) -> f64 {
        self.header.fs_hz
    }

    pub fn n_signals(&self) -> usize {
        self.signals.len()
    }

    /// Samples per signal.
    pub fn n_samples(&self) -> usize {
        self.signals.first().map_or(0, Vec::len)
    }

    pub fn duration_s(&self) -> f64 {
        self.n_samples() as f64 / self.fs_hz()
    }

    pub fn signal_names(&self) -> Vec<&str> {
        self.names.iter().map(String::as_str).collect()
    }

    /// Units of each signal as written (`None` where joined segments disagree).
    pub fn units(&self) -> Vec<Option<&str>> {
        self.units.iter().map(Option::as_deref).collect()
    }

    /// Physical values of signal `index`, NaN where invalid.
    pub fn signal(&self, index: usize) -> Option<&[f64]> {
        self.signals.get(index).map(Vec::as_slice)
    }

    /// All signals, one slice each.
    pub fn signals(&self) -> impl ExactSizeIterator<Item = &[f64]> {
        self.signals.iter().map(Vec::as_slice)
    }

    /// Index of the first signal with this name, compared case-insensitively (`AVR` = `aVR`).
    pub fn signal_index(&self, name: &str) -> Option<usize> {
        self.names.iter().position(|n| n.eq_ignore_ascii_case(name))
    }

    pub fn signal_by_name(&self, name: &str) -> Option<&[f64]> {
        self.signal_index(name).and_then(|i| self.signal(i))
    }

    /// Signals whose data disagree with the header's checksum.
    pub fn checksum_mismatches(&self) -> impl Iterator<Item = (usize, Checksum)> + '_ {
        self.checksums
            .iter()
            .copied()
            .enumerate()
            .filter(|(_, c)| matches!(c, Checksum::Mismatch { .. }))
    }
}

fn read_single_segment(header: Header) -> Result<Record, WfdbError> {
    let n_signals = header.signals.len();
    let mut digital: Vec<Vec<i64>> = vec![Vec::new(); n_signals];
    let mut checksums = vec![Checksum::NotGiven; n_signals];
    let mut formats = Vec::new();
    let mut n_frames = header.n_samples;

    // Signals sharing a file are stored interleaved in it; read each file once.
    for group in file_groups(&header.signals) {
        let first = &header.signals[group[0]];
        if first.format == SignalFormat::Null {
            // Nothing stored: the signal is all invalid (it takes the record's length below).
            continue;
        }
        if first.file_name == "~" {
            return Err(WfdbError::Data {
                path: header.path.clone(),
                message: format!("signal '{}' has no signal file ('~')", first.description),
            });
        }
        let specs: Vec<&SignalSpec> = group.iter().map(|&i| &header.signals[i]).collect();
        let file = read_file_group(&header, &specs, n_frames)?;
        n_frames.get_or_insert(file.n_frames);
        if !formats.contains(&first.format) {
            formats.push(first.format);
        }
        for (k, (samples, checksum)) in file.signals.into_iter().enumerate() {
            digital[group[k]] = samples;
            checksums[group[k]] = checksum;
        }
    }

    let n_frames = n_frames.unwrap_or(0);
    for (spec, samples) in header.signals.iter().zip(&mut digital) {
        if spec.format == SignalFormat::Null {
            *samples = vec![0; n_frames];
        }
    }
    let signals = header
        .signals
        .iter()
        .zip(&digital)
        .map(|(spec, samples)| to_physical(spec, samples))
        .collect();
    Ok(Record {
        names: header
            .signals
            .iter()
            .map(|s| s.description.clone())
            .collect(),
        units: header
            .signals
            .iter()
            .map(|s| Some(s.units.clone()))
            .collect(),
        signals,
        checksums,
        formats,
        header,
    })
}

/// Indices of signals grouped by file name, groups in order of first appearance.
fn file_groups(signals: &[SignalSpec]) -> Vec<Vec<usize>> {
    let mut groups: Vec<Vec<usize>> = Vec::new();
    for (index, signal) in signals.iter().enumerate() {
        match groups
            .iter_mut()
            .find(|g| signals[g[0]].file_name == signal.file_name)
        {
            Some(group) => group.push(index),
            None => groups.push(vec![index]),
        }
    }
    groups
}

struct FileSignals {
    n_frames: usize,
    /// Per signal of the group: one digital sample per frame (frames averaged), and its checksum.
    signals: Vec<(Vec<i64>, Checksum)>,
}

fn read_file_group(
    header: &Header,
    specs: &[&SignalSpec],
    n_frames: Option<usize>,
) -> Result<FileSignals, WfdbError> {
    let first = specs[0];
    let path = header.dir().join(&first.file_name);
    let bad = |message: String| WfdbError::Data {
        path: path.clone(),
        message,
    };
    let format = first.format;
    if let Some(other) = specs.iter().find(|s| s.format != format) {
        return Err(bad(format!(
            "signals in one file must share a format, found {} and {}",
            format.code(),
            other.format.code()
        )));
    }
    let bytes = std::fs::read(&path).map_err(|error| WfdbError::Io {
        path: path.clone(),
        error,
    })?;
    let frame_len = specs
        .iter()
        .try_fold(0usize, |acc, s| acc.checked_add(s.samples_per_frame))
        .ok_or_else(|| bad("samples per frame overflow".into()))?;
    let max_skew = specs.iter().map(|s| s.skew).max().unwrap_or(0);

    let (mut flat, n_frames) = if format.is_flac() {
        let spf = first.samples_per_frame;
        if specs.iter().any(|s| s.samples_per_frame != spf) {
            return Err(bad(
                "all signals of a FLAC file must have the same samples per frame".into(),
            ));
        }
        let flat = flac::decode_file(
            &path,
            &bytes,
            format,
            specs.len(),
            spf,
            first.byte_offset,
            n_frames,
        )?;
        let n = flat.len() / frame_len;
        (flat, n)
    } else {
        let offset = usize::try_from(first.byte_offset).unwrap_or(usize::MAX);
        let data = bytes.get(offset..).ok_or_else(|| {
            bad(format!(
                "byte offset {offset} lies past the end of the file ({} bytes)",
                bytes.len()
            ))
        })?;
        let frames_in_file = format
            .samples_in_bytes(data.len())
            .map_or(0, |n| n / frame_len);
        let n_frames = n_frames.unwrap_or(frames_in_file);
        let n_flat = n_frames
            .checked_mul(frame_len)
            .ok_or_else(|| bad("record length overflows".into()))?;
        let needed = format.bytes_for_samples(n_flat).unwrap_or(0);
        // Packed formats may end mid-block when the writer did not pad.
        let minimum = match format {
            SignalFormat::F212 => (3 * n_flat).div_ceil(2),
            SignalFormat::F310 | SignalFormat::F311 => {
                let tail = match (format, n_flat % 3) {
                    (_, 0) => 0,
                    (_, 1) => 2,
                    (SignalFormat::F311, _) => 3,
                    _ => 4,
                };
                4 * (n_flat / 3) + tail
            }
            _ => needed,
        };
        if data.len() < minimum {
            return Err(bad(format!(
                "file is truncated: {} frames of {frame_len} samples need {needed} bytes after \
                 offset {offset}, found {}",
                n_frames,
                data.len()
            )));
        }
        let mut flat = Vec::new();
        format::decode(format, data, n_flat, &mut flat);
        (flat, n_frames)
    };

    // Like WFDB Python, read exactly the header's frames and pad with zeros for skewed signals.
    if max_skew > n_frames {
        return Err(bad(format!(
            "skew of {max_skew} frames exceeds the record's {n_frames} frames"
        )));
    }
    flat.resize((n_frames + max_skew) * frame_len, 0);
    let padded_frames = n_frames + max_skew;

    let mut signals = Vec::with_capacity(specs.len());
    let mut start_in_frame = 0;
    for spec in specs {
        let spf = spec.samples_per_frame;
        // De-interleave this signal's samples.
        let mut expanded: Vec<i64> = Vec::with_capacity(padded_frames * spf);
        for frame in flat.chunks_exact(frame_len) {
            expanded.extend(
                frame[start_in_frame..start_in_frame + spf]
                    .iter()
                    .map(|&v| v as i64),
            );
        }
        start_in_frame += spf;

        if format == SignalFormat::F8 {
            // First differences: integrate from the initial value.
            let mut acc = spec.initial_value.unwrap_or(spec.adc_zero);
            for v in &mut expanded {
                acc += *v;
                *v = acc;
            }
        }

        // The checksum covers the samples stored for this signal, before any skew.
        let checksum = match spec.checksum {
            Some(expected) => {
                let computed = checksum16(&expanded[..n_frames * spf]);
                if computed == wrap16(expected) {
                    Checksum::Match
                } else {
                    Checksum::Mismatch { expected, computed }
                }
            }
            None => Checksum::NotGiven,
        };
        // Skew: this signal's sample for frame t sits `skew` frames later in the file.
        expanded.drain(..spec.skew * spf);
        expanded.truncate(n_frames * spf);
        if let Some(invalid) = format.invalid_sample() {
            // WFDB Python marks `skew` trailing samples (not frames) as invalid.
            let n = spec.skew.min(expanded.len());
            let len = expanded.len();
            expanded[len - n..].fill(invalid as i64);
        }
        signals.push((smooth_frames(expanded, spf), checksum));
    }
    Ok(FileSignals { n_frames, signals })
}

/// Averages each frame's samples to one, truncating toward zero as WFDB Python does (invalid
/// samples are averaged like the others: a frame is invalid only if its mean is the marker).
fn smooth_frames(expanded: Vec<i64>, samples_per_frame: usize) -> Vec<i64> {
    if samples_per_frame == 1 {
        return expanded;
    }
    expanded
        .chunks_exact(samples_per_frame)
        .map(|frame| frame.iter().sum::<i64>() / samples_per_frame as i64)
        .collect()
}

fn to_physical(spec: &SignalSpec, digital: &[i64]) -> Vec<f64> {
    if spec.format == SignalFormat::Null {
        return vec![f64::NAN; digital.len()];
    }
    let invalid = spec.format.invalid_sample().map(i64::from);
    let baseline = spec.baseline as f64;
    let gain = spec.adc_gain;
    digital
        .iter()
        .map(|&d| {
            if Some(d) == invalid {
                f64::NAN
            } else {
                (d as f64 - baseline) / gain
            }
        })
        .collect()
}

/// The WFDB checksum: the sum of all samples as a signed 16-bit number.
fn checksum16(samples: &[i64]) -> i64 {
    wrap16(samples.iter().fold(0i64, |acc, &v| acc.wrapping_add(v)))
}

fn wrap16(value: i64) -> i64 {
    value as i16 as i64
}

fn read_multi_segment(header: Header) -> Result<Record, WfdbError> {
    let dir = header.dir().to_path_buf();
    let variable_layout = header.segments[0].n_samples == 0;
    let total: usize = header.segments.iter().map(|s| s.n_samples).sum();
    let n_samples = header.n_samples.unwrap_or(total);

    let read_segment = |name: &str| -> Result<Record, WfdbError> {
        let record = Record::read(header_path(&dir.join(name)))?;
        if record.header.is_multi_segment() {
            return Err(WfdbError::Data {
                path: record.header.path,
                message: "a segment may not itself be a multi-segment record".into(),
            });
        }
        Ok(record)
    };

    // The layout gives the record's signals: the layout segment for variable layouts, else the
    // first segment (every segment of a fixed layout has the same signals).
    let (names, segments_start) = if variable_layout {
        let layout = Header::read(header_path(&dir.join(&header.segments[0].name)))?;
        let names: Vec<String> = layout
            .signals
            .iter()
            .map(|s| s.description.clone())
            .collect();
        (names, 1)
    } else {
        (Vec::new(), 0)
    };

    // Read every segment first: each is checked against its own files, and against the length
    // the parent header gives it, before anything the size of the whole record is allocated.
    let mut parts = Vec::new();
    let mut start = 0usize;
    for segment in &header.segments[segments_start..] {
        if segment.name != "~" {
            let record = read_segment(&segment.name)?;
            if record.n_samples() != segment.n_samples {
                return Err(WfdbError::Data {
                    path: header.path.clone(),
                    message: format!(
                        "segment '{}' holds {} samples, the header gives it {}",
                        segment.name,
                        record.n_samples(),
                        segment.n_samples
                    ),
                });
            }
            parts.push((start, record));
        }
        start = start.saturating_add(segment.n_samples);
    }
    let mut names = names;
    if names.is_empty() {
        names = parts
            .first()
            .map(|(_, r)| r.names.clone())
            .unwrap_or_default();
    }

    let mut signals = Vec::with_capacity(names.len());
    for _ in &names {
        signals.push(nan_vec(n_samples).ok_or_else(|| WfdbError::Data {
            path: header.path.clone(),
            message: format!("cannot hold {n_samples} samples per signal in memory"),
        })?);
    }
    let mut units: Vec<Option<String>> = vec![None; names.len()];
    let mut units_known = vec![false; names.len()];
    let mut formats = Vec::new();
    for (start, record) in &parts {
        for f in &record.formats {
            if !formats.contains(f) {
                formats.push(*f);
            }
        }
        for (ch, name) in names.iter().enumerate() {
            let Some(seg_ch) = record.names.iter().position(|n| n == name) else {
                continue;
            };
            let seg_units = record.units[seg_ch].clone();
            if !units_known[ch] {
                units[ch] = seg_units;
                units_known[ch] = true;
            } else if units[ch] != seg_units {
                units[ch] = None;
            }
            let source = &record.signals[seg_ch];
            let start = (*start).min(n_samples);
            let n = source.len().min(n_samples - start);
            signals[ch][start..start + n].copy_from_slice(&source[..n]);
        }
    }
    Ok(Record {
        checksums: vec![Checksum::NotGiven; names.len()],
        names,
        units,
        signals,
        formats,
        header,
    })
}

/// A vector of `n` NaNs, or `None` where memory cannot hold it (a header may claim any length).
fn nan_vec(n: usize) -> Option<Vec<f64>> {
    let mut v = Vec::new();
    v.try_reserve_exact(n).ok()?;
    v.resize(n, f64::NAN);
    Some(v)
}
