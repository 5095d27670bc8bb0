//! `textDocument/inlayHint` (off unless `tunelint.inlayHints` is on): after each import and
//! each package of an install line, the version the next run uses and where that comes from,
//! as in `peft 0.12.0 · .venv`. One hint per package per line.

use super::super::snapshot::DocumentSnapshot;
use super::super::to_lsp;
use crate::evidence::VersionFact;
use crate::install::parse_shell_line;
use crate::text::LineIndex;
use tower_lsp_server::ls_types::*;

/// The hints inside `range` of `uri` (the file, or one cell of the snapshot's notebook).
pub fn inlay_hints(snap: &DocumentSnapshot, uri: &Uri, range: Range) -> Vec<InlayHint> {
    if !snap.inlay_hints {
        return Vec::new();
    }
    let Some((target, _)) = snap.target(uri) else {
        return Vec::new();
    };
    let Ok(analyzed) = snap.analyzed() else {
        return Vec::new();
    };
    let doc = snap.doc();
    let text = target.slice(&doc.text);
    let index = LineIndex::new(text);
    // (package, where it is named) for imports and install lines inside this target.
    let mut named: Vec<(String, usize)> = Vec::new();
    for import in &analyzed.analysis.facts.imports {
        if target.contains_range(import.range) {
            if let Some(package) = crate::requirement::distribution_for_module(&import.module) {
                named.push((package, import.range.end));
            }
        }
    }
    for line in &doc.shell_lines {
        if !target.contains_range(line.range) {
            continue;
        }
        for cmd in parse_shell_line(&doc.text, line) {
            for req in &cmd.requirements {
                if let Some(name) = req.name() {
                    named.push((crate::requirement::normalize_name(name), line.range.end));
                }
            }
        }
    }
    let mut hints: Vec<(u32, InlayHint)> = Vec::new();
    let mut seen: Vec<(u32, String)> = Vec::new();
    for (package, at) in named {
        let Some(fact) = analyzed.analysis.next_run.get(&package) else {
            continue;
        };
        let local = at - target.start;
        let line = index.line_of(local);
        if seen.contains(&(line as u32, package.clone())) {
            continue;
        }
        seen.push((line as u32, package.clone()));
        let end = index.line_range(line, text).end;
        let position = to_lsp::position(text, &index, end, snap.encoding);
        if position.line < range.start.line || position.line > range.end.line {
            continue;
        }
        hints.push((
            position.line,
            InlayHint {
                position,
                label: InlayHintLabel::String(label(fact)),
                kind: None,
                text_edits: None,
                tooltip: Some(InlayHintTooltip::String(format!(
                    "{} · {}",
                    fact.kind.label(),
                    fact.source
                ))),
                padding_left: Some(true),
                padding_right: None,
                data: None,
            },
        ));
    }
    hints.sort_by_key(|(line, _)| *line);
    hints.into_iter().map(|(_, h)| h).collect()
}

/// `peft 0.12.0 · .venv`: the version (or what the evidence says) and the short form of its
/// source (an environment's directory rather than its dist-info path).
fn label(fact: &VersionFact) -> String {
    let version = fact
        .version
        .as_ref()
        .map_or_else(|| fact.written.clone(), ToString::to_string);
    format!(
        "{} {version} · {}",
        fact.package,
        short_source(&fact.source)
    )
}

fn short_source(source: &str) -> &str {
    for marker in [
        "/lib/python",
        "/Lib/site-packages",
        "\\Lib\\site-packages",
        "/site-packages",
    ] {
        if let Some(at) = source.find(marker) {
            if at > 0 {
                return &source[..at];
            }
        }
    }
    source
}

#[cfg(test)]
mod tests {
    use super::short_source;

    #[test]
    fn an_installed_source_is_shortened_to_its_environment() {
        assert_eq!(
            short_source(".venv/lib/python3.11/site-packages/peft-0.12.0.dist-info"),
            ".venv"
        );
        assert_eq!(
            short_source("requirements.txt line 2"),
            "requirements.txt line 2"
        );
    }
}
