//! Language-server latency and memory: opens the largest notebook of a corpus, makes 1,000
//! one-character edits (four rounds of 250, each with a fresh server) in a middle cell and
//! measures edit → publishDiagnostics for that cell (p50, p99), then opens every notebook and
//! reports the server's resident memory. Given a
//! second server command (`ruff`), it makes the same edits to that server in the same run,
//! alternating server by server, so that both see the same machine load.
//! `cargo build --release --example lsp_bench && target/release/examples/lsp_bench target/release/tunelint ../shared/corpus/notebooks [ruff]`

use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Write};

/// Percent-encodes a path for a URI: everything but unreserved characters and `/`.
fn encode(path: &Path) -> String {
    let mut out = String::new();
    for b in path.display().to_string().bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

fn frame(v: &Value) -> Vec<u8> {
    let body = v.to_string();
    format!("Content-Length: {}\r\n\r\n{}", body.len(), body).into_bytes()
}

fn read_message(r: &mut impl BufRead) -> Option<Value> {
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
    r.read_exact(&mut buf).ok()?;
    serde_json::from_slice(&buf).ok()
}

fn cells_of(path: &Path) -> Option<Vec<(bool, String)>> {
    let v: Value = serde_json::from_slice(&std::fs::read(path).ok()?).ok()?;
    Some(
        v["cells"]
            .as_array()?
            .iter()
            .map(|c| {
                let src = match &c["source"] {
                    Value::Array(a) => a.iter().filter_map(Value::as_str).collect(),
                    Value::String(s) => s.clone(),
                    _ => String::new(),
                };
                (c["cell_type"] == "code", src)
            })
            .collect(),
    )
}

fn uri(path: &Path) -> String {
    format!(
        "file://{}",
        encode(&path.canonicalize().unwrap_or(path.to_path_buf()))
    )
}

fn open(path: &Path, cells: &[(bool, String)]) -> (Value, Vec<String>) {
    let base = path.canonicalize().unwrap_or(path.to_path_buf());
    let cell_uris: Vec<String> = (0..cells.len())
        .map(|i| format!("vscode-notebook-cell:{}#C{i}", encode(&base)))
        .collect();
    let msg = json!({"jsonrpc": "2.0", "method": "notebookDocument/didOpen", "params": {
        "notebookDocument": {"uri": uri(path), "notebookType": "jupyter-notebook", "version": 1,
            "cells": cells.iter().zip(&cell_uris).map(|((code, _), u)| json!({"kind": if *code { 2 } else { 1 }, "document": u})).collect::<Vec<_>>()},
        "cellTextDocuments": cells.iter().zip(&cell_uris).map(|((code, src), u)| json!({"uri": u, "languageId": if *code { "python" } else { "markdown" }, "version": 1, "text": src})).collect::<Vec<_>>(),
    }});
    (msg, cell_uris)
}

/// What one server measured.
struct Measured {
    latencies: Vec<Duration>,
    /// The server's CPU time per edit, on all its threads, from the first edit sent to the
    /// last publish received.
    cpu_per_edit_ms: Option<f64>,
    rss_mb: Option<f64>,
    peak_mb: Option<f64>,
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

/// The time the process's threads have run on a CPU, in nanoseconds (`schedstat`, summed over
/// its threads). Unlike the latency, this barely moves when other work shares the machine.
fn cpu_ns(pid: u32) -> Option<u64> {
    let mut total = 0;
    for task in std::fs::read_dir(format!("/proc/{pid}/task")).ok()? {
        let stat = std::fs::read_to_string(task.ok()?.path().join("schedstat")).ok()?;
        total += stat.split_whitespace().next()?.parse::<u64>().ok()?;
    }
    Some(total)
}

fn memory_mb(pid: u32, field: &str) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let kb: f64 = status
        .lines()
        .find(|l| l.starts_with(field))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()?;
    Some(kb / 1024.0)
}

/// Starts `program server`, opens the largest notebook, makes `edits` edits, and (when
/// `open_all`) opens every notebook and reads the memory.
fn measure(
    program: &Path,
    notebooks: &[(PathBuf, Vec<(bool, String)>)],
    edits: usize,
    open_all: bool,
) -> Measured {
    let mut child = Command::new(program)
        .arg("server")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("the server starts");
    let pid = child.id();
    let mut stdin = child.stdin.take().unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let (tx, rx) = mpsc::channel::<(Instant, Value)>();
    std::thread::spawn(move || {
        while let Some(m) = read_message(&mut stdout) {
            if tx.send((Instant::now(), m)).is_err() {
                break;
            }
        }
    });
    let mut send = |v: Value| {
        stdin.write_all(&frame(&v)).unwrap();
        stdin.flush().unwrap();
    };
    send(
        json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"capabilities": {}, "workspaceFolders": null}}),
    );
    let wait_for = |pred: &dyn Fn(&Value) -> bool| -> Instant {
        loop {
            let (t, m) = rx
                .recv_timeout(Duration::from_secs(60))
                .expect("the server answers");
            if pred(&m) {
                return t;
            }
        }
    };
    wait_for(&|m| m["id"] == 1);
    send(json!({"jsonrpc": "2.0", "method": "initialized", "params": {}}));

    let (largest, cells) = &notebooks[0];
    let (msg, cell_uris) = open(largest, cells);
    send(msg);
    let code: Vec<usize> = cells
        .iter()
        .enumerate()
        .filter(|(_, c)| c.0)
        .map(|(i, _)| i)
        .collect();
    let target = code[code.len() / 2];
    let target_uri = cell_uris[target].clone();
    let t = target_uri.clone();
    wait_for(&move |m| m["method"] == "textDocument/publishDiagnostics" && m["params"]["uri"] == t);
    let nb_uri = uri(largest);
    let mut latencies = Vec::new();
    let cpu_before = cpu_ns(pid);
    for i in 0..edits {
        let edit = json!({"jsonrpc": "2.0", "method": "notebookDocument/didChange", "params": {
            "notebookDocument": {"uri": nb_uri, "version": 2 + i},
            "change": {"cells": {"textContent": [{"document": {"uri": target_uri, "version": 2 + i},
                "changes": [{"range": {"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 0}}, "text": if i % 2 == 0 { " " } else { "" }}]}]}}}});
        // Alternate between inserting and (below) deleting the character, so the cell stays valid.
        let edit = if i % 2 == 1 {
            let mut e = edit;
            e["params"]["change"]["cells"]["textContent"][0]["changes"][0]["range"]["end"]
                ["character"] = json!(1);
            e
        } else {
            edit
        };
        let start = Instant::now();
        send(edit);
        let t = target_uri.clone();
        let end = wait_for(&move |m| {
            m["method"] == "textDocument/publishDiagnostics" && m["params"]["uri"] == t
        });
        latencies.push(end.duration_since(start));
        if std::env::var_os("LSP_BENCH_TRACE").is_some() {
            let ms = end.duration_since(start).as_secs_f64() * 1e3;
            eprintln!("{}: edit {i}: {ms:.2} ms", program.display());
        }
    }
    // A thread that ended between the readings takes its time with it: such a round says `?`.
    let cpu_per_edit_ms = cpu_ns(pid)
        .zip(cpu_before)
        .and_then(|(after, before)| after.checked_sub(before))
        .map(|spent| spent as f64 / 1e6 / edits as f64);
    let (mut rss_mb, mut peak_mb) = (None, None);
    if open_all {
        for (path, cells) in &notebooks[1..] {
            let (msg, uris) = open(path, cells);
            send(msg);
            if let Some(last_code) = cells.iter().rposition(|c| c.0) {
                let t = uris[last_code].clone();
                wait_for(&move |m| {
                    m["method"] == "textDocument/publishDiagnostics" && m["params"]["uri"] == t
                });
            }
        }
        rss_mb = memory_mb(pid, "VmRSS");
        peak_mb = memory_mb(pid, "VmHWM");
    }
    send(json!({"jsonrpc": "2.0", "id": 2, "method": "shutdown"}));
    wait_for(&|m| m["id"] == 2);
    send(json!({"jsonrpc": "2.0", "method": "exit"}));
    let _ = child.wait();
    Measured {
        latencies,
        cpu_per_edit_ms,
        rss_mb,
        peak_mb,
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let server = args
        .get(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("target/release/tunelint"));
    let dir = args
        .get(2)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("../shared/corpus/notebooks"));
    let other = args.get(3).map(PathBuf::from);
    let mut notebooks: Vec<(PathBuf, Vec<(bool, String)>)> = std::fs::read_dir(&dir)
        .expect("a notebook directory")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "ipynb"))
        .filter_map(|p| cells_of(&p).map(|c| (p, c)))
        .collect();
    notebooks.sort_by_key(|(p, _)| std::cmp::Reverse(p.metadata().map(|m| m.len()).unwrap_or(0)));
    let (largest, cells) = &notebooks[0];
    println!(
        "largest notebook: {} ({} cells, {} KB)",
        largest.display(),
        cells.len(),
        largest.metadata().map(|m| m.len() / 1024).unwrap_or(0)
    );

    // Rounds of 250 edits, server by server, so that a busy moment of the machine falls on
    // both; the memory is read after the last round of tunelint, with every notebook open.
    // The p99 of 1,000 edits is the eleventh slowest: of 200 it was the third, which one
    // busy moment of the host or the first edit after opening decided.
    // `LSP_BENCH_EDITS` raises the edits per round, e.g. to profile the edit path alone
    // (`perf record` over a run of thousands of edits is mostly edits, not the opening).
    let per_round: usize = std::env::var("LSP_BENCH_EDITS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(250);
    let rounds = 4;
    let mut ours = Vec::new();
    let mut theirs = Vec::new();
    let (mut our_cpu, mut their_cpu) = (Vec::new(), Vec::new());
    let mut memory = (None, None);
    for round in 0..rounds {
        let last = round + 1 == rounds;
        let m = measure(&server, &notebooks, per_round, last);
        ours.extend(m.latencies);
        our_cpu.extend(m.cpu_per_edit_ms);
        if last {
            memory = (m.rss_mb, m.peak_mb);
        }
        if let Some(other) = &other {
            let m = measure(other, &notebooks, per_round, false);
            theirs.extend(m.latencies);
            their_cpu.extend(m.cpu_per_edit_ms);
        }
    }
    ours.sort();
    theirs.sort();
    // The CPU time is the mean of the rounds; a process whose threads cannot be read says `?`.
    let line = |name: &str, l: &[Duration], cpu: &[f64]| {
        let cpu = if cpu.len() == rounds {
            format!("{:.2}", cpu.iter().sum::<f64>() / cpu.len() as f64)
        } else {
            "?".to_string()
        };
        println!(
            "{name}: edit -> publishDiagnostics over {} edits: p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms; server CPU {cpu} ms per edit",
            l.len(),
            percentile(l, 0.5).as_secs_f64() * 1e3,
            percentile(l, 0.99).as_secs_f64() * 1e3,
            l.last().unwrap().as_secs_f64() * 1e3
        );
    };
    line("tunelint", &ours, &our_cpu);
    if let Some(other) = &other {
        line(&other.display().to_string(), &theirs, &their_cpu);
        println!(
            "p50 ratio tunelint / {}: {:.2}",
            other.display(),
            percentile(&ours, 0.5).as_secs_f64() / percentile(&theirs, 0.5).as_secs_f64()
        );
    }
    let mb = |v: Option<f64>| v.map_or_else(|| "?".to_string(), |v| format!("{v:.1}"));
    println!(
        "server memory with all {} notebooks open: RSS {} MB (peak {} MB)",
        notebooks.len(),
        mb(memory.0),
        mb(memory.1)
    );
}
