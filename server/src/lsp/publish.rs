//! Turning analyses into diagnostics, blocking work that the dispatcher runs off the async
//! runtime (or, for a quick version, on the message loop): one document version's, and the
//! environments' own (on their snapshot or METADATA files). Pure functions of snapshots; the
//! dispatcher sends what they return.

use super::diagnostics::{to_diagnostics, Publish, Target};
use super::snapshot::{DocumentSnapshot, NoAnalysis};
use super::Encoding;
use crate::evidence::Environment;
use crate::kb::KnowledgeBase;
use crate::source::{Document, SourceKind};
use crate::workspace::Workspace;
use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::Arc;
use tower_lsp_server::ls_types::{Diagnostic, Uri};

/// A version's diagnostics per target (the file, or each code cell; empty lists clear), and
/// the codes its analysis reported or silenced.
pub struct DocumentDiagnostics {
    pub per_target: Vec<(Uri, Vec<Diagnostic>)>,
    pub codes: HashSet<String>,
}

/// Analyses a snapshot (or reuses its version's analysis) and converts the findings.
pub fn document_diagnostics(snap: &DocumentSnapshot) -> Result<DocumentDiagnostics, NoAnalysis> {
    let analyzed = snap.analyzed()?;
    if snap.slot.is_cancelled() {
        return Err(NoAnalysis::Cancelled);
    }
    let targets: Vec<Target> = snap
        .targets()
        .iter()
        .map(|(u, r, _)| Target { uri: u, range: *r })
        .collect();
    Ok(DocumentDiagnostics {
        per_target: to_diagnostics(snap.doc(), &analyzed.sorted, &targets, &snap.publish()),
        codes: analyzed.codes.clone(),
    })
}

/// What publishing the environments' own findings reads, taken from the session.
pub struct EnvironmentJob {
    /// Each directory whose environment is checked, with its workspace.
    pub dirs: Vec<(PathBuf, Arc<Workspace>)>,
    pub kb: Arc<KnowledgeBase>,
    pub encoding: Encoding,
    /// Each open document's directory and the codes it reports.
    pub open: Vec<(PathBuf, HashSet<String>)>,
    pub rule_documents: bool,
}

/// What each environment breaks on its own, whatever the code (a known-bad pair, a table row,
/// an unmet `Requires-Dist`), on the environment's own files: the `pip freeze` snapshot's
/// line, or the distribution's METADATA. One diagnostic per problem, however many open files
/// import the packages; a problem an open file already reports is left to that file.
pub fn environment_diagnostics(job: EnvironmentJob) -> Vec<(Uri, Vec<Diagnostic>)> {
    let mut out: Vec<(Uri, Vec<Diagnostic>)> = Vec::new();
    let mut done: Vec<Arc<Environment>> = Vec::new();
    for (dir, workspace) in job.dirs {
        let env = workspace.environment_for(&dir);
        if done.iter().any(|d| Arc::ptr_eq(d, &env)) {
            continue;
        }
        done.push(env.clone());
        let reported_by_open_files = |env: &Arc<Environment>| {
            job.open
                .iter()
                .filter(|(dir, _)| Arc::ptr_eq(&workspace.environment_for(dir), env))
                .flat_map(|(_, codes)| codes.iter().cloned())
                .collect()
        };
        let placed = crate::workspace::place_environment_findings(
            &[env],
            &workspace,
            &job.kb,
            &reported_by_open_files,
        );
        for file in placed {
            let Some(uri) = Uri::from_file_path(&file.path) else {
                continue;
            };
            let doc = Document::from_text(SourceKind::Requirements, file.text);
            let target = Target {
                uri: &uri,
                range: crate::text::TextRange::new(0, doc.text.len()),
            };
            let sorted = crate::workspace::SortedFindings {
                shown: file.findings,
                advice: file.advice,
                ignored: Vec::new(),
            };
            let publish = Publish {
                doc_uri: &uri,
                version: 0,
                encoding: job.encoding,
                kb: &job.kb,
                rule_documents: job.rule_documents,
            };
            out.extend(to_diagnostics(&doc, &sorted, &[target], &publish));
        }
    }
    out
}
