//! Integration tests: advisories' own examples, the CLI as users run it, the example project,
//! fixture environments, the real corpus, and the architecture's invariants.

mod advisories;
mod bad_input;
mod ci_formats;
mod cli;
mod corpus;
mod editors;
mod environments;
mod invariants;
mod lock_files;
mod lsp;
mod lsp_storm;
mod notebook_runs;
mod precision;
mod support;
mod trust;
