//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The shared folders the shipped models were trained on (their card's `data_sources`).
pub const SHIPPED_TRAINING_FOLDERS: [&str; 6] = [
    "challenge-2021",
    "challenge-2021-extra",
    "code15",
    "ecg-arrhythmia",
    "ptb-xl",
    "ptb-xl-extra",
];

/// The shared data folder (`$PRECORDIAL_DATA`, else `../shared/data` beside the crate).
///
/// Outside CI a missing folder skips the test loudly; in CI (`CI=true`) it fails, so a broken
/// checkout can never pass by testing nothing.
pub fn shared_data() -> Option<PathBuf> {
    let dir = std::env::var_os("PRECORDIAL_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/data"));
    if dir.is_dir() {
        return Some(dir);
    }
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!(
            "shared data not found at {} (set PRECORDIAL_DATA)",
            dir.display()
        );
    }
    eprintln!(
        "SKIP: shared data not found at {} (set PRECORDIAL_DATA)",
        dir.display()
    );
    None
}

/// `a` and `b` agree to `rel` relative to their magnitude (`scale` for sums of mixed signs).
pub fn close(a: f64, b: f64, rel: f64, scale: f64) -> bool {
    (a - b).abs() <= rel * a.abs().max(b.abs()).max(scale) + 1e-300
}

/// The SciPy/WFDB Python reference values shared by the dsp, R-peak and annotation tests
/// (`tests/fixtures/gen_dsp_fixtures.py`).
pub fn scipy_reference() -> serde_json::Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/dsp/scipy_reference.json"
    );
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Runs the `precordial` binary built for these tests.
pub fn precordial(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_precordial"))
        .args(args)
        .output()
        .expect("the binary runs")
}

/// A fresh, empty scratch folder for one test (`group` keeps test files apart).
pub fn scratch(group: &str, name: &str) -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("precordial-{group}-{name}-{}", std::process::id()));
    std::fs::remove_dir_all(&dir).ok();
    std::fs::create_dir_all(&dir).expect("scratch folder");
    dir
}

/// A path as the `&str` a command line takes.
pub fn s(path: &Path) -> &str {
    path.to_str().expect("utf-8 path")
}

/// A signals CSV as `export`, `clean` and `reconstruct` write it: the header line and the rows.
pub fn read_signals_csv(path: &Path) -> (String, Vec<Vec<f64>>) {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut lines = text.lines();
    let header = lines.next().unwrap_or_default().to_owned();
    let rows = lines
        .map(|line| line.split(',').map(|v| v.parse().unwrap()).collect())
        .collect();
    (header, rows)
}

/// Width, height and RGBA pixels of a PNG (palette and RGB expanded; RGB gets opaque alpha).
pub fn decode_png(bytes: &[u8]) -> (u32, u32, Vec<u8>) {
    let mut decoder = png::Decoder::new(std::io::Cursor::new(bytes));
    decoder.set_transformations(png::Transformations::EXPAND);
    let mut reader = decoder.read_info().expect("a PNG header");
    let mut pixels = vec![0; reader.output_buffer_size().expect("a sane size")];
    let info = reader.next_frame(&mut pixels).expect("a PNG frame");
    pixels.truncate(info.buffer_size());
    let rgba = match info.color_type {
        png::ColorType::Rgba => pixels,
        png::ColorType::Rgb => pixels
            .chunks(3)
            .flat_map(|p| [p[0], p[1], p[2], 255])
            .collect(),
        other => panic!("unexpected PNG colour type {other:?}"),
    };
    (info.width, info.height, rgba)
}

/// The shipped models (read only: a test that writes copies them first).
pub fn models_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("models")
}

/// The bundled sample records.
pub fn samples_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/samples")
}

/// A three-lead "patch" record (I, II and V2 of the sample HR09739, in mV at 500 Hz) written with
/// our WFDB writer into `dir`; returns its header.
pub fn write_three_lead_patch(dir: &Path) -> PathBuf {
    use precordial::wfdb::Record;
    use precordial::wfdb::write::{RecordToWrite, SignalToWrite, WriteFormat, write_record};
    let full = Record::read(samples_dir().join("HR09739")).expect("the bundled sample");
    let patch = RecordToWrite {
        name: "patch",
        fs_hz: full.fs_hz(),
        signals: ["I", "II", "V2"]
            .iter()
            .map(|name| SignalToWrite {
                name,
                samples_mv: full.signal_by_name(name).expect("a 12-lead sample"),
            })
            .collect(),
        comments: vec!["I, II and V2 of HR09739 (test)".to_owned()],
        format: WriteFormat::Format16,
    };
    write_record(dir, &patch, false).expect("the patch is written")
}

/// A training configuration small enough to run in about a second on the CPU: a 4/8/128-channel
/// encoder and 8-wide decoders, two epochs per stage.
pub fn tiny_training_config() -> precordial::model::train::TrainConfig {
    use precordial::model::decoder::DecoderConfig;
    use precordial::model::encoder::EncoderConfig;
    use precordial::model::train::{DecoderTrainingConfig, EncoderTrainingConfig, TrainConfig};
    let decoder = DecoderConfig::new()
        .with_d_model(8)
        .with_hidden(8)
        .with_outputs(5);
    TrainConfig::new()
        .with_encoder(
            EncoderConfig::new()
                .with_stem_channels(4)
                .with_block_channels(vec![8, 128]),
        )
        .with_decoder_c(decoder.clone().with_with_embedding(false))
        .with_decoder_ch(decoder)
        .with_encoder_training(
            EncoderTrainingConfig::new()
                .with_epochs(2)
                .with_per_class(2)
                .with_warmup_epochs(1)
                .with_steps_per_epoch(2),
        )
        .with_decoder_training(
            DecoderTrainingConfig::new()
                .with_epochs(2)
                .with_batch_size(8),
        )
}
