//! Printed pages: the reconstructed 12-lead as ECG paper, in true millimetres, written as vector
//! PDF or as PNG.
//!
//! A page is a list of [`Shape`]s in millimetres from the top-left corner. [`ecg`] lays out the
//! 12-lead report on it; [`pdf`] and [`svg`] write the same shapes, so the PDF a clinician prints
//! and the PNG a screen shows cannot disagree. PNG is the SVG rasterised by
//! [`crate::eval::raster`].

pub mod ecg;
pub mod pdf;
pub mod svg;

/// An sRGB colour.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rgb(pub u8, pub u8, pub u8);

impl Rgb {
    pub const BLACK: Self = Self(0, 0, 0);
    pub const WHITE: Self = Self(255, 255, 255);
}

/// One thing drawn on a page; coordinates are `[x, y]` in mm from the top-left corner.
#[derive(Clone, Debug, PartialEq)]
pub enum Shape {
    /// A stroked polyline; a non-finite point breaks it into pieces.
    Line {
        points: Vec<[f64; 2]>,
        colour: Rgb,
        width_mm: f64,
    },
    /// A filled polygon (closed implicitly).
    Fill { points: Vec<[f64; 2]>, colour: Rgb },
    /// Text whose baseline starts at `at`.
    Text {
        at: [f64; 2],
        size_pt: f64,
        text: String,
        colour: Rgb,
        bold: bool,
    },
}

/// A page size, landscape.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Paper {
    #[default]
    A4,
    Letter,
}

impl Paper {
    /// Width and height in mm, landscape.
    pub fn size_mm(self) -> [f64; 2] {
        match self {
            Self::A4 => [297.0, 210.0],
            Self::Letter => [279.4, 215.9],
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::A4 => "A4",
            Self::Letter => "Letter",
        }
    }
}

/// A page of shapes, drawn in order.
#[derive(Clone, Debug, PartialEq)]
pub struct Page {
    pub width_mm: f64,
    pub height_mm: f64,
    /// The document title (PDF metadata, SVG title).
    pub title: String,
    pub shapes: Vec<Shape>,
}

impl Page {
    /// A white page of `paper` size.
    pub fn new(paper: Paper, title: &str) -> Self {
        let [width_mm, height_mm] = paper.size_mm();
        let mut page = Self {
            width_mm,
            height_mm,
            title: title.to_owned(),
            shapes: Vec::new(),
        };
        page.fill(
            vec![
                [0.0, 0.0],
                [width_mm, 0.0],
                [width_mm, height_mm],
                [0.0, height_mm],
            ],
            Rgb::WHITE,
        );
        page
    }

    pub fn line(&mut self, points: Vec<[f64; 2]>, colour: Rgb, width_mm: f64) {
        self.shapes.push(Shape::Line {
            points,
            colour,
            width_mm,
        });
    }

    pub fn fill(&mut self, points: Vec<[f64; 2]>, colour: Rgb) {
        self.shapes.push(Shape::Fill { points, colour });
    }

    pub fn text(&mut self, at: [f64; 2], size_pt: f64, text: impl Into<String>, colour: Rgb) {
        self.shapes.push(Shape::Text {
            at,
            size_pt,
            text: text.into(),
            colour,
            bold: false,
        });
    }

    pub fn bold_text(&mut self, at: [f64; 2], size_pt: f64, text: impl Into<String>, colour: Rgb) {
        self.shapes.push(Shape::Text {
            at,
            size_pt,
            text: text.into(),
            colour,
            bold: true,
        });
    }
}

/// A written page could not be made (only PNG rasterising can fail).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct PrintoutError(pub String);

/// The page as PNG at `dots_per_mm` (8 ≈ 200 dpi).
pub fn to_png(page: &Page, dots_per_mm: f64) -> Result<Vec<u8>, PrintoutError> {
    // The SVG's user unit is 1 mm, which usvg sizes at 96 dpi (3.78 px/mm).
    let scale = dots_per_mm * 25.4 / 96.0;
    crate::eval::raster::svg_to_png(&svg::to_svg(page), scale as f32)
        .map_err(|e| PrintoutError(e.to_string()))
}

/// Writes `page` at `path` as PDF (`.pdf`) or PNG (`.png`, 8 dots per mm ≈ 200 dpi), completely or
/// not at all, and over an existing file only when `overwrite`.
pub fn write_page(
    path: &std::path::Path,
    page: &Page,
    overwrite: bool,
) -> Result<(), PrintoutError> {
    let extension = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    let bytes = match extension.as_str() {
        "pdf" => pdf::to_pdf(page),
        "png" => {
            to_png(page, 8.0).map_err(|e| PrintoutError(format!("{}: {}", path.display(), e.0)))?
        }
        _ => {
            return Err(PrintoutError(format!(
                "{}: a report is written as .pdf or .png",
                path.display()
            )));
        }
    };
    crate::output::write_file(path, overwrite, |out| out.write_all(&bytes))
        .map_err(|e| PrintoutError(e.to_string()))
}

fn is_finite(point: &[f64; 2]) -> bool {
    point[0].is_finite() && point[1].is_finite()
}

/// The pieces of a polyline between non-finite points.
fn runs(points: &[[f64; 2]]) -> impl Iterator<Item = &[[f64; 2]]> {
    points.split(|p| !is_finite(p)).filter(|run| run.len() >= 2)
}

/// A polygon's finite points (a fill skips the others).
fn finite(points: &[[f64; 2]]) -> impl Iterator<Item = &[f64; 2]> {
    points.iter().filter(|p| is_finite(p))
}
