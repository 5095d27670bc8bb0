//! The `tunelint` binary: see [`tunelint::cli`].

/// mimalloc instead of the system allocator: a check allocates many small facts and strings
/// on two threads, where glibc's malloc spends a tenth of the run.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
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
