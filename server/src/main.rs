//! The `tunelint` binary: see [`tunelint::cli`].

fn main() -> std::process::ExitCode {
    tunelint::cli::run()
}
