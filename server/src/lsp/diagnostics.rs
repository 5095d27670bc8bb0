//! Findings to diagnostics: one publish per text document, or per notebook cell, with the data
//! a code action needs to rebuild the fixes without server-side state.

use super::to_lsp;
use super::Encoding;
use crate::finding::RelatedLocation;
use crate::fix::{EditTarget, Fix, FixAction};
use crate::source::Document;
use crate::text::{LineIndex, TextRange};
use crate::workspace::SortedFindings;
use serde::{Deserialize, Serialize};
use tower_lsp_server::ls_types::{
    CodeDescription, Diagnostic, DiagnosticRelatedInformation, DiagnosticSeverity, DiagnosticTag,
    Location, NumberOrString, Position, Range, Uri,
};

/// A fix as it travels in a diagnostic's `data`: byte offsets into the document text of the
/// version named beside it.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct FixData {
    pub title: String,
    pub applicability: String,
    pub edits: Vec<EditData>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub insert_cell: Option<InsertCellData>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run_command: Option<String>,
    #[serde(default)]
    pub restart: bool,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct EditData {
    /// `None` for the document itself, else another file's path.
    pub path: Option<String>,
    pub start: usize,
    pub end: usize,
    pub content: String,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct InsertCellData {
    /// 0-based index among all cells.
    pub index: usize,
    pub source: String,
    pub fallback: Vec<EditData>,
    /// The title of the fallback edits, which say where the lines go instead.
    pub fallback_title: String,
}

/// Everything `data` carries.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct DiagnosticData {
    /// The document (file or notebook) the offsets refer to.
    pub document: String,
    pub version: i32,
    pub code: String,
    pub start: usize,
    pub end: usize,
    pub fixes: Vec<FixData>,
}

fn edit_data(e: &crate::fix::Edit) -> EditData {
    EditData {
        path: match &e.target {
            EditTarget::ThisDocument => None,
            EditTarget::File(p) => Some(p.display().to_string()),
        },
        start: e.range.start,
        end: e.range.end,
        content: e.content.clone(),
    }
}

pub fn fix_data(fix: &Fix) -> FixData {
    let mut data = FixData {
        title: fix.title.clone(),
        applicability: fix.applicability.as_str().to_string(),
        edits: fix.edits.iter().map(edit_data).collect(),
        insert_cell: None,
        run_command: None,
        restart: false,
    };
    match &fix.action {
        Some(FixAction::InsertCell {
            before_cell,
            source,
            fallback,
            fallback_title,
        }) => {
            data.insert_cell = Some(InsertCellData {
                index: *before_cell,
                source: source.clone(),
                fallback: fallback.iter().map(edit_data).collect(),
                fallback_title: fallback_title.clone(),
            })
        }
        Some(FixAction::RunCommand { command }) => data.run_command = Some(command.clone()),
        Some(FixAction::RestartRuntime) => data.restart = true,
        None => {}
    }
    data
}

/// What a publish needs beside the findings: the document's identity and version, the
/// negotiated encoding, and how the client opens an advisory's page.
#[derive(Clone, Copy)]
pub struct Publish<'a> {
    pub doc_uri: &'a Uri,
    pub version: i32,
    pub encoding: Encoding,
    pub kb: &'a crate::kb::KnowledgeBase,
    /// The client shows `tunelint-rule:` documents (the VS Code extension asks the server for
    /// them); other clients get the advisory's first reference as the code's link.
    pub rule_documents: bool,
}

/// The link a diagnostic's code opens: the advisory's page where the client can show it,
/// otherwise its first reference.
pub fn code_link(code: &str, publish: &Publish) -> Option<Uri> {
    let advisory = publish.kb.get(code)?;
    if publish.rule_documents {
        return format!("{RULE_SCHEME}:{}.md", advisory.id).parse().ok();
    }
    advisory.references.first()?.parse().ok()
}

pub use super::protocol::RULE_SCHEME;

/// Where each part of the document lives for the editor: the whole text, or one cell.
pub struct Target<'a> {
    pub uri: &'a Uri,
    /// The part's range in the document text.
    pub range: TextRange,
}

/// Converts findings into diagnostics for each target (a file has one target, a notebook one
/// per code cell). Every target gets an entry, so empty lists clear stale squiggles. Advice the
/// configuration does not ask for arrives as a hint: no squiggle, still on hover and in the
/// quick-fix menu. Ignored findings are left out.
pub fn to_diagnostics(
    doc: &Document,
    sorted: &SortedFindings,
    targets: &[Target],
    publish: &Publish,
) -> Vec<(Uri, Vec<Diagnostic>)> {
    let Publish {
        doc_uri,
        version,
        encoding,
        ..
    } = *publish;
    let indexes: Vec<LineIndex> = targets
        .iter()
        .map(|t| LineIndex::new(t.range.slice(&doc.text)))
        .collect();
    let mut out: Vec<(Uri, Vec<Diagnostic>)> = targets
        .iter()
        .map(|t| (t.uri.clone(), Vec::new()))
        .collect();
    let locate = |offset: usize| -> Option<usize> {
        let i = targets
            .partition_point(|t| t.range.start <= offset)
            .checked_sub(1)?;
        Some(i)
    };
    let findings = sorted
        .shown
        .iter()
        .map(|f| (f, false))
        .chain(sorted.advice.iter().map(|f| (f, true)));
    for (f, advice) in findings {
        let Some(i) = locate(f.range.start) else {
            continue;
        };
        let t = &targets[i];
        let text = t.range.slice(&doc.text);
        let local = |r: TextRange| {
            TextRange::new(
                r.start.saturating_sub(t.range.start).min(text.len()),
                r.end.saturating_sub(t.range.start).min(text.len()),
            )
        };
        let range = to_lsp::range(text, &indexes[i], local(f.range), encoding);
        let mut related = Vec::new();
        for r in &f.related {
            let location = match &r.location {
                RelatedLocation::Here(range) => {
                    let Some(j) = locate(range.start) else {
                        continue;
                    };
                    let tj = &targets[j];
                    let tj_text = tj.range.slice(&doc.text);
                    let lr = TextRange::new(
                        range
                            .start
                            .saturating_sub(tj.range.start)
                            .min(tj_text.len()),
                        range.end.saturating_sub(tj.range.start).min(tj_text.len()),
                    );
                    Location::new(
                        tj.uri.clone(),
                        to_lsp::range(tj_text, &indexes[j], lr, encoding),
                    )
                }
                RelatedLocation::Elsewhere(l) => {
                    let Some(uri) = Uri::from_file_path(&l.path) else {
                        continue;
                    };
                    // Other files are not open here; their line and character column stand in.
                    let p = Position::new(
                        l.line.saturating_sub(1) as u32,
                        l.column.saturating_sub(1) as u32,
                    );
                    Location::new(uri, Range::new(p, p))
                }
                RelatedLocation::File(path) => {
                    let Some(uri) = Uri::from_file_path(path) else {
                        continue;
                    };
                    Location::new(uri, Range::default())
                }
            };
            related.push(DiagnosticRelatedInformation {
                location,
                message: r.message.clone(),
            });
        }
        let data = DiagnosticData {
            document: doc_uri.as_str().to_string(),
            version,
            code: f.code.clone(),
            start: f.range.start,
            end: f.range.end,
            fixes: f.fixes.iter().map(fix_data).collect(),
        };
        let href = code_link(&f.code, publish);
        out[i].1.push(Diagnostic {
            range,
            severity: Some(if advice {
                DiagnosticSeverity::HINT
            } else {
                to_lsp::severity(f.severity)
            }),
            code: Some(NumberOrString::String(f.code.clone())),
            code_description: href.map(|href| CodeDescription { href }),
            source: Some("tunelint".into()),
            message: f.message.clone(),
            related_information: (!related.is_empty()).then_some(related),
            // A deprecated argument that still works is struck through.
            tags: match f.effect {
                Some(crate::vocabulary::Effect::Deprecated) => {
                    Some(vec![DiagnosticTag::DEPRECATED])
                }
                Some(crate::vocabulary::Effect::Unnecessary) => {
                    Some(vec![DiagnosticTag::UNNECESSARY])
                }
                _ => None,
            },
            data: serde_json::to_value(&data).ok(),
        });
    }
    out
}
