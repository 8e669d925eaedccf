//! A [`Page`] as standalone SVG whose user unit is the millimetre (what the PNG is rasterised
//! from).

use std::fmt::Write as _;

use super::{Page, Rgb, Shape, finite, runs};

/// Millimetres per PostScript point.
const MM_PER_PT: f64 = 25.4 / 72.0;

pub fn to_svg(page: &Page) -> String {
    let mut svg = String::new();
    writeln!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}mm" height="{h}mm" viewBox="0 0 {w} {h}"><title>{}</title>"#,
        escape(&page.title),
        w = page.width_mm,
        h = page.height_mm,
    )
    .ok();
    let hex = |c: Rgb| format!("#{:02x}{:02x}{:02x}", c.0, c.1, c.2);
    for shape in &page.shapes {
        match shape {
            Shape::Line {
                points,
                colour,
                width_mm,
            } => {
                let mut d = String::new();
                for run in runs(points) {
                    for (k, p) in run.iter().enumerate() {
                        write!(
                            d,
                            "{}{:.3} {:.3}",
                            if k == 0 { "M" } else { "L" },
                            p[0],
                            p[1]
                        )
                        .ok();
                    }
                }
                if !d.is_empty() {
                    writeln!(
                        svg,
                        r#"<path d="{d}" fill="none" stroke="{}" stroke-width="{width_mm}" stroke-linejoin="round" stroke-linecap="round"/>"#,
                        hex(*colour)
                    )
                    .ok();
                }
            }
            Shape::Fill { points, colour } => {
                let finite: Vec<String> = finite(points)
                    .map(|p| format!("{:.3},{:.3}", p[0], p[1]))
                    .collect();
                if finite.len() >= 3 {
                    writeln!(
                        svg,
                        r#"<polygon points="{}" fill="{}"/>"#,
                        finite.join(" "),
                        hex(*colour)
                    )
                    .ok();
                }
            }
            Shape::Text {
                at,
                size_pt,
                text,
                colour,
                bold,
            } => {
                writeln!(
                    svg,
                    r#"<text x="{:.3}" y="{:.3}" font-size="{:.3}" font-family="Helvetica, Arial, sans-serif"{} fill="{}">{}</text>"#,
                    at[0],
                    at[1],
                    size_pt * MM_PER_PT,
                    if *bold { r#" font-weight="bold""# } else { "" },
                    hex(*colour),
                    escape(text)
                )
                .ok();
            }
        }
    }
    svg.push_str("</svg>\n");
    svg
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
