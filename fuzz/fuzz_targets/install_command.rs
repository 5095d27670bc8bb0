//! Shell-line masking and the install-command parser on arbitrary cell text.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tunelint::install::parse_shell_line;
use tunelint::source::mask_cell;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let masked = mask_cell(text);
    assert_eq!(masked.python.len(), text.len());
    for line in &masked.shell_lines {
        for cmd in parse_shell_line(text, line) {
            for req in &cmd.requirements {
                // Every requirement's range is inside the text and on char boundaries.
                let _ = &text[req.range.start..req.range.end];
            }
        }
    }
});
