//! The model commands end to end with the shipped models: `reconstruct` and `eval`.

#![allow(clippy::unwrap_used, clippy::expect_used)] // In tests a failed unwrap is a failed test.

mod common;

use std::path::PathBuf;

use common::{models_dir, precordial, s};

/// A copy of the shipped models' files (not the folders beside them, such as the learning
/// curve) in `dir/models`: tests write there, never into the repository's.
fn copy_of_shipped_models(dir: &std::path::Path) -> PathBuf {
    let models = dir.join("models");
    std::fs::create_dir_all(&models).unwrap();
    for entry in std::fs::read_dir(models_dir()).unwrap() {
        let path = entry.unwrap().path();
        if path.is_file() {
            std::fs::copy(&path, models.join(path.file_name().unwrap())).unwrap();
        }
    }
    models
}

fn sample(name: &str) -> PathBuf {
    common::samples_dir().join(name)
}

#[test]
fn reconstruct_writes_twelve_leads_and_refuses_records_without_the_inputs() {
    let dir = common::scratch("models", "reconstruct");
    let csv = dir.join("HR09739.csv");
    let out = precordial(&[
        "reconstruct",
        s(&sample("HR09739")),
        "--models",
        s(&models_dir()),
        "--csv",
        s(&csv),
        "--device",
        "cpu",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (header, rows) = common::read_signals_csv(&csv);
    assert_eq!(header, "I,II,III,aVR,aVL,aVF,V1,V2,V3,V4,V5,V6");
    assert_eq!(rows.len(), 1000, "10 s at 100 Hz");
    assert!(rows.iter().flatten().all(|v| v.is_finite()));
    // The reconstructed leads are not copies of an input and carry signal.
    let column = |c: usize| rows.iter().map(|r| r[c]).collect::<Vec<f64>>();
    let v4 = column(9);
    let peak_to_peak =
        v4.iter().cloned().fold(f64::MIN, f64::max) - v4.iter().cloned().fold(f64::MAX, f64::min);
    assert!(peak_to_peak > 0.3, "V4 peak-to-peak {peak_to_peak} mV");
    assert_ne!(column(9), column(7));

    // Never overwritten without --overwrite.
    let again = precordial(&[
        "reconstruct",
        s(&sample("HR09739")),
        "--models",
        s(&models_dir()),
        "--csv",
        s(&csv),
    ]);
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("file exists"));

    // A record without I, II or V2 (MIT-BIH: MLII and V5) is refused, naming what is missing.
    let Some(data) = common::shared_data() else {
        return;
    };
    let out = precordial(&[
        "reconstruct",
        s(&data.join("wfdb-samples/100")),
        "--models",
        s(&models_dir()),
        "--csv",
        s(&dir.join("100.csv")),
    ]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("lacks input leads I, II, V2") && stderr.contains("MLII"),
        "{stderr}"
    );
    assert!(!dir.join("100.csv").exists());
    std::fs::remove_dir_all(&dir).ok();
}

/// `eval` on the held-out split of the training data: the report has every key the issue names,
/// finite numbers, and reproduces the test metrics the training run wrote into the model card (same
/// windows, same quality control, same metric definitions).
#[test]
fn eval_reproduces_the_model_card_on_the_held_out_split() {
    let Some(data) = common::shared_data() else {
        return;
    };
    let card: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(models_dir().join("card.json")).unwrap())
            .unwrap();
    let dir = common::scratch("models", "eval");
    let out_dir = dir.join("report");
    let mut args: Vec<String> = vec![
        "eval".into(),
        "--models".into(),
        s(&models_dir()).into(),
        "--split".into(),
        "test".into(),
        "--device".into(),
        "cpu".into(),
        "--out".into(),
        s(&out_dir).into(),
        "--data".into(),
    ];
    // The folders the models were trained on, as the card lists them (by name; cards before the
    // fold recorded absolute paths); "<source>: N records used" lines are counts, not folders.
    for source in card["data_sources"].as_array().unwrap() {
        let source = source.as_str().unwrap();
        if !source.contains(": ") {
            let name = std::path::Path::new(source).file_name().unwrap();
            args.push(s(&data.join(name)).to_owned());
        }
    }
    assert_eq!(
        args.len(),
        16,
        "six training folders from the card: {args:?}"
    );
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = precordial(&args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out_dir.join("report.json")).unwrap())
            .unwrap();
    for key in [
        "per_lead",
        "record_level",
        "affinity",
        "per_class",
        "baseline",
    ] {
        assert!(report.get(key).is_some(), "report.json lacks {key}");
    }
    for space in ["x", "h"] {
        for reading in ["all", "other_record", "other_patient"] {
            let a = &report["affinity"][space][reading];
            let diagonal = a["diagonal_mean"].as_f64().unwrap();
            let chance = a["chance_mean"].as_f64().unwrap();
            assert!((0.0..=1.0).contains(&diagonal) && (0.0..=1.0).contains(&chance));
            let classes = a["classes"].as_array().unwrap().len();
            assert!(classes > 1, "{space} {reading}");
            assert_eq!(a["chance"].as_array().unwrap().len(), classes);
            let ci = a["diagonal_ci95"].as_array().unwrap();
            let (lo, hi) = (ci[0].as_f64().unwrap(), ci[1].as_f64().unwrap());
            assert!(
                lo <= diagonal && diagonal <= hi,
                "{space} {reading}: {lo} {diagonal} {hi}"
            );
        }
    }
    // Overlapping windows of one record are near neighbours in ĥ whatever their class: leaving the
    // record's own windows out must lower the diagonal a great deal (measured: 0.942 -> 0.18).
    let h_all = report["affinity"]["h"]["all"]["diagonal_mean"]
        .as_f64()
        .unwrap();
    let h_other = report["affinity"]["h"]["other_patient"]["diagonal_mean"]
        .as_f64()
        .unwrap();
    assert!(
        h_all > h_other + 0.3,
        "ĥ diagonal {h_all} with all neighbours, {h_other} without"
    );
    let test = &card["metrics"]["test"];
    assert_eq!(report["data"]["windows"], test["c"]["windows"]);
    for model in ["c", "ch", "least_squares"] {
        for entry in test[model]["per_lead"].as_array().unwrap() {
            let lead = entry[0].as_str().unwrap();
            let ours = &report["per_lead"][lead][model];
            for (card_key, report_key) in
                [("rmse_mv", "rmse"), ("r2", "r2"), ("pearson", "pearson")]
            {
                // Cards written before the metrics fold say `rmse_mv`, later ones `rmse`.
                let on_card = entry[1].get(card_key).or_else(|| entry[1].get(report_key));
                let expected = on_card.and_then(serde_json::Value::as_f64).unwrap();
                let got = ours[report_key].as_f64().unwrap();
                // The card and eval compute with one accumulator on the same windows.
                assert!(
                    (expected - got).abs() < 1e-9,
                    "{model} {lead} {report_key}: card {expected}, eval {got}"
                );
            }
        }
    }
    for model in ["c", "ch", "least_squares"] {
        let level = &report["record_level"][model];
        assert!(level["rmse_mean"].as_f64().unwrap().is_finite());
        assert!(level["r2_mean"].as_f64().unwrap().is_finite());
    }
    for file in [
        "report.md",
        "per_lead.csv",
        "affinity.svg",
        "affinity.png",
        "radar.svg",
        "radar.png",
        "overlays.svg",
        "overlays.png",
        "residuals.svg",
        "residuals.png",
    ] {
        assert!(out_dir.join(file).is_file(), "{file} written");
    }
    // An existing report is not replaced without --overwrite.
    let again = precordial(&args);
    assert!(!again.status.success());
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn eval_of_every_record_needs_the_reference_data() {
    let Some(data) = common::shared_data() else {
        return;
    };
    let dir = common::scratch("models", "eval-all");
    let out = precordial(&[
        "eval",
        "--models",
        s(&models_dir()),
        "--data",
        s(&data.join("ludb")),
        "--split",
        "all",
        "--out",
        s(&dir.join("report")),
    ]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("reference"), "{stderr}");
    assert!(!dir.join("report").exists());
    std::fs::remove_dir_all(&dir).ok();
}

/// Damaged or missing models: one line naming the file and the problem, before any GPU is probed.
#[test]
fn damaged_models_get_one_clear_line() {
    let dir = common::scratch("models", "damaged");
    let models = copy_of_shipped_models(&dir);
    std::fs::write(models.join("decoder_ch.safetensors"), b"not weights").unwrap();
    let record = sample("HR09739");
    let csv = dir.join("out.csv");
    for (models_arg, expected) in [
        (s(&models).to_owned(), "decoder_ch.safetensors: SHA-256"),
        (
            s(&dir.join("no-such-folder")).to_owned(),
            "card.json: No such file",
        ),
    ] {
        let out = precordial(&[
            "reconstruct",
            s(&record),
            "--models",
            &models_arg,
            "--csv",
            s(&csv),
        ]);
        assert!(!out.status.success());
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(stderr.contains(expected), "{stderr}");
        assert!(!csv.exists());
    }
    std::fs::remove_dir_all(&dir).ok();
}

/// Quality control moved from the model's own nearest-rank percentiles to `dsp::segment`'s NumPy
/// percentiles (one implementation). On the shipped models' training data that changed no window's
/// fate: every split keeps the windows the card counted, and the thresholds are pinned here.
#[test]
fn quality_control_keeps_the_windows_the_models_were_trained_on() {
    use precordial::prep;
    let Some(data_root) = common::shared_data() else {
        return;
    };
    let card: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(models_dir().join("card.json")).unwrap())
            .unwrap();
    let folders: Vec<PathBuf> = common::SHIPPED_TRAINING_FOLDERS
        .iter()
        .map(|name| data_root.join(name))
        .collect();
    let assembled = prep::assemble(&folders, 0, &mut precordial::progress::Silent).unwrap();
    for (split, set) in [
        ("train", &assembled.train),
        ("val", &assembled.val),
        ("test", &assembled.test),
    ] {
        assert_eq!(
            Some(set.len() as u64),
            card["windows_per_split"][split].as_u64(),
            "{split}"
        );
    }
    assert_eq!(
        Some(assembled.windows_rejected_qc as u64),
        card["windows_rejected_qc"].as_u64()
    );
    // Lead II's bounds (amplitude and RMS, mV) fitted on these windows, pinned from the training
    // run of the shipped models (the percentile itself is checked against NumPy in dsp::segment).
    let qc = assembled.qc.unwrap();
    let ii = &qc.leads[1];
    let pinned = [
        (ii.amplitude_low, 0.120_905_664_123_594_76),
        (ii.amplitude_high, 3.829_375_982_284_546),
        (ii.rms_low, 0.045_761_377_589_713_21),
        (ii.rms_high, 0.724_684_269_888_581_8),
    ];
    for (got, want) in pinned {
        assert!((got - want).abs() < 1e-9, "{got} vs {want}");
    }
    // The card's least-squares weights are the fit on this train split (the workbench draws them).
    let fitted = precordial::model::fit_least_squares(&assembled.train).unwrap();
    for (lead, fit) in ["V1", "V3", "V4", "V5", "V6"].iter().zip(&fitted) {
        let stored: Vec<f64> = card["least_squares"][lead]["weights"]
            .as_array()
            .unwrap_or_else(|| panic!("card.json has no least-squares weights for {lead}"))
            .iter()
            .map(|w| w.as_f64().unwrap())
            .collect();
        for (got, want) in fit.weights.iter().zip(&stored) {
            assert!((got - want).abs() < 1e-9, "{lead}: {got} vs {want}");
        }
    }
}

/// `reconstruct --wfdb`: a 12-lead WFDB record whose header names the model, its card's SHA-256
/// and the rebuilt leads, read back by our reader; never written over without --overwrite.
#[test]
fn reconstruct_writes_a_marked_wfdb_record() {
    use precordial::wfdb::Record;
    let dir = common::scratch("models", "reconstruct-wfdb");
    let (record_arg, models_arg, dir_arg) = (
        s(&sample("HR09739")).to_owned(),
        s(&models_dir()).to_owned(),
        s(&dir).to_owned(),
    );
    let args = |overwrite: bool| {
        let mut args = vec![
            "reconstruct",
            &record_arg,
            "--models",
            &models_arg,
            "--wfdb",
            &dir_arg,
            "--device",
            "cpu",
        ];
        if overwrite {
            args.push("--overwrite");
        }
        args
    };
    let out = precordial(&args(false));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let record = Record::read(dir.join("HR09739_ch.hea")).unwrap();
    assert_eq!(
        record.signal_names(),
        [
            "I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6"
        ]
    );
    assert_eq!(record.fs_hz(), 100.0);
    assert_eq!(record.n_samples(), 1000);
    assert_eq!(record.checksum_mismatches().count(), 0);
    let card_sha = precordial::model::card::sha256_file(&models_dir().join("card.json")).unwrap();
    let comments = record.header.comments.join("\n");
    assert!(
        comments.contains("reconstructed: V1,V3,V4,V5,V6 by C-h"),
        "{comments}"
    );
    assert!(
        comments.contains(&format!("model_card_sha256: {card_sha}")),
        "{comments}"
    );
    // V2 is the recording (cleaned), to the format's 1 µV.
    let recorded_v2 =
        precordial::prep::clean_named_lead(&Record::read(sample("HR09739")).unwrap(), "V2")
            .unwrap()
            .unwrap();
    let written_v2 = record.signal_by_name("V2").unwrap();
    for (a, b) in recorded_v2.iter().zip(written_v2) {
        assert!((a - b).abs() <= 0.0005 + 1e-12);
    }
    let again = precordial(&args(false));
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("exists"));
    assert!(precordial(&args(true)).status.success());
    std::fs::remove_dir_all(&dir).ok();
}

/// `reconstruct --report`: the 12-lead on ECG paper as a one-page A4 PDF that a PDF reader renders
/// (pdftoppm, installed by `.ci/run`), and as PNG; never over an existing file.
#[test]
fn reconstruct_writes_the_twelve_lead_report_as_pdf_and_png() {
    let dir = common::scratch("models", "report");
    let pdf = dir.join("HR09739.pdf");
    let (record, models) = (sample("HR09739"), models_dir());
    let args = |path: &std::path::Path, extra: &[&str]| {
        let mut args = vec![
            "reconstruct",
            s(&record),
            "--models",
            s(&models),
            "--device",
            "cpu",
            "--report",
            s(path),
        ];
        args.extend_from_slice(extra);
        args.iter()
            .map(|a| (*a).to_owned())
            .collect::<Vec<String>>()
    };
    let run = |args: Vec<String>| {
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        precordial(&refs)
    };
    let out = run(args(&pdf, &[]));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let bytes = std::fs::read(&pdf).unwrap();
    assert!(bytes.starts_with(b"%PDF-"));
    let text = String::from_utf8_lossy(&bytes);
    // A4 landscape in points; "V4 · C-h" (WinAnsi, written as a hex string) labels a rebuilt lead.
    assert!(text.contains("/MediaBox [0 0 841.8898 595.2756]"), "not A4");
    assert!(text.contains("<563420B720432D68> Tj"));
    let again = run(args(&pdf, &[]));
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("exists"));
    // Ten seconds from a start past the record's end would be an empty page.
    let late = run(args(&dir.join("late.pdf"), &["--start", "60"]));
    assert!(!late.status.success());
    let stderr = String::from_utf8_lossy(&late.stderr);
    assert!(
        stderr.contains("--start 60 s is outside the record (10.0 s long)"),
        "{stderr}"
    );
    assert!(!dir.join("late.pdf").exists());

    // A PDF reader renders it (A4 at 50 dpi: 585 x 414 pixels, with blue rebuilt traces) and
    // reads its text: the labels, the caution, the bands, the held-out error.
    if std::process::Command::new("pdftoppm")
        .arg("-v")
        .output()
        .is_ok()
    {
        let prefix = dir.join("page");
        let status = std::process::Command::new("pdftoppm")
            .args(["-r", "50", "-png", "-singlefile"])
            .arg(&pdf)
            .arg(&prefix)
            .status()
            .unwrap();
        assert!(status.success());
        let (w, h, pixels) =
            common::decode_png(&std::fs::read(prefix.with_extension("png")).unwrap());
        assert_eq!((w, h), (585, 414));
        let blue = pixels
            .chunks(4)
            .filter(|p| p[2] > 150 && p[0] < 90 && p[1] < 120)
            .count();
        assert!(blue > 200, "{blue} blue pixels");
        let text = std::process::Command::new("pdftotext")
            .arg(&pdf)
            .arg("-")
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&text.stdout);
        // The held-out figure printed is the shipped card's C-h test RMSE of V1.
        let card: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(models_dir().join("card.json")).unwrap())
                .unwrap();
        let v1 = card["metrics"]["test"]["ch"]["per_lead"][0][1]["rmse"]
            .as_f64()
            .unwrap();
        let held_out = format!("Held-out RMSE (test split, mV): V1 {v1:.3}");
        for expected in [
            "V4 · C-h",
            "Derived from I and II: none",
            "CAUTION: V1, V3–V6 in blue are estimates",
            "90 % conformal band",
            held_out.as_str(),
            "Record HR09739",
        ] {
            assert!(text.contains(expected), "{expected} not in {text}");
        }
    } else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI installs poppler-utils (.ci/run)"
        );
        eprintln!("pdftoppm not installed: the PDF was not rendered");
    }

    // PNG at 8 dots per mm, Letter, 12x1.
    let png = dir.join("HR09739.png");
    let out = run(args(&png, &["--paper", "letter", "--layout", "12x1"]));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (w, h, _) = common::decode_png(&std::fs::read(&png).unwrap());
    assert_eq!((w, h), (2235, 1727));
    std::fs::remove_dir_all(&dir).ok();
}

/// A record with only I, II and V2 (a patch), written with our WFDB writer from a real sample:
/// it reconstructs, the limb leads derived from I and II and said so.
#[test]
fn a_three_lead_record_reconstructs_into_twelve() {
    use precordial::wfdb::Record;
    let dir = common::scratch("models", "three-lead");
    let patch = common::write_three_lead_patch(&dir);
    let out_dir = dir.join("out");
    let out = precordial(&[
        "reconstruct",
        s(&patch),
        "--models",
        s(&models_dir()),
        "--wfdb",
        s(&out_dir),
        "--device",
        "cpu",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let record = Record::read(out_dir.join("patch_ch.hea")).unwrap();
    assert_eq!(record.n_signals(), 12);
    let comments = record.header.comments.join("\n");
    assert!(
        comments.contains("derived from I and II: III,aVR,aVL,aVF"),
        "{comments}"
    );
    let (i, ii, iii) = (
        record.signal_by_name("I").unwrap(),
        record.signal_by_name("II").unwrap(),
        record.signal_by_name("III").unwrap(),
    );
    for t in 0..i.len() {
        assert!(
            (iii[t] - (ii[t] - i[t])).abs() <= 0.0015,
            "Einthoven at {t}"
        );
    }
    std::fs::remove_dir_all(&dir).ok();
}

/// `reconstruct FOLDER --out DIR`: every record, a summary, skipping what is done, going on past a
/// bad record and listing it.
#[test]
fn reconstruct_folders_in_a_batch() {
    let dir = common::scratch("models", "batch");
    let input = dir.join("in");
    std::fs::create_dir_all(&input).unwrap();
    for name in ["HR09739", "HR12083"] {
        for ext in ["hea", "mat"] {
            std::fs::copy(
                sample(name).with_extension(ext),
                input.join(format!("{name}.{ext}")),
            )
            .unwrap();
        }
    }
    std::fs::write(
        input.join("broken.hea"),
        "broken 3 500 5000\nnot a signal line\n",
    )
    .unwrap();
    let out_dir = dir.join("out");
    let run = || {
        precordial(&[
            "reconstruct",
            s(&input),
            "--models",
            s(&models_dir()),
            "--out",
            s(&out_dir),
            "--device",
            "cpu",
        ])
    };
    let out = run();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("2 reconstructed, 0 skipped, 1 failed"),
        "{stderr}"
    );
    assert!(stderr.contains("broken.hea"), "{stderr}");
    assert!(out_dir.join("in/HR12083_ch.hea").is_file());
    let summary = std::fs::read_to_string(out_dir.join("summary.csv")).unwrap();
    assert_eq!(summary.lines().count(), 4, "{summary}");
    let hr12083 = summary.lines().find(|l| l.contains("HR12083")).unwrap();
    // Its five RMSE columns are filled: the record has the target leads.
    let fields: Vec<&str> = hr12083.split(',').collect();
    assert_eq!(fields[1], "ok");
    assert!(
        fields[4..9].iter().all(|v| v.parse::<f64>().is_ok()),
        "{hr12083}"
    );
    // Each lead's mean adaptive band: scale · (difficulty + floor) of the shipped C-h calibration,
    // so at least scale · floor, and near the constant band; then the count of wide stretches.
    let header: Vec<&str> = summary.lines().next().unwrap().split(',').collect();
    assert_eq!(header[9], "band90_V1_mv", "{header:?}");
    assert_eq!(header[14], "wide_V1", "{header:?}");
    let bands: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(models_dir().join("conformal.json")).unwrap(),
    )
    .unwrap();
    for (k, lead) in ["V1", "V3", "V4", "V5", "V6"].iter().enumerate() {
        let band = &bands["per_lead"][lead]["ch"];
        let constant = band["pointwise_mv"].as_f64().unwrap();
        let least = band["adaptive"]["pointwise_scale"].as_f64().unwrap()
            * band["adaptive"]["floor_mv"].as_f64().unwrap();
        let written: f64 = fields[9 + k].parse().unwrap();
        assert!(
            written >= least - 1e-5 && written < 3.0 * constant,
            "{lead}: {written} (least {least}, constant {constant})"
        );
        assert!(fields[14 + k].parse::<usize>().is_ok(), "{hr12083}");
    }
    // Again: what was done is skipped, and the first summary is kept beside the new one.
    let out = run();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        stderr.contains("0 reconstructed, 2 skipped, 1 failed"),
        "{stderr}"
    );
    let summaries = std::fs::read_dir(&out_dir)
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .is_ok_and(|e| e.file_name().to_string_lossy().starts_with("summary"))
        })
        .count();
    assert_eq!(summaries, 2);
    std::fs::remove_dir_all(&dir).ok();
}

/// `calibrate` reproduces the shipped bands from the training folders' validation split (into a
/// copy of the models: the repository's are never written by a test), refuses to replace them
/// unasked, and a damaged bands file stops the models from loading.
#[test]
fn calibration_reproduces_the_shipped_bands() {
    let Some(data_root) = common::shared_data() else {
        return;
    };
    let dir = common::scratch("models", "calibrate");
    let models = copy_of_shipped_models(&dir);
    let folders: Vec<String> = common::SHIPPED_TRAINING_FOLDERS
        .iter()
        .map(|name| s(&data_root.join(name)).to_owned())
        .collect();
    let run = |overwrite: bool| {
        let mut args = vec![
            "calibrate",
            "--models",
            s(&models),
            "--device",
            "cpu",
            "--data",
        ];
        args.extend(folders.iter().map(String::as_str));
        if overwrite {
            args.push("--overwrite");
        }
        precordial(&args)
    };
    let refused = run(false);
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("exists"));
    let out = run(true);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        std::fs::read(models.join("conformal.json")).unwrap(),
        std::fs::read(models_dir().join("conformal.json")).unwrap(),
        "the shipped bands are what calibrate computes"
    );
    // The card is unchanged but for the bands' hash, which is the same: byte for byte.
    assert_eq!(
        std::fs::read(models.join("card.json")).unwrap(),
        std::fs::read(models_dir().join("card.json")).unwrap()
    );
    std::fs::write(models.join("conformal.json"), b"{}").unwrap();
    let out = precordial(&[
        "reconstruct",
        s(&sample("HR09739")),
        "--models",
        s(&models),
        "--csv",
        s(&dir.join("out.csv")),
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    // Reconstruct (which attaches the bands) and eval both refuse, naming the file.
    assert!(!out.status.success());
    assert!(stderr.contains("conformal.json: SHA-256"), "{stderr}");
    let out = precordial(&[
        "eval",
        "--models",
        s(&models),
        "--data",
        &folders[0],
        "--split",
        "test",
        "--device",
        "cpu",
        "--out",
        s(&dir.join("report")),
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains("conformal.json: SHA-256"), "{stderr}");
    std::fs::remove_dir_all(&dir).ok();
}

/// A CSV of lead columns as a device exports it (here `precordial export`'s, with a time column)
/// reconstructs with `--fs`; without it the command says what is missing.
#[test]
fn a_csv_of_three_leads_reconstructs_with_its_rate() {
    let dir = common::scratch("models", "csv-input");
    let csv = dir.join("patch.csv");
    let out = precordial(&[
        "export",
        s(&sample("HR09739")),
        "--csv",
        s(&csv),
        "--leads",
        "I,II,V2",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let no_rate = precordial(&["reconstruct", s(&csv), "--wfdb", s(&dir)]);
    assert!(!no_rate.status.success());
    assert!(String::from_utf8_lossy(&no_rate.stderr).contains("--fs"));
    let out = precordial(&[
        "reconstruct",
        s(&csv),
        "--fs",
        "500",
        "--models",
        s(&models_dir()),
        "--wfdb",
        s(&dir),
        "--device",
        "cpu",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let record = precordial::wfdb::Record::read(dir.join("patch_ch.hea")).unwrap();
    assert_eq!(record.n_signals(), 12);
    assert_eq!(record.n_samples(), 1000, "10 s at 100 Hz");
    std::fs::remove_dir_all(&dir).ok();
}

/// `study cv` trains once per patient-wise fold (tiny models) and pools: every record is scored
/// once, by the fold whose models never saw it, and the pooled figures are over all of them.
/// A second run reuses the finished folds.
#[test]
fn cross_validation_scores_every_record_once_by_models_that_never_saw_it() {
    let Some(data) = common::shared_data() else {
        return;
    };
    let dir = common::scratch("models", "cv");
    let config = dir.join("tiny.ron");
    precordial::model::card::save_ron(&common::tiny_training_config(), &config).unwrap();
    let out = dir.join("cv");
    let challenge = data.join("challenge-2021");
    let args = [
        "study",
        "cv",
        "--data",
        s(&challenge),
        "--folds",
        "3",
        "--config",
        s(&config),
        "--device",
        "cpu",
        "--out",
        s(&out),
    ];
    let run = precordial(&args);
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let read = |path: PathBuf| -> serde_json::Value {
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
    };
    let ids = |value: &serde_json::Value| -> Vec<String> {
        value
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_owned())
            .collect()
    };
    let mut scored: Vec<String> = Vec::new();
    for fold in 1..=3 {
        let fold_dir = out.join(format!("fold-{fold}"));
        let split = read(fold_dir.join("split.json"));
        let report = read(fold_dir.join("eval-test/report.json"));
        let tested: Vec<String> = report["records"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["record_id"].as_str().unwrap().to_owned())
            .collect();
        assert!(!tested.is_empty(), "fold {fold}");
        // The fold's evaluation scores its own test split, none of its training records.
        let test_split = ids(&split["test"]);
        let train_split = ids(&split["train"]);
        assert!(
            tested.iter().all(|id| test_split.contains(id)),
            "fold {fold}"
        );
        assert!(
            tested.iter().all(|id| !train_split.contains(id)),
            "fold {fold}"
        );
        scored.extend(tested);
    }
    let total = scored.len();
    scored.sort();
    scored.dedup();
    assert_eq!(scored.len(), total, "a record was scored by two folds");

    let cv = read(out.join("cv.json"));
    assert_eq!(cv["folds"].as_array().unwrap().len(), 3);
    assert_eq!(cv["pooled"]["records"].as_u64().unwrap() as usize, total);
    let mean_rmse = cv["pooled"]["paired_tests"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["lead"] == "mean" && t["metric"] == "rmse")
        .unwrap();
    assert_eq!(mean_rmse["records"].as_u64().unwrap() as usize, total);
    assert!(!cv["pooled"]["per_class"].as_array().unwrap().is_empty());
    let affinity = &cv["pooled"]["affinity_other_patient"];
    assert!(affinity["chance"].as_f64().unwrap() > 0.0);
    let md = std::fs::read_to_string(out.join("cv.md")).unwrap();
    assert!(
        md.contains(&format!("Pooled over the 3 folds: {total} records")),
        "{md}"
    );

    // Too few folds are refused before any training, naming the problem.
    for folds in ["0", "2"] {
        let mut few = args;
        few[5] = folds;
        let refused = precordial(&few);
        assert!(!refused.status.success());
        let err = String::from_utf8_lossy(&refused.stderr);
        assert!(err.contains("needs at least 3 folds"), "{err}");
    }

    // Finished folds are reused, not retrained.
    let again = precordial(&args);
    assert!(again.status.success());
    let log = String::from_utf8_lossy(&again.stderr);
    assert_eq!(log.matches("trained before, reused").count(), 3, "{log}");
}
