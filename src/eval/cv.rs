//! Patient-wise K-fold cross-validation ([`crate::prep::CvFold`]): the encoder, C and C-h trained
//! once per fold, so every training record is scored once by models that never saw its patient.
//! One held-out split of ~80 records cannot resolve a few µV between C and C-h; pooled over all
//! folds the paired test, the per-class table and the leak-free affinity use every record.
//!
//! Each fold is an ordinary training run (`fold-1`, …) with an ordinary evaluation beside it, so
//! each fold's report is `eval`'s. Pooling is done on what pools honestly: record-level rows (each
//! record scored by its own fold's models) and affinity counts per class (each window's neighbours
//! from its own fold's test windows, in its own fold's embedding; spaces of different folds are
//! never mixed). On the cross dataset every record is scored by all K runs; its pooled row is the
//! mean over the runs.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::curve::{
    AffinityPoint, CurveScores, TrainingSize, affinity_point, display_paths, paired_cell,
    rmse_cell, scores, slope_cell, train_and_evaluate, write_outputs,
};
use super::report::{
    EvalReport, LeadScores, MEAN_OF_LEADS, MODEL_C, MODEL_CH, PairedMetric, PairedTest,
    RecordLevel, RecordScores, adjust_holm, model_name,
};
use super::run::{EvalConfig, summarise_records};
use super::{EvalError, Neighbours};
use crate::model::DeviceChoice;
use crate::model::train::{TrainConfig, TrainProgress};
use crate::prep::CvFold;

/// What to cross-validate.
#[derive(Clone, Debug)]
pub struct CvConfig {
    /// The training folders: all their patients are divided into folds.
    pub data: Vec<PathBuf>,
    pub folds: u8,
    /// A dataset never trained on (LUDB), evaluated whole by every fold's models; empty for none.
    pub cross_data: Vec<PathBuf>,
    pub train: TrainConfig,
    pub device: DeviceChoice,
    /// Where the runs, their reports and `cv.{md,json}` go.
    pub out: PathBuf,
}

/// One fold's run and its own figures.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct FoldResult {
    /// 1-based.
    pub fold: u8,
    /// What the fold's models trained on (the JSON keeps the `train_*` keys).
    #[serde(flatten)]
    pub train: TrainingSize,
    pub test_records: usize,
    pub test: CurveScores,
    pub affinity_other_patient: Option<AffinityPoint>,
    pub cross: Option<CurveScores>,
}

/// One pathology class over the pooled records.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct ClassRow {
    pub class: String,
    pub records: usize,
    /// Mean over the class's records of each record's mean RMSE over the five leads, per model.
    pub rmse: BTreeMap<String, f64>,
    /// C-h against C on those records (Holm-adjusted over the classes).
    pub paired_rmse: Option<PairedTest>,
}

/// Figures over every fold's records at once.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Pooled {
    pub records: usize,
    pub patients: usize,
    /// Table II over the pooled records, per model.
    pub record_level: BTreeMap<String, RecordLevel>,
    /// C-h against C per lead and metric over the pooled records (Holm over these tests).
    pub paired_tests: Vec<PairedTest>,
    pub per_class: Vec<ClassRow>,
    /// The leak-free affinity of ĥ and x̂: per class, the diagonal over every fold's windows of
    /// that class (each read in its own fold), then the mean over classes; chance likewise.
    pub affinity_other_patient: Option<AffinityPoint>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct CrossValidation {
    pub data: Vec<String>,
    pub cross_data: Vec<String>,
    pub folds: Vec<FoldResult>,
    pub pooled: Pooled,
    /// On the cross dataset, each record's metrics averaged over the K runs.
    pub cross: Option<Pooled>,
}

/// Trains (or reuses) each fold's models, evaluates them on their fold and on the cross dataset,
/// pools, and writes `cv.json` and `cv.md` into the output folder.
pub fn cross_validate(
    config: &CvConfig,
    progress: &mut dyn TrainProgress,
) -> Result<CrossValidation, EvalError> {
    let mut out = CrossValidation {
        data: display_paths(&config.data),
        cross_data: display_paths(&config.cross_data),
        ..CrossValidation::default()
    };
    // Checked before any training: fewer than three folds would leave no validation or no test.
    CvFold {
        folds: config.folds,
        test_fold: 0,
    }
    .validate()
    .map_err(EvalError::Input)?;
    let mut test_reports = Vec::new();
    let mut cross_reports = Vec::new();
    for test_fold in 0..config.folds {
        let cv = CvFold {
            folds: config.folds,
            test_fold,
        };
        let dir = config.out.join(format!("fold-{}", test_fold + 1));
        progress.message(&format!(
            "fold {} of {}: training into {}",
            test_fold + 1,
            config.folds,
            dir.display()
        ));
        let train = TrainConfig {
            cv: Some(cv),
            ..config.train.clone()
        };
        let run = train_and_evaluate(
            &config.data,
            &config.cross_data,
            &train,
            config.device,
            &dir,
            progress,
        )?;
        out.folds.push(FoldResult {
            fold: test_fold + 1,
            train: TrainingSize::of(&run.card),
            test_records: run.test.data.records,
            test: scores(&run.test),
            affinity_other_patient: affinity_point(&run.test),
            cross: run.cross.as_ref().map(scores),
        });
        test_reports.push(run.test);
        cross_reports.extend(run.cross);
    }
    let config_eval = EvalConfig::default();
    out.pooled = pool(&test_reports, &config_eval)?;
    if !cross_reports.is_empty() {
        out.cross = Some(pool_cross(&cross_reports, &config_eval));
    }
    write(&out, &config.out)?;
    Ok(out)
}

/// The folds' test records together: each is in exactly one fold's test split.
pub fn pool(reports: &[EvalReport], config: &EvalConfig) -> Result<Pooled, EvalError> {
    let rows: Vec<RecordScores> = reports.iter().flat_map(|r| r.records.clone()).collect();
    let mut seen = std::collections::HashSet::new();
    if let Some(twice) = rows.iter().find(|row| !seen.insert(row.record_id.as_str())) {
        return Err(EvalError::Input(format!(
            "record {} is in two folds' test splits: the folds are not a partition",
            twice.record_id
        )));
    }
    let mut pooled = pooled_rows(&rows, config);
    pooled.affinity_other_patient = pool_affinity(reports);
    Ok(pooled)
}

/// A dataset every fold's models scored: each record's metrics averaged over the runs.
pub fn pool_cross(reports: &[EvalReport], config: &EvalConfig) -> Pooled {
    let mut by_record: BTreeMap<&str, Vec<&RecordScores>> = BTreeMap::new();
    for row in reports.iter().flat_map(|r| &r.records) {
        by_record
            .entry(row.record_id.as_str())
            .or_default()
            .push(row);
    }
    let rows: Vec<RecordScores> = by_record
        .into_values()
        .map(|runs| {
            let mut models: BTreeMap<String, LeadScores> = BTreeMap::new();
            for model in runs.iter().flat_map(|r| r.models.keys()) {
                if models.contains_key(model) {
                    continue;
                }
                let each: Vec<&LeadScores> =
                    runs.iter().filter_map(|r| r.models.get(model)).collect();
                let mean = std::array::from_fn(|metric| {
                    std::array::from_fn(|lead| {
                        let values: Vec<f64> =
                            each.iter().filter_map(|s| s[metric][lead]).collect();
                        (!values.is_empty())
                            .then(|| values.iter().sum::<f64>() / values.len() as f64)
                    })
                });
                models.insert(model.clone(), mean);
            }
            RecordScores {
                models,
                ..runs[0].clone()
            }
        })
        .collect();
    pooled_rows(&rows, config)
}

fn pooled_rows(rows: &[RecordScores], config: &EvalConfig) -> Pooled {
    let summary = summarise_records(rows, config);
    let mut patients: Vec<&str> = rows.iter().map(|r| r.patient_id.as_str()).collect();
    patients.sort_unstable();
    patients.dedup();
    Pooled {
        records: rows.len(),
        patients: patients.len(),
        record_level: summary.table,
        paired_tests: summary.paired,
        per_class: per_class(rows, config),
        affinity_other_patient: None,
    }
}

/// Each record's mean over the five leads of one metric row (RMSE: row 0).
fn record_mean(scores: &LeadScores, metric: usize) -> Option<f64> {
    let values: Vec<f64> = scores[metric].iter().flatten().copied().collect();
    (!values.is_empty()).then(|| values.iter().sum::<f64>() / values.len() as f64)
}

/// Record-level RMSE per class and model, and C-h against C within each class.
fn per_class(rows: &[RecordScores], config: &EvalConfig) -> Vec<ClassRow> {
    let mut classes: BTreeMap<&str, Vec<&RecordScores>> = BTreeMap::new();
    for row in rows {
        if let Some(class) = &row.class {
            classes.entry(class.as_str()).or_default().push(row);
        }
    }
    let mut out: Vec<ClassRow> = classes
        .into_iter()
        .map(|(class, rows)| {
            let mut rmse = BTreeMap::new();
            let models: std::collections::BTreeSet<&String> =
                rows.iter().flat_map(|r| r.models.keys()).collect();
            for model in models {
                let values: Vec<f64> = rows
                    .iter()
                    .filter_map(|r| record_mean(r.models.get(model)?, 0))
                    .collect();
                if !values.is_empty() {
                    rmse.insert(
                        model.clone(),
                        values.iter().sum::<f64>() / values.len() as f64,
                    );
                }
            }
            let (c, ch): (Vec<f64>, Vec<f64>) = rows
                .iter()
                .filter_map(|r| {
                    Some((
                        record_mean(r.models.get(MODEL_C)?, 0)?,
                        record_mean(r.models.get(MODEL_CH)?, 0)?,
                    ))
                })
                .unzip();
            let paired_rmse = PairedTest::compute(
                MEAN_OF_LEADS,
                PairedMetric::Rmse,
                &c,
                &ch,
                config.permutations,
                config.seed,
            );
            ClassRow {
                class: class.to_owned(),
                records: rows.len(),
                rmse,
                paired_rmse,
            }
        })
        .collect();
    adjust_holm(out.iter_mut().filter_map(|row| row.paired_rmse.as_mut()));
    out.sort_by(|a, b| b.records.cmp(&a.records).then(a.class.cmp(&b.class)));
    out
}

/// Per class, the diagonal and chance over every fold's windows of that class (each fold's entry
/// weighted by its windows), then the mean over classes with windows: the pooled form of the
/// report's `diagonal_mean` and `chance_mean`.
fn pool_affinity(reports: &[EvalReport]) -> Option<AffinityPoint> {
    // class → (windows, Σ windows·diagonal of h, of x, Σ windows·chance)
    let mut sums: BTreeMap<String, [f64; 4]> = BTreeMap::new();
    for report in reports {
        let affinity = report.affinity.as_ref()?;
        let h = affinity.h.get(Neighbours::OtherPatients)?;
        let x = affinity.x.get(Neighbours::OtherPatients)?;
        for (i, class) in h.classes.iter().enumerate() {
            let j = x.classes.iter().position(|c| c == class)?;
            let n = h.counts[i] as f64;
            let entry = sums.entry(class.clone()).or_default();
            entry[0] += n;
            entry[1] += n * h.matrix[i][i];
            entry[2] += n * x.matrix[j][j];
            entry[3] += n * h.chance[i];
        }
    }
    let classes: Vec<[f64; 4]> = sums.into_values().filter(|s| s[0] > 0.0).collect();
    if classes.is_empty() {
        return None;
    }
    let mean = |k: usize| classes.iter().map(|s| s[k] / s[0]).sum::<f64>() / classes.len() as f64;
    Some(AffinityPoint {
        h: mean(1),
        x: mean(2),
        chance: mean(3),
    })
}

fn write(cv: &CrossValidation, out: &Path) -> Result<(), EvalError> {
    let json = serde_json::to_string_pretty(cv)
        .map_err(|e| EvalError::Input(format!("{}: {e}", out.display())))?;
    write_outputs(
        out,
        &[
            ("cv.json", json.as_bytes()),
            ("cv.md", markdown(cv).as_bytes()),
        ],
    )
}

fn level_cell(level: Option<&RecordLevel>) -> String {
    level.map_or("–".to_owned(), |l| match l.rmse_ci95 {
        Some((lo, hi)) => format!("{:.4} [{lo:.4}, {hi:.4}]", l.rmse_mean),
        None => format!("{:.4}", l.rmse_mean),
    })
}

fn affinity_cell(point: Option<&AffinityPoint>) -> String {
    point.map_or("–".to_owned(), |a| {
        format!(
            "{:.3} / {:.3} ({:.3}; {:.1}× chance)",
            a.h,
            a.x,
            a.chance,
            a.h / a.chance
        )
    })
}

fn pooled_markdown(md: &mut String, pooled: &Pooled) {
    writeln!(
        md,
        "| model | records | RMSE (mV) [95 % CI] | R² | Pearson r |\n|---|---|---|---|---|"
    )
    .ok();
    for (model, level) in &pooled.record_level {
        writeln!(
            md,
            "| {} | {} | {} | {:.3} ± {:.3} | {:.3} ± {:.3} |",
            model_name(model),
            level.records,
            level_cell(Some(level)),
            level.r2_mean,
            level.r2_std,
            level.pearson_mean,
            level.pearson_std
        )
        .ok();
    }
    writeln!(
        md,
        "\nC-h against C, paired over records (two-sided sign-flip permutation; Holm over the {} tests):\n\n| lead | metric | records | C | C-h | p | p (Holm) | reading |\n|---|---|---|---|---|---|---|---|",
        pooled.paired_tests.len()
    )
    .ok();
    for t in &pooled.paired_tests {
        writeln!(
            md,
            "| {} | {} | {} | {:.4} | {:.4} | {:.4} | {:.4} | {} |",
            t.lead,
            t.metric.label(),
            t.records,
            t.c,
            t.ch,
            t.p_value,
            t.p_holm,
            t.reading()
        )
        .ok();
    }
    if !pooled.per_class.is_empty() {
        writeln!(
            md,
            "\nPer pathology class (record-level mean RMSE, mV; C-h − C paired within the class, Holm over classes):\n\n| class | records | least squares | C | C-h | C-h − C (p, Holm) |\n|---|---|---|---|---|---|"
        )
        .ok();
        for row in &pooled.per_class {
            let cell = |model: &str| {
                row.rmse
                    .get(model)
                    .map_or("–".to_owned(), |v| format!("{v:.4}"))
            };
            writeln!(
                md,
                "| {} | {} | {} | {} | {} | {} |",
                row.class,
                row.records,
                cell("least_squares"),
                cell(MODEL_C),
                cell(MODEL_CH),
                row.paired_rmse.as_ref().map_or("–".to_owned(), |t| format!(
                    "{:+.4} (p {:.3}, {:.3})",
                    t.ch - t.c,
                    t.p_value,
                    t.p_holm
                ))
            )
            .ok();
        }
    }
}

/// The cross-validation as tables: per fold, then pooled.
pub fn markdown(cv: &CrossValidation) -> String {
    let mut md = String::new();
    let k = cv.folds.len();
    let test_share = 100.0 / k.max(1) as f64;
    let val_share = CvFold::VAL_SHARE * 100.0;
    writeln!(
        md,
        "# Cross-validation ({k} folds, patient-wise)\n\nEvery patient of {} is in the test split of \
         exactly one fold; each fold's encoder, C and C-h were trained on the other folds' patients \
         ({:.0} % of all patients train, {val_share:.0} % validation for model selection and early \
         stopping), so every record below was scored by models that never saw its patient. Quality \
         control and the least-squares baseline are fitted on each fold's own train split.\n",
        cv.data.join(", "),
        100.0 - test_share - val_share
    )
    .ok();
    writeln!(md, "## Per fold (test split of the fold)\n").ok();
    writeln!(
        md,
        "| fold | train patients (records) | test records | least squares | C | C-h | C-h − C (p, Holm) | slope C / C-h | ĥ / x̂ affinity (chance) | training time |\n|---|---|---|---|---|---|---|---|---|---|"
    )
    .ok();
    for f in &cv.folds {
        writeln!(
            md,
            "| {} | {} ({}) | {} | {} | {} | {} | {} | {} | {} | {:.0} min |",
            f.fold,
            f.train.patients,
            f.train.records,
            f.test_records,
            rmse_cell(&f.test, "least_squares"),
            rmse_cell(&f.test, MODEL_C),
            rmse_cell(&f.test, MODEL_CH),
            paired_cell(&f.test),
            slope_cell(&f.test),
            affinity_cell(f.affinity_other_patient.as_ref()),
            f.train.seconds / 60.0
        )
        .ok();
    }
    writeln!(
        md,
        "\n## Pooled over the {k} folds: {} records, {} patients\n",
        cv.pooled.records, cv.pooled.patients
    )
    .ok();
    pooled_markdown(&mut md, &cv.pooled);
    writeln!(
        md,
        "\nLeak-free class affinity (k = 10; no neighbour from the window's patient; each window read \
         in its own fold's embedding among its fold's test windows), ĥ / x̂ (chance): {}\n",
        affinity_cell(cv.pooled.affinity_other_patient.as_ref())
    )
    .ok();
    if let Some(cross) = &cv.cross {
        writeln!(
            md,
            "## {} (never trained on): {} records, each scored by all {k} folds' models and averaged\n",
            cv.cross_data.join(", "),
            cross.records
        )
        .ok();
        writeln!(
            md,
            "Per fold, C-h − C (p, Holm): {}\n",
            cv.folds
                .iter()
                .map(|f| f.cross.as_ref().map_or("–".to_owned(), paired_cell))
                .collect::<Vec<_>>()
                .join("; ")
        )
        .ok();
        pooled_markdown(&mut md, cross);
    }
    md
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eval::report::mean_rmse_test;

    fn row(id: &str, class: Option<&str>, c: f64, ch: f64) -> RecordScores {
        let scores =
            |rmse: f64| -> LeadScores { [[Some(rmse); 5], [Some(0.5); 5], [Some(0.9); 5]] };
        RecordScores {
            record_id: id.to_owned(),
            patient_id: format!("p-{id}"),
            class: class.map(str::to_owned),
            models: [
                (MODEL_C.to_owned(), scores(c)),
                (MODEL_CH.to_owned(), scores(ch)),
            ]
            .into_iter()
            .collect(),
        }
    }

    fn report(rows: Vec<RecordScores>) -> EvalReport {
        EvalReport {
            records: rows,
            ..EvalReport::default()
        }
    }

    /// Pooling sees every fold's records: a difference too small for one fold's records to
    /// resolve is resolved over all of them, and the per-class rows follow the records' classes.
    #[test]
    fn pooling_tests_over_every_folds_records() {
        let config = EvalConfig {
            permutations: 2000,
            bootstrap_resamples: 200,
            ..EvalConfig::default()
        };
        let folds: Vec<EvalReport> = (0..5)
            .map(|fold| {
                report(
                    (0..8)
                        .map(|k| {
                            let c = 0.15 + 0.01 * f64::from(k);
                            let class = if k % 2 == 0 { "MI" } else { "NORM" };
                            row(&format!("{fold}-{k}"), Some(class), c, c - 0.004)
                        })
                        .collect(),
                )
            })
            .collect();
        let pooled = pool(&folds, &config).unwrap();
        assert_eq!(pooled.records, 40);
        assert_eq!(pooled.patients, 40);
        let mean_rmse = mean_rmse_test(&pooled.paired_tests).unwrap();
        assert_eq!(mean_rmse.records, 40);
        assert!((mean_rmse.c - mean_rmse.ch - 0.004).abs() < 1e-9);
        assert!(mean_rmse.p_value < 0.01, "{}", mean_rmse.p_value);
        let mi = pooled.per_class.iter().find(|r| r.class == "MI").unwrap();
        assert_eq!(mi.records, 20);
        assert!((mi.rmse[MODEL_C] - mi.rmse[MODEL_CH] - 0.004).abs() < 1e-9);
        // A record in two folds' test splits is refused.
        let mut twice = folds.clone();
        twice[1].records.push(folds[0].records[0].clone());
        assert!(pool(&twice, &config).is_err());
    }

    /// On a dataset every fold scored, a record's pooled metrics are its mean over the runs.
    #[test]
    fn a_cross_dataset_record_is_averaged_over_the_runs() {
        let config = EvalConfig {
            permutations: 100,
            bootstrap_resamples: 100,
            ..EvalConfig::default()
        };
        let runs = [
            report(vec![row("a", None, 0.10, 0.20), row("b", None, 0.3, 0.3)]),
            report(vec![row("a", None, 0.20, 0.40), row("b", None, 0.3, 0.3)]),
        ];
        let pooled = pool_cross(&runs, &config);
        assert_eq!(pooled.records, 2);
        let c = &pooled.record_level[MODEL_C];
        let ch = &pooled.record_level[MODEL_CH];
        assert!((c.rmse_mean - (0.15 + 0.3) / 2.0).abs() < 1e-12);
        assert!((ch.rmse_mean - (0.30 + 0.3) / 2.0).abs() < 1e-12);
    }
}
