//! The language server (LSP 3.17 over stdio), the only module that knows LSP types.
//!
//! A session of snapshots, as in ruff's server and rust-analyzer: `session.rs` owns the open
//! documents, settings (`settings.rs`) and environments; `dispatch.rs` routes each method to a handler in
//! `handlers/`, which changes the session synchronously or works on an immutable
//! `snapshot.rs` of one document version off the async runtime; each version is analysed
//! once and the analysis shared by diagnostics, hover, code actions, fix-all and inlay hints.
//! Findings and fixes come from the core unchanged and are converted at the edge: byte offsets
//! to positions in the negotiated encoding (`to_lsp.rs`, `from_lsp.rs`), one notebook document
//! to per-cell diagnostics (`diagnostics.rs`, `publish.rs`), fixes to versioned workspace
//! edits. The names shared with the VS Code extension are in `protocol.rs`.

mod diagnostics;
mod dispatch;
mod documents;
mod from_lsp;
mod handlers;
mod incoming;
pub mod protocol;
mod publish;
mod session;
mod settings;
mod snapshot;
mod task;
mod to_lsp;

pub use dispatch::Backend;

use tokio::io::AsyncWriteExt;
use tower_lsp_server::{ClientSocket, LspService, Server};

/// The service with tunelint's custom requests, for stdio and for tests.
pub fn service() -> (LspService<Backend>, ClientSocket) {
    LspService::build(Backend::new)
        .custom_method(protocol::ENVIRONMENT_REQUEST, Backend::environment)
        .custom_method(protocol::RULE_REQUEST, Backend::rule)
        .finish()
}

/// The position encoding negotiated with the client.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Encoding {
    /// LSP's default.
    #[default]
    Utf16,
    Utf8,
}

/// How many analyses (and environment reads) run at once.
const BLOCKING_THREADS: usize = 4;

/// Runs the server on stdin/stdout until `exit`. Logs go to stderr.
pub fn run_stdio() -> Result<u8, String> {
    // Analyses run on the blocking pool. More of them at once than there are cores finishes
    // none sooner, and each thread's allocator keeps its own partly used pages: with a burst
    // of notebooks opened, tokio's default of up to 512 threads held megabytes that way.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .max_blocking_threads(BLOCKING_THREADS)
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    // Messages pass a filter first: one undecodable message must not end the session. The
    // filter reads stdin on a thread of its own and hands each message to the server in one
    // write; tokio's stdin would read through its blocking pool, a second thread hop per
    // message.
    let (mut filtered_in, server_in) = tokio::io::duplex(1 << 20);
    let handle = runtime.handle().clone();
    std::thread::Builder::new()
        .name("tunelint-stdin".into())
        .spawn(move || {
            incoming::filter_messages(std::io::stdin().lock(), |frame| {
                handle.block_on(filtered_in.write_all(frame)).is_ok()
            });
            // Dropping the pipe's end here ends the server's input.
        })
        .map_err(|e| e.to_string())?;
    runtime.block_on(async {
        let (service, socket) = service();
        Server::new(server_in, SyncStdout(std::io::stdout()), socket)
            .serve(service)
            .await;
    });
    // Blocking work still queued (an environment scan) must not keep the process alive; the
    // stdin thread ends with the process.
    runtime.shutdown_timeout(std::time::Duration::from_millis(100));
    Ok(0)
}

/// Standard output written in place by the task that serves the session. tokio's stdout
/// hands every write to its blocking pool and waits for it there: a thread hop between an
/// analysis and the client seeing it. A write to the client's pipe returns at once unless the
/// client has stopped reading, and then nothing the server sends can arrive anyway.
struct SyncStdout(std::io::Stdout);

impl tokio::io::AsyncWrite for SyncStdout {
    fn poll_write(
        self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        std::task::Poll::Ready(std::io::Write::write(&mut self.get_mut().0.lock(), buf))
    }

    fn poll_flush(
        self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::task::Poll::Ready(std::io::Write::flush(&mut self.get_mut().0.lock()))
    }

    fn poll_shutdown(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        self.poll_flush(cx)
    }
}
