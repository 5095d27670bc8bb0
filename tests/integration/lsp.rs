//! The language server in process (tokio duplex pipes) with a typed test client, and once as
//! a real stdio process.

use crate::support::repo;
use serde_json::{json, Value};
use std::time::Duration;
use tokio::io::{duplex, AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader, DuplexStream};
use tower_lsp_server::Server;

/// A minimal LSP client that answers the server's requests and keeps its notifications.
pub struct TestClient {
    w: DuplexStream,
    r: BufReader<DuplexStream>,
    next_id: i64,
    notifications: Vec<Value>,
    pub initialize_result: Value,
}

async fn write_message(w: &mut DuplexStream, v: &Value) {
    let body = v.to_string();
    w.write_all(format!("Content-Length: {}\r\n\r\n{}", body.len(), body).as_bytes())
        .await
        .unwrap();
}

async fn read_message(r: &mut BufReader<DuplexStream>) -> Value {
    let mut len = 0usize;
    loop {
        let mut line = String::new();
        r.read_line(&mut line).await.unwrap();
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some(n) = line.strip_prefix("Content-Length: ") {
            len = n.parse().unwrap();
        }
    }
    let mut buf = vec![0; len];
    r.read_exact(&mut buf).await.unwrap();
    serde_json::from_slice(&buf).unwrap()
}

pub fn file_uri(path: &std::path::Path) -> String {
    tower_lsp_server::ls_types::Uri::from_file_path(path)
        .unwrap()
        .as_str()
        .to_string()
}

impl TestClient {
    pub async fn start(capabilities: Value, options: Value) -> TestClient {
        let folder = file_uri(&repo());
        Self::start_in(
            capabilities,
            options,
            json!([{"uri": folder, "name": "repo"}]),
        )
        .await
    }

    /// Starts a server with these workspace folders (`[]`: a single file opened on its own).
    pub async fn start_in(capabilities: Value, options: Value, folders: Value) -> TestClient {
        let (service, socket) = tunelint::lsp::service();
        let (client_w, server_r) = duplex(1 << 22);
        let (server_w, client_r) = duplex(1 << 22);
        tokio::spawn(Server::new(server_r, server_w, socket).serve(service));
        let mut c = TestClient {
            w: client_w,
            r: BufReader::new(client_r),
            next_id: 1,
            notifications: vec![],
            initialize_result: Value::Null,
        };
        c.initialize_result = c
            .request("initialize", json!({"capabilities": capabilities, "initializationOptions": options, "workspaceFolders": folders}))
            .await;
        c.notify("initialized", json!({})).await;
        c
    }

    pub async fn notify(&mut self, method: &str, params: Value) {
        write_message(
            &mut self.w,
            &json!({"jsonrpc": "2.0", "method": method, "params": params}),
        )
        .await;
    }

    /// Sends a request and waits for its response, answering server requests on the way.
    pub async fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        write_message(
            &mut self.w,
            &json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}),
        )
        .await;
        loop {
            let msg = tokio::time::timeout(Duration::from_secs(20), self.next_message())
                .await
                .expect("response in time");
            if msg.get("id") == Some(&json!(id)) && msg.get("method").is_none() {
                return msg
                    .get("result")
                    .cloned()
                    .unwrap_or_else(|| json!({"error": msg["error"]}));
            }
        }
    }

    async fn next_message(&mut self) -> Value {
        loop {
            let msg = read_message(&mut self.r).await;
            if msg.get("method").is_some() && msg.get("id").is_some() {
                // A server request (registerCapability, configuration): answer it.
                let result = if msg["method"] == "workspace/configuration" {
                    json!([null])
                } else {
                    Value::Null
                };
                write_message(
                    &mut self.w,
                    &json!({"jsonrpc": "2.0", "id": msg["id"], "result": result}),
                )
                .await;
                continue;
            }
            if msg.get("method").is_some() {
                self.notifications.push(msg.clone());
            }
            return msg;
        }
    }

    /// Waits for the next publishDiagnostics for `uri` (or returns one already received).
    pub async fn diagnostics(&mut self, uri: &str) -> Vec<Value> {
        loop {
            if let Some(i) = self.notifications.iter().position(|n| {
                n["method"] == "textDocument/publishDiagnostics" && n["params"]["uri"] == uri
            }) {
                let n = self.notifications.remove(i);
                return n["params"]["diagnostics"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default();
            }
            tokio::time::timeout(Duration::from_secs(20), self.next_message())
                .await
                .unwrap_or_else(|_| panic!("no diagnostics for {uri}"));
        }
    }

    /// Opens a notebook as vscode-languageclient does: only the cells that match the server's
    /// notebook selector are sent, both in the notebook's cell list and as text documents
    /// (`getMatchingCells`/`filterCells` in its `notebook.ts`). Returns the notebook's URI and
    /// a URI for every cell of the file, sent or not.
    pub async fn open_notebook(&mut self, path: &std::path::Path) -> (String, Vec<String>) {
        let raw: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        let uri = file_uri(path);
        let selector = &self.initialize_result["capabilities"]["notebookDocumentSync"]
            ["notebookSelector"][0]["cells"];
        let synced = |language: &str| match selector.as_array() {
            None => true,
            Some(filters) => filters
                .iter()
                .any(|f| f["language"] == "*" || f["language"] == language),
        };
        let mut cells = Vec::new();
        let mut docs = Vec::new();
        let mut cell_uris = Vec::new();
        for (i, cell) in raw["cells"].as_array().unwrap().iter().enumerate() {
            let source: String = match &cell["source"] {
                Value::Array(a) => a.iter().map(|s| s.as_str().unwrap()).collect(),
                Value::String(s) => s.clone(),
                _ => String::new(),
            };
            let code = cell["cell_type"] == "code";
            let language = if code { "python" } else { "markdown" };
            let cell_uri = format!("vscode-notebook-cell:{}#C{i}", path.display());
            if synced(language) {
                cells.push(json!({"kind": if code { 2 } else { 1 }, "document": cell_uri}));
                docs.push(
                    json!({"uri": cell_uri, "languageId": language, "version": 1, "text": source}),
                );
            }
            cell_uris.push(cell_uri);
        }
        self.notify("notebookDocument/didOpen", json!({"notebookDocument": {"uri": uri, "notebookType": "jupyter-notebook", "version": 1, "cells": cells}, "cellTextDocuments": docs})).await;
        (uri, cell_uris)
    }

    pub async fn shutdown(mut self) {
        let r = self.request("shutdown", Value::Null).await;
        assert_eq!(r, Value::Null);
        self.notify("exit", Value::Null).await;
    }
}

fn vscode_like() -> Value {
    json!({"general": {"positionEncodings": ["utf-16"]}, "workspace": {"workspaceEdit": {"documentChanges": true}, "configuration": true, "didChangeWatchedFiles": {"dynamicRegistration": true}}})
}

/// Paths differ between machines; snapshots show them relative to the repository.
fn redact(v: &Value) -> Value {
    let text = v
        .to_string()
        .replace(&repo().display().to_string(), "[repo]");
    serde_json::from_str(&text).unwrap()
}

#[tokio::test]
async fn capabilities_and_encoding_negotiation() {
    let c = TestClient::start(vscode_like(), Value::Null).await;
    let caps = &c.initialize_result["capabilities"];
    assert_eq!(caps["positionEncoding"], "utf-16");
    assert_eq!(
        caps["notebookDocumentSync"]["notebookSelector"][0]["notebook"],
        "jupyter-notebook"
    );
    assert_eq!(caps["textDocumentSync"]["change"], 2);
    assert!(caps["codeActionProvider"]["codeActionKinds"]
        .as_array()
        .unwrap()
        .contains(&json!("source.fixAll.tunelint")));
    assert_eq!(
        caps["executeCommandProvider"]["commands"][0],
        "tunelint.reloadEnvironment"
    );
    c.shutdown().await;
    let c = TestClient::start(
        json!({"general": {"positionEncodings": ["utf-8", "utf-16"]}}),
        Value::Null,
    )
    .await;
    assert_eq!(
        c.initialize_result["capabilities"]["positionEncoding"],
        "utf-8"
    );
    c.shutdown().await;
}

#[tokio::test]
async fn a_script_in_the_founding_venv() {
    let mut c = TestClient::start(vscode_like(), Value::Null).await;
    let path = repo().join("tests/fixtures/envs/founding/train.py");
    let uri = file_uri(&path);
    let text = std::fs::read_to_string(&path).unwrap();
    c.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": uri, "languageId": "python", "version": 1, "text": text}}),
    )
    .await;
    let diags = c.diagnostics(&uri).await;
    assert_eq!(diags.len(), 2, "{diags:#?}");
    let mut shown = redact(&json!(diags));
    for d in shown.as_array_mut().unwrap() {
        d.as_object_mut().unwrap().remove("data");
    }
    insta::assert_json_snapshot!("lsp_script_diagnostics", shown);

    // Quick-fixes come from the diagnostic's data; the ignore comment is always there.
    let actions = c.request("textDocument/codeAction", json!({"textDocument": {"uri": uri}, "range": diags[0]["range"], "context": {"diagnostics": [diags[0]]}})).await;
    let titles: Vec<&str> = actions
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["title"].as_str().unwrap())
        .collect();
    assert!(titles.contains(&"Ignore UNS001 on this line"), "{titles:?}");
    let ignore = actions
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["title"] == "Ignore UNS001 on this line")
        .unwrap();
    let edit = &ignore["edit"]["documentChanges"][0];
    assert_eq!(edit["textDocument"]["version"], 1);
    assert_eq!(edit["edits"][0]["newText"], "  # tunelint: ignore[UNS001]");

    // An edit makes the old diagnostic stale: its fixes are no longer offered.
    c.notify("textDocument/didChange", json!({"textDocument": {"uri": uri, "version": 2}, "contentChanges": [{"range": {"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 0}}, "text": "# a comment\n"}]})).await;
    let again = c.diagnostics(&uri).await;
    assert_eq!(again.len(), 2);
    assert_eq!(
        again[0]["range"]["start"]["line"], 1,
        "diagnostics moved down with the text"
    );
    let stale = c.request("textDocument/codeAction", json!({"textDocument": {"uri": uri}, "range": diags[0]["range"], "context": {"diagnostics": [diags[0]]}})).await;
    assert_eq!(stale.as_array().unwrap().len(), 0, "{stale:#}");

    // Hover on the import shows the version, its source, and the advisory.
    let hover = c
        .request(
            "textDocument/hover",
            json!({"textDocument": {"uri": uri}, "position": {"line": 1, "character": 8}}),
        )
        .await;
    let md = hover["contents"]["value"].as_str().unwrap();
    assert!(md.contains("**unsloth** 2024.7"), "{md}");
    assert!(md.contains("UNS001"), "{md}");
    c.shutdown().await;
}

#[tokio::test]
async fn the_founding_notebook_publishes_on_every_cell() {
    let mut c = TestClient::start(vscode_like(), json!({"insertCellCommand": true})).await;
    let path = repo().join("examples/founding-case/gemma2-finetune.ipynb");
    let (_, cells) = c.open_notebook(&path).await;
    // Code cells are 1, 2, 4, 6 (0-based); each gets a publish, empty ones included.
    let mut published = Vec::new();
    for i in [1, 2, 4, 6] {
        published.push(c.diagnostics(&cells[i]).await);
    }
    assert!(
        published[1].is_empty() && published[3].is_empty(),
        "{published:#?}"
    );
    let install_cell_codes: Vec<&Value> = published[0].iter().map(|d| &d["code"]).collect();
    assert!(
        install_cell_codes.iter().all(|c| **c == "PIN001"),
        "the install cell only has PIN001 notes: {install_cell_codes:?}"
    );
    let diag = &published[2][0];
    assert_eq!(diag["code"], "UNS001");
    assert_eq!(diag["severity"], 2);
    assert_eq!(diag["range"]["start"], json!({"line": 0, "character": 8}));

    let actions = c.request("textDocument/codeAction", json!({"textDocument": {"uri": cells[4]}, "range": diag["range"], "context": {"diagnostics": [diag]}})).await;
    let mut shown = redact(&actions);
    for a in shown.as_array_mut().unwrap() {
        a.as_object_mut().unwrap().remove("diagnostics");
    }
    insta::assert_json_snapshot!("lsp_notebook_actions", shown);
    let list = actions.as_array().unwrap();
    let pin = list
        .iter()
        .find(|a| a["title"] == "Pin peft to <0.12 in cell 2")
        .expect("the pin");
    let change = &pin["edit"]["documentChanges"][0];
    assert_eq!(
        change["textDocument"]["uri"], cells[1],
        "the pin edits the install cell"
    );
    assert_eq!(change["edits"][0]["newText"], "\"peft<0.12\"");
    let insert = list
        .iter()
        .find(|a| a["command"]["command"] == "tunelint.insertCell")
        .expect("the reinstall cell command");
    assert_eq!(insert["command"]["arguments"][0]["index"], 2);
    c.shutdown().await;
}

#[tokio::test]
async fn an_edit_resends_only_cells_whose_diagnostics_changed_and_older_ones_keep_their_fixes() {
    let mut c = TestClient::start(vscode_like(), json!({"insertCellCommand": true})).await;
    let path = repo().join("examples/founding-case/gemma2-finetune.ipynb");
    let (uri, cells) = c.open_notebook(&path).await;
    for i in [1, 2, 6] {
        c.diagnostics(&cells[i]).await;
    }
    let held = c.diagnostics(&cells[4]).await;
    assert_eq!(held[0]["code"], "UNS001");
    // Lines added to cell 3 move every later cell in the notebook's text, but what cell 5
    // shows does not change, so only the edited cell is sent again.
    c.notify(
        "notebookDocument/didChange",
        json!({"notebookDocument": {"uri": uri, "version": 2}, "change": {"cells": {"textContent": [{"document": {"uri": cells[2], "version": 2}, "changes": [{"range": {"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 0}}, "text": "# a note\n# another\n"}]}]}}}),
    )
    .await;
    c.diagnostics(&cells[2]).await;
    let actions = c.request("textDocument/codeAction", json!({"textDocument": {"uri": cells[4]}, "range": held[0]["range"], "context": {"diagnostics": [held[0]]}})).await;
    let resent: Vec<&Value> = c
        .notifications
        .iter()
        .filter(|n| n["method"] == "textDocument/publishDiagnostics")
        .map(|n| &n["params"]["uri"])
        .collect();
    assert!(resent.is_empty(), "sent again: {resent:?}");
    // The diagnostic the client holds names the notebook's first version; its fixes are
    // those of the current one, placed in the current text.
    assert_eq!(held[0]["data"]["version"], 1);
    let list = actions.as_array().unwrap();
    let pin = list
        .iter()
        .find(|a| a["title"] == "Pin peft to <0.12 in cell 2")
        .expect("the pin");
    let change = &pin["edit"]["documentChanges"][0];
    assert_eq!(change["textDocument"]["uri"], cells[1]);
    assert_eq!(change["edits"][0]["newText"], "\"peft<0.12\"");
    let ignore = list
        .iter()
        .find(|a| a["title"] == "Ignore UNS001 on this line")
        .expect("the ignore action");
    let ignore_edit = &ignore["edit"]["documentChanges"][0];
    assert_eq!(ignore_edit["textDocument"]["uri"], cells[4]);
    assert_eq!(
        ignore_edit["edits"][0]["range"]["start"]["line"],
        held[0]["range"]["start"]["line"]
    );
    // A diagnostic this version does not have gets no action.
    let mut gone = held[0].clone();
    gone["message"] = json!("a finding of another version");
    let none = c.request("textDocument/codeAction", json!({"textDocument": {"uri": cells[4]}, "range": gone["range"], "context": {"diagnostics": [gone]}})).await;
    assert_eq!(none, json!([]));
    c.shutdown().await;
}

#[tokio::test]
async fn clients_without_the_insert_command_get_a_text_edit() {
    let mut c = TestClient::start(vscode_like(), Value::Null).await;
    let path = repo().join("examples/founding-case/gemma2-finetune.ipynb");
    let (_, cells) = c.open_notebook(&path).await;
    let diags = c.diagnostics(&cells[4]).await;
    let actions = c.request("textDocument/codeAction", json!({"textDocument": {"uri": cells[4]}, "range": diags[0]["range"], "context": {"diagnostics": [diags[0]]}})).await;
    let fallback = actions
        .as_array()
        .unwrap()
        .iter()
        .find(|a| {
            a["title"]
                .as_str()
                .unwrap()
                .contains("top of the install cell")
        })
        .expect("fallback edit");
    let change = &fallback["edit"]["documentChanges"][0];
    assert_eq!(change["textDocument"]["uri"], cells[1]);
    assert_eq!(
        change["edits"][0]["range"]["start"],
        json!({"line": 1, "character": 0}),
        "below %%capture"
    );
    assert!(change["edits"][0]["newText"]
        .as_str()
        .unwrap()
        .starts_with("!pip uninstall unsloth -y\n"));
    c.shutdown().await;
}

#[tokio::test]
async fn an_import_in_one_cell_counts_in_another_and_edits_republish() {
    let mut c = TestClient::start(vscode_like(), Value::Null).await;
    let nb = repo().join("tests/fixtures/envs/founding/scratch.ipynb");
    let uri = file_uri(&nb);
    let cell = |i: usize| format!("vscode-notebook-cell:{}#C{i}", nb.display());
    c.notify(
        "notebookDocument/didOpen",
        json!({
            "notebookDocument": {"uri": uri, "notebookType": "jupyter-notebook", "version": 1, "cells": [{"kind": 2, "document": cell(0)}, {"kind": 2, "document": cell(1)}]},
            "cellTextDocuments": [
                {"uri": cell(0), "languageId": "python", "version": 1, "text": "from unsloth import FastLanguageModel as FLM\n"},
                {"uri": cell(1), "languageId": "python", "version": 1, "text": "x = 1\n"}
            ]
        }),
    )
    .await;
    assert_eq!(c.diagnostics(&cell(0)).await.len(), 1);
    assert!(c.diagnostics(&cell(1)).await.is_empty());
    // Typing a call through the alias in cell 2 is flagged there.
    c.notify(
        "notebookDocument/didChange",
        json!({"notebookDocument": {"uri": uri, "version": 2}, "change": {"cells": {"textContent": [{"document": {"uri": cell(1), "version": 2}, "changes": [{"range": {"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 5}}, "text": "m = FLM.get_peft_model(None)"}]}]}}}),
    )
    .await;
    // Cell 1 shows the same diagnostic as before, so it is not sent again.
    let second = c.diagnostics(&cell(1)).await;
    assert_eq!(second.len(), 1, "{second:#?}");
    assert_eq!(
        second[0]["range"]["start"],
        json!({"line": 0, "character": 4})
    );
    // Removing the import cell clears its diagnostics and the call's.
    c.notify(
        "notebookDocument/didChange",
        json!({"notebookDocument": {"uri": uri, "version": 3}, "change": {"cells": {"structure": {"array": {"start": 0, "deleteCount": 1}, "didClose": [{"uri": cell(0)}]}}}}),
    )
    .await;
    assert!(c.diagnostics(&cell(0)).await.is_empty());
    assert!(c.diagnostics(&cell(1)).await.is_empty());
    c.shutdown().await;
}

#[tokio::test]
async fn the_environment_request_describes_the_workspace_environment() {
    let mut c = TestClient::start(vscode_like(), Value::Null).await;
    let uri = file_uri(&repo().join("tests/fixtures/envs/founding/train.py"));
    let env = c.request("tunelint/environment", json!({"uri": uri})).await;
    assert_eq!(env["name"], ".venv", "{env:#}");
    assert_eq!(env["python"], "3.11.7");
    let peft = env["packages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["package"] == "peft")
        .unwrap();
    assert_eq!(peft["version"], "0.12.0");
    assert_eq!(peft["advisories"], json!(["UNS001"]));
    // The fields are the ones protocol.rs declares (and protocol.ts types) for the extension.
    let keys = |v: &Value| -> Vec<String> {
        let mut k: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
        k.sort();
        k
    };
    let declared = |fields: &[(&str, &str)]| -> Vec<String> {
        let mut k: Vec<String> = fields.iter().map(|(f, _)| f.to_string()).collect();
        k.sort();
        k
    };
    assert_eq!(
        keys(&env),
        declared(tunelint::lsp::protocol::ENVIRONMENT_FIELDS)
    );
    assert_eq!(
        keys(peft),
        declared(tunelint::lsp::protocol::ENVIRONMENT_PACKAGE_FIELDS)
    );
    c.shutdown().await;
}

#[tokio::test]
async fn a_notebook_sent_as_one_python_document_is_checked_as_a_script() {
    // jupyterlab-lsp sends the notebook as one virtual Python document named like the notebook,
    // with its cell magics turned into comments and `!pip` lines kept.
    let mut c = TestClient::start(vscode_like(), Value::Null).await;
    let uri = file_uri(&repo().join("tests/fixtures/envs/founding/.virtual_documents/nb.ipynb"));
    let text = "# START_CELL_MAGIC(\"capture\", \"\")\n!pip install --no-deps peft trl\n# END_CELL_MAGIC\n\n\n\n\n\nfrom unsloth import FastLanguageModel\n";
    c.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": uri, "languageId": "python", "version": 0, "text": text}}),
    )
    .await;
    let diags = c.diagnostics(&uri).await;
    let at: Vec<(String, u64)> = diags
        .iter()
        .map(|d| {
            (
                d["code"].as_str().unwrap().to_string(),
                d["range"]["start"]["line"].as_u64().unwrap(),
            )
        })
        .collect();
    assert!(
        at.contains(&("UNS001".into(), 1)),
        "the unpinned peft in the install line: {at:?}"
    );
    assert!(at.contains(&("UNS001".into(), 8)), "the import: {at:?}");
    c.shutdown().await;
}

#[tokio::test]
async fn reload_command_and_unknown_commands() {
    let mut c = TestClient::start(vscode_like(), Value::Null).await;
    let ok = c
        .request(
            "workspace/executeCommand",
            json!({"command": "tunelint.reloadEnvironment", "arguments": []}),
        )
        .await;
    assert_eq!(ok, Value::Null);
    let err = c
        .request(
            "workspace/executeCommand",
            json!({"command": "nope", "arguments": []}),
        )
        .await;
    assert!(err.get("error").is_some(), "{err}");
    c.shutdown().await;
}

#[test]
fn a_real_stdio_process_starts_and_exits_cleanly() {
    use std::io::{BufRead, Read, Write};
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_tunelint"))
        .arg("server")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut send = |v: Value| {
        let body = v.to_string();
        stdin
            .write_all(format!("Content-Length: {}\r\n\r\n{}", body.len(), body).as_bytes())
            .unwrap();
        stdin.flush().unwrap();
    };
    let mut receive = || -> Value {
        let mut len = 0;
        loop {
            let mut line = String::new();
            stdout.read_line(&mut line).unwrap();
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            if let Some(n) = line.strip_prefix("Content-Length: ") {
                len = n.parse().unwrap();
            }
        }
        let mut buf = vec![0; len];
        stdout.read_exact(&mut buf).unwrap();
        serde_json::from_slice(&buf).unwrap()
    };
    send(
        json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"capabilities": {}}}),
    );
    let init = receive();
    assert_eq!(init["result"]["serverInfo"]["name"], "tunelint", "{init}");
    send(json!({"jsonrpc": "2.0", "method": "initialized", "params": {}}));
    send(json!({"jsonrpc": "2.0", "id": 2, "method": "shutdown"}));
    let down = receive();
    assert_eq!(down["id"], 2, "{down}");
    send(json!({"jsonrpc": "2.0", "method": "exit"}));
    let status = child.wait().unwrap();
    assert!(status.success(), "exit status {status:?}");
}

/// A notebook shaped like the real Unsloth ones: markdown cells before the install cell, between
/// it and the import, and between the import and `get_peft_model`. vscode-languageclient sends
/// the server only the cells its selector matches, so every cell number and the index of the
/// inserted cell are checked against the file's own cell list, and against the CLI.
#[tokio::test]
async fn cell_numbers_and_the_insert_index_count_markdown_cells() {
    let path =
        repo().join("tests/fixtures/notebooks/markdown-between-install-import-and-peft.ipynb");
    let raw: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let kinds: Vec<&str> = raw["cells"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["cell_type"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "markdown", "markdown", "code", "markdown", "code", "markdown", "code", "markdown",
            "code", "markdown", "code"
        ]
    );

    let mut c = TestClient::start(vscode_like(), json!({"insertCellCommand": true})).await;
    let (_, cells) = c.open_notebook(&path).await;
    let peft = c.diagnostics(&cells[6]).await;
    let uns = peft
        .iter()
        .find(|d| d["code"] == "UNS001")
        .expect("UNS001 on the get_peft_model cell (index 6)");
    let late = c.diagnostics(&cells[8]).await;
    let nb001 = late
        .iter()
        .find(|d| d["code"] == "NB001")
        .expect("NB001 on the late install cell (index 8)");
    assert!(
        nb001["message"]
            .as_str()
            .unwrap()
            .contains("after `torch` in cell 5 imported it"),
        "the import is in cell 5 of the file: {}",
        nb001["message"]
    );

    let actions = c.request("textDocument/codeAction", json!({"textDocument": {"uri": cells[6]}, "range": uns["range"], "context": {"diagnostics": [uns]}})).await;
    let insert = actions
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["command"]["command"] == "tunelint.insertCell")
        .expect("the reinstall cell command");
    let index = insert["command"]["arguments"][0]["index"].as_u64().unwrap() as usize;
    assert_eq!(
        index, 4,
        "right before the import cell, after the install cell and its markdown"
    );
    assert_eq!(
        insert["title"],
        "Reinstall Unsloth from git: insert a cell before cell 5 (`from unsloth import FastLanguageModel`)"
    );

    // The CLI names the same cells for the same findings.
    let out = crate::support::run(
        crate::support::tunelint()
            .args(["check", "--format", "json"])
            .arg(&path),
    );
    let report: Value = serde_json::from_str(&out.stdout).unwrap();
    let findings = report["findings"].as_array().unwrap();
    for (diag, cell) in [(uns, 6), (nb001, 8)] {
        let cli = findings
            .iter()
            .find(|f| f["code"] == diag["code"])
            .unwrap_or_else(|| panic!("the CLI reports {}", diag["code"]));
        assert_eq!(cli["cell"], json!(cell + 1), "{cli}");
        assert!(
            diag["message"]
                .as_str()
                .unwrap()
                .starts_with(cli["message"].as_str().unwrap()),
            "{} vs {}",
            diag["message"],
            cli["message"]
        );
        let insert_fix = cli["fixes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["action"]["kind"] == "insert-cell");
        if let Some(fix) = insert_fix {
            assert_eq!(fix["action"]["before_cell"], json!(index + 1));
            assert_eq!(fix["title"], insert["title"]);
        }
    }
    c.shutdown().await;
}

#[tokio::test]
async fn without_a_workspace_folder_the_open_file_s_environment_is_checked() {
    // A single file opened on its own: no folder to start from, so the environment of the
    // open document is the one whose problems are published, once.
    let freeze =
        repo().join("tests/fixtures/environments/snapshot-with-a-known-bad-pair/freeze.txt");
    let mut c = TestClient::start_in(
        vscode_like(),
        json!({"envFile": freeze.display().to_string()}),
        json!(null),
    )
    .await;
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("train.py");
    std::fs::write(&script, "import json\n").unwrap();
    c.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": file_uri(&script), "languageId": "python", "version": 1, "text": "import json\n"}}),
    )
    .await;
    let diagnostics = c.diagnostics(&file_uri(&freeze)).await;
    let xf = diagnostics.iter().filter(|d| d["code"] == "XF001").count();
    assert_eq!(xf, 1, "{diagnostics:#?}");
    c.shutdown().await;
}

#[tokio::test]
async fn the_environment_itself_is_checked_on_its_own_file() {
    // No open document imports torch or xformers: the pair is still a problem of the
    // environment, published once on the snapshot's line.
    let freeze =
        repo().join("tests/fixtures/environments/snapshot-with-a-known-bad-pair/freeze.txt");
    let mut c = TestClient::start(
        vscode_like(),
        json!({"envFile": freeze.display().to_string()}),
    )
    .await;
    let diagnostics = c.diagnostics(&file_uri(&freeze)).await;
    let xf: Vec<&Value> = diagnostics
        .iter()
        .filter(|d| d["code"] == "XF001")
        .collect();
    assert_eq!(xf.len(), 1, "{diagnostics:#?}");
    // A warning: without Unsloth, only code that calls xformers' attention fails.
    assert_eq!(xf[0]["severity"], 2);
    assert!(
        xf[0]["message"]
            .as_str()
            .unwrap()
            .contains("xformers 0.0.28.post2 (installed"),
        "{}",
        xf[0]["message"]
    );
    c.shutdown().await;
}

#[tokio::test]
async fn advice_is_a_hint_with_its_page_and_selected_advice_is_information() {
    // Unsloth (imported first) renames trl's old `tokenizer=` for the code: it works, so the
    // finding is advice about a deprecated argument, not a problem to squiggle.
    let dir = tempfile::tempdir().unwrap();
    let freeze = dir.path().join("freeze.txt");
    std::fs::write(&freeze, "unsloth==2025.3.19\ntrl==0.15.2\npeft==0.14.0\n").unwrap();
    let script = dir.path().join("train.py");
    let text = "from unsloth import FastLanguageModel\nfrom trl import SFTTrainer\n\ntrainer = SFTTrainer(model=model, tokenizer=tokenizer, train_dataset=ds)\nimport os  # tunelint: ignore\n";
    std::fs::write(&script, text).unwrap();
    let open = json!({"textDocument": {"uri": file_uri(&script), "languageId": "python", "version": 1, "text": text}});
    let options = json!({"envFile": freeze.display().to_string(), "ruleDocuments": true});
    let folders = json!([{"uri": file_uri(dir.path()), "name": "t"}]);

    let mut c = TestClient::start_in(vscode_like(), options.clone(), folders.clone()).await;
    c.notify("textDocument/didOpen", open.clone()).await;
    let diagnostics = c.diagnostics(&file_uri(&script)).await;
    let trl: Vec<&Value> = diagnostics
        .iter()
        .filter(|d| d["code"] == "TRL001")
        .collect();
    assert_eq!(trl.len(), 1, "{diagnostics:#?}");
    let hint = trl[0];
    assert_eq!(hint["severity"], 4, "advice is a hint: {hint:#}");
    assert_eq!(
        hint["tags"],
        json!([2]),
        "a deprecated argument is struck through"
    );
    assert_eq!(hint["range"]["start"]["line"], 3);
    // A suppression that suppresses nothing is faded, not squiggled.
    let unused = diagnostics
        .iter()
        .find(|d| d["code"] == "TL007")
        .unwrap_or_else(|| panic!("{diagnostics:#?}"));
    assert_eq!(unused["severity"], 4);
    assert_eq!(unused["tags"], json!([1]), "Unnecessary: {unused:#}");
    // The other half of the finding: the env file's line that gave trl's version.
    let related = hint["relatedInformation"].as_array().expect("related");
    let trl_line = related
        .iter()
        .find(|r| r["message"] == "trl 0.15.2 comes from here")
        .unwrap_or_else(|| panic!("{related:#?}"));
    assert_eq!(trl_line["location"]["uri"], json!(file_uri(&freeze)));
    assert_eq!(trl_line["location"]["range"]["start"]["line"], 1);
    let href = hint["codeDescription"]["href"].as_str().unwrap();
    assert_eq!(href, "tunelint-rule:TRL001.md");
    let page = c.request("tunelint/rule", json!({"uri": href})).await;
    let page = page["text"].as_str().unwrap();
    assert!(page.starts_with("TRL001: "), "{page}");
    assert!(page.contains("Severity: error (the run fails)"), "{page}");
    // The quick-fix menu still offers the hint's fixes.
    let actions = c.request("textDocument/codeAction", json!({"textDocument": {"uri": file_uri(&script)}, "range": hint["range"], "context": {"diagnostics": [hint]}})).await;
    let titles: Vec<&str> = actions
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|a| a["title"].as_str())
        .collect();
    assert!(
        titles.iter().any(|t| t.contains("processing_class")),
        "{titles:?}"
    );
    c.shutdown().await;

    // Selected, the same advice is information, squiggled.
    std::fs::write(
        dir.path().join("pyproject.toml"),
        "[tool.tunelint]\nextend-select = [\"TRL001\"]\n",
    )
    .unwrap();
    let mut c = TestClient::start_in(vscode_like(), options, folders).await;
    c.notify("textDocument/didOpen", open).await;
    let diagnostics = c.diagnostics(&file_uri(&script)).await;
    let selected = diagnostics.iter().find(|d| d["code"] == "TRL001").unwrap();
    assert_eq!(selected["severity"], 3, "{selected:#}");
    c.shutdown().await;
}

/// A project whose requirements declare trl 0.16 and whose script passes `tokenizer=` to
/// SFTTrainer (TRL001, with a safe fix), in a fresh directory.
fn trl016_project(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("tunelint-lsp-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("requirements.txt"), "trl==0.16.0\n").unwrap();
    std::fs::write(
        dir.join("train.py"),
        "from trl import SFTTrainer  # tunelint: ignore[UNS003]\ntrainer = SFTTrainer(model = model, tokenizer = tokenizer)\n",
    )
    .unwrap();
    dir
}

#[tokio::test]
async fn fix_all_applies_what_check_fix_applies() {
    let dir = trl016_project("fixall");
    let folders = json!([{"uri": file_uri(&dir), "name": "p"}]);
    let mut c = TestClient::start_in(vscode_like(), Value::Null, folders).await;
    let path = dir.join("train.py");
    let uri = file_uri(&path);
    let text = std::fs::read_to_string(&path).unwrap();
    c.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": uri, "languageId": "python", "version": 1, "text": text}}),
    )
    .await;
    let diags = c.diagnostics(&uri).await;
    assert!(diags.iter().any(|d| d["code"] == "TRL001"), "{diags:#?}");
    let actions = c.request("textDocument/codeAction", json!({"textDocument": {"uri": uri}, "range": {"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 0}}, "context": {"diagnostics": [], "only": ["source.fixAll"]}})).await;
    let fix_all = &actions[0];
    assert_eq!(fix_all["kind"], "source.fixAll.tunelint", "{actions:#}");
    let change = &fix_all["edit"]["documentChanges"][0];
    assert_eq!(change["textDocument"]["version"], 1);
    // Apply the editor's edits, then compare with what `check --fix` writes.
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    let mut edits: Vec<&Value> = change["edits"].as_array().unwrap().iter().collect();
    edits.sort_by_key(|e| {
        std::cmp::Reverse((
            e["range"]["start"]["line"].as_u64(),
            e["range"]["start"]["character"].as_u64(),
        ))
    });
    for e in edits {
        let (start, end) = (&e["range"]["start"], &e["range"]["end"]);
        assert_eq!(start["line"], end["line"], "single-line edits");
        let line = &mut lines[start["line"].as_u64().unwrap() as usize];
        let (a, b) = (
            start["character"].as_u64().unwrap() as usize,
            end["character"].as_u64().unwrap() as usize,
        );
        line.replace_range(a..b, e["newText"].as_str().unwrap());
    }
    let from_editor = lines.join("\n") + "\n";
    c.shutdown().await;
    crate::support::run(
        crate::support::tunelint()
            .current_dir(&dir)
            .args(["check", "--fix", "train.py"]),
    );
    let from_cli = std::fs::read_to_string(&path).unwrap();
    assert!(
        from_cli.contains("processing_class = tokenizer"),
        "{from_cli}"
    );
    assert_eq!(from_editor, from_cli);
    std::fs::remove_dir_all(&dir).ok();
}

#[tokio::test]
async fn a_pulling_client_gets_reports_hints_and_links_and_no_pushes() {
    let dir = trl016_project("pull");
    let folders = json!([{"uri": file_uri(&dir), "name": "p"}]);
    let capabilities = json!({"general": {"positionEncodings": ["utf-16"]}, "textDocument": {"diagnostic": {"dynamicRegistration": false}}, "workspace": {"workspaceEdit": {"documentChanges": true}}});
    let mut c = TestClient::start_in(capabilities, json!({"inlayHints": true}), folders).await;
    let caps = &c.initialize_result["capabilities"];
    assert_eq!(caps["diagnosticProvider"]["identifier"], "tunelint");
    assert_eq!(caps["inlayHintProvider"], true);
    let path = dir.join("train.py");
    let uri = file_uri(&path);
    let text = std::fs::read_to_string(&path).unwrap();
    c.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": uri, "languageId": "python", "version": 1, "text": text}}),
    )
    .await;
    let report = c
        .request(
            "textDocument/diagnostic",
            json!({"textDocument": {"uri": uri}}),
        )
        .await;
    assert_eq!(report["kind"], "full");
    let codes: Vec<&Value> = report["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| &d["code"])
        .collect();
    assert!(codes.contains(&&json!("TRL001")), "{report:#}");
    let workspace = c
        .request("workspace/diagnostic", json!({"previousResultIds": []}))
        .await;
    let items = workspace["items"].as_array().unwrap();
    assert!(
        items.iter().any(|i| i["uri"] == uri && i["version"] == 1),
        "{workspace:#}"
    );

    let hints = c
        .request(
            "textDocument/inlayHint",
            json!({"textDocument": {"uri": uri}, "range": {"start": {"line": 0, "character": 0}, "end": {"line": 9, "character": 0}}}),
        )
        .await;
    let labels: Vec<&str> = hints
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["label"].as_str().unwrap())
        .collect();
    assert_eq!(
        labels,
        ["trl 0.16.0 · requirements.txt line 1"],
        "{hints:#}"
    );
    assert_eq!(hints[0]["position"]["line"], 0);

    let links = c
        .request(
            "textDocument/documentLink",
            json!({"textDocument": {"uri": uri}}),
        )
        .await;
    assert_eq!(links[0]["range"]["start"]["character"], 47, "{links:#}");
    assert!(links[0]["target"].as_str().unwrap().starts_with("https://"));

    // A pulling client gets no pushes for the documents it pulls.
    assert!(
        !c.notifications.iter().any(|n| {
            n["method"] == "textDocument/publishDiagnostics" && n["params"]["uri"] == uri
        }),
        "{:#?}",
        c.notifications
    );
    c.shutdown().await;
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn the_extension_s_protocol_file_is_generated_from_the_server_s_names() {
    let path = repo().join("extension/src/protocol.ts");
    let want = tunelint::lsp::protocol::typescript();
    if std::env::var_os("TUNELINT_UPDATE_PROTOCOL").is_some() {
        std::fs::write(&path, &want).unwrap();
    }
    let have = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        have == want,
        "extension/src/protocol.ts differs from server/src/lsp/protocol.rs; regenerate it with TUNELINT_UPDATE_PROTOCOL=1 cargo test --test integration protocol"
    );
}

#[test]
fn package_json_contributes_the_protocol_s_commands_and_settings() {
    use tunelint::lsp::protocol;
    let manifest: Value =
        serde_json::from_str(&std::fs::read_to_string(repo().join("package.json")).unwrap())
            .unwrap();
    let commands: Vec<&str> = manifest["contributes"]["commands"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["command"].as_str().unwrap())
        .collect();
    for command in [
        protocol::RELOAD_ENVIRONMENT,
        protocol::SHOW_ENVIRONMENT,
        protocol::INSERT_CELL,
        protocol::RUN_IN_TERMINAL,
        protocol::RESTART_KERNEL,
    ] {
        assert!(
            commands.contains(&command),
            "{command} is not in package.json"
        );
    }
    let properties = &manifest["contributes"]["configuration"]["properties"];
    for setting in protocol::SETTINGS {
        let key = format!("{}.{}", protocol::SETTINGS_SECTION, setting.key);
        assert!(
            properties.get(&key).is_some(),
            "{key} is not in package.json"
        );
    }
    let activation: Vec<&str> = manifest["activationEvents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e.as_str().unwrap())
        .collect();
    assert!(activation.contains(&format!("onNotebook:{}", protocol::NOTEBOOK_TYPE).as_str()));
}

#[test]
fn every_pattern_of_the_document_selector_names_files_the_server_reads() {
    use tunelint::lsp::protocol::{DocumentFilter, DOCUMENT_SELECTOR};
    // One path per alternative of each pattern: `**/` a directory, `*` a word, `{a,b}` each.
    fn expand(pattern: &str) -> Vec<String> {
        if let (Some(open), Some(close)) = (pattern.find('{'), pattern.find('}')) {
            return pattern[open + 1..close]
                .split(',')
                .flat_map(|alt| {
                    expand(&format!(
                        "{}{alt}{}",
                        &pattern[..open],
                        &pattern[close + 1..]
                    ))
                })
                .collect();
        }
        vec![pattern.replace("**/", "project/").replace('*', "dev")]
    }
    for filter in DOCUMENT_SELECTOR {
        if let DocumentFilter::Pattern(p) = filter {
            for path in expand(p) {
                assert!(
                    tunelint::source::SourceKind::from_path(std::path::Path::new(&path)).is_some(),
                    "{path} (from {p}) is not a file the server reads"
                );
            }
        }
    }
}
