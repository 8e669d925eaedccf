//! The WFDB writer against WFDB Python: records written by `wfdb::write` (committed in
//! `tests/fixtures/wfdb_written/`) read by WFDB Python's `rdrecord` to the values in
//! `wfdb_written.json` (`tests/fixtures/gen_wfdb_written.py`), and by our reader to the same values.
//! Writing again gives the committed bytes, so the files WFDB Python read are the ones we write.
//!
//! Regenerate: `PRECORDIAL_WRITE_FIXTURES=1 cargo test --release --test wfdb_writer`, then
//! `python3 tests/fixtures/gen_wfdb_written.py` (WFDB Python 4.3).

#![allow(clippy::unwrap_used, clippy::expect_used)] // In tests a failed unwrap is a failed test.

use std::path::{Path, PathBuf};

use precordial::wfdb::Record;
use precordial::wfdb::write::{RecordToWrite, SignalToWrite, WriteFormat, write_record};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/wfdb_written")
}

/// Three leads of 251 samples (an odd number of samples in total, so format 212 pads its last
/// pair), with a NaN, negative values and values at the formats' resolution.
fn leads() -> [Vec<f64>; 3] {
    let n = 251;
    let i: Vec<f64> = (0..n).map(|t| 1.2 * (t as f64 * 0.07).sin()).collect();
    let mut ii: Vec<f64> = (0..n)
        .map(|t| -0.9 * (t as f64 * 0.031).cos() + 0.004)
        .collect();
    ii[100] = f64::NAN;
    let v4: Vec<f64> = (0..n).map(|t| (t as f64 - 125.0) * 0.0551).collect();
    [i, ii, v4]
}

fn record(format: WriteFormat, leads: &[Vec<f64>; 3]) -> RecordToWrite<'_> {
    RecordToWrite {
        name: match format {
            WriteFormat::Format16 => "w16",
            WriteFormat::Format212 => "w212",
        },
        fs_hz: 100.0,
        signals: ["I", "II", "V4"]
            .iter()
            .zip(leads)
            .map(|(name, samples)| SignalToWrite {
                name,
                samples_mv: samples,
            })
            .collect(),
        comments: vec![
            "reconstructed: V4 (test)".to_owned(),
            "inputs: I, II".to_owned(),
        ],
        format,
    }
}

#[test]
fn wfdb_python_reads_what_we_write() {
    let leads = leads();
    if std::env::var_os("PRECORDIAL_WRITE_FIXTURES").is_some() {
        for format in [WriteFormat::Format16, WriteFormat::Format212] {
            write_record(&fixtures(), &record(format, &leads), true).unwrap();
        }
        println!("wrote the records; now run tests/fixtures/gen_wfdb_written.py");
        return;
    }
    let scratch =
        std::env::temp_dir().join(format!("precordial-wfdb-writer-{}", std::process::id()));
    std::fs::create_dir_all(&scratch).unwrap();
    let expected: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(fixtures().join("wfdb_written.json")).unwrap(),
    )
    .unwrap();
    for format in [WriteFormat::Format16, WriteFormat::Format212] {
        let record = record(format, &leads);
        let header = write_record(&scratch, &record, false).unwrap();
        // The bytes WFDB Python read.
        for ext in ["hea", "dat"] {
            let ours = std::fs::read(scratch.join(format!("{}.{ext}", record.name))).unwrap();
            let committed =
                std::fs::read(fixtures().join(format!("{}.{ext}", record.name))).unwrap();
            assert_eq!(ours, committed, "{}.{ext}", record.name);
        }
        let python = &expected[record.name];
        let ours = Record::read(&header).unwrap();
        assert_eq!(
            ours.signal_names(),
            python["sig_name"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_str().unwrap())
                .collect::<Vec<_>>()
        );
        assert_eq!(ours.fs_hz(), python["fs"].as_f64().unwrap());
        assert_eq!(ours.checksum_mismatches().count(), 0);
        let p_signal = python["p_signal"].as_array().unwrap();
        for (k, signal) in ours.signals().enumerate() {
            let theirs = p_signal[k].as_array().unwrap();
            assert_eq!(signal.len(), theirs.len());
            for (t, (a, b)) in signal.iter().zip(theirs).enumerate() {
                match b.as_f64() {
                    Some(b) => {
                        assert!((a - b).abs() < 1e-12, "{} {k} {t}: {a} vs {b}", record.name)
                    }
                    None => assert!(a.is_nan(), "{} {k} {t}: {a} vs NaN", record.name),
                }
            }
            // And both are the written values, rounded to the format's step.
            let step = 1.0 / format.gain_adu_per_mv();
            for (a, w) in signal.iter().zip(&leads[k]) {
                assert!(a.is_nan() == w.is_nan());
                if !w.is_nan() {
                    assert!((a - w).abs() <= step / 2.0 + 1e-12);
                }
            }
        }
        assert_eq!(
            python["comments"].as_array().unwrap().len(),
            2,
            "WFDB Python reads the header comments"
        );
    }
    std::fs::remove_dir_all(&scratch).ok();
}
