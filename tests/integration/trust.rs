//! tunelint runs nothing it finds and opens no network socket: `check` and the server are
//! traced with strace (Debian's) on a workspace whose `.venv/bin/python` is a trap.

use crate::support::{copy_tree, repo};
use std::io::Write;
use std::path::Path;

fn strace() -> bool {
    let found = std::process::Command::new("strace")
        .arg("-V")
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must have strace (installed by .ci/run)"
        );
        eprintln!("skipping: strace is not installed");
    }
    found
}

/// A copy of the founding workspace; its `.venv/bin/python` writes a marker when run.
fn trap_workspace() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_tree(&repo().join("tests/fixtures/envs/founding"), dir.path());
    std::fs::create_dir(dir.path().join(".git")).unwrap();
    let trap = dir.path().join(".venv/bin/python");
    std::fs::write(
        &trap,
        format!(
            "#!/bin/sh\ntouch {}\nexit 99\n",
            dir.path().join("TRAP_RAN").display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&trap, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    // Also a python3 on PATH that is a trap, and a requirements file and notebook to read.
    std::fs::copy(&trap, dir.path().join(".venv/bin/python3")).unwrap();
    std::fs::write(dir.path().join("requirements.txt"), "peft>=0.11\n").unwrap();
    std::fs::copy(
        repo().join("examples/founding-case/gemma2-finetune.ipynb"),
        dir.path().join("nb.ipynb"),
    )
    .unwrap();
    dir
}

/// The traced calls other than tunelint's own start.
fn foreign_calls(log: &Path, binary: &str) -> Vec<String> {
    let text = std::fs::read_to_string(log).unwrap();
    text.lines()
        .filter(|l| l.contains("execve(") || l.contains("connect("))
        .filter(|l| !(l.contains("execve(") && l.contains(binary) && !l.contains("resumed")))
        .filter(|l| !l.contains("execve resumed"))
        .filter(|l| !l.contains("<unfinished"))
        .filter(|l| !l.contains("--- ") && !l.contains("+++ "))
        .map(str::to_string)
        .collect()
}

#[test]
fn check_executes_nothing_and_connects_nowhere() {
    if !strace() {
        return;
    }
    let ws = trap_workspace();
    let log = ws.path().join("strace.log");
    let binary = env!("CARGO_BIN_EXE_tunelint");
    let out = std::process::Command::new("strace")
        .args(["-f", "-e", "trace=execve,connect", "-o"])
        .arg(&log)
        .arg(binary)
        .args(["check", "--format", "concise"])
        .arg(ws.path())
        .env(
            "PATH",
            format!("{}:/usr/bin:/bin", ws.path().join(".venv/bin").display()),
        )
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "the founding case is found: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(
        !ws.path().join("TRAP_RAN").exists(),
        "tunelint ran the workspace's interpreter"
    );
    let calls = foreign_calls(&log, binary);
    assert!(calls.is_empty(), "unexpected calls:\n{}", calls.join("\n"));
}

#[test]
fn the_server_executes_nothing_and_connects_nowhere() {
    if !strace() {
        return;
    }
    let ws = trap_workspace();
    let log = ws.path().join("strace.log");
    let binary = env!("CARGO_BIN_EXE_tunelint");
    let mut child = std::process::Command::new("strace")
        .args(["-f", "-e", "trace=execve,connect", "-o"])
        .arg(&log)
        .arg(binary)
        .arg("server")
        .env(
            "PATH",
            format!("{}:/usr/bin:/bin", ws.path().join(".venv/bin").display()),
        )
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut send = |v: serde_json::Value| {
        let body = v.to_string();
        stdin
            .write_all(format!("Content-Length: {}\r\n\r\n{}", body.len(), body).as_bytes())
            .unwrap();
        stdin.flush().unwrap();
    };
    let folder = tower_lsp_server::ls_types::Uri::from_file_path(ws.path())
        .unwrap()
        .as_str()
        .to_string();
    let script = tower_lsp_server::ls_types::Uri::from_file_path(ws.path().join("train.py"))
        .unwrap()
        .as_str()
        .to_string();
    let mut read_frame = || -> String {
        crate::support::read_lsp_message(&mut stdout)
            .expect("the server answers")
            .to_string()
    };
    send(
        serde_json::json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"capabilities": {}, "workspaceFolders": [{"uri": folder, "name": "ws"}]}}),
    );
    // A client waits for the answer to `initialize` before anything else.
    read_frame();
    send(serde_json::json!({"jsonrpc": "2.0", "method": "initialized", "params": {}}));
    send(
        serde_json::json!({"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {"textDocument": {"uri": script, "languageId": "python", "version": 1, "text": "import unsloth\n"}}}),
    );
    // Wait for the diagnostics, then shut down.
    let mut seen = String::new();
    while !seen.contains("publishDiagnostics") {
        seen.push_str(&read_frame());
    }
    assert!(seen.contains("UNS001"), "{seen}");
    send(serde_json::json!({"jsonrpc": "2.0", "id": 2, "method": "shutdown"}));
    send(serde_json::json!({"jsonrpc": "2.0", "method": "exit"}));
    let status = child.wait().unwrap();
    assert!(status.success());
    assert!(
        !ws.path().join("TRAP_RAN").exists(),
        "the server ran the workspace's interpreter"
    );
    let calls = foreign_calls(&log, binary);
    assert!(calls.is_empty(), "unexpected calls:\n{}", calls.join("\n"));
}
