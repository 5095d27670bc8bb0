//! The `tunelint` binary: see [`tunelint::cli`].

/// mimalloc instead of the system allocator: a check allocates many small facts and strings
/// on two threads, where glibc's malloc spends a tenth of the run.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

// mimalloc's option functions, from the mimalloc library `mimalloc` links in (its Rust
// binding does not name the purge-delay option).
extern "C" {
    fn mi_option_set(option: std::ffi::c_int, value: std::ffi::c_long);
}

/// `mi_option_purge_delay` in the `mi_option_t` of mimalloc.h, for the mimalloc 3 that
/// libmimalloc-sys 0.1 builds by default (mimalloc 2 has it at the same index); a test checks
/// the index still reads that option's default.
const MI_OPTION_PURGE_DELAY: std::ffi::c_int = 15;

fn main() -> std::process::ExitCode {
    // The language server lives for hours and frees whole documents' worth of memory when a
    // notebook is closed or re-analysed; by default mimalloc keeps freed pages for a second and
    // returns them only when it next allocates, so an idle server keeps them (about 12 MB with
    // every corpus notebook open). Returning them at once costs no measurable latency per edit.
    // A one-shot check exits instead, and keeps the default. This overrides a
    // MIMALLOC_PURGE_DELAY from the environment, for the server only.
    if std::env::args_os().nth(1).is_some_and(|a| a == "server") {
        // SAFETY: called before any other thread exists, with an option index that the test
        // below ties to the linked mimalloc.
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

#[cfg(test)]
mod tests {
    extern "C" {
        fn mi_option_get(option: std::ffi::c_int) -> std::ffi::c_long;
    }

    /// The option index set for the server is mimalloc's purge delay: its default, 1000 ms in
    /// mimalloc 3, reads back through it (a shifted enum after an update would read another).
    #[test]
    fn the_purge_delay_index_names_the_purge_delay() {
        if std::env::var_os("MIMALLOC_PURGE_DELAY").is_some() {
            return;
        }
        // SAFETY: reads an option; no other code sets options in this test binary.
        assert_eq!(unsafe { mi_option_get(super::MI_OPTION_PURGE_DELAY) }, 1000);
    }
}
