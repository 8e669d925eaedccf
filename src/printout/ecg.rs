//! The reconstructed 12-lead as a clinician reads it: ECG paper at 25 mm/s and 10 mm/mV, 3×4 with
//! a lead II rhythm strip (or 12×1), a 1 mV calibration pulse on every row, the record's details,
//! and the rebuilt leads marked: their own colour, labelled like `V4 · C-h`, drawn inside their
//! uncertainty band, with the model's held-out error per lead and a caution that they are
//! estimates.

use crate::model::TARGET_LEADS;
use crate::model::card::ModelCard;
use crate::model::twelve_lead::{LeadOrigin, ReconstructedEcg};
use crate::physics::TWELVE_LEADS;
use crate::physics::anatomy::TARGET_ROWS;
use crate::wfdb::Record;

use super::{Page, Paper, Rgb};

/// Paper speed and gain, the standard's.
pub const MM_PER_S: f64 = 25.0;
pub const MM_PER_MV: f64 = 10.0;

const MINOR_GRID: Rgb = Rgb(246, 196, 196);
const MAJOR_GRID: Rgb = Rgb(232, 130, 130);
const RECORDED: Rgb = Rgb(0, 0, 0);
const RECONSTRUCTED: Rgb = Rgb(16, 72, 200);
const BAND: Rgb = Rgb(196, 214, 246);
const RECORDED_TARGET: Rgb = Rgb(125, 125, 125);
const CAUTION: Rgb = Rgb(170, 0, 0);
const WIDE: Rgb = Rgb(210, 110, 0);

/// How the twelve leads are arranged on the page.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Layout {
    /// Four columns of 2.5 s (I aVR V1 V4 / II aVL V2 V5 / III aVF V3 V6) and 10 s of lead II.
    #[default]
    ThreeByFour,
    /// Each lead for 10 s, one per row.
    TwelveByOne,
}

impl Layout {
    pub fn name(self) -> &'static str {
        match self {
            Self::ThreeByFour => "3×4 + rhythm",
            Self::TwelveByOne => "12×1",
        }
    }
}

/// Page options.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ReportOptions {
    pub paper: Paper,
    pub layout: Layout,
    /// Where the 10 s shown start in the record (s).
    pub start_s: f64,
}

impl Default for ReportOptions {
    fn default() -> Self {
        Self {
            paper: Paper::A4,
            layout: Layout::ThreeByFour,
            start_s: 0.0,
        }
    }
}

/// Everything a report states beside the traces.
#[derive(Clone, Debug)]
pub struct EcgReport<'a> {
    pub ecg: &'a ReconstructedEcg,
    pub record_name: String,
    pub source: String,
    /// The record's own sampling rate and length.
    pub recorded_fs_hz: f64,
    pub duration_s: f64,
    /// The record's header comments (age, sex, diagnoses), as written.
    pub details: Vec<String>,
    pub card_sha256: String,
    /// The model's RMSE per rebuilt lead on its held-out test split (mV), from its card.
    pub heldout_rmse_mv: Option<[f64; 5]>,
    pub generated_utc: String,
}

impl<'a> EcgReport<'a> {
    /// The report of `ecg` (with its bands, if attached), rebuilt from `record` by models with
    /// `card` (whose `card.json` hashes to `card_sha256`).
    pub fn new(
        ecg: &'a ReconstructedEcg,
        record: &Record,
        card: &ModelCard,
        card_sha256: &str,
    ) -> Self {
        let key = ecg.variant.key();
        let heldout_rmse_mv = card
            .metrics
            .get("test")
            .and_then(|m| m.get(key))
            .and_then(|m| {
                let mut out = [0.0; 5];
                for (slot, lead) in out.iter_mut().zip(TARGET_LEADS) {
                    *slot = m.per_lead.iter().find(|(l, _)| l == lead)?.1.rmse_mv;
                }
                Some(out)
            });
        Self {
            ecg,
            record_name: record.header.record_name.clone(),
            source: record.header.path.display().to_string(),
            recorded_fs_hz: record.fs_hz(),
            duration_s: record.duration_s(),
            details: record.header.comments.clone(),
            card_sha256: card_sha256.to_owned(),
            heldout_rmse_mv,
            generated_utc: crate::model::card::now_utc(),
        }
    }
}

/// Page geometry (mm): the grid's corner and size, the calibration zone at its left.
const GRID_TOP: f64 = 44.0;
const GRID_HEIGHT: f64 = 150.0;
const CAL_ZONE: f64 = 10.0;
const SHOWN_S: f64 = 10.0;

/// The report as one page.
pub fn twelve_lead_page(report: &EcgReport<'_>, options: &ReportOptions) -> Page {
    let ecg = report.ecg;
    let variant = ecg.variant.name();
    let mut page = Page::new(
        options.paper,
        &format!(
            "{}: 12-lead ECG, V1 and V3-V6 reconstructed by {variant}",
            report.record_name
        ),
    );
    let grid_width = CAL_ZONE + SHOWN_S * MM_PER_S;
    let left = (page.width_mm - grid_width) / 2.0;
    let grid = Grid {
        left,
        top: GRID_TOP,
        width: grid_width,
        height: GRID_HEIGHT,
    };

    // Rows: (lead rows per column, one per 2.5 s column or one for all 10 s).
    let rows: Vec<Vec<usize>> = match options.layout {
        Layout::ThreeByFour => vec![
            vec![0, 3, 6, 9],
            vec![1, 4, 7, 10],
            vec![2, 5, 8, 11],
            vec![1],
        ],
        Layout::TwelveByOne => (0..12).map(|row| vec![row]).collect(),
    };
    let row_height = GRID_HEIGHT / rows.len() as f64;
    let baselines: Vec<f64> = (0..rows.len())
        .map(|k| GRID_TOP + row_height * (k as f64 + 0.6))
        .collect();
    let trace_left = left + CAL_ZONE;

    // Bands under the grid lines, as on paper printed over a shaded area.
    for (leads, &baseline) in rows.iter().zip(&baselines) {
        for (column, segment) in segments(leads, trace_left) {
            if let Some(k) = target_index(column)
                && ecg.origin[column] == LeadOrigin::Reconstructed
                && let Some(bands) = &ecg.bands
            {
                for polygon in band_polygons(
                    &ecg.leads[column],
                    &bands.leads[k].half_width_mv,
                    &segment,
                    options.start_s,
                    baseline,
                    &grid,
                ) {
                    page.fill(polygon, BAND);
                }
            }
        }
    }
    grid.draw(&mut page);

    let label_size = if rows.len() > 4 { 7.0 } else { 8.0 };
    for (leads, &baseline) in rows.iter().zip(&baselines) {
        // The 1 mV, 200 ms calibration pulse.
        let x0 = left + 2.5;
        page.line(
            vec![
                [left + 0.5, baseline],
                [x0, baseline],
                [x0, baseline - MM_PER_MV],
                [x0 + 0.2 * MM_PER_S, baseline - MM_PER_MV],
                [x0 + 0.2 * MM_PER_S, baseline],
                [left + CAL_ZONE, baseline],
            ],
            RECORDED,
            0.25,
        );
        for (row, segment) in segments(leads, trace_left) {
            let reconstructed = ecg.origin[row] == LeadOrigin::Reconstructed;
            // The recorded lead in grey beneath, where the record has it.
            if reconstructed
                && let Some(k) = target_index(row)
                && let Some(truth) = &ecg.recorded_targets[k]
            {
                page.line(
                    trace_points(truth, &segment, options.start_s, baseline, &grid),
                    RECORDED_TARGET,
                    0.18,
                );
            }
            let (colour, width) = if reconstructed {
                (RECONSTRUCTED, 0.3)
            } else {
                (RECORDED, 0.25)
            };
            page.line(
                trace_points(&ecg.leads[row], &segment, options.start_s, baseline, &grid),
                colour,
                width,
            );
            if segment.x > trace_left {
                // Where one lead's 2.5 s end and the next lead's begin.
                page.line(
                    vec![[segment.x, baseline - 3.0], [segment.x, baseline + 3.0]],
                    RECORDED,
                    0.3,
                );
            }
            if reconstructed && let (Some(k), Some(bands)) = (target_index(row), &ecg.bands) {
                // A bracket over each stretch whose band is flagged wide.
                for &(from, to) in &bands.leads[k].wide {
                    let xs: Vec<f64> = samples(&segment, options.start_s, to)
                        .filter(|(t, _)| *t >= from)
                        .map(|(_, x)| x)
                        .collect();
                    if let (Some(&a), Some(&b)) = (xs.first(), xs.last()) {
                        // Under the trace, clear of the lead's label.
                        let y = baseline + row_height * 0.3;
                        page.line(vec![[a, y - 1.0], [a, y], [b, y], [b, y - 1.0]], WIDE, 0.35);
                        page.text([a + 0.5, y + 2.2], 5.5, "wide band", WIDE);
                    }
                }
            }
            let label = match ecg.origin[row] {
                LeadOrigin::Reconstructed => ecg.lead_label(row),
                LeadOrigin::Derived => format!("{} (derived)", TWELVE_LEADS[row]),
                LeadOrigin::Recorded => TWELVE_LEADS[row].to_owned(),
            };
            let at = [segment.x + 1.2, baseline - (row_height * 0.45).min(9.0)];
            if reconstructed {
                page.bold_text(at, label_size, label, colour);
            } else {
                page.text(at, label_size, label, colour);
            }
        }
    }
    header(&mut page, report, options, left);
    footer(&mut page, report, options, left);
    page
}

/// The rectangle the traces live in; values beyond it are held at its edge.
struct Grid {
    left: f64,
    top: f64,
    width: f64,
    height: f64,
}

impl Grid {
    fn draw(&self, page: &mut Page) {
        let mut minor = Vec::new();
        let mut major = Vec::new();
        let columns = self.width.round() as usize;
        for k in 0..=columns {
            let x = self.left + k as f64;
            let line = if k % 5 == 0 { &mut major } else { &mut minor };
            line.extend([[x, self.top], [x, self.top + self.height], [f64::NAN; 2]]);
        }
        let rows = self.height.round() as usize;
        for k in 0..=rows {
            let y = self.top + k as f64;
            let line = if k % 5 == 0 { &mut major } else { &mut minor };
            line.extend([[self.left, y], [self.left + self.width, y], [f64::NAN; 2]]);
        }
        page.line(minor, MINOR_GRID, 0.07);
        page.line(major, MAJOR_GRID, 0.18);
    }

    fn clamp_y(&self, y: f64) -> f64 {
        y.clamp(self.top, self.top + self.height)
    }
}

/// A lead's stretch of the row: where it starts on the page and which seconds it shows.
struct Segment {
    x: f64,
    from_s: f64,
    to_s: f64,
}

/// The leads of a row with their stretches: 2.5 s each for four, all 10 s for one.
fn segments(leads: &[usize], trace_left: f64) -> impl Iterator<Item = (usize, Segment)> + '_ {
    let span = SHOWN_S / leads.len() as f64;
    leads.iter().enumerate().map(move |(k, &row)| {
        let from_s = k as f64 * span;
        (
            row,
            Segment {
                x: trace_left + from_s * MM_PER_S,
                from_s,
                to_s: from_s + span,
            },
        )
    })
}

/// Which of V1, V3–V6 a 12-lead row is.
fn target_index(row: usize) -> Option<usize> {
    TARGET_ROWS.iter().position(|&r| r == row)
}

/// Sample indices of `segment` in a 100 Hz lead shown from `start_s`, with their page x.
fn samples(segment: &Segment, start_s: f64, len: usize) -> impl Iterator<Item = (usize, f64)> {
    let fs = ReconstructedEcg::FS_HZ;
    let first = ((start_s + segment.from_s) * fs).round().max(0.0) as usize;
    let end = (((start_s + segment.to_s) * fs).round().max(0.0) as usize).min(len);
    let x0 = segment.x;
    let from_s = segment.from_s;
    (first..end).map(move |t| (t, x0 + (t as f64 / fs - start_s - from_s) * MM_PER_S))
}

fn trace_points(
    lead: &[f64],
    segment: &Segment,
    start_s: f64,
    baseline: f64,
    grid: &Grid,
) -> Vec<[f64; 2]> {
    samples(segment, start_s, lead.len())
        .map(|(t, x)| {
            let v = lead[t];
            if v.is_finite() {
                [x, grid.clamp_y(baseline - v * MM_PER_MV)]
            } else {
                [f64::NAN; 2]
            }
        })
        .collect()
}

/// The band ŷ ± `half_width` (per sample) as polygons, one per stretch of finite samples.
fn band_polygons(
    lead: &[f64],
    half_width: &[f64],
    segment: &Segment,
    start_s: f64,
    baseline: f64,
    grid: &Grid,
) -> Vec<Vec<[f64; 2]>> {
    let mut polygons = Vec::new();
    let mut upper: Vec<[f64; 2]> = Vec::new();
    let mut lower: Vec<[f64; 2]> = Vec::new();
    let mut close = |upper: &mut Vec<[f64; 2]>, lower: &mut Vec<[f64; 2]>| {
        if upper.len() >= 2 {
            let mut polygon = std::mem::take(upper);
            polygon.extend(lower.drain(..).rev());
            polygons.push(polygon);
        }
        upper.clear();
        lower.clear();
    };
    for (t, x) in samples(segment, start_s, lead.len()) {
        let v = lead[t];
        let h = half_width.get(t).copied().unwrap_or(f64::NAN);
        if v.is_finite() && h.is_finite() {
            upper.push([x, grid.clamp_y(baseline - (v + h) * MM_PER_MV)]);
            lower.push([x, grid.clamp_y(baseline - (v - h) * MM_PER_MV)]);
        } else {
            close(&mut upper, &mut lower);
        }
    }
    close(&mut upper, &mut lower);
    polygons
}

fn header(page: &mut Page, report: &EcgReport<'_>, options: &ReportOptions, left: f64) {
    let ecg = report.ecg;
    let variant = ecg.variant.name();
    page.bold_text(
        [left, 10.0],
        12.0,
        format!("12-lead ECG · V1, V3–V6 reconstructed from I, II and V2 by Precordial {variant}"),
        RECORDED,
    );
    let derived = ecg.derived_leads();
    page.text(
        [left, 16.5],
        8.0,
        format!(
            "Record {} · {} · recorded leads: {} · {:.0} Hz, {:.1} s; shown {:.1}–{:.1} s",
            report.record_name,
            shorten(&report.source, 90),
            ecg.record_leads.join(" "),
            report.recorded_fs_hz,
            report.duration_s,
            options.start_s,
            options.start_s + SHOWN_S,
        ),
        RECORDED,
    );
    let details = if report.details.is_empty() {
        "No patient details in the record.".to_owned()
    } else {
        shorten(&report.details.join(" · "), 190)
    };
    page.text([left, 21.5], 8.0, details, RECORDED);
    let mut model = format!(
        "Model {variant} (model card SHA-256 {}…). Derived from I and II: {}.",
        &report.card_sha256[..report.card_sha256.len().min(16)],
        if derived.is_empty() {
            "none (all limb leads recorded)".to_owned()
        } else {
            derived.join(", ")
        }
    );
    if let Some(rmse) = report.heldout_rmse_mv {
        model.push_str(" Held-out RMSE (test split, mV): ");
        model.push_str(&per_lead(&rmse, 3));
    }
    page.text([left, 26.5], 8.0, model, RECORDED);
    let bands = match &ecg.bands {
        Some(bands) => {
            let means: [f64; 5] = std::array::from_fn(|k| bands.leads[k].mean_mv());
            format!(
                "Shaded: {:.0} % conformal band (validation split{}), mean ± mV: {}. Orange \"wide band\": at least {:.1}× the usual width, trust less.",
                bands.coverage * 100.0,
                if bands.adaptive {
                    "; wider where C and C-h disagree"
                } else {
                    ""
                },
                per_lead(&means, 2),
                crate::eval::conformal::WIDE_FACTOR,
            )
        }
        None => "No uncertainty bands: these models are not calibrated (precordial calibrate)."
            .to_owned(),
    };
    page.text([left, 31.5], 8.0, bands, RECONSTRUCTED);
    page.bold_text(
        [left, 38.5],
        8.5,
        "CAUTION: V1, V3–V6 in blue are estimates computed from I, II and V2, not recordings; they can miss or invent findings. Confirm with a recorded 12-lead.",
        CAUTION,
    );
}

fn footer(page: &mut Page, report: &EcgReport<'_>, options: &ReportOptions, left: f64) {
    let y = GRID_TOP + GRID_HEIGHT + 5.0;
    let recorded_targets = report.ecg.recorded_targets.iter().any(Option::is_some);
    page.text(
        [left, y],
        7.5,
        format!(
            "25 mm/s · 10 mm/mV · grid 1 mm and 5 mm · {} · {} paper · leads cleaned as the models take them, 100 Hz{}",
            options.layout.name(),
            options.paper.name(),
            if recorded_targets {
                " · grey: the recorded lead, for comparison"
            } else {
                ""
            }
        ),
        RECORDED,
    );
    page.text(
        [left, y + 4.5],
        7.5,
        format!(
            "Precordial {} · generated {} · method: Youssef & Singla 2026",
            env!("CARGO_PKG_VERSION"),
            report.generated_utc
        ),
        RECORDED,
    );
}

fn per_lead(values: &[f64; 5], decimals: usize) -> String {
    TARGET_LEADS
        .iter()
        .zip(values)
        .map(|(lead, v)| format!("{lead} {v:.decimals$}"))
        .collect::<Vec<_>>()
        .join(" · ")
}

/// `text`, cut to `max` characters with an ellipsis.
fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_owned()
    } else {
        let mut cut: String = text.chars().take(max.saturating_sub(1)).collect();
        cut.push('…');
        cut
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ModelVariant;
    use crate::model::twelve_lead::{BandAlong, EcgBands};
    use crate::printout::Shape;

    /// Twelve leads of 10 s at 100 Hz: a 1 Hz sine of 1 mV, with V1, V3–V6 rebuilt.
    fn ecg() -> ReconstructedEcg {
        let sine: Vec<f64> = (0..1000)
            .map(|t| (2.0 * std::f64::consts::PI * t as f64 / 100.0).sin())
            .collect();
        let mut origin = [LeadOrigin::Recorded; 12];
        for row in TARGET_ROWS {
            origin[row] = LeadOrigin::Reconstructed;
        }
        origin[2] = LeadOrigin::Derived;
        ReconstructedEcg {
            leads: std::array::from_fn(|_| sine.clone()),
            origin,
            variant: ModelVariant::CH,
            recorded_targets: std::array::from_fn(|_| Some(sine.clone())),
            record_leads: vec!["I".into(), "II".into(), "V2".into()],
            bands: Some(EcgBands {
                coverage: 0.9,
                adaptive: true,
                leads: std::array::from_fn(|k| BandAlong {
                    half_width_mv: vec![[0.2, 0.3, 0.3, 0.25, 0.2][k]; 1000],
                    constant_mv: 0.2,
                    // V4 (k = 2) is wide over its fourth second.
                    wide: if k == 2 { vec![(300, 400)] } else { Vec::new() },
                }),
            }),
        }
    }

    fn report(ecg: &ReconstructedEcg) -> EcgReport<'_> {
        EcgReport {
            ecg,
            record_name: "r1".into(),
            source: "data/r1".into(),
            recorded_fs_hz: 500.0,
            duration_s: 10.0,
            details: vec!["Age: 56".into()],
            card_sha256: "0123456789abcdef0123".into(),
            heldout_rmse_mv: Some([0.12, 0.21, 0.22, 0.2, 0.17]),
            generated_utc: "2026-12-03T00:00:00Z".into(),
        }
    }

    fn texts_of(page: &Page, text: &str) -> usize {
        texts(page).iter().filter(|t| **t == text).count()
    }

    fn texts(page: &Page) -> Vec<&str> {
        page.shapes
            .iter()
            .filter_map(|s| match s {
                Shape::Text { text, .. } => Some(text.as_str()),
                _ => None,
            })
            .collect()
    }

    /// The V4 trace: blue, 2.5 s long = 62.5 mm, 1 mV = 10 mm, starting at the fourth column; its
    /// band ±0.3 mV is 3 mm either side; the label says it is C-h's estimate.
    #[test]
    fn the_rebuilt_leads_are_marked_and_drawn_at_true_scale() {
        let ecg = ecg();
        let page = twelve_lead_page(&report(&ecg), &ReportOptions::default());
        let blue: Vec<&Vec<[f64; 2]>> = page
            .shapes
            .iter()
            .filter_map(|s| match s {
                Shape::Line { points, colour, .. } if *colour == RECONSTRUCTED => Some(points),
                _ => None,
            })
            .collect();
        assert_eq!(
            blue.len(),
            5,
            "V1, V3, V4, V5, V6: {:?}",
            blue.iter().map(|p| (p.len(), p[0])).collect::<Vec<_>>()
        );
        let left = (297.0 - CAL_ZONE - 250.0) / 2.0;
        let v4 = blue
            .iter()
            .find(|p| (p[0][0] - (left + CAL_ZONE + 7.5 * MM_PER_S)).abs() < 1e-9)
            .expect("V4 starts at 7.5 s");
        assert_eq!(v4.len(), 250);
        let span = v4[249][0] - v4[0][0];
        assert!((span - 249.0 / 100.0 * MM_PER_S).abs() < 1e-9, "{span}");
        let ys: Vec<f64> = v4.iter().map(|p| p[1]).collect();
        let (lo, hi) = ys
            .iter()
            .fold((f64::MAX, f64::MIN), |(a, b), y| (a.min(*y), b.max(*y)));
        assert!((hi - lo - 2.0 * MM_PER_MV).abs() < 1e-6, "{lo} {hi}");
        let bands: Vec<&Vec<[f64; 2]>> = page
            .shapes
            .iter()
            .filter_map(|s| match s {
                Shape::Fill { points, colour } if *colour == BAND => Some(points),
                _ => None,
            })
            .collect();
        assert_eq!(bands.len(), 5);
        let v4_band = bands
            .iter()
            .find(|p| (p[0][0] - v4[0][0]).abs() < 1e-9)
            .expect("V4's band");
        // Upper edge at the first sample, lower edge (last point) at the same x.
        let width = v4_band[v4_band.len() - 1][1] - v4_band[0][1];
        assert!((width - 0.6 * MM_PER_MV).abs() < 1e-9, "{width}");
        let texts = texts(&page);
        for label in ["V4 · C-h", "V1 · C-h", "III (derived)", "aVR", "II"] {
            assert!(texts.contains(&label), "{label} in {texts:?}");
        }
        assert!(
            texts
                .iter()
                .any(|t| t.contains("CAUTION") && t.contains("estimates"))
        );
        assert!(
            texts.iter().any(|t| t.contains("V4 0.220")),
            "held-out RMSE"
        );
        // V4's wide stretch (3–4 s) is off the 3×4 page's V4 column (7.5–10 s); in 12×1 it is
        // bracketed.
        assert!(!texts.contains(&"wide band"));
        let twelve = twelve_lead_page(
            &report(&ecg),
            &ReportOptions {
                layout: Layout::TwelveByOne,
                ..ReportOptions::default()
            },
        );
        assert_eq!(texts_of(&twelve, "wide band"), 1);
    }

    /// 12×1 draws every lead for the full 10 s; without bands nothing is shaded and the page says so.
    #[test]
    fn twelve_by_one_draws_ten_seconds_per_lead() {
        let mut ecg = ecg();
        ecg.bands = None;
        let report = report(&ecg);
        let options = ReportOptions {
            layout: Layout::TwelveByOne,
            paper: Paper::Letter,
            ..ReportOptions::default()
        };
        let page = twelve_lead_page(&report, &options);
        assert_eq!(page.width_mm, 279.4);
        let traces = page
            .shapes
            .iter()
            .filter(|s| {
                matches!(s, Shape::Line { points, colour, .. }
                if (*colour == RECONSTRUCTED || *colour == RECORDED) && points.len() == 1000)
            })
            .count();
        assert_eq!(traces, 12);
        assert!(
            !page
                .shapes
                .iter()
                .any(|s| matches!(s, Shape::Fill { colour, .. } if *colour == BAND))
        );
        assert!(texts(&page).iter().any(|t| t.contains("not calibrated")));
    }
}
