//! EDF+ against pyedflib (EDFlib's binding): a three-lead file pyedflib wrote from a real sample
//! (`tests/fixtures/gen_edf.py`) reads to the values pyedflib reads, with its labels mapped to leads,
//! the channel at another rate left out and said so, its annotation kept; and it reconstructs.

#![allow(clippy::unwrap_used, clippy::expect_used)] // In tests a failed unwrap is a failed test.

mod common;

use std::path::{Path, PathBuf};

use precordial::wfdb::Record;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/edf")
        .join(name)
}

/// What pyedflib read of the signal labelled `label` (its JSON, as the fixture script wrote it).
fn signal(expected: &serde_json::Value, label: &str) -> Vec<f64> {
    expected["signals"][label]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect()
}

#[test]
fn a_pyedflib_file_reads_as_pyedflib_reads_it() {
    let record = Record::read(fixture("patch3.edf")).unwrap();
    let expected: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(fixture("patch3.json")).unwrap()).unwrap();
    assert_eq!(record.signal_names(), ["I", "II", "V2"]);
    assert_eq!(record.fs_hz(), 500.0);
    assert_eq!(
        record.n_samples() as u64,
        expected["samples"].as_u64().unwrap()
    );
    assert_eq!(record.units(), [Some("uV"), Some("uV"), Some("uV")]);
    let comments = record.header.comments.join("\n");
    for said in [
        "label \"ECG I\" read as lead I",
        "label \"Lead II\" read as lead II",
        "label \"EKG V2\" read as lead V2",
        "channel \"Resp\" left out: 25 Hz, not the ECG leads' 500 Hz",
        "annotation +2 s: Test event",
    ] {
        assert!(comments.contains(said), "{said:?} not in {comments}");
    }
    for (label, lead) in [("ECG I", "I"), ("Lead II", "II"), ("EKG V2", "V2")] {
        let theirs = signal(&expected, label);
        let ours = record.signal_by_name(lead).unwrap();
        for (t, (a, b)) in ours.iter().zip(&theirs).enumerate() {
            assert!(
                (a - b).abs() < 1e-9 * b.abs().max(1.0),
                "{lead} {t}: {a} vs {b}"
            );
        }
    }
}

/// The three-lead EDF reconstructs into a marked 12-lead.
#[test]
fn a_three_lead_edf_reconstructs() {
    let dir = common::scratch("edf", "reconstruct");
    let models = common::models_dir();
    let out = common::precordial(&[
        "reconstruct",
        common::s(&fixture("patch3.edf")),
        "--models",
        common::s(&models),
        "--wfdb",
        common::s(&dir),
        "--device",
        "cpu",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let record = Record::read(dir.join("patch3_ch.hea")).unwrap();
    assert_eq!(record.n_signals(), 12);
    assert!(
        record
            .header
            .comments
            .iter()
            .any(|c| c.contains("derived from I and II: III,aVR,aVL,aVF"))
    );
    std::fs::remove_dir_all(&dir).ok();
}

/// A file that is not EDF, or is cut short, is one clear error naming it.
#[test]
fn broken_edf_files_are_errors() {
    let dir = common::scratch("edf", "broken");
    let bad = dir.join("bad.edf");
    std::fs::write(&bad, b"not an edf file at all").unwrap();
    let err = Record::read(&bad).unwrap_err().to_string();
    assert!(
        err.contains("bad.edf") && err.contains("not an EDF file"),
        "{err}"
    );
    let full = std::fs::read(fixture("patch3.edf")).unwrap();
    std::fs::write(&bad, &full[..300]).unwrap();
    let err = Record::read(&bad).unwrap_err().to_string();
    assert!(
        err.contains("bad.edf") && err.contains("header ends"),
        "{err}"
    );
    std::fs::remove_dir_all(&dir).ok();
}

/// The workbench opens the EDF file like a record: its leads on the 12-lead view's paper.
#[test]
fn the_workbench_opens_an_edf_file() {
    let mut harness = egui_kittest::Harness::builder()
        .with_size(egui::vec2(1600.0, 1000.0))
        .build_ui_state(
            |ui, app: &mut precordial::app::App| app.frame_ui(ui),
            precordial::app::App::new(None, vec![fixture("patch3.edf")]),
        );
    for _ in 0..400 {
        harness.step();
        if harness.state().records.cleaned.is_some() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    let loaded = harness.state().records.loaded.as_ref().unwrap();
    assert_eq!(loaded.record.signal_names(), ["I", "II", "V2"]);
    assert!(harness.state().records.cleaned.is_some());
}

/// Two leads as the EDF writer writes them (deterministic), committed as `written.edf`.
fn written_signals() -> (Vec<f64>, Vec<f64>) {
    let a = (0..250).map(|t| (t as f64 * 0.1).sin() * 1.2).collect();
    let b = (0..250).map(|t| -(t as f64 * 0.05).cos() * 0.4).collect();
    (a, b)
}

fn write_written(path: &Path, overwrite: bool) {
    use precordial::wfdb::edf::{EdfSignalToWrite, write};
    let (a, b) = written_signals();
    let signals = [
        EdfSignalToWrite {
            label: "ECG I",
            transducer: "recorded",
            samples_mv: &a,
        },
        EdfSignalToWrite {
            label: "ECG V4",
            transducer: "estimate: Precordial C-h",
            samples_mv: &b,
        },
    ];
    write(path, 100.0, &signals, "V4 reconstructed (test)", overwrite).unwrap();
}

/// pyedflib reads what our EDF writer writes (`tests/fixtures/gen_edf.py` stores its readback of
/// `written.edf`): the same bytes again, the same values as our reader's, labels, rate, annotation.
/// Regenerate: `PRECORDIAL_WRITE_FIXTURES=1 cargo test --release --test edf`, then the script.
#[test]
fn pyedflib_reads_what_we_write() {
    if std::env::var_os("PRECORDIAL_WRITE_FIXTURES").is_some() {
        write_written(&fixture("written.edf"), true);
        return;
    }
    let dir = common::scratch("edf", "written");
    let ours = dir.join("written.edf");
    write_written(&ours, false);
    assert_eq!(
        std::fs::read(&ours).unwrap(),
        std::fs::read(fixture("written.edf")).unwrap()
    );
    let expected: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(fixture("written.json")).unwrap()).unwrap();
    assert_eq!(expected["labels"][1], "ECG V4");
    assert_eq!(expected["transducers"][1], "estimate: Precordial C-h");
    assert_eq!(expected["fs"][0], 100.0);
    assert_eq!(expected["annotations"][0][2], "V4 reconstructed (test)");
    let record = Record::read(&ours).unwrap();
    for (k, label) in ["ECG I", "ECG V4"].iter().enumerate() {
        let theirs = signal(&expected, label);
        let mine = record.signal(k).unwrap();
        assert_eq!(mine.len(), theirs.len());
        for (a, b) in mine.iter().zip(&theirs) {
            assert!((a - b).abs() < 1e-9, "{label}: {a} vs {b}");
        }
    }
    std::fs::remove_dir_all(&dir).ok();
}
