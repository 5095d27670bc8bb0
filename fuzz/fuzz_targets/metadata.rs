//! METADATA / PKG-INFO headers, PEP 610 direct_url.json and environment snapshots.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tunelint::environment::{parse_direct_url, parse_env_file, parse_metadata_headers};

fuzz_target!(|data: &[u8]| {
    let _ = parse_metadata_headers(data);
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = parse_direct_url(text);
        let _ = parse_env_file(text, "fuzz");
    }
});
