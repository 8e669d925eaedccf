//! Any text given as a header parses or fails with an error; it never panics.
#![no_main]

use libfuzzer_sys::fuzz_target;
use precordial::wfdb::Header;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(header) = Header::parse(&text, std::path::Path::new("fuzz.hea")) {
        let _ = header.comment_value("Dx");
        let _ = header.duration_s();
    }
});
