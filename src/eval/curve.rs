//! Learning curves: the encoder, C and C-h trained on nested patient subsets of the train split
//! ([`crate::prep::in_train_subset`]), each evaluated on the same held-out test windows (and on a
//! dataset never trained on), so a researcher can see whether C-h's gain over C grows with data.
//!
//! Each fraction is an ordinary training run in its own folder (`fraction-025`, …), resumed where
//! it stopped, and an ordinary evaluation whose `report.json` stays beside it; the curve gathers
//! their record-level RMSE with bootstrap CIs, the paired test of C-h against C, the
//! regression-to-the-mean slope and the leak-free ĥ affinity.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::report::{EvalReport, MODEL_C, MODEL_CH, PairedTest, RecordLevel, mean_rmse_test};
use super::run::{EvalConfig, evaluate};
use super::{EvalError, Neighbours, raster};
use crate::model::backend::{DeviceChoice, select_device};
use crate::model::card::ModelCard;
use crate::model::train::{TrainConfig, TrainProgress};
use crate::model::{Reconstructor, pipeline};
use crate::prep::{LudbScaling, Split};

/// What to train and evaluate.
#[derive(Clone, Debug)]
pub struct CurveConfig {
    /// The training folders (their test split is the held-out set).
    pub data: Vec<PathBuf>,
    /// Fractions of the train split's patients, each in (0, 1].
    pub fractions: Vec<f64>,
    /// A dataset never trained on (LUDB), evaluated whole; empty for none.
    pub cross_data: Vec<PathBuf>,
    pub train: TrainConfig,
    pub device: DeviceChoice,
    /// Where the runs, their reports and the curve go.
    pub out: PathBuf,
}

/// One model's figures at one point.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct CurveScores {
    /// Record-level RMSE (mean, bootstrap 95 % CI) per model (`least_squares`, `c`, `ch`).
    pub rmse: BTreeMap<String, RecordLevel>,
    /// C-h against C on each record's mean RMSE, paired over records (the report's test).
    pub paired_rmse: Option<PairedTest>,
    /// Mean regression-to-the-mean error slope over lead and wave, per model (0: amplitudes kept;
    /// −1: every record given the population's).
    pub error_slope: BTreeMap<String, f64>,
}

/// One training subset and what its models did.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct CurvePoint {
    pub fraction: f64,
    /// What the point's models trained on (the JSON keeps the `train_*` keys).
    #[serde(flatten)]
    pub train: TrainingSize,
    pub test: CurveScores,
    /// The leak-free affinity (no neighbour from the window's patient) on the test split.
    pub affinity_other_patient: Option<AffinityPoint>,
    pub cross: Option<CurveScores>,
}

/// Class-affinity diagonal means at one point, with the chance level beside them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct AffinityPoint {
    /// Of the embeddings ĥ.
    pub h: f64,
    /// Of the inputs x̂.
    pub x: f64,
    pub chance: f64,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct LearningCurve {
    pub data: Vec<String>,
    pub cross_data: Vec<String>,
    pub test_records: usize,
    pub points: Vec<CurvePoint>,
}

/// Trains (or resumes) each fraction's models and evaluates them; writes `curve.json`, `curve.md`
/// and `curve.svg`/`.png` into the output folder.
pub fn learning_curve(
    config: &CurveConfig,
    progress: &mut dyn TrainProgress,
) -> Result<LearningCurve, EvalError> {
    let input = |message: String| EvalError::Input(message);
    if config.fractions.is_empty() || config.fractions.iter().any(|f| !(*f > 0.0 && *f <= 1.0)) {
        return Err(input(format!(
            "fractions {:?} must each lie in (0, 1]",
            config.fractions
        )));
    }
    let mut fractions = config.fractions.clone();
    fractions.sort_by(f64::total_cmp);
    fractions.dedup();
    let mut curve = LearningCurve {
        data: display_paths(&config.data),
        cross_data: display_paths(&config.cross_data),
        ..LearningCurve::default()
    };
    for fraction in fractions {
        let dir = config
            .out
            .join(format!("fraction-{:03}", (fraction * 100.0).round()));
        progress.message(&format!(
            "training on {:.0} % of the train split's patients into {}",
            fraction * 100.0,
            dir.display()
        ));
        let train = TrainConfig {
            train_fraction: (fraction < 1.0).then_some(fraction),
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
        let (card, report) = (run.card, run.test);
        curve.test_records = report.data.records;
        let cross = run.cross.as_ref().map(scores);
        curve.points.push(CurvePoint {
            fraction,
            train: TrainingSize::of(&card),
            test: scores(&report),
            affinity_other_patient: affinity_point(&report),
            cross,
        });
    }
    write_curve(&curve, &config.out)?;
    Ok(curve)
}

/// How much a run trained on, and for how long: its card's train split and stage times.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TrainingSize {
    #[serde(rename = "train_patients")]
    pub patients: usize,
    #[serde(rename = "train_records")]
    pub records: usize,
    #[serde(rename = "train_windows", default)]
    pub windows: usize,
    /// Wall-clock, summed over the stages.
    #[serde(rename = "train_seconds")]
    pub seconds: f64,
}

impl TrainingSize {
    pub fn of(card: &ModelCard) -> Self {
        let train = |counts: &BTreeMap<String, usize>| {
            counts.get(Split::Train.name()).copied().unwrap_or(0)
        };
        Self {
            patients: train(&card.patients_per_split),
            records: train(&card.records_per_split),
            windows: train(&card.windows_per_split),
            seconds: card.stages.iter().map(|s| s.train_seconds).sum(),
        }
    }
}

/// One training run and its evaluations.
pub(super) struct TrainedRun {
    pub card: ModelCard,
    /// On the test split of the run's own split (its cross-validation fold, if any).
    pub test: EvalReport,
    /// On the dataset never trained on, evaluated whole.
    pub cross: Option<EvalReport>,
}

/// Trains the encoder, C and C-h into `dir` (reused when finished there, resumed when not) and
/// evaluates them on their test split and on `cross_data`; each report is written beside them.
pub(super) fn train_and_evaluate(
    data: &[PathBuf],
    cross_data: &[PathBuf],
    train: &TrainConfig,
    device_choice: DeviceChoice,
    dir: &Path,
    progress: &mut dyn TrainProgress,
) -> Result<TrainedRun, EvalError> {
    let input = |message: String| EvalError::Input(message);
    let device = select_device(device_choice).map_err(|e| input(e.to_string()))?;
    let card = match finished_card(dir) {
        Some(card) => {
            progress.message(&format!("{}: trained before, reused", dir.display()));
            card
        }
        None => pipeline::train_all(data, dir, train, &device, true, progress)
            .map_err(|e| input(e.to_string()))?,
    };
    if progress.cancelled() {
        return Err(EvalError::Cancelled);
    }
    let models = Reconstructor::load(dir, device_choice).map_err(|e| input(e.to_string()))?;
    let test_config = EvalConfig {
        data: data.to_vec(),
        split: Some(Split::Test),
        ..EvalConfig::default()
    };
    let test = evaluate(&test_config, Some((&models, dir)), progress)?;
    test.write(&dir.join("eval-test"), true)?;
    let cross = if cross_data.is_empty() {
        None
    } else {
        let cross_config = EvalConfig {
            data: cross_data.to_vec(),
            split: None,
            reference: data.to_vec(),
            ludb: LudbScaling::CommonGain,
            ..EvalConfig::default()
        };
        let report = evaluate(&cross_config, Some((&models, dir)), progress)?;
        report.write(&dir.join("eval-cross"), true)?;
        Some(report)
    };
    Ok(TrainedRun { card, test, cross })
}

/// The leak-free affinity (no neighbour from the window's patient) of a report.
pub(super) fn affinity_point(report: &EvalReport) -> Option<AffinityPoint> {
    let affinity = report.affinity.as_ref()?;
    let h = affinity.h.get(Neighbours::OtherPatients)?;
    let x = affinity.x.get(Neighbours::OtherPatients)?;
    Some(AffinityPoint {
        h: h.diagonal_mean,
        x: x.diagonal_mean,
        chance: h.chance_mean,
    })
}

/// The card of a finished run in `dir`, if any.
fn finished_card(dir: &Path) -> Option<ModelCard> {
    pipeline::is_finished(dir)
        .then(|| ModelCard::read(dir).ok())
        .flatten()
}

pub(super) fn scores(report: &EvalReport) -> CurveScores {
    let paired_rmse = mean_rmse_test(&report.paired_tests).cloned();
    let mut slopes: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    for row in &report.regression_to_mean {
        if row.fit.error_slope.is_finite() {
            slopes
                .entry(row.model.clone())
                .or_default()
                .push(row.fit.error_slope);
        }
    }
    CurveScores {
        rmse: report
            .record_level
            .iter()
            .filter(|(model, _)| ["least_squares", MODEL_C, MODEL_CH].contains(&model.as_str()))
            .map(|(model, level)| (model.clone(), *level))
            .collect(),
        paired_rmse,
        error_slope: slopes
            .into_iter()
            .map(|(model, s)| (model, s.iter().sum::<f64>() / s.len() as f64))
            .collect(),
    }
}

fn write_curve(curve: &LearningCurve, out: &Path) -> Result<(), EvalError> {
    let json = serde_json::to_string_pretty(curve)
        .map_err(|e| EvalError::Input(format!("{}: {e}", out.display())))?;
    let svg = curve_svg(curve);
    let png = raster::svg_to_png(&svg, 2.0)?;
    write_outputs(
        out,
        &[
            ("curve.json", json.as_bytes()),
            ("curve.md", markdown(curve).as_bytes()),
            ("curve.svg", svg.as_bytes()),
            ("curve.png", &png[..]),
        ],
    )
}

/// Writes a study's files into `out` (created if needed), replacing earlier ones: a study
/// rewrites its summary each time it is resumed.
pub(super) fn write_outputs(out: &Path, files: &[(&str, &[u8])]) -> Result<(), EvalError> {
    let io = |path: &Path, e: &dyn std::fmt::Display| {
        EvalError::Input(format!("{}: {e}", path.display()))
    };
    std::fs::create_dir_all(out).map_err(|e| io(out, &e))?;
    for (name, bytes) in files {
        let path = out.join(name);
        crate::output::write_file(&path, true, |w| w.write_all(bytes))
            .map_err(|e| io(&path, &e))?;
    }
    Ok(())
}

/// Paths as the study files record them.
pub(super) fn display_paths(paths: &[PathBuf]) -> Vec<String> {
    paths.iter().map(|p| p.display().to_string()).collect()
}

fn model_label(model: &str) -> &str {
    match model {
        MODEL_C => "C",
        MODEL_CH => "C-h",
        _ => "least squares",
    }
}

/// The curve as tables.
pub fn markdown(curve: &LearningCurve) -> String {
    let mut md = String::new();
    writeln!(
        md,
        "# Learning curve\n\nThe encoder, C and C-h trained on nested subsets of the train split's \
         patients; every point evaluated on the same {} test records. Record-level mean RMSE (mV) \
         with bootstrap 95 % CIs; least squares is fitted on the whole train split at every point \
         (a fixed reference, as `eval` fits it). C-h − C with its paired sign-flip permutation p \
         (Holm-adjusted over the report's tests); mean regression-to-the-mean error slope over \
         leads and waves; ĥ and x̂ affinity diagonals with no neighbour from the window's own \
         patient, beside chance. Training times are wall-clock on the machine that ran them.\n",
        curve.test_records
    )
    .ok();
    writeln!(
        md,
        "| train patients (records) | least squares | C | C-h | C-h − C (p, Holm) | slope C / C-h | ĥ / x̂ affinity (chance) | training time |"
    )
    .ok();
    writeln!(md, "|---|---|---|---|---|---|---|---|").ok();
    for p in &curve.points {
        writeln!(
            md,
            "| {} ({}) | {} | {} | {} | {} | {} | {} | {:.0} min |",
            p.train.patients,
            p.train.records,
            rmse_cell(&p.test, "least_squares"),
            rmse_cell(&p.test, MODEL_C),
            rmse_cell(&p.test, MODEL_CH),
            paired_cell(&p.test),
            slope_cell(&p.test),
            p.affinity_other_patient.map_or("–".to_owned(), |a| format!(
                "{:.3} / {:.3} ({:.3})",
                a.h, a.x, a.chance
            )),
            p.train.seconds / 60.0
        )
        .ok();
    }
    if curve.points.iter().any(|p| p.cross.is_some()) {
        writeln!(
            md,
            "\nOn {} (never trained on; evaluated whole):\n",
            curve.cross_data.join(", ")
        )
        .ok();
        writeln!(
            md,
            "| train patients | least squares | C | C-h | C-h − C (p, Holm) | slope C / C-h |"
        )
        .ok();
        writeln!(md, "|---|---|---|---|---|---|").ok();
        for p in &curve.points {
            if let Some(cross) = &p.cross {
                writeln!(
                    md,
                    "| {} | {} | {} | {} | {} | {} |",
                    p.train.patients,
                    rmse_cell(cross, "least_squares"),
                    rmse_cell(cross, MODEL_C),
                    rmse_cell(cross, MODEL_CH),
                    paired_cell(cross),
                    slope_cell(cross)
                )
                .ok();
            }
        }
    }
    md
}

/// One model's record-level RMSE with its CI, as the tables show it.
pub fn rmse_cell(scores: &CurveScores, model: &str) -> String {
    match scores.rmse.get(model) {
        Some(level) => match level.rmse_ci95 {
            Some((lo, hi)) => format!("{:.4} [{lo:.4}, {hi:.4}]", level.rmse_mean),
            None => format!("{:.4}", level.rmse_mean),
        },
        None => "–".to_owned(),
    }
}

pub(super) fn paired_cell(scores: &CurveScores) -> String {
    scores.paired_rmse.as_ref().map_or("–".to_owned(), |t| {
        format!("{:+.4} (p {:.3}, {:.3})", t.ch - t.c, t.p_value, t.p_holm)
    })
}

pub(super) fn slope_cell(scores: &CurveScores) -> String {
    let get = |model: &str| {
        scores
            .error_slope
            .get(model)
            .map_or("–".to_owned(), |s| format!("{s:.2}"))
    };
    format!("{} / {}", get(MODEL_C), get(MODEL_CH))
}

/// Two panels against the number of training patients: record-level RMSE with its CI per model,
/// and the leak-free ĥ and x̂ affinity diagonals beside chance.
pub fn curve_svg(curve: &LearningCurve) -> String {
    let (w, h) = (920.0, 400.0);
    let mut svg = String::new();
    writeln!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" font-family="sans-serif"><rect width="{w}" height="{h}" fill="white"/>"#
    )
    .ok();
    let xs: Vec<f64> = curve
        .points
        .iter()
        .map(|p| p.train.patients as f64)
        .collect();
    let x_max = xs.iter().copied().fold(1.0, f64::max) * 1.08;
    let panel = |svg: &mut String, left: f64, title: &str, y_label: &str, y_range: (f64, f64)| {
        let (top, width, height) = (50.0, 340.0, 280.0);
        writeln!(
            svg,
            r##"<text x="{}" y="30" font-size="15" text-anchor="middle">{title}</text><rect x="{left}" y="{top}" width="{width}" height="{height}" fill="none" stroke="#888"/><text x="{}" y="{}" font-size="12" text-anchor="middle">training patients</text><text x="{}" y="{}" font-size="12" text-anchor="middle" transform="rotate(-90 {} {})">{y_label}</text>"##,
            left + width / 2.0,
            left + width / 2.0,
            top + height + 38.0,
            left - 48.0,
            top + height / 2.0,
            left - 48.0,
            top + height / 2.0,
        )
        .ok();
        for k in 0..=4 {
            let value = y_range.0 + (y_range.1 - y_range.0) * f64::from(k) / 4.0;
            let y = top + height - height * f64::from(k) / 4.0;
            writeln!(
                svg,
                r##"<text x="{}" y="{}" font-size="11" text-anchor="end">{value:.3}</text><line x1="{left}" x2="{}" y1="{y}" y2="{y}" stroke="#eee"/>"##,
                left - 6.0,
                y + 4.0,
                left + width
            )
            .ok();
        }
        for x in &xs {
            writeln!(
                svg,
                r##"<text x="{}" y="{}" font-size="11" text-anchor="middle">{x:.0}</text>"##,
                left + width * x / x_max,
                top + height + 16.0
            )
            .ok();
        }
        move |x: f64, y: f64| {
            (
                left + width * x / x_max,
                top + height - height * (y - y_range.0) / (y_range.1 - y_range.0).max(1e-12),
            )
        }
    };
    // RMSE panel.
    let rmse_values: Vec<f64> = curve
        .points
        .iter()
        .flat_map(|p| p.test.rmse.values())
        .flat_map(|l| {
            [
                l.rmse_mean,
                l.rmse_ci95.map_or(l.rmse_mean, |c| c.0),
                l.rmse_ci95.map_or(l.rmse_mean, |c| c.1),
            ]
        })
        .filter(|v| v.is_finite())
        .collect();
    let lo = rmse_values.iter().copied().fold(f64::MAX, f64::min);
    let hi = rmse_values.iter().copied().fold(f64::MIN, f64::max);
    let pad = ((hi - lo) * 0.1).max(0.005);
    let to_page = panel(
        &mut svg,
        80.0,
        "Held-out RMSE (test split)",
        "record mean RMSE (mV)",
        (lo - pad, hi + pad),
    );
    for (k, (model, colour)) in [
        ("least_squares", "#7f7f7f"),
        (MODEL_C, "#1f77b4"),
        (MODEL_CH, "#d62728"),
    ]
    .iter()
    .enumerate()
    {
        let offset = (k as f64 - 1.0) * 3.0;
        let mut path = String::new();
        for (p, x) in curve.points.iter().zip(&xs) {
            let Some(level) = p.test.rmse.get(*model) else {
                continue;
            };
            let (px, py) = to_page(*x, level.rmse_mean);
            write!(
                path,
                "{}{:.1},{:.1} ",
                if path.is_empty() { "M" } else { "L" },
                px + offset,
                py
            )
            .ok();
            if let Some((ci_lo, ci_hi)) = level.rmse_ci95 {
                let (_, y0) = to_page(*x, ci_lo);
                let (_, y1) = to_page(*x, ci_hi);
                writeln!(
                    svg,
                    r#"<line x1="{0:.1}" x2="{0:.1}" y1="{y0:.1}" y2="{y1:.1}" stroke="{colour}"/>"#,
                    px + offset
                )
                .ok();
            }
            writeln!(
                svg,
                r#"<circle cx="{:.1}" cy="{py:.1}" r="3.5" fill="{colour}"/>"#,
                px + offset
            )
            .ok();
        }
        writeln!(
            svg,
            r#"<path d="{path}" fill="none" stroke="{colour}" stroke-width="1.5"/><text x="{}" y="{}" font-size="12" fill="{colour}">{}</text>"#,
            100.0,
            70.0 + 16.0 * k as f64,
            model_label(model)
        )
        .ok();
    }
    // Affinity panel.
    let to_page = panel(
        &mut svg,
        540.0,
        "Leak-free class affinity (test split)",
        "diagonal mean",
        (0.0, 1.0),
    );
    type Pick = fn(&AffinityPoint) -> f64;
    let lines: [(&str, &str, Pick); 3] = [
        ("ĥ (embedding)", "#d62728", |a| a.h),
        ("x (input)", "#1f77b4", |a| a.x),
        ("chance", "#7f7f7f", |a| a.chance),
    ];
    for (k, (label, colour, pick)) in lines.iter().enumerate() {
        let mut path = String::new();
        for (p, x) in curve.points.iter().zip(&xs) {
            let Some(a) = &p.affinity_other_patient else {
                continue;
            };
            let value = pick(a);
            let (px, py) = to_page(*x, value);
            write!(
                path,
                "{}{px:.1},{py:.1} ",
                if path.is_empty() { "M" } else { "L" }
            )
            .ok();
            writeln!(
                svg,
                r#"<circle cx="{px:.1}" cy="{py:.1}" r="3.5" fill="{colour}"/>"#
            )
            .ok();
        }
        writeln!(
            svg,
            r#"<path d="{path}" fill="none" stroke="{colour}" stroke-width="1.5"/><text x="{}" y="{}" font-size="12" fill="{colour}">{label}</text>"#,
            560.0,
            70.0 + 16.0 * k as f64
        )
        .ok();
    }
    svg.push_str("</svg>\n");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eval::report::PairedMetric;

    fn point(patients: usize, c: f64, ch: f64) -> CurvePoint {
        let level = |rmse: f64| RecordLevel {
            records: 80,
            rmse_mean: rmse,
            rmse_ci95: Some((rmse - 0.01, rmse + 0.01)),
            ..RecordLevel::default()
        };
        CurvePoint {
            fraction: 0.5,
            train: TrainingSize {
                records: patients + 3,
                patients,
                ..TrainingSize::default()
            },
            test: CurveScores {
                rmse: [
                    ("least_squares".to_owned(), level(0.2)),
                    (MODEL_C.to_owned(), level(c)),
                    (MODEL_CH.to_owned(), level(ch)),
                ]
                .into_iter()
                .collect(),
                paired_rmse: Some(PairedTest {
                    lead: "mean".to_owned(),
                    metric: PairedMetric::Rmse,
                    records: 80,
                    c,
                    ch,
                    p_value: 0.04,
                    p_holm: 0.2,
                }),
                error_slope: [(MODEL_C.to_owned(), -0.4)].into_iter().collect(),
            },
            affinity_other_patient: Some(AffinityPoint {
                h: 0.4,
                x: 0.3,
                chance: 0.2,
            }),
            ..CurvePoint::default()
        }
    }

    /// The tables carry each point's figures and the figure renders (it is rasterised as it is
    /// written).
    #[test]
    fn the_curve_is_tabled_and_drawn() {
        let curve = LearningCurve {
            test_records: 80,
            points: vec![point(80, 0.21, 0.22), point(320, 0.19, 0.185)],
            ..LearningCurve::default()
        };
        let md = markdown(&curve);
        assert!(
            md.contains("| 320 (323) | 0.2000 [0.1900, 0.2100] | 0.1900"),
            "{md}"
        );
        assert!(md.contains("-0.0050 (p 0.040, 0.200)"), "{md}");
        assert!(md.contains("-0.40 / –"), "{md}");
        assert!(md.contains("0.400 / 0.300 (0.200)"), "{md}");
        let svg = curve_svg(&curve);
        assert_eq!(svg.matches("<circle").count(), 2 * 3 + 2 * 3);
        let png = raster::svg_to_png(&svg, 1.0).expect("the figure rasterises");
        assert!(png.len() > 1000);
    }

    /// A fraction outside (0, 1] is refused before anything trains.
    #[test]
    fn fractions_outside_the_unit_interval_are_refused() {
        let config = CurveConfig {
            data: Vec::new(),
            fractions: vec![0.5, 1.5],
            cross_data: Vec::new(),
            train: TrainConfig::new(),
            device: DeviceChoice::Cpu,
            out: std::env::temp_dir().join("precordial-curve-refused"),
        };
        let mut silent = crate::progress::Silent;
        let err = learning_curve(&config, &mut silent).unwrap_err();
        assert!(err.to_string().contains("(0, 1]"), "{err}");
    }
}
