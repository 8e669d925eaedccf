//! Every record of the WFDB conformance corpus, and a sample of real records, read to the same
//! names, shape and physical values as WFDB Python 4.x (`tests/fixtures/gen_wfdb_fixtures.py`).

#![allow(clippy::unwrap_used, clippy::expect_used)] // In tests a failed unwrap is a failed test.

mod common;

use precordial::wfdb::Record;
use serde::Deserialize;

#[derive(Deserialize)]
struct Fixtures {
    generator: String,
    records: Vec<Expected>,
}

#[derive(Deserialize)]
struct Expected {
    path: String,
    fs: f64,
    n_samples: usize,
    sig_name: Vec<String>,
    units: Vec<String>,
    channels: Vec<Channel>,
}

#[derive(Deserialize)]
struct Channel {
    sum: f64,
    sum_abs: f64,
    sum_sq: f64,
    min: Option<f64>,
    max: Option<f64>,
    nan_count: usize,
    samples: Vec<(usize, Option<f64>)>,
}

const REL: f64 = 1e-9;

#[test]
fn records_match_wfdb_python() {
    let Some(data) = common::shared_data() else {
        return;
    };
    let fixtures: Fixtures = serde_json::from_str(include_str!("fixtures/wfdb_conformance.json"))
        .expect("fixture file parses");
    let mut failures = Vec::new();
    for expected in &fixtures.records {
        if let Err(problem) = check(&data, expected) {
            failures.push(format!("{}: {problem}", expected.path));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} records differ from {}:\n{}",
        failures.len(),
        fixtures.records.len(),
        fixtures.generator,
        failures.join("\n")
    );
    eprintln!(
        "{} records match {}",
        fixtures.records.len(),
        fixtures.generator
    );
}

fn check(data: &std::path::Path, expected: &Expected) -> Result<(), String> {
    let record = Record::read(data.join(&expected.path)).map_err(|e| e.to_string())?;
    if record.fs_hz() != expected.fs {
        return Err(format!("fs {} != {}", record.fs_hz(), expected.fs));
    }
    if record.n_samples() != expected.n_samples {
        return Err(format!(
            "{} samples != {}",
            record.n_samples(),
            expected.n_samples
        ));
    }
    if record.signal_names() != expected.sig_name {
        return Err(format!(
            "names {:?} != {:?}",
            record.signal_names(),
            expected.sig_name
        ));
    }
    // WFDB Python drops units it cannot decode as ASCII (`°` in Latin-1) and says "mV"; we keep them.
    let units: Vec<&str> = (record.units().iter().zip(&expected.units))
        .map(|(u, want)| match u {
            Some(u) if !u.is_ascii() && want == "mV" => "mV",
            u => u.unwrap_or(""),
        })
        .collect();
    if units != expected.units {
        return Err(format!("units {units:?} != {:?}", expected.units));
    }
    // Every record of the corpus carries correct checksums (WFDB Python never verifies them).
    if let Some((ch, checksum)) = record.checksum_mismatches().next() {
        return Err(format!("channel {ch}: checksum {checksum:?}"));
    }
    for (ch, want) in expected.channels.iter().enumerate() {
        let got = record.signal(ch).ok_or("missing channel")?;
        let finite = || got.iter().copied().filter(|v| !v.is_nan());
        let sum: f64 = finite().sum();
        let sum_abs: f64 = finite().map(f64::abs).sum();
        let sum_sq: f64 = finite().map(|v| v * v).sum();
        let nan_count = got.iter().filter(|v| v.is_nan()).count();
        let min = finite().reduce(f64::min);
        let max = finite().reduce(f64::max);
        if nan_count != want.nan_count {
            return Err(format!(
                "channel {ch}: {nan_count} NaN != {}",
                want.nan_count
            ));
        }
        let scale = want.sum_abs.max(1e-12);
        for (what, a, b) in [
            ("sum", sum, want.sum),
            ("sum_abs", sum_abs, want.sum_abs),
            ("sum_sq", sum_sq, want.sum_sq),
        ] {
            if !common::close(a, b, REL, if what == "sum" { scale } else { 0.0 }) {
                return Err(format!("channel {ch}: {what} {a} != {b}"));
            }
        }
        if min
            .zip(want.min)
            .is_some_and(|(a, b)| !common::close(a, b, REL, 0.0))
            || max
                .zip(want.max)
                .is_some_and(|(a, b)| !common::close(a, b, REL, 0.0))
        {
            return Err(format!(
                "channel {ch}: range {min:?}..{max:?} != {:?}..{:?}",
                want.min, want.max
            ));
        }
        for &(index, value) in &want.samples {
            let a = got
                .get(index)
                .copied()
                .ok_or(format!("channel {ch}: no sample {index}"))?;
            let same = match value {
                None => a.is_nan(),
                Some(b) => common::close(a, b, REL, 0.0),
            };
            if !same {
                return Err(format!("channel {ch}: sample {index} = {a} != {value:?}"));
            }
        }
    }
    Ok(())
}
