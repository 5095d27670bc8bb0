//! The environment as a whole: every package in play with its evidence, and the advisories the
//! versions alone are known to break (shared by `tunelint env` and the editor's view).

use super::{
    collect_declarations, installed_versions, next_run_versions, CheckContext, ProjectFile,
};
use crate::evidence::{Environment, VersionFact};
use crate::kb::KnowledgeBase;
use crate::source::{Document, SourceKind};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::path::Path;

pub struct EnvironmentReport {
    /// Installed packages, with project pins filling in what is not installed.
    pub versions: BTreeMap<String, VersionFact>,
    /// (id, severity, title) of the advisories whose ranges the versions fall in.
    pub applies: Vec<(String, String, String)>,
}

impl EnvironmentReport {
    pub fn new(
        env: &Environment,
        project: &[ProjectFile],
        kb: &KnowledgeBase,
        dir: &Path,
        display: &str,
    ) -> EnvironmentReport {
        let doc = Document::from_text(SourceKind::Requirements, String::new());
        let ctx = CheckContext {
            display_path: display,
            path: dir,
            env,
            project,
            kb,
            memo: None,
        };
        let declarations = collect_declarations(&doc, &ctx);
        let versions = next_run_versions(&doc, &declarations, &ctx, installed_versions(&ctx));
        let applies = kb
            .advisories
            .iter()
            .filter(|a| {
                // What the environment alone breaks: combinations of packages, or advisories that
                // need no particular code. API removals (one package, a flagged call) need the code.
                !a.versions.is_empty()
                    && a.require.is_empty()
                    && (a.versions.len() >= 2 || a.flag.is_empty())
            })
            .filter(|a| {
                a.versions.iter().all(|(p, r)| {
                    versions
                        .get(p)
                        .and_then(|f| f.version.as_ref())
                        .is_some_and(|v| r.contains(v))
                })
            })
            .map(|a| {
                (
                    a.id.clone(),
                    a.severity.as_str().to_string(),
                    a.title.clone(),
                )
            })
            .collect();
        EnvironmentReport { versions, applies }
    }

    /// The ids of the applying advisories about one package.
    pub fn advisories_for(&self, package: &str, kb: &KnowledgeBase) -> Vec<String> {
        self.applies
            .iter()
            .filter(|(id, ..)| {
                kb.get(id)
                    .is_some_and(|a| a.packages().any(|p| p == package))
            })
            .map(|(id, ..)| id.clone())
            .collect()
    }

    pub fn to_json(&self, env: &Environment, kb: &KnowledgeBase) -> Value {
        json!({
            "name": env.name,
            "origin": env.origin,
            "origin_label": env.origin.label(),
            "path": env.path.as_ref().map(|p| p.display().to_string()),
            "python": env.python_version,
            "packages": self.versions.values().map(|f| json!({
                "package": f.package,
                "version": f.version.as_ref().map_or_else(|| f.written.clone(), |v| v.to_string()),
                "kind": f.kind,
                "source": f.source,
                "git_commit": f.commit,
                "editable": f.editable,
                "advisories": self.advisories_for(&f.package, kb),
            })).collect::<Vec<_>>(),
            "advisories": self.applies.iter().map(|(id, sev, title)| json!({"id": id, "severity": sev, "title": title})).collect::<Vec<_>>(),
            "problems": env.problems.iter().map(|p| json!({"path": p.path.display().to_string(), "message": p.message})).collect::<Vec<_>>(),
        })
    }
}

/// A problem the environment's versions have on their own, whatever the code: a known-bad pair,
/// a table row, a release's declared dependency. `package` is the installed distribution the
/// finding is about (where a report should point), `finding` its range is meaningless outside.
#[derive(Clone, Debug)]
pub struct EnvironmentFinding {
    pub package: String,
    /// The line of the package's own file the finding is about (`Requires-Dist: ...`), when it
    /// is not the line that names the package.
    pub line: Option<String>,
    pub finding: crate::finding::Finding,
}

/// Checks the installed versions as if they were one pinned requirements file: every advisory
/// that needs no code matches as it would on a project's `requirements.txt`, with the installed
/// versions as evidence. The caller places each finding on the environment's own file.
pub fn environment_findings(
    env: &Environment,
    kb: &KnowledgeBase,
    display: &str,
    path: &Path,
) -> Vec<EnvironmentFinding> {
    let mut text = String::new();
    let mut lines: Vec<(usize, String, String)> = Vec::new();
    for fact in env.packages.values() {
        // A line of a package no advisory or table names cannot match anything (the facts of
        // the whole environment stay in the context), and a kernel's environment holds hundreds.
        if !kb.tracks(&fact.package) {
            continue;
        }
        let Some(version) = &fact.version else {
            continue;
        };
        let written = format!("{}=={version}", fact.package);
        lines.push((text.len(), fact.package.clone(), written.clone()));
        text.push_str(&written);
        text.push('\n');
    }
    if lines.is_empty() {
        return Vec::new();
    }
    let doc = Document::from_text(SourceKind::Requirements, text);
    let ctx = CheckContext {
        display_path: display,
        path,
        env,
        project: &[],
        kb,
        memo: None,
    };
    let analysis = super::analyze(&doc, &ctx);
    analysis
        .findings
        .into_iter()
        .filter_map(|mut finding| {
            let i = lines.partition_point(|(start, ..)| *start <= finding.range.start);
            let (_, package, written) = lines.get(i.checked_sub(1)?)?;
            // The synthetic file's lines are what is installed, not declarations.
            let declared = format!("`{written}` declared here: ");
            if let Some(rest) = finding.message.strip_prefix(&declared) {
                finding.message = format!("`{written}` installed: {rest}");
            }
            finding
                .related
                .retain(|r| !matches!(r.location, crate::finding::RelatedLocation::Here(_)));
            // Edits would rewrite the synthetic file. A pin there becomes the install command
            // that makes the environment match it (run only after a click, in the editor);
            // commands and advice apply as they are.
            finding.fixes = std::mem::take(&mut finding.fixes)
                .into_iter()
                .filter_map(|mut fix| {
                    if fix.edits.is_empty() {
                        return Some(fix);
                    }
                    let [edit] = fix.edits.as_slice() else {
                        return None;
                    };
                    let requirement = edit.content.trim().trim_matches('"');
                    crate::requirement::parse_requirement(requirement).ok()?;
                    fix.title = format!("Install `{requirement}` in this environment");
                    fix.action = Some(crate::fix::FixAction::RunCommand {
                        command: format!("pip install \"{requirement}\""),
                    });
                    fix.edits.clear();
                    fix.applicability = crate::fix::Applicability::DisplayOnly;
                    Some(fix)
                })
                .collect();
            Some(EnvironmentFinding {
                package: package.clone(),
                line: None,
                finding,
            })
        })
        .collect()
}
