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
                        text: t.as_str().into(),
                    });
                }
                if let Some(t) = &c.stderr {
                    outputs.push(OutputText {
                        kind: OutputKind::Stderr,
                        text: t.as_str().into(),
                    });
                }
                CellInput {
                    kind: CellKind::Code,
                    source: c.source.clone(),
                    execution_count: c.execution_count.or(Some(i as i64 + 1)),
                    outputs,
                    ran_on: None,
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

/// What users see for one example, as a reviewer reads it in a snapshot: each finding of the
/// advisory's code with its line and message, and each fix with its title, applicability and
/// the lines it changes in the example's own text.
pub fn render_example(
    advisory: &Advisory,
    example: &ExampleSpec,
    kb: &KnowledgeBase,
) -> Result<String, String> {
    let doc = example_document(example)?;
    let findings = run_example(advisory, example, kb)?;
    let mut out = format!(
        "## {} ({}, {})\n",
        example.name,
        match example.expect {
            Expectation::Trigger => "trigger",
            Expectation::Clean => "clean",
        },
        example.path
    );
    let own: Vec<&Finding> = findings.iter().filter(|f| f.code == advisory.id).collect();
    if own.is_empty() {
        out.push_str("(no finding)\n");
    }
    for f in own {
        let line = doc.lines().line_of(f.range.start) + 1;
        out.push_str(&format!(
            "{}[{}] line {line}: {}\n",
            f.severity.as_str(),
            f.code,
            f.message
        ));
        for fix in &f.fixes {
            out.push_str(&format!(
                "  fix ({}): {}\n",
                fix.applicability.as_str(),
                fix.title
            ));
            let here: Vec<(crate::text::TextRange, String)> = fix
                .edits
                .iter()
                .filter(|e| e.target == crate::fix::EditTarget::ThisDocument)
                .map(|e| (e.range, e.content.clone()))
                .collect();
            if here.is_empty() {
                continue;
            }
            let (after, _) = crate::fix::apply_edits(&doc.text, &here);
            let before_lines: Vec<&str> = doc.text.lines().collect();
            let after_lines: Vec<&str> = after.lines().collect();
            let same_head = before_lines
                .iter()
                .zip(&after_lines)
                .take_while(|(a, b)| a == b)
                .count();
            let same_tail = before_lines[same_head..]
                .iter()
                .rev()
                .zip(after_lines[same_head..].iter().rev())
                .take_while(|(a, b)| a == b)
                .count();
            for l in &before_lines[same_head..before_lines.len() - same_tail] {
                out.push_str(&format!("    - {l}\n"));
            }
            for l in &after_lines[same_head..after_lines.len() - same_tail] {
                out.push_str(&format!("    + {l}\n"));
            }
        }
    }
    Ok(out)
}
