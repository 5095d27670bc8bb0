//! The language server (LSP 3.17 over stdio), the only module that knows LSP types.
//!
//! A session of snapshots, as in ruff's server and rust-analyzer: `session.rs` owns the open
//! documents, settings (`settings.rs`) and environments; `dispatch.rs` routes each method to a handler in
//! `handlers/`, which changes the session synchronously or works on an immutable
//! `snapshot.rs` of one document version off the async runtime (a quick edit's analysis on
//! the message loop, as ruff's server does); each version is analysed
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
    let (stdout, written) = StdoutThread::spawn()?;
    runtime.block_on(async {
        let (service, socket) = service();
        Server::new(server_in, stdout, socket).serve(service).await;
    });
    // The server is gone, and with it the sending end: what is still queued is written before
    // the process ends (the answer to `shutdown` among it), unless the client stopped reading.
    let _ = written.recv_timeout(std::time::Duration::from_secs(1));
    // Blocking work still queued (an environment scan) must not keep the process alive; the
    // stdin thread ends with the process.
    runtime.shutdown_timeout(std::time::Duration::from_millis(100));
    Ok(0)
}

/// Standard output, written by a thread of its own. The task that writes the server's output
/// also reads the client's messages, so it must not block on a client that is busy writing a
/// large message to us instead of reading (each would wait for the other): it queues each
/// write and goes on. tokio's stdout does not block either, but it hands every write to its
/// blocking pool and waits there for the result, a thread hop each way.
struct StdoutThread {
    queue: std::sync::mpsc::Sender<Vec<u8>>,
}

impl StdoutThread {
    /// The writer, and a receiver that disconnects once everything queued has been written.
    fn spawn() -> Result<(StdoutThread, std::sync::mpsc::Receiver<()>), String> {
        use std::io::Write;
        let (queue, queued) = std::sync::mpsc::channel::<Vec<u8>>();
        let (done, written) = std::sync::mpsc::channel::<()>();
        std::thread::Builder::new()
            .name("tunelint-stdout".into())
            .spawn(move || {
                let _done = done;
                let mut out = std::io::stdout().lock();
                while let Ok(bytes) = queued.recv() {
                    // What else is queued by now goes out with it, in one flush.
                    let more = std::iter::from_fn(|| queued.try_recv().ok());
                    for bytes in std::iter::once(bytes).chain(more) {
                        if out.write_all(&bytes).is_err() {
                            return;
                        }
                    }
                    if out.flush().is_err() {
                        return;
                    }
                }
            })
            .map_err(|e| e.to_string())?;
        Ok((StdoutThread { queue }, written))
    }
}

impl tokio::io::AsyncWrite for StdoutThread {
    fn poll_write(
        self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        std::task::Poll::Ready(match self.queue.send(buf.to_vec()) {
            Ok(()) => Ok(buf.len()),
            Err(_) => Err(std::io::ErrorKind::BrokenPipe.into()),
        })
    }

    /// Queued bytes are the writer thread's to flush.
    fn poll_flush(
        self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::task::Poll::Ready(Ok(()))
    }

    fn poll_shutdown(
        self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::task::Poll::Ready(Ok(()))
    }
}
