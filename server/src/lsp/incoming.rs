//! Incoming messages are checked before the protocol library sees them.
//!
//! tower-lsp-server stops reading (and so the server exits) after the first message it cannot
//! decode, because its framed reader ends on an error. A client bug or a corrupted pipe must
//! not take the server down, so every frame is read here, and only well-formed JSON-RPC
//! messages are passed on; the rest are logged to stderr and dropped.

use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader};

/// The largest message accepted (a notebook with large cells fits many times over).
const MAX_MESSAGE: usize = 256 * 1024 * 1024;

/// Whether a message body is one the protocol library can decode: a JSON object with
/// `"jsonrpc": "2.0"`, and either a method name (with structured or absent params) or an id and
/// a result or error.
pub fn is_well_formed(body: &[u8]) -> bool {
    let Ok(Value::Object(m)) = serde_json::from_slice::<Value>(body) else {
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

/// Copies framed messages from `input` to `output`, dropping the ill-formed ones. Returns when
/// `input` ends.
pub async fn filter_messages(input: impl AsyncRead + Unpin, mut output: impl AsyncWrite + Unpin) {
    let mut reader = BufReader::new(input);
    loop {
        let mut length: Option<usize> = None;
        let mut saw_header = false;
        loop {
            let mut line = String::new();
            match reader.read_line(&mut line).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
            let line = line.trim_end_matches(['\r', '\n']);
            if line.is_empty() {
                if saw_header {
                    break;
                }
                continue;
            }
            saw_header = true;
            if let Some((name, value)) = line.split_once(':') {
                if name.trim().eq_ignore_ascii_case("content-length") {
                    length = value.trim().parse().ok();
                }
            }
        }
        let Some(length) = length.filter(|&n| n <= MAX_MESSAGE) else {
            eprintln!("tunelint: dropped a message without a usable Content-Length header");
            continue;
        };
        let mut body = vec![0; length];
        if reader.read_exact(&mut body).await.is_err() {
            return;
        }
        if !is_well_formed(&body) {
            eprintln!(
                "tunelint: dropped an ill-formed message ({} bytes)",
                body.len()
            );
            continue;
        }
        let header = format!("Content-Length: {}\r\n\r\n", body.len());
        if output.write_all(header.as_bytes()).await.is_err()
            || output.write_all(&body).await.is_err()
            || output.flush().await.is_err()
        {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn well_formed_messages() {
        assert!(is_well_formed(
            br#"{"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {}}"#
        ));
        assert!(is_well_formed(br#"{"jsonrpc": "2.0", "method": "exit"}"#));
        assert!(is_well_formed(
            br#"{"jsonrpc": "2.0", "id": 3, "result": null}"#
        ));
        assert!(!is_well_formed(b"not json"));
        assert!(!is_well_formed(
            br#"{"jsonrpc": "2.0", "method": "x", "params": "string"}"#
        ));
        assert!(!is_well_formed(br#"[1, 2]"#));
        assert!(!is_well_formed(br#"{"method": "x"}"#));
        assert!(!is_well_formed(
            br#"{"jsonrpc": "2.0", "id": {"a": 1}, "method": "x"}"#
        ));
    }
}
