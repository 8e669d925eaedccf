//! TEMPORARY stand-in for `crate::wfdb::Header`, which the lead is writing in main.
//! Same public API (fields `record_name`, `fs_hz`, `n_samples`, `signals`, `segments`, `comments`,
//! method `comment_value`); only as much parsing as the index needs. Deleted when main's reader lands.

use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum WfdbError {
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}:{line}: {message}", path.display())]
    Header {
        path: PathBuf,
        line: usize,
        message: String,
    },
}

#[derive(Clone, Debug)]
pub struct SignalSpec {
    pub file_name: String,
    pub units: String,
    pub description: String,
}

#[derive(Clone, Debug)]
pub struct SegmentSpec {
    pub record_name: String,
    pub n_samples: usize,
}

#[derive(Clone, Debug)]
pub struct Header {
    pub record_name: String,
    pub fs_hz: f64,
    pub n_samples: Option<usize>,
    pub signals: Vec<SignalSpec>,
    pub segments: Vec<SegmentSpec>,
    pub comments: Vec<String>,
}

impl Header {
    pub fn read(path: impl AsRef<Path>) -> Result<Self, WfdbError> {
        let path = path.as_ref();
        let path = if path.extension().is_some_and(|ext| ext == "hea") {
            path.to_path_buf()
        } else {
            let mut name = path.as_os_str().to_owned();
            name.push(".hea");
            PathBuf::from(name)
        };
        let bytes = std::fs::read(&path).map_err(|source| WfdbError::Io {
            path: path.clone(),
            source,
        })?;
        let text = String::from_utf8_lossy(&bytes);
        let bad = |line: usize, message: &str| WfdbError::Header {
            path: path.clone(),
            line,
            message: message.to_owned(),
        };
        let mut comments = Vec::new();
        let mut lines = Vec::new();
        for (i, line) in text.lines().enumerate() {
            let trimmed = line.trim();
            if let Some(comment) = trimmed.strip_prefix('#') {
                comments.push(comment.trim().to_owned());
            } else if !trimmed.is_empty() {
                lines.push((i + 1, trimmed));
            }
        }
        let Some(&(record_line_no, record_line)) = lines.first() else {
            return Err(bad(1, "no record line"));
        };
        let fields: Vec<&str> = record_line.split_whitespace().collect();
        let (record_name, n_segments) = match fields.first() {
            Some(name) => match name.split_once('/') {
                Some((name, n)) => (
                    name.to_owned(),
                    Some(
                        n.parse::<usize>()
                            .map_err(|_| bad(record_line_no, "bad segment count"))?,
                    ),
                ),
                None => ((*name).to_owned(), None),
            },
            None => return Err(bad(record_line_no, "empty record line")),
        };
        let n_signals: usize = fields
            .get(1)
            .ok_or_else(|| bad(record_line_no, "no signal count"))?
            .parse()
            .map_err(|_| bad(record_line_no, "bad signal count"))?;
        let fs_hz = match fields.get(2) {
            Some(fs) => {
                let number: String = fs
                    .chars()
                    .take_while(|c| c.is_ascii_digit() || *c == '.' || *c == 'e' || *c == '-')
                    .collect();
                number
                    .parse::<f64>()
                    .map_err(|_| bad(record_line_no, "bad sampling frequency"))?
            }
            None => 250.0,
        };
        let n_samples = match fields.get(3) {
            Some(n) => Some(
                n.parse::<usize>()
                    .map_err(|_| bad(record_line_no, "bad length"))?,
            ),
            None => None,
        };
        let mut segments = Vec::new();
        let mut signals = Vec::new();
        let rest = lines.get(1..).unwrap_or_default();
        if let Some(n_segments) = n_segments {
            for &(line_no, line) in rest.iter().take(n_segments) {
                let mut parts = line.split_whitespace();
                let record_name = parts.next().unwrap_or_default().to_owned();
                let n_samples = parts
                    .next()
                    .and_then(|n| n.parse().ok())
                    .ok_or_else(|| bad(line_no, "bad segment line"))?;
                segments.push(SegmentSpec {
                    record_name,
                    n_samples,
                });
            }
        } else {
            if rest.len() < n_signals {
                return Err(bad(record_line_no, "fewer signal lines than signals"));
            }
            for &(line_no, line) in rest.iter().take(n_signals) {
                let parts: Vec<&str> = line.split_whitespace().collect();
                if parts.len() < 2 {
                    return Err(bad(line_no, "signal line without format"));
                }
                let units = parts
                    .get(2)
                    .and_then(|gain| gain.split_once('/'))
                    .map_or("mV", |(_, units)| units)
                    .to_owned();
                signals.push(SignalSpec {
                    file_name: parts.first().copied().unwrap_or_default().to_owned(),
                    units,
                    description: parts.get(8..).unwrap_or_default().join(" "),
                });
            }
        }
        Ok(Self {
            record_name,
            fs_hz,
            n_samples,
            signals,
            segments,
            comments,
        })
    }

    pub fn comment_value(&self, key: &str) -> Option<&str> {
        self.comments.iter().find_map(|comment| {
            let (k, v) = comment.split_once(':')?;
            k.trim().eq_ignore_ascii_case(key).then(|| v.trim())
        })
    }
}
