//! Helpers shared by the integration tests.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The repository root.
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("server/ has a parent")
        .to_path_buf()
}

/// The built `tunelint` binary, run from the repository root with a clean environment.
pub fn tunelint() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_tunelint"));
    cmd.current_dir(repo());
    cmd.env_remove("VIRTUAL_ENV")
        .env_remove("CONDA_PREFIX")
        .env("NO_COLOR", "1");
    // No python3 on PATH may leak into the results: discovery must come from the fixtures.
    cmd.env("PATH", "/nonexistent");
    cmd
}

pub struct Output {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

pub fn run(cmd: &mut Command) -> Output {
    let out = cmd.output().expect("tunelint runs");
    Output {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Copies a directory tree (for tests that let `--fix` write).
pub fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// The shared corpus beside the checkout, if it is there.
pub fn corpus() -> Option<PathBuf> {
    let dir = repo().join("../shared/corpus");
    dir.join("notebooks").is_dir().then_some(dir)
}

/// One LSP message framed with its `Content-Length` header.
pub fn lsp_frame(body: &str) -> Vec<u8> {
    format!("Content-Length: {}\r\n\r\n{}", body.len(), body).into_bytes()
}

/// Reads one framed LSP message; `None` at the end of the stream.
pub fn read_lsp_message(r: &mut impl std::io::BufRead) -> Option<serde_json::Value> {
    let mut len = 0;
    loop {
        let mut line = String::new();
        if r.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some(n) = line.strip_prefix("Content-Length: ") {
            len = n.parse().ok()?;
        }
    }
    let mut buf = vec![0; len];
    std::io::Read::read_exact(r, &mut buf).ok()?;
    serde_json::from_slice(&buf).ok()
}

/// Whether Python's `jsonschema` can be imported, for the tests that validate against a JSON
/// Schema. CI must have it (`.ci/run` installs it); elsewhere those tests skip with a message.
pub fn has_python_jsonschema() -> bool {
    let present = Command::new("python3")
        .args(["-c", "import jsonschema, tomllib"])
        .status()
        .is_ok_and(|s| s.success());
    if !present {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must have the jsonschema package (installed by .ci/run)"
        );
        eprintln!("skipping schema validation: the Python package jsonschema is not installed");
    }
    present
}
