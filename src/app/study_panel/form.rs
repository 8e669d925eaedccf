//! The "Run an evaluation" form: what `precordial eval` would be asked, checked before it runs.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::eval::run::EvalConfig;

/// Which records an evaluation covers: one split of the patient-wise split the models were trained
/// with, or every record (a dataset the models never saw).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum EvalSplit {
    Train,
    Val,
    #[default]
    Test,
    All,
}

impl EvalSplit {
    pub const ALL: [Self; 4] = [Self::Train, Self::Val, Self::Test, Self::All];

    pub fn label(self) -> &'static str {
        match self {
            Self::Train => "train",
            Self::Val => "val",
            Self::Test => "test",
            Self::All => "all",
        }
    }

    pub(super) fn hint(self) -> &'static str {
        match self {
            Self::Train => "The records the models were trained on (not a fair test).",
            Self::Val => "The validation records (used to pick the training checkpoint).",
            Self::Test => {
                "The held-out records of the models' patient-wise split: the paper's test."
            }
            Self::All => {
                "Every record: for a dataset the models never saw. Needs the models' training data as reference folders."
            }
        }
    }

    /// The library's split (`None`: every record).
    pub fn split(self) -> Option<crate::prep::Split> {
        use crate::prep::Split;
        match self {
            Self::Train => Some(Split::Train),
            Self::Val => Some(Split::Val),
            Self::Test => Some(Split::Test),
            Self::All => None,
        }
    }
}

/// The "Run an evaluation" form. Saved with the settings.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct EvalForm {
    /// Dataset folders, one per line.
    pub data_folders: String,
    pub split: EvalSplit,
    /// For split `all`: the models' training data (its train split fits quality control and the
    /// least-squares baseline), one folder per line.
    pub reference_folders: String,
    /// Neighbours for the class-affinity matrices.
    pub k: usize,
    /// Where the report is written; empty keeps it in the workbench only.
    pub out_dir: String,
}

impl Default for EvalForm {
    fn default() -> Self {
        Self {
            data_folders: String::new(),
            split: EvalSplit::default(),
            reference_folders: String::new(),
            k: EvalConfig::default().k,
            out_dir: String::new(),
        }
    }
}

/// The non-empty lines of a folder list, as paths.
fn folder_lines(text: &str) -> Vec<PathBuf> {
    text.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .map(PathBuf::from)
        .collect()
}

fn check_folders(folders: &[PathBuf]) -> Result<(), String> {
    match folders.iter().find(|folder| !folder.is_dir()) {
        Some(missing) => Err(format!("{}: no such folder", missing.display())),
        None => Ok(()),
    }
}

impl EvalForm {
    /// The evaluation the form describes (what `precordial eval` runs with the same arguments) and
    /// the output folder, or what is wrong with the form, in words for the user.
    pub fn config(&self) -> Result<(EvalConfig, Option<PathBuf>), String> {
        let data = folder_lines(&self.data_folders);
        if data.is_empty() {
            return Err("give at least one dataset folder (one per line)".to_owned());
        }
        check_folders(&data)?;
        // The reference field is shown for split `all` only, so only then does it count.
        let reference = if self.split == EvalSplit::All {
            folder_lines(&self.reference_folders)
        } else {
            Vec::new()
        };
        if self.split == EvalSplit::All && reference.is_empty() {
            return Err("split all evaluates every record, so it needs the models' training data as reference folders (their train split fits quality control and the least-squares baseline, without evaluating on them)".to_owned());
        }
        check_folders(&reference)?;
        if self.k == 0 {
            return Err("k must be at least 1".to_owned());
        }
        let out_dir = match self.out_dir.trim() {
            "" => None,
            dir => {
                let dir = PathBuf::from(dir);
                if dir.exists() && !dir.is_dir() {
                    return Err(format!("{}: not a folder", dir.display()));
                }
                if let Some(existing) = crate::worker::evaluate::existing_report(&dir) {
                    return Err(crate::worker::evaluate::report_exists_message(&existing));
                }
                Some(dir)
            }
        };
        let config = EvalConfig {
            data,
            split: self.split.split(),
            reference,
            k: self.k,
            ..EvalConfig::default()
        };
        Ok((config, out_dir))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn samples() -> String {
        concat!(env!("CARGO_MANIFEST_DIR"), "/assets/samples").to_owned()
    }

    #[test]
    fn the_evaluation_form_builds_what_the_cli_would_run() {
        let form = EvalForm {
            data_folders: format!("  {}  \n\n", samples()),
            split: EvalSplit::Train,
            reference_folders: "/not/used/unless/split/all".to_owned(),
            k: 5,
            out_dir: String::new(),
        };
        let (config, out_dir) = form.config().expect("valid");
        assert_eq!(config.data, vec![PathBuf::from(samples())]);
        assert_eq!(config.split, Some(crate::prep::Split::Train));
        assert!(config.reference.is_empty());
        assert_eq!(config.k, 5);
        assert_eq!(out_dir, None);
        // Everything else as `precordial eval` defaults it.
        let defaults = EvalConfig::default();
        assert_eq!(config.bootstrap_resamples, defaults.bootstrap_resamples);
        assert_eq!(config.permutations, defaults.permutations);
        assert_eq!(config.seed, defaults.seed);
        assert_eq!(config.qc_max_bad_leads, None);
    }

    #[test]
    fn the_evaluation_form_explains_what_is_wrong() {
        let valid = EvalForm {
            data_folders: samples(),
            ..EvalForm::default()
        };
        let error = |form: EvalForm| form.config().err().unwrap_or_default();
        assert!(error(EvalForm::default()).contains("at least one dataset folder"));
        assert!(
            error(EvalForm {
                data_folders: "/no/such/folder".to_owned(),
                ..valid.clone()
            })
            .contains("/no/such/folder: no such folder")
        );
        assert!(
            error(EvalForm {
                split: EvalSplit::All,
                ..valid.clone()
            })
            .contains("reference")
        );
        assert!(
            error(EvalForm {
                k: 0,
                ..valid.clone()
            })
            .contains("k must be")
        );
        // A folder holding a report is refused before anything runs.
        let dir = std::env::temp_dir().join(format!("precordial-form-{}", std::process::id()));
        std::fs::create_dir_all(&dir).ok();
        std::fs::write(dir.join("report.json"), "{}").ok();
        let refused = error(EvalForm {
            out_dir: dir.display().to_string(),
            ..valid.clone()
        });
        std::fs::remove_dir_all(&dir).ok();
        assert!(refused.contains("never replaces"), "{refused}");
        let (config, _) = EvalForm {
            split: EvalSplit::All,
            reference_folders: samples(),
            ..valid
        }
        .config()
        .expect("split all with a reference");
        assert_eq!((config.split, config.reference.len()), (None, 1));
    }
}
