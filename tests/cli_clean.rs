//! `precordial clean`: the cleaned CSV, and one clear line for bad cleaning configs.

#![allow(clippy::unwrap_used, clippy::expect_used)] // In tests a failed unwrap is a failed test.

mod common;

use common::precordial;

#[test]
fn clean_writes_ten_seconds_at_100_hz_or_the_full_record() {
    let Some(data) = common::shared_data() else {
        return;
    };
    let record = data.join("ludb/data/1");
    let record = record.to_str().expect("utf-8 path");
    let out = precordial(&["clean", record, "--csv", "-", "--leads", "I,II,V2"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).expect("utf-8 CSV");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.first().copied(), Some("i,ii,v2"));
    assert_eq!(lines.len(), 1 + 1000, "10 s at 100 Hz");
    assert!(
        lines[1..]
            .iter()
            .all(|l| l.split(',').count() == 3 && !l.contains("NaN"))
    );

    let dir = common::scratch("clean", "full");
    let cfg = dir.join("full.ron");
    std::fs::write(&cfg, "(length: Full, notch_hz: 60.0)").expect("config written");
    let out = precordial(&[
        "clean",
        record,
        "--csv",
        "-",
        "--config",
        cfg.to_str().expect("utf-8"),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).lines().count(),
        1 + 1000
    );
}

#[test]
fn bad_clean_configs_get_one_clear_line() {
    let Some(data) = common::shared_data() else {
        return;
    };
    let record = data.join("ptb-xl/records100/00000/00001_lr");
    let record = record.to_str().expect("utf-8 path");
    let dir = common::scratch("clean", "bad");
    for (ron, expected) in [
        (
            "(bandpass_low_hz: -0.5)",
            "bandpass_low_hz must be a positive cut-off",
        ),
        (
            "(bandpass_low_hz: 45.0, bandpass_high_hz: 0.5)",
            "must be below bandpass_high_hz",
        ),
        ("(baseline_window_s: 12.0)", "longer than the record"),
        ("(notch_quality: 0.0)", "notch_quality must be positive"),
        (
            "(bandpass_order: 40)",
            "bandpass_order must be between 1 and 16",
        ),
        ("(no_such_field: 1)", "cannot parse RON"),
    ] {
        let cfg = dir.join("bad.ron");
        std::fs::write(&cfg, ron).expect("config written");
        let out = precordial(&[
            "clean",
            record,
            "--csv",
            "-",
            "--config",
            cfg.to_str().expect("utf-8"),
        ]);
        assert!(!out.status.success(), "{ron} should fail");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(
            stderr.lines().count(),
            1,
            "{ron}: one line expected, got:\n{stderr}"
        );
        assert!(stderr.contains(expected), "{ron}: {stderr}");
    }
}
