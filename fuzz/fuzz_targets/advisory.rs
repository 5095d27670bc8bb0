//! The advisory file parser and validator (users may add their own advisories).
#![no_main]

use libfuzzer_sys::fuzz_target;
use tunelint::kb::Advisory;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(advisory) = Advisory::parse(text) {
        // Patterns that passed validation compile, in their ASCII form (for ASCII text) and
        // their Unicode form (for the rest), and match without panicking.
        for s in &advisory.symptoms {
            let _ = s.pattern.named_groups("Unsloth 2024.7 patched 0 layers");
            let _ = s.pattern.named_groups("Unsloth 🦥 é");
        }
    }
});
