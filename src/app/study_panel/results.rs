//! What the Study panel shows, made from an evaluation report: the widgets' view of it.

use std::collections::BTreeMap;

use super::{AffinityMatrix, ClassRmse, LeadRow, PairedCell};
use crate::eval::amplitude::RegressionToMean;
use crate::eval::{Neighbours, PairedMetric};
use crate::metrics::LeadMetrics;

/// One reading of the affinity (which windows could be neighbours), in both spaces.
#[derive(Clone, Debug, PartialEq)]
pub struct AffinityReading {
    pub neighbours: Neighbours,
    /// Over the flattened, normalised inputs x̂.
    pub x: AffinityMatrix,
    /// Over the embeddings ĥ.
    pub h: AffinityMatrix,
}

/// What an evaluation produced, in the shape the widgets draw.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct StudyResults {
    /// One line saying what was evaluated (dataset, split, records, windows, device).
    pub summary: String,
    /// The readings the evaluation could make (all neighbours always; other records' and other
    /// patients' when every window has k of them).
    pub affinity: Vec<AffinityReading>,
    pub class_rmse: Vec<ClassRmse>,
    pub lead_metrics: Vec<LeadRow>,
    /// Each model's R and T amplitudes against the recording's (empty in older reports).
    pub regression_to_mean: Vec<RegressionToMean>,
    /// The windows screened by the input leads only, and the per-lead metrics there.
    pub deployment: Option<(usize, Vec<LeadRow>)>,
}

impl StudyResults {
    pub fn affinity(&self, neighbours: Neighbours) -> Option<&AffinityReading> {
        self.affinity
            .iter()
            .find(|reading| reading.neighbours == neighbours)
    }

    /// The widgets' view of a `precordial eval` report.
    pub fn from_report(report: &crate::eval::EvalReport) -> Self {
        let matrix = |title: &str, a: &crate::eval::Affinity| AffinityMatrix {
            title: title.to_owned(),
            class_names: a.classes.clone(),
            counts: a.counts.clone(),
            values: a.matrix.clone(),
            diagonal_mean: a.diagonal_mean,
            chance_mean: Some(a.chance_mean),
            chance: a.chance.clone(),
            diagonal_ci95: a.diagonal_ci95,
            neighbours: a.neighbours.label().to_owned(),
            k: a.k,
        };
        let affinity = report.affinity.as_ref().map_or_else(Vec::new, |pair| {
            Neighbours::ALL
                .into_iter()
                .filter_map(|neighbours| {
                    Some(AffinityReading {
                        neighbours,
                        x: matrix("inputs (flattened, normalised)", pair.x.get(neighbours)?),
                        h: matrix("embeddings ĥ", pair.h.get(neighbours)?),
                    })
                })
                .collect()
        });
        // The paired tests of a row: "mean" is the report's name for the row shown as "Mean".
        let paired = |lead: &str| {
            PairedMetric::ALL.map(|metric| {
                report
                    .paired_tests
                    .iter()
                    .find(|test| test.metric == metric && test.lead.eq_ignore_ascii_case(lead))
                    .map(|test| PairedCell {
                        reading: test.reading().to_owned(),
                        p_holm: test.p_holm,
                    })
            })
        };
        let lead_metrics = lead_rows(&report.per_lead, paired);
        let deployment = report.deployment.as_ref().map(|deployment| {
            (
                deployment.windows,
                lead_rows(&deployment.per_lead, |_| [None, None, None]),
            )
        });
        let data = &report.data;
        Self {
            summary: format!(
                "{} · split {} · {} records · {} windows · device {}",
                data.datasets.join(", "),
                data.split,
                data.records,
                data.windows,
                data.device
            ),
            affinity,
            class_rmse: report
                .radar
                .iter()
                .map(|row| ClassRmse {
                    class_name: row.class.clone(),
                    n_windows: row.n_windows,
                    rmse_c_mv: row.rmse_c_mv,
                    rmse_ch_mv: row.rmse_ch_mv,
                })
                .collect(),
            lead_metrics,
            regression_to_mean: report.regression_to_mean.clone(),
            deployment,
        }
    }
}

/// One row per lead and a mean row (over the leads where a metric is defined), with each row's
/// paired tests.
fn lead_rows(
    per_lead: &BTreeMap<String, BTreeMap<String, LeadMetrics>>,
    paired: impl Fn(&str) -> [Option<PairedCell>; 3],
) -> Vec<LeadRow> {
    use crate::eval::report::{DIPOLE, LEAST_SQUARES, MODEL_C, MODEL_CH};
    let mut rows: Vec<LeadRow> = per_lead
        .iter()
        .map(|(lead, models)| LeadRow {
            lead: lead.clone(),
            least_squares: models.get(LEAST_SQUARES).copied(),
            dipole: models.get(DIPOLE).copied(),
            c: models.get(MODEL_C).copied(),
            ch: models.get(MODEL_CH).copied(),
            paired: paired(lead),
        })
        .collect();
    if !rows.is_empty() {
        let mean = |model: &str| {
            let of_model: Vec<&LeadMetrics> = per_lead
                .values()
                .filter_map(|models| models.get(model))
                .collect();
            (!of_model.is_empty()).then(|| LeadMetrics::mean(of_model.iter().copied()))
        };
        rows.push(LeadRow {
            lead: "Mean".to_owned(),
            least_squares: mean(LEAST_SQUARES),
            dipole: mean(DIPOLE),
            c: mean(MODEL_C),
            ch: mean(MODEL_CH),
            paired: paired("mean"),
        });
    }
    rows
}
