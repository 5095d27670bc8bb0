//! The saved-output and log-line readers: banners, patch lines, pip and uv lines.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tunelint::outputs::{error_signal, read_signals, repository_package};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let _ = read_signals(text);
    let _ = error_signal(text);
    let _ = repository_package(text);
});
