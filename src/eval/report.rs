//! The evaluation report: one serde struct holding every number, written as `report.json`,
//! `report.md` (the paper's tables with ours beside them), CSVs and figures as SVG and PNG.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::output::{csv_field, write_file};

use super::amplitude::{RegressionToMean, Wave};
use super::{AffinitySet, ClassRmse, EvalError, Neighbours, figures, paper, raster};
use crate::metrics::{LeadMetrics, LinearLead, delta_percent, nan_mean};

/// Model keys used throughout the report.
pub const LEAST_SQUARES: &str = "least_squares";
/// The physics baseline: the dipole solved from I, II and V2 through Dower's population lead field.
pub const DIPOLE: &str = "dipole";
pub const MODEL_C: &str = "c";
pub const MODEL_CH: &str = "ch";

/// Everything `precordial eval` measured.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct EvalReport {
    pub data: DataSummary,
    /// `per_lead[lead][model]`, model one of [`MODELS`].
    pub per_lead: BTreeMap<String, BTreeMap<String, LeadMetrics>>,
    /// Record level: windows reassembled into whole records, metrics per record.
    pub record_level: BTreeMap<String, RecordLevel>,
    /// Paired permutation test of per-record mean RMSE, C-h against C.
    pub record_level_p_value: Option<f64>,
    /// C-h against C paired over records, per lead and on the mean, for each metric.
    #[serde(default)]
    pub paired_tests: Vec<PairedTest>,
    /// Each model's R and T amplitudes against the recording's, per lead, across records.
    #[serde(default)]
    pub regression_to_mean: Vec<RegressionToMean>,
    /// Window-level metrics with the windows screened by the input leads only.
    #[serde(default)]
    pub deployment: Option<Deployment>,
    pub affinity: Option<AffinityPair>,
    /// Every class with enough windows, most abundant first.
    pub per_class: Vec<ClassRmse>,
    /// The radar's selection: four most and four least abundant classes.
    pub radar: Vec<ClassRmse>,
    /// Least-squares weights per lead (I, II, V2, intercept), fitted on the training split.
    pub baseline: BTreeMap<String, LinearLead>,
    /// The vectorcardiogram round trip (12-lead → VCG → 12-lead) on the evaluated records.
    #[serde(default)]
    pub round_trip: Vec<RoundTrip>,
    /// The models' conformal bands (`precordial calibrate`) and their coverage on these windows.
    #[serde(default)]
    pub conformal: Option<ConformalReport>,
    /// Example traces for the overlay and residual figures.
    pub examples: Vec<ExampleTrace>,
    /// Every record-level row: what Table II and the paired tests summarise, kept so several
    /// evaluations (cross-validation folds) can be pooled record by record.
    #[serde(default)]
    pub records: Vec<RecordScores>,
}

/// One record's metrics per model and target lead, as the record-level table reads them.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RecordScores {
    pub record_id: String,
    pub patient_id: String,
    /// Its pathology superclass, when it has one.
    pub class: Option<String>,
    /// Per model: RMSE (mV), R² and Pearson r of each target lead; `None` where undefined (R²
    /// and r of a flat lead).
    pub models: BTreeMap<String, LeadScores>,
}

/// RMSE, R² and Pearson r (rows) of each of the five target leads (columns).
pub type LeadScores = [[Option<f64>; 5]; 3];

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct DataSummary {
    pub datasets: Vec<String>,
    pub split: String,
    pub records: usize,
    pub windows: usize,
    /// Records left out, with the reason (missing leads, quality control, unreadable).
    pub skipped: BTreeMap<String, usize>,
    pub models_dir: PathBuf,
    pub device: String,
    /// Caveats a reader must know (a dataset read with a common gain, a separate reference set).
    #[serde(default)]
    pub notes: Vec<String>,
}

/// The calibrated bands' nominal coverage and what they covered here.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ConformalReport {
    pub alpha: f64,
    pub calibrated_on: String,
    pub calibration_windows: usize,
    pub coverage: Vec<super::conformal::Coverage>,
}

/// One lead's agreement after a 12-lead → VCG → 12-lead round trip: the VCG by `method` (Kors or
/// inverse Dower), the leads back through Dower's transform. Means over records.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RoundTrip {
    pub method: String,
    pub lead: String,
    pub records: usize,
    pub pearson_mean: f64,
    pub pearson_median: f64,
    pub rmse_mean_mv: f64,
}

/// Mean ± standard deviation over records, and a bootstrap 95 % CI of the mean RMSE.
#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize)]
pub struct RecordLevel {
    pub records: usize,
    pub rmse_mean: f64,
    pub rmse_std: f64,
    pub rmse_ci95: Option<(f64, f64)>,
    pub r2_mean: f64,
    pub r2_std: f64,
    pub pearson_mean: f64,
    pub pearson_std: f64,
}

/// The window-level metrics on windows screened as a device could: quality control and the flat
/// check on I, II and V2 only, no limb check (the paper's screening reads the target leads).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Deployment {
    pub windows: usize,
    /// What this screening left out, by reason (every split).
    pub left_out: BTreeMap<String, usize>,
    /// `per_lead[lead][model]`, as [`EvalReport::per_lead`].
    pub per_lead: BTreeMap<String, BTreeMap<String, LeadMetrics>>,
}

/// A record-level metric compared between C-h and C.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PairedMetric {
    Rmse,
    R2,
    Pearson,
}

impl PairedMetric {
    pub const ALL: [Self; 3] = [Self::Rmse, Self::R2, Self::Pearson];

    pub fn label(self) -> &'static str {
        match self {
            Self::Rmse => "RMSE (mV)",
            Self::R2 => "R²",
            Self::Pearson => "Pearson r",
        }
    }

    /// Whether a lower value is the better one.
    pub fn lower_is_better(self) -> bool {
        self == Self::Rmse
    }
}

/// C-h against C on one lead (or the mean over leads) and one metric, paired over records.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PairedTest {
    /// A target lead, or "mean" (each record's mean over the five).
    pub lead: String,
    pub metric: PairedMetric,
    /// Records where both models' metric is defined.
    pub records: usize,
    /// Mean over those records, C and C-h.
    pub c: f64,
    pub ch: f64,
    /// Two-sided paired sign-flip permutation test.
    pub p_value: f64,
    /// `p_value` adjusted (Holm) over every test of the report.
    pub p_holm: f64,
}

impl PairedTest {
    /// C-h against C on `c[i]`, `ch[i]` of the same records: means and the two-sided sign-flip
    /// permutation p (`p_holm` equal to it until [`adjust_holm`]); `None` when there is nothing
    /// to test.
    pub fn compute(
        lead: &str,
        metric: PairedMetric,
        c: &[f64],
        ch: &[f64],
        permutations: usize,
        seed: u64,
    ) -> Option<Self> {
        let p_value = crate::metrics::stats::paired_permutation_p(c, ch, permutations, seed)?;
        let n = c.len() as f64;
        Some(Self {
            lead: lead.to_owned(),
            metric,
            records: c.len(),
            c: c.iter().sum::<f64>() / n,
            ch: ch.iter().sum::<f64>() / n,
            p_value,
            p_holm: p_value,
        })
    }

    /// What the test lets a reader say, at α = 0.05 after Holm's adjustment.
    pub fn reading(&self) -> &'static str {
        if self.p_holm >= 0.05 {
            return "no significant difference";
        }
        let ch_lower = self.ch < self.c;
        if ch_lower == self.metric.lower_is_better() {
            "C-h better"
        } else {
            "C better"
        }
    }
}

/// What the paired tests call each record's mean over the five leads.
pub const MEAN_OF_LEADS: &str = "mean";

/// The test on each record's mean RMSE over the five leads: the headline C-h against C.
pub fn mean_rmse_test(tests: &[PairedTest]) -> Option<&PairedTest> {
    tests
        .iter()
        .find(|t| t.lead == MEAN_OF_LEADS && t.metric == PairedMetric::Rmse)
}

/// Sets each test's `p_holm` to its p adjusted (Holm) over all of `tests`.
pub fn adjust_holm<'a>(tests: impl IntoIterator<Item = &'a mut PairedTest>) {
    let mut tests: Vec<&mut PairedTest> = tests.into_iter().collect();
    let adjusted =
        crate::metrics::stats::holm(&tests.iter().map(|t| t.p_value).collect::<Vec<_>>());
    for (test, p) in tests.iter_mut().zip(adjusted) {
        test.p_holm = p;
    }
}

/// The class affinity of both spaces, each read with all neighbours, other records' and other
/// patients'.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct AffinityPair {
    /// Over the flattened, normalised inputs x̂.
    pub x: AffinitySet,
    /// Over the embeddings ĥ.
    pub h: AffinitySet,
    /// Records whose windows were placed (those with a class).
    pub records: usize,
    /// Of those, records whose source names their patient (PTB-XL, CODE-15, PTB); every other
    /// record is taken as its own patient, so for it "other patients" is "other records".
    pub records_with_patient_id: usize,
}

/// One window of one lead: ground truth and both reconstructions, in mV at 100 Hz.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ExampleTrace {
    pub class: String,
    pub record_id: String,
    pub lead: String,
    pub truth: Vec<f64>,
    pub c: Vec<f64>,
    pub ch: Vec<f64>,
}

impl EvalReport {
    /// Mean over leads of one model's metric, over the leads where it is defined (as the model
    /// card's mean, [`LeadMetrics::mean`]).
    pub fn mean_over_leads(&self, model: &str, metric: fn(&LeadMetrics) -> f64) -> Option<f64> {
        mean_over_leads(&self.per_lead, model, metric)
    }

    /// Writes `report.json`, `report.md`, CSVs and figures (SVG, and PNG at twice the size) into
    /// `dir` (created if needed).
    /// Existing report files are replaced only with `overwrite`.
    pub fn write(&self, dir: &Path, overwrite: bool) -> Result<Vec<PathBuf>, EvalError> {
        let io = |path: &Path, err: std::io::Error| {
            EvalError::Input(format!("{}: {err}", path.display()))
        };
        std::fs::create_dir_all(dir).map_err(|e| io(dir, e))?;
        let json = serde_json::to_string_pretty(self)
            .map_err(|e| EvalError::Input(format!("report.json: {e}")))?;
        let mut files: Vec<(String, Vec<u8>)> = [
            ("report.json", json),
            ("report.md", self.markdown()),
            ("per_lead.csv", self.per_lead_csv()),
            ("per_class.csv", self.per_class_csv()),
            ("record_level.csv", self.record_level_csv()),
        ]
        .into_iter()
        .map(|(name, text)| (name.to_owned(), text.into_bytes()))
        .collect();
        let mut svgs: Vec<(&str, String)> = Vec::new();
        if let Some(pair) = &self.affinity {
            files.push(("affinity_x.csv".into(), affinity_csv(&pair.x).into_bytes()));
            files.push(("affinity_h.csv".into(), affinity_csv(&pair.h).into_bytes()));
            svgs.push((
                "affinity",
                figures::affinity_pair_svg(pair.x.headline(), pair.h.headline()),
            ));
        }
        if !self.radar.is_empty() {
            svgs.push(("radar", figures::radar_svg(&self.radar)));
        }
        if !self.examples.is_empty() {
            svgs.push(("overlays", figures::overlays_svg(&self.examples)));
            svgs.push(("residuals", figures::residuals_svg(&self.examples)));
        }
        // Every figure is rendered before anything is written, so a figure that fails to render
        // leaves no partial report behind.
        for (stem, svg) in svgs {
            let png = raster::svg_to_png(&svg, raster::PNG_SCALE).map_err(|e| {
                EvalError::Figure(format!(
                    "{}: {e}",
                    dir.join(format!("{stem}.png")).display()
                ))
            })?;
            files.push((format!("{stem}.svg"), svg.into_bytes()));
            files.push((format!("{stem}.png"), png));
        }
        if !overwrite
            && let Some((name, _)) = files.iter().find(|(name, _)| dir.join(name).exists())
        {
            return Err(EvalError::Input(format!(
                "{}: exists (pass --overwrite to replace the report)",
                dir.join(name).display()
            )));
        }
        let mut written = Vec::new();
        for (name, bytes) in files {
            let path = dir.join(name);
            write_file(&path, overwrite, |out| out.write_all(&bytes))
                .map_err(|e| EvalError::Input(e.to_string()))?;
            written.push(path);
        }
        Ok(written)
    }

    /// The report as Markdown: Table I and II with the paper's numbers beside ours.
    pub fn markdown(&self) -> String {
        let mut md = String::new();
        let d = &self.data;
        writeln!(md, "# Precordial evaluation\n").ok();
        writeln!(
            md,
            "Data: {} ({} split), {} records, {} windows. Models: `{}` on {}.",
            d.datasets.join(", "),
            d.split,
            d.records,
            d.windows,
            d.models_dir.display(),
            d.device
        )
        .ok();
        if !d.skipped.is_empty() {
            let skipped: Vec<String> = d.skipped.iter().map(|(k, v)| format!("{v} {k}")).collect();
            writeln!(
                md,
                "Left out while assembling the data (every split, not only this one): {}.",
                skipped.join(", ")
            )
            .ok();
        }
        for note in &d.notes {
            writeln!(md, "\n> {note}").ok();
        }

        let windows = if d.split == "all" {
            "every window".to_owned()
        } else {
            format!("all {} windows", d.split)
        };
        writeln!(md, "\n## Table I: per lead ({windows})\n").ok();
        per_lead_table(&mut md, &self.per_lead);

        writeln!(md, "\nThe paper (PTB-XL fold 10), for comparison:\n").ok();
        writeln!(
            md,
            "| Lead | RMSE C | RMSE C-h | R² C | R² C-h | r C | r C-h |"
        )
        .ok();
        writeln!(md, "|---|---|---|---|---|---|---|").ok();
        for (lead, v) in paper::TABLE_I {
            writeln!(
                md,
                "| {lead} | {:.3} | {:.3} | {:.3} | {:.3} | {:.3} | {:.3} |",
                v[0], v[1], v[2], v[3], v[4], v[5]
            )
            .ok();
        }
        let v = paper::TABLE_I_MEAN;
        writeln!(
            md,
            "| Mean | {:.3} | {:.3} | {:.3} | {:.3} | {:.3} | {:.3} |",
            v[0], v[1], v[2], v[3], v[4], v[5]
        )
        .ok();

        if let Some(deployment) = &self.deployment {
            deployment_markdown(&mut md, deployment);
        }

        writeln!(
            md,
            "\n## Table II: record level (windows reassembled into whole records)\n"
        )
        .ok();
        writeln!(md, "| Model | Records | RMSE (mV) | 95 % CI | R² | r |").ok();
        writeln!(md, "|---|---|---|---|---|---|").ok();
        for (model, r) in &self.record_level {
            let ci = r
                .rmse_ci95
                .map_or("–".to_owned(), |(lo, hi)| format!("{lo:.3}–{hi:.3}"));
            writeln!(
                md,
                "| {} | {} | {:.3} ± {:.3} | {ci} | {:.3} ± {:.3} | {:.3} ± {:.3} |",
                model_name(model),
                r.records,
                r.rmse_mean,
                r.rmse_std,
                r.r2_mean,
                r.r2_std,
                r.pearson_mean,
                r.pearson_std
            )
            .ok();
        }
        if let Some(p) = self.record_level_p_value {
            writeln!(
                md,
                "\nPaired permutation test of per-record RMSE, C-h vs C: p = {p:.4}."
            )
            .ok();
        }
        let (rmse, r2) = paper::RECORD_LEVEL_CH;
        writeln!(md, "\nThe paper: C-h {rmse:.3} mV, R² {r2:.3}.").ok();
        paired_markdown(&mut md, &self.paired_tests);
        regression_markdown(&mut md, &self.regression_to_mean);

        if let Some(pair) = &self.affinity {
            affinity_markdown(&mut md, pair);
        }

        if !self.per_class.is_empty() {
            writeln!(md, "\n## Per class (all target leads)\n").ok();
            writeln!(md, "| Class | Windows | RMSE C | RMSE C-h | Δ% |").ok();
            writeln!(md, "|---|---|---|---|---|").ok();
            for c in &self.per_class {
                writeln!(
                    md,
                    "| {} | {} | {:.3} | {:.3} | {:+.1} |",
                    c.class,
                    c.n_windows,
                    c.rmse_c_mv,
                    c.rmse_ch_mv,
                    delta_percent(c.rmse_c_mv, c.rmse_ch_mv)
                )
                .ok();
            }
            if !self.radar.is_empty() {
                writeln!(md, "\n![radar](radar.svg)").ok();
            }
        }
        if !self.examples.is_empty() {
            writeln!(
                md,
                "\n## Examples\n\n![overlays](overlays.svg)\n\n![residuals](residuals.svg)"
            )
            .ok();
        }
        round_trip_markdown(&mut md, &self.round_trip);
        if let Some(conformal) = &self.conformal {
            conformal_markdown(&mut md, conformal);
        }
        if !self.baseline.is_empty() {
            writeln!(
                md,
                "\n## Least-squares baseline (fitted on the training split)\n"
            )
            .ok();
            writeln!(md, "| Lead | w(I) | w(II) | w(V2) | intercept (mV) |").ok();
            writeln!(md, "|---|---|---|---|---|").ok();
            for (lead, l) in &self.baseline {
                let w = l.weights;
                writeln!(
                    md,
                    "| {lead} | {:.4} | {:.4} | {:.4} | {:.4} |",
                    w[0], w[1], w[2], w[3]
                )
                .ok();
            }
        }
        md
    }

    fn per_lead_csv(&self) -> String {
        let mut csv = "lead,model,rmse_mv,r2,pearson,n_samples,n_windows\n".to_owned();
        for (lead, models) in &self.per_lead {
            for (model, m) in models {
                writeln!(
                    csv,
                    "{lead},{model},{},{},{},{},{}",
                    m.rmse_mv, m.r2, m.pearson, m.n_samples, m.n_windows
                )
                .ok();
            }
        }
        csv
    }

    fn per_class_csv(&self) -> String {
        let mut csv = "class,n_windows,rmse_c_mv,rmse_ch_mv,in_radar\n".to_owned();
        for c in &self.per_class {
            let in_radar = self.radar.iter().any(|r| r.class == c.class);
            writeln!(
                csv,
                "{},{},{},{},{in_radar}",
                csv_field(&c.class),
                c.n_windows,
                c.rmse_c_mv,
                c.rmse_ch_mv
            )
            .ok();
        }
        csv
    }

    fn record_level_csv(&self) -> String {
        let mut csv =
            "model,records,rmse_mean,rmse_std,rmse_ci_low,rmse_ci_high,r2_mean,r2_std,pearson_mean,pearson_std\n"
                .to_owned();
        for (model, r) in &self.record_level {
            let (lo, hi) = r.rmse_ci95.unwrap_or((f64::NAN, f64::NAN));
            writeln!(
                csv,
                "{model},{},{},{},{lo},{hi},{},{},{},{}",
                r.records,
                r.rmse_mean,
                r.rmse_std,
                r.r2_mean,
                r.r2_std,
                r.pearson_mean,
                r.pearson_std
            )
            .ok();
        }
        csv
    }
}

/// Display name of a model key.
pub fn model_name(key: &str) -> &str {
    match key {
        LEAST_SQUARES => "least squares",
        DIPOLE => "dipole",
        MODEL_C => "C",
        MODEL_CH => "C-h",
        other => other,
    }
}

/// Table I's rows (least squares, dipole, C, C-h and Δ% of C-h on C per metric) and the mean over
/// leads.
fn per_lead_table(md: &mut String, per_lead: &BTreeMap<String, BTreeMap<String, LeadMetrics>>) {
    writeln!(
        md,
        "| Lead | RMSE LS | RMSE dipole | RMSE C | RMSE C-h | Δ% | R² LS | R² dipole | R² C | R² C-h | Δ% | r LS | r dipole | r C | r C-h | Δ% |"
    )
    .ok();
    writeln!(md, "|---|{}", "---|".repeat(15)).ok();
    let cell = |m: Option<&LeadMetrics>, f: fn(&LeadMetrics) -> f64| {
        m.map_or("–".to_owned(), |m| format!("{:.3}", f(m)))
    };
    let delta = |c: Option<f64>, ch: Option<f64>| match (c, ch) {
        (Some(c), Some(ch)) => format!("{:+.1}", delta_percent(c, ch)),
        _ => "–".to_owned(),
    };
    let metrics: [fn(&LeadMetrics) -> f64; 3] = [|m| m.rmse_mv, |m| m.r2, |m| m.pearson];
    for (lead, models) in per_lead {
        let mut row = format!("| {lead} |");
        for f in metrics {
            for model in MODELS {
                write!(row, " {} |", cell(models.get(model), f)).ok();
            }
            let of = |model| models.get(model).map(f);
            write!(row, " {} |", delta(of(MODEL_C), of(MODEL_CH))).ok();
        }
        writeln!(md, "{row}").ok();
    }
    let mut row = "| Mean |".to_owned();
    for f in metrics {
        for model in MODELS {
            let mean = mean_over_leads(per_lead, model, f);
            write!(
                row,
                " {} |",
                mean.map_or("–".to_owned(), |v| format!("**{v:.3}**"))
            )
            .ok();
        }
        let delta = delta(
            mean_over_leads(per_lead, MODEL_C, f),
            mean_over_leads(per_lead, MODEL_CH, f),
        );
        write!(row, " {delta} |").ok();
    }
    writeln!(md, "{row}").ok();
}

/// Mean over leads of one model's metric, over the leads where it is defined (as the model card's
/// mean, [`LeadMetrics::mean`]).
fn mean_over_leads(
    per_lead: &BTreeMap<String, BTreeMap<String, LeadMetrics>>,
    model: &str,
    metric: fn(&LeadMetrics) -> f64,
) -> Option<f64> {
    nan_mean(
        per_lead
            .values()
            .filter_map(|models| models.get(model).map(metric)),
    )
}

/// The window-level metrics with the screening a device can do, beside what it left out.
fn deployment_markdown(md: &mut String, deployment: &Deployment) {
    writeln!(
        md,
        "\n## Deployment-true screening: input leads only ({} windows)\n",
        deployment.windows
    )
    .ok();
    writeln!(
        md,
        "Table I screens windows as the paper does, with quality control over all eight leads, a \
         flat-lead check on the targets and a limb-consistency check on the recorded lead III: a \
         device recording I, II and V2 can do none of that. Here the same records are screened by \
         I, II and V2 alone (the same quality-control bounds), and every window they pass is \
         scored. The errors are against the recorded chest leads, which this screening does not \
         check: part of the gap to Table I is noise, detached electrodes or swapped leads in the \
         recordings, not reconstruction error.\n"
    )
    .ok();
    if !deployment.left_out.is_empty() {
        let left: Vec<String> = deployment
            .left_out
            .iter()
            .map(|(reason, n)| format!("{n} {reason}"))
            .collect();
        writeln!(md, "Left out (every split): {}.\n", left.join(", ")).ok();
    }
    per_lead_table(md, &deployment.per_lead);
}

/// The paired tests of C-h against C: every comparison a reader might draw from the tables above.
fn paired_markdown(md: &mut String, tests: &[PairedTest]) {
    if tests.is_empty() {
        return;
    }
    writeln!(md, "\n## C-h against C, paired over records\n").ok();
    writeln!(
        md,
        "Each record's metric per lead (and its mean over the five leads) under both models; a \
         two-sided paired sign-flip permutation test each, and Holm's adjustment over all {} \
         tests. The reading is at α = 0.05 after adjustment.\n",
        tests.len()
    )
    .ok();
    writeln!(
        md,
        "| Lead | Metric | Records | C | C-h | C-h − C | p | p (Holm) | Reading |"
    )
    .ok();
    writeln!(md, "|---|---|---|---|---|---|---|---|---|").ok();
    for test in tests {
        writeln!(
            md,
            "| {} | {} | {} | {:.4} | {:.4} | {:+.4} | {:.4} | {:.4} | {} |",
            test.lead,
            test.metric.label(),
            test.records,
            test.c,
            test.ch,
            test.ch - test.c,
            test.p_value,
            test.p_holm,
            test.reading()
        )
        .ok();
    }
}

/// Regression to the mean: per lead and wave, each model's spread ratio and error slope.
fn regression_markdown(md: &mut String, rows: &[RegressionToMean]) {
    if rows.is_empty() {
        return;
    }
    writeln!(
        md,
        "\n## Regression to the mean (R and T amplitudes across records)\n"
    )
    .ok();
    writeln!(
        md,
        "Each record's median R and T amplitude per lead, in the recording and in each \
         reconstruction, at the beats found on the input leads. Ratio: SD of the reconstructed \
         amplitudes over SD of the true ones (1: as varied as the truth). Slope: of the amplitude \
         error on the true amplitude (0: none; −1: every record given the mean amplitude).\n"
    )
    .ok();
    writeln!(
        md,
        "Cells: ratio / slope [95 % CI of the slope, records resampled]. The last columns compare \
         C-h's slope with C's on the same records (paired bootstrap): a CI above 0 means C-h keeps \
         more of each record's amplitude than C, below 0 less.\n"
    )
    .ok();
    write!(md, "| Lead | Wave | Records |").ok();
    for model in MODELS {
        write!(md, " {} |", model_name(model)).ok();
    }
    writeln!(md, " C-h − C slope, 95 % CI | Reading |").ok();
    writeln!(md, "|---|---|---|{}---|---|", "---|".repeat(MODELS.len())).ok();
    for group in regression_groups(rows) {
        write!(
            md,
            "| {} | {:?} | {} |",
            group.lead,
            group.wave,
            group.records()
        )
        .ok();
        for row in group.models {
            match row {
                Some(row) => {
                    let ci = row
                        .fit
                        .error_slope_ci95
                        .map_or_else(String::new, |(lo, hi)| format!(" [{lo:.2}, {hi:.2}]"));
                    write!(
                        md,
                        " {:.2} / {:.2}{ci} |",
                        row.fit.spread_ratio, row.fit.error_slope
                    )
                }
                None => write!(md, " – |"),
            }
            .ok();
        }
        match group.slope_minus_c_ci95() {
            Some((lo, hi)) => {
                let reading = if lo > 0.0 {
                    "C-h keeps more"
                } else if hi < 0.0 {
                    "C-h keeps less"
                } else {
                    "no clear difference"
                };
                writeln!(md, " {lo:+.2} to {hi:+.2} | {reading} |")
            }
            None => writeln!(md, " – | |"),
        }
        .ok();
    }
}

/// The conformal table: each band's width and the coverage it reached, beside the nominal.
fn conformal_markdown(md: &mut String, conformal: &ConformalReport) {
    let nominal = (1.0 - conformal.alpha) * 100.0;
    writeln!(
        md,
        "\n## Uncertainty bands (split conformal, nominal {nominal:.0} %)\n"
    )
    .ok();
    writeln!(
        md,
        "Calibrated by `precordial calibrate` on the {} split ({} windows; patients never \
         shared with the evaluated data when it is the test split or another dataset). Pointwise: \
         the share of samples inside ŷ ± band; whole beat: the share of beats (250 ms before the R \
         peak to 450 ms after) wholly inside ŷ ± beat band.\n",
        conformal.calibrated_on, conformal.calibration_windows
    )
    .ok();
    writeln!(
        md,
        "| Lead | Model | band (mV) | pointwise coverage | beat band (mV) | beat coverage | beats |"
    )
    .ok();
    writeln!(md, "|---|---|---|---|---|---|---|").ok();
    for c in &conformal.coverage {
        writeln!(
            md,
            "| {} | {} | ±{:.3} | {:.1} % | ±{:.3} | {:.1} % | {} |",
            c.lead,
            model_name(&c.model),
            c.band.pointwise_mv,
            c.pointwise * 100.0,
            c.band.beat_mv,
            c.beat * 100.0,
            c.beats
        )
        .ok();
    }
    if conformal.coverage.iter().all(|c| c.adaptive.is_none()) {
        return;
    }
    writeln!(
        md,
        "\nAdaptive bands: half-width = scale · (d + d₀), d the window's RMS difference between C \
         and C-h for the lead, d₀ its median on the calibration windows (locally weighted split \
         conformal). A window is flagged wide when its band is at least {:.1}× the constant band; \
         the last column is the RMSE of the flagged windows and of the others.\n",
        super::conformal::WIDE_FACTOR
    )
    .ok();
    writeln!(
        md,
        "| Lead | Model | pointwise coverage | beat coverage | mean band (mV) | constant band (mV) | flagged wide | RMSE flagged / other (mV) |"
    )
    .ok();
    writeln!(md, "|---|---|---|---|---|---|---|---|").ok();
    for c in &conformal.coverage {
        let Some(a) = c.adaptive else {
            continue;
        };
        writeln!(
            md,
            "| {} | {} | {:.1} % | {:.1} % | ±{:.3} | ±{:.3} | {:.1} % | {:.3} / {:.3} |",
            c.lead,
            model_name(&c.model),
            a.pointwise * 100.0,
            a.beat * 100.0,
            a.mean_band_mv,
            c.band.pointwise_mv,
            a.flagged * 100.0,
            a.rmse_flagged_mv,
            a.rmse_unflagged_mv
        )
        .ok();
    }
}

/// The round-trip table: how much of each lead a single dipole (the VCG) carries.
fn round_trip_markdown(md: &mut String, rows: &[RoundTrip]) {
    if rows.is_empty() {
        return;
    }
    writeln!(
        md,
        "\n## Vectorcardiogram round trip (12-lead → VCG → Dower → 12-lead)\n"
    )
    .ok();
    writeln!(
        md,
        "Each evaluated record's eight independent leads to a VCG (Kors 1990, or the inverse Dower \
         matrix of Edenbrandt & Pahlm 1988), and back through Dower's transform (1980): what a \
         single dipole in a population-average torso keeps of each lead.\n"
    )
    .ok();
    writeln!(
        md,
        "| VCG | Lead | Records | r mean | r median | RMSE mean (mV) |"
    )
    .ok();
    writeln!(md, "|---|---|---|---|---|---|").ok();
    for row in rows {
        writeln!(
            md,
            "| {} | {} | {} | {:.3} | {:.3} | {:.3} |",
            row.method,
            row.lead,
            row.records,
            row.pearson_mean,
            row.pearson_median,
            row.rmse_mean_mv
        )
        .ok();
    }
}

/// The models of the report, in the order its tables show them.
pub const MODELS: [&str; 4] = [LEAST_SQUARES, DIPOLE, MODEL_C, MODEL_CH];

/// The regression-to-the-mean rows of one lead and wave.
pub struct RegressionGroup<'a> {
    pub lead: &'a str,
    pub wave: Wave,
    /// Each model's row, in [`MODELS`] order, where it was measured.
    pub models: [Option<&'a RegressionToMean>; MODELS.len()],
}

impl RegressionGroup<'_> {
    /// The most records any model was measured on.
    pub fn records(&self) -> usize {
        self.models
            .iter()
            .flatten()
            .map(|row| row.fit.records)
            .max()
            .unwrap_or(0)
    }

    /// C-h's slope minus C's, 95 % CI.
    pub fn slope_minus_c_ci95(&self) -> Option<(f64, f64)> {
        self.models[MODELS.len() - 1]?.slope_minus_c_ci95
    }
}

/// `rows` grouped by lead and wave, in the order they first appear.
pub fn regression_groups(rows: &[RegressionToMean]) -> Vec<RegressionGroup<'_>> {
    let mut groups: Vec<RegressionGroup<'_>> = Vec::new();
    for row in rows {
        let Some(model) = MODELS.iter().position(|&m| m == row.model) else {
            continue;
        };
        let at = match groups
            .iter()
            .position(|g| g.lead == row.lead && g.wave == row.wave)
        {
            Some(at) => at,
            None => {
                groups.push(RegressionGroup {
                    lead: &row.lead,
                    wave: row.wave,
                    models: [None; MODELS.len()],
                });
                groups.len() - 1
            }
        };
        groups[at].models[model] = Some(row);
    }
    groups
}

/// The affinity section: every reading of both spaces with its chance level and CI, which one is
/// the paper's protocol, and which is leak-free.
fn affinity_markdown(md: &mut String, pair: &AffinityPair) {
    let k = pair.x.all.k;
    writeln!(md, "\n## k-NN class affinity (k = {k}, cosine)\n").ok();
    writeln!(
        md,
        "Diagonal: the mean over classes of the fraction of a window's {k} nearest neighbours that \
         share its class (the paper's figure); weighted: the same over windows, dominated by the \
         abundant classes; chance: what neighbours drawn at random from those allowed would give; \
         95 % CI: patients resampled. \"All windows\" is the paper's protocol, where overlapping \
         windows of the window's own record count as neighbours: it measures record retrieval as \
         much as class. \"Other patients\" allows no window of the same patient and is the \
         figure to read; {} of {} records carry a patient id from their source (PTB-XL, CODE-15, \
         PTB); every other record counts as its own patient.\n",
        pair.records_with_patient_id, pair.records
    )
    .ok();
    writeln!(
        md,
        "| Space | Neighbours | Diagonal | 95 % CI | Chance | Weighted | Paper |"
    )
    .ok();
    writeln!(md, "|---|---|---|---|---|---|---|").ok();
    let (px, ph) = paper::AFFINITY_DIAGONAL;
    for (space, set, published) in [("x̂ (input)", &pair.x, px), ("ĥ (embedding)", &pair.h, ph)] {
        for neighbours in Neighbours::ALL {
            let Some(a) = set.get(neighbours) else {
                writeln!(
                    md,
                    "| {space} | {} | (too few records: some window has fewer than {k}) | | | | |",
                    neighbours.label()
                )
                .ok();
                continue;
            };
            let ci = a
                .diagonal_ci95
                .map_or_else(String::new, |(lo, hi)| format!("{lo:.3}–{hi:.3}"));
            let paper = if neighbours == Neighbours::All {
                format!("{published:.3}")
            } else {
                String::new()
            };
            writeln!(
                md,
                "| {space} | {} | **{:.3}** | {ci} | {:.3} | {:.3} | {paper} |",
                neighbours.label(),
                a.diagonal_mean,
                a.chance_mean,
                a.diagonal_weighted
            )
            .ok();
        }
    }
    writeln!(
        md,
        "\n![affinity](affinity.svg)\n\nThe heatmaps show the {} reading.",
        pair.h.headline().neighbours.label()
    )
    .ok();
}

/// Every reading of one space in long form: one row per (neighbours, class).
fn affinity_csv(set: &AffinitySet) -> String {
    let classes = &set.all.classes;
    let mut csv = "neighbours,class,n_windows,chance".to_owned();
    for c in classes {
        write!(csv, ",{}", csv_field(c)).ok();
    }
    csv.push('\n');
    for neighbours in Neighbours::ALL {
        let Some(a) = set.get(neighbours) else {
            continue;
        };
        for (i, row) in a.matrix.iter().enumerate() {
            write!(
                csv,
                "{},{},{},{}",
                csv_field(neighbours.label()),
                csv_field(&a.classes[i]),
                a.counts[i],
                a.chance[i]
            )
            .ok();
            for v in row {
                write!(csv, ",{v}").ok();
            }
            csv.push('\n');
        }
    }
    csv
}

#[cfg(test)]
mod tests {
    use super::*;

    fn metrics(rmse_mv: f64) -> LeadMetrics {
        LeadMetrics {
            rmse_mv,
            r2: 0.7,
            pearson: 0.9,
            n_samples: 100,
            n_windows: 4,
        }
    }

    #[test]
    fn writes_every_file_and_refuses_to_overwrite() {
        let mut report = EvalReport::default();
        for lead in paper::LEADS {
            let models = report.per_lead.entry(lead.to_owned()).or_default();
            models.insert(MODEL_C.into(), metrics(0.1));
            models.insert(MODEL_CH.into(), metrics(0.09));
            models.insert(LEAST_SQUARES.into(), metrics(0.2));
        }
        report.per_class = vec![ClassRmse {
            class: "NORM".into(),
            n_windows: 9,
            rmse_c_mv: 0.1,
            rmse_ch_mv: 0.09,
        }];
        report.radar = report.per_class.clone();
        report.deployment = Some(Deployment {
            windows: 40,
            left_out: [("windows rejected by quality control".to_owned(), 3)].into(),
            per_lead: report.per_lead.clone(),
        });
        report.regression_to_mean = vec![RegressionToMean {
            lead: "V5".into(),
            wave: Wave::T,
            model: MODEL_CH.into(),
            fit: crate::eval::amplitude::AmplitudeFit {
                records: 40,
                spread_ratio: 0.61,
                error_slope: -0.42,
                error_slope_ci95: Some((-0.6, -0.2)),
            },
            slope_minus_c_ci95: Some((0.05, 0.3)),
        }];
        report.paired_tests = vec![PairedTest {
            lead: "V4".into(),
            metric: PairedMetric::Pearson,
            records: 30,
            c: 0.9,
            ch: 0.8,
            p_value: 0.001,
            p_holm: 0.018,
        }];
        report.affinity = Some(AffinityPair {
            x: AffinitySet::uniform(&["NORM", "MI"], 0.3),
            h: AffinitySet::uniform(&["NORM", "MI"], 0.7),
            records: 12,
            records_with_patient_id: 4,
        });
        let wave: Vec<f64> = (0..250).map(|i| (i as f64 / 10.0).sin()).collect();
        report.examples = vec![ExampleTrace {
            class: "NORM".into(),
            record_id: "00001_hr".into(),
            lead: "V1".into(),
            truth: wave.clone(),
            c: wave.iter().map(|v| 0.9 * v).collect(),
            ch: wave.iter().map(|v| 0.95 * v).collect(),
        }];
        let dir = std::env::temp_dir().join(format!("precordial-report-{}", std::process::id()));
        std::fs::remove_dir_all(&dir).ok();
        let written = report.write(&dir, false).unwrap();
        let mut names: Vec<&str> = written
            .iter()
            .filter_map(|p| p.file_name()?.to_str())
            .collect();
        names.sort_unstable();
        assert_eq!(
            names,
            [
                "affinity.png",
                "affinity.svg",
                "affinity_h.csv",
                "affinity_x.csv",
                "overlays.png",
                "overlays.svg",
                "per_class.csv",
                "per_lead.csv",
                "radar.png",
                "radar.svg",
                "record_level.csv",
                "report.json",
                "report.md",
                "residuals.png",
                "residuals.svg",
            ]
        );
        for figure in ["affinity", "radar", "overlays", "residuals"] {
            let png = std::fs::read(dir.join(format!("{figure}.png"))).unwrap();
            assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "{figure}.png");
        }
        let json: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(dir.join("report.json")).unwrap())
                .unwrap();
        assert_eq!(json["per_lead"]["V3"]["ch"]["rmse"], 0.09);
        let md = std::fs::read_to_string(dir.join("report.md")).unwrap();
        assert!(
            md.contains("| V1 | 0.200 | – | 0.100 | 0.090 | -10.0 |"),
            "{md}"
        );
        assert!(
            md.contains("| Mean | **0.200** | – | **0.100** | **0.090** | -10.0 |"),
            "{md}"
        );
        // Every reading of the affinity, each with its chance level; the paper beside its protocol.
        assert!(
            md.contains("| ĥ (embedding) | all windows (paper) | **0.700** | 0.650–0.750 | 0.500 | 0.700 | 0.837 |"),
            "{md}"
        );
        assert!(
            md.contains(
                "| ĥ (embedding) | other patients | **0.350** | 0.300–0.400 | 0.500 | 0.350 |  |"
            ),
            "{md}"
        );
        assert!(md.contains("4 of 12 records carry a patient id"), "{md}");
        assert!(
            md.contains("## Deployment-true screening: input leads only (40 windows)"),
            "{md}"
        );
        assert!(md.contains("Left out (every split): 3 windows rejected by quality control."));
        assert!(
            md.contains(
                "| V4 | Pearson r | 30 | 0.9000 | 0.8000 | -0.1000 | 0.0010 | 0.0180 | C better |"
            ),
            "{md}"
        );
        assert_eq!(
            json["affinity"]["h"]["other_patient"]["chance_mean"], 0.5,
            "report.json carries every reading"
        );
        let csv = std::fs::read_to_string(dir.join("affinity_h.csv")).unwrap();
        assert!(
            csv.starts_with("neighbours,class,n_windows,chance,NORM,MI\n"),
            "{csv}"
        );
        assert!(
            csv.contains("\nother patients,MI,35,0.5,0.65,0.35\n"),
            "{csv}"
        );
        // Refused as a whole: the PNGs alone are enough to stop a second report.
        for name in &names {
            if !name.ends_with(".png") {
                std::fs::remove_file(dir.join(name)).unwrap();
            }
        }
        let before = std::fs::read(dir.join("radar.png")).unwrap();
        assert!(report.write(&dir, false).is_err());
        assert!(!dir.join("report.json").exists());
        assert_eq!(std::fs::read(dir.join("radar.png")).unwrap(), before);
        assert!(report.write(&dir, true).is_ok());
        assert!(dir.join("report.json").exists());
        std::fs::remove_dir_all(&dir).ok();
    }
}
