//! The advisory file parser and validator (users may add their own advisories).
#![no_main]

use libfuzzer_sys::fuzz_target;
use tunelint::kb::Advisory;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(advisory) = Advisory::parse(text) {
        // Patterns that passed validation compile.
        for s in &advisory.symptoms {
            let _ = s.pattern.regex();
        }
    }
});
