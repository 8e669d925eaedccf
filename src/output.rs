//! Writing results: signals as CSV, and files that appear complete or not at all.
//!
//! Every command that writes user-visible files goes through [`write_file`], so none of them can
//! leave a half-written file behind or replace an existing one without being asked.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};

/// A file could not be written; the message names it.
#[derive(Debug, thiserror::Error)]
#[error("{}: {message}", path.display())]
pub struct OutputError {
    pub path: PathBuf,
    pub message: String,
}

/// Writes rows of `signals` under a header row of `names`. Values use Rust's shortest exact
/// representation (17 significant digits at most, never fewer than needed to read back the same
/// number), and `NaN` for invalid samples. Signals shorter than the first end the table.
pub fn write_signals_csv(
    out: &mut dyn std::io::Write,
    names: &[&str],
    signals: &[&[f64]],
) -> std::io::Result<()> {
    let header: Vec<String> = names.iter().map(|n| csv_field(n)).collect();
    writeln!(out, "{}", header.join(","))?;
    let n = signals.iter().map(|s| s.len()).min().unwrap_or(0);
    let mut line = String::new();
    for t in 0..n {
        line.clear();
        for (k, signal) in signals.iter().enumerate() {
            if k > 0 {
                line.push(',');
            }
            let v = signal[t];
            if v.is_nan() {
                line.push_str("NaN");
            } else {
                write!(line, "{v}").ok();
            }
        }
        line.push('\n');
        out.write_all(line.as_bytes())?;
    }
    Ok(())
}

/// Quotes a CSV field when it holds a comma, quote or line break (RFC 4180).
pub fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_owned()
    }
}

/// Writes to `path` (`-` for standard output) through a temporary file renamed into place, so an
/// interrupted write never leaves a half-written file, and an existing file is only replaced
/// when `overwrite` is set.
pub fn write_file(
    path: &Path,
    overwrite: bool,
    write: impl FnOnce(&mut dyn std::io::Write) -> std::io::Result<()>,
) -> Result<(), OutputError> {
    let fail = |message: String| OutputError {
        path: path.to_path_buf(),
        message,
    };
    if path == Path::new("-") {
        let stdout = std::io::stdout();
        let mut out = std::io::BufWriter::new(stdout.lock());
        return write(&mut out)
            .and_then(|()| out.flush())
            .map_err(|e| fail(format!("writing to standard output: {e}")));
    }
    if path.exists() && !overwrite {
        return Err(fail("file exists (pass --overwrite to replace it)".into()));
    }
    let file_name = path
        .file_name()
        .ok_or_else(|| fail("not a file path".into()))?;
    let mut tmp_name = std::ffi::OsString::from(".");
    tmp_name.push(file_name);
    tmp_name.push(format!(".{}.tmp", std::process::id()));
    let tmp = path.with_file_name(tmp_name);
    let result = (|| {
        let file = std::fs::File::create(&tmp)?;
        let mut out = std::io::BufWriter::new(file);
        write(&mut out)?;
        out.into_inner().map_err(|e| e.into_error())?.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    result.map_err(|err| {
        std::fs::remove_file(&tmp).ok();
        fail(err.to_string())
    })
}
