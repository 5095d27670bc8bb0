//! requirements files, pyproject.toml and PEP 723 script headers.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tunelint::declared::{parse_pyproject, parse_requirements};
use tunelint::source::script_metadata_block;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let file = parse_requirements(text);
    for r in &file.requirements {
        let _ = &text[r.range.start..r.range.end];
    }
    let (file, _) = parse_pyproject(text);
    for r in &file.requirements {
        let _ = &text[r.range.start..r.range.end];
    }
    let _ = script_metadata_block(text);
});
