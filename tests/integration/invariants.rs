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
    let entries = std::fs::read_dir(src())
        .unwrap()
        .chain(std::fs::read_dir(src().join("lsp")).unwrap())
        .chain(std::fs::read_dir(src().join("lsp/handlers")).unwrap());
    for entry in entries {
        let p = entry.unwrap().path();
        let name = p.file_name().unwrap().to_string_lossy().to_string();
        if name == "mod.rs" {
            continue;
        }
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

/// The module of `lsp/` a file is (`session`, `handlers`, `handlers::hover`), and the modules
/// of `lsp/` it names through `super::`, `super::super::` or `crate::lsp::`.
fn lsp_module_edges() -> Vec<(String, Vec<String>)> {
    let lsp = src().join("lsp");
    let name_of = |rel: &Path| -> String {
        let s = rel.with_extension("").to_string_lossy().replace('/', "::");
        s.strip_suffix("::mod").map(String::from).unwrap_or(s)
    };
    let mut out = Vec::new();
    for f in rust_files(&lsp) {
        let rel = f.strip_prefix(&lsp).unwrap().to_path_buf();
        let me = name_of(&rel);
        if me == "mod" {
            continue;
        }
        // Where `super::` points from this file.
        let parent: Vec<&str> = {
            let parts: Vec<&str> = me.split("::").collect();
            let is_mod = rel.file_name().is_some_and(|n| n == "mod.rs");
            if is_mod {
                parts[..parts.len().saturating_sub(1)].to_vec()
            } else {
                parts[..parts.len() - 1].to_vec()
            }
        };
        let text = std::fs::read_to_string(&f).unwrap();
        let mut deps = Vec::new();
        for (at, _) in text
            .match_indices("super::")
            .chain(text.match_indices("crate::lsp::"))
        {
            // Only the start of a path.
            if text[..at].ends_with("::") {
                continue;
            }
            let rest = &text[at..];
            let (mut base, mut path): (Vec<&str>, &str) =
                if let Some(r) = rest.strip_prefix("crate::lsp::") {
                    (Vec::new(), r)
                } else {
                    (parent.clone(), &rest["super::".len()..])
                };
            while let Some(r) = path.strip_prefix("super::") {
                base.pop();
                path = r;
            }
            let first: String = path
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            if first.is_empty() || first.chars().next().unwrap().is_uppercase() {
                // An item of the parent module itself (`super::Encoding`): the parent.
                let target = base.join("::");
                if !target.is_empty() && target != me {
                    deps.push(target);
                }
                continue;
            }
            let mut target = base.clone();
            target.push(&first);
            let target = target.join("::");
            let exists = lsp
                .join(format!("{}.rs", target.replace("::", "/")))
                .is_file()
                || lsp.join(target.replace("::", "/")).join("mod.rs").is_file();
            let target = if exists { target } else { base.join("::") };
            if !target.is_empty() && target != me && !deps.contains(&target) {
                deps.push(target);
            }
        }
        out.push((me, deps));
    }
    out
}

#[test]
fn the_language_server_s_modules_import_each_other_without_a_cycle() {
    let edges = lsp_module_edges();
    let deps_of = |m: &str| -> Vec<String> {
        edges
            .iter()
            .find(|(n, _)| n == m)
            .map(|(_, d)| d.clone())
            .unwrap_or_default()
    };
    // A handler file may use its parent's helpers, and the parent declares it: that pair is
    // a module and its children, not a cycle. Any other path back to a module is.
    fn visit(
        m: &str,
        deps_of: &dyn Fn(&str) -> Vec<String>,
        stack: &mut Vec<String>,
        done: &mut Vec<String>,
    ) {
        if done.iter().any(|d| d == m) {
            return;
        }
        if let Some(i) = stack.iter().position(|s| s == m) {
            panic!("import cycle in lsp/: {} -> {m}", stack[i..].join(" -> "));
        }
        stack.push(m.to_string());
        for d in deps_of(m) {
            visit(&d, deps_of, stack, done);
        }
        stack.pop();
        done.push(m.to_string());
    }
    let mut done = Vec::new();
    for (m, _) in &edges {
        visit(m, &deps_of, &mut Vec::new(), &mut done);
    }
    let session = deps_of("session");
    assert!(
        !session
            .iter()
            .any(|d| d.starts_with("handlers") || d == "dispatch"),
        "the session knows no handler: {session:?}"
    );
}

#[test]
fn handlers_cannot_hold_the_session_across_an_await() {
    // Handlers are synchronous functions of `&mut Session` or of a snapshot: none awaits.
    for f in rust_files(&src().join("lsp/handlers")) {
        let text = std::fs::read_to_string(&f).unwrap();
        assert!(
            !text.contains("async fn") && !text.contains(".await"),
            "{} awaits; handlers return tasks instead",
            f.display()
        );
    }
    // The dispatcher reaches the session only through a closure (`with_session`), which
    // cannot await; the session's lock is taken in that one place. (Other locks, such as an
    // analysis slot's hand-off of its facts, live in synchronous code off the runtime.)
    let mut session_locks = 0;
    for f in rust_files(&src().join("lsp")) {
        let text: String = std::fs::read_to_string(&f)
            .unwrap()
            .split_whitespace()
            .collect();
        session_locks += text.matches(".session.lock()").count();
    }
    assert_eq!(
        session_locks, 1,
        "the session's lock is taken only in with_session"
    );
    let dispatch = std::fs::read_to_string(src().join("lsp/dispatch.rs")).unwrap();
    assert_eq!(
        dispatch.matches(".lock()").count(),
        1,
        "the async dispatcher takes no lock but the session's"
    );
    assert!(dispatch.contains("fn with_session<R>(&self, f: impl FnOnce(&mut Session) -> R) -> R"));
}
