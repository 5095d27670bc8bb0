//! The `json` format: one object, `{"findings": [...], "environment": {...}}` (DESIGN.md).

use super::FileReport;
use crate::evidence::Environment;
use crate::finding::RelatedLocation;
use crate::fix::{EditTarget, FixAction};
use serde_json::{json, Value};

pub fn render_json(reports: &[FileReport], environments: &[&Environment]) -> String {
    let mut findings = Vec::new();
    for report in reports {
        for f in &report.findings {
            let (cell, start) = report.position(f.range.start);
            let (_, end) = report.position(f.range.end);
            let fixes: Vec<Value> = f
                .fixes
                .iter()
                .map(|x| {
                    let mut edits: Vec<Value> = x
                        .edits
                        .iter()
                        .map(|e| match &e.target {
                            EditTarget::ThisDocument => {
                                let (c, s) = report.position(e.range.start);
                                let (_, en) = report.position(e.range.end);
                                json!({"path": report.display, "cell": c, "start": s, "end": en, "content": e.content})
                            }
                            EditTarget::File(p) => json!({"path": p.display().to_string(), "cell": null, "byte_range": [e.range.start, e.range.end], "content": e.content}),
                        })
                        .collect();
                    let action = match &x.action {
                        Some(FixAction::InsertCell { before_cell, source, .. }) => {
                            edits.push(json!({"path": report.display, "insert_cell_before": before_cell + 1, "content": source}));
                            json!({"kind": "insert-cell", "before_cell": before_cell + 1, "source": source})
                        }
                        Some(FixAction::RunCommand { command }) => json!({"kind": "run-command", "command": command}),
                        Some(FixAction::RestartRuntime) => json!({"kind": "restart-runtime"}),
                        None => Value::Null,
                    };
                    json!({"title": x.title, "applicability": x.applicability.as_str(), "edits": edits, "action": action})
                })
                .collect();
            let related: Vec<Value> = f
                .related
                .iter()
                .map(|r| match &r.location {
                    RelatedLocation::Here(range) => {
                        let (c, p) = report.position(range.start);
                        json!({"path": report.display, "cell": c, "start": p, "message": r.message})
                    }
                    RelatedLocation::Elsewhere(l) => json!({"path": l.path.display().to_string(), "cell": l.cell, "start": {"line": l.line, "column": l.column}, "message": r.message}),
                    RelatedLocation::File(p) => json!({"path": p.display().to_string(), "cell": null, "start": null, "message": r.message}),
                })
                .collect();
            findings.push(json!({
                "code": f.code,
                "severity": f.severity,
                "effect": f.effect,
                "message": f.message,
                "path": report.display,
                "cell": cell,
                "start": start,
                "end": end,
                "fixes": fixes,
                "evidence": f.evidence,
                "related": related,
            }));
        }
    }
    let envs: Vec<EnvironmentJson> = environments
        .iter()
        .map(|e| EnvironmentJson::from(*e))
        .collect();
    let out = ReportJson {
        findings,
        environment: match envs.len() {
            0 => EnvironmentsJson::None,
            1 => EnvironmentsJson::One(&envs[0]),
            _ => EnvironmentsJson::Many {
                environments: &envs,
            },
        },
    };
    serde_json::to_string_pretty(&out).unwrap_or_default() + "\n"
}

#[derive(serde::Serialize)]
struct ReportJson<'a> {
    findings: Vec<Value>,
    environment: EnvironmentsJson<'a>,
}

/// No environment is `null`, one is itself, several are `{"environments": [...]}`.
#[derive(serde::Serialize)]
#[serde(untagged)]
enum EnvironmentsJson<'a> {
    None,
    One(&'a EnvironmentJson<'a>),
    Many {
        environments: &'a [EnvironmentJson<'a>],
    },
}

/// An environment as the `json` format writes it: a typed view rather than a `json!` tree, since
/// an environment of 1,000 distributions is most of the report, and building a map per package
/// cost more than checking them.
#[derive(serde::Serialize)]
struct EnvironmentJson<'a> {
    origin: &'a crate::evidence::EnvironmentOrigin,
    name: &'a str,
    path: Option<String>,
    python: &'a Option<String>,
    packages: Vec<PackageJson<'a>>,
    problems: Vec<ProblemJson<'a>>,
}

#[derive(serde::Serialize)]
struct PackageJson<'a> {
    package: &'a str,
    version: &'a str,
    kind: crate::evidence::EvidenceKind,
    source: &'a str,
    git_commit: &'a Option<String>,
    editable: bool,
}

#[derive(serde::Serialize)]
struct ProblemJson<'a> {
    path: String,
    message: &'a str,
}

impl<'a> From<&'a Environment> for EnvironmentJson<'a> {
    fn from(env: &'a Environment) -> Self {
        EnvironmentJson {
            origin: &env.origin,
            name: &env.name,
            path: env.path.as_ref().map(|p| p.display().to_string()),
            python: &env.python_version,
            packages: env
                .packages
                .values()
                .map(|f| PackageJson {
                    package: &f.package,
                    version: &f.written,
                    kind: f.kind,
                    source: &f.source,
                    git_commit: &f.commit,
                    editable: f.editable,
                })
                .collect(),
            problems: env
                .problems
                .iter()
                .map(|p| ProblemJson {
                    path: p.path.display().to_string(),
                    message: &p.message,
                })
                .collect(),
        }
    }
}
