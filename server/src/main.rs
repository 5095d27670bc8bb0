//! The `tunelint` binary: see [`tunelint::cli`].

/// mimalloc instead of the system allocator: a check allocates many small facts and strings
/// on two threads, where glibc's malloc spends a tenth of the run.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

// mimalloc's option setter, from the mimalloc library `mimalloc` links in (its Rust binding
// exposes options only behind a feature that pulls in another crate).
extern "C" {
    fn mi_option_set(option: std::ffi::c_int, value: std::ffi::c_long);
}

/// `mi_option_purge_delay` in mimalloc 2's `mi_option_t` (mimalloc.h): how long freed pages
/// stay committed before they are returned to the OS.
const MI_OPTION_PURGE_DELAY: std::ffi::c_int = 15;

fn main() -> std::process::ExitCode {
    // The language server lives for hours and frees whole documents' worth of memory when a
    // notebook is closed or re-analysed; by default mimalloc returns freed pages 10 ms later,
    // and only when it next allocates, so an idle server keeps them (about 12 MB with every
    // corpus notebook open). Returning them at once costs no measurable latency per edit. A
    // one-shot check exits instead, and keeps the default.
    if std::env::args_os().nth(1).is_some_and(|a| a == "server") {
        // SAFETY: called before any other thread exists; the option index is mimalloc 2's.
        unsafe { mi_option_set(MI_OPTION_PURGE_DELAY, 0) };
    }
    // pep508_rs 0.9.2 can panic on some malformed requirements; tunelint catches those panics
    // and reports the requirement instead, so their messages are kept off the terminal.
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if info
            .location()
            .is_some_and(|l| l.file().contains("pep508_rs"))
        {
            return;
        }
        default_hook(info);
    }));
    tunelint::cli::run()
}
