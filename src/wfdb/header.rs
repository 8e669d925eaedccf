//! The `.hea` header: record line, signal lines or segment lines, and comments.
//!
//! The grammar follows the WFDB specification (`header(5)`) with the same defaults as WFDB Python's
//! `rdheader`, so that a record reads to the same values here and there. Parsing is strict about
//! numbers (a malformed field is an error naming the line) and lenient about layout (tabs, runs of
//! spaces, blank lines, comments anywhere).

use std::path::{Path, PathBuf};

use super::WfdbError;
use super::format::SignalFormat;

/// Sampling frequency WFDB assumes when a header gives none.
pub const DEFAULT_FS_HZ: f64 = 250.0;
/// ADC gain WFDB assumes when a header gives none, or gives 0 ("uncalibrated").
pub const DEFAULT_GAIN_ADU_PER_UNIT: f64 = 200.0;

/// A parsed header. Signal data is not touched: see [`super::Record`] for that.
#[derive(Clone, Debug, PartialEq)]
pub struct Header {
    /// Where the header was read from (the `.hea` file), used to resolve signal files.
    pub path: PathBuf,
    /// Record name as written on the record line (Georgia headers include `.mat`).
    pub record_name: String,
    /// Number of signals declared on the record line.
    pub n_signals: usize,
    /// Samples per second per signal (frames per second when signals have several samples per frame).
    pub fs_hz: f64,
    /// Counter frequency (ticks per second) and the counter value at sample 0, when given.
    pub counter_freq_hz: Option<f64>,
    pub base_counter: Option<f64>,
    /// Number of frames per signal; `None` when the header omits it (then the file size decides).
    pub n_samples: Option<usize>,
    /// Start time `HH:MM:SS[.ffffff]` and date `DD/MM/YYYY` as written.
    pub base_time: Option<String>,
    pub base_date: Option<String>,
    /// One entry per signal line (empty for a multi-segment header).
    pub signals: Vec<SignalSpec>,
    /// One entry per segment line (empty unless this is a multi-segment header).
    pub segments: Vec<SegmentSpec>,
    /// Comment lines without the leading `#`, trimmed, in file order.
    pub comments: Vec<String>,
}

/// One signal line.
#[derive(Clone, Debug, PartialEq)]
pub struct SignalSpec {
    /// Signal file name relative to the header's folder (`~` means no file).
    pub file_name: String,
    pub format: SignalFormat,
    /// Samples of this signal in each frame (`16x2` → 2).
    pub samples_per_frame: usize,
    /// Frames by which this signal lags the others in the file (`:3`).
    pub skew: usize,
    /// Bytes to skip at the start of the file (`+24`), or samples for FLAC formats.
    pub byte_offset: u64,
    /// ADC units per physical unit (0 or missing means [`DEFAULT_GAIN_ADU_PER_UNIT`]).
    pub adc_gain: f64,
    /// ADC value corresponding to 0 physical units.
    pub baseline: i64,
    /// Physical unit as written (`mV`, `1000/mv` headers give `mv`).
    pub units: String,
    pub adc_resolution_bits: Option<u32>,
    pub adc_zero: i64,
    /// First sample value, used by format 8 (first differences) and to sanity-check the data.
    pub initial_value: Option<i64>,
    /// 16-bit sum of all samples, when written.
    pub checksum: Option<i64>,
    pub block_size: u32,
    /// Signal name, e.g. the lead (`I`, `V2`, `MLII`).
    pub description: String,
}

/// One segment line of a multi-segment header.
#[derive(Clone, Debug, PartialEq)]
pub struct SegmentSpec {
    /// Segment record name, or `~` for a gap.
    pub name: String,
    /// Frames in the segment (0 marks the layout segment of a variable-layout record).
    pub n_samples: usize,
}

impl Header {
    /// Reads and parses a header. `path` may name the `.hea` file or the record without extension.
    pub fn read(path: impl AsRef<Path>) -> Result<Self, WfdbError> {
        let path = header_path(path.as_ref());
        let bytes = std::fs::read(&path).map_err(|error| WfdbError::Io {
            path: path.clone(),
            error,
        })?;
        // Headers are ASCII by specification; tolerate Latin-1 descriptions rather than refuse them.
        let text = String::from_utf8(bytes)
            .unwrap_or_else(|err| err.into_bytes().iter().map(|&b| b as char).collect());
        Self::parse(&text, &path)
    }

    /// Parses header text; `path` is only used to resolve signal files and to name errors.
    pub fn parse(text: &str, path: &Path) -> Result<Self, WfdbError> {
        let syntax = |line: usize, message: String| WfdbError::Header {
            path: path.to_path_buf(),
            line,
            message,
        };
        let mut comments = Vec::new();
        let mut lines = Vec::new();
        for (index, raw) in text.lines().enumerate() {
            let trimmed = raw.trim();
            if let Some(comment) = trimmed.strip_prefix('#') {
                comments.push(comment.trim().to_owned());
            } else if !trimmed.is_empty() {
                lines.push((index + 1, raw));
            }
        }
        let Some(&(record_line_no, record_line)) = lines.first() else {
            return Err(syntax(
                1,
                "no record line (the file is empty or only comments)".into(),
            ));
        };
        let record = parse_record_line(record_line).map_err(|m| syntax(record_line_no, m))?;
        let body = &lines[1..];

        let mut header = Header {
            path: path.to_path_buf(),
            record_name: record.name,
            n_signals: record.n_signals,
            fs_hz: record.fs_hz.unwrap_or(DEFAULT_FS_HZ),
            counter_freq_hz: record.counter_freq_hz,
            base_counter: record.base_counter,
            n_samples: record.n_samples,
            base_time: record.base_time,
            base_date: record.base_date,
            signals: Vec::new(),
            segments: Vec::new(),
            comments,
        };

        if let Some(n_segments) = record.n_segments {
            if body.len() < n_segments {
                return Err(syntax(
                    record_line_no,
                    format!(
                        "the record line declares {n_segments} segments but {} segment lines follow",
                        body.len()
                    ),
                ));
            }
            for &(line_no, line) in &body[..n_segments] {
                header
                    .segments
                    .push(parse_segment_line(line).map_err(|m| syntax(line_no, m))?);
            }
        } else {
            if body.len() < header.n_signals {
                return Err(syntax(
                    record_line_no,
                    format!(
                        "the record line declares {} signals but {} signal lines follow",
                        header.n_signals,
                        body.len()
                    ),
                ));
            }
            for (index, &(line_no, line)) in body[..header.n_signals].iter().enumerate() {
                let signal = parse_signal_line(line, &header.record_name, index)
                    .map_err(|m| syntax(line_no, m))?;
                header.signals.push(signal);
            }
        }
        Ok(header)
    }

    /// True for a multi-segment header (`name/N` on the record line).
    pub fn is_multi_segment(&self) -> bool {
        !self.segments.is_empty()
    }

    /// The folder holding the header, against which signal files and segments resolve.
    pub fn dir(&self) -> &Path {
        self.path.parent().unwrap_or_else(|| Path::new("."))
    }

    /// Duration in seconds, when the length is known.
    pub fn duration_s(&self) -> Option<f64> {
        self.n_samples.map(|n| n as f64 / self.fs_hz)
    }

    /// Signal names as written in the header.
    pub fn signal_names(&self) -> Vec<&str> {
        self.signals
            .iter()
            .map(|s| s.description.as_str())
            .collect()
    }

    /// The value of a `#Key: value` comment (key compared case-insensitively, value trimmed).
    pub fn comment_value(&self, key: &str) -> Option<&str> {
        self.comment_fields()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v)
    }

    /// All `Key: value` comments, in file order.
    pub fn comment_fields(&self) -> impl Iterator<Item = (&str, &str)> {
        self.comments.iter().filter_map(|c| {
            let (key, value) = c.split_once(':')?;
            Some((key.trim(), value.trim()))
        })
    }
}

/// `rec`, `rec.hea` and `dir/rec.hea` all name the header `dir/rec.hea`.
pub fn header_path(path: &Path) -> PathBuf {
    if path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("hea"))
    {
        path.to_path_buf()
    } else {
        let mut os = path.as_os_str().to_owned();
        os.push(".hea");
        PathBuf::from(os)
    }
}

struct RecordLine {
    name: String,
    n_segments: Option<usize>,
    n_signals: usize,
    fs_hz: Option<f64>,
    counter_freq_hz: Option<f64>,
    base_counter: Option<f64>,
    n_samples: Option<usize>,
    base_time: Option<String>,
    base_date: Option<String>,
}

fn parse_record_line(line: &str) -> Result<RecordLine, String> {
    let mut fields = line.split_whitespace();
    let name_field = fields.next().ok_or("empty record line")?;
    let (name, n_segments) = match name_field.split_once('/') {
        Some((name, n)) => {
            let n = parse_count(n, "number of segments")?;
            if n == 0 {
                return Err("a multi-segment record needs at least one segment".into());
            }
            (name, Some(n))
        }
        None => (name_field, None),
    };
    if name.is_empty() {
        return Err("empty record name".into());
    }
    let n_signals = parse_count(
        fields
            .next()
            .ok_or("the record line has no number of signals")?,
        "number of signals",
    )?;

    let mut record = RecordLine {
        name: name.to_owned(),
        n_segments,
        n_signals,
        fs_hz: None,
        counter_freq_hz: None,
        base_counter: None,
        n_samples: None,
        base_time: None,
        base_date: None,
    };
    if let Some(freq) = fields.next() {
        // fs[/counter_freq[(base_counter)]]
        let (fs, counter) = match freq.split_once('/') {
            Some((fs, counter)) => (fs, Some(counter)),
            None => (freq, None),
        };
        let fs = parse_float(fs, "sampling frequency")?;
        if fs.is_nan() || fs <= 0.0 || fs.is_infinite() {
            return Err(format!("sampling frequency must be positive, got '{freq}'"));
        }
        record.fs_hz = Some(fs);
        if let Some(counter) = counter {
            let (freq, base) = split_parenthesised(counter)?;
            record.counter_freq_hz = Some(parse_float(freq, "counter frequency")?);
            if let Some(base) = base {
                record.base_counter = Some(parse_float(base, "base counter value")?);
            }
        }
    }
    if let Some(length) = fields.next() {
        record.n_samples = Some(parse_count(length, "number of samples per signal")?);
    }
    if let Some(time) = fields.next() {
        if !time.contains(':') && time.contains('/') {
            // A date with no time.
            record.base_date = Some(time.to_owned());
        } else {
            record.base_time = Some(time.to_owned());
            record.base_date = fields.next().map(str::to_owned);
        }
    }
    Ok(record)
}

fn parse_signal_line(line: &str, record_name: &str, index: usize) -> Result<SignalSpec, String> {
    let mut fields = line.split_whitespace();
    let file_name = fields.next().ok_or("empty signal line")?.to_owned();
    let format_field = fields
        .next()
        .ok_or_else(|| format!("signal {index} has no format"))?;

    // format[xspf][:skew][+offset]
    let (rest, byte_offset) = match format_field.split_once('+') {
        Some((rest, offset)) => (rest, parse_count(offset, "byte offset")? as u64),
        None => (format_field, 0),
    };
    let (rest, skew) = match rest.split_once(':') {
        Some((rest, skew)) => (rest, parse_count(skew, "skew")?),
        None => (rest, 0),
    };
    let (code, samples_per_frame) = match rest.split_once('x') {
        Some((code, spf)) => (code, parse_count(spf, "samples per frame")?),
        None => (rest, 1),
    };
    if samples_per_frame == 0 {
        return Err("samples per frame must be at least 1".into());
    }
    let code: u32 = code
        .parse()
        .map_err(|_| format!("'{format_field}' is not a signal format"))?;
    let format = SignalFormat::from_code(code)
        .ok_or_else(|| format!("signal format {code} is not a WFDB format this reader knows"))?;

    // gain[(baseline)][/units]
    let mut adc_gain = DEFAULT_GAIN_ADU_PER_UNIT;
    let mut baseline = None;
    let mut units = "mV".to_owned();
    let gain_field = fields.next();
    if let Some(gain_field) = gain_field {
        let (gain_and_baseline, unit) = match gain_field.split_once('/') {
            Some((g, u)) => (g, Some(u)),
            None => (gain_field, None),
        };
        let (gain, base) = split_parenthesised(gain_and_baseline)?;
        let gain = parse_float(gain, "ADC gain")?;
        if !gain.is_finite() {
            return Err(format!("ADC gain '{gain_field}' is not a finite number"));
        }
        if gain != 0.0 {
            adc_gain = gain;
        }
        if let Some(base) = base {
            baseline = Some(parse_int(base, "baseline")?);
        }
        if let Some(unit) = unit.filter(|u| !u.is_empty()) {
            units = unit.to_owned();
        }
    }
    let adc_resolution_bits = fields
        .next()
        .map(|f| parse_count(f, "ADC resolution").map(|b| b as u32))
        .transpose()?;
    let adc_zero_field = fields.next();
    let adc_zero = adc_zero_field
        .map(|f| parse_int(f, "ADC zero"))
        .transpose()?
        .unwrap_or(0);
    let initial_value = fields
        .next()
        .map(|f| parse_int(f, "initial value"))
        .transpose()?;
    let checksum = fields
        .next()
        .map(|f| parse_int(f, "checksum"))
        .transpose()?;
    let block_size = fields
        .next()
        .map(|f| parse_count(f, "block size").map(|b| b as u32))
        .transpose()?
        .unwrap_or(0);
    // The description is the rest of the line, inner spaces kept.
    let description = description_after_fields(line, 8)
        .map(str::to_owned)
        .unwrap_or_else(|| format!("{record_name}, signal {index}"));
    // As in WFDB Python: a missing baseline takes the ADC zero when that is written.
    let baseline = baseline.unwrap_or(if adc_zero_field.is_some() {
        adc_zero
    } else {
        0
    });

    Ok(SignalSpec {
        file_name,
        format,
        samples_per_frame,
        skew,
        byte_offset,
        adc_gain,
        baseline,
        units,
        adc_resolution_bits,
        adc_zero,
        initial_value,
        checksum,
        block_size,
        description,
    })
}

fn parse_segment_line(line: &str) -> Result<SegmentSpec, String> {
    let mut fields = line.split_whitespace();
    let name = fields.next().ok_or("empty segment line")?.to_owned();
    let n_samples = parse_count(
        fields
            .next()
            .ok_or_else(|| format!("segment '{name}' has no length"))?,
        "segment length",
    )?;
    Ok(SegmentSpec { name, n_samples })
}

/// The text after the first `n` whitespace-separated fields, trimmed; `None` if nothing is left.
fn description_after_fields(line: &str, n: usize) -> Option<&str> {
    let mut rest = line.trim_start();
    for _ in 0..n {
        let end = rest.find(char::is_whitespace)?;
        rest = rest[end..].trim_start();
    }
    let rest = rest.trim_end();
    (!rest.is_empty()).then_some(rest)
}

/// `a(b)` → (`a`, Some(`b`)), `a` → (`a`, None).
fn split_parenthesised(field: &str) -> Result<(&str, Option<&str>), String> {
    match field.split_once('(') {
        Some((head, tail)) => {
            let inner = tail
                .strip_suffix(')')
                .ok_or_else(|| format!("unclosed parenthesis in '{field}'"))?;
            Ok((head, Some(inner)))
        }
        None => Ok((field, None)),
    }
}

fn parse_float(text: &str, what: &str) -> Result<f64, String> {
    text.parse::<f64>()
        .map_err(|_| format!("{what} '{text}' is not a number"))
}

fn parse_int(text: &str, what: &str) -> Result<i64, String> {
    text.parse::<i64>()
        .map_err(|_| format!("{what} '{text}' is not an integer"))
}

fn parse_count(text: &str, what: &str) -> Result<usize, String> {
    text.parse::<usize>()
        .map_err(|_| format!("{what} '{text}' is not a non-negative integer"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Header, WfdbError> {
        Header::parse(text, Path::new("test.hea"))
    }

    #[test]
    fn full_record_and_signal_lines() {
        let h = parse(
            "03700181 1 125/1000(12) 75000 17:27:45 15/08/1994\n\
             03700181.dat 212x4:2+512 2963.77(-5)/mV 12 1 67 -11266 0 MCL1 lead\n\
             # Age: 56\n",
        )
        .unwrap();
        assert_eq!(h.record_name, "03700181");
        assert_eq!(h.fs_hz, 125.0);
        assert_eq!(h.counter_freq_hz, Some(1000.0));
        assert_eq!(h.base_counter, Some(12.0));
        assert_eq!(h.n_samples, Some(75000));
        assert_eq!(h.base_time.as_deref(), Some("17:27:45"));
        assert_eq!(h.base_date.as_deref(), Some("15/08/1994"));
        let s = &h.signals[0];
        assert_eq!(s.format, SignalFormat::F212);
        assert_eq!((s.samples_per_frame, s.skew, s.byte_offset), (4, 2, 512));
        assert_eq!(
            (s.adc_gain, s.baseline, s.units.as_str()),
            (2963.77, -5, "mV")
        );
        assert_eq!((s.adc_resolution_bits, s.adc_zero), (Some(12), 1));
        assert_eq!(
            (s.initial_value, s.checksum, s.block_size),
            (Some(67), Some(-11266), 0)
        );
        assert_eq!(s.description, "MCL1 lead");
        assert_eq!(h.comment_value("age"), Some("56"));
    }

    #[test]
    fn defaults_follow_wfdb_python() {
        let h = parse("r 2\nr.dat 16\nr.dat 16 0 12 7\n").unwrap();
        assert_eq!(h.fs_hz, DEFAULT_FS_HZ);
        assert_eq!(h.n_samples, None);
        assert_eq!(h.signals[0].adc_gain, DEFAULT_GAIN_ADU_PER_UNIT);
        assert_eq!(h.signals[0].baseline, 0);
        assert_eq!(h.signals[0].description, "r, signal 0");
        // Gain 0 means uncalibrated: 200; the missing baseline takes the ADC zero.
        assert_eq!(h.signals[1].adc_gain, DEFAULT_GAIN_ADU_PER_UNIT);
        assert_eq!(h.signals[1].baseline, 7);
    }

    #[test]
    fn matlab_wrapper_and_lower_case_units() {
        let h = parse("E07500.mat 1 500 5000\nE07500.mat 16+24 1000/mv 16 0 -4 1 0 I\n").unwrap();
        assert_eq!(h.record_name, "E07500.mat");
        assert_eq!(h.signals[0].byte_offset, 24);
        assert_eq!(h.signals[0].units, "mv");
    }

    #[test]
    fn multi_segment() {
        let h = parse("m/3 2 360 1000\nm_layout 0\n~ 200\nm_0001 800\n").unwrap();
        assert!(h.is_multi_segment());
        assert_eq!(h.segments.len(), 3);
        assert_eq!(h.segments[1].name, "~");
        assert_eq!(h.segments[2].n_samples, 800);
    }

    #[test]
    fn errors_name_the_line() {
        let err = parse("# c\nr 1 500 10\nr.dat 16 abc/mV\n").unwrap_err();
        assert_eq!(
            err.to_string(),
            "test.hea:3: ADC gain 'abc' is not a number"
        );
        let err = parse("r 1 500\nr.dat 999 200\n").unwrap_err();
        assert!(err.to_string().contains("format 999"), "{err}");
        let err = parse("r 2 500\nr.dat 16\n").unwrap_err();
        assert!(
            err.to_string().contains("declares 2 signals but 1"),
            "{err}"
        );
        assert!(parse("").is_err());
        assert!(parse("r 1 -5\nr.dat 16\n").is_err());
        assert!(parse("r 1 500\nr.dat 16 nan\n").is_err());
    }
}
