//! The invariants ARCHITECTURE.md promises, checked on the source tree.

use crate::support::repo;
use std::path::{Path, PathBuf};

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let p = entry.unwrap().path();
        if p.is_dir() {
            out.extend(rust_files(&p));
        } else if p.extension().is_some_and(|e| e == "rs") {
            out.push(p);
        }
    }
    out
}

fn src() -> PathBuf {
    repo().join("server/src")
}

/// The module a file belongs to: the first path component under src/.
fn module_of(path: &Path) -> String {
    let rel = path.strip_prefix(src()).unwrap();
    rel.components()
        .next()
        .unwrap()
        .as_os_str()
        .to_string_lossy()
        .trim_end_matches(".rs")
        .to_string()
}

#[test]
fn only_lsp_knows_lsp_types() {
    for f in rust_files(&src()) {
        if module_of(&f) == "lsp" {
            continue;
        }
        let text = std::fs::read_to_string(&f).unwrap();
        for forbidden in ["tower_lsp_server", "ls_types", "lsp_types"] {
            assert!(
                !text.contains(forbidden),
                "{} mentions {forbidden}",
                f.display()
            );
        }
    }
}

/// The core is pure: it neither touches files, processes, the network nor the async runtime.
#[test]
fn the_core_does_no_io() {
    let core = [
        "source",
        "syntax",
        "install",
        "declared",
        "requirement",
        "outputs",
        "evidence",
        "check",
        "kb",
        "finding",
        "fix",
        "render",
        "text",
        "vocabulary",
        "advisory_examples",
    ];
    for f in rust_files(&src()) {
        if !core.contains(&module_of(&f).as_str()) {
            continue;
        }
        let text = std::fs::read_to_string(&f).unwrap();
        for forbidden in [
            "std::fs",
            "std::process",
            "std::net",
            "tokio",
            "std::env::var",
            "File::open",
        ] {
            assert!(
                !text.contains(forbidden),
                "{} uses {forbidden}",
                f.display()
            );
        }
    }
}

/// The knowledge base is a leaf: it names shared vocabulary and low-level text helpers, never
/// the code that reads it (the checker, findings, fixes, rendering, the edges).
#[test]
fn the_knowledge_base_is_a_leaf() {
    let allowed = ["kb", "vocabulary", "requirement", "source", "text"];
    for f in rust_files(&src().join("kb")) {
        let text = std::fs::read_to_string(&f).unwrap();
        for (i, _) in text.match_indices("crate::") {
            let module: String = text[i + "crate::".len()..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            assert!(
                allowed.contains(&module.as_str()),
                "{} uses crate::{module}: the knowledge base must not depend on its readers",
                f.display()
            );
        }
    }
}

#[test]
fn every_module_starts_with_a_doc_paragraph() {
    for f in rust_files(&src()) {
        let text = std::fs::read_to_string(&f).unwrap();
        assert!(
            text.starts_with("//!"),
            "{} does not start with a //! paragraph",
            f.display()
        );
    }
}

#[test]
fn logs_never_go_to_stdout_from_the_server() {
    for f in rust_files(&src().join("lsp")) {
        let text = std::fs::read_to_string(&f).unwrap();
        let prints = ["println!", "print!("].iter().any(|m| {
            text.match_indices(m)
                .any(|(i, _)| !text[..i].ends_with('e'))
        });
        assert!(
            !prints,
            "{} prints to stdout, which carries the protocol",
            f.display()
        );
    }
}

#[test]
fn the_code_map_matches_the_tree() {
    let arch = std::fs::read_to_string(repo().join("ARCHITECTURE.md")).unwrap();
    for entry in std::fs::read_dir(src()).unwrap() {
        let p = entry.unwrap().path();
        let name = p.file_name().unwrap().to_string_lossy().to_string();
        let shown = if p.is_dir() {
            format!("`{name}/`")
        } else {
            format!("`{name}`")
        };
        assert!(
            arch.contains(&shown),
            "ARCHITECTURE.md's code map does not mention {shown}"
        );
    }
}
