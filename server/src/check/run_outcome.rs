//! What the run went on to do: a claim that a notebook's run fails, made from what its saved
//! outputs say (the versions a banner printed, an error line), is disproved when the same run
//! got further afterwards: Unsloth patched layers, a trainer started, logged a loss, or returned
//! its `TrainOutput`.
//!
//! Only error findings (the run fails) are weighed, and only against markers in cells that ran
//! after the evidence in the same kernel session; the finding stays, as an info that says what
//! the run did instead.

use super::usage::{sessions, Run};
use crate::evidence::{EvidenceKind, VersionFact};
use crate::finding::{Finding, Origin, Severity};
use crate::source::Document;
use regex::Regex;
use std::collections::BTreeMap;
use std::sync::OnceLock;

/// A line of a saved output that shows the run got past loading a model.
struct SuccessMarker {
    /// 0-based cell index.
    cell: usize,
    run: Option<Run>,
    /// What it shows, for the message: `trained (TrainOutput)`.
    what: &'static str,
    line: String,
}

/// The kinds of success, each with the pattern of its line.
fn patterns() -> &'static [(&'static str, Regex)] {
    static P: OnceLock<Vec<(&'static str, Regex)>> = OnceLock::new();
    P.get_or_init(|| {
        let re = |s: &str| Regex::new(s).expect("built-in pattern compiles");
        vec![
            ("finished training", re(r"TrainOutput\(global_step=[1-9]")),
            ("logged training steps", re(r"^\{'loss': [0-9.]+")),
            ("started training", re(r"Unsloth - 2x faster free finetuning \| Num GPUs")),
            (
                "patched layers",
                re(r"Unsloth \S+ patched \d+ layers with (?:[1-9]\d* QKV|\d+ QKV layers, [1-9]\d* O|\d+ QKV layers, \d+ O layers and [1-9]\d* MLP)"),
            ),
        ]
    })
}

fn success_markers(doc: &Document) -> Vec<SuccessMarker> {
    let Some(nb) = &doc.notebook else {
        return Vec::new();
    };
    let counts: Vec<Option<i64>> = nb.cells.iter().map(|c| c.execution_count).collect();
    let runs = sessions(&counts);
    let mut out = Vec::new();
    for (cell, input) in nb.cells.iter().enumerate() {
        for output in &input.outputs {
            for line in output.text.lines() {
                if let Some((what, _)) = patterns().iter().find(|(_, p)| p.is_match(line)) {
                    out.push(SuccessMarker {
                        cell,
                        run: runs[cell],
                        what,
                        line: line.trim().chars().take(80).collect(),
                    });
                }
            }
        }
    }
    out
}

/// Softens error findings that the rest of their own run disproves.
pub(super) fn soften_disproved(
    doc: &Document,
    last_run: &BTreeMap<String, VersionFact>,
    findings: &mut [Finding],
) {
    let Some(nb) = &doc.notebook else { return };
    if !findings.iter().any(|f| f.severity == Severity::Error) {
        return;
    }
    let markers = success_markers(doc);
    if markers.is_empty() {
        return;
    }
    let counts: Vec<Option<i64>> = nb.cells.iter().map(|c| c.execution_count).collect();
    let runs = sessions(&counts);
    for f in findings
        .iter_mut()
        .filter(|f| f.severity == Severity::Error)
    {
        let Some(evidence_cell) = evidence_cell(doc, last_run, f) else {
            continue;
        };
        let evidence_run = runs[evidence_cell];
        let later = markers.iter().find(|m| match (m.run, evidence_run) {
            (Some(m), Some(e)) => m.session == e.session && m.count >= e.count,
            _ => m.cell >= evidence_cell,
        });
        if let Some(m) = later {
            f.severity = Severity::Info;
            f.message = format!(
                "{}; but the same run then {} (cell {}: `{}`), so this did not stop it",
                f.message,
                m.what,
                m.cell + 1,
                m.line
            );
        }
    }
}

/// The cell (0-based) whose saved output the finding's claim rests on: the output it quotes, or
/// the latest output that printed a version it names. `None` when any of its evidence is not
/// from the last run.
pub(super) fn evidence_cell(
    doc: &Document,
    last_run: &BTreeMap<String, VersionFact>,
    f: &Finding,
) -> Option<usize> {
    let nb = doc.notebook.as_ref()?;
    if f.origin == Origin::Output {
        return nb.map.span_at(f.range.start).map(|s| s.cell);
    }
    if f.evidence.is_empty() || f.evidence.iter().any(|e| e.kind != EvidenceKind::LastRun) {
        return None;
    }
    f.evidence
        .iter()
        .map(|e| {
            last_run
                .get(&e.package)
                .and_then(|fact| fact.location.as_ref())
                .and_then(|l| l.cell)
                .map(|cell| cell - 1)
        })
        .collect::<Option<Vec<usize>>>()?
        .into_iter()
        .max()
}
