//! Running an advisory's own examples: the proof that the data does what its prose says.
//!
//! It sits above both the knowledge base and the checker: an example is knowledge, running it
//! needs the checker, and the knowledge base must not depend on its reader.

use crate::check::{analyze, CheckContext};
use crate::evidence::Environment;
use crate::finding::{Finding, Severity};
use crate::kb::{Advisory, ExampleSpec, Expectation, KnowledgeBase};
use crate::source::{CellInput, CellKind, Document, Notebook, OutputKind, OutputText, SourceKind};
use std::path::Path;

/// The document an example describes: a notebook from its cells, or a file from its source.
pub fn example_document(example: &ExampleSpec) -> Result<Document, String> {
    let kind = SourceKind::from_path(Path::new(&example.path)).ok_or_else(|| {
        format!(
            "example path `{}` is not a kind tunelint reads",
            example.path
        )
    })?;
    if kind == SourceKind::Notebook {
        if example.cells.is_empty() {
            return Err("a notebook example needs `cells`".into());
        }
        let cells = example
            .cells
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let mut outputs = Vec::new();
                if let Some(t) = &c.stdout {
                    outputs.push(OutputText {
                        kind: OutputKind::Stdout,
                        text: t.clone(),
                    });
                }
                if let Some(t) = &c.stderr {
                    outputs.push(OutputText {
                        kind: OutputKind::Stderr,
                        text: t.clone(),
                    });
                }
                CellInput {
                    kind: CellKind::Code,
                    source: c.source.clone(),
                    execution_count: c.execution_count.or(Some(i as i64 + 1)),
                    outputs,
                }
            })
            .collect();
        return Ok(Document::from_notebook(Notebook::from_cells(cells)));
    }
    let source = example
        .source
        .clone()
        .ok_or("a file example needs `source`")?;
    Ok(Document::from_text(kind, source))
}

/// Runs one example; `Err` says what went wrong in words a person can act on.
pub fn run_example(
    advisory: &Advisory,
    example: &ExampleSpec,
    kb: &KnowledgeBase,
) -> Result<Vec<Finding>, String> {
    let doc = example_document(example)?;
    let env = Environment::from_pairs(
        example
            .environment
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str())),
        "example environment",
    );
    let path = Path::new(&example.path);
    let ctx = CheckContext {
        display_path: &example.path,
        path,
        env: &env,
        project: &[],
        kb,
        memo: None,
    };
    let findings = analyze(&doc, &ctx).findings;
    let own: Vec<&Finding> = findings.iter().filter(|f| f.code == advisory.id).collect();
    match example.expect {
        Expectation::Trigger => {
            let wanted = example
                .severity
                .as_deref()
                .map(|s| Severity::parse(s).ok_or(format!("unknown severity `{s}`")))
                .transpose()?;
            let hit = own.iter().any(|f| wanted.is_none_or(|w| f.severity == w));
            if !hit {
                return Err(format!(
                    "expected {}{}, got: {}",
                    advisory.id,
                    wanted
                        .map(|w| format!(" at {}", w.as_str()))
                        .unwrap_or_default(),
                    describe(&findings)
                ));
            }
        }
        Expectation::Clean => {
            if own.iter().any(|f| f.severity > Severity::Info) {
                return Err(format!(
                    "expected no {} warning or error, got: {}",
                    advisory.id,
                    describe(&findings)
                ));
            }
        }
    }
    Ok(findings)
}

fn describe(findings: &[Finding]) -> String {
    if findings.is_empty() {
        return "no findings".into();
    }
    findings
        .iter()
        .map(|f| format!("{} [{}] {}", f.code, f.severity.as_str(), f.message))
        .collect::<Vec<_>>()
        .join("; ")
}
