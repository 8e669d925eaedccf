//! Exports: the record's signals as CSV, the current window as PNG, and a reconstruction as WFDB,
//! EDF+ or a 12-lead report (PDF, PNG), each a worker job whose
//! [`Task`] this state owns; neither replaces a file (an existing name gets `-2`, `-3`, … beside it).
//!
//! The PNG comes from egui's screenshot command: the integration hands the rendered frame to a
//! callback, which starts the export's [`Deferred`] job, so the PNG comes back the same way as every
//! other result.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::notices::{NoticeLevel, Notices};
use crate::wfdb::Record;
use crate::worker::reconstruct::ExportReconstruction;
use crate::worker::records::write_export;
use crate::worker::{ExportCsv, Job, JobContext, Outcome, Task, Worker, Written};

/// Encodes `width × height` RGBA8 pixels as PNG into `out`.
pub fn encode_png_rgba(
    out: &mut dyn std::io::Write,
    width: usize,
    height: usize,
    rgba: &[u8],
) -> std::io::Result<()> {
    let size = |n: usize| u32::try_from(n).map_err(std::io::Error::other);
    let mut encoder = png::Encoder::new(out, size(width)?, size(height)?);
    encoder.set_color(png::ColorType::Rgba);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header().map_err(std::io::Error::other)?;
    writer
        .write_image_data(rgba)
        .map_err(std::io::Error::other)?;
    writer.finish().map_err(std::io::Error::other)
}

/// Writes `width × height` RGBA8 pixels as a PNG file at `path`, replacing it (for the test suite's
/// screenshots; user exports go through [`WritePng`], which never replaces a file).
pub fn write_png_rgba(width: usize, height: usize, rgba: &[u8], path: &Path) -> Result<(), String> {
    crate::output::write_file(path, true, |out| encode_png_rgba(out, width, height, rgba))
        .map_err(|err| err.to_string())
}

/// Write a screenshot of the window as PNG at `path`, or beside it when `path` exists.
pub struct WritePng {
    pub image: Arc<egui::ColorImage>,
    pub path: PathBuf,
}

impl Job for WritePng {
    type Output = Written;
    type Update = ();

    fn describe(&self) -> String {
        format!("Writing {}", self.path.display())
    }

    fn run(self, _context: &JobContext) -> Result<Option<Written>, String> {
        let [width, height] = self.image.size;
        write_export(&self.path, "view", |out| {
            encode_png_rgba(out, width, height, self.image.as_raw())
        })
        .map(Some)
    }
}

/// The exports in flight.
#[derive(Default)]
pub struct Exports {
    tasks: Vec<Task<Written>>,
}

impl Exports {
    /// Writes `record`'s signals as CSV at `path` (or beside it) in the worker.
    pub fn csv(&mut self, worker: &mut Worker, record: Arc<Record>, path: PathBuf) {
        self.tasks.push(worker.submit(ExportCsv { record, path }));
    }

    /// Asks the window for a screenshot and writes it as PNG at `path` (or beside it) in the worker.
    pub fn png(&mut self, worker: &mut Worker, ctx: &egui::Context, path: PathBuf) {
        let (task, deferred) = worker.defer::<WritePng>(format!("Saving {}", path.display()));
        let deferred = deferred
            .never_started("the view was not saved: the window delivered no screenshot".to_owned());
        ctx.request_screenshot(move |image| deferred.start(WritePng { image, path }));
        self.tasks.push(task);
    }

    /// Writes a reconstruction (WFDB, EDF+ or the 12-lead report) into `folder` in the worker.
    pub fn reconstruction(&mut self, worker: &mut Worker, export: ExportReconstruction) {
        self.tasks.push(worker.submit(export));
    }

    /// Takes the finished exports' outcomes into the notices. Never blocks.
    pub fn logic(&mut self, notices: &mut Notices) {
        self.tasks.retain_mut(|task| {
            let Some(outcome) = task.poll() else {
                return true;
            };
            match outcome {
                Outcome::Done(Written { path, what }) => notices.push(
                    NoticeLevel::Info,
                    format!("{what} written to {}", path.display()),
                ),
                Outcome::Failed(reason) => notices.push(NoticeLevel::Error, reason),
                Outcome::Cancelled => notices.push(NoticeLevel::Info, "export cancelled"),
            }
            false
        });
    }
}
