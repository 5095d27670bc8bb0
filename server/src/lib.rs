//! tunelint finds known version incompatibilities in the Python fine-tuning stack.
//!
//! Data flows one way: bytes → [`source`] (one text with a cell map) → [`syntax`] facts and
//! [`declared`]/[`install`] declarations and [`outputs`] signals → [`evidence`] → [`check`]
//! against the [`kb`] → [`finding`]s → [`render`] (CLI) or [`lsp`]. Only [`environment`],
//! [`workspace`], [`cli`] and [`lsp`] do IO; only [`lsp`] knows LSP types.

pub mod advisory_examples;
pub mod check;
pub mod cli;
pub mod declared;
pub mod environment;
pub mod evidence;
pub mod finding;
pub mod fix;
pub mod install;
pub mod kb;
pub mod lsp;
pub mod outputs;
pub mod render;
pub mod requirement;
pub mod source;
pub mod syntax;
pub mod text;
pub mod vocabulary;
pub mod workspace;
