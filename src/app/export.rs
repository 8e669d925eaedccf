//! Exports the current window as PNG (the signals' CSV is a worker job, `Job::ExportCsv`).
//!
//! The PNG comes from egui's screenshot command: the integration hands the rendered frame to a callback,
//! which encodes and writes it on its own thread and reports back over a channel.

use std::path::{Path, PathBuf};

use crossbeam_channel::{Receiver, Sender};

use super::{Notice, NoticeLevel};

/// Encodes an RGBA image as PNG.
pub fn write_png(image: &egui::ColorImage, path: &Path) -> Result<(), String> {
    let [width, height] = image.size;
    write_png_rgba(width, height, image.as_raw(), path)
}

/// Encodes `width × height` RGBA8 pixels as PNG.
pub fn write_png_rgba(width: usize, height: usize, rgba: &[u8], path: &Path) -> Result<(), String> {
    let file = std::fs::File::create(path).map_err(|err| err.to_string())?;
    let mut encoder = png::Encoder::new(
        std::io::BufWriter::new(file),
        u32::try_from(width).map_err(|err| err.to_string())?,
        u32::try_from(height).map_err(|err| err.to_string())?,
    );
    encoder.set_color(png::ColorType::Rgba);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header().map_err(|err| err.to_string())?;
    writer.write_image_data(rgba).map_err(|err| err.to_string())
}

/// PNG export requests in flight, and their outcomes.
pub struct ExportState {
    sender: Sender<Notice>,
    receiver: Receiver<Notice>,
}

impl Default for ExportState {
    fn default() -> Self {
        let (sender, receiver) = crossbeam_channel::unbounded();
        Self { sender, receiver }
    }
}

impl ExportState {
    pub fn request_png(&self, ctx: &egui::Context, path: PathBuf) {
        let sender = self.sender.clone();
        let repaint = ctx.clone();
        ctx.request_screenshot(move |image| {
            std::thread::spawn(move || {
                let notice = match write_png(&image, &path) {
                    Ok(()) => Notice {
                        level: NoticeLevel::Info,
                        text: format!("view saved to {}", path.display()),
                    },
                    Err(err) => Notice {
                        level: NoticeLevel::Error,
                        text: format!("could not write {}: {err}", path.display()),
                    },
                };
                sender.send(notice).ok();
                repaint.request_repaint();
            });
        });
    }

    pub fn poll(&self, notices: &mut Vec<Notice>) {
        notices.extend(self.receiver.try_iter());
    }
}
