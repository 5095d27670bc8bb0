//! `textDocument/hover` on an import, a package in an install line, or a requirement: the
//! version in play, its kind and source, what the last run used, and the advisories about the
//! package. Reads the version's shared analysis.

use super::super::from_lsp;
use super::super::snapshot::DocumentSnapshot;
use super::super::to_lsp;
use crate::install::parse_shell_line;
use crate::text::{LineIndex, TextRange};
use tower_lsp_server::ls_types::*;

/// The hover at a position of `uri` (the file, or one cell of the snapshot's notebook).
pub fn hover(snap: &DocumentSnapshot, uri: &Uri, position: Position) -> Option<Hover> {
    let (target, _) = snap.target(uri)?;
    let doc = snap.doc();
    let text = target.slice(&doc.text);
    let index = LineIndex::new(text);
    let offset = target.start + from_lsp::offset(text, &index, position, snap.encoding);
    let analyzed = snap.analyzed().ok()?;
    let analysis = &analyzed.analysis;
    let (package, range) = package_at(doc, &analysis.facts, offset)?;
    let mut md = format!("**{package}**");
    match analysis.next_run.get(&package) {
        Some(f) => md.push_str(&format!(
            " {}\n\n- {} · {}",
            f.version
                .as_ref()
                .map_or_else(|| f.written.clone(), |v| v.to_string()),
            f.kind.label(),
            f.source
        )),
        None => md.push_str(
            "\n\n- version unknown: not installed in the environment in use, and not pinned",
        ),
    }
    if let Some(f) = analysis.next_run.get(&package) {
        if f.git {
            md.push_str(&format!(
                " (from git{})",
                f.commit
                    .as_deref()
                    .map(|c| format!(" at `{}`", &c[..c.len().min(10)]))
                    .unwrap_or_default()
            ));
        }
    }
    if let Some(f) = analysis.last_run.get(&package) {
        md.push_str(&format!("\n- last run: {} · {}", f.written, f.source));
    }
    let mut advisories: Vec<String> = Vec::new();
    for a in snap
        .kb
        .advisories
        .iter()
        .filter(|a| a.packages().any(|p| p == package))
    {
        let active = analyzed
            .sorted
            .shown
            .iter()
            .chain(&analyzed.sorted.advice)
            .any(|f| f.code == a.id);
        let link = a
            .references
            .first()
            .map(|r| format!(" ([source]({r}))"))
            .unwrap_or_default();
        let ranges: Vec<String> = a.versions.iter().map(|(p, r)| format!("{p} {r}")).collect();
        advisories.push(format!(
            "- {}**{}** {}: {}{link}",
            if active { "⚠ " } else { "" },
            a.id,
            a.title,
            ranges.join(" with ")
        ));
    }
    if !advisories.is_empty() {
        md.push_str("\n\n**Advisories**\n\n");
        md.push_str(&advisories.join("\n"));
    }
    let local = TextRange::new(
        range.start.saturating_sub(target.start),
        range.end.saturating_sub(target.start).min(text.len()),
    );
    Some(Hover {
        contents: HoverContents::Markup(MarkupContent {
            kind: MarkupKind::Markdown,
            value: md,
        }),
        range: Some(to_lsp::range(text, &index, local, snap.encoding)),
    })
}

/// The package named at `offset`: an install-line requirement, a dependency-file requirement,
/// or an import.
fn package_at(
    doc: &crate::source::Document,
    facts: &crate::syntax::PythonFacts,
    offset: usize,
) -> Option<(String, TextRange)> {
    for line in &doc.shell_lines {
        if !(line.range.start <= offset && offset <= line.range.end) {
            continue;
        }
        for cmd in parse_shell_line(&doc.text, line) {
            for req in &cmd.requirements {
                if req.range.start <= offset && offset <= req.range.end {
                    return Some((req.name()?.to_string(), req.range));
                }
            }
        }
    }
    match doc.kind {
        crate::source::SourceKind::Requirements => {
            for d in crate::declared::parse_requirements(&doc.text).requirements {
                if d.range.start <= offset && offset <= d.range.end {
                    return Some((d.requirement.name, d.range));
                }
            }
        }
        crate::source::SourceKind::Pyproject => {
            for d in crate::declared::parse_pyproject(&doc.text).0.requirements {
                if d.range.start <= offset && offset <= d.range.end {
                    return Some((d.requirement.name, d.range));
                }
            }
        }
        crate::source::SourceKind::Lock(format) => {
            for d in crate::declared::parse_lock(format, &doc.text).requirements {
                if d.range.start <= offset && offset <= d.range.end {
                    return Some((d.requirement.name, d.range));
                }
            }
        }
        _ => {}
    }
    let import = facts
        .imports
        .iter()
        .find(|i| i.range.start <= offset && offset <= i.range.end)?;
    Some((
        crate::requirement::distribution_for_module(&import.module)?,
        import.range,
    ))
}
