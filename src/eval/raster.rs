//! The report's SVG figures rasterised to PNG with resvg, text included.
//!
//! Text is drawn with the fonts egui already bundles (Ubuntu Light, Hack), never system fonts,
//! so a PNG looks the same on a bare CI machine as on a desktop. The SVGs ask for the generic
//! `sans-serif` family, which resolves here to Ubuntu Light.

use std::sync::{Arc, OnceLock};

use resvg::tiny_skia;
use resvg::usvg;
use resvg::usvg::fontdb;

use super::EvalError;

/// PNG figures are drawn at twice the SVG's size, crisp on high-density screens and in print.
pub const PNG_SCALE: f32 = 2.0;

/// The bundled fonts, loaded once, and the family name `sans-serif` resolves to.
struct Fonts {
    db: Arc<fontdb::Database>,
    sans: String,
}

fn fonts() -> &'static Fonts {
    static FONTS: OnceLock<Fonts> = OnceLock::new();
    FONTS.get_or_init(|| {
        let mut db = fontdb::Database::new();
        let load = |db: &mut fontdb::Database, bytes: &'static [u8]| {
            let ids = db.load_font_source(fontdb::Source::Binary(Arc::new(bytes)));
            ids.first()
                .and_then(|&id| db.face(id))
                .and_then(|face| face.families.first())
                .map(|(name, _)| name.clone())
        };
        let sans = load(&mut db, epaint_default_fonts::UBUNTU_LIGHT);
        let mono = load(&mut db, epaint_default_fonts::HACK_REGULAR);
        // Both are compiled in; a name that failed to parse leaves text unrendered, which the
        // tests catch, rather than failing the report.
        let sans = sans.or_else(|| mono.clone()).unwrap_or_default();
        db.set_sans_serif_family(sans.clone());
        // usvg falls back to `serif` when a family is not found: the same face.
        db.set_serif_family(sans.clone());
        if let Some(mono) = mono {
            db.set_monospace_family(mono);
        }
        Fonts {
            db: Arc::new(db),
            sans,
        }
    })
}

/// SVG reading options: the bundled fonts, Ubuntu Light when no family is named.
fn options() -> usvg::Options<'static> {
    let fonts = fonts();
    usvg::Options {
        font_family: fonts.sans.clone(),
        fontdb: Arc::clone(&fonts.db),
        ..usvg::Options::default()
    }
}

/// Rasterises a standalone SVG at `scale` (1.0 = one pixel per SVG unit) to PNG bytes.
pub fn svg_to_png(svg: &str, scale: f32) -> Result<Vec<u8>, EvalError> {
    if !(scale.is_finite() && scale > 0.0) {
        return Err(EvalError::Figure(format!(
            "rasterising a figure: scale {scale} is not a positive number"
        )));
    }
    let tree = usvg::Tree::from_str(svg, &options())
        .map_err(|e| EvalError::Figure(format!("rasterising a figure: reading the SVG: {e}")))?;
    let size = tree.size().to_int_size();
    let scaled = size.scale_by(scale).ok_or_else(|| {
        EvalError::Figure(format!(
            "rasterising a figure: {}×{} at {scale}× is too large",
            size.width(),
            size.height()
        ))
    })?;
    let mut pixmap = tiny_skia::Pixmap::new(scaled.width(), scaled.height()).ok_or_else(|| {
        EvalError::Figure(format!(
            "rasterising a figure: {}×{} pixels is too large",
            scaled.width(),
            scaled.height()
        ))
    })?;
    resvg::render(
        &tree,
        tiny_skia::Transform::from_scale(scale, scale),
        &mut pixmap.as_mut(),
    );
    pixmap
        .encode_png()
        .map_err(|e| EvalError::Figure(format!("rasterising a figure: encoding the PNG: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eval::{Affinity, ClassRmse, ExampleTrace, figures};

    /// Width, height and RGBA pixels of a PNG.
    fn decode(bytes: &[u8]) -> (u32, u32, Vec<u8>) {
        let mut decoder = png::Decoder::new(std::io::Cursor::new(bytes));
        decoder.set_transformations(png::Transformations::EXPAND);
        let mut reader = decoder.read_info().expect("a PNG header");
        let mut pixels = vec![0; reader.output_buffer_size().expect("a sane size")];
        let info = reader.next_frame(&mut pixels).expect("a PNG frame");
        assert_eq!(info.color_type, png::ColorType::Rgba);
        assert_eq!(info.bit_depth, png::BitDepth::Eight);
        pixels.truncate(info.buffer_size());
        (info.width, info.height, pixels)
    }

    /// The `width` and `height` attributes of the root element.
    fn svg_size(svg: &str) -> (u32, u32) {
        let root = &svg[..svg.find('>').expect("a root element")];
        let attribute = |name: &str| -> u32 {
            let start = root.find(&format!(" {name}=\"")).expect("the attribute") + name.len() + 3;
            let len = root[start..].find('"').expect("a closing quote");
            root[start..start + len].parse().expect("whole pixels")
        };
        (attribute("width"), attribute("height"))
    }

    /// Pixels that are not white.
    fn inked(pixels: &[u8]) -> usize {
        pixels
            .chunks_exact(4)
            .filter(|p| p[..3].iter().any(|&c| c < 250))
            .count()
    }

    fn example(class: &str, phase: f64) -> ExampleTrace {
        let wave = |a: f64| -> Vec<f64> {
            (0..250)
                .map(|i| a * (i as f64 / 12.0 + phase).sin())
                .collect()
        };
        ExampleTrace {
            class: class.into(),
            record_id: "00042_hr".into(),
            lead: "V3".into(),
            truth: wave(1.0),
            c: wave(0.9),
            ch: wave(0.95),
        }
    }

    fn affinity(diagonal: f64) -> Affinity {
        Affinity::uniform(
            &["NORM", "MI", "STTC", "CD", "HYP"],
            diagonal,
            crate::eval::Neighbours::OtherPatients,
        )
    }

    fn report_figures() -> Vec<(&'static str, String)> {
        let radar: Vec<ClassRmse> = ["NORM", "MI", "STTC", "CD", "HYP"]
            .iter()
            .enumerate()
            .map(|(i, c)| ClassRmse {
                class: (*c).into(),
                n_windows: 10 + i,
                rmse_c_mv: 0.08 + 0.01 * i as f64,
                rmse_ch_mv: 0.07 + 0.01 * i as f64,
            })
            .collect();
        let examples: Vec<ExampleTrace> = ["NORM", "MI", "STTC", "CD"]
            .iter()
            .enumerate()
            .map(|(i, c)| example(c, i as f64))
            .collect();
        vec![
            (
                "affinity",
                figures::affinity_pair_svg(&affinity(0.4), &affinity(0.7)),
            ),
            ("radar", figures::radar_svg(&radar)),
            ("overlays", figures::overlays_svg(&examples)),
            ("residuals", figures::residuals_svg(&examples)),
        ]
    }

    #[test]
    fn every_figure_rasterises_at_twice_its_size() {
        for (name, svg) in report_figures() {
            let png = svg_to_png(&svg, PNG_SCALE).unwrap();
            let (width, height, pixels) = decode(&png);
            let (w, h) = svg_size(&svg);
            assert_eq!((width, height), (2 * w, 2 * h), "{name}");
            // Opaque: the figures paint a white background.
            assert!(pixels.chunks_exact(4).all(|p| p[3] == 255), "{name}");
            let ink = inked(&pixels);
            let total = (width * height) as usize;
            assert!(ink > total / 200, "{name}: {ink} of {total} pixels drawn");
            assert!(ink < total, "{name}: no white background");
        }
    }

    #[test]
    fn text_renders_with_the_bundled_fonts() {
        let page = |text: &str, family: &str| {
            format!(
                r#"<svg xmlns="http://www.w3.org/2000/svg" width="200" height="40" viewBox="0 0 200 40"{family}><rect width="100%" height="100%" fill="white"/>{text}</svg>"#
            )
        };
        let label = r#"<text x="10" y="25" font-size="15">ĥ (embedding) 0.62 · −1</text>"#;
        // The figures ask for sans-serif; a family we do not have and none at all fall back too.
        for family in [
            r#" font-family="sans-serif""#,
            r#" font-family="Nonexistent Sans""#,
            "",
        ] {
            let with = decode(&svg_to_png(&page(label, family), PNG_SCALE).unwrap()).2;
            let without = decode(&svg_to_png(&page("", family), PNG_SCALE).unwrap()).2;
            assert_eq!(inked(&without), 0);
            assert!(inked(&with) > 500, "{family}: {} pixels", inked(&with));
        }
    }

    /// Glyphs drawn in `group` and its descendants, with the text each stands for.
    fn glyphs(group: &usvg::Group, out: &mut Vec<(u32, String)>) {
        for node in group.children() {
            match node {
                usvg::Node::Group(group) => glyphs(group, out),
                usvg::Node::Text(text) => {
                    for span in text.layouted() {
                        out.extend(
                            span.positioned_glyphs
                                .iter()
                                .map(|g| (g.id.0, g.text.clone())),
                        );
                    }
                }
                usvg::Node::Path(_) | usvg::Node::Image(_) => {}
            }
        }
    }

    #[test]
    fn figure_text_has_glyphs_in_the_bundled_fonts() {
        for (name, svg) in report_figures() {
            let tree = usvg::Tree::from_str(&svg, &options()).unwrap();
            let mut drawn = Vec::new();
            glyphs(tree.root(), &mut drawn);
            assert!(drawn.len() > 20, "{name}: {} glyphs", drawn.len());
            // Glyph 0 is .notdef: a character no bundled font has, drawn as a box or nothing.
            let missing: Vec<&String> = drawn
                .iter()
                .filter(|(id, _)| *id == 0)
                .map(|(_, text)| text)
                .collect();
            assert!(missing.is_empty(), "{name}: no glyph for {missing:?}");
        }
    }

    #[test]
    fn refuses_what_it_cannot_draw() {
        assert!(svg_to_png("not an svg", PNG_SCALE).is_err());
        let svg = &report_figures()[1].1;
        for scale in [0.0, -1.0, f32::NAN, f32::INFINITY] {
            assert!(svg_to_png(svg, scale).is_err(), "{scale}");
        }
        assert!(svg_to_png(svg, 1e6).is_err());
    }
}
