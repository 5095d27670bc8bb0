//! Incoming messages are checked before the protocol library sees them.
//!
//! tower-lsp-server stops reading (and so the server exits) after the first message it cannot
//! decode, because its framed reader ends on an error. A client bug or a corrupted pipe must
//! not take the server down, so every frame is read here, and only well-formed JSON-RPC
//! messages are passed on; the rest are logged to stderr and dropped.

use serde_json::Value;
use std::io::BufRead;

/// The largest message accepted (a notebook with large cells fits many times over).
const MAX_MESSAGE: usize = 256 * 1024 * 1024;

/// The message, parsed, when its body is one the protocol library can decode: a JSON object
/// with `"jsonrpc": "2.0"`, and either a method name (with structured or absent params) or an
/// id and a result or error.
pub fn well_formed(body: &[u8]) -> Option<Value> {
    let message = serde_json::from_slice::<Value>(body).ok()?;
    is_well_formed(&message).then_some(message)
}

fn is_well_formed(message: &Value) -> bool {
    let Value::Object(m) = message else {
        return false;
    };
    if m.get("jsonrpc").and_then(Value::as_str) != Some("2.0") {
        return false;
    }
    let id_ok = m
        .get("id")
        .is_none_or(|id| id.is_string() || id.is_i64() || id.is_u64() || id.is_null());
    match m.get("method") {
        Some(Value::String(_)) => {
            id_ok
                && m.get("params")
                    .is_none_or(|p| p.is_object() || p.is_array() || p.is_null())
        }
        Some(_) => false,
        None => {
            id_ok && m.contains_key("id") && (m.contains_key("result") || m.contains_key("error"))
        }
    }
}

/// The document URIs of a document or notebook notification that the protocol library cannot
/// parse, each with the reason. Such a notification is dropped by the library without a word
/// (a notebook whose path has an un-encoded space is then never checked), so the reason is
/// logged here, where the raw text is still at hand.
pub fn unparsable_document_uris(message: &Value) -> Vec<String> {
    let Some(method) = message.get("method").and_then(Value::as_str) else {
        return Vec::new();
    };
    if !(method.starts_with("textDocument/") || method.starts_with("notebookDocument/")) {
        return Vec::new();
    }
    let params = &message["params"];
    let found = [
        ("document", params["textDocument"]["uri"].as_str()),
        ("notebook", params["notebookDocument"]["uri"].as_str()),
    ];
    let cells = &params["notebookDocument"]["cells"];
    let structure = &params["change"]["cells"]["structure"];
    let lists = [
        (&params["cellTextDocuments"], "uri"),
        (cells, "document"),
        (&structure["array"]["cells"], "document"),
        (&structure["didOpen"], "uri"),
        (&structure["didClose"], "uri"),
        (&params["change"]["cells"]["data"], "document"),
    ];
    let mut out = Vec::new();
    let mut check = |what: &str, uri: &str| {
        if let Err(e) = uri.parse::<tower_lsp_server::ls_types::Uri>() {
            out.push(format!(
                "{method}: cannot parse the {what} URI {uri:?} ({e}); the client must percent-encode it, and until then it is not checked"
            ));
        }
    };
    for (what, uri) in found {
        if let Some(uri) = uri {
            check(what, uri);
        }
    }
    for (list, key) in lists {
        for item in list.as_array().into_iter().flatten() {
            if let Some(uri) = item[key].as_str() {
                check("cell", uri);
            }
        }
    }
    out
}

/// Reads framed messages from `input` and hands each well-formed one to `forward`, framed
/// again, in one buffer; drops the ill-formed ones. Returns when `input` ends or `forward`
/// returns false (the server stopped reading). Blocking: it runs on a thread of its own, so
/// a message reaches the server without a hop through the async runtime's blocking pool.
pub fn filter_messages(input: impl BufRead, mut forward: impl FnMut(&[u8]) -> bool) {
    let mut reader = input;
    let mut line = String::new();
    loop {
        let mut length: Option<usize> = None;
        let mut saw_header = false;
        loop {
            line.clear();
            match reader.read_line(&mut line) {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
            let header = line.trim_end_matches(['\r', '\n']);
            if header.is_empty() {
                if saw_header {
                    break;
                }
                continue;
            }
            saw_header = true;
            if let Some((name, value)) = header.split_once(':') {
                if name.trim().eq_ignore_ascii_case("content-length") {
                    length = value.trim().parse().ok();
                }
            }
        }
        let Some(length) = length.filter(|&n| n <= MAX_MESSAGE) else {
            eprintln!("tunelint: dropped a message without a usable Content-Length header");
            continue;
        };
        let header = format!("Content-Length: {length}\r\n\r\n");
        let mut frame = Vec::with_capacity(header.len() + length);
        frame.extend_from_slice(header.as_bytes());
        frame.resize(header.len() + length, 0);
        if reader.read_exact(&mut frame[header.len()..]).is_err() {
            return;
        }
        let body = &frame[header.len()..];
        let Some(message) = well_formed(body) else {
            eprintln!("tunelint: dropped an ill-formed message ({length} bytes)");
            continue;
        };
        for problem in unparsable_document_uris(&message) {
            eprintln!("tunelint: {problem}");
        }
        if !forward(&frame) {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unparsable_uris_are_named_with_the_reason() {
        let body = br#"{"jsonrpc": "2.0", "method": "notebookDocument/didOpen", "params": {"notebookDocument": {"uri": "file:///tmp/my notebook.ipynb", "notebookType": "jupyter-notebook", "version": 1, "cells": [{"kind": 2, "document": "vscode-notebook-cell:/tmp/my notebook.ipynb#W0"}]}, "cellTextDocuments": [{"uri": "vscode-notebook-cell:/tmp/ok.ipynb#W0", "languageId": "python", "version": 1, "text": ""}]}}"#;
        let problems = unparsable_document_uris(&serde_json::from_slice(body).unwrap());
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(problems[0].starts_with(
            "notebookDocument/didOpen: cannot parse the notebook URI \"file:///tmp/my notebook.ipynb\" ("
        ));
        assert!(
            problems[1].contains("the cell URI \"vscode-notebook-cell:/tmp/my notebook.ipynb#W0\"")
        );
        let fine = br#"{"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {"textDocument": {"uri": "file:///tmp/my%20script.py", "languageId": "python", "version": 1, "text": ""}}}"#;
        assert!(unparsable_document_uris(&serde_json::from_slice(fine).unwrap()).is_empty());
    }

    #[test]
    fn ill_formed_messages_are_dropped_and_the_rest_passed_on_framed() {
        let good = r#"{"jsonrpc": "2.0", "method": "exit"}"#;
        let input = format!(
            "Content-Length: 8\r\n\r\nnot json\
             X-Other: 1\r\n\r\n\
             content-length: {}\r\nContent-Type: x\r\n\r\n{good}\
             Content-Length: 99\r\n\r\n{{}}",
            good.len()
        );
        let mut passed: Vec<String> = Vec::new();
        filter_messages(input.as_bytes(), |frame| {
            passed.push(String::from_utf8(frame.to_vec()).unwrap());
            true
        });
        // The message cut short at the end of the input is not passed on either.
        assert_eq!(
            passed,
            [format!("Content-Length: {}\r\n\r\n{good}", good.len())]
        );
    }

    #[test]
    fn well_formed_messages() {
        assert!(well_formed(
            br#"{"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {}}"#
        )
        .is_some());
        assert!(well_formed(br#"{"jsonrpc": "2.0", "method": "exit"}"#).is_some());
        assert!(well_formed(br#"{"jsonrpc": "2.0", "id": 3, "result": null}"#).is_some());
        assert!(well_formed(b"not json").is_none());
        assert!(well_formed(br#"{"jsonrpc": "2.0", "method": "x", "params": "string"}"#).is_none());
        assert!(well_formed(br#"[1, 2]"#).is_none());
        assert!(well_formed(br#"{"method": "x"}"#).is_none());
        assert!(well_formed(br#"{"jsonrpc": "2.0", "id": {"a": 1}, "method": "x"}"#).is_none());
    }
}
