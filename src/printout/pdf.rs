//! A [`Page`] as a one-page vector PDF, with true millimetres: what is 10 mm on the page is 10 mm
//! on paper printed at 100 %.
//!
//! Text is set in Helvetica, one of PDF's standard fonts that every reader supplies, so nothing is
//! embedded; characters outside its WinAnsi encoding are written as `?`.

use pdf_writer::{Content, Finish, Name, Pdf, Rect, Ref, Str, TextStr};

use super::{Page, Rgb, Shape, finite, runs};

/// PostScript points per millimetre.
const PT_PER_MM: f64 = 72.0 / 25.4;

/// The page as PDF bytes.
pub fn to_pdf(page: &Page) -> Vec<u8> {
    let catalog = Ref::new(1);
    let tree = Ref::new(2);
    let page_id = Ref::new(3);
    let regular = Ref::new(4);
    let bold = Ref::new(5);
    let content_id = Ref::new(6);
    let info = Ref::new(7);

    let mut pdf = Pdf::new();
    pdf.catalog(catalog).pages(tree);
    pdf.pages(tree).kids([page_id]).count(1);
    let width = (page.width_mm * PT_PER_MM) as f32;
    let height = (page.height_mm * PT_PER_MM) as f32;
    let mut pdf_page = pdf.page(page_id);
    pdf_page
        .media_box(Rect::new(0.0, 0.0, width, height))
        .parent(tree)
        .contents(content_id);
    pdf_page
        .resources()
        .fonts()
        .pair(Name(b"F1"), regular)
        .pair(Name(b"F2"), bold);
    pdf_page.finish();
    for (id, name) in [(regular, &b"Helvetica"[..]), (bold, b"Helvetica-Bold")] {
        pdf.type1_font(id)
            .base_font(Name(name))
            .encoding_predefined(Name(b"WinAnsiEncoding"));
    }
    pdf.stream(content_id, &content(page).finish());
    pdf.document_info(info)
        .title(TextStr(&page.title))
        .creator(TextStr(concat!("Precordial ", env!("CARGO_PKG_VERSION"))));
    pdf.finish()
}

fn content(page: &Page) -> Content {
    // Millimetres from the top-left to points from the bottom-left.
    let x = |mm: f64| (mm * PT_PER_MM) as f32;
    let y = |mm: f64| ((page.height_mm - mm) * PT_PER_MM) as f32;
    let rgb = |c: Rgb| {
        (
            f32::from(c.0) / 255.0,
            f32::from(c.1) / 255.0,
            f32::from(c.2) / 255.0,
        )
    };
    let mut content = Content::new();
    content.set_line_join(pdf_writer::types::LineJoinStyle::RoundJoin);
    content.set_line_cap(pdf_writer::types::LineCapStyle::RoundCap);
    for shape in &page.shapes {
        match shape {
            Shape::Line {
                points,
                colour,
                width_mm,
            } => {
                let (r, g, b) = rgb(*colour);
                content.set_stroke_rgb(r, g, b);
                content.set_line_width((*width_mm * PT_PER_MM) as f32);
                for run in runs(points) {
                    content.move_to(x(run[0][0]), y(run[0][1]));
                    for p in &run[1..] {
                        content.line_to(x(p[0]), y(p[1]));
                    }
                }
                content.stroke();
            }
            Shape::Fill { points, colour } => {
                let finite: Vec<&[f64; 2]> = finite(points).collect();
                if finite.len() < 3 {
                    continue;
                }
                let (r, g, b) = rgb(*colour);
                content.set_fill_rgb(r, g, b);
                content.move_to(x(finite[0][0]), y(finite[0][1]));
                for p in &finite[1..] {
                    content.line_to(x(p[0]), y(p[1]));
                }
                content.close_path();
                content.fill_nonzero();
            }
            Shape::Text {
                at,
                size_pt,
                text,
                colour,
                bold,
            } => {
                let (r, g, b) = rgb(*colour);
                content.set_fill_rgb(r, g, b);
                content.begin_text();
                content.set_font(Name(if *bold { b"F2" } else { b"F1" }), *size_pt as f32);
                content.next_line(x(at[0]), y(at[1]));
                content.show(Str(&win_ansi(text)));
                content.end_text();
            }
        }
    }
    content
}

/// `text` in WinAnsiEncoding (Windows-1252): ASCII and Latin-1 as they are, the typographic
/// characters a report uses at their 1252 codes, anything else `?`.
pub fn win_ansi(text: &str) -> Vec<u8> {
    text.chars()
        .map(|c| match c {
            '\u{20}'..='\u{7e}' => c as u8,
            '\u{a0}'..='\u{ff}' => c as u32 as u8,
            '€' => 0x80,
            '‘' => 0x91,
            '’' => 0x92,
            '“' => 0x93,
            '”' => 0x94,
            '•' => 0x95,
            '–' => 0x96,
            '—' => 0x97,
            '…' => 0x85,
            '−' => b'-',
            _ => b'?',
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::printout::Paper;

    #[test]
    fn text_is_encoded_as_win_ansi() {
        assert_eq!(
            win_ansi("V4 · C-h ± 0.2 µV – ok"),
            b"V4 \xb7 C-h \xb1 0.2 \xb5V \x96 ok"
        );
        assert_eq!(win_ansi("ĥ ≥"), b"? ?");
    }

    /// The media box is the paper in points, and the page's shapes are in the content stream at
    /// true scale: a 10 mm line is 28.35 pt long.
    #[test]
    fn a4_is_a4_in_points_and_millimetres_are_true() {
        let mut page = Page::new(Paper::A4, "test");
        page.line(vec![[10.0, 20.0], [20.0, 20.0]], Rgb::BLACK, 0.2);
        page.text([5.0, 5.0], 8.0, "V4 · C-h", Rgb::BLACK);
        let bytes = to_pdf(&page);
        let text = String::from_utf8_lossy(&bytes);
        assert!(text.starts_with("%PDF-"));
        assert!(
            text.contains("/MediaBox [0 0 841.8898 595.2756]"),
            "{}",
            &text[..text.len().min(600)]
        );
        // x 10 mm → 28.3465 pt, 20 mm → 56.6929 pt; y 20 mm from the top of 210 mm → 538.58 pt.
        assert!(text.contains("28.346457 538.5827 m"), "{text}");
        assert!(text.contains("56.692913 538.5827 l"), "{text}");
        // Text beyond ASCII is written as a hex string: "V4 · C-h" in WinAnsi.
        assert!(text.contains("<563420B720432D68> Tj"), "{text}");
        assert!(text.contains("/BaseFont /Helvetica"));
    }
}
