//! Pull diagnostics (`textDocument/diagnostic`, `workspace/diagnostic`) for clients that ask
//! for them instead of receiving pushes. The reports are the pushed diagnostics of the same
//! version's shared analysis; a notebook cell's report is its part of the notebook's.

use super::super::publish::{document_diagnostics, DocumentDiagnostics};
use super::super::snapshot::DocumentSnapshot;
use tower_lsp_server::ls_types::*;

/// The full report for `uri` (the file, or one cell of the snapshot's notebook), and the
/// document's diagnostics per target (for recording what it reports).
pub fn document_report(
    snap: &DocumentSnapshot,
    uri: &Uri,
) -> Option<(DocumentDiagnosticReport, DocumentDiagnostics)> {
    let diagnostics = document_diagnostics(snap).ok()?;
    let items = diagnostics
        .per_target
        .iter()
        .find(|(u, _)| u == uri)
        .map(|(_, d)| d.clone())
        .unwrap_or_default();
    let report = DocumentDiagnosticReport::Full(RelatedFullDocumentDiagnosticReport {
        related_documents: None,
        full_document_diagnostic_report: FullDocumentDiagnosticReport {
            result_id: None,
            items,
        },
    });
    Some((report, diagnostics))
}

/// The reports of every part (file or cell) of one open document, for `workspace/diagnostic`.
pub fn workspace_reports(
    snap: &DocumentSnapshot,
) -> Option<(Vec<WorkspaceDocumentDiagnosticReport>, DocumentDiagnostics)> {
    let diagnostics = document_diagnostics(snap).ok()?;
    let reports = diagnostics
        .per_target
        .iter()
        .map(|(uri, items)| {
            let version = snap.target(uri).map(|(_, v)| i64::from(v));
            WorkspaceDocumentDiagnosticReport::Full(WorkspaceFullDocumentDiagnosticReport {
                uri: uri.clone(),
                version,
                full_document_diagnostic_report: FullDocumentDiagnosticReport {
                    result_id: None,
                    items: items.clone(),
                },
            })
        })
        .collect();
    Some((reports, diagnostics))
}
