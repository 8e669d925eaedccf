//! The report's figures as standalone SVG: affinity heatmaps, the per-class radar, overlays and
//! residuals. Plain text, no dependencies ([`super::raster`] turns them into PNG); the workbench
//! draws the same data interactively.

use std::f64::consts::PI;
use std::fmt::Write as _;

use super::{Affinity, ClassRmse, ExampleTrace};

const TRUTH: &str = "#222222";
const C_COLOUR: &str = "#1f77b4";
const CH_COLOUR: &str = "#d62728";

/// "x̂ (input)" for a title. No bundled font has the combining circumflex (U+0302) that x̂ needs,
/// so the spacing circumflex ˆ (U+02C6) is set back over the x; the offsets centre it in Ubuntu
/// Light (x advances 0.499 em, ˆ 0.376 em with its ink centred at 0.188 em) and come close in
/// other sans-serif faces.
const X_HAT_INPUT: &str = r#"x<tspan dx="-0.44em">ˆ</tspan><tspan dx="0.06em"> (input)</tspan>"#;

/// The affinity matrices of x̂ and ĥ side by side, values in the cells, each titled with its
/// diagonal mean and chance level and, below, which neighbours were allowed.
pub fn affinity_pair_svg(x: &Affinity, h: &Affinity) -> String {
    let n = x.classes.len().max(h.classes.len()).max(1);
    let cell = (360.0 / n as f64).clamp(22.0, 60.0);
    let label_w = 150.0;
    let panel_w = label_w + cell * n as f64 + 30.0;
    let height = 90.0 + cell * n as f64 + 110.0;
    let mut svg = open_svg(2.0 * panel_w, height);
    for (k, (a, title)) in [(x, X_HAT_INPUT), (h, "ĥ (embedding)")].iter().enumerate() {
        let x0 = k as f64 * panel_w + label_w;
        let y0 = 60.0;
        writeln!(
            svg,
            r#"<text x="{}" y="30" font-size="15" text-anchor="middle">{title}: diagonal mean {:.3} (chance {:.3})</text>"#,
            x0 + cell * n as f64 / 2.0,
            a.diagonal_mean,
            a.chance_mean
        )
        .ok();
        writeln!(
            svg,
            r#"<text x="{}" y="48" font-size="11" text-anchor="middle">neighbours: {}, k = {}</text>"#,
            x0 + cell * n as f64 / 2.0,
            a.neighbours.label(),
            a.k
        )
        .ok();
        for (i, row) in a.matrix.iter().enumerate() {
            let y = y0 + i as f64 * cell;
            writeln!(
                svg,
                r#"<text x="{}" y="{}" font-size="11" text-anchor="end">{} (n={})</text>"#,
                x0 - 6.0,
                y + cell / 2.0 + 4.0,
                escape(&a.classes[i]),
                a.counts[i]
            )
            .ok();
            for (j, &v) in row.iter().enumerate() {
                let x = x0 + j as f64 * cell;
                let text_colour = if v > 0.55 { "#000" } else { "#fff" };
                writeln!(
                    svg,
                    r#"<rect x="{x:.1}" y="{y:.1}" width="{cell:.1}" height="{cell:.1}" fill="{}"><title>{} → {}: {v:.3}</title></rect>"#,
                    viridis(v),
                    escape(&a.classes[i]),
                    escape(&a.classes[j])
                )
                .ok();
                if cell >= 28.0 {
                    writeln!(
                        svg,
                        r#"<text x="{:.1}" y="{:.1}" font-size="10" text-anchor="middle" fill="{text_colour}">{v:.2}</text>"#,
                        x + cell / 2.0,
                        y + cell / 2.0 + 3.5
                    )
                    .ok();
                }
            }
        }
        for (j, class) in a.classes.iter().enumerate() {
            let x = x0 + j as f64 * cell + cell / 2.0;
            let y = y0 + n as f64 * cell + 8.0;
            writeln!(
                svg,
                r#"<text x="{x:.1}" y="{y:.1}" font-size="11" text-anchor="end" transform="rotate(-60 {x:.1} {y:.1})">{}</text>"#,
                escape(class)
            )
            .ok();
        }
    }
    svg.push_str("</svg>\n");
    svg
}

/// Per-class RMSE of C and C-h on a radar with rings at 0.05–0.15 mV (the paper's Fig. 5).
pub fn radar_svg(rows: &[ClassRmse]) -> String {
    let (w, h) = (560.0, 520.0);
    let (cx, cy, radius) = (w / 2.0, h / 2.0 + 10.0, 180.0);
    let max_mv = 0.15f64.max(
        rows.iter()
            .map(|r| r.rmse_c_mv.max(r.rmse_ch_mv))
            .fold(0.0, f64::max),
    );
    let point = |i: usize, v: f64| {
        let angle = -PI / 2.0 + 2.0 * PI * i as f64 / rows.len().max(1) as f64;
        let r = radius * (v / max_mv).min(1.2);
        (cx + r * angle.cos(), cy + r * angle.sin())
    };
    let mut svg = open_svg(w, h);
    writeln!(
        svg,
        r#"<text x="{cx}" y="24" font-size="15" text-anchor="middle">Per-class RMSE (mV)</text>"#
    )
    .ok();
    const RINGS: [f64; 5] = [0.05, 0.075, 0.10, 0.125, 0.15];
    for ring in RINGS {
        let r = radius * ring / max_mv;
        writeln!(
            svg,
            r##"<circle cx="{cx}" cy="{cy}" r="{r:.1}" fill="none" stroke="#ccc"/>"##
        )
        .ok();
    }
    for (i, row) in rows.iter().enumerate() {
        let (x, y) = point(i, max_mv);
        writeln!(
            svg,
            r##"<line x1="{cx}" y1="{cy}" x2="{x:.1}" y2="{y:.1}" stroke="#ddd"/>"##
        )
        .ok();
        let (lx, ly) = point(i, max_mv * 1.13);
        writeln!(
            svg,
            r#"<text x="{lx:.1}" y="{ly:.1}" font-size="11" text-anchor="middle">{} (n={})</text>"#,
            escape(&row.class),
            row.n_windows
        )
        .ok();
    }
    for (colour, name, value) in [
        (
            C_COLOUR,
            "C",
            (|r: &ClassRmse| r.rmse_c_mv) as fn(&ClassRmse) -> f64,
        ),
        (CH_COLOUR, "C-h", |r: &ClassRmse| r.rmse_ch_mv),
    ] {
        let points: Vec<String> = rows
            .iter()
            .enumerate()
            .map(|(i, r)| {
                let (x, y) = point(i, value(r));
                format!("{x:.1},{y:.1}")
            })
            .collect();
        writeln!(
            svg,
            r#"<polygon points="{}" fill="{colour}" fill-opacity="0.12" stroke="{colour}" stroke-width="2"><title>{name}</title></polygon>"#,
            points.join(" ")
        )
        .ok();
    }
    // Ring labels over the polygons, with a white halo, so the outlines never hide them.
    for ring in RINGS {
        let r = radius * ring / max_mv;
        writeln!(
            svg,
            r##"<text x="{:.1}" y="{:.1}" font-size="9" fill="#888" stroke="white" stroke-width="3" paint-order="stroke">{ring}</text>"##,
            cx + 3.0,
            cy - r - 2.0
        )
        .ok();
    }
    legend(
        &mut svg,
        (w - 110.0, h - 50.0),
        Stack::Column,
        &[(C_COLOUR, "C"), (CH_COLOUR, "C-h")],
    );
    svg.push_str("</svg>\n");
    svg
}

/// Ground truth, C and C-h of each example window, one panel each.
pub fn overlays_svg(examples: &[ExampleTrace]) -> String {
    traces_svg(examples, "Reconstruction examples (mV)", |e| {
        vec![
            (TRUTH, "truth", e.truth.clone()),
            (C_COLOUR, "C", e.c.clone()),
            (CH_COLOUR, "C-h", e.ch.clone()),
        ]
    })
}

/// Residuals (reconstruction − truth) of C and C-h for each example window.
pub fn residuals_svg(examples: &[ExampleTrace]) -> String {
    traces_svg(examples, "Residuals, reconstruction − truth (mV)", |e| {
        let residual = |p: &[f64]| p.iter().zip(&e.truth).map(|(p, t)| p - t).collect();
        vec![
            (C_COLOUR, "C", residual(&e.c)),
            (CH_COLOUR, "C-h", residual(&e.ch)),
        ]
    })
}

type Series = Vec<(&'static str, &'static str, Vec<f64>)>;

fn traces_svg(
    examples: &[ExampleTrace],
    title: &str,
    series: impl Fn(&ExampleTrace) -> Series,
) -> String {
    let cols = 3usize;
    let rows = examples.len().div_ceil(cols).max(1);
    let (panel_w, panel_h) = (300.0, 170.0);
    let (w, h) = (cols as f64 * panel_w + 20.0, rows as f64 * panel_h + 70.0);
    let mut svg = open_svg(w, h);
    writeln!(
        svg,
        r#"<text x="{}" y="22" font-size="15" text-anchor="middle">{}</text>"#,
        w / 2.0,
        escape(title)
    )
    .ok();
    for (k, example) in examples.iter().enumerate() {
        let x0 = 10.0 + (k % cols) as f64 * panel_w + 10.0;
        let y0 = 40.0 + (k / cols) as f64 * panel_h;
        let (pw, ph) = (panel_w - 20.0, panel_h - 35.0);
        writeln!(
            svg,
            r#"<text x="{x0}" y="{}" font-size="11">{} · {} · {}</text>"#,
            y0 + 10.0,
            escape(&example.class),
            escape(&example.record_id),
            escape(&example.lead)
        )
        .ok();
        let all = series(example);
        let (lo, hi) = all
            .iter()
            .flat_map(|(_, _, v)| v.iter().copied())
            .filter(|v| v.is_finite())
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
                (lo.min(v), hi.max(v))
            });
        let (lo, hi) = if lo < hi {
            (lo, hi)
        } else {
            (lo - 0.5, lo + 0.5)
        };
        let top = y0 + 16.0;
        writeln!(
            svg,
            r##"<rect x="{x0}" y="{top}" width="{pw}" height="{ph}" fill="none" stroke="#ddd"/>"##
        )
        .ok();
        if lo < 0.0 && hi > 0.0 {
            let y = top + ph * (hi / (hi - lo));
            writeln!(
                svg,
                r##"<line x1="{x0}" y1="{y:.1}" x2="{}" y2="{y:.1}" stroke="#eee"/>"##,
                x0 + pw
            )
            .ok();
        }
        for (colour, name, values) in &all {
            let n = values.len().max(2) - 1;
            let points: Vec<String> = values
                .iter()
                .enumerate()
                .filter(|(_, v)| v.is_finite())
                .map(|(i, v)| {
                    let x = x0 + pw * i as f64 / n as f64;
                    let y = top + ph * (hi - v) / (hi - lo);
                    format!("{x:.1},{y:.1}")
                })
                .collect();
            writeln!(
                svg,
                r#"<polyline points="{}" fill="none" stroke="{colour}" stroke-width="1.2"><title>{name}</title></polyline>"#,
                points.join(" ")
            )
            .ok();
        }
    }
    let names: Vec<(&str, &str)> = examples
        .first()
        .map(|e| series(e).iter().map(|(c, n, _)| (*c, *n)).collect())
        .unwrap_or_default();
    // One row in the header, right of the title: a column would run into the first row's panels.
    let width: f64 = names.iter().map(|(_, name)| legend_entry_width(name)).sum();
    legend(&mut svg, (w - width, 12.0), Stack::Row, &names);
    svg.push_str("</svg>\n");
    svg
}

/// How [`legend`] stacks its entries.
#[derive(Clone, Copy)]
enum Stack {
    Column,
    Row,
}

/// Width of one legend entry in a row: the line, the name (11 px text) and a gap.
fn legend_entry_width(name: &str) -> f64 {
    24.0 + 6.5 * name.chars().count() as f64 + 16.0
}

/// A line and a name per entry, the first at `(x, y)`.
fn legend(svg: &mut String, (x, y): (f64, f64), stack: Stack, entries: &[(&str, &str)]) {
    let (mut x, mut y) = (x, y);
    for (colour, name) in entries {
        writeln!(
            svg,
            r#"<line x1="{x}" y1="{}" x2="{}" y2="{}" stroke="{colour}" stroke-width="3"/>"#,
            y + 6.0,
            x + 18.0,
            y + 6.0
        )
        .ok();
        writeln!(
            svg,
            r#"<text x="{}" y="{}" font-size="11">{name}</text>"#,
            x + 24.0,
            y + 10.0
        )
        .ok();
        match stack {
            Stack::Column => y += 16.0,
            Stack::Row => x += legend_entry_width(name),
        }
    }
}

fn open_svg(w: f64, h: f64) -> String {
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w:.0}\" height=\"{h:.0}\" viewBox=\"0 0 {w:.0} {h:.0}\" font-family=\"sans-serif\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
    )
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Viridis colour for `v` in 0..1 as SVG's `#rrggbb`.
pub fn viridis(v: f64) -> String {
    let [r, g, b] = viridis_rgb(v);
    format!("#{r:02x}{g:02x}{b:02x}")
}

/// Viridis colour for `v` in 0..1 (five-point piecewise-linear approximation; NaN is the low end):
/// the one colour map of the report's figures and the workbench's heatmap.
pub fn viridis_rgb(v: f64) -> [u8; 3] {
    const STOPS: [(f64, [f64; 3]); 5] = [
        (0.0, [68.0, 1.0, 84.0]),
        (0.25, [59.0, 82.0, 139.0]),
        (0.5, [33.0, 145.0, 140.0]),
        (0.75, [94.0, 201.0, 98.0]),
        (1.0, [253.0, 231.0, 37.0]),
    ];
    let v = if v.is_finite() {
        v.clamp(0.0, 1.0)
    } else {
        0.0
    };
    let k = STOPS.iter().position(|(s, _)| *s >= v).unwrap_or(4).max(1);
    let ((s0, c0), (s1, c1)) = (STOPS[k - 1], STOPS[k]);
    let t = (v - s0) / (s1 - s0);
    std::array::from_fn(|i| (c0[i] + t * (c1[i] - c0[i])).round() as u8)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn viridis_ends_and_clamps() {
        assert_eq!(viridis(0.0), "#440154");
        assert_eq!(viridis(1.0), "#fde725");
        assert_eq!(viridis(7.0), "#fde725");
        assert_eq!(viridis(f64::NAN), "#440154");
    }

    #[test]
    fn radar_has_one_vertex_per_class_and_model() {
        let rows: Vec<ClassRmse> = ["NORM", "MI", "STTC"]
            .iter()
            .map(|c| ClassRmse {
                class: (*c).into(),
                n_windows: 10,
                rmse_c_mv: 0.1,
                rmse_ch_mv: 0.08,
            })
            .collect();
        let svg = radar_svg(&rows);
        assert_eq!(svg.matches("<polygon").count(), 2);
        assert!(svg.contains("MI (n=10)"));
        assert_eq!(svg.matches("<circle").count(), 5);
    }
}
