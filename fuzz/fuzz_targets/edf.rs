//! Any bytes given as an EDF file parse or fail with an error; they never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(record) = precordial::wfdb::edf::parse(data, std::path::Path::new("fuzz.edf")) {
        let _ = record.signal_names();
        let _ = record.duration_s();
    }
});
