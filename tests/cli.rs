//! The command line as a user meets it: output formats, and one clear line for bad input.

#![allow(clippy::unwrap_used, clippy::expect_used)] // In tests a failed unwrap is a failed test.

mod common;

use common::{precordial, s};

/// Runs, expects failure, and returns the single stderr line.
fn fails_with(args: &[&str]) -> String {
    let out = precordial(args);
    assert!(!out.status.success(), "{args:?} should fail");
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(
        stderr.lines().count(),
        1,
        "one line expected, got:\n{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    stderr
}

#[test]
fn bad_input_gets_one_clear_line() {
    let dir = common::scratch("cli", "bad");
    let missing = dir.join("nothing");
    let err = fails_with(&["inspect", s(&missing)]);
    assert!(
        err.contains("nothing.hea") && err.contains("No such file"),
        "{err}"
    );

    // Truncated signal file.
    std::fs::write(
        dir.join("t.hea"),
        "t 2 500 100\nt.dat 16 200 16 0 0 0 0 I\nt.dat 16 200 16 0 0 0 0 II\n",
    )
    .unwrap();
    std::fs::write(dir.join("t.dat"), vec![0u8; 300]).unwrap();
    let err = fails_with(&["export", s(&dir.join("t")), "--csv", s(&dir.join("t.csv"))]);
    assert!(err.contains("t.dat") && err.contains("truncated"), "{err}");
    assert!(!dir.join("t.csv").exists(), "no partial output");

    // Malformed header line, unknown format, impossible gain: the file and line are named.
    for (name, text, needle) in [
        (
            "m",
            "m 1 500 10\nm.dat 16 12x/mV\n",
            "m.hea:2: ADC gain '12x'",
        ),
        (
            "f",
            "f 1 500 10\nf.dat 17 200\n",
            "f.hea:2: signal format 17",
        ),
        (
            "g",
            "g 1 500 10\ng.dat 16 inf/mV\n",
            "g.hea:2: ADC gain 'inf/mV' is not a finite",
        ),
        ("r", "r x 500\n", "r.hea:1: number of signals 'x'"),
    ] {
        std::fs::write(dir.join(format!("{name}.hea")), text).unwrap();
        let err = fails_with(&["inspect", s(&dir.join(name))]);
        assert!(err.contains(needle), "expected '{needle}' in: {err}");
    }
}

#[test]
fn export_writes_physical_values_and_never_overwrites() {
    let Some(data) = common::shared_data() else {
        return;
    };
    let dir = common::scratch("cli", "export");
    let record = data.join("ptb-xl/records100/00000/00001_lr");
    let csv = dir.join("out.csv");
    let out = precordial(&[
        "export",
        s(&record),
        "--csv",
        s(&csv),
        "--leads",
        "i,II,V2",
        "--from",
        "1",
        "--to",
        "2",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (header, rows) = common::read_signals_csv(&csv);
    assert_eq!(header, "I,II,V2");
    assert_eq!(rows.len(), 100, "1 s at 100 Hz");
    // Same values as the library reads, to the last bit.
    let rec = precordial::wfdb::Record::read(&record).unwrap();
    let v2 = rec.signal_by_name("V2").unwrap();
    for (t, row) in rows.iter().enumerate() {
        assert_eq!(row[2], v2[100 + t]);
    }

    // An existing file is kept unless --overwrite.
    std::fs::write(&csv, "precious").unwrap();
    let err = fails_with(&["export", s(&record), "--csv", s(&csv)]);
    assert!(err.contains("exists"), "{err}");
    assert_eq!(std::fs::read_to_string(&csv).unwrap(), "precious");
    assert!(
        precordial(&["export", s(&record), "--csv", s(&csv), "--overwrite"])
            .status
            .success()
    );
    assert!(
        std::fs::read_to_string(&csv)
            .unwrap()
            .starts_with("I,II,III,AVR")
    );

    let err = fails_with(&["export", s(&record), "--csv", "-", "--leads", "V7"]);
    assert!(err.contains("no signal named V7"), "{err}");
    let err = fails_with(&[
        "export",
        s(&record),
        "--csv",
        "-",
        "--from",
        "5",
        "--to",
        "20",
    ]);
    assert!(err.contains("--to 20"), "{err}");
}

#[test]
fn export_marks_invalid_samples_nan() {
    let dir = common::scratch("cli", "nan");
    // Format 16: -32768 is the invalid-sample marker.
    std::fs::write(dir.join("n.hea"), "n 1 100 3\nn.dat 16 100 16 0 5 0 0 II\n").unwrap();
    let samples: Vec<u8> = [5i16, -32768, 105]
        .iter()
        .flat_map(|v| v.to_le_bytes())
        .collect();
    std::fs::write(dir.join("n.dat"), samples).unwrap();
    let out = precordial(&["export", s(&dir.join("n.hea")), "--csv", "-"]);
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        "II\n0.05\nNaN\n1.05\n"
    );
}

#[test]
fn inspect_json_describes_record_and_labels() {
    let Some(data) = common::shared_data() else {
        return;
    };
    let out = precordial(&[
        "inspect",
        "--json",
        s(&data.join("challenge-2021/georgia/E07500.hea")),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["fs_hz"], 500.0);
    assert_eq!(json["n_samples"], 5000);
    assert_eq!(json["checksums_ok"], true);
    assert_eq!(json["signals"].as_array().unwrap().len(), 12);
    let labels = json["entry"]["labels"].as_array().unwrap();
    assert!(
        labels
            .iter()
            .any(|l| l["name"] == "left atrial enlargement"),
        "{labels:?}"
    );

    let out = precordial(&["inspect", "--json", s(&data.join("ptb-xl"))]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let index: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let rows = index["records"].as_array().unwrap();
    assert_eq!(rows.len(), 12, "the real head of the PTB-XL table");
    assert_eq!(rows[0]["fold"], 3);
    assert_eq!(rows[0]["patient_id"], "ptb-xl:15709");

    // --verify reads the samples: the one PTB-XL record present passes, the others are missing.
    let out = precordial(&["inspect", "--json", "--verify", s(&data.join("ptb-xl"))]);
    let index: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let verification = index["verification"].as_array().unwrap();
    assert_eq!(verification[0]["checksums_ok"], true);
    assert!(
        verification[1]["error"]
            .as_str()
            .unwrap()
            .contains("No such file")
    );
}
