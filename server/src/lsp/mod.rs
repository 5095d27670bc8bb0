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
    runtime.block_on(async {
        let (service, socket) = service();
        // Messages pass a filter first: one undecodable message must not end the session.
        let (filtered_in, server_in) = tokio::io::duplex(1 << 20);
        tokio::spawn(incoming::filter_messages(tokio::io::stdin(), filtered_in));
        Server::new(server_in, tokio::io::stdout(), socket)
            .serve(service)
            .await;
    });
    // Blocking work still queued (an environment scan) must not keep the process alive.
    runtime.shutdown_timeout(std::time::Duration::from_millis(100));
    Ok(0)
}
