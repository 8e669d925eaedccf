//! Every real record in the shared data reads, with verified checksums and consistent leads.

#![allow(clippy::unwrap_used, clippy::expect_used)] // In tests a failed unwrap is a failed test.

mod common;

use std::path::{Path, PathBuf};

use precordial::wfdb::Record;

fn headers_under(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            headers_under(&path, out);
        } else if path.extension().is_some_and(|e| e == "hea") {
            out.push(path);
        }
    }
}

#[test]
fn every_real_record_reads() {
    let Some(data) = common::shared_data() else {
        return;
    };
    let mut headers = Vec::new();
    for dataset in [
        "ptb-xl",
        "challenge-2021",
        "ludb",
        "code15",
        "ptbdb",
        "ecg-arrhythmia",
    ] {
        headers_under(&data.join(dataset), &mut headers);
    }
    headers.sort();
    assert!(
        headers.len() >= 672,
        "expected at least 672 real records, found {}",
        headers.len()
    );

    let mut failures = Vec::new();
    let mut n_einthoven = 0;
    for path in &headers {
        let record = match Record::read(path) {
            Ok(record) => record,
            Err(err) => {
                failures.push(err.to_string());
                continue;
            }
        };
        let name = path.display();
        if record.n_signals() < 12 || record.n_samples() == 0 || record.fs_hz() <= 0.0 {
            failures.push(format!(
                "{name}: implausible shape {}x{}",
                record.n_signals(),
                record.n_samples()
            ));
        }
        if let Some((ch, c)) = record.checksum_mismatches().next() {
            failures.push(format!("{name}: signal {ch} checksum {c:?}"));
        }
        if record.signals().any(|s| s.iter().any(|v| !v.is_finite())) {
            failures.push(format!("{name}: non-finite samples"));
        }
        // Where the sources state it (see challenge-2021/SOURCES.txt), limb leads are derived:
        // III = II - I to within rounding. This catches lead-order and gain mistakes.
        if path.components().any(|c| c.as_os_str() == "challenge-2021") {
            let (Some(i), Some(ii), Some(iii)) = (
                record.signal_by_name("I"),
                record.signal_by_name("II"),
                record.signal_by_name("III"),
            ) else {
                failures.push(format!("{name}: missing limb leads"));
                continue;
            };
            let worst = (0..i.len())
                .map(|t| (iii[t] - (ii[t] - i[t])).abs())
                .fold(0.0, f64::max);
            if worst > 0.0035 {
                failures.push(format!("{name}: III - (II - I) reaches {worst} mV"));
            }
            n_einthoven += 1;
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} records failed:\n{}",
        failures.len(),
        headers.len(),
        failures.join("\n")
    );
    assert_eq!(n_einthoven, 158);
    eprintln!(
        "{} real records read; {n_einthoven} pass the Einthoven check",
        headers.len()
    );
}
