//! Saved models: burn-store safetensors weights, RON configurations, and a JSON model card with the
//! data sources and split, configurations, parameter counts, training time and device, metrics, the
//! embedding normalisation, and the SHA-256 of every file. Loading verifies each hash.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use burn::module::Module;
use burn::store::{ModuleSnapshot as _, SafetensorsStore};
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

use super::ModelError;
use crate::metrics::SplitMetrics;

pub const CARD_FILE: &str = "card.json";
pub const ENCODER_WEIGHTS: &str = "encoder.safetensors";
pub const ENCODER_CONFIG: &str = "encoder.ron";
pub const DECODER_C_WEIGHTS: &str = "decoder_c.safetensors";
pub const DECODER_C_CONFIG: &str = "decoder_c.ron";
pub const DECODER_CH_WEIGHTS: &str = "decoder_ch.safetensors";
pub const DECODER_CH_CONFIG: &str = "decoder_ch.ron";
pub const TRAINING_CONFIG: &str = "training.ron";
pub const SPLIT_FILE: &str = "split.json";
/// Version of the card layout; loading refuses other versions.
pub const CARD_VERSION: u32 = 1;

/// What a finished (or stopped) training stage reports, as the card records it.
#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct StageSummary {
    pub stage: String,
    pub epochs_run: usize,
    pub best_epoch: usize,
    pub best_val_loss: f64,
    /// The validation score that chose the best state, where the stage has one (the encoder:
    /// class-mean diagonal of ĥ's affinity, neighbours from other patients).
    #[serde(default)]
    pub best_val_score: Option<f64>,
    pub train_seconds: f64,
    pub windows_per_s: f64,
    pub stopped_by_user: bool,
    pub stopped_early: bool,
    /// Every epoch's figures in order: the stage's learning curves.
    #[serde(default)]
    pub curve: Vec<CurvePoint>,
}

/// One epoch of a stage's learning curve.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CurvePoint {
    pub epoch: usize,
    pub train_loss: f64,
    pub val_loss: f64,
    #[serde(default)]
    pub val_score: Option<f64>,
    pub learning_rate: f64,
    pub elapsed_s: f64,
}

/// The model card, `card.json` beside the weights.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct ModelCard {
    pub card_version: u32,
    pub created_utc: String,
    pub method: String,
    pub input_leads: Vec<String>,
    pub target_leads: Vec<String>,
    pub fs_hz: f64,
    pub window: usize,
    /// How the training records were cleaned (the same cleaning must be used before inference).
    pub cleaning: String,
    /// The dataset folders trained on (by name), then the records used per source.
    pub data_sources: Vec<String>,
    /// Per split, the SHA-256 of its sorted record ids joined by newlines: whether two cards were
    /// trained and tested on the same records, without listing them (split.json does).
    #[serde(default)]
    pub split_record_sha256: BTreeMap<String, String>,
    pub split_rule: String,
    pub records_per_split: BTreeMap<String, usize>,
    pub patients_per_split: BTreeMap<String, usize>,
    pub windows_per_split: BTreeMap<String, usize>,
    pub screening: crate::prep::Screening,
    pub windows_rejected_qc: usize,
    pub windows_rejected_flat: usize,
    pub label_names: Vec<String>,
    pub parameters: BTreeMap<String, usize>,
    pub device: String,
    pub stages: Vec<StageSummary>,
    pub embedding_mean: Vec<f32>,
    pub embedding_std: Vec<f32>,
    /// Metrics by split ("val", "test") and model ("c", "ch", "least_squares").
    pub metrics: BTreeMap<String, BTreeMap<String, SplitMetrics>>,
    /// The least-squares baseline's weights per target lead (I, II, V2, intercept), fitted on the
    /// train split: the population linear mapping, shown beside the models (empty in older cards).
    #[serde(default)]
    pub least_squares: BTreeMap<String, crate::metrics::LinearLead>,
    /// File name → SHA-256 (hex) of every weight and configuration file.
    pub sha256: BTreeMap<String, String>,
    pub notes: Vec<String>,
}

/// SHA-256 of a file, lower-case hex.
pub fn sha256_file(path: &Path) -> Result<String, ModelError> {
    let bytes = std::fs::read(path).map_err(|e| ModelError::io(path, e))?;
    Ok(sha256_hex(&bytes))
}

/// SHA-256 of bytes, lower-case hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Saves a module's parameters (and batch-norm statistics) as safetensors.
pub fn save_weights<M: Module>(module: &M, path: &Path) -> Result<(), ModelError> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(|e| ModelError::io(parent, e))?;
    }
    let mut store = SafetensorsStore::from_file(path).overwrite(true);
    module
        .save_into(&mut store)
        .map_err(|e| ModelError::Weights {
            path: path.to_path_buf(),
            message: e.to_string(),
        })
}

/// Loads safetensors weights into a freshly initialised module of the right shape; every tensor
/// must be present and of the right shape.
pub fn load_weights<M: Module>(module: &mut M, path: &Path) -> Result<(), ModelError> {
    if !path.is_file() {
        return Err(ModelError::Weights {
            path: path.to_path_buf(),
            message: "file not found".to_string(),
        });
    }
    let mut store = SafetensorsStore::from_file(path);
    let result = module
        .load_from(&mut store)
        .map_err(|e| ModelError::Weights {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
    if !result.errors.is_empty() || !result.missing.is_empty() {
        let mut problems: Vec<String> = result.errors.iter().map(|e| format!("{e:?}")).collect();
        problems.extend(
            result
                .missing
                .iter()
                .map(|(name, _)| format!("missing {name}")),
        );
        problems.truncate(3);
        return Err(ModelError::Weights {
            path: path.to_path_buf(),
            message: format!("does not match the configuration ({})", problems.join("; ")),
        });
    }
    Ok(())
}

/// Writes a burn config as RON.
pub fn save_ron<T: Serialize>(value: &T, path: &Path) -> Result<(), ModelError> {
    let text =
        ron::ser::to_string_pretty(value, ron::ser::PrettyConfig::default()).map_err(|e| {
            ModelError::Config {
                path: path.to_path_buf(),
                message: e.to_string(),
            }
        })?;
    std::fs::write(path, text + "\n").map_err(|e| ModelError::io(path, e))
}

/// Reads a RON config.
pub fn load_ron<T: for<'de> Deserialize<'de>>(path: &Path) -> Result<T, ModelError> {
    let text = std::fs::read_to_string(path).map_err(|e| ModelError::io(path, e))?;
    ron::from_str(&text).map_err(|e| ModelError::Config {
        path: path.to_path_buf(),
        message: format!("not a valid configuration: {e}"),
    })
}

impl ModelCard {
    pub fn read(dir: &Path) -> Result<Self, ModelError> {
        let path = dir.join(CARD_FILE);
        let text = std::fs::read_to_string(&path).map_err(|e| ModelError::io(&path, e))?;
        let card: Self = serde_json::from_str(&text).map_err(|e| ModelError::Format {
            path: path.clone(),
            message: format!("not a model card: {e}"),
        })?;
        if card.card_version != CARD_VERSION {
            return Err(ModelError::Format {
                path,
                message: format!(
                    "card version {} is not supported (expected {CARD_VERSION})",
                    card.card_version
                ),
            });
        }
        Ok(card)
    }

    pub fn write(&self, dir: &Path) -> Result<(), ModelError> {
        let path = dir.join(CARD_FILE);
        let text = serde_json::to_string_pretty(self).map_err(|e| ModelError::Format {
            path: path.clone(),
            message: e.to_string(),
        })?;
        std::fs::write(&path, text + "\n").map_err(|e| ModelError::io(&path, e))
    }

    /// Records the hash of each named file in `dir`.
    pub fn hash_files(&mut self, dir: &Path, names: &[&str]) -> Result<(), ModelError> {
        for name in names {
            let path = dir.join(name);
            if path.is_file() {
                self.sha256.insert((*name).to_string(), sha256_file(&path)?);
            }
        }
        Ok(())
    }

    /// Verifies the hash of a file against the card. Files the card does not list are refused.
    pub fn verify(&self, dir: &Path, name: &str) -> Result<PathBuf, ModelError> {
        let path = dir.join(name);
        let Some(expected) = self.sha256.get(name) else {
            return Err(ModelError::Format {
                path: dir.join(CARD_FILE),
                message: format!("the card lists no SHA-256 for {name}"),
            });
        };
        let actual = sha256_file(&path)?;
        if &actual != expected {
            return Err(ModelError::HashMismatch {
                path,
                expected: expected.clone(),
                actual,
            });
        }
        Ok(path)
    }
}

/// Current UTC time as `YYYY-MM-DDTHH:MM:SSZ`, without a date crate.
pub fn now_utc() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let days = secs / 86_400;
    let rem = secs % 86_400;
    // Civil from days (Howard Hinnant's algorithm).
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}
