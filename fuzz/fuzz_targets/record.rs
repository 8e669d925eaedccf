//! A header plus a signal file, both arbitrary, read as a record: every format decoder, skew,
//! frames, offsets and FLAC see hostile input. Reading may fail; it must never panic.
//!
//! Input layout: 2 bytes (little-endian) giving the header length, the header text, then the
//! bytes of the signal file `r.dat`.
#![no_main]

use std::path::PathBuf;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use precordial::wfdb::{Header, Record};

fn dir() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("precordial-fuzz-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        dir
    })
}

fuzz_target!(|data: &[u8]| {
    if data.len() < 2 {
        return;
    }
    let header_len = u16::from_le_bytes([data[0], data[1]]) as usize;
    let rest = &data[2..];
    let (header_bytes, signal) = rest.split_at(header_len.min(rest.len()));
    let text = String::from_utf8_lossy(header_bytes);
    let Ok(header) = Header::parse(&text, &dir().join("r.hea")) else {
        return;
    };
    // Bound the work a header can ask for, as a fuzzer should, not as the reader must.
    if header.n_samples.unwrap_or(0) > 1 << 20
        || header.signals.iter().any(|s| s.samples_per_frame > 64 || s.skew > 1 << 16)
        || header.is_multi_segment()
        // Signal files are written into the scratch folder only: plain names, nothing else.
        || header.signals.iter().any(|s| {
            s.file_name.starts_with('.')
                || !s.file_name.chars().all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
        })
    {
        return;
    }
    for s in &header.signals {
        std::fs::write(dir().join(&s.file_name), signal).ok();
    }
    let _ = Record::from_header(header);
});
