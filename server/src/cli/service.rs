//! `tunelint check-service`: checks on request, for a process that keeps one tunelint running.
//!
//! The IPython extension checks the kernel's live environment after every cell that installs
//! something. A fresh process per check pays its start (the binary's pages, the knowledge base's
//! load, freeing it all at exit) every time, about half of a check of a 1,000-distribution
//! environment; the service pays it once, when the extension loads. Each request is exactly a
//! `tunelint check` command line: its files and environment are read again, nothing but the
//! knowledge base is kept between requests.
//!
//! The protocol is framed by byte counts, so that neither side parses a report twice:
//!
//! - request: one line of JSON, `{"args": ["check", ...], "cwd": "/dir", "stdin_bytes": N}`,
//!   then the N bytes that `-` stands for;
//! - response: one line of JSON, `{"code": 0, "report_bytes": M, "error": null}`, then the M
//!   bytes of the report. `code` is the exit code the same command would have had (2 with
//!   `error` when it could not run).
//!
//! The service ends at the end of its input: when the kernel that started it ends, so does it.

use super::check::{run_in, Resident};
use super::{Cli, Command, KbArgs};
use clap::Parser;
use serde::{Deserialize, Serialize};
use std::io::{BufRead, Read, Write};

#[derive(Deserialize)]
struct Request {
    args: Vec<String>,
    #[serde(default)]
    cwd: Option<String>,
    #[serde(default)]
    stdin_bytes: usize,
}

#[derive(Serialize)]
struct ResponseHead<'a> {
    code: u8,
    report_bytes: usize,
    error: Option<&'a str>,
}

/// Answers requests until the input ends. A request that cannot be read ends the service with an
/// error: after a framing error no later byte can be trusted.
pub fn run() -> Result<u8, String> {
    let kb = super::load_kb(&KbArgs::default())?;
    let mut input = std::io::stdin().lock();
    let mut output = std::io::stdout().lock();
    let mut line = String::new();
    loop {
        line.clear();
        let read = input
            .read_line(&mut line)
            .map_err(|e| format!("cannot read a request: {e}"))?;
        if read == 0 {
            return Ok(0);
        }
        if line.trim().is_empty() {
            continue;
        }
        let request: Request = serde_json::from_str(&line)
            .map_err(|e| format!("not a check-service request ({e}): {}", line.trim()))?;
        let mut stdin = vec![0; request.stdin_bytes];
        input
            .read_exact(&mut stdin)
            .map_err(|e| format!("cannot read the request's {} bytes: {e}", stdin.len()))?;
        let answer = answer(&kb, request, stdin);
        let head = serde_json::to_string(&ResponseHead {
            code: answer.code,
            report_bytes: answer.report.len(),
            error: answer.error.as_deref(),
        })
        .map_err(|e| e.to_string())?;
        let written = output
            .write_all(head.as_bytes())
            .and_then(|()| output.write_all(b"\n"))
            .and_then(|()| output.write_all(answer.report.as_bytes()))
            .and_then(|()| output.flush());
        if written.is_err() {
            // The other side has gone: nothing is waiting for an answer.
            return Ok(0);
        }
    }
}

struct Answer {
    code: u8,
    report: String,
    error: Option<String>,
}

fn answer(kb: &crate::kb::KnowledgeBase, request: Request, stdin: Vec<u8>) -> Answer {
    let failed = |error: String| Answer {
        code: 2,
        report: String::new(),
        error: Some(error),
    };
    if let Some(cwd) = &request.cwd {
        if let Err(e) = std::env::set_current_dir(cwd) {
            return failed(format!("cannot change to {cwd}: {e}"));
        }
    }
    let argv = std::iter::once("tunelint".to_string()).chain(request.args);
    let args = match Cli::try_parse_from(argv) {
        Ok(Cli {
            command: Command::Check(args),
        }) => args,
        Ok(_) => return failed("the check service runs `check` only".to_string()),
        Err(e) => return failed(e.to_string().trim().to_string()),
    };
    super::use_huge_pages(false);
    let mut report = String::new();
    let resident = Resident {
        kb,
        stdin,
        report: &mut report,
    };
    // A panic in one check must not end a service that the next cell relies on.
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        run_in(args, Some(resident))
    }));
    match result {
        Ok(Ok(code)) => Answer {
            code,
            report,
            error: None,
        },
        Ok(Err(message)) => failed(message),
        Err(_) => failed("internal error: the check panicked (its message is on stderr)".into()),
    }
}
