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

/// Writes rows of `signals` under a header row of `names`, after a `time_s` column (seconds, six
/// decimals) when `time_fs_hz` gives the rate. Values use Rust's shortest exact representation (17
/// significant digits at most, never fewer than needed to read back the same number), and `NaN`
/// for invalid samples. The shortest signal ends the table. The one CSV writer of the command line
/// and the workbench.
pub fn write_signals_csv(
    out: &mut dyn std::io::Write,
    names: &[&str],
    signals: &[&[f64]],
    time_fs_hz: Option<f64>,
) -> std::io::Result<()> {
    let time_fs_hz = time_fs_hz.filter(|fs| *fs > 0.0);
    let mut header: Vec<String> = names.iter().map(|n| csv_field(n)).collect();
    if time_fs_hz.is_some() {
        header.insert(0, "time_s".to_owned());
    }
    writeln!(out, "{}", header.join(","))?;
    let n = signals.iter().map(|s| s.len()).min().unwrap_or(0);
    let mut line = String::new();
    for t in 0..n {
        line.clear();
        if let Some(fs_hz) = time_fs_hz {
            write!(line, "{:.6}", t as f64 / fs_hz).ok();
        }
        for (k, signal) in signals.iter().enumerate() {
            if k > 0 || time_fs_hz.is_some() {
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

/// `path` when nothing is there, else the first free `<stem>-2.<ext>`, `<stem>-3.<ext>`, …: how
/// the workbench exports without replacing an earlier export.
pub fn unused_path(path: &Path) -> PathBuf {
    if !path.exists() {
        return path.to_path_buf();
    }
    let stem = path
        .file_stem()
        .map_or_else(String::new, |s| s.to_string_lossy().into_owned());
    let extension = path
        .extension()
        .map(|e| format!(".{}", e.to_string_lossy()));
    (2u32..)
        .map(|k| path.with_file_name(format!("{stem}-{k}{}", extension.as_deref().unwrap_or(""))))
        .find(|candidate| !candidate.exists())
        .unwrap_or_else(|| path.to_path_buf())
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signals_with_and_without_a_time_column() {
        let (a, b) = ([0.5, f64::NAN, 1.0], [1.0, 2.0]);
        let mut plain = Vec::new();
        write_signals_csv(&mut plain, &["I", "a,b"], &[&a, &b], None).unwrap();
        assert_eq!(
            String::from_utf8(plain).unwrap(),
            "I,\"a,b\"\n0.5,1\nNaN,2\n"
        );
        let mut timed = Vec::new();
        write_signals_csv(&mut timed, &["I"], &[&a], Some(4.0)).unwrap();
        assert_eq!(
            String::from_utf8(timed).unwrap(),
            "time_s,I\n0.000000,0.5\n0.250000,NaN\n0.500000,1\n"
        );
    }

    #[test]
    fn an_existing_file_is_neither_replaced_nor_reused() {
        let dir = std::env::temp_dir().join(format!("precordial-output-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("x_signals.csv");
        write_file(&path, false, |out| out.write_all(b"first")).unwrap();
        assert!(write_file(&path, false, |out| out.write_all(b"second")).is_err());
        assert_eq!(std::fs::read(&path).unwrap(), b"first");
        let next = unused_path(&path);
        assert_eq!(next, dir.join("x_signals-2.csv"));
        write_file(&next, false, |out| out.write_all(b"second")).unwrap();
        assert_eq!(unused_path(&path), dir.join("x_signals-3.csv"));
        std::fs::remove_dir_all(&dir).ok();
    }
}
