//! The server under a storm of 10,000 hostile or nonsensical messages over real stdio: it stays
//! up, answers what it can, refuses requests after shutdown, and exits 0 on `exit`.

use crate::support::{lsp_frame as frame, read_lsp_message as read_message, repo};
use serde_json::{json, Value};
use std::io::{BufReader, Write};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// A small deterministic generator, so a failure can be replayed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

#[test]
fn ten_thousand_bad_messages_then_a_clean_exit() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_tunelint"))
        .arg("server")
        .env("PATH", "/nonexistent")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let (tx, rx) = mpsc::channel::<Value>();
    // The reader drains stdout all the time, so the server never blocks on a full pipe.
    std::thread::spawn(move || {
        while let Some(m) = read_message(&mut stdout) {
            if tx.send(m).is_err() {
                break;
            }
        }
    });
    let mut send = |body: String| {
        stdin.write_all(&frame(&body)).unwrap();
    };
    let wait_for_id = |rx: &mpsc::Receiver<Value>, id: i64| -> Value {
        loop {
            let m = rx
                .recv_timeout(Duration::from_secs(120))
                .expect("the server answers");
            if m["id"] == id && m.get("method").is_none() {
                return m;
            }
        }
    };
    send(
        json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"capabilities": {}}})
            .to_string(),
    );
    wait_for_id(&rx, 1);
    send(json!({"jsonrpc": "2.0", "method": "initialized", "params": {}}).to_string());

    let script = repo().join("tests/fixtures/envs/founding/train.py");
    let script_uri = tower_lsp_server::ls_types::Uri::from_file_path(&script)
        .unwrap()
        .as_str()
        .to_string();
    let nb_uri = format!("file://{}/storm.ipynb", repo().display());
    let mut rng = Rng(0x9e3779b97f4a7c15);
    let mut next_id = 100;
    for i in 0..10_000u64 {
        let pos = || json!({"line": 0, "character": 0});
        let far = json!({"line": 100_000, "character": 100_000});
        let body = match rng.below(14) {
            0 => json!({"jsonrpc": "2.0", "method": "textDocument/didChange", "params": {"textDocument": {"uri": format!("file:///nowhere/{i}.py"), "version": 1}, "contentChanges": [{"text": "import unsloth"}]}}).to_string(),
            1 => json!({"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {"textDocument": {"uri": script_uri, "languageId": "python", "version": i as i64, "text": "from unsloth import FastLanguageModel\n"}}}).to_string(),
            2 => json!({"jsonrpc": "2.0", "method": "textDocument/didChange", "params": {"textDocument": {"uri": script_uri, "version": (i as i64) - 5}, "contentChanges": [{"range": {"start": far, "end": pos()}, "text": "😀\n"}]}}).to_string(),
            3 => json!({"jsonrpc": "2.0", "method": "textDocument/didChange", "params": {"textDocument": {"uri": script_uri, "version": i as i64}, "contentChanges": [{"range": {"start": pos(), "end": far}, "text": "import peft\n名前 = 1\n"}]}}).to_string(),
            4 => "{\"jsonrpc\": \"2.0\", \"method\": \"textDocument/didChange\", \"params\": {".to_string(),
            5 => "this is not JSON at all".to_string(),
            6 => json!({"jsonrpc": "2.0", "method": "$/cancelRequest", "params": {"id": rng.below(200)}}).to_string(),
            7 => {
                next_id += 1;
                json!({"jsonrpc": "2.0", "id": next_id, "method": "textDocument/hover", "params": {"textDocument": {"uri": script_uri}, "position": far}}).to_string()
            }
            8 => {
                next_id += 1;
                json!({"jsonrpc": "2.0", "id": next_id, "method": "textDocument/codeAction", "params": {"textDocument": {"uri": format!("file:///nowhere/{i}.py")}, "range": {"start": pos(), "end": far}, "context": {"diagnostics": [{"range": {"start": pos(), "end": pos()}, "message": "x", "data": {"document": script_uri, "version": 3, "code": "UNS001", "start": 99999999, "end": 1, "fixes": []}}]}}}).to_string()
            }
            9 => json!({"jsonrpc": "2.0", "method": "notebookDocument/didChange", "params": {"notebookDocument": {"uri": nb_uri, "version": i as i64}, "change": {"cells": {"structure": {"array": {"start": rng.below(50), "deleteCount": rng.below(1000), "cells": [{"kind": 2, "document": format!("{nb_uri}#c{i}")}]}, "didOpen": [{"uri": format!("{nb_uri}#c{i}"), "languageId": "python", "version": 1, "text": "import unsloth\n!pip install peft\n"}]}}}}}).to_string(),
            10 => json!({"jsonrpc": "2.0", "method": "notebookDocument/didOpen", "params": {"notebookDocument": {"uri": nb_uri, "notebookType": "jupyter-notebook", "version": 1, "cells": [{"kind": 2, "document": format!("{nb_uri}#a")}, {"kind": 1, "document": format!("{nb_uri}#b")}]}, "cellTextDocuments": [{"uri": format!("{nb_uri}#a"), "languageId": "python", "version": 1, "text": "%%capture\n!pip install unsloth\n"}]}}).to_string(),
            11 => json!({"jsonrpc": "2.0", "method": "notebookDocument/didChange", "params": {"notebookDocument": {"uri": nb_uri, "version": i as i64}, "change": {"cells": {"textContent": [{"document": {"uri": format!("{nb_uri}#a"), "version": i as i64}, "changes": [{"range": {"start": far, "end": far}, "text": "x"}]}]}}}}).to_string(),
            12 => {
                next_id += 1;
                json!({"jsonrpc": "2.0", "id": next_id, "method": "tunelint/unknownRequest", "params": [1, 2, 3]}).to_string()
            }
            _ => json!({"jsonrpc": "2.0", "method": "workspace/didChangeWatchedFiles", "params": {"changes": [{"uri": script_uri, "type": 2}]}}).to_string(),
        };
        send(body);
    }
    // Still up: a real request gets a real answer.
    send(json!({"jsonrpc": "2.0", "id": 50_000, "method": "textDocument/hover", "params": {"textDocument": {"uri": script_uri}, "position": {"line": 0, "character": 0}}}).to_string());
    let hover = wait_for_id(&rx, 50_000);
    assert!(hover.get("result").is_some(), "{hover}");
    send(json!({"jsonrpc": "2.0", "id": 50_001, "method": "shutdown"}).to_string());
    assert_eq!(wait_for_id(&rx, 50_001)["result"], Value::Null);
    send(json!({"jsonrpc": "2.0", "id": 50_002, "method": "textDocument/hover", "params": {"textDocument": {"uri": script_uri}, "position": {"line": 0, "character": 0}}}).to_string());
    let refused = wait_for_id(&rx, 50_002);
    assert!(
        refused.get("error").is_some(),
        "requests after shutdown are refused: {refused}"
    );
    send(json!({"jsonrpc": "2.0", "method": "exit"}).to_string());
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the server did not exit"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(status.success(), "exit code {status:?}");
}
