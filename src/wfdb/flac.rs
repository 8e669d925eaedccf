//! FLAC signal files (formats 508, 516, 524).
//!
//! Each FLAC channel carries one signal of the file; with `k` samples per frame, `k` consecutive
//! FLAC time steps form one frame. The byte offset of such a signal counts FLAC time steps.

use std::path::Path;

use super::WfdbError;
use super::format::SignalFormat;

/// Decodes a FLAC signal file into the frame-interleaved digital stream the other formats produce:
/// for each frame, `samples_per_frame` samples of the first signal, then of the second, ...
///
/// `n_frames` limits the frames read after skipping `offset_steps` time steps; `None` reads all.
pub(crate) fn decode_file(
    path: &Path,
    bytes: &[u8],
    format: SignalFormat,
    n_signals: usize,
    samples_per_frame: usize,
    offset_steps: u64,
    n_frames: Option<usize>,
) -> Result<Vec<i32>, WfdbError> {
    let bad = |message: String| WfdbError::Data {
        path: path.to_path_buf(),
        message,
    };
    let mut reader = claxon::FlacReader::new(bytes)
        .map_err(|err| bad(format!("not a readable FLAC stream: {err}")))?;
    let info = reader.streaminfo();
    let max_bits = format.bits();
    if info.bits_per_sample > max_bits {
        return Err(bad(format!(
            "FLAC stream has {} bits per sample, format {} allows at most {max_bits}",
            info.bits_per_sample,
            format.code()
        )));
    }
    if info.channels as usize != n_signals {
        return Err(bad(format!(
            "FLAC stream has {} channels, the header gives {n_signals} signals for this file",
            info.channels
        )));
    }

    // Channel-major samples over all time steps.
    let mut channels: Vec<Vec<i32>> = vec![Vec::new(); n_signals];
    let mut blocks = reader.blocks();
    let mut buffer = Vec::new();
    loop {
        let block = blocks
            .read_next_or_eof(buffer)
            .map_err(|err| bad(format!("corrupt FLAC data: {err}")))?;
        let Some(block) = block else { break };
        for (ch, samples) in channels.iter_mut().enumerate() {
            samples.extend_from_slice(block.channel(ch as u32));
        }
        buffer = block.into_buffer();
    }

    let available = channels.first().map_or(0, Vec::len);
    let offset = usize::try_from(offset_steps)
        .unwrap_or(usize::MAX)
        .min(available);
    let frames_available = (available - offset) / samples_per_frame;
    let n_frames = match n_frames {
        Some(n) if n > frames_available => {
            return Err(bad(format!(
                "FLAC stream holds {frames_available} frames, the header needs {n}"
            )));
        }
        Some(n) => n,
        None => frames_available,
    };

    let mut flat = Vec::with_capacity(n_frames * samples_per_frame * n_signals);
    for frame in 0..n_frames {
        let start = offset + frame * samples_per_frame;
        for samples in &channels {
            flat.extend_from_slice(&samples[start..start + samples_per_frame]);
        }
    }
    Ok(flat)
}
