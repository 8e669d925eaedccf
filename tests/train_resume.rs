//! `train --resume` after stops in the middle of a run ends with the models an uninterrupted run
//! writes, to the bit: the state saved after each whole epoch (weights, AdamW's moments, the
//! schedule, the random generators, the best state) carries a stage on exactly where it was.
//!
//! Alone in its test binary: model initialisation draws from the device's one seeded random
//! generator, which tests running in parallel would share.

#![allow(clippy::unwrap_used, clippy::expect_used)] // In tests a failed unwrap is a failed test.

mod common;

use std::path::{Path, PathBuf};

use precordial::model::card;
use precordial::model::pipeline::train_all;
use precordial::model::train::{EpochReport, TrainConfig, TrainProgress};
use precordial::model::{DeviceChoice, backend::select_device};
use precordial::progress::Progress;

/// Asks to stop once `stage` has finished epoch `epoch` and its next step has begun (the stop is
/// polled before each step), like Ctrl-C part-way through the following epoch.
struct StopDuring {
    stage: &'static str,
    epoch: usize,
    polls_after: Option<usize>,
}

impl Progress for StopDuring {
    fn message(&mut self, _: &str) {}
    fn cancelled(&self) -> bool {
        self.polls_after.is_some()
    }
}

impl TrainProgress for StopDuring {
    fn epoch(&mut self, report: &EpochReport) {
        if report.stage == self.stage && report.epoch == self.epoch {
            self.polls_after = Some(0);
        }
    }
}

struct Quiet;

impl Progress for Quiet {
    fn message(&mut self, _: &str) {}
}

impl TrainProgress for Quiet {}

fn config() -> TrainConfig {
    let mut config = common::tiny_training_config();
    config.encoder_training.epochs = 3;
    config.encoder_training.early_stop_patience = None;
    config.decoder_training.epochs = 3;
    config.decoder_training.early_stop_patience = 3;
    config
}

/// Each weight file's tensors: the header's tensor entries (names, shapes, offsets) and the data.
/// burn writes the header's metadata map in no fixed order, so whole files are not compared.
fn weights(out: &Path) -> Vec<(String, serde_json::Value, Vec<u8>)> {
    [
        card::ENCODER_WEIGHTS,
        card::DECODER_C_WEIGHTS,
        card::DECODER_CH_WEIGHTS,
    ]
    .iter()
    .map(|name| {
        let path = out.join(name);
        let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let (len, rest) = bytes.split_at(8);
        let len = u64::from_le_bytes(len.try_into().unwrap_or_default()) as usize;
        let (header, data) = rest.split_at(len);
        let mut header: serde_json::Value = serde_json::from_slice(header)
            .unwrap_or_else(|e| panic!("{}: header: {e}", path.display()));
        if let Some(entries) = header.as_object_mut() {
            entries.remove("__metadata__");
        }
        (name.to_string(), header, data.to_vec())
    })
    .collect()
}

#[test]
fn a_run_stopped_twice_and_resumed_writes_the_models_of_one_never_stopped() {
    let Some(data) = common::shared_data() else {
        return;
    };
    let folders: Vec<PathBuf> = vec![data.join("challenge-2021")];
    let device = select_device(DeviceChoice::Cpu).unwrap_or_else(|e| panic!("{e}"));
    let dir = common::scratch("models", "resume");
    let config = config();

    let straight = dir.join("straight");
    train_all(&folders, &straight, &config, &device, false, &mut Quiet)
        .unwrap_or_else(|e| panic!("{e}"));

    // Stopped in the encoder's second epoch, then in C-h's second epoch, each time resumed.
    let stopped = dir.join("stopped");
    for (resume, stage) in [(false, "encoder"), (true, "decoder_ch")] {
        let mut stop = StopDuring {
            stage,
            epoch: 1,
            polls_after: None,
        };
        let error = train_all(&folders, &stopped, &config, &device, resume, &mut stop)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(error.contains("stopped by the user"), "{error}");
    }
    let card = train_all(&folders, &stopped, &config, &device, true, &mut Quiet)
        .unwrap_or_else(|e| panic!("{e}"));
    let encoder = card
        .stages
        .iter()
        .find(|stage| stage.stage == "encoder")
        .unwrap_or_else(|| panic!("no encoder stage in the card"));
    assert_eq!(encoder.epochs_run, 3);
    assert_eq!(
        encoder.curve.len(),
        3,
        "one curve point per epoch, none twice"
    );

    for ((name, header, data), (_, other_header, other_data)) in
        weights(&straight).iter().zip(weights(&stopped))
    {
        assert_eq!(*header, other_header, "{name}: other tensors");
        assert!(
            *data == other_data,
            "{name}: weights differ from the uninterrupted run's"
        );
    }
}
