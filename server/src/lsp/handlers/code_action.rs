//! `textDocument/codeAction`, rebuilt for each diagnostic the client sends from the finding the
//! current analysis shows in its place (no per-diagnostic state is kept): quick-fixes as
//! versioned `documentChanges`, the notebook cell insertion as a client command (or a text
//! edit for clients without it), "Ignore CODE on this line", and fix-all, which applies the
//! fixes `check --fix` applies (`fix::plan_fixes`) to the version's shared analysis.

use super::super::diagnostics::{DiagnosticData, EditData, FixData};
use super::super::protocol::{FIX_ALL_KIND, INSERT_CELL, RESTART_KERNEL, RUN_IN_TERMINAL};
use super::super::publish::document_diagnostics;
use super::super::snapshot::DocumentSnapshot;
use super::super::to_lsp;
use crate::fix::Applicability;
use crate::text::{LineIndex, TextRange};
use serde_json::json;
use std::collections::HashMap;
use tower_lsp_server::ls_types::*;

fn wants(only: &Option<Vec<CodeActionKind>>, kind: &CodeActionKind) -> bool {
    match only {
        None => true,
        Some(list) => list.iter().any(|o| {
            kind.as_str() == o.as_str() || kind.as_str().starts_with(&format!("{}.", o.as_str()))
        }),
    }
}

/// The actions for a request on a snapshot of its document (blocking: building edits may read
/// other files, and fix-all needs the analysis).
pub fn code_actions(job: &DocumentSnapshot, params: &CodeActionParams) -> CodeActionResponse {
    let mut actions: Vec<CodeActionOrCommand> = Vec::new();
    if wants(&params.context.only, &CodeActionKind::QUICKFIX) {
        let mut current = None;
        for diagnostic in &params.context.diagnostics {
            // The fixes come from this version's analysis, never from the `data` the client
            // sends back: a cell whose diagnostics look the same is not sent them again
            // (`Session::unpublished`), and the same version is analysed again when a
            // dependency file or the environment changes, so the client's data can name
            // offsets that no longer hold. The finding is the one this version shows at the
            // same place with the same code and message; one it does not show gets no action.
            let current = current.get_or_insert_with(|| {
                document_diagnostics(job).map_or_else(|_| Vec::new(), |d| d.per_target)
            });
            let Some(data) =
                same_finding(current, &params.text_document.uri, diagnostic).and_then(data_of)
            else {
                continue;
            };
            for fix in &data.fixes {
                actions.extend(fix_actions(job, fix, diagnostic));
            }
            if let Some(a) = ignore_action(job, &data, diagnostic) {
                actions.push(a);
            }
        }
    }
    if params.context.only.as_ref().is_some_and(|only| {
        only.iter().any(|o| {
            FIX_ALL_KIND.as_str().starts_with(o.as_str()) && o.as_str().starts_with("source")
        })
    }) {
        if let Some(a) = fix_all(job) {
            actions.push(a);
        }
    }
    actions
}

fn data_of(diagnostic: &Diagnostic) -> Option<DiagnosticData> {
    serde_json::from_value::<DiagnosticData>(diagnostic.data.clone()?).ok()
}

/// The diagnostic of `target` among a version's that a client's `diagnostic` shows: the same
/// range, code and message.
fn same_finding<'a>(
    per_target: &'a [(Uri, Vec<Diagnostic>)],
    target: &Uri,
    diagnostic: &Diagnostic,
) -> Option<&'a Diagnostic> {
    let (_, list) = per_target.iter().find(|(uri, _)| uri == target)?;
    list.iter().find(|d| {
        d.range == diagnostic.range && d.code == diagnostic.code && d.message == diagnostic.message
    })
}

/// Text edits in the document (or other files) as one versioned workspace edit.
fn workspace_edit(job: &DocumentSnapshot, edits: &[EditData]) -> Option<WorkspaceEdit> {
    let mut per_target: Vec<(usize, Vec<TextEdit>)> = Vec::new();
    let mut others: HashMap<String, Vec<TextEdit>> = HashMap::new();
    for e in edits {
        match &e.path {
            None => {
                // Inside a notebook an edit belongs to exactly one cell.
                let i = job
                    .targets()
                    .iter()
                    .position(|(_, r, _)| r.start <= e.start && e.end <= r.end.max(r.start))?;
                let (_, range, _) = &job.targets()[i];
                let text = range.slice(&job.doc().text);
                let index = LineIndex::new(text);
                let local = TextRange::new(e.start - range.start, e.end - range.start);
                let edit = TextEdit {
                    range: to_lsp::range(text, &index, local, job.encoding),
                    new_text: e.content.clone(),
                };
                match per_target.iter_mut().find(|(t, _)| *t == i) {
                    Some((_, list)) => list.push(edit),
                    None => per_target.push((i, vec![edit])),
                }
            }
            Some(path) => {
                let text = std::fs::read_to_string(path).ok()?;
                let index = LineIndex::new(&text);
                let range = to_lsp::range(
                    &text,
                    &index,
                    TextRange::new(e.start.min(text.len()), e.end.min(text.len())),
                    job.encoding,
                );
                others.entry(path.clone()).or_default().push(TextEdit {
                    range,
                    new_text: e.content.clone(),
                });
            }
        }
    }
    let mut changes: Vec<TextDocumentEdit> = per_target
        .into_iter()
        .map(|(i, edits)| TextDocumentEdit {
            text_document: OptionalVersionedTextDocumentIdentifier {
                uri: job.targets()[i].0.clone(),
                version: Some(job.targets()[i].2),
            },
            edits: edits.into_iter().map(OneOf::Left).collect(),
        })
        .collect();
    for (path, edits) in others {
        let uri = Uri::from_file_path(&path)?;
        changes.push(TextDocumentEdit {
            text_document: OptionalVersionedTextDocumentIdentifier { uri, version: None },
            edits: edits.into_iter().map(OneOf::Left).collect(),
        });
    }
    if changes.is_empty() {
        return None;
    }
    if job.features.document_changes {
        return Some(WorkspaceEdit {
            document_changes: Some(DocumentChanges::Edits(changes)),
            ..Default::default()
        });
    }
    // Clients without versioned edits get plain changes; the version check above still guards.
    let mut map: HashMap<Uri, Vec<TextEdit>> = HashMap::new();
    for c in changes {
        map.entry(c.text_document.uri)
            .or_default()
            .extend(c.edits.into_iter().map(|e| match e {
                OneOf::Left(t) => t,
                OneOf::Right(a) => a.text_edit,
            }));
    }
    Some(WorkspaceEdit {
        changes: Some(map),
        ..Default::default()
    })
}

fn fix_actions(
    job: &DocumentSnapshot,
    fix: &FixData,
    diagnostic: &Diagnostic,
) -> Vec<CodeActionOrCommand> {
    let mut out = Vec::new();
    let preferred = fix.applicability == Applicability::Safe.as_str();
    let action = |title: String, edit: Option<WorkspaceEdit>, command: Option<Command>| {
        CodeActionOrCommand::CodeAction(CodeAction {
            title,
            kind: Some(CodeActionKind::QUICKFIX),
            diagnostics: Some(vec![diagnostic.clone()]),
            edit,
            command,
            is_preferred: Some(preferred),
            ..Default::default()
        })
    };
    if !fix.edits.is_empty() {
        if let Some(edit) = workspace_edit(job, &fix.edits) {
            out.push(action(fix.title.clone(), Some(edit), None));
        }
    }
    if let Some(insert) = &fix.insert_cell {
        if job.features.insert_cell_command {
            let command = Command {
                title: fix.title.clone(),
                command: INSERT_CELL.into(),
                arguments: Some(vec![
                    json!({"notebookUri": job.uri.as_str(), "index": insert.index, "source": insert.source}),
                ]),
            };
            out.push(action(fix.title.clone(), None, Some(command)));
        } else if let Some(edit) = workspace_edit(job, &insert.fallback) {
            out.push(action(insert.fallback_title.clone(), Some(edit), None));
        }
    }
    if job.features.terminal_commands {
        if let Some(command) = &fix.run_command {
            let c = Command {
                title: fix.title.clone(),
                command: RUN_IN_TERMINAL.into(),
                arguments: Some(vec![json!({"command": command, "uri": job.uri.as_str()})]),
            };
            out.push(action(fix.title.clone(), None, Some(c)));
        }
        if fix.restart {
            let c = Command {
                title: fix.title.clone(),
                command: RESTART_KERNEL.into(),
                arguments: Some(vec![json!({"notebookUri": job.uri.as_str()})]),
            };
            out.push(action(fix.title.clone(), None, Some(c)));
        }
    }
    out
}

/// Appends `# tunelint: ignore[CODE]` to the flagged line (or adds the code to an existing one).
fn ignore_action(
    job: &DocumentSnapshot,
    data: &DiagnosticData,
    diagnostic: &Diagnostic,
) -> Option<CodeActionOrCommand> {
    let text = &job.doc().text;
    if data.start > text.len() {
        return None;
    }
    let line = job.doc().lines().line_of(data.start);
    let line_range = job.doc().lines().line_range(line, text);
    let line_text = line_range.slice(text);
    let edit = if let Some(at) = line_text.find("# tunelint: ignore[") {
        let close = line_text[at..].find(']')? + at;
        EditData {
            path: None,
            start: line_range.start + close,
            end: line_range.start + close,
            content: format!(", {}", data.code),
        }
    } else {
        EditData {
            path: None,
            start: line_range.end,
            end: line_range.end,
            content: format!("  # tunelint: ignore[{}]", data.code),
        }
    };
    let edit = workspace_edit(job, &[edit])?;
    Some(CodeActionOrCommand::CodeAction(CodeAction {
        title: format!("Ignore {} on this line", data.code),
        kind: Some(CodeActionKind::QUICKFIX),
        diagnostics: Some(vec![diagnostic.clone()]),
        edit: Some(edit),
        is_preferred: Some(false),
        ..Default::default()
    }))
}

/// Every safe fix in the document, as `check --fix` applies them: text edits as one versioned
/// workspace edit, and the cells fixes insert as the client's insert-cell command (run after
/// the edits, which change no cell's index) or, for clients without it, as each cell's
/// fallback edits.
fn fix_all(job: &DocumentSnapshot) -> Option<CodeActionOrCommand> {
    let analyzed = job.analyzed().ok()?;
    let plan = crate::fix::plan_fixes(job.doc(), &analyzed.sorted.shown, false);
    let as_data = |(range, content): &(TextRange, String)| EditData {
        path: None,
        start: range.start,
        end: range.end,
        content: content.clone(),
    };
    let mut edits: Vec<EditData> = plan.edits.iter().map(as_data).collect();
    let mut command = None;
    if !plan.inserts.is_empty() {
        if job.features.insert_cell_command {
            // Highest index first, so that each insertion leaves the others' indexes valid
            // (and cells for one index, inserted in reverse, keep their order).
            let mut inserts: Vec<_> = plan.inserts.iter().collect();
            inserts.sort_by_key(|c| c.before_cell);
            let cells: Vec<_> = inserts
                .iter()
                .rev()
                .map(|c| json!({"index": c.before_cell, "source": c.source}))
                .collect();
            command = Some(Command {
                title: "Insert the cells tunelint's fixes add".into(),
                command: INSERT_CELL.into(),
                arguments: Some(vec![json!({
                    "notebookUri": job.uri.as_str(),
                    "cells": cells,
                })]),
            });
        } else {
            for cell in &plan.inserts {
                for fallback in &cell.fallback {
                    let overlaps = edits
                        .iter()
                        .any(|o| o.start < fallback.0.end && fallback.0.start < o.end);
                    if !overlaps {
                        edits.push(as_data(fallback));
                    }
                }
            }
        }
    }
    let edit = if edits.is_empty() {
        None
    } else {
        Some(workspace_edit(job, &edits)?)
    };
    if edit.is_none() && command.is_none() {
        return None;
    }
    Some(CodeActionOrCommand::CodeAction(CodeAction {
        title: "Fix all tunelint findings with safe fixes".into(),
        kind: Some(FIX_ALL_KIND),
        edit,
        command,
        ..Default::default()
    }))
}
