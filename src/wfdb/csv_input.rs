//! Signals exported as CSV by a device: a header row of lead names, one row per sample, read into
//! the same [`Record`] as a WFDB or EDF record. CSV carries no sampling rate and no units, so the
//! caller gives both. A first column named like time (`time`, `time_s`, `t`, `timestamp`) is
//! dropped; labels are mapped to leads as EDF's are ("ECG I" → I), each mapping said.

use std::path::Path;

use super::{Record, WfdbError};

/// Reads `path`: signals sampled at `fs_hz`, in `units` (`mV`, `uV`).
pub fn read(path: &Path, fs_hz: f64, units: &str) -> Result<Record, WfdbError> {
    let fail = |message: String| WfdbError::Data {
        path: path.to_path_buf(),
        message,
    };
    if !(fs_hz.is_finite() && fs_hz > 0.0) {
        return Err(fail(format!(
            "sampling rate {fs_hz} Hz: give the rate the device recorded at (--fs)"
        )));
    }
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_path(path)
        .map_err(|e| fail(e.to_string()))?;
    let header_row: Vec<String> = reader
        .headers()
        .map_err(|e| fail(e.to_string()))?
        .iter()
        .map(str::to_owned)
        .collect();
    let skip_first = header_row.first().is_some_and(|name| {
        matches!(
            name.to_ascii_lowercase().as_str(),
            "time" | "time_s" | "t" | "timestamp" | "time (s)"
        )
    });
    let columns: Vec<usize> = (usize::from(skip_first)..header_row.len()).collect();
    if columns.is_empty() {
        return Err(fail("no signal columns in the header row".to_owned()));
    }
    let mut values: Vec<Vec<f64>> = vec![Vec::new(); columns.len()];
    for (row, record) in reader.records().enumerate() {
        let record = record.map_err(|e| fail(e.to_string()))?;
        for (slot, &column) in values.iter_mut().zip(&columns) {
            let cell = record.get(column).unwrap_or("");
            let value = if cell.is_empty() || cell.eq_ignore_ascii_case("nan") {
                f64::NAN
            } else {
                cell.parse::<f64>().map_err(|_| {
                    fail(format!(
                        "row {} column {:?}: {cell:?} is not a number",
                        row + 2,
                        header_row[column]
                    ))
                })?
            };
            slot.push(value);
        }
    }
    let mut comments = vec![format!(
        "read from CSV at {fs_hz} Hz in {units}, as given on the command line"
    )];
    let names: Vec<String> = columns
        .iter()
        .map(|&column| {
            let label = &header_row[column];
            match super::edf::lead_for_label(label) {
                Some(lead) => {
                    if lead != label {
                        comments.push(format!("label {label:?} read as lead {lead}"));
                    }
                    lead.to_owned()
                }
                None => label.clone(),
            }
        })
        .collect();
    let signals = names
        .into_iter()
        .zip(values)
        .map(|(name, samples)| (name, Some(units.to_owned()), samples))
        .collect();
    Ok(Record::from_signals(
        path,
        fs_hz,
        signals,
        (None, None),
        comments,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(name: &str, text: &str) -> std::path::PathBuf {
        let path =
            std::env::temp_dir().join(format!("precordial-csv-{name}-{}.csv", std::process::id()));
        std::fs::write(&path, text).unwrap();
        path
    }

    #[test]
    fn columns_become_leads() {
        let path = write(
            "ok",
            "time_s,ECG I,Lead II,V2\n0,0.1,0.2,0.3\n0.002,0.4,,0.6\n",
        );
        let record = read(&path, 500.0, "mV").unwrap();
        assert_eq!(record.signal_names(), ["I", "II", "V2"]);
        assert_eq!(record.fs_hz(), 500.0);
        assert_eq!(record.signal(0).unwrap(), [0.1, 0.4]);
        assert!(record.signal(1).unwrap()[1].is_nan());
        assert!(
            record
                .header
                .comments
                .iter()
                .any(|c| c.contains("\"ECG I\" read as lead I"))
        );
        std::fs::remove_file(&path).ok();
    }

    #[test]
    fn bad_cells_and_rates_are_errors() {
        let path = write("bad", "I,II,V2\n0.1,x,0.3\n");
        let err = read(&path, 500.0, "mV").unwrap_err().to_string();
        assert!(err.contains("row 2 column \"II\""), "{err}");
        let err = read(&path, 0.0, "mV").unwrap_err().to_string();
        assert!(err.contains("--fs"), "{err}");
        std::fs::remove_file(&path).ok();
    }
}
